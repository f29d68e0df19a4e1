"""Recording from commands: a :class:`RegistryRecorder` records what a command saved or judged, and never
lets a registry failure lose or fail a finished asset.

The files (image + sidecar) are written first; only then is the asset recorded. If the registry cannot be
opened or written, the recorder keeps a warning (``warnings``) and the count of assets it could not record
(``unrecorded``): the command prints it and keeps its exit code — the asset is saved, its sidecar holds
everything the registry would, and it simply is not in the review queue (it cannot be approved or exported
until it is). Thread-safe (a variants run calls it from worker threads).

What counts as a registry failure is :data:`REGISTRY_FAILURES`, and only that: brandkit's typed errors (the store
turns SQLite errors into :class:`~brandkit.errors.RegistryError`), the file system's, SQLite's own, and a stored row
or record that fails its model (pydantic's ``ValidationError``) or cannot be decoded (``ValueError``: bad JSON, a
date or a review state the registry does not know). Anything else — a ``TypeError``, ``AttributeError``,
``KeyError`` … — is a programming error and propagates.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pydantic

from brandkit.errors import BrandkitError, RegistryError, SidecarError
from brandkit.registry.models import AssetRow
from brandkit.registry.store import DB_NAME, Registry

if TYPE_CHECKING:
    from brandkit.asset import Asset
    from brandkit.models import ValidationReport
    from brandkit.spec.models import BrandSpec
    from brandkit.variants.plan import Variant


REGISTRY_FAILURES: tuple[type[Exception], ...] = (
    BrandkitError,
    OSError,
    sqlite3.Error,
    pydantic.ValidationError,
    ValueError,
)
"""What the recorder turns into a warning and an ``unrecorded`` count (see the module docstring)."""


class RegistryRecorder:
    """Records one command's assets into the registry at ``db`` as one run (``command``, ``out_dir``).

    Opens the database on first use. Implements :class:`brandkit.variants.runner.VariantRecorder`.
    """

    def __init__(
        self,
        db: str | os.PathLike[str],
        command: str,
        out_dir: str | os.PathLike[str] | None = None,
        *,
        spec: BrandSpec | None = None,
        kind: str | None = None,
        parent_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.db = Path(db)
        self.parent_path = None if parent_path is None else Path(parent_path)
        self.command = command
        self.spec = spec
        self.kind = kind or command
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.run_id: str | None = None
        self.recorded = 0
        self.unrecorded = 0
        self.already = 0
        """Images :meth:`audited` found recorded already (same path, content and spec)."""
        self.warnings: list[str] = []
        self._registry: Registry | None = None
        self._broken = False
        self._lock = threading.Lock()
        self._by_key: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"RegistryRecorder({str(self.db)!r}, run={self.run_id!r})"

    def __enter__(self) -> RegistryRecorder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            if self._registry is not None:
                self._registry.close()
                self._registry = None

    def summary(self) -> dict[str, Any]:
        """For ``--json``: the database, the run id, how many assets were and were not recorded, warnings."""
        return {
            "db": str(self.db),
            "run_id": self.run_id,
            "recorded": self.recorded,
            "unrecorded": self.unrecorded,
            "warnings": list(self.warnings),
        }

    def _open(self) -> Registry:
        """The registry, opened on first use (under the lock)."""
        if self._registry is None:
            self._registry = Registry.open(self.db)
        return self._registry

    def _guarded(self, what: str, fn: Any) -> AssetRow | None:
        with self._lock:
            if self._broken:
                self.unrecorded += 1
                return None
            try:
                registry = self._open()
                if self.run_id is None:  # the run starts with its first record (audited may open the file first)
                    self.run_id = registry.start_run(self.command, self.out_dir)
                row: AssetRow = fn(registry, self.run_id)
            except REGISTRY_FAILURES as exc:
                self.unrecorded += 1
                self.warnings.append(f"{what}: not recorded in the registry {self.db}: {_reason(exc)}")
                if self._registry is None:
                    self._broken = True  # cannot open it: one warning, then count
                return None
            self.recorded += 1
            return row

    # --- what commands call ------------------------------------------------------------------------------

    def record_asset(
        self,
        asset: Asset,
        path: Path,
        *,
        kind: str,
        spec: BrandSpec | None = None,
        key: str | None = None,
        parent_id: int | None = None,
    ) -> AssetRow | None:
        """Record a saved asset; ``None`` (and a warning) when the registry failed."""
        return self._guarded(
            str(path),
            lambda reg, run: reg.record_asset(
                asset, path, run_id=run, kind=kind, key=key, parent_id=parent_id, spec=spec
            ),
        )

    def record_validation(self, report: ValidationReport, path: Path, data: bytes, spec: BrandSpec) -> AssetRow | None:
        """Record an image judged by ``validate``; ``None`` (and a warning) when the registry failed."""
        return self._guarded(
            str(path), lambda reg, run: reg.record_validation(report, path, data, run_id=run, spec=spec)
        )

    def add(self, asset: Asset, path: Path) -> AssetRow | None:
        """Record an asset this command saved at ``path`` (kind and spec of the recorder; its parent is the
        recorded asset whose file is ``parent_path``, e.g. the image an edit started from)."""
        spec, kind, parent_path = self.spec, self.kind, self.parent_path

        def record(reg: Registry, run: str) -> AssetRow:
            parent = reg.known_file(parent_path) if parent_path is not None else None
            if parent_path is not None and parent is None:
                beside = parent_path.parent / DB_NAME
                if beside.is_file() and beside.resolve() != self.db.resolve():  # its parent is in another registry
                    self.warnings.append(
                        f"{path}: recorded without its parent ({parent_path} is not in {self.db}; the registry "
                        f"beside it, {beside}, may hold it: --db {beside} keeps the lineage)"
                    )
            parent_id = parent.id if parent is not None else None
            return reg.record_asset(asset, path, run_id=run, kind=kind, parent_id=parent_id, spec=spec)

        return self._guarded(str(path), record)

    def judged(self, report: ValidationReport, path: Path, digest: str | None = None) -> AssetRow | None:
        """Record an image ``validate`` judged: ``digest``, the sha256 of the bytes checked, when the caller has it
        (the audit hashes each file it reads); else the bytes are read again for it."""
        from brandkit.imageio import read_bytes

        if self.spec is None:  # pragma: no cover - the validate command always passes its spec
            raise ValueError("a validate recorder needs the spec")
        spec = self.spec
        return self._guarded(
            str(path),
            lambda reg, run: reg.record_validation(
                report, path, None if digest is not None else read_bytes(path), run_id=run, spec=spec, digest=digest
            ),
        )

    def audited(self, report: ValidationReport, path: Path, digest: str) -> bool | None:
        """Record an image an audit judged, on this machine or another (``brandkit audit summary --db``), from what
        the audit's JSONL holds — its report and ``digest``, the sha256 of the bytes checked; the file is not read.

        Returns ``True`` when recorded, ``False`` when the registry's newest ``validate`` row of ``path`` already
        holds that content judged against the same spec (combining the same audits again adds nothing; counted in
        :attr:`already`), ``None`` (and a warning) when the registry failed."""
        if self.spec is None:  # pragma: no cover - the audit command always passes its spec
            raise ValueError("an audit recorder needs the spec")
        spec = self.spec

        fingerprint = report.spec_fingerprint or spec.fingerprint
        with self._lock:  # looked up before the run is started: combining the same audits again makes no run
            try:
                known = None if self._broken else self._open().latest_validation(path)
            except REGISTRY_FAILURES:
                known = None  # recording below meets the same failure and reports it
            if known is not None and known.content_hash == digest and known.spec_fingerprint == fingerprint:
                self.already += 1
                return False
        row = self._guarded(
            str(path), lambda reg, run: reg.record_validation(report, path, None, run_id=run, spec=spec, digest=digest)
        )
        return None if row is None else True

    # --- VariantRecorder ---------------------------------------------------------------------------------

    def _parent(self, reg: Registry, variant: Variant) -> int | None:
        if variant.master_key is not None:
            if variant.master_key in self._by_key:
                return self._by_key[variant.master_key]
            found = reg.list_by_key(variant.master_key)
            return found[0].id if found else None
        if variant.master_path is not None:
            known = reg.known_file(variant.master_path)
            return known.id if known is not None else None
        return None

    def saved(self, variant: Variant, asset: Asset, path: Path, spec: BrandSpec) -> None:
        """A variant is saved at ``path``: ``asset`` passed — or, its report failed, is its best attempt (then it is
        no master of another variant)."""

        def record(reg: Registry, run: str) -> AssetRow:
            row = reg.record_asset(
                asset,
                path,
                run_id=run,
                kind="variant",
                key=variant.key,
                parent_id=self._parent(reg, variant),
                spec=spec,
            )
            if asset.report.passed:
                self._by_key[variant.key] = row.id
            return row

        self._guarded(variant.name, record)

    def failed(self, variant: Variant, rejected: Asset, path: Path, spec: BrandSpec) -> None:
        """A variant failed its checks; ``rejected``, its best attempt, is saved at ``path``."""
        self.saved(variant, rejected, path, spec)

    def reconcile(self, variants: Sequence[dict[str, Any]], out: Path) -> int:
        """Record the succeeded variants of a run (``VariantRun.variants``) the registry does not hold yet — those
        saved and journaled by an earlier session that was killed before it recorded them, then resumed — from
        their sidecars. Returns how many were recorded; a sidecar that cannot be read is a warning."""
        added = 0
        for entry in variants:
            files = entry.get("files") or {}
            if entry.get("status") != "succeeded" or not files.get("image"):
                continue
            path = (out / files["image"]).resolve()

            def record(reg: Registry, run: str, entry: dict[str, Any] = entry, path: Path = path) -> AssetRow:
                if any(Path(r.path) == path for r in reg.list_by_key(entry["key"])):
                    raise _AlreadyRecorded
                return reg.record(_from_sidecar(path, "variant", entry["key"]), run_id=run)

            try:
                if self._guarded(str(entry.get("name", path)), record) is not None:
                    added += 1
            except _AlreadyRecorded:
                continue
        return added

    def record_file(self, path: Path) -> AssetRow | None:
        """Record a saved image from its sidecar (``brandkit review record``: an asset saved while the registry
        could not be written); ``None`` (and a warning) when it cannot be."""
        resolved = path.resolve()
        kind = self.kind
        return self._guarded(str(path), lambda reg, run: reg.record(_from_sidecar(resolved, kind, None), run_id=run))


def _reason(exc: Exception) -> str:
    """One line for the warning: pydantic's own text lists every failing field on lines of its own."""
    if isinstance(exc, pydantic.ValidationError):
        fields = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'row'}: {error['msg']}" for error in exc.errors()[:3]
        )
        return f"a registry {exc.title} does not validate ({fields})"
    if isinstance(exc, BrandkitError | OSError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _from_sidecar(path: Path, kind: str, key: str | None) -> Any:
    """The record of the image at ``path`` from its sidecar; ``RegistryError`` when either cannot be read."""
    from brandkit.asset_sidecar import read_sidecar
    from brandkit.registry import record as rec

    try:
        return rec.from_sidecar(read_sidecar(path), path.read_bytes(), path, kind=kind, key=key)
    except SidecarError as exc:
        raise RegistryError(f"{path}: its sidecar cannot be read back: {exc}") from None
    except OSError as exc:
        raise RegistryError(f"{path}: cannot be read: {exc.strerror or exc}") from None


class _AlreadyRecorded(Exception):
    """Internal: the variant is in the registry already."""
