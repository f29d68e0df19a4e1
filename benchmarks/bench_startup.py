"""Warm start: what a fresh process pays before its first answer, now and at a base revision, in one run.

Run from the project root::

    python -m benchmarks.bench_startup                 # everything (a few minutes on a loaded machine)
    python -m benchmarks.bench_startup --quick         # fewer repeats
    python -m benchmarks.bench_startup --base REV      # the "before" revision (default 80ef6b4)
    python -m benchmarks.bench_startup --palette       # also the palette tables' one-off cost (base b3f7802 only)

Every figure is measured in a fresh subprocess (``os.wait4`` gives each child's own CPU time and peak RSS; Linux
counts the parent's RSS at ``exec`` in a child's peak, so RSS is printed only while this process is still small):

* ``import brandkit``, ``brandkit --help`` (``python -m brandkit.cli --help``);
* a one-shot ``brandkit generate --provider local`` (Northwind, one square asset): with a **cold** warm cache (an
  empty ``BRANDKIT_CACHE_DIR``) and a **warm** one (the same folder, second run); today's code also with its
  background preload switched off (the engines then load when the first check needs them: what the overlap
  saves), and after ``brandkit cache warm`` (every table a check can load, the palette's figures table too);
* with ``--palette``, the palette check's one-off cost for the example brands' real palettes (``brand_specs/*``):
  the base revision's build (a palette matcher plus one matcher per forbidden colour; base b3f7802), today's
  build of the folded table, and today's load of that table from the disk cache;
* where the warm one-shot ``generate`` spends its CPU (a profile by process time, so its total is inflated by
  the profiler; read the shares).

"Before" runs the same commands on the base revision, checked out read-only into a temporary ``git worktree``
(created if missing; ``git worktree add --detach``), put first on ``PYTHONPATH``. CPU time is the primary figure:
the machine is shared, so wall time varies with the load average, printed at the start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks._measure import worktree

ROOT = Path(__file__).resolve().parents[1]
BRANDS = sorted(p.name for p in (ROOT / "brand_specs").iterdir() if (p / "brand.yaml").is_file())
GENERATE = [
    "generate",
    "-s",
    str(ROOT / "brand_specs" / "northwind"),
    "-b",
    "a cup of coffee on a wooden table",
    "--headline",
    "Fresh roast",
    "-p",
    "local",
    "--seed",
    "1",
    "--overwrite",
    "--json",
]

IMPORTS = (
    "import numpy",
    "import PIL.Image",
    "import pydantic",
    "import onnxruntime",
    "import cv2",
    "from rapidocr import RapidOCR",
    "import brandkit.kit",
    "import brandkit.checks.registry",
    "import brandkit.cli.generate",
)

PALETTE_BEFORE = """
import json, sys, time
from pathlib import Path
import brandkit
from brandkit.checks.palette import _Matchers
spec = brandkit.load_spec(Path(sys.argv[1]))
p = spec.palette
t0, c0 = time.perf_counter(), time.process_time()
m = _Matchers(p)
m.palette.code_table(p.tolerance)
for f, fm in m.forbidden:
    fm.code_table(f.tolerance)
print(json.dumps({"cpu": time.process_time() - c0, "wall": time.perf_counter() - t0}))
"""

PALETTE_NOW = """
import json, sys, time
from pathlib import Path
import brandkit
from brandkit.checks.palette import _Matchers
from brandkit.warm_cache import WarmCache
spec = brandkit.load_spec(Path(sys.argv[1]))
p = spec.palette
cache = WarmCache.default()
t0, c0 = time.perf_counter(), time.process_time()
m = _Matchers(p, cache)
m.palette.prepare(p.tolerance)
print(json.dumps({"cpu": time.process_time() - c0, "wall": time.perf_counter() - t0}))
"""

NO_PRELOAD = """
import sys
from brandkit.resources import KitResources
KitResources.preload = lambda self, checks, moderator: None  # the ablation: engines load when first needed
sys.argv = ["brandkit", *sys.argv[1:]]
from brandkit.cli import main
main()
"""

THREADS = """
import json, sys, time
preload = sys.argv.pop(1) == "on"
if not preload:
    from brandkit.resources import KitResources
    KitResources.preload = lambda self, checks, moderator: None
sys.argv = ["brandkit", *sys.argv[1:]]
from brandkit.cli import main
try:
    main()
except SystemExit:
    pass
finally:  # the main thread's own CPU: the critical path when the other core is free for the preload
    sys.__stdout__.write("@@" + json.dumps({"main": time.thread_time(), "process": time.process_time()}))
"""

PROFILE = """
import cProfile, json, pstats, sys, time
sys.argv = ["brandkit", *json.loads(sys.argv[1])]
c0 = time.process_time()
prof = cProfile.Profile(time.process_time)
prof.enable()
from brandkit.cli import main
try:
    main()
except SystemExit:
    pass
prof.disable()
total = time.process_time() - c0
stats = pstats.Stats(prof).stats
parts = {
    "OCR engine load, main thread (ocr_onnx.py load)": ("brandkit/ocr_onnx.py", "load"),
    "waiting for the background preload at the end (resources.py release)": ("brandkit/resources.py", "release"),
    "OCR reading (text check)": ("brandkit/checks/ocr_reading.py", "_read"),
    "moderation (local detector, incl. model load)": ("brandkit/provider/local_moderation.py", "moderate_image"),
    "palette tables (load or build)": ("brandkit/color/matcher.py", "_load_or_build"),
    "palette check (whole)": ("brandkit/checks/palette.py", "run"),
    "logo check": ("brandkit/checks/logo/check.py", "run"),
    "all checks (run_checks)": ("brandkit/checks/base.py", "run_checks"),
    "local render": ("brandkit/provider/local.py", "render"),
    "spec load": ("brandkit/spec/loader.py", "load_spec"),
}
out = {"total": total}
for label, (path, func) in parts.items():
    out[label] = max((v[3] for k, v in stats.items() if k[0].endswith(path) and k[2] == func), default=0.0)
out["imports (all _find_and_load at top level)"] = max(
    (v[3] for k, v in stats.items() if k[2] == "_find_and_load"), default=0.0
)
sys.__stdout__.write("@@" + json.dumps(out))
"""


@dataclass
class Run:
    """One subprocess: its own CPU (user + system) and wall seconds, peak RSS in MiB, and its stdout."""

    cpu: float
    wall: float
    rss_mib: float
    stdout: str


def run(args: Sequence[str], env: dict[str, str], cwd: Path = ROOT) -> Run:
    """Run ``args`` and measure that child alone (``os.wait4``)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(list(args), stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}")
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, text)


def base_tree(rev: str) -> Path:
    """The read-only worktree of ``rev`` (:func:`benchmarks._measure.worktree`)."""
    return worktree(ROOT, rev, f"bk-base-startup-{rev}")


def env_for(tree: Path | None, cache: Path | str) -> dict[str, str]:
    """The environment of a child: the base tree first on ``PYTHONPATH`` (or today's code), the cache folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OPENAI_API_KEY")}
    env["BRANDKIT_CACHE_DIR"] = str(cache)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def median_run(args: Sequence[str], env: dict[str, str], repeats: int, cwd: Path = ROOT) -> Run:
    """The run of median CPU time among ``repeats``."""
    runs = sorted((run(args, env, cwd) for _ in range(repeats)), key=lambda r: r.cpu)
    return runs[len(runs) // 2]


def fmt(r: Run) -> str:
    return f"{r.cpu * 1000:,.0f} · {r.wall * 1000:,.0f} · {r.rss_mib:,.0f}"


def palette_table(py: str, base: Path, out: Path) -> None:
    """The palette tables' one-off cost per example brand: the base revision's build, today's build and load."""
    print()
    print("Palette check one-off cost per example brand (CPU ms; wall ms in brackets):")
    print()
    print(
        "| brand | colours + forbidden | before: build (palette + one matcher per forbidden) | now: build (folded) "
        "| now: load from disk | build → load ratio (CPU) |"
    )
    print("|---|---|---|---|---|---|")
    sys.path.insert(0, str(ROOT))
    from brandkit import load_spec

    for brand in BRANDS:
        spec = load_spec(ROOT / "brand_specs" / brand)
        folder = str(ROOT / "brand_specs" / brand)
        cache = out / f"pal-{brand}"
        before = json.loads(run([py, "-c", PALETTE_BEFORE, folder], env_for(base, "off"), base).stdout)
        built = json.loads(run([py, "-c", PALETTE_NOW, folder], env_for(None, cache)).stdout)
        loads = [json.loads(run([py, "-c", PALETTE_NOW, folder], env_for(None, cache)).stdout) for _ in range(3)]
        loaded = {k: statistics.median(x[k] for x in loads) for k in ("cpu", "wall")}
        n_ref = len(spec.palette.reference_colors()[0])
        print(
            f"| {brand} | {n_ref} + {len(spec.palette.forbidden_colors)} | {before['cpu'] * 1000:,.0f} "
            f"({before['wall'] * 1000:,.0f}) | {built['cpu'] * 1000:,.0f} ({built['wall'] * 1000:,.0f}) | "
            f"{loaded['cpu'] * 1000:,.0f} ({loaded['wall'] * 1000:,.0f}) | "
            f"{built['cpu'] / max(loaded['cpu'], 1e-9):.0f}× |"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its tables (markdown)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_startup", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--base", default="80ef6b4", help="the 'before' revision (default 80ef6b4)")
    parser.add_argument("--palette", action="store_true", help="the palette tables' one-off cost (base b3f7802)")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    py = sys.executable
    load0 = os.getloadavg()
    c_start = time.process_time()
    base = base_tree(args.base)
    # the base tree's code must be what its children import (PYTHONPATH before the editable install)
    probe = run([py, "-c", "import brandkit; print(brandkit.__file__)"], env_for(base, "off"), cwd=base)
    assert probe.stdout.strip().startswith(str(base)), probe.stdout
    print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}; base {args.base}; {repeats} runs")
    print()
    print("| what | before: CPU ms · wall ms · peak RSS MiB | now: CPU ms · wall ms · peak RSS MiB | CPU ratio |")
    print("|---|---|---|---|")
    rows = [
        ("bare interpreter (`python -c pass`)", [py, "-c", "pass"]),
        ("`import brandkit`", [py, "-c", "import brandkit"]),
        ("`brandkit --help`", [py, "-m", "brandkit.cli", "--help"]),
    ]
    for label, cmd in rows:
        before = median_run(cmd, env_for(base, "off"), repeats, cwd=base)
        now = median_run(cmd, env_for(None, "off"), repeats)
        print(f"| {label} | {fmt(before)} | {fmt(now)} | {before.cpu / max(now.cpu, 1e-9):.1f}× |")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        gens = max(1, repeats // 3)
        cases = (
            ("cold cache", "cold"),
            ("warm cache", "warm"),
            ("warm cache, background preload off", "no-preload"),
            ("after `brandkit cache warm`", "cache-warm"),
        )
        for label, case in cases:
            b_runs: list[Run] = []
            n_runs: list[Run] = []
            for i in range(gens):
                b_cache, n_cache = out / f"bc{i}", out / f"nc{i}"
                gen_b = [py, "-m", "brandkit.cli", *GENERATE, "-o", str(out / "b")]
                gen_n = [py, "-m", "brandkit.cli", *GENERATE, "-o", str(out / "n")]
                if case == "warm":  # fill the caches first (the base is measured cold and warm only)
                    run(gen_b, env_for(base, b_cache), base)
                if case != "cold":
                    run(gen_n, env_for(None, n_cache))
                if case == "cache-warm":
                    warm = [py, "-m", "brandkit.cli", "cache", "warm", "-s", str(ROOT / "brand_specs" / "northwind")]
                    run(warm, env_for(None, n_cache))
                if case in ("cold", "warm"):
                    b_runs.append(run(gen_b, env_for(base, b_cache), base))
                if case == "no-preload":
                    n_runs.append(run([py, "-c", NO_PRELOAD, *GENERATE, "-o", str(out / "n")], env_for(None, n_cache)))
                else:
                    n_runs.append(run(gen_n, env_for(None, n_cache)))
                for folder in (b_cache, n_cache):
                    subprocess.run(["rm", "-rf", str(folder)], check=True)
            n = sorted(n_runs, key=lambda r: r.cpu)[len(n_runs) // 2]
            if b_runs:
                b = sorted(b_runs, key=lambda r: r.cpu)[len(b_runs) // 2]
                ratio = f"{b.cpu / max(n.cpu, 1e-9):.1f}×"
                print(f"| one-shot `generate --provider local` ({label}) | {fmt(b)} | {fmt(n)} | {ratio} |")
            else:
                print(f"| one-shot `generate --provider local` ({label}) | — | {fmt(n)} | — |")
        print()
        print("The same warm one-shot `generate`, now, by thread (CPU ms, median of the runs): the main thread's CPU")
        print("is its critical path — the wall time of an idle 2-core machine, the preload running on the other core:")
        print()
        print("| background preload | process CPU ms | main thread CPU ms | wall ms |")
        print("|---|---|---|---|")
        cache = out / "threads-cache"
        run([py, "-m", "brandkit.cli", *GENERATE, "-o", str(out / "t")], env_for(None, cache))
        for mode in ("on", "off"):
            samples = []
            for _ in range(repeats):
                r = run([py, "-c", THREADS, mode, *GENERATE, "-o", str(out / "t")], env_for(None, cache))
                samples.append((json.loads(r.stdout.rsplit("@@", 1)[1]), r.wall))
            main_cpu = statistics.median(x["main"] for x, _ in samples)
            proc_cpu = statistics.median(x["process"] for x, _ in samples)
            wall = statistics.median(w for _, w in samples)
            print(f"| {mode} | {proc_cpu * 1000:,.0f} | {main_cpu * 1000:,.0f} | {wall * 1000:,.0f} |")
        if args.palette:
            palette_table(py, base, out)
        print()
        print("Where a warm one-shot `generate --provider local` spends its CPU now (profiled by process time; the")
        print("profiler inflates the total — read the shares):")
        print()
        cache = out / "prof-cache"
        gen = [*GENERATE, "-o", str(out / "p")]
        run([py, "-m", "brandkit.cli", *gen], env_for(None, cache))
        prof = run([py, "-c", PROFILE, json.dumps(gen)], env_for(None, cache))
        parts = json.loads(prof.stdout.rsplit("@@", 1)[1])
        total = parts.pop("total")
        print("| part | CPU ms (profiled) | share |")
        print("|---|---|---|")
        print(f"| total | {total * 1000:,.0f} | 100% |")
        for label, value in parts.items():
            print(f"| {label} | {value * 1000:,.0f} | {value / total:.0%} |")
    print()
    print("Import cost of what the one-shot `generate` loads (fresh interpreter each; CPU ms above a bare one):")
    print()
    print("| import | CPU ms |")  # no RSS: a child's peak RSS counts the parent's at exec, and ours has grown by now
    print("|---|---|")
    bare = median_run([py, "-c", "pass"], env_for(None, "off"), repeats)
    for code in IMPORTS:
        r = median_run([py, "-c", code], env_for(None, "off"), repeats)
        print(f"| `{code}` | {(r.cpu - bare.cpu) * 1000:,.0f} |")
    load1 = os.getloadavg()
    print()
    print(
        f"load average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; this process's CPU "
        f"{time.process_time() - c_start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
