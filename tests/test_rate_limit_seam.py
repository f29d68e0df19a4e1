"""The typed seam between provider and runner: every answer and every error carries its own rate-limit record.

The OpenAI provider fills :attr:`RenderResult.rate_limit`, :attr:`ModerationScores.rate_limit` and
:attr:`ProviderError.rate_limit` from the answer's headers (loopback server, real HTTP); the run's limiter
learns from those typed fields, not from the provider object.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from brandkit.errors import ProviderError, RateLimitError
from brandkit.models import RenderedImage, RenderResult
from brandkit.provider.base import StatesPrices
from brandkit.provider.openai import OpenAIProvider
from brandkit.provider.pricing import DEFAULT_PRICES, PriceTable
from brandkit.provider.retry import RetryPolicy
from brandkit.rate_limits import RateLimitInfo
from brandkit.variants.engines import prices_of
from brandkit.variants.ratelimit import AdaptiveRateLimiter, wrap
from tests.support.openai_plugin import generate_call, png_bytes
from tests.support.openai_server import OpenAIServer

MakeProvider = Callable[..., OpenAIProvider]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_render_result_carries_its_own_answers_rate_limit_record(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    provider = make_openai_provider()
    first = provider.render(generate_call()) if mode == "sync" else await provider.arender(generate_call())
    second = provider.render(generate_call()) if mode == "sync" else await provider.arender(generate_call())
    for result in (first, second):
        assert isinstance(result.rate_limit, RateLimitInfo)
        assert result.rate_limit.request_id == result.request_id and result.rate_limit.status_code == 200
        assert result.rate_limit.limit_requests == 5000
    assert first.rate_limit != second.rate_limit  # each its own, not the provider's latest


async def test_a_moderation_answer_carries_its_rate_limit_record(
    make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    scores = await make_openai_provider().amoderate(png_bytes(64, 64), "image/png", "hello")
    assert scores.rate_limit is not None and scores.request_ids == [scores.rate_limit.request_id]
    assert scores.rate_limit.limit_requests == 5000


async def test_an_http_error_carries_the_error_answers_rate_limit_record(
    make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("rate_limit", times=1, path="/images/generations", retry_after_ms=1500)
    provider = make_openai_provider(retry=RetryPolicy.never())
    with pytest.raises(RateLimitError) as caught:
        await provider.arender(generate_call())
    info = caught.value.rate_limit
    assert info is not None and info.status_code == 429 and info.retry_after_s == pytest.approx(1.5)
    assert info.request_id == caught.value.request_id


async def test_a_malformed_answer_keeps_its_rate_limit_record_on_the_error(
    make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("malformed_json", times=1, path="/images/generations")
    provider = make_openai_provider(retry=RetryPolicy.never())
    with pytest.raises(ProviderError) as caught:
        await provider.arender(generate_call())
    assert caught.value.rate_limit is not None and caught.value.rate_limit.status_code == 200


async def test_the_limiter_learns_the_limit_from_an_errors_typed_record() -> None:
    """A 429 answer's record (limit 7) reaches the limiter through ``ProviderError.rate_limit`` alone: the fake
    provider has no ``rate_limit_of`` / ``last_rate_limit`` to read."""

    class Provider:
        name = "fake"

        def render(self, call: Any) -> RenderResult:
            raise NotImplementedError

        async def arender(self, call: Any) -> RenderResult:
            info = RateLimitInfo(limit_requests=7, remaining_requests=0, status_code=429, observed_at=1.0)
            raise RateLimitError("slow down", retry_after=0.0, request_id="req_9", rate_limit=info)

    limiter = AdaptiveRateLimiter(window_s=60.0)
    with pytest.raises(RateLimitError):
        await asyncio.wait_for(wrap(Provider(), limiter).arender(None), 5.0)  # type: ignore[arg-type]
    assert limiter.stats.limit == 7


async def test_a_result_without_a_record_teaches_the_limiter_nothing() -> None:
    class Provider:
        name = "fake"
        last_rate_limit = RateLimitInfo(limit_requests=3, observed_at=1.0)  # a side channel: never read

        def render(self, call: Any) -> RenderResult:
            raise NotImplementedError

        async def arender(self, call: Any) -> RenderResult:
            image = RenderedImage(data=b"png", output_format="png", width=1, height=1)
            return RenderResult(images=[image], provider="fake", model="x", request_id="req_1")

    limiter = AdaptiveRateLimiter(window_s=60.0)
    await asyncio.wait_for(wrap(Provider(), limiter).arender(None), 5.0)  # type: ignore[arg-type]
    assert limiter.stats.limit is None


def test_the_price_table_is_stated_through_the_wrappers(make_openai_provider: MakeProvider) -> None:
    table = PriceTable(tokens=DEFAULT_PRICES.tokens, per_image=DEFAULT_PRICES.per_image, batch_factor=0.25)
    provider = make_openai_provider(prices=table)
    wrapped = wrap(provider, AdaptiveRateLimiter(window_s=60.0))
    assert isinstance(provider, StatesPrices) and isinstance(wrapped, StatesPrices)
    assert prices_of(wrapped) is table and prices_of(provider) is table
    assert prices_of(object()) is DEFAULT_PRICES
