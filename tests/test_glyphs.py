"""Glyph coverage before anything is sent, fallback fonts per script, per-run drawing, CJK line breaking."""

from __future__ import annotations

import asyncio
import io
import itertools
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

import brandkit
from brandkit.checks.text import match_string
from brandkit.compile import compile_prompt
from brandkit.errors import RequestError, SpecError
from brandkit.glyphs import FontChain, font_runs, glyph_problems, is_default_ignorable
from brandkit.layout import draw_text, fit_text
from brandkit.linebreak import NO_LINE_END, NO_LINE_START, is_unspaced, segments, split_unspaced
from brandkit.models import AssetRequest
from brandkit.ocr import OcrLine
from brandkit.resources import KitResources
from tests.checks_support import CountingProvider, ocr_engine
from tests.script_fonts import REPO, cjk_subset, noto, spec_with_fallbacks

__all__ = ["ocr_engine"]

NORTHWIND = REPO / "brand_specs" / "northwind"
LATO_BLACK = NORTHWIND / "fonts" / "Lato-Black.ttf"
LONG_ZH = "新鲜咖啡每天供应，欢迎光临本店品尝"
KANA = "いらっしゃいませ「コーヒー」をどうぞ。ありがとうございました"
CTA_ZH = "立即购买"


@pytest.fixture(scope="module")
def northwind_spec() -> brandkit.BrandSpec:
    return brandkit.load_spec(NORTHWIND)


@pytest.fixture(scope="module")
def cjk_spec(tmp_path_factory: pytest.TempPathFactory) -> brandkit.BrandSpec:
    """Northwind with a Noto Sans CJK SC subset (Han and kana of the test copy) as fallback for every role."""
    root = tmp_path_factory.mktemp("cjk")
    font = cjk_subset(root / "NotoSansSC-subset.otf", LONG_ZH + KANA + CTA_ZH + "新鲜奶茶")
    return brandkit.load_spec(spec_with_fallbacks(root / "spec", [("[Hani, Hira, Kana]", font, "[headline, cta]")]))


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        ("新鲜咖啡", ["'新' U+65B0 (Han, Hani)", "'啡' U+5561"]),
        ("नमस्ते दुनिया", ["U+0928 (Devanagari, Deva)", "U+094D"]),
        ("قهوة طازجة", ["U+0642 (Arabic, Arab)"]),
    ],
)
def test_missing_glyph_raises_before_any_render_call(
    kit_resources: KitResources, northwind_spec: brandkit.BrandSpec, headline: str, expected: list[str]
) -> None:
    provider = CountingProvider(northwind_spec)
    kit = brandkit.BrandKit(northwind_spec, resources=kit_resources, provider=provider)
    request = AssetRequest(brief="a cup of coffee", headline=headline, format="square")
    with pytest.raises(RequestError) as info:
        kit.generate(request)
    assert provider.calls == 0
    message = str(info.value)
    assert info.value.field == "headline" and info.value.value == headline  # the copy, not its missing letters
    assert "'fonts/Lato-Black.ttf'" in message and "typography.fallbacks" in message
    for part in expected:
        assert part in message
    akit = brandkit.AsyncBrandKit(northwind_spec, resources=kit_resources, provider=provider)
    with pytest.raises(RequestError):
        asyncio.run(akit.generate(request))
    assert provider.calls == 0


def test_edit_requests_are_checked_too(kit_resources: KitResources, northwind_spec: brandkit.BrandSpec) -> None:
    provider = CountingProvider(northwind_spec)
    kit = brandkit.BrandKit(northwind_spec, resources=kit_resources, provider=provider)
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024), (243, 233, 220)).save(buffer, "PNG")
    with pytest.raises(RequestError) as info:
        kit.edit(buffer.getvalue(), "localize the call to action", cta=CTA_ZH)
    assert provider.calls == 0
    assert info.value.field == "cta" and "'fonts/Lato-Bold.ttf'" in str(info.value)
    assert "U+7ACB" in str(info.value)


def test_each_field_is_checked_in_its_own_font(northwind_spec: brandkit.BrandSpec) -> None:
    request = AssetRequest(brief="coffee", headline="Fresh roast", format="square", disclaimers=["Prix: 5 €₹"])
    with pytest.raises(RequestError) as info:
        compile_prompt(northwind_spec, request)
    assert info.value.field == "disclaimers[0]"
    assert "'fonts/Lato-Regular.ttf'" in str(info.value) and "U+20B9" in str(info.value)


def test_nfc_whitespace_and_format_characters() -> None:
    chain = FontChain.of(LATO_BLACK)
    # e + COMBINING ACUTE is checked as é (Lato has é, not U+0301); NBSP/ideographic space need only U+0020;
    # ZWJ, ZWNJ and variation selectors need no glyph
    ok = ["Cafe\u0301 cre\u0300me", "Fresh\u00a0roast\u3000today", "A\u200dB\u200cC\ufe0f"]
    assert glyph_problems([("headline", text, chain) for text in ok]) == []
    problems = glyph_problems([("headline", "x\u20dd coffee", chain)])  # an enclosing-circle mark Lato lacks
    assert [p.missing for p in problems] == [("\u20dd",)]
    assert "U+20DD" in problems[0].describe()


def test_spec_validates_fallbacks(tmp_path: Path) -> None:
    font = noto("NotoSansDevanagari-Regular.ttf")
    with pytest.raises(SpecError, match=r"typography.fallbacks\[0\].scripts: .*'Devanagari' is not an ISO 15924"):
        brandkit.load_spec(spec_with_fallbacks(tmp_path / "a", [("[Devanagari]", font, "[headline]")]))
    spec_dir = spec_with_fallbacks(tmp_path / "b", [("[Deva]", font, "[headline]")])
    (spec_dir / "fonts" / font.name).unlink()
    with pytest.raises(SpecError, match=r"typography.fallbacks\[0\].file"):
        brandkit.load_spec(spec_dir)


def test_fallback_is_limited_to_its_roles(cjk_spec: brandkit.BrandSpec) -> None:
    compile_prompt(cjk_spec, AssetRequest(brief="coffee", headline=LONG_ZH, cta=CTA_ZH, format="landscape"))
    with pytest.raises(RequestError) as info:  # the fallback names headline and cta, not body
        compile_prompt(cjk_spec, AssetRequest(brief="coffee", headline="Fresh", subhead="欢迎光临", format="square"))
    assert info.value.field == "subhead" and "'fonts/Lato-Regular.ttf'" in str(info.value)


def _ink(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.int16) < 128


def test_runs_are_drawn_in_the_fallback_font_not_tofu(cjk_spec: brandkit.BrandSpec) -> None:
    cjk = cjk_spec.asset_path("fonts/NotoSansSC-subset.otf")
    chain = FontChain.of(LATO_BLACK, [(cjk, ["Hani", "Hira", "Kana"])])
    runs = font_runs("Café 新鲜咖啡！", chain)
    assert [(r.text, Path(r.font.path).name if r.font else None) for r in runs] == [
        ("Café ", "Lato-Black.ttf"),
        ("新鲜咖啡！", "NotoSansSC-subset.otf"),  # the shared ！ stays in the run's font
    ]
    size = 64
    fitted = fit_text("新鲜", LATO_BLACK, 600, 200, max_lines=1, max_size=size, min_size=size, chain=chain)
    assert fitted is not None
    drawn = Image.new("RGB", (400, 120), "white")
    draw_text(drawn, fitted, 10, 10, (0, 0, 0))
    # the same text with the main font alone: Lato has no Han glyphs, so this is its .notdef box twice
    tofu = Image.new("RGB", (400, 120), "white")
    ImageDraw.Draw(tofu).text((10, 10 + fitted.ascent), "新鲜", font=ImageFont.truetype(str(LATO_BLACK), size),
                              fill=(0, 0, 0), anchor="ls")  # fmt: skip
    reference = Image.new("RGB", (400, 120), "white")
    ImageDraw.Draw(reference).text((10, 10 + fitted.ascent), "新鲜", font=ImageFont.truetype(str(cjk), size),
                                   fill=(0, 0, 0), anchor="ls")  # fmt: skip
    ink, ink_tofu, ink_ref = _ink(drawn), _ink(tofu), _ink(reference)
    assert ink_tofu.sum() > 100 and ink.sum() > 100
    assert (ink != ink_tofu).mean() > 0.02  # clearly not the .notdef boxes
    assert (ink != ink_ref).sum() == 0  # exactly the fallback font's glyphs


def test_cjk_wrap_breaks_between_characters_with_kinsoku() -> None:
    assert [p for p, _ in segments("「コーヒー」を。")] == ["「コー", "ヒー」", "を。"]
    assert segments("Fresh  roast 新品") == [("Fresh", False), ("roast", True), ("新", True), ("品", False)]


def test_split_unspaced_keeps_ascii_whole_and_splits_cjk() -> None:
    # the ASCII fast path rests on this: no ASCII character is unspaced, combining or default-ignorable
    ascii_chars = [chr(c) for c in range(128)]
    assert not any(is_unspaced(c) or unicodedata.combining(c) or is_default_ignorable(c) for c in ascii_chars)
    assert split_unspaced("Order!") == ["Order!"] and split_unspaced("") == []
    assert split_unspaced("Café新品。") == ["Café", "新", "品", "。"]
    assert split_unspaced("東\u0301A\u200db") == ["東\u0301", "A\u200db"]  # a mark stays with its base


def test_long_japanese_text_wraps_without_spaces_or_forbidden_breaks(tmp_path: Path) -> None:
    otf = cjk_subset(tmp_path / "jp.otf", KANA, family="Noto Sans CJK JP")
    chain = FontChain.of(LATO_BLACK, [(otf, ["Hira", "Kana", "Hani"])])
    fitted = fit_text(KANA, LATO_BLACK, 300, 2000, max_lines=12, max_size=40, min_size=40, chain=chain)
    assert fitted is not None and len(fitted.lines) >= 4
    assert "".join(fitted.lines) == KANA  # no space inserted, nothing lost
    for line in fitted.lines:
        assert line[0] not in NO_LINE_START, fitted.lines
        assert line[-1] not in NO_LINE_END, fitted.lines


def test_wrapped_cjk_lines_match_exactly() -> None:
    lines = [OcrLine("新鲜咖啡每天供应，", (0, 0, 500, 60), 0.99), OcrLine("欢迎光临本店品尝", (0, 70, 500, 130), 0.99)]
    match = match_string("headline", LONG_ZH, lines)
    assert match.exact and match.found and match.ned == 0.0
    assert match.rendered == "新鲜咖啡每天供应欢迎光临本店品尝"
    wrong = match_string("headline", "新鲜奶茶每天供应，欢迎光临本店品尝", lines)
    assert not wrong.exact and not wrong.found  # one ideograph off is not a pass (short string: exact rule)


def test_local_renderer_draws_a_wrapped_chinese_headline_that_ocr_matches_exactly(
    kit_resources: KitResources, cjk_spec: brandkit.BrandSpec, ocr_engine: object
) -> None:
    provider = CountingProvider(cjk_spec)
    kit = brandkit.BrandKit(cjk_spec, resources=kit_resources, provider=provider)
    asset = kit.generate(AssetRequest(brief="a cup of coffee", headline=LONG_ZH, cta=CTA_ZH, format="landscape"))
    text = next(r for r in asset.report.checks.values() if r.name == "text")
    assert text.status.value == "passed", text.details
    headline = text.details["strings"]["headline"]
    assert headline["exact"] is True and text.details["strings"]["cta"]["exact"] is True
    ocr_lines = [ln["text"] for ln in text.details["ocr_lines"]]
    assert sum(1 for ln in ocr_lines if any("\u4e00" <= ch <= "\u9fff" for ch in ln)) >= 3, ocr_lines  # 2 + CTA
    assert provider.calls == 1


def test_variant_plan_preflight_names_the_locale_variant_that_cannot_be_set(tmp_path: Path) -> None:
    from brandkit.variants import PlanError, dry_run

    plan = tmp_path / "plan.yaml"
    plan.write_text(
        f"name: launch\nspec: {NORTHWIND}\n"
        "base: {brief: 'A cup on an oak table', cta: 'Order ahead'}\n"
        "axes: {headline: ['Slow mornings'], format: [square], locale: [en, zh]}\n"
        "locales: {zh: {headline: {'Slow mornings': '慢慢的早晨'}, cta: '提前订购'}}\n",
        encoding="utf-8",
    )
    with pytest.raises(PlanError) as info:
        dry_run(plan, provider="local")
    issues = list(info.value.issues)
    assert len(issues) == 1, issues
    assert "zh" in str(issues[0]) and "U+6162" in str(issues[0]) and "Lato-Black.ttf" in str(issues[0])
    assert issues[0].value == "慢慢的早晨"  # the headline as written (its missing glyphs: 慢的早晨)


_ALPHABET = "新鲜咖啡每天供应いらっしゃいませコーヒーゃっァ、。，「」（）！？ー々 abcXYZ12%€"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, min_size=1, max_size=40))
def test_segments_keep_the_text_and_never_break_against_kinsoku(text: str) -> None:
    pieces = segments(text)
    joined = "".join((" " if spaced else "") + piece for piece, spaced in pieces)
    assert joined == " ".join(text.split())  # whitespace runs collapse to one space; nothing else changes
    for (before, _), (after, spaced) in itertools.pairwise(pieces):
        if not spaced:  # a break inside a word: allowed only by the CJK rules
            assert after[0] not in NO_LINE_START and before[-1] not in NO_LINE_END, (before, after)


def test_a_variable_font_is_drawn_at_the_weight_the_spec_names(tmp_path: Path) -> None:
    # a brand's variable font (Google Fonts ships Inter, Roboto Flex… as one variable file): brandkit drew its
    # default instance whatever typography.headline.weight said — a 900 headline came out at 400
    from tests.support.variable_font import build_variable_font

    def inked(weight: int | None) -> float:
        folder = tmp_path / f"spec-{weight}"
        shutil.copytree(Path(__file__).parent.parent / "brand_specs" / "northwind", folder)
        build_variable_font(folder / "fonts" / "BrandVariable.ttf")
        text = (folder / "brand.yaml").read_text(encoding="utf-8")
        weight_field = f", weight: {weight}" if weight is not None else ""
        text = text.replace(
            "headline: { file: fonts/Lato-Black.ttf, license: fonts/OFL.txt }",
            f"headline: {{ file: fonts/BrandVariable.ttf, license: fonts/OFL.txt{weight_field} }}",
        )
        (folder / "brand.yaml").write_text(text, encoding="utf-8")
        kit = brandkit.BrandKit(folder, provider="local", checks=["technical"])
        asset = kit.generate({"brief": "A cup of coffee", "headline": "Slow mornings", "format": "square"})
        pixels = np.asarray(Image.open(io.BytesIO(asset.data)).convert("L"))
        return float((pixels[: pixels.shape[0] // 2] < 80).mean())  # dark ink in the copy half

    default, light, black = inked(None), inked(100), inked(900)
    assert light < default < black  # the axis follows the spec; no weight: the file's default instance
    assert black > 1.2 * default and light < 0.8 * default  # not noise: the headline strokes
