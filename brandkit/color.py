"""Colour science for brandkit: sRGB → CIELAB, CIEDE2000 and fast palette matching.

Everything here is pure NumPy and works on plain arrays; no brand-spec types.

* :func:`hex_to_rgb` / :func:`rgb_to_hex` – parse and format ``#RRGGBB``.
* :func:`srgb_to_lab` – sRGB (IEC 61966-2-1) → CIELAB (D65, 2° observer), numerically
  identical to :func:`skimage.color.rgb2lab`.
* :func:`ciede2000` – vectorised, broadcasting CIEDE2000 (Sharma, Wu & Dalal 2005).
* :class:`PaletteMatcher` – nearest reference colour and minimum ΔE00 for every pixel
  of an image, with an exact "within tolerance" test that costs about one table
  look-up per pixel.
"""

from __future__ import annotations

import math
import re
import sys
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "ColorMatch",
    "CoverageStats",
    "PaletteMatcher",
    "ciede2000",
    "hex_to_rgb",
    "rgb_to_hex",
    "srgb_to_lab",
]

FloatArray = npt.NDArray[np.float64]

# --------------------------------------------------------------------------------------
# Hex parsing
# --------------------------------------------------------------------------------------

_HEX_RE: Final = re.compile(r"#([0-9a-fA-F]{6})")


def hex_to_rgb(hex: str) -> tuple[int, int, int]:
    """Parse ``#RRGGBB`` (case-insensitive) into an ``(r, g, b)`` tuple of ints 0..255.

    Raises:
        ValueError: if ``hex`` is not exactly ``#`` followed by six hex digits.
    """
    m = _HEX_RE.fullmatch(hex) if isinstance(hex, str) else None
    if m is None:
        raise ValueError(f"invalid hex colour {hex!r}: expected '#RRGGBB'")
    v = int(m.group(1), 16)
    return (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF


def rgb_to_hex(rgb: Sequence[int]) -> str:
    """Format an ``(r, g, b)`` triple of ints 0..255 as upper-case ``#RRGGBB``.

    Raises:
        ValueError: if the triple does not have three integer components in 0..255.
    """
    if len(rgb) != 3 or not all(isinstance(c, int | np.integer) and 0 <= int(c) <= 255 for c in rgb):
        raise ValueError(f"invalid RGB triple {tuple(rgb)!r}: expected three ints in 0..255")
    return "#{:02X}{:02X}{:02X}".format(*(int(c) for c in rgb))


# --------------------------------------------------------------------------------------
# sRGB → CIELAB
# --------------------------------------------------------------------------------------

# sRGB primaries → XYZ (the matrix scikit-image uses) and the D65 / 2° reference white.
_XYZ_FROM_RGB: Final = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
_D65_WHITE: Final = np.array([0.95047, 1.0, 1.08883])
_XYZ_FROM_RGB.setflags(write=False)
_D65_WHITE.setflags(write=False)


def _srgb_linearise(v: FloatArray) -> FloatArray:
    """IEC 61966-2-1 inverse companding of values in 0..1 (float64, new array)."""
    out = np.empty_like(v)
    mask = v > 0.04045
    out[mask] = np.power((v[mask] + 0.055) / 1.055, 2.4)
    out[~mask] = v[~mask] / 12.92
    return out


# 256-entry linearisation table for 8-bit input (immutable).
_LINEAR_LUT: Final = _srgb_linearise(np.arange(256, dtype=np.float64) / 255.0)
_LINEAR_LUT.setflags(write=False)


def srgb_to_lab(rgb: npt.ArrayLike) -> FloatArray:
    """Convert sRGB colours to CIELAB (D65 white, 2° observer).

    Args:
        rgb: array of shape ``(..., 3)``; ``uint8`` (linearised through a 256-entry
            table) or any real dtype holding values on the 0..255 scale (fractional
            values allowed).

    Returns:
        float64 array of shape ``(..., 3)`` with ``L*, a*, b*``. Uses the same constants
        and operations as :func:`skimage.color.rgb2lab`, so results agree with it to
        floating-point rounding.
    """
    arr = np.asarray(rgb)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"expected an array of shape (..., 3), got shape {arr.shape}")
    if arr.dtype == np.uint8:
        lin = _LINEAR_LUT[arr]
    elif np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating):
        lin = _srgb_linearise(arr.astype(np.float64) / 255.0)
    else:
        raise TypeError(f"expected an integer or float array, got dtype {arr.dtype}")
    # Explicit element-wise products (not a BLAS matmul) so each colour's result is
    # bit-for-bit independent of the array it sits in.
    m = _XYZ_FROM_RGB
    r = lin[..., 0]
    g = lin[..., 1]
    b = lin[..., 2]
    xyz = np.empty_like(lin)
    xyz[..., 0] = (r * m[0, 0] + g * m[0, 1] + b * m[0, 2]) / _D65_WHITE[0]
    xyz[..., 1] = (r * m[1, 0] + g * m[1, 1] + b * m[1, 2]) / _D65_WHITE[1]
    xyz[..., 2] = (r * m[2, 0] + g * m[2, 1] + b * m[2, 2]) / _D65_WHITE[2]
    mask = xyz > 0.008856
    xyz[mask] = np.cbrt(xyz[mask])
    xyz[~mask] = 7.787 * xyz[~mask] + 16.0 / 116.0
    fx = xyz[..., 0]
    fy = xyz[..., 1]
    fz = xyz[..., 2]
    out = np.empty_like(xyz)
    out[..., 0] = 116.0 * fy - 16.0
    out[..., 1] = 500.0 * (fx - fy)
    out[..., 2] = 200.0 * (fy - fz)
    return out


# --------------------------------------------------------------------------------------
# CIEDE2000
# --------------------------------------------------------------------------------------

_POW25_7: Final = 25.0**7
_TWO_PI: Final = 2.0 * math.pi
_COS30: Final = math.cos(math.radians(30.0))
_SIN30: Final = math.sin(math.radians(30.0))
_COS6: Final = math.cos(math.radians(6.0))
_SIN6: Final = math.sin(math.radians(6.0))
_COS63: Final = math.cos(math.radians(63.0))
_SIN63: Final = math.sin(math.radians(63.0))
_RAD30: Final = math.radians(30.0)
_RAD275: Final = math.radians(275.0)
_INV_RAD25: Final = 1.0 / math.radians(25.0)


def ciede2000(
    lab1: npt.ArrayLike,
    lab2: npt.ArrayLike,
    kL: float = 1,
    kC: float = 1,
    kH: float = 1,
) -> FloatArray:
    """CIEDE2000 colour difference ΔE00 between CIELAB colours (broadcasting).

    Implements Sharma, Wu & Dalal, "The CIEDE2000 color-difference formula:
    implementation notes, supplementary test data, and mathematical observations",
    Color Res. Appl. 30(1), 2005, including the hue edge cases: hue angle 0 for
    neutral colours, ``Δh' = 0`` and mean hue ``h1' + h2'`` when either chroma is zero,
    and ``|h1' - h2'| = 180°`` treated as "not greater than 180°". Whether the hue
    difference exceeds 180° is decided from the sign of the chroma-plane cross product
    when the two hues are more than 90° apart, which is exact for symmetric pairs such
    as pair 14 of the published test set.

    Args:
        lab1: array of shape ``(..., 3)`` (L*, a*, b*).
        lab2: array of shape ``(..., 3)``, broadcast against ``lab1``.
        kL: lightness parametric factor.
        kC: chroma parametric factor.
        kH: hue parametric factor.

    Returns:
        float64 array of the broadcast shape without the last axis.
    """
    x1 = np.asarray(lab1, dtype=np.float64)
    x2 = np.asarray(lab2, dtype=np.float64)
    if x1.ndim == 0 or x1.shape[-1] != 3 or x2.ndim == 0 or x2.shape[-1] != 3:
        raise ValueError(f"expected arrays of shape (..., 3), got {x1.shape} and {x2.shape}")
    return _ciede2000_core(x1, x2, float(kL), float(kC), float(kH), flip=False)[0]


def _ciede2000_core(
    x1: FloatArray, x2: FloatArray, kL: float, kC: float, kH: float, *, flip: bool
) -> tuple[FloatArray, FloatArray]:
    """CIEDE2000 core; returns ``(ΔE00, |Δh'|)`` with ``|Δh'|`` in radians (0..π).

    With ``flip=True`` every chromatic pair takes the *other* side of the 180° hue
    branch (mean hue rotated by 180°, ``Δh'`` by 360°). ΔE00 jumps across the surface
    ``|Δh'| = 180°``; the flipped value is its limit from the other side, which the
    palette-table builder needs to bound ΔE00 over a box of colours.
    """
    L1, a1, b1 = x1[..., 0], x1[..., 1], x1[..., 2]
    L2, a2, b2 = x2[..., 0], x2[..., 1], x2[..., 2]

    # a' distortion from the mean chroma (powers by multiplication: much faster than **7).
    cbar = 0.5 * (np.sqrt(a1 * a1 + b1 * b1) + np.sqrt(a2 * a2 + b2 * b2))
    c7 = cbar * cbar
    c7 *= c7 * c7 * cbar
    g1 = 1.5 - 0.5 * np.sqrt(c7 / (c7 + _POW25_7))  # 1 + G
    a1p = a1 * g1
    a2p = a2 * g1
    c1p = np.sqrt(a1p * a1p + b1 * b1)
    c2p = np.sqrt(a2p * a2p + b2 * b2)
    h1p = np.arctan2(b1, a1p)
    h1p[h1p < 0.0] += _TWO_PI
    h2p = np.arctan2(b2, a2p)
    h2p[h2p < 0.0] += _TWO_PI

    # Hue difference and mean hue with the 180° cases decided robustly.
    cc = c1p * c2p
    achromatic = cc == 0.0
    d = h2p - h1p
    dot = a1p * a2p + b1 * b2
    cross = a1p * b2 - b1 * a2p
    wrapped = np.where(dot > 0.0, np.abs(d) > math.pi, np.where(d >= 0.0, cross < 0.0, cross > 0.0))
    if flip:
        wrapped = ~wrapped
    hbar = h1p + h2p
    dhp = d
    if wrapped.any():
        d_pos = d > 0.0
        low_sum = hbar < _TWO_PI
        dhp[wrapped & d_pos] -= _TWO_PI
        dhp[wrapped & ~d_pos] += _TWO_PI
        hbar[wrapped & low_sum] += _TWO_PI
        hbar[wrapped & ~low_sum] -= _TWO_PI
    hbar *= 0.5
    if achromatic.any():
        dhp[achromatic] = 0.0
        hbar[achromatic] = (h1p + h2p)[achromatic]

    dLp = L2 - L1
    dCp = c2p - c1p
    dHp = 2.0 * np.sqrt(cc) * np.sin(0.5 * dhp)

    lbar50 = 0.5 * (L1 + L2) - 50.0
    lbar50 *= lbar50
    sl = 1.0 + 0.015 * lbar50 / np.sqrt(20.0 + lbar50)
    cbarp = 0.5 * (c1p + c2p)
    sc = 1.0 + 0.045 * cbarp
    # T from cos/sin of the mean hue via multiple-angle identities (one cos, one sin).
    ch = np.cos(hbar)
    sh1 = np.sin(hbar)
    c2h = 2.0 * ch * ch - 1.0
    s2h = 2.0 * sh1 * ch
    c3h = ch * (2.0 * c2h - 1.0)
    s3h = sh1 * (2.0 * c2h + 1.0)
    c4h = 2.0 * c2h * c2h - 1.0
    s4h = 2.0 * s2h * c2h
    t = (
        1.0
        - 0.17 * (ch * _COS30 + sh1 * _SIN30)
        + 0.24 * c2h
        + 0.32 * (c3h * _COS6 - s3h * _SIN6)
        - 0.20 * (c4h * _COS63 + s4h * _SIN63)
    )
    sh = 1.0 + 0.015 * cbarp * t
    cp7 = cbarp * cbarp
    cp7 *= cp7 * cp7 * cbarp
    rc = 2.0 * np.sqrt(cp7 / (cp7 + _POW25_7))
    z = (hbar - _RAD275) * _INV_RAD25
    dtheta = _RAD30 * np.exp(-(z * z))
    rt = -np.sin(2.0 * dtheta) * rc

    tl = dLp / (kL * sl)
    tc = dCp / (kC * sc)
    th = dHp / (kH * sh)
    de2 = tl * tl + tc * tc + th * th + rt * tc * th
    return np.sqrt(np.maximum(de2, 0.0)), np.abs(dhp)


# --------------------------------------------------------------------------------------
# Rigorous ΔE00 bounds over boxes of colours (used to build PaletteMatcher tables)
# --------------------------------------------------------------------------------------
#
# Over the integer sRGB cube, L* increases with R, G and B; a* increases with R and B
# and decreases with G; b* increases with R and G and decreases with B (the tests check
# this on all 256³ colours). So the CIELAB extent of a box of integer colours is given
# exactly by six of its corners, and interval arithmetic through the CIEDE2000 formula
# bounds ΔE00 to a fixed reference for every colour in the box. The hue-dependent
# factors (T and the rotation term) are bounded with range-min/max tables over a fine
# hue grid plus a Lipschitz margin; where a box's hue difference to the reference may
# reach 180° (ΔE00 is discontinuous there) the full hue circle is used.

_ARC_N: Final = 4096
_ARC_STEP: Final = _TWO_PI / _ARC_N
_ARC_LEVELS: Final = _ARC_N.bit_length()


def _t_of_hue(h: FloatArray) -> FloatArray:
    """CIEDE2000 hue weighting function T at mean hue ``h`` (radians)."""
    return np.asarray(
        1.0
        - 0.17 * np.cos(h - math.radians(30.0))
        + 0.24 * np.cos(2.0 * h)
        + 0.32 * np.cos(3.0 * h + math.radians(6.0))
        - 0.20 * np.cos(4.0 * h - math.radians(63.0)),
        dtype=np.float64,
    )


def _sin2dtheta_of_hue(h: FloatArray) -> FloatArray:
    """``sin(2Δθ)`` of the CIEDE2000 rotation term at mean hue ``h`` in [0, 2π)."""
    z = (h - _RAD275) * _INV_RAD25
    return np.asarray(np.sin(2.0 * _RAD30 * np.exp(-(z * z))), dtype=np.float64)


def _hue_range_tables() -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Sparse range-min/max tables of ``(T, sin 2Δθ)`` sampled on a hue grid.

    Returns ``(mins, maxs, margin, global_min, global_max)``; ``mins``/``maxs`` have
    shape ``(levels * n, 2)`` where row ``k * n + i`` covers grid points ``i .. i + 2^k - 1``.
    """
    grid = np.arange(_ARC_N, dtype=np.float64) * _ARC_STEP
    vals = np.stack([_t_of_hue(grid), _sin2dtheta_of_hue(grid)], axis=1)
    mins = np.empty((_ARC_LEVELS, _ARC_N, 2))
    maxs = np.empty((_ARC_LEVELS, _ARC_N, 2))
    mins[0] = vals
    maxs[0] = vals
    for k in range(1, _ARC_LEVELS):
        half = 1 << (k - 1)
        mins[k] = mins[k - 1]
        maxs[k] = maxs[k - 1]
        np.minimum(mins[k - 1, :-half], mins[k - 1, half:], out=mins[k, :-half])
        np.maximum(maxs[k - 1, :-half], maxs[k - 1, half:], out=maxs[k, :-half])
    # |dT/dh| <= 0.17 + 2*0.24 + 3*0.32 + 4*0.20 = 2.41 and |d sin(2Δθ)/dh| <= 2.06 per
    # radian; Δθ also jumps by ~1e-5 where the mean hue wraps from 360° to 0°.
    margin = np.array([2.41 * _ARC_STEP / 2 + 1e-7, 2.06 * _ARC_STEP / 2 + 3e-5])
    gmin = vals.min(axis=0) - margin
    gmax = vals.max(axis=0) + margin
    out = (mins.reshape(-1, 2), maxs.reshape(-1, 2), margin, gmin, gmax)
    for a in out:
        a.setflags(write=False)
    return out


_HUE_MINS, _HUE_MAXS, _HUE_MARGIN, _HUE_GMIN, _HUE_GMAX = _hue_range_tables()


def _hue_range_query(
    start: FloatArray, width: FloatArray, full: npt.NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray]:
    """Bounds of ``(T, sin 2Δθ)`` over hue arcs ``[start, start + width]``.

    Returns ``(lo, hi)`` of shape (M, 2); arcs flagged ``full`` get the global range.
    """
    n = _ARC_N
    s = start - _TWO_PI * np.floor(start * (1.0 / _TWO_PI))
    i0 = np.minimum((s * (1.0 / _ARC_STEP)).astype(np.intp), n - 1)
    i1 = np.ceil((s + width) * (1.0 / _ARC_STEP)).astype(np.intp)
    i0[full] = 0
    i1[full] = n - 1
    j = np.minimum(i1, n - 1)
    k = np.frexp((j - i0 + 1).astype(np.float64))[1] - 1  # floor(log2(length))
    base = k * n
    r1 = base + i0
    r2 = base + j - np.left_shift(1, k) + 1
    lo = np.minimum(_HUE_MINS[r1], _HUE_MINS[r2])
    hi = np.maximum(_HUE_MAXS[r1], _HUE_MAXS[r2])
    wrap = np.flatnonzero(i1 >= n)
    if wrap.size:
        j2 = np.minimum(i1[wrap] - n, n - 1)
        k2 = np.frexp((j2 + 1).astype(np.float64))[1] - 1
        r3 = k2 * n
        r4 = k2 * n + j2 - np.left_shift(1, k2) + 1
        lo[wrap] = np.minimum(lo[wrap], np.minimum(_HUE_MINS[r3], _HUE_MINS[r4]))
        hi[wrap] = np.maximum(hi[wrap], np.maximum(_HUE_MAXS[r3], _HUE_MAXS[r4]))
    lo -= _HUE_MARGIN
    hi += _HUE_MARGIN
    return lo, hi


def _interval_dist(lo: FloatArray, hi: FloatArray, x: FloatArray | float) -> FloatArray:
    """Distance from ``x`` to the interval ``[lo, hi]`` (0 inside)."""
    return np.asarray(np.maximum(np.maximum(lo - x, x - hi), 0.0), dtype=np.float64)


def _rect_chroma(
    alo: FloatArray, ahi: FloatArray, blo: FloatArray, bhi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Min and max of ``hypot(a, b)`` over rectangles ``[alo, ahi] × [blo, bhi]``."""
    da = _interval_dist(alo, ahi, 0.0)
    db = _interval_dist(blo, bhi, 0.0)
    ma = np.maximum(np.abs(alo), np.abs(ahi))
    mb = np.maximum(np.abs(blo), np.abs(bhi))
    return np.sqrt(da * da + db * db), np.sqrt(ma * ma + mb * mb)


def _wrap_pi(x: FloatArray) -> FloatArray:
    """Wrap angles into [-π, π]."""
    return np.asarray(x - _TWO_PI * np.rint(x * (1.0 / _TWO_PI)), dtype=np.float64)


def _rect_arc(
    alo: FloatArray, ahi: FloatArray, blo: FloatArray, bhi: FloatArray, cmin: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Hue arc ``(start, width)`` covered by rectangles in the (a, b) plane.

    Width 2π (the full circle) where the rectangle touches the origin.
    """
    ac = 0.5 * (alo + ahi)
    bc = 0.5 * (blo + bhi)
    rmin = np.full_like(ac, np.inf)
    rmax = np.full_like(ac, -np.inf)
    for a_ in (alo, ahi):
        for b_ in (blo, bhi):
            rel = np.arctan2(ac * b_ - bc * a_, ac * a_ + bc * b_)  # angle centre → corner
            np.minimum(rmin, rel, out=rmin)
            np.maximum(rmax, rel, out=rmax)
    full = cmin <= 1e-12
    start = np.arctan2(bc, ac) + rmin - 1e-9
    width = rmax - rmin + 2e-9
    width[full] = _TWO_PI
    return start, width


def _c7_ratio(c: FloatArray) -> FloatArray:
    """``c^7 / (c^7 + 25^7)``."""
    c7 = c * c
    c7 *= c7 * c7 * c
    return np.asarray(c7 / (c7 + _POW25_7), dtype=np.float64)


def _div_pos(
    x_lo: FloatArray, x_hi: FloatArray, s_lo: FloatArray, s_hi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Interval quotient ``[x_lo, x_hi] / [s_lo, s_hi]`` for positive divisors."""
    return np.minimum(x_lo / s_lo, x_lo / s_hi), np.maximum(x_hi / s_lo, x_hi / s_hi)


def _mul_iv(
    x_lo: FloatArray, x_hi: FloatArray, y_lo: FloatArray, y_hi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Interval product ``[x_lo, x_hi] × [y_lo, y_hi]``."""
    p1 = x_lo * y_lo
    p2 = x_lo * y_hi
    p3 = x_hi * y_lo
    p4 = x_hi * y_hi
    return (
        np.minimum(np.minimum(p1, p2), np.minimum(p3, p4)),
        np.maximum(np.maximum(p1, p2), np.maximum(p3, p4)),
    )


def _de00_bounds(
    lab_lo: FloatArray, lab_hi: FloatArray, chroma: tuple[FloatArray, FloatArray], ref: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Bounds on ΔE00(p, ref) (kL = kC = kH = 1) over CIELAB boxes.

    Args:
        lab_lo: (M, 3) lower corners ``(L*, a*, b*)`` of the boxes.
        lab_hi: (M, 3) upper corners.
        chroma: ``(min, max)`` of C*ab over each box (see :func:`_rect_chroma`).
        ref: (3,) the reference colour.

    Returns:
        ``(lo, hi)``, each (M,), with ``lo <= ΔE00(p, ref) <= hi`` for every p in a box.
    """
    Llo, alo, blo = lab_lo[:, 0], lab_lo[:, 1], lab_lo[:, 2]
    Lhi, ahi, bhi = lab_hi[:, 0], lab_hi[:, 1], lab_hi[:, 2]
    Lr, ar, br = float(ref[0]), float(ref[1]), float(ref[2])
    c1lo, c1hi = chroma

    # 1 + G, shared by both colours of a pair, decreases with the mean C*ab.
    cr = math.hypot(ar, br)
    g_lo = 1.5 - 0.5 * np.sqrt(_c7_ratio(0.5 * (c1hi + cr)))
    g_hi = 1.5 - 0.5 * np.sqrt(_c7_ratio(0.5 * (c1lo + cr)))

    # a' intervals of the box (a* times [g_lo, g_hi]) and of the reference.
    a1lo = np.where(alo >= 0.0, alo * g_lo, alo * g_hi)
    a1hi = np.where(ahi >= 0.0, ahi * g_hi, ahi * g_lo)
    a2lo = ar * (g_lo if ar >= 0.0 else g_hi)
    a2hi = ar * (g_hi if ar >= 0.0 else g_lo)

    c1plo, c1phi = _rect_chroma(a1lo, a1hi, blo, bhi)
    c2plo = np.sqrt(np.minimum(a2lo * a2lo, a2hi * a2hi) + br * br)
    c2phi = np.sqrt(np.maximum(a2lo * a2lo, a2hi * a2hi) + br * br)
    s1, w1 = _rect_arc(a1lo, a1hi, blo, bhi, c1plo)
    # The reference's (a', b) moves along a horizontal segment as G varies.
    if ar == 0.0 and br == 0.0:
        s2 = np.zeros_like(s1)
        w2 = np.full_like(s1, _TWO_PI)
    else:
        rel = np.arctan2(br * (a2hi - a2lo), a2lo * a2hi + br * br)  # angle from lo to hi end
        s2 = np.arctan2(br, a2lo) + np.minimum(rel, 0.0) - 1e-9
        w2 = np.abs(rel) + 2e-9

    # Signed hue difference h2' - h1' as an arc starting in [-π, π].
    width = w1 + w2
    st = _wrap_pi(s2 - s1 - w1)
    end = st + width
    full = width >= _TWO_PI - 1e-6
    ambiguous = full | (end >= math.pi - 1e-7) | (st <= -math.pi + 1e-7)
    contains0 = ((st <= 0.0) & (end >= 0.0)) | (end >= _TWO_PI) | full
    dmin = np.where(contains0, 0.0, np.minimum(np.abs(_wrap_pi(st)), np.abs(_wrap_pi(end))))
    dmax = np.where(ambiguous, math.pi, np.maximum(np.abs(st), np.abs(end)))
    dmin = np.maximum(dmin - 1e-7, 0.0)
    dmax = np.minimum(dmax + 1e-7, math.pi)
    dH_lo = 2.0 * np.sqrt(c1plo * c2plo) * np.sin(0.5 * dmin)
    dH_hi = 2.0 * np.sqrt(c1phi * c2phi) * np.sin(0.5 * dmax)

    # Mean hue h1' + Δh'/2 lies on an arc unless the 180° branch is ambiguous.
    hue_lo, hue_hi = _hue_range_query(s1 + 0.5 * st, w1 + 0.5 * width, ambiguous)
    t_lo = hue_lo[:, 0]
    t_hi = hue_hi[:, 0]
    s2_lo = np.maximum(hue_lo[:, 1], 0.0)
    s2_hi = np.minimum(hue_hi[:, 1], 1.0)

    cb_lo = 0.5 * (c1plo + c2plo)
    cb_hi = 0.5 * (c1phi + c2phi)
    sc_lo = 1.0 + 0.045 * cb_lo
    sc_hi = 1.0 + 0.045 * cb_hi
    sh_lo = np.maximum(1.0 + 0.015 * cb_lo * t_lo, 1.0)
    sh_hi = 1.0 + 0.015 * cb_hi * t_hi
    rc_lo = 2.0 * np.sqrt(_c7_ratio(cb_lo))
    rc_hi = 2.0 * np.sqrt(_c7_ratio(cb_hi))

    lb_lo = 0.5 * (Llo + Lr) - 50.0
    lb_hi = 0.5 * (Lhi + Lr) - 50.0
    u_lo = np.maximum(np.maximum(lb_lo, -lb_hi), 0.0)
    u_hi = np.maximum(np.abs(lb_lo), np.abs(lb_hi))
    u_lo *= u_lo
    u_hi *= u_hi
    sl_lo = 1.0 + 0.015 * u_lo / np.sqrt(20.0 + u_lo)
    sl_hi = 1.0 + 0.015 * u_hi / np.sqrt(20.0 + u_hi)
    tl_lo = _interval_dist(Llo, Lhi, Lr) / sl_hi
    tl_hi = np.maximum(np.abs(Llo - Lr), np.abs(Lhi - Lr)) / sl_lo

    # Signed ΔC'/SC and ΔH'/SH for the rotation term RT·(ΔC'/SC)·(ΔH'/SH), RT <= 0.
    xc_lo, xc_hi = _div_pos(c2plo - c1phi, c2phi - c1plo, sc_lo, sc_hi)
    pos = ~ambiguous & (st >= 0.0)
    neg = ~ambiguous & (end <= 0.0)
    xh_lo, xh_hi = _div_pos(np.where(pos, dH_lo, -dH_hi), np.where(neg, -dH_lo, dH_hi), sh_lo, sh_hi)
    pr_lo, pr_hi = _mul_iv(xc_lo, xc_hi, xh_lo, xh_hi)
    rt_lo = s2_lo * rc_lo
    rt_hi = s2_hi * rc_hi
    term_lo, term_hi = _mul_iv(-rt_hi, -rt_lo, pr_lo, pr_hi)
    tc_lo = np.where((xc_lo > 0.0) | (xc_hi < 0.0), np.minimum(np.abs(xc_lo), np.abs(xc_hi)), 0.0)
    tc_hi = np.maximum(np.abs(xc_lo), np.abs(xc_hi))
    th_lo = dH_lo / sh_hi
    th_hi = dH_hi / sh_lo
    # ΔC'^2 + ΔH'^2 is the squared distance between the two (a', b') points and SH <= SC.
    ex = np.maximum(np.maximum(a1lo - a2hi, a2lo - a1hi), 0.0)
    ey = _interval_dist(blo, bhi, br)
    fx = np.maximum(np.abs(a1hi - a2lo), np.abs(a2hi - a1lo))
    fy = np.maximum(np.abs(bhi - br), np.abs(blo - br))
    sq_lo = np.maximum(tc_lo * tc_lo + th_lo * th_lo, (ex * ex + ey * ey) / (sc_hi * sc_hi))
    sq_hi = np.minimum(tc_hi * tc_hi + th_hi * th_hi, (fx * fx + fy * fy) / (sh_lo * sh_lo))
    de2_lo = tl_lo * tl_lo + np.maximum(sq_lo + term_lo, (1.0 - 0.5 * rt_hi) * sq_lo)
    de2_hi = tl_hi * tl_hi + sq_hi + term_hi
    lo = np.sqrt(np.maximum(de2_lo, 0.0)) * (1.0 - 1e-9) - 1e-9
    hi = np.sqrt(de2_hi) * (1.0 + 1e-9) + 1e-9
    return lo, hi


def _box_lab_ranges(lo: npt.NDArray[np.int32], w: int) -> tuple[FloatArray, FloatArray]:
    """Exact CIELAB extent ``(lab_lo, lab_hi)`` of boxes ``lo .. lo + w - 1`` of sRGB colours."""
    hi = lo + (w - 1)
    r0, g0, b0 = lo[:, 0], lo[:, 1], lo[:, 2]
    r1, g1, b1 = hi[:, 0], hi[:, 1], hi[:, 2]
    corners = np.stack(
        [
            np.stack([r0, g0, b0], 1),  # L min
            np.stack([r1, g1, b1], 1),  # L max
            np.stack([r0, g1, b0], 1),  # a min
            np.stack([r1, g0, b1], 1),  # a max
            np.stack([r0, g0, b1], 1),  # b min
            np.stack([r1, g1, b0], 1),  # b max
        ]
    ).astype(np.uint8)
    lab = srgb_to_lab(corners)
    lab_lo = np.stack([lab[0, :, 0], lab[2, :, 1], lab[4, :, 2]], 1)
    lab_hi = np.stack([lab[1, :, 0], lab[3, :, 1], lab[5, :, 2]], 1)
    return lab_lo, lab_hi
