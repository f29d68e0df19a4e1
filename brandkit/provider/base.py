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
class Moderator(Protocol):
    """A moderation service: scores an image and a text by category."""

    name: str

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Score ``image`` (one image per request) and ``text``."""
        ...

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Async twin of :meth:`moderate`."""
        ...
