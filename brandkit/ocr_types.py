"""The OCR engines' shared vocabulary: a read line, a detected quad, reading order, the default configuration.

Split out of :mod:`brandkit.ocr` (which re-exports every name) so that both engines —
:class:`brandkit.ocr.RapidOcrEngine` (rapidocr, the reference) and :class:`brandkit.ocr_onnx.OnnxOcrEngine` (the
default) — share it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DEFAULT_RAPIDOCR_PARAMS", "OcrLine", "OcrUnavailableError", "Quad", "reading_order"]

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
    box: tuple[int, int, int, int]
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
