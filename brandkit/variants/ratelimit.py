"""Adaptive client-side rate limiting for a variant run.

:class:`AdaptiveRateLimiter` paces request *starts* so a run uses the provider's request limit fully
without tripping it:

* the first request is a probe: the others wait for its answer, so a burst never goes out before the
  limit is known;
* the limit is learned from the ``x-ratelimit-limit-requests`` header the provider reports
  (:attr:`brandkit.provider.openai.OpenAIProvider.last_rate_limit`; read from each provider *object*,
  never from global state) and enforced as a sliding window of ``window_s`` seconds (OpenAI's request
  limits are per minute: 60 s) over this run's own requests: a request holds a slot from its start
  until ``window_s`` (+ ``margin_s``) after its answer. The server counts it somewhere in between —
  after a large body has been sent and parsed, which can take a while — so this never counts it out
  too early; the price is that a slot comes back one answer-time later than it could;
* ``x-ratelimit-remaining-requests: 0`` pauses new starts until ``x-ratelimit-reset-requests`` has
  passed (someone else is using the same key);
* a 429 pauses every start for its ``retry-after`` and lowers the effective limit by 10 %
  (multiplicative decrease); each window without a 429 gives one request back (additive increase).

:class:`RateLimitedProvider` wraps an :class:`~brandkit.provider.base.ImageProvider` (and its
:class:`~brandkit.provider.base.Moderator` side) so that *every* request of the pipeline — first
attempts, repairs, moderation calls, retries — passes through the limiter. When it is given a
:class:`~brandkit.provider.retry.RetryPolicy` it also does the retrying (so that a retry waits for the
limiter too); the wrapped provider should then make one attempt per call (``RetryPolicy.never()``).
It also adds up the cost of every render it sees (:attr:`RateLimitedProvider.spent_usd`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from brandkit.checks.base import ModerationScores
from brandkit.errors import RateLimitError
from brandkit.models import RenderCall, RenderResult
from brandkit.provider.base import ImageProvider, Moderator
from brandkit.provider.retry import RetryPolicy

__all__ = ["AdaptiveRateLimiter", "LimiterStats", "RateLimitedModeratingProvider", "RateLimitedProvider", "wrap"]

T = TypeVar("T")


@dataclass
class LimiterStats:
    """What the limiter did during a run."""

    requests: int = 0
    waits: int = 0
    waited_s: float = 0.0
    rate_limited: int = 0
    """429 answers seen (each also lowers the effective limit)."""
    limit: int | None = None
    """The request limit learned from the headers."""
    effective_limit: int | None = None


class AdaptiveRateLimiter:
    """Sliding-window pacing of request starts, adapted from rate-limit headers and 429s (see module doc).

    ``limit`` sets the request limit up front (else it is learned); ``window_s`` is the limit's window.
    One limiter belongs to one run and one API key; it is not shared through global state.
    """

    def __init__(
        self,
        *,
        window_s: float = 60.0,
        limit: int | None = None,
        margin_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be positive, got {window_s}")
        self.window_s = float(window_s)
        self.margin_s = float(margin_s) if margin_s is not None else 0.05
        self._clock = clock
        self._limit = limit
        self._factor = 1.0
        self._done: collections.deque[float] = collections.deque()
        self._in_flight = 0
        self._changed = asyncio.Event()
        self._paused_until = 0.0
        self._last_decrease = -math.inf
        self._last_observed = 0.0
        self._lock = asyncio.Lock()
        self._probed = asyncio.Event()
        if limit is not None:
            self._probed.set()
        self._probing = False
        self.stats = LimiterStats(limit=limit, effective_limit=limit)

    def __repr__(self) -> str:
        return f"AdaptiveRateLimiter(limit={self._limit}, effective={self.effective_limit}, window_s={self.window_s})"

    @property
    def effective_limit(self) -> int | None:
        """Requests allowed per window now (``None``: no limit known yet)."""
        if self._limit is None:
            return None
        return max(1, math.floor(self._limit * self._factor))

    def _expire(self, now: float) -> None:
        horizon = self.window_s + self.margin_s
        while self._done and now - self._done[0] >= horizon:
            self._done.popleft()

    def _delay(self, now: float) -> float:
        """Seconds to wait before one more request may start (0: now; ``inf``: until a request answers)."""
        wait = max(0.0, self._paused_until - now)
        limit = self.effective_limit
        if limit is not None:
            self._expire(now)
            excess = self._in_flight + len(self._done) - limit
            if excess >= len(self._done):
                return math.inf
            if excess >= 0:
                wait = max(wait, self._done[excess] + self.window_s + self.margin_s - now)
        return wait

    async def acquire(self) -> None:
        """Wait until a request may start, then count it as in flight (pair every call with :meth:`release`)."""
        if not self._probed.is_set():
            if self._probing:
                started = self._clock()
                await self._probed.wait()
                self.stats.waits += 1
                self.stats.waited_s += self._clock() - started
            else:
                self._probing = True  # this caller's request is the probe
        async with self._lock:  # slots are granted in arrival order
            waited = 0.0
            while True:
                now = self._clock()
                delay = self._delay(now)
                if delay <= 0:
                    break
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), None if math.isinf(delay) else delay)
                waited += self._clock() - now
            self._in_flight += 1
            self.stats.requests += 1
            if waited > 0:
                self.stats.waits += 1
                self.stats.waited_s += waited

    def release(self) -> None:
        """The request answered (or failed): its slot stays taken for one window from now."""
        self._in_flight = max(0, self._in_flight - 1)
        self._done.append(self._clock())
        self._changed.set()

    def observe(self, info: Any) -> None:
        """Learn from a provider's rate-limit record (``RateLimitInfo`` or anything with the same fields).

        Call it after every request, with ``None`` when the provider reports nothing: it also ends the probe.
        """
        self._probed.set()
        if info is None:
            return
        observed = float(getattr(info, "observed_at", 0.0) or 0.0)
        if observed and observed <= self._last_observed:
            return  # already seen (the provider keeps its last record)
        self._last_observed = observed
        limit = getattr(info, "limit_requests", None)
        if isinstance(limit, int) and limit > 0 and limit != self._limit:
            self._limit = limit
            self.stats.limit = limit
        now = self._clock()
        age = max(0.0, time.time() - observed) if observed else 0.0
        remaining = getattr(info, "remaining_requests", None)
        reset = getattr(info, "reset_requests_s", None)
        if remaining == 0 and isinstance(reset, int | float) and reset > 0:
            self._paused_until = max(self._paused_until, now - age + float(reset))
        retry_after = getattr(info, "retry_after_s", None)
        if getattr(info, "status_code", None) == 429 and isinstance(retry_after, int | float):
            self.rate_limited(float(retry_after), now=now - age)
        elif now - self._last_decrease >= self.window_s and self._factor < 1.0:
            self._factor = min(1.0, self._factor + 1.0 / max(1, self._limit or 1))
            self._last_decrease = now
        self.stats.effective_limit = self.effective_limit

    def rate_limited(self, retry_after: float | None, *, now: float | None = None) -> None:
        """A 429 arrived: pause every start for ``retry_after`` and lower the effective limit by 10 %."""
        at = self._clock() if now is None else now
        wait = retry_after if retry_after is not None and retry_after >= 0 else 1.0
        until = at + wait
        if until > self._paused_until:
            self._paused_until = until
            self._changed.set()
        if at - self._last_decrease > min(1.0, self.window_s / 10):  # one decrease per burst of 429s
            self._factor = max(0.1, self._factor * 0.9)
            self.margin_s = min(self.window_s / 10, self.margin_s * 2)
            self._last_decrease = at
            self.stats.rate_limited += 1
        self.stats.effective_limit = self.effective_limit


class RateLimitedProvider:
    """An :class:`~brandkit.provider.base.ImageProvider` whose every call waits for the limiter.

    ``retry`` (optional) retries failed calls at this level, each attempt through the limiter; leave it
    ``None`` when the wrapped provider retries on its own. ``render`` (blocking) is passed through
    unlimited: a variant run only uses ``arender``.
    """

    def __init__(self, inner: ImageProvider, limiter: AdaptiveRateLimiter, retry: RetryPolicy | None = None) -> None:
        self.inner = inner
        self.limiter = limiter
        self.retry = retry
        self.name = inner.name
        self.spent_usd = 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r}, {self.limiter!r})"

    async def _limited(self, fn: Callable[[], Awaitable[T]], label: str) -> T:
        async def attempt() -> T:
            await self.limiter.acquire()
            try:
                return await fn()
            except RateLimitError as exc:
                self.limiter.rate_limited(exc.retry_after)
                raise
            finally:
                self.limiter.release()
                self.limiter.observe(getattr(self.inner, "last_rate_limit", None))

        if self.retry is None:
            return await attempt()
        return await self.retry.acall(attempt, label=label)

    def render(self, call: RenderCall) -> RenderResult:
        """Blocking render, passed through (not rate limited)."""
        result = self.inner.render(call)
        self.spent_usd += result.cost_usd
        return result

    async def arender(self, call: RenderCall) -> RenderResult:
        """Render through the limiter (and the retry policy, when given); adds the cost to :attr:`spent_usd`."""
        result = await self._limited(lambda: self.inner.arender(call), f"{self.name} render")
        self.spent_usd += result.cost_usd
        return result

    async def aclose(self) -> None:
        """Close the wrapped provider's clients, when it has any."""
        closer = getattr(self.inner, "aclose", None)
        if closer is not None:
            await closer()


class RateLimitedModeratingProvider(RateLimitedProvider):
    """:class:`RateLimitedProvider` for a provider that also moderates (moderation calls are limited too)."""

    inner: Any

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Blocking moderation, passed through (not rate limited)."""
        scores: ModerationScores = self.inner.moderate(image, mime, text)
        return scores

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Moderate through the limiter (and the retry policy, when given)."""
        return await self._limited(lambda: self.inner.amoderate(image, mime, text), f"{self.name} moderation")


def wrap(
    provider: ImageProvider, limiter: AdaptiveRateLimiter, retry: RetryPolicy | None = None
) -> RateLimitedProvider:
    """The limited wrapper of ``provider`` (moderating too when ``provider`` is a :class:`Moderator`)."""
    if isinstance(provider, Moderator):
        return RateLimitedModeratingProvider(provider, limiter, retry)
    return RateLimitedProvider(provider, limiter, retry)
