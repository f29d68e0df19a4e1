"""The pipeline's effects, its context and its two drivers.

A flow is a generator that *yields effects* — "render this call", "moderate this image", "compute this" — and
receives their results; it never does I/O itself. :func:`run_sync` executes effects with blocking calls;
:func:`run_async` awaits the providers' async twins and runs CPU work in a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from PIL import Image

from brandkit.checks.base import Check, CheckResources
from brandkit.credentials.signer import CredentialSigner
from brandkit.models import RenderCall
from brandkit.provider.base import ImageProvider, Moderator
from brandkit.provider.decoded_moderation import amoderate, moderate
from brandkit.spec.models import BrandSpec

T = TypeVar("T")


# --- effects -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Render:
    """Ask the provider for images."""

    call: RenderCall


@dataclass(frozen=True)
class Moderate:
    """Ask the moderator to score one image and the prompt text."""

    image: bytes
    mime: str
    text: str
    decoded: Image.Image | None = None  # handed to a ModeratesDecoded moderator (no second decode)


@dataclass(frozen=True)
class Compute:
    """CPU-bound work (decode, compose, checks): inline when sync, in a worker thread when async."""

    fn: Callable[[], Any]


Effect = Render | Moderate | Compute
Flow = Generator[Effect, Any, T]


@dataclass
class KitContext:
    """What a flow needs: spec, provider, moderator, checks and their shared resources."""

    spec: BrandSpec
    provider: ImageProvider
    moderator: Moderator | None
    checks: Sequence[Check]
    resources: CheckResources = field(default_factory=CheckResources)
    signer: CredentialSigner | None = None  # signs returned assets (Content Credentials); None: unsigned


# --- drivers -----------------------------------------------------------------------------------------------


class _Stepper(Generic[T]):
    """Advances a flow: hands it the last effect's result (or error) and returns the next effect."""

    def __init__(self, flow: Flow[T]) -> None:
        self.flow = flow
        self.value: Any = None
        self.error: Exception | None = None
        self.result: Any = None

    def next_effect(self) -> Effect | None:
        """The next effect to execute, or ``None`` when the flow has returned (its value is in ``result``)."""
        try:
            effect = self.flow.throw(self.error) if self.error is not None else self.flow.send(self.value)
        except StopIteration as stop:
            self.result = stop.value
            return None
        self.value, self.error = None, None
        return effect


def _moderator(ctx: KitContext) -> Moderator:
    if ctx.moderator is None:  # _moderate() yields Moderate only when a moderator is configured
        raise RuntimeError("no moderator configured")
    return ctx.moderator


def run_sync(flow: Flow[T], ctx: KitContext) -> T:
    """Drive ``flow`` to completion with blocking calls."""
    step = _Stepper(flow)
    while (effect := step.next_effect()) is not None:
        try:
            if isinstance(effect, Render):
                step.value = ctx.provider.render(effect.call)
            elif isinstance(effect, Moderate):
                step.value = moderate(_moderator(ctx), effect.image, effect.mime, effect.text, effect.decoded)
            else:
                step.value = effect.fn()
        except Exception as exc:  # handed back into the flow, which decides
            step.error = exc
    return cast(T, step.result)


async def run_async(flow: Flow[T], ctx: KitContext) -> T:
    """Drive ``flow`` to completion, awaiting the async twins and threading CPU work."""
    step = _Stepper(flow)
    while (effect := step.next_effect()) is not None:
        try:
            if isinstance(effect, Render):
                step.value = await ctx.provider.arender(effect.call)
            elif isinstance(effect, Moderate):
                step.value = await amoderate(_moderator(ctx), effect.image, effect.mime, effect.text, effect.decoded)
            else:
                step.value = await asyncio.to_thread(effect.fn)
        except Exception as exc:
            step.error = exc
    return cast(T, step.result)


__all__ = ["Compute", "Effect", "Flow", "KitContext", "Moderate", "Render", "run_async", "run_sync"]
