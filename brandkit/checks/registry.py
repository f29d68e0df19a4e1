"""The built-in check classes, in report order: what :func:`default_checks` instantiates.

Each class declares itself in its ``info`` (:class:`~brandkit.checks.base.CheckInfo`); the light
name / default policy / fix zone table the spec and repair read is ``brandkit/check_catalog.py``
(``tests/test_check_registry.py`` checks that both list the same checks, in the same order, with the
same declarations). The check modules are imported when the list is asked for, not at import.
"""

from __future__ import annotations

from brandkit.checks.base import Check, CheckInfo, DeclaredCheck


def check_classes() -> list[type[DeclaredCheck]]:
    """Every built-in check class, in report order."""
    from brandkit.checks.contrast import ContrastCheck
    from brandkit.checks.credentials import CredentialsCheck
    from brandkit.checks.logo import LogoCheck
    from brandkit.checks.moderation import ModerationCheck
    from brandkit.checks.palette import PaletteCheck
    from brandkit.checks.technical import TechnicalCheck
    from brandkit.checks.text import TextCheck

    return [PaletteCheck, TextCheck, LogoCheck, ContrastCheck, TechnicalCheck, ModerationCheck, CredentialsCheck]


def check_infos() -> dict[str, CheckInfo]:
    """The declaration of every built-in check by name, in report order."""
    infos: dict[str, CheckInfo] = {}
    for cls in check_classes():
        infos[cls.info.name] = cls.info
    return infos


def default_checks() -> list[Check]:
    """One instance of every built-in check, in report order."""
    return [cls() for cls in check_classes()]


__all__ = ["check_classes", "check_infos", "default_checks"]
