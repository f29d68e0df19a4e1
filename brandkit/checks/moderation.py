"""The ``moderation`` check: category scores against the brand's thresholds.

The scores are gathered by the pipeline before the checks run (a network call
to a :class:`~brandkit.provider.base.Moderator`, e.g. OpenAI's
omni-moderation) and handed over as ``ctx.moderation``. This check only
compares them with ``spec.forbidden.moderation_thresholds``; a category
without a threshold gets :data:`DEFAULT_THRESHOLD`.

Fail closed: without scores (no moderator configured, or the call failed)
the result is ``not_checked`` with the reason, never ``passed``. Categories
the spec gives a threshold for but the moderator does not score (a local
classifier covers few categories) are listed in ``details["uncovered"]``;
with ``require_full_coverage=True`` they make the result ``not_checked``
(unless another category already fails).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from brandkit.checks.base import CheckContext, ModerationScores, result
from brandkit.models import CheckResult, CheckStatus

__all__ = ["DEFAULT_THRESHOLD", "ModerationCheck"]

DEFAULT_THRESHOLD = 0.5
"""Highest score allowed for a category the spec gives no threshold for."""

_SEPARATORS = re.compile(r"[\s_/\-]+")


def _key(category: str) -> str:
    """Compare category names loosely: ``self-harm/intent`` == ``self_harm_intent``."""
    return _SEPARATORS.sub("-", category.strip().lower())


class ModerationCheck:
    """Fails when any moderation category scores above its threshold.

    ``default_threshold`` applies to categories the spec does not list.
    ``details`` lists every category with its score and threshold; the hint
    names the categories that failed. ``require_full_coverage`` turns
    thresholds the moderator cannot score into ``not_checked``.
    """

    name = "moderation"

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
        return self.evaluate(moderation, ctx.spec.forbidden.moderation_thresholds)

    def evaluate(self, moderation: ModerationScores, limits: Mapping[str, float]) -> CheckResult:
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
        rows: list[dict[str, object]] = []
        exceeded: list[str] = []
        worst = 0.0
        for category, score in sorted(moderation.scores.items()):
            _, threshold = thresholds.get(_key(category), (category, self.default_threshold))
            over = score > threshold
            rows.append({"category": category, "score": round(score, 6), "threshold": threshold, "exceeded": over})
            if over:
                exceeded.append(category)
            worst = max(worst, score)
        covered = {_key(name) for name in (moderation.covered_categories or list(moderation.scores))}
        covered |= {_key(name) for name in moderation.scores}
        uncovered = sorted(name for key, (name, _) in thresholds.items() if key not in covered)
        details: dict[str, object] = {
            "source": moderation.source,
            "flagged_by_service": moderation.flagged,
            "categories": rows,
            "covered_categories": sorted(covered),
            "exceeded": exceeded,
            "default_threshold": self.default_threshold,
            "request_ids": list(moderation.request_ids),
        }
        if uncovered:
            details["uncovered"] = uncovered
        score = round(max(0.0, 1.0 - worst), 6)
        if exceeded:
            listed = ", ".join(
                f"{row['category']} {row['score']:.3f} > {row['threshold']:.3f}" for row in rows if row["exceeded"]
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
        if uncovered and self.require_full_coverage:
            details["reason"] = (
                f"{moderation.source} does not score {', '.join(uncovered)}, which the spec sets thresholds for"
            )
            return result(self.name, CheckStatus.not_checked, score=score, details=details)
        return result(self.name, CheckStatus.passed, score=score, details=details)
