"""The registry's SQLite schema and its ordered migrations.

``schema_version`` holds one row per applied migration. :func:`migrate` applies the missing ones in order,
each in its own ``BEGIN EXCLUSIVE`` transaction that re-reads the version first, so two processes opening a
fresh database at once apply each migration exactly once. A database newer than this brandkit is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from brandkit.errors import RegistryError

_STATES = "('pending', 'approved', 'rejected', 'changes_requested')"


def _script(db: sqlite3.Connection, script: str) -> None:
    """Run ``script`` statement by statement inside the caller's transaction (``executescript`` would commit it)."""
    statement = ""
    for part in script.split(";"):
        statement += part + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                db.execute(statement)
            statement = ""


def _v1(db: sqlite3.Connection) -> None:
    """Runs, assets, attempts and the append-only review events with the derived state view."""
    _script(
        db,
        f"""
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            command TEXT NOT NULL,
            started_at TEXT NOT NULL,
            out_dir TEXT
        );
        CREATE TABLE assets (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            key TEXT NOT NULL,
            path TEXT NOT NULL,
            sidecar_path TEXT,
            spec_name TEXT NOT NULL,
            spec_version TEXT,
            spec_fingerprint TEXT NOT NULL,
            request_json TEXT,
            prompt_hash TEXT,
            provider TEXT,
            model TEXT,
            run_id TEXT NOT NULL REFERENCES runs(id),
            parent_id INTEGER REFERENCES assets(id),
            created_at TEXT NOT NULL,
            passed INTEGER NOT NULL,
            spend_usd REAL NOT NULL DEFAULT 0,
            checks_json TEXT NOT NULL DEFAULT '{{}}',
            failing_json TEXT NOT NULL DEFAULT '[]',
            timings_json TEXT NOT NULL DEFAULT '{{}}',
            UNIQUE (run_id, path, content_hash)
        );
        CREATE TABLE attempts (
            asset_id INTEGER NOT NULL REFERENCES assets(id),
            number INTEGER NOT NULL,
            passed INTEGER NOT NULL,
            checks_json TEXT NOT NULL,
            spend_usd REAL NOT NULL DEFAULT 0,
            prompt_hash TEXT,
            feedback_json TEXT NOT NULL DEFAULT '[]',
            fixes_json TEXT NOT NULL DEFAULT '[]',
            elapsed_s REAL,
            PRIMARY KEY (asset_id, number)
        );
        CREATE TABLE review_events (
            id INTEGER PRIMARY KEY,
            asset_id INTEGER NOT NULL REFERENCES assets(id),
            reviewer TEXT NOT NULL,
            at TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN {_STATES}),
            reason TEXT
        );
        CREATE TRIGGER review_events_append_only_update BEFORE UPDATE ON review_events
        BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
        CREATE TRIGGER review_events_append_only_delete BEFORE DELETE ON review_events
        BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
        CREATE VIEW asset_state AS
            SELECT a.id AS asset_id,
                   COALESCE((SELECT e.state FROM review_events e WHERE e.asset_id = a.id
                             ORDER BY e.id DESC LIMIT 1), 'pending') AS state
            FROM assets a;
        """,
    )


def _v2(db: sqlite3.Connection) -> None:
    """Specs as their own table (source, palette, rules), format and locale per asset, lookup indexes.

    Existing assets get ``format`` and ``locale`` from their recorded request.
    """
    _script(
        db,
        """
        CREATE TABLE specs (
            fingerprint TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            version TEXT,
            source TEXT,
            palette_json TEXT NOT NULL DEFAULT '[]',
            rules_json TEXT NOT NULL DEFAULT '[]'
        );
        ALTER TABLE assets ADD COLUMN format TEXT;
        ALTER TABLE assets ADD COLUMN locale TEXT;
        UPDATE assets SET
            format = json_extract(request_json, '$.format'),
            locale = json_extract(request_json, '$.locale')
        WHERE request_json IS NOT NULL AND json_valid(request_json);
        CREATE INDEX assets_run ON assets (run_id);
        CREATE INDEX assets_spec ON assets (spec_name);
        CREATE INDEX assets_parent ON assets (parent_id);
        CREATE INDEX review_events_asset ON review_events (asset_id, id);
        """,
    )


def _v3(db: sqlite3.Connection) -> None:
    """A variant made again in the same output folder (``--retry-failed``) supersedes its earlier rows.

    ``asset_state`` gains ``superseded_by`` — the latest later ``variant`` row with the same key whose run wrote to
    the same folder — and the state ``superseded`` for a row that has one and no review event (a decision still
    wins: it is derived, never stored). Variant keys are looked up by an index."""
    _script(
        db,
        """
        DROP VIEW asset_state;
        CREATE INDEX assets_key ON assets (key, id);
        CREATE VIEW asset_state AS
            SELECT x.asset_id, x.superseded_by,
                   COALESCE(x.decided, CASE WHEN x.superseded_by IS NULL THEN 'pending' ELSE 'superseded' END)
                       AS state
            FROM (
                SELECT a.id AS asset_id,
                       (SELECT e.state FROM review_events e WHERE e.asset_id = a.id
                        ORDER BY e.id DESC LIMIT 1) AS decided,
                       CASE WHEN a.kind = 'variant' THEN
                           (SELECT MAX(b.id) FROM assets b JOIN runs rb ON rb.id = b.run_id
                            WHERE b.key = a.key AND b.id > a.id AND b.kind = 'variant'
                              AND rb.out_dir = (SELECT ra.out_dir FROM runs ra WHERE ra.id = a.run_id))
                       END AS superseded_by
                FROM assets a
            ) x;
        """,
    )


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: Sequence[Migration] = (_v1, _v2, _v3)
LATEST = len(MIGRATIONS)


def current_version(db: sqlite3.Connection) -> int:
    """The highest applied migration (0 for an empty database)."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    row = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(row[0])


def migrate(db: sqlite3.Connection, path: str, upto: int = LATEST) -> int:
    """Apply the missing migrations up to ``upto`` in order; returns the version reached.

    ``db`` must be in autocommit mode (``isolation_level=None``). Raises :class:`RegistryError` for a
    database written by a newer brandkit or a migration that fails (that migration is rolled back).
    """
    for target in range(1, upto + 1):
        db.execute("BEGIN EXCLUSIVE")
        try:
            version = current_version(db)
            if version > LATEST:
                raise RegistryError(
                    f"{path}: registry schema version {version} is newer than this brandkit supports ({LATEST})",
                    path=path,
                )
            if version >= target:
                db.execute("COMMIT")
                continue
            if version != target - 1:  # pragma: no cover - versions are applied one by one
                raise RegistryError(f"{path}: registry schema version {version} has a gap before {target}", path=path)
            MIGRATIONS[target - 1](db)
            db.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (target, datetime.now(UTC).isoformat()),
            )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return current_version(db)
