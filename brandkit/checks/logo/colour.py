"""Whether the logo found keeps its colours: each colour area of the logo file compared (CIEDE2000) with the
image's pixels where the logo shows it (the recolour rule of :class:`~brandkit.checks.logo.check.LogoCheck`).

The logo's shape is matched in grey, so a logo whose orange mark was turned white, grey or a competitor's blue can
match its template well and pass every rule of shape. Brand guidelines forbid it ("do not recolour the logo"), and
so does the compiled prompt. :func:`logo_colours` reads the file's colour areas once, when the logo is prepared: the
fully opaque pixels of the template at work size grouped into a few colours (anti-aliasing and blends between two
colours left out), a large connected part of one colour an area of its own. :func:`colour_reading` lays that map
over the box where the logo was found, shrinks every area by a pixel (the edges blend with the ground and move with
a pixel of box error) and compares the pixels as seen on an sRGB display (:data:`VIEWING_FLARE`): each thick area by
its median ΔE00 — a box a pixel or two off, or JPEG's softened chroma along the edges, does not decide — and the
whole logo, thin strokes included, by the ΔE00 a quarter of its pixels exceed.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np
from PIL import Image

from brandkit.checks.logo.constants import (
    LOGO_COLOUR_ASSIGN,
    LOGO_COLOUR_CORE_SHARE,
    LOGO_COLOUR_MIN_PIXELS,
    LOGO_COLOUR_MIN_SHARE,
    LOGO_COLOUR_PART_SHARE,
    LOGO_RECOLOUR_DE,
    MAX_ROTATION_DEG,
    OPAQUE_ALPHA,
)
from brandkit.color.character import dominant_colors
from brandkit.color.ciede2000 import ciede2000
from brandkit.color.convert import rgb_to_hex, srgb_to_lab
from brandkit.geometry import PixelBox

LOGO_COLOURS_MAX = 6
"""At most this many colours are read from a logo file (k-means in CIELAB; close clusters merged)."""
VIEWING_FLARE = 0.01
"""The colours are compared as seen on an sRGB display in the standard's reference viewing conditions (IEC
61966-2-1: encoding viewing flare 1.0 % of white, added to every colour in linear light): two near-blacks differ
less than their CIELAB values say. Without it, an on-brand Ubuntu ad's aubergine wordmark (#2C001E, L* 8), its
chroma lost to a small JPEG copy and enlarged, read ΔE00 16.1–16.5 from the file (12.6 with it), while a mid-tone
recolour moves by under 1 (the Northwind orange turned grey: 26.8 → 26.3)."""


def seen_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB of sRGB ``rgb`` (…×3, uint8 or 0..255) seen with :data:`VIEWING_FLARE`
    (:func:`~brandkit.color.convert.srgb_to_lab`'s ``flare``)."""
    return srgb_to_lab(rgb, flare=VIEWING_FLARE)


def logo_colours(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The colour areas of a logo template ``rgba`` (H×W×4 uint8, at work size, not composited): a label map
    (uint8, H×W; 0 where nothing is measured — translucent edges, blends, colours under
    :data:`LOGO_COLOUR_MIN_SHARE` of the opaque pixels; k for the k-th area) and each area's colour in sRGB (K×3
    uint8).

    An area is one colour of the file; a connected part of one colour covering :data:`LOGO_COLOUR_PART_SHARE` of the
    opaque pixels or more (a mark beside a wordmark of the same colour) is an area of its own, so that a part turned
    to another colour is not outvoted by the rest of its colour."""
    import cv2

    opaque = rgba[..., 3] >= OPAQUE_ALPHA
    labels = np.zeros(rgba.shape[:2], dtype=np.uint8)
    pixels = rgba[..., :3][opaque]
    clusters = [c for c in dominant_colors(pixels, k=LOGO_COLOURS_MAX) if c.share >= LOGO_COLOUR_MIN_SHARE]
    if not clusters:
        return labels, np.zeros((0, 3), dtype=np.uint8)
    colours = np.array([c.rgb for c in clusters], dtype=np.uint8)
    distance = ciede2000(srgb_to_lab(pixels)[:, None, :], srgb_to_lab(colours)[None, :, :])  # N×K
    nearest = distance.argmin(axis=1)
    close = distance[np.arange(distance.shape[0]), nearest] <= LOGO_COLOUR_ASSIGN
    by_colour = np.zeros(rgba.shape[:2], dtype=np.uint8)
    by_colour[opaque] = np.where(close, nearest + 1, 0).astype(np.uint8)
    total = int(opaque.sum())
    areas: list[tuple[int, ...]] = []
    for k in range(len(clusters)):
        count, parts, stats, _ = cv2.connectedComponentsWithStats((by_colour == k + 1).astype(np.uint8), connectivity=8)
        rest = by_colour == k + 1
        for part in range(1, count):
            if stats[part, cv2.CC_STAT_AREA] >= LOGO_COLOUR_PART_SHARE * total and len(areas) < 254:
                labels[parts == part] = len(areas) + 1
                rest &= parts != part
                areas.append(tuple(int(v) for v in colours[k]))
        if int(rest.sum()) >= LOGO_COLOUR_MIN_SHARE * total and len(areas) < 255:
            labels[rest] = len(areas) + 1
            areas.append(tuple(int(v) for v in colours[k]))
    return labels, np.array(areas, dtype=np.uint8).reshape(-1, 3)


@dataclass(frozen=True)
class ColourReading:
    """The logo's colours as found on the image (see :func:`colour_reading`)."""

    colours: list[dict[str, Any]]
    """Per colour area of the file (:func:`logo_colours`): ``file`` (its colour's hex), ``share`` (of the logo's
    coloured pixels), ``image`` (hex of the image's median pixel there), ``delta_e`` (median ΔE00), ``pixels``
    compared (the area's ``area`` pixels on the image shrunk by a pixel), ``core_share`` (pixels / area) and
    ``decides`` (thick enough for its median to decide, see :data:`LOGO_COLOUR_CORE_SHARE`); ``delta_e`` is ``None``
    where fewer than :data:`LOGO_COLOUR_MIN_PIXELS` pixels showed it."""
    _: KW_ONLY
    upper_quartile: float | None = None
    """The ΔE00 a quarter of all the pixels compared (every colour, thin ones too) exceed, or ``None``: fewer than
    :data:`LOGO_COLOUR_MIN_PIXELS` compared."""
    pixels: int = 0
    """How many pixels were compared, all colours together."""
    reason: str | None = None
    """Why nothing was compared (a file without an opaque colour, a rotated logo, a box of a few pixels)."""

    @property
    def worst(self) -> tuple[dict[str, Any] | None, float] | None:
        """What reads farthest from the file: ``(area, its median ΔE00)`` of a deciding area, or ``(None, upper
        quartile)`` when the whole logo's upper quartile is higher; ``None`` when nothing decides."""
        readings: list[tuple[dict[str, Any] | None, float]] = [
            (c, float(c["delta_e"])) for c in self.colours if c["decides"]
        ]
        if self.upper_quartile is not None:
            readings.append((None, self.upper_quartile))
        return max(readings, key=lambda r: r[1]) if readings else None

    @property
    def recoloured(self) -> bool:
        """Whether :attr:`worst` exceeds :data:`LOGO_RECOLOUR_DE`."""
        worst = self.worst
        return worst is not None and worst[1] > LOGO_RECOLOUR_DE

    def problem(self, variant: str, where: str) -> str | None:
        """The hint's sentence when :attr:`recoloured` (``where``: "in the image", …), else ``None``."""
        worst = self.worst
        if worst is None or not self.recoloured:
            return None
        area, delta = worst
        if area is None:
            return (
                f"the logo '{variant}' must keep its colours: a quarter of its pixels {where} are more than ΔE00 "
                f"{delta:.0f} from the file's (> {LOGO_RECOLOUR_DE:g})"
            )
        return (
            f"the logo '{variant}' must keep its colours: its {area['file']} ({area['share']:.0%} of it) reads "
            f"{area['image']} {where} (ΔE00 {delta:.0f} > {LOGO_RECOLOUR_DE:g})"
        )

    def as_details(self) -> dict[str, Any]:
        """JSON-friendly summary (the check's ``details.colour``)."""
        worst = self.worst
        out: dict[str, Any] = {
            "colours": self.colours,
            "upper_quartile": self.upper_quartile,
            "pixels": self.pixels,
            "worst": None if worst is None else ("all" if worst[0] is None else self.colours.index(worst[0])),
            "worst_delta_e": None if worst is None else worst[1],
            "threshold": LOGO_RECOLOUR_DE,
            "recoloured": self.recoloured,
        }
        if self.reason is not None:
            out["not_measured"] = self.reason
        return out


def colour_reading(
    image: Image.Image,
    labels: np.ndarray,
    colours_rgb: np.ndarray,
    box: PixelBox,
    rotation_deg: float = 0.0,
) -> ColourReading:
    """The file's colours (``labels`` and ``colours_rgb`` from :func:`logo_colours`) compared with ``image`` (RGB,
    or RGBA read over its own colour channels) where the logo was found (``box``: x0, y0, x1, y1 of its visible
    pixels)."""
    import cv2

    if colours_rgb.shape[0] == 0:
        return ColourReading([], reason="the logo file has no fully opaque colour to compare")
    if abs(rotation_deg) > MAX_ROTATION_DEG:
        return ColourReading([], reason=f"the logo is rotated by {rotation_deg:.0f}° (the distortion rule judges it)")
    x0, y0, x1, y1 = (int(v) for v in box)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(image.width, x1), min(image.height, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return ColourReading([], reason=f"the logo's box inside the image is too small ({x1 - x0}×{y1 - y0} px)")
    crop = np.asarray(image.crop((x0, y0, x1, y1)).convert("RGB"), dtype=np.uint8)
    placed = cv2.resize(labels, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
    kernel = np.ones((3, 3), np.uint8)
    lab = seen_lab(colours_rgb)
    sizes = np.bincount(labels.ravel(), minlength=lab.shape[0] + 1)[1:].astype(np.float64)
    shares = sizes / max(float(sizes.sum()), 1.0)
    colours: list[dict[str, Any]] = []
    pooled: list[np.ndarray] = []
    for k in range(lab.shape[0]):
        region = (placed == k + 1).astype(np.uint8)
        pixels = crop[cv2.erode(region, kernel) > 0]
        area = int(region.sum())
        entry: dict[str, Any] = {
            "file": rgb_to_hex([int(v) for v in colours_rgb[k]]),
            "share": round(float(shares[k]), 3),
            "pixels": int(pixels.shape[0]),
            "area": area,
            "core_share": round(pixels.shape[0] / max(area, 1), 3),
            "image": None,
            "delta_e": None,
            "decides": False,
        }
        if pixels.shape[0] >= LOGO_COLOUR_MIN_PIXELS:
            gaps = ciede2000(seen_lab(pixels), lab[k][None, :])
            pooled.append(gaps)
            entry["delta_e"] = round(float(np.median(gaps)), 2)
            entry["image"] = rgb_to_hex([int(v) for v in np.median(pixels, axis=0)])
            entry["decides"] = entry["core_share"] >= LOGO_COLOUR_CORE_SHARE
        colours.append(entry)
    everything = np.concatenate(pooled) if pooled else np.zeros(0)
    if everything.size < LOGO_COLOUR_MIN_PIXELS:
        return ColourReading(
            colours, pixels=int(everything.size), reason="too few pixels of the logo's colours at this size"
        )
    quartile = round(float(np.percentile(everything, 75)), 2)
    return ColourReading(colours, upper_quartile=quartile, pixels=int(everything.size))


__all__ = ["LOGO_COLOURS_MAX", "VIEWING_FLARE", "ColourReading", "colour_reading", "logo_colours", "seen_lab"]
