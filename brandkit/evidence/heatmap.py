"""The off-palette heat map: minimum ΔE00 of every pixel to the palette, thresholded at the spec's tolerance.

Vectorised throughout (:class:`brandkit.color.PaletteMatcher`): the *off-palette* flag of a pixel is the matcher's
exact "min ΔE00 > tolerance" test (one table gather per pixel), its *ΔE00* — which only sets how red the overlay
is and the region figures — the matcher's 64³-grid estimate. The pixels judged are those the palette check judges
pixel by pixel: the brand zones with ``measure: regions`` (the photographic region — the layout's hero box, or
flat-vs-photographic segmentation for an image without a layout — is judged by its colour character instead and
is left out of the map), every opaque pixel with ``measure: all-pixels``. Transparent pixels (alpha < 128) are
never judged.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from brandkit.checks.base import CheckResources
from brandkit.color import PaletteMatcher
from brandkit.evidence.models import OffPaletteRegion, PaletteEvidence
from brandkit.geometry import PixelBox, scaled_box
from brandkit.segment import box_mask, photo_mask
from brandkit.spec.palette import Palette

#: a photographic region smaller than this share of the image is not one (as the palette check decides)
MIN_REGION_SHARE = 0.01
#: regions reported, largest pixels × mean ΔE00 first
WORST_REGIONS = 5
#: side of the square opening applied to the off-palette mask before regions are found: a strip narrower than this
#: (the 1–2 px anti-aliased edges along glyphs and shapes, blends of two palette colours) is no region
SLIVER_OPENING_PX = 3
#: overlay alpha of an off-palette pixel just above the tolerance, and at or beyond ``tolerance + RAMP_DE``
ALPHA_MIN, ALPHA_MAX = 110, 235
RAMP_DE = 30.0


@dataclass(frozen=True)
class HeatMap:
    """Per-pixel arrays behind :class:`~brandkit.evidence.models.PaletteEvidence` (kept for tests and callers)."""

    delta_e: npt.NDArray[np.float32]
    off_palette: npt.NDArray[np.bool_]
    judged: npt.NDArray[np.bool_]
    photo: npt.NDArray[np.bool_]
    region_source: str


def palette_matcher(palette: Palette, resources: CheckResources | None = None) -> PaletteMatcher:
    """A matcher over ``palette.reference_colors()``; kept in ``resources`` (a kit's check resources) when given,
    so its tables — built once per tolerance, the slow part — serve every later report of that kit."""
    colors = palette.reference_colors()[0]
    if resources is None:
        return PaletteMatcher(colors)
    key = "evidence.palette_matcher:" + hashlib.sha256(repr(colors).encode()).hexdigest()[:16]
    matcher: PaletteMatcher = resources.get(key, lambda: PaletteMatcher(colors))
    return matcher


def _pixels(image: Image.Image) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """``(rgb (H, W, 3), opaque (H, W))``; alpha ≥ 128 is opaque."""
    if image.mode == "RGB":
        rgb = np.asarray(image, dtype=np.uint8)
        return rgb, np.ones(rgb.shape[:2], dtype=bool)
    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
    return np.ascontiguousarray(rgba[..., :3]), rgba[..., 3] >= 128


def photo_region(
    rgb: npt.NDArray[np.uint8],
    opaque: npt.NDArray[np.bool_],
    photo_box: PixelBox | None,
    layout_size: tuple[int, int] | None = None,
) -> tuple[npt.NDArray[np.bool_], str]:
    """The photographic pixels and where they came from (``layout`` from ``photo_box``, else ``segmentation``).

    A region under :data:`MIN_REGION_SHARE` of the opaque pixels is none; one over all but that share is the
    whole image — the palette check's rule.
    """
    h, w = rgb.shape[:2]
    if photo_box is not None:
        mask, source = box_mask(h, w, scaled_box(photo_box, layout_size, (w, h))), "layout"
    else:
        mask, source = photo_mask(rgb), "segmentation"
    mask &= opaque
    total = int(np.count_nonzero(opaque))
    if np.count_nonzero(mask) < MIN_REGION_SHARE * total:
        mask[:] = False
    elif np.count_nonzero(mask) > (1.0 - MIN_REGION_SHARE) * total:
        mask = opaque.copy()
    return mask, source


def heat_map(
    image: Image.Image,
    palette: Palette,
    *,
    photo_box: PixelBox | None = None,
    layout_size: tuple[int, int] | None = None,
    matcher: PaletteMatcher | None = None,
) -> HeatMap:
    """ΔE00 per pixel, the off-palette flag and the judged pixels of ``image`` against ``palette``.

    ``photo_box``: the layout's hero box (in ``layout_size`` pixels), when known. ``matcher``: a matcher over
    ``palette.reference_colors()`` to reuse (its tables are built once per tolerance).
    """
    rgb, opaque = _pixels(image)
    if matcher is None:
        matcher = palette_matcher(palette)
    if palette.measure == "regions":
        photo, source = photo_region(rgb, opaque, photo_box, layout_size)
        if not photo.any():
            source = "none"
    else:
        photo, source = np.zeros_like(opaque), "none"
    judged = opaque & ~photo
    within = matcher.match(rgb, palette.tolerance).within
    delta_e, _ = matcher.min_delta_e(rgb)
    return HeatMap(delta_e=delta_e, off_palette=judged & ~within, judged=judged, photo=photo, region_source=source)


def overlay_png(heat: HeatMap, tolerance: float) -> bytes:
    """RGBA PNG: transparent except the off-palette pixels, red with an alpha that grows with ΔE00."""
    h, w = heat.off_palette.shape
    over = np.clip((heat.delta_e - tolerance) / RAMP_DE, 0.0, 1.0)
    alpha = (ALPHA_MIN + (ALPHA_MAX - ALPHA_MIN) * over).astype(np.uint8)
    rgba = np.zeros((h, w, 4), dtype=np.uint8)  # fully transparent black elsewhere: compresses to almost nothing
    off = heat.off_palette
    rgba[..., 0] = np.where(off, 255, 0)
    rgba[..., 1] = np.where(off, (70 * (1.0 - over)).astype(np.uint8), 0)  # orange-red just above, red far beyond
    rgba[..., 3] = np.where(off, alpha, 0)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def solid_off_palette(off_palette: npt.NDArray[np.bool_], size: int = SLIVER_OPENING_PX) -> npt.NDArray[np.bool_]:
    """The off-palette pixels that belong to an area at least ``size`` px wide everywhere: a morphological opening
    with a ``size`` × ``size`` square (erosion then dilation; the image's edge pixels are repeated beyond it, so an
    area touching the border keeps its edge). Anti-aliasing slivers along glyph and shape edges are removed; a solid
    area keeps every pixel, corners included."""
    import cv2

    if size <= 1 or not off_palette.any():
        return off_palette.copy()
    kernel = np.ones((size, size), dtype=np.uint8)
    opened = cv2.morphologyEx(off_palette.astype(np.uint8), cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
    return np.asarray(opened, dtype=bool)


def worst_regions(heat: HeatMap, limit: int = WORST_REGIONS) -> list[OffPaletteRegion]:
    """The ``limit`` largest 8-connected off-palette areas by pixels × mean ΔE00, with their bounding boxes.

    Areas are found in :func:`solid_off_palette` of the map: the thin anti-aliased strips along text and shape edges
    are not regions (they stay in the heat map and in ``off_palette_pixels``); a region's pixels and ΔE00 figures
    are those of its solid area.
    """
    import cv2

    mask = solid_off_palette(heat.off_palette).astype(np.uint8)
    if not mask.any():
        return []
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return []
    flat_labels = np.asarray(labels, dtype=np.intp).reshape(-1)
    de = heat.delta_e.reshape(-1).astype(np.float64)
    sums = np.bincount(flat_labels, weights=de, minlength=count)
    maxima = np.zeros(count, dtype=np.float64)
    np.maximum.at(maxima, flat_labels, de)
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
    means = sums / np.maximum(areas, 1)
    judged = max(int(np.count_nonzero(heat.judged)), 1)
    order = [int(i) for i in np.argsort(-(areas[1:] * means[1:]), kind="stable") + 1][:limit]
    out: list[OffPaletteRegion] = []
    for i in order:
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        out.append(
            OffPaletteRegion(
                box=(x, y, x + bw, y + bh),
                pixels=int(areas[i]),
                share=round(int(areas[i]) / judged, 5),
                mean_delta_e=round(float(means[i]), 2),
                max_delta_e=round(float(maxima[i]), 2),
            )
        )
    return out


def _bbox(mask: npt.NDArray[np.bool_]) -> PixelBox | None:
    ys, xs = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if ys.size == 0:
        return None
    return (int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1)


def palette_evidence(
    image: Image.Image,
    palette: Palette,
    *,
    photo_box: PixelBox | None = None,
    layout_size: tuple[int, int] | None = None,
    matcher: PaletteMatcher | None = None,
) -> PaletteEvidence:
    """The heat map of ``image`` against ``palette`` with its figures (see the module docstring)."""
    heat = heat_map(image, palette, photo_box=photo_box, layout_size=layout_size, matcher=matcher)
    judged = int(np.count_nonzero(heat.judged))
    off = int(np.count_nonzero(heat.off_palette))
    judged_de = heat.delta_e[heat.judged]
    return PaletteEvidence(
        tolerance=float(palette.tolerance),
        scope="brand_zones" if palette.measure == "regions" else "image",
        region_source=heat.region_source,
        photo_box=_bbox(heat.photo),
        judged_pixels=judged,
        off_palette_pixels=off,
        off_palette_share=round(off / judged, 5) if judged else 0.0,
        mean_delta_e=round(float(judged_de.mean()), 3) if judged else 0.0,
        max_delta_e=round(float(judged_de.max()), 3) if judged else 0.0,
        worst_regions=worst_regions(heat),
        heatmap_png_base64=base64.b64encode(overlay_png(heat, float(palette.tolerance))).decode("ascii"),
    )


__all__ = [
    "HeatMap",
    "heat_map",
    "overlay_png",
    "palette_evidence",
    "palette_matcher",
    "photo_region",
    "solid_off_palette",
    "worst_regions",
]
