"""Conversations: :class:`Conversation` (blocking) and :class:`AsyncConversation` (awaitable) share one
implementation, :class:`~brandkit.conversation.core.TurnSession`; they differ only in the driver (``run_sync`` /
``run_async``). ``AsyncConversation.stream`` turns the partial-image callback into an async iterator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Self

from brandkit.budget import SpendBudget
from brandkit.conversation.core import TurnSession
from brandkit.conversation.models import TurnOutcome
from brandkit.models import AssetRequest
from brandkit.pipeline import KitContext, run_async, run_sync
from brandkit.provider.base import AsyncClosable, Closable
from brandkit.provider.conversation import ConversationProvider, PartialCallback, PartialImage, TurnUsage
from brandkit.resources import KitResources

__all__ = ["AsyncConversation", "Conversation"]


class _ConversationBase:
    """What both conversations show: id, turns, spend, the current request.

    Made by ``BrandKit.conversation()`` / ``AsyncBrandKit.conversation()`` (the kit's context: spec, moderator,
    checks, signer and resources), with ``provider`` answering the turns and ``request`` the first turn's
    request. ``max_spend_usd``: the conversation's budget (checked before each turn); ``turn_max_spend_usd`` /
    ``max_attempts``: each turn's repair budget (default: the spec's ``repair``); ``partial_images``: 0–3 per
    turn; ``out``: save each accepted turn's asset there (``NAME-turn-NN.png`` + sidecar, atomically, never over
    a file); ``recorder``: record each saved asset with the previous turn's as parent (needs ``out``);
    ``stored_conversation``: a provider-side conversation to append to instead of chaining response ids.
    ``owns_provider``: the conversation made ``provider`` (from a name), so ``close()`` / ``aclose()`` (or leaving a
    ``with`` block) closes its clients; a provider object passed in stays open.
    """

    def __init__(
        self,
        ctx: KitContext,
        resources: KitResources,
        provider: ConversationProvider,
        request: AssetRequest,
        *,
        owns_provider: bool = False,
        **options: Any,
    ) -> None:
        self._session = TurnSession(ctx, resources, provider, request, **options)
        self._owns_provider = owns_provider

    def __repr__(self) -> str:
        s = self._session
        return f"{type(self).__name__}(id={s.id!r}, provider={s.provider.name!r}, turns={len(s.turns)})"

    @property
    def id(self) -> str:
        """The conversation's id (recorded in each asset's ``conversation`` provenance)."""
        return self._session.id

    @property
    def turns(self) -> list[TurnOutcome]:
        """The accepted turns, in order."""
        return list(self._session.turns)

    @property
    def request(self) -> AssetRequest:
        """The request the current turn was made from (the next turn starts from it)."""
        return self._session.request

    @property
    def current_turn(self) -> TurnOutcome | None:
        """The turn the next one refines: the last accepted turn, or the one :meth:`back_to` went back to
        (``None`` before the first turn)."""
        return self._session.current

    def back_to(self, turn: int | None = None) -> TurnOutcome:
        """Go back to an accepted turn — by default the one the current turn refined (an undo) — so the next turn
        refines its image, from its request and its response id: a branch, exact and free (nothing is sent; with
        the OpenAI Responses API the next call chains from that turn's ``previous_response_id``). The turns after
        it stay in :attr:`turns` and on disk; the next turn is numbered after them and records the turn it
        refined (``TurnOutcome.parent_turn``, the registry parent). Returns the turn gone back to. Raises
        :class:`~brandkit.RequestError` naming the turn when it is not an accepted one, when there is no earlier
        turn, while a turn runs, or for a ``stored_conversation`` (a provider-side conversation only appends)."""
        return self._session.back_to(turn)

    @property
    def last_response_id(self) -> str | None:
        """The response the next turn continues: the current turn's (``None`` before the first turn)."""
        return self._session.last_response_id

    @property
    def spent_usd(self) -> float:
        """What every turn cost so far, failed turns included."""
        return self._session.budget.spent_usd

    @property
    def usage(self) -> TurnUsage:
        """Every turn's tokens, summed (failed turns included)."""
        return self._session.usage

    @property
    def budget(self) -> SpendBudget:
        """The conversation's spend budget (``limit_usd`` None: unlimited, spend still counted)."""
        return self._session.budget

    @property
    def notes(self) -> list[str]:
        """Notes about the conversation itself (e.g. a provider that states no worst-case cost)."""
        return list(self._session.notes)


class Conversation(_ConversationBase):
    """A multi-turn image session (blocking); made by :meth:`brandkit.BrandKit.conversation`."""

    def close(self) -> None:
        """Close the clients of the provider this conversation made (see :class:`_ConversationBase`)."""
        provider = self._session.provider
        if self._owns_provider and isinstance(provider, Closable):
            provider.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def turn(self, instruction: str = "", *, on_partial: PartialCallback | None = None, **changes: Any) -> TurnOutcome:
        """Refine the image: ``instruction`` in words, ``changes`` any :class:`~brandkit.AssetRequest` field
        (``headline=``, ``subhead=``, ``cta=``, ``disclaimers=``, ``locale=``, ``policies=``, …).

        ``on_partial`` gets each :class:`PartialImage` while the image forms. Raises
        :class:`~brandkit.BrandViolationError` when no attempt passes the checks (the conversation does not
        advance), :class:`~brandkit.BudgetExceededError` before anything is sent when the conversation's budget
        cannot hold the turn, :class:`~brandkit.RequestError` for a bad change, :class:`~brandkit.ProviderError`.
        """
        session = self._session
        flow, ctx = session.begin(instruction, changes, on_partial)
        try:
            with session.resources.active():
                return run_sync(flow, ctx)
        finally:
            session.abandon(flow)


class AsyncConversation(_ConversationBase):
    """The same session, awaitable; made by :meth:`brandkit.AsyncBrandKit.conversation`."""

    async def aclose(self) -> None:
        """Async twin of :meth:`Conversation.close`."""
        provider = self._session.provider
        if self._owns_provider and isinstance(provider, AsyncClosable):
            await provider.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def turn(
        self, instruction: str = "", *, on_partial: PartialCallback | None = None, **changes: Any
    ) -> TurnOutcome:
        """Async twin of :meth:`Conversation.turn`; ``on_partial`` is called on the event loop's thread."""
        session = self._session
        callback: PartialCallback | None = None
        if on_partial is not None:
            loop = asyncio.get_running_loop()
            user = on_partial

            def callback(image: PartialImage) -> None:
                loop.call_soon_threadsafe(user, image)

        flow, ctx = session.begin(instruction, changes, callback)
        try:
            with session.resources.active():
                return await run_async(flow, ctx)
        finally:
            session.abandon(flow)

    async def stream(self, instruction: str = "", **changes: Any) -> AsyncIterator[PartialImage | TurnOutcome]:
        """``async for event in conv.stream(...)``: each :class:`PartialImage` as it arrives, then the turn's
        :class:`TurnOutcome`. A failed turn raises its error after the partial images it streamed."""
        queue: asyncio.Queue[PartialImage] = asyncio.Queue()
        task = asyncio.ensure_future(self.turn(instruction, on_partial=queue.put_nowait, **changes))
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    yield getter.result()
                    continue
                getter.cancel()
                while not queue.empty():
                    yield queue.get_nowait()
                yield task.result()
                return
        finally:
            if not task.done():  # the caller stopped listening: cancel the turn and let it settle
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
