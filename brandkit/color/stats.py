"""Exact descriptive palette statistics, per region, from an image's distinct colours.

A foundation module (plain arrays, no spec types). The palette check's pass/fail pixel
rules use :class:`brandkit.color.PaletteMatcher`'s table (one gather per pixel); the
figures that feed hints and reports — off-palette share, mean and p95 ΔE00, share within
tolerance of each reference colour, neutral share — come from here and are **exact**:
the image's distinct colours are found with one sort over packed RGB, CIEDE2000 is
evaluated exactly for each distinct colour (against every reference, or — given a
:class:`~brandkit.color.nearest_cells.NearestCells` — against the references that can be its
nearest, which gives the same minimum and nearest index), and the results are weighted by how
many pixels of a region have that colour.

:func:`palette_space_share` reports how much of the sRGB cube a palette covers at a
tolerance (from the matcher's exact table), which tells when a large palette makes the
coverage rule vacuous.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from brandkit.color.ciede2000 import ciede2000
from brandkit.color.convert import srgb_to_lab
from brandkit.color.matcher import PaletteMatcher
from brandkit.color.nearest_cells import NearestCells, exact_nearest

__all__ = ["DistinctColors", "RegionStats", "palette_space_share"]

FloatArray = npt.NDArray[np.float64]

_CHUNK = 1 << 14


@dataclass(frozen=True)
class RegionStats:
    """Exact statistics of one region's pixels against the reference colours."""

    n_pixels: int
    within_share: float
    off_share: float
    mean_delta_e: float
    p95_delta_e: float
    within_shares: FloatArray
    neutral_share: float


class DistinctColors:
    """An image's distinct colours with the exact minimum ΔE00 of each to the references.

    Args:
        pixels: (H, W, 3) or (N, 3) uint8.
        ref_lab: (K, 3) CIELAB of the reference colours.
        cells: the candidate nearest references per sRGB cell for ``ref_lab`` (same values, ~7× fewer ΔE00
            evaluations); None evaluates every reference.
    """

    def __init__(self, pixels: npt.NDArray[np.uint8], ref_lab: FloatArray, cells: NearestCells | None = None) -> None:
        flat = np.ascontiguousarray(pixels, dtype=np.uint8).reshape(-1, 3)
        packed = (
            flat[:, 0].astype(np.uint32) | (flat[:, 1].astype(np.uint32) << 8) | (flat[:, 2].astype(np.uint32) << 16)
        )
        uniq, self.inverse = _unique_inverse(packed)
        rgb = np.stack([uniq & 0xFF, (uniq >> 8) & 0xFF, (uniq >> 16) & 0xFF], axis=1).astype(np.uint8)
        self.rgb = rgb
        self.lab = srgb_to_lab(rgb)
        self.chroma = np.hypot(self.lab[:, 1], self.lab[:, 2])
        self.n_refs = int(ref_lab.shape[0])
        self._order: npt.NDArray[np.intp] | None = None
        if cells is not None:
            if not np.array_equal(cells.ref_lab, ref_lab):
                raise ValueError("DistinctColors: the NearestCells were built for other reference colours")
            self.min_de, self.nearest = exact_nearest(self.lab, rgb, cells)
            return
        n = rgb.shape[0]
        self.min_de = np.empty(n, dtype=np.float64)
        self.nearest = np.empty(n, dtype=np.intp)
        for s in range(0, n, _CHUNK):
            d = ciede2000(self.lab[s : s + _CHUNK, None, :], ref_lab[None, :, :])
            best = d.argmin(axis=1)
            self.nearest[s : s + _CHUNK] = best
            self.min_de[s : s + _CHUNK] = d[np.arange(d.shape[0]), best]

    def _de_order(self) -> npt.NDArray[np.intp]:
        """The distinct colours by increasing ΔE (stable), sorted once for every region's p95."""
        if self._order is None:
            self._order = np.argsort(self.min_de, kind="stable")
        return self._order

    def __len__(self) -> int:
        """Number of distinct colours."""
        return int(self.rgb.shape[0])

    def counts(self, mask: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.int64]:
        """Pixels of each distinct colour, over the whole image or where ``mask`` (flat or 2-D) is true."""
        idx = self.inverse if mask is None else self.inverse[mask.reshape(-1)]
        return np.bincount(idx, minlength=len(self)).astype(np.int64)

    def stats(
        self,
        counts: npt.NDArray[np.int64],
        tolerance: float,
        off_delta_e: float,
        neutral_chroma: float,
    ) -> RegionStats:
        """Exact statistics of the pixels counted in ``counts`` (see :meth:`counts`)."""
        total = int(counts.sum())
        if total == 0:
            return RegionStats(0, 0.0, 0.0, 0.0, 0.0, np.zeros(self.n_refs), 0.0)
        w = counts.astype(np.float64)
        within = self.min_de <= tolerance
        per_ref = np.bincount(self.nearest[within], weights=w[within], minlength=self.n_refs) / total
        order = self._de_order()
        cum = np.cumsum(w[order])
        p95 = float(self.min_de[order][int(np.searchsorted(cum, 0.95 * total, side="left"))])
        return RegionStats(
            n_pixels=total,
            within_share=float(w[within].sum() / total),
            off_share=float(w[self.min_de > off_delta_e].sum() / total),
            mean_delta_e=float((w * self.min_de).sum() / total),
            p95_delta_e=p95,
            within_shares=per_ref,
            neutral_share=float(w[self.chroma <= neutral_chroma].sum() / total),
        )


def _unique_inverse(packed: npt.NDArray[np.integer]) -> tuple[npt.NDArray[np.integer], npt.NDArray[np.intp]]:
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


def palette_space_share(matcher: PaletteMatcher, tolerance: float) -> float:
    """Share of the 2²⁴ sRGB colours within ``tolerance`` ΔE00 of some reference colour (exact)."""
    table = matcher.code_table(tolerance)
    return float(np.count_nonzero(table < 128) / table.size)
