"""WCAG 2.x relative luminance and contrast ratio (shared by compose and the contrast check)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

Tone = Literal["light", "dark"]
"""A background's tone: what a logo variant's ``backgrounds`` and a layout's ``background_tone`` name."""

DARK_LUMINANCE = 0.2
"""A colour of relative luminance below this is a dark background (:func:`tone_of`)."""


def _channel(value: float) -> float:
    c = value / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(rgb: Sequence[float]) -> float:
    """Relative luminance (0 black … 1 white) of an 8-bit sRGB colour."""
    r, g, b = (_channel(float(v)) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(rgb1: Sequence[float], rgb2: Sequence[float]) -> float:
    """WCAG contrast ratio between two 8-bit sRGB colours (1 … 21)."""
    l1, l2 = relative_luminance(rgb1), relative_luminance(rgb2)
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def tone_of(rgb: Sequence[float]) -> Tone:
    """``"light"`` or ``"dark"`` for a background colour (relative luminance below :data:`DARK_LUMINANCE`: dark)."""
    return "dark" if relative_luminance(rgb) < DARK_LUMINANCE else "light"


def tone_with_margin(luminance: float, margin: float) -> Tone | None:
    """The tone a colour of relative ``luminance`` clearly is: ``dark`` when its contrast with white is at least
    ``margin`` times its contrast with black, ``light`` in the reverse case, ``None`` between (a mid-tone)."""
    on_white, on_black = 1.05 / (luminance + 0.05), (luminance + 0.05) / 0.05
    if on_white >= margin * on_black:
        return "dark"
    if on_black >= margin * on_white:
        return "light"
    return None
