"""Foundation table of the built-in checks: name, default policy and fix zone, in report order.

This is the light half of a check's declaration, readable without importing any check module: the
spec layer takes its defaults and its known check names from here (``spec/models.py``), and the
repair stage the zone a ``fix`` redraws (``repair.py``). The check class itself declares the rest —
its typed details model — in ``CheckInfo`` (``brandkit/checks/base.py``), which looks its row up
here; ``brandkit/checks/registry.py`` lists the classes, and a test checks that the two agree.

Also here: :class:`CheckDetails`, the keys every check's ``details`` may carry (``reason`` when it
was skipped or not checked, ``error`` when it raised), read by the CLI, the registry and the reports
instead of string keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

CheckPolicy = Literal["regenerate", "fix", "warn", "raise"]
FixZone = Literal["text", "logo"]


@dataclass(frozen=True)
class CheckEntry:
    """One built-in check: its report/spec name, default policy, the compose zone its ``fix`` redraws, and whether
    it reads the moderation scores (the others run while the moderation request is out)."""

    name: str
    default_policy: CheckPolicy
    fix_zone: FixZone | None
    summary: str
    reads_moderation: bool = False


CATALOG: tuple[CheckEntry, ...] = (
    CheckEntry("palette", "regenerate", None, "brand colour coverage, forbidden colours, photo colour character"),
    CheckEntry("text", "fix", "text", "the exact copy is on the image, nothing else"),
    CheckEntry("logo", "fix", "logo", "the real logo is there, large enough, in place, undistorted, given room"),
    CheckEntry("contrast", "fix", "text", "each line of copy meets its WCAG contrast ratio"),
    CheckEntry("technical", "raise", None, "format, size, dimensions, transparency"),
    CheckEntry("moderation", "raise", None, "moderation scores within the brand's thresholds", reads_moderation=True),
    CheckEntry("credentials", "warn", None, "Content Credentials (C2PA) of the file"),
)


def check_names() -> tuple[str, ...]:
    """Names of the built-in checks, in report order."""
    return tuple(e.name for e in CATALOG)


def check_entry(name: str) -> CheckEntry:
    """The catalog row of ``name``; ``KeyError`` naming the known checks."""
    for entry in CATALOG:
        if entry.name == name:
            return entry
    raise KeyError(f"no built-in check {name!r}; known: {list(check_names())}")


def default_policies() -> dict[str, CheckPolicy]:
    """Default policy of every built-in check."""
    return {e.name: e.default_policy for e in CATALOG}


def fix_zone(name: str) -> FixZone | None:
    """The compose zone a ``fix`` of check ``name`` redraws; ``None`` when the check has no fix (or is unknown)."""
    for entry in CATALOG:
        if entry.name == name:
            return entry.fix_zone
    return None


class CheckDetails(BaseModel):
    """The ``details`` keys every check may set; a check's own details model extends it (extra keys kept)."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    reason: str | None = None
    error: str | None = None

    @classmethod
    def of(cls, details: Mapping[str, Any]) -> CheckDetails:
        """Read a result's ``details``; a value of the wrong type reads as absent rather than raising."""
        reason = details.get("reason")
        error = details.get("error")
        return cls(
            reason=None if reason is None else str(reason),
            error=None if error is None else str(error),
        )

    def why(self) -> str:
        """The reason a check did not judge the image (``reason``, else ``error``), or ``""``."""
        return self.reason or self.error or ""


__all__ = [
    "CATALOG",
    "CheckDetails",
    "CheckEntry",
    "CheckPolicy",
    "FixZone",
    "check_entry",
    "check_names",
    "default_policies",
    "fix_zone",
]
