"""Exact descriptive palette statistics, per region, from an image's distinct colours.

A foundation module (plain arrays, no spec types). The palette check's pass/fail pixel
rules use :class:`brandkit.color.PaletteMatcher`'s table (one gather per pixel); the
figures that feed hints and reports — off-palette share, mean and p95 ΔE00, share within
tolerance of each reference colour, neutral share — come from here and are **exact**:
the image's distinct colours and their pixel counts are found with one grouping sort over packed
RGB (:mod:`brandkit.color.grouping`; no per-pixel inverse; given a ``split`` mask — the brand zones — each side's
colours are grouped on their own and merged, so both regions' counts cost one grouping of every pixel; a flat
area's runs of equal pixels are grouped once), CIEDE2000 is
evaluated exactly for each distinct colour (against every reference, or — given a
:class:`~brandkit.color.nearest_cells.NearestCells` — against the references that can be its
nearest, which gives the same minimum and nearest index) or looked up in a
:class:`~brandkit.color.gamut_table.GamutTable` (the same values for all 2²⁴ colours), and the
results are weighted by how many pixels of a region have that colour.

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
from brandkit.color.gamut_table import GamutTable
from brandkit.color.gather import packed_colors
from brandkit.color.grouping import union_counts, unique_counts_runs
from brandkit.color.grouping import unique_counts as _unique_counts
from brandkit.color.grouping import unique_inverse as _unique_inverse
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
        gamut: the exact minimum ΔE00 / nearest reference of every sRGB colour for ``ref_lab``
            (:class:`~brandkit.color.gamut_table.GamutTable`: the same values, looked up); takes precedence.
        split: a mask of the pixels ((H, W) or flat, bool) whose counts :meth:`split_counts` gives apart from the
            rest's: the colours of each side are grouped on their own and the two merged — one grouping of every
            pixel, where :meth:`counts` of a mask groups the image and then the mask's smaller side again.
    """

    def __init__(
        self,
        pixels: npt.NDArray[np.uint8],
        ref_lab: FloatArray,
        cells: NearestCells | None = None,
        gamut: GamutTable | None = None,
        split: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        arr = np.ascontiguousarray(pixels, dtype=np.uint8)
        packed = packed_colors(arr.reshape(-1, 3))
        self._packed = packed
        self._inverse: npt.NDArray[np.intp] | None = None
        self._split: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None
        if split is None:
            uniq, self._all_counts = unique_counts_runs(packed)
        else:
            if split.size != packed.size:
                raise ValueError(f"DistinctColors: the split mask has {split.size} cells for {packed.size} pixels")
            sides = _sides(packed.reshape(split.shape), split)
            uniq, (inside, outside) = union_counts([unique_counts_runs(side) for side in sides])
            self._all_counts = inside + outside
            self._split = (inside, outside)
        self._uniq = uniq
        # bytes r, g, b of each little-endian 24-bit value
        rgb = np.ascontiguousarray(uniq.astype("<u4", copy=False).view(np.uint8).reshape(-1, 4)[:, :3])
        self.rgb = rgb
        self.n_refs = int(ref_lab.shape[0])
        self._masks: dict[tuple[str, float], npt.NDArray[np.bool_]] = {}
        self._de_bins: npt.NDArray[np.intp] | None = None
        self._lab: FloatArray | None = None
        self._chroma: FloatArray | None = None
        self._neutral: tuple[float, npt.NDArray[np.bool_]] | None = None
        if gamut is not None:  # the same values, looked up: no CIELAB conversion, no ΔE00 evaluation
            if not np.array_equal(gamut.ref_lab, ref_lab):
                raise ValueError("DistinctColors: the GamutTable was built for other reference colours")
            self.min_de, self.nearest, neutral = gamut.lookup(uniq)
            self._neutral = (gamut.neutral_chroma, neutral)
            return
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

    @property
    def lab(self) -> FloatArray:
        """(N, 3) CIELAB of the distinct colours (computed on first use)."""
        if self._lab is None:
            self._lab = srgb_to_lab(self.rgb)
        return self._lab

    @lab.setter
    def lab(self, value: FloatArray) -> None:
        self._lab = value
        self._chroma = None

    @property
    def chroma(self) -> FloatArray:
        """CIELAB chroma of the distinct colours (computed on first use)."""
        if self._chroma is None:
            self._chroma = np.hypot(self.lab[:, 1], self.lab[:, 2])
        return self._chroma

    def neutral(self, neutral_chroma: float) -> npt.NDArray[np.bool_]:
        """Whether each distinct colour's chroma is ≤ ``neutral_chroma`` (from the gamut table when it was built
        for that limit: the same comparison of the same values)."""
        if self._neutral is not None and self._neutral[0] == float(neutral_chroma):
            return self._neutral[1]
        out: npt.NDArray[np.bool_] = self.chroma <= neutral_chroma
        return out

    @property
    def packed(self) -> npt.NDArray[np.uint32]:
        """The distinct colours as sorted 24-bit values ``r | g << 8 | b << 16`` (the order of :attr:`rgb`)."""
        return self._uniq

    @property
    def inverse(self) -> npt.NDArray[np.intp]:
        """Index of each pixel's colour in :attr:`rgb` (computed on first use; the figures do not need it)."""
        if self._inverse is None:
            self._inverse = _unique_inverse(self._packed)[1]
        return self._inverse

    @inverse.setter
    def inverse(self, value: npt.NDArray[np.intp]) -> None:
        self._inverse = value

    def __len__(self) -> int:
        """Number of distinct colours."""
        return int(self.rgb.shape[0])

    def counts(self, mask: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.int64]:
        """Pixels of each distinct colour, over the whole image or where ``mask`` (flat or 2-D) is true.

        The colours of the smaller side of the mask are counted (one more grouping sort) and placed by their
        position among the image's colours; the other side is the whole image's counts minus those."""
        if mask is None:
            return self._all_counts.copy()
        flat = mask.reshape(-1)
        inside = int(np.count_nonzero(flat))
        smaller = inside <= flat.size - inside
        sub_uniq, sub_counts = _unique_counts(self._packed[flat if smaller else ~flat])
        part = np.zeros(len(self), dtype=np.int64)
        part[np.searchsorted(self._uniq, sub_uniq)] = sub_counts
        return part if smaller else self._all_counts - part

    def split_counts(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Pixels of each distinct colour inside and outside the ``split`` mask given at construction (the same
        integers as ``counts(split)`` and ``counts(~split)``)."""
        if self._split is None:
            raise ValueError("DistinctColors.split_counts: no split mask was given")
        return self._split[0].copy(), self._split[1].copy()

    def _compared(self, op: str, limit: float) -> npt.NDArray[np.bool_]:
        """``min_de <= limit`` or ``min_de > limit`` (kept: every region's statistics use the same masks)."""
        key = (op, float(limit))
        mask = self._masks.get(key)
        if mask is None:
            mask = self.min_de <= limit if op == "<=" else self.min_de > limit
            self._masks[key] = mask
        return mask

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
        within = self._compared("<=", tolerance)
        w_within = w[within]
        per_ref = np.bincount(self.nearest[within], weights=w_within, minlength=self.n_refs) / total
        if self._de_bins is None:
            self._de_bins = _quantile_bins(self.min_de)
        return RegionStats(
            n_pixels=total,
            within_share=float(w_within.sum() / total),
            off_share=float(w[self._compared(">", off_delta_e)].sum() / total),
            mean_delta_e=float((w * self.min_de).sum() / total),
            p95_delta_e=_weighted_quantile(self.min_de, w, 0.95 * total, self._de_bins),
            within_shares=per_ref,
            neutral_share=float(w[self.neutral(neutral_chroma)].sum() / total),
        )


_QUANTILE_BINS = 1024
_QUANTILE_SCALE = 8.0  # bins of 1/8 ΔE00; everything above 128 in the last bin


def _quantile_bins(values: FloatArray) -> npt.NDArray[np.intp]:
    """The bin of each value for :func:`_weighted_quantile` (1/8 ΔE00 wide, the last one open)."""
    bins: npt.NDArray[np.intp] = np.minimum((values * _QUANTILE_SCALE).astype(np.intp), _QUANTILE_BINS - 1)
    return bins


def _weighted_quantile(
    values: FloatArray, weights: FloatArray, target: float, bins: npt.NDArray[np.intp] | None = None
) -> float:
    """The smallest ``v`` of ``values`` whose weight of values ``≤ v`` reaches ``target`` (weights are pixel
    counts: integers, summed exactly in float64) — what a stable sort of ``values`` followed by a cumulative sum
    and ``searchsorted(..., side="left")`` gives, without sorting every value: the weights are binned by value
    (``bins``: :func:`_quantile_bins` of ``values``, computed when not given), and only the values of the bin
    where the cumulative weight reaches ``target`` are sorted."""
    if target <= 0.0:  # the first value in sorted order
        return float(values.min())
    if bins is None:
        bins = _quantile_bins(values)
    cum_bins = np.cumsum(np.bincount(bins, weights=weights, minlength=_QUANTILE_BINS))
    b = min(int(np.searchsorted(cum_bins, target, side="left")), _QUANTILE_BINS - 1)
    before = float(cum_bins[b - 1]) if b > 0 else 0.0
    members = np.flatnonzero(bins == b)
    order = np.argsort(values[members], kind="stable")
    cum = before + np.cumsum(weights[members][order])
    i = min(int(np.searchsorted(cum, target, side="left")), order.size - 1)
    return float(values[members][order][i])


def _box(mask: npt.NDArray[np.bool_]) -> tuple[int, int, int, int] | None:
    """``(y0, y1, x0, x1)`` when the true cells of ``mask`` (H, W) are exactly that rectangle, else None."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return None
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return (y0, y1, x0, x1) if (y1 - y0) * (x1 - x0) == np.count_nonzero(mask) else None


def _sides(packed: npt.NDArray[np.uint32], mask: npt.NDArray[np.bool_]) -> list[npt.NDArray[np.uint32]]:
    """The keys of ``packed`` (H, W) inside and outside ``mask`` (H, W), each side in any order (a count does not
    depend on it): a rectangle (a layout's photo box, or the brand zones around it) is sliced, not gathered."""
    if mask.ndim != 2:  # flat pixels: no rectangle to slice
        return [packed[mask], packed[~mask]]
    for box, rect_inside in ((_box(~mask), False), (_box(mask), True)):
        if box is not None:
            y0, y1, x0, x1 = box
            rect = packed[y0:y1, x0:x1].reshape(-1)
            rest = np.concatenate(
                [
                    packed[:y0].reshape(-1),
                    packed[y0:y1, :x0].reshape(-1),
                    packed[y0:y1, x1:].reshape(-1),
                    packed[y1:].reshape(-1),
                ]
            )
            return [rect, rest] if rect_inside else [rest, rect]
    return [packed[mask], packed[~mask]]


def palette_space_share(matcher: PaletteMatcher, tolerance: float) -> float:
    """Share of the 2²⁴ sRGB colours within ``tolerance`` ΔE00 of some reference colour (exact)."""
    table = matcher.code_table(tolerance)
    return float(np.count_nonzero(table < 128) / table.size)
