"""The OCR reading of one image, shared by the text and contrast checks (engine loaded once per kit).

Two modes, always named in the reading (``OcrReading.mode``) and in the checks' details (``ocr_mode``):

* ``"layout"`` — the layout is known (the copy areas of the request or of the file's provenance,
  :func:`copy_areas`) and the engine detects and recognises separately
  (:class:`~brandkit.ocr.RegionOcrEngine`): :func:`brandkit.ocr_regions.read_layout` reads the copy areas at
  the scale their lines need plus one cheap sweep of the whole image (text outside the areas, forbidden or
  unexpected, is still read).

  **Fast first, reference when in doubt.** With the default engine (:class:`~brandkit.ocr_onnx.OnnxOcrEngine` on
  its reference models, PP-OCRv6 small), the layout is first read with PP-OCRv6 *tiny*
  (:data:`~brandkit.ocr_onnx.TINY_MODELS`, ~3× cheaper to detect, ~5× to recognise). Each line tiny reads that is
  not a whole-word part of the expected copy or of the brand's name
  (:func:`~brandkit.checks.copy_text.part_of_copy`: another word, a slip, text in a photo, nothing read) is read
  again from the same crop by the reference recogniser, so unexpected and forbidden text is always judged on the
  reference recogniser's reading. The fast reading is kept only when every required string then reads
  **exactly** (:func:`fast_read_accepted`); otherwise the image is read again entirely with the reference models
  and that reading is used: a copy mismatch is always the reference models' verdict. The boxes of a kept fast
  reading are the tiny detector's (within a few pixels of the reference's on composed copy; what that does to the
  contrast check is measured on the gate corpus, ``docs/benchmarks.md``). The details say which
  (``ocr_layout.fast``). Off with
  :data:`OCR_FAST_RESOURCE_KEY` set to ``False``; a caller's own engine is never second-guessed (no fast read).
* ``"full"`` — the whole image at the detector's full size (:meth:`~brandkit.ocr.OcrEngine.read`), with the
  reason (``mode_reason``): no layout known (a file brandkit did not make), an engine that reads whole images
  only, or a caller that asked for it (:data:`OCR_MODE_RESOURCE_KEY` set to ``"full"`` in the kit's resources).

  **Fast detector first here too** when no layout is known (or its areas lie outside the image) and the default
  engine reads: the tiny detector finds the lines on the whole image at the full read's scale
  (:func:`~brandkit.ocr_regions.full_scale`, ~3× cheaper than the reference detector) and the **reference
  recogniser reads every line** from the full-resolution image, so every word judged (forbidden terms, required
  disclaimers, copy) is the reference models' reading; only the boxes are tiny's. The reading stands when every
  required string reads exactly or when those that do not are nowhere in it (:func:`whole_read_accepted`), not even
  in part (a photograph without the brand's disclaimer: absent, not misread — the reference models would have to
  find a whole line the tiny detector did not see at all); when one is read in part, or when the tiny detector
  takes something taller than :data:`~brandkit.ocr_regions.REFINE_MAX_HEIGHT` of the image's short side for one
  line (a photograph taken for text, which can swallow a small line beside it: a 10-px disclaimer under the picture
  of a 384-px ad), the reference models read the whole image again and that reading is used. Measured on the gate
  corpus's 384 renders against the reference models' own whole-image read (``docs/benchmarks.md``): 98 % of their
  words read the same, ~3× less CPU. The details say which (``ocr_full``). A caller that asked for the full read,
  its own engine, or :data:`OCR_FAST_RESOURCE_KEY` set to ``False`` gets the reference read alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

from brandkit.checks.base import CheckContext
from brandkit.checks.copy_match import copy_matches_for_context, required_copy
from brandkit.checks.copy_text import normalize_tokens, part_of_copy
from brandkit.checks.opencv_threads import OpenCvThreads
from brandkit.geometry import PixelBox
from brandkit.ocr import (
    OCR_MEMO_KEY,
    OCR_RESOURCE_KEY,
    OcrEngine,
    OcrLine,
    OcrReading,
    RegionOcrEngine,
    default_ocr_engine,
    reading_order,
    to_bgr,
)
from brandkit.ocr_onnx import (
    OCR_FAST_ENGINE_KEY,
    OCR_FAST_RESOURCE_KEY,
    REFERENCE_MODELS,
    fast_ocr_engine,
)
from brandkit.ocr_regions import REFINE_MAX_HEIGHT, LayoutReading, full_scale, merge_areas, quad_height, read_layout
from brandkit.warm_cache import WarmCache

__all__ = [
    "OCR_FAST_ENGINE_KEY",
    "OCR_FAST_RESOURCE_KEY",
    "OCR_MODE_RESOURCE_KEY",
    "OcrMode",
    "copy_areas",
    "copy_font_px",
    "fast_read_accepted",
    "ocr_for_context",
    "ocr_mode_details",
    "whole_read_accepted",
]

OcrMode = Literal["layout", "full"]

OCR_MODE_RESOURCE_KEY = "ocr_mode"
"""Key in :class:`~brandkit.checks.base.CheckResources` of the preferred mode: ``"layout"`` (default: used
whenever the layout is known) or ``"full"`` (always read the whole image at full size — the previous path,
kept for benchmarks and for comparison)."""

NO_LAYOUT = (
    "no layout known (no copy areas in the request or the file's provenance): the whole image was read at full size"
)


def copy_areas(ctx: CheckContext) -> list[PixelBox]:
    """The layout's copy areas (``Expectation.copy_boxes``) in image pixels, scaled when the file was resized."""
    return [ctx.expectation.in_image(box, ctx.image.size) for box in ctx.expectation.copy_boxes]


def copy_font_px(ctx: CheckContext) -> list[float | None]:
    """Per copy area, the smallest font size brandkit set there (``Expectation.copy_font_px``) in image pixels
    (scaled like :func:`copy_areas` when the file was resized); empty when unknown."""
    exp = ctx.expectation
    if not exp.copy_font_px:
        return []
    scale = ctx.image.size[1] / exp.height if exp.height else 1.0
    return [None if px is None else px * scale for px in exp.copy_font_px]


def _mode(ctx: CheckContext, engine: OcrEngine, name: str) -> tuple[OcrMode, str | None]:
    preferred = ctx.resources.get(OCR_MODE_RESOURCE_KEY, lambda: "layout")
    if preferred not in ("layout", "full"):
        raise ValueError(f"resource {OCR_MODE_RESOURCE_KEY!r} must be 'layout' or 'full', not {preferred!r}")
    if preferred == "full":
        return "full", "the whole-image read was asked for (resource 'ocr_mode' = 'full')"
    areas = copy_areas(ctx)
    if not areas:
        return "full", NO_LAYOUT
    width, height = ctx.image.size
    if not merge_areas(areas, width, height, margin=0):
        return (
            "full",
            f"the layout's copy areas {areas} lie outside the {width}×{height} image: the whole image was read",
        )
    if not isinstance(engine, RegionOcrEngine):
        return "full", f"the OCR engine {name!r} reads whole images only: the whole image was read"
    return "layout", None


def fast_read_accepted(ctx: CheckContext, layout: LayoutReading) -> tuple[bool, str]:
    """Whether the fast reading stands: every required string of copy reads exactly (why not, otherwise)."""
    matches = copy_matches_for_context(ctx, layout.lines)  # shared with the checks when the reading stands
    inexact = [role for role, match in matches.items() if not (match.exact or match.alike)]  # I/l: one letter
    if inexact:
        return False, f"not read exactly by the fast models: {', '.join(inexact)}"
    return True, "every required string read exactly"


def _layout(ctx: CheckContext, engine: RegionOcrEngine) -> tuple[LayoutReading, dict[str, Any]]:
    """The layout read: fast first where it applies (module docstring), else the engine's own."""
    areas, fonts = copy_areas(ctx), copy_font_px(ctx)
    fast = fast_ocr_engine(ctx.resources, engine)
    if fast is None:
        return read_layout(engine, ctx.image, areas, fonts), {}
    if not fast.available:  # said in the details, never silently: the reference models read alone
        reason = f"the fast models could not load: {fast.unavailable_reason}"
        return read_layout(engine, ctx.image, areas, fonts), {
            "models": fast.models.name,
            "accepted": False,
            "reason": reason,
        }
    copy = part_of_copy(list(required_copy(ctx).values()), ctx.spec.typography.copy_match.case)
    brand = set(normalize_tokens(ctx.spec.name))  # its words (a wordmark) are never unexpected text (text check)

    def confirm(text: str) -> bool:
        words = normalize_tokens(text)
        return copy(text) or (bool(words) and set(words) <= brand)

    first = read_layout(fast, ctx.image, areas, fonts, reference=engine, confirm=confirm)
    accepted, why = fast_read_accepted(ctx, first)
    info: dict[str, Any] = {
        "models": fast.models.name,
        "accepted": accepted,
        "reason": why,
        "reread": first.reread,
        "tall_dropped": first.tall_dropped,
    }
    if accepted:
        return first, info
    info["reference_models"] = REFERENCE_MODELS.name
    again = read_layout(engine, ctx.image, areas, fonts)
    again.timings_ms.update({f"fast_{k}": v for k, v in first.timings_ms.items()})  # what the fast read cost too
    return again, info


def whole_read_accepted(ctx: CheckContext, lines: Sequence[OcrLine]) -> tuple[bool, str]:
    """Whether the fast detector's whole-image reading (``lines``, every one read by the reference recogniser)
    stands, and why: every required string reads exactly, or those that do not are nowhere in it, not even in part
    (absent, not misread: the reference detector would have to find a whole line the tiny one did not see at all —
    none of 228 on the gate corpus, ``docs/benchmarks.md``; a line swallowed by a picture tiny takes for one tall
    line is caught before this, by :func:`_whole`). A string read in part is not enough: the reference models read
    the whole image again."""
    matches = copy_matches_for_context(ctx, lines)  # shared with the checks when the reading stands
    inexact = [role for role, match in matches.items() if not (match.exact or match.alike)]  # I/l: one letter
    in_part = [role for role in inexact if matches[role].located]
    if in_part:
        return False, f"read in part, not exactly: {', '.join(in_part)}"
    if inexact:
        return True, f"not read: {', '.join(inexact)} — nothing resembling it anywhere: absent, not misread"
    return True, "every required string read exactly"


def _whole(ctx: CheckContext, engine: OcrEngine) -> tuple[list[OcrLine], dict[str, Any]]:
    """The whole-image read when no layout is known: the fast detector first where it applies (module docstring),
    else the engine's own :meth:`~brandkit.ocr.OcrEngine.read`; and what ``details.ocr_full`` says about it."""
    fast = fast_ocr_engine(ctx.resources, engine)
    if fast is None or not isinstance(engine, RegionOcrEngine):
        return list(engine.read(ctx.image)), {}
    if not fast.available:  # said in the details, never silently: the reference models read alone
        lines, why = None, f"the fast models could not load: {fast.unavailable_reason}"
    else:
        lines, why = _fast_whole(ctx, fast, engine)
    kept = lines is not None  # else the reference models read the whole image again, and their reading is used
    detector = fast.models.name if kept else REFERENCE_MODELS.name
    info = {"detector": detector, "recogniser": REFERENCE_MODELS.name, "fast_accepted": kept, "reason": why}
    return (lines if lines is not None else list(engine.read(ctx.image))), info


def _fast_whole(ctx: CheckContext, fast: RegionOcrEngine, engine: RegionOcrEngine) -> tuple[list[OcrLine] | None, str]:
    """``fast``'s detector on the whole image at the full read's scale, each line read by ``engine``'s recogniser:
    the lines when they stand (:func:`whole_read_accepted`), else ``None``; and why."""
    bgr = to_bgr(ctx.image)
    height, width = bgr.shape[:2]
    quads = fast.detect(bgr, (0, 0, width, height), full_scale(width, height))
    tall = sum(1 for quad in quads if quad_height(quad) > REFINE_MAX_HEIGHT * min(width, height))
    if tall:  # a picture taken for one line can hide the lines in it (a 10-px disclaimer under a photograph)
        return None, (
            f"the fast detector found {tall} line(s) taller than {REFINE_MAX_HEIGHT:.0%} of the image's short side "
            "(a picture taken for text can hide lines)"
        )
    lines = reading_order(engine.recognize(bgr, quads))  # every line read by the reference recogniser
    accepted, why = whole_read_accepted(ctx, lines)
    return (lines if accepted else None), why


def _read(ctx: CheckContext) -> OcrReading:
    engine: OcrEngine = ctx.resources.get(OCR_RESOURCE_KEY, lambda: default_ocr_engine(WarmCache.of(ctx.resources)))
    name = str(getattr(engine, "name", type(engine).__name__))
    try:
        mode, reason = _mode(ctx, engine, name)
        if not engine.available:
            return OcrReading(engine=name, error=engine.unavailable_reason or "OCR engine unavailable", mode=mode)
        started = time.perf_counter()
        with OpenCvThreads.of(ctx.resources).single():  # its resizes and warps: less CPU, about the same wall time
            lines, extra = _engine_read(ctx, engine, mode)
        elapsed = (time.perf_counter() - started) * 1000.0
    except Exception as exc:  # fail closed with the reason
        return OcrReading(engine=name, error=f"OCR failed: {type(exc).__name__}: {exc}")
    return OcrReading(
        engine=name, lines=lines, elapsed_ms=round(elapsed, 3), extra=extra, mode=mode, mode_reason=reason
    )


def _engine_read(ctx: CheckContext, engine: OcrEngine, mode: OcrMode) -> tuple[list[OcrLine], dict[str, Any]]:
    """The lines ``engine`` reads in ``mode`` and what the details say about the read."""
    extra: dict[str, Any] = {}
    if mode == "layout":
        assert isinstance(engine, RegionOcrEngine)
        layout, fast = _layout(ctx, engine)
        extra["layout"] = {
            "areas": [{"box": list(a.box), "scale": a.scale, "lines": a.lines} for a in layout.areas],
            "sweep_scale": layout.sweep_scale,
            "font_px_known": bool(ctx.expectation.copy_font_px),
            "lines_outside_areas": layout.swept_lines,
        }
        if fast:
            extra["layout"]["fast"] = fast
        extra["timings_ms"] = layout.timings_ms  # per step, wall and CPU (benchmarks; not in the details)
        return list(layout.lines), extra
    if ctx.resources.get(OCR_MODE_RESOURCE_KEY, lambda: "layout") == "full":  # asked for: the reference read alone
        return list(engine.read(ctx.image)), extra
    lines, whole = _whole(ctx, engine)
    if whole:
        extra["full"] = whole
    return lines, extra


def ocr_for_context(ctx: CheckContext) -> OcrReading:
    """The OCR reading of ``ctx.image``, computed once per image and shared (never raises)."""
    reading: OcrReading = ctx.memo(OCR_MEMO_KEY, lambda: _read(ctx))
    return reading


def ocr_mode_details(reading: OcrReading) -> dict[str, Any]:
    """The details keys that say how the image was read: ``ocr_mode``, and why not by layout or where."""
    out: dict[str, Any] = {"ocr_mode": reading.mode}
    if reading.mode_reason is not None:
        out["ocr_mode_reason"] = reading.mode_reason
    if "layout" in reading.extra:
        out["ocr_layout"] = reading.extra["layout"]
    if "full" in reading.extra:
        out["ocr_full"] = reading.extra["full"]
    return out
