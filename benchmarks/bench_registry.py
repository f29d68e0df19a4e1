"""Registry read benchmark: what the review queue, its counts and the report cost on a large registry, the previous
implementation and now, on the same rows, in one run.

Run from the project root::

    python -m benchmarks.bench_registry                 # 20,000 assets, 7 timed runs per query, before = 0f0f6bf
    python -m benchmarks.bench_registry --quick         # 4,000 assets, 5 runs
    python -m benchmarks.bench_registry --base REV --assets 100000

The rows: ``--assets`` assets in four output folders — variants (a fifth of them made again with
``--retry-failed`` in a later session, some twice), generated assets, a request-changes chain on every tenth
generated one (a regeneration linked to its parent), validated files — and review events on about a third. Each
tree runs in a worker process of its own (``PYTHONPATH`` = the tree: a read-only ``git worktree`` of ``--base``
for *before*, this tree for *now*), makes a fresh database with its own schema (``Registry.open``: v2 before the
``superseded`` state, v3 now, where ``asset_state`` derives ``superseded_by`` per row from the variant key and the
run's folder), inserts the same rows and times its own public API, each call the median of ``--runs`` after a
warm-up, CPU beside wall:

* **queue page** — what the review web app and ``review list --state pending`` read: 120 rows, newest first
  (``page_assets``);
* **queue count** — the page's "120 of N" (``count_assets``);
* **all, one page** — ``review list`` without a state;
* **report** — ``brandkit report``'s metrics over every asset (``metrics``; now with the deliverable chains).

Ratio = now CPU ÷ before CPU: the cost of the derived state and the chains.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._measure import code_from_pythonpath, load_average, load_note, run_child, timed_median

ROOT = Path(__file__).resolve().parents[1]
BASE_REV = "0f0f6bf"
_FOLDERS = ("/runs/spring", "/runs/summer", "/runs/autumn", "/runs/winter")


def _fill(db: sqlite3.Connection, assets: int) -> None:
    """The benchmark's rows (see the module docstring), the same for every database."""
    db.execute("BEGIN")
    runs: list[str] = []
    for f, folder in enumerate(_FOLDERS):
        for session in range(3):
            run = f"variants-{f}-{session}"
            runs.append(run)
            db.execute("INSERT INTO runs VALUES (?, 'variants', '2026-12-01T00:00:00Z', ?)", (run, folder))
    db.execute("INSERT INTO runs VALUES ('generate-0', 'generate', '2026-12-01T00:00:00Z', '/out')")
    db.execute("INSERT INTO runs VALUES ('validate-0', 'validate', '2026-12-01T00:00:00Z', '/library')")
    made = 0
    events = 0

    def insert(kind: str, key: str, run: str, parent: int | None, passed: int) -> int:
        nonlocal made
        made += 1
        digest = hashlib.sha256(f"{made}".encode()).hexdigest()
        day = f"2026-12-{1 + made % 28:02d}T{made % 24:02d}:00:00+00:00"
        cursor = db.execute(
            "INSERT INTO assets (kind, content_hash, key, path, spec_name, spec_fingerprint, run_id, parent_id, "
            "created_at, passed, spend_usd, checks_json, failing_json) VALUES (?, ?, ?, ?, 'Northwind', 'f', ?, ?, "
            "?, ?, 0.04, '{\"palette\": \"passed\"}', '[]')",
            (kind, digest, key, f"/x/{made}.png", run, parent, day, passed),
        )
        asset_id = int(cursor.lastrowid or 0)
        db.execute(
            "INSERT INTO attempts (asset_id, number, passed, checks_json) VALUES (?, 1, ?, '[]')", (asset_id, passed)
        )
        return asset_id

    def decide(asset_id: int, state: str) -> None:
        nonlocal events
        events += 1
        db.execute(
            "INSERT INTO review_events (asset_id, reviewer, at, state, reason) VALUES (?, 'ann', ?, ?, 'r')",
            (asset_id, "2026-12-02T00:00:00Z", state),
        )

    n = 0
    while made < assets:
        n += 1
        folder = n % len(_FOLDERS)
        key = f"variant-{n}"
        first = insert("variant", key, f"variants-{folder}-0", None, int(n % 5 != 0))
        if n % 5 == 0:  # failed: made again with --retry-failed, a fifth of those twice
            insert("variant", key, f"variants-{folder}-1", None, int(n % 25 != 0))
            if n % 25 == 0:
                insert("variant", key, f"variants-{folder}-2", None, 1)
        elif n % 3 == 0:
            decide(first, "approved")
        if n % 4 == 0:
            gen = insert("generate", f"g{n}", "generate-0", None, 1)
            if n % 40 == 0:
                decide(gen, "changes_requested")
                child = insert("regenerate", f"r{n}", "generate-0", gen, 1)
                decide(child, "approved")
        if n % 7 == 0:
            insert("validate", f"v{n}", "validate-0", None, int(n % 2 == 0))
    db.execute("COMMIT")


def worker(assets: int, runs: int) -> dict[str, Any]:
    """This tree's figures: a fresh registry of its own schema holding the benchmark's rows, its API timed."""
    from brandkit.registry import AssetFilter, Registry, ReviewState
    from brandkit.registry.schema import LATEST

    with tempfile.TemporaryDirectory(prefix="brandkit-bench-registry-") as tmp:
        path = Path(tmp) / "brandkit.db"
        Registry.open(path).close()  # created and migrated by this tree
        db = sqlite3.connect(path, isolation_level=None)
        _fill(db, assets)
        db.close()
        with Registry.open(path) as registry:
            calls = {
                "queue page (pending, 120 rows)": lambda: registry.page_assets(
                    AssetFilter(state=ReviewState.pending, limit=120)
                ),
                "queue count (pending)": lambda: registry.count_assets(AssetFilter(state=ReviewState.pending)),
                "all, one page (120 rows)": lambda: registry.page_assets(AssetFilter(state=None, limit=120)),
                "report (metrics of every asset)": lambda: registry.metrics(),
            }
            timings = {name: timed_median(call, runs) for name, call in calls.items()}
            pending = registry.count_assets(AssetFilter(state=ReviewState.pending))
            total = registry.count_assets(AssetFilter(state=None))
    import brandkit

    return {
        "tree": str(Path(brandkit.__file__).resolve().parents[1]),
        "schema": LATEST,
        "assets": total,
        "pending": pending,
        "timings": {name: {"wall_s": wall, "cpu_s": cpu} for name, (wall, cpu) in timings.items()},
    }


def base_tree(rev: str) -> Path:
    """The read-only worktree of ``rev`` (:func:`benchmarks._measure.worktree`; imported here: the worker runs
    this file with the base tree's ``benchmarks`` package, which may not have it)."""
    from benchmarks._measure import worktree

    return worktree(ROOT, rev, f"bk-bench-registry-{rev}")


def _run(tree: Path, assets: int, runs: int) -> dict[str, Any]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tree)
    args = [sys.executable, str(Path(__file__)), "--worker", "--assets", str(assets), "--runs", str(runs)]
    child = run_child(args, env, cwd=ROOT)
    answer: dict[str, Any] = json.loads(child.stdout.rsplit("@@", 1)[1])
    if Path(answer["tree"]) != tree.resolve():
        raise RuntimeError(f"the worker imported brandkit from {answer['tree']}, not {tree}")
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=None, help="assets per database (default 20,000; --quick 4,000)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per query (default 7; --quick 5)")
    parser.add_argument("--base", default=BASE_REV, help=f"the previous implementation (default {BASE_REV})")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    assets = args.assets or (4_000 if args.quick else 20_000)
    runs = args.runs or (5 if args.quick else 7)
    if args.worker:
        code_from_pythonpath(ROOT)
        print("@@" + json.dumps(worker(assets, runs)))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    start = load_average()
    before = _run(base_tree(args.base), assets, runs)
    now = _run(ROOT, assets, runs)
    end = load_average()
    table = Table(title=f"Registry reads, {now['assets']:,} assets (median of {runs} runs after a warm-up)")
    for column in (
        "query",
        f"before ({args.base}, schema v{before['schema']}): CPU · wall ms",
        f"now (schema v{now['schema']}): CPU · wall ms",
        "now ÷ before (CPU)",
    ):
        table.add_column(column)
    for name, then in before["timings"].items():
        late = now["timings"][name]
        ratio = f"{late['cpu_s'] / then['cpu_s']:.2f}×" if then["cpu_s"] > 0 else "—"
        table.add_row(
            name,
            f"{then['cpu_s'] * 1000:.1f} · {then['wall_s'] * 1000:.1f}",
            f"{late['cpu_s'] * 1000:.1f} · {late['wall_s'] * 1000:.1f}",
            ratio,
        )
    console.print(table)
    console.print(
        f"pending in the queue: {before['pending']:,} before, {now['pending']:,} now (the difference: variants made "
        "again, superseded — their later row is reviewed instead)"
    )
    console.print(load_note(start, end))


if __name__ == "__main__":
    main()
