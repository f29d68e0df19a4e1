"""The logo rules measured on a detection: placement in the 3×3 grid of thirds and the clear-space band."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from brandkit.checks.base import limit_pct
from brandkit.checks.logo.constants import (
    CLEAR_SPACE_GAP,
    CLEAR_SPACE_MAX_EDGE_DENSITY,
    CLEAR_SPACE_OUTER_SLACK,
    CLEAR_SPACE_REF_HEIGHT,
    MAX_ASPECT_CHANGE,
    MAX_ROTATION_DEG,
)
from brandkit.checks.logo.prepare import LogoDetection
from brandkit.geometry import PixelBox
from brandkit.spec.models import LogoVariant

PLACEMENT_CELLS: dict[str, tuple[int, int]] = {
    "top-left": (0, 0),
    "top-center": (1, 0),
    "top-right": (2, 0),
    "center": (1, 1),
    "bottom-left": (0, 2),
    "bottom-center": (1, 2),
    "bottom-right": (2, 2),
}
"""Placement name → (column, row) in the 3×3 grid of image thirds."""

_CELL_NAMES = {cell: name for name, cell in PLACEMENT_CELLS.items()}
_CELL_NAMES[(0, 1)] = "middle-left"
_CELL_NAMES[(2, 1)] = "middle-right"


def placement_of(cx: float, cy: float, width: int, height: int) -> str:
    """Name of the 3×3 grid cell holding the point (``cx``, ``cy``) of a ``width``×``height`` image."""
    col = min(2, max(0, int(3 * cx / max(1, width))))
    row = min(2, max(0, int(3 * cy / max(1, height))))
    return _CELL_NAMES[(col, row)]


def placement_regions(placements: Sequence[str], width: int, height: int) -> list[PixelBox]:
    """The boxes ``(x0, y0, x1, y1)`` (edges included, whole pixels: up to a pixel past the cells' edges) of a
    ``width``×``height`` image holding every logo centre :func:`placement_of` puts in one of ``placements``' cells.
    Cells side by side in a row are one box, and rows of the same span one box: the fewest boxes, each searched
    once."""
    cells = sorted({PLACEMENT_CELLS[p] for p in placements}, key=lambda c: (c[1], c[0]))  # KeyError names a bad one
    runs: list[tuple[int, int, int]] = []  # (row, first column, last column)
    for col, row in cells:
        if runs and runs[-1][0] == row and runs[-1][2] == col - 1:
            runs[-1] = (row, runs[-1][1], col)
        else:
            runs.append((row, col, col))
    spans: list[tuple[int, int, int, int]] = []  # (first row, last row, first column, last column)
    for row, c0, c1 in runs:
        if spans and spans[-1][1] == row - 1 and spans[-1][2:] == (c0, c1):
            spans[-1] = (spans[-1][0], row, c0, c1)
        else:
            spans.append((row, row, c0, c1))
    return [
        (
            math.floor(c0 * width / 3),
            math.floor(r0 * height / 3),
            math.ceil((c1 + 1) * width / 3),
            math.ceil((r1 + 1) * height / 3),
        )
        for r0, r1, c0, c1 in spans
    ]


def clear_space_band(scene: np.ndarray, box: PixelBox, margin: float, gap: float) -> dict[str, Any]:
    """Edge density in the clear-space band around ``box`` (see the module docstring).

    The band runs from ``gap`` to ``margin`` minus a small slack (so an edge lying
    exactly on the clear-space boundary, such as a backing panel, is not counted).
    Each side is cut into chunks about twice as long as the band is thick, and
    the side's density is its densest chunk, so one intruding word is not
    diluted by a long empty band.
    """
    import cv2

    h, w = scene.shape[:2]
    x0, y0, x1, y1 = box
    m = max(1, round(margin))
    outer = max(1, m - max(2, round(CLEAR_SPACE_OUTER_SLACK * m)))
    g = max(0, min(round(gap), outer - 1))
    pad = 3
    rx0, ry0 = max(0, x0 - outer - pad), max(0, y0 - outer - pad)
    rx1, ry1 = min(w, x1 + outer + pad), min(h, y1 + outer + pad)
    region = scene[ry0:ry1, rx0:rx1]
    clipped = {"top": y0 - outer < 0, "bottom": y1 + outer > h, "left": x0 - outer < 0, "right": x1 + outer > w}
    result_base: dict[str, Any] = {
        "band_px": m,
        "measured_from_px": g,
        "measured_to_px": outer,
        "clipped_sides": [k for k, v in clipped.items() if v],
    }
    if region.size == 0:
        return {**result_base, "sides": {}, "max_density": 0.0}
    # a logo taller than the reference height is judged at the resolution where it is that tall: the same design
    # at twice the size, or a native high-resolution photograph, reads as it does at its usual size
    k = min(1.0, CLEAR_SPACE_REF_HEIGHT / max(1, y1 - y0))
    if k < 1.0:
        size = (max(1, round(region.shape[1] * k)), max(1, round(region.shape[0] * k)))
        region = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
    result_base["measured_at_scale"] = round(k, 4)
    blurred = cv2.GaussianBlur(region, (3, 3), 0)
    edges = cv2.Canny(blurred, 60, 160) > 0
    rh, rw = edges.shape

    # the band's edges in the pixels measured, rounded towards its middle on both sides (the gap outwards, the outer
    # limit inwards): what rounding would add at either edge — the logo's own strokes, a panel on the boundary —
    # stays out (at scale 1 every edge is a whole pixel: the band of before)

    def at(v: float, hi: int, down: bool) -> int:  # a full-resolution offset from the region's corner, scaled
        return max(0, min(hi, math.floor(v * k) if down else math.ceil(v * k)))

    ox0, oy0 = at(x0 - outer - rx0, rw, False), at(y0 - outer - ry0, rh, False)
    ox1, oy1 = at(x1 + outer - rx0, rw, True), at(y1 + outer - ry0, rh, True)
    ix0, iy0 = at(x0 - g - rx0, rw, True), at(y0 - g - ry0, rh, True)
    ix1, iy1 = at(x1 + g - rx0, rw, False), at(y1 + g - ry0, rh, False)
    strips = {
        "top": (edges[oy0:iy0, ox0:ox1], 1),
        "bottom": (edges[iy1:oy1, ox0:ox1], 1),
        "left": (edges[iy0:iy1, ox0:ix0], 0),
        "right": (edges[iy0:iy1, ix1:ox1], 0),
    }
    chunk = max(8, 2 * round(outer * k))
    sides: dict[str, float] = {}
    for name, (strip, axis) in strips.items():
        if strip.size < 16 or min(strip.shape) == 0:
            continue
        length = strip.shape[axis]
        densest = 0.0
        for start in range(0, length, chunk):
            part = strip[:, start : start + chunk] if axis == 1 else strip[start : start + chunk, :]
            if part.size >= 16:
                densest = max(densest, float(part.mean()))
        sides[name] = round(densest, 5)
    return {
        **result_base,
        "sides": sides,
        "max_density": max(sides.values()) if sides else 0.0,
        "luminance_mean": round(float(region.mean()), 1),
    }


def distortion_problem(detection: LogoDetection, variant: str) -> str | None:
    """The distortion rule: ``None`` when the logo kept its proportions, else the repair hint saying how not."""
    skewed = detection.skew > math.sin(math.radians(MAX_ROTATION_DEG))
    stretched = abs(detection.aspect_change) > MAX_ASPECT_CHANGE
    rotated = abs(detection.rotation_deg) > MAX_ROTATION_DEG
    if not (stretched or rotated or skewed):
        return None
    what = []
    if stretched:
        what.append(f"its height-to-width ratio was {(1.0 + detection.aspect_change) * 100:.0f}% of the original")
    if rotated:
        what.append(f"it was rotated by {detection.rotation_deg:.0f}°")
    if skewed:
        what.append("it was skewed")
    return (
        f"the logo '{variant}' must keep its original proportions (no stretching, squashing, "
        f"rotation or skew); {', '.join(what) or 'it was distorted'}"
    )


def clear_space_problem(
    scene: np.ndarray,
    detection: LogoDetection,
    logo: LogoVariant,
    require_edge_margin: bool,
    where: str = "on the last attempt",
) -> tuple[dict[str, Any], str | None] | None:
    """The clear-space rule: ``None`` when the band is under a pixel, else (the band's measurements, the hint or
    ``None`` when it holds). With ``require_edge_margin`` the band must also fit inside the image. ``where``: how
    the hint names the image (:func:`~brandkit.checks.base.in_the_image`)."""
    logo_h = detection.height
    margin = logo.clear_space * logo_h
    if margin < 1.0:
        return None
    band = clear_space_band(scene, detection.box, margin, CLEAR_SPACE_GAP * logo_h)
    crowded_sides = [s for s, d in band["sides"].items() if d > CLEAR_SPACE_MAX_EDGE_DENSITY]
    edge_sides = band["clipped_sides"] if require_edge_margin else []
    band["max_edge_density"] = CLEAR_SPACE_MAX_EDGE_DENSITY
    if not (crowded_sides or edge_sides):
        return band, None
    parts = []
    if crowded_sides:
        parts.append(f"other content intrudes on its {', '.join(crowded_sides)} side(s)")
    if edge_sides:
        parts.append(f"it is closer than that to the image edge on its {', '.join(edge_sides)} side(s)")
    return band, (
        f"keep a clear space of {limit_pct(logo.clear_space)} of the logo height ({margin:.0f} px) "
        f"around the logo '{logo.variant}' free of text and other elements; {where} " + " and ".join(parts)
    )
