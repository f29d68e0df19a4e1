"""The pipeline's effects, its context and its two drivers.

A flow is a generator that *yields effects* — "render this call", "moderate this image", "compute this" — and
receives their results; it never does I/O itself. :func:`run_sync` executes effects with blocking calls;
:func:`run_async` awaits the providers' async twins and runs CPU work in a thread.

:class:`Gather` runs several effects at once — the moderation request beside the checks that do not read its
scores — and hands the flow one :class:`Outcome` per effect: ``run_sync`` runs the last effect on the calling
thread and the others each on a thread of its own, ``run_async`` gathers their awaitables.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
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


Single = Render | Moderate | Compute


@dataclass(frozen=True)
class Gather:
    """Execute ``effects`` at once; the flow receives a tuple of :class:`Outcome`, one per effect, in order.

    An effect that raises does not stop the others: its error is in its outcome (never thrown into the flow),
    for the flow to decide once every effect has finished.
    """

    effects: tuple[Single, ...]


@dataclass(frozen=True)
class Outcome:
    """What one gathered effect gave: its ``value``, or the ``error`` it raised."""

    value: Any = None
    error: Exception | None = None

    def get(self) -> Any:
        """The value; raises the error instead when the effect failed."""
        if self.error is not None:
            raise self.error
        return self.value


Effect = Single | Gather
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

    def in_mode(self, mode: str | None) -> KitContext:
        """This context with its spec in palette mode ``mode`` (a request's ``palette_mode``: a key of
        ``palette.modes``, ``"default"``, or ``None`` for the spec as it is); :class:`~brandkit.RequestError`
        naming ``palette_mode`` when the spec has no such mode."""
        spec = self.spec.for_mode(mode, field="palette_mode")
        return self if spec is self.spec else replace(self, spec=spec)


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


def _execute(effect: Single, ctx: KitContext) -> Any:
    """One effect, with blocking calls."""
    if isinstance(effect, Render):
        return ctx.provider.render(effect.call)
    if isinstance(effect, Moderate):
        return moderate(_moderator(ctx), effect.image, effect.mime, effect.text, effect.decoded)
    return effect.fn()


def _outcome_of(effect: Single, ctx: KitContext) -> Outcome:
    try:
        return Outcome(value=_execute(effect, ctx))
    except Exception as exc:
        return Outcome(error=exc)


def _gather_sync(gather: Gather, ctx: KitContext) -> tuple[Outcome, ...]:
    """Every effect but the last on a thread of its own, the last on the calling thread; their outcomes."""
    *others, last = gather.effects
    if not others:
        return (_outcome_of(last, ctx),)
    with ThreadPoolExecutor(max_workers=len(others), thread_name_prefix="brandkit-gather") as pool:
        futures = [pool.submit(_outcome_of, effect, ctx) for effect in others]
        final = _outcome_of(last, ctx)
        return (*(future.result() for future in futures), final)


def run_sync(flow: Flow[T], ctx: KitContext) -> T:
    """Drive ``flow`` to completion with blocking calls."""
    step = _Stepper(flow)
    while (effect := step.next_effect()) is not None:
        try:
            step.value = _gather_sync(effect, ctx) if isinstance(effect, Gather) else _execute(effect, ctx)
        except Exception as exc:  # handed back into the flow, which decides
            step.error = exc
    return cast(T, step.result)


async def _aexecute(effect: Single, ctx: KitContext) -> Any:
    """One effect, awaited (CPU work in a worker thread)."""
    if isinstance(effect, Render):
        return await ctx.provider.arender(effect.call)
    if isinstance(effect, Moderate):
        return await amoderate(_moderator(ctx), effect.image, effect.mime, effect.text, effect.decoded)
    return await asyncio.to_thread(effect.fn)


async def _gather_async(gather: Gather, ctx: KitContext) -> tuple[Outcome, ...]:
    """Every effect awaited at once; their outcomes (a cancellation or other ``BaseException`` propagates)."""
    answers = await asyncio.gather(*(_aexecute(effect, ctx) for effect in gather.effects), return_exceptions=True)
    outcomes: list[Outcome] = []
    for answer in answers:
        if isinstance(answer, Exception):
            outcomes.append(Outcome(error=answer))
        elif isinstance(answer, BaseException):
            raise answer
        else:
            outcomes.append(Outcome(value=answer))
    return tuple(outcomes)


async def run_async(flow: Flow[T], ctx: KitContext) -> T:
    """Drive ``flow`` to completion, awaiting the async twins and threading CPU work."""
    step = _Stepper(flow)
    while (effect := step.next_effect()) is not None:
        try:
            step.value = await (_gather_async(effect, ctx) if isinstance(effect, Gather) else _aexecute(effect, ctx))
        except Exception as exc:
            step.error = exc
    return cast(T, step.result)


__all__ = [
    "Compute",
    "Effect",
    "Flow",
    "Gather",
    "KitContext",
    "Moderate",
    "Outcome",
    "Render",
    "Single",
    "run_async",
    "run_sync",
]
