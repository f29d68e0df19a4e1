"""An audit's JSONL file read back, a line at a time: what ``--resume``, :func:`~brandkit.audit.combine_audits` and
the registry's recording read.

Each line is typed by its event (:data:`~brandkit.audit.records.START_EVENT`, ``FILE_EVENT``, ``SUMMARY_EVENT``);
a line torn by a kill, not JSON, or an audit line that does not validate (another program's or version's) is
counted, never fatal. A file line written before a field existed gets it from its own report
(``off_brand_share``, ``read_reduced``, ``layout_scaled``), so old and new lines summarize alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from brandkit.audit.records import (
    FILE_EVENT,
    START_EVENT,
    SUMMARY_EVENT,
    AuditRecord,
    AuditStart,
    AuditSummary,
    palette_details_of,
)
from brandkit.jsonl import iter_journal

__all__ = ["AuditLines", "iter_audit_files", "read_audit"]


@dataclass(frozen=True)
class AuditLines:
    """An audit JSONL file read back: what ``--resume`` and :func:`~brandkit.audit.combine_audits` read."""

    files: list[tuple[float, AuditRecord]]
    """Each file line in order, with the time it was written (the journal's ``ts``; 0 when it does not say)."""
    heads: list[AuditStart | AuditSummary]
    """The runs' start and summary lines, in order."""
    skipped: int
    """Lines that are not audit lines: torn by a kill, not JSON, or audit lines that do not validate (another
    program's or version's)."""
    last_event: str | None
    """The event of the file's last line (``"summary"``: the last run got to the end)."""

    def latest(self) -> dict[str, tuple[float, AuditRecord]]:
        """The last line of each path (a file checked again after a change, or by a resumed run)."""
        return {record.path: (ts, record) for ts, record in self.files}


def read_audit(path: str | os.PathLike[str], *, reports: bool = True) -> AuditLines:
    """The typed lines of the audit JSONL at ``path`` (a missing file: none), read a line at a time.

    ``reports=False`` leaves each file line's whole validation report out (``report`` is ``None``): what the
    summary, ``--resume`` and the combination read is the rest of the line, and a report is ~20× the rest in
    memory (~54 KB against ~2.7 KB a file on the 1,000-image benchmark library) — a library of 100,000 files read
    with its reports would hold ~5 GB. A file line is kept or skipped on the rest of the line either way (a report
    that is not a JSON object is left out), so ``files`` is the same list with and without the reports."""
    files: list[tuple[float, AuditRecord]] = []
    heads: list[AuditStart | AuditSummary] = []
    skipped = 0
    last: str | None = None
    for kind, item in _audit_lines(path, reports):
        if kind is None or item is None:  # a torn or foreign line, or an audit line that does not validate
            skipped += 1
            if kind is None:
                continue
        last = kind
        if isinstance(item, tuple):
            files.append(item)
        elif isinstance(item, (AuditStart, AuditSummary)):
            heads.append(item)
    return AuditLines(files, heads, skipped, last)


def iter_audit_files(path: str | os.PathLike[str], *, reports: bool = True) -> Iterator[tuple[float, AuditRecord]]:
    """The file lines of the audit JSONL at ``path``, one at a time, as :func:`read_audit` lists them in ``files``
    (the same lines in the same order): what reads each kept line's report back without holding them all."""
    for kind, item in _audit_lines(path, reports):
        if kind == FILE_EVENT and isinstance(item, tuple):
            yield item


_OTHER = "other"
"""What :func:`_audit_lines` gives for a line of another event (not an audit line, not an error)."""


def _audit_lines(
    path: str | os.PathLike[str], reports: bool
) -> Iterator[tuple[str | None, tuple[float, AuditRecord] | AuditStart | AuditSummary | str | None]]:
    """Each line of the JSONL: ``(None, None)`` torn or not JSON; ``(event, "other")`` another event; ``(event,
    None)`` an audit line that does not validate; else the event and its typed line (a file line with its time)."""
    for event in iter_journal(path):
        if event is None:
            yield None, None
            continue
        kind = str(event["event"])
        if kind not in (START_EVENT, FILE_EVENT, SUMMARY_EVENT):
            yield kind, _OTHER
            continue
        fields = {k: v for k, v in event.items() if k not in ("ts", "event")}
        try:
            if kind == FILE_EVENT:
                report = fields.pop("report", None)
                record = AuditRecord.model_validate(fields)
                if record.off_brand_share is None and isinstance(report, dict):
                    record = record.model_copy(update={"off_brand_share": _off_brand_of(report)})
                if "layout_scaled" not in fields and isinstance(report, dict):
                    record = record.model_copy(update=_notes_of(report))
                if reports and isinstance(report, dict):
                    record = record.model_copy(update={"report": report})
                yield kind, (_time(event), record)
            elif kind == START_EVENT:
                yield kind, AuditStart.model_validate(fields)
            else:
                yield kind, AuditSummary.model_validate(fields)
        except ValueError:  # pydantic's ValidationError
            yield kind, None


def _time(event: dict[str, Any]) -> float:
    """When the line was written (the journal's ``ts``, seconds since the epoch); 0 when it does not say."""
    ts = event.get("ts")
    return float(ts) if isinstance(ts, (int, float)) and not isinstance(ts, bool) else 0.0


def _off_brand_of(report: dict[str, Any]) -> float | None:
    """The image's off-brand share read from a JSON report (a line written before ``off_brand_share``)."""
    checks = report.get("checks")
    details = palette_details_of(checks.get("palette") if isinstance(checks, dict) else None)
    return details.image_off_brand_share() if details is not None else None


def _notes_of(report: dict[str, Any]) -> dict[str, bool]:
    """``read_reduced`` and ``layout_scaled`` read from a JSON report (a line written before those fields)."""
    note = report.get("provenance")
    note = note if isinstance(note, dict) else {}
    return {"read_reduced": bool(note.get("reduced")), "layout_scaled": bool(note.get("layout"))}
