"""The OpenAI Responses API as a :class:`~brandkit.provider.conversation.ConversationProvider` (multi-turn images).

Each turn is one ``responses.create`` with the ``image_generation`` tool (gpt-image-2), chained to the previous
one by ``previous_response_id`` (or appended to a stored ``conversation``). Both flavours share the request
builder (:mod:`.responses_request`), the answer reader (:mod:`.responses_stream`: one parser fed the stream's
events or the whole answer), the error translation (:func:`.errors.translating`), the SDK clients and hidden
key (:class:`.transport.Clients`), the rate-limit records (:class:`.headers.RateLimitBook`), the retry policy
(:class:`~brandkit.provider.retry.RetryPolicy`) and the pricing (:mod:`brandkit.provider.turn_pricing`); only
the transport differs (``for`` or ``async for`` over the events).

Faults: 429 / 5xx / a connection error on create and a stream that drops before ``response.completed`` are
retried by the policy (the partial images of a retried attempt come again, from index 0); a moderation block —
at create or in the middle of the stream — is a :class:`~brandkit.errors.ModerationBlockedError`, never retried.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx2
import openai
import pydantic
from openai import AsyncOpenAI, OpenAI

from brandkit.errors import ProviderError, ProviderResponseError, redact
from brandkit.provider.conversation import PartialCallback, TurnCall, TurnResult
from brandkit.provider.openai import errors as _errors
from brandkit.provider.openai.headers import request_id_of
from brandkit.provider.openai.responses_request import LABEL, TurnPlan, plan_turn
from brandkit.provider.openai.responses_stream import TurnOutcome, TurnReader, stream_error
from brandkit.provider.openai.transport import DEFAULT_TIMEOUT_S, OwnsClients
from brandkit.provider.pricing import PriceTable
from brandkit.provider.retry import RetryPolicy
from brandkit.provider.turn_pricing import turn_cost, turn_worst_case
from brandkit.rate_limits import RateLimitInfo

__all__ = ["CONTEXT_IMAGES_MAX", "CONTEXT_TOKENS_MAX", "DEFAULT_MAX_OUTPUT_TOKENS", "OpenAIConversationProvider"]

_log = logging.getLogger("brandkit.provider.openai.responses")

DEFAULT_MAX_OUTPUT_TOKENS = 16_000
"""``max_output_tokens`` sent with each turn: what bounds the text model's output (and reasoning) spend."""
CONTEXT_TOKENS_MAX = 400_000
"""The conversation context assumed for a turn continuing a response this provider did not answer (an assumed
bound for :meth:`OpenAIConversationProvider.worst_case_cost`: the largest context window of the gpt-5 family)."""
CONTEXT_IMAGES_MAX = 8
"""The images assumed in such a context (an assumed bound, like :data:`CONTEXT_TOKENS_MAX`)."""
_CONTEXT_RECORDS = 512


class OpenAIConversationProvider(OwnsClients):
    """Conversation turns through the OpenAI Responses API and its ``image_generation`` tool, sync and async.

    The connection arguments are :class:`~brandkit.provider.openai.OpenAIProvider`'s (``api_key``,
    ``base_url``, ``organization``, ``project`` default to the ``OPENAI_*`` variables; nothing is sent at
    construction; a key that cannot travel in a header raises :class:`~brandkit.errors.ConfigurationError`).
    ``prices`` must hold an entry for the text model (see :mod:`brandkit.provider.turn_pricing`; without one,
    turns say their text tokens are unpriced and :meth:`worst_case_cost` is ``None``). ``stream`` ``None``
    streams when the tool asks for partial images. ``max_output_tokens`` bounds the text model's output per turn.
    """

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        client: OpenAI | None = None,
        async_client: AsyncOpenAI | None = None,
        timeout: float | httpx2.Timeout = DEFAULT_TIMEOUT_S,
        retry: RetryPolicy | None = None,
        prices: PriceTable | None = None,
        safety_identifier: str | None = None,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        stream: bool | None = None,
    ) -> None:
        if max_output_tokens < 16:
            raise ValueError(f"max_output_tokens must be at least 16, got {max_output_tokens}")
        self._connect(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            client=client,
            async_client=async_client,
            timeout=timeout,
            retry=retry,
            prices=prices,
            safety_identifier=safety_identifier,
        )
        self.max_output_tokens = max_output_tokens
        self.stream = stream
        # response id -> (context tokens, context images) a turn continuing it carries: worst-case bounds only
        self._context: collections.OrderedDict[str, tuple[int, int]] = collections.OrderedDict()
        self._context_lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def last_rate_limit(self) -> RateLimitInfo | None:
        """Rate-limit headers of this provider's most recent answer (success or error)."""
        return self._rate_limits.last

    def price_table(self) -> PriceTable:
        """The table this provider bills with."""
        return self.prices

    # -- planning and pricing -----------------------------------------------------------------

    def plan(self, call: TurnCall) -> TurnPlan:
        """Check ``call`` locally and return what would be sent (raises :class:`LocalParameterError`)."""
        return plan_turn(
            call, safety_identifier=self.safety_identifier, max_output_tokens=self.max_output_tokens, stream=self.stream
        )

    def worst_case_cost(self, call: TurnCall) -> float | None:
        """The most ``call`` can cost in USD (what a spend budget reserves; see
        :func:`~brandkit.provider.turn_pricing.turn_worst_case`), or ``None`` when it cannot be bounded: the
        price table has no entry for the text model (or the image model), or the size is ``auto``. Raises
        :class:`LocalParameterError` for a call that would not be sent."""
        self.plan(call)
        tokens, images = self._context_of(call)
        return turn_worst_case(
            self.prices, call, max_output_tokens=self.max_output_tokens, context_tokens=tokens, context_images=images
        )

    # -- turns --------------------------------------------------------------------------------

    def respond(self, call: TurnCall, on_partial: PartialCallback | None = None) -> TurnResult:
        """Answer one turn (``on_partial`` gets each streamed partial image, in order); raises a typed
        :class:`~brandkit.errors.ProviderError` (with its ``rate_limit``) on failure."""
        plan = self._announce(self.plan(call))
        create = self._clients.sync().responses.with_raw_response.create
        started = time.perf_counter()

        def attempt() -> TurnResult:
            with self._translating():
                raw = create(**plan.kwargs)
                info = self._observe(raw.headers, raw.status_code)
                reader = self._reader(plan, call, on_partial, raw.headers, info)
                with _errors.carrying(info):
                    answer = self._parse(raw, reader)
                    if plan.stream:
                        try:
                            for event in answer:
                                reader.feed(event)
                        except openai.APIConnectionError as exc:
                            raise reader.dropped(exc) from exc
                        finally:
                            answer.close()
                    else:
                        reader.read(answer)
                    return self._result(plan, call, reader.finish(), request_id_of(raw.headers), info, started)

        return self.retry.call(attempt, label=f"openai {LABEL}")

    async def arespond(self, call: TurnCall, on_partial: PartialCallback | None = None) -> TurnResult:
        """Async twin of :meth:`respond` (same request, parser, retries and errors)."""
        plan = self._announce(self.plan(call))
        create = self._clients.async_().responses.with_raw_response.create
        started = time.perf_counter()

        async def attempt() -> TurnResult:
            with self._translating():
                raw = await create(**plan.kwargs)
                info = self._observe(raw.headers, raw.status_code)
                reader = self._reader(plan, call, on_partial, raw.headers, info)
                with _errors.carrying(info):
                    answer = self._parse(raw, reader)
                    if plan.stream:
                        try:
                            async for event in answer:
                                reader.feed(event)
                        except openai.APIConnectionError as exc:
                            raise reader.dropped(exc) from exc
                        finally:
                            await answer.close()
                    else:
                        reader.read(answer)
                    # decoding and checking the image is CPU work: keep it off the event loop
                    outcome = await asyncio.to_thread(reader.finish)
                    return self._result(plan, call, outcome, request_id_of(raw.headers), info, started)

        return await self.retry.acall(attempt, label=f"openai {LABEL}")

    # -- shared -------------------------------------------------------------------------------

    @staticmethod
    def _announce(plan: TurnPlan) -> TurnPlan:
        for note in plan.notes:
            _log.warning("openai %s (%s): %s", LABEL, plan.model, note)
        return plan

    def _secrets(self) -> list[str]:
        return self._clients.secrets()

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets())

    def _observe(self, headers: Mapping[str, str], status_code: int | None) -> RateLimitInfo | None:
        return self._rate_limits.observe(headers, status_code)

    @contextmanager
    def _translating(self) -> Iterator[None]:
        with _errors.translating(LABEL, self._secrets, timeout_s=self._clients.timeout.read, observe=self._observe):
            yield

    def _reader(
        self,
        plan: TurnPlan,
        call: TurnCall,
        on_partial: PartialCallback | None,
        headers: Mapping[str, str],
        info: RateLimitInfo | None,
    ) -> TurnReader:
        request_id = request_id_of(headers)

        def fail(problem: str, *, retryable: bool = True) -> ProviderResponseError:
            return _errors.response_error(
                LABEL, problem, request_id, self._redact, retryable=retryable, rate_limit=info
            )

        def error(code: str | None, message: str, stage: str, categories: Sequence[str]) -> ProviderError:
            return stream_error(
                LABEL,
                code,
                message,
                self._redact,
                request_id=request_id,
                rate_limit=info,
                stage=stage,
                categories=categories,
            )

        return TurnReader(
            label=LABEL,
            output_format=plan.output_format,
            width=plan.width,
            height=plan.height,
            attempt=call.attempt,
            request_id=request_id,
            on_partial=on_partial,
            fail=fail,
            error=error,
        )

    @staticmethod
    def _parse(raw: Any, reader: TurnReader) -> Any:
        try:
            return raw.parse()
        except (ValueError, pydantic.ValidationError, openai.APIResponseValidationError) as exc:
            raise reader.unusable(f"malformed JSON body ({exc})") from exc

    def _result(
        self,
        plan: TurnPlan,
        call: TurnCall,
        outcome: TurnOutcome,
        request_id: str | None,
        info: RateLimitInfo | None,
        started: float,
    ) -> TurnResult:
        notes = list(plan.notes)
        cost = 0.0
        if outcome.usage is None:
            notes.append("the answer reported no usage: the turn is not priced")
        else:
            priced = turn_cost(
                self.prices, plan.model, call.tool, outcome.usage, tool_usage_reported=outcome.tool_usage_reported
            )
            cost = priced.usd
            notes.extend(priced.notes)
            self._remember(call, outcome)
        for note in notes[len(plan.notes) :]:
            _log.warning("openai %s (%s): %s", LABEL, plan.model, note)
        elapsed = time.perf_counter() - started
        _log.debug(
            "openai %s ok: response=%s partials=%d request_id=%s cost_usd=%.6f elapsed=%.3fs",
            LABEL,
            outcome.response_id,
            outcome.partial_count,
            request_id,
            cost,
            elapsed,
        )
        return TurnResult(
            response_id=outcome.response_id,
            images=[outcome.image],
            provider=self.name,
            model=plan.image_model,
            usage=outcome.usage,
            cost_usd=cost,
            request_id=request_id,
            revised_prompt=outcome.revised_prompt,
            partial_count=outcome.partial_count,
            elapsed_s=round(elapsed, 6),
            notes=notes,
            rate_limit=info,
        )

    def _context_of(self, call: TurnCall) -> tuple[int, int]:
        """(tokens, images) of the context ``call`` continues: 0 for a first turn, what this provider recorded
        for a response or conversation it answered, else the assumed bounds (:data:`CONTEXT_TOKENS_MAX`,
        :data:`CONTEXT_IMAGES_MAX`)."""
        key = call.previous_response_id or call.conversation_id
        if key is None:
            return 0, 0
        with self._context_lock:
            known = self._context.get(key)
        return known if known is not None else (CONTEXT_TOKENS_MAX, CONTEXT_IMAGES_MAX)

    def _remember(self, call: TurnCall, outcome: TurnOutcome) -> None:
        usage = outcome.usage
        assert usage is not None
        key = call.previous_response_id or call.conversation_id
        with self._context_lock:
            _, images = self._context.get(key, (0, 0)) if key is not None else (0, 0)
            # the next turn reads all of this one: its input (the context so far included) and its output
            record = (usage.input_text_tokens + usage.output_text_tokens, images + len(call.input_images) + 1)
            self._context[outcome.response_id] = record
            if call.conversation_id is not None:
                self._context[call.conversation_id] = record
            while len(self._context) > _CONTEXT_RECORDS:
                self._context.popitem(last=False)
