"""One image's grey scene for the logo search: its statistics (:class:`SceneStats`) and what the logo variants
share on it (:class:`LogoScene`).

A file without provenance is searched for every logo variant of the spec (``LogoCheck._search_anywhere``), on the
same scene each time. What does not depend on the variant is computed once per image (and per backdrop tone when
the file has see-through pixels; an opaque file's light and dark variants share one scene) — a
:class:`LogoScene` lives for one run of the logo check (``check.py``'s ``_Scenes``), never across images: ORB's
keypoints and descriptors of the whole scene, the coarse search's blurred pyramid levels and, on each level, the
masked correlation's window sums under each mask (a brand's logo variants usually share one alpha shape), and
each variant's reading by ORB on the whole scene, so the full search after the fast pass does not repeat it. The
same numbers as computing each again: the same OpenCV calls on the same arrays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from brandkit.checks.logo.prepare import LogoDetection
from brandkit.geometry import PixelBox


class SceneStats:
    """What every correlation against one scene needs, computed once when many templates are tried on it: the
    scene as float32, its squares and (on first use) its integral images."""

    def __init__(self, scene: np.ndarray, *, keep_window_sums: bool = False) -> None:
        import cv2

        self.scene = scene
        self.image = scene.astype(np.float32) - 128.0  # centred: smaller squares, less float32 cancellation
        self.squares = cv2.multiply(self.image, self.image)
        self._integrals: tuple[np.ndarray, np.ndarray] | None = None
        self._window_sums: dict[tuple[tuple[int, ...], tuple[int, ...], bytes], tuple[np.ndarray, np.ndarray]] | None
        self._window_sums = {} if keep_window_sums else None
        self._parent: SceneStats | None = None
        self._crop: PixelBox = (0, 0, scene.shape[1], scene.shape[0])

    def view(self, x0: int, y0: int, x1: int, y1: int) -> SceneStats:
        """The stats of ``scene[y0:y1, x0:x1]`` as views of these (nothing computed again). The same numbers as
        ``SceneStats(scene[y0:y1, x0:x1])``: the window sums read from these integral images (computed on first
        use, for the whole scene) are the same exact integers. A view of a scene that keeps its window sums per
        mask keeps its own in the same store, per crop."""
        part = object.__new__(SceneStats)
        part._window_sums = self._window_sums
        part._parent = self if self._parent is None else self._parent  # crops are of the whole scene
        ox, oy = self._crop[:2]
        part._crop = (ox + x0, oy + y0, ox + x1, oy + y1)
        part.scene = self.scene[y0:y1, x0:x1]
        part.image = self.image[y0:y1, x0:x1]
        part.squares = self.squares[y0:y1, x0:x1]
        part._integrals = None
        return part

    @property
    def sums(self) -> np.ndarray:
        """Integral image of the scene (float64; exact: the sums are integers far below 2^53)."""
        return self._integral_pair()[0]

    @property
    def sqsums(self) -> np.ndarray:
        """Integral image of the scene's squares (float64, exact)."""
        return self._integral_pair()[1]

    def _integral_pair(self) -> tuple[np.ndarray, np.ndarray]:
        if self._integrals is None:
            if self._parent is not None:  # a view: its crop of the whole scene's integral images
                sums, sqsums = self._parent._integral_pair()
                x0, y0, x1, y1 = self._crop
                self._integrals = (sums[y0 : y1 + 1, x0 : x1 + 1], sqsums[y0 : y1 + 1, x0 : x1 + 1])
            else:
                import cv2

                sums, sqsums = cv2.integral2(self.scene, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)
                self._integrals = (np.asarray(sums), np.asarray(sqsums))
        return self._integrals

    def window_sums(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The masked correlation's denominators for mask ``weights`` (0/1 float32): the sliding sums of the scene
        and of its squares under the mask (``TM_CCORR``), as fresh arrays the caller may overwrite. A scene built
        with ``keep_window_sums`` (a coarse level the logo variants of one image share) keeps them per mask (and
        per crop, for its views): logo variants usually share one alpha shape, so the second variant reads the
        first one's (copied)."""
        if self._window_sums is None:
            return self._correlated(weights)  # nothing kept: the caller owns these
        key = (self._crop, weights.shape, weights.tobytes())
        kept = self._window_sums.get(key)
        if kept is None:
            kept = self._window_sums[key] = self._correlated(weights)
        return kept[0].copy(), kept[1].copy()

    def _correlated(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import cv2

        return (
            np.asarray(cv2.matchTemplate(self.image, weights, cv2.TM_CCORR)),
            np.asarray(cv2.matchTemplate(self.squares, weights, cv2.TM_CCORR)),
        )

    def window_moments(self, x: int, y: int, tw: int, th: int) -> tuple[float, float]:
        """Sum and sum of squares of the scene's ``th``×``tw`` window at (``x``, ``y``), summed directly (the
        coarse search needs a few windows, not the whole integral images). The same numbers as the integral
        images give: both are exact integers."""
        window = self.scene[y : y + th, x : x + tw].astype(np.int64)
        return float(window.sum()), float((window * window).sum())


Features = tuple[Any, Any]
"""ORB keypoints and descriptors (``detectAndCompute``'s answer)."""
OrbReading = tuple[LogoDetection | None, list[str]]
"""A variant's reading by ORB on the whole scene: the detection (or ``None``) and the notes saying why."""


class LogoScene:
    """The grey scene of one image (over one backdrop tone) and the work its logo variants share (see the module
    docstring). Built per image by the logo check; holds arrays for the span of that image's check only."""

    def __init__(self, grey: np.ndarray, *, share: bool = True) -> None:
        self.grey = grey
        self._share = share
        self._features: dict[tuple[float, int], Features] = {}
        self._levels: dict[float, SceneStats] = {}
        self._readings: dict[tuple[str, float], OrbReading] = {}

    def features(self, factor: float, count: int, compute: Callable[[], Features]) -> Features:
        """ORB's keypoints and descriptors of the whole scene resized by ``factor`` (at most ``count``)."""
        key = (factor, count)
        if key not in self._features:
            self._features[key] = compute()
        return self._features[key]

    def level(self, factor: float, blurred: Callable[[], np.ndarray]) -> SceneStats:
        """The coarse search's pyramid level at ``factor``: :class:`SceneStats` of ``blurred()``, keeping its
        window sums per mask when the scene is ``share``d by several variants (a few MB a level while it lives)."""
        if factor not in self._levels:
            self._levels[factor] = SceneStats(blurred(), keep_window_sums=self._share)
        return self._levels[factor]

    def orb_reading(self, variant: str, factor: float, read: Callable[[], OrbReading]) -> OrbReading:
        """Logo ``variant``'s ORB reading on the whole scene at ``factor`` (a copy: callers may move its box)."""
        key = (variant, factor)
        if key not in self._readings:
            self._readings[key] = read()
        found, notes = self._readings[key]
        return (dataclasses.replace(found) if found is not None else None), list(notes)
