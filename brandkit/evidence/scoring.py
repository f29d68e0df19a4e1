"""Severities, the overall score and the verdict (defined in ``docs/verification.md``).

* A check's **rule severity** is what a failure of it costs, from its policy: ``raise`` (the asset cannot be
  used: technical, moderation) → ``blocker``; ``regenerate`` / ``fix`` (the image must be remade or redrawn)
  → ``major``; ``warn`` → ``minor``.
* An **outcome's severity**: a ``failed`` or ``not_checked`` result (fail closed: a rule that could not be
  verified is not taken as held) has its rule severity; ``passed`` and ``skipped`` are ``info``.
* The **score** is the share of rules passed, weighted: Σ weight(passed rules) / Σ weight(judged rules), with
  weight 5 for a blocker rule, 3 for a major one, 1 for a minor one. Every check in the report is a rule,
  except ``skipped`` ones (they do not apply). ``None`` when no rule was judged.
* The **verdict**: ``fail`` when some finding is a blocker or major (exactly when the validation report did not
  pass); ``pass_with_warnings`` when the only findings are minor; ``pass`` otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from brandkit.evidence.models import CheckEvidence, Score, Severity, Verdict

SEVERITY_WEIGHTS: dict[str, int] = {"blocker": 5, "major": 3, "minor": 1, "info": 0}
SEVERITY_ORDER: tuple[Severity, ...] = ("blocker", "major", "minor", "info")
_POLICY_SEVERITY: dict[str, Severity] = {"raise": "blocker", "regenerate": "major", "fix": "major", "warn": "minor"}


def rule_severity(policy: str) -> Severity:
    """The severity a failure of a check with ``policy`` has (an unknown policy counts as ``major``)."""
    return _POLICY_SEVERITY.get(policy, "major")


def outcome_severity(status: str, policy: str) -> Severity:
    """The severity of a result: its rule severity when failed or not_checked, else ``info``."""
    return rule_severity(policy) if status in ("failed", "not_checked") else "info"


def rule_weight(status: str, policy: str) -> int:
    """The weight of a check's rule in the score (0 for a skipped check: it does not apply)."""
    return 0 if status == "skipped" else SEVERITY_WEIGHTS[rule_severity(policy)]


def score(checks: Iterable[CheckEvidence]) -> Score:
    """Share of the judged rules passed, weighted by rule severity (module docstring)."""
    passed = total = 0
    for check in checks:
        total += check.weight
        if check.status == "passed":
            passed += check.weight
    return Score(
        value=round(passed / total, 4) if total else None,
        passed_weight=passed,
        total_weight=total,
        weights={k: v for k, v in SEVERITY_WEIGHTS.items() if k != "info"},
    )


def verdict(checks: Iterable[CheckEvidence]) -> Verdict:
    """``fail`` with a blocker or major finding, ``pass_with_warnings`` with only minor ones, else ``pass``."""
    severities = {c.severity for c in checks}
    if severities & {"blocker", "major"}:
        return "fail"
    return "pass_with_warnings" if "minor" in severities else "pass"


__all__ = ["SEVERITY_ORDER", "SEVERITY_WEIGHTS", "outcome_severity", "rule_severity", "rule_weight", "score", "verdict"]
