"""Checks stage: every output is validated before it is returned.

Each check is a small class with ``name`` and ``run(ctx) -> CheckResult``
(see :mod:`brandkit.checks.base`). A new check goes in its own module here
and into :func:`default_checks`.
"""

from __future__ import annotations

from brandkit.checks.base import Check, CheckContext, CheckResources, Expectation, ModerationScores, run_checks

CHECK_NAMES = ("palette", "text", "logo", "contrast", "technical", "moderation", "credentials")


def default_checks() -> list[Check]:
    """One instance of every built-in check, in report order."""
    from brandkit.checks.contrast import ContrastCheck
    from brandkit.checks.credentials import CredentialsCheck
    from brandkit.checks.logo import LogoCheck
    from brandkit.checks.moderation import ModerationCheck
    from brandkit.checks.palette import PaletteCheck
    from brandkit.checks.technical import TechnicalCheck
    from brandkit.checks.text import TextCheck

    return [
        PaletteCheck(),
        TextCheck(),
        LogoCheck(),
        ContrastCheck(),
        TechnicalCheck(),
        ModerationCheck(),
        CredentialsCheck(),
    ]


__all__ = [
    "CHECK_NAMES",
    "Check",
    "CheckContext",
    "CheckResources",
    "Expectation",
    "ModerationScores",
    "default_checks",
    "run_checks",
]
