"""Which reference colours can be the nearest (ΔE00) to any colour of each 4×4×4 sRGB cell — for exact statistics.

The exact minimum ΔE00 of a colour to K reference colours is ``min_k ΔE00(colour, ref_k)``: K evaluations of
the formula. :class:`NearestCells` narrows it rigorously: for each of the 64³ cells of 4×4×4 sRGB colours it keeps
the references whose **lower** ΔE00 bound over the cell (interval arithmetic through CIEDE2000,
:func:`brandkit.color.bounds.de00_bounds`) is not above the smallest **upper** bound. A reference left out is
strictly farther than another one from every colour of the cell, so it is never the minimum nor tied with it:
evaluating ΔE00 exactly against the candidates only gives the same minimum and the same (first) nearest index
as evaluating it against all K — bit for bit, the same formula on the same numbers (about 2 candidates per colour
instead of 14 for the example brands).

The candidates are one bitmask per cell (64³ × uint32, 1 MiB; K ≤ 32), built coarse to fine (16³ boxes against
every reference, then each box's halves against its candidates only; ≈0.8 s of CPU once per set of reference
colours) and cached on disk through :class:`~brandkit.warm_cache.WarmCache` (kind :data:`CELLS_KIND`, keyed by the
references' exact CIELAB values and :data:`CELLS_FORMAT_VERSION`; ~36 KB), so later processes load them in a few
milliseconds. (2×2×2 cells would cut the evaluations to ~1.3 per colour — ~10 ms less per 1024² image — but cost
3.5–5 s to build and 8 MiB: not worth it for a one-shot run.)
"""

from __future__ import annotations

import json
from typing import Final

import numpy as np
import numpy.typing as npt

from brandkit.color.bounds import HueRangeTables, box_lab_ranges, de00_bounds, rect_chroma
from brandkit.color.ciede2000 import ciede2000_core
from brandkit.warm_cache import WarmCache

__all__ = ["CELLS_FORMAT_VERSION", "CELLS_KIND", "MAX_REFERENCES", "NearestCells", "exact_nearest"]

CELLS_FORMAT_VERSION: Final = 1
CELLS_KIND: Final = "palette-nearest-cells"
MAX_REFERENCES: Final = 32
_CELL: Final = 4  # cell width in sRGB steps: 64³ cells
# a reference stays a candidate unless its lower bound beats the best upper bound by more than this (the bounds
# carry their own 1e-9 margins; this one covers the last bit of the exact evaluation)
_MARGIN: Final = 1e-7

FloatArray = npt.NDArray[np.float64]


def _candidates(
    lo: npt.NDArray[np.int32], w: int, cand: npt.NDArray[np.bool_], ref_lab: FloatArray, hue: HueRangeTables
) -> npt.NDArray[np.bool_]:
    """The references of ``cand`` (boxes × K) that can still be the nearest over boxes ``lo .. lo + w - 1``."""
    lab_lo, lab_hi = box_lab_ranges(lo, w)
    chroma = rect_chroma(lab_lo[:, 1], lab_hi[:, 1], lab_lo[:, 2], lab_hi[:, 2])
    lower = np.full(cand.shape, np.inf)
    upper = np.full(cand.shape, np.inf)
    for k in range(cand.shape[1]):
        idx = np.flatnonzero(cand[:, k])
        if idx.size:
            sub = (chroma[0][idx], chroma[1][idx])
            lower[idx, k], upper[idx, k] = de00_bounds(lab_lo[idx], lab_hi[idx], sub, ref_lab[k], hue)
    kept: npt.NDArray[np.bool_] = cand & (lower <= upper.min(axis=1)[:, None] + _MARGIN)
    return kept


def _build(ref_lab: FloatArray) -> npt.NDArray[np.uint32]:
    """Coarse to fine: 16³ boxes against every reference, then each box's eight halves against its candidates
    only (a reference beaten over a box is beaten over every part of it), down to the 4×4×4 cells."""
    hue = HueRangeTables.build()
    w = 16
    g = np.arange(256 // w, dtype=np.int32) * w
    lo = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    cand = _candidates(lo, w, np.ones((lo.shape[0], ref_lab.shape[0]), dtype=bool), ref_lab, hue)
    while w > _CELL:
        w //= 2
        offs = np.array([[i, j, k] for i in (0, w) for j in (0, w) for k in (0, w)], dtype=np.int32)
        lo = (lo[:, None, :] + offs[None]).reshape(-1, 3)
        cand = _candidates(lo, w, np.repeat(cand, 8, axis=0), ref_lab, hue)
    cell = ((lo[:, 0] // _CELL) << 12) | ((lo[:, 1] // _CELL) << 6) | (lo[:, 2] // _CELL)
    bits = np.zeros(1 << 18, dtype=np.uint32)
    for k in range(ref_lab.shape[0]):
        bits[cell[cand[:, k]]] |= np.uint32(1 << k)
    return bits


class NearestCells:
    """The candidate nearest references of every 4×4×4 sRGB cell (see the module docstring).

    Args:
        ref_lab: (K, 3) CIELAB of the reference colours, K ≤ :data:`MAX_REFERENCES`.
        warm_cache: where the bitmasks are loaded from / stored (a disabled cache rebuilds them).
    """

    def __init__(self, ref_lab: FloatArray, warm_cache: WarmCache) -> None:
        ref = np.ascontiguousarray(ref_lab, dtype=np.float64).reshape(-1, 3)
        if not 0 < ref.shape[0] <= MAX_REFERENCES:
            raise ValueError(f"NearestCells needs 1 to {MAX_REFERENCES} reference colours, got {ref.shape[0]}")
        self.ref_lab = ref
        key = json.dumps({"version": CELLS_FORMAT_VERSION, "lab": [[float(v).hex() for v in row] for row in ref]})
        stored = warm_cache.load_arrays(CELLS_KIND, key)
        bits = None if stored is None else stored.get("bits")
        if bits is None or bits.shape != (1 << 18,) or bits.dtype != np.uint32:
            bits = _build(ref)
            warm_cache.store_arrays(CELLS_KIND, key, {"bits": bits})
        self.bits: npt.NDArray[np.uint32] = bits

    def candidates(self, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]:
        """Bitmask of the candidate references of each colour of ``rgb`` (N, 3) uint8."""
        c = rgb.astype(np.intp) >> 2
        out: npt.NDArray[np.uint32] = self.bits[(c[:, 0] << 12) | (c[:, 1] << 6) | c[:, 2]]
        return out


def exact_nearest(
    lab: FloatArray, rgb: npt.NDArray[np.uint8], cells: NearestCells
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Exact ``(min ΔE00, nearest index)`` of colours ``lab`` / ``rgb`` (N, 3) to ``cells.ref_lab``.

    The same values as ``ciede2000(lab[:, None], ref_lab[None]).min / argmin`` (first index on ties), from
    ΔE00 evaluated exactly against each colour's candidate references only.
    """
    n = lab.shape[0]
    bits = cells.candidates(rgb)
    best = np.full(n, np.inf)
    nearest = np.zeros(n, dtype=np.intp)
    for k in range(cells.ref_lab.shape[0]):  # in index order, replaced only when strictly nearer: argmin's first
        idx = np.flatnonzero(bits & np.uint32(1 << k))
        if idx.size:
            de = ciede2000_core(lab[idx], cells.ref_lab[k], 1.0, 1.0, 1.0)
            nearer = de < best[idx]
            chosen = idx[nearer]
            best[chosen] = de[nearer]
            nearest[chosen] = k
    return best, nearest
