"""Copy read a second time fails the text check: the pieces of an earlier layout left beside the new copy (an ad
fitted whole into another format), or a line drawn twice. Measured on real-photo ads by
``benchmarks/bench_repeated_copy.py``; here, what the rule reads and that a real render trips it."""

from __future__ import annotations

from pathlib import Path

import pytest

import brandkit
from brandkit.checks.copy_match import line_tokens
from brandkit.checks.copy_repeats import repeated_copy
from brandkit.compile import compile_edit
from brandkit.compose import draw_copy, zone_color
from brandkit.edit_mask import fitted
from brandkit.imageio import encode_image, load_image
from brandkit.models import AssetRequest, EditRequest
from brandkit.ocr import OcrLine
from tests.support.old_copy import KeepsOldHeadline

ROOT = Path(__file__).resolve().parents[1]
DISCLAIMER = "Offer valid at participating cafés."
FOUND = {"headline": "Slow mornings, bright roasts", "disclaimer[0]": DISCLAIMER}


def _lines(*texts: str) -> list[OcrLine]:
    return [OcrLine(text=text, box=(0, 40 * i, 300, 40 * i + 30), confidence=0.99) for i, text in enumerate(texts)]


def _consumed(lines: list[OcrLine], *indices: int) -> set[tuple[int, int]]:
    """Every word of the lines at ``indices`` (where the found strings were located)."""
    return {(tok.line, tok.pos) for i in indices for tok in line_tokens(i, lines[i].text)}


@pytest.mark.parametrize(
    ("extra", "repeats", "text"),
    [
        ("participating cafes.", "disclaimer[0]", "participating cafes."),  # an accent the OCR lost
        ("Slow mornlngs,", "headline", "Slow mornlngs,"),  # one letter misread in a long word
        ("ow mornings, bright", "headline", "mornings, bright"),  # a cut-off start, then two whole words
        ("SLOW MORNINGS", "headline", "SLOW MORNINGS"),  # case does not hide a repeat
    ],
)
def test_a_piece_of_a_found_string_read_again_is_a_repeat(extra: str, repeats: str, text: str) -> None:
    lines = _lines("Slow mornings, bright roasts", DISCLAIMER, extra)
    found = repeated_copy(lines, _consumed(lines, 0, 1), set(), FOUND)
    assert [(r.role, r.text, r.box) for r in found] == [(repeats, text, (0, 80, 300, 110))]


@pytest.mark.parametrize(
    "extra",
    [
        "at the",  # two words, too few letters: a sign's "at the" is no repeat
        "mornings",  # one word
        "Fresh roasts daily",  # one shared word
        "Slaw marnings",  # two letters wrong in one word ("Slaw" is short: no slip allowed)
        "NORTHWIND roasts bright",  # the brand's words are ignored; "roasts bright" is out of order
    ],
)
def test_what_is_no_repeat(extra: str) -> None:
    lines = _lines("Slow mornings, bright roasts", DISCLAIMER, extra)
    assert repeated_copy(lines, _consumed(lines, 0, 1), {"northwind"}, FOUND) == []


def test_only_found_strings_and_unconsumed_words_count() -> None:
    lines = _lines("Slow mornings, bright roasts", "Slow mornings")
    assert repeated_copy(lines, _consumed(lines, 0), set(), {"cta": "Order ahead"}) == []  # not a found string
    assert repeated_copy(lines, _consumed(lines, 0, 1), set(), FOUND) == []  # both lines are the string's window
    assert [r.text for r in repeated_copy(lines, _consumed(lines, 0), set(), FOUND)] == ["Slow mornings"]


def _fitted_whole(spec: brandkit.BrandSpec, data: bytes, request: AssetRequest) -> bytes:
    """An ad fitted whole into another format with the copy drawn again over the copy panel only (what the local
    renderer did before it recomposed such edits, and what a model's edit can leave)."""
    edit = EditRequest(instruction="portrait", format=request.format, headline=request.headline, cta=request.cta)
    prompt = compile_edit(spec, edit, data)
    image = fitted(load_image(data).convert("RGB"), (prompt.width, prompt.height))
    draw_copy(image, spec, prompt.layout, prompt.copy_block, repaint=zone_color(image, spec, prompt.layout.copy_box))
    return encode_image(image, "png", None)


def test_an_ad_fitted_whole_into_another_format_fails_on_its_leftover_legal_line() -> None:
    # every check passed this image: the exact copy was found, and a second, cut-off legal line was only reported
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    kit = brandkit.BrandKit(spec, provider="local", checks=["text"])
    copy = {"brief": "A ceramic cup of pour-over coffee on an oak table", "headline": FOUND["headline"]}
    square = kit.generate(AssetRequest(**copy, cta="Order ahead", seed=3))
    portrait = AssetRequest(**copy, cta="Order ahead", format="portrait")
    leftover = _fitted_whole(spec, square.data, portrait)
    text = kit.validate(leftover, request=portrait).checks["text"]
    assert text.status == brandkit.CheckStatus.failed
    assert all(s["found"] for s in text.details["strings"].values())  # the copy itself is there, exact
    assert [r["repeats"] for r in text.details["repeated_copy"]] == ["disclaimer[0]"]
    assert text.hint is not None and "render each line of copy once: the image shows 'participating" in text.hint
    from brandkit.evidence import verify
    from brandkit.evidence.html import render_html

    evidence = verify(kit, leftover, request=portrait)  # the verification report shows it, and its page
    assert evidence.checks["text"].text is not None
    assert [r.split("' repeats the ")[1] for r in evidence.checks["text"].text.repeated_copy] == ["disclaimer[0]"]
    assert "Read twice: &#39;participating" in render_html(evidence, leftover)
    recomposed = kit.edit(square.data, "the portrait version", format="portrait")  # the renderer as it is now
    assert recomposed.report.checks["text"].details["repeated_copy"] == []
    assert recomposed.report.passed


def test_an_edit_that_leaves_the_old_headline_on_the_image_fails() -> None:
    # the new headline was read exactly and the old one beside it was only "unexpected text": the edit passed
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    made = brandkit.BrandKit(spec, provider="local", checks=["text"]).generate(
        AssetRequest(brief="A cup of coffee", headline=FOUND["headline"], cta="Order ahead", seed=3)
    )
    box = made.prompt.layout.copy_box
    assert box is not None
    old_box = (box.x0, box.y0, box.x1, box.y0 + (box.y1 - box.y0) // 3)  # the headline's lines
    kit = brandkit.BrandKit(spec, provider=KeepsOldHeadline(spec, made.data, old_box), checks=["text"])
    with pytest.raises(brandkit.BrandViolationError) as failed:
        kit.edit(made.data, "German headline", headline="Langsame Morgen", locale="de")
    report = failed.value.report
    assert report is not None
    text = report.checks["text"]
    assert text.details["strings"]["headline"]["found"] is True  # the new headline is there, exact
    assert [o["role"] for o in text.details["old_copy"]] == ["headline"]
    assert text.details["old_copy"][0]["old"] == FOUND["headline"]
    assert text.hint is not None and f"take the old headline off: the edit replaces '{FOUND['headline']}'" in text.hint
    # the local renderer's own edit repaints the copy area: nothing old is left, and it passes
    local = brandkit.BrandKit(spec, provider="local", checks=["text"])
    edited = local.edit(made.data, "German headline", headline="Langsame Morgen", locale="de")
    assert edited.report.passed and edited.report.checks["text"].details["old_copy"] == []
    assert edited.prompt.replaced_copy == {"headline": FOUND["headline"], "disclaimer[0]": DISCLAIMER}
