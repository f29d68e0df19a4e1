"""The provider protocol: what the pipeline needs from an image service.

A provider turns a :class:`~brandkit.models.RenderCall` into a
:class:`~brandkit.models.RenderResult`, in a sync and an async flavour.
Providers that can also moderate images implement :class:`Moderator`.
Both flavours of a provider share one implementation of request building
and response parsing; only the transport call differs.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from brandkit.checks.base import ModerationScores
from brandkit.models import RenderCall, RenderResult


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
