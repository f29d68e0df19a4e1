"""Provenance records read back from image files: foreign data, parsed with bounds and validated into types.

brandkit embeds a compact JSON record in every asset it writes (PNG ``iTXt`` chunk named ``brandkit``, JPEG
``COM`` segment, WebP EXIF ImageDescription; see :func:`brandkit.asset.embed_provenance`). Anyone can put
anything there, so reading it back trusts nothing:

* **size** — at most :data:`MAX_RECORD_BYTES` (1 MiB) of text is parsed; a compressed chunk is inflated
  only that far;
* **encoding** — the text must be UTF-8;
* **depth** — JSON nesting deeper than :data:`MAX_NESTING` (32) is refused by a linear scan *before*
  ``json.loads`` (which recurses and could raise ``RecursionError``);
* **syntax** — strict JSON: no ``NaN``/``Infinity``, no duplicate keys, integers within Python's digit limit;
* **types** — the object is validated into :class:`ProvenanceRecord` (strict types, bounded strings, no
  unknown fields).

:func:`read_provenance_record` never raises for a bad record: it returns a :class:`ProvenanceReading` whose
``status`` is ``read``, ``absent`` or ``unreadable`` (with the ``reason``). ``validate`` reports the reading
and checks the pixels against the copy the caller gave instead.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "MAX_NESTING",
    "MAX_RECORD_BYTES",
    "PROVENANCE_KEY",
    "ProvenanceCopy",
    "ProvenanceReading",
    "ProvenanceRecord",
    "embedded_record_bytes",
    "follows_layout",
    "parse_record",
    "read_provenance_record",
]

PROVENANCE_KEY = "brandkit"
MAX_RECORD_BYTES = 1 << 20
"""The most provenance text parsed (1 MiB); a longer record is unreadable."""
MAX_NESTING = 32
"""The deepest JSON nesting accepted (brandkit's own records nest 3 deep)."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_TO_PARENS = str.maketrans({"[": "(", "{": "(", "]": ")", "}": ")"})
CheckState = Literal["passed", "failed", "not_checked", "skipped"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class ProvenanceCopy(_Strict):
    """The exact copy a record says was placed on the image."""

    headline: str | None = Field(default=None, max_length=1000)
    subhead: str | None = Field(default=None, max_length=1000)
    cta: str | None = Field(default=None, max_length=1000)
    disclaimers: list[str] = Field(default_factory=list, max_length=50)


class ProvenancePhoto(_Strict):
    """The spec library photograph brandkit placed in the photo area: its id in the spec and the sha256 of its file
    (an edit into another size crops it afresh, around its focal point, when the spec still holds that file)."""

    id: str = Field(max_length=200)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ProvenanceRecord(_Strict):
    """A provenance record as brandkit writes it (:func:`brandkit.asset.provenance_record`), typed."""

    generator: str = Field(pattern=r"^brandkit/", max_length=100)
    spec_name: str = Field(max_length=200)
    spec_fingerprint: str = Field(max_length=200)
    spec_mode: str | None = Field(
        default=None, max_length=100, description="The spec's palette mode the asset was made in (absent: default)."
    )
    prompt_hash: str = Field(max_length=128)
    provider: str = Field(max_length=100)
    model: str = Field(max_length=200)
    attempt: int = Field(ge=1, le=1000)
    format: str = Field(max_length=100)
    size: str = Field(pattern=r"^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$")
    output_format: Literal["png", "jpeg", "webp"] | None
    transparent: bool
    logo_variant: str | None = Field(max_length=100)
    logo_box: list[int] | None = Field(min_length=4, max_length=4)
    photo_box: list[int] | None = Field(default=None, min_length=4, max_length=4)
    copy_boxes: list[Annotated[list[int], Field(min_length=4, max_length=4)]] | None = Field(default=None, max_length=4)
    copy_font_px: list[Annotated[int, Field(ge=1, le=4096)] | None] | None = Field(default=None, max_length=4)
    """Parallel to ``copy_boxes``: the smallest font size (px) brandkit drew in each (absent: unknown)."""
    cta_box: list[int] | None = Field(default=None, min_length=4, max_length=4)
    """The CTA's pill when brandkit drew it (absent: unknown)."""
    background_tone: Literal["light", "dark"] | None = None
    """The layout's background tone (absent: unknown — files written before it was recorded)."""
    photo: ProvenancePhoto | None = None
    """The library photo in ``photo_box`` (absent: none, another image, or a file written before it was recorded)."""
    copy_: ProvenanceCopy = Field(alias="copy")
    checks: dict[str, CheckState] = Field(max_length=64)

    @model_validator(mode="after")
    def _sizes_match_areas(self) -> ProvenanceRecord:
        if self.copy_font_px is not None and len(self.copy_font_px) != len(self.copy_boxes or []):
            raise ValueError(
                f"copy_font_px has {len(self.copy_font_px)} entries for {len(self.copy_boxes or [])} copy_boxes"
            )
        return self

    @property
    def width(self) -> int:
        """The ordered width in pixels."""
        return int(self.size.partition("x")[0])

    @property
    def height(self) -> int:
        """The ordered height in pixels."""
        return int(self.size.partition("x")[2])


@dataclass(frozen=True)
class ProvenanceReading:
    """What an image's embedded provenance gave: a typed record, nothing, or why it could not be read."""

    status: Literal["read", "absent", "unreadable"]
    record: ProvenanceRecord | None = None
    reason: str | None = None

    def against(self, spec_name: str, logo_variants: Collection[str], modes: Collection[str] = ()) -> ProvenanceReading:
        """This reading, made ``unreadable`` when the record names another spec, a logo variant the spec does not
        have or a palette mode not in ``modes`` (a record cannot describe an image made with this spec then)."""
        record = self.record
        if record is None:
            return self
        if record.spec_name != spec_name:
            why = f"the record is for spec {_shown(record.spec_name)}, not {_shown(spec_name)}"
            return replace(self, status="unreadable", record=None, reason=why)
        if record.logo_variant is not None and record.logo_variant not in logo_variants:
            why = f"the record names logo variant {_shown(record.logo_variant)}, which spec {_shown(spec_name)} lacks"
            return replace(self, status="unreadable", record=None, reason=why)
        if record.spec_mode is not None and record.spec_mode not in modes:
            why = f"the record names palette mode {_shown(record.spec_mode)}, which spec {_shown(spec_name)} lacks"
            return replace(self, status="unreadable", record=None, reason=why)
        return self


def _shown(value: str, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Unreadable(Exception):
    """Internal: why a record cannot be read (becomes :attr:`ProvenanceReading.reason`)."""


def read_provenance_record(data: bytes) -> ProvenanceReading:
    """The provenance embedded in the image ``data``, parsed with bounds; never raises for a bad record."""
    try:
        raw = embedded_record_bytes(data)
        if raw is None:
            return ProvenanceReading("absent")
        return ProvenanceReading("read", record=parse_record(raw))
    except _Unreadable as exc:
        return ProvenanceReading("unreadable", reason=str(exc))


def parse_record(raw: bytes) -> ProvenanceRecord:
    """Parse and validate one record's bytes (UTF-8 JSON); raises ``_Unreadable`` naming the first problem."""
    if len(raw) > MAX_RECORD_BYTES:
        raise _Unreadable(f"the record is {len(raw):,} bytes or more; at most {MAX_RECORD_BYTES:,} are read")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Unreadable(f"the record is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    if _too_deep(text):
        raise _Unreadable(f"the record nests deeper than {MAX_NESTING} levels")
    try:
        value = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except _Unreadable:
        raise
    except json.JSONDecodeError as exc:
        raise _Unreadable(f"the record is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise _Unreadable(f"the record is not usable JSON ({str(exc)[:120]})") from None
    if not isinstance(value, dict):
        raise _Unreadable(f"the record is a JSON {_json_type(value)}, not an object")
    try:
        return ProvenanceRecord.model_validate(value)
    except ValidationError as exc:
        raise _Unreadable(_first_error(exc)) from None


def _too_deep(text: str) -> bool:
    """Whether ``text`` nests arrays and objects deeper than :data:`MAX_NESTING` (strings skipped).

    Without recursion and in linear time per level: the brackets are kept as ``(`` and ``)``, then every
    innermost ``()`` pair is removed, level by level; a pair still there after :data:`MAX_NESTING` rounds sits
    deeper than that.
    """
    skeleton = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)).translate(_TO_PARENS)
    for _ in range(MAX_NESTING):
        shorter = skeleton.replace("()", "")
        if shorter == skeleton:
            return False
        skeleton = shorter
    return "()" in skeleton


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Unreadable(f"the record repeats the key {_shown(key)}")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise _Unreadable(f"the record holds {name}, which is not a JSON number")


def _json_type(value: Any) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"field {where!r}: {first['msg']}{more}"


# --- finding the record in the file --------------------------------------------------------------------------


def embedded_record_bytes(data: bytes) -> bytes | None:
    """The raw bytes of the provenance record in ``data`` (PNG, JPEG or WebP), ``None`` when there is none.

    At most :data:`MAX_RECORD_BYTES` + 1 bytes are inflated from a compressed PNG chunk (so an oversized
    record is recognised as such without inflating it all). Raises ``_Unreadable`` for a record that is there
    but cannot be extracted.
    """
    if data.startswith(_PNG_SIGNATURE):
        return _png_record(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_record(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_record(data)
    return None


def _png_record(data: bytes) -> bytes | None:
    offset = len(_PNG_SIGNATURE)
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        if len(body) < length:
            raise _Unreadable(f"the PNG chunk {kind.decode('latin-1')!r} at offset {offset} is truncated")
        if kind in (b"IDAT", b"IEND"):  # brandkit writes its chunk before the image data
            return None
        if kind in (b"iTXt", b"tEXt", b"zTXt") and body.split(b"\x00", 1)[0] == PROVENANCE_KEY.encode():
            if kind != b"iTXt":
                raise _Unreadable(f"the record is a {kind.decode()} chunk; brandkit writes iTXt (UTF-8)")
            return _itxt_text(body)
        offset += 12 + length
    return None


def _itxt_text(body: bytes) -> bytes:
    try:
        _, rest = body.split(b"\x00", 1)
        compressed, method, rest = rest[0], rest[1], rest[2:]
        _language, _translated, text = rest.split(b"\x00", 2)
    except (ValueError, IndexError):
        raise _Unreadable("the iTXt chunk is malformed") from None
    if not compressed:
        return text
    if method != 0:
        raise _Unreadable(f"the iTXt chunk uses unknown compression method {method}")
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(text, MAX_RECORD_BYTES + 1)
    except zlib.error as exc:
        raise _Unreadable(f"the compressed iTXt chunk is corrupt ({exc})") from None
    return out


def _jpeg_record(data: bytes) -> bytes | None:
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no comment before the image data
            return None
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            offset += 2
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if length < 2 or offset + 2 + length > len(data):
            raise _Unreadable(f"the JPEG segment at offset {offset} is truncated")
        if marker == 0xFE and is_record_text(data[offset + 4 : offset + 2 + length]):
            return data[offset + 4 : offset + 2 + length]
        offset += 2 + length  # another segment, or another program's comment
    return None


def is_record_text(raw: bytes) -> bool:
    """Whether a JPEG comment or a WebP ``ImageDescription`` may be brandkit's record: brandkit writes a JSON object
    there. Other software's text — a camera's ``OLYMPUS DIGITAL CAMERA``, an editor's ``File source: …`` or
    ``CREATOR: gd-jpeg v1.0`` — is no record (the file has none), not an unreadable one; text that opens an object is
    read as a record, and a malformed one is reported as unreadable."""
    return raw.lstrip(b" \t\r\n")[:1] == b"{"


def _webp_record(data: bytes) -> bytes | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            description = image.getexif().get(0x010E)
    except Exception as exc:  # Pillow raises many types for a malformed EXIF block
        raise _Unreadable(f"the WebP EXIF block cannot be read ({type(exc).__name__})") from None
    if description is None or description == "":
        return None
    if isinstance(description, bytes):
        return description if is_record_text(description) else None
    if not isinstance(description, str):
        raise _Unreadable(f"the WebP ImageDescription is a {type(description).__name__}, not text")
    try:  # Pillow decodes the EXIF text as Latin-1: this gives back the bytes in the file (UTF-8 when brandkit's)
        raw = description.encode("latin-1")
    except UnicodeEncodeError:
        raw = description.encode("utf-8")
    return raw if is_record_text(raw) else None


def follows_layout(record: ProvenanceRecord | None) -> bool:
    """Whether an image with this provenance record was laid out by brandkit: a record that says where its photo
    area is. A file without one (made elsewhere, its metadata stripped, an edit that kept a photo's own
    composition) is checked for what it is: the palette check segments it rather than judge the layout's brand
    zones on pixels the layout never painted."""
    return record is not None and record.photo_box is not None
