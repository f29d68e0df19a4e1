"""Colour character of photographic content: dominant colours, LCh ranges, colour temperature.

Pure NumPy on plain arrays (a foundation module, no spec types):

* :func:`dominant_colors` – weighted k-means in CIELAB on a regular downsample of the
  pixels, k-means++ seeded with a fixed generator (:mod:`brandkit.color.kmeans`: Lloyd iterations that skip the
  distances a bound proves unchanged — the plain algorithm's clusters bit for bit), so the same pixels always give the
  same clusters; :func:`dominant_colors_of` clusters every pixel from its colour histogram (an image's distinct
  colours and their pixel counts, binned 32 levels a channel) — what the palette check uses;
* :func:`lch` and :func:`in_lch_range` – lightness, chroma and hue angle, and the test
  of a colour against a ``hue / chroma / lightness`` range (hue ranges may wrap);
* :func:`correlated_color_temperature` – the grey-world chromaticity of the pixels
  (mean linear RGB, clipped and near-black pixels left out) turned into a correlated
  colour temperature with McCamy's cubic (1992), valid ≈ 2000–12500 K (:func:`color_temperature_of`: the
  same of every pixel, from the distinct colours and their counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from brandkit.color.convert import srgb_to_lab
from brandkit.color.kmeans import lloyd, seed_centres

__all__ = [
    "HISTOGRAM_BITS",
    "MAX_CLUSTER_PIXELS",
    "Cluster",
    "color_temperature_of",
    "correlated_color_temperature",
    "dark_share",
    "dark_share_of_colors",
    "describe_color",
    "dominant_colors",
    "dominant_colors_of",
    "in_lch_range",
    "lch",
]

FloatArray = npt.NDArray[np.float64]

#: At most this many pixels enter the clustering (a regular stride over the region).
MAX_CLUSTER_PIXELS = 20_000
#: Bits a channel of the colour histogram :func:`dominant_colors_of` clusters (32 levels: bins of 8).
HISTOGRAM_BITS = 5
_ITERATIONS = 20
_SEED = 20_251_204
_CLIPPED = 250  # a channel at or above this is clipped: the pixel cannot stand for the scene's white
_MIN_LUMINANCE = 0.01  # nor can one darker than this (relative luminance)

# sRGB (D65) linear RGB → CIE XYZ
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_RGB_TO_XYZ.setflags(write=False)


@dataclass(frozen=True)
class Cluster:
    """One dominant colour: its centre in CIELAB, the matching sRGB and its share of the pixels."""

    lab: tuple[float, float, float]
    rgb: tuple[int, int, int]
    share: float


def _downsample(pixels: npt.NDArray[np.uint8], limit: int) -> npt.NDArray[np.uint8]:
    flat = pixels.reshape(-1, 3)
    if flat.shape[0] <= limit:
        return flat
    step = -(-flat.shape[0] // limit)
    return flat[::step]


def _lab_to_rgb(lab: FloatArray) -> tuple[int, int, int]:
    """The sRGB colour (clipped to the gamut) of one CIELAB colour."""
    L, a, b = (float(v) for v in lab)
    fy = (L + 16.0) / 116.0
    fx, fz = fy + a / 500.0, fy - b / 200.0

    def inv(t: float) -> float:
        return t**3 if t > 6.0 / 29.0 else 3 * (6.0 / 29.0) ** 2 * (t - 4.0 / 29.0)

    xyz = np.array([0.95047 * inv(fx), inv(fy), 1.08883 * inv(fz)])
    lin = np.linalg.solve(_RGB_TO_XYZ, xyz).clip(0.0, 1.0)
    srgb = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
    r, g, bb = (round(float(v) * 255) for v in srgb.clip(0.0, 1.0))
    return (r, g, bb)


def _merge_close(centres: FloatArray, mass: FloatArray, distance: float) -> tuple[FloatArray, FloatArray]:
    """Merge clusters whose centres are closer than ``distance`` (ΔE76), heaviest first, mass-weighted."""
    centres, mass = centres[mass > 0], mass[mass > 0]
    order = np.argsort(-mass, kind="stable")
    kept_c: list[FloatArray] = []
    kept_m: list[float] = []
    for j in order:
        for i, c in enumerate(kept_c):
            if float(np.sqrt(((c - centres[j]) ** 2).sum())) < distance:
                total = kept_m[i] + float(mass[j])
                kept_c[i] = (c * kept_m[i] + centres[j] * float(mass[j])) / total
                kept_m[i] = total
                break
        else:
            kept_c.append(centres[j].copy())
            kept_m.append(float(mass[j]))
    return np.asarray(kept_c).reshape(-1, 3), np.asarray(kept_m)


def dominant_colors(pixels: npt.NDArray[np.uint8], k: int = 8, merge_distance: float = 8.0) -> list[Cluster]:
    """Weighted colour clusters of ``pixels`` ((N, 3) or (H, W, 3) uint8), largest first.

    Deterministic: a regular downsample to at most :data:`MAX_CLUSTER_PIXELS`, duplicate
    colours merged with their counts as weights, k-means++ seeding from a fixed generator,
    then Lloyd iterations in CIELAB (Euclidean, i.e. ΔE76 — fine for grouping; the rules
    compare the centres with CIEDE2000). Clusters closer than ``merge_distance`` are merged
    (k-means splits one noisy colour into several; a colour must not hide under ``min_share``
    that way) and empty ones dropped.
    """
    sample = _downsample(np.ascontiguousarray(pixels, dtype=np.uint8), MAX_CLUSTER_PIXELS)
    if sample.shape[0] == 0:
        return []
    packed = (
        sample[:, 0].astype(np.uint32) | (sample[:, 1].astype(np.uint32) << 8) | (sample[:, 2].astype(np.uint32) << 16)
    )
    uniq, counts = np.unique(packed, return_counts=True)
    rgb = np.stack([uniq & 0xFF, (uniq >> 8) & 0xFF, (uniq >> 16) & 0xFF], axis=1).astype(np.uint8)
    return _clusters(srgb_to_lab(rgb), counts.astype(np.float64), k, merge_distance)


def dominant_colors_of(
    rgb: npt.NDArray[np.uint8], counts: npt.NDArray[np.int64], k: int = 8, merge_distance: float = 8.0
) -> list[Cluster]:
    """Weighted colour clusters of the pixels counted per distinct colour (``rgb`` (N, 3) uint8, ``counts`` (N,):
    how many pixels have each colour; zeros allowed), largest first — :func:`dominant_colors` of *every* pixel, from
    its colour histogram instead of a strided sample.

    The colours are grouped in 32 × 32 × 32 bins of sRGB (:data:`HISTOGRAM_BITS` bits a channel); each occupied
    bin enters the clustering once, at the pixel-weighted mean colour of its members, weighted by their pixels. A
    bin spans at most 7 levels a channel, which moves a member by a few ΔE76 at most, under the
    ``merge_distance`` that decides whether two colours are one; a photograph's 10⁵ distinct colours become a few
    thousand bins, so the clustering costs a few milliseconds where the sample's distinct colours cost ~10. The
    same seeding, Lloyd iterations and merging as :func:`dominant_colors`.
    """
    flat = np.ascontiguousarray(rgb, dtype=np.uint8).reshape(-1, 3)
    w = np.asarray(counts, dtype=np.float64).reshape(-1)
    if flat.shape[0] != w.shape[0]:
        raise ValueError(f"dominant_colors_of: {flat.shape[0]} colours but {w.shape[0]} counts")
    shift = 8 - HISTOGRAM_BITS
    bins = (
        (flat[:, 0] >> shift).astype(np.intp) << (2 * HISTOGRAM_BITS)
        | (flat[:, 1] >> shift).astype(np.intp) << HISTOGRAM_BITS
        | (flat[:, 2] >> shift).astype(np.intp)
    )
    size = 1 << (3 * HISTOGRAM_BITS)
    mass = np.bincount(bins, weights=w, minlength=size)
    used = np.flatnonzero(mass > 0)
    if used.size == 0:
        return []
    sums = np.stack([np.bincount(bins, weights=w * flat[:, c], minlength=size)[used] for c in range(3)], axis=1)
    weights = mass[used].astype(np.float64)
    return _clusters(srgb_to_lab(sums / weights[:, None]), weights, k, merge_distance)


def _clusters(lab: FloatArray, weights: FloatArray, k: int, merge_distance: float) -> list[Cluster]:
    """k-means++ seeding, Lloyd iterations and merging of weighted CIELAB colours (see :func:`dominant_colors`)."""
    k = max(1, min(k, lab.shape[0]))
    channels = (np.ascontiguousarray(lab[:, 0]), np.ascontiguousarray(lab[:, 1]), np.ascontiguousarray(lab[:, 2]))
    centres = seed_centres(channels, weights, k, np.random.default_rng(_SEED))
    labels, centres = lloyd(channels, weights, centres, _ITERATIONS)
    centres, mass = _merge_close(
        centres, np.bincount(labels, weights=weights, minlength=centres.shape[0]).astype(np.float64), merge_distance
    )
    total = float(weights.sum())
    order = np.argsort(-mass, kind="stable")
    out = []
    for j in order:
        if mass[j] <= 0:
            continue
        c = centres[j]
        out.append(
            Cluster(lab=(float(c[0]), float(c[1]), float(c[2])), rgb=_lab_to_rgb(c), share=float(mass[j] / total))
        )
    return out


def lch(lab: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(L*, C*ab, h°)`` of CIELAB colours of shape (..., 3); hue in degrees 0..360."""
    arr = np.asarray(lab, dtype=np.float64)
    chroma = np.hypot(arr[..., 1], arr[..., 2])
    hue = np.degrees(np.arctan2(arr[..., 2], arr[..., 1])) % 360.0
    return arr[..., 0], chroma, hue


def in_lch_range(
    lab: tuple[float, float, float],
    hue: tuple[float, float] | None,
    chroma: tuple[float, float],
    lightness: tuple[float, float],
) -> bool:
    """True when ``lab`` lies in the lightness, chroma and hue ranges (hue ``(from, to)`` wraps if from > to)."""
    L, C, h = (float(v) for v in lch(np.asarray(lab)))
    if not (lightness[0] <= L <= lightness[1] and chroma[0] <= C <= chroma[1]):
        return False
    if hue is None:
        return True
    lo, hi = hue
    return lo <= h <= hi if lo <= hi else (h >= lo or h <= hi)


def _linear_lut() -> FloatArray:
    """Linear-light value of each 8-bit sRGB level (the sRGB transfer function, elementwise as on pixels)."""
    v = np.arange(256, dtype=np.float64) / 255.0
    lut: FloatArray = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return lut


def correlated_color_temperature(pixels: npt.NDArray[np.uint8]) -> float | None:
    """Grey-world correlated colour temperature (kelvin, clamped to 1000–25000) of ``pixels``.

    The mean linear RGB of the pixels that are neither clipped (a channel ≥ 250) nor near
    black (luminance < 1 %) is taken as the scene's white, converted to CIE xy, and McCamy's
    approximation ``CCT = 449 n³ + 3525 n² + 6823.3 n + 5520.33`` with
    ``n = (x − 0.3320) / (0.1858 − y)`` gives the temperature. ``None`` when no pixel qualifies.
    """
    sample = _downsample(np.ascontiguousarray(pixels, dtype=np.uint8), 4 * MAX_CLUSTER_PIXELS)
    if sample.shape[0] == 0:
        return None
    lin = _linear_lut()[sample]  # the same values as the formula on each pixel, from its 256 entries
    keep = _white_candidates(sample, lin)
    if not bool(keep.any()):
        return None
    return _mccamy(_RGB_TO_XYZ @ _column_means(lin, keep))


def color_temperature_of(rgb: npt.NDArray[np.uint8], counts: npt.NDArray[np.int64]) -> float | None:
    """:func:`correlated_color_temperature` of *every* pixel counted per distinct colour (``rgb`` (N, 3) uint8,
    ``counts`` (N,)): the grey-world white is the pixel-weighted mean linear RGB of the qualifying colours — the
    mean over all the pixels, not over a strided sample. ``None`` when no pixel qualifies."""
    flat = np.ascontiguousarray(rgb, dtype=np.uint8).reshape(-1, 3)
    w = np.asarray(counts, dtype=np.float64).reshape(-1)
    lut = _linear_lut()
    channels = [np.ascontiguousarray(flat[:, c]) for c in range(3)]
    lin = [lut[ch] for ch in channels]  # one channel at a time: contiguous gathers and dot products
    luminance = lin[0] * _RGB_TO_XYZ[1, 0] + lin[1] * _RGB_TO_XYZ[1, 1] + lin[2] * _RGB_TO_XYZ[1, 2]
    brightest = np.maximum(np.maximum(channels[0], channels[1]), channels[2])
    kept = np.where((brightest < _CLIPPED) & (luminance >= _MIN_LUMINANCE), w, 0.0)
    total = float(kept.sum())
    if total <= 0.0:
        return None
    # multiply and sum, not a dot product: BLAS threads wake up for it and cost more CPU than the sum
    return _mccamy(_RGB_TO_XYZ @ (np.array([float((v * kept).sum()) for v in lin]) / total))


def _white_candidates(flat: npt.NDArray[np.uint8], lin: FloatArray) -> npt.NDArray[np.bool_]:
    """Colours that may stand for the scene's white: no channel clipped (≥ 250), luminance ≥ 1 %."""
    luminance = lin @ _RGB_TO_XYZ[1]
    brightest = np.maximum(np.maximum(flat[:, 0], flat[:, 1]), flat[:, 2])
    keep: npt.NDArray[np.bool_] = (brightest < _CLIPPED) & (luminance >= _MIN_LUMINANCE)
    return keep


def _mccamy(xyz: FloatArray) -> float | None:
    """McCamy's correlated colour temperature of CIE XYZ ``xyz``, clamped to 1000–25000 K (``None`` for black)."""
    s = float(xyz.sum())
    if s <= 0:
        return None
    x, y = xyz[0] / s, xyz[1] / s
    n = (x - 0.3320) / (0.1858 - y)
    cct = 449.0 * n**3 + 3525.0 * n**2 + 6823.3 * n + 5520.33
    return float(min(25000.0, max(1000.0, cct)))


def _column_means(lin: FloatArray, keep: npt.NDArray[np.bool_]) -> FloatArray:
    """``lin[keep].mean(axis=0)`` bit for bit: NumPy sums a C-ordered (N, 3) array down its rows one after the
    other (no pairwise summation across rows), which is each column's running sum — ``cumsum``'s last value — over
    the kept rows in order, divided by their number; computed per contiguous column (far fewer inner-loop calls
    than a 3-wide row at a time)."""
    n = int(np.count_nonzero(keep))
    sums = np.array([float(np.cumsum(lin[:, c][keep])[-1]) for c in range(3)])
    out: FloatArray = sums / n
    return out


# CIELAB hue angles of the names (sRGB red ≈ 40°, yellow ≈ 100°, green ≈ 136°, cyan ≈ 196°, blue ≈ 306°)
_HUE_NAMES = (
    (15.0, "pink"),
    (42.0, "red"),
    (58.0, "red-orange"),
    (75.0, "orange"),
    (108.0, "yellow"),
    (165.0, "green"),
    (215.0, "teal"),
    (255.0, "cyan-blue"),
    (318.0, "blue"),
    (345.0, "purple"),
    (360.0, "pink"),
)


def describe_color(lab: tuple[float, float, float]) -> str:
    """A designer's name for a colour: 'near-black', 'light grey', 'muted orange', 'vivid blue', …"""
    L, C, h = (float(v) for v in lch(np.asarray(lab)))
    if L < 12:
        return "near-black"
    if C < 8:
        return "white" if L > 95 else "light grey" if L > 70 else "grey" if L > 35 else "dark grey"
    name = next(n for limit, n in _HUE_NAMES if h < limit)
    tone = "dark " if L < 35 else "light " if L > 80 else ""
    strength = "muted " if C < 25 else "vivid " if C > 55 else ""
    return f"{strength}{tone}{name}"


def _luminance(flat: npt.NDArray[np.uint8]) -> FloatArray:
    """Relative luminance Y of (N, 3) uint8 sRGB colours (the transfer function from its 256-entry table)."""
    lut = _linear_lut()
    y: FloatArray = (
        lut[flat[:, 0]] * _RGB_TO_XYZ[1, 0] + lut[flat[:, 1]] * _RGB_TO_XYZ[1, 1] + lut[flat[:, 2]] * _RGB_TO_XYZ[1, 2]
    )
    return y


def _dark_limit(lightness: float) -> float:
    """The relative luminance of CIE L* = ``lightness``."""
    fy = (lightness + 16.0) / 116.0
    return float(fy**3 if fy > 6.0 / 29.0 else 3 * (6.0 / 29.0) ** 2 * (fy - 4.0 / 29.0))


def dark_share(pixels: npt.NDArray[np.uint8], lightness: float = 20.0) -> float:
    """Exact share of ``pixels`` ((N, 3) uint8) whose CIE L* is below ``lightness`` (from relative luminance)."""
    flat = np.ascontiguousarray(pixels, dtype=np.uint8).reshape(-1, 3)
    if flat.shape[0] == 0:
        return 0.0
    return float(np.count_nonzero(_luminance(flat) < _dark_limit(lightness)) / flat.shape[0])


def dark_share_of_colors(rgb: npt.NDArray[np.uint8], counts: npt.NDArray[np.int64], lightness: float = 20.0) -> float:
    """:func:`dark_share` of the pixels counted per distinct colour (``rgb`` (K, 3) uint8, ``counts`` (K,)): the
    same test per colour, the same integers divided — the same value as on the pixels themselves."""
    n = int(counts.sum())
    if n == 0:
        return 0.0
    flat = np.ascontiguousarray(rgb, dtype=np.uint8).reshape(-1, 3)
    limit = _dark_limit(lightness)
    # The luminance is a sum of three non-negative products and rounding is monotonic, so a colour whose one
    # channel's product alone reaches the limit is not dark: only the others are computed (the same test on them).
    lut = _linear_lut()
    maybe = np.ones(flat.shape[0], dtype=bool)
    for c in range(3):
        bright = np.flatnonzero(lut * _RGB_TO_XYZ[1, c] >= limit)  # lut is increasing: levels from the first on
        if bright.size:
            maybe &= flat[:, c] < bright[0]
    candidates = np.flatnonzero(maybe)
    dark = candidates[_luminance(flat[candidates]) < limit]
    return float(int(counts[dark].sum()) / n)
