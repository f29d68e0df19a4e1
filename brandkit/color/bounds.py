"""Rigorous ΔE00 bounds over boxes of sRGB colours (interval arithmetic through CIEDE2000).

Used to build :class:`~brandkit.color.matcher.PaletteMatcher` code tables. The hue range tables are a
:class:`HueRangeTables` object built on demand (a few milliseconds) and owned by its caller — the matcher
keeps one; nothing is computed at import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from brandkit.color.ciede2000 import INV_RAD25, POW25_7, RAD30, RAD275, TWO_PI
from brandkit.color.convert import FloatArray, srgb_to_lab

__all__ = ["HueRangeTables", "box_lab_ranges", "de00_bounds", "rect_chroma"]

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
_ARC_STEP: Final = TWO_PI / _ARC_N
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
    z = (h - RAD275) * INV_RAD25
    return np.asarray(np.sin(2.0 * RAD30 * np.exp(-(z * z))), dtype=np.float64)


@dataclass(frozen=True)
class HueRangeTables:
    """Sparse range-min/max tables of T and sin 2Δθ sampled on a hue grid (read-only arrays).

    Flat tables ``t_min, t_max, s_min, s_max`` where entry ``k * n + i`` covers grid points
    ``i .. i + 2^k - 1``, and the Lipschitz margins that widen every looked-up range.
    """

    t_min: FloatArray
    t_max: FloatArray
    s_min: FloatArray
    s_max: FloatArray
    t_margin: float
    s_margin: float

    @classmethod
    def build(cls) -> HueRangeTables:
        """Compute the tables (about 5 ms; callers keep the object rather than rebuild it)."""
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
        for a in out:
            a.setflags(write=False)
        # |dT/dh| <= 0.17 + 2*0.24 + 3*0.32 + 4*0.20 = 2.41 and |d sin(2Δθ)/dh| <= 2.06 per
        # radian; Δθ also jumps by ~1e-5 where the mean hue wraps from 360° to 0°.
        t_margin = 2.41 * _ARC_STEP / 2 + 1e-7
        s_margin = 2.06 * _ARC_STEP / 2 + 3e-5
        return cls(
            t_min=out[0],
            t_max=out[1],
            s_min=out[2],
            s_max=out[3],
            t_margin=t_margin,
            s_margin=s_margin,
        )


def _hue_range_query(
    tables: HueRangeTables, start: FloatArray, width: FloatArray, full: npt.NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Bounds ``(t_lo, t_hi, s_lo, s_hi)`` of T and sin 2Δθ over hue arcs.

    Arcs are ``[start, start + width]`` (radians); those flagged ``full`` get the
    global ranges.
    """
    n = _ARC_N
    s = start - TWO_PI * np.floor(start * (1.0 / TWO_PI))
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
    pairs = ((tables.t_min, tables.t_max, tables.t_margin), (tables.s_min, tables.s_max, tables.s_margin))
    for tmin, tmax, margin in pairs:
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


def rect_chroma(alo: FloatArray, ahi: FloatArray, blo: FloatArray, bhi: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Min and max of ``hypot(a, b)`` over rectangles ``[alo, ahi] × [blo, bhi]``."""
    da = _interval_dist(alo, ahi, 0.0)
    db = _interval_dist(blo, bhi, 0.0)
    ma = np.maximum(np.abs(alo), np.abs(ahi))
    mb = np.maximum(np.abs(blo), np.abs(bhi))
    return np.sqrt(da * da + db * db), np.sqrt(ma * ma + mb * mb)


def _wrap_pi(x: FloatArray) -> FloatArray:
    """Wrap angles into [-π, π]."""
    return np.asarray(x - TWO_PI * np.rint(x * (1.0 / TWO_PI)), dtype=np.float64)


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
    width = np.where(cmin <= 1e-12, TWO_PI, rmax - rmin + 2e-9)
    return start, width


def _c7_ratio(c: FloatArray) -> FloatArray:
    """``c^7 / (c^7 + 25^7)``."""
    c7 = c * c
    c7 *= c7 * c7 * c
    return np.asarray(c7 / (c7 + POW25_7), dtype=np.float64)


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


def de00_bounds(
    lab_lo: FloatArray,
    lab_hi: FloatArray,
    chroma: tuple[FloatArray, FloatArray],
    ref: FloatArray,
    hue_tables: HueRangeTables | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Bounds on ΔE00(p, ref) (kL = kC = kH = 1) over CIELAB boxes.

    Args:
        lab_lo: (M, 3) lower corners ``(L*, a*, b*)`` of the boxes.
        lab_hi: (M, 3) upper corners.
        chroma: ``(min, max)`` of C*ab over each box (see :func:`rect_chroma`).
        ref: (3,) the reference colour.
        hue_tables: the hue range tables; built for this call when None (pass a kept
            :class:`HueRangeTables` when calling in a loop).

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

    c1plo, c1phi = rect_chroma(a1lo, a1hi, blo, bhi)
    c2plo = np.sqrt(np.minimum(a2lo * a2lo, a2hi * a2hi) + br * br)
    c2phi = np.sqrt(np.maximum(a2lo * a2lo, a2hi * a2hi) + br * br)
    s1, w1 = _rect_arc(a1lo, a1hi, blo, bhi, c1plo)
    # The reference's (a', b) moves along a horizontal segment as G varies.
    if ar == 0.0 and br == 0.0:
        s2 = np.zeros_like(s1)
        w2 = np.full_like(s1, TWO_PI)
    else:
        rel = np.arctan2(br * (a2hi - a2lo), a2lo * a2hi + br * br)  # angle from lo to hi end
        s2 = np.arctan2(br, a2lo) + np.minimum(rel, 0.0) - 1e-9
        w2 = np.abs(rel) + 2e-9

    # Signed hue difference h2' - h1' as an arc starting in [-π, π].
    width = w1 + w2
    st = _wrap_pi(s2 - s1 - w1)
    end = st + width
    full = width >= TWO_PI - 1e-6
    ambiguous = full | (end >= math.pi - 1e-7) | (st <= -math.pi + 1e-7)
    contains0 = ((st <= 0.0) & (end >= 0.0)) | (end >= TWO_PI) | full
    dmin = np.where(contains0, 0.0, np.minimum(np.abs(_wrap_pi(st)), np.abs(_wrap_pi(end))))
    dmax = np.where(ambiguous, math.pi, np.maximum(np.abs(st), np.abs(end)))
    dmin = np.maximum(dmin - 1e-7, 0.0)
    dmax = np.minimum(dmax + 1e-7, math.pi)
    dH_lo = 2.0 * np.sqrt(c1plo * c2plo) * np.sin(0.5 * dmin)
    dH_hi = 2.0 * np.sqrt(c1phi * c2phi) * np.sin(0.5 * dmax)

    # Mean hue h1' + Δh'/2 lies on an arc unless the 180° branch is ambiguous.
    tables = hue_tables if hue_tables is not None else HueRangeTables.build()
    t_lo, t_hi, s2_lo, s2_hi = _hue_range_query(tables, s1 + 0.5 * st, w1 + 0.5 * width, ambiguous)
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


def box_lab_ranges(lo: npt.NDArray[np.int32], w: int) -> tuple[FloatArray, FloatArray]:
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
