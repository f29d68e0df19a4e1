"""TextCheck: exact copy via OCR, forbidden terms, unexpected text, fail-closed behaviour."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from brandkit.checks.base import CheckResources, run_checks
from brandkit.checks.contrast import ContrastCheck
from brandkit.checks.text import TextCheck, match_string, normalize_tokens
from brandkit.models import CheckStatus
from brandkit.ocr import OcrLine, RapidOcrEngine
from brandkit.spec.models import BrandSpec
from tests.checks_support import FakeOcr, Poster, Text, context, draw_logo, make_spec, ocr_engine, resources_with

__all__ = ["ocr_engine"]  # the session fixture, re-exported for pytest

HEADLINE = "Fresh Roast Friday"
SUBHEAD = "Single-origin beans, roasted this morning"
CTA = "Order now"
DISCLAIMER = "Offer valid at participating cafés until 31 May."
COPY = {"headline": HEADLINE, "subhead": SUBHEAD, "cta": CTA, "disclaimers": [DISCLAIMER]}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> BrandSpec:
    return make_spec(tmp_path_factory.mktemp("text"))


def poster(
    headline: str = HEADLINE,
    subhead: str = SUBHEAD,
    cta: str = CTA,
    disclaimer: str = DISCLAIMER,
    extra: list[Text] | None = None,
) -> Image.Image:
    texts = [
        Text(headline, (64, 300), 84),
        Text(subhead, (64, 420), 36, bold=False),
        Text(cta, (64, 520), 48),
        Text(disclaimer, (64, 960), 22, bold=False),
    ]
    return Poster(logo=draw_logo(), texts=[t for t in texts if t.text] + (extra or [])).render()


def resources(engine: RapidOcrEngine) -> CheckResources:
    return resources_with(engine)


# --- real OCR, end to end ------------------------------------------------------------------


def test_correct_copy_passes(spec: BrandSpec, ocr_engine: RapidOcrEngine) -> None:
    res = TextCheck().run(context(spec, poster(), resources(ocr_engine), copy_block=COPY))
    assert res.status is CheckStatus.passed, res.details
    assert res.score == 1.0
    strings = res.details["strings"]
    assert set(strings) == {"headline", "subhead", "cta", "disclaimer[0]"}
    for entry in strings.values():
        assert entry["exact"] is True and entry["ned"] == 0.0
    assert strings["headline"]["rendered"] == HEADLINE
    assert res.details["forbidden"] == []
    # the logo's wordmark "ACME" spells the brand name ("Acme Coffee"): not unexpected
    assert any(line["text"] == "ACME" for line in res.details["ocr_lines"])
    assert res.details["unexpected_text"] == []


def test_one_letter_changed_fails_with_targeted_hint(spec: BrandSpec, ocr_engine: RapidOcrEngine) -> None:
    res = TextCheck().run(context(spec, poster(headline="Fresh Roast Fridey"), resources(ocr_engine), copy_block=COPY))
    assert res.status is CheckStatus.failed
    head = res.details["strings"]["headline"]
    assert head["found"] is False and head["exact"] is False
    assert head["rendered"] == "Fresh Roast Fridey"
    assert head["ned"] == pytest.approx(1 / 18, abs=1e-3)
    assert res.score == pytest.approx(0.75)
    assert "the headline must read exactly 'Fresh Roast Friday'; the last attempt rendered 'Fresh Roast Fridey'" in (
        res.hint or ""
    )
    # the other strings are unaffected
    assert all(res.details["strings"][k]["found"] for k in ("subhead", "cta", "disclaimer[0]"))


def test_missing_word_fails(spec: BrandSpec, ocr_engine: RapidOcrEngine) -> None:
    image = poster(subhead="Single-origin beans, roasted this")
    res = TextCheck().run(context(spec, image, resources(ocr_engine), copy_block=COPY))
    assert res.status is CheckStatus.failed
    sub = res.details["strings"]["subhead"]
    assert sub["found"] is False
    assert sub["rendered"] == "Single-origin beans, roasted this"
    assert sub["ned"] > 0.05  # long string, but a whole word is far beyond the NED allowance
    assert "the subhead must read exactly" in (res.hint or "")


def test_forbidden_word_rendered_fails(spec: BrandSpec, ocr_engine: RapidOcrEngine) -> None:
    extra = [Text("Cheaper than Contoso", (64, 640), 40)]
    res = TextCheck().run(context(spec, poster(extra=extra), resources(ocr_engine), copy_block=COPY))
    assert res.status is CheckStatus.failed
    kinds = {(hit["kind"], hit["rule"]) for hit in res.details["forbidden"]}
    assert ("competitor", "Contoso") in kinds
    assert "remove the forbidden competitor 'Contoso'" in (res.hint or "")
    # the copy itself was still found
    assert all(entry["found"] for entry in res.details["strings"].values())


def test_forbidden_pattern_without_copy(spec: BrandSpec, ocr_engine: RapidOcrEngine) -> None:
    image = Poster(texts=[Text("Flash sale: 50% OFF today", (64, 300), 64)]).render()
    res = TextCheck().run(context(spec, image, resources(ocr_engine)))
    assert res.status is CheckStatus.failed
    assert res.details["copy_expected"] is False
    assert "no copy expected" in res.details["note"]
    assert res.details["forbidden"][0]["kind"] == "pattern"


def test_unexpected_text_reported_and_optionally_failing(spec: BrandSpec, ocr_engine: RapidOcrEngine) -> None:
    extra = [Text("Lorem ipsum dolor", (64, 700), 44)]
    image = poster(extra=extra)
    res = TextCheck().run(context(spec, image, resources(ocr_engine), copy_block=COPY))
    assert res.status is CheckStatus.passed
    texts = [item["text"] for item in res.details["unexpected_text"]]
    assert "Lorem ipsum dolor" in texts
    strict = TextCheck(flag_unexpected=True, allowed_text=["ACME"]).run(
        context(spec, image, resources(ocr_engine), copy_block=COPY)
    )
    assert strict.status is CheckStatus.failed
    assert [item["text"] for item in strict.details["unexpected_text"]] == ["Lorem ipsum dolor"]
    assert "'Lorem ipsum dolor'" in (strict.hint or "")


def test_ocr_runs_once_per_image_for_text_and_contrast(spec: BrandSpec) -> None:
    fake = FakeOcr([OcrLine(HEADLINE, (60, 300, 760, 400), 0.99)])
    image = Poster(texts=[Text(HEADLINE, (64, 300), 84)]).render()
    ctx = context(spec, image, resources_with(fake), copy_block={"headline": HEADLINE})
    report = run_checks(ctx, [TextCheck(), ContrastCheck()])
    assert report.checks["text"].status is CheckStatus.passed
    assert report.checks["contrast"].status is CheckStatus.passed
    assert fake.calls == 1
    json.dumps(report.model_dump_report())  # details are plain JSON


# --- fail closed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "engine",
    [FakeOcr(available=False), FakeOcr(error=RuntimeError("onnxruntime exploded"))],
    ids=["unavailable", "raising"],
)
def test_unusable_ocr_is_not_checked_never_passed(spec: BrandSpec, engine: FakeOcr) -> None:
    image = Poster(texts=[Text(HEADLINE, (64, 300), 84)]).render()
    res = TextCheck().run(context(spec, image, resources_with(engine), copy_block={"headline": HEADLINE}))
    assert res.status is CheckStatus.not_checked
    assert res.details["error"]
    no_copy = TextCheck().run(context(spec, image, resources_with(engine)))  # forbidden scan still due
    assert no_copy.status is CheckStatus.not_checked


def test_missing_rapidocr_reports_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_rapidocr(name: str, *args: object, **kwargs: object) -> object:
        if name == "rapidocr" or name.startswith("rapidocr."):
            raise ImportError("No module named 'rapidocr'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_rapidocr)
    engine = RapidOcrEngine()
    assert engine.available is False
    assert "rapidocr" in (engine.unavailable_reason or "")


def test_skipped_when_nothing_to_look_for(tmp_path_factory: pytest.TempPathFactory) -> None:
    bare = make_spec(tmp_path_factory.mktemp("bare"), forbidden_terms=(), competitors=(), patterns=())
    fake = FakeOcr()
    res = TextCheck().run(context(bare, Poster().render(), resources_with(fake)))
    assert res.status is CheckStatus.skipped
    assert res.details["reason"] == "no copy expected"
    assert fake.calls == 0


def test_spec_required_disclaimers_are_checked_without_copy(tmp_path_factory: pytest.TempPathFactory) -> None:
    legal = make_spec(tmp_path_factory.mktemp("legal"), disclaimers=["Terms apply, see acme.example/terms"])
    fake = FakeOcr([OcrLine("Fresh Roast Friday", (0, 0, 100, 20), 0.9)])
    res = TextCheck().run(context(legal, Poster().render(), resources_with(fake)))
    assert res.status is CheckStatus.failed
    assert res.details["strings"]["required[0]"]["found"] is False
    assert "it was not found" in (res.hint or "")


# --- matching rules (fake OCR lines) --------------------------------------------------------


def lines(*texts: str) -> list[OcrLine]:
    return [OcrLine(text, (10, 10 + 40 * i, 500, 40 + 40 * i), 0.95) for i, text in enumerate(texts)]


def test_long_strings_tolerate_one_slip_short_ones_do_not(spec: BrandSpec) -> None:
    legal = "Offer valid at participating cafés until 31 May"  # 48 characters
    fake = FakeOcr(lines("Fresh Roast Fridav", "Offer valid at participating cafés untii 31 May"))
    copy = {"headline": HEADLINE, "disclaimers": [legal]}
    res = TextCheck().run(context(spec, Poster().render(), resources_with(fake), copy_block=copy))
    disclaimer = res.details["strings"]["disclaimer[0]"]
    assert disclaimer["found"] is True and disclaimer["exact"] is False
    assert disclaimer["ned"] <= 0.05
    assert res.details["strings"]["headline"]["found"] is False
    assert res.status is CheckStatus.failed
    assert res.score == 0.0  # share of strings matched exactly


def test_normalization() -> None:
    assert normalize_tokens("  “Fresh”  ROAST—Friday!! ") == ["fresh", "roast—friday"]
    assert normalize_tokens("Ｆｒｅｓｈ\u200b roast") == ["fresh", "roast"]
    assert normalize_tokens("Don’t stop.") == ["don't", "stop"]
    assert normalize_tokens("— … !") == []


def test_wrapped_reordered_and_fragmented_lines() -> None:
    wrapped = match_string("headline", HEADLINE, lines("Fresh Roast", "Friday"))
    assert wrapped.exact and wrapped.lines == [0, 1]
    # boxes reported out of reading order by the engine
    ocr = [OcrLine("Friday", (10, 60, 200, 100), 0.9), OcrLine("Fresh Roast", (10, 10, 300, 50), 0.9)]
    assert match_string("headline", HEADLINE, ocr).exact
    # a stray fragment is not silently accepted
    fragment = match_string("headline", HEADLINE, lines("Fresh R Roast Friday"))
    assert not fragment.found and fragment.rendered == "Fresh R Roast Friday"
    # OCR missing the word gap: spacing-only difference passes
    squeezed = match_string("cta", "Order now", lines("Ordernow"))
    assert squeezed.spacing_only and squeezed.found and not squeezed.exact
    # ... but letter case still counts (issue 13: case is part of the copy)
    shouted = match_string("cta", "Order now", lines("ORDERNOW"))
    assert not shouted.found and shouted.difference == "letter case"
    # nothing similar at all
    absent = match_string("cta", "Order now", lines("Completely different words here"))
    assert not absent.found and not absent.located
