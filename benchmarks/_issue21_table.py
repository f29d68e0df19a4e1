"""The table of ``benchmarks/bench_issue21.py``: cells, rows, the CPU ratio, PASS/FAIL and the markdown.

Pure functions of the measurements (no I/O), so ``tests/test_bench_issue21.py`` checks the assembly on fake
figures.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks._measure import load_note

__all__ = ["Cell", "Row", "markdown"]


@dataclass
class Cell:
    """One side of a row: median CPU and wall ms (``None`` with ``missing`` saying why the tree cannot do it)."""

    cpu_ms: float | None = None
    wall_ms: float | None = None
    note: str = ""
    missing: str | None = None
    runs: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, cpu_ms: Sequence[float], wall_ms: Sequence[float], note: str = "", **extra: Any) -> Cell:
        """The medians of timed runs."""
        return cls(statistics.median(cpu_ms), statistics.median(wall_ms), note, None, len(cpu_ms), dict(extra))

    def text(self, unit: str = "ms") -> str:
        """``CPU · wall`` or why there is no figure."""
        if self.cpu_ms is None or self.wall_ms is None:
            return f"— ({self.missing})" if self.missing else "—"
        return f"{self.cpu_ms:,.0f} · {self.wall_ms:,.0f}{'' if unit == 'ms' else ' ' + unit}"


@dataclass
class Row:
    """One line of the table: an item, its two cells, its target (CPU ms) if the issue sets one."""

    key: str
    label: str
    before: Cell
    now: Cell
    target_ms: float | None = None
    target_text: str = ""

    def ratio(self) -> float | None:
        """Before CPU ÷ now CPU (above 1: now is cheaper); ``None`` when a side has no figure."""
        if self.before.cpu_ms is None or self.now.cpu_ms is None or self.now.cpu_ms <= 0:
            return None
        return self.before.cpu_ms / self.now.cpu_ms

    def verdict(self) -> str:
        """PASS / FAIL against the target on the now CPU median; ``—`` without a target or a figure."""
        if self.target_ms is None or self.now.cpu_ms is None:
            return "—"
        return "PASS" if self.now.cpu_ms <= self.target_ms else "FAIL"


def markdown(rows: Sequence[Row], meta: dict[str, Any]) -> str:
    """The table, then the notes, the load averages and how the run was made."""
    out = [
        "| item | before: CPU · wall ms | now: CPU · wall ms | ratio (CPU) | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = row.ratio()
        out.append(
            f"| {row.label} | {row.before.text()} | {row.now.text()} | "
            f"{'—' if ratio is None else f'{ratio:.2f}×'} | {row.target_text or '—'} | {row.verdict()} |"
        )
    out.append("")
    for row in rows:
        notes = [f"{side}: {cell.note}" for side, cell in (("before", row.before), ("now", row.now)) if cell.note]
        if notes:
            out.append(f"- {row.label} — {'; '.join(notes)}")
    out.append("")
    out.append(load_note(tuple(meta["load_start"]), tuple(meta["load_end"]), meta.get("cores")))
    out.append(
        f"before = {meta['base']} ({meta['base_tree']}), now = {meta['now']}; {meta['runs']} timed runs per item "
        f"after {meta['warmup']} warm-up(s) in each of {meta['rounds']} process(es) per tree; "
        f"{'--quick' if meta['quick'] else 'full run'}; ratio = before CPU ÷ now CPU; targets judged on CPU."
    )
    return "\n".join(out)
