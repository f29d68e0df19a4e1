"""PP-OCR pre- and post-processing on plain numpy / OpenCV / pyclipper, step for step as rapidocr 3.x does it.

:class:`brandkit.ocr_onnx.OnnxOcrEngine` runs rapidocr's bundled PP-OCRv6 models directly on onnxruntime, without
importing rapidocr (its import alone costs ~0.9 s of CPU: it loads YAML through OmegaConf). For the engine to read
exactly what rapidocr reads, every step here reproduces rapidocr's (Apache-2.0, from PaddleOCR), in the same
order, with the same arithmetic; ``tests/test_ocr_onnx.py`` compares both engines line for line on the OCR corpus:

* :func:`bound_image` — ``resize_image_within_bounds`` (long side ≤ 2000, short side ≥ 30, on a 32-px grid);
* :func:`pad_strip` — ``apply_vertical_padding`` (strips lower than 30 px or wider than 8× their height get
  black rows above and below);
* :func:`det_input` — ``DetPreProcess`` (long side ≤ the limit, multiples of 32, ``(x / 255 − 0.5) / 0.5``); the
  normalisation is a 256-entry table holding the very float32 values rapidocr's float64 arithmetic gives;
* :func:`db_boxes` — ``DBPostProcess`` (threshold 0.3, 2×2 dilation, box score ≥ 0.5, unclip 1.6) then
  ``filter_det_res`` and ``TextDetector.sorted_boxes``;
* :func:`rec_input` — ``TextRecognizer.resize_norm_img`` for one line (height 48, at least 320 px wide, padded
  with zeros);
* :func:`ctc_decode` — ``CTCLabelDecode`` (greedy, repeats and blanks removed, mean of the kept probabilities
  rounded to 5 decimals).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "DB_BOX_THRESH",
    "DB_THRESH",
    "DB_UNCLIP",
    "MAX_SIDE",
    "MIN_HEIGHT",
    "MIN_SIDE",
    "REC_HEIGHT",
    "REC_MIN_WIDTH",
    "STRIP_RATIO",
    "bound_image",
    "ctc_decode",
    "db_boxes",
    "det_input",
    "pad_strip",
    "rec_input",
]

MAX_SIDE = 2000
"""``Global.max_side_len``: images are first bounded to this long side."""
MIN_SIDE = 30
"""``Global.min_side_len``: and enlarged to this short side."""
MIN_HEIGHT = 30
"""``Global.min_height``: a strip this low or lower is padded for the detector."""
STRIP_RATIO = 8
"""``Global.width_height_ratio``: a strip wider than this × its height is padded for the detector."""
DB_THRESH = 0.3
"""``Det.thresh``: probability above which a pixel is text."""
DB_BOX_THRESH = 0.5
"""``Det.box_thresh``: mean probability a box needs to be kept."""
DB_UNCLIP = 1.6
"""``Det.unclip_ratio``: how far a box is grown back around its text."""
DB_MAX_CANDIDATES = 1000
REC_HEIGHT = 48
"""``Rec.rec_img_shape`` height."""
REC_MIN_WIDTH = 320
"""``Rec.rec_img_shape`` width: a line's input is at least this wide (padded)."""


def _grid_resize(img: np.ndarray, ratio: float) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    resize_h = int(round(int(h * ratio) / 32) * 32)
    resize_w = int(round(int(w * ratio) / 32) * 32)
    if resize_w <= 0 or resize_h <= 0:
        raise ValueError(f"cannot resize a {w}×{h} image for OCR")
    out: np.ndarray = cv2.resize(img, (resize_w, resize_h))
    return out


def bound_image(img: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The image bounded to :data:`MAX_SIDE` / :data:`MIN_SIDE`, and the ratios back to the original (h, w)."""
    h, w = img.shape[:2]
    ratio_h = ratio_w = 1.0
    if max(h, w) > MAX_SIDE:
        img = _grid_resize(img, float(MAX_SIDE) / (h if h > w else w))
        ratio_h, ratio_w = h / img.shape[0], w / img.shape[1]
    h, w = img.shape[:2]
    if min(h, w) < MIN_SIDE:
        img = _grid_resize(img, float(MIN_SIDE) / (h if h < w else w))
        ratio_h, ratio_w = h / img.shape[0], w / img.shape[1]
    return img, ratio_h, ratio_w


def pad_strip(img: np.ndarray) -> tuple[np.ndarray, int]:
    """The image with black rows added above and below when it is a low or wide strip, and the rows added on top."""
    import cv2

    h, w = img.shape[:2]
    if h <= MIN_HEIGHT or w / h > STRIP_RATIO:
        new_h = max(int(w / STRIP_RATIO), MIN_HEIGHT) * 2
        pad = int(abs(new_h - h) / 2)
        padded: np.ndarray = cv2.copyMakeBorder(img, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        return padded, pad
    return img, 0


def _det_table() -> np.ndarray:
    # rapidocr: (img.astype(float32) * (1 / 255.0) - mean) / std with float64 mean/std, then astype(float32)
    scaled = np.arange(256, dtype=np.uint8).astype("float32") * (1 / 255.0)
    out: np.ndarray = ((scaled - np.array([0.5])) / np.array([0.5])).astype(np.float32)
    return out


def det_input(img: np.ndarray, limit_side: int) -> np.ndarray | None:
    """The detector's input tensor (1×3×H×W float32) for a BGR image, or ``None`` when it resizes to nothing."""
    import cv2

    h, w = img.shape[:2]
    ratio = float(limit_side) / (h if h > w else w) if max(h, w) > limit_side else 1.0
    resize_h = int(round(int(h * ratio) / 32) * 32)
    resize_w = int(round(int(w * ratio) / 32) * 32)
    if resize_w <= 0 or resize_h <= 0:
        return None
    resized = cv2.resize(img, (resize_w, resize_h))
    normed = _det_table()[resized]
    return np.ascontiguousarray(normed.transpose((2, 0, 1))[np.newaxis])


def _mini_box(contour: np.ndarray) -> tuple[np.ndarray, float]:
    import cv2

    rect = cv2.minAreaRect(contour)
    points = sorted(list(cv2.boxPoints(rect)), key=lambda p: p[0])
    i1, i4 = (0, 1) if points[1][1] > points[0][1] else (1, 0)
    i2, i3 = (2, 3) if points[3][1] > points[2][1] else (3, 2)
    return np.array([points[i1], points[i2], points[i3], points[i4]]), float(min(rect[1]))


def _box_score(pred: np.ndarray, box: np.ndarray) -> float:
    import cv2

    h, w = pred.shape[:2]
    box = box.copy()
    xmin = int(np.clip(np.floor(box[:, 0].min()).astype(np.int32), 0, w - 1))
    xmax = int(np.clip(np.ceil(box[:, 0].max()).astype(np.int32), 0, w - 1))
    ymin = int(np.clip(np.floor(box[:, 1].min()).astype(np.int32), 0, h - 1))
    ymax = int(np.clip(np.ceil(box[:, 1].max()).astype(np.int32), 0, h - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    box[:, 0] = box[:, 0] - xmin
    box[:, 1] = box[:, 1] - ymin
    cv2.fillPoly(mask, [box.reshape(-1, 2).astype(np.int32)], 1)
    return float(cv2.mean(pred[ymin : ymax + 1, xmin : xmax + 1], mask)[0])


def _unclip(box: np.ndarray, ratio: float = DB_UNCLIP) -> np.ndarray:
    import pyclipper

    pts = box.astype(np.float64)
    x, y = pts[:, 0], pts[:, 1]
    area = abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2.0
    length = float(np.sum(np.hypot(np.roll(x, -1) - x, np.roll(y, -1) - y)))
    distance = area * ratio / length
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return np.array(offset.Execute(distance)).reshape((-1, 1, 2))


def _clockwise(pts: np.ndarray) -> np.ndarray:
    by_x = pts[np.argsort(pts[:, 0]), :]
    left, right = by_x[:2, :], by_x[2:, :]
    tl, bl = left[np.argsort(left[:, 1]), :]
    tr, br = right[np.argsort(right[:, 1]), :]
    return np.array([tl, tr, br, bl], dtype="float32")


def _sorted(boxes: np.ndarray) -> np.ndarray:
    y_order = np.argsort(boxes[:, 0, 1], kind="stable")
    by_y = boxes[y_order]
    line_ids = np.concatenate([[0], np.cumsum((np.diff(by_y[:, 0, 1]) >= 10).astype(np.int32))])
    result: np.ndarray = by_y[np.lexsort((by_y[:, 0, 0], line_ids))]
    return result


def db_boxes(pred: np.ndarray, dest_h: int, dest_w: int, unclip: float = DB_UNCLIP) -> np.ndarray:
    """Text boxes (N×4×2 float32, clockwise from top-left, in a ``dest_w``×``dest_h`` image) from the DB map;
    ``unclip``: how far each shrunk text region is grown back (rapidocr's ``Det.unclip_ratio``)."""
    import cv2

    prob = pred[0, 0, :, :]
    bitmap = cv2.dilate((prob > DB_THRESH).astype(np.uint8), np.array([[1, 1], [1, 1]]))
    height, width = bitmap.shape
    found = cv2.findContours((bitmap * 255).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    contours = found[1] if len(found) == 3 else found[0]
    boxes: list[np.ndarray] = []
    for contour in contours[:DB_MAX_CANDIDATES]:
        points, side = _mini_box(contour)
        if side < 3 or _box_score(prob, points.reshape(-1, 2)) < DB_BOX_THRESH:
            continue
        box, side = _mini_box(_unclip(points, unclip))
        if side < 5:
            continue
        box[:, 0] = np.clip(np.round(box[:, 0] / width * dest_w), 0, dest_w)
        box[:, 1] = np.clip(np.round(box[:, 1] / height * dest_h), 0, dest_h)
        rect = _clockwise(box.astype(np.int32))
        for p in range(4):
            rect[p, 0] = int(min(max(rect[p, 0], 0), dest_w - 1))
            rect[p, 1] = int(min(max(rect[p, 1], 0), dest_h - 1))
        if int(np.linalg.norm(rect[0] - rect[1])) <= 3 or int(np.linalg.norm(rect[0] - rect[3])) <= 3:
            continue
        boxes.append(rect)
    if not boxes:
        return np.zeros((0, 4, 2), dtype=np.float32)
    return _sorted(np.array(boxes))


def _rec_table() -> np.ndarray:
    # rapidocr: resized.astype("float32") / 255, then -= 0.5, /= 0.5, all float32
    out = np.arange(256, dtype=np.uint8).astype("float32") / 255
    out -= 0.5
    out /= 0.5
    return out


def rec_input(line: np.ndarray) -> np.ndarray:
    """The recogniser's input tensor (1×3×48×W float32) for one BGR line, recognised on its own."""
    import cv2

    h, w = line.shape[:2]
    wh_ratio = max(REC_MIN_WIDTH / REC_HEIGHT, w * 1.0 / h)
    img_width = int(REC_HEIGHT * wh_ratio)
    ratio = w / float(h)
    resized_w = img_width if math.ceil(REC_HEIGHT * ratio) > img_width else math.ceil(REC_HEIGHT * ratio)
    resized = cv2.resize(line, (resized_w, REC_HEIGHT))
    out = np.zeros((1, 3, REC_HEIGHT, img_width), dtype=np.float32)
    out[0, :, :, 0:resized_w] = _rec_table()[resized].transpose((2, 0, 1))
    return out


def ctc_decode(preds: np.ndarray, characters: list[str]) -> tuple[str, float]:
    """Greedy CTC decoding of one line's output (1×T×C): the text and its score (index 0 is the blank)."""
    index = preds.argmax(axis=2)[0]
    prob = preds.max(axis=2)[0]
    keep = np.ones(len(index), dtype=bool)
    keep[1:] = index[1:] != index[:-1]
    keep &= index != 0
    confidences = [round(c, 5) for c in np.array(prob[keep]).tolist()] or [0]
    text = "".join(characters[i] for i in index[keep])
    return text, float(np.mean(confidences).round(5).tolist())
