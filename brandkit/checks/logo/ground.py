"""The ground a found logo sits on, against the ground its variant is made for.

A brand makes each logo variant for a ground: its dark mark for light grounds, its reversed (light) mark for dark
ones (``logos[].backgrounds``; :meth:`~brandkit.spec.models.BrandSpec.logo_tone`). The reversed mark on a cream page,
or the dark mark on a near-black band, is the brand's logo, well drawn, where it was allowed — and does not show as
the brand made it. This reads the ground from the pixels around the logo (a ring just outside its box: what a reader
sees it against) and calls it light or dark only when it clearly is one: a mid-tone ground (a brand blue, a busy
photograph) is judged by neither, and nor is a variant made for ``any`` ground or for grounds of both tones, an
opaque logo file (it brings its own plate; the loader checks that plate against the grounds), or a logo on a
transparent background (its ground is the page the image will be put on).

A ground is **clearly dark** when it has at least :data:`GROUND_MARGIN` times the contrast with white that it has
with black (WCAG relative luminance under 0.112), **clearly light** in the reverse case (over 0.274): the same margin
:func:`brandkit.spec.assets.ink_ground` gives a logo's ink. A ground that matches a palette colour the variant names
in its ``backgrounds`` (ΔE00 within the palette's tolerance) is the variant's own, whatever its tone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from brandkit.color import ciede2000, hex_to_rgb, rgb_to_hex, srgb_to_lab
from brandkit.geometry import PixelBox
from brandkit.spec.models import BrandSpec
from brandkit.wcag import Tone, relative_luminance, tone_with_margin

__all__ = ["GROUND_MARGIN", "GroundReading", "ground_reading"]

GROUND_MARGIN = 2.0
"""How many times more contrast a ground must have with one of white and black than with the other to be called
clearly dark or light (the margin :data:`brandkit.spec.assets.INK_CONTRAST_MARGIN` gives a logo's ink)."""
RING_SHARE = 0.2
"""The ring's width as a share of the logo box's height (at least :data:`RING_MIN_PX`; at most the variant's
``clear_space``: the zone the logo is the only thing in, which the logo's deterministic fix repaints)."""
RING_MIN_PX = 3
RING_GAP_PX = 2
"""Pixels left between the box and the ring: the logo's anti-aliased edge is not its ground."""
OPAQUE_ALPHA = 250
OPAQUE_SHARE = 0.5
"""On an image with an alpha channel, only the ring's opaque pixels (alpha ≥ :data:`OPAQUE_ALPHA`) are its ground,
and none is read when they are under this share of the ring: a logo on a transparent background sits on whatever
page the image is put on, which the file does not say."""


def clear_tone(rgb: tuple[int, int, int]) -> Tone | None:
    """``dark`` / ``light`` when ``rgb`` is clearly one (see the module docstring), else ``None``."""
    return tone_with_margin(relative_luminance(rgb), GROUND_MARGIN)


@dataclass(frozen=True)
class GroundReading:
    """The ground around a found logo: its colour (the ring's per-channel median), its clear tone, the tone the
    variant is made for, and the palette colour of the variant's ``backgrounds`` it matches (if any)."""

    colour: tuple[int, int, int]
    tone: Tone | None
    made_for: Tone | None
    named: str | None

    @property
    def wrong(self) -> bool:
        """Whether the ground is clearly of the other tone than the variant is made for (and none it names)."""
        return self.named is None and None not in (self.tone, self.made_for) and self.tone != self.made_for

    def as_details(self) -> dict[str, Any]:
        """The reading for the check's details (``ground``)."""
        return {
            "colour": rgb_to_hex(self.colour),
            "tone": self.tone,
            "made_for": self.made_for,
            "named": self.named,
            "wrong": self.wrong,
        }

    def problem(self, spec: BrandSpec, variant: str, where: str) -> str | None:
        """The hint when the ground is wrong: which variant is made for it, when the spec has one."""
        if not self.wrong:
            return None
        fits = [v.variant for v in spec.logos if v.variant != variant and spec.logo_tone(v.variant) == self.tone]
        instead = f"; use the '{fits[0]}' variant there, or put the logo on a {self.made_for} ground" if fits else ""
        return (
            f"the logo '{variant}' is made for {self.made_for} grounds but sits on a {self.tone} one "
            f"({rgb_to_hex(self.colour)}) {where}{instead}"
        )


def ground_reading(image: Image.Image, box: PixelBox, spec: BrandSpec, variant: str) -> GroundReading | None:
    """The ground around ``box`` (the logo ``variant`` found there), or ``None`` when the ring lies outside the image
    (a logo filling it) or is mostly transparent (see :data:`OPAQUE_SHARE`)."""
    x0, y0, x1, y1 = box
    share = min(RING_SHARE, spec.logo(variant).clear_space)  # within the clear space, which the logo fix repaints
    width = max(RING_MIN_PX, round(share * (y1 - y0)))
    inner = (x0 - RING_GAP_PX, y0 - RING_GAP_PX, x1 + RING_GAP_PX, y1 + RING_GAP_PX)
    outer = (
        max(0, inner[0] - width),
        max(0, inner[1] - width),
        min(image.width, inner[2] + width),
        min(image.height, inner[3] + width),
    )
    if outer[2] <= outer[0] or outer[3] <= outer[1]:
        return None
    crop = image.crop(outer)
    pixels = np.asarray(crop.convert("RGB"))
    keep = np.ones(pixels.shape[:2], dtype=bool)
    keep[
        max(0, inner[1] - outer[1]) : max(0, inner[3] - outer[1]),
        max(0, inner[0] - outer[0]) : max(0, inner[2] - outer[0]),
    ] = False
    ring_size = int(keep.sum())
    if crop.mode in ("RGBA", "LA", "PA") or "transparency" in crop.info:  # a see-through ground is the page's
        keep &= np.asarray(crop.convert("RGBA").getchannel("A")) >= OPAQUE_ALPHA
    ring = pixels[keep]
    if ring.size == 0 or len(ring) < OPAQUE_SHARE * ring_size:
        return None
    median = np.median(ring, axis=0)
    colour = (round(float(median[0])), round(float(median[1])), round(float(median[2])))
    return GroundReading(colour, clear_tone(colour), spec.logo_tone(variant), _named(colour, spec, variant))


def _named(colour: tuple[int, int, int], spec: BrandSpec, variant: str) -> str | None:
    """The palette colour named in the variant's ``backgrounds`` that ``colour`` matches, if any."""
    names = {b.casefold() for b in spec.logo(variant).backgrounds}
    named = [c for c in spec.palette.colors if c.name.casefold() in names]
    if not named:
        return None
    distances = ciede2000(srgb_to_lab(np.array([colour])), srgb_to_lab(np.array([hex_to_rgb(c.hex) for c in named])))
    best = int(np.argmin(distances))
    return named[best].name if float(distances[best]) <= spec.palette.tolerance else None
