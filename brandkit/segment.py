"""Flat graphic areas vs photographic content, for images without a layout.

A foundation module. When the palette check has no layout for an image (``validate``
of a file brandkit did not make), it needs to know which pixels are brand zones (flat
panels, bands, buttons, text on them) and which are photographic. :func:`photo_mask`
decides per block of ``BLOCK`` × ``BLOCK`` pixels:

* a block is **flat** when at least ``FLAT_SHARE`` of its pixels lie within
  ``FLAT_RADIUS`` (per channel) of the block's median colour, or when its two most common
  colours (4 bits per channel) hold ``TWO_COLOR_SHARE`` of them — a panel with text on it
  still is (background and ink), a textured photograph is not;
* the block grid is then cleaned: a 3×3 majority vote, and flat areas smaller than
  ``MIN_FLAT_AREA`` of the image (a patch of smooth sky or a blown highlight inside a
  photograph) become photographic; photographic islands smaller than that inside a flat
  area (an icon, a line of large text) become flat; each remaining photographic area is
  widened to its bounding rectangle (photographs are placed as rectangles: a dark sky or a
  plain backdrop inside one is part of the photo).

The result is a boolean (H, W) mask, True for photographic pixels. It is a heuristic —
a photograph of a white wall is "flat" — which is why images made by brandkit carry
their layout's photo box in their provenance and are never segmented.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from brandkit.geometry import PixelBox

BLOCK = 16
FLAT_RADIUS = 6
FLAT_SHARE = 0.6
TWO_COLOR_SHARE = 0.85
MIN_AREA = 0.04
BACKGROUND_RADIUS = 12


def _block_flatness(rgb: npt.NDArray[np.uint8], block: int) -> npt.NDArray[np.bool_]:
    return _blocks(rgb, block)[0]


def _blocks(rgb: npt.NDArray[np.uint8], block: int) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int16]]:
    """(flat (gh, gw), median colour (gh, gw, 3), rounded down) of each block."""
    h, w = rgb.shape[:2]
    gh, gw = -(-h // block), -(-w // block)
    pad = (
        rgb
        if (gh * block, gw * block) == (h, w)
        else np.pad(rgb, ((0, gh * block - h), (0, gw * block - w), (0, 0)), mode="edge")
    )
    n = block * block
    # each block's pixels (row by row) per channel: one contiguous row of n values per block and channel
    planes = np.ascontiguousarray(pad.reshape(gh, block, gw, block, 3).transpose(0, 2, 4, 1, 3)).reshape(gh * gw, 3, n)
    med = _block_median(planes).reshape(gh, gw, 3)
    # |value - median| ≤ FLAT_RADIUS per channel, on uint8: value - low (wrapping below low) ≤ high - low, where
    # low / high are the median ∓ the radius clipped to 0..255 — the same test as on int16 differences
    m = med.reshape(gh * gw, 3, 1)
    low = np.maximum(m - FLAT_RADIUS, 0)
    span = (np.minimum(m + FLAT_RADIUS, 255) - low).astype(np.uint8)
    ok = (planes - low.astype(np.uint8)) <= span
    near = ok[:, 0] & ok[:, 1]
    near &= ok[:, 2]  # all three channels close
    close = near.view(np.uint8).sum(axis=1, dtype=np.int32)
    flat = close / n >= FLAT_SHARE
    rest = np.flatnonzero(~flat)  # the two-colour test only where the first one did not already decide "flat"
    if rest.size:
        flat[rest] = _two_colour(planes[rest])
    return flat.reshape(gh, gw), med


def _block_median(planes: npt.NDArray[np.uint8]) -> npt.NDArray[np.int16]:
    """(blocks, 3) per-channel median of each block's pixels (``planes``: (blocks, 3, n)), rounded down:
    ``np.median(...).astype(int16)`` — the middle value (odd count) or the floor of the mean of the two middle
    ones (even) — from one row-wise sort of the 8-bit values: ``kind="stable"``, numpy's radix sort for 8- and
    16-bit integers (one counting pass per row, whatever the CPU: 2.9× cheaper than the default sort of the same
    rows widened to 16 bits on an AVX2 host, which has no vectorised sort for them; see ``docs/benchmarks.md``)."""
    nb, _, n = planes.shape
    rows = np.sort(planes.reshape(nb * 3, n), axis=1, kind="stable")
    mid = rows[:, n // 2].astype(np.int16)
    if n % 2 == 0:  # both ≤ 255: the sum fits
        mid = (rows[:, n // 2 - 1].astype(np.int16) + mid) >> 1
    out: npt.NDArray[np.int16] = mid.reshape(nb, 3)
    return out


def _two_colour(planes: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """(blocks,) whether each block's two most common colours (4 bits per channel) hold ``TWO_COLOR_SHARE`` of its
    pixels (text on a flat panel: yes; ``planes``: (blocks, 3, n)).

    The 12-bit colour codes of each block sorted as one row of 16-bit values (a vectorised row-wise sort); run
    lengths are the colours' counts. A block of ``r`` colours holds at most ``n - (r - 2)`` pixels in its two
    largest, so only blocks with few enough colours to reach the share are measured: per block the largest count,
    then the largest once one run holding it is left out (ties: the same sum whichever of the tied colours
    leaves), divided by ``n`` and compared with the share — a textured photograph's blocks are never measured."""
    nb, _, n = planes.shape
    codes = (planes[:, 0] >> 4).astype(np.uint16) << 8
    codes |= (planes[:, 1] >> 4).astype(np.uint16) << 4
    codes |= planes[:, 2] >> 4
    ordered = np.sort(codes, axis=1, kind="stable")  # radix sort of 16-bit codes, as in _block_median
    starts = np.ones((nb, n), dtype=bool)
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])  # each row starts a run
    colours = starts.view(np.uint8).sum(axis=1, dtype=np.int32)
    out = np.zeros(nb, dtype=bool)
    few = np.flatnonzero(colours <= n - int(TWO_COLOR_SHARE * n) + 2)  # a superset of the blocks that can reach it
    if few.size == 0:
        return out
    sub = starts[few]
    pos = np.flatnonzero(sub)
    flat_runs = np.zeros(sub.size, dtype=np.int32)  # a run is at most one block long
    flat_runs[pos] = np.diff(np.append(pos, sub.size))
    runs = flat_runs.reshape(few.size, n)
    rows = np.arange(few.size)
    first = runs.argmax(axis=1)
    top1 = runs[rows, first]
    runs[rows, first] = 0
    top = (top1 + runs.max(axis=1)).astype(np.float64)
    out[few] = top / n >= TWO_COLOR_SHARE
    return out


def _remove_small(grid: npt.NDArray[np.bool_], min_cells: int) -> npt.NDArray[np.bool_]:
    """``grid`` with its True components smaller than ``min_cells`` set to False."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grid.astype(np.uint8), connectivity=4)
    small = np.zeros(n, dtype=bool)
    small[1:] = stats[1:, cv2.CC_STAT_AREA] < min_cells
    out: npt.NDArray[np.bool_] = grid & ~small[labels]
    return out


def _background_like(flat: npt.NDArray[np.bool_], med: npt.NDArray[np.int16]) -> npt.NDArray[np.bool_]:
    """Flat blocks of the image's main flat colour (the panel / page background)."""
    if not bool(flat.any()):
        return flat
    q = (med[flat] >> 3).astype(np.int64)
    codes = (q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2]
    main = int(np.bincount(codes).argmax())
    colour = np.array([(main >> 10) & 31, (main >> 5) & 31, main & 31], dtype=np.int16) * 8 + 4
    out: npt.NDArray[np.bool_] = flat & (np.abs(med - colour).max(axis=2) <= BACKGROUND_RADIUS)
    return out


def _as_rectangles(
    grid: npt.NDArray[np.bool_], background: npt.NDArray[np.bool_], min_cells: int
) -> npt.NDArray[np.bool_]:
    """Each photographic component replaced by its bounding rectangle, grown side by side while the next row or
    column of blocks is mostly not the page background (photos are placed as rectangles: a dark sky or a plain
    backdrop inside one belongs to the photo, not to the brand zones). Rectangles smaller than ``min_cells`` are
    dropped (a button, a line of text)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(grid.astype(np.uint8), connectivity=8)
    gh, gw = grid.shape
    out = np.zeros_like(grid)
    for i in range(1, n):
        x0, y0, w, h = (int(v) for v in stats[i, :4])
        x1, y1 = x0 + w, y0 + h
        grown = True
        while grown:  # "mostly not background": fewer than half of the row's / column's blocks (integers)
            grown = False
            if x0 > 0 and 2 * np.count_nonzero(background[y0:y1, x0 - 1]) < y1 - y0:
                x0, grown = x0 - 1, True
            if x1 < gw and 2 * np.count_nonzero(background[y0:y1, x1]) < y1 - y0:
                x1, grown = x1 + 1, True
            if y0 > 0 and 2 * np.count_nonzero(background[y0 - 1, x0:x1]) < x1 - x0:
                y0, grown = y0 - 1, True
            if y1 < gh and 2 * np.count_nonzero(background[y1, x0:x1]) < x1 - x0:
                y1, grown = y1 + 1, True
        if (x1 - x0) * (y1 - y0) >= min_cells:
            out[y0:y1, x0:x1] = True
    return out


def photo_mask(rgb: npt.NDArray[np.uint8], block: int = BLOCK) -> npt.NDArray[np.bool_]:
    """Boolean (H, W) mask of the photographic pixels of an (H, W, 3) uint8 image (see module docstring)."""
    h, w = rgb.shape[:2]
    if h == 0 or w == 0:
        return np.zeros((h, w), dtype=bool)
    flat, med = _blocks(np.ascontiguousarray(rgb, dtype=np.uint8), block)
    votes = cv2.boxFilter(flat.astype(np.float32), -1, (3, 3), normalize=True, borderType=cv2.BORDER_REPLICATE)
    raw = (votes <= 0.5).astype(np.uint8)
    # an opening removes thin structures (lines of text, bands, button outlines): photographs are wider
    kernel = np.ones((3, 3), dtype=np.uint8)
    opened = cv2.dilate(cv2.erode(raw, kernel, borderType=cv2.BORDER_REPLICATE), kernel) > 0
    min_cells = max(1, round(MIN_AREA * raw.size))
    seeds = _remove_small(opened, min_cells)
    if not bool(seeds.any()):
        # a photo of thin upright structures over a smooth sky (towers at dusk): keep what is at least three
        # blocks tall (lines of text and bands are not) and let the rectangles grow over the sky
        upright = cv2.erode(raw, np.ones((3, 1), dtype=np.uint8), borderType=cv2.BORDER_REPLICATE)
        seeds = cv2.dilate(upright, np.ones((3, 1), dtype=np.uint8)) > 0
    photo = _as_rectangles(seeds, _background_like(flat, med), min_cells)
    full = np.repeat(np.repeat(photo, block, axis=0), block, axis=1)
    mask: npt.NDArray[np.bool_] = np.ascontiguousarray(full[:h, :w])
    return mask


def box_mask(height: int, width: int, box: PixelBox) -> npt.NDArray[np.bool_]:
    """Boolean (height, width) mask, True inside ``box`` = (x0, y0, x1, y1) clipped to the canvas."""
    x0, y0, x1, y1 = box
    mask = np.zeros((height, width), dtype=bool)
    mask[max(0, y0) : max(0, min(height, y1)), max(0, x0) : max(0, min(width, x1))] = True
    return mask
