"""Results of palette matching: the per-pixel code byte, :class:`CoverageStats` and :class:`ColorMatch`.

A code packs both answers for one pixel: the low 7 bits are the index of the nearest reference colour,
bit 7 (:data:`OUTSIDE`) is set when the pixel's minimum ΔE00 is above the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["MIXED", "NEAREST_MASK", "OUTSIDE", "CodeArray", "ColorMatch", "CoverageStats", "IntArray"]

OUTSIDE: Final = 128  # code bit: minimum ΔE00 above the tolerance
NEAREST_MASK: Final = 127
MIXED: Final = 0xFF  # cell-table value: the 4×4×4 cell's colours have different codes

IntArray = npt.NDArray[np.intp]
CodeArray = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class CoverageStats:
    """Palette coverage of one image at one tolerance.

    Attributes:
        tolerance: the ΔE00 tolerance; a pixel is *within* when its minimum ΔE00 to
            the reference colours is ``<= tolerance``.
        n_pixels: number of pixels measured.
        within_counts: (K,) pixels within tolerance, by nearest reference colour.
        outside_counts: (K,) pixels outside tolerance, by nearest reference colour.
    """

    tolerance: float
    n_pixels: int
    within_counts: npt.NDArray[np.int64]
    outside_counts: npt.NDArray[np.int64]

    @property
    def within_count(self) -> int:
        """Number of pixels within tolerance of some reference colour."""
        return int(self.within_counts.sum())

    @property
    def coverage(self) -> float:
        """Share of pixels within tolerance (0.0 for an empty image)."""
        return self.within_count / self.n_pixels if self.n_pixels else 0.0

    @property
    def shares(self) -> npt.NDArray[np.float64]:
        """(K,) share of all pixels that are within tolerance of each reference colour."""
        return self.within_counts / max(self.n_pixels, 1)

    @property
    def nearest_counts(self) -> npt.NDArray[np.int64]:
        """(K,) pixels by nearest reference colour, regardless of tolerance."""
        return self.within_counts + self.outside_counts


@dataclass(frozen=True)
class ColorMatch:
    """Per-pixel palette match of one image at one tolerance.

    ``codes`` packs both answers in one byte per pixel: the low 7 bits are the index
    of the nearest reference colour, bit 7 (value 128) is set when the pixel is *outside*
    the tolerance. Its shape is the input's shape without the channel axis.
    """

    codes: CodeArray
    stats: CoverageStats
    forbidden: npt.NDArray[np.unsignedinteger] | None = field(default=None, repr=False)
    """Per pixel, bit ``i`` set when the pixel is within forbidden colour ``i``'s radius (``None`` when the
    matcher has no forbidden colours); answered by the same gather as ``codes``."""
    n_forbidden: int = 0

    def forbidden_counts(self, mask: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.int64]:
        """(F,) pixels (inside ``mask``, default all) within each forbidden colour's radius (exact)."""
        if self.forbidden is None or self.n_forbidden == 0:
            return np.zeros(0, dtype=np.int64)
        bits = self.forbidden if mask is None else self.forbidden[mask]
        if bits.dtype == np.uint8:
            hist = np.bincount(bits.reshape(-1), minlength=256)
            values = np.arange(256)
            return np.array([int(hist[(values >> i) & 1 == 1].sum()) for i in range(self.n_forbidden)], np.int64)
        return np.array([np.count_nonzero((bits >> i) & 1) for i in range(self.n_forbidden)], dtype=np.int64)

    @property
    def within(self) -> npt.NDArray[np.bool_]:
        """Per-pixel ``min ΔE00 <= tolerance`` (exact)."""
        return self.codes < OUTSIDE

    @property
    def nearest(self) -> CodeArray:
        """Per-pixel index of the nearest reference colour (see :class:`PaletteMatcher`)."""
        return np.bitwise_and(self.codes, np.uint8(NEAREST_MASK))
