"""The shards of an audit recorded in one registry: :func:`record_combined` (``brandkit audit summary --db``).

Each machine's ``validate --db`` records only its own shard, in its own SQLite file. :func:`record_combined` records
every file a :class:`~brandkit.audit.combine.CombinedAudit` holds — its latest line's report and the sha256 of the
bytes checked, as the JSONL has them; the image is neither read nor checked again — in one registry, as one run, so
the whole library lands in one review queue.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from brandkit.audit.combine import CombinedAudit
from brandkit.audit.reading import iter_audit_files
from brandkit.audit.run import file_digest
from brandkit.errors import RequestError

if TYPE_CHECKING:
    from brandkit.spec.models import BrandSpec

__all__ = ["AuditRecording", "record_combined"]


class AuditRecording(BaseModel):
    """What :func:`record_combined` recorded (``registry`` in ``brandkit audit summary --db --json``)."""

    db: str = Field(description="The registry file.")
    run_id: str | None = Field(description="The run the files were recorded in; None when nothing was recorded.")
    recorded: int = Field(description="Files recorded now.")
    already: int = Field(description="Files whose newest validate row already holds that content and spec: skipped.")
    unreadable: int = Field(description="Files the audits could not read: no report, not recorded.")
    not_here: int = Field(description="Files recorded whose audited path does not exist where this ran.")
    changed: int = Field(description="Files recorded whose audited path here holds other bytes than those checked.")
    unrecorded: int = Field(
        description="Files not recorded for a failure (see warnings): the registry's, or a line whose report is "
        "not a validation report."
    )
    warnings: list[str] = Field(
        default_factory=list, description="Why a file was not recorded: the registry failed, or its report is unusable."
    )


def record_combined(
    combined: CombinedAudit, db: str | os.PathLike[str], spec: BrandSpec, *, command: str = "audit summary"
) -> AuditRecording:
    """Record every file of ``combined`` that was read into the registry ``db`` (created if needed) as one run.

    Each file's latest line is read again from its JSONL with its report, one line at a time, and recorded as it is
    read: memory stays flat however large the library (``combined`` itself holds the lines without their reports).

    A file whose newest ``validate`` row holds the same content checked against the same spec is not recorded again
    (combining the same shards twice, or once more after another shard came in, adds only what is new). The paths
    are the audits' own, relative ones resolved against the current folder: files missing there or holding other
    bytes are still recorded (the verdict is on the bytes checked) and counted (``not_here``, ``changed``).
    ``spec`` must be the spec the audits were made against, or the spec loaded of which they used a palette mode
    (the registry keeps its rules beside each asset): a
    :class:`RequestError` names both fingerprints otherwise, before the registry is opened. A registry that cannot be
    written is reported in ``warnings`` and ``unrecorded``, never raised.
    """
    from brandkit.models import ValidationReport
    from brandkit.registry.recorder import RegistryRecorder

    audited_with = combined.summary.spec_fingerprint
    if audited_with is not None:  # audits made in a palette mode of the spec (validate --mode): that mode's spec
        spec = spec.in_mode_of(audited_with)
    if audited_with != spec.fingerprint:
        said = (
            "do not name the spec they were made against (lines written before audits recorded it: validate "
            "--resume with this spec checks them again)"
            if audited_with is None
            else f"were made against the spec {audited_with[:12]}…"
        )
        raise RequestError(
            f"the spec {spec.name} (fingerprint {spec.fingerprint[:12]}…) is not the spec these audits were made "
            f"against: they {said}; each file is recorded with the spec it was checked against",
            field="spec",
            value=spec.fingerprint,
        )
    recorder = RegistryRecorder(db, command, None, spec=spec, kind="validate")
    unreadable = not_here = changed = malformed = 0
    warnings: list[str] = []
    try:
        for source in combined.sources:  # each kept line read again with its report, one at a time
            chosen = combined.chosen_lines(source.path)
            for line, (_, record) in enumerate(iter_audit_files(source.path)):
                if line not in chosen:
                    continue
                if record.state == "unreadable" or record.sha256 is None:
                    unreadable += 1
                    continue
                try:
                    if record.report is None:
                        raise ValueError("no report")
                    report = ValidationReport.from_report_json(record.report)
                except ValueError as exc:  # pydantic's ValidationError included
                    malformed += 1
                    reason = str(exc).splitlines()[0]
                    warnings.append(f"{record.path}: its line in {source.path} holds no usable report ({reason})")
                    continue
                path = Path(record.path)
                if recorder.audited(report, path, record.sha256):
                    here = file_digest(path) if path.is_file() else None
                    not_here += here is None
                    changed += here is not None and here != record.sha256
    finally:
        recorder.close()
    return AuditRecording(
        db=str(db),
        run_id=recorder.run_id,
        recorded=recorder.recorded,
        already=recorder.already,
        unreadable=unreadable,
        not_here=not_here,
        changed=changed,
        unrecorded=recorder.unrecorded + malformed,
        warnings=[*warnings, *recorder.warnings],
    )
