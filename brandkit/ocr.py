"""OCR engine wrapper: read the text rendered on an image, offline.

The default engine (:func:`default_ocr_engine`) is :class:`brandkit.ocr_onnx.OnnxOcrEngine`: the same models and
processing as rapidocr on onnxruntime alone, proven to read the same lines (``tests/test_ocr_onnx.py``), without
rapidocr's ~0.9 s import. :class:`RapidOcrEngine` stays as the reference it is compared with.

:class:`RapidOcrEngine` wraps rapidocr 3.x (PP-OCRv6 small models bundled in the wheel: no network), created
lazily once per instance; every call is serialised with a lock (rapidocr mutates its own parameters per call).

Configuration (measured in ``offline-components.md`` §3): the detector resizes so that the *long* side is at most
960 px (``Det.limit_type=max``; the default ``min``/736 blows a 1024×200 banner up to ~3800×736, 9× slower; 800
is ~15% faster but loses 10 px light-on-dark text), the angle classifier is off (marketing copy is upright),
onnxruntime's CPU memory arena is on (~5–10% faster per call). onnxruntime runs two intra-op threads and one
inter-op thread whose pools do not spin between reads (:mod:`brandkit.ocr_rapid`; spinning threads kept a core
busy after every read and slowed the next check).

Besides :meth:`RapidOcrEngine.read` (the whole image), the engine detects and recognises separately
(:class:`RegionOcrEngine`): :mod:`brandkit.ocr_regions` reads only where the layout put copy, plus a cheap
whole-image sweep. There is no global engine: callers keep one in
:class:`brandkit.checks.base.CheckResources` under :data:`OCR_RESOURCE_KEY` and share the reading of one image
between checks with :func:`brandkit.checks.ocr_reading.ocr_for_context`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from PIL import Image

from brandkit.geometry import PixelBox
from brandkit.ocr_rapid import to_bgr
from brandkit.ocr_types import DEFAULT_RAPIDOCR_PARAMS, LazyEngine, OcrLine, OcrUnavailableError, Quad, reading_order

if TYPE_CHECKING:
    from brandkit.ocr_onnx import OnnxOcrEngine
    from brandkit.warm_cache import WarmCache

__all__ = [
    "DEFAULT_RAPIDOCR_PARAMS",
    "OCR_MEMO_KEY",
    "OCR_RESOURCE_KEY",
    "RAPIDOCR_READABLE_SCRIPTS",
    "OcrEngine",
    "OcrLine",
    "OcrReading",
    "OcrUnavailableError",
    "Quad",
    "RapidOcrEngine",
    "RegionOcrEngine",
    "default_ocr_engine",
    "reading_order",
    "to_bgr",
    "unreadable_scripts",
]

OCR_RESOURCE_KEY = "ocr"
"""Key of the shared OCR engine in :class:`~brandkit.checks.base.CheckResources`."""

OCR_MEMO_KEY = "ocr"
"""Key of the per-image OCR reading in :meth:`~brandkit.checks.base.CheckContext.memo`."""

RAPIDOCR_READABLE_SCRIPTS: frozenset[str] = frozenset({"Latn", "Hani", "Hira", "Kana"})
"""ISO 15924 scripts the bundled rapidocr models read reliably (≥ 90 % of test strings found by the text check).

Measured with ``python -m benchmarks.bench_ocr_scripts`` (table in ``docs/checks.md``; 21–30 renderings per
script): Latin with accents, Chinese (Simplified and Traditional) and Japanese (kana, kanji + kana) 100 %;
Cyrillic, Greek, Korean, Arabic and Devanagari 0 % (the bundled recognition model's dictionary is Chinese +
Latin: such text is dropped or read as look-alike Latin). Digits, punctuation and symbols (``Zyyy``) and
combining marks (``Zinh``) follow the letters around them.
"""


def unreadable_scripts(text: str, readable: frozenset[str] = RAPIDOCR_READABLE_SCRIPTS) -> list[str]:
    """ISO 15924 codes of the scripts of ``text``'s letters, marks and digits that are not in ``readable``."""
    import unicodedata

    from fontTools import unicodedata as ucd

    out: dict[str, None] = {}
    for ch in unicodedata.normalize("NFC", text):
        if unicodedata.category(ch)[0] not in "LMN":
            continue
        script = str(ucd.script(ch))
        if script not in ("Zyyy", "Zinh", "Zzzz") and script not in readable:
            out[script] = None
    return list(out)


@runtime_checkable
class OcrEngine(Protocol):
    """What the checks need from an OCR engine.

    ``available`` is False when the engine cannot run; ``unavailable_reason``
    then says why. ``read`` raises :class:`OcrUnavailableError` in that case
    (and may raise other exceptions on engine errors; checks turn both into
    ``not_checked``).
    """

    name: str

    @property
    def available(self) -> bool:
        """Whether :meth:`read` can run."""
        ...

    @property
    def unavailable_reason(self) -> str | None:
        """Why the engine is unavailable (``None`` when available)."""
        ...

    def read(self, image: Image.Image) -> list[OcrLine]:
        """Every text line on ``image`` (RGB or RGBA), in reading order."""
        ...


@runtime_checkable
class RegionOcrEngine(OcrEngine, Protocol):
    """An engine that also detects and recognises separately (what layout-guided reading needs).

    Both take the image as a BGR uint8 array (:func:`to_bgr`), so one conversion serves every region.
    """

    def detect(self, bgr: np.ndarray, box: PixelBox, scale: float, *, wide_padding: bool = True) -> list[Quad]:
        """Text lines found in ``bgr[y0:y1, x0:x1]`` resized by ``scale``, as quads in image pixels.

        ``wide_padding=False``: a crop wider than 8× its height is not padded with black rows for the detector
        (:func:`brandkit.ocr_rapid.pads_wide_strip`).
        """
        ...

    def recognize(self, bgr: np.ndarray, quads: list[Quad]) -> list[OcrLine]:
        """Read each quad from the full-resolution ``bgr`` (lines read as empty or below the score dropped)."""
        ...

    def detect_grid(self, bgr: np.ndarray, boxes: list[PixelBox]) -> list[list[Quad]]:
        """Text lines in each box, detected on the whole-image read's own detector input (the same pixels)."""
        ...


class RapidOcrEngine(LazyEngine):
    """rapidocr 3.x (PP-OCRv6, onnxruntime) loaded lazily once, thread-safe.

    ``params`` override :data:`DEFAULT_RAPIDOCR_PARAMS` (rapidocr's dotted
    config keys); ``quiet_threads=False`` keeps onnxruntime's spinning thread
    pools (the previous behaviour, for benchmarks). Checking :attr:`available` loads the engine (about 1–2 s
    the first time); a failure to import or load is remembered and reported
    through :attr:`unavailable_reason` instead of raising.
    """

    name = "rapidocr"

    def __init__(self, params: Mapping[str, Any] | None = None, *, quiet_threads: bool = True) -> None:
        self._params: dict[str, Any] = dict(DEFAULT_RAPIDOCR_PARAMS)
        if params:
            self._params.update(params)
        super().__init__()
        self._engine: Any = None
        self._quiet_threads = quiet_threads
        self.spinning: str | None = None
        """``None`` once the engine's threads are quiet between reads; else why they still spin."""

    @property
    def params(self) -> dict[str, Any]:
        """The rapidocr parameters this engine is created with (a copy)."""
        return dict(self._params)

    unavailable_prefix = "rapidocr could not be loaded"

    def _load_models(self) -> None:
        from rapidocr import RapidOCR

        engine = RapidOCR(params=dict(self._params))
        # The models load on the first call; run both now on a tiny image so
        # that a broken model file or runtime shows up here, not mid-check.
        blank = np.full((32, 96, 3), 255, dtype=np.uint8)
        engine(blank, use_det=True, use_cls=False, use_rec=False)
        engine(blank, use_det=False, use_cls=False, use_rec=True)
        from brandkit.ocr_rapid import quiet_sessions

        self.spinning = "kept (quiet_threads=False)"
        if self._quiet_threads:
            self.spinning = quiet_sessions([engine.text_det, engine.text_rec])
        if self.spinning is not None and self._quiet_threads:
            import warnings

            warnings.warn(f"OCR engine threads still spin between reads: {self.spinning}", stacklevel=2)
        self._engine = engine

    def _drop_models(self) -> None:
        self._engine = None

    def read(self, image: Image.Image) -> list[OcrLine]:
        """Every text line on ``image`` in reading order.

        Raises :class:`OcrUnavailableError` when the engine is unavailable.
        """
        from brandkit.ocr_rapid import quad_box

        bgr = to_bgr(image)
        height, width = bgr.shape[:2]
        with self._lock:
            output = self._loaded_engine()(bgr, use_det=True, use_cls=self._params["Global.use_cls"], use_rec=True)
        boxes = getattr(output, "boxes", None)
        texts = getattr(output, "txts", None)
        scores = getattr(output, "scores", None)
        if boxes is None or texts is None:
            return []
        lines: list[OcrLine] = []
        for quad, text, score in zip(boxes, texts, scores or [1.0] * len(texts), strict=False):
            if not str(text).strip():
                continue
            x0, y0, x1, y1 = quad_box(quad, width, height)
            if x1 <= x0 or y1 <= y0:
                continue
            lines.append(OcrLine(str(text), (x0, y0, x1, y1), float(score)))
        return reading_order(lines)

    def _loaded_engine(self) -> Any:
        """The rapidocr engine (call with the lock held); raises :class:`OcrUnavailableError`."""
        self._load_locked()
        if self._engine is None:
            raise OcrUnavailableError(self._error or "rapidocr is unavailable")
        return self._engine

    def detect(self, bgr: np.ndarray, box: PixelBox, scale: float, *, wide_padding: bool = True) -> list[Quad]:
        """Text lines found in ``bgr[y0:y1, x0:x1]`` resized by ``scale``, as quads in image pixels.

        The detector's own sizing still applies (long side at most 960 px): choose ``scale`` within it.
        ``wide_padding=False``: a wide strip is not padded (:func:`brandkit.ocr_rapid.pads_wide_strip`).
        """
        from brandkit.ocr_rapid import grid_rows, quads_in_image, rows_removed, scaled_crop, strips_unpadded

        crop = scaled_crop(bgr, box, scale)
        if crop.size == 0:
            return []
        gridded, top = grid_rows(crop, wide_padding)
        with self._lock:
            engine = self._loaded_engine()
            with strips_unpadded(engine, gridded.shape, wide_padding):
                output = engine(gridded, use_det=True, use_cls=False, use_rec=False)
        return quads_in_image(rows_removed(getattr(output, "boxes", None), top, crop.shape[0]), box, crop.shape)

    def detect_grid(self, bgr: np.ndarray, boxes: list[PixelBox]) -> list[list[Quad]]:
        """Text lines in each box (image px), as quads in image pixels, detected on the whole-image read's input.

        The image is resized once as :meth:`read` resizes it for the detector; each box is cut from that on its
        32-px grid (:func:`brandkit.ocr_rapid.grid_window`), so the detector sees the pixels the whole-image read
        gives it there.
        """
        from brandkit.ocr_rapid import detect_on_grid

        def detect(crop: np.ndarray) -> Any:
            with self._lock:
                output = self._loaded_engine()(crop, use_det=True, use_cls=False, use_rec=False)
            return getattr(output, "boxes", None)

        return detect_on_grid(bgr, boxes, int(self._params["Det.limit_side_len"]), detect)

    def recognize(self, bgr: np.ndarray, quads: list[Quad]) -> list[OcrLine]:
        """Read each quad from the full-resolution ``bgr`` (the crop :meth:`read` makes), one line per pass.

        Lines read as empty, or with a score below ``Global.text_score``, are dropped (as :meth:`read` does).
        """
        from brandkit.ocr_rapid import recognize_quads

        def read_line(crop: np.ndarray) -> tuple[str, float] | None:
            with self._lock:
                output = self._loaded_engine()(crop, use_det=False, use_cls=False, use_rec=True)
            texts: list[Any] = list(getattr(output, "txts", None) or ())
            scores: list[Any] = list(getattr(output, "scores", None) or ())
            return (str(texts[0]), float(scores[0])) if texts else None

        return recognize_quads(bgr, quads, float(self._params["Global.text_score"]), read_line)


def default_ocr_engine(warm_cache: WarmCache | None = None, *, threads: int | None = None) -> OnnxOcrEngine:
    """A new OCR engine with the measured default configuration: :class:`brandkit.ocr_onnx.OnnxOcrEngine`.

    It reads exactly what :class:`RapidOcrEngine` reads (same models and processing, no rapidocr import: ~0.9 s of
    CPU less per process). Not a singleton: store it in ``CheckResources`` (key ``"ocr"``) and reuse it; its
    :meth:`~brandkit.ocr_onnx.OnnxOcrEngine.load` is idempotent and thread-safe (warm start calls it early).
    ``warm_cache``: where the models' optimised graphs are kept between processes (``None``: not kept).
    ``threads``: onnxruntime's intra-op threads (``None``: the default configuration's 2; one per worker process is
    what ``validate --jobs`` gives its workers when they fill the cores).
    """
    from brandkit.ocr_onnx import OnnxOcrEngine

    if threads is not None and threads < 1:
        raise ValueError(f"default_ocr_engine: threads must be at least 1, not {threads}")
    params = None if threads is None else {"EngineConfig.onnxruntime.intra_op_num_threads": threads}
    return OnnxOcrEngine(params, warm_cache=warm_cache)


@dataclass
class OcrReading:
    """The OCR result of one image, shared between checks through ``ctx.memo``.

    Exactly one of ``lines`` (possibly empty) and ``error`` is set. ``mode``: ``"layout"`` (copy areas plus a
    sweep, :mod:`brandkit.ocr_regions`) or ``"full"`` (the whole image), ``mode_reason`` why not by layout.
    """

    engine: str
    lines: list[OcrLine] | None = None
    error: str | None = None
    elapsed_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    mode: str = "full"
    mode_reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when the image was read (even if no text was found)."""
        return self.lines is not None

    @property
    def full_text(self) -> str:
        """All lines joined with newlines, in reading order."""
        return "\n".join(line.text for line in self.lines or [])
