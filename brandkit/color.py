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
import threading
import time
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
    if not (arr.dtype == np.uint8 or np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"expected an integer or float array, got dtype {arr.dtype}")
    flat = arr.reshape(-1, 3)
    out = np.empty(flat.shape, dtype=np.float64)
    for s in range(0, flat.shape[0], _LAB_CHUNK):  # chunks keep temporaries in cache
        _lab_chunk(flat[s : s + _LAB_CHUNK], out[s : s + _LAB_CHUNK])
    return out.reshape(arr.shape)


_LAB_CHUNK: Final = 1 << 14


def _lab_chunk(rgb: npt.NDArray[np.generic], out: FloatArray) -> None:
    """sRGB (N, 3) → CIELAB into ``out`` (N, 3); the element-wise core of :func:`srgb_to_lab`."""
    lin = _LINEAR_LUT[rgb] if rgb.dtype == np.uint8 else _srgb_linearise(rgb.astype(np.float64) / 255.0)
    # Explicit element-wise products (not a BLAS matmul) so each colour's result is
    # bit-for-bit independent of the array it sits in.
    m = _XYZ_FROM_RGB
    r = lin[:, 0]
    g = lin[:, 1]
    b = lin[:, 2]
    f = np.empty_like(lin)
    f[:, 0] = (r * m[0, 0] + g * m[0, 1] + b * m[0, 2]) / _D65_WHITE[0]
    f[:, 1] = (r * m[1, 0] + g * m[1, 1] + b * m[1, 2]) / _D65_WHITE[1]
    f[:, 2] = (r * m[2, 0] + g * m[2, 1] + b * m[2, 2]) / _D65_WHITE[2]
    f = np.where(f > 0.008856, np.cbrt(f), 7.787 * f + 16.0 / 116.0)
    fx = f[:, 0]
    fy = f[:, 1]
    fz = f[:, 2]
    out[:, 0] = 116.0 * fy - 16.0
    out[:, 1] = 500.0 * (fx - fy)
    out[:, 2] = 200.0 * (fy - fz)


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
    if x1.ndim == 1 and x2.ndim == 1:  # a single pair: compute on (1, 3), return 0-d
        return _ciede2000_core(x1[None], x2[None], float(kL), float(kC), float(kH)).reshape(())
    return _ciede2000_core(x1, x2, float(kL), float(kC), float(kH))


def _ciede2000_core(x1: FloatArray, x2: FloatArray, kL: float, kC: float, kH: float) -> FloatArray:
    """CIEDE2000 on float64 CIELAB arrays (see :func:`ciede2000`)."""
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
    return np.asarray(np.sqrt(np.maximum(de2, 0.0)), dtype=np.float64)


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


def _hue_range_tables() -> tuple[FloatArray, ...]:
    """Sparse range-min/max tables of T and sin 2Δθ sampled on a hue grid.

    Returns flat tables ``(t_min, t_max, s_min, s_max)`` where entry ``k * n + i``
    covers grid points ``i .. i + 2^k - 1``, then the margins and global ranges
    ``(t_margin, s_margin, t_gmin, t_gmax, s_gmin, s_gmax)`` as 0-d arrays.
    """
    grid = np.arange(_ARC_N, dtype=np.float64) * _ARC_STEP
    out: list[FloatArray] = []
    for vals in (_t_of_hue(grid), _sin2dtheta_of_hue(grid)):
        mins = np.empty((_ARC_LEVELS, _ARC_N))
        maxs = np.empty((_ARC_LEVELS, _ARC_N))
        mins[0] = vals
        maxs[0] = vals
        for k in range(1, _ARC_LEVELS):
            half = 1 << (k - 1)
            mins[k] = mins[k - 1]
            maxs[k] = maxs[k - 1]
            np.minimum(mins[k - 1, :-half], mins[k - 1, half:], out=mins[k, :-half])
            np.maximum(maxs[k - 1, :-half], maxs[k - 1, half:], out=maxs[k, :-half])
        out += [mins.ravel(), maxs.ravel()]
    # |dT/dh| <= 0.17 + 2*0.24 + 3*0.32 + 4*0.20 = 2.41 and |d sin(2Δθ)/dh| <= 2.06 per
    # radian; Δθ also jumps by ~1e-5 where the mean hue wraps from 360° to 0°.
    t_margin = 2.41 * _ARC_STEP / 2 + 1e-7
    s_margin = 2.06 * _ARC_STEP / 2 + 3e-5
    out += [np.asarray(x) for x in (t_margin, s_margin)]
    out += [np.asarray(out[0][:_ARC_N].min() - t_margin), np.asarray(out[1][:_ARC_N].max() + t_margin)]
    out += [np.asarray(out[2][:_ARC_N].min() - s_margin), np.asarray(out[3][:_ARC_N].max() + s_margin)]
    for a in out:
        a.setflags(write=False)
    return tuple(out)


(
    _T_MIN,
    _T_MAX,
    _S_MIN,
    _S_MAX,
    _T_MARGIN,
    _S_MARGIN,
    _T_GMIN,
    _T_GMAX,
    _S_GMIN,
    _S_GMAX,
) = _hue_range_tables()


def _hue_range_query(
    start: FloatArray, width: FloatArray, full: npt.NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Bounds ``(t_lo, t_hi, s_lo, s_hi)`` of T and sin 2Δθ over hue arcs.

    Arcs are ``[start, start + width]`` (radians); those flagged ``full`` get the
    global ranges.
    """
    n = _ARC_N
    s = start - _TWO_PI * np.floor(start * (1.0 / _TWO_PI))
    i0 = np.minimum((s * (1.0 / _ARC_STEP)).astype(np.intp), n - 1)
    i1 = np.ceil((s + width) * (1.0 / _ARC_STEP)).astype(np.intp)
    i0 = np.where(full, 0, i0)
    i1 = np.where(full, n - 1, i1)
    j = np.minimum(i1, n - 1)
    k = np.frexp((j - i0 + 1).astype(np.float64))[1] - 1  # floor(log2(length))
    base = k * n
    r1 = base + i0
    r2 = base + j - np.left_shift(1, k) + 1
    # Arcs running past 2π continue at grid point 0: a second range 0 .. i1 - n.
    j2 = np.clip(i1 - n, 0, n - 1)
    k2 = np.frexp((j2 + 1).astype(np.float64))[1] - 1
    r3 = k2 * n
    r4 = r3 + j2 - np.left_shift(1, k2) + 1
    wrap = i1 >= n
    r3 = np.where(wrap, r3, r1)
    r4 = np.where(wrap, r4, r2)
    res: list[FloatArray] = []
    for tmin, tmax, margin in ((_T_MIN, _T_MAX, _T_MARGIN), (_S_MIN, _S_MAX, _S_MARGIN)):
        lo = np.minimum(np.take(tmin, r1), np.take(tmin, r2))
        np.minimum(lo, np.minimum(np.take(tmin, r3), np.take(tmin, r4)), out=lo)
        hi = np.maximum(np.take(tmax, r1), np.take(tmax, r2))
        np.maximum(hi, np.maximum(np.take(tmax, r3), np.take(tmax, r4)), out=hi)
        lo -= margin
        hi += margin
        res += [lo, hi]
    return res[0], res[1], res[2], res[3]


def _interval_dist(lo: FloatArray, hi: FloatArray, x: FloatArray | float) -> FloatArray:
    """Distance from ``x`` to the interval ``[lo, hi]`` (0 inside)."""
    return np.asarray(np.maximum(np.maximum(lo - x, x - hi), 0.0), dtype=np.float64)


def _rect_chroma(alo: FloatArray, ahi: FloatArray, blo: FloatArray, bhi: FloatArray) -> tuple[FloatArray, FloatArray]:
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
    start = np.arctan2(bc, ac) + rmin - 1e-9
    width = np.where(cmin <= 1e-12, _TWO_PI, rmax - rmin + 2e-9)
    return start, width


def _c7_ratio(c: FloatArray) -> FloatArray:
    """``c^7 / (c^7 + 25^7)``."""
    c7 = c * c
    c7 *= c7 * c7 * c
    return np.asarray(c7 / (c7 + _POW25_7), dtype=np.float64)


def _div_pos(x_lo: FloatArray, x_hi: FloatArray, s_lo: FloatArray, s_hi: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Interval quotient ``[x_lo, x_hi] / [s_lo, s_hi]`` for positive divisors."""
    return np.minimum(x_lo / s_lo, x_lo / s_hi), np.maximum(x_hi / s_lo, x_hi / s_hi)


def _mul_iv(x_lo: FloatArray, x_hi: FloatArray, y_lo: FloatArray, y_hi: FloatArray) -> tuple[FloatArray, FloatArray]:
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
    t_lo, t_hi, s2_lo, s2_hi = _hue_range_query(s1 + 0.5 * st, w1 + 0.5 * width, ambiguous)
    s2_lo = np.maximum(s2_lo, 0.0)
    s2_hi = np.minimum(s2_hi, 1.0)

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


# --------------------------------------------------------------------------------------
# Palette matching
# --------------------------------------------------------------------------------------

_OUTSIDE: Final = 128  # code bit: minimum ΔE00 above the tolerance
_NEAREST_MASK: Final = 127
_ROOT_BOX: Final = 32
_BUILD_CHUNK: Final = 8192  # boxes per vectorised step (temporaries stay in L2)
_PIXEL_CHUNK: Final = 1 << 15  # pixels per step on the per-image path
_COUNT_SEGMENT: Final = 1 << 18  # codes per bincount (must be a multiple of _PIXEL_CHUNK)
_NEAREST_CELL: Final = 4  # nearest-colour resolution for colours outside the tolerance
_APPROX_BITS: Final = 6  # min-ΔE estimate grid: 64³ cells of 4×4×4 colours

_MIXED: Final = 0xFF  # cell-table value: the 4×4×4 cell's colours have different codes

IntArray = npt.NDArray[np.intp]
CodeArray = npt.NDArray[np.uint8]


def _cell_table(table: CodeArray) -> CodeArray:
    """Cell table for a code table: see :meth:`PaletteMatcher._tables_for`."""
    t6 = table.reshape(64, 4, 64, 4, 64, 4)  # (b >> 2, b & 3, g >> 2, g & 3, r >> 2, r & 3)
    first = t6[:, 0, :, 0, :, 0]
    uniform = (t6 == first[:, None, :, None, :, None]).all(axis=(1, 3, 5))
    cells = np.full((64, 256, 256), _MIXED, dtype=np.uint8)
    cells[:, :64, :64] = np.where(uniform, first, np.uint8(_MIXED))
    return cells.reshape(-1)


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

    @property
    def within(self) -> npt.NDArray[np.bool_]:
        """Per-pixel ``min ΔE00 <= tolerance`` (exact)."""
        return self.codes < _OUTSIDE

    @property
    def nearest(self) -> CodeArray:
        """Per-pixel index of the nearest reference colour (see :class:`PaletteMatcher`)."""
        return np.bitwise_and(self.codes, np.uint8(_NEAREST_MASK))


def _as_pixels(pixels: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Validate ``(..., 3)`` uint8 pixels and return them C-contiguous."""
    arr = np.asarray(pixels)
    if arr.dtype != np.uint8:
        raise TypeError(f"pixels must be uint8, got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"pixels must have shape (..., 3), got {arr.shape}")
    return np.ascontiguousarray(arr)


def _packed_colors(px: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]:
    """Pack ``(..., 3)`` uint8 pixels into flat 24-bit ints ``r | g << 8 | b << 16``."""
    flat = px.reshape(-1, 3)
    return np.asarray(
        flat[:, 0].astype(np.uint32) | (flat[:, 1].astype(np.uint32) << 8) | (flat[:, 2].astype(np.uint32) << 16),
        dtype=np.uint32,
    )


class PaletteMatcher:
    """Nearest reference colour and minimum CIEDE2000 for every pixel of an image.

    Build one per palette (brand colours plus allowed neutrals) and keep it: tables
    are built lazily and cached on the object.

    **Fast path** (:meth:`match`, :meth:`coverage`, :meth:`within`): for a tolerance,
    a 2²⁴-entry table (16 MiB) holds one code byte per sRGB colour, and a cell table
    one code per 4×4×4 cell where all 64 colours agree, so an image costs one gather
    per pixel from a cache-resident table, plus a second gather for the few percent of
    pixels in mixed cells. The table is built (≈0.2–1 s, depending on the
    tolerance, on one idle core; once per tolerance, the last ``cache_size`` are kept) by
    subdividing the RGB cube into boxes, bounding ΔE00 over each box rigorously with
    interval arithmetic, and evaluating ΔE00 exactly for every colour of the boxes
    whose classification the bounds cannot settle. Hence:

    * *within tolerance* is **exact** — identical to ``exact_min_delta_e(p)[0] <= tol``;
    * the nearest index of a pixel *within* tolerance agrees with the exact nearest
      index wherever the exact gap between the two smallest ΔE00 exceeds
      ``nearest_slack`` (with ``nearest_slack=0``: everywhere but exact ties, at some
      build cost);
    * the nearest index of a pixel *outside* tolerance is the exact nearest of the
      middle colour of its 4×4×4 cell — an estimate that can only be wrong near a
      boundary between two reference colours' regions (>99 % agreement on test images
      where the gap exceeds 0.5), not a guarantee.

    :meth:`min_delta_e` returns an approximate minimum ΔE00 (for statistics) and
    :meth:`exact_min_delta_e` the exact values (the oracle; slow on large images).

    Thread-safe: tables are built under a lock and never mutated afterwards.
    """

    MAX_COLORS: Final = 127

    def __init__(
        self,
        colors: Sequence[tuple[int, int, int]],
        *,
        nearest_slack: float = 0.25,
        cache_size: int = 4,
    ) -> None:
        """Create a matcher for reference colours given as ``(r, g, b)`` ints 0..255.

        Args:
            colors: the reference colours (1 to 127 of them; duplicates allowed).
            nearest_slack: ΔE00 gap below which the nearest index of a within-tolerance
                pixel may differ from the exact one (must be >= 0).
            cache_size: number of per-tolerance tables kept (about 20 MiB each).

        Raises:
            ValueError: on an empty or too long palette, a malformed colour, a negative
                slack or a cache size below 1.
        """
        if not 1 <= len(colors) <= self.MAX_COLORS:
            raise ValueError(f"need 1..{self.MAX_COLORS} reference colours, got {len(colors)}")
        for c in colors:
            if len(c) != 3 or not all(isinstance(v, int | np.integer) and 0 <= int(v) <= 255 for v in c):
                raise ValueError(f"invalid reference colour {c!r}: expected three ints in 0..255")
        if not nearest_slack >= 0.0:
            raise ValueError(f"nearest_slack must be >= 0, got {nearest_slack!r}")
        if cache_size < 1:
            raise ValueError(f"cache_size must be >= 1, got {cache_size!r}")
        rgb = np.array([[int(v) for v in c] for c in colors], dtype=np.uint8)
        rgb.setflags(write=False)
        lab = srgb_to_lab(rgb)
        lab.setflags(write=False)
        self._rgb = rgb
        self._lab = lab
        self._slack = float(nearest_slack)
        self._cache_size = cache_size
        self._tables: OrderedDict[float, tuple[CodeArray, CodeArray]] = OrderedDict()
        self._build_seconds: dict[float, float] = {}
        self._approx: tuple[npt.NDArray[np.float32], CodeArray] | None = None
        # Exact nearest reference at the middle of each 4×4×4 cell (255 = not computed yet).
        self._cell_nearest = np.full(1 << 18, 255, dtype=np.uint8)
        self._lock = threading.Lock()

    # -- properties --------------------------------------------------------------------

    @property
    def colors(self) -> tuple[tuple[int, int, int], ...]:
        """The reference colours, in index order."""
        return tuple((int(r), int(g), int(b)) for r, g, b in self._rgb)

    @property
    def lab(self) -> FloatArray:
        """(K, 3) CIELAB of the reference colours (read-only)."""
        return self._lab

    def __len__(self) -> int:
        """Number of reference colours."""
        return int(self._rgb.shape[0])

    def __repr__(self) -> str:
        """Short description with the colours as hex."""
        return f"PaletteMatcher([{', '.join(rgb_to_hex(c) for c in self.colors)}])"

    def build_seconds(self, tolerance: float) -> float | None:
        """Wall time the table for ``tolerance`` took to build, or None if never built."""
        return self._build_seconds.get(float(tolerance))

    # -- tables ------------------------------------------------------------------------

    def code_table(self, tolerance: float) -> CodeArray:
        """The (2²⁴,) code table for ``tolerance``, built on first use (read-only).

        Index ``r | g << 8 | b << 16``; value as in :attr:`ColorMatch.codes`.
        """
        return self._tables_for(tolerance)[0]

    def _tables_for(self, tolerance: float) -> tuple[CodeArray, CodeArray]:
        """``(code table, cell table)`` for ``tolerance``, built on first use.

        The cell table is indexed ``r >> 2 | (g >> 2) << 8 | (b >> 2) << 16`` (a sparse
        4 MiB address space of which 256 KiB is ever read, so it stays in L2) and holds
        the code shared by all 64 colours of a 4×4×4 cell, or 0xFF if they differ.
        """
        tol = float(tolerance)
        if not math.isfinite(tol) or tol < 0.0:
            raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
        tables = self._tables.get(tol)
        if tables is not None:
            with self._lock:
                if tol in self._tables:
                    self._tables.move_to_end(tol)
            return tables
        with self._lock:
            tables = self._tables.get(tol)
            if tables is None:
                t0 = time.perf_counter()
                table = self._build_table(tol)
                cells = _cell_table(table)
                table.setflags(write=False)
                cells.setflags(write=False)
                tables = (table, cells)
                self._build_seconds[tol] = time.perf_counter() - t0
                self._tables[tol] = tables
                while len(self._tables) > self._cache_size:
                    self._tables.popitem(last=False)
            return tables

    def prepare(self, tolerance: float) -> float:
        """Build (if needed) the table for ``tolerance``; return its build time in seconds."""
        self.code_table(tolerance)
        return self._build_seconds[float(tolerance)]

    def _exact_de(self, lab: FloatArray, cand: npt.NDArray[np.bool_] | None = None) -> FloatArray:
        """(M, K) exact ΔE00 from ``lab`` (M, 3) to each reference (inf where not a candidate)."""
        m_total = lab.shape[0]
        k_total = self._lab.shape[0]
        out = np.full((m_total, k_total), np.inf)
        for k in range(k_total):
            if cand is None:
                out[:, k] = _ciede2000_core(lab, self._lab[k], 1.0, 1.0, 1.0)
            else:
                idx = np.flatnonzero(cand[:, k])
                if idx.size:
                    out[idx, k] = _ciede2000_core(lab[idx], self._lab[k], 1.0, 1.0, 1.0)
        return out

    def _build_table(self, tol: float) -> CodeArray:
        """Build the code table for one tolerance (see the class docstring)."""
        k_total = self._lab.shape[0]
        table = np.full(1 << 24, 0xFF, dtype=np.uint8)  # 0xFF is never a valid code (K <= 127)
        w = _ROOT_BOX
        n = 256 // w
        g = np.arange(n, dtype=np.int32) * w
        lo = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
        cand = np.ones((lo.shape[0], k_total), dtype=bool)
        while lo.shape[0]:
            if w == 1:
                for s in range(0, lo.shape[0], _BUILD_CHUNK):
                    self._resolve_exact(table, lo[s : s + _BUILD_CHUNK], cand[s : s + _BUILD_CHUNK], tol)
                break
            h = w // 2
            offs = np.array([[i, j, k] for i in (0, h) for j in (0, h) for k in (0, h)], dtype=np.int32)
            kids_lo: list[npt.NDArray[np.int32]] = []
            kids_cand: list[npt.NDArray[np.bool_]] = []
            for s in range(0, lo.shape[0], _BUILD_CHUNK):
                part = slice(s, s + _BUILD_CHUNK)
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
        lab_lo, lab_hi = _box_lab_ranges(lo, w)
        chroma = _rect_chroma(lab_lo[:, 1], lab_hi[:, 1], lab_lo[:, 2], lab_hi[:, 2])
        lower = np.full((m_total, k_total), np.inf)
        upper = np.full((m_total, k_total), np.inf)
        for k in range(k_total):
            idx = np.flatnonzero(cand[:, k])
            if idx.size == m_total:
                lower[:, k], upper[:, k] = _de00_bounds(lab_lo, lab_hi, chroma, self._lab[k])
            elif idx.size:
                sub = (chroma[0][idx], chroma[1][idx])
                lower[idx, k], upper[idx, k] = _de00_bounds(lab_lo[idx], lab_hi[idx], sub, self._lab[k])
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
        code[settled_out] |= _OUTSIDE
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
        step = max(1, _BUILD_CHUNK // len(offs))
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
            view[c_lo[:, 2], :, c_lo[:, 1], :, c_lo[:, 0], :] = (near | np.uint8(_OUTSIDE))[:, None, None, None]

    def _resolve_exact(
        self, table: CodeArray, colors: npt.NDArray[np.int32], cand: npt.NDArray[np.bool_], tol: float
    ) -> None:
        """Classify single colours exactly (only candidate references are evaluated)."""
        de = self._exact_de(srgb_to_lab(colors.astype(np.uint8)), cand)
        best = de.argmin(axis=1)
        dmin = de[np.arange(de.shape[0]), best]
        code = best.astype(np.uint8)
        code[~(dmin <= tol)] |= _OUTSIDE
        packed = colors[:, 0] | (colors[:, 1] << 8) | (colors[:, 2] << 16)
        table[packed] = code

    # -- per-image API -----------------------------------------------------------------

    def _gather(
        self, px: npt.NDArray[np.uint8], tables: tuple[CodeArray, CodeArray], codes: CodeArray | None
    ) -> npt.NDArray[np.int64]:
        """Look up the code of every pixel; optionally store codes; return code counts.

        Pixels are read through an unaligned little-endian uint32 view with a 3-byte
        stride: ``(value >> 2) & 0x3F3F3F`` indexes the L2-resident cell table, and only
        pixels whose cell is mixed (a few percent) are looked up again in the full table
        at ``value & 0xFFFFFF``. Work is done in L2-sized chunks; codes are counted per
        segment with one ``bincount`` over byte pairs (a uint16 view).
        """
        table, cells = tables
        flat = px.reshape(-1)
        n_px = flat.size // 3
        counts = np.zeros(256, dtype=np.int64)
        if n_px == 0:
            return counts
        idx = np.empty(min(_PIXEL_CHUNK, n_px), dtype=np.intp)
        scratch = np.empty(min(_COUNT_SEGMENT, n_px), dtype=np.uint8) if codes is None else None
        pairs = np.zeros(1 << 16, dtype=np.int64)
        body = n_px - 1  # the 4-byte view of the last pixel would read past the end
        for seg in range(0, body, _COUNT_SEGMENT):
            seg_end = min(seg + _COUNT_SEGMENT, body)
            seg_codes = codes[seg:seg_end] if codes is not None else scratch[: seg_end - seg]  # type: ignore[index]
            for s in range(seg, seg_end, _PIXEL_CHUNK):
                n = min(_PIXEL_CHUNK, seg_end - s)
                view = np.ndarray((n,), dtype="<u4", buffer=flat, offset=3 * s, strides=(3,))
                ii = idx[:n]
                np.right_shift(view, 2, out=ii)
                np.bitwise_and(ii, 0x3F3F3F, out=ii)
                out = seg_codes[s - seg : s - seg + n]
                np.take(cells, ii, out=out, mode="clip")
                mixed = np.flatnonzero(out == _MIXED)
                if mixed.size:
                    out[mixed] = np.take(table, np.bitwise_and(view[mixed], 0xFFFFFF), mode="clip")
            even = seg_codes.size & ~1
            pairs += np.bincount(seg_codes[:even].view(np.uint16), minlength=1 << 16)
            if even != seg_codes.size:
                counts[seg_codes[-1]] += 1
        grid = pairs.reshape(256, 256)
        counts += grid.sum(axis=0)
        counts += grid.sum(axis=1)
        r, g, b = (int(v) for v in flat[-3:])
        last = table[r | (g << 8) | (b << 16)]
        counts[last] += 1
        if codes is not None:
            codes[-1] = last
        return counts

    def _stats(self, counts: npt.NDArray[np.int64], tolerance: float, n_px: int) -> CoverageStats:
        k_total = len(self)
        return CoverageStats(
            tolerance=float(tolerance),
            n_pixels=n_px,
            within_counts=counts[:k_total].copy(),
            outside_counts=counts[_OUTSIDE : _OUTSIDE + k_total].copy(),
        )

    def match(self, pixels: npt.ArrayLike, tolerance: float) -> ColorMatch:
        """Per-pixel codes (exact within-tolerance flag + nearest index) and statistics.

        Args:
            pixels: uint8 array of shape ``(..., 3)`` (e.g. ``(N, 3)`` or ``(H, W, 3)``).
            tolerance: ΔE00 tolerance (``>= 0``).

        Returns:
            A :class:`ColorMatch` whose arrays have shape ``pixels.shape[:-1]``.
        """
        px = _as_pixels(pixels)
        tables = self._tables_for(tolerance)
        codes = np.empty(px.shape[:-1], dtype=np.uint8)
        counts = self._gather(px, tables, codes.reshape(-1))
        return ColorMatch(codes=codes, stats=self._stats(counts, tolerance, codes.size))

    def coverage(self, pixels: npt.ArrayLike, tolerance: float) -> CoverageStats:
        """Coverage statistics only (no per-pixel output; the fastest call)."""
        px = _as_pixels(pixels)
        counts = self._gather(px, self._tables_for(tolerance), None)
        return self._stats(counts, tolerance, px.size // 3)

    def within(self, pixels: npt.ArrayLike, tolerance: float) -> npt.NDArray[np.bool_]:
        """Per-pixel ``min ΔE00 <= tolerance``, exact; shape ``pixels.shape[:-1]``."""
        return self.match(pixels, tolerance).within

    def min_delta_e(self, pixels: npt.ArrayLike) -> tuple[npt.NDArray[np.float32], IntArray]:
        """Approximate minimum ΔE00 and nearest reference index per pixel (for statistics).

        Values come from a 64³ grid: the exact minimum ΔE00 (and its argmin) at the
        centre of each 4×4×4 cell of sRGB colours, built on first use (≈0.5 s). The error
        is the variation of ΔE00 within a cell: typically below 1, larger next to the
        neutral axis. Use :meth:`exact_min_delta_e` for exact values, :meth:`match` for an
        exact tolerance test.

        Returns:
            ``(min_de float32, nearest intp)``, each of shape ``pixels.shape[:-1]``.
        """
        px = _as_pixels(pixels)
        de_grid, idx_grid = self._approx_grid()
        flat = px.reshape(-1, 3)
        cell = (
            ((flat[:, 0] >> 2).astype(np.intp) << (2 * _APPROX_BITS))
            | ((flat[:, 1] >> 2).astype(np.intp) << _APPROX_BITS)
            | (flat[:, 2] >> 2).astype(np.intp)
        )
        shape = px.shape[:-1]
        return np.take(de_grid, cell).reshape(shape), np.take(idx_grid, cell).astype(np.intp).reshape(shape)

    def _approx_grid(self) -> tuple[npt.NDArray[np.float32], CodeArray]:
        approx = self._approx
        if approx is not None:
            return approx
        with self._lock:
            if self._approx is None:
                n = 1 << _APPROX_BITS
                step = 256 // n
                c = np.arange(n, dtype=np.float64) * step + (step - 1) / 2.0
                centres = np.stack(np.meshgrid(c, c, c, indexing="ij"), axis=-1).reshape(-1, 3)
                de = np.empty(centres.shape[0], dtype=np.float32)
                idx = np.empty(centres.shape[0], dtype=np.uint8)
                for s in range(0, centres.shape[0], _BUILD_CHUNK):
                    d = self._exact_de(srgb_to_lab(centres[s : s + _BUILD_CHUNK]))
                    best = d.argmin(axis=1)
                    idx[s : s + _BUILD_CHUNK] = best
                    de[s : s + _BUILD_CHUNK] = d[np.arange(d.shape[0]), best]
                de.setflags(write=False)
                idx.setflags(write=False)
                self._approx = (de, idx)
            return self._approx

    def exact_min_delta_e(self, pixels: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
        """Exact minimum ΔE00 and nearest reference index per pixel (the oracle).

        Evaluates CIEDE2000 for every distinct colour against every reference colour
        (ties go to the lower index). Cost grows with the number of distinct colours:
        fine for small inputs, seconds for a large photo.

        Returns:
            ``(min_de float64, nearest intp)``, each of shape ``pixels.shape[:-1]``.
        """
        px = _as_pixels(pixels)
        shape = px.shape[:-1]
        packed = _packed_colors(px)
        uniq, inverse = np.unique(packed, return_inverse=True)
        de_u = np.empty(uniq.shape[0], dtype=np.float64)
        idx_u = np.empty(uniq.shape[0], dtype=np.intp)
        for s in range(0, uniq.shape[0], _BUILD_CHUNK):
            u = uniq[s : s + _BUILD_CHUNK]
            rgb = np.stack([u & 0xFF, (u >> 8) & 0xFF, (u >> 16) & 0xFF], axis=1).astype(np.uint8)
            d = self._exact_de(srgb_to_lab(rgb))
            best = d.argmin(axis=1)
            idx_u[s : s + _BUILD_CHUNK] = best
            de_u[s : s + _BUILD_CHUNK] = d[np.arange(d.shape[0]), best]
        inverse = inverse.reshape(-1)
        return de_u[inverse].reshape(shape), idx_u[inverse].reshape(shape)
