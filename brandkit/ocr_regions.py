"""Layout-guided OCR: read where the layout put copy, plus one cheap sweep of the whole image.

The whole-image read (:meth:`brandkit.ocr.OcrEngine.read`) runs the text detector on the image scaled to
960 px on its long side, wherever the copy is. When the layout is known (the copy areas of
:attr:`brandkit.checks.base.Expectation.copy_boxes`, from the request or the file's provenance),
:func:`read_layout` does less, in four steps:

1. **Sweep**: the detector on the whole image at a reduced size (long side :data:`SWEEP_SIDE`). It finds
   text anywhere (unexpected or forbidden text, a wordmark, text in a photo) and the height of the lines in
   each copy area.
2. **Copy areas**: each area, widened by a margin (:data:`AREA_MARGIN` of the image's short side; areas that
   then overlap are merged), is cut out and detected again at the scale its smallest line needs: that line
   :data:`TARGET_LINE_PX` high for the detector, never below :data:`AREA_MIN_FACTOR` × the sweep's scale (text
   too small for the sweep is still found), never above 1:1 or 960 px. An area where the sweep found nothing is
   detected at that limit. When brandkit drew the copy itself, the smallest font size it set in the area gives
   that line (:func:`area_scale`, ``font_px``); otherwise never more coarsely than the whole-image read.
   An area wider than 8× its height (a disclaimer line) is detected without the black
   rows rapidocr would add above and below it, with only those its height lacks to the detector's 32-px grid
   (``wide_padding=False``, :func:`brandkit.ocr_rapid.pads_wide_strip`: a 964×86 px disclaimer area gave the
   detector 2.6× its pixels; every line of the 50 OCR benchmark images reads the same, its box moves 1–5 px).
   Measured trade-off: near-invisible copy (near-black on black, 1.07:1 — which the
   contrast check fails anyway) is found less often than by the whole-image read; detecting the areas on that
   read's own grid instead (:meth:`~brandkit.ocr.RapidOcrEngine.detect_grid`) was tried: it still differed on
   such borderline text and saved almost nothing.
3. **Outside the areas**: each sweep line whose centre lies outside every area is detected again in a small
   window around it (:data:`REFINE_MARGIN`), on the same grid as the areas: the coarse sweep cuts lines
   imprecisely and takes some texture for text; the window gives the whole-image read's quad, or nothing.
4. **Recognition**: every line found in steps 2 and 3 is recognised from the full-resolution image (the same
   crop the whole-image read makes).

What it cannot see: text outside the copy areas smaller than the sweep detects (below about 11 px font size on a
1024² image; the whole-image read sees ~8 px) — the forbidden-text rule still reads everything the sweep finds,
anywhere. Lines cut by an area's edge are read as cut (the margin makes that rare). Borderline text (faint, near
an area's edge) can still be found slightly differently from the whole-image read: the detector looks far
around each pixel, and an area's window has less around it (gate corpus: see ``docs/benchmarks.md``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from brandkit.geometry import PixelBox
from brandkit.ocr import OcrLine, Quad, RegionOcrEngine, reading_order, to_bgr

__all__ = [
    "AREA_MARGIN",
    "AREA_MIN_FACTOR",
    "DETECTOR_SIDE",
    "FONT_LINE_RATIO",
    "REFINE_MARGIN",
    "REFINE_MAX_HEIGHT",
    "SWEEP_SIDE",
    "TARGET_LINE_PX",
    "AreaRead",
    "LayoutReading",
    "PixelBox",
    "area_fonts",
    "area_scale",
    "full_scale",
    "merge_areas",
    "quad_height",
    "read_layout",
    "sweep_scale",
]


SWEEP_SIDE = 480
"""Long side (px) of the whole-image sweep."""

AREA_MARGIN = 0.025
"""Margin added around each copy area, as a share of the image's short side (at least 8 px)."""

TARGET_LINE_PX = 24.0
"""Height (px) the smallest line of a copy area is given for the detector."""

AREA_MIN_FACTOR = 1.3
"""A copy area is detected at ≥ this × the sweep's scale: text the sweep was too coarse to see is still found."""

FONT_LINE_RATIO = 1.25
"""Height of a detected line (its quad, the detector's unclipped box) per px of font size: 1.2–1.3 measured on
copy brandkit composed (both example brands, every format; the smallest line of each area)."""

REFINE_MARGIN = 0.5
"""Margin above and below a sweep line outside the copy areas, as a share of its height, for its re-detection
(four times as much to the left and right, where a line the coarse sweep cut short continues)."""

REFINE_MAX_HEIGHT = 0.2
"""In a fast read, a sweep line taller than this share of the image's short side is not detected again: the tiny
detector sometimes takes a whole photograph for one line (444 px high on the 1024² ad), whose window on the full grid
costs ~90 ms and at any coarser scale is found again. Such a line is read by both recognisers from its own crop and
kept only when they agree (:func:`read_layout`): giant text reads alike, a photograph's shapes do not ('O' and '0'
for a cup)."""

DETECTOR_SIDE = 960
"""The detector's long-side limit (``Det.limit_side_len`` of :data:`brandkit.ocr.DEFAULT_RAPIDOCR_PARAMS`)."""


@dataclass(frozen=True)
class AreaRead:
    """One copy area as read: the box cut out (image px), the detector scale, the lines found there."""

    box: PixelBox
    scale: float
    lines: int


@dataclass
class LayoutReading:
    """The result of :func:`read_layout`: the lines in reading order and how they were found."""

    lines: list[OcrLine]
    areas: list[AreaRead]
    sweep_scale: float
    swept_lines: int = 0
    """Lines the sweep found outside every copy area (recognised too)."""
    reread: int = 0
    """Lines read again by the reference recogniser because ``confirm`` did not accept the first reading."""
    tall_dropped: int = 0
    """Sweep lines over :data:`REFINE_MAX_HEIGHT` a fast read dropped: the two recognisers read them differently."""
    timings_ms: dict[str, float] = field(default_factory=dict)


def sweep_scale(width: int, height: int, side: int | None = None) -> float:
    """Scale of the whole-image sweep: long side to ``side`` px (default :data:`SWEEP_SIDE`; never enlarged)."""
    return min(1.0, (SWEEP_SIDE if side is None else side) / max(1, width, height))


def quad_height(quad: Quad) -> float:
    """Height of a detected line: the longer of its two vertical edges."""
    pts = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    return float(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))


def _centre(quad: Quad) -> tuple[float, float]:
    pts = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    return float(pts[:, 0].mean()), float(pts[:, 1].mean())


def _inside(point: tuple[float, float], box: PixelBox) -> bool:
    return box[0] <= point[0] < box[2] and box[1] <= point[1] < box[3]


def merge_areas(areas: Sequence[PixelBox], width: int, height: int, margin: int) -> list[PixelBox]:
    """Each area widened by ``margin`` and clipped to the image; areas that then overlap become their union."""
    boxes = [
        (max(0, x0 - margin), max(0, y0 - margin), min(width, x1 + margin), min(height, y1 + margin))
        for x0, y0, x1, y1 in areas
    ]
    boxes = [b for b in boxes if b[2] > b[0] and b[3] > b[1]]
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    boxes[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def area_scale(
    box: PixelBox, heights: Sequence[float], sweep: float, floor: float = 0.0, font_px: float | None = None
) -> float:
    """Detector scale for one copy area (module docstring, step 2); ``heights``: the sweep's lines in it.

    ``font_px``: the smallest font size (image px) brandkit set in the area, when it drew the copy itself
    (:attr:`brandkit.checks.base.Expectation.copy_font_px`). The area's smallest line is then that size
    (× :data:`FONT_LINE_RATIO`), or a smaller line the sweep found there (text in a photo under the copy), and
    ``floor`` does not apply: a CTA's button, which the sweep measures as one tall line, no longer sets the scale.

    ``floor`` (the font size unknown): the whole-image read's scale (:func:`full_scale`). An area is never detected
    more coarsely than the whole-image read would detect it: the sweep measures a CTA's *button* as its line (a
    Lumen Health story's 87 px button around 48 px text), and a scale chosen from that height gave a box around the
    whole button, whose two colours (button and page) the contrast check then measured instead of text and button
    (2.3:1 instead of 5.0:1, a false reject found by ``tests/test_sdk.py``).
    """
    top = min(1.0, DETECTOR_SIDE / max(1, box[2] - box[0], box[3] - box[1]))
    if font_px is not None:
        line = min([FONT_LINE_RATIO * font_px, *heights])
        return float(min(top, max(TARGET_LINE_PX / max(1.0, line), AREA_MIN_FACTOR * sweep)))
    if not heights:
        return top
    wanted = TARGET_LINE_PX / max(1.0, min(heights))
    return float(min(top, max(wanted, AREA_MIN_FACTOR * sweep, floor)))


def area_fonts(
    areas: Sequence[PixelBox], font_px: Sequence[float | None], merged: Sequence[PixelBox], margin: int
) -> list[float | None]:
    """The smallest known font size in each merged area (:func:`merge_areas`); ``None`` when any layout area it
    holds has no known size (or ``font_px`` does not give one per area)."""
    if len(font_px) != len(areas):
        return [None] * len(merged)
    out: list[float | None] = []
    for box in merged:
        sizes = [
            size
            for area, size in zip(areas, font_px, strict=True)
            if area[0] - margin < box[2]
            and box[0] < area[2] + margin
            and area[1] - margin < box[3]
            and box[1] < area[3] + margin
        ]
        known = [s for s in sizes if s is not None]
        out.append(min(known) if known and len(known) == len(sizes) else None)
    return out


def full_scale(width: int, height: int) -> float:
    """The whole-image read's detector scale: long side to :data:`DETECTOR_SIDE` px (never enlarged)."""
    return min(1.0, DETECTOR_SIDE / max(1, width, height))


def _refine(
    engine: RegionOcrEngine, bgr: np.ndarray, swept: Sequence[Quad], areas: Sequence[PixelBox], fast: bool
) -> tuple[list[Quad], list[Quad]]:
    """The sweep's lines outside the copy areas, detected again around each on the whole-image read's grid; and,
    in a ``fast`` read, the lines taller than :data:`REFINE_MAX_HEIGHT`, left as the sweep found them.

    The sweep's coarse quads cut a line imprecisely (a logo's edge read as ')' before a wordmark, a last letter
    lost) and it sees texture as text at a coarse scale; a small window around each line, detected at the scale the
    whole-image read uses, gives that read's quads and drops what is not text there. Lines whose centre lies in a
    copy area are left to the area (already read).
    """
    if not swept:
        return [], []
    height, width = bgr.shape[:2]
    tall: list[Quad] = []
    if fast:
        limit = REFINE_MAX_HEIGHT * min(width, height)
        tall = [q for q in swept if quad_height(q) > limit]
        swept = [q for q in swept if quad_height(q) <= limit]
    if not swept:
        return [], tall
    windows = _windows(swept, width, height)
    out: list[Quad] = []
    for window, quads in zip(windows, engine.detect_grid(bgr, windows), strict=True):
        for quad in quads:
            centre = _centre(quad)
            if _inside(centre, window) and not any(_inside(centre, area) for area in areas):
                out.append(quad)
    return out, tall


def _windows(swept: Sequence[Quad], width: int, height: int) -> list[PixelBox]:
    """The refine windows around sweep lines (merged where they overlap)."""
    padded = []
    for quad in swept:
        x0, y0, x1, y1 = _bounds(quad)
        pad = max(8, round(REFINE_MARGIN * quad_height(quad)))
        padded.append((x0 - 4 * pad, y0 - pad, x1 + 4 * pad, y1 + pad))  # a cut line continues sideways
    return merge_areas(padded, width, height, 0)


def _small_crop(bgr: np.ndarray, quad: Quad) -> tuple[np.ndarray, Quad]:
    """A giant line's surroundings shrunk (area interpolation) until the line is twice the recogniser's 48-px height,
    and the line's quad there: cutting it at full size costs ~7 ms on a 1024² image."""
    from brandkit.ocr_rapid import quad_box, scaled_crop

    height, width = bgr.shape[:2]
    x0, y0, x1, y1 = quad_box(quad, width, height)
    scale = min(1.0, 96.0 / max(1.0, quad_height(quad)))
    small = scaled_crop(bgr, (x0, y0, x1, y1), scale)
    factor = np.array([small.shape[1] / max(1, x1 - x0), small.shape[0] / max(1, y1 - y0)], dtype=np.float32)
    pts = (np.asarray(quad, dtype=np.float32).reshape(4, 2) - np.array([x0, y0], dtype=np.float32)) * factor
    return small, pts


def _agreed(
    engine: RegionOcrEngine, reference: RegionOcrEngine, bgr: np.ndarray, quads: Sequence[Quad]
) -> tuple[list[OcrLine], int]:
    """Each quad read by both recognisers; the reference's line kept when both read the same text. Returns the lines
    and how many quads were dropped."""
    from brandkit.ocr_rapid import quad_box

    lines: list[OcrLine] = []
    dropped = 0
    height, width = bgr.shape[:2]
    for quad in quads:
        crop, whole = _small_crop(bgr, quad)
        first = engine.recognize(crop, [whole])
        again = reference.recognize(crop, [whole]) if first else []  # nothing read first: nothing to agree with
        if first and again and first[0].text.strip() == again[0].text.strip():
            lines.append(OcrLine(again[0].text, quad_box(quad, width, height), again[0].confidence))
        else:
            dropped += 1
    return lines, dropped


def _bounds(quad: Quad) -> PixelBox:
    pts = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    return (
        int(np.floor(pts[:, 0].min())),
        int(np.floor(pts[:, 1].min())),
        int(np.ceil(pts[:, 0].max())),
        int(np.ceil(pts[:, 1].max())),
    )


class _Clock:
    """Wall and CPU time (this process, all threads) since the last lap."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self, into: dict[str, float], name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        into[f"{name}_ms"] = (wall - self.wall) * 1000.0
        into[f"{name}_cpu_ms"] = (cpu - self.cpu) * 1000.0
        self.wall, self.cpu = wall, cpu


def _recognize_confirmed(
    engine: RegionOcrEngine,
    reference: RegionOcrEngine,
    bgr: np.ndarray,
    quads: Sequence[Quad],
    confirm: Callable[[str], bool],
) -> tuple[list[OcrLine], int]:
    """Each quad read by ``engine``; a reading ``confirm`` rejects (or none at all) is replaced by ``reference``'s
    reading of the same crop. Returns the lines and how many were read again."""
    lines: list[OcrLine] = []
    again = 0
    for quad in quads:
        first = engine.recognize(bgr, [quad])
        if first and confirm(first[0].text):
            lines.extend(first)
            continue
        again += 1
        lines.extend(reference.recognize(bgr, [quad]))
    return lines, again


def read_layout(
    engine: RegionOcrEngine,
    image: Image.Image,
    areas: Sequence[PixelBox],
    font_px: Sequence[float | None] = (),
    *,
    reference: RegionOcrEngine | None = None,
    confirm: Callable[[str], bool] | None = None,
) -> LayoutReading:
    """Read ``image`` where the layout put copy (``areas``, image pixels) plus one cheap sweep (module docstring).

    ``font_px``: per area, the smallest font size (image px) brandkit set there, ``None`` unknown; empty: all
    unknown (:func:`area_scale`).

    ``reference`` and ``confirm`` (both or neither): ``engine`` is a fast one; each line it reads is kept when
    ``confirm(text)`` accepts it (text of the expected copy), else read again from the same crop by ``reference``'s
    recogniser (so unexpected or forbidden text is read by the reference models; :attr:`LayoutReading.reread`).

    Raises what the engine raises (:class:`~brandkit.ocr.OcrUnavailableError`, engine errors).
    """
    if (reference is None) != (confirm is None):
        raise ValueError("read_layout takes both reference and confirm, or neither")
    bgr = to_bgr(image)
    height, width = bgr.shape[:2]
    margin = max(8, round(AREA_MARGIN * min(width, height)))
    boxes = merge_areas(areas, width, height, margin)
    fonts = area_fonts(areas, font_px, boxes, margin) if font_px else [None] * len(boxes)
    scale = sweep_scale(width, height)
    timings: dict[str, float] = {}

    clock = _Clock()
    swept = engine.detect(bgr, (0, 0, width, height), scale)
    clock.lap(timings, "sweep")

    outside: list[Quad] = []
    heights: list[list[float]] = [[] for _ in boxes]
    for quad in swept:
        holders = [i for i, box in enumerate(boxes) if _inside(_centre(quad), box)]
        if not holders:
            outside.append(quad)
        for i in holders:
            heights[i].append(quad_height(quad))

    found: list[Quad] = []
    reads: list[AreaRead] = []
    for box, area_heights, font in zip(boxes, heights, fonts, strict=True):
        area = area_scale(box, area_heights, scale, full_scale(width, height), font)
        mine = [q for q in engine.detect(bgr, box, area, wide_padding=False) if _inside(_centre(q), box)]
        reads.append(AreaRead(box=box, scale=round(area, 4), lines=len(mine)))
        found.extend(mine)
    clock.lap(timings, "areas")
    refined, tall = _refine(engine, bgr, outside, boxes, fast=reference is not None)
    clock.lap(timings, "refine")
    reread = dropped = 0
    if reference is not None and confirm is not None:
        lines, reread = _recognize_confirmed(engine, reference, bgr, found + refined, confirm)
        giant, dropped = _agreed(engine, reference, bgr, tall)
        lines += giant
    else:
        lines = engine.recognize(bgr, found + refined)
    clock.lap(timings, "recognize")
    return LayoutReading(
        lines=reading_order(lines),
        areas=reads,
        sweep_scale=round(scale, 4),
        swept_lines=len(refined) + len(tall) - dropped,
        reread=reread,
        tall_dropped=dropped,
        timings_ms={k: round(v, 3) for k, v in timings.items()},
    )
