"""The OCR engine on onnxruntime alone: rapidocr's bundled PP-OCRv6 models without importing rapidocr.

:class:`OnnxOcrEngine` is what :func:`brandkit.ocr.default_ocr_engine` returns. It reads exactly what
:class:`brandkit.ocr.RapidOcrEngine` (rapidocr 3.x, kept as the reference) reads — same model files, same
pre/post-processing (:mod:`brandkit.ocr_ppocr`), same configuration (:data:`brandkit.ocr_types.DEFAULT_RAPIDOCR_PARAMS`:
detector long side 960, no angle classifier, one line per recognition pass, text score ≥ 0.5, CPU memory arena on,
2 intra-op threads, 1 inter-op thread) — checked line for line on the OCR corpus by ``tests/test_ocr_onnx.py``.

Why: ``from rapidocr import RapidOCR`` costs ~0.9 s of CPU (its config is YAML loaded through OmegaConf) and
rapidocr's sessions had to be built twice (once by rapidocr, once more without spinning threads); this engine
builds each onnxruntime session once, with spinning off (:data:`brandkit.ocr_rapid.NO_SPINNING`) from the start.
The models are found in the installed rapidocr package's ``models`` directory (located without importing it).
Given a warm cache, each session's optimised graph is kept there (kind :data:`CACHE_KIND`, through
:mod:`brandkit.onnx_graphs`): a later process loads it with the graph optimisers off — the same graph, the same
readings — instead of optimising both models again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from PIL import Image

from brandkit import ocr_models
from brandkit.geometry import PixelBox
from brandkit.ocr_ppocr import DB_UNCLIP
from brandkit.ocr_rapid import to_bgr
from brandkit.ocr_types import DEFAULT_RAPIDOCR_PARAMS, LazyEngine, OcrLine, OcrUnavailableError, Quad, reading_order

if TYPE_CHECKING:
    from brandkit.warm_cache import WarmCache

__all__ = [
    "CACHE_KIND",
    "DET_MODEL",
    "FAST_THREADS",
    "OCR_FAST_ENGINE_KEY",
    "OCR_FAST_RESOURCE_KEY",
    "REC_MODEL",
    "REFERENCE_MODELS",
    "TINY_MODELS",
    "OcrModels",
    "OnnxOcrEngine",
    "fast_ocr_engine",
    "model_dir",
]

CACHE_KIND = "ocr-onnx"
"""The warm cache's kind for the OCR models' optimised graphs."""

DET_MODEL = "PP-OCRv6_det_small.onnx"
"""The text detector's file in rapidocr's ``models`` directory."""
REC_MODEL = "PP-OCRv6_rec_small.onnx"
"""The text recogniser's file (its character list is in the model's metadata, key ``character``)."""


@dataclass(frozen=True)
class OcrModels:
    """One detector + recogniser pair the engine can run, and where its recogniser's characters are.

    ``source``: ``"rapidocr"``, the installed rapidocr package's ``models`` directory (:func:`model_dir`), or
    ``"brandkit"``, the files brandkit ships (:mod:`brandkit.ocr_models`); located when loading, never at import.
    ``dictionary``: a file of one character per line beside the models, or ``None`` when the recogniser carries
    its character list in its metadata (key ``character``, RapidOCR's convention).
    """

    name: str
    det: str
    rec: str
    source: Literal["rapidocr", "brandkit"] = "rapidocr"
    dictionary: str | None = None
    unclip: float = DB_UNCLIP
    """How far the detector's shrunk text regions are grown back into line boxes (``Det.unclip_ratio``; rapidocr's
    default, :data:`brandkit.ocr_ppocr.DB_UNCLIP`, unless given)."""

    def folder(self) -> Path:
        """Where the files are (raises :class:`OcrUnavailableError` when rapidocr is not installed)."""
        if self.source == "brandkit":
            return ocr_models.folder()
        return model_dir()

    def paths(self) -> tuple[Path, Path]:
        """The detector's and the recogniser's files."""
        base = self.folder()
        return base / self.det, base / self.rec

    def characters(self, rec_session: Any) -> list[str]:
        """The recogniser's output classes: blank, the characters, space (rapidocr's ``CTCLabelDecode``)."""
        if self.dictionary is not None:
            chars = (self.folder() / self.dictionary).read_text(encoding="utf-8").splitlines()
        else:
            meta = rec_session.get_modelmeta().custom_metadata_map
            if "character" not in meta:
                raise OcrUnavailableError(f"{self.rec} holds no character list")
            chars = meta["character"].splitlines()
        return ["blank", *chars, " "]


REFERENCE_MODELS = OcrModels(name="PP-OCRv6 small", det=DET_MODEL, rec=REC_MODEL)
"""rapidocr's bundled models: the reference every reading is measured against, and the full-image read's."""

TINY_MODELS = OcrModels(
    name="PP-OCRv6 tiny",
    det=ocr_models.DET_MODEL,
    rec=ocr_models.REC_MODEL,
    source="brandkit",
    dictionary=ocr_models.DICTIONARY,
    unclip=1.4,
)
"""The tiny models brandkit ships (:mod:`brandkit.ocr_models`): the layout read's first, fast reading."""


def model_dir() -> Path:
    """rapidocr's bundled ``models`` directory, found without importing rapidocr (raises when not installed)."""
    from importlib.util import find_spec

    spec = find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise OcrUnavailableError("rapidocr (which ships the OCR models) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class OnnxOcrEngine(LazyEngine):
    """PP-OCRv6 on onnxruntime, loaded lazily once, thread-safe (every call serialised by one lock).

    ``params``: the subset of rapidocr's dotted keys this engine honours (:data:`SUPPORTED`), overriding
    :data:`~brandkit.ocr_types.DEFAULT_RAPIDOCR_PARAMS`; any other key is refused with a ``ValueError`` (never
    silently dropped; ``Global.log_level`` is accepted and has no effect: this engine logs nothing). :meth:`load` is
    idempotent and thread-safe: a second caller waits for the first and never loads twice. A failure to load is
    remembered and reported through :attr:`unavailable_reason`. ``warm_cache``: where the models' optimised graphs
    are kept between processes (``None``: optimised at every load).
    """

    name = "rapidocr"  # reports keep naming the reading's origin: rapidocr's models and processing
    unavailable_prefix = "the OCR models could not be loaded"
    SUPPORTED = frozenset(DEFAULT_RAPIDOCR_PARAMS)

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        warm_cache: WarmCache | None = None,
        models: OcrModels = REFERENCE_MODELS,
    ) -> None:
        self._params: dict[str, Any] = dict(DEFAULT_RAPIDOCR_PARAMS)
        unknown = sorted(set(params or {}) - self.SUPPORTED)
        if unknown:
            raise ValueError(f"OnnxOcrEngine does not support the parameter(s) {', '.join(unknown)}")
        self._params.update(params or {})
        if self._params["Global.use_cls"] or self._params["Det.limit_type"] != "max":
            raise ValueError("OnnxOcrEngine reads upright text with Det.limit_type 'max' only")
        if int(self._params["Rec.rec_batch_num"]) != 1:
            raise ValueError("OnnxOcrEngine recognises one line per pass (Rec.rec_batch_num 1)")
        super().__init__()
        self._warm_cache = warm_cache
        self.models = models
        """The detector and recogniser this engine runs (:data:`REFERENCE_MODELS` unless given)."""
        self._det: Any = None
        self._rec: Any = None
        self._characters: list[str] = []
        self.spinning: str | None = None
        """``None``: the sessions are built with spinning off (kept for parity with ``RapidOcrEngine``)."""

    @property
    def params(self) -> dict[str, Any]:
        """The configuration (rapidocr's dotted keys; a copy)."""
        return dict(self._params)

    def _options(self, optimise: bool) -> Any:
        """onnxruntime session options from the configuration, spinning off; ``optimise=False``: graph optimisers
        off (a graph loaded from the warm cache is already optimised)."""
        import onnxruntime as ort

        from brandkit.ocr_rapid import NO_SPINNING

        options = ort.SessionOptions()
        options.log_severity_level = 4
        options.enable_cpu_mem_arena = bool(self._params["EngineConfig.onnxruntime.enable_cpu_mem_arena"])
        options.graph_optimization_level = (
            ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimise else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        )
        for key, attr in (("intra", "intra_op_num_threads"), ("inter", "inter_op_num_threads")):
            threads = int(self._params[f"EngineConfig.onnxruntime.{key}_op_num_threads"])
            if threads >= 1:
                setattr(options, attr, threads)
        for key, value in NO_SPINNING.items():
            options.add_session_config_entry(key, value)
        return options

    def _session(self, path: Path) -> Any:
        from brandkit.onnx_graphs import load_session

        provider = ("CPUExecutionProvider", {"arena_extend_strategy": "kSameAsRequested"})  # rapidocr's
        return load_session(
            path,
            self._options,
            kind=CACHE_KIND,
            settings={},
            warm_cache=self._warm_cache,
            what="OCR model",
            providers=[provider],
        )

    def _load_models(self) -> None:
        det, rec = self.models.paths()
        self._det = self._session(det)
        self._rec = self._session(rec)
        self._characters = self.models.characters(self._rec)

    def _drop_models(self) -> None:
        self._det = self._rec = None

    def sessions(self) -> list[Any]:
        """The onnxruntime sessions (detector, recogniser), loading them first; empty when unavailable."""
        self.load()
        return [] if self._det is None else [self._det, self._rec]

    def _ready(self) -> None:
        self._load_locked()
        if self._det is None:
            raise OcrUnavailableError(self._error or "the OCR engine is unavailable")

    # -- the two models, as rapidocr calls them (lock held) ------------------------------------------------

    def _detect_locked(self, img: np.ndarray, wide_padding: bool = True) -> np.ndarray:
        """rapidocr's ``engine(img, use_det=True, use_rec=False)`` boxes, in ``img`` pixels (N×4×2 float32).

        ``wide_padding=False``: a wide strip is not padded (:func:`brandkit.ocr_rapid.pads_wide_strip`).
        """
        from brandkit.ocr_ppocr import bound_image, db_boxes, det_input, pad_strip
        from brandkit.ocr_rapid import pads_wide_strip

        bounded, ratio_h, ratio_w = bound_image(img)
        if pads_wide_strip(img.shape, wide_padding):
            padded, top = pad_strip(bounded)
        else:
            padded, top = bounded, 0
        tensor = det_input(padded, int(self._params["Det.limit_side_len"]))
        if tensor is None:
            return np.zeros((0, 4, 2), dtype=np.float32)
        pred = self._det.run(None, {self._det.get_inputs()[0].name: tensor})[0]
        boxes = db_boxes(pred, padded.shape[0], padded.shape[1], self.models.unclip)
        return self._to_original(boxes, top, ratio_h, ratio_w, img.shape)

    @staticmethod
    def _to_original(boxes: np.ndarray, top: int, ratio_h: float, ratio_w: float, shape: tuple[int, ...]) -> np.ndarray:
        """Boxes on the detector's bounded, padded image back in the original image (rapidocr's mapping)."""
        boxes = boxes.copy()
        boxes[:, :, 1] -= top
        boxes[:, :, 0] *= ratio_w
        boxes[:, :, 1] *= ratio_h
        boxes = np.where(boxes < 0, 0, boxes)
        boxes[..., 0] = np.where(boxes[..., 0] > shape[1], shape[1], boxes[..., 0])
        boxes[..., 1] = np.where(boxes[..., 1] > shape[0], shape[0], boxes[..., 1])
        out: np.ndarray = boxes
        return out

    def _recognize_locked(self, line: np.ndarray) -> tuple[str, float]:
        """rapidocr's ``engine(line, use_det=False, use_rec=True)``: the line bounded as an image, then read."""
        from brandkit.ocr_ppocr import bound_image, ctc_decode, rec_input

        bounded, _, _ = bound_image(line)
        preds = self._rec.run(None, {self._rec.get_inputs()[0].name: rec_input(bounded)})[0]
        return ctc_decode(preds, self._characters)

    # -- the OcrEngine / RegionOcrEngine API -----------------------------------------------------------------

    def read(self, image: Image.Image) -> list[OcrLine]:
        """Every text line on ``image`` in reading order (raises :class:`OcrUnavailableError` when unavailable)."""
        from brandkit.ocr_ppocr import bound_image, ctc_decode, db_boxes, det_input, pad_strip, rec_input
        from brandkit.ocr_rapid import quad_box, rotate_crop

        bgr = to_bgr(image)
        height, width = bgr.shape[:2]
        min_score = float(self._params["Global.text_score"])
        with self._lock:
            self._ready()
            bounded, ratio_h, ratio_w = bound_image(bgr)
            padded, top = pad_strip(bounded)
            tensor = det_input(padded, int(self._params["Det.limit_side_len"]))
            if tensor is None:
                return []
            pred = self._det.run(None, {self._det.get_inputs()[0].name: tensor})[0]
            boxes = db_boxes(pred, padded.shape[0], padded.shape[1], self.models.unclip)
            read: list[tuple[str, float]] = []
            for box in boxes:  # rapidocr crops from the detector's (bounded, padded) image, then reads each crop
                crop = rotate_crop(padded, box.copy())
                preds = self._rec.run(None, {self._rec.get_inputs()[0].name: rec_input(crop)})[0]
                read.append(ctc_decode(preds, self._characters))
        quads = self._to_original(boxes, top, ratio_h, ratio_w, bgr.shape)
        lines: list[OcrLine] = []
        for quad, (text, score) in zip(quads, read, strict=True):
            if not text.strip() or score < min_score:
                continue
            x0, y0, x1, y1 = quad_box(quad, width, height)
            if x1 <= x0 or y1 <= y0:
                continue
            lines.append(OcrLine(text, (x0, y0, x1, y1), score))
        return reading_order(lines)

    def detect(self, bgr: np.ndarray, box: PixelBox, scale: float, *, wide_padding: bool = True) -> list[Quad]:
        """Text lines found in ``bgr[y0:y1, x0:x1]`` resized by ``scale``, as quads in image pixels.

        ``wide_padding=False``: a crop wider than 8× its height (and over 30 px high) is detected without the black
        rows rapidocr adds above and below it, with just the rows it lacks to the detector's 32-px grid
        (:func:`brandkit.ocr_rapid.pads_wide_strip`, :func:`brandkit.ocr_rapid.grid_rows`).
        """
        from brandkit.ocr_rapid import grid_rows, quads_in_image, rows_removed, scaled_crop

        crop = scaled_crop(bgr, box, scale)
        if crop.size == 0:
            return []
        gridded, top = grid_rows(crop, wide_padding)
        with self._lock:
            self._ready()
            found = self._detect_locked(gridded, wide_padding)
        return quads_in_image(rows_removed(found, top, crop.shape[0]), box, crop.shape)

    def detect_grid(self, bgr: np.ndarray, boxes: list[PixelBox]) -> list[list[Quad]]:
        """Text lines in each box, detected on the whole-image read's own detector input (as ``RapidOcrEngine``)."""
        from brandkit.ocr_rapid import detect_on_grid

        def detect(crop: np.ndarray) -> list[Any]:
            with self._lock:
                self._ready()
                return list(self._detect_locked(crop))

        return detect_on_grid(bgr, boxes, int(self._params["Det.limit_side_len"]), detect)

    def recognize(self, bgr: np.ndarray, quads: list[Quad]) -> list[OcrLine]:
        """Read each quad from the full-resolution ``bgr``, one line per pass (empty or low-score lines dropped)."""
        from brandkit.ocr_rapid import recognize_quads

        def read_line(crop: np.ndarray) -> tuple[str, float]:
            with self._lock:
                self._ready()
                return self._recognize_locked(crop)

        return recognize_quads(bgr, quads, float(self._params["Global.text_score"]), read_line)


OCR_FAST_RESOURCE_KEY = "ocr_fast"
"""Key in :class:`~brandkit.checks.base.CheckResources`: ``False`` turns the fast first read of a layout off (read
with the reference models only, as before it existed); default ``True`` (:mod:`brandkit.checks.ocr_reading`)."""

OCR_FAST_ENGINE_KEY = "ocr_fast_engine"
"""Key in :class:`~brandkit.checks.base.CheckResources` of the fast engine (made from the reference engine's
configuration on first use, then shared like the reference engine)."""


FAST_THREADS = 1
"""onnxruntime intra-op threads of the fast engine, whatever the reference engine's (its other settings are the
reference's). Measured on the 1024² ad's layout read: one thread costs ~10 % less CPU (159–164 against 176–190 ms)
and ~40 ms more wall time (143–147 against 105–116 ms) than two — the tiny models' kernels are too small to share
well, and under ``validate --jobs N`` the processes already fill the cores."""


class _Resources(Protocol):
    def get(self, key: str, factory: Callable[[], Any]) -> Any: ...


def fast_ocr_engine(resources: _Resources, engine: object) -> OnnxOcrEngine | None:
    """The fast engine (:data:`TINY_MODELS`) that reads a layout first on behalf of ``engine``, made once per
    ``resources`` and not loaded here; ``None`` when turned off (:data:`OCR_FAST_RESOURCE_KEY`) or when ``engine``
    is not an :class:`OnnxOcrEngine` on :data:`REFERENCE_MODELS` (a caller's own engine is used as given). It takes
    ``engine``'s configuration but :data:`FAST_THREADS` intra-op threads."""
    from brandkit.warm_cache import WarmCache

    if resources.get(OCR_FAST_RESOURCE_KEY, lambda: True) is False:
        return None
    if not isinstance(engine, OnnxOcrEngine) or engine.models != REFERENCE_MODELS:
        return None
    cache = WarmCache.of(resources)
    params = {**engine.params, "EngineConfig.onnxruntime.intra_op_num_threads": FAST_THREADS}
    fast = resources.get(OCR_FAST_ENGINE_KEY, lambda: OnnxOcrEngine(params, warm_cache=cache, models=TINY_MODELS))
    if not isinstance(fast, OnnxOcrEngine):
        raise TypeError(f"check resource {OCR_FAST_ENGINE_KEY!r} holds a {type(fast).__name__}, not an OnnxOcrEngine")
    return fast
