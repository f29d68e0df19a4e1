"""The time left of a variant run, from the session's own throughput.

A run settles variants in bursts: ``concurrency`` requests are answered at about the same time, then
nothing for a whole generation time. An estimate from the speed between the first and the last settled
variant (rich's ``TimeRemainingColumn``) leaves out the wait before the first answers and reads a burst as a
rate: it said "3 s" with 50 s to go. :class:`EtaEstimator` divides the time since the session *started* by
the variants settled since then — the pipeline's fill time is part of every variant's cost — and counts the
estimate down between settlements instead of re-estimating from a partial interval. Variants settled by
earlier sessions are left out of the rate (they took no time now) but not out of the total.

The clock is injected (``time.monotonic`` by default) so that the estimate can be tested on a simulated run
without sleeping. One estimator per progress display; no global state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["EtaEstimator", "eta_column", "format_eta"]


class EtaEstimator:
    """Seconds left in a run (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started: float | None = None
        self._total = 0
        self._settled_before = 0
        self._settled = 0
        self._estimate: float | None = None
        self._estimated_at = 0.0

    def start(self, total: int, settled: int = 0) -> None:
        """The session begins: ``total`` variants in the plan, ``settled`` of them settled by earlier sessions."""
        self._started = self._clock()
        self._total = total
        self._settled_before = settled
        self._settled = settled
        self._estimate = None if settled < total else 0.0

    def update(self, settled: int) -> None:
        """``settled`` variants of the plan are settled now (succeeded or failed, all sessions)."""
        if self._started is None:
            return
        now = self._clock()
        self._settled = settled
        done_now = settled - self._settled_before
        left = max(0, self._total - settled)
        if left == 0:
            self._estimate, self._estimated_at = 0.0, now
        elif done_now > 0:
            self._estimate, self._estimated_at = left * (now - self._started) / done_now, now

    def remaining_s(self) -> float | None:
        """Seconds left (``None`` until the session has settled a variant), counted down since the last
        settlement."""
        if self._estimate is None:
            return None
        return max(0.0, self._estimate - (self._clock() - self._estimated_at))


def format_eta(seconds: float | None) -> str:
    """``ETA 1:05`` (``ETA -:--`` while unknown)."""
    if seconds is None:
        return "ETA -:--"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"ETA {hours}:{minutes:02d}:{secs:02d}" if hours else f"ETA {minutes}:{secs:02d}"


def eta_column(estimator: EtaEstimator) -> Any:
    """A rich progress column showing ``estimator``'s time left (rich is imported only when a bar is shown)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class _EtaColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(format_eta(estimator.remaining_s()), style="progress.remaining")

    return _EtaColumn()
