"""The mapping report of ``brandkit spec import``: what mapped to what, what was approximated (and how), what
was dropped (and why) and what the user must still decide."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["mapped", "approximated", "dropped", "decide"]
KINDS: tuple[Kind, ...] = ("mapped", "approximated", "dropped", "decide")


@dataclass(frozen=True)
class ReportEntry:
    """One line of the report: ``source`` (where in the imported file) → ``target`` (where in the spec)."""

    kind: Kind
    source: str
    target: str
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        """JSON-friendly form."""
        return {"kind": self.kind, "source": self.source, "target": self.target, "note": self.note}


@dataclass
class MappingReport:
    """Every decision one import made, in order, for one brand."""

    format: str
    source: str
    brand: str = ""
    detected_by: str = ""
    entries: list[ReportEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    palette_space_share: float | None = None
    out: str = ""
    #: spec capabilities the import filled that the pipeline does not use yet (kept for export and later use)
    not_used_yet: list[str] = field(default_factory=list)

    def mapped(self, source: str, target: str, note: str = "") -> None:
        """Record a value carried over as it is."""
        self.entries.append(ReportEntry("mapped", source, target, note))

    def approximated(self, source: str, target: str, how: str) -> None:
        """Record a value carried over with a change; ``how`` says what changed."""
        self.entries.append(ReportEntry("approximated", source, target, how))

    def dropped(self, source: str, why: str) -> None:
        """Record a value not carried over; ``why`` says why."""
        self.entries.append(ReportEntry("dropped", source, "", why))

    def decide(self, target: str, what: str, source: str = "") -> None:
        """Record something the user must still decide in the spec."""
        self.entries.append(ReportEntry("decide", source, target, what))

    def of(self, kind: Kind) -> list[ReportEntry]:
        """The entries of one kind."""
        return [e for e in self.entries if e.kind == kind]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``brandkit spec import --json``)."""
        return {
            "format": self.format,
            "source": self.source,
            "brand": self.brand,
            "detected_by": self.detected_by,
            "out": self.out,
            "palette_space_share": None if self.palette_space_share is None else round(self.palette_space_share, 4),
            "warnings": list(self.warnings),
            "not_used_yet": list(self.not_used_yet),
            **{kind: [e.as_dict() for e in self.of(kind)] for kind in KINDS},
        }
