"""``audit``: validate a whole asset library against the brand — in parallel, streamed, resumable, shardable.

:func:`audit` expands the sources (:mod:`brandkit.audit.sources`), keeps its shard, skips the files a previous
run already wrote to ``out`` with the same content hash, checked against the same spec and expected copy
(``resume``), and returns an :class:`AuditRun`: iterate
it to validate the rest (:func:`brandkit.validate_many.validate_files`: ``jobs`` worker processes, each building
its kit once and sharing the warm disk caches of :class:`~brandkit.warm_cache.WarmCache` with the others). Each
finished file is appended to ``out`` as one fsynced JSON line (:class:`~brandkit.jsonl.Journal`) *before* the
iterator yields it, so a ``kill -9`` loses at most the files in flight; a ``start`` line (:class:`AuditStart`: the
shard, how many files) comes before them and the ``summary`` after.

**Warm-up**: an audit of :data:`WARM_MIN_FILES` files or more first prepares, in this process, what the palette and
logo checks need into the warm disk cache — the palette's gamut table included (every sRGB colour's exact minimum
ΔE00: ~5–10 s of CPU and 144 MiB once per palette, announced by a one-line warning), which makes each image's
exact palette figures a look-up instead of ~30–250 ms of CIEDE2000 — so the workers load it instead of each
building or computing it. ``warm=True`` / ``False`` forces the choice either way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from brandkit.audit.reading import read_audit
from brandkit.audit.records import (
    FILE_EVENT,
    RECORD_REVISION,
    START_EVENT,
    SUMMARY_EVENT,
    AuditRecord,
    AuditStart,
    AuditSummary,
    expectation_key,
    library_digest,
    record_of,
    summarize,
)
from brandkit.audit.sources import (
    AuditFile,
    Shard,
    expand_library,
    extension_counts,
    parse_shard,
    select_shard,
)
from brandkit.errors import OutputError, RequestError
from brandkit.jsonl import Journal
from brandkit.models import AssetRequest
from brandkit.spec.models import BrandSpec
from brandkit.validate_many import FileResult, default_jobs, validate_files

__all__ = ["WARM_MIN_FILES", "AuditItem", "AuditRun", "audit", "file_digest"]

WARM_MIN_FILES = 200
"""From this many files to check, an audit warms the caches first (the gamut table's one-off build is then
repaid: ≥ 200 × ~30 ms of exact palette figures per image)."""


@dataclass(frozen=True)
class AuditItem:
    """One file checked by this run: the validation ``result`` (report or error) and its JSONL ``record``."""

    result: FileResult
    record: AuditRecord


def file_digest(path: Path) -> str | None:
    """sha256 of the file's bytes, ``None`` when it cannot be read."""
    import hashlib

    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


class AuditRun:
    """An audit under way: iterate it for the files checked now (in the order they finish), then read
    :attr:`summary`. ``files`` is the audit's list (this shard), ``todo`` what is left to check, ``resumed`` how
    many were skipped because ``out`` held them already, ``rechecked`` how many ``out`` held with the same bytes but
    checked against another spec or other expected copy (they are in ``todo``: checked again); ``library`` the
    digest and size of the whole file list before sharding (:func:`~brandkit.audit.records.library_digest`);
    ``skipped`` the macOS metadata files (``._name``) the folders and patterns held, left out; ``other`` their other
    files, not images brandkit reads (an SVG, a PDF, a PSD…), left out too."""

    def __init__(
        self,
        spec: BrandSpec,
        spec_source: str | os.PathLike[str],
        files: list[AuditFile],
        todo: list[AuditFile],
        previous: dict[str, AuditRecord],
        *,
        rechecked: int,
        shard: Shard | None,
        library: tuple[str, int],
        skipped: list[Path],
        other: list[Path],
        expectation: str | None,
        jobs: int | None,
        out: Path | None,
        expected: AssetRequest | None,
        fmt: str | None,
        worst: int,
        warm: bool,
    ) -> None:
        self.spec = spec
        self.spec_source = spec_source
        self.files = files
        self.todo = todo
        self.resumed = len(previous)
        self.rechecked = rechecked
        self.shard = shard
        self.library = library
        self.skipped = skipped
        self.other = other
        self.expectation = expectation
        self.out = out
        self._previous = previous
        self._jobs = jobs
        self._expected = expected
        self._fmt = fmt
        self._worst = worst
        self.warm = warm
        self._records: list[AuditRecord] = []
        self._summary: AuditSummary | None = None
        self._started = False

    def __repr__(self) -> str:
        return (
            f"AuditRun(files={len(self.files)}, todo={len(self.todo)}, resumed={self.resumed}, "
            f"rechecked={self.rechecked}, out={self.out}, warm={self.warm})"
        )

    def __iter__(self) -> Iterator[AuditItem]:
        if self._started:
            raise RuntimeError("an AuditRun is iterated once")
        self._started = True
        if self.warm and self.todo:
            _warm_caches(self.spec)
        journal = Journal(self.out).open() if self.out is not None else None
        if journal is not None:
            start = AuditStart(
                shard=None if self.shard is None else str(self.shard),
                files=len(self.files),
                to_check=len(self.todo),
                spec_fingerprint=self.spec.fingerprint,
                expectation=self.expectation,
                library=self.library[0],
                library_files=self.library[1],
                skipped_metadata=len(self.skipped),
                other_files=extension_counts(self.other),
            )
            journal.append(START_EVENT, **start.model_dump(mode="json"))
        paths = [item.path for item in self.todo]
        finished = validate_files(
            self.spec, self.spec_source, paths, expected=self._expected, fmt=self._fmt, jobs=self._jobs
        )
        try:
            for result in finished:
                rel = self.todo[result.index].rel
                record = record_of(result, rel, spec_fingerprint=self.spec.fingerprint, expectation=self.expectation)
                if journal is not None:
                    journal.append(FILE_EVENT, **record.model_dump(mode="json"))
                # kept for the summary without its report (in the JSONL and the item): a flat ~3 KB a file
                self._records.append(record.model_copy(update={"report": None}))
                yield AuditItem(result, record)
            every = [*self._previous.values(), *self._records]
            self._summary = summarize(
                every,
                resumed=self.resumed,
                worst=self._worst,
                shard=None if self.shard is None else str(self.shard),
                spec_fingerprint=self.spec.fingerprint,
            )
            if journal is not None:
                journal.append(SUMMARY_EVENT, **self._summary.model_dump(mode="json"))
        finally:
            finished.close()  # an abandoned iteration stops the worker processes now
            if journal is not None:
                journal.close()

    @property
    def summary(self) -> AuditSummary:
        """The summary over every file of the audit (resumed ones included); set once the run is iterated."""
        if self._summary is None:
            raise RuntimeError("the summary is known once the AuditRun has been iterated to the end")
        return self._summary


def audit(
    spec: BrandSpec,
    sources: Sequence[str | os.PathLike[str]],
    *,
    spec_source: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    shard: Shard | str | None = None,
    expected: AssetRequest | None = None,
    fmt: str | None = None,
    worst: int = 10,
    warm: bool | None = None,
) -> AuditRun:
    """Prepare the audit of ``sources`` (folders, glob patterns, files) against ``spec``; iterate the result.

    ``spec_source``: where worker processes load the spec from (default ``spec.source``). ``out``: the JSONL file the
    records are appended to. ``resume``: skip the files ``out`` already holds with the same sha256, checked against
    this spec (its fingerprint) and the same ``expected`` / ``fmt`` — a file checked against an earlier version of
    the brand is checked again (a torn last line is ignored; needs ``out``). ``shard``: a :class:`Shard` or
    ``"I/N"``. ``expected`` / ``fmt``: the copy and format every image is checked against (default: each image's
    provenance). ``worst``: how many offenders the summary lists. ``warm``: prepare the palette and logo caches (the
    gamut table included) before the workers start; default: when at least :data:`WARM_MIN_FILES` files are to be
    checked.
    """
    if resume and out is None:
        raise RequestError("resume needs the JSONL file of the earlier run (out=, --out)", field="resume", value=True)
    source = spec_source if spec_source is not None else spec.source
    chosen = parse_shard(shard) if isinstance(shard, str) else shard
    library = expand_library(sources)
    everything = library.files
    files = select_shard(everything, chosen)
    out_path = Path(out) if out is not None else None
    if out_path is not None and out_path.is_dir():
        raise OutputError(f"{out_path}: is a folder; name the JSONL file to write", str(out_path))
    expectation = expectation_key(expected, fmt)
    previous: dict[str, AuditRecord] = {}
    rechecked = 0
    if resume and out_path is not None:
        previous, rechecked = _done(out_path, files, spec.fingerprint, expectation)
    todo = [item for item in files if _key(item.path) not in previous]
    if min(jobs or default_jobs(), len(todo)) > 1 and not Path(source).exists():
        raise RequestError(
            f"spec_source {str(source)!r}: worker processes load the spec from a file; name it (or use jobs=1)",
            field="spec_source",
            value=str(source),
        )
    return AuditRun(
        spec,
        source,
        files,
        todo,
        previous,
        rechecked=rechecked,
        shard=chosen,
        library=(library_digest(item.rel for item in everything), len(everything)),
        skipped=library.skipped,
        other=library.other,
        expectation=expectation,
        jobs=jobs,
        out=out_path,
        expected=expected,
        fmt=fmt,
        worst=worst,
        warm=len(todo) >= WARM_MIN_FILES if warm is None else warm,
    )


def _warm_caches(spec: BrandSpec) -> None:
    """The palette tables (gamut table included) and the logo's features in the warm disk cache, built once here
    so that the workers load them (the engines are loaded by each worker: they are not on disk)."""
    from brandkit.resources import KitResources

    KitResources().warm(spec, ("palette", "logo"), None)


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def _done(
    out: Path, files: list[AuditFile], fingerprint: str, expectation: str | None
) -> tuple[dict[str, AuditRecord], int]:
    """The records of ``out`` for files of this audit whose bytes have not changed since and that were checked
    against the spec of ``fingerprint`` and the same ``expectation`` by this brandkit's checks (the record's
    :data:`RECORD_REVISION`; last record wins); and how many records had the same bytes but another spec,
    expectation or revision (a brand or a check that changed since: those files are checked again)."""
    # a line from another program or version does not count: the file is checked again
    latest = {_key(Path(record.path)): record for _, record in read_audit(out, reports=False).files}
    wanted = {_key(item.path): item for item in files}
    done: dict[str, AuditRecord] = {}
    stale = 0
    for key, record in latest.items():
        item = wanted.get(key)
        if item is None or record.sha256 is None or file_digest(item.path) != record.sha256:
            continue
        if (
            record.spec_fingerprint == fingerprint
            and record.expectation == expectation
            and record.revision == (RECORD_REVISION)
        ):
            done[key] = record
        else:
            stale += 1
    return done, stale
