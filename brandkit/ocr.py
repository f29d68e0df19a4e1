"""OCR engine wrapper: read the text rendered on an image, offline.

:class:`RapidOcrEngine` wraps rapidocr 3.x (PP-OCRv6 small detection and
recognition models, bundled in the wheel, so it works with no network). The
engine is created lazily on first use, once per :class:`RapidOcrEngine`
instance, and every call is serialised with a lock (rapidocr mutates its own
parameters on each call, so one instance must not be used by two threads at
once).

Configuration (measured in ``offline-components.md`` §3): the detector resizes
so that the *long* side is at most 960 px (``Det.limit_type=max``,
``Det.limit_side_len=960``; the default ``min``/736 blows a 1024×200 banner
up to ~3800×736 and is 9× slower) and the angle classifier is off
(``Global.use_cls=False``; marketing copy is upright). onnxruntime's CPU memory
arena is on (the engine is long-lived; ~5–10% faster per call). A smaller
detector side (800) is ~15% faster on 1024² images with the same results on the
test corpus, but loses 10 px light-on-dark text, so 960 stays.

There is no global engine: callers keep one in
:class:`brandkit.checks.base.CheckResources` under :data:`OCR_RESOURCE_KEY`
(``ctx.resources.get("ocr", default_ocr_engine)``) and share the reading of
one image between checks with :func:`ocr_for_context`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from PIL import Image

__all__ = [
    "DEFAULT_RAPIDOCR_PARAMS",
    "OCR_MEMO_KEY",
    "OCR_RESOURCE_KEY",
    "RAPIDOCR_READABLE_SCRIPTS",
    "OcrEngine",
    "OcrLine",
    "OcrReading",
    "OcrUnavailableError",
    "RapidOcrEngine",
    "default_ocr_engine",
    "reading_order",
    "unreadable_scripts",
]

OCR_RESOURCE_KEY = "ocr"
"""Key of the shared OCR engine in :class:`~brandkit.checks.base.CheckResources`."""

OCR_MEMO_KEY = "ocr"
"""Key of the per-image OCR reading in :meth:`~brandkit.checks.base.CheckContext.memo`."""

DEFAULT_RAPIDOCR_PARAMS: Mapping[str, Any] = {
    "Det.limit_type": "max",
    "Det.limit_side_len": 960,
    "Global.use_cls": False,
    # one line per recognition pass: in a batch, each line is padded to the widest one's aspect ratio, and the
    # padding changes what is read (measured: "your rhythm" read as "yourrhythm" beside a longer line)
    "Rec.rec_batch_num": 1,
    "Global.log_level": "error",
    "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
}
"""rapidocr 3.x parameters used by :func:`default_ocr_engine` (see the module docstring)."""


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


def _to_rgb_array(image: Image.Image) -> np.ndarray:
    """RGB uint8 array; transparent pixels composited over white."""
    if image.mode == "RGB":
        rgb8: np.ndarray = np.asarray(image, dtype=np.uint8)
        return rgb8
    if image.mode != "RGBA":
        image = image.convert("RGBA")
    rgba = np.asarray(image, dtype=np.float32)
    alpha = rgba[..., 3:4] / 255.0
    rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
    out: np.ndarray = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    return out


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


class RapidOcrEngine:
    """rapidocr 3.x (PP-OCRv6, onnxruntime) loaded lazily once, thread-safe.

    ``params`` override :data:`DEFAULT_RAPIDOCR_PARAMS` (rapidocr's dotted
    config keys). Checking :attr:`available` loads the engine (about 1–2 s
    the first time); a failure to import or load is remembered and reported
    through :attr:`unavailable_reason` instead of raising.
    """

    name = "rapidocr"

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        self._params: dict[str, Any] = dict(DEFAULT_RAPIDOCR_PARAMS)
        if params:
            self._params.update(params)
        self._lock = threading.Lock()
        self._engine: Any = None
        self._error: str | None = None
        self._loaded = False
        self.load_seconds: float | None = None

    @property
    def params(self) -> dict[str, Any]:
        """The rapidocr parameters this engine is created with (a copy)."""
        return dict(self._params)

    def _load_locked(self) -> None:
        if self._loaded:
            return
        import time

        started = time.perf_counter()
        try:
            from rapidocr import RapidOCR

            engine = RapidOCR(params=dict(self._params))
            # The models load on the first call; run it now on a tiny image so
            # that a broken model file or runtime shows up here, not mid-check.
            engine(np.full((32, 96, 3), 255, dtype=np.uint8))
        except Exception as exc:  # any failure means "unavailable", with the reason
            self._error = f"rapidocr could not be loaded: {type(exc).__name__}: {exc}"
            self._engine = None
        else:
            self._engine = engine
            self._error = None
        self.load_seconds = time.perf_counter() - started
        self._loaded = True

    def load(self) -> None:
        """Import and load the engine now (idempotent; never raises)."""
        with self._lock:
            self._load_locked()

    @property
    def available(self) -> bool:
        """True when the engine loaded (loads it on first access)."""
        self.load()
        return self._engine is not None

    @property
    def unavailable_reason(self) -> str | None:
        """Why the engine could not be loaded, or ``None`` (loads it on first access)."""
        self.load()
        return self._error

    def read(self, image: Image.Image) -> list[OcrLine]:
        """Every text line on ``image`` in reading order.

        Raises :class:`OcrUnavailableError` when the engine is unavailable.
        """
        array = _to_rgb_array(image)
        bgr = np.ascontiguousarray(array[..., ::-1])
        height, width = array.shape[:2]
        with self._lock:
            self._load_locked()
            if self._engine is None:
                raise OcrUnavailableError(self._error or "rapidocr is unavailable")
            output = self._engine(bgr)
        boxes = getattr(output, "boxes", None)
        texts = getattr(output, "txts", None)
        scores = getattr(output, "scores", None)
        if boxes is None or texts is None:
            return []
        lines: list[OcrLine] = []
        for quad, text, score in zip(boxes, texts, scores or [1.0] * len(texts), strict=False):
            if not str(text).strip():
                continue
            pts = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
            x0 = int(np.clip(np.floor(pts[:, 0].min()), 0, width))
            y0 = int(np.clip(np.floor(pts[:, 1].min()), 0, height))
            x1 = int(np.clip(np.ceil(pts[:, 0].max()), 0, width))
            y1 = int(np.clip(np.ceil(pts[:, 1].max()), 0, height))
            if x1 <= x0 or y1 <= y0:
                continue
            lines.append(OcrLine(str(text), (x0, y0, x1, y1), float(score)))
        return reading_order(lines)


def default_ocr_engine() -> RapidOcrEngine:
    """A new :class:`RapidOcrEngine` with the measured default configuration.

    Not a singleton: store it in ``CheckResources`` (key ``"ocr"``) and reuse it.
    """
    return RapidOcrEngine()


@dataclass
class OcrReading:
    """The OCR result of one image, shared between checks through ``ctx.memo``.

    Exactly one of ``lines`` (possibly empty) and ``error`` is set.
    """

    engine: str
    lines: list[OcrLine] | None = None
    error: str | None = None
    elapsed_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the image was read (even if no text was found)."""
        return self.lines is not None

    @property
    def full_text(self) -> str:
        """All lines joined with newlines, in reading order."""
        return "\n".join(line.text for line in self.lines or [])
