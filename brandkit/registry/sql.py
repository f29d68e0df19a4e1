"""The registry's SQL that maps rows to models and inserts a record (used by :mod:`brandkit.registry.store`)."""

from __future__ import annotations

import json
import secrets
import sqlite3
from datetime import UTC, datetime
from typing import Any

from brandkit.registry import record as rec
from brandkit.registry.models import AssetFilter, AssetRow, AttemptRow, CheckRow, ReviewEvent, ReviewState

ROW_SQL = """
    SELECT a.*, s.state AS state, s.superseded_by AS superseded_by, sp.source AS spec_source,
           sp.palette_json AS palette_json,
           (SELECT COUNT(*) FROM attempts t WHERE t.asset_id = a.id) AS attempt_count
    FROM assets a JOIN asset_state s ON s.asset_id = a.id LEFT JOIN specs sp ON sp.fingerprint = a.spec_fingerprint
"""


def now_iso() -> str:
    """The current time, UTC, ISO 8601 with microseconds (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_run_id(command: str) -> str:
    """A fresh run id: ``COMMAND-YYYYmmddTHHMMSSZ-RANDOM``."""
    return f"{command}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def row_of(r: sqlite3.Row) -> AssetRow:
    failing = json.loads(r["failing_json"])
    return AssetRow(
        id=r["id"],
        kind=r["kind"],
        content_hash=r["content_hash"],
        key=r["key"],
        path=r["path"],
        sidecar_path=r["sidecar_path"],
        image_path=r["path"],
        spec_name=r["spec_name"],
        spec_version=r["spec_version"],
        spec_fingerprint=r["spec_fingerprint"],
        spec_source=r["spec_source"],
        format=r["format"],
        locale=r["locale"],
        prompt_hash=r["prompt_hash"],
        provider=r["provider"],
        model=r["model"],
        run_id=r["run_id"],
        parent_id=r["parent_id"],
        superseded_by=r["superseded_by"],
        created_at=datetime.fromisoformat(r["created_at"]),
        passed=bool(r["passed"]),
        state=ReviewState(r["state"]),
        attempts=r["attempt_count"],
        spend_usd=r["spend_usd"],
        checks=json.loads(r["checks_json"]),
        palette=json.loads(r["palette_json"]) if r["palette_json"] else [],
        failing_reasons=[f"{f['name']}: {f['reason']}" for f in failing],
        blocking=[f["name"] for f in failing],
    )


def event_of(r: sqlite3.Row) -> ReviewEvent:
    return ReviewEvent(
        id=r["id"],
        asset_id=r["asset_id"],
        reviewer=r["reviewer"],
        at=datetime.fromisoformat(r["at"]),
        state=ReviewState(r["state"]),
        reason=r["reason"],
    )


def attempt_of(r: sqlite3.Row) -> AttemptRow:
    """One ``attempts`` row as an :class:`AttemptRow`."""
    return AttemptRow(
        index=r["number"],
        passed=bool(r["passed"]),
        checks=[
            CheckRow(
                name=c["name"], status=c["status"], score=c.get("score"), hint=c.get("hint"), blocking=c.get("blocking")
            )
            for c in json.loads(r["checks_json"])
        ],
        spend_usd=r["spend_usd"],
        prompt_hash=r["prompt_hash"],
        feedback=json.loads(r["feedback_json"]),
        fixes=json.loads(r["fixes_json"]),
        elapsed_s=r["elapsed_s"],
    )


def insert_record(
    db: sqlite3.Connection,
    record: rec.AssetRecord,
    spec_row: rec.SpecRecord | None,
    *,
    path: str,
    sidecar: str | None,
    version: str | None,
    run_id: str,
    parent_id: int | None,
) -> int:
    """Insert ``record`` (its run and spec when new, its attempts) inside the caller's transaction; its id.

    The same file (run, path, content hash) recorded again returns the existing id; without a ``version`` the
    spec's recorded one (by fingerprint) is used."""
    if version is None:
        known = db.execute("SELECT version FROM specs WHERE fingerprint = ?", (record.spec_fingerprint,)).fetchone()
        version = None if known is None else known[0]
    db.execute(
        "INSERT OR IGNORE INTO runs (id, command, started_at, out_dir) VALUES (?, 'record', ?, NULL)",
        (run_id, now_iso()),
    )
    if spec_row is not None:
        db.execute(
            "INSERT OR REPLACE INTO specs (fingerprint, name, version, source, palette_json, rules_json) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                spec_row.fingerprint,
                spec_row.name,
                spec_row.version,
                spec_row.source,
                json.dumps(spec_row.palette),
                json.dumps(spec_row.rules, ensure_ascii=False),
            ),
        )
    found = db.execute(
        "SELECT id FROM assets WHERE run_id = ? AND path = ? AND content_hash = ?",
        (run_id, path, record.content_hash),
    ).fetchone()
    if found is not None:
        return int(found[0])
    cursor = db.execute(
        "INSERT INTO assets (kind, content_hash, key, path, sidecar_path, spec_name, spec_version, "
        "spec_fingerprint, request_json, prompt_hash, provider, model, run_id, parent_id, created_at, "
        "passed, spend_usd, checks_json, failing_json, timings_json, format, locale) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.kind,
            record.content_hash,
            record.key,
            path,
            sidecar,
            record.spec_name,
            version,
            record.spec_fingerprint,
            record.request_json(),
            record.prompt_hash,
            record.provider,
            record.model,
            run_id,
            parent_id,
            now_iso(),
            int(record.passed),
            record.spend_usd,
            json.dumps(record.checks),
            json.dumps(record.failing, ensure_ascii=False),
            json.dumps(record.timings),
            record.format,
            record.locale,
        ),
    )
    asset_id = int(cursor.lastrowid or 0)
    db.executemany(
        "INSERT INTO attempts (asset_id, number, passed, checks_json, spend_usd, prompt_hash, feedback_json, "
        "fixes_json, elapsed_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                asset_id,
                a.number,
                int(a.passed),
                json.dumps(a.checks),
                a.spend_usd,
                a.prompt_hash,
                json.dumps(a.feedback, ensure_ascii=False),
                json.dumps(a.fixes),
                a.elapsed_s,
            )
            for a in record.attempts
        ],
    )
    return asset_id


def filter_sql(f: AssetFilter) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause over ``assets a`` and ``asset_state s`` (with its leading space; empty when nothing
    narrows) and the arguments of ``f``'s filters — what :meth:`Registry.list_assets` and ``count_assets`` share."""
    where: list[str] = []
    args: list[Any] = []
    for column, value in (("a.run_id", f.run), ("a.spec_name", f.spec), ("a.kind", f.kind)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if f.state is not None:
        where.append("s.state = ?")
        args.append(f.state.value)
    if f.check_failed is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(a.failing_json) j WHERE json_extract(j.value, '$.name') = ?)")
        args.append(f.check_failed)
    if f.gates is not None:
        where.append("a.passed = ?")
        args.append(int(f.gates == "passed"))
    return (" WHERE " + " AND ".join(where) if where else ""), args
