"""OCR honesty per script: read what the engine reads (measured), ``not_checked`` — never ``failed`` — for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

import brandkit
from brandkit.checks.text import TextCheck, match_string
from brandkit.compile import compile_prompt
from brandkit.errors import BrandViolationError
from brandkit.models import AssetRequest, CheckResult, CheckStatus
from brandkit.ocr import OcrLine, RapidOcrEngine, unreadable_scripts
from brandkit.provider.local import LocalRenderer
from brandkit.resources import KitResources
from tests.checks_support import CountingProvider, FakeOcr, context, ocr_engine, resources_with
from tests.script_fonts import cjk_subset, noto, spec_with_fallbacks

__all__ = ["ocr_engine"]

HINDI = "ताज़ा कॉफ़ी हर दिन"


def _render(text: str, font: Path, size: int = 56) -> Image.Image:
    face = ImageFont.truetype(str(font), size)
    image = Image.new("RGB", (int(face.getlength(text)) + 2 * size, 3 * size), (250, 248, 240))
    ImageDraw.Draw(image).text((size, size), text, font=face, fill=(20, 20, 20))
    return image


def test_unreadable_scripts() -> None:
    assert unreadable_scripts("Crème brûlée, 50 % off!") == []
    assert unreadable_scripts("新鲜咖啡「いらっしゃいませ」カフェ") == []
    assert unreadable_scripts("Доброе утро") == ["Cyrl"]
    assert unreadable_scripts("Diwali सेल 50%") == ["Deva"]
    assert unreadable_scripts("안녕 مرحبا") == ["Hang", "Arab"]


@pytest.mark.parametrize(
    ("text", "font"),
    [
        ("Crème brûlée à Noël", "latin"),
        ("新鲜咖啡每天供应", "Noto Sans CJK SC"),
        ("いらっしゃいませ", "Noto Sans CJK JP"),
        ("カフェラテをどうぞ", "Noto Sans CJK JP"),
    ],
)
def test_readable_scripts_are_read_exactly(text: str, font: str, tmp_path: Path, ocr_engine: RapidOcrEngine) -> None:
    path = noto("NotoSans-Regular.ttf") if font == "latin" else cjk_subset(tmp_path / "f.otf", text, family=font)
    lines = ocr_engine.read(_render(text, path))
    match = match_string("headline", text, lines)
    assert match.exact, [ln.text for ln in lines]


@pytest.mark.parametrize(
    ("text", "font"),
    [
        ("Свежий кофе каждый день", "NotoSans-Regular.ttf"),
        ("Φρέσκος καφές κάθε μέρα", "NotoSans-Regular.ttf"),
        (HINDI, "NotoSansDevanagari-Regular.ttf"),
        ("قهوة طازجة كل يوم", "NotoSansArabic-Regular.ttf"),
    ],
)
def test_scripts_listed_as_unreadable_are_not_read(text: str, font: str, ocr_engine: RapidOcrEngine) -> None:
    """Guards the documented list: if the engine learns one of these scripts, move it to the readable set."""
    lines = ocr_engine.read(_render(text, noto(font)))
    assert not match_string("headline", text, lines).found
    assert unreadable_scripts(text) != []


@pytest.fixture(scope="module")
def hindi_spec(tmp_path_factory: pytest.TempPathFactory) -> brandkit.BrandSpec:
    root = tmp_path_factory.mktemp("deva")
    font = noto("NotoSansDevanagari-Regular.ttf")
    return brandkit.load_spec(spec_with_fallbacks(root / "spec", [("[Deva]", font, "[headline, body, cta]")]))


def _check_rendered(spec: brandkit.BrandSpec, engine: RapidOcrEngine, **copy: str) -> CheckResult:
    """The text check on the local renderer's drawing of ``copy`` (brandkit sets the exact copy itself)."""
    prompt = compile_prompt(spec, AssetRequest(brief="coffee", format="landscape", **copy))
    image = LocalRenderer(spec).draw(prompt, seed=7)
    return TextCheck().run(context(spec, image, resources_with(engine), copy_block=prompt.copy_block))


def test_correct_copy_in_an_unreadable_script_is_not_checked(
    hindi_spec: brandkit.BrandSpec, ocr_engine: RapidOcrEngine
) -> None:
    result = _check_rendered(hindi_spec, ocr_engine, headline=HINDI, cta="Order now")
    details = result.details
    assert result.status == CheckStatus.not_checked
    assert result.hint is None
    headline = details["strings"]["headline"]
    assert headline["status"] == "not_checked" and headline["found"] is None
    assert "Devanagari (Deva)" in headline["reason"]
    assert details["strings"]["cta"]["found"] is True  # the Latin CTA was still checked
    assert "Devanagari" in details["reason"]


def test_a_mixed_string_with_an_unreadable_script_is_not_checked(
    hindi_spec: brandkit.BrandSpec, ocr_engine: RapidOcrEngine
) -> None:
    result = _check_rendered(hindi_spec, ocr_engine, headline="Diwali सेल")
    assert result.status == CheckStatus.not_checked
    assert result.details["strings"]["headline"]["status"] == "not_checked"


def test_wrong_latin_copy_beside_unreadable_copy_still_fails(hindi_spec: brandkit.BrandSpec) -> None:
    prompt = compile_prompt(hindi_spec, AssetRequest(brief="c", format="landscape", headline=HINDI, cta="Order now"))
    image = LocalRenderer(hindi_spec).draw(prompt, seed=7)
    engine = FakeOcr([OcrLine("Ordr now", (60, 400, 300, 450), 0.9)])
    result = TextCheck().run(context(hindi_spec, image, resources_with(engine), copy_block=prompt.copy_block))
    assert result.status == CheckStatus.failed
    assert "call to action" in (result.hint or "") and result.details["strings"]["headline"]["status"] == "not_checked"


def test_wrong_chinese_copy_fails(hindi_spec: brandkit.BrandSpec) -> None:
    image = Image.new("RGB", (1536, 1024), "white")
    engine = FakeOcr([OcrLine("新鲜奶茶", (60, 100, 500, 160), 0.99)])
    ctx = context(hindi_spec, image, resources_with(engine), copy_block={"headline": "新鲜咖啡"})
    result = TextCheck().run(ctx)
    assert result.status == CheckStatus.failed and "新鲜咖啡" in (result.hint or "")


def test_unreadable_copy_stops_after_one_attempt_instead_of_regenerating(
    kit_resources: KitResources, hindi_spec: brandkit.BrandSpec, ocr_engine: RapidOcrEngine
) -> None:
    provider = CountingProvider(hindi_spec)
    kit = brandkit.BrandKit(hindi_spec, resources=kit_resources, provider=provider)
    with pytest.raises(BrandViolationError) as info:
        kit.generate(AssetRequest(brief="coffee", format="landscape", headline=HINDI))
    assert provider.calls == 1  # not_checked cannot be repaired by paying for another image
    assert "Devanagari" in str(info.value)
