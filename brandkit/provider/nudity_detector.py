"""NudeNet's bundled 320n detector run directly: decoded pixels in, vectorised post-processing out.

``nudenet.NudeDetector.detect`` takes a path, bytes or a BGR array, and post-processes the model's 2,100
candidate rows one at a time in Python (~2,100 small NumPy calls per image). :class:`NudityDetector` loads the
same ONNX file that ships in the ``nudenet`` wheel into its own ``onnxruntime`` session and:

* takes an RGB array (a decoded image, never the encoded bytes again) and builds the same input blob as nudenet
  (square zero padding at the bottom/right, ``cv2.dnn.blobFromImage`` to 320×320, 1/255, the same channel
  order nudenet ends up feeding — the B, G, R planes);
* post-processes all rows at once (:func:`postprocess`): the same float32 arithmetic in the same order as
  nudenet's loop, the same ``cv2.dnn.NMSBoxes`` call, so the detections are the same boxes and scores
  (``tests/test_local_moderation.py`` compares them with nudenet's own on real photographs);
* runs it in the session :mod:`brandkit.provider.nudity_session` builds: onnxruntime's worker threads do not
  spin after a run (spinning threads burn a core and slow the checks that run next), the input shape is fixed,
  and the optimised graph can be kept in the warm cache so that a new process loads it without optimising again.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from brandkit.provider.nudity_session import MODEL_SIDE, load_session

if TYPE_CHECKING:
    from brandkit.warm_cache import WarmCache

__all__ = ["LABELS", "MIN_CANDIDATE_SCORE", "NMS_IOU", "NMS_SCORE", "Detection", "NudityDetector", "postprocess"]

LABELS = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
"""The 320n model's classes, in its output order (nudenet 3.4's list)."""

MIN_CANDIDATE_SCORE = 0.2
"""A candidate row is kept when its best class scores at least this (nudenet's value)."""
NMS_SCORE = 0.25
NMS_IOU = 0.45
"""Score threshold and overlap of the class-agnostic non-maximum suppression (nudenet's values)."""


@dataclass(frozen=True)
class Detection:
    """One detected region: class, score and box ``[x, y, w, h]`` in image pixels (as nudenet reports it)."""

    label: str
    score: float
    box: tuple[int, int, int, int]


def model_path() -> Path:
    """The ``320n.onnx`` file shipped in the installed ``nudenet`` package (without importing it)."""
    spec = importlib.util.find_spec("nudenet")
    if spec is None or spec.origin is None:
        raise ImportError("nudenet is not installed")
    return Path(spec.origin).parent / "320n.onnx"


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """The model's input blob (1×3×320×320 float32) for an H×W×3 uint8 RGB array, as nudenet builds it."""
    import cv2

    h, w = rgb.shape[:2]
    side = max(h, w)
    if side != h or side != w:
        rgb = cv2.copyMakeBorder(rgb, 0, side - h, 0, side - w, cv2.BORDER_CONSTANT)
    blob: np.ndarray = cv2.dnn.blobFromImage(
        rgb, 1 / 255.0, (MODEL_SIDE, MODEL_SIDE), (0, 0, 0), swapRB=True, crop=False
    )
    return blob


def postprocess(output: np.ndarray, width: int, height: int) -> list[Detection]:
    """Detections from the model's raw output (1×22×N) for an image of ``width``×``height``, vectorised.

    Same arithmetic as nudenet's per-row loop, in float32 and in the same order: centre → corner, scale by
    the padded side / 320, clip to the image; then class-agnostic NMS.
    """
    import cv2

    rows = np.transpose(np.squeeze(output))
    class_scores = rows[:, 4:]
    best = np.amax(class_scores, axis=1)
    keep = best >= MIN_CANDIDATE_SCORE
    if not keep.any():
        return []
    kept = rows[keep]
    scores = best[keep]
    class_ids = np.argmax(class_scores[keep], axis=1)
    side = max(width, height)  # nudenet's (original + padding) on each axis
    x, y, w, h = kept[:, 0], kept[:, 1], kept[:, 2], kept[:, 3]
    x = x - w / 2
    y = y - h / 2
    x = x * side / MODEL_SIDE
    y = y * side / MODEL_SIDE
    w = w * side / MODEL_SIDE
    h = h * side / MODEL_SIDE
    x = np.maximum(0, np.minimum(x, width))
    y = np.maximum(0, np.minimum(y, height))
    w = np.minimum(w, width - x)
    h = np.minimum(h, height - y)
    boxes = np.stack([x, y, w, h], axis=1)
    indices = cv2.dnn.NMSBoxes(boxes.tolist(), scores.tolist(), NMS_SCORE, NMS_IOU)
    return [
        Detection(
            label=LABELS[int(class_ids[i])],
            score=float(scores[i]),
            box=(int(boxes[i, 0]), int(boxes[i, 1]), int(boxes[i, 2]), int(boxes[i, 3])),
        )
        for i in np.asarray(indices, dtype=np.int64).reshape(-1)
    ]


class NudityDetector:
    """The 320n model in an onnxruntime session whose threads sleep between runs.

    ``threads``: onnxruntime's intra-op thread count (``None``: its default, one per physical core).
    ``warm_cache``: where the model's optimised graph is kept between processes
    (:func:`~brandkit.provider.nudity_session.load_session`; ``None``: optimised at every load).
    Not thread-safe: the owner serialises :meth:`detect` calls.
    """

    def __init__(
        self, path: Path | None = None, *, threads: int | None = None, warm_cache: WarmCache | None = None
    ) -> None:
        self._session: Any = load_session(path or model_path(), threads, warm_cache)
        self._input = self._session.get_inputs()[0].name

    def __repr__(self) -> str:
        return "NudityDetector()"

    @property
    def spinning(self) -> dict[str, bool]:
        """Whether onnxruntime's intra-op and inter-op threads spin between runs (both ``False`` here)."""
        options = self._session.get_session_options()
        return {
            pool: options.get_session_config_entry(f"session.{pool}.allow_spinning") != "0"
            for pool in ("intra_op", "inter_op")
        }

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """Detections in an H×W×3 uint8 RGB array."""
        height, width = rgb.shape[:2]
        output = self._session.run(None, {self._input: preprocess(rgb)})[0]
        return postprocess(output, width, height)
