"""Copy areas read at the detector size their copy needs, from the font sizes brandkit set (issue 21, item 1).

When brandkit draws the copy itself (``text="overlay"``, a text fix), compose knows each line's font size and the
CTA's pill: they travel to the checks' expectation, into the provenance record and back out of it for
``validate``, and ``ocr_regions.area_scale`` chooses each area's detector scale from them (no whole-image floor).
Text the model rendered, and old records without the sizes, read as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from pydantic import ValidationError

import brandkit
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.logo import LogoCheck
from brandkit.checks.ocr_reading import copy_font_px
from brandkit.checks.technical import TechnicalCheck
from brandkit.checks.text import TextCheck
from brandkit.compile import compile_prompt
from brandkit.compose import draw_copy
from brandkit.flows.validate import expectation_from_record
from brandkit.models import AssetRequest
from brandkit.ocr_regions import (
    AREA_MIN_FACTOR,
    FONT_LINE_RATIO,
    TARGET_LINE_PX,
    area_fonts,
    area_scale,
    full_scale,
    merge_areas,
)
from brandkit.pipeline import expectation_from_provenance
from brandkit.provenance import read_provenance_record
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec
from tests.checks_support import ocr_engine
from tests.test_fix_actions import Spoiler, missing_logo, spoiled_kit, wrong_copy

__all__ = ["ocr_engine"]  # the session fixture, re-exported for pytest

REQUEST = {
    "brief": "A ceramic cup of pour-over coffee on an oak table by a window",
    "format": "square",
    "seed": 1,
    "headline": "Slow mornings, bright roasts",
    "subhead": "Single-origin Ethiopia, roasted this week.",
    "cta": "Order ahead",
    "disclaimers": ["Offer valid at participating cafés."],
}


def _generate(spec: BrandSpec, resources: KitResources, text: str) -> brandkit.Asset:
    kit = brandkit.BrandKit(spec, resources=resources, provider="local", checks=[TechnicalCheck(), TextCheck()])
    return kit.generate(AssetRequest(**REQUEST, text=text))  # type: ignore[arg-type]


# --- the scale (pure) -------------------------------------------------------------------------------------------


def test_a_known_font_size_sets_the_area_scale_without_the_whole_image_floor() -> None:
    box, sweep, floor = (30, 100, 900, 450), 480 / 1024, full_scale(1024, 1024)
    # the sweep measured a CTA button (96 px) as the smallest line: today's rule falls back to the floor
    assert area_scale(box, [200.0, 96.0], sweep, floor) == pytest.approx(floor)
    known = area_scale(box, [200.0, 96.0], sweep, floor, font_px=29.0)
    assert known == pytest.approx(TARGET_LINE_PX / (FONT_LINE_RATIO * 29.0))
    assert known < floor
    # a line the sweep found smaller than the composed copy (text in a photo under it) still sets the scale
    assert area_scale(box, [200.0, 30.0], sweep, floor, font_px=40.0) == pytest.approx(TARGET_LINE_PX / 30.0)
    # bounded as before: never below AREA_MIN_FACTOR × the sweep's scale, never above 1:1
    assert area_scale(box, [], sweep, floor, font_px=200.0) == pytest.approx(AREA_MIN_FACTOR * sweep)
    assert area_scale(box, [], sweep, floor, font_px=6.0) == 1.0


def test_font_sizes_follow_the_areas_into_merged_boxes_and_unknown_wins() -> None:
    areas = [(10, 10, 100, 50), (20, 56, 100, 80), (0, 900, 1024, 1020)]
    merged = merge_areas(areas, 1024, 1024, margin=8)
    assert area_fonts(areas, [30.0, 22.0, 18.0], merged, 8) == [22.0, 18.0]
    assert area_fonts(areas, [30.0, None, 18.0], merged, 8) == [None, 18.0]
    assert area_fonts(areas, [30.0], merged, 8) == [None, None]  # not one per area: unknown, never guessed


# --- compose → expectation → provenance → validate -----------------------------------------------------------------


def test_compose_reports_the_smallest_size_per_area_and_the_cta_pill(northwind: BrandSpec) -> None:
    prompt = compile_prompt(northwind, AssetRequest(**REQUEST, text="overlay"))  # type: ignore[arg-type]
    canvas = Image.new("RGB", (prompt.width, prompt.height), "white")
    comp = draw_copy(canvas, northwind, prompt.layout, prompt.copy_block)
    composed = comp.composed(prompt.layout)
    copy_sizes = [comp.font_px[k] for k in ("headline", "subhead", "cta")]
    assert composed.font_px == [min(copy_sizes), comp.font_px["disclaimer[0]"]]
    assert comp.font_px["headline"] > min(copy_sizes)
    assert composed.cta_box == comp.copy_boxes["cta"].as_tuple()


def test_overlay_copy_sizes_reach_the_checks_the_record_and_validate(
    northwind: BrandSpec, kit_resources: KitResources, tmp_path: Path
) -> None:
    asset = _generate(northwind, kit_resources, "overlay")
    assert asset.composed is not None
    sizes = asset.composed.font_px
    assert len(sizes) == 2 and all(isinstance(s, int) and s > 0 for s in sizes)
    # the checks of the fresh generate read the areas at the size the copy needs
    layout = asset.report.checks["text"].details["ocr_layout"]
    assert layout["font_px_known"] is True
    floor = full_scale(asset.width, asset.height)
    assert all(a["scale"] < floor for a in layout["areas"])  # the whole-image floor no longer applies
    # the record embedded in the file (and the sidecar) carries them
    record = read_provenance_record(asset.data).record
    assert record is not None and record.copy_font_px == sizes
    assert record.cta_box is not None and tuple(record.cta_box) == asset.composed.cta_box
    saved = asset.save(tmp_path / "ad.png")
    sidecar = json.loads(saved.with_suffix(".png.json").read_text("utf-8"))
    assert sidecar["provenance"]["copy_font_px"] == sizes
    # validate of the saved file reads the same sizes and the same area scales
    expectation = expectation_from_provenance(saved.read_bytes(), "png")
    assert expectation.copy_font_px == sizes and expectation.cta_box == asset.composed.cta_box
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local", checks=[TextCheck()])
    again = kit.validate(saved).checks["text"]
    assert again.status.value == "passed"
    assert again.details["ocr_layout"]["areas"] == layout["areas"]


def test_text_the_model_rendered_has_no_sizes_and_reads_as_before(
    northwind: BrandSpec, kit_resources: KitResources
) -> None:
    asset = _generate(northwind, kit_resources, "render")
    assert asset.composed is None
    record = read_provenance_record(asset.data).record
    assert record is not None and record.copy_font_px is None and record.cta_box is None
    layout = asset.report.checks["text"].details["ocr_layout"]
    assert layout["font_px_known"] is False
    floor = full_scale(asset.width, asset.height)
    assert all(a["scale"] >= floor - 1e-3 for a in layout["areas"])  # today's rule: the floor holds


def test_an_old_record_without_the_sizes_reads_as_before(northwind: BrandSpec, kit_resources: KitResources) -> None:
    asset = _generate(northwind, kit_resources, "overlay")
    record = read_provenance_record(asset.data).record
    assert record is not None
    old = record.model_dump(by_alias=True, exclude={"copy_font_px", "cta_box"})
    old_record = type(record).model_validate(old)
    assert old_record.copy_font_px is None and old_record.cta_box is None
    expectation = expectation_from_record(old_record, "png")
    assert expectation.copy_font_px == [] and expectation.cta_box is None
    assert expectation.copy_boxes == expectation_from_record(record, "png").copy_boxes


def test_sizes_are_bounded_and_must_match_the_areas() -> None:
    with pytest.raises(ValidationError):
        Expectation(copy_font_px=[0])
    with pytest.raises(ValidationError):
        Expectation(copy_font_px=[5000])
    with pytest.raises(ValidationError):
        Expectation(copy_font_px=[20, 20, 20, 20, 20])
    base = {
        "generator": "brandkit/1",
        "spec_name": "x",
        "spec_fingerprint": "f",
        "prompt_hash": "h",
        "provider": "local",
        "model": "m",
        "attempt": 1,
        "format": "square",
        "size": "1024x1024",
        "output_format": "png",
        "transparent": False,
        "logo_variant": None,
        "logo_box": None,
        "copy_boxes": [[0, 0, 10, 10]],
        "copy": {},
        "checks": {},
    }
    from brandkit.provenance import ProvenanceRecord

    assert ProvenanceRecord.model_validate({**base, "copy_font_px": [24]}).copy_font_px == [24]
    for bad in ([24, 18], [0], [100000]):
        with pytest.raises(ValidationError):
            ProvenanceRecord.model_validate({**base, "copy_font_px": bad})
    with pytest.raises(ValidationError):
        ProvenanceRecord.model_validate({**base, "cta_box": [1, 2, 3]})


@pytest.mark.parametrize(("spoil", "drawn"), [(wrong_copy, True), (missing_logo, False)], ids=["text-fix", "logo-fix"])
def test_a_text_fix_records_the_sizes_it_set_and_a_logo_fix_does_not(
    northwind: BrandSpec, kit_resources: KitResources, spoil: Spoiler, drawn: bool
) -> None:
    kit, provider = spoiled_kit(northwind, kit_resources, spoil, [TextCheck(), LogoCheck()])
    request = {**REQUEST, "format": "landscape", "disclaimers": [], "text": "render", "logo": "reference"}
    asset = kit.generate(AssetRequest(**request, policies={"text": "fix", "logo": "fix"}))  # type: ignore[arg-type]
    assert provider.calls == 1 and any(f.startswith("fix:") for f in asset.fixes)
    assert (asset.composed is not None) is drawn  # the model's own text has no known sizes
    assert asset.report.checks["text"].details["ocr_layout"]["font_px_known"] is drawn
    record = read_provenance_record(asset.data).record
    assert record is not None and (record.copy_font_px is not None) is drawn


def test_sizes_scale_with_a_resized_file(northwind: BrandSpec) -> None:
    expectation = Expectation(width=1024, height=1024, copy_boxes=[(0, 0, 10, 10), (0, 20, 10, 30)])
    image = Image.new("RGB", (512, 512), "white")
    ctx = CheckContext(
        spec=northwind,
        image=image,
        data=b"",
        expectation=expectation.model_copy(update={"copy_font_px": [30, None]}),
        resources=CheckResources(),
    )
    assert copy_font_px(ctx) == [15.0, None]
    ctx.expectation = expectation
    assert copy_font_px(ctx) == []
