"""The whole palette check, before and after, in one run: ``python -m benchmarks.bench_palette --check``.

Images: gate-corpus renders of the Northwind example brand at 1024² (``tests/support/gate_corpus.py``, cached
in the temp folder): a composed ad whose layout (photo box) is known from its provenance, its JPEG copy
(no provenance: the check segments flat areas vs photograph), a bare photograph (no layout), and
``bench_checks``' synthetic poster (no provenance, noise everywhere: the most distinct colours).

Each implementation runs in its own subprocess — this tree, and the previous implementation from a baseline tree
(``--baseline DIR``, default ``/tmp/bk-base-b3f7802``; make one with ``git worktree add /tmp/bk-base-b3f7802
b3f7802``) whose ``brandkit`` is put first on ``PYTHONPATH`` — pinned to one core, with the same warm cache folder
(tables are loaded, not built, in the timed runs). Per image: median CPU time (``time.process_time``) and wall
time of ``PaletteCheck().run`` on a fresh context after one warm-up call, the first call's CPU time, and a hash
of the whole report (status, score, measures, details, hint): "same report" compares it across the two trees.
The load average is printed at the start and the end: CPU time is the figure to read on a shared machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_BASELINE = Path("/tmp/bk-base-b3f7802")  # or HEAD before a change: git worktree add DIR REV
CASES = {
    "layout known (composed ad)": "northwind-cafe-cat-square-composed",
    "no layout (its JPEG copy)": "northwind-cafe-cat-square-jpeg-copy",
    "no layout (bare photograph)": "northwind-cafe-cat-square-bare-photo",
}
LABELS = [*CASES, "no layout (bench_checks poster, ~300k colours)"]
TARGET_CPU_MS = 40.0


def _worker(spec_dir: str, paths: list[str], runs: int) -> None:
    """Time the check on each image (runs in the subprocess, with the tree under test first on sys.path)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from brandkit.checks.base import CheckContext, CheckResources
    from brandkit.checks.palette import PaletteCheck
    from brandkit.imageio import detect_format, load_image
    from brandkit.pipeline import expectation_from_provenance
    from brandkit.spec.loader import load_spec

    spec = load_spec(Path(spec_dir))
    resources = CheckResources()
    mode = os.environ.get("BENCH_PALETTE_MODE", "")
    if mode == "gamut":  # this tree: every table the check uses prepared up front (`brandkit cache warm`)
        from brandkit.checks.palette import warm_palette

        warm_palette(spec, resources)
    elif mode == "per-image":  # this tree without the gamut table: the per-image exact path
        from brandkit.checks import palette as palette_module

        palette_module._Matchers.gamut = lambda self, neutral_chroma: None  # type: ignore[method-assign]
    out = []
    for path in paths:
        data = Path(path).read_bytes()
        expectation = expectation_from_provenance(data, detect_format(data) or "png")
        image = load_image(data)

        def run(image: Any = image, data: bytes = data, expectation: Any = expectation) -> Any:
            ctx = CheckContext(spec=spec, image=image, data=data, expectation=expectation, resources=resources)
            return PaletteCheck().run(ctx)

        c0 = time.process_time()
        report = run()
        first = (time.process_time() - c0) * 1e3
        cpu, wall = [], []
        for _ in range(runs):
            c0, t0 = time.process_time(), time.perf_counter()
            run()
            cpu.append((time.process_time() - c0) * 1e3)
            wall.append((time.perf_counter() - t0) * 1e3)
        dumped = report.model_dump(mode="json")
        figures_path = dumped["details"].pop("figures_path", None)  # names the path taken; every figure compared
        digest = hashlib.sha256(json.dumps(dumped, sort_keys=True).encode()).hexdigest()
        out.append(
            {
                "cpu_ms": statistics.median(cpu),
                "wall_ms": statistics.median(wall),
                "first_cpu_ms": first,
                "status": report.status.value,
                "figures_path": figures_path,
                "report": digest[:16],
                "layout": expectation.photo_box is not None,
                "size": f"{image.width}×{image.height}",
            }
        )
    print(json.dumps(out))


def _corpus_worker(out: str, mode: str) -> None:
    """Dump the palette check's report on every gate-corpus case (and the previous rule's, as ``bench_gates``
    runs it) as one hash per case, ``details.figures_path`` left out (runs in the subprocess)."""
    from benchmarks.bench_gates import previous_rule
    from brandkit.checks.base import CheckContext, CheckResources
    from brandkit.checks.palette import PaletteCheck
    from brandkit.imageio import detect_format, load_image
    from brandkit.pipeline import expectation_from_provenance
    from brandkit.spec.loader import load_spec
    from tests.support.gate_corpus import SPECS, load_cases, render_all

    cases = load_cases()
    paths = render_all(cases)
    specs = {b: load_spec(SPECS / b) for b in sorted({c.brand for c in cases})}
    resources = CheckResources()
    if mode == "gamut":
        from brandkit.checks.palette import warm_palette

        for spec in specs.values():
            warm_palette(spec, resources)
            warm_palette(previous_rule(spec), resources)
    elif mode == "per-image":
        from brandkit.checks import palette as palette_module

        palette_module._Matchers.gamut = lambda self, neutral_chroma: None  # type: ignore[method-assign]
    rows: dict[str, Any] = {}
    paths_taken: dict[str, int] = {}
    for case in cases:
        data = paths[case.id].read_bytes()
        expectation = expectation_from_provenance(data, detect_format(data) or "png")
        image = load_image(data)
        hashes = []
        for spec in (specs[case.brand], previous_rule(specs[case.brand])):
            ctx = CheckContext(spec=spec, image=image, data=data, expectation=expectation, resources=resources)
            dumped = PaletteCheck().run(ctx).model_dump(mode="json")
            taken = str(dumped["details"].pop("figures_path", None))
            paths_taken[taken] = paths_taken.get(taken, 0) + 1
            hashes.append(hashlib.sha256(json.dumps(dumped, sort_keys=True).encode()).hexdigest()[:16])
        rows[case.id] = hashes
    Path(out).write_text(json.dumps({"reports": rows, "figures_path": paths_taken}, sort_keys=True))


def corpus_reports(baseline: Path) -> int:
    """Every gate-corpus report of the baseline tree vs this tree (per-image path, gamut table): how many equal."""
    import tempfile

    root = Path(__file__).resolve().parents[1]
    dumps = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, tree, mode in (("before", baseline, ""), ("per-image", root, "per-image"), ("gamut", root, "gamut")):
            out = Path(tmp) / f"{label}.json"
            env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1")
            cmd = [sys.executable, str(Path(__file__).resolve()), "--corpus-worker", str(out), mode]
            done = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"the corpus dump failed in {tree}:\n{done.stderr[-2000:]}")
            dumps[label] = json.loads(out.read_text())
    before = dumps["before"]["reports"]
    ok = True
    for label in ("per-image", "gamut"):
        after = dumps[label]["reports"]
        same = sum(after.get(k) == v for k, v in before.items())
        ok = ok and same == len(before) == len(after)
        print(
            f"{label}: {same} of {len(before)} cases with identical reports (current and previous rule); "
            f"figures path {dumps[label]['figures_path']}"
        )
    return 0 if ok else 1


def _checks_poster(spec_dir: Path) -> Path:
    """``bench_checks``' synthetic 1024² poster (noise everywhere: ~300,000 distinct colours), as a PNG file."""
    import tempfile

    from benchmarks.bench_checks import make_poster
    from brandkit.imageio import encode_image
    from brandkit.spec.loader import load_spec

    path = Path(tempfile.gettempdir()) / "brandkit-bench-palette-poster.png"
    if not path.exists():
        poster = make_poster(load_spec(spec_dir), 1024, 1024, logo_px=246)
        temp = path.with_suffix(".tmp")
        temp.write_bytes(encode_image(poster, "png"))
        temp.replace(path)
    return path


def _measure(tree: Path, spec_dir: Path, paths: list[Path], runs: int, mode: str = "") -> list[dict[str, Any]]:
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", BENCH_PALETTE_MODE=mode)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(spec_dir), str(runs), *map(str, paths)]
    done = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the palette check failed to run from {tree}:\n{done.stderr[-2000:]}")
    result: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def check_table(baseline: Path, runs: int) -> int:
    """Render the three images (cached), time both trees, print the markdown table; 0 when the target holds."""
    from tests.support.gate_corpus import load_cases, render_all

    root = Path(__file__).resolve().parents[1]
    if not (baseline / "brandkit" / "checks" / "palette.py").exists():
        print(f"no baseline tree at {baseline}: git worktree add {baseline} b3f7802", file=sys.stderr)
        return 2
    wanted = {c.id: c for c in load_cases() if c.id in CASES.values()}
    paths = render_all([wanted[i] for i in CASES.values()])
    images = [paths[i] for i in CASES.values()]
    spec_dir = root / "brand_specs" / "northwind"
    images.append(_checks_poster(spec_dir))
    load0 = os.getloadavg()
    before = _measure(baseline, spec_dir, images, runs)
    per_image = _measure(root, spec_dir, images, runs, "per-image")
    after = _measure(root, spec_dir, images, runs, "gamut")
    load1 = os.getloadavg()
    print(f"\nPalette check, whole (1 core, median of {runs} runs after a warm-up; baseline {baseline})\n")
    print(
        "| image | before CPU ms (wall) | after, per-image path CPU ms (wall) | after, gamut table CPU ms (wall) | "
        "ratio before / gamut | first call CPU ms (before → gamut) | same report |"
    )
    print("|---|---|---|---|---|---|---|")
    ok = True
    for label, b, p, a in zip(LABELS, before, per_image, after, strict=True):
        same_ok = a["report"] == b["report"] == p["report"] and a["figures_path"] == "gamut-table"
        ok = ok and same_ok
        print(
            f"| {label}, {a['size']} | {b['cpu_ms']:.1f} ({b['wall_ms']:.1f}) | {p['cpu_ms']:.1f} ({p['wall_ms']:.1f}) "
            f"| {a['cpu_ms']:.1f} ({a['wall_ms']:.1f}) | {b['cpu_ms'] / a['cpu_ms']:.1f}× | "
            f"{b['first_cpu_ms']:.0f} → {a['first_cpu_ms']:.0f} | {'yes' if same_ok else '**no**'} |"
        )
    print(
        f"\nload average at start {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
        f"at end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}"
    )
    print(
        "(same report: the whole report — status, score, measures, every details figure, hint — hashed without "
        "details.figures_path, which only names the path taken)"
    )
    layout_cpu = after[0]["cpu_ms"]
    met = layout_cpu <= TARGET_CPU_MS
    print(f"[{'PASS' if met else 'FAIL'}] layout-known 1024² ≤ {TARGET_CPU_MS:g} ms CPU (measured {layout_cpu:.1f} ms)")
    print(f"[{'PASS' if ok else 'FAIL'}] every report identical to the baseline's")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--corpus-worker":
        sys.path[0] = os.environ.get("PYTHONPATH", sys.path[0])
        _corpus_worker(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.path[0] = os.environ.get("PYTHONPATH", sys.path[0])  # the tree under test, not benchmarks/
        _worker(sys.argv[2], sys.argv[4:], int(sys.argv[3]))
    else:
        print("run it as: python -m benchmarks.bench_palette --check [--baseline DIR]", file=sys.stderr)
        sys.exit(2)
