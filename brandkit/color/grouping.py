"""Distinct 24-bit colours and their pixel counts: ``np.unique(packed, return_counts=True)``, faster.

A foundation module (plain arrays). Every function returns exactly what ``np.unique`` would (the distinct keys
in ascending order, the integer count of each); only the work differs:

* :func:`unique_counts` – one unstable sort of the keys (numpy's vectorised quicksort of 32-bit integers:
  AVX-512 or AVX2 where the CPU has them; ~1.8 ms a megapixel here, 3–8× a stable radix grouping), runs counted;
* :func:`unique_inverse` – the same with the index of every key's group (one least-significant-digit radix sort);
* :func:`unique_counts_runs` – for keys with long runs of one value (the flat areas of a composed ad read row
  by row): the runs are found first (one comparison per pixel) and only one key per run is grouped, weighted
  by its run's length; keys without many runs go to :func:`unique_counts`;
* :func:`union_counts` – the distinct keys of several disjoint groups of pixels (the brand zones and the photo)
  and each group's count per key: one grouping of every pixel instead of the whole image plus one more side.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["union_counts", "unique_counts", "unique_counts_runs", "unique_inverse"]

Keys = npt.NDArray[np.uint32]
Counts = npt.NDArray[np.int64]

#: keys probed for runs first (speed only: the result is the same whichever way the keys are grouped)
_RUN_PROBE = 1 << 15
#: below this many runs per key, grouping one key per run (weighted) is cheaper than grouping every key
RUN_SHARE = 0.5


def unique_counts(packed: Keys) -> tuple[Keys, Counts]:
    """``np.unique(packed, return_counts=True)`` of 24-bit keys: one unstable sort of the keys (numpy's SIMD
    quicksort of 32-bit integers) and its runs counted."""
    n = packed.size
    if n == 0:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)
    keys = np.sort(packed)
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    pos = np.flatnonzero(starts)
    return keys[pos], np.diff(np.append(pos, n)).astype(np.int64)


def unique_inverse(packed: npt.NDArray[np.integer]) -> tuple[npt.NDArray[np.integer], npt.NDArray[np.intp]]:
    """``np.unique(packed, return_inverse=True)`` of 24-bit keys, from one least-significant-digit radix sort
    (numpy's stable argsort is a radix sort on 16- and 8-bit keys: low 16 bits, then high 8 bits): about 7× faster
    on a megapixel than numpy's, whose inverse costs a second sort."""
    low = (packed & 0xFFFF).astype(np.uint16)
    high = (packed >> 16).astype(np.uint8)
    by_low = np.argsort(low, kind="stable")
    order = by_low[np.argsort(high[by_low], kind="stable")]
    ordered = packed[order]
    starts = np.empty(ordered.shape[0], dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    inverse = np.empty(ordered.shape[0], dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


def unique_counts_runs(packed: Keys) -> tuple[Keys, Counts]:
    """:func:`unique_counts` of ``packed``, grouping one key per run of equal keys (weighted by the run's length)
    when runs are fewer than :data:`RUN_SHARE` of the keys — the same keys, the same integer counts."""
    n = packed.size
    if n < 2:
        return unique_counts(packed)
    head = packed[: min(n, _RUN_PROBE)]  # a photograph shows it in its first rows: skip the full comparison
    if np.count_nonzero(head[1:] != head[:-1]) > RUN_SHARE * head.size:
        return unique_counts(packed)
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(packed[1:], packed[:-1], out=starts[1:])
    if np.count_nonzero(starts) > RUN_SHARE * n:
        return unique_counts(packed)
    pos = np.flatnonzero(starts)
    lengths = np.diff(np.append(pos, n))
    keys, inverse = unique_inverse(packed[pos])
    counts = np.bincount(inverse, weights=lengths, minlength=keys.size)  # sums of integers below 2⁵³: exact
    return keys.astype(np.uint32), counts.astype(np.int64)


def union_counts(groups: list[tuple[Keys, Counts]]) -> tuple[Keys, list[Counts]]:
    """The ascending union of several groups' distinct keys (each group's keys ascending, distinct) and each
    group's count per key of the union (0 where the group lacks it)."""
    filled = [i for i, g in enumerate(groups) if g[0].size]
    if len(filled) <= 1:  # one group holds every key (or none does)
        keys = groups[filled[0]][0] if filled else np.zeros(0, dtype=np.uint32)
        return keys, [g[1] if i in filled else np.zeros(keys.size, dtype=np.int64) for i, g in enumerate(groups)]
    keys = np.concatenate([g[0] for g in groups])
    order = np.argsort(keys, kind="stable")  # a merge of ascending runs
    ordered = keys[order]
    starts = np.empty(ordered.size, dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    where = np.empty(ordered.size, dtype=np.intp)
    where[order] = np.cumsum(starts) - 1
    union = ordered[starts]
    out: list[Counts] = []
    offset = 0
    for g_keys, g_counts in groups:
        counts = np.zeros(union.size, dtype=np.int64)
        counts[where[offset : offset + g_keys.size]] = g_counts
        offset += g_keys.size
        out.append(counts)
    return union, out
