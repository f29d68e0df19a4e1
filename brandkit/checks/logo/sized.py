"""The logo template at one size: resized once per (width, height) and kept on its :class:`PreparedLogo` with the
correlation kernels and their spectra derived from it (the same few sizes recur image after image for one format)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from brandkit.checks.logo.constants import MASK_ALPHA
from brandkit.checks.logo.prepare import PreparedLogo


@dataclass(frozen=True)
class Kernels:
    """What the masked correlation (:mod:`~brandkit.checks.logo.matching`) correlates with the scene for one
    template and binary mask: the mask as 0/1 weights, its pixel count ``n``, the template centred under the mask
    (``T'``) and ``spread`` = Σ T'²."""

    weights: np.ndarray
    n: float
    centred: np.ndarray
    spread: float


def correlation_kernels(templ: np.ndarray, mask: np.ndarray) -> Kernels:
    """The :class:`Kernels` of ``templ`` under ``mask`` (nonzero = inside)."""
    import cv2

    weights = (mask > 0).astype(np.float32)
    n = float(cv2.countNonZero(weights))
    if n == 0:
        return Kernels(weights, n, weights, 0.0)
    values = templ.astype(np.float32)
    centred = (values - float((values * weights).sum()) / n) * weights
    return Kernels(weights, n, centred, float((centred * centred).sum()))


class Sized:
    """The logo template and its mask resized to one size, and (on first use) their :class:`Kernels`; read-only
    arrays, shared by every image the size is tried on."""

    def __init__(self, templ: np.ndarray, mask: np.ndarray) -> None:
        templ.flags.writeable = False
        mask.flags.writeable = False
        self.templ = templ
        self.mask = mask
        self._kernels: Kernels | None = None

    @property
    def kernels(self) -> Kernels:
        """:func:`correlation_kernels` of the template and mask, computed once."""
        if self._kernels is None:
            self._kernels = correlation_kernels(self.templ, self.mask)
        return self._kernels

    @property
    def nbytes(self) -> int:
        """What the entry holds at most: template and mask (uint8), weights and centred template (float32)."""
        return 10 * self.templ.size


def sized(logo: PreparedLogo, width: int, height: int) -> Sized:
    """The logo at ``width``×``height``: kept in ``logo.sized`` (the same sizes recur image after image), else
    resized now (:func:`resized_now`)."""
    return logo.sized.get((width, height), lambda: Sized(*resized_now(logo, width, height)), _bytes)


def resized(logo: PreparedLogo, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The logo template and its mask resized to ``width``×``height`` (read-only: kept for the next image)."""
    entry = sized(logo, width, height)
    return entry.templ, entry.mask


def resized_now(logo: PreparedLogo, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The logo template and its mask resized to ``width``×``height`` (computed, not kept)."""
    import cv2

    interp = cv2.INTER_AREA if width < logo.grey.shape[1] else cv2.INTER_LINEAR
    templ = cv2.resize(logo.grey, (width, height), interpolation=interp)
    if not logo.masked:
        return templ, np.full((height, width), 255, dtype=np.uint8)
    # Only (nearly) fully opaque pixels: anti-aliased edges blend with the scene's
    # background in the image but with the backdrop in the template.
    alpha = cv2.resize(logo.alpha, (width, height), interpolation=cv2.INTER_AREA)
    mask = np.where(alpha >= MASK_ALPHA, 255, 0).astype(np.uint8)
    if np.count_nonzero(mask) < 0.05 * mask.size:
        mask = np.where(alpha >= 128, 255, 0).astype(np.uint8)
    return templ, mask


@dataclass(frozen=True)
class Spectra:
    """The DFTs (OpenCV's packed real format) of a size's :class:`Kernels` zero-padded to one DFT size: what a
    :class:`~brandkit.checks.logo.matching.Region` multiplies its own spectra by."""

    centred: np.ndarray
    weights: np.ndarray

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return int(self.centred.nbytes + self.weights.nbytes)


def spectra(logo: PreparedLogo, width: int, height: int, dft_size: tuple[int, int]) -> Spectra:
    """The :class:`Spectra` of the logo's kernels at ``width``×``height`` padded to ``dft_size`` (rows,
    columns): kept in ``logo.sized`` beside the resized template."""
    return logo.sized.get((width, height, *dft_size), lambda: _spectra(sized(logo, width, height), dft_size), _bytes)


def spectra_now(logo: PreparedLogo, width: int, height: int, dft_size: tuple[int, int]) -> Spectra:
    """:func:`spectra` computed, not kept: for sizes unlikely to recur (the fine search around a candidate of this
    image), which would push the recurring sizes out of ``logo.sized``."""
    return _spectra(sized(logo, width, height), dft_size)


def _spectra(entry: Sized, dft_size: tuple[int, int]) -> Spectra:
    import cv2

    kernels = entry.kernels
    th, tw = kernels.weights.shape
    padded = np.zeros(dft_size, np.float64)
    out = []
    for kernel in (kernels.centred, kernels.weights):
        padded[:th, :tw] = kernel
        out.append(cv2.dft(padded, nonzeroRows=th))
    return Spectra(out[0], out[1])


def _bytes(entry: Sized | Spectra) -> int:
    return entry.nbytes
