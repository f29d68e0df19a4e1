"""Distinct colours of an image on this host: numpy's sort of 24-bit keys against a radix alternative.

Run from the project root::

    python -m benchmarks.bench_grouping            # the gate corpus's 1024² images, 7 runs each
    python -m benchmarks.bench_grouping --runs 15 --cache /tmp/gate-corpus

The palette check groups an image's pixels by colour (``brandkit.color.grouping.unique_counts``: the distinct
24-bit keys and their counts, as ``np.unique`` gives them) with one ``np.sort`` of the packed keys. Where numpy
sorts 32-bit integers with SIMD (AVX-512 or AVX2 builds of x86-simd-sort) that is ~2–3 ms a megapixel; where it
does not, ~30 ms — a large share of a check that the issue-21 targets want under 40 ms. The alternative measured
here in the same run: ``np.lexsort`` of the keys' two 16-bit halves (numpy sorts 16-bit keys with a radix sort on
any CPU), then the same runs counted. Both give the same keys and counts (checked on every image before it is
timed). The table says which is faster *on this host* — the figure that decides whether a per-host choice is worth
having; brandkit itself uses ``unique_counts``.

Each row: the median CPU ms of ``--runs`` calls after one warm-up (``time.process_time``), the load average at
the start and the end, and the ratio lexsort ÷ sort (under 1: the radix alternative is faster here).
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks._measure import timed_median

ROOT = Path(__file__).resolve().parents[1]


def lexsort_counts(packed: npt.NDArray[np.uint32]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """``np.unique(packed, return_counts=True)`` through ``np.lexsort`` of the 16-bit halves (radix sorts)."""
    high = (packed >> 16).astype(np.uint16)
    low = (packed & 0xFFFF).astype(np.uint16)
    keys = packed[np.lexsort((low, high))]
    starts = np.empty(keys.size, dtype=bool)
    starts[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    pos = np.flatnonzero(starts)
    return keys[pos], np.diff(np.append(pos, keys.size)).astype(np.int64)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table."""
    from brandkit.color.gather import packed_colors
    from brandkit.color.grouping import unique_counts
    from brandkit.imageio import load_image
    from tests.support.gate_corpus import load_cases, render_all

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=None, help="the gate corpus's render folder (reused)")
    args = parser.parse_args(argv)
    cases = load_cases()
    paths = render_all(cases, args.cache)
    print(f"numpy {np.__version__}; load average at start: {os.getloadavg()[0]:.2f}\n")
    print("| image | distinct colours | np.sort ms CPU | lexsort ms CPU | lexsort ÷ sort |")
    print("|---|---:|---:|---:|---:|")
    ratios: list[float] = []
    sorts: list[float] = []
    for case in cases:
        image = load_image(paths[case.id].read_bytes())
        if image.size != (1024, 1024):
            continue
        packed = packed_colors(np.asarray(image.convert("RGB")).reshape(-1, 3))
        expected, got = unique_counts(packed), lexsort_counts(packed)
        if not (np.array_equal(expected[0], got[0]) and np.array_equal(expected[1], got[1])):
            raise SystemExit(f"{case.id}: the two groupings differ")
        sort_cpu = 1000 * timed_median(lambda p=packed: unique_counts(p), args.runs)[1]
        lex_cpu = 1000 * timed_median(lambda p=packed: lexsort_counts(p), args.runs)[1]
        ratios.append(lex_cpu / sort_cpu)
        sorts.append(sort_cpu)
        print(f"| {case.id} | {expected[0].size:,} | {sort_cpu:.1f} | {lex_cpu:.1f} | {lex_cpu / sort_cpu:.2f} |")
    print(
        f"\n{len(ratios)} images: np.sort median {statistics.median(sorts):.1f} ms CPU; lexsort ÷ sort median "
        f"{statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}); "
        f"load average at end: {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
