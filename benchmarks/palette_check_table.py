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

DEFAULT_BASELINE = Path("/tmp/bk-base-b3f7802")
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
        digest = hashlib.sha256(json.dumps(report.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
        out.append(
            {
                "cpu_ms": statistics.median(cpu),
                "wall_ms": statistics.median(wall),
                "first_cpu_ms": first,
                "status": report.status.value,
                "report": digest[:16],
                "layout": expectation.photo_box is not None,
                "size": f"{image.width}×{image.height}",
            }
        )
    print(json.dumps(out))


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


def _measure(tree: Path, spec_dir: Path, paths: list[Path], runs: int) -> list[dict[str, Any]]:
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
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
    after = _measure(root, spec_dir, images, runs)
    load1 = os.getloadavg()
    print(f"\nPalette check, whole (1 core, median of {runs} runs after a warm-up; baseline {baseline})\n")
    print(
        "| image | before CPU ms | after CPU ms | ratio | before wall ms | after wall ms | first call CPU ms "
        "(before → after) | same report |"
    )
    print("|---|---|---|---|---|---|---|---|")
    ok = True
    for label, b, a in zip(LABELS, before, after, strict=True):
        same = "yes" if a["report"] == b["report"] else "**no**"
        ok = ok and a["report"] == b["report"]
        print(
            f"| {label}, {a['size']} | {b['cpu_ms']:.1f} | {a['cpu_ms']:.1f} | {b['cpu_ms'] / a['cpu_ms']:.1f}× | "
            f"{b['wall_ms']:.1f} | {a['wall_ms']:.1f} | {b['first_cpu_ms']:.0f} → {a['first_cpu_ms']:.0f} | {same} |"
        )
    print(
        f"\nload average at start {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
        f"at end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}"
    )
    layout_cpu = after[0]["cpu_ms"]
    met = layout_cpu <= TARGET_CPU_MS
    print(f"[{'PASS' if met else 'FAIL'}] layout-known 1024² ≤ {TARGET_CPU_MS:g} ms CPU (measured {layout_cpu:.1f} ms)")
    print(f"[{'PASS' if ok else 'FAIL'}] every report identical to the baseline's")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.path[0] = os.environ.get("PYTHONPATH", sys.path[0])  # the tree under test, not benchmarks/
        _worker(sys.argv[2], sys.argv[4:], int(sys.argv[3]))
    else:
        print("run it as: python -m benchmarks.bench_palette --check [--baseline DIR]", file=sys.stderr)
        sys.exit(2)
