"""One summary from several audit JSONL files: the shards of an audit run on several machines (``--shard I/N``).

:func:`combine_audits` reads each file's ``file`` lines (:class:`~brandkit.audit.records.AuditRecord`; within a file
the last line of a path wins, as for ``--resume``) and its runs' ``start`` and ``summary`` lines (the shard, how many
files), and returns a :class:`CombinedAudit`: the
:class:`~brandkit.audit.records.AuditSummary` of every file audited (the same arithmetic as one run over the whole
library: :func:`~brandkit.audit.records.summarize`) and what it can say about its sources — each file's shard and
whether its run finished (its last line is a summary), the shards of ``N`` that are missing, whether the runs were
cut from one file list (the start line's digest of the whole list before sharding), the paths found in more than one
file (the latest check kept).

It refuses, with a :class:`~brandkit.errors.RequestError` naming the files, what cannot make one audit: a file that
does not exist or holds no audit line, files audited against different specs (their fingerprints differ: the brand
changed between the runs), and shards of different counts (``1/4`` beside ``2/3``).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field, PrivateAttr

from brandkit.audit.reading import read_audit
from brandkit.audit.records import SUMMARY_EVENT, AuditRecord, AuditStart, AuditSummary, summarize
from brandkit.audit.sources import Shard, parse_shard
from brandkit.errors import RequestError

__all__ = ["AuditSource", "CombinedAudit", "combine_audits"]


class AuditSource(BaseModel):
    """One JSONL file of the combination."""

    path: str = Field(description="The JSONL file.")
    files: int = Field(description="Files it holds a record of (the last line of each path).")
    shard: str | None = Field(description="The shard its runs checked (I/N); None: the whole library or unknown.")
    finished: bool = Field(description="Its last line is a summary: the run that wrote it got to the end.")
    expected_files: int | None = Field(
        description="The files of its audit (this shard) as its last run's start line counts them; None: not said."
    )
    skipped_lines: int = Field(description="Lines that are not audit records (torn by a kill, or foreign).")


class CombinedAudit(BaseModel):
    """The summary of several audit files and what is known of their completeness."""

    summary: AuditSummary = Field(description="Over every file audited; resumed is 0, checked counts every file.")
    sources: list[AuditSource]
    shard_count: int | None = Field(description="N of the shards combined; None when no file names a shard.")
    missing_shards: list[str] = Field(description="Shards of N that no file holds (I/N).")
    repeated: list[str] = Field(description="Paths with records in several files (the latest check kept).")
    library_files: int | None = Field(
        description="Files in the whole library the shards were cut from, as their start lines count them (None: "
        "no shard, unknown, or they disagree)."
    )
    libraries: int = Field(
        description="Different file lists the shards were cut from (1: one split of one library; 0: no shard or "
        "unknown). Unsharded files are whole audits of their own lists and may be combined freely."
    )
    records: list[AuditRecord] = Field(
        default_factory=list,
        exclude=True,
        repr=False,
        description="The latest line of every file, by path (what the summary counts; what `audit summary --db` "
        "reads again with its report), without its report. Left out of the JSON form.",
    )

    _chosen: dict[str, frozenset[int]] = PrivateAttr(default_factory=dict)

    def chosen_lines(self, source: str) -> frozenset[int]:
        """Which file lines of the JSONL ``source`` (a :attr:`sources` path; positions among its file lines, as
        :func:`~brandkit.audit.reading.iter_audit_files` gives them) are the latest of their path: the lines
        :attr:`records` holds — what :func:`~brandkit.audit.recording.record_combined` reads again with their
        reports."""
        return self._chosen.get(source, frozenset())

    @property
    def complete(self) -> bool:
        """True when nothing keeps the combination from being the whole audit (:meth:`problems` is empty)."""
        return not self.problems()

    def problems(self) -> list[str]:
        """What keeps the combination from being the whole audit, one sentence each (empty when complete)."""
        out = [f"shard {shard} is missing" for shard in self.missing_shards]
        if self.libraries > 1:
            out.append(
                f"the runs were cut from {self.libraries} different file lists (files added, removed or renamed "
                "between them, or another folder): the shards do not partition one library"
            )
        for source in self.sources:
            total = source.expected_files
            if not source.finished:
                held = "" if total is None else f"; it holds {source.files} of {total} files"
                out.append(f"{source.path}: the run did not finish (no summary line at its end{held})")
            elif total is not None and source.files > total:
                out.append(
                    f"{source.path}: holds results for {source.files} files, its last run's list has {total}: files "
                    "checked by an earlier run are no longer in the library (audit it afresh into a new file)"
                )
        return out


def combine_audits(paths: Sequence[str | os.PathLike[str]], *, worst: int = 10) -> CombinedAudit:
    """The :class:`CombinedAudit` of the audit JSONL files ``paths`` (``brandkit validate … --out``; glob patterns
    are expanded), in any order. Its records leave each file's report out (~20× the memory of the rest of a line):
    :func:`~brandkit.audit.recording.record_combined` reads the kept lines' reports again, one at a time.

    A path in several files keeps its latest check (the line's timestamp). Raises :class:`RequestError` for a
    missing file, a file without any audit line, files audited against different specs, files whose latest lines
    are of different record revisions (:data:`~brandkit.audit.records.RECORD_REVISION`), or shards of different
    counts — naming the files.
    """
    if not paths:
        raise RequestError("name at least one audit JSONL file", field="files", value=[])
    sources: list[AuditSource] = []
    latest: dict[str, tuple[float, AuditRecord, str, int]] = {}  # path → (time written, record, its file, its line)
    seen_in: dict[str, set[str]] = {}
    fingerprints: dict[str, str] = {}  # fingerprint → the first file naming it
    shards: dict[str, Shard] = {}  # file → its shard
    libraries: dict[str, int] = {}  # per sharded file: the whole list's digest → its size (its last start line)
    for path in _expand(paths):
        lines = read_audit(path, reports=False)
        heads = lines.heads
        # each path's last line in this file, with its position among the file lines
        records = {record.path: (ts, record, index) for index, (ts, record) in enumerate(lines.files)}
        if not records and not heads:
            raise RequestError(f"{path}: holds no audit line (start, file or summary)", field="files", value=str(path))
        shard = _shard_of(path, heads)
        if shard is not None:
            shards[str(path)] = shard
        for ts, record, line in records.values():
            key = record.path
            seen_in.setdefault(key, set()).add(str(path))
            if key not in latest or ts >= latest[key][0]:
                latest[key] = (ts, record, str(path), line)
            if record.spec_fingerprint:
                fingerprints.setdefault(record.spec_fingerprint, str(path))
        if heads and heads[-1].spec_fingerprint:  # the last run's spec (an earlier run's may be older: resumed)
            fingerprints.setdefault(heads[-1].spec_fingerprint, str(path))
        starts = [head for head in heads if isinstance(head, AuditStart)]
        if shard is not None and starts and starts[-1].library is not None:  # shards must split one list
            libraries[starts[-1].library] = starts[-1].library_files or 0
        sources.append(
            AuditSource(
                path=str(path),
                files=len(records),
                shard=None if shard is None else str(shard),
                finished=lines.last_event == SUMMARY_EVENT,
                skipped_lines=lines.skipped,
                expected_files=starts[-1].files if starts else None,
            )
        )
    _refuse_mixed(
        fingerprints,
        "these audits were made against different specs: {named}; combine the audits of one version of the brand "
        "(files checked against an older one are checked again by validate --resume with the new spec)",
        paths,
        shown=lambda fp: f"{fp[:12]}…",
    )
    counts = {shard.count for shard in shards.values()}
    if len(counts) > 1:
        _refuse_mixed(
            {str(shard): file for file, shard in shards.items()},
            "these audits are shards of different counts: {named}; combine the shards of one split",
            paths,
        )
    count = counts.pop() if counts else None
    held = {shard.index for shard in shards.values()}
    missing = [] if count is None else [f"{i}/{count}" for i in range(1, count + 1) if i not in held]
    every = sorted((record for _, record, _, _ in latest.values()), key=lambda record: record.path)  # any order in
    _refuse_mixed(  # figures that mean different things (an older brandkit's lines): never one summary
        {
            ("none" if record.revision is None else str(record.revision)): source
            for _, record, source, _ in latest.values()
        },
        "these audit lines were written by brandkit versions whose figures differ (record revisions {named}); run "
        "validate --resume with this version to check the older lines again",
        paths,
    )
    chosen: dict[str, set[int]] = {}
    for _, _, source, line in latest.values():
        chosen.setdefault(source, set()).add(line)
    fingerprint = next(iter(fingerprints), None)
    combined = CombinedAudit(
        summary=summarize(every, worst=worst, spec_fingerprint=fingerprint),
        sources=sources,
        shard_count=count,
        missing_shards=missing,
        repeated=sorted(key for key, files in seen_in.items() if len(files) > 1),
        library_files=next(iter(libraries.values())) if len(libraries) == 1 else None,
        libraries=len(libraries),
        records=every,
    )
    combined._chosen = {source: frozenset(lines) for source, lines in chosen.items()}
    return combined


def _expand(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files ``paths`` name: each file as given, a glob pattern (``audit-*.jsonl``: for shells and runners that
    pass it unexpanded) as the files it matches, sorted; each file once."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_file():
            found = [path]
        elif glob.has_magic(str(given)):
            found = sorted(Path(match) for match in glob.glob(str(given), recursive=True) if Path(match).is_file())
            if not found:
                raise RequestError(f"{given}: the pattern matches no audit file", field="files", value=str(given))
        else:
            raise RequestError(f"{path}: no such audit file", field="files", value=str(path))
        out.extend(file for file in found if file not in out)
    return out


def _shard_of(path: Path, heads: list[AuditStart | AuditSummary]) -> Shard | None:
    """The shard the file's runs checked (their start and summary lines agree), ``None`` when none names one."""
    named = {head.shard for head in heads if head.shard is not None}
    if len(named) > 1:
        raise RequestError(
            f"{path}: its runs checked different shards ({', '.join(sorted(named))}); keep one JSONL file per shard",
            field="files",
            value=str(path),
        )
    return parse_shard(named.pop()) if named else None


def _refuse_mixed(
    found: dict[str, str],
    message: str,
    paths: Sequence[str | os.PathLike[str]],
    shown: Callable[[str], str] = str,
) -> None:
    """Raise :class:`RequestError` with ``message`` (its ``{named}``: each value found, as ``shown``, and the file it
    came from) when ``found`` holds more than one value: what cannot make one audit."""
    if len(found) > 1:
        named = ", ".join(f"{shown(value)} ({file})" for value, file in found.items())
        raise RequestError(message.format(named=named), field="files", value=[str(p) for p in paths])
