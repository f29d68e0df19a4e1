"""Building :class:`~brandkit.color.matcher.PaletteMatcher` code tables, one per tolerance.

The RGB cube is subdivided into boxes; ΔE00 over each box is bounded rigorously (:mod:`brandkit.color.bounds`)
and only the boxes the bounds cannot settle are evaluated colour by colour. A :class:`CodeTableBuilder` belongs
to one matcher and keeps what does not depend on the tolerance (the hue range tables and the nearest reference
of each 4×4×4 cell's middle colour); it is not thread-safe on its own — the matcher calls it under its lock.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from brandkit.color.bounds import HueRangeTables, box_lab_ranges, de00_bounds, rect_chroma
from brandkit.color.ciede2000 import ciede2000_core
from brandkit.color.codes import MIXED, OUTSIDE, CodeArray
from brandkit.color.convert import FloatArray, srgb_to_lab

__all__ = [
    "BUILD_CHUNK",
    "MAX_FORBIDDEN",
    "CodeTableBuilder",
    "cell_table",
    "dense_cells",
    "exact_delta_e",
    "expand_cells",
    "fold_forbidden",
    "forbidden_flags",
    "mixed_value",
]

_ROOT_BOX: Final = 32
BUILD_CHUNK: Final = 8192  # boxes per vectorised step (temporaries stay in L2)
_NEAREST_CELL: Final = 4  # nearest-colour resolution for colours outside the tolerance
MAX_FORBIDDEN: Final = 24  # forbidden colours a folded (uint32) table holds above the palette code byte


def exact_delta_e(lab: FloatArray, refs: FloatArray, cand: npt.NDArray[np.bool_] | None = None) -> FloatArray:
    """(M, K) exact ΔE00 from ``lab`` (M, 3) to each of ``refs`` (K, 3) (inf where not a candidate)."""
    m_total = lab.shape[0]
    k_total = refs.shape[0]
    out = np.full((m_total, k_total), np.inf)
    for k in range(k_total):
        if cand is None:
            out[:, k] = ciede2000_core(lab, refs[k], 1.0, 1.0, 1.0)
        else:
            idx = np.flatnonzero(cand[:, k])
            if idx.size:
                out[idx, k] = ciede2000_core(lab[idx], refs[k], 1.0, 1.0, 1.0)
    return out


def cell_table(table: npt.NDArray[np.unsignedinteger]) -> npt.NDArray[np.unsignedinteger]:
    """Cell table for a code table (layout: ``PaletteMatcher._tables_for`` in :mod:`brandkit.color.matcher`).

    Works for a plain code table (uint8, mixed cells hold :data:`MIXED`) and a folded one (uint16/uint32, see
    :func:`fold_forbidden`; mixed cells hold the dtype's largest value, never a valid folded code).
    """
    return expand_cells(dense_cells(table))


def mixed_value(dtype: np.dtype[np.unsignedinteger] | type[np.unsignedinteger]) -> int:
    """The cell-table value of a mixed cell for tables of ``dtype``."""
    return MIXED if np.dtype(dtype) == np.uint8 else int(np.iinfo(dtype).max)


def dense_cells(table: npt.NDArray[np.unsignedinteger]) -> npt.NDArray[np.unsignedinteger]:
    """(64, 64, 64) shared code of each 4×4×4 cell (indexed ``[b >> 2, g >> 2, r >> 2]``), or the mixed value."""
    t6 = table.reshape(64, 4, 64, 4, 64, 4)  # (b >> 2, b & 3, g >> 2, g & 3, r >> 2, r & 3)
    first = t6[:, 0, :, 0, :, 0]
    uniform = (t6 == first[:, None, :, None, :, None]).all(axis=(1, 3, 5))
    return np.where(uniform, first, table.dtype.type(mixed_value(table.dtype)))


def expand_cells(dense: npt.NDArray[np.unsignedinteger]) -> npt.NDArray[np.unsignedinteger]:
    """The sparse cell table the gather indexes (``r >> 2 | (g >> 2) << 8 | (b >> 2) << 16``) from
    :func:`dense_cells`."""
    cells = np.full((64, 256, 256), mixed_value(dense.dtype), dtype=dense.dtype)
    cells[:, :64, :64] = dense
    return cells.reshape(-1)


def forbidden_flags(lab: FloatArray, tolerance: float, hue: HueRangeTables) -> npt.NDArray[np.bool_]:
    """(2²⁴,) exact ``ΔE00(colour, lab) <= tolerance`` for every sRGB colour (one forbidden colour's radius)."""
    return CodeTableBuilder(lab.reshape(1, 3), 0.0, hue).build(tolerance) < OUTSIDE


def fold_forbidden(table: CodeArray, flags: list[npt.NDArray[np.bool_]]) -> npt.NDArray[np.unsignedinteger]:
    """A palette code table with each forbidden colour's radius folded in: bits 0–7 the palette code, bit
    ``8 + i`` set where the colour is within forbidden colour ``i``'s radius (uint16 up to 8 forbidden colours,
    uint32 up to :data:`MAX_FORBIDDEN`)."""
    if len(flags) > MAX_FORBIDDEN:
        raise ValueError(f"at most {MAX_FORBIDDEN} forbidden colours can be folded, got {len(flags)}")
    dtype = np.dtype(np.uint16) if len(flags) <= 8 else np.dtype(np.uint32)
    folded: npt.NDArray[np.unsignedinteger] = table.astype(dtype)
    for i, flag in enumerate(flags):
        np.bitwise_or(folded, dtype.type(1 << (8 + i)), out=folded, where=flag)
    return folded


class CodeTableBuilder:
    """Builds code tables for one palette (see the module docstring)."""

    def __init__(self, lab: FloatArray, nearest_slack: float, hue: HueRangeTables | None = None) -> None:
        """Create a builder for reference colours ``lab`` (K, 3) and the matcher's ``nearest_slack`` (``hue``:
        hue range tables to share, else built here)."""
        self._lab = lab
        self._slack = nearest_slack
        self._hue = hue if hue is not None else HueRangeTables.build()
        # Exact nearest reference at the middle of each 4×4×4 cell (255 = not computed yet).
        self._cell_nearest = np.full(1 << 18, 255, dtype=np.uint8)

    def _exact_de(self, lab: FloatArray, cand: npt.NDArray[np.bool_] | None = None) -> FloatArray:
        return exact_delta_e(lab, self._lab, cand)

    def build(self, tol: float) -> CodeArray:
        """Build the code table for one tolerance (see the module docstring)."""
        k_total = self._lab.shape[0]
        table = np.full(1 << 24, 0xFF, dtype=np.uint8)  # 0xFF is never a valid code (K <= 127)
        w = _ROOT_BOX
        n = 256 // w
        g = np.arange(n, dtype=np.int32) * w
        lo = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
        cand = np.ones((lo.shape[0], k_total), dtype=bool)
        while lo.shape[0]:
            if w == 1:
                for s in range(0, lo.shape[0], BUILD_CHUNK):
                    self._resolve_exact(table, lo[s : s + BUILD_CHUNK], cand[s : s + BUILD_CHUNK], tol)
                break
            h = w // 2
            offs = np.array([[i, j, k] for i in (0, h) for j in (0, h) for k in (0, h)], dtype=np.int32)
            kids_lo: list[npt.NDArray[np.int32]] = []
            kids_cand: list[npt.NDArray[np.bool_]] = []
            for s in range(0, lo.shape[0], BUILD_CHUNK):
                part = slice(s, s + BUILD_CHUNK)
                un_lo, un_cand = self._resolve_boxes(table, lo[part], cand[part], w, tol)
                kids_lo.append((un_lo[:, None, :] + offs[None]).reshape(-1, 3))
                kids_cand.append(np.repeat(un_cand, 8, axis=0))
            lo = np.concatenate(kids_lo)
            cand = np.concatenate(kids_cand)
            w = h
        return table

    def _resolve_boxes(
        self,
        table: CodeArray,
        lo: npt.NDArray[np.int32],
        cand: npt.NDArray[np.bool_],
        w: int,
        tol: float,
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
        """Classify boxes of width ``w`` by bounds; write settled ones into ``table``.

        Returns the unsettled boxes and their remaining candidate references.
        """
        m_total, k_total = cand.shape
        lab_lo, lab_hi = box_lab_ranges(lo, w)
        chroma = rect_chroma(lab_lo[:, 1], lab_hi[:, 1], lab_lo[:, 2], lab_hi[:, 2])
        lower = np.full((m_total, k_total), np.inf)
        upper = np.full((m_total, k_total), np.inf)
        for k in range(k_total):
            idx = np.flatnonzero(cand[:, k])
            if idx.size == m_total:
                lower[:, k], upper[:, k] = de00_bounds(lab_lo, lab_hi, chroma, self._lab[k], self._hue)
            elif idx.size:
                sub = (chroma[0][idx], chroma[1][idx])
                lower[idx, k], upper[idx, k] = de00_bounds(lab_lo[idx], lab_hi[idx], sub, self._lab[k], self._hue)
        umin = upper.min(axis=1)
        best = upper.argmin(axis=1)
        new_cand = lower <= umin[:, None]
        n_cand = new_cand.sum(axis=1)
        within = umin <= tol
        outside = lower.min(axis=1) > tol
        others = lower.copy()
        others[np.arange(m_total), best] = np.inf
        nearest_ok = others.min(axis=1) >= umin - self._slack
        settled_in = within & nearest_ok
        settled_out = outside
        code = best.astype(np.uint8)
        single = settled_out & (n_cand == 1)
        code[single] = new_cand[single].argmax(axis=1).astype(np.uint8)
        code[settled_out] |= OUTSIDE
        done = np.flatnonzero(settled_in | (settled_out & (n_cand == 1)))
        if done.size:
            n = 256 // w
            view = table.reshape(n, w, n, w, n, w)
            d_lo = lo[done] // w
            view[d_lo[:, 2], :, d_lo[:, 1], :, d_lo[:, 0], :] = code[done][:, None, None, None]
        multi = np.flatnonzero(settled_out & (n_cand > 1))
        if multi.size:
            self._fill_outside_nearest(table, lo[multi], new_cand[multi], w)
        rest = np.flatnonzero(~(settled_in | settled_out))
        return lo[rest], new_cand[rest]

    def _fill_outside_nearest(
        self, table: CodeArray, lo: npt.NDArray[np.int32], cand: npt.NDArray[np.bool_], w: int
    ) -> None:
        """Fill boxes known to be outside tolerance but with several nearest candidates.

        Each cell of 4×4×4 colours gets the exact nearest reference of its middle colour
        (an estimate that can be wrong only near a boundary between two references'
        regions). Cell answers do not depend on the tolerance and are cached.
        """
        cell = min(w, _NEAREST_CELL)
        per = w // cell
        sub = np.arange(per, dtype=np.int32) * cell
        offs = np.stack(np.meshgrid(sub, sub, sub, indexing="ij"), axis=-1).reshape(-1, 3)
        step = max(1, BUILD_CHUNK // len(offs))
        for s in range(0, lo.shape[0], step):
            cells = (lo[s : s + step][:, None, :] + offs[None]).reshape(-1, 3)
            mid = cells + cell // 2
            if cell == _NEAREST_CELL:
                key = ((mid[:, 0] >> 2) << 12) | ((mid[:, 1] >> 2) << 6) | (mid[:, 2] >> 2)
                near = self._cell_nearest[key]
                todo = np.flatnonzero(near == 255)
            else:
                key = None
                near = np.empty(cells.shape[0], dtype=np.uint8)
                todo = np.arange(cells.shape[0])
            if todo.size:
                c_cand = np.repeat(cand[s : s + step], len(offs), axis=0)[todo]
                de = self._exact_de(srgb_to_lab(mid[todo].astype(np.uint8)), c_cand)
                near[todo] = de.argmin(axis=1).astype(np.uint8)
                if key is not None:
                    self._cell_nearest[key[todo]] = near[todo]
            n = 256 // cell
            view = table.reshape(n, cell, n, cell, n, cell)
            c_lo = cells // cell
            view[c_lo[:, 2], :, c_lo[:, 1], :, c_lo[:, 0], :] = (near | np.uint8(OUTSIDE))[:, None, None, None]

    def _resolve_exact(
        self, table: CodeArray, colors: npt.NDArray[np.int32], cand: npt.NDArray[np.bool_], tol: float
    ) -> None:
        """Classify single colours exactly (only candidate references are evaluated)."""
        de = self._exact_de(srgb_to_lab(colors.astype(np.uint8)), cand)
        best = de.argmin(axis=1)
        dmin = de[np.arange(de.shape[0]), best]
        code = best.astype(np.uint8)
        code[~(dmin <= tol)] |= OUTSIDE
        packed = colors[:, 0] | (colors[:, 1] << 8) | (colors[:, 2] << 16)
        table[packed] = code
