"""Colour science for brandkit: sRGB → CIELAB, CIEDE2000 and fast palette matching.

Everything here is pure NumPy and works on plain arrays; no brand-spec types. Nothing is computed at
import: tables belong to the objects that use them (a :class:`PaletteMatcher` builds its own, lazily).

* :func:`hex_to_rgb` / :func:`rgb_to_hex` – parse and format ``#RRGGBB`` (:mod:`.convert`).
* :func:`srgb_to_lab` – sRGB (IEC 61966-2-1) → CIELAB (D65, 2° observer), numerically
  identical to :func:`skimage.color.rgb2lab` (:mod:`.convert`).
* :func:`ciede2000` – vectorised, broadcasting CIEDE2000 (Sharma, Wu & Dalal 2005) (:mod:`.ciede2000`).
* :class:`PaletteMatcher` – nearest reference colour and minimum ΔE00 for every pixel
  of an image, with an exact "within tolerance" test that costs about one table
  look-up per pixel (:mod:`.matcher`; tables built in :mod:`.table_build` from the rigorous
  box bounds of :mod:`.bounds`; per-pixel gather in :mod:`.gather`; result types in :mod:`.codes`).
  Forbidden colours can be folded into the same table (one gather answers both), and tables are kept in the
  warm disk cache (:mod:`.table_store`, :mod:`brandkit.warm_cache`) so a later process loads them.
"""

from __future__ import annotations

# The box-bound internals keep their old private names for the property tests in tests/test_color.py.
from brandkit.color.bounds import box_lab_ranges as _box_lab_ranges  # noqa: F401
from brandkit.color.bounds import de00_bounds as _de00_bounds  # noqa: F401
from brandkit.color.bounds import rect_chroma as _rect_chroma  # noqa: F401
from brandkit.color.ciede2000 import ciede2000
from brandkit.color.codes import ColorMatch, CoverageStats
from brandkit.color.convert import hex_chroma, hex_to_rgb, rgb_to_hex, srgb_to_lab
from brandkit.color.matcher import PaletteMatcher

__all__ = [
    "ColorMatch",
    "CoverageStats",
    "PaletteMatcher",
    "ciede2000",
    "hex_chroma",
    "hex_to_rgb",
    "rgb_to_hex",
    "srgb_to_lab",
]
