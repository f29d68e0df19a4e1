"""Local moderation with a classifier that ships its own weights (nudenet's bundled 320n detector).

It judges one category only — ``sexual`` (exposed nudity) — and says so in
``covered_categories``: the moderation check reports every other category
(OpenAI's omni-moderation categories and any the spec sets a threshold for)
as ``not_checked`` in its per-category coverage, and the spec's
``forbidden.moderation_unjudged`` decides whether that blocks (docs/checks.md).

The model runs through :class:`~brandkit.provider.nudity_detector.NudityDetector` (the same weights and
detections as ``nudenet.NudeDetector``, vectorised post-processing, no thread spinning). The moderator is also a
:class:`~brandkit.provider.decoded_moderation.ModeratesDecoded`: the pipeline hands it the decoded image when it
has one, so the PNG is not decoded a second time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import threading
from typing import TYPE_CHECKING

from PIL import Image

from brandkit.moderation_scores import ModerationScores

if TYPE_CHECKING:
    from brandkit.provider.nudity_detector import Detection, NudityDetector
    from brandkit.warm_cache import WarmCache

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
    """:class:`~brandkit.provider.base.Moderator` backed by nudenet's model (offline; weights in the wheel).

    ``threads``: onnxruntime's intra-op threads (``None``: its default). ``warm_cache``: where the model's
    optimised graph is kept, so a new process loads it without optimising again (``None``: not kept).
    """

    name = "local:nudenet"
    covered = ("sexual",)

    def __init__(self, *, threads: int | None = None, warm_cache: WarmCache | None = None) -> None:
        self._threads = threads
        self._warm_cache = warm_cache
        self._detector: NudityDetector | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "NudeNetModerator()"

    @staticmethod
    def available() -> bool:
        """True when nudenet and onnxruntime can be imported."""
        return importlib.util.find_spec("nudenet") is not None and importlib.util.find_spec("onnxruntime") is not None

    def detect(self, image: Image.Image) -> list[Detection]:
        """Every region the model finds in ``image`` (RGB; alpha is dropped, as before)."""
        import numpy as np

        rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
        with self._lock:
            return self._loaded().detect(rgb)

    def load(self) -> None:
        """Load the model now (idempotent, thread-safe; a kit's background preload calls it). Raises what the
        model's load raises; the next use tries again."""
        with self._lock:
            self._loaded()

    def _loaded(self) -> NudityDetector:
        """The model (call with the lock held), loaded on first use."""
        if self._detector is None:
            from brandkit.provider.nudity_detector import NudityDetector

            self._detector = NudityDetector(threads=self._threads, warm_cache=self._warm_cache)
        return self._detector

    def moderate_image(self, image: Image.Image, text: str) -> ModerationScores:
        """Score a decoded ``image`` for sexual content; ``text`` is not scored by this classifier."""
        detections = self.detect(image)
        score = max((d.score for d in detections if d.label in _EXPLICIT), default=0.0)
        return ModerationScores(
            source=self.name, scores={"sexual": score}, flagged=False, covered_categories=list(self.covered)
        )

    async def amoderate_image(self, image: Image.Image, text: str) -> ModerationScores:
        """Async twin of :meth:`moderate_image` (worker thread)."""
        return await asyncio.to_thread(self.moderate_image, image, text)

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Score encoded ``image`` bytes (decoded here); ``text`` is not scored by this classifier."""
        with Image.open(io.BytesIO(image)) as opened:
            return self.moderate_image(opened.convert("RGB"), text)

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Async twin of :meth:`moderate` (worker thread)."""
        return await asyncio.to_thread(self.moderate, image, mime, text)
