"""Forbidden-content evasion (corpus part 2) and prompt injection through the brief.

* ``tests/data/evasion_corpus_extra.yaml``: every ``blocked`` case is found by :class:`ForbiddenMatcher` and
  refused end to end — ``compile_prompt`` raises :class:`ForbiddenContentError` naming the field when the text
  is the brief, the headline or the CTA. Documented decisions (repeated letters, inflections) are pinned by
  ``not_matched_by_design`` and the ``pattern_recipes`` a brand uses instead.
* ``tests/data/injection_briefs.yaml``: briefs that try to override the brand rules (role-play, fake section
  headers of the compiled prompt, fake fence markers in many spellings, markdown and code fences, JSON, chat
  tokens, very long briefs, Unicode tricks). After compiling, the prompt still carries every brand constraint:
  everything before the fence opens and after it closes is byte-identical to a clean brief's prompt, the fence
  appears exactly once — also when the prompt is read the way a model might (NFKC, invisible characters
  removed, case folded) — and the parameters, references, layout and copy are identical.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

import brandkit
from brandkit.compile import FENCE_CLOSE, FENCE_OPEN, compile_edit
from brandkit.errors import ForbiddenContentError
from brandkit.models import AssetRequest, EditRequest
from brandkit.spec.forbidden import ForbiddenMatcher
from brandkit.spec.models import BrandSpec, Forbidden

DATA = Path(__file__).parent / "data"
CORPUS: dict[str, Any] = yaml.safe_load((DATA / "evasion_corpus_extra.yaml").read_text("utf-8"))
FIRST_CORPUS: dict[str, Any] = yaml.safe_load((DATA / "evasion_corpus.yaml").read_text("utf-8"))
INJECTIONS: dict[str, Any] = yaml.safe_load((DATA / "injection_briefs.yaml").read_text("utf-8"))
MATCHER = ForbiddenMatcher(CORPUS["terms"], CORPUS["competitors"], CORPUS["patterns"])
BLOCKED: list[dict[str, str]] = CORPUS["blocked"]
FIELDS = ("brief", "headline", "cta")


def _case_id(case: dict[str, str]) -> str:
    return f"{case['kind']}:{case['text'].encode('unicode_escape').decode('ascii')[:24]}"


@pytest.fixture(scope="module")
def corpus_spec(northwind: BrandSpec) -> BrandSpec:
    """Northwind with the corpus's forbidden rules (everything else, assets included, unchanged)."""
    spec = northwind.model_copy(deep=True)
    spec.forbidden = Forbidden(
        terms=CORPUS["terms"],
        competitors=CORPUS["competitors"],
        patterns=CORPUS["patterns"],
        imagery=list(northwind.forbidden.imagery),
    )
    return spec


# --------------------------------------------------------------------------------------------
# Evasion corpus
# --------------------------------------------------------------------------------------------


def test_corpus_shape() -> None:
    texts = [case["text"] for case in BLOCKED]
    assert len(texts) == len(set(texts)), "duplicate cases"
    assert len(BLOCKED) >= 80
    assert all(0 < len(text) <= 60 for text in texts), "every case must fit the CTA limit (60 characters)"
    first = {case["text"] for case in FIRST_CORPUS["blocked"]}
    assert not first & set(texts), "part 2 repeats cases of part 1"


def test_corpus_covers_every_requested_trick() -> None:
    families = {case["kind"].split("-")[0] for case in BLOCKED}
    assert {
        "homoglyph", "fullwidth", "zero", "combining", "spaces", "punctuation", "nbsp", "leetspeak", "mixed",
        "bidi", "emoji", "glued",
    } <= families  # fmt: skip


@pytest.mark.parametrize("case", BLOCKED, ids=_case_id)
def test_matcher_blocks(case: dict[str, str]) -> None:
    assert MATCHER.find(case["text"]), f"{case['kind']} evasion not blocked: {case['text']!r}"


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("case", BLOCKED, ids=_case_id)
def test_compile_refuses(corpus_spec: BrandSpec, case: dict[str, str], field: str) -> None:
    request: dict[str, Any] = {"brief": "A ceramic cup on an oak table", "format": "square"}
    request[field] = case["text"]
    with pytest.raises(ForbiddenContentError) as info:
        brandkit.compile(corpus_spec, AssetRequest(**request))
    assert info.value.field == field and info.value.matches


@pytest.mark.parametrize("text", CORPUS["not_matched_by_design"])
def test_documented_non_matches(text: str) -> None:
    assert MATCHER.find(text) == []


def test_repeated_letters_are_blocked_by_a_pattern_recipe(corpus_spec: BrandSpec) -> None:
    recipe = CORPUS["pattern_recipes"]
    spec = corpus_spec.model_copy(deep=True)
    spec.forbidden = Forbidden(terms=CORPUS["terms"], patterns=[*CORPUS["patterns"], *recipe["patterns"]])
    for text in recipe["blocked"]:
        for field in FIELDS:
            with pytest.raises(ForbiddenContentError, match="pattern"):
                brandkit.compile(spec, AssetRequest(**{"brief": "a cup", field: text}))  # type: ignore[arg-type]
    for text in recipe["allowed"]:
        assert brandkit.compile(spec, AssetRequest(brief=f"a cup, {text}", headline=text)).text


def test_clean_copy_still_compiles(corpus_spec: BrandSpec) -> None:
    """The rules must not block ordinary copy (no false positives on the corpus's look-alike words)."""
    prompt = brandkit.compile(
        corpus_spec,
        AssetRequest(
            brief="A carefree morning with our best coffee this year", headline="Freedom to roast", cta="Order ahead"
        ),
    )
    assert '"Freedom to roast"' in prompt.text


# --------------------------------------------------------------------------------------------
# Prompt injection through the brief
# --------------------------------------------------------------------------------------------

BRIEF_LIMIT = AssetRequest.model_fields["brief"].metadata
MAX_BRIEF = next(m.max_length for m in BRIEF_LIMIT if getattr(m, "max_length", None))
INSTRUCTION_LIMIT = EditRequest.model_fields["instruction"].metadata
MAX_INSTRUCTION = next(m.max_length for m in INSTRUCTION_LIMIT if getattr(m, "max_length", None))


def _brief(case: dict[str, Any]) -> str:
    text = str(case.get("prefix", "")) + str(case["brief"]) * int(case.get("repeat", 1)) + str(case.get("suffix", ""))
    if case.get("fill_to_limit"):
        filler = str(case["fill_to_limit"])
        room = MAX_BRIEF - len(text)
        text = (filler * (room // len(filler) + 1))[:room] + text
    return text


CASES: list[dict[str, Any]] = INJECTIONS["briefs"]
CLEAN = "A ceramic cup of pour-over coffee on an oak table"
COPY = {"headline": "Slow mornings, bright roasts", "subhead": "Roasted this week.", "cta": "Order ahead"}

_INVISIBLE_CATEGORIES = {"Cf", "Mn", "Me", "Cc"}


def reads_as(text: str) -> str:
    """The prompt as a model might read it: NFKC, format/combining/control characters removed, case folded."""
    folded = unicodedata.normalize("NFKC", text)
    kept = "".join(ch for ch in folded if ch == "\n" or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)
    return kept.casefold()


def test_injection_corpus_shape() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)) and len(CASES) >= 25
    lengths = [len(_brief(case)) for case in CASES]
    assert all(0 < n <= MAX_BRIEF for n in lengths)
    assert max(lengths) >= MAX_BRIEF - 10, "at least one brief must sit at the length limit"
    kinds = {case["kind"] for case in CASES}
    assert {"role-play", "fake-header", "fake-fence", "markdown", "json", "long", "unicode"} <= kinds


def _assert_fenced(clean: Any, prompt: Any, brief: str) -> None:
    text = prompt.text
    assert text.count(FENCE_OPEN) == 1 and text.count(FENCE_CLOSE) == 1
    start, end = text.index(FENCE_OPEN), text.index(FENCE_CLOSE)
    # every brand constraint: identical before the fence and after it
    assert text[:start] == clean.text[: clean.text.index(FENCE_OPEN)]
    assert text[end:] == clean.text[clean.text.index(FENCE_CLOSE) :]
    # the fence, read the way a model might read it, still opens and closes exactly once
    seen = reads_as(text)
    assert seen.count(FENCE_OPEN.casefold()) == 1, "a fence marker survived in the brief (after NFKC/invisibles)"
    assert seen.count(FENCE_CLOSE.casefold()) == 1, "a fence marker survived in the brief (after NFKC/invisibles)"
    inside = text[start + len(FENCE_OPEN) : end]
    assert "<<<" not in inside and ">>>" not in inside
    assert prompt.params == clean.params
    assert [(r.index, r.role, r.sha256) for r in prompt.references] == [
        (r.index, r.role, r.sha256) for r in clean.references
    ]
    assert prompt.copy_block == clean.copy_block and prompt.layout == clean.layout
    assert prompt.exclusions == clean.exclusions


@pytest.mark.parametrize("brand_name, fmt", [("northwind", "square"), ("lumen-health", "landscape")])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case["id"])
def test_brief_injection_cannot_change_the_brand_rules(
    root: Path, case: dict[str, Any], brand_name: str, fmt: str
) -> None:
    spec = brandkit.load_spec(root / "brand_specs" / brand_name)
    copy = COPY if brand_name == "northwind" else {**COPY, "headline": "Small steps, every day"}
    clean = brandkit.compile(spec, AssetRequest(brief=CLEAN, format=fmt, **copy))  # type: ignore[arg-type]
    brief = _brief(case)
    prompt = brandkit.compile(spec, AssetRequest(brief=brief, format=fmt, **copy))  # type: ignore[arg-type]
    _assert_fenced(clean, prompt, brief)


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (243, 233, 220)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("case", [c for c in CASES if len(_brief(c)) <= MAX_INSTRUCTION], ids=lambda c: c["id"])
def test_edit_instruction_injection_cannot_change_the_brand_rules(northwind: BrandSpec, case: dict[str, Any]) -> None:
    image = _png(1024, 1024)
    clean = compile_edit(northwind, EditRequest(instruction="Warm up the light a little", **COPY), image)
    prompt = compile_edit(northwind, EditRequest(instruction=_brief(case), **COPY), image)
    _assert_fenced(clean, prompt, _brief(case))
