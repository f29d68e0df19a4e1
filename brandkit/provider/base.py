"""The provider protocol: what the pipeline needs from an image service.

A provider turns a :class:`~brandkit.models.RenderCall` into a
:class:`~brandkit.models.RenderResult`, in a sync and an async flavour.
Providers that can also moderate images implement :class:`Moderator`.
Both flavours of a provider share one implementation of request building
and response parsing; only the transport call differs.

What the variant runner needs beyond that is a few small protocols, read through typed fields and
methods only (never ``getattr`` on a provider's state): :class:`PricedProvider` (bound a call's cost),
:class:`StatesPrices` (the price table a dry run quotes), and :class:`CarriesRateLimit` — every answer
(:class:`~brandkit.models.RenderResult`, :class:`~brandkit.moderation_scores.ModerationScores`) and
every :class:`~brandkit.errors.ProviderError` carries its own typed
:class:`~brandkit.rate_limits.RateLimitInfo`, which the run's rate limiter reads.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from brandkit.models import RenderCall, RenderResult
from brandkit.moderation_scores import ModerationScores
from brandkit.provider.pricing import PriceTable
from brandkit.rate_limits import RateLimitInfo


@runtime_checkable
class ImageProvider(Protocol):
    """An image service (the local renderer, OpenAI, or a caller's own)."""

    name: str

    def render(self, call: RenderCall) -> RenderResult:
        """Generate (or edit) images for ``call``; raise :class:`brandkit.ProviderError` on failure."""
        ...

    async def arender(self, call: RenderCall) -> RenderResult:
        """Async twin of :meth:`render`."""
        ...


@runtime_checkable
class PricedProvider(Protocol):
    """A provider that can bound a call's cost before sending it (what budgets reserve)."""

    def worst_case_cost(self, call: RenderCall) -> float | None:
        """The most ``call`` can cost in USD (never less than what it is billed); ``None`` when unknown (a
        wrapper around a provider that states no price)."""
        ...


@runtime_checkable
class StatesPrices(Protocol):
    """A provider (or a wrapper) that can say which price table it bills with."""

    def price_table(self) -> PriceTable | None:
        """The table its calls are priced with; ``None`` when it states none (a wrapper around a provider
        that states none)."""
        ...


@runtime_checkable
class Closable(Protocol):
    """A provider with clients to close from sync code (the OpenAI providers)."""

    def close(self) -> None:
        """Close the provider's sync clients."""
        ...


@runtime_checkable
class AsyncClosable(Protocol):
    """A provider with clients to close (wrappers close what they wrap)."""

    async def aclose(self) -> None:
        """Close the provider's clients."""
        ...


class CarriesRateLimit(Protocol):
    """An answer or an error that carries the rate-limit record of the response it came from."""

    @property
    def rate_limit(self) -> RateLimitInfo | None:
        """The response's rate-limit headers, typed; ``None`` when the provider reports none."""
        ...


def worst_case_cost_of(provider: object, call: RenderCall) -> float | None:
    """The most ``call`` can cost on ``provider``, or ``None`` when the provider states no price (then a
    budget can only be checked after each call, not reserved before it)."""
    if isinstance(provider, PricedProvider):
        bound = provider.worst_case_cost(call)
        return None if bound is None else float(bound)
    return None


@runtime_checkable
class Moderator(Protocol):
    """A moderation service: scores an image and a text by category."""

    name: str

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Score ``image`` (one image per request) and ``text``."""
        ...

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Async twin of :meth:`moderate`."""
        ...
