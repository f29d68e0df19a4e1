"""OpenCV single-threaded for the span of a check: :class:`OpenCvThreads` (the logo check, the OCR read, the
contrast check's patches).

The checks' OpenCV calls are small (``matchTemplate`` on ≤ 518² pyramid levels, 1024² resizes, ORB on one
scene; the OCR's copy-area crops resized for the detector, line warps): on OpenCV's pthreads pool (one worker per
core) they gain little or nothing in wall time, and the workers' active wait between calls is pure CPU. Measured
(2 cores, one process, the two ways alternated): the logo-absent poster at 1024², 2 threads 110 ms CPU / 91 ms wall
(the main thread 89 ms), 1 thread 92 ms CPU / 92 ms wall; the layout-guided OCR of the composed ad, 150–155 ms CPU
/ 138–141 ms wall with 2 threads, 141–142 ms CPU / 141–142 ms wall with 1; the contrast check's patches on the
composed ad (one ``connectedComponents`` each), 4.6–5.9 ms CPU / 2.8–3.6 wall with 2 threads, 3.1–3.9 / 3.1–3.9
with 1. The results are the same (OpenCV's parallel loops split the work, not the arithmetic).

``cv2.setNumThreads`` is process-global, so the setting is scoped: the first check to enter sets one thread, the
last to leave restores the value it found; checks running at the same time in other threads of the process
(the async runner's pipelines) count as users, so none restores the value while another is still inside. While a
scope is open, every other OpenCV call of the process (another pipeline's work in another thread) also runs
single-threaded — the same results, at most the wall time of a large call lost on a core that the concurrent work
keeps busy anyway. The counter lives in the kit's :class:`~brandkit.checks.base.CheckResources` (no module state):
two *kits* checking images at the same time in one process each count their own users, and in the rare
interleaving where both enter and leave crosswise OpenCV can stay single-threaded after both are done (again: the
same results, only OpenCV's own parallelism lost).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from brandkit.checks.base import CheckResources

RESOURCE_KEY = "opencv-threads"
"""The kit's :class:`OpenCvThreads` in :class:`~brandkit.checks.base.CheckResources`."""


class OpenCvThreads:
    """Counts the checks running in a kit that want OpenCV single-threaded and keeps it so while any does."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._previous = 1

    @classmethod
    def of(cls, resources: CheckResources) -> OpenCvThreads:
        """The kit's counter (created on first use)."""
        threads: OpenCvThreads = resources.get(RESOURCE_KEY, cls)
        return threads

    @property
    def users(self) -> int:
        """How many scopes are open now."""
        return self._users

    @contextmanager
    def single(self) -> Iterator[None]:
        """OpenCV with one thread inside the block; the previous thread count restored when the last user leaves
        (also when the block raises). Without OpenCV there is nothing to set: the block runs as it is (the check
        then reports what it cannot do, naming the import error)."""
        try:
            import cv2
        except ImportError:
            yield
            return
        with self._lock:
            if self._users == 0:
                self._previous = int(cv2.getNumThreads())
                if self._previous != 1:
                    cv2.setNumThreads(1)
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._previous != 1:
                    cv2.setNumThreads(self._previous)
