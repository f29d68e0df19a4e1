"""Colour conversions: ``#RRGGBB`` parsing/formatting and sRGB → CIELAB (D65, 2° observer).

Pure NumPy; nothing is computed at import (the 8-bit linearisation table is built per call).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "hex_chroma", "hex_to_rgb", "rgb_to_hex", "srgb_to_lab"]

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


def _linear_lut() -> FloatArray:
    """256-entry linearisation table for 8-bit input (built per :func:`srgb_to_lab` call, ~20 µs)."""
    return _srgb_linearise(np.arange(256, dtype=np.float64) / 255.0)


# Below this many uint8 values the table costs more than it saves; the direct formula gives
# bit-identical results (the same float64 operations on the same values).
_LUT_MIN_VALUES: Final = 768


def srgb_to_lab(rgb: npt.ArrayLike, flare: float = 0.0) -> FloatArray:
    """Convert sRGB colours to CIELAB (D65 white, 2° observer).

    Args:
        rgb: array of shape ``(..., 3)``; ``uint8`` (linearised through a 256-entry
            table) or any real dtype holding values on the 0..255 scale (fractional
            values allowed).
        flare: veiling flare as a share of white, added to every colour in linear light
            (the white it raises taken as the white again): the colours as seen on a
            display with that flare — IEC 61966-2-1 gives sRGB's encoding viewing flare
            as 1 % (0.01). 0: none, the plain conversion.

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
    lut = _linear_lut() if arr.dtype == np.uint8 and flat.size >= _LUT_MIN_VALUES else None
    if lut is not None and flare:
        lut = (lut + flare) / (1.0 + flare)
    for s in range(0, flat.shape[0], _LAB_CHUNK):  # chunks keep temporaries in cache
        _lab_chunk(flat[s : s + _LAB_CHUNK], out[s : s + _LAB_CHUNK], lut, flare)
    return out.reshape(arr.shape)


_LAB_CHUNK: Final = 1 << 14


def _lab_chunk(rgb: npt.NDArray[np.generic], out: FloatArray, lut: FloatArray | None, flare: float = 0.0) -> None:
    """sRGB (N, 3) → CIELAB into ``out`` (N, 3); the element-wise core of :func:`srgb_to_lab`.

    ``lut`` is the 8-bit linearisation table, the flare already in it (only for uint8 input), or None for the direct
    formula, which adds ``flare`` itself.
    """
    if lut is not None:
        lin = lut[rgb]
    else:
        lin = _srgb_linearise(rgb.astype(np.float64) / 255.0)
        if flare:
            lin = (lin + flare) / (1.0 + flare)
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


def hex_chroma(hexes: Sequence[str]) -> FloatArray:
    """The CIELAB chroma C*ab (D65) of each ``#RRGGBB`` colour: how far from grey it is."""
    lab = srgb_to_lab(np.asarray([hex_to_rgb(h) for h in hexes], dtype=np.uint8).reshape(-1, 3))
    chroma: FloatArray = np.hypot(lab[:, 1], lab[:, 2])
    return chroma
