"""An audit's typed records: one :class:`AuditRecord` per file (one JSON line each) and the :class:`AuditSummary`.

A record holds what the summary and a later ``--resume`` need — the file, its content hash, the spec and the
expected copy it was checked against (``spec_fingerprint``, ``expectation``), its state, each check's status, the
report's rank score, the palette check's off-palette share — and the whole validation report (``report``), so a
JSONL file is complete on its own. :func:`summarize` is pure arithmetic over records: the run that wrote them and a
resumed run that read some back give the same summary. Reading a JSONL back is :mod:`brandkit.audit.reading`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from brandkit.checks.palette_details import PaletteDetails
from brandkit.models import AssetRequest, CheckResult, CheckStatus
from brandkit.spec.models import mode_fingerprint
from brandkit.validate_many import FileResult

__all__ = [
    "FILE_EVENT",
    "START_EVENT",
    "SUMMARY_EVENT",
    "AuditRecord",
    "AuditStart",
    "AuditSummary",
    "CheckTally",
    "Offender",
    "expectation_key",
    "library_digest",
    "palette_details_of",
    "record_of",
    "summarize",
]

FileState = Literal["passed", "failed", "unreadable"]

START_EVENT = "start"
"""The JSONL event of a run's first line (:class:`AuditStart`)."""
FILE_EVENT = "file"
"""The JSONL event of one file's line (:class:`AuditRecord`)."""
SUMMARY_EVENT = "summary"
"""The JSONL event of a run's last line (:class:`AuditSummary`)."""


RECORD_REVISION = 7
"""What a record's figures mean, as of this brandkit: bumped when a check's decision or a recorded figure changes
meaning (2: ``off_palette_share`` became the judged pixels beyond the tolerance, ``1 − coverage``; before, ΔE > 20
over every pixel; 3: the technical check fails an animated file, whose frames after the first went unchecked; 4: the
logo check looks at the layout's box scaled to a file of another size and keeps its coarse templates whole on a
large file, and a file over the decode limit is checked reduced, no longer unreadable; 5: the logo's clear space
measured where the logo is 64 px tall, and a wider fine search on files over 2,048 px; 6: a template reading is the
logo only when each of its parts agrees, and a one-colour logo is matched as a silhouette; 7: a recoloured logo
fails, and without provenance the variant whose colours fit is named).
``--resume`` checks again a file whose line is of another revision (or has none)."""


class AuditRecord(BaseModel):
    """One file's line in the audit's JSONL (the ``file`` event)."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="The file as found (relative to the working folder when it was given so).")
    rel: str = Field(description="Its relative path inside the source it came from: what --shard hashes.")
    sha256: str | None = Field(description="sha256 of its bytes; None when they could not be read.")
    state: FileState
    error: str | None = Field(default=None, description="Why it is unreadable: the error type and message.")
    checks: dict[str, CheckStatus] = Field(default_factory=dict, description="Each check's status.")
    failed_checks: list[str] = Field(default_factory=list, description="The blocking checks, in check order.")
    score: float | None = Field(default=None, description="ValidationReport.score(): higher is better.")
    off_palette_share: float | None = Field(default=None, description="The palette check's off-palette share.")
    off_brand_share: float | None = Field(
        default=None,
        description="Share of the whole image in off-brand colour (PaletteDetails.image_off_brand_share): the brand "
        "zones' off-palette pixels plus the photo area off-brand dominant colours cover — what ranks an ad and a bare "
        "photograph alike; None when the palette check judged nothing. Lines written without it get it from their "
        "report when read back.",
    )
    report: dict[str, Any] | None = Field(default=None, description="The whole validation report (JSON form).")
    read_reduced: bool = Field(
        default=False,
        description="Checked reduced: the file has more pixels than brandkit decodes (report.provenance.reduced).",
    )
    layout_scaled: bool = Field(
        default=False,
        description="Checked for the expected copy in a format's layout scaled to the file's size "
        "(report.provenance.layout).",
    )
    spec_fingerprint: str | None = Field(
        default=None, description="The fingerprint of the spec the file was checked against (BrandSpec.fingerprint)."
    )
    spec_mode: str | None = Field(
        default=None,
        description="The palette mode the file was checked in when its provenance named one (the audit's spec in "
        "its default colours): the spec is still spec_fingerprint's. None: the spec's own colours or the audit's.",
    )
    expectation: str | None = Field(
        default=None,
        description="What every image was checked against besides its provenance (the caller's copy and format), "
        "as a digest (expectation_key); None: each image's own provenance.",
    )
    revision: int | None = Field(
        default=None,
        description="RECORD_REVISION of the brandkit that wrote it (None: written before revisions): what its "
        "figures mean; --resume checks again a file whose line is of another revision.",
    )


class AuditStart(BaseModel):
    """The line a run writes before its first file (the ``start`` event): what it sets out to check."""

    shard: str | None = Field(default=None, description="The run's shard (I/N); None: the whole library.")
    files: int = Field(description="Files in the audit (this shard), those already in the JSONL included.")
    to_check: int = Field(description="Files this run checks (the others were resumed).")
    spec_fingerprint: str | None = Field(default=None, description="The fingerprint of the spec audited against.")
    expectation: str | None = Field(default=None, description="The run's expectation_key (None: provenance).")
    library: str | None = Field(
        default=None,
        description="sha256 of the whole file list before sharding (each file's relative path, sorted): the shards "
        "of one split share it (library_digest).",
    )
    library_files: int | None = Field(default=None, description="Files in that whole list (every shard).")
    skipped_metadata: int = Field(
        default=0,
        description="macOS AppleDouble files (._name: a Mac's metadata, not images) the folders and patterns held, "
        "left out of the list.",
    )
    other_files: dict[str, int] = Field(
        default_factory=dict,
        description="The other files the folders and patterns held, not images brandkit reads (an SVG, a PDF, a "
        "PSD…), left out of the list: how many of each extension ('': none), most frequent first.",
    )


class CheckTally(BaseModel):
    """How one check went over the audited files that were read."""

    passed: int = 0
    failed: int = 0
    not_checked: int = 0
    skipped: int = 0
    warned: int = Field(
        default=0,
        description="Of the failed and not_checked: those under the check's warn policy (they did not fail the file).",
    )
    pass_rate: float | None = Field(
        default=None, description="passed / (passed + failed + not_checked); None when the check never ran."
    )


class Offender(BaseModel):
    """A file among the worst: its path, rank score, off-palette share and blocking checks."""

    path: str
    score: float | None
    off_palette_share: float | None
    off_brand_share: float | None = None
    failed_checks: list[str] = Field(description="The blocking checks (failed or not_checked), in check order.")
    not_checked: list[str] = Field(
        default_factory=list, description="Those of ``failed_checks`` that could not run (status not_checked)."
    )


class AuditSummary(BaseModel):
    """The end of an audit: counts, each check's pass rate and the worst offenders."""

    files: int = Field(description="Files in the audit (this shard), resumed ones included; combined: every shard's.")
    checked: int = Field(description="Files checked by this run (combined: every file).")
    resumed: int = Field(
        description="Files skipped because the JSONL already held them with the same hash, spec and expectation."
    )
    passed: int
    failed: int
    unreadable: int
    pass_rate: float | None = Field(description="passed / files read; None when no file was read.")
    checks: dict[str, CheckTally]
    worst_by_score: list[Offender] = Field(description="Failed files, lowest score first.")
    worst_by_off_palette: list[Offender] = Field(
        description="Read files with off-brand colour (off_brand_share: the brand zones' off-palette pixels and the "
        "photo's off-brand colours, as a share of the image), largest share first."
    )
    unreadable_files: list[str] = Field(description="The unreadable files with their errors (up to the limit).")
    read_reduced: int = Field(
        default=0,
        description="Files of more than the 16,588,800 pixels brandkit decodes, checked reduced (each record's "
        "report.provenance.reduced says the size).",
    )
    layout_scaled: int = Field(
        default=0,
        description="Files checked for the expected copy in a format's layout scaled to their size (each record's "
        "report.provenance.layout says which).",
    )
    shard: str | None = Field(default=None, description="The run's shard (I/N); None: the whole library.")
    spec_fingerprint: str | None = Field(default=None, description="The fingerprint of the spec audited against.")


def library_digest(rels: Iterable[str]) -> str:
    """sha256 of a file list — each file's relative path, sorted, one per line —: the same on every machine that
    expands the same library (the paths relative to their source), whatever the checkout folder."""
    return hashlib.sha256("\n".join(sorted(rels)).encode("utf-8")).hexdigest()


def expectation_key(expected: AssetRequest | None, fmt: str | None) -> str | None:
    """A digest of what an audit checks every image against besides its provenance — the caller's copy
    (``expected``) and spec format (``fmt``) —, ``None`` when it is each image's own provenance. Two runs with the
    same key check a file against the same copy and format."""
    if expected is None and fmt is None:
        return None
    settings = {"expected": None if expected is None else expected.model_dump(mode="json"), "format": fmt}
    canonical = json.dumps(settings, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def record_of(
    result: FileResult, rel: str, *, spec_fingerprint: str | None = None, expectation: str | None = None
) -> AuditRecord:
    """The record of one validated (or unreadable) file, checked against the spec of ``spec_fingerprint`` (the
    report's own when it names one: the spec the worker loaded) and the :func:`expectation_key` ``expectation``.
    A report checked in a palette mode of that spec (its provenance's) keeps ``spec_fingerprint`` and names the
    mode (``spec_mode``)."""
    report = result.report
    common: dict[str, Any] = {"path": str(result.path), "rel": rel, "sha256": result.sha256}
    checked_with = report.spec_fingerprint if report is not None and report.spec_fingerprint else spec_fingerprint
    if (
        report is not None
        and report.spec_mode is not None
        and spec_fingerprint
        and checked_with == mode_fingerprint(spec_fingerprint, report.spec_mode)
    ):
        common["spec_mode"] = report.spec_mode
        checked_with = spec_fingerprint
    common.update(spec_fingerprint=checked_with, expectation=expectation, revision=RECORD_REVISION)
    if report is None:
        return AuditRecord(state="unreadable", error=result.error, **common)
    details = palette_details_of(report.checks.get("palette"))
    return AuditRecord(
        state="passed" if report.passed else "failed",
        checks={name: check.status for name, check in report.checks.items()},
        failed_checks=[check.name for check in report.failures],
        score=round(report.score(), 6),
        off_palette_share=details.off_palette_share if details is not None else None,
        off_brand_share=details.image_off_brand_share() if details is not None else None,
        report=report.model_dump_report(),
        read_reduced=report.provenance is not None and report.provenance.reduced is not None,
        layout_scaled=report.provenance is not None and report.provenance.layout is not None,
        **common,
    )


def palette_details_of(palette: Any) -> PaletteDetails | None:
    """The palette check's typed details from its result — a :class:`CheckResult` or its JSON form (a line written
    before ``off_brand_share``) —; None when it did not run (absent, skipped) or its details do not validate."""
    status: Any
    details: Any
    if isinstance(palette, CheckResult):
        status, details = palette.status, palette.details
    elif isinstance(palette, dict):
        status, details = palette.get("status"), palette.get("details")
    else:
        return None
    if status in (None, CheckStatus.skipped) or not isinstance(details, dict):  # a StrEnum: "skipped" too
        return None
    try:
        return PaletteDetails.model_validate(details)
    except ValueError:  # pydantic's ValidationError: another version's details
        return None


def summarize(
    records: Iterable[AuditRecord],
    *,
    resumed: int = 0,
    worst: int = 10,
    shard: str | None = None,
    spec_fingerprint: str | None = None,
) -> AuditSummary:
    """The summary of ``records`` (one per file); ``resumed`` of them came from an earlier run's JSONL; ``shard``
    and ``spec_fingerprint`` are the run's, carried as they are."""
    records = list(records)
    tallies: dict[str, CheckTally] = {}
    for record in records:
        for name, status in record.checks.items():
            tally = tallies.setdefault(name, CheckTally())
            setattr(tally, status.value, getattr(tally, status.value) + 1)
            if status in (CheckStatus.failed, CheckStatus.not_checked) and name not in record.failed_checks:
                tally.warned += 1
    for tally in tallies.values():
        ran = tally.passed + tally.failed + tally.not_checked
        tally.pass_rate = round(tally.passed / ran, 6) if ran else None
    read = [record for record in records if record.state != "unreadable"]
    passed = sum(1 for record in read if record.state == "passed")
    failed_files = [record for record in read if record.state == "failed"]
    by_score = sorted(failed_files, key=lambda r: (r.score if r.score is not None else 0.0, r.path))
    # an offender has off-brand colour: a file at 0 % (or not measured) is none
    shared = [record for record in read if record.off_brand_share]
    by_off = sorted(shared, key=lambda r: (-(r.off_brand_share or 0.0), r.path))
    unreadable = [record for record in records if record.state == "unreadable"]
    return AuditSummary(
        files=len(records),
        checked=len(records) - resumed,
        resumed=resumed,
        passed=passed,
        failed=len(failed_files),
        unreadable=len(unreadable),
        pass_rate=round(passed / len(read), 6) if read else None,
        checks=dict(sorted(tallies.items())),
        worst_by_score=[_offender(record) for record in by_score[:worst]],
        worst_by_off_palette=[_offender(record) for record in by_off[:worst]],
        unreadable_files=[f"{record.path}: {record.error}" for record in unreadable[:worst]],
        read_reduced=sum(1 for record in read if record.read_reduced),
        layout_scaled=sum(1 for record in read if record.layout_scaled),
        shard=shard,
        spec_fingerprint=spec_fingerprint,
    )


def _offender(record: AuditRecord) -> Offender:
    return Offender(
        path=record.path,
        score=record.score,
        off_palette_share=record.off_palette_share,
        off_brand_share=record.off_brand_share,
        failed_checks=record.failed_checks,
        not_checked=[name for name in record.failed_checks if record.checks.get(name) == CheckStatus.not_checked],
    )
