"""The OCR engines' shared vocabulary: a read line, a detected quad, reading order, the default configuration.

Split out of :mod:`brandkit.ocr` (which re-exports every name) so that both engines —
:class:`brandkit.ocr.RapidOcrEngine` (rapidocr, the reference) and :class:`brandkit.ocr_onnx.OnnxOcrEngine` (the
default) — share it without an import cycle.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from brandkit.geometry import PixelBox

__all__ = ["DEFAULT_RAPIDOCR_PARAMS", "LazyEngine", "OcrLine", "OcrUnavailableError", "Quad", "reading_order"]

DEFAULT_RAPIDOCR_PARAMS: Mapping[str, Any] = {
    "Det.limit_type": "max",
    "Det.limit_side_len": 960,
    "Global.use_cls": False,
    # one line per recognition pass: in a batch, each line is padded to the widest one's aspect ratio, and the
    # padding changes what is read (measured: "your rhythm" read as "yourrhythm" beside a longer line)
    "Rec.rec_batch_num": 1,
    "Global.log_level": "error",
    "Global.text_score": 0.5,
    "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
    "EngineConfig.onnxruntime.intra_op_num_threads": 2,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
}
"""rapidocr 3.x parameters (its dotted config keys) both engines use by default (see :mod:`brandkit.ocr`)."""
"""rapidocr 3.x parameters used by :func:`default_ocr_engine` (see the module docstring)."""


class OcrUnavailableError(RuntimeError):
    """The OCR engine cannot be used (not installed, models missing, failed to load)."""


@dataclass(frozen=True)
class OcrLine:
    """One line of text read from an image.

    ``box`` is the axis-aligned bounding box ``(x0, y0, x1, y1)`` in image
    pixels (exclusive end), clipped to the image; ``confidence`` is 0–1.
    """

    text: str
    box: PixelBox
    confidence: float

    @property
    def height(self) -> int:
        """Box height in pixels."""
        return self.box[3] - self.box[1]

    @property
    def width(self) -> int:
        """Box width in pixels."""
        return self.box[2] - self.box[0]


Quad = np.ndarray
"""A detected text line: a 4×2 float32 array of corners (x, y) in image pixels, clockwise from top-left."""


def reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Sort lines top-to-bottom, then left-to-right among lines whose vertical centres are close."""
    if not lines:
        return []
    by_top = sorted(lines, key=lambda ln: (ln.box[1] + ln.box[3]) / 2.0)
    rows: list[list[OcrLine]] = []
    for line in by_top:
        centre = (line.box[1] + line.box[3]) / 2.0
        if rows:
            last = rows[-1]
            ref = last[0]
            ref_centre = (ref.box[1] + ref.box[3]) / 2.0
            if abs(centre - ref_centre) <= 0.5 * max(1, min(ref.height, line.height)):
                last.append(line)
                continue
        rows.append([line])
    return [ln for row in rows for ln in sorted(row, key=lambda ln: ln.box[0])]


class LazyEngine:
    """What both OCR engines share: models loaded once, on first use or by :meth:`load` (thread-safe: one lock,
    a concurrent caller waits for the first), and a load failure kept as "unavailable" with its reason.

    A subclass implements :meth:`_load_models` (raise on failure; the message is prefixed with
    :attr:`unavailable_prefix`) and :meth:`_drop_models` (forget what a failed load left), and holds
    ``self._lock`` while it runs a model.
    """

    unavailable_prefix = "the OCR engine could not be loaded"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._error: str | None = None
        self._loaded = False
        self.load_seconds: float | None = None
        """Wall seconds the load took (``None`` before it)."""

    def _load_models(self) -> None:
        raise NotImplementedError

    def _drop_models(self) -> None:
        raise NotImplementedError

    def _load_locked(self) -> None:
        if self._loaded:
            return
        started = time.perf_counter()
        try:
            self._load_models()
        except Exception as exc:  # any failure means "unavailable", with the reason
            self._error = f"{self.unavailable_prefix}: {type(exc).__name__}: {exc}"
            self._drop_models()
        else:
            self._error = None
        self.load_seconds = time.perf_counter() - started
        self._loaded = True

    def load(self) -> None:
        """Load the models now (idempotent, thread-safe: a concurrent caller waits; never raises)."""
        with self._lock:
            self._load_locked()

    @property
    def available(self) -> bool:
        """True when the models loaded (loads them on first access)."""
        self.load()
        return self._error is None

    @property
    def unavailable_reason(self) -> str | None:
        """Why the models could not be loaded, or ``None`` (loads them on first access)."""
        self.load()
        return self._error
