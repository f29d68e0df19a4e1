"""Masked-correlation primitives shared by ORB verification and template matching: scores, valid peaks and the
:class:`Region` many sizes share (the template at each size lives in :mod:`~brandkit.checks.logo.sized`, ``resized``
re-exported here; the logo verified near a place, at several sizes, is :mod:`~brandkit.checks.logo.verify`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from brandkit.checks.logo.constants import MIN_WINDOW_STD
from brandkit.checks.logo.prepare import PreparedLogo
from brandkit.checks.logo.scene import SceneStats as SceneStats  # re-exported
from brandkit.checks.logo.sized import Kernels, Sized, correlation_kernels, spectra, spectra_now
from brandkit.checks.logo.sized import resized as resized  # re-exported
from brandkit.geometry import PixelBox


def masked_score(
    scene: np.ndarray,
    templ: np.ndarray,
    mask: np.ndarray,
    masked: bool,
    stats: SceneStats | None = None,
    kernels: Kernels | None = None,
) -> np.ndarray:
    """``TM_CCOEFF_NORMED`` map (masked when ``masked``), with degenerate places set to -1.

    Masked normalised correlation is numerically unstable where the scene is
    (nearly) flat: such windows can score close to 1. Windows whose standard
    deviation is below :data:`MIN_WINDOW_STD` grey levels, and non-finite or
    out-of-range values, are therefore discarded. ``stats``: the scene's :class:`SceneStats` when the caller
    tries many templates on it; ``kernels``: :func:`correlation_kernels` of ``templ`` and ``mask`` when known.
    """
    if stats is None and masked:
        stats = SceneStats(scene)  # the masked correlation and the window variances share its integral images
    res = raw_score(scene, templ, mask, masked, stats, kernels)
    th, tw = templ.shape[:2]
    if stats is not None:
        sums, sqsums = stats.sums, stats.sqsums
    else:
        import cv2

        sums, sqsums = cv2.integral2(scene, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)
    return _discard_flat(res, sums, sqsums, th, tw)


def _discard_flat(res: np.ndarray, sums: np.ndarray, sqsums: np.ndarray, th: int, tw: int) -> np.ndarray:
    """``res`` with the places of near-flat ``th``×``tw`` windows (from the integral images) set to -1."""
    n = float(th * tw)
    total = sums[th:, tw:] - sums[:-th, tw:] - sums[th:, :-tw] + sums[:-th, :-tw]
    squares = sqsums[th:, tw:] - sqsums[:-th, tw:] - sqsums[th:, :-tw] + sqsums[:-th, :-tw]
    variance = squares / n - (total / n) ** 2
    res[variance[: res.shape[0], : res.shape[1]] < MIN_WINDOW_STD**2] = -1.0
    return res


def raw_score(
    scene: np.ndarray,
    templ: np.ndarray,
    mask: np.ndarray,
    masked: bool,
    stats: SceneStats | None = None,
    kernels: Kernels | None = None,
) -> np.ndarray:
    """The ``TM_CCOEFF_NORMED`` map of :func:`masked_score` with non-finite and out-of-range values set to -1 but
    near-flat windows NOT yet discarded: :func:`valid_peak` checks only the peaks it returns (the coarse search
    needs two peaks of a large map, not the whole map's window variances)."""
    import cv2

    if masked:
        res = _masked_ccoeff_normed(stats or SceneStats(scene), kernels or correlation_kernels(templ, mask))
    else:
        res = np.array(cv2.matchTemplate(scene, templ, cv2.TM_CCOEFF_NORMED), dtype=np.float32)
    return _cleaned(res)


def _cleaned(res: np.ndarray) -> np.ndarray:
    """``res`` with non-finite and out-of-range values set to -1."""
    res[~np.isfinite(res) | (res > 1.0001)] = -1.0
    return res


FLAT_PEAKS_BEFORE_FULL_MASK = 16
""":func:`valid_peak` discards this many near-flat peaks one by one, then the whole map's flat windows at once."""


def valid_peak(res: np.ndarray, stats: SceneStats, th: int, tw: int) -> tuple[float, tuple[int, int]]:
    """The best score of ``res`` (a :func:`raw_score` map of a ``th``×``tw`` template on ``stats``) and its place,
    near-flat windows discarded — the same as ``min_max(masked_score(...))``, with the window variance computed
    at the peak only. A near-flat peak is set to -1 in ``res`` (in place) and the next one tried."""
    n = float(th * tw)
    for _ in range(FLAT_PEAKS_BEFORE_FULL_MASK):
        score, (x, y) = min_max(res)
        if score <= -1.0:
            return score, (x, y)
        total, squares = stats.window_moments(x, y, tw, th)
        if squares / n - (total / n) ** 2 >= MIN_WINDOW_STD**2:
            return score, (x, y)
        res[y, x] = -1.0
    sums, sqsums = stats.sums, stats.sqsums
    total = sums[th:, tw:] - sums[:-th, tw:] - sums[th:, :-tw] + sums[:-th, :-tw]
    squares = sqsums[th:, tw:] - sqsums[:-th, tw:] - sqsums[th:, :-tw] + sqsums[:-th, :-tw]
    variance = squares / n - (total / n) ** 2
    res[variance[: res.shape[0], : res.shape[1]] < MIN_WINDOW_STD**2] = -1.0
    return min_max(res)


def _masked_ccoeff_normed(stats: SceneStats, kernels: Kernels) -> np.ndarray:
    """``cv2.matchTemplate(scene, templ, TM_CCOEFF_NORMED, mask=mask)`` for a binary mask, in three plain
    correlations instead of OpenCV's masked path (~3× faster; equal to it within 1e-5).

    With ``M`` the mask (0/1, ``n`` pixels), ``T'`` = (template − its mean under ``M``) × ``M``:
    score = (I ⋆ T') / sqrt(Σ T'² × (I² ⋆ M − (I ⋆ M)² / n)), ⋆ the sliding correlation.
    """
    import cv2

    weights = kernels.weights
    shape = (stats.image.shape[0] - weights.shape[0] + 1, stats.image.shape[1] - weights.shape[1] + 1)
    if kernels.n == 0:
        return np.full(shape, -1.0, np.float32)
    numerator = cv2.matchTemplate(stats.image, kernels.centred, cv2.TM_CCORR)
    sums, variance = stats.window_sums(weights)
    return _normalised(numerator, sums, variance, kernels)


def _normalised(numerator: np.ndarray, sums: np.ndarray, variance: np.ndarray, kernels: Kernels) -> np.ndarray:
    """The score map from the three correlations of :func:`_masked_ccoeff_normed` (overwritten: float32)."""
    n, spread = kernels.n, kernels.spread
    # variance = max(squares - sums² / n, 0); res = numerator / sqrt(variance × spread) — in place, float32
    np.multiply(sums, sums, out=sums)
    np.multiply(sums, 1.0 / n, out=sums)
    np.subtract(variance, sums, out=variance)
    np.maximum(variance, 0.0, out=variance)
    np.multiply(variance, spread, out=variance)
    np.sqrt(variance, out=variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(numerator, variance, out=numerator)
    res: np.ndarray = numerator
    return res


class Region:
    """A part ``box`` (x0, y0, x1, y1) of a scene in which many sizes of the template are matched (the pixel grid
    at the layout's box, :func:`verify`'s sizes), each in its own window inside it.

    One :class:`SceneStats` serves every window (as views: the same numbers) and, for a masked logo, the DFTs of
    the region's centred pixels and their squares are computed once: each size then costs three spectrum products
    and inverse DFTs against its kernels' :class:`~brandkit.checks.logo.sized.Spectra` (kept per size on the
    logo) instead of three ``matchTemplate`` calls, each of which transforms the scene and the kernel again. The
    correlations equal ``matchTemplate``'s within float32 rounding (both are DFT products). ``keep=False``: the
    kernels' spectra are computed for this region only, not kept on the logo (sizes that will not recur)."""

    def __init__(self, scene: np.ndarray, box: PixelBox, keep: bool = True) -> None:
        import cv2

        x0, y0, x1, y1 = box
        self.x0, self.y0 = x0, y0
        self.keep = keep
        self.stats = SceneStats(scene[y0:y1, x0:x1])
        self.dft_size = (cv2.getOptimalDFTSize(y1 - y0), cv2.getOptimalDFTSize(x1 - x0))
        self._spectra: tuple[np.ndarray, np.ndarray] | None = None

    def _scene_spectra(self) -> tuple[np.ndarray, np.ndarray]:
        if self._spectra is None:
            import cv2

            h, w = self.stats.image.shape
            padded = np.zeros(self.dft_size, np.float64)  # as matchTemplate does: float32 transforms lose ~1e-4
            out = []
            for values in (self.stats.image, self.stats.squares):
                padded[:h, :w] = values
                out.append(cv2.dft(padded, nonzeroRows=h))
            self._spectra = (out[0], out[1])
        return self._spectra

    def masked_score(self, box: PixelBox, logo: PreparedLogo, entry: Sized) -> np.ndarray:
        """:func:`masked_score` of ``entry`` (the logo at one size) on the scene's window ``box`` (inside the
        region)."""
        x0, y0, x1, y1 = box
        ox, oy = x0 - self.x0, y0 - self.y0
        stats = self.stats.view(ox, oy, x1 - self.x0, y1 - self.y0)
        if not logo.masked:
            return masked_score(stats.scene, entry.templ, entry.mask, False, stats)
        th, tw = entry.templ.shape
        kernels = entry.kernels
        if kernels.n == 0:
            return np.full((y1 - y0 - th + 1, x1 - x0 - tw + 1), -1.0, np.float32)
        import cv2

        image, squares = self._scene_spectra()
        kernel = (spectra if self.keep else spectra_now)(logo, tw, th, self.dft_size)
        rows, cols = slice(oy, oy + y1 - y0 - th + 1), slice(ox, ox + x1 - x0 - tw + 1)

        def correlation(scene: np.ndarray, of: np.ndarray) -> np.ndarray:
            product = cv2.mulSpectrums(scene, of, 0, conjB=True)
            whole = cv2.idft(product, flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT, nonzeroRows=rows.stop)
            return np.array(whole[rows, cols], dtype=np.float32)

        res = _normalised(
            correlation(image, kernel.centred),
            correlation(image, kernel.weights),
            correlation(squares, kernel.weights),
            kernels,
        )
        return _discard_flat(_cleaned(res), stats.sums, stats.sqsums, th, tw)


def shared_region(scene: np.ndarray, windows: Sequence[PixelBox], keep: bool = True) -> Region | None:
    """One :class:`Region` of ``scene`` holding every window (x0, y0, x1, y1) of the sizes tried around one place, or
    ``None`` for fewer than two windows (one is matched alone). ``keep``: as :class:`Region`'s — ``False`` for sizes
    that will not recur (a candidate's of this image)."""
    if len(windows) < 2:
        return None
    x0, y0 = min(w[0] for w in windows), min(w[1] for w in windows)
    x1, y1 = max(w[2] for w in windows), max(w[3] for w in windows)
    return Region(scene, (x0, y0, x1, y1), keep=keep)


def min_max(res: np.ndarray) -> tuple[float, tuple[int, int]]:
    """Best score of a match map and its location (x, y)."""
    import cv2

    _, hi, _, hi_loc = cv2.minMaxLoc(res)
    return float(hi), (int(hi_loc[0]), int(hi_loc[1]))


def downscaled(scene: np.ndarray, factor: float) -> np.ndarray:
    """``scene`` shrunk by ``factor`` (area interpolation); unchanged when ``factor`` is 1 or more."""
    import cv2

    if factor >= 1.0:
        return scene
    h, w = scene.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(cv2.resize(scene, size, interpolation=cv2.INTER_AREA))
