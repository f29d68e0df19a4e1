"""Local moderation with a classifier that ships its own weights (nudenet's bundled 320n detector).

It judges one category only — ``sexual`` (exposed nudity) — and says so in
``covered_categories``: the moderation check reports every other category
(OpenAI's omni-moderation categories and any the spec sets a threshold for)
as ``not_checked`` in its per-category coverage, and the spec's
``forbidden.moderation_unjudged`` decides whether that blocks (docs/checks.md).
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import threading
from typing import Any

from PIL import Image

from brandkit.moderation_scores import ModerationScores

# nudenet detector classes that count as sexual content
_EXPLICIT = frozenset(
    {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)


class NudeNetModerator:
    """:class:`~brandkit.provider.base.Moderator` backed by nudenet (offline; weights in the wheel)."""

    name = "local:nudenet"
    covered = ("sexual",)

    def __init__(self) -> None:
        self._detector: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "NudeNetModerator()"

    @staticmethod
    def available() -> bool:
        """True when nudenet and onnxruntime can be imported."""
        return importlib.util.find_spec("nudenet") is not None and importlib.util.find_spec("onnxruntime") is not None

    def _load(self) -> Any:
        with self._lock:
            if self._detector is None:
                from nudenet import NudeDetector

                self._detector = NudeDetector()
            return self._detector

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Score ``image`` for sexual content; ``text`` is not scored by this classifier."""
        import numpy as np

        detector = self._load()
        rgb = Image.open(io.BytesIO(image)).convert("RGB")
        bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
        with self._lock:
            detections = detector.detect(bgr)
        score = max((float(d["score"]) for d in detections if d.get("class") in _EXPLICIT), default=0.0)
        return ModerationScores(
            source=self.name, scores={"sexual": score}, flagged=False, covered_categories=list(self.covered)
        )

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Async twin of :meth:`moderate` (worker thread)."""
        return await asyncio.to_thread(self.moderate, image, mime, text)
