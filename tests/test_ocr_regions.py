"""Layout-guided OCR (brandkit/ocr_regions.py): copy areas read at the scale their lines need, one cheap sweep of
the whole image for text anywhere else, the whole-image read as the named fallback, and quiet engine threads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import brandkit
from benchmarks.bench_ocr import full_copy_request
from brandkit.checks.base import CheckContext, CheckResources
from brandkit.checks.contrast import ContrastCheck
from brandkit.checks.ocr_reading import OCR_MODE_RESOURCE_KEY, ocr_for_context
from brandkit.checks.text import TextCheck
from brandkit.checks.text_details import TextDetails
from brandkit.imageio import encode_image
from brandkit.models import CheckStatus
from brandkit.ocr import OcrLine, RapidOcrEngine
from brandkit.ocr_rapid import NO_SPINNING, grid_window, pads_wide_strip, spinning_entries, to_bgr
from brandkit.ocr_regions import AREA_MIN_FACTOR, area_scale, full_scale, merge_areas, read_layout, sweep_scale
from brandkit.pipeline import expectation_for
from brandkit.provider.local import LocalRenderer
from brandkit.spec.models import BrandSpec
from tests.checks_support import FakeOcr, Poster, Text, context, make_spec, ocr_engine, resources_with

__all__ = ["ocr_engine"]  # the session fixture, re-exported for pytest

ROOT = Path(__file__).resolve().parents[1]
COPY = {"headline": "Fresh Roast Friday", "cta": "Order now"}
COPY_AREA = (48, 80, 980, 420)


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> BrandSpec:
    return make_spec(tmp_path_factory.mktemp("regions"))


def _resources(engine: object, mode: str | None = None) -> CheckResources:
    resources = CheckResources()
    resources.put("ocr", engine)
    if mode is not None:
        resources.put(OCR_MODE_RESOURCE_KEY, mode)
    return resources


def _poster(extra: list[Text] | None = None) -> Image.Image:
    texts = [Text("Fresh Roast Friday", (64, 120), 84), Text("Order now", (64, 300), 48), *(extra or [])]
    return Poster(texts=texts).render()


# --- planning (pure) --------------------------------------------------------------------------------------------


def test_areas_are_widened_clipped_and_merged_when_they_overlap() -> None:
    boxes = merge_areas([(10, 10, 100, 50), (20, 56, 100, 80), (0, 900, 1024, 1020)], 1024, 1024, margin=8)
    assert boxes == [(2, 2, 108, 88), (0, 892, 1024, 1024)]


def test_scales_of_the_sweep_and_of_the_whole_image_read() -> None:
    assert sweep_scale(1024, 1024) == pytest.approx(480 / 1024)
    assert full_scale(1536, 1024) == pytest.approx(0.625)
    assert full_scale(800, 600) == 1.0  # never enlarged


def test_area_scale_follows_the_smallest_line_within_the_sweep_floor_and_the_detector_limit() -> None:
    sweep = sweep_scale(1024, 1024)
    box = (0, 0, 960, 400)
    assert area_scale(box, [], sweep) == 1.0  # nothing seen by the sweep: full detail
    assert area_scale(box, [30.0, 80.0], sweep) == pytest.approx(0.8)  # 24 px target for the 30 px line
    assert area_scale(box, [200.0], sweep) == pytest.approx(AREA_MIN_FACTOR * sweep)  # never below the floor
    assert area_scale(box, [6.0], sweep) == 1.0  # never enlarged beyond 1:1
    assert area_scale((0, 0, 1920, 400), [], 0.25) == pytest.approx(0.5)  # the detector's 960 px limit
    # never more coarsely than the whole-image read: a button measured as an 87 px line keeps the full read's scale
    assert area_scale(box, [87.0], 0.25) == pytest.approx(AREA_MIN_FACTOR * 0.25)
    assert area_scale(box, [87.0], 0.25, full_scale(1080, 1920)) == pytest.approx(0.5)


def test_grid_windows_are_aligned_and_never_thin_strips() -> None:
    window = grid_window((56, 924, 1480, 968), 0.625, 0.625, (640, 960))
    x0, y0, x1, y1 = window
    assert all(v % 32 == 0 for v in window)
    assert x0 <= 56 * 0.625 and x1 >= 1480 * 0.625 and y0 <= 924 * 0.625 and y1 >= 968 * 0.625
    assert (x1 - x0) / (y1 - y0) <= 8  # rapidocr would pad a thinner strip with blank rows


# --- the real engine ------------------------------------------------------------------------------------------


def test_engine_threads_do_not_spin_between_reads(ocr_engine: RapidOcrEngine) -> None:
    engine = RapidOcrEngine()
    engine.load()
    assert engine.available and engine.spinning is None
    rapid = engine._engine
    for part in (rapid.text_det, rapid.text_rec):
        assert spinning_entries(part.session.session) == NO_SPINNING


def test_layout_reading_reads_the_copy_and_text_outside_the_areas(ocr_engine: RapidOcrEngine) -> None:
    image = _poster([Text("Visit Contoso today", (64, 760), 40)])  # outside the copy area: found by the sweep
    reading = read_layout(ocr_engine, image, [COPY_AREA])
    texts = [line.text for line in reading.lines]
    assert texts == ["Fresh Roast Friday", "Order now", "Visit Contoso today"]
    assert reading.swept_lines == 1
    assert [area.lines for area in reading.areas] == [2]
    full = [line.text for line in ocr_engine.read(image)]
    assert texts == full


def test_only_low_strips_keep_the_detector_padding_when_wide_padding_is_off() -> None:
    assert pads_wide_strip((81, 904, 3), True)  # rapidocr's behaviour: a strip wider than 8:1 is padded
    assert not pads_wide_strip((81, 904, 3), False)  # a disclaimer area: detected as it is
    assert pads_wide_strip((30, 904, 3), False)  # 30 px or lower: still padded (the detector needs the rows)
    assert pads_wide_strip((81, 2100, 3), False)  # beyond rapidocr's 2,000 px bound: its own path, padded


class _InputHeights:
    """Stands in for the detector's onnxruntime session and records the height of every input it is given."""

    def __init__(self, session: Any) -> None:
        self.session, self.heights = session, []

    def get_inputs(self) -> Any:
        return self.session.get_inputs()

    def run(self, names: Any, feed: dict[str, np.ndarray]) -> Any:
        self.heights.extend(int(tensor.shape[2]) for tensor in feed.values())
        return self.session.run(names, feed)


def test_a_disclaimer_area_is_detected_without_padding_rows_and_reads_the_same(
    ocr_engine: RapidOcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    legal = "Offer valid at participating cafes until 31 May."
    image = _poster([Text(legal, (64, 948), 22, bold=False)])
    bgr, strip = to_bgr(image), (40, 930, 984, 1000)  # 944×70 px: wider than 8× its height
    spy = _InputHeights(ocr_engine.sessions()[0])  # type: ignore[attr-defined]
    monkeypatch.setattr(ocr_engine, "_det", spy)
    padded = ocr_engine.detect(bgr, strip, 0.9)
    unpadded = ocr_engine.detect(bgr, strip, 0.9, wide_padding=False)
    assert spy.heights[0] >= 2 * 944 * 0.9 / 8 - 32  # rapidocr's padding: rows up to an 8:1 strip, twice over
    assert spy.heights[1] == 64  # the crop's own 63 rows and one black row: the detector's 32-px grid
    assert len(padded) == len(unpadded) == 1
    assert np.abs(padded[0] - unpadded[0]).max() <= 6  # the same line, its box within a few pixels
    texts = [[line.text for line in ocr_engine.recognize(bgr, quads)] for quads in (padded, unpadded)]
    assert texts == [[legal], [legal]]
    monkeypatch.undo()
    reading = read_layout(ocr_engine, image, [COPY_AREA, (48, 940, 980, 990)])
    assert [line.text for line in reading.lines] == ["Fresh Roast Friday", "Order now", legal]


def test_small_copy_the_sweep_cannot_see_is_read_in_its_area(ocr_engine: RapidOcrEngine) -> None:
    legal = "Offer valid at participating cafes until 31 May."
    image = _poster([Text(legal, (64, 960), 10, bold=False)])
    sweep = read_layout(ocr_engine, image, [])  # no areas: the sweep alone (too coarse for 10 px type)
    assert legal not in [line.text for line in sweep.lines]
    reading = read_layout(ocr_engine, image, [COPY_AREA, (48, 950, 980, 980)])
    assert legal in [line.text for line in reading.lines]
    assert reading.areas[1].scale > reading.sweep_scale


def test_text_check_reads_by_layout_and_still_catches_forbidden_text_elsewhere(
    spec: BrandSpec, ocr_engine: RapidOcrEngine
) -> None:
    image = _poster([Text("Visit Contoso today", (64, 760), 40)])
    ctx = context(spec, image, _resources(ocr_engine), copy_block=COPY, copy_boxes=[COPY_AREA], width=1024, height=1024)
    res = TextCheck().run(ctx)
    details = TextCheck.info.details(res)
    assert isinstance(details, TextDetails)
    assert details.ocr_mode == "layout" and details.ocr_mode_reason is None
    assert details.ocr_layout is not None and details.ocr_layout.lines_outside_areas == 1
    assert res.status == CheckStatus.failed
    assert [hit.rule for hit in details.forbidden] == ["Contoso"]
    assert details.strings["headline"].exact and details.strings["cta"].exact
    contrast = ContrastCheck().run(ctx)  # the same reading, shared through the memo
    assert contrast.details["ocr_mode"] == "layout"


def test_file_without_a_layout_is_read_whole_and_says_so(spec: BrandSpec, ocr_engine: RapidOcrEngine) -> None:
    ctx = context(spec, _poster(), _resources(ocr_engine), copy_block=COPY)
    res = TextCheck().run(ctx)
    assert res.status == CheckStatus.passed
    assert res.details["ocr_mode"] == "full"
    assert "no layout known" in res.details["ocr_mode_reason"]
    assert "ocr_layout" not in res.details


def test_engine_that_reads_whole_images_only_falls_back_with_the_reason(spec: BrandSpec) -> None:
    fake = FakeOcr(
        [OcrLine("Fresh Roast Friday", (64, 120, 700, 200), 0.99), OcrLine("Order now", (64, 300, 300, 350), 0.99)]
    )
    ctx = context(spec, _poster(), resources_with(fake), copy_block=COPY, copy_boxes=[COPY_AREA])
    res = TextCheck().run(ctx)
    assert res.status == CheckStatus.passed and fake.calls == 1
    assert res.details["ocr_mode"] == "full"
    assert "reads whole images only" in res.details["ocr_mode_reason"]


def test_full_mode_can_be_asked_for(spec: BrandSpec, ocr_engine: RapidOcrEngine) -> None:
    ctx = context(spec, _poster(), _resources(ocr_engine, "full"), copy_block=COPY, copy_boxes=[COPY_AREA])
    reading = ocr_for_context(ctx)
    assert reading.mode == "full" and "asked for" in (reading.mode_reason or "")
    bad = context(spec, _poster(), _resources(ocr_engine, "fast"), copy_block=COPY, copy_boxes=[COPY_AREA])
    res = TextCheck().run(bad)
    assert res.status == CheckStatus.not_checked
    assert "'layout' or 'full'" in res.details["error"]


@pytest.mark.parametrize(("brand", "fmt"), [("northwind", "square"), ("lumen-health", "banner")])
def test_rendered_assets_read_the_same_by_layout_as_whole(brand: str, fmt: str, ocr_engine: RapidOcrEngine) -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / brand)
    request = full_copy_request("regions", "Slow mornings, bright roasts", fmt)
    prompt = brandkit.compile(spec, request)
    image = LocalRenderer(spec).draw(prompt, seed=3)
    expectation = expectation_for(prompt)
    ctx = CheckContext(
        spec=spec,
        image=image,
        data=encode_image(image, "png"),
        expectation=expectation,
        resources=_resources(ocr_engine),
    )
    res = TextCheck().run(ctx)
    assert res.details["ocr_mode"] == "layout"
    assert res.status == CheckStatus.passed, res.hint
    layout_texts = [line["text"] for line in res.details["ocr_lines"]]
    assert layout_texts == [line.text for line in ocr_engine.read(image)]


def test_copy_areas_outside_the_image_fall_back_to_the_full_read(spec: BrandSpec, ocr_engine: RapidOcrEngine) -> None:
    ctx = context(
        spec,
        _poster(),
        _resources(ocr_engine),
        copy_block=COPY,
        copy_boxes=[(2000, 2000, 2400, 2100), (50, 50, 50, 90)],
    )
    res = TextCheck().run(ctx)
    assert res.details["ocr_mode"] == "full"
    assert "lie outside" in res.details["ocr_mode_reason"]
    assert res.status == CheckStatus.passed
