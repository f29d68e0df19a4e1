"""Checks stage: every output is validated before it is returned.

Each check is a small class with ``info`` (its :class:`~brandkit.checks.base.CheckInfo`: name, default
policy, fix zone, details model), ``name`` and ``run(ctx) -> CheckResult``. A new check goes in its own
module here, its class in :mod:`brandkit.checks.registry` and its row in ``brandkit/check_catalog.py``
(see docs/architecture.md, "A new check").
"""

from __future__ import annotations

from brandkit.check_catalog import check_names
from brandkit.checks.base import (
    Check,
    CheckContext,
    CheckInfo,
    CheckResources,
    Expectation,
    ModerationScores,
    run_checks,
)
from brandkit.checks.registry import default_checks

CHECK_NAMES = check_names()


__all__ = [
    "CHECK_NAMES",
    "Check",
    "CheckContext",
    "CheckInfo",
    "CheckResources",
    "Expectation",
    "ModerationScores",
    "default_checks",
    "run_checks",
]
