"""Pixel geometry shared by the stages: the one name for an axis-aligned box in image pixels, and the one way a box
of a layout is scaled to an image of another size (:func:`scaled_box`).

A foundation module (no stage logic, imports nothing of brandkit). Boxes in other layouts keep their own
spelled-out types and say so where they are made: nudenet's ``[x, y, w, h]`` (``provider/nudity_detector.py``),
``(y0, y1, x0, x1)`` runs of a mask (``color/stats.py``), ``(first row, last row, first column, last column)``
spans of the placement grid (``checks/logo/rules.py``); a box with named fields is ``layout.Box``.
"""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["PixelBox", "scaled_box"]

PixelBox: TypeAlias = tuple[int, int, int, int]
"""An axis-aligned box in image pixels: ``(x0, y0, x1, y1)``, the left, top, right and bottom edges (x0 ≤ x1,
y0 ≤ y1). As a region of pixels the right and bottom edges are exclusive, as in slicing ``[y0:y1, x0:x1]``; a
function whose box includes them says so."""


def scaled_box(box: PixelBox, from_size: tuple[int, int] | None, to_size: tuple[int, int]) -> PixelBox:
    """``box``, in pixels of a ``from_size`` canvas (a layout), in pixels of an image of ``to_size`` (the file resized,
    or read reduced): each edge scaled and rounded. As it is when ``from_size`` is unknown (``None``, or a side of 0)
    or the same size."""
    if from_size is None or from_size == to_size or not all(from_size):
        return box
    sx, sy = to_size[0] / from_size[0], to_size[1] / from_size[1]
    return round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy)
