"""The whole-image read when no layout is known: PP-OCRv6 tiny finds the lines, the reference recogniser (PP-OCRv6
small) reads every one of them; the reference models read the whole image again only when a required string is
read in part (``brandkit.checks.ocr_reading``, issue 21).

Real images (the local renderer's Northwind ad, a photograph of the gate corpus, real fonts), the real engines;
every reading compared with what the reference models read themselves.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

import brandkit
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.ocr_reading import NO_LAYOUT, OCR_FAST_RESOURCE_KEY, OCR_MODE_RESOURCE_KEY, ocr_for_context
from brandkit.checks.technical import TechnicalCheck
from brandkit.checks.text import TextCheck
from brandkit.checks.text_details import TextDetails
from brandkit.imageio import encode_image, load_image
from brandkit.models import AssetRequest
from brandkit.ocr import OCR_RESOURCE_KEY, OcrLine, OcrReading, reading_order, to_bgr
from brandkit.ocr_onnx import OCR_FAST_ENGINE_KEY, REFERENCE_MODELS, TINY_MODELS, OnnxOcrEngine, fast_ocr_engine
from brandkit.ocr_regions import full_scale
from brandkit.pipeline import expectation_from_provenance
from brandkit.spec.models import BrandSpec
from tests.support.gate_corpus import load_cases, render_all
from tests.test_ocr_area_sizes import REQUEST as AREA_REQUEST

ROOT = Path(__file__).resolve().parents[1]
FONT = ROOT / "brand_specs" / "northwind" / "fonts" / "Lato-Black.ttf"
UNKNOWN = Expectation(output_format="png", copy_source="none")  # a file brandkit did not make, no request


@pytest.fixture(scope="module")
def ad(northwind: BrandSpec) -> tuple[Image.Image, Expectation]:
    """The Northwind square ad (copy composed by brandkit, the spec's disclaimer on it) and its provenance."""
    kit = brandkit.BrandKit(northwind, provider="local", checks=[TechnicalCheck()], moderator=None, signer=None)
    data = kit.generate(AssetRequest(**{**AREA_REQUEST, "text": "overlay"})).data  # type: ignore[arg-type]
    return load_image(data), expectation_from_provenance(data, "png")


@pytest.fixture(scope="module")
def engine() -> OnnxOcrEngine:
    """One reference engine for the module; each test gets fresh resources around it."""
    return OnnxOcrEngine()


def _read(
    spec: BrandSpec, image: Image.Image, expectation: Expectation, engine: OnnxOcrEngine, **resources: object
) -> tuple[OcrReading, CheckContext]:
    held = CheckResources()
    held.put(OCR_RESOURCE_KEY, engine)
    for key, value in resources.items():
        held.put(key, value)
    ctx = CheckContext(spec=spec, image=image, data=encode_image(image, "png"), expectation=expectation, resources=held)
    return ocr_for_context(ctx), ctx


def _count_reads(engine: OnnxOcrEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the reference engine's own whole-image reads (``read``) from now on."""
    calls: list[int] = []
    real: Callable[[Image.Image], list[OcrLine]] = engine.read

    def counted(image: Image.Image) -> list[OcrLine]:
        calls.append(1)
        return real(image)

    monkeypatch.setattr(engine, "read", counted)
    return calls


def test_the_tiny_detector_finds_the_lines_and_the_reference_recogniser_reads_each(
    northwind: BrandSpec, ad: tuple[Image.Image, Expectation], engine: OnnxOcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, _ = ad
    reference = [line.text for line in engine.read(image)]  # the reference models' own whole-image read
    reads = _count_reads(engine, monkeypatch)
    reading, ctx = _read(northwind, image, UNKNOWN, engine)
    assert reading.mode == "full" and reading.mode_reason == NO_LAYOUT
    assert reading.extra["full"] == {
        "detector": TINY_MODELS.name,
        "recogniser": REFERENCE_MODELS.name,
        "fast_accepted": True,
        "reason": "every required string read exactly",  # the spec's disclaimer, the one string it demands
    }
    assert reads == []  # the reference detector never ran
    tiny = fast_ocr_engine(ctx.resources, engine)
    assert tiny is not None
    bgr = to_bgr(image)
    quads = tiny.detect(bgr, (0, 0, image.width, image.height), full_scale(image.width, image.height))
    assert reading.lines == reading_order(engine.recognize(bgr, quads))  # tiny's boxes, the reference's words
    assert sorted(line.text for line in reading.lines or []) == sorted(reference)
    result = TextCheck().run(ctx)
    assert result.status.value == "passed", result.details
    details = TextDetails.model_validate(result.details)
    assert details.ocr_full is not None and details.ocr_full.detector == TINY_MODELS.name


def test_a_photograph_without_the_disclaimer_is_read_once(
    northwind: BrandSpec, engine: OnnxOcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = next(c for c in load_cases() if c.id == "northwind-cafe-cat-square-bare-photo")
    image = load_image(render_all([case])[case.id].read_bytes())
    reads = _count_reads(engine, monkeypatch)
    reading, ctx = _read(northwind, image, UNKNOWN, engine)
    full = reading.extra["full"]
    assert full["fast_accepted"] is True and full["detector"] == TINY_MODELS.name
    assert "absent, not misread" in full["reason"] and "required" in full["reason"]
    assert reads == []  # nothing resembling the disclaimer anywhere: no second read of the whole image
    result = TextCheck().run(ctx)
    assert result.status.value == "failed"  # the disclaimer the spec demands is not there
    assert result.details["strings"]["required[0]"]["found"] is False


def test_a_required_string_read_in_part_is_read_again_by_the_reference_models(
    northwind: BrandSpec, ad: tuple[Image.Image, Expectation], engine: OnnxOcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, provenance = ad
    block = provenance.copy_block
    assert block is not None
    wrong = block.model_copy(update={"headline": "Slow mornings, bold"})  # the request's copy, not what is drawn
    known_copy = provenance.model_copy(update={"copy_boxes": [], "copy_block": wrong})  # but no layout
    reference = engine.read(image)
    reads = _count_reads(engine, monkeypatch)
    reading, ctx = _read(northwind, image, known_copy, engine)
    full = reading.extra["full"]
    assert full["fast_accepted"] is False and "headline" in full["reason"], full
    assert full["detector"] == REFERENCE_MODELS.name
    assert reads == [1] and reading.lines == reference  # the reference reading, line for line and box for box
    assert TextCheck().run(ctx).status.value == "failed"


def test_text_drawn_on_a_photograph_is_read_by_the_reference_recogniser(
    northwind: BrandSpec, engine: OnnxOcrEngine
) -> None:
    case = next(c for c in load_cases() if c.id == "northwind-cafe-cat-square-bare-photo")
    image = load_image(render_all([case])[case.id].read_bytes()).convert("RGB")
    ImageDraw.Draw(image).text((80, 860), "Rival Roasters", font=ImageFont.truetype(str(FONT), 44), fill="white")
    reading, _ = _read(northwind, image, UNKNOWN, engine)
    assert reading.extra["full"]["detector"] == TINY_MODELS.name
    assert "Rival Roasters" in [line.text for line in reading.lines or []]
    assert "Rival Roasters" in [line.text for line in engine.read(image)]


@pytest.mark.parametrize("resource", [(OCR_MODE_RESOURCE_KEY, "full"), (OCR_FAST_RESOURCE_KEY, False)])
def test_the_full_read_asked_for_or_the_fast_models_off_is_the_reference_read_alone(
    northwind: BrandSpec, ad: tuple[Image.Image, Expectation], engine: OnnxOcrEngine, resource: tuple[str, object]
) -> None:
    image, _ = ad
    key, value = resource
    reading, _ = _read(northwind, image, UNKNOWN, engine, **{key: value})
    assert reading.mode == "full" and "full" not in reading.extra
    assert reading.lines == engine.read(image)


def test_a_picture_the_tiny_detector_takes_for_one_line_sends_the_image_to_the_reference_models(
    northwind: BrandSpec, engine: OnnxOcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit benchmark's Northwind portrait ad resized to 384 px (JPEG): the tiny detector takes the photograph
    and the 10-px disclaimer under it for one 177-px line, so the disclaimer would look absent; the reference models
    read the whole image instead and find it."""
    kit = brandkit.BrandKit(northwind, provider="local", checks=[TechnicalCheck()], moderator=None, signer=None)
    request = AssetRequest(
        brief="Morning light over a city street",
        format="portrait",
        seed=1,
        headline="Fresh every morning",
        cta="Order ahead",
    )  # benchmarks/bench_audit.py's render
    render = kit.generate(request).image.convert("RGB")
    scale = 384 / max(render.size)
    small = render.resize((round(render.width * scale), round(render.height * scale)), Image.Resampling.LANCZOS)
    jpeg = io.BytesIO()
    small.save(jpeg, format="JPEG", quality=88)
    image = load_image(jpeg.getvalue())
    reads = _count_reads(engine, monkeypatch)
    reading, ctx = _read(northwind, image, UNKNOWN, engine)
    full = reading.extra["full"]
    assert full["fast_accepted"] is False and "taller than 20%" in full["reason"], full
    assert full["detector"] == REFERENCE_MODELS.name and reads == [1]
    result = TextCheck().run(ctx)
    assert result.details["strings"]["required[0]"]["found"] is True, result.details["ocr_lines"]


def test_fast_models_that_cannot_load_are_named_and_the_reference_models_read(
    northwind: BrandSpec, ad: tuple[Image.Image, Expectation], engine: OnnxOcrEngine
) -> None:
    image, _ = ad
    broken = OnnxOcrEngine(models=dataclasses.replace(TINY_MODELS, det="no-such-detector.onnx"))
    reading, _ = _read(northwind, image, UNKNOWN, engine, **{OCR_FAST_ENGINE_KEY: broken})
    full = reading.extra["full"]
    assert full["fast_accepted"] is False and full["detector"] == REFERENCE_MODELS.name
    assert full["reason"].startswith("the fast models could not load") and "no-such-detector.onnx" in full["reason"]
    assert reading.lines == engine.read(image)
