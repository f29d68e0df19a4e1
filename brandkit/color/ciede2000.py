"""CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), vectorised and broadcasting.

:func:`ciede2000` is the public entry point; :func:`ciede2000_core` is the unchecked float64 kernel the
palette matcher calls in its inner loops. The module constants are scalars (no tables).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

from brandkit.color.convert import FloatArray

__all__ = ["INV_RAD25", "POW25_7", "RAD30", "RAD275", "TWO_PI", "ciede2000", "ciede2000_core"]

POW25_7: Final = 25.0**7
TWO_PI: Final = 2.0 * math.pi
_COS30: Final = math.cos(math.radians(30.0))
_SIN30: Final = math.sin(math.radians(30.0))
_COS6: Final = math.cos(math.radians(6.0))
_SIN6: Final = math.sin(math.radians(6.0))
_COS63: Final = math.cos(math.radians(63.0))
_SIN63: Final = math.sin(math.radians(63.0))
RAD30: Final = math.radians(30.0)
RAD275: Final = math.radians(275.0)
INV_RAD25: Final = 1.0 / math.radians(25.0)


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
        return ciede2000_core(x1[None], x2[None], float(kL), float(kC), float(kH)).reshape(())
    return ciede2000_core(x1, x2, float(kL), float(kC), float(kH))


def ciede2000_core(x1: FloatArray, x2: FloatArray, kL: float, kC: float, kH: float) -> FloatArray:
    """CIEDE2000 on float64 CIELAB arrays (see :func:`ciede2000`)."""
    L1, a1, b1 = x1[..., 0], x1[..., 1], x1[..., 2]
    L2, a2, b2 = x2[..., 0], x2[..., 1], x2[..., 2]

    # a' distortion from the mean chroma (powers by multiplication: much faster than **7).
    cbar = 0.5 * (np.sqrt(a1 * a1 + b1 * b1) + np.sqrt(a2 * a2 + b2 * b2))
    c7 = cbar * cbar
    c7 *= c7 * c7 * cbar
    g1 = 1.5 - 0.5 * np.sqrt(c7 / (c7 + POW25_7))  # 1 + G
    a1p = a1 * g1
    a2p = a2 * g1
    c1p = np.sqrt(a1p * a1p + b1 * b1)
    c2p = np.sqrt(a2p * a2p + b2 * b2)
    h1p = np.arctan2(b1, a1p)
    h1p[h1p < 0.0] += TWO_PI
    h2p = np.arctan2(b2, a2p)
    h2p[h2p < 0.0] += TWO_PI

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
        low_sum = hbar < TWO_PI
        dhp[wrapped & d_pos] -= TWO_PI
        dhp[wrapped & ~d_pos] += TWO_PI
        hbar[wrapped & low_sum] += TWO_PI
        hbar[wrapped & ~low_sum] -= TWO_PI
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
    rc = 2.0 * np.sqrt(cp7 / (cp7 + POW25_7))
    z = (hbar - RAD275) * INV_RAD25
    dtheta = RAD30 * np.exp(-(z * z))
    rt = -np.sin(2.0 * dtheta) * rc

    tl = dLp / (kL * sl)
    tc = dCp / (kC * sc)
    th = dHp / (kH * sh)
    de2 = tl * tl + tc * tc + th * th + rt * tc * th
    return np.asarray(np.sqrt(np.maximum(de2, 0.0)), dtype=np.float64)
