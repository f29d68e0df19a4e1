"""A file with more pixels than brandkit decodes (16,588,800) is validated reduced, never "unreadable".

A camera master (24–61 MP), a designer's print export of an ad: before, ``brandkit validate`` and every audit
counted each such file unreadable ("8000x6000 = 48,000,000 pixels is over the 16,588,800-pixel limit"). Now the
checks read it reduced to the largest gpt-image-2 output's 8,294,400 pixels (a JPEG decoded at a reduced scale by
its own decoder), the technical check reports the file's own size, and the report says so
(``provenance.reduced``). Past Pillow's decompression-bomb limit a file is still refused.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import brandkit
from brandkit.audit import AuditSummary, read_audit
from brandkit.cli import app
from brandkit.errors import ImageInputError
from brandkit.evidence import verify
from brandkit.imageio import (
    MAX_PIXELS,
    MAX_SOURCE_PIXELS,
    REDUCED_PIXELS,
    fitted_size,
    load_image,
    load_image_reduced,
    verify_image,
)
from brandkit.models import AssetRequest, CheckStatus
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = "Slow mornings, bright roasts"
CTA = "Order ahead"


def _jpeg(image: Image.Image, orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    extra = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        extra["exif"] = exif.tobytes()
    image.save(out, "JPEG", quality=90, **extra)
    return out.getvalue()


@pytest.fixture(scope="module")
def ad(kit_resources: KitResources) -> brandkit.Asset:
    """A Northwind square ad from the local renderer (1024²): the copy and logo its print export carries."""
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    kit = brandkit.BrandKit(spec, resources=kit_resources, provider="local", checks=["technical"], signer=None)
    return kit.generate(AssetRequest(brief="A cup of pour-over coffee", headline=HEADLINE, cta=CTA, format="square"))


@pytest.fixture(scope="module")
def print_export(ad: brandkit.Asset) -> bytes:
    """The ad exported for print at 4200² (17.6 MP, over the decode limit), as a JPEG (no provenance)."""
    big = ad.image.convert("RGB").resize((4200, 4200), Image.Resampling.LANCZOS)
    assert big.width * big.height > MAX_PIXELS
    return _jpeg(big)


def test_fitted_size_keeps_the_aspect_ratio_within_the_pixels() -> None:
    for size in [(8000, 6000), (7168, 7168), (6000, 8000), (20000, 900), (4097, 4097), (3840, 2160)]:
        width, height = fitted_size(size, REDUCED_PIXELS)
        assert width * height <= REDUCED_PIXELS
        if size[0] * size[1] <= REDUCED_PIXELS:
            assert (width, height) == size
            continue
        assert abs((width / height) / (size[0] / size[1]) - 1) < 2 / min(width, height)
        assert (width + 1) * (height + 1) > REDUCED_PIXELS  # as large as it can be
    assert fitted_size((7168, 7168), REDUCED_PIXELS) == (2880, 2880)  # 2880² is exactly the budget


def test_a_large_jpeg_is_read_reduced_and_turned_as_shown() -> None:
    rng = np.random.default_rng(7)
    stored = np.zeros((3000, 6000, 3), dtype=np.uint8)  # 18 MP, stored landscape: a dark left third
    stored[:, 2000:] = (200, 180, 150)
    stored += rng.integers(0, 6, stored.shape, dtype=np.uint8)
    data = _jpeg(Image.fromarray(stored), orientation=6)  # shown portrait, the dark third on top
    with pytest.raises(ImageInputError, match="over the 16,588,800-pixel limit"):
        load_image(data)  # the strict reader (generation, edits, spec assets) is unchanged
    image, shown = load_image_reduced(data)
    assert shown == (3000, 6000)  # the size the file is shown at, after its EXIF turn
    assert image.width < image.height and image.width * image.height <= REDUCED_PIXELS
    assert abs(image.width / image.height - 0.5) < 0.01
    pixels = np.asarray(image, dtype=np.int16)
    third = image.height // 3
    assert pixels[: third - 20].mean() < 20 and pixels[third + 20 :].mean() > 150  # turned: the dark band on top
    assert verify_image(data, MAX_SOURCE_PIXELS)[1:] == (3000, 6000)


def test_a_large_palette_png_keeps_its_transparency_and_small_files_are_read_as_they_are() -> None:
    cells = (np.indices((3400, 5200)).sum(axis=0) // 400 % 4).astype(np.uint8)  # 17.7 MP, colour 0 transparent
    picture = Image.fromarray(cells, "P")
    picture.putpalette([0, 0, 0, 224, 122, 46, 75, 46, 42, 243, 233, 220] + [0] * 756)
    out = io.BytesIO()
    picture.save(out, "PNG", transparency=0)
    image, shown = load_image_reduced(out.getvalue())
    assert shown == (5200, 3400) and image.mode == "RGBA"
    alpha = np.asarray(image)[..., 3]
    assert 0.2 < float((alpha == 0).mean()) < 0.3  # a quarter of the cells see-through, as in the file
    small = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 20, 30)).save(small, "PNG")
    same, none = load_image_reduced(small.getvalue())
    assert none is None and same.size == (640, 480)


def test_past_the_decompression_bomb_limit_a_file_is_still_refused() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 9_000)).save(out, "PNG")  # 90 MP in a few kB
    assert MAX_SOURCE_PIXELS < 10_000 * 9_000
    with pytest.raises(ImageInputError) as caught:
        load_image_reduced(out.getvalue())
    assert "10000x9000" in str(caught.value) or "decompression bomb" in str(caught.value)


def test_a_print_export_is_validated_reduced_and_the_report_says_so(
    kit_resources: KitResources, northwind: BrandSpec, print_export: bytes
) -> None:
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local", moderator=None, signer=None)
    request = AssetRequest(brief="validate", headline=HEADLINE, cta=CTA, format="square")
    report = kit.validate(print_export, request=request)
    assert report.provenance is not None and report.provenance.reduced is not None
    assert "4200x4200" in report.provenance.reduced and "2880x2880" in report.provenance.reduced
    for name in ("palette", "text", "logo", "contrast"):  # the brand's checks judge the ad, as at 1024²
        assert report.checks[name].status is CheckStatus.passed, (name, report.checks[name].hint)
    technical = report.checks["technical"].details["checks"]
    assert technical["decodable"]["ok"] is True
    assert technical["dimensions"]["actual"] == "4200x4200"  # the file's size, not the size it was read at
    broken = print_export[: len(print_export) * 2 // 3]  # a cut file is still no image
    with pytest.raises(ImageInputError):
        kit.validate(broken, request=request)


def test_cli_validate_and_its_report_of_a_large_file(tmp_path: Path, print_export: bytes) -> None:
    image = tmp_path / "print.jpg"
    image.write_bytes(print_export)
    spec = str(ROOT / "brand_specs" / "northwind")
    args = ["validate", "--spec", spec, str(image), "--headline", HEADLINE, "--cta", CTA, "--jobs", "1"]
    shown = CliRunner().invoke(app, args)
    assert "✗ unreadable" not in shown.output and "0 unreadable" in shown.output
    assert "note: the file's 4200x4200 pixels read reduced to 2880x2880" in shown.output
    result = CliRunner().invoke(app, [*args, "--json", "--report", str(tmp_path / "reports")])
    line = json.loads(result.stdout)
    entry = line["images"][0]
    assert entry["provenance"]["reduced"].startswith("the file's 4200x4200 pixels")
    evidence = json.loads((tmp_path / "reports" / "print.json").read_text())
    assert evidence["image"]["file_size"] == [4200, 4200]
    assert (evidence["image"]["width"], evidence["image"]["height"]) == (2880, 2880)  # the boxes' coordinates
    assert "4200×4200, checked at 2880×2880" in (tmp_path / "reports" / "print.html").read_text()


def test_the_evidence_report_reads_a_large_file_as_the_checks_do(
    kit_resources: KitResources, northwind: BrandSpec, print_export: bytes
) -> None:
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local", moderator=None, signer=None)
    evidence = verify(kit, print_export, request=AssetRequest(brief="v", headline=HEADLINE, cta=CTA, format="square"))
    assert evidence.image.file_size == (4200, 4200)
    assert (evidence.image.width, evidence.image.height) == (2880, 2880)


@pytest.mark.parametrize("content", ["past the bomb limit", "not an image"])
def test_an_edit_of_a_file_it_cannot_take_is_refused_naming_the_file(
    tmp_path: Path, northwind: BrandSpec, content: str
) -> None:
    """The error names the file — before, the SDK and the CLI said ``<28 bytes>: not a recognised image format``."""
    image = tmp_path / ("huge.png" if content == "past the bomb limit" else "notes.png")
    if content == "past the bomb limit":
        Image.new("1", (10_000, 9_000)).save(image, "PNG")  # 90 MP in a few kB
        want = "decompression bomb"
    else:
        image.write_bytes(b"meeting notes, not a picture")
        want = "not a recognised image format"
    kit = brandkit.BrandKit(northwind, provider="local", moderator=None, signer=None)
    with pytest.raises(ImageInputError) as caught:
        kit.edit(image, "Localize the headline to German", headline="Langsame Morgen")
    assert str(caught.value).startswith(f"{image}: ") and want in str(caught.value)
    assert caught.value.source == str(image)

    async def edit_async() -> None:
        async with brandkit.AsyncBrandKit(northwind, provider="local", moderator=None, signer=None) as akit:
            await akit.edit(image, "Localize the headline to German", headline="Langsame Morgen")

    with pytest.raises(ImageInputError, match=f"^{re.escape(str(image))}: "):
        asyncio.run(edit_async())
    spec = str(ROOT / "brand_specs" / "northwind")
    args = ["edit", "--spec", spec, str(image), "--instruction", "x", "--provider", "local", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert f"{image}: " in " ".join(result.output.split()) and want in result.output


def test_an_edit_of_a_print_export_is_made_from_it_reduced_its_mask_scaled(
    kit_resources: KitResources, northwind: BrandSpec, print_export: bytes, tmp_path: Path
) -> None:
    """A 17.6 MP export was refused ("over the 16,588,800-pixel limit"); it is edited from its 2880² reduction
    (a size gpt-image-2 returns), and a mask drawn on the 4200² file is scaled with it."""
    checks = ["technical", "palette", "text", "logo"]
    kit = brandkit.BrandKit(
        northwind, resources=kit_resources, provider="local", moderator=None, checks=checks, signer=None
    )
    mask = Image.new("RGBA", (4200, 4200), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 4200, 2100))  # the top half may change
    out = io.BytesIO()
    mask.save(out, "PNG")
    edited = kit.edit(print_export, "Localize the headline to German", mask=out.getvalue(), headline="Langsame Morgen")
    assert edited.image.size == (2880, 2880)
    assert edited.edit is not None
    assert any(
        "(4200x4200, over the 16,588,800 pixels an edit takes) was reduced to 2880x2880" in note
        for note in edited.edit.notes
    )
    before = np.asarray(load_image_reduced(print_export)[0].convert("RGB"), dtype=np.int16)
    after = np.asarray(edited.image.convert("RGB"), dtype=np.int16)
    bottom = np.abs(after[1500:] - before[1500:]).mean()  # outside the mask (and its edge): kept
    assert bottom < 2.0, bottom
    wrong = io.BytesIO()
    Image.new("RGBA", (1024, 1024), (0, 0, 0, 0)).save(wrong, "PNG")
    with pytest.raises(brandkit.RequestError) as refused:
        kit.edit(print_export, "x", mask=wrong.getvalue())
    assert refused.value.field == "mask" and "(4200x4200)" in str(refused.value)


def test_the_reduction_for_an_edit_is_trimmed_to_edges_the_model_returns() -> None:
    from brandkit.edit_input import edges_of_16, reduction_pixels
    from brandkit.spec.sizes import rules_for

    assert edges_of_16((3527, 2351)) == (3, 7, 3523, 2343)  # centred, at most 15 px off each way
    assert edges_of_16((2880, 2880)) is None and edges_of_16((3840, 10)) is None
    rules = rules_for("gpt-image-2")
    sizes = [(6000, 4000), (9504, 6336), (7000, 3000), (4000, 6000), (5472, 3648), (7168, 7168)]
    sizes += [(4032, 3024), (3024, 4032), (4000, 1500), (4096, 2160)]  # phone photos, a wide export, DCI 4K
    for width, height in sizes:
        pixels = reduction_pixels(width, height)
        assert pixels <= REDUCED_PIXELS
        w, h = fitted_size((width, height), pixels)  # what load_image_reduced reads it at
        assert max(w, h) <= 3840
        box = edges_of_16((w, h)) or (0, 0, w, h)
        sent = (box[2] - box[0], box[3] - box[1])
        assert rules.size_problem(*sent) is None, (width, height, sent)  # every one of them a size it returns
        assert abs(sent[0] / sent[1] - width / height) / (width / height) < 0.01  # the picture kept, not bent


def test_an_edit_of_a_camera_master_is_made_at_a_size_the_model_returns(
    kit_resources: KitResources, northwind: BrandSpec, tmp_path: Path
) -> None:
    """A 6000x4000 master reduces to 3526x2351, which no model returns: it was refused unless a format was named.
    It is trimmed to 3520x2336 (centred), its mask with it, and the report says so."""
    master = Image.new("RGB", (6000, 4000), (236, 226, 208))
    master.paste((44, 62, 80), (0, 3000, 6000, 4000))  # a dark band along the bottom
    mask = Image.new("RGBA", (6000, 4000), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 6000, 2000))  # the top half may change
    out = io.BytesIO()
    mask.save(out, "PNG")
    from brandkit.edit_input import prepare_edit

    prepared = prepare_edit(_jpeg(master), out.getvalue())
    assert prepared.reduced_to == (3526, 2351) and prepared.size == (3520, 2336)
    assert prepared.note is not None and "trimmed to 3520x2336" in prepared.note
    assert prepared.mask is not None
    sent_mask = np.asarray(Image.open(io.BytesIO(prepared.mask)))[..., 3]
    assert sent_mask.shape == (2336, 3520)
    rows = np.flatnonzero(sent_mask[:, 100] == 0)
    assert rows[0] == 0 and abs(int(rows[-1]) - (2351 // 2 - 7)) <= 1  # the transparent half, trimmed alike
    sent = Image.open(io.BytesIO(prepared.image))
    assert sent.size == (3520, 2336) and sent.format == "JPEG"
    dark = np.asarray(sent.convert("L"))[:, 1000] < 100
    assert abs(int(np.argmax(dark)) - round(2351 * 3 / 4 - 7)) <= 2  # the band where it was: cut, not stretched
    checks = ["technical", "palette", "text", "logo"]
    kit = brandkit.BrandKit(
        northwind, resources=kit_resources, provider="local", moderator=None, checks=checks, signer=None
    )
    try:
        edited = kit.edit(_jpeg(master), "Add the headline", mask=out.getvalue(), headline="Langsame Morgen")
    except brandkit.BrandViolationError as failed:  # a bare master fails the brand's checks: the edit was made
        edited = failed.asset
    assert edited.image.size == (3520, 2336)
    assert edited.edit is not None and any("trimmed to 3520x2336" in note for note in edited.edit.notes)


def test_a_phone_photo_is_edited_reduced_as_it_is_shown_without_naming_a_format(
    kit_resources: KitResources, northwind: BrandSpec
) -> None:
    """A 12 MP phone photo (4032x3024, turned upright by its EXIF orientation) is more than the model returns and
    was sent at its own size, so the edit was refused unless a format was named; it is reduced to 2493x3325 and
    trimmed to 2480x3312 as it is shown, and a mask drawn on the photo as people see it is scaled and trimmed
    with it."""
    from brandkit.edit_input import prepare_edit

    stored = Image.new("RGB", (4032, 3024), (236, 226, 208))
    stored.paste((44, 62, 80), (0, 0, 1008, 3024))  # stored left quarter dark: shown upright, the top quarter
    photo = _jpeg(stored, orientation=6)
    mask = Image.new("RGBA", (3024, 4032), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 2016, 3024, 4032))  # the bottom half (as shown) may change
    out = io.BytesIO()
    mask.save(out, "PNG")
    prepared = prepare_edit(photo, out.getvalue())
    assert prepared.reduced_from == (3024, 4032) and prepared.size == (2480, 3312)
    assert prepared.note is not None and "larger than the model returns" in prepared.note
    sent = np.asarray(Image.open(io.BytesIO(prepared.image)).convert("L"))
    assert sent.shape == (3312, 2480) and sent[:700, 1240].max() < 100 and sent[900:, 1240].min() > 150
    assert prepared.mask is not None
    alpha = np.asarray(Image.open(io.BytesIO(prepared.mask)))[..., 3]
    assert alpha.shape == (3312, 2480) and alpha[:1600].min() == 255 and alpha[1700:].max() == 0
    checks = ["technical", "palette", "text", "logo"]
    kit = brandkit.BrandKit(
        northwind, resources=kit_resources, provider="local", moderator=None, checks=checks, signer=None
    )
    try:
        edited = kit.edit(photo, "Add the headline", mask=out.getvalue(), headline="Langsame Morgen")
    except brandkit.BrandViolationError as failed:
        edited = failed.asset
    assert edited.image.size == (2480, 3312)


def test_a_cli_edit_reduces_a_print_export_once(
    print_export: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI checks the image to edit before the kit edits it (mask, size, copy: exit 2 before the output folder
    is touched); both used to reduce a camera master or print export, each time in full (0.4–1.1 s of CPU)."""
    import brandkit.edit_input as edit_input

    reductions: list[int] = []
    real = edit_input.load_image_reduced

    def counted(source: bytes, to: int = REDUCED_PIXELS) -> tuple[Image.Image, tuple[int, int] | None]:
        reductions.append(len(source))
        return real(source, to=to)

    monkeypatch.setattr(edit_input, "load_image_reduced", counted)
    image = tmp_path / "print.png"
    image.write_bytes(print_export)
    spec = str(ROOT / "brand_specs" / "northwind")
    args = ["edit", "--spec", spec, str(image), "--instruction", "Localize the headline to German"]
    args += ["--headline", "Langsame Morgen", "--provider", "local", "--out", str(tmp_path / "out"), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output  # edited (checks passed or not): the edit ran
    assert reductions == [len(print_export)], reductions
    assert "was reduced to 2880x2880" in result.output


def test_an_audit_counts_the_files_it_read_reduced(tmp_path: Path, ad: brandkit.Asset, print_export: bytes) -> None:
    """One line a file does not show a file's notes: the summary counts them, and a line written before the counts
    existed gets them from its report."""
    library = tmp_path / "library"
    library.mkdir()
    (library / "print.jpg").write_bytes(print_export)
    (library / "ad.png").write_bytes(ad.data)  # 1024²: read as it is, in its own layout
    out = tmp_path / "audit.jsonl"
    spec = str(ROOT / "brand_specs" / "northwind")
    args = ["validate", "--spec", spec, str(library), "--headline", HEADLINE, "--cta", CTA, "--jobs", "1"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert "note: 1 file(s) of more than 16,588,800 pixels checked reduced" in result.output
    assert "note: 1 file(s) checked in a format's layout scaled to their size" in result.output
    lines = read_audit(out)
    by_name = {Path(record.path).name: record for _, record in lines.files}
    assert by_name["print.jpg"].read_reduced and by_name["print.jpg"].layout_scaled
    assert not by_name["ad.png"].read_reduced and not by_name["ad.png"].layout_scaled
    summary = lines.heads[-1]
    assert isinstance(summary, AuditSummary) and (summary.read_reduced, summary.layout_scaled) == (1, 1)
    older = tmp_path / "older.jsonl"  # the same lines as an earlier brandkit wrote them: without the two fields
    with out.open(encoding="utf-8") as source, older.open("w", encoding="utf-8") as target:
        for line in source:
            event = json.loads(line)
            if event.get("event") == "file":
                event.pop("read_reduced"), event.pop("layout_scaled")
            target.write(json.dumps(event) + "\n")
    again = {Path(record.path).name: record for _, record in read_audit(older, reports=False).files}
    assert again["print.jpg"].read_reduced and again["print.jpg"].layout_scaled and not again["ad.png"].read_reduced


def _png_with_record(image: Image.Image, record: str) -> bytes:
    """``image`` as a PNG carrying ``record`` (a brandkit provenance record), as a print export that kept it."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("brandkit", record)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, compress_level=1)
    return out.getvalue()


def test_the_logo_is_looked_for_at_the_layouts_box_scaled_to_a_resized_or_reduced_file(
    kit_resources: KitResources, northwind: BrandSpec, ad: brandkit.Asset
) -> None:
    """The layout's logo box is in the record's pixels (1024²): the logo check looks there scaled to the image it
    reads — a print export that kept the record and is read reduced, a copy resized smaller — as the palette, OCR
    and contrast checks scale their boxes. Before, it looked at the 1024² box on the larger image, found nothing
    there and fell back to the whole-image search (which misses a logo softened by the enlargement)."""
    from brandkit.imageio import read_provenance

    record = read_provenance(ad.data)
    assert record is not None
    x0, y0, x1, y1 = json.loads(record)["logo_box"]  # where the layout put the logo file, in 1024² pixels
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local", checks=["logo"], signer=None)
    for side, read_at in ((4200, 2880), (768, 768)):
        data = _png_with_record(ad.image.convert("RGB").resize((side, side), Image.Resampling.LANCZOS), record)
        logo = kit.validate(data).checks["logo"]
        assert logo.status is CheckStatus.passed, logo.hint
        assert logo.details["method"] == "expected-box", logo.details["detection"]
        assert logo.details["detection"]["expected_box"].startswith("found"), logo.details["detection"]
        scale = read_at / 1024  # the box found is in the pixels of the image read, the layout's box scaled
        found = logo.details["box"]
        assert all(
            abs(a - b * scale) <= 0.03 * (x1 - x0) * scale + 2 for a, b in zip(found, (x0, y0, x1, y1), strict=True)
        ), found


def test_the_logo_size_rule_is_judged_in_the_files_pixels_when_the_file_is_read_reduced(
    kit_resources: KitResources, northwind: BrandSpec, ad: brandkit.Asset
) -> None:
    """``min_width_px`` is a size in the file: a print master read reduced shows its logo smaller than it is, and
    the rule must not fail it for that. A copy resized smaller (read at its own size) is judged at its own size."""
    from brandkit.imageio import read_provenance

    record = read_provenance(ad.data)
    assert record is not None
    x0, _, x1, _ = json.loads(record)["logo_box"]
    placed = x1 - x0  # the logo file's width in the 1024² ad
    # at 4200² the logo is 4.1 × placed wide; read reduced to 2880², 2.8 × placed: a minimum of 3.6 × placed
    minimum = round(3.6 * placed)
    logos = [v.model_copy(update={"min_width_px": minimum}) for v in northwind.logos]
    spec = northwind.model_copy(update={"logos": logos})
    kit = brandkit.BrandKit(spec, resources=kit_resources, provider="local", checks=["logo"], signer=None)
    master = _png_with_record(ad.image.convert("RGB").resize((4200, 4200), Image.Resampling.LANCZOS), record)
    logo = kit.validate(master).checks["logo"]
    assert logo.status is CheckStatus.passed, logo.hint
    assert logo.details["file_scale"] == pytest.approx(4200 / 2880, abs=1e-4)
    assert logo.details["rendered_width_px"] == pytest.approx(placed * 4200 / 1024, rel=0.03)
    assert logo.measures[0].setting.endswith("min_width_px")
    assert logo.measures[0].value == logo.details["rendered_width_px"]  # what calibrate proposes from: file pixels
    smaller = _png_with_record(ad.image.convert("RGB").resize((2880, 2880), Image.Resampling.LANCZOS), record)
    resized = kit.validate(smaller).checks["logo"]  # the same pixels, but this file is 2880² itself
    assert resized.status is CheckStatus.failed and "too_small" in resized.details["failed_rules"], resized.details
    assert "file_scale" not in resized.details
