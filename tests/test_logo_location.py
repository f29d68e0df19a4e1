"""The logo the logo check found, read by the contrast check: WCAG 1.4.3 exempts logotypes.

With no copy expected (a file without provenance) the contrast check measures every line OCR reads — and OCR reads
a letter inside a logo mark (the Ubuntu circle of friends reads as "u", white on orange, 3.6:1: 9 of the gate
corpus' 11 contrast false rejects). The logo check records where it found the logo
(:mod:`brandkit.checks.logo_location`); the contrast check leaves the lines inside it out and says so.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from benchmarks.bench_checks import COPY, make_poster
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.contrast import ContrastCheck, contrast_ratio
from brandkit.checks.logo import LogoCheck
from brandkit.checks.logo_location import LOGO_LOCATION_MEMO_KEY, LogoLocation, located_logo, record_logo
from brandkit.checks.registry import check_classes
from brandkit.imageio import encode_image
from brandkit.models import CheckStatus
from brandkit.ocr import OcrLine
from brandkit.spec.models import BrandSpec
from tests.checks_support import FakeOcr, context, font, make_spec, resources_with

ORANGE, WHITE, INK = (0xE9, 0x54, 0x20), (0xFF, 0xFF, 0xFF), (0x1E, 0x1B, 0x18)


def _page() -> tuple[Image.Image, list[OcrLine], tuple[int, int, int, int]]:
    """A white page with dark copy and a logo: an orange disc with a white "u" beside its wordmark."""
    image = Image.new("RGB", (800, 400), WHITE)
    draw = ImageDraw.Draw(image)
    logo = (40, 40, 300, 120)
    draw.ellipse((44, 44, 116, 116), fill=ORANGE)
    draw.text((64, 50), "u", font=font(48, bold=True), fill=WHITE)
    draw.text((130, 52), "ubuntu", font=font(48, bold=True), fill=INK)
    draw.text((40, 200), "Fast, free and open", font=font(40, bold=False), fill=INK)
    lines = [
        OcrLine("u", (60, 52, 104, 110), 0.9),
        OcrLine("ubuntu", (128, 50, 296, 112), 0.98),
        OcrLine("Fast, free and open", (36, 196, 460, 248), 0.98),
    ]
    return image, lines, logo


def test_the_contrast_check_leaves_the_logos_own_text_out(tmp_path: Path) -> None:
    assert contrast_ratio(WHITE, ORANGE) < 4.5  # the mark itself would fail as text
    spec = make_spec(tmp_path)
    image, lines, logo = _page()

    def checked(location: LogoLocation | None, ocr: list[OcrLine]) -> tuple[CheckContext, object]:
        ctx = context(spec, image, resources_with(FakeOcr(ocr)), copy_source="none")
        if location is not None:
            record_logo(ctx, location)
        return ctx, ContrastCheck().run(ctx)

    _, unknown = checked(None, lines)  # the logo check did not run (or found nothing): every line, as before
    assert unknown.status is CheckStatus.failed and "logotype" not in unknown.details
    assert [line["text"] for line in unknown.details["lines"] if not line["passed"]] == ["u"]
    ctx, known = checked(LogoLocation("primary", logo), lines)
    assert located_logo(ctx) == LogoLocation("primary", logo)
    assert known.status is CheckStatus.passed
    assert known.details["logotype"] == {"logo_box": list(logo), "variant": "primary", "lines": [0, 1]}
    assert [line["text"] for line in known.details["lines"]] == ["Fast, free and open"]
    assert known.details["measured"] == "every OCR line outside the logo (no copy expected)"
    _, only_logo = checked(LogoLocation("primary", logo), lines[:2])
    assert only_logo.status is CheckStatus.skipped and "besides the logo" in only_logo.details["reason"]


def test_expected_copy_is_measured_even_inside_a_logo_box(tmp_path: Path) -> None:
    """Copy the request asked for is copy, wherever it sits: the exemption is for files without expected copy."""
    spec = make_spec(tmp_path)
    image, lines, logo = _page()
    ctx = context(spec, image, resources_with(FakeOcr(lines)), copy_block={"headline": "u"})
    record_logo(ctx, LogoLocation("primary", logo))
    res = ContrastCheck().run(ctx)
    assert res.status is CheckStatus.failed and "logotype" not in res.details


def test_the_logo_check_records_what_it_found_and_only_that(northwind: BrandSpec) -> None:
    resources = CheckResources()

    def run(logo_px: int | None) -> CheckContext:
        poster = make_poster(northwind, 640, 640, logo_px=logo_px, seed=0)
        exp = Expectation(
            width=640, height=640, output_format="png", copy_block=COPY, logo_variant="primary", background_tone="light"
        )
        ctx = CheckContext(
            spec=northwind, image=poster, data=encode_image(poster, "png"), expectation=exp, resources=resources
        )
        res = LogoCheck().run(ctx)
        assert res.details["found"] is (logo_px is not None)
        return ctx

    found = located_logo(run(200))
    assert found is not None and found.variant == "primary"
    x0, y0, x1, y1 = found.box
    assert 150 <= x1 - x0 <= 260 and y1 > y0  # the logo's box, about the 200 px it was drawn at
    missing = run(None)
    assert located_logo(missing) is None and missing.memoised(LOGO_LOCATION_MEMO_KEY) is None
    names = [cls.info.name for cls in check_classes()]
    assert names.index("logo") < names.index("contrast")  # the reading exists when the contrast check runs
