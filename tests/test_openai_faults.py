"""Fault injection: retries, typed errors, request ids, ``__cause__`` and secrecy, sync and async.

The loopback server validates each request against the official OpenAI API
description in ``<project>/../shared/contracts/`` while injecting faults.
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections.abc import Callable

import openai
import pytest

from brandkit.errors import (
    AuthenticationError,
    ModerationBlockedError,
    ProviderConnectionError,
    ProviderError,
    ProviderResponseError,
    ProviderTimeoutError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
)
from brandkit.models import RenderCall, RenderResult
from brandkit.provider.openai import OpenAIProvider
from brandkit.provider.retry import RetryPolicy
from tests.support.openai_plugin import FAKE_API_KEY, edit_call, generate_call, png_bytes
from tests.support.openai_server import OpenAIServer

MakeProvider = Callable[..., OpenAIProvider]
MODES = pytest.mark.parametrize("mode", ["sync", "async"])
GEN = "/images/generations"


async def render(provider: OpenAIProvider, call: RenderCall, mode: str) -> RenderResult:
    """``render`` or ``arender`` depending on ``mode``."""
    if mode == "sync":
        return provider.render(call)
    return await provider.arender(call)


def assert_clean(exc: ProviderError, provider: OpenAIProvider, key: str = FAKE_API_KEY) -> None:
    """A typed error: original exception chained, no key in any text form."""
    assert exc.__cause__ is not None
    assert exc.provider == "openai"
    for text in (str(exc), repr(exc), exc.message, repr(provider)):
        assert key not in text


# -- recoverable faults -----------------------------------------------------------------------


@MODES
async def test_rate_limit_waits_for_retry_after_ms_then_recovers(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("rate_limit", times=2, retry_after_ms=120)
    provider = make_openai_provider(retry=RetryPolicy(max_attempts=4, base_s=0.001, max_wait_s=2.0, jitter=False))
    result = await render(provider, generate_call(), mode)
    records = openai_server.records(GEN)
    assert [record.status for record in records] == [429, 429, 200]
    gaps = [later.started - earlier.started for earlier, later in itertools.pairwise(records)]
    assert all(0.11 <= gap < 0.6 for gap in gaps), gaps  # the server's 120 ms, not the 1 ms backoff
    assert result.request_id == records[-1].request_id
    assert provider.last_rate_limit is not None and provider.last_rate_limit.status_code == 200


@MODES
async def test_rate_limit_retry_after_seconds_is_honoured(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("rate_limit", retry_after="0.2")
    provider = make_openai_provider(retry=RetryPolicy(base_s=0.001, max_wait_s=2.0))
    await render(provider, generate_call(), mode)
    first, second = openai_server.records(GEN)
    assert second.started - first.started >= 0.19


@MODES
async def test_retry_after_is_capped_at_max_wait(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("rate_limit", retry_after_ms=5000)
    provider = make_openai_provider(retry=RetryPolicy(base_s=0.001, max_wait_s=0.05, max_total_s=10))
    await render(provider, generate_call(), mode)
    first, second = openai_server.records(GEN)
    assert second.started - first.started < 1.0


@MODES
async def test_retry_after_beyond_the_budget_stops_at_once(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("rate_limit", retry_after_ms=30_000)
    provider = make_openai_provider(retry=RetryPolicy(base_s=0.001, max_wait_s=60, max_total_s=5))
    with pytest.raises(RateLimitError) as info:
        await render(provider, generate_call(), mode)
    assert openai_server.count() == 1
    assert info.value.retry_after == pytest.approx(30.0)
    assert "retry budget" in str(info.value)
    assert info.value.request_id == openai_server.records()[0].request_id
    assert_clean(info.value, provider)


@MODES
@pytest.mark.parametrize("kind", ["server_error", "overloaded", "reset", "malformed_json", "truncated_b64"])
async def test_transient_fault_recovers(
    mode: str, kind: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject(kind)
    result = await render(make_openai_provider(), generate_call(), mode)
    assert len(result.images) == 1
    records = openai_server.records(GEN)
    assert len(records) == 2 and records[0].fault == kind and records[1].status == 200
    assert result.request_id == records[1].request_id


@MODES
async def test_slow_response_is_retried_after_the_timeout(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("slow", delay_s=2.0)
    provider = make_openai_provider(timeout=0.5)
    result = await render(provider, generate_call(), mode)
    assert result.images and openai_server.count(GEN) == 2


@MODES
async def test_edit_recovers_from_a_dropped_connection(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("reset", path="/images/edits")
    result = await render(make_openai_provider(), edit_call(), mode)
    records = openai_server.records("/images/edits")
    assert result.images and len(records) == 2
    assert records[0].image_files == records[1].image_files  # the same images were sent again


# -- persistent faults: bounded retries, then the last typed error ----------------------------


PERSISTENT = [
    ("server_error", ServerError, 500, True),
    ("overloaded", ServerError, 503, True),
    ("rate_limit", RateLimitError, 429, True),
    ("malformed_json", ProviderResponseError, None, True),
    ("truncated_b64", ProviderResponseError, None, True),
    ("reset", ProviderConnectionError, None, False),
]


@MODES
@pytest.mark.parametrize(("kind", "error_type", "status", "has_request_id"), PERSISTENT, ids=[p[0] for p in PERSISTENT])
async def test_persistent_fault_raises_last_typed_error(
    mode: str,
    kind: str,
    error_type: type[ProviderError],
    status: int | None,
    has_request_id: bool,
    make_openai_provider: MakeProvider,
    openai_server: OpenAIServer,
) -> None:
    openai_server.inject(kind, times=10, retry_after_ms=5)
    provider = make_openai_provider(retry=RetryPolicy(max_attempts=3, base_s=0.001, max_wait_s=0.01))
    with pytest.raises(error_type) as info:
        await render(provider, generate_call(), mode)
    error = info.value
    assert openai_server.count(GEN) == 3
    assert "gave up after 3 attempts" in str(error)
    assert error.status_code == status
    if has_request_id:
        assert error.request_id == openai_server.records()[-1].request_id
    assert_clean(error, provider)
    if isinstance(error, ServerError | RateLimitError):
        assert isinstance(error.__cause__, openai.APIStatusError)


@MODES
async def test_persistent_slow_raises_timeout(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("slow", times=5, delay_s=2.0)
    provider = make_openai_provider(timeout=0.25, retry=RetryPolicy(max_attempts=2, base_s=0.001))
    with pytest.raises(ProviderTimeoutError) as info:
        await render(provider, generate_call(), mode)
    assert isinstance(info.value, ProviderConnectionError)
    assert isinstance(info.value.__cause__, openai.APITimeoutError)
    assert openai_server.count(GEN) == 2
    assert "timed out" in str(info.value) and "gave up after 2 attempts" in str(info.value)
    assert_clean(info.value, provider)


@MODES
async def test_total_time_budget_bounds_retries(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("server_error", times=50)
    provider = make_openai_provider(retry=RetryPolicy(max_attempts=50, max_total_s=0.3, base_s=0.05, max_wait_s=0.1))
    with pytest.raises(ServerError) as info:
        await render(provider, generate_call(), mode)
    # far fewer than the 50 attempts allowed; how many fit in 0.3 s depends on the machine's load (on a busy one
    # the first answer alone can take that long), so only the bound is asserted, not a lower count
    assert 1 <= openai_server.count() < 10
    assert "retry budget" in str(info.value)


# -- never retried ----------------------------------------------------------------------------


@MODES
@pytest.mark.parametrize("operation", ["generate", "edit"])
async def test_moderation_blocked_is_not_retried(
    mode: str, operation: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("moderation_blocked", stage="output", categories=["sexual", "violence"])
    provider = make_openai_provider()
    call = generate_call() if operation == "generate" else edit_call()
    with pytest.raises(ModerationBlockedError) as info:
        await render(provider, call, mode)
    error = info.value
    assert openai_server.count() == 1
    assert error.stage == "output" and error.categories == ["sexual", "violence"]
    assert error.status_code == 400 and error.code == "moderation_blocked"
    assert error.request_id == openai_server.records()[0].request_id
    assert isinstance(error.__cause__, openai.BadRequestError)
    assert_clean(error, provider)


@MODES
async def test_insufficient_quota_is_not_retried(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("insufficient_quota")
    provider = make_openai_provider()
    with pytest.raises(QuotaExceededError) as info:
        await render(provider, generate_call(), mode)
    assert not isinstance(info.value, RateLimitError)
    assert openai_server.count() == 1
    assert info.value.status_code == 429 and info.value.code == "insufficient_quota"
    assert info.value.request_id == openai_server.records()[0].request_id
    assert isinstance(info.value.__cause__, openai.RateLimitError)
    assert_clean(info.value, provider)


@MODES
@pytest.mark.parametrize("key", [FAKE_API_KEY, "custom-secret-token-Zq81"])
async def test_auth_error_is_not_retried_and_key_is_redacted(
    mode: str,
    key: str,
    make_openai_provider: MakeProvider,
    openai_server: OpenAIServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    openai_server.inject("auth")  # the server echoes the whole key in its message
    provider = make_openai_provider(api_key=key)
    with pytest.raises(AuthenticationError) as info:
        await render(provider, generate_call(), mode)
    assert openai_server.count() == 1
    assert info.value.status_code == 401 and info.value.code == "invalid_api_key"
    assert info.value.request_id == openai_server.records()[0].request_id
    assert isinstance(info.value.__cause__, openai.AuthenticationError)
    assert "[REDACTED]" in str(info.value.__cause__)  # the server echoed the key; brandkit scrubbed it …
    assert_clean(info.value, provider, key)
    assert key not in "".join(traceback.format_exception(info.value))  # … from the chained cause too
    assert key not in caplog.text


@MODES
async def test_bad_request_is_invalid_parameter_not_retried(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("bad_request", message="Invalid size '1024x1040'.", param="size", code="invalid_size")
    provider = make_openai_provider()
    from brandkit.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError) as info:
        await render(provider, generate_call(), mode)
    assert openai_server.count() == 1 and info.value.code == "invalid_size"
    assert_clean(info.value, provider)


@MODES
async def test_wrong_size_is_a_response_error(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.inject("wrong_size", width=512, height=512)
    provider = make_openai_provider()
    with pytest.raises(ProviderResponseError) as info:
        await render(provider, generate_call(), mode)
    assert "512x512" in str(info.value) and "1024x1024" in str(info.value)
    assert info.value.request_id == openai_server.records()[0].request_id
    assert openai_server.count() == 1  # a billed image of the wrong size is not paid for twice
    assert_clean(info.value, provider)


# -- moderation endpoint faults ---------------------------------------------------------------


@MODES
async def test_moderation_endpoint_retries_and_maps_errors(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    provider = make_openai_provider()
    image = png_bytes(32, 32)
    openai_server.inject("server_error", path="/moderations")
    scores = (
        provider.moderate(image, "image/png", "x")
        if mode == "sync"
        else await provider.amoderate(image, "image/png", "x")
    )
    assert scores.scores and openai_server.count("/moderations") == 2
    assert scores.request_ids == [openai_server.records()[-1].request_id]

    openai_server.inject("auth", path="/moderations")
    with pytest.raises(AuthenticationError) as info:
        if mode == "sync":
            provider.moderate(image, "image/png", "x")
        else:
            await provider.amoderate(image, "image/png", "x")
    assert openai_server.count("/moderations") == 3
    assert_clean(info.value, provider)
