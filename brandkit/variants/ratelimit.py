"""Rate-limited providers for a variant run: every request through the run's limiter.

The limiter itself, :class:`AdaptiveRateLimiter` (re-exported here), is in :mod:`brandkit.variants.limiter`.

:class:`RateLimitedProvider` wraps an :class:`~brandkit.provider.base.ImageProvider` (and its
:class:`~brandkit.provider.base.Moderator` side) so that *every* request of the pipeline — first
attempts, repairs, moderation calls, retries — passes through the limiter. When it is given a
:class:`~brandkit.provider.retry.RetryPolicy` it also does the retrying (so that a retry waits for the
limiter too); the wrapped provider should then make one attempt per call (``RetryPolicy.never()``).
It also adds up the cost of every render it sees (:attr:`RateLimitedProvider.spent_usd`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from brandkit.errors import ProviderError, RateLimitError
from brandkit.models import RenderCall, RenderResult
from brandkit.moderation_scores import ModerationScores
from brandkit.provider.base import (
    AsyncClosable,
    CarriesRateLimit,
    ImageProvider,
    Moderator,
    StatesPrices,
    worst_case_cost_of,
)
from brandkit.provider.pricing import PriceTable
from brandkit.provider.retry import RetryPolicy
from brandkit.rate_limits import RateLimitInfo
from brandkit.variants.limiter import AdaptiveRateLimiter, LimiterStats

__all__ = ["AdaptiveRateLimiter", "LimiterStats", "RateLimitedModeratingProvider", "RateLimitedProvider", "wrap"]

T = TypeVar("T", bound=CarriesRateLimit)


class RateLimitedProvider:
    """An :class:`~brandkit.provider.base.ImageProvider` whose every call waits for the limiter.

    ``retry`` (optional) retries failed calls at this level, each attempt through the limiter; leave it
    ``None`` when the wrapped provider retries on its own. ``max_in_flight`` (optional) bounds the
    requests of each kind in flight at once (an asyncio semaphore per kind, taken before the limiter: a
    quick moderation call does not queue behind slow image requests). ``render`` (blocking) is passed
    through unlimited: a variant run only uses ``arender``.
    """

    def __init__(
        self,
        inner: ImageProvider,
        limiter: AdaptiveRateLimiter,
        retry: RetryPolicy | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self.inner = inner
        self.limiter = limiter
        self.retry = retry
        self.name = inner.name
        self.spent_usd = 0.0
        self._max_in_flight = max_in_flight
        self._gates: dict[str, asyncio.Semaphore] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r}, {self.limiter!r})"

    async def _limited(self, fn: Callable[[], Awaitable[T]], kind: str, label: str) -> T:
        async def attempt() -> T:
            if not self._max_in_flight:
                return await limited()
            gate = self._gates.get(kind)
            if gate is None:
                gate = self._gates[kind] = asyncio.Semaphore(self._max_in_flight)
            async with gate:
                return await limited()

        async def limited() -> T:
            ticket = await self.limiter.acquire(kind)
            # the answer's own rate-limit record (typed, carried by the result or the error): never another
            # concurrent request's, whose processing time would free this slot early
            info: RateLimitInfo | None = None
            answered = False
            try:
                result = await fn()
                answered = True
                info = result.rate_limit
                return result
            except RateLimitError as exc:
                info = exc.rate_limit
                self.limiter.rate_limited(exc.retry_after, kind)
                raise
            except ProviderError as exc:
                info = exc.rate_limit
                raise
            finally:
                try:
                    self.limiter.release(ticket, answered=answered, info=info)
                finally:  # always: it also ends a probe, which every other request waits for
                    self.limiter.observe(info, kind)

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
        result = await self._limited(lambda: self.inner.arender(call), "render", f"{self.name} render")
        self.spent_usd += result.cost_usd
        return result

    def worst_case_cost(self, call: RenderCall) -> float | None:
        """The wrapped provider's bound (``None`` when it states none)."""
        return worst_case_cost_of(self.inner, call)

    def price_table(self) -> PriceTable | None:
        """The wrapped provider's price table (``None`` when it states none)."""
        return self.inner.price_table() if isinstance(self.inner, StatesPrices) else None

    async def aclose(self) -> None:
        """Close the wrapped provider's clients, when it has any."""
        if isinstance(self.inner, AsyncClosable):
            await self.inner.aclose()


class RateLimitedModeratingProvider(RateLimitedProvider):
    """:class:`RateLimitedProvider` for a provider that also moderates (moderation calls are limited too)."""

    inner: Any

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Blocking moderation, passed through (not rate limited)."""
        scores: ModerationScores = self.inner.moderate(image, mime, text)
        return scores

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Moderate through the limiter (and the retry policy, when given)."""
        return await self._limited(
            lambda: self.inner.amoderate(image, mime, text), "moderate", f"{self.name} moderation"
        )


def wrap(
    provider: ImageProvider,
    limiter: AdaptiveRateLimiter,
    retry: RetryPolicy | None = None,
    max_in_flight: int | None = None,
) -> RateLimitedProvider:
    """The limited wrapper of ``provider`` (moderating too when ``provider`` is a :class:`Moderator`)."""
    if isinstance(provider, Moderator):
        return RateLimitedModeratingProvider(provider, limiter, retry, max_in_flight)
    return RateLimitedProvider(provider, limiter, retry, max_in_flight)
