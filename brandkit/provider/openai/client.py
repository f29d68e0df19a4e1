"""The OpenAI provider class: gpt-image-2 (and family) and omni-moderation, sync and async.

Both flavours share one request builder (:func:`~brandkit.provider.openai.plan.plan_render`), one response
reader (:mod:`~brandkit.provider.openai.responses`) and one error translation
(:mod:`~brandkit.provider.openai.errors`); only the awaited transport call differs. Each answer's rate-limit
record travels with it (:attr:`brandkit.models.RenderResult.rate_limit`,
:attr:`brandkit.moderation_scores.ModerationScores.rate_limit`, :attr:`brandkit.errors.ProviderError.rate_limit`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx2
import openai
import pydantic
from openai import AsyncOpenAI, OpenAI

from brandkit.errors import ProviderError, ProviderResponseError, redact
from brandkit.models import RenderCall, RenderResult, Usage
from brandkit.moderation_scores import ModerationScores
from brandkit.provider.openai import errors as _errors
from brandkit.provider.openai.headers import request_id_of
from brandkit.provider.openai.params import Transport
from brandkit.provider.openai.plan import RenderPlan, moderation_input, plan_render, worst_case_of_plan
from brandkit.provider.openai.responses import read_images, read_moderation, usage_of
from brandkit.provider.openai.transport import DEFAULT_TIMEOUT_S, OwnsClients
from brandkit.provider.pricing import PriceTable
from brandkit.provider.retry import RetryPolicy
from brandkit.rate_limits import RateLimitInfo

__all__ = ["OpenAIProvider"]

_log = logging.getLogger("brandkit.provider.openai")


class OpenAIProvider(OwnsClients):
    """OpenAI Images API (gpt-image-2 and family) plus omni-moderation, sync and async.

    Every argument is optional; ``api_key``, ``base_url``, ``organization``
    and ``project`` default to ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
    ``OPENAI_ORG_ID`` and ``OPENAI_PROJECT_ID``. Clients are created on first
    use (nothing is sent at construction), but a key that cannot be sent in an
    HTTP header (a typographic quote, a control character, whitespace) raises
    :class:`~brandkit.errors.ConfigurationError` here, naming the position of the
    bad character and never the key. Pass ``client`` / ``async_client``
    to use your own ``openai`` clients (their retries are switched off; the
    :class:`RetryPolicy` retries instead). ``timeout`` is the read timeout in
    seconds per attempt (connect: 10 s), or an ``httpx2.Timeout``.
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
        moderation_model: str = "omni-moderation-latest",
    ) -> None:
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
        self.moderation_model = moderation_model

    # -- configuration ------------------------------------------------------------------------

    @property
    def last_rate_limit(self) -> RateLimitInfo | None:
        """Rate-limit headers of the most recent response of this provider (success or error)."""
        return self._rate_limits.last

    def rate_limit_of(self, request_id: str | None) -> RateLimitInfo | None:
        """The rate-limit record of the answer with ``request_id`` (``x-request-id``), among the last
        :data:`~brandkit.provider.openai.headers.RATE_LIMIT_RECORDS` answers of this provider; ``None`` when
        unknown. Unlike :attr:`last_rate_limit`, it cannot be another concurrent request's. (Each answer also
        carries its own record: :attr:`RenderResult.rate_limit`, :attr:`ProviderError.rate_limit`.)"""
        return self._rate_limits.of(request_id)

    def _secrets(self) -> list[str]:
        return self._clients.secrets()

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets())

    def _sync(self) -> OpenAI:
        return self._clients.sync()

    def _async(self) -> AsyncOpenAI:
        return self._clients.async_()

    def price_table(self) -> PriceTable:
        """The table this provider bills with (:attr:`prices`; see :class:`~brandkit.provider.base.StatesPrices`)."""
        return self.prices

    # -- images -------------------------------------------------------------------------------

    def plan(self, call: RenderCall, *, transport: Transport = "live") -> RenderPlan:
        """Check ``call`` locally and return what would be sent (raises :class:`LocalParameterError`)."""
        return plan_render(call, safety_identifier=self.safety_identifier, transport=transport)

    @staticmethod
    def announce(plan: RenderPlan) -> None:
        """Log a warning for each parameter ``plan`` leaves out (:attr:`RenderPlan.notes`) as it is sent."""
        for note in plan.notes:
            _log.warning("openai %s (%s): %s", plan.label, plan.model, note)

    def estimate_cost(self, call: RenderCall) -> float:
        """Estimated USD of ``call`` before sending (output images only; see :mod:`pricing`)."""
        plan = self.plan(call)
        quality = str(plan.kwargs.get("quality", "auto"))
        width = plan.width or call.prompt.width
        height = plan.height or call.prompt.height
        return self.prices.estimate_cost(plan.model, quality, width, height, plan.n)

    def worst_case_cost(self, call: RenderCall, *, transport: Transport = "live") -> float:
        """The most ``call`` can cost in USD (what a spend budget reserves before sending; see
        :meth:`~brandkit.provider.pricing.PriceTable.worst_case_cost`). Raises :class:`RequestError` naming the
        model when the price table has no entry for it (a budget cannot be reserved then)."""
        plan = self.plan(call, transport=transport)
        return worst_case_of_plan(self.prices, plan, call, batch=transport == "batch")

    def _endpoint(self, plan: RenderPlan, client: OpenAI | AsyncOpenAI) -> Callable[..., Any]:
        resource = client.images.with_raw_response
        return resource.generate if plan.operation == "generate" else resource.edit

    def render(self, call: RenderCall) -> RenderResult:
        """Generate or edit images for ``call``; raises a :class:`ProviderError` subclass on failure."""
        plan = self.plan(call)
        endpoint = self._endpoint(plan, self._sync())
        self.announce(plan)
        started = time.perf_counter()

        def attempt() -> RenderResult:
            with self._translating(plan.label):
                raw = endpoint(**plan.kwargs)
                info = self._observe(raw.headers, raw.status_code)
                return self._read_images(plan, raw, info, started)

        return self.retry.call(attempt, label=f"openai {plan.label}")

    async def arender(self, call: RenderCall) -> RenderResult:
        """Async twin of :meth:`render` (same checks, retries, errors and parsing)."""
        plan = self.plan(call)
        endpoint = self._endpoint(plan, self._async())
        self.announce(plan)
        started = time.perf_counter()

        async def attempt() -> RenderResult:
            with self._translating(plan.label):
                raw = await endpoint(**plan.kwargs)
                # the headers as soon as the answer is in (a limiter dates the request's arrival from them);
                # decoding and verifying the images is CPU work: keep it off the event loop
                info = self._observe(raw.headers, raw.status_code)
                return await asyncio.to_thread(self._read_images, plan, raw, info, started)

        return await self.retry.acall(attempt, label=f"openai {plan.label}")

    # -- moderation ---------------------------------------------------------------------------

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Score one image and a text with the moderation model (one request; retried like images)."""
        items = moderation_input(image, mime, text)
        client = self._sync()

        def attempt() -> ModerationScores:
            with self._translating("moderations.create"):
                raw = client.moderations.with_raw_response.create(model=self.moderation_model, input=items)
                return self._read_moderation(raw)

        return self.retry.call(attempt, label="openai moderations.create")

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Async twin of :meth:`moderate`."""
        items = moderation_input(image, mime, text)
        client = self._async()

        async def attempt() -> ModerationScores:
            with self._translating("moderations.create"):
                raw = await client.moderations.with_raw_response.create(model=self.moderation_model, input=items)
                return self._read_moderation(raw)

        return await self.retry.acall(attempt, label="openai moderations.create")

    # -- shared response handling -------------------------------------------------------------

    def _observe(self, headers: Mapping[str, str], status_code: int | None) -> RateLimitInfo | None:
        return self._rate_limits.observe(headers, status_code)

    def _fail(
        self, label: str, request_id: str | None, info: RateLimitInfo | None = None
    ) -> Callable[..., ProviderResponseError]:
        def fail(problem: str, *, retryable: bool = True) -> ProviderResponseError:
            return _errors.response_error(
                label, problem, request_id, self._redact, retryable=retryable, rate_limit=info
            )

        return fail

    def _read_images(self, plan: RenderPlan, raw: Any, info: RateLimitInfo | None, started: float) -> RenderResult:
        request_id = request_id_of(raw.headers)
        with _errors.carrying(info):
            try:
                parsed = raw.parse()
            except (ValueError, pydantic.ValidationError, openai.APIResponseValidationError) as exc:
                raise self._fail(plan.label, request_id)(f"malformed JSON body ({exc})") from exc
            return self.images_result(plan, parsed, request_id, started, rate_limit=info)

    def images_result(
        self,
        plan: RenderPlan,
        parsed: Any,
        request_id: str | None,
        started: float,
        *,
        batch: bool = False,
        rate_limit: RateLimitInfo | None = None,
    ) -> RenderResult:
        """The :class:`RenderResult` of a parsed ``ImagesResponse`` answering ``plan``.

        Each image is base64-decoded, decoded and checked against the plan's format and size (else
        :class:`~brandkit.errors.ProviderResponseError`); the usage is billed at Batch API prices when
        ``batch`` (the OpenAI Batch engine reads its output file's bodies through this too). ``rate_limit``
        is the answer's rate-limit record, kept on the result.
        """
        images = read_images(plan, parsed, self._fail(plan.label, request_id, rate_limit))
        usage = usage_of(getattr(parsed, "usage", None))
        cost = self._cost(plan.model, usage, batch=batch)
        elapsed = time.perf_counter() - started
        _log.debug(
            "openai %s ok: model=%s images=%d request_id=%s cost_usd=%.6f elapsed=%.3fs",
            plan.label,
            plan.model,
            len(images),
            request_id,
            cost,
            elapsed,
        )
        return RenderResult(
            images=images,
            provider=self.name,
            model=plan.model,
            usage=usage,
            cost_usd=cost,
            request_id=request_id,
            elapsed_s=round(elapsed, 6),
            notes=list(plan.notes),
            rate_limit=rate_limit,
        )

    def _cost(self, model: str, usage: Usage | None, batch: bool = False) -> float:
        if usage is None:
            return 0.0
        try:
            return self.prices.cost_from_usage(model, usage, batch=batch)
        except ValueError as exc:
            _log.warning("openai: cannot price the usage: %s; cost_usd=0", exc)
            return 0.0

    def _read_moderation(self, raw: Any) -> ModerationScores:
        info = self._observe(raw.headers, raw.status_code)
        request_id = request_id_of(raw.headers)
        fail = self._fail("moderations.create", request_id, info)
        try:
            parsed = raw.parse()
        except (ValueError, pydantic.ValidationError, openai.APIResponseValidationError) as exc:
            raise fail(f"malformed JSON body ({exc})") from exc
        scores, flagged = read_moderation(parsed, fail)
        _log.debug("openai moderations.create ok: request_id=%s flagged=%s", request_id, flagged)
        return ModerationScores(
            source=f"openai:{self.moderation_model}",
            scores=scores,
            flagged=flagged,
            covered_categories=sorted(scores),
            request_ids=[request_id] if request_id else [],
            rate_limit=info,
        )

    # -- error translation (shared) -----------------------------------------------------------

    def translating(self, label: str) -> contextlib.AbstractContextManager[None]:
        """A context in which SDK exceptions become typed, redacted :class:`ProviderError` s (``label``
        names the operation in messages, e.g. ``"files.create"``)."""
        return self._translating(label)

    def client(self) -> OpenAI:
        """The sync ``openai`` client this provider uses (created on first use; retries off)."""
        return self._sync()

    def async_client(self) -> AsyncOpenAI:
        """The async ``openai`` client this provider uses (created on first use; retries off)."""
        return self._async()

    @contextmanager
    def _translating(self, label: str) -> Iterator[None]:
        """Turn SDK exceptions raised inside the block into typed, redacted :class:`ProviderError` s."""
        with _errors.translating(label, self._secrets, timeout_s=self._clients.timeout.read, observe=self._observe):
            yield

    def status_error(
        self,
        label: str,
        status: int,
        body: Mapping[str, Any],
        *,
        code: str | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        fallback_message: str = "",
    ) -> ProviderError:
        """The typed :class:`ProviderError` for an HTTP error answer: ``status`` and the ``error`` object
        ``body`` (``message``, ``code``, ``moderation_details`` …). Used for live answers and for the
        failed requests of a Batch API error file alike."""
        return _errors.status_error(
            label,
            status,
            body,
            self._redact,
            code=code,
            request_id=request_id,
            headers=headers,
            fallback_message=fallback_message,
        )
