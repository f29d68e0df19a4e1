"""Pixel geometry shared by the stages: the one name for an axis-aligned box in image pixels.

A foundation module (no stage logic, imports nothing of brandkit). Boxes in other layouts keep their own
spelled-out types and say so where they are made: nudenet's ``[x, y, w, h]`` (``provider/nudity_detector.py``),
``(y0, y1, x0, x1)`` runs of a mask (``color/stats.py``), ``(first row, last row, first column, last column)``
spans of the placement grid (``checks/logo/rules.py``); a box with named fields is ``layout.Box``.
"""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["PixelBox"]

PixelBox: TypeAlias = tuple[int, int, int, int]
"""An axis-aligned box in image pixels: ``(x0, y0, x1, y1)``, the left, top, right and bottom edges (x0 ≤ x1,
y0 ≤ y1). As a region of pixels the right and bottom edges are exclusive, as in slicing ``[y0:y1, x0:x1]``; a
function whose box includes them says so."""
