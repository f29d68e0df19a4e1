"""The OCR reading of one image, shared by the text and contrast checks (engine loaded once per kit).

Two modes, always named in the reading (``OcrReading.mode``) and in the checks' details (``ocr_mode``):

* ``"layout"`` — the layout is known (the copy areas of the request or of the file's provenance,
  :func:`copy_areas`) and the engine detects and recognises separately
  (:class:`~brandkit.ocr.RegionOcrEngine`): :func:`brandkit.ocr_regions.read_layout` reads the copy areas at
  the scale their lines need plus one cheap sweep of the whole image (text outside the areas, forbidden or
  unexpected, is still read).
* ``"full"`` — the whole image at the detector's full size (:meth:`~brandkit.ocr.OcrEngine.read`), with the
  reason (``mode_reason``): no layout known (a file brandkit did not make), an engine that reads whole images
  only, or a caller that asked for it (:data:`OCR_MODE_RESOURCE_KEY` set to ``"full"`` in the kit's resources).
"""

from __future__ import annotations

import time
from typing import Any, Literal

from brandkit.checks.base import CheckContext
from brandkit.ocr import (
    OCR_MEMO_KEY,
    OCR_RESOURCE_KEY,
    OcrEngine,
    OcrReading,
    RegionOcrEngine,
    default_ocr_engine,
)
from brandkit.ocr_regions import merge_areas, read_layout
from brandkit.warm_cache import WarmCache

__all__ = ["OCR_MODE_RESOURCE_KEY", "OcrMode", "copy_areas", "copy_font_px", "ocr_for_context", "ocr_mode_details"]

OcrMode = Literal["layout", "full"]

OCR_MODE_RESOURCE_KEY = "ocr_mode"
"""Key in :class:`~brandkit.checks.base.CheckResources` of the preferred mode: ``"layout"`` (default: used
whenever the layout is known) or ``"full"`` (always read the whole image at full size — the previous path,
kept for benchmarks and for comparison)."""

NO_LAYOUT = (
    "no layout known (no copy areas in the request or the file's provenance): the whole image was read at full size"
)


def copy_areas(ctx: CheckContext) -> list[tuple[int, int, int, int]]:
    """The layout's copy areas (``Expectation.copy_boxes``) in image pixels, scaled when the file was resized."""
    exp = ctx.expectation
    w, h = ctx.image.size
    sx = w / exp.width if exp.width else 1.0
    sy = h / exp.height if exp.height else 1.0
    return [(round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy)) for x0, y0, x1, y1 in exp.copy_boxes]


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


def _read(ctx: CheckContext) -> OcrReading:
    engine: OcrEngine = ctx.resources.get(OCR_RESOURCE_KEY, lambda: default_ocr_engine(WarmCache.of(ctx.resources)))
    name = str(getattr(engine, "name", type(engine).__name__))
    try:
        mode, reason = _mode(ctx, engine, name)
        if not engine.available:
            return OcrReading(engine=name, error=engine.unavailable_reason or "OCR engine unavailable", mode=mode)
        started = time.perf_counter()
        extra: dict[str, Any] = {}
        if mode == "layout":
            assert isinstance(engine, RegionOcrEngine)
            layout = read_layout(engine, ctx.image, copy_areas(ctx), copy_font_px(ctx))
            lines = layout.lines
            extra["layout"] = {
                "areas": [{"box": list(a.box), "scale": a.scale, "lines": a.lines} for a in layout.areas],
                "sweep_scale": layout.sweep_scale,
                "font_px_known": bool(ctx.expectation.copy_font_px),
                "lines_outside_areas": layout.swept_lines,
            }
            extra["timings_ms"] = layout.timings_ms  # per step, wall and CPU (benchmarks; not in the details)
        else:
            lines = engine.read(ctx.image)
        elapsed = (time.perf_counter() - started) * 1000.0
    except Exception as exc:  # fail closed with the reason
        return OcrReading(engine=name, error=f"OCR failed: {type(exc).__name__}: {exc}")
    return OcrReading(
        engine=name, lines=list(lines), elapsed_ms=round(elapsed, 3), extra=extra, mode=mode, mode_reason=reason
    )


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
    return out
