"""OpenAIProvider against the loopback OpenAI server (real HTTP on 127.0.0.1, no network).

Every request the provider sends is validated by the server against the
official OpenAI API description in ``<project>/../shared/contracts/``; the
``openai_server`` fixture fails a test whose requests break it.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from typing import Any

import httpx2
import openai
import pytest
from PIL import Image

from brandkit.errors import AuthenticationError, InvalidParameterError, ProviderError
from brandkit.models import RenderCall, RenderResult, Usage
from brandkit.provider.base import ImageProvider, Moderator
from brandkit.provider.openai import LocalParameterError, OpenAIProvider, RateLimitInfo, plan_render
from brandkit.provider.pricing import DEFAULT_PRICES, PriceTable, TokenPrices, cost_from_usage, estimate_cost
from brandkit.provider.retry import RetryPolicy, parse_duration, parse_retry_after
from tests.support.openai_plugin import (
    FAKE_API_KEY,
    edit_call,
    generate_call,
    make_prompt,
    png_bytes,
    reference,
)
from tests.support.openai_server import OpenAIServer

MakeProvider = Callable[..., OpenAIProvider]
MODES = pytest.mark.parametrize("mode", ["sync", "async"])


async def render(provider: OpenAIProvider, call: RenderCall, mode: str) -> RenderResult:
    """``render`` or ``arender`` depending on ``mode``."""
    if mode == "sync":
        return provider.render(call)
    return await provider.arender(call)


def image_size(data: bytes) -> tuple[int, int, str]:
    with Image.open(io.BytesIO(data)) as image:
        return image.width, image.height, (image.format or "").lower()


# -- protocol, construction, secrets ----------------------------------------------------------


def test_implements_both_protocols() -> None:
    provider = OpenAIProvider(api_key=FAKE_API_KEY, base_url="http://127.0.0.1:9/v1")
    assert isinstance(provider, ImageProvider)
    assert isinstance(provider, Moderator)
    assert provider.name == "openai"


def test_construction_does_no_io_and_repr_hides_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no client may be created in __init__")

    monkeypatch.setattr("brandkit.provider.openai.transport.OpenAI", refuse)
    monkeypatch.setattr("brandkit.provider.openai.transport.AsyncOpenAI", refuse)
    provider = OpenAIProvider(api_key=FAKE_API_KEY, base_url="http://127.0.0.1:9/v1")
    assert FAKE_API_KEY not in repr(provider)
    assert FAKE_API_KEY not in str(vars(provider))
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    assert FAKE_API_KEY not in repr(OpenAIProvider())
    # a gateway's credentials in the base URL (a password, a key in the query) are secrets too
    gateway = OpenAIProvider(api_key=FAKE_API_KEY, base_url="https://team:gw-pass-0042@proxy.example/v1?key=gw-key-77")
    shown = repr(gateway)
    assert "gw-pass-0042" not in shown and "gw-key-77" not in shown and "team:***@proxy.example/v1?***" in shown
    assert {"gw-pass-0042", "gw-key-77"} <= set(gateway._clients.secrets())  # redacted from error messages too


@MODES
async def test_missing_key_raises_authentication_error_at_first_use(
    mode: str, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAIServer
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    provider = OpenAIProvider(base_url=openai_server.url)  # constructing is fine
    with pytest.raises(AuthenticationError) as info:
        await render(provider, generate_call(), mode)
    message = str(info.value)
    assert "OPENAI_API_KEY" in message
    assert "--provider local" in message and 'provider="local"' in message
    assert openai_server.count() == 0


async def test_key_from_environment(monkeypatch: pytest.MonkeyPatch, openai_server: OpenAIServer) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    provider = OpenAIProvider()
    result = provider.render(generate_call())
    assert result.images and openai_server.records()[0].authorized
    provider.close()


# -- generate ---------------------------------------------------------------------------------


@MODES
async def test_generate(mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer) -> None:
    provider = make_openai_provider()
    result = await render(provider, generate_call(n=2, moderation="low"), mode)

    assert result.provider == "openai" and result.model == "gpt-image-2"
    assert [(image.width, image.height, image.output_format) for image in result.images] == [(1024, 1024, "png")] * 2
    for image in result.images:
        assert image_size(image.data) == (1024, 1024, "png")
    record = openai_server.records("/images/generations")[0]
    assert result.request_id == record.request_id
    assert record.validation_errors == []
    assert record.fields["model"] == "gpt-image-2"
    assert record.fields["n"] == 2
    assert record.fields["size"] == "1024x1024"
    assert record.fields["moderation"] == "low"
    assert "input_fidelity" not in record.fields
    assert result.elapsed_s > 0


@MODES
async def test_generate_arbitrary_size_and_jpeg(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    provider = make_openai_provider()
    call = generate_call(width=1536, height=864, output_format="jpeg", output_compression=60, quality="medium")
    result = await render(provider, call, mode)
    assert image_size(result.images[0].data) == (1536, 864, "jpeg")
    fields = openai_server.records()[0].fields
    assert fields["size"] == "1536x864" and fields["output_compression"] == 60


@MODES
async def test_cost_is_computed_from_usage(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    provider = make_openai_provider()
    result = await render(provider, generate_call(quality="high"), mode)
    usage = openai_server.records()[0].response["usage"]
    assert result.usage == Usage(
        input_tokens=usage["input_tokens"],
        input_text_tokens=usage["input_tokens_details"]["text_tokens"],
        input_image_tokens=usage["input_tokens_details"]["image_tokens"],
        output_tokens=usage["output_tokens"],
        output_image_tokens=usage["output_tokens_details"]["image_tokens"],
        output_text_tokens=0,
    )
    expected = (
        usage["input_tokens_details"]["text_tokens"] * 5.00 + usage["output_tokens_details"]["image_tokens"] * 30.00
    ) / 1_000_000
    assert result.cost_usd == pytest.approx(expected)
    assert result.cost_usd > 0


async def test_custom_price_table(make_openai_provider: MakeProvider, openai_server: OpenAIServer) -> None:
    prices = PriceTable(tokens={"gpt-image-2": TokenPrices(text_input=0.0, image_input=0.0, image_output=1_000_000.0)})
    provider = make_openai_provider(prices=prices)
    result = provider.render(generate_call())
    assert result.cost_usd == pytest.approx(openai_server.records()[0].response["usage"]["output_tokens"])


@MODES
async def test_rate_limit_headers_are_exposed(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    provider = make_openai_provider()
    assert provider.last_rate_limit is None
    result = await render(provider, generate_call(), mode)
    info = provider.last_rate_limit
    assert isinstance(info, RateLimitInfo)
    assert info.limit_requests == 5000 and info.remaining_requests is not None
    assert info.reset_tokens_s == pytest.approx(0.06)
    assert info.request_id == result.request_id and info.status_code == 200


@MODES
async def test_each_answers_rate_limit_record_is_kept_by_request_id_with_the_servers_processing_time(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.latency_s = 0.2  # the server's processing of an image request includes the generation
    provider = make_openai_provider()
    first = await render(provider, generate_call(), mode)
    second = await render(provider, generate_call(), mode)
    assert provider.last_rate_limit is not None and provider.last_rate_limit.request_id == second.request_id
    kept = provider.rate_limit_of(first.request_id)  # not overwritten by the later answer
    assert kept is not None and kept.request_id == first.request_id and kept.status_code == 200
    assert kept.processing_s is not None and 0.2 <= kept.processing_s < first.elapsed_s
    assert provider.rate_limit_of("req_unknown") is None and provider.rate_limit_of(None) is None


@pytest.mark.parametrize(
    ("header", "expected"), [("1234", 1.234), ("0", 0.0), ("-5", None), ("nan", None), ("soon", None), (None, None)]
)
def test_processing_time_header_is_read_in_seconds_or_not_at_all(header: str | None, expected: float | None) -> None:
    headers = {"x-ratelimit-limit-requests": "50"}
    if header is not None:
        headers["openai-processing-ms"] = header
    info = RateLimitInfo.from_headers(headers, 200)
    assert info is not None and info.processing_s == (None if expected is None else pytest.approx(expected))


async def test_safety_identifier_is_sent(make_openai_provider: MakeProvider, openai_server: OpenAIServer) -> None:
    provider = make_openai_provider(safety_identifier="user-hash-123")
    provider.render(generate_call())
    provider.render(edit_call())
    assert [record.fields.get("safety_identifier") for record in openai_server.records()] == ["user-hash-123"] * 2


async def test_caller_supplied_client_is_used_with_retries_off(openai_server: OpenAIServer) -> None:
    client = openai.OpenAI(api_key=FAKE_API_KEY, base_url=openai_server.url, max_retries=5, http_client=httpx2.Client())
    provider = OpenAIProvider(client=client, retry=RetryPolicy.never())
    openai_server.inject("server_error")
    with pytest.raises(ProviderError):
        provider.render(generate_call())
    assert openai_server.count() == 1  # the client's own 5 retries were switched off
    assert client.max_retries == 5  # the caller's client itself is untouched
    assert provider.render(generate_call()).images
    client.close()


# -- edit -------------------------------------------------------------------------------------


@MODES
async def test_edit_sends_references_as_image_array_in_index_order(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    provider = make_openai_provider()
    call = edit_call(moderation="auto", input_fidelity="high")  # both left out with a note (test_model_params.py)
    result = await render(provider, call, mode)
    assert image_size(result.images[0].data) == (1024, 1024, "png")

    record = openai_server.records("/images/edits")[0]
    assert record.validation_errors == []
    assert record.content_type.startswith("multipart/form-data")
    images = record.image_files
    assert [item["field"] for item in images] == ["image[]", "image[]"]
    by_index = sorted(call.prompt.references, key=lambda ref: ref.index)
    assert [item["sha256"] for item in images] == [hashlib.sha256(ref.data).hexdigest() for ref in by_index]
    assert images[0]["filename"].startswith("01-logo") and images[1]["filename"].startswith("02-product")
    assert all(item["content_type"] == "image/png" for item in images)
    assert "moderation" not in record.fields  # not a field of the multipart edit
    assert "input_fidelity" not in record.fields  # never for gpt-image-2
    assert record.fields["prompt"] == call.prompt.text


async def test_an_async_multipart_edit_leaves_in_one_write_unless_the_client_is_the_callers(
    make_openai_provider: MakeProvider, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The async client brandkit makes reads each request body into one piece before sending it (a part per
    event-loop turn is slow on a busy loop), up to a size; a client passed in is left as it is."""
    chunks: list[int] = []
    send = httpx2.AsyncHTTPTransport.handle_async_request

    async def counting(self: httpx2.AsyncHTTPTransport, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/images/edits"):
            chunks.append(len([chunk async for chunk in request.stream]))  # type: ignore[union-attr]
        return await send(self, request)

    monkeypatch.setattr(httpx2.AsyncHTTPTransport, "handle_async_request", counting)
    result = await make_openai_provider().arender(edit_call())
    given = openai.AsyncOpenAI(api_key=FAKE_API_KEY, base_url=openai_server.url, http_client=httpx2.AsyncClient())
    await OpenAIProvider(async_client=given).arender(edit_call())
    await given.close()
    import brandkit.provider.openai.transport as module

    monkeypatch.setattr(module, "WHOLE_BODY_MAX_BYTES", 1000)  # a larger body streams part by part
    await make_openai_provider().arender(edit_call())
    assert result.images and chunks[0] == 1 and chunks[1] > 1 and chunks[2] > 1
    assert [record.validation_errors for record in openai_server.records("/images/edits")] == [[], [], []]


async def test_edit_input_fidelity_kept_for_models_that_support_it(
    make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    provider = make_openai_provider()
    provider.render(edit_call(model="gpt-image-1.5", input_fidelity="high"))
    assert openai_server.records()[0].fields["input_fidelity"] == "high"


@MODES
async def test_edit_base_image_goes_first_and_mask_is_sent(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    provider = make_openai_provider()
    base = png_bytes(1024, 1024, (10, 200, 10))
    mask = png_bytes(1024, 1024, (0, 0, 0), alpha=True)
    await render(provider, edit_call(base_image=base, mask=mask), mode)
    record = openai_server.records()[0]
    assert len(record.image_files) == 3
    assert record.image_files[0]["sha256"] == hashlib.sha256(base).hexdigest()
    masks = [item for item in record.files if item["field"] == "mask"]
    assert len(masks) == 1 and masks[0]["sha256"] == hashlib.sha256(mask).hexdigest()


# -- local validation: nothing is sent --------------------------------------------------------


def _too_many_refs() -> RenderCall:
    data = png_bytes(32, 32)
    return RenderCall(prompt=make_prompt(references=[reference(i, "other", data) for i in range(1, 18)]))


def _mask_call(mask: bytes) -> RenderCall:
    return edit_call(base_image=png_bytes(1024, 1024), mask=mask)


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(buffer, "JPEG")
    return buffer.getvalue()


INVALID_CALLS: list[tuple[str, Callable[[], RenderCall], str]] = [
    ("size-not-16", lambda: generate_call(width=1000, height=1000), "size"),
    ("size-too-long", lambda: generate_call(width=4096, height=2048), "size"),
    ("size-ratio", lambda: generate_call(width=3600, height=720), "size"),
    ("size-too-few-pixels", lambda: generate_call(width=512, height=512), "size"),
    ("size-garbage", lambda: generate_call(size="big"), "size"),
    ("size-old-model", lambda: generate_call(model="gpt-image-1", width=1536, height=864), "size"),
    ("transparent-jpeg", lambda: generate_call(background="transparent", output_format="jpeg"), "background"),
    ("compression-png", lambda: generate_call(output_compression=50), "output_compression"),
    (
        "compression-range",
        lambda: generate_call(output_format="webp", output_compression=101),
        "output_compression",
    ),
    ("format", lambda: generate_call(output_format="gif"), "output_format"),
    ("quality", lambda: generate_call(quality="ultra"), "quality"),
    ("n-zero", lambda: generate_call(n=0), "n"),
    ("n-eleven", lambda: generate_call(n=11), "n"),
    ("too-many-images", _too_many_refs, "images"),
    ("prompt-too-long", lambda: RenderCall(prompt=make_prompt(text="x" * 32_001)), "prompt"),
    ("unknown-param", lambda: generate_call(seed=3), "params"),
    ("stream", lambda: generate_call(stream=True), "stream"),
    ("mask-without-image", lambda: RenderCall(prompt=make_prompt(), mask=png_bytes(alpha=True)), "mask"),
    ("mask-no-alpha", lambda: _mask_call(png_bytes(1024, 1024)), "mask"),
    ("mask-wrong-size", lambda: _mask_call(png_bytes(512, 512, alpha=True)), "mask"),
    ("mask-jpeg", lambda: _mask_call(_jpeg(1024, 1024)), "mask"),
    (
        "reference-not-image",
        lambda: RenderCall(prompt=make_prompt(references=[reference(1, "logo", b"GIF89a")])),
        "references[1] (logo)",
    ),
]


@MODES
@pytest.mark.parametrize(("case", "make_call", "field"), INVALID_CALLS, ids=[case for case, _, _ in INVALID_CALLS])
async def test_invalid_parameters_fail_locally_and_send_nothing(
    mode: str,
    case: str,
    make_call: Callable[[], RenderCall],
    field: str,
    make_openai_provider: MakeProvider,
    openai_server: OpenAIServer,
) -> None:
    provider = make_openai_provider()
    with pytest.raises(LocalParameterError) as info:
        await render(provider, make_call(), mode)
    error = info.value
    assert isinstance(error, InvalidParameterError)
    assert error.field == field
    assert f"invalid {field}=" in str(error) and "nothing was sent" in str(error)
    assert error.code == "local_validation"
    assert openai_server.count() == 0


def test_plan_describes_without_bytes() -> None:
    plan = plan_render(edit_call(mask=None, base_image=png_bytes(1024, 1024)), safety_identifier="s1")
    described = plan.describe()
    assert plan.operation == "edit" and plan.label == "images.edit"
    assert described["image"][0].startswith("base.png (image/png")
    assert described["safety_identifier"] == "s1"
    assert "bytes" in repr(described) and b"PNG" not in repr(described).encode()


def test_estimate_cost_before_sending() -> None:
    provider = OpenAIProvider(api_key=FAKE_API_KEY, base_url="http://127.0.0.1:9/v1")
    assert provider.estimate_cost(generate_call(quality="high", n=2)) == pytest.approx(0.422)
    assert provider.estimate_cost(generate_call(quality="low", width=1536, height=1024)) == pytest.approx(0.005)


# -- moderation -------------------------------------------------------------------------------


@MODES
async def test_moderation_one_image_per_request(
    mode: str, make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    openai_server.moderation_scores = {"violence": 0.72, "self-harm/intent": 0.31}
    provider = make_openai_provider()
    image = png_bytes(64, 48)
    if mode == "sync":
        scores = provider.moderate(image, "image/png", "Summer sale poster")
    else:
        scores = await provider.amoderate(image, "image/png", "Summer sale poster")

    assert scores.source == "openai:omni-moderation-latest"
    assert scores.scores["violence"] == pytest.approx(0.72)
    assert scores.scores["self-harm/intent"] == pytest.approx(0.31)
    assert scores.flagged is True
    assert set(scores.covered_categories) >= {"sexual", "violence", "self-harm/intent", "harassment"}
    record = openai_server.records("/moderations")[0]
    assert scores.request_ids == [record.request_id]
    assert record.validation_errors == []
    assert record.fields["model"] == "omni-moderation-latest"
    items = record.fields["input"]
    assert items[0] == {"type": "text", "text": "Summer sale poster"}
    assert items[1]["type"] == "image_url"
    assert items[1]["image_url"]["url"].startswith("<data:image/png;base64")  # the log keeps no image bytes
    assert record.response["images"] == 1


async def test_moderation_rejects_unsupported_mime(
    make_openai_provider: MakeProvider, openai_server: OpenAIServer
) -> None:
    with pytest.raises(LocalParameterError) as info:
        make_openai_provider().moderate(b"%PDF", "application/pdf", "")
    assert info.value.field == "mime"
    assert openai_server.count() == 0


# -- the key never leaks ----------------------------------------------------------------------


@MODES
async def test_key_never_in_logs(
    mode: str,
    make_openai_provider: MakeProvider,
    openai_server: OpenAIServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = make_openai_provider()
    openai_server.inject("server_error")
    await render(provider, generate_call(), mode)
    openai_server.inject("auth")
    with pytest.raises(AuthenticationError):
        await render(provider, generate_call(), mode)
    assert caplog.records, "expected some log output at DEBUG"
    assert FAKE_API_KEY not in caplog.text
    assert FAKE_API_KEY not in repr(provider)


# -- pricing and retry helpers ----------------------------------------------------------------


def test_cost_from_usage_per_model_and_batch() -> None:
    usage = Usage(
        input_tokens=1_000_000 + 2_000_000,
        input_text_tokens=1_000_000,
        input_image_tokens=2_000_000,
        output_tokens=1_000_000,
        output_image_tokens=1_000_000,
    )
    assert cost_from_usage("gpt-image-2", usage) == pytest.approx(5 + 16 + 30)
    assert cost_from_usage("gpt-image-2-2026-04-21", usage) == pytest.approx(51)
    assert cost_from_usage("gpt-image-2", usage, batch=True) == pytest.approx(25.5)
    assert cost_from_usage("gpt-image-1.5", usage) == pytest.approx(5 + 16 + 32)
    assert cost_from_usage("gpt-image-1", usage) == pytest.approx(5 + 20 + 40)
    assert cost_from_usage("gpt-image-1-mini", usage) == pytest.approx(2 + 5 + 8)
    assert cost_from_usage("gpt-image-2", usage, cached_text_tokens=1_000_000) == pytest.approx(1.25 + 16 + 30)
    no_breakdown = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_from_usage("gpt-image-2", no_breakdown) == pytest.approx(5 + 30)
    with pytest.raises(ValueError, match="dall-e-3"):
        cost_from_usage("dall-e-3", usage)


def test_estimate_cost_table_and_scaling() -> None:
    assert estimate_cost("gpt-image-2", "low", 1024, 1024) == pytest.approx(0.006)
    assert estimate_cost("gpt-image-2", "medium", 1024, 1536, n=3) == pytest.approx(0.123)
    assert estimate_cost("gpt-image-2", "auto", 1024, 1024) == pytest.approx(0.211)  # auto is estimated as high
    assert estimate_cost("gpt-image-2", "high", 2048, 2048) == pytest.approx(0.211 * 4)  # scaled by pixel count
    assert estimate_cost("gpt-image-1-mini", "high", 1536, 1024, batch=True) == pytest.approx(0.026)
    with pytest.raises(ValueError):
        estimate_cost("gpt-image-2", "ultra", 1024, 1024)
    with pytest.raises(TypeError):
        DEFAULT_PRICES.tokens["x"] = DEFAULT_PRICES.tokens["gpt-image-2"]  # type: ignore[index]


def test_duration_and_retry_after_parsing() -> None:
    assert parse_duration("20ms") == pytest.approx(0.02)
    assert parse_duration("6m0s") == pytest.approx(360)
    assert parse_duration("1h2m3.5s") == pytest.approx(3723.5)
    assert parse_duration("1.5") == pytest.approx(1.5)
    assert parse_duration("soon") is None
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == pytest.approx(0.25)
    for unusable in ("-5", "inf", "nan", "soon"):  # an unusable millisecond count: the seconds header instead
        assert parse_retry_after({"retry-after-ms": unusable, "retry-after": "9"}) == pytest.approx(9)
    assert parse_retry_after({"Retry-After": "3"}) == pytest.approx(3)
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0) == pytest.approx(10)
    assert parse_retry_after({}) is None


def test_retry_policy_validation() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(max_total_s=0)
    assert RetryPolicy.never().max_attempts == 1
