"""Spec-loading benchmark: the timings the test suite used to assert, measured here instead.

Run from the project root::

    python -m benchmarks.bench_spec_load          # 3 timed runs per case
    python -m benchmarks.bench_spec_load --runs 7

Cases (moved from ``tests/test_fuzz_spec.py``, issue 13 item 8: no wall-clock assertion in tests):

* **palette N colours** — a JSON spec with N palette colours (5,000, 20,000, 40,000; 40,000 is still under
  the 2 MB limit). Validation must be linear: the target is ``t(20k) / t(5k) ≤ 6`` (4 is linear; the old
  ``names.count`` duplicate check was quadratic, 16).
* **just under the limit** — the Northwind spec padded with comments to just under 2 MB (target ≤ 5 s).
* **over the limit** — a file one byte over: refused from its size before reading (target ≤ 0.5 s).

Each row is the median wall time of ``--runs`` runs after one warm-up, next to its CPU time
(``time.process_time``): when they differ, other processes took the core and the run should be repeated.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import tempfile
from pathlib import Path

import yaml

from benchmarks._measure import timed_median
from brandkit.errors import SpecError
from brandkit.spec.loader import MAX_SPEC_BYTES, load_spec

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"


def _palette_spec(folder: Path, colours: int) -> Path:
    data = yaml.safe_load((NORTHWIND / "brand.yaml").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["palette"]["colors"] = [{"name": f"c{i}", "hex": "#4B2E2A", "role": "primary"} for i in range(colours)]
    path = folder / f"palette-{colours}.json"
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    return path


def _load_or_refuse(path: Path) -> None:
    with contextlib.suppress(SpecError):  # a refused spec is an outcome too (the tests check which)
        load_spec(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("logos", "fonts"):  # the spec's assets, so that the padded copies resolve
            source = NORTHWIND / name
            if source.is_dir():
                (folder / name).symlink_to(source)
        times: dict[int, float] = {}
        for colours in (5_000, 20_000, 40_000):
            path = _palette_spec(folder, colours)
            wall, cpu = timed_median(lambda p=path: _load_or_refuse(p), args.runs)  # type: ignore[misc]
            times[colours] = wall
            rows.append((f"palette {colours:,} colours ({path.stat().st_size:,} B)", wall, cpu))
        text = (NORTHWIND / "brand.yaml").read_text(encoding="utf-8")
        filler = ("# " + "x" * 97 + "\n") * ((MAX_SPEC_BYTES - len(text.encode()) - 200) // 100)
        under = folder / "under.yaml"
        under.write_text(text + filler, encoding="utf-8")
        rows.append(("just under the limit", *timed_median(lambda: _load_or_refuse(under), args.runs)))
        over = folder / "over.yaml"
        over.write_text(text + "#" + "x" * MAX_SPEC_BYTES + "\n", encoding="utf-8")
        rows.append(("over the limit", *timed_median(lambda: _load_or_refuse(over), args.runs)))
    print(f"{'case':<48} {'wall ms':>10} {'cpu ms':>10}")
    for name, wall, cpu in rows:
        print(f"{name:<48} {wall * 1000:>10.1f} {cpu * 1000:>10.1f}")
    ratio = times[20_000] / times[5_000]
    print(f"\nt(20k)/t(5k) = {ratio:.2f} (linear 4, target <= 6): {'PASS' if ratio <= 6 else 'FAIL'}")
    print(f"just under the limit <= 5 s: {'PASS' if rows[3][1] <= 5 else 'FAIL'}")
    print(f"over the limit <= 0.5 s: {'PASS' if rows[4][1] <= 0.5 else 'FAIL'}")


if __name__ == "__main__":
    main()
