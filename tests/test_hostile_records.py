"""Foreign provenance records are data, not trust (issue 20 item 4).

A real brandkit asset has its embedded record replaced by a malformed one (wrong types, 10,000-deep nesting,
a 5 MB string, NaN, invalid UTF-8, duplicate keys, unknown fields, a foreign spec …). ``validate`` must report
"provenance unreadable: <reason>" and still check the pixels — against the copy the caller gives — never
raise; ``brandkit validate --json`` always prints one JSON document. Before, 7 of 13 such records crashed
``validate`` with a pydantic traceback or a ``RecursionError``.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

import brandkit
from brandkit.asset import embed_provenance, provenance_record, read_embedded_provenance
from brandkit.checks.technical import TechnicalCheck
from brandkit.cli import EXIT_CHECKS, EXIT_USAGE, app
from brandkit.errors import ImageInputError
from brandkit.models import AssetRequest, CheckStatus, ValidationReport
from brandkit.provenance import MAX_NESTING, MAX_RECORD_BYTES, ProvenanceRecord, read_provenance_record
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
COPY = {"headline": "Slow mornings", "cta": "Order ahead"}
LENIENT: dict[str, Any] = {"text": "overlay", "logo": "overlay", "policies": {"palette": "warn"}}
REQUEST = dict(brief="A ceramic cup of coffee on an oak table", format="square", seed=7, **COPY, **LENIENT)


# --- building images with a chosen record ---------------------------------------------------------------------


def _png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    chunks, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        chunks.append((png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return chunks


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_with(png: bytes, body: bytes | None, kind: bytes = b"iTXt") -> bytes:
    """``png`` with its brandkit record replaced by a ``kind`` chunk of ``body`` (``None``: no record)."""
    out = png[:8]
    for chunk_kind, chunk_body in _png_chunks(png):
        if chunk_kind in (b"iTXt", b"tEXt", b"zTXt") and chunk_body.startswith(b"brandkit\x00"):
            continue
        if chunk_kind == b"IDAT" and body is not None:
            out += _chunk(kind, body)
            body = None
        out += _chunk(chunk_kind, chunk_body)
    return out


def itxt(text: bytes, compressed: bool = False) -> bytes:
    """An iTXt chunk body named ``brandkit`` holding ``text`` (raw bytes: may be invalid UTF-8)."""
    payload = zlib.compress(text, 9) if compressed else text
    return b"brandkit\x00" + (b"\x01\x00" if compressed else b"\x00\x00") + b"\x00\x00" + payload


def jpeg_with(jpeg: bytes, comment: bytes) -> bytes:
    """``jpeg`` with every COM segment removed and ``comment`` as the first segment after SOI."""
    out, offset = bytearray(b"\xff\xd8"), 2
    while offset < len(jpeg):
        marker = jpeg[offset + 1]
        if marker == 0xDA:
            out += jpeg[offset:]
            break
        (length,) = struct.unpack(">H", jpeg[offset + 2 : offset + 4])
        if marker != 0xFE:
            out += jpeg[offset : offset + 2 + length]
        offset += 2 + length
    return bytes(out[:2]) + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + bytes(out[2:])


def dumps(record: Any) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- the corpus -----------------------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], bytes]


def _set(**changes: Any) -> Mutation:
    return lambda record: dumps({**record, **changes})


def _drop(key: str) -> Mutation:
    return lambda record: dumps({k: v for k, v in record.items() if k != key})


def _raw(text: str) -> Mutation:
    return lambda record: text.encode("utf-8")


def _replace(old: str, new: str) -> Mutation:
    def mutate(record: dict[str, Any]) -> bytes:
        text = dumps(record)
        assert old.encode() in text
        return text.replace(old.encode(), new.encode(), 1)

    return mutate


def _deep(record: dict[str, Any]) -> bytes:
    return b'{"a":' * 10_000 + b"1" + b"}" * 10_000


def _deep_arrays(record: dict[str, Any]) -> bytes:
    return b"[" * 10_000 + b"]" * 10_000


def _deep_inside(record: dict[str, Any]) -> bytes:  # valid record, one field nested 40 deep
    return dumps({**record, "checks": json.loads("[" * 40 + "]" * 40)})


def _huge_string(record: dict[str, Any]) -> bytes:
    return dumps({**record, "copy": {**record["copy"], "headline": "A" * 5_000_000}})


def _invalid_utf8(record: dict[str, Any]) -> bytes:
    return dumps(record).replace(b"Slow", b"Sl\xff\xfew", 1)


def _latin1(record: dict[str, Any]) -> bytes:
    return json.dumps({**record, "copy": {**record["copy"], "headline": "Café"}}, ensure_ascii=False).encode("latin-1")


def _duplicate(record: dict[str, Any]) -> bytes:
    text = dumps(record).decode()
    return ('{"copy": {"headline": "Forged headline"}, ' + text[1:]).encode()


def _huge_int(record: dict[str, Any]) -> bytes:
    return dumps(record).replace(b'"attempt":', b'"attempt":' + b"9" * 5000 + b', "x":', 1)


CORPUS: list[Any] = [
    pytest.param(_raw("{not json"), "not JSON", id="not-json"),
    pytest.param(_raw(""), "not JSON", id="empty"),
    pytest.param(_raw("[1, 2, 3]"), "JSON array, not an object", id="top-level-array"),
    pytest.param(_raw('"brandkit/1.0"'), "JSON string, not an object", id="top-level-string"),
    pytest.param(_raw("null"), "JSON null, not an object", id="top-level-null"),
    pytest.param(_set(attempt="1"), "field 'attempt'", id="attempt-is-a-string"),
    pytest.param(_set(copy="Slow mornings"), "field 'copy'", id="copy-is-a-string"),
    pytest.param(_set(copy={"headline": 42}), "field 'copy.headline'", id="headline-is-a-number"),
    pytest.param(_set(copy={"disclaimers": "not a list"}), "field 'copy.disclaimers'", id="disclaimers-not-a-list"),
    pytest.param(_set(size=1024), "field 'size'", id="size-is-a-number"),
    pytest.param(_set(size="99999999x1"), "field 'size'", id="size-out-of-bounds"),
    pytest.param(_set(logo_box=[1, 2, "x", 4]), "field 'logo_box.2'", id="logo-box-wrong-item"),
    pytest.param(_set(logo_box=[1, 2]), "field 'logo_box'", id="logo-box-too-short"),
    pytest.param(_set(transparent="yes"), "field 'transparent'", id="transparent-is-a-string"),
    pytest.param(_set(checks=["passed"]), "field 'checks'", id="checks-is-a-list"),
    pytest.param(_set(checks={"text": "maybe"}), "field 'checks.text'", id="check-status-unknown"),
    pytest.param(_set(generator="evil/1.0"), "field 'generator'", id="foreign-generator"),
    pytest.param(_deep, f"nests deeper than {MAX_NESTING} levels", id="nesting-10000-deep"),
    pytest.param(_deep_arrays, f"nests deeper than {MAX_NESTING} levels", id="arrays-10000-deep"),
    pytest.param(_deep_inside, f"nests deeper than {MAX_NESTING} levels", id="field-nested-40-deep"),
    pytest.param(_huge_string, f"at most {MAX_RECORD_BYTES:,} are read", id="string-of-5-MB"),
    pytest.param(_replace('"attempt":1', '"attempt":NaN'), "holds NaN", id="nan"),
    pytest.param(_replace('"attempt":1', '"attempt":Infinity'), "holds Infinity", id="infinity"),
    pytest.param(_replace('"attempt":1', '"attempt":-Infinity'), "holds -Infinity", id="minus-infinity"),
    pytest.param(_replace('"attempt":1', '"attempt":1e400'), "field 'attempt'", id="float-overflow"),
    pytest.param(_huge_int, "not usable JSON", id="integer-of-5000-digits"),
    pytest.param(_invalid_utf8, "not UTF-8 (byte 0xff", id="invalid-utf8"),
    pytest.param(_latin1, "not UTF-8 (byte 0xe9", id="latin-1-text"),
    pytest.param(_duplicate, "repeats the key 'copy'", id="duplicate-keys"),
    pytest.param(_set(evil=True), "field 'evil': Extra inputs are not permitted", id="unknown-field"),
    pytest.param(_drop("copy"), "field 'copy': Field required", id="missing-copy"),
    pytest.param(_drop("size"), "field 'size': Field required", id="missing-size"),
    pytest.param(_set(logo_variant="ghost"), "logo variant 'ghost'", id="unknown-logo-variant"),
    pytest.param(_set(spec_name="Not Northwind"), "for spec 'Not Northwind'", id="other-spec"),
]


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> BrandSpec:
    return brandkit.load_spec(NORTHWIND)


@pytest.fixture(scope="module")
def asset(kit_resources: KitResources, spec: BrandSpec) -> brandkit.Asset:
    """A real local asset with a valid record (light checks: made quickly)."""
    kit = brandkit.BrandKit(spec, resources=kit_resources, provider="local", checks=[TechnicalCheck()])
    return kit.generate(AssetRequest(**REQUEST))


@pytest.fixture(scope="module")
def record(asset: brandkit.Asset) -> dict[str, Any]:
    found = read_embedded_provenance(asset.data)
    assert found is not None and found["copy"]["headline"]
    return found


@pytest.fixture(scope="module")
def light_kit(kit_resources: KitResources, spec: BrandSpec) -> brandkit.BrandKit:
    return brandkit.BrandKit(spec, resources=kit_resources, provider="local", checks=[TechnicalCheck()])


def unreadable(report: ValidationReport, fragment: str) -> None:
    assert report.provenance is not None and report.provenance.status == "unreadable", report.provenance
    assert report.provenance.reason is not None and fragment in report.provenance.reason, report.provenance.reason
    assert report.provenance.message.startswith("provenance unreadable: ")


# --- tests ----------------------------------------------------------------------------------------------------


def test_brandkits_own_record_round_trips(asset: brandkit.Asset, light_kit: brandkit.BrandKit) -> None:
    reading = read_provenance_record(asset.data)
    assert reading.status == "read" and reading.record is not None
    assert ProvenanceRecord.model_validate(asset.provenance()) == reading.record
    report = light_kit.validate(asset.data)
    assert report.provenance is not None and report.provenance.status == "read"
    assert report.provenance.copy_source == "provenance" and report.passed
    bare = light_kit.validate(png_with(asset.data, None))
    assert bare.provenance is not None and bare.provenance.status == "absent"
    assert bare.provenance.copy_source == "none"


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_non_ascii_copy_round_trips_in_every_format(fmt: str, record: dict[str, Any]) -> None:
    """WebP used to store the record as EXIF ASCII, so 'Café “naïve”' came back as 'Caf? ?na?ve?'."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(out, fmt.upper())
    written = {**record, "output_format": fmt, "copy": {**record["copy"], "headline": "Café “naïve” 咖啡"}}
    reading = read_provenance_record(embed_provenance(out.getvalue(), fmt, written))
    assert reading.status == "read" and reading.record is not None
    assert reading.record.copy_.headline == "Café “naïve” 咖啡"


def test_the_record_brandkit_writes_matches_the_reader(asset: brandkit.Asset) -> None:
    """A field added to ``provenance_record`` without the reader would make every record unreadable."""
    written = provenance_record(asset.prompt, asset.provider, asset.model, asset.attempt_number, asset.report)
    assert ProvenanceRecord.model_validate(written).spec_name == asset.prompt.spec_name


@pytest.mark.parametrize(("mutate", "fragment"), CORPUS)
async def test_a_malformed_record_is_reported_and_the_pixels_still_checked(
    kit_resources: KitResources,
    mutate: Mutation,
    fragment: str,
    asset: brandkit.Asset,
    record: dict[str, Any],
    light_kit: brandkit.BrandKit,
    spec: BrandSpec,
) -> None:
    image = png_with(asset.data, itxt(mutate(record)))
    foreign = "for spec" in fragment or "logo variant" in fragment  # well-formed, unreadable only against the spec
    assert (read_embedded_provenance(image) is None) is not foreign
    with_copy = light_kit.validate(image, request=AssetRequest(**REQUEST))
    unreadable(with_copy, fragment)
    assert with_copy.provenance is not None and with_copy.provenance.copy_source == "request"
    assert with_copy.checks["technical"].status == CheckStatus.passed and with_copy.passed
    without = light_kit.validate(image)
    unreadable(without, fragment)
    assert without.provenance is not None and without.provenance.copy_source == "none"
    async_kit = brandkit.AsyncBrandKit(spec, resources=kit_resources, provider="local", checks=[TechnicalCheck()])
    unreadable(await async_kit.validate(image), fragment)


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        pytest.param(_deep, "nests deeper", id="nesting"),
        pytest.param(_set(copy={"headline": 42}), "field 'copy.headline'", id="wrong-type"),
        pytest.param(_invalid_utf8, "not UTF-8", id="invalid-utf8"),
    ],
)
def test_a_malformed_jpeg_comment_is_reported(
    mutate: Mutation, fragment: str, record: dict[str, Any], asset: brandkit.Asset, light_kit: brandkit.BrandKit
) -> None:
    out = io.BytesIO()
    Image.open(io.BytesIO(asset.data)).convert("RGB").save(out, "JPEG", quality=95)
    payload = mutate(record)[:65000]
    unreadable(light_kit.validate(jpeg_with(out.getvalue(), payload)), fragment)


@pytest.mark.parametrize(
    "comment",
    [
        b"File source: http://commons.wikimedia.org/wiki/File:Grace_Hopper.jpg",  # matplotlib's sample photograph
        b"CREATOR: gd-jpeg v1.0 (using IJG JPEG v80), quality = 90\n",
        b"OLYMPUS DIGITAL CAMERA         ",
    ],
)
def test_another_programs_jpeg_comment_is_no_record(
    comment: bytes, record: dict[str, Any], asset: brandkit.Asset, light_kit: brandkit.BrandKit
) -> None:
    """A photograph's JPEG comment written by a camera or an editor is not brandkit's record: the file has none
    (before, every such photo was "provenance unreadable: the record is not JSON", and an edit of it said nothing
    was inherited from an unreadable record). brandkit's record after such a comment is still found."""
    out = io.BytesIO()
    Image.open(io.BytesIO(asset.data)).convert("RGB").save(out, "JPEG", quality=95)
    foreign = jpeg_with(out.getvalue(), comment)
    assert read_provenance_record(foreign).status == "absent"
    report = light_kit.validate(foreign)
    assert report.provenance is not None and report.provenance.status == "absent"
    both = jpeg_with(foreign, dumps(record))  # brandkit's record, and the other program's comment put before it
    both = both[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + both[2:]
    reading = read_provenance_record(both)
    assert reading.status == "read" and reading.record is not None
    assert reading.record.spec_name == record["spec_name"]


def test_a_cameras_webp_image_description_is_no_record(light_kit: brandkit.BrandKit) -> None:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "OLYMPUS DIGITAL CAMERA"
    Image.new("RGB", (64, 64), "red").save(out, "WEBP", exif=exif)
    assert read_provenance_record(out.getvalue()).status == "absent"


def test_other_chunk_shapes_are_reported(asset: brandkit.Asset, record: dict[str, Any], light_kit: Any) -> None:
    bomb = itxt(b" " * (64 * 1024 * 1024) + dumps(record), compressed=True)  # 64 MiB inflated, 64 KiB stored
    assert len(bomb) < 200_000
    reading = read_provenance_record(png_with(asset.data, bomb))  # inflated only to the limit
    assert reading.status == "unreadable" and f"at most {MAX_RECORD_BYTES:,} are read" in str(reading.reason)
    with pytest.raises(ImageInputError, match="Decompressed data too large"):  # Pillow refuses such a file
        light_kit.validate(png_with(asset.data, bomb))
    good = light_kit.validate(png_with(asset.data, itxt(dumps(record), compressed=True)))
    assert good.provenance is not None and good.provenance.status == "read"
    text = light_kit.validate(png_with(asset.data, b"brandkit\x00" + dumps(record), kind=b"tEXt"))
    unreadable(text, "tEXt chunk; brandkit writes iTXt")
    broken = light_kit.validate(png_with(asset.data, b"brandkit\x00\x00"))
    unreadable(broken, "iTXt chunk is malformed")


def test_caller_copy_is_what_the_pixels_are_checked_against(
    kit_resources: KitResources, asset: brandkit.Asset, record: dict[str, Any], spec: BrandSpec
) -> None:
    """Full checks (OCR): with an unreadable record, the caller's copy decides the text check."""
    kit = brandkit.BrandKit(spec, resources=kit_resources, provider="local")
    image = png_with(asset.data, itxt(_deep(record)))
    right = kit.validate(image, request=AssetRequest(**REQUEST))
    unreadable(right, "nests deeper")
    assert right.checks["text"].status == CheckStatus.passed
    wrong = kit.validate(image, request=AssetRequest(**{**REQUEST, "headline": "Quantum espresso engines"}))
    assert wrong.checks["text"].status == CheckStatus.failed and not wrong.passed


@pytest.fixture
def light_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("brandkit.kit.default_checks", lambda: [TechnicalCheck()])


def _corpus_files(folder: Path, asset: brandkit.Asset, record: dict[str, Any]) -> list[tuple[Path, str]]:
    files = []
    for number, case in enumerate(CORPUS):
        mutate, fragment = case.values
        path = folder / f"case-{number:02d}-{case.id}.png"
        path.write_bytes(png_with(asset.data, itxt(mutate(record))))
        files.append((path, fragment))
    return files


@pytest.mark.usefixtures("light_cli")
def test_cli_json_reports_every_malformed_record_and_keeps_going(
    tmp_path: Path, asset: brandkit.Asset, record: dict[str, Any]
) -> None:
    files = _corpus_files(tmp_path, asset, record)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(asset.data[:200])
    missing = tmp_path / "missing.png"
    args = ["validate", "--spec", str(NORTHWIND), "--json", "--jobs", "1"]  # in this process: light_cli applies
    args += [*(str(p) for p, _ in files), str(truncated), str(missing)]
    for extra, source in (([], "none"), (["--headline", COPY["headline"], "--cta", COPY["cta"]], "request")):
        result = CliRunner().invoke(app, args + extra)
        assert "Traceback" not in result.stdout
        assert result.exception is None or isinstance(result.exception, SystemExit)
        document = json.loads(result.stdout)
        assert result.exit_code == EXIT_USAGE and document["ok"] is False
        entries = document["images"]
        assert [e["path"] for e in entries] == [str(p) for p, _ in files] + [str(truncated), str(missing)]
        for entry, (_, fragment) in zip(entries, files, strict=False):
            assert entry["provenance"]["status"] == "unreadable" and fragment in entry["provenance"]["reason"]
            assert entry["provenance"]["copy_source"] == source and entry["checks"]["technical"]["status"] == "passed"
        assert "ImageInputError" in entries[-2]["error"] and "no such file" in entries[-1]["error"]


@pytest.mark.usefixtures("light_cli")
def test_cli_text_output_names_the_problem_without_a_traceback(
    tmp_path: Path, asset: brandkit.Asset, record: dict[str, Any]
) -> None:
    image = tmp_path / "deep.png"
    image.write_bytes(png_with(asset.data, itxt(_deep(record))))
    result = CliRunner().invoke(app, ["validate", "--spec", str(NORTHWIND), str(image)])
    assert result.exit_code == 0, result.stdout
    assert "provenance unreadable: the record nests deeper than 32 levels" in result.stdout
    assert "Traceback" not in result.stdout
    odd = tmp_path / "odd.png"
    Image.new("RGB", (300, 200), "white").save(odd)
    result = CliRunner().invoke(app, ["validate", "--spec", str(NORTHWIND), "--json", "--cta", "Order", str(odd)])
    document = json.loads(result.stdout)  # no format is 300x200: the nearest in aspect, scaled, and said
    assert result.exit_code == EXIT_CHECKS and "error" not in document["images"][0]
    layout = document["images"][0]["provenance"]["layout"]
    assert layout == "the copy and logo expected in the landscape layout (1536x1024) scaled to the image's 300x200"
    result = CliRunner().invoke(app, ["validate", "--spec", str(NORTHWIND), "--json", "--cta", "x" * 100, str(odd)])
    assert result.exit_code == EXIT_USAGE and json.loads(result.stdout)["ok"] is False
    assert EXIT_CHECKS != EXIT_USAGE
