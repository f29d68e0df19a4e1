"""What :class:`brandkit.ocr.RapidOcrEngine` needs from rapidocr's and onnxruntime's insides, in one place.

**Quiet threads.**
onnxruntime's CPU thread pools spin-wait after each run by default (``session.intra_op.allow_spinning`` and
``session.inter_op.allow_spinning`` are ``"1"``), so a worker thread keeps a core busy for a while after every
read and slows whatever runs next (the other checks, another image). rapidocr 3.x passes the thread *counts*
through its config (``EngineConfig.onnxruntime.intra_op_num_threads`` / ``inter_op_num_threads``, set in
:data:`brandkit.ocr.DEFAULT_RAPIDOCR_PARAMS`) but not session config entries, so :func:`quiet_sessions`
rebuilds each loaded session from the same model file with the same options plus spinning switched off.

Measured (``python -m benchmarks.bench_ocr``): CPU time burnt in the half second after a read drops from
~33 ms to ~0 ms, and the whole-image read costs ~35 % less CPU time under load.

**Regions.** :func:`scaled_crop` cuts and resizes one box of the image for the detector (the sweep) and
:func:`quads_in_image` maps the detector's quads back to image pixels (a wide copy area goes without rapidocr's strip
padding: :func:`pads_wide_strip`, :func:`grid_rows`); :func:`detector_grid` is the image as
the whole-image read's detector sees it and :func:`grid_window` a box on its 32-px grid (copy areas);
:func:`line_crop` cuts one line for the recogniser from the full-resolution image exactly as rapidocr's
whole-image read does (:func:`rotate_crop`), and :func:`quad_box` is the
line's axis-aligned box as :meth:`~brandkit.ocr.RapidOcrEngine.read` reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from brandkit.geometry import PixelBox
from brandkit.ocr_types import OcrLine

__all__ = [
    "NO_SPINNING",
    "detect_on_grid",
    "detector_grid",
    "grid_rows",
    "grid_window",
    "line_crop",
    "pads_wide_strip",
    "quad_box",
    "quads_in_image",
    "quiet_sessions",
    "recognize_quads",
    "rotate_crop",
    "rows_removed",
    "scaled_crop",
    "spinning_entries",
    "strips_unpadded",
    "to_bgr",
]

NO_SPINNING: dict[str, str] = {
    "session.intra_op.allow_spinning": "0",
    "session.inter_op.allow_spinning": "0",
}
"""onnxruntime session config entries that stop the thread pools from spin-waiting between runs."""


def _rebuilt(session: Any) -> Any:
    """A new ``InferenceSession`` on ``session``'s model file, with its options and :data:`NO_SPINNING`."""
    import onnxruntime as ort

    model_path = session._model_path  # onnxruntime keeps the file it loaded here (no public accessor)
    if not isinstance(model_path, (str, Path)) or not Path(model_path).is_file():
        raise RuntimeError("the OCR model's file is unknown, so its session cannot be rebuilt without spinning")
    options = session.get_session_options()
    for key, value in NO_SPINNING.items():
        options.add_session_config_entry(key, value)
    return ort.InferenceSession(str(model_path), sess_options=options, providers=session.get_providers())


def quiet_sessions(parts: list[Any]) -> str | None:
    """Rebuild the onnxruntime session of each rapidocr model wrapper in ``parts`` without spinning.

    Each part is a rapidocr ``TextDetector`` / ``TextRecognizer`` (its ``session`` is rapidocr's
    ``OrtInferSession``, whose ``session`` is the ``onnxruntime.InferenceSession``). Returns ``None`` when every
    session was rebuilt, else why not (the engine still reads, with spinning threads: the caller warns and
    reports it, never silently).
    """
    for part in parts:
        wrapper = getattr(part, "session", None)
        session = getattr(wrapper, "session", None)
        if session is None:
            return f"rapidocr's {type(part).__name__} holds no onnxruntime session to rebuild"
        try:
            wrapper.session = _rebuilt(session)  # type: ignore[union-attr]
        except Exception as exc:  # keep the working session; say why it still spins
            return f"{type(part).__name__}: {type(exc).__name__}: {exc}"
    return None


def spinning_entries(session: Any) -> dict[str, str]:
    """The spinning config entries of an ``InferenceSession`` (``"1"``, onnxruntime's default, when unset)."""
    options = session.get_session_options()
    out: dict[str, str] = {}
    for key in NO_SPINNING:
        try:
            out[key] = options.get_session_config_entry(key)
        except Exception:  # onnxruntime raises when the entry was never set
            out[key] = "1"
    return out


def pads_wide_strip(shape: tuple[int, ...], wide_padding: bool) -> bool:
    """Whether a crop of ``shape`` goes to the detector as rapidocr sends it (both engines decide alike); False only
    for a wide strip (wider than 8× its height, over 30 px high, within 2,000 px) when ``wide_padding`` is off.

    rapidocr adds black rows above and below a crop lower than 30 px or wider than 8× its height
    (``apply_vertical_padding``; :func:`brandkit.ocr_ppocr.pad_strip`). The rows carry nothing, yet the detector
    runs over them: a copy area one disclaimer line high (964×86 px at 0.94) becomes 904×226 px, 2.6× the pixels.
    With ``wide_padding=False`` a crop over 30 px high whose long side is within rapidocr's 2,000 px bound is
    detected with only the rows its height lacks to the detector's 32-px grid (:func:`grid_rows`; measured on the
    50 OCR benchmark images: every line reads the same, boxes move 1–5 px); a lower crop is still padded, as the
    detector needs.
    """
    from brandkit.ocr_ppocr import MAX_SIDE, MIN_HEIGHT, STRIP_RATIO

    height, width = shape[0], shape[1]
    wide_strip = height > MIN_HEIGHT and width > STRIP_RATIO * height and width <= MAX_SIDE
    return wide_padding or not wide_strip


def grid_rows(crop: np.ndarray, wide_padding: bool) -> tuple[np.ndarray, int]:
    """A crop the detector takes without rapidocr's strip padding (:func:`pads_wide_strip` False), given black rows
    above and below up to the next multiple of 32 px — the detector's grid, so its input is not stretched — and the
    rows added on top; any other crop unchanged (``0`` rows). :func:`rows_removed` maps the quads back."""
    import cv2

    if pads_wide_strip(crop.shape, wide_padding) or crop.shape[0] % 32 == 0:
        return crop, 0
    extra = 32 - crop.shape[0] % 32
    top = extra // 2
    padded: np.ndarray = cv2.copyMakeBorder(crop, top, extra - top, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    return padded, top


def rows_removed(quads: Any, top: int, height: int) -> list[np.ndarray]:
    """Quads found on a :func:`grid_rows` crop, as (4, 2) float32 quads on the crop itself (``height`` rows)."""
    out: list[np.ndarray] = []
    for quad in quads if quads is not None else []:
        pts = np.asarray(quad, dtype=np.float32).reshape(4, 2).copy()
        pts[:, 1] = np.clip(pts[:, 1] - top, 0, height)
        out.append(pts)
    return out


@contextmanager
def strips_unpadded(engine: Any, shape: tuple[int, ...], wide_padding: bool) -> Iterator[None]:
    """rapidocr's ``engine`` pads no wide strip of ``shape`` inside the block when :func:`pads_wide_strip` says
    so (its ``width_height_ratio`` set to ``-1``, rapidocr's "no limit", then restored; call with the lock held)."""
    if pads_wide_strip(shape, wide_padding):
        yield
        return
    previous = engine.width_height_ratio
    engine.width_height_ratio = -1
    try:
        yield
    finally:
        engine.width_height_ratio = previous


def scaled_crop(bgr: np.ndarray, box: PixelBox, scale: float) -> np.ndarray:
    """``bgr[y0:y1, x0:x1]`` resized by ``scale`` (area interpolation when shrinking, cubic when enlarging)."""
    import cv2

    x0, y0, x1, y1 = box
    crop = bgr[y0:y1, x0:x1]
    if crop.size == 0 or scale == 1.0:
        return np.ascontiguousarray(crop)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(crop, size, interpolation=interpolation))


def quads_in_image(boxes: Any, box: PixelBox, crop_shape: tuple[int, ...]) -> list[np.ndarray]:
    """The detector's quads on a :func:`scaled_crop` of ``box`` (``crop_shape``), as 4×2 float32 image pixels."""
    if boxes is None:
        return []
    x0, y0, x1, y1 = box
    factor = np.array([(x1 - x0) / max(1, crop_shape[1]), (y1 - y0) / max(1, crop_shape[0])], dtype=np.float32)
    offset = np.array([x0, y0], dtype=np.float32)
    return [np.asarray(quad, dtype=np.float32).reshape(4, 2) * factor + offset for quad in boxes]


def line_crop(bgr: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The recogniser's input for one line: the quad cut (and straightened) from the full-resolution image."""
    height, width = bgr.shape[:2]
    pts = np.clip(np.asarray(quad, dtype=np.float32).reshape(4, 2), 0, [width - 1, height - 1]).astype(np.float32)
    return rotate_crop(bgr, pts)


def rotate_crop(img: np.ndarray, points: np.ndarray) -> np.ndarray:
    """A quad (4×2 float32, clockwise from top-left) cut and straightened as rapidocr does
    (``rapidocr.utils.process_img.get_rotate_crop_image``: cubic perspective warp, edges replicated; a crop at
    least 1.5× taller than wide is turned a quarter)."""
    import cv2

    width = int(max(np.linalg.norm(points[0] - points[1]), np.linalg.norm(points[2] - points[3])))
    height = int(max(np.linalg.norm(points[0] - points[3]), np.linalg.norm(points[1] - points[2])))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]]).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(points, target)
    crop: np.ndarray = cv2.warpPerspective(
        img, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    )
    if crop.shape[0] * 1.0 / crop.shape[1] >= 1.5:
        crop = np.rot90(crop)
    return crop


def quad_box(quad: np.ndarray, width: int, height: int) -> PixelBox:
    """Axis-aligned box ``(x0, y0, x1, y1)`` of a quad, clipped to the image (as the whole-image read reports)."""
    pts = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
    x0 = int(np.clip(np.floor(pts[:, 0].min()), 0, width))
    y0 = int(np.clip(np.floor(pts[:, 1].min()), 0, height))
    x1 = int(np.clip(np.ceil(pts[:, 0].max()), 0, width))
    y1 = int(np.clip(np.ceil(pts[:, 1].max()), 0, height))
    return x0, y0, x1, y1


def to_bgr(image: Image.Image) -> np.ndarray:
    """The contiguous BGR uint8 array the engine reads (transparent pixels over white)."""
    return np.ascontiguousarray(_to_rgb_array(image)[..., ::-1])


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


def detector_grid(bgr: np.ndarray, side: int) -> tuple[np.ndarray, float, float]:
    """The image as the whole-image read's detector sees it, and its x / y scale factors.

    rapidocr first bounds the image to 2000 px (``Global.max_side_len``), then resizes it so the long side is at
    most ``side`` and each side a multiple of 32 (``DetPreProcess.resize``, linear interpolation). Cutting copy
    areas from this one image on its 32-px grid gives the detector the very pixels the whole-image read gives it.
    """
    import cv2

    height, width = bgr.shape[:2]
    bound = min(1.0, 2000 / max(width, height))
    ratio = bound * min(1.0, side / (max(width, height) * bound))
    grid_h = max(32, round(int(height * ratio) / 32) * 32)
    grid_w = max(32, round(int(width * ratio) / 32) * 32)
    if bound < 1.0:  # as rapidocr's preprocessing does first
        bgr = cv2.resize(bgr, (int(width * bound), int(height * bound)))
    resized = cv2.resize(bgr, (grid_w, grid_h))
    return resized, grid_w / width, grid_h / height


def grid_window(box: PixelBox, fx: float, fy: float, shape: tuple[int, ...]) -> PixelBox:
    """``box`` (image px) on the detector grid: 32-px aligned, no wider than 8× its height (rapidocr pads strips
    wider than that with blank rows; a taller window of real pixels keeps the whole-image read's input)."""
    grid_h, grid_w = shape[0], shape[1]
    x0 = max(0, int(box[0] * fx) // 32 * 32)
    y0 = max(0, int(box[1] * fy) // 32 * 32)
    x1 = min(grid_w, -(-int(np.ceil(box[2] * fx)) // 32) * 32)
    y1 = min(grid_h, -(-int(np.ceil(box[3] * fy)) // 32) * 32)
    need = -(-(x1 - x0) // 8 // 32) * 32 + 32
    while y1 - y0 < need and (y0 > 0 or y1 < grid_h):
        y0, y1 = max(0, y0 - 32), min(grid_h, y1 + 32)
    return x0, y0, x1, y1


def detect_on_grid(
    bgr: np.ndarray,
    boxes: list[PixelBox],
    side: int,
    detect: Callable[[np.ndarray], Sequence[Any] | None],
) -> list[list[np.ndarray]]:
    """Text lines in each box (image px), as (4, 2) quads in image pixels, detected on the whole-image read's input.

    The image is resized once as the whole-image read resizes it for the detector (``side``: its
    ``Det.limit_side_len``); each box is cut from that on its 32-px grid (:func:`grid_window`), so the detector —
    ``detect(crop)``, the engine's own, returning quads in crop pixels — sees the pixels the whole-image read gives
    it there. What both engines' ``detect_grid`` do.
    """
    grid, fx, fy = detector_grid(bgr, side)
    factor = np.array([fx, fy], dtype=np.float32)
    out: list[list[np.ndarray]] = []
    for box in boxes:
        x0, y0, x1, y1 = grid_window(box, fx, fy, grid.shape)
        crop = np.ascontiguousarray(grid[y0:y1, x0:x1])
        found: list[np.ndarray] = []
        if crop.size:
            offset = np.array([x0, y0], dtype=np.float32)
            detected = detect(crop)
            for quad in detected if detected is not None else []:
                found.append((np.asarray(quad, dtype=np.float32).reshape(4, 2) + offset) / factor)
        out.append(found)
    return out


def recognize_quads(
    bgr: np.ndarray,
    quads: Sequence[Any],
    min_score: float,
    read_line: Callable[[np.ndarray], tuple[str, float] | None],
) -> list[OcrLine]:
    """Each quad read from the full-resolution ``bgr`` (the crop the whole-image read makes), one line per pass:
    ``read_line(crop)`` is the engine's recogniser (``None``: nothing read). Lines read as empty, with a score below
    ``min_score`` (``Global.text_score``) or with an empty box are dropped, as the whole-image read drops them.
    What both engines' ``recognize`` do."""
    height, width = bgr.shape[:2]
    lines: list[OcrLine] = []
    for quad in quads:
        crop = line_crop(bgr, quad)
        if min(crop.shape[:2]) < 2:
            continue
        read = read_line(crop)
        if read is None:
            continue
        text, score = read
        box = quad_box(quad, width, height)
        if text.strip() and score >= min_score and box[2] > box[0] and box[3] > box[1]:
            lines.append(OcrLine(text, box, score))
    return lines
