"""Repair stage: decide what to do with a failed report, and turn failures into feedback.

Per-check policies (from the spec, overridable per call):

* ``regenerate`` — try again with targeted feedback from the failing check;
* ``fix`` — apply a deterministic fix (composite the exact copy / real logo),
  then check again; if the fix does not make it pass, regenerate;
* ``warn`` — record, never block;
* ``raise`` — stop at once with :class:`~brandkit.BrandViolationError`.

``not_checked`` cannot be repaired: a check that could not run fails the
report (unless its policy is ``warn``) and stops the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from brandkit.check_catalog import CATALOG, CheckDetails, fix_zone
from brandkit.models import Attempt, CheckResult, CheckStatus, ValidationReport

# the checks whose failure a deterministic fix can repair, and the zone each redraws: brandkit/check_catalog.py
FIXABLE = frozenset(e.name for e in CATALOG if e.fix_zone is not None)
MAX_FEEDBACK_NOTES = 6
MAX_NOTE_CHARS = 280


@dataclass(frozen=True)
class Decision:
    """What the loop does next."""

    action: Literal["accept", "fix", "regenerate", "stop"]
    fix: frozenset[str] = field(default_factory=frozenset)  # which zones to composite: "text", "logo"
    reason: str = ""


def decide(report: ValidationReport, already_fixed: bool = False) -> Decision:
    """The next step for ``report``."""
    failures = report.failures
    if not failures:
        return Decision("accept")
    raised = [r for r in failures if r.policy == "raise" and r.status == CheckStatus.failed]
    if raised:
        return Decision("stop", reason="; ".join(_describe(r) for r in raised))
    fixes = [r for r in failures if r.policy == "fix" and r.name in FIXABLE and r.status == CheckStatus.failed]
    if fixes and not already_fixed:
        # a fix first: it may also make a dependent check runnable (contrast needs the copy to be there)
        zones = {zone for r in fixes if (zone := fix_zone(r.name)) is not None}
        return Decision("fix", fix=frozenset(zones), reason="; ".join(_describe(r) for r in fixes))
    unrunnable = [r for r in failures if r.status == CheckStatus.not_checked]
    if unrunnable:
        return Decision("stop", reason="; ".join(_describe(r) for r in unrunnable))
    return Decision("regenerate", reason="; ".join(_describe(r) for r in failures))


def _describe(result: CheckResult) -> str:
    if result.status == CheckStatus.not_checked:
        return f"{result.name} could not run ({CheckDetails.of(result.details).why()})"
    return f"{result.name} failed" + (f": {result.hint}" if result.hint else "")


def feedback_for(report: ValidationReport) -> list[str]:
    """Targeted, bounded notes for the next attempt: one per failing check, each short.

    Only the latest attempt's failures are used, so the prompt never grows without bound.
    """
    notes = []
    for result in report.failures:
        hint = result.hint or f"the {result.name} check failed; keep strictly to the brand rules"
        hint = " ".join(hint.split())
        notes.append(hint if len(hint) <= MAX_NOTE_CHARS else hint[: MAX_NOTE_CHARS - 1] + "…")
    return notes[:MAX_FEEDBACK_NOTES]


def best_attempt(attempts: Sequence[Attempt]) -> Attempt | None:
    """The passing attempt with the highest score, else the highest-scoring attempt (earliest on ties)."""
    if not attempts:
        return None
    passing = [a for a in attempts if a.report.passed]
    pool = passing or list(attempts)
    return max(pool, key=lambda a: (a.report.score(), -a.number))
