"""ModerationCheck: scores against the spec's thresholds; fails closed without scores."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import Image

from brandkit.checks.base import (
    Check,
    CheckContext,
    CheckResources,
    Expectation,
    ModerationScores,
    run_checks,
)
from brandkit.checks.moderation import DEFAULT_THRESHOLD, MODERATION_CATEGORIES, ModerationCheck, coverage_of
from brandkit.models import CheckStatus
from brandkit.provider.openai import OpenAIProvider
from brandkit.spec.models import BrandSpec
from tests.support.openai_plugin import png_bytes
from tests.support.openai_server import OpenAIServer

THRESHOLDS = {"sexual": 0.1, "violence": 0.2, "self_harm": 0.05}


def spec_with(base: BrandSpec, thresholds: dict[str, float]) -> BrandSpec:
    forbidden = base.forbidden.model_copy(update={"moderation_thresholds": thresholds})
    return base.model_copy(update={"forbidden": forbidden})


def context(spec: BrandSpec, moderation: ModerationScores | None, error: str | None = None) -> CheckContext:
    image = Image.new("RGB", (32, 32), (255, 255, 255))
    return CheckContext(
        spec=spec,
        image=image,
        data=png_bytes(32, 32),
        expectation=Expectation(),
        resources=CheckResources(),
        moderation=moderation,
        moderation_error=error,
    )


def scores(values: dict[str, float], covered: list[str] | None = None, source: str = "openai:test") -> ModerationScores:
    return ModerationScores(
        source=source,
        scores=values,
        flagged=any(value >= 0.5 for value in values.values()),
        covered_categories=sorted(values) if covered is None else covered,
        request_ids=["req_1"],
    )


CLEAN = {
    "sexual": 0.01,
    "violence": 0.05,
    "self-harm": 0.001,
    "self-harm/intent": 0.002,
    "hate": 0.0,
    "illicit": 0.1,
}


@pytest.fixture
def spec(northwind: BrandSpec) -> BrandSpec:
    return spec_with(northwind, THRESHOLDS)


def test_is_a_check() -> None:
    check = ModerationCheck()
    assert isinstance(check, Check) and check.name == "moderation"
    assert check.default_threshold == DEFAULT_THRESHOLD == 0.5
    with pytest.raises(ValueError):
        ModerationCheck(default_threshold=1.5)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (None, "no moderation service configured"),
        ("moderation service failed: timeout", "moderation service failed: timeout"),
    ],
)
def test_without_scores_is_not_checked_never_passed(spec: BrandSpec, error: str | None, reason: str) -> None:
    outcome = ModerationCheck().run(context(spec, None, error))
    assert outcome.status == CheckStatus.not_checked
    assert outcome.details["reason"] == reason


def test_clean_scores_pass_and_list_every_category(spec: BrandSpec) -> None:
    outcome = ModerationCheck().run(context(spec, scores(CLEAN)))
    assert outcome.status == CheckStatus.passed
    rows = {row["category"]: row for row in outcome.details["categories"]}
    assert set(rows) == set(CLEAN)
    assert rows["violence"]["threshold"] == 0.2
    assert rows["self-harm"]["threshold"] == 0.05  # spec says self_harm: names compare loosely
    assert rows["illicit"]["threshold"] == DEFAULT_THRESHOLD
    assert outcome.details["exceeded"] == [] and outcome.details["request_ids"] == ["req_1"]
    assert outcome.score == pytest.approx(0.9)
    assert outcome.hint is None


def test_score_above_threshold_fails_with_details_and_hint(spec: BrandSpec) -> None:
    values = dict(CLEAN, violence=0.35, **{"self-harm": 0.06})
    outcome = ModerationCheck().run(context(spec, scores(values)))
    assert outcome.status == CheckStatus.failed
    assert outcome.details["exceeded"] == ["self-harm", "violence"]
    failing = [row for row in outcome.details["categories"] if row["exceeded"]]
    assert [(row["category"], row["score"], row["threshold"]) for row in failing] == [
        ("self-harm", 0.06, 0.05),
        ("violence", 0.35, 0.2),
    ]
    assert outcome.hint is not None and "violence" in outcome.hint and "self-harm" in outcome.hint


def test_default_threshold_for_unlisted_categories(spec: BrandSpec) -> None:
    assert ModerationCheck().run(context(spec, scores(dict(CLEAN, illicit=0.5)))).status == CheckStatus.passed
    failed = ModerationCheck().run(context(spec, scores(dict(CLEAN, illicit=0.51))))
    assert failed.status == CheckStatus.failed and failed.details["exceeded"] == ["illicit"]
    stricter = ModerationCheck(default_threshold=0.05).run(context(spec, scores(dict(CLEAN, illicit=0.1))))
    assert stricter.status == CheckStatus.failed


def test_partial_coverage_is_reported(spec: BrandSpec) -> None:
    local = scores({"sexual": 0.02}, covered=["sexual"], source="local:nudenet")
    outcome = ModerationCheck().run(context(spec, local))
    assert outcome.status == CheckStatus.passed  # the spec's default: forbidden.moderation_unjudged: allow
    # issue 13: every category the classifier cannot judge is named, not only those with a threshold
    assert outcome.details["uncovered"] == [c for c in MODERATION_CATEGORIES if c != "sexual"]
    assert "does not judge" in outcome.details["warning"] and "passed on sexual only" in outcome.details["warning"]
    strict = ModerationCheck(require_full_coverage=True).run(context(spec, local))
    assert strict.status == CheckStatus.not_checked and "violence" in strict.details["reason"]
    failing = ModerationCheck(require_full_coverage=True).run(
        context(spec, scores({"sexual": 0.5}, covered=["sexual"]))
    )
    assert failing.status == CheckStatus.failed


def test_coverage_per_category_is_typed_and_the_spec_decides_if_unjudged_blocks(spec: BrandSpec) -> None:
    """Issue 13, item 6: the offline classifier judges only 'sexual'; the other categories are not_checked."""
    local = scores({"sexual": 0.02}, covered=["sexual"], source="local:nudenet")
    outcome = ModerationCheck().run(context(spec, local))
    coverage = {v.category: v for v in coverage_of(outcome)}
    assert set(coverage) == set(MODERATION_CATEGORIES)
    assert coverage["sexual"].status == "passed" and coverage["sexual"].judged_by == "local:nudenet"
    assert coverage["sexual"].score == pytest.approx(0.02) and coverage["sexual"].threshold == 0.1
    unjudged = [v for v in coverage.values() if v.category != "sexual"]
    assert unjudged and all(v.status == "not_checked" and v.score is None and v.judged_by is None for v in unjudged)
    assert coverage["violence"].threshold == 0.2  # the spec's threshold, still shown
    # the spec's policy: block
    blocking = spec.model_copy(update={"forbidden": spec.forbidden.model_copy(update={"moderation_unjudged": "block"})})
    blocked = ModerationCheck().run(context(blocking, local))
    assert blocked.status == CheckStatus.not_checked
    assert "local:nudenet does not judge" in blocked.details["reason"] and "violence" in blocked.details["reason"]
    report = run_checks(context(blocking, local), [ModerationCheck()])
    assert not report.passed
    # full coverage (OpenAI): every category judged, nothing not_checked
    full = ModerationCheck().run(context(blocking, scores(dict.fromkeys(MODERATION_CATEGORIES, 0.01))))
    assert full.status == CheckStatus.passed
    assert all(v.status == "passed" for v in coverage_of(full))


def test_empty_scores_are_not_checked(spec: BrandSpec) -> None:
    outcome = ModerationCheck().run(context(spec, scores({})))
    assert outcome.status == CheckStatus.not_checked


def test_not_checked_blocks_the_report(spec: BrandSpec) -> None:
    report = run_checks(context(spec, None), [ModerationCheck()])
    assert not report.passed and report.failures[0].name == "moderation"


async def test_with_openai_moderation_from_the_loopback_server(
    spec: BrandSpec, make_openai_provider: Callable[..., OpenAIProvider], openai_server: OpenAIServer
) -> None:
    provider = make_openai_provider()
    openai_server.moderation_scores = {"violence": 0.9}
    flagged = await provider.amoderate(png_bytes(), "image/png", "poster copy")
    outcome = ModerationCheck().run(context(spec, flagged))
    assert outcome.status == CheckStatus.failed and "violence" in outcome.details["exceeded"]
    assert outcome.details["source"] == "openai:omni-moderation-latest"

    openai_server.moderation_scores = {}
    clean = provider.moderate(png_bytes(), "image/png", "poster copy")
    assert ModerationCheck().run(context(spec, clean)).status == CheckStatus.passed
