"""The registry under real concurrency: two writer processes at once, a variants run writing while a reader
reads, and ``kill -9`` in the middle of a run (restart and count: nothing recorded is lost)."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import yaml

from brandkit.registry import Registry
from brandkit.registry.schema import LATEST
from brandkit.variants import read_journal

ROOT = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from brandkit.registry import Registry
    from tests.registry_support import attempt, record

    db, folder, tag, count, go = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), Path(sys.argv[5])
    while not go.exists():
        time.sleep(0.005)
    with Registry.open(db) as reg:
        for i in range(count):
            row = reg.record(record(folder, f"{tag}-{i}.png", [attempt(1)]), run_id=f"run-{tag}")
            event = reg.decide(row.id, "approved", None, tag)
            print(f"{row.id} {event.id}", flush=True)
    """
)

# The real CLI with only the technical check: these tests are about the registry, not the checks.
LIGHT_CLI = textwrap.dedent(
    """
    import brandkit.kit
    from brandkit.checks.technical import TechnicalCheck

    brandkit.kit.default_checks = lambda: [TechnicalCheck()]
    from brandkit.cli import app

    app(prog_name="brandkit")
    """
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "BRANDKIT_DB"}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def _plan(folder: Path, headlines: int) -> Path:
    data = {
        "name": "registry-test",
        "spec": str(ROOT / "brand_specs" / "northwind"),
        "base": {"brief": "A ceramic cup of coffee on an oak table", "cta": "Order ahead", "seed": 1},
        "axes": {"headline": [f"Fresh roast number {i}" for i in range(headlines)], "format": ["square"]},
    }
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _variants(plan: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-c", LIGHT_CLI, "variants", str(plan), "--provider", "local", "--out", str(out)]
    return subprocess.Popen(
        [*args, "--concurrency", "1", "--json", *extra],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_two_writer_processes_at_once_lose_nothing(tmp_path: Path) -> None:
    db, go = tmp_path / "brandkit.db", tmp_path / "go"
    count = 40
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), str(tmp_path), tag, str(count), str(go)],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for tag in ("ann", "bob")
    ]
    time.sleep(0.3)  # both are waiting: both open (and migrate) the fresh database at the same moment
    go.touch()
    outputs = [w.communicate(timeout=120) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], [err.decode() for _, err in outputs]
    acknowledged = [line.split() for out, _ in outputs for line in out.decode().splitlines()]
    assert len(acknowledged) == 2 * count
    with Registry.open(db) as reg:
        assert len(reg.list_assets()) == 2 * count
        events = reg.events()
        assert sorted(str(e.id) for e in events) == sorted(event for _, event in acknowledged)
        assert {e.reviewer for e in events} == {"ann", "bob"}
    assert _integrity(db) == "ok"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == LATEST  # each migration applied once
    conn.close()


def test_a_variants_run_writes_while_a_reader_reads(tmp_path: Path) -> None:
    out = tmp_path / "out"
    db = out / "brandkit.db"
    proc = _variants(_plan(tmp_path, 4), out)
    seen: list[int] = []
    reads_while_running = 0
    while proc.poll() is None:
        if db.is_file():
            with Registry.open(db) as reg:  # a second connection: WAL lets it read while the run writes
                seen.append(len(reg.list_assets()))
                reg.metrics()
            reads_while_running += 1
        time.sleep(0.05)
    _, stderr = proc.communicate()
    assert proc.returncode == 0, stderr.decode()
    assert reads_while_running > 0 and seen == sorted(seen)  # never an error, never a count going back
    with Registry.open(db) as reg:
        rows = reg.list_assets()
    assert len(rows) == 4 and {r.kind for r in rows} == {"variant"}
    records, _ = read_journal(out / "journal.jsonl")
    assert {r["key"] for r in records if r["event"] == "succeeded"} == {r.key for r in rows}


def test_kill_9_during_a_run_loses_no_recorded_event_and_resume_records_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    db = out / "brandkit.db"
    plan = _plan(tmp_path, 5)
    proc = _variants(plan, out)
    recorded_before_kill = 0
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if db.is_file():
            with Registry.open(db) as reg:
                recorded_before_kill = len(reg.list_assets())
            if recorded_before_kill >= 2:
                break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _integrity(db) == "ok"
    with Registry.open(db) as reg:
        rows = reg.list_assets()
    assert len(rows) >= recorded_before_kill >= 2  # every committed record survived the kill
    for row in rows:  # and each points at the complete file it describes
        assert hashlib.sha256(Path(row.path).read_bytes()).hexdigest() == row.content_hash
    resumed = _variants(plan, out, "--resume")
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr.decode()
    with Registry.open(db) as reg:
        keys = {r.key for r in reg.list_assets()}
    records, _ = read_journal(out / "journal.jsonl")
    succeeded = {r["key"] for r in records if r["event"] == "succeeded"}
    assert len(succeeded) == 5 and keys == succeeded
