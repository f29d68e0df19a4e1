"""Palette-coverage benchmark: brandkit.color.PaletteMatcher vs a scikit-image baseline.

Run from the project root::

    python -m benchmarks.bench_palette          # full run (a few minutes: the 4K baseline is slow)
    python -m benchmarks.bench_palette --quick  # fewer repeats, a single 4K baseline run
    python -m benchmarks.bench_palette --check [--baseline DIR]  # the whole palette check, before/after
    python -m benchmarks.bench_palette --corpus [--baseline DIR]  # every gate-corpus report, before/after

Only the palette computation is timed: the image is already a decoded uint8 array.

* baseline – ``skimage.color.rgb2lab`` of every pixel, ``deltaE_ciede2000`` to each
  reference colour, minimum and argmin over the references, then counts per colour.
* ours fast – ``PaletteMatcher.match``: per-pixel code (exact within-tolerance flag and
  nearest colour) by one table gather per pixel, plus counts. The one-off table build
  is reported on its own row.
* ours exact – ``PaletteMatcher.exact_min_delta_e`` (every distinct colour evaluated),
  then coverage.
* exact figures – what the palette check pays for its exact descriptive figures
  (``brandkit.color.stats.DistinctColors``: distinct colours, exact ΔE00 of each, weighted
  off-palette share / mean / p95 / per-colour shares) — against every reference, and against
  each colour's candidate nearest references (``NearestCells``, the check's path: same values) —
  next to the approximate figures it replaced (a 1-in-16 sample looked up in the 64³ grid of
  ``min_delta_e``).
* ``--check`` – the whole palette check at 1024², this tree against the previous implementation
  (``benchmarks/palette_check_table.py``).

The process is pinned to one core and BLAS/OpenMP pools to one thread, so numbers are
single-core.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from brandkit.color import PaletteMatcher  # noqa: E402
from brandkit.color.nearest_cells import NearestCells  # noqa: E402
from brandkit.color.stats import DistinctColors  # noqa: E402
from brandkit.warm_cache import WarmCache  # noqa: E402
from tests.support.posters import PALETTE, make_poster  # noqa: E402

NEUTRALS: list[tuple[int, int, int]] = [(255, 255, 255), (0, 0, 0)]
TOLERANCE = 10.0
TARGET_MS = {(1024, 1024): 10.0, (2160, 3840): 60.0}
TARGET_SPEEDUP = 100.0
TARGET_COVERAGE_DIFF = 0.005


def baseline(img: npt.NDArray[np.uint8], refs: list[tuple[int, int, int]]) -> float:
    """scikit-image per-pixel ΔE00 to every reference; returns coverage at TOLERANCE."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    lab = rgb2lab(img)
    ref_lab = rgb2lab(np.array([refs], dtype=np.uint8))[0]
    de = np.stack([deltaE_ciede2000(lab, ref_lab[k][None, None, :]) for k in range(len(refs))], axis=-1)
    dmin = de.min(axis=-1)
    nearest = de.argmin(axis=-1)
    np.bincount(nearest.ravel()[dmin.ravel() <= TOLERANCE], minlength=len(refs))
    return float(np.count_nonzero(dmin <= TOLERANCE) / dmin.size)


def ours_fast(matcher: PaletteMatcher, img: npt.NDArray[np.uint8]) -> float:
    """PaletteMatcher fast path: per-pixel codes plus per-colour counts."""
    return matcher.match(img, TOLERANCE).stats.coverage


def exact_figures(matcher: PaletteMatcher, img: npt.NDArray[np.uint8], cells: NearestCells | None = None) -> float:
    """The palette check's exact descriptive figures: distinct colours, exact ΔE00 each (against every reference,
    or against each colour's candidate nearest references with ``cells``: the same values), weighted statistics."""
    distinct = DistinctColors(img, matcher.lab, cells)
    return distinct.stats(distinct.counts(), TOLERANCE, 20.0, 8.0).within_share


def approx_figures(matcher: PaletteMatcher, img: npt.NDArray[np.uint8]) -> float:
    """What the figures cost before they were exact: a 1-in-16 sample looked up in the approximate 64³ grid."""
    de, _ = matcher.min_delta_e(img[::4, ::4].reshape(-1, 3))
    return float(np.count_nonzero(de <= TOLERANCE) / de.size)


def ours_exact(matcher: PaletteMatcher, img: npt.NDArray[np.uint8]) -> float:
    """PaletteMatcher exact path (every distinct colour evaluated)."""
    dmin, _ = matcher.exact_min_delta_e(img)
    return float(np.count_nonzero(dmin <= TOLERANCE) / dmin.size)


@dataclass
class Row:
    size: str
    method: str
    ms: float
    cpu_ms: float
    runs: int
    coverage: float | None = None
    speedup: float | None = None
    cov_diff: float | None = None


def measure(fn: Callable[[], float], runs: int, warmup: bool) -> tuple[float, float, float]:
    """Median wall and CPU time (ms) over ``runs`` calls after an optional warm-up; last result.

    CPU time (``time.process_time``) leaves out time the process spent preempted, which
    tells how much of the wall time a busy machine added.
    """
    if warmup:
        fn()
    wall: list[float] = []
    cpu: list[float] = []
    result = 0.0
    for _ in range(runs):
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = fn()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return statistics.median(wall), statistics.median(cpu), result


def _idlest_cpu(cpus: list[int], seconds: float = 0.3) -> int:
    """The allowed CPU with the most idle time over a short sample of /proc/stat (Linux)."""

    def idle() -> dict[int, int]:
        out: dict[int, int] = {}
        with open("/proc/stat", encoding="ascii") as fh:
            for line in fh:
                name, *vals = line.split()
                if name.startswith("cpu") and name[3:].isdigit():
                    out[int(name[3:])] = int(vals[3]) + int(vals[4])  # idle + iowait
        return out

    try:
        before = idle()
        time.sleep(seconds)
        after = idle()
    except (OSError, ValueError, IndexError):
        return cpus[0]
    return max(cpus, key=lambda c: after.get(c, 0) - before.get(c, 0))


def pin_one_core() -> str:
    """Pin the process to a single CPU (the idlest one allowed); return a description."""
    if hasattr(os, "sched_setaffinity"):
        cpu = _idlest_cpu(sorted(os.sched_getaffinity(0)))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats; one 4K baseline run, no warm-up")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per method (default 7, quick 5)")
    parser.add_argument(
        "--forbidden",
        action="store_true",
        help="only the per-image pass with the example brands' forbidden colours: one folded gather vs the "
        "previous palette pass plus one pass per forbidden colour",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only the whole palette check at 1024², this tree vs --baseline (benchmarks/palette_check_table.py)",
    )
    parser.add_argument("--baseline", type=Path, default=None, help="tree of the previous implementation (--check)")
    parser.add_argument(
        "--corpus",
        action="store_true",
        help="the palette report on all gate-corpus cases, --baseline tree vs this one (both figure paths)",
    )
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.quick else 7)
    if args.corpus:
        from benchmarks.palette_check_table import DEFAULT_BASELINE, corpus_reports

        return corpus_reports(args.baseline or DEFAULT_BASELINE)
    if args.check:
        from benchmarks.palette_check_table import DEFAULT_BASELINE, check_table

        return check_table(args.baseline or DEFAULT_BASELINE, runs)
    pinning = pin_one_core()
    if args.forbidden:
        return forbidden_pass(runs, pinning)
    refs = PALETTE + NEUTRALS

    rows: list[Row] = []
    build_matcher = PaletteMatcher(refs)
    c0 = time.process_time()
    t0 = time.perf_counter()
    build_matcher.prepare(TOLERANCE)
    build_ms = (time.perf_counter() - t0) * 1e3
    rows.append(Row("-", f"LUT build tol {TOLERANCE:g} (one-off)", build_ms, (time.process_time() - c0) * 1e3, 1))
    matcher = PaletteMatcher(refs)
    matcher.prepare(TOLERANCE)
    cells = NearestCells(matcher.lab, WarmCache.default())  # built (then cached on disk) before any timing

    for h, w in TARGET_MS:
        img = make_poster(h, w, seed=1)
        label = f"{w}×{h}"
        is_4k = h * w > 4_000_000
        base_runs = 1 if (args.quick and is_4k) else (max(3, runs // 2) if is_4k else runs)
        base_warm = not (args.quick and is_4k)
        b_ms, b_cpu, b_cov = measure(lambda img=img: baseline(img, refs), base_runs, base_warm)
        rows.append(Row(label, "baseline (skimage)", b_ms, b_cpu, base_runs, b_cov, 1.0, 0.0))
        f_ms, f_cpu, f_cov = measure(lambda img=img: ours_fast(matcher, img), runs, True)
        rows.append(Row(label, "ours fast (match)", f_ms, f_cpu, runs, f_cov, b_ms / f_ms, abs(f_cov - b_cov)))
        e_runs = max(3, runs // 2) if not args.quick else 3
        e_ms, e_cpu, e_cov = measure(lambda img=img: ours_exact(matcher, img), e_runs, not args.quick)
        rows.append(
            Row(label, "ours exact (exact_min_delta_e)", e_ms, e_cpu, e_runs, e_cov, b_ms / e_ms, abs(e_cov - b_cov))
        )
        x_ms, x_cpu, x_cov = measure(lambda img=img: exact_figures(matcher, img), e_runs, not args.quick)
        rows.append(
            Row(label, "exact figures, every reference", x_ms, x_cpu, e_runs, x_cov, b_ms / x_ms, abs(x_cov - b_cov))
        )
        n_ms, n_cpu, n_cov = measure(lambda img=img: exact_figures(matcher, img, cells), e_runs, not args.quick)
        rows.append(
            Row(label, "exact figures, NearestCells", n_ms, n_cpu, e_runs, n_cov, b_ms / n_ms, abs(n_cov - b_cov))
        )
        a_ms, a_cpu, a_cov = measure(lambda img=img: approx_figures(matcher, img), runs, True)
        rows.append(
            Row(label, "old approx figures (1/16 sample)", a_ms, a_cpu, runs, a_cov, b_ms / a_ms, abs(a_cov - b_cov))
        )

    render(rows, pinning, args.quick)
    return 0


def _separate_passes(
    plain: PaletteMatcher,
    singles: list[PaletteMatcher],
    forbidden: list[tuple[tuple[int, int, int], float]],
    img: npt.NDArray[np.uint8],
    tol: float,
) -> tuple[npt.NDArray[np.uint8], list[int]]:
    """The previous check: the palette pass, then one pass per forbidden colour (its own matcher)."""
    codes = plain.match(img, tol).codes
    return codes, [m.coverage(img, r).within_count for m, (_, r) in zip(singles, forbidden, strict=True)]


def _folded_pass(
    folded: PaletteMatcher, img: npt.NDArray[np.uint8], tol: float
) -> tuple[npt.NDArray[np.uint8], list[int]]:
    """Today's check: one gather of the folded table answers the palette codes and every forbidden share."""
    match = folded.match(img, tol)
    return match.codes, [int(n) for n in match.forbidden_counts()]


def forbidden_pass(runs: int, pinning: str) -> int:
    """Per image at 1024²: the palette rule and every forbidden colour's share, as the check measures them —
    before (a palette pass, then one matcher pass per forbidden colour over the opaque pixels) and now (one gather
    of the folded table). Both paths are today's code (a matcher without ``forbidden`` is the previous one); the
    results must be identical."""
    from brandkit import load_spec
    from brandkit.color import hex_to_rgb

    load0 = os.getloadavg()
    print(f"{pinning}; load average at start {load0[0]:.2f}; {runs} runs; CPU ms (median), wall ms in brackets")
    print()
    print(
        "| brand | forbidden colours | image | before: palette + one pass per forbidden | now: one folded pass "
        "| CPU ratio | same result |"
    )
    print("|---|---|---|---|---|---|---|")
    root = Path(__file__).resolve().parents[1]
    for brand in sorted(p.name for p in (root / "brand_specs").iterdir() if (p / "brand.yaml").is_file()):
        palette = load_spec(root / "brand_specs" / brand).palette
        colors, _ = palette.reference_colors()
        forbidden = [(hex_to_rgb(f.hex), f.tolerance) for f in palette.forbidden_colors]
        plain = PaletteMatcher(colors)
        singles = [PaletteMatcher([rgb]) for rgb, _ in forbidden]
        folded = PaletteMatcher(colors, forbidden=forbidden)
        plain.prepare(palette.tolerance)
        folded.prepare(palette.tolerance)
        for single, (_, radius) in zip(singles, forbidden, strict=True):
            single.prepare(radius)
        rng = np.random.default_rng(3)
        poster = make_poster(1024, 1024, seed=1)
        noisy = rng.integers(0, 256, size=(1024, 1024, 3), dtype=np.uint8)
        for label, img in (("poster 1024²", poster), ("random colours 1024²", noisy)):
            tol = palette.tolerance
            b_codes, b_counts = _separate_passes(plain, singles, forbidden, img, tol)
            n_codes, n_counts = _folded_pass(folded, img, tol)
            same = bool(np.array_equal(b_codes, n_codes)) and b_counts == n_counts
            b_ms, b_cpu, _ = measure(
                lambda p=plain, s=singles, f=forbidden, i=img, t=tol: float(len(_separate_passes(p, s, f, i, t)[1])),
                runs,
                True,
            )
            n_ms, n_cpu, _ = measure(lambda m=folded, i=img, t=tol: float(len(_folded_pass(m, i, t)[1])), runs, True)
            print(
                f"| {brand} | {len(forbidden)} | {label} | {b_cpu:.1f} ({b_ms:.1f}) | {n_cpu:.1f} ({n_ms:.1f}) | "
                f"{b_cpu / max(n_cpu, 1e-9):.2f}× | {'yes' if same else 'NO'} |"
            )
    load1 = os.getloadavg()
    print()
    print(f"load average at end {load1[0]:.2f}")
    return 0


def render(rows: list[Row], pinning: str, quick: bool) -> None:
    """Print the results table and the targets with their status."""
    header = ["image", "method", "median ms", "CPU ms", "runs", "speed-up", f"coverage@{TOLERANCE:g}", "|Δ coverage|"]
    body = [
        [
            r.size,
            r.method,
            f"{r.ms:,.1f}",
            f"{r.cpu_ms:,.1f}",
            str(r.runs),
            "" if r.speedup is None else f"{r.speedup:,.0f}×",
            "" if r.coverage is None else f"{r.coverage:.5f}",
            "" if r.cov_diff is None else f"{r.cov_diff:.5f}",
        ]
        for r in rows
    ]
    targets: list[tuple[str, bool]] = []
    fast = {r.size: r for r in rows if r.method.startswith("ours fast")}
    for (h, w), limit in TARGET_MS.items():
        r = fast.get(f"{w}×{h}")
        if r is not None:
            targets.append((f"{w}×{h} fast path ≤ {limit:g} ms (measured {r.ms:.1f} ms)", r.ms <= limit))
            sp = r.speedup or 0.0
            targets.append((f"{w}×{h} speed-up ≥ {TARGET_SPEEDUP:g}× (measured {sp:,.0f}×)", sp >= TARGET_SPEEDUP))
            cd = r.cov_diff if r.cov_diff is not None else 1.0
            targets.append(
                (
                    f"{w}×{h} |coverage − baseline| ≤ {TARGET_COVERAGE_DIFF} (measured {cd:.5f})",
                    cd <= TARGET_COVERAGE_DIFF,
                )
            )
    load = ", load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    notes = f"single core ({pinning}{load}); {'quick run' if quick else 'full run'}; tolerance ΔE00 ≤ {TOLERANCE:g}"
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency, but keep a plain fallback
        widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]
        for line in [header, *body]:
            print("  ".join(cell.ljust(wd) for cell, wd in zip(line, widths, strict=True)))
        print(notes)
        for text, ok in targets:
            print(f"[{'PASS' if ok else 'FAIL'}] {text}")
        return
    console = Console(width=max(Console().width, 126))
    table = Table(title="Palette coverage benchmark", caption=notes)
    for i, col in enumerate(header):
        table.add_column(col, justify="left" if i < 2 else "right")
    for line in body:
        table.add_row(*line)
    console.print(table)
    for text, ok in targets:
        console.print(f"[{'green' if ok else 'red'}]{'PASS' if ok else 'FAIL'}[/] {text}")


if __name__ == "__main__":
    sys.exit(main())
