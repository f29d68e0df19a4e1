"""The OCR reading of one image, shared by the text and contrast checks (engine loaded once per kit)."""

from __future__ import annotations

import time

from brandkit.checks.base import CheckContext
from brandkit.ocr import OCR_MEMO_KEY, OCR_RESOURCE_KEY, OcrEngine, OcrReading, default_ocr_engine


def _read(ctx: CheckContext) -> OcrReading:
    engine: OcrEngine = ctx.resources.get(OCR_RESOURCE_KEY, default_ocr_engine)
    name = str(getattr(engine, "name", type(engine).__name__))
    try:
        if not engine.available:
            return OcrReading(engine=name, error=engine.unavailable_reason or "OCR engine unavailable")
        started = time.perf_counter()
        lines = engine.read(ctx.image)
        elapsed = (time.perf_counter() - started) * 1000.0
    except Exception as exc:  # fail closed with the reason
        return OcrReading(engine=name, error=f"OCR failed: {type(exc).__name__}: {exc}")
    return OcrReading(engine=name, lines=list(lines), elapsed_ms=round(elapsed, 3))


def ocr_for_context(ctx: CheckContext) -> OcrReading:
    """The OCR reading of ``ctx.image``, computed once per image and shared (never raises)."""
    reading: OcrReading = ctx.memo(OCR_MEMO_KEY, lambda: _read(ctx))
    return reading
