"""The asset registry: an embedded SQLite database (standard library ``sqlite3``) of every asset brandkit
produced or judged, its attempts, and its append-only review history.

WAL journal, foreign keys on, schema versioned with ordered migrations (:mod:`brandkit.registry.schema`).
The current review state of an asset is derived from its latest event (the ``asset_state`` view); events are
never updated or deleted (triggers refuse it). One :class:`Registry` holds one connection; open one per
thread (the web page does so per request).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from brandkit.errors import AssetNotFoundError, RegistryError
from brandkit.registry import record as rec
from brandkit.registry.decisions import Decision, checked_decision
from brandkit.registry.metrics import compute_metrics
from brandkit.registry.models import (
    AssetDetail,
    AssetFilter,
    AssetPage,
    AssetRow,
    GroupBy,
    Metrics,
    ReviewEvent,
    ReviewState,
)
from brandkit.registry.schema import migrate
from brandkit.registry.sql import (
    ROW_SQL,
    attempt_of,
    event_of,
    filter_sql,
    insert_record,
    new_run_id,
    now_iso,
    row_of,
)

if TYPE_CHECKING:
    from brandkit.asset import Asset
    from brandkit.models import ValidationReport
    from brandkit.spec.models import BrandSpec

DB_NAME = "brandkit.db"
DB_ENV = "BRANDKIT_DB"


def default_db_path(out_dir: str | os.PathLike[str]) -> Path:
    """The registry used for outputs in ``out_dir``: ``$BRANDKIT_DB`` when set, else ``out_dir/brandkit.db``."""
    env = os.environ.get(DB_ENV)
    return Path(env) if env else Path(out_dir) / DB_NAME


class Registry:
    """One open registry database. Use :meth:`open` (or ``with Registry.open(path) as reg:``)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        """Wrap an open, migrated connection (use :meth:`open`)."""
        self._db = db
        self.path = path

    def __repr__(self) -> str:
        return f"Registry({str(self.path)!r})"

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Registry:
        """Open (creating and migrating when needed) the registry at ``path``; raises ``RegistryError``."""
        target = Path(path)
        if target.exists() and not target.is_file():
            raise RegistryError(f"{target}: the registry path is not a file", path=str(target))
        if not target.parent.is_dir():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise RegistryError(
                    f"{target}: cannot create the registry's folder: {exc.strerror}", str(target)
                ) from None
        try:
            db = sqlite3.connect(target, timeout=30.0, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise RegistryError(f"{target}: cannot open the registry: {exc}", path=str(target)) from None
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout = 30000")
            mode = _wal(db)
            if str(mode).lower() != "wal":
                raise RegistryError(f"{target}: the registry needs WAL mode (got {mode})", path=str(target))
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            migrate(db, str(target))
        except sqlite3.DatabaseError as exc:
            db.close()
            raise RegistryError(f"{target}: not a usable registry database: {exc}", path=str(target)) from None
        except BaseException:
            db.close()
            raise
        return cls(db, target)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _write(self, fn: Any) -> Any:
        """Run ``fn(db)`` in one ``BEGIN IMMEDIATE`` transaction; SQLite errors become ``RegistryError``."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._db)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise RegistryError(f"{self.path}: registry write failed: {exc}", path=str(self.path)) from None
        return result

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return list(self._db.execute(sql, tuple(args)).fetchall())
        except sqlite3.Error as exc:
            raise RegistryError(f"{self.path}: registry read failed: {exc}", path=str(self.path)) from None

    # --- recording ---------------------------------------------------------------------------------------

    def start_run(self, command: str, out_dir: str | os.PathLike[str] | None = None, run_id: str | None = None) -> str:
        """Record a run (a CLI invocation, a variants run, an app's batch) and return its id."""
        rid = run_id or new_run_id(command)
        folder = None if out_dir is None else str(Path(out_dir).resolve())

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR IGNORE INTO runs (id, command, started_at, out_dir) VALUES (?, ?, ?, ?)",
                (rid, command, now_iso(), folder),
            )

        self._write(write)
        return rid

    def record(
        self,
        record: rec.AssetRecord,
        *,
        run_id: str,
        parent_id: int | None = None,
        spec: BrandSpec | None = None,
        spec_version: str | None = None,
    ) -> AssetRow:
        """Store ``record`` (with its attempts and, when given, its spec) in one transaction; returns its row.

        Idempotent per (run, path, content hash): the same file recorded twice in a run keeps its first row.
        The run is created when unknown (command ``record``).
        """
        path = str(Path(record.path).resolve())
        sidecar = None if record.sidecar_path is None else str(Path(record.sidecar_path).resolve())
        version = spec_version if spec_version is not None else (spec.version if spec is not None else None)
        # an asset made or checked in a palette mode of ``spec``: the row of the spec in that mode (its colours)
        spec_row = rec.spec_summary(spec.in_mode_of(record.spec_fingerprint)) if spec is not None else None

        def write(db: sqlite3.Connection) -> int:
            return insert_record(
                db, record, spec_row, path=path, sidecar=sidecar, version=version, run_id=run_id, parent_id=parent_id
            )

        return self._get_row(self._write(write))

    def record_asset(
        self,
        asset: Asset,
        path: str | os.PathLike[str],
        *,
        run_id: str,
        kind: str = "generate",
        key: str | None = None,
        parent_id: int | None = None,
        spec: BrandSpec | None = None,
    ) -> AssetRow:
        """Record a saved :class:`~brandkit.asset.Asset` (image at ``path``, sidecar beside it) with every attempt.

        ``spec`` (the spec it was made with) adds its version, source, palette and rules. Idempotent per
        (run_id, path, content hash): recording the same file twice returns the existing row.
        """
        record = rec.from_asset(asset, Path(path), kind=kind, key=key)
        return self.record(record, run_id=run_id, parent_id=parent_id, spec=spec)

    def record_validation(
        self,
        report: ValidationReport,
        path: str | os.PathLike[str],
        data: bytes | None,
        *,
        run_id: str,
        spec: BrandSpec,
        digest: str | None = None,
    ) -> AssetRow:
        """Record an existing image judged by ``validate`` (``data``: the file's bytes as checked; or ``None`` with
        ``digest``, their sha256, when the bytes are not at hand — a file audited on another machine).

        When the same file (path and content) is already recorded, the new row is linked to it as its parent.
        """
        if data is not None:
            digest = rec.content_hash(data)
        if digest is None:
            raise ValueError(f"{path}: record_validation needs the file's bytes or their sha256 (digest)")
        record = rec.from_report(report, digest, Path(path), spec)
        known = self.known_file(path)
        parent = known.id if known is not None and known.content_hash == record.content_hash else None
        return self.record(record, run_id=run_id, parent_id=parent, spec=spec)

    # --- reading -----------------------------------------------------------------------------------------

    def _get_row(self, asset_id: int) -> AssetRow:
        rows = self._read(ROW_SQL + " WHERE a.id = ?", (asset_id,))
        if not rows:
            raise AssetNotFoundError(
                f"{self.path}: no asset with id {asset_id}", asset_id=asset_id, path=str(self.path)
            )
        return row_of(rows[0])

    def list_assets(self, f: AssetFilter | None = None) -> list[AssetRow]:
        """Assets matching ``f`` (newest first)."""
        f = f or AssetFilter()
        where, args = filter_sql(f)
        if f.before is not None:
            where += " AND a.id < ?" if where else " WHERE a.id < ?"
            args.append(f.before)
        sql = ROW_SQL + where + " ORDER BY a.id DESC LIMIT ? OFFSET ?"
        return [row_of(r) for r in self._read(sql, [*args, f.limit, f.offset])]

    def page_assets(self, f: AssetFilter | None = None) -> AssetPage:
        """The page of ``f`` (``f.limit`` rows before ``f.before``, newest first), the number of assets its filters
        match and the next page's ``before`` — one row more is read to know whether there is one."""
        f = f or AssetFilter()
        rows = self.list_assets(f.model_copy(update={"limit": f.limit + 1}))
        more, rows = len(rows) > f.limit, rows[: f.limit]
        return AssetPage(rows=rows, total=self.count_assets(f), next_before=rows[-1].id if more else None)

    def count_assets(self, f: AssetFilter | None = None) -> int:
        """How many assets match ``f``'s filters (its ``limit``, ``offset`` and ``before`` left aside): the size
        of the whole list that :meth:`list_assets` pages through."""
        where, args = filter_sql(f or AssetFilter())
        rows = self._read(f"SELECT COUNT(*) AS n FROM assets a JOIN asset_state s ON s.asset_id = a.id{where}", args)
        return int(rows[0]["n"])

    def get_asset(self, asset_id: int) -> AssetDetail:
        """Everything about one asset; raises ``AssetNotFoundError``."""
        row = self._get_row(asset_id)
        attempts = [
            attempt_of(r) for r in self._read("SELECT * FROM attempts WHERE asset_id = ? ORDER BY number", (asset_id,))
        ]
        events = [
            event_of(r) for r in self._read("SELECT * FROM review_events WHERE asset_id = ? ORDER BY id", (asset_id,))
        ]
        ancestors: list[AssetRow] = []
        seen = {asset_id}
        parent = row.parent_id
        while parent is not None and parent not in seen:
            seen.add(parent)
            ancestor = self._get_row(parent)
            ancestors.append(ancestor)
            parent = ancestor.parent_id
        children = [row_of(r) for r in self._read(ROW_SQL + " WHERE a.parent_id = ? ORDER BY a.id", (asset_id,))]
        extra = self._read(
            "SELECT a.request_json, a.timings_json, sp.rules_json FROM assets a "
            "LEFT JOIN specs sp ON sp.fingerprint = a.spec_fingerprint WHERE a.id = ?",
            (asset_id,),
        )[0]
        return AssetDetail(
            row=row,
            attempts=attempts,
            events=events,
            ancestors=ancestors,
            children=children,
            spec_rules=json.loads(extra["rules_json"]) if extra["rules_json"] else [],
            request=json.loads(extra["request_json"]) if extra["request_json"] else None,
            timings=json.loads(extra["timings_json"]),
        )

    def asset_folders(self) -> list[Path]:
        """Every folder a recorded asset's image lives in (the web page serves files only from these)."""
        rows = self._read("SELECT DISTINCT path FROM assets")
        return sorted({Path(r["path"]).parent for r in rows})

    def list_by_key(self, key: str) -> list[AssetRow]:
        """Assets recorded under a stable key (a variant's key, else the content hash), newest first."""
        return [row_of(r) for r in self._read(ROW_SQL + " WHERE a.key = ? ORDER BY a.id DESC", (key,))]

    def known_file(self, path: str | os.PathLike[str]) -> AssetRow | None:
        """The asset whose image or sidecar is exactly ``path`` (resolved), else ``None``.

        An asset brandkit made is preferred to a later ``validate`` row of the same file; then the newest.
        """
        resolved = str(Path(path).resolve())
        rows = self._read(
            ROW_SQL + " WHERE a.path = ? OR a.sidecar_path = ? ORDER BY (a.kind = 'validate'), a.id DESC LIMIT 1",
            (resolved, resolved),
        )
        return row_of(rows[0]) if rows else None

    def latest_validation(self, path: str | os.PathLike[str]) -> AssetRow | None:
        """The newest ``validate`` row of the image ``path`` (resolved), else ``None``."""
        resolved = str(Path(path).resolve())
        rows = self._read(ROW_SQL + " WHERE a.path = ? AND a.kind = 'validate' ORDER BY a.id DESC LIMIT 1", (resolved,))
        return row_of(rows[0]) if rows else None

    # --- review ------------------------------------------------------------------------------------------

    def check_decision(self, asset_id: int, state: ReviewState | str, reason: str | None, reviewer: str) -> Decision:
        """What :meth:`decide` would record, or the error it would raise — nothing is written. A caller deciding
        several assets checks them all first, so a refusal records none.

        ``rejected`` and ``changes_requested`` need a reason. ``approved`` needs the asset's file to hold the bytes
        that were checked (their recorded sha256): a file changed or missing since is refused — approve what was
        checked, or validate the new file first. Raises ``ReviewStateError`` / ``AssetNotFoundError``.
        """
        return checked_decision(self._get_row(asset_id), state, reason, reviewer, str(self.path))

    def decide(self, asset_id: int, state: ReviewState | str, reason: str | None, reviewer: str) -> ReviewEvent:
        """Append a review decision (a second decision is a new event; nothing is overwritten).

        Refused as :meth:`check_decision` says (an approval only of the file that was checked); raises
        ``ReviewStateError`` / ``AssetNotFoundError``.
        """
        decision = self.check_decision(asset_id, state, reason, reviewer)

        def write(db: sqlite3.Connection) -> int:
            cursor = db.execute(
                "INSERT INTO review_events (asset_id, reviewer, at, state, reason) VALUES (?, ?, ?, ?, ?)",
                (asset_id, decision.reviewer, now_iso(), decision.state.value, decision.reason),
            )
            return int(cursor.lastrowid or 0)

        event_id = self._write(write)
        return event_of(self._read("SELECT * FROM review_events WHERE id = ?", (event_id,))[0])

    def events(self, asset_id: int | None = None) -> list[ReviewEvent]:
        """Every review event (of one asset, when given), oldest first."""
        if asset_id is None:
            return [event_of(r) for r in self._read("SELECT * FROM review_events ORDER BY id")]
        return [
            event_of(r) for r in self._read("SELECT * FROM review_events WHERE asset_id = ? ORDER BY id", (asset_id,))
        ]

    def request_of(self, asset_id: int) -> dict[str, Any] | None:
        """The request an asset was made from, as recorded (``None`` for validated images)."""
        self._get_row(asset_id)
        row = self._read("SELECT request_json FROM assets WHERE id = ?", (asset_id,))[0]
        return json.loads(row["request_json"]) if row["request_json"] else None

    # --- metrics -----------------------------------------------------------------------------------------

    def metrics(
        self, since: str | None = None, by: GroupBy | None = None, *, until: str | None = None
    ) -> Metrics | dict[str, Metrics]:
        """The metrics over assets created since ``since`` and up to ``until`` (ISO dates, ``until``'s day included,
        or date-times); grouped by ``by`` → dict."""
        try:
            return compute_metrics(self._db, since=since, until=until, by=by)
        except sqlite3.Error as exc:
            raise RegistryError(f"{self.path}: registry read failed: {exc}", path=str(self.path)) from None


WAL_DEADLINE_S = 30.0
"""How long :meth:`Registry.open` retries switching a database to WAL while another process switches it too."""


def _wal(db: sqlite3.Connection) -> str:
    """``PRAGMA journal_mode = WAL``, retried while it reports "database is locked".

    Two processes opening a fresh database at once both switch it to WAL: each takes a shared lock and asks for the
    exclusive one, and SQLite answers the second "database is locked" at once — without waiting on the busy timeout,
    which would deadlock (``tests/test_registry_concurrency.py`` saw it under load). Once the first has switched, the
    pragma finds WAL already set and returns at once; so the second retries, with a short pause, up to
    :data:`WAL_DEADLINE_S`.
    """
    deadline = time.monotonic() + WAL_DEADLINE_S
    pause = 0.005
    while True:
        try:
            return str(db.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(0.2, pause * 2)
