"""The fast first read of a known layout: PP-OCRv6 tiny, confirmed against the expected copy, the reference models
(PP-OCRv6 small) for everything it does not confirm (``brandkit.checks.ocr_reading``, issue 21 item 1).

Real images (the local renderer's composed ad, real fonts), the real engines; every reading compared with what the
reference models alone read from the same image.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

import brandkit
from brandkit import ocr_models
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.copy_text import part_of_copy
from brandkit.checks.ocr_reading import OCR_FAST_RESOURCE_KEY, ocr_for_context
from brandkit.checks.technical import TechnicalCheck
from brandkit.checks.text import TextCheck
from brandkit.imageio import encode_image, load_image
from brandkit.models import AssetRequest
from brandkit.ocr import OCR_RESOURCE_KEY, OcrReading
from brandkit.ocr_onnx import TINY_MODELS, OnnxOcrEngine, fast_ocr_engine
from brandkit.ocr_regions import read_layout
from brandkit.pipeline import expectation_from_provenance
from brandkit.spec.models import BrandSpec
from tests.test_ocr_area_sizes import REQUEST as AREA_REQUEST

ROOT = Path(__file__).resolve().parents[1]
FONT = ROOT / "brand_specs" / "northwind" / "fonts" / "Lato-Black.ttf"

REQUEST = {**AREA_REQUEST, "text": "overlay"}  # the Northwind square ad, copy composed by brandkit


@pytest.fixture(scope="module")
def composed(northwind: BrandSpec) -> tuple[Image.Image, Expectation]:
    """The Northwind square ad with the copy composed by brandkit, and the expectation its provenance gives."""
    kit = brandkit.BrandKit(northwind, provider="local", checks=[TechnicalCheck()], moderator=None, signer=None)
    data = kit.generate(AssetRequest(**REQUEST)).data  # type: ignore[arg-type]
    return load_image(data), expectation_from_provenance(data, "png")


@pytest.fixture(scope="module")
def engine() -> OnnxOcrEngine:
    """One reference engine for the module (PP-OCRv6 small); each test gets fresh resources around it."""
    return OnnxOcrEngine()


def _read(
    spec: BrandSpec, image: Image.Image, expectation: Expectation, engine: OnnxOcrEngine, fast: bool = True
) -> tuple[OcrReading, CheckContext]:
    resources = CheckResources()
    resources.put(OCR_RESOURCE_KEY, engine)
    resources.put(OCR_FAST_RESOURCE_KEY, fast)
    ctx = CheckContext(
        spec=spec, image=image, data=encode_image(image, "png"), expectation=expectation, resources=resources
    )
    return ocr_for_context(ctx), ctx


def _texts(reading: OcrReading) -> list[str]:
    return [line.text for line in reading.lines or []]


def test_the_shipped_models_are_the_files_their_notice_names() -> None:
    for name, digest in ocr_models.FILES.items():
        assert hashlib.sha256((ocr_models.folder() / name).read_bytes()).hexdigest() == digest, name
    notice = (ocr_models.folder() / "NOTICE.md").read_text(encoding="utf-8")
    assert all(digest in notice for digest in ocr_models.FILES.values())


def test_a_fast_reading_that_confirms_the_copy_is_kept(
    northwind: BrandSpec, composed: tuple[Image.Image, Expectation], engine: OnnxOcrEngine
) -> None:
    image, expectation = composed
    fast, ctx = _read(northwind, image, expectation, engine)
    reference, _ = _read(northwind, image, expectation, engine, fast=False)
    info = fast.extra["layout"]["fast"]
    assert info["models"] == TINY_MODELS.name
    assert info["accepted"] is True, info
    assert "fast" not in reference.extra["layout"]
    assert sorted(_texts(fast)) == sorted(_texts(reference))  # the same words, read by the cheaper models
    for line in fast.lines or []:  # boxes within a few pixels of the reference's (the wordmark's aside)
        twin = next(r for r in reference.lines or [] if r.text == line.text)
        if line.text != "NORTHWIND":  # tiny's box leaves the logo's mark out of the wordmark's line
            assert max(abs(a - b) for a, b in zip(line.box, twin.box, strict=True)) <= 10, (line, twin)
    assert TextCheck().run(ctx).status.value == "passed"


def test_copy_the_fast_models_do_not_confirm_is_read_again_by_the_reference_models(
    northwind: BrandSpec, composed: tuple[Image.Image, Expectation], engine: OnnxOcrEngine
) -> None:
    image, expectation = composed
    block = expectation.copy_block
    assert block is not None
    wrong = expectation.model_copy(update={"copy_block": block.model_copy(update={"headline": "Slow mornings, bold"})})
    fast, ctx = _read(northwind, image, wrong, engine)
    reference, _ = _read(northwind, image, wrong, engine, fast=False)
    info = fast.extra["layout"]["fast"]
    assert info["accepted"] is False and "headline" in info["reason"]
    assert fast.lines == reference.lines  # the reference reading, line for line and box for box
    assert TextCheck().run(ctx).status.value == "failed"


def test_text_outside_the_copy_is_read_by_the_reference_recogniser(
    northwind: BrandSpec, composed: tuple[Image.Image, Expectation], engine: OnnxOcrEngine
) -> None:
    image, expectation = composed
    stamped = image.copy()
    ImageDraw.Draw(stamped).text((600, 440), "Free refills", font=ImageFont.truetype(str(FONT), 40), fill="#1E1B18")
    fast, _ = _read(northwind, stamped, expectation, engine)
    reference, _ = _read(northwind, stamped, expectation, engine, fast=False)
    info = fast.extra["layout"]["fast"]
    assert info["accepted"] is True and info["reread"] >= 1, info
    assert "Free refills" in _texts(fast) and "Free refills" in _texts(reference)


def test_giant_text_outside_the_copy_areas_is_still_read(
    northwind: BrandSpec, composed: tuple[Image.Image, Expectation], engine: OnnxOcrEngine
) -> None:
    image, expectation = composed
    poster = image.copy()
    draw = ImageDraw.Draw(poster)
    draw.rectangle((40, 545, 984, 915), fill="#F3E9DD")  # the hero photograph, painted over
    draw.text((70, 560), "SALE", font=ImageFont.truetype(str(FONT), 300), fill="#1E1B18")  # a 220+ px line
    for fast in (True, False):
        reading, _ = _read(northwind, poster, expectation, engine, fast=fast)
        assert "SALE" in _texts(reading), (fast, _texts(reading))


def test_a_callers_engine_is_used_as_given(northwind: BrandSpec, composed: tuple[Image.Image, Expectation]) -> None:
    image, expectation = composed
    tiny = OnnxOcrEngine(models=TINY_MODELS)
    reading, ctx = _read(northwind, image, expectation, tiny)
    assert fast_ocr_engine(ctx.resources, tiny) is None
    assert "fast" not in reading.extra["layout"]
    assert reading.lines  # tiny alone reads the ad too


def test_part_of_copy_accepts_whole_word_pieces_only() -> None:
    confirm = part_of_copy(["Slow mornings, bright roasts", "Offer valid at participating cafés."])
    assert confirm("Slow mornings,") and confirm("bright roasts") and confirm("cafés.")
    assert not confirm("Slow morning")  # not a whole word
    assert not confirm("cafes.")  # an accent counts
    assert not confirm("slow mornings,")  # so does case, unless the spec ignores it
    assert part_of_copy(["Slow mornings"], case="ignore")("slow MORNINGS")
    assert not confirm("Offer valid at participating cafés. FREE")  # extra text
    assert not confirm("") and not confirm("   ")
    # capital I and lowercase l are one letter to the checks (the OCR reads "AI" as "Al"): to this test too
    ai = part_of_copy(["Your AI coach"])
    assert ai("Your Al coach") and ai("Your AI coach") and not ai("Your A1 coach") and not ai("Your Ai coach")
    assert part_of_copy(["Your AI coach"], case="ignore")("your al COACH")


def test_a_headline_the_fast_models_read_with_an_l_for_an_i_is_not_read_again(
    northwind: BrandSpec, engine: OnnxOcrEngine
) -> None:
    # "Your AI coach", read "Your Al coach" by both model sets: the reference read again cost 3× the CPU of the
    # fast reading (362 against 114 ms for the whole validate) to reach the same decision
    kit = brandkit.BrandKit(northwind, provider="local", checks=[TechnicalCheck()], moderator=None, signer=None)
    data = kit.generate(AssetRequest(**{**REQUEST, "headline": "Your AI coach"})).data  # type: ignore[arg-type]
    fast, ctx = _read(northwind, load_image(data), expectation_from_provenance(data, "png"), engine)
    info = fast.extra["layout"]["fast"]
    assert info["accepted"] is True and info["reread"] == 0, info
    assert TextCheck().run(ctx).status.value == "passed"


def test_read_layout_takes_reference_and_confirm_together(
    composed: tuple[Image.Image, Expectation], engine: OnnxOcrEngine
) -> None:
    image, _ = composed
    with pytest.raises(ValueError, match="both reference and confirm"):
        read_layout(engine, image, [(0, 0, 100, 100)], reference=engine)
