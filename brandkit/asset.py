"""Asset stage: the validated result, its provenance, and atomic saving.

Every returned asset carries provenance — spec fingerprint, prompt hash,
model, attempt number and check summary — both inside the image file
(PNG iTXt chunk, JPEG comment segment, WebP EXIF ImageDescription; pixels
are never re-encoded lossily) and in a sidecar JSON written next to it.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from functools import cached_property
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from brandkit.asset_sidecar import (
    AssetSidecar,
    ConversationLink,
    SidecarAttempt,
    SidecarImage,
    SidecarPrompt,
    SidecarSpec,
)
from brandkit.atomic import atomic_write_all
from brandkit.edit_inherit import EditReport
from brandkit.errors import OutputError
from brandkit.imageio import load_image
from brandkit.models import (
    AssetRequest,
    Attempt,
    CompiledPrompt,
    ComposedCopy,
    EditRequest,
    PhotoUse,
    ValidationReport,
)
from brandkit.outputs import image_extension
from brandkit.provenance import PROVENANCE_KEY, ProvenanceRecord, read_provenance_record

SIDECAR_SUFFIX = ".json"


class Asset(BaseModel):
    """A generated image that went through every check, with its report, prompt and attempts."""

    model_config = ConfigDict(
        extra="forbid", arbitrary_types_allowed=True, ignored_types=(cached_property,), defer_build=True
    )

    data: bytes = Field(repr=False, description="The encoded image, provenance embedded.")
    output_format: str
    width: int
    height: int
    report: ValidationReport
    prompt: CompiledPrompt
    request: AssetRequest | EditRequest | None = None
    attempts: list[Attempt] = Field(default_factory=list, repr=False)
    attempt_number: int = 1
    provider: str
    model: str
    cost_usd: float = 0.0
    fixes: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    edit: EditReport | None = Field(
        default=None, description="Edits: what was kept from the edited asset, what changed, what was removed."
    )
    conversation: ConversationLink | None = Field(
        default=None, description="Conversation turns: the conversation, turn, response and parent asset."
    )
    composed: ComposedCopy | None = Field(
        default=None, description="The copy brandkit drew itself (font sizes, CTA pill); kept in the provenance."
    )
    credentials: dict[str, Any] | None = Field(
        default=None,
        description="Content Credentials: content_credentials 'signed' or 'unsigned', the provider's manifest "
        "(kept as the parent ingredient, or as a reference here when unsigned), the signer (docs/provenance.md).",
    )

    @cached_property
    def image(self) -> Image.Image:
        """The decoded image (Pillow, RGB or RGBA)."""
        return load_image(self.data)

    @property
    def passed(self) -> bool:
        """Whether the report passed (an asset returned by ``generate`` always has)."""
        return self.report.passed

    def provenance(self) -> dict[str, Any]:
        """The provenance record embedded in the file and the sidecar."""
        placed = next((a.photo for a in self.attempts if a.number == self.attempt_number), None)
        return provenance_record(
            self.prompt, self.provider, self.model, self.attempt_number, self.report, self.composed, placed
        )

    def sidecar_record(self) -> AssetSidecar:
        """The sidecar, typed (:class:`~brandkit.asset_sidecar.AssetSidecar`; :func:`~brandkit.read_sidecar` reads
        a saved one back)."""
        prompt = {**self.prompt.model_dump(), "prompt_hash": self.prompt.prompt_hash}  # references without bytes
        return AssetSidecar(
            brandkit_version=_version(),
            spec=SidecarSpec(
                name=self.prompt.spec_name, fingerprint=self.prompt.spec_fingerprint, mode=self.prompt.spec_mode
            ),
            request=self.request,
            prompt=SidecarPrompt.model_validate(prompt),
            provider=self.provider,
            model=self.model,
            image=SidecarImage.model_validate(
                {"format": self.output_format, "width": self.width, "height": self.height, "bytes": len(self.data)}
            ),
            attempt=self.attempt_number,
            fixes=self.fixes,
            cost_usd=round(self.cost_usd, 6),
            report=self.report,
            attempts=[
                SidecarAttempt(
                    number=a.number,
                    passed=a.report.passed,
                    summary=a.report.summary(),
                    cost_usd=round(a.cost_usd, 6),
                    fixes=a.fixes,
                    request_id=a.request_id,
                    feedback=a.prompt.feedback,
                    before_fix=a.report_before_fix.summary() if a.report_before_fix else None,
                    photo=a.photo,
                    notes=a.notes,
                )
                for a in self.attempts
            ],
            timings={k: round(v, 4) for k, v in self.timings.items()},
            provenance=ProvenanceRecord.model_validate(self.provenance()),
            edit=self.edit,
            conversation=self.conversation,
            content_credentials=(self.credentials or {}).get("content_credentials", "unsigned"),
            credentials=self.credentials,
        )

    def sidecar(self) -> dict[str, Any]:
        """The sidecar JSON: request, compiled prompt, spec, provider, model, checks, timings, attempts
        (:meth:`sidecar_record`'s JSON form: what :meth:`save` writes)."""
        return self.sidecar_record().to_json()

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the image to ``path`` and the sidecar to ``path`` with ``.json``, as one atomic unit.

        An image extension must match the format (``.png``, ``.jpg``/``.jpeg``, ``.webp``; ``ad.jpg`` for a PNG
        is refused); a name without one gets it — ``ad`` and ``photo.v2`` are saved as ``ad.png``,
        ``photo.v2.png``. A folder (an existing one, or a path ending in ``/``) is refused with
        :class:`~brandkit.OutputError`: ``save`` names a file. Returns the image path. An existing image or
        sidecar is never replaced unless ``overwrite=True``: :class:`~brandkit.OutputExistsError` names the file,
        and nothing is written (the check and the write are one atomic step,
        :func:`brandkit.atomic.atomic_write_all`).
        """
        text = os.fspath(path)
        target = Path(path)
        if text.endswith(("/", os.sep)) or os.path.isdir(target):  # "out/" is a folder; isdir: no OSError
            raise OutputError(
                f"{text}: is a folder; give the image's file name (for example "
                f"{target / 'asset'}{image_extension(self.output_format)})",
                path=text,
            )
        expected = {"png": {".png"}, "jpeg": {".jpg", ".jpeg"}, "webp": {".webp"}}[self.output_format]
        if target.suffix.lower() not in _IMAGE_EXTENSIONS:  # none, or a dot in the name ("photo.v2"): added
            target = target.with_name(target.name + image_extension(self.output_format))
        elif target.suffix.lower() not in expected:
            raise OutputError(
                f"{target}: extension {target.suffix!r} does not match the image format {self.output_format!r}",
                path=str(target),
            )
        sidecar = json.dumps(self.sidecar(), indent=2, ensure_ascii=False, sort_keys=False)
        atomic_write_all(
            [(target, self.data), (target.with_suffix(target.suffix + SIDECAR_SUFFIX), sidecar.encode("utf-8"))],
            overwrite=overwrite,
        )
        return target


_IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif", ".heic", ".heif", ".jxl"}
)
"""Extensions that name an image format: one of them that is not the asset's format is refused, not appended to."""


def _version() -> str:
    from brandkit._version import __version__

    return __version__


def provenance_record(
    prompt: CompiledPrompt,
    provider: str,
    model: str,
    attempt: int,
    report: ValidationReport | None,
    composed: ComposedCopy | None = None,
    photo: PhotoUse | None = None,
) -> dict[str, Any]:
    """Compact provenance: enough to validate the file again later without the request.

    ``composed``: the copy brandkit drew itself; its font sizes and CTA pill are recorded (``copy_font_px``,
    ``cta_box``) so a later ``validate`` reads the copy areas at the size they need. ``None``: not recorded.
    ``photo``: the spec library photo placed in the photo area (its id and file's sha256 are recorded, so an edit
    into another size crops the photograph afresh rather than the ad's crop of it).
    """
    extra: dict[str, Any] = {}
    if composed is not None:
        extra = {"copy_font_px": list(composed.font_px)}
        if composed.cta_box is not None:
            extra["cta_box"] = list(composed.cta_box)
    if photo is not None:
        extra["photo"] = {"id": photo.id, "sha256": photo.sha256}
    mode = {} if prompt.spec_mode is None else {"spec_mode": prompt.spec_mode}  # absent: the default colours
    return {
        "generator": f"brandkit/{_version()}",
        "spec_name": prompt.spec_name,
        "spec_fingerprint": prompt.spec_fingerprint,
        **mode,
        "prompt_hash": prompt.prompt_hash,
        "provider": provider,
        "model": model,
        "attempt": attempt,
        "format": prompt.format_name,
        "size": prompt.size,
        "output_format": prompt.params.get("output_format"),
        "transparent": prompt.params.get("background") == "transparent",
        "logo_variant": prompt.logo_variant,
        "background_tone": prompt.background_tone,
        "logo_box": list(prompt.layout.logo_box.as_tuple()) if prompt.layout.logo_box is not None else None,
        "photo_box": None if prompt.photo_area is None else list(prompt.photo_area),
        "copy_boxes": [
            list(b.as_tuple()) for b in (prompt.layout.copy_box, prompt.layout.disclaimer_box) if b is not None
        ],
        **extra,
        "copy": prompt.copy_block.model_dump(mode="json"),
        "checks": report.summary() if report is not None else {},
    }


def embed_provenance(data: bytes, output_format: str, record: dict[str, Any]) -> bytes:
    """Return ``data`` with ``record`` embedded, without touching the pixels."""
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    if output_format == "png":
        return _png_with_itxt(data, PROVENANCE_KEY, text)
    if output_format == "jpeg":
        return _jpeg_with_comment(data, text.encode("utf-8"))
    if output_format == "webp":
        image = Image.open(io.BytesIO(data))
        image.load()
        exif = image.getexif()
        exif[0x010E] = text.encode("utf-8")  # raw UTF-8 bytes: as str, Pillow would write '?' for non-ASCII
        out = io.BytesIO()
        image.save(out, "WEBP", lossless=True, exact=True, exif=exif)
        return out.getvalue()
    raise ValueError(f"unsupported output format {output_format!r}")


def _png_with_itxt(data: bytes, key: str, text: str) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    payload = key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    chunk = struct.pack(">I", len(payload)) + b"iTXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"iTXt" + payload) & 0xFFFFFFFF)
    idat = data.find(b"IDAT")  # before the image data, where metadata readers look first
    if idat < 12:
        raise ValueError("PNG without IDAT chunk")
    cut = idat - 4
    return data[:cut] + chunk + data[cut:]


def _jpeg_with_comment(data: bytes, comment: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file")
    if len(comment) > 65533:
        comment = comment[:65533]
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return data[:2] + segment + data[2:]


def read_embedded_provenance(data: bytes) -> dict[str, Any] | None:
    """The provenance record embedded by brandkit as a dict, or ``None`` when absent or unreadable.

    The record is parsed with bounds and validated (:func:`brandkit.provenance.read_provenance_record`, which
    also says *why* a record is unreadable).
    """
    reading = read_provenance_record(data)
    return reading.record.model_dump(mode="json", by_alias=True) if reading.record is not None else None
