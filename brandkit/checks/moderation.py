"""The ``moderation`` check: category scores against the brand's thresholds, with honest coverage.

The scores are gathered by the pipeline before the checks run (a network call
to a :class:`~brandkit.provider.base.Moderator`, e.g. OpenAI's
omni-moderation, or the offline nudity classifier) and handed over as
``ctx.moderation``. This check compares them with
``spec.forbidden.moderation_thresholds``; a category without a threshold gets
:data:`DEFAULT_THRESHOLD`.

**Coverage per category.** The categories that must be judged are
:data:`MODERATION_CATEGORIES` (OpenAI's omni-moderation categories) plus any
the spec sets a threshold for. Each gets a :class:`CategoryVerdict` in
``details["coverage"]``: ``passed`` / ``failed`` when the moderator judged
it, ``not_checked`` when it did not (the offline classifier judges only
``sexual``). A judged category over its threshold fails the check. Unjudged
categories make the check ``not_checked`` when the spec says
``forbidden.moderation_unjudged: block`` (or the check is built with
``require_full_coverage=True``); with the default ``allow`` the check passes
on the categories judged, and ``details["not_checked_categories"]`` and
``details["warning"]`` say what was not judged — never a blanket pass.

Fail closed: without scores (no moderator configured, or the call failed)
the result is ``not_checked`` with the reason, never ``passed``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar, Literal

from brandkit.checks.base import CheckContext, CheckInfo, ModerationScores, result
from brandkit.checks.moderation_details import CategoryVerdict, ModerationDetails
from brandkit.models import CheckResult, CheckStatus

__all__ = ["DEFAULT_THRESHOLD", "MODERATION_CATEGORIES", "CategoryVerdict", "ModerationCheck", "coverage_of"]

MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
"""Categories every image must be judged on (OpenAI omni-moderation's; the spec may add more)."""


def coverage_of(res: CheckResult) -> list[CategoryVerdict]:
    """The typed per-category coverage of a moderation result (empty when there were no scores)."""
    return [CategoryVerdict.model_validate(row) for row in res.details.get("coverage", [])]


DEFAULT_THRESHOLD = 0.5
"""Highest score allowed for a category the spec gives no threshold for."""

_SEPARATORS = re.compile(r"[\s_/\-]+")


def _key(category: str) -> str:
    """Compare category names loosely: ``self-harm/intent`` == ``self_harm_intent``."""
    return _SEPARATORS.sub("-", category.strip().lower())


class ModerationCheck:
    """Fails when any moderation category scores above its threshold.

    ``default_threshold`` applies to categories the spec does not list.
    ``details["coverage"]`` gives every category's :class:`CategoryVerdict`; the
    hint names the categories that failed. ``require_full_coverage`` blocks on
    unjudged categories whatever the spec says.
    """

    info: ClassVar[CheckInfo] = CheckInfo.builtin("moderation", ModerationDetails)
    name = info.name

    def __init__(self, default_threshold: float = DEFAULT_THRESHOLD, *, require_full_coverage: bool = False) -> None:
        if not 0.0 <= default_threshold <= 1.0:
            raise ValueError(f"default_threshold must be between 0 and 1, got {default_threshold}")
        self.default_threshold = default_threshold
        self.require_full_coverage = require_full_coverage

    def run(self, ctx: CheckContext) -> CheckResult:
        """Compare ``ctx.moderation`` with the spec's thresholds (``not_checked`` without scores)."""
        moderation = ctx.moderation
        if moderation is None:
            reason = ctx.moderation_error or "no moderation service configured"
            return result(
                self.name,
                CheckStatus.not_checked,
                details={"reason": reason},
                hint=None,
            )
        forbidden = ctx.spec.forbidden
        return self.evaluate(moderation, forbidden.moderation_thresholds, forbidden.moderation_unjudged)

    def evaluate(
        self, moderation: ModerationScores, limits: Mapping[str, float], unjudged: Literal["block", "allow"] = "allow"
    ) -> CheckResult:
        """The verdict for ``moderation`` given per-category ``limits`` (names compared loosely)."""
        thresholds = {_key(name): (name, float(value)) for name, value in limits.items()}
        if not moderation.scores:
            return result(
                self.name,
                CheckStatus.not_checked,
                details={
                    "reason": f"{moderation.source} returned no category scores",
                    "source": moderation.source,
                },
            )
        scores = {_key(name): (name, float(score)) for name, score in moderation.scores.items()}
        judged = {_key(name) for name in moderation.covered_categories} | set(scores)
        wanted: dict[str, str] = {_key(name): name for name in MODERATION_CATEGORIES}
        for key, (name, _) in thresholds.items():
            wanted.setdefault(key, name)
        for key, (name, _) in scores.items():
            wanted.setdefault(key, name)
        coverage: list[CategoryVerdict] = []
        for key in sorted(wanted, key=lambda k: wanted[k]):
            threshold = thresholds.get(key, ("", self.default_threshold))[1]
            if key in scores:
                score = scores[key][1]
                status: Literal["passed", "failed", "not_checked"] = "failed" if score > threshold else "passed"
                coverage.append(
                    CategoryVerdict(
                        category=wanted[key],
                        status=status,
                        score=round(score, 6),
                        threshold=threshold,
                        judged_by=moderation.source,
                    )
                )
            else:
                status = "passed" if key in judged else "not_checked"  # covered but no score reported: nothing seen
                coverage.append(
                    CategoryVerdict(
                        category=wanted[key],
                        status=status,
                        score=0.0 if key in judged else None,
                        threshold=threshold,
                        judged_by=moderation.source if key in judged else None,
                    )
                )
        exceeded = [v.category for v in coverage if v.status == "failed"]
        unchecked = [v.category for v in coverage if v.status == "not_checked"]
        worst = max((v.score or 0.0 for v in coverage), default=0.0)
        details: dict[str, object] = {
            "source": moderation.source,
            "flagged_by_service": moderation.flagged,
            "coverage": [v.model_dump() for v in coverage],
            "categories": [
                {"category": v.category, "score": v.score, "threshold": v.threshold, "exceeded": v.status == "failed"}
                for v in coverage
                if v.score is not None
            ],
            "covered_categories": sorted(v.category for v in coverage if v.status != "not_checked"),
            "not_checked_categories": unchecked,
            "unjudged_policy": "block" if self.require_full_coverage else unjudged,
            "exceeded": exceeded,
            "default_threshold": self.default_threshold,
            "request_ids": list(moderation.request_ids),
        }
        if unchecked:
            details["uncovered"] = unchecked
        score = round(max(0.0, 1.0 - worst), 6)
        if exceeded:
            listed = ", ".join(
                f"{v.category} {v.score:.3f} > {v.threshold:.3f}" for v in coverage if v.status == "failed"
            )
            return result(
                self.name,
                CheckStatus.failed,
                score=score,
                details=details,
                hint=(
                    f"Moderation flagged {', '.join(exceeded)} ({listed}). Remove anything that could "
                    f"read as {' or '.join(exceeded)} content from the image and the copy."
                ),
            )
        if unchecked:
            what = f"{moderation.source} does not judge {', '.join(unchecked)}"
            if details["unjudged_policy"] == "block":
                details["reason"] = f"{what} (forbidden.moderation_unjudged: block)"
                return result(self.name, CheckStatus.not_checked, score=score, details=details)
            details["warning"] = (
                f"{what}: passed on {', '.join(details['covered_categories'])} only "  # type: ignore[arg-type]
                "(forbidden.moderation_unjudged: allow)"
            )
        return result(self.name, CheckStatus.passed, score=score, details=details)
