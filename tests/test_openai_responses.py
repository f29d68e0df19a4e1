"""OpenAIConversationProvider (Responses API + image_generation tool) against the loopback server.

Real HTTP on 127.0.0.1: every request is validated by the server against the official OpenAI API description
(``CreateResponse``) and every answer — the JSON ``Response`` and each server-sent event — against its schema;
the ``openai_server`` fixture fails a test on any violation. Faults are injected with ``openai_server.inject``.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx2
import openai
import pytest
from openai.types.responses import ResponseOutputItemDoneEvent
from PIL import Image

from brandkit.errors import (
    AuthenticationError,
    InvalidParameterError,
    ModerationBlockedError,
    ProviderConnectionError,
    ProviderError,
    ProviderResponseError,
    RateLimitError,
    RequestError,
    ServerError,
)
from brandkit.provider import make_conversation_provider
from brandkit.provider.conversation import (
    ConversationProvider,
    ImageToolParams,
    PartialImage,
    PricedConversationProvider,
    TurnCall,
    TurnImage,
    TurnResult,
    TurnUsage,
)
from brandkit.provider.openai import LocalParameterError
from brandkit.provider.openai.responses_api import CONTEXT_TOKENS_MAX, OpenAIConversationProvider
from brandkit.provider.openai.responses_stream import TurnReader, stream_error
from brandkit.provider.pricing import DEFAULT_PRICES, PriceTable, TokenPrices
from brandkit.provider.turn_pricing import turn_cost
from brandkit.spec.models import BrandSpec
from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY, make_prompt, png_bytes
from tests.support.openai_server import OpenAIServer

MODES = pytest.mark.parametrize("mode", ["sync", "async"])
WIDTH, HEIGHT = 1024, 640
LOGO = png_bytes(96, 48, (230, 20, 40))

TEXT_PRICES = TokenPrices(
    text_input=1.25, text_cached_input=0.125, image_input=1.25, image_output=10.0, text_output=10.0
)
"""Test prices for the text model (not the real ones: the reference states none)."""
PRICES = PriceTable(tokens={**DEFAULT_PRICES.tokens, "gpt-5": TEXT_PRICES}, per_image=DEFAULT_PRICES.per_image)

MakeConversation = Callable[..., OpenAIConversationProvider]


@pytest.fixture
async def make_conversation(openai_server: OpenAIServer) -> AsyncIterator[MakeConversation]:
    """Factory of providers on the loopback server (fake key, fast retries, test prices); closed at teardown."""
    made: list[OpenAIConversationProvider] = []

    def factory(**kwargs: Any) -> OpenAIConversationProvider:
        kwargs.setdefault("api_key", FAKE_API_KEY)
        kwargs.setdefault("base_url", openai_server.url)
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("timeout", 10.0)
        kwargs.setdefault("prices", PRICES)
        provider = OpenAIConversationProvider(**kwargs)
        made.append(provider)
        return provider

    yield factory
    for provider in made:
        await provider.aclose()


def turn_call(*, partial_images: int = 2, **overrides: Any) -> TurnCall:
    tool = overrides.pop("tool", None) or ImageToolParams(
        size=f"{WIDTH}x{HEIGHT}", quality="low", partial_images=partial_images
    )
    fields: dict[str, Any] = {
        "instructions": "Acme brand rules: red #E61428, flat illustration, logo top-left.",
        "input_text": "A coffee cup on a table, warm light.",
        "input_images": [TurnImage(data=LOGO, mime="image/png", role="logo")],
        "tool": tool,
        "prompt": make_prompt(width=WIDTH, height=HEIGHT),
    }
    fields.update(overrides)
    return TurnCall(**fields)


async def respond(
    provider: OpenAIConversationProvider, call: TurnCall, mode: str, on_partial: Any = None
) -> TurnResult:
    if mode == "sync":
        return provider.respond(call, on_partial)
    return await provider.arespond(call, on_partial)


def decoded(data: bytes) -> tuple[int, int, str]:
    with Image.open(io.BytesIO(data)) as image:
        return image.width, image.height, (image.format or "").lower()


# -- the request ------------------------------------------------------------------------------


def test_request_carries_the_turn(openai_server: OpenAIServer, make_conversation: MakeConversation) -> None:
    provider = make_conversation(safety_identifier="user-42", max_output_tokens=4000)
    provider.respond(turn_call(partial_images=2))
    (record,) = openai_server.records("/responses")
    fields = record.fields
    assert fields["model"] == "gpt-5"
    assert fields["instructions"].startswith("Acme brand rules")
    assert fields["store"] is True and fields["stream"] is True
    assert fields["max_output_tokens"] == 4000 and fields["safety_identifier"] == "user-42"
    assert fields["tool_choice"] == {"type": "image_generation"}
    assert fields["tools"] == [
        {
            "type": "image_generation",
            "model": "gpt-image-2",
            "size": f"{WIDTH}x{HEIGHT}",
            "quality": "low",
            "output_format": "png",
            "background": "auto",
            "moderation": "auto",
            "partial_images": 2,
        }
    ]
    (message,) = fields["input"]
    assert message["role"] == "user"
    text, image = message["content"]
    assert text == {"type": "input_text", "text": "A coffee cup on a table, warm light."}
    encoded = base64.b64encode(LOGO).decode()
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:16]
    assert image["type"] == "input_image" and image["detail"] == "auto"
    assert image["image_url"] == f"<data:image/png;base64 {len(encoded)} chars sha256={digest}>"
    assert "previous_response_id" not in fields and "conversation" not in fields
    assert openai_server.invalid_requests() == []


def test_a_turn_without_partial_images_is_not_streamed(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    partials: list[PartialImage] = []
    result = make_conversation().respond(turn_call(partial_images=0), partials.append)
    (record,) = openai_server.records("/responses")
    assert "stream" not in record.fields and "partial_images" not in record.fields["tools"][0]
    assert partials == [] and result.partial_count == 0
    assert decoded(result.images[0].data) == (WIDTH, HEIGHT, "png")


def test_stream_false_leaves_out_partial_images_with_a_note(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    result = make_conversation(stream=False).respond(turn_call(partial_images=3))
    (record,) = openai_server.records("/responses")
    assert "partial_images" not in record.fields["tools"][0] and "stream" not in record.fields
    assert any("partial_images=3 not sent" in note for note in result.notes)


@MODES
async def test_three_turns_chain_previous_response_ids(
    mode: str, openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    provider = make_conversation()
    results: list[TurnResult] = []
    previous: str | None = None
    for instruction in ("A coffee cup, warm light.", "Move the cup to the left.", "Now the German version."):
        result = await respond(provider, turn_call(input_text=instruction, previous_response_id=previous), mode)
        results.append(result)
        previous = result.response_id
    sent = [record.fields.get("previous_response_id") for record in openai_server.records("/responses")]
    assert sent == [None, results[0].response_id, results[1].response_id]
    assert openai_server.responses.chain(results[2].response_id) == [result.response_id for result in results]
    # each turn's image depends on the conversation so far: three different images
    assert len({hashlib.sha256(result.images[0].data).hexdigest() for result in results}) == 3
    # the server keeps them: GET /v1/responses/{id} returns the stored turn with its image
    with openai.OpenAI(api_key=FAKE_API_KEY, base_url=openai_server.url, max_retries=0) as client:
        stored = client.responses.retrieve(results[1].response_id)
    assert stored.status == "completed" and stored.previous_response_id == results[0].response_id
    (item,) = stored.output
    assert item.type == "image_generation_call" and base64.b64decode(item.result or "") == results[1].images[0].data


def test_an_unknown_previous_response_is_a_typed_400(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        make_conversation().respond(turn_call(previous_response_id="resp_never_made"))
    assert caught.value.status_code == 400 and caught.value.code == "previous_response_not_found"
    assert "resp_never_made" in str(caught.value)
    assert openai_server.count("/responses") == 1  # not retried


def test_a_stored_conversation_instead_of_response_ids(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    conversation = openai_server.responses.create_conversation()
    provider = make_conversation()
    first = provider.respond(turn_call(conversation_id=conversation))
    second = provider.respond(turn_call(conversation_id=conversation, input_text="Warmer light."))
    assert [record.fields.get("conversation") for record in openai_server.records("/responses")] == [conversation] * 2
    assert openai_server.responses.conversations[conversation] == [first.response_id, second.response_id]


def test_the_retrieve_route_answers_404_for_an_unknown_response(openai_server: OpenAIServer) -> None:
    client = openai.OpenAI(api_key=FAKE_API_KEY, base_url=openai_server.url, max_retries=0)
    with client, pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_missing")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"previous_response_id": "resp_a", "conversation_id": "conv_b"}, "previous_response_id"),
        ({"tool": ImageToolParams(size="1000x1000")}, "size"),
        ({"tool": ImageToolParams(size="1024x1024", output_format="jpeg", background="transparent")}, "background"),
        ({"model": "gpt-image-2"}, "model"),
        ({"input_images": [TurnImage(data=b"not an image", mime="image/png")]}, "input_images[0] (reference)"),
    ],
)
def test_bad_turns_are_refused_before_sending(
    overrides: dict[str, Any], field: str, openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    with pytest.raises(LocalParameterError) as caught:
        make_conversation().respond(turn_call(**overrides))
    assert caught.value.field == field
    assert openai_server.count() == 0


def test_the_contract_catches_a_malformed_create(openai_server: OpenAIServer) -> None:
    openai_server.allow_invalid = True
    body = {
        "model": "gpt-5",
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        "tools": [{"type": "image_generation", "quality": "ultra", "partial_images": 9}],
    }
    answer = httpx2.post(f"{openai_server.url}/responses", json=body, headers={"Authorization": "Bearer x"})
    assert answer.status_code == 400
    (record,) = openai_server.invalid_requests()
    assert any("quality" in error for error in record.validation_errors)
    assert any("partial_images" in error for error in record.validation_errors)


# -- streaming --------------------------------------------------------------------------------


@MODES
async def test_partial_images_arrive_in_order(
    mode: str, openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    partials: list[PartialImage] = []
    result = await respond(make_conversation(), turn_call(partial_images=3, attempt=2), mode, partials.append)
    assert [partial.index for partial in partials] == [0, 1, 2]
    assert all(partial.response_id == result.response_id and partial.attempt == 2 for partial in partials)
    assert all(decoded(partial.data) == (WIDTH, HEIGHT, "png") for partial in partials)
    # they fade in: each is a different image, none is the final one
    digests = {hashlib.sha256(partial.data).hexdigest() for partial in partials}
    assert len(digests) == 3 and hashlib.sha256(result.images[0].data).hexdigest() not in digests
    assert result.partial_count == 3
    assert openai_server.records("/responses")[0].response["partial_images"] == 3


# -- usage and price --------------------------------------------------------------------------


def test_usage_is_priced_text_and_image_tokens(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    provider = make_conversation()
    first = provider.respond(turn_call())
    second = provider.respond(turn_call(previous_response_id=first.response_id))
    answer = openai_server.records("/responses")[1].response
    usage, tool = answer["usage"], answer["tool_usage"]["image_gen"]
    cached = usage["input_tokens_details"]["cached_tokens"]
    assert cached > 0  # the second turn reads the first from the cache
    expected = (
        (usage["input_tokens"] - cached) * 1.25
        + cached * 0.125
        + usage["output_tokens"] * 10.0
        + tool["input_tokens_details"]["text_tokens"] * 5.0
        + tool["input_tokens_details"]["image_tokens"] * 8.0
        + tool["output_tokens"] * 30.0
    ) / 1_000_000
    assert second.cost_usd == pytest.approx(expected, rel=1e-6)
    assert second.usage is not None and second.usage.output_image_tokens == tool["output_tokens"]
    assert second.notes == []


def test_an_unpriced_text_model_is_said_never_billed_as_zero(make_conversation: MakeConversation) -> None:
    provider = make_conversation(prices=DEFAULT_PRICES)
    call = turn_call()
    result = provider.respond(call)
    assert result.usage is not None
    image_only = (
        result.usage.tool_input_text_tokens * 5.0
        + result.usage.tool_input_image_tokens * 8.0
        + result.usage.output_image_tokens * 30.0
    ) / 1_000_000
    assert result.cost_usd == pytest.approx(image_only, rel=1e-6)
    assert any("gpt-5" in note and "not priced" in note for note in result.notes)
    assert provider.worst_case_cost(call) is None  # no bound without the text model's prices


def test_the_worst_case_bounds_every_turn(make_conversation: MakeConversation) -> None:
    provider = make_conversation(max_output_tokens=2000)
    previous: str | None = None
    for _ in range(3):
        call = turn_call(partial_images=3, previous_response_id=previous)
        bound = provider.worst_case_cost(call)
        result = provider.respond(call)
        assert bound is not None and result.cost_usd <= bound
        previous = result.response_id
    assert isinstance(provider, PricedConversationProvider)


def test_a_turn_continuing_an_unknown_response_reserves_the_assumed_context(
    make_conversation: MakeConversation,
) -> None:
    provider = make_conversation()
    first = provider.respond(turn_call())
    follow_up = turn_call(previous_response_id=first.response_id)
    known = provider.worst_case_cost(follow_up)
    unknown = make_conversation().worst_case_cost(follow_up)  # another provider never saw that response
    fresh = provider.worst_case_cost(turn_call())
    assert known is not None and unknown is not None and fresh is not None
    assert fresh < known < unknown
    assert unknown - fresh >= CONTEXT_TOKENS_MAX * TEXT_PRICES.text_input / 1_000_000


# -- faults -----------------------------------------------------------------------------------


@MODES
async def test_429_on_create_is_retried(
    mode: str, openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("rate_limit", path="/responses", retry_after_ms=20)
    result = await respond(make_conversation(), turn_call(), mode)
    assert openai_server.count("/responses") == 2
    assert result.rate_limit is not None and result.rate_limit.limit_requests == 5000


def test_429_with_retries_spent_is_typed_with_its_rate_limit(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("rate_limit", times=4, path="/responses", retry_after_ms=10)
    with pytest.raises(RateLimitError) as caught:
        make_conversation().respond(turn_call())
    error = caught.value
    assert error.status_code == 429 and "gave up after 4 attempts" in str(error)
    assert error.rate_limit is not None and error.rate_limit.remaining_requests == 0
    assert error.rate_limit.retry_after_s == pytest.approx(0.01)


@MODES
async def test_500_on_create_is_retried(
    mode: str, openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("server_error", times=2, path="/responses")
    result = await respond(make_conversation(), turn_call(), mode)
    assert openai_server.count("/responses") == 3 and result.images


def test_500_with_retries_spent_is_a_server_error(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("server_error", times=4, path="/responses")
    with pytest.raises(ServerError, match="gave up after 4 attempts"):
        make_conversation().respond(turn_call())


@MODES
async def test_a_moderation_block_mid_stream_is_typed_and_not_retried(
    mode: str, openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("stream_error", path="/responses", after_partials=1)
    partials: list[PartialImage] = []
    with pytest.raises(ModerationBlockedError) as caught:
        await respond(make_conversation(), turn_call(partial_images=3), mode, partials.append)
    assert caught.value.code == "moderation_blocked" and "after 1 partial image" in str(caught.value)
    assert caught.value.retryable is False
    assert [partial.index for partial in partials] == [0]
    assert openai_server.count("/responses") == 1


def test_a_failed_response_keeps_the_moderation_stage_and_categories(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("stream_error", path="/responses", event="response.failed", categories=["violence"])
    with pytest.raises(ModerationBlockedError) as caught:
        make_conversation().respond(turn_call(partial_images=2))
    assert caught.value.stage == "output" and caught.value.categories == ["violence"]
    assert openai_server.count("/responses") == 1


def test_a_non_streamed_failed_response_is_a_moderation_block(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("stream_error", path="/responses")
    with pytest.raises(ModerationBlockedError) as caught:
        make_conversation().respond(turn_call(partial_images=0))
    assert caught.value.code == "image_content_policy_violation"
    assert openai_server.count("/responses") == 1


def test_a_moderation_block_at_create_is_typed(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("moderation_blocked", path="/responses", stage="input", categories=["harassment"])
    with pytest.raises(ModerationBlockedError) as caught:
        make_conversation().respond(turn_call())
    assert caught.value.stage == "input" and caught.value.categories == ["harassment"]
    assert caught.value.status_code == 400 and openai_server.count("/responses") == 1


@MODES
async def test_a_dropped_stream_is_retried(
    mode: str, openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("stream_drop", path="/responses")
    partials: list[PartialImage] = []
    result = await respond(make_conversation(), turn_call(partial_images=2), mode, partials.append)
    assert openai_server.count("/responses") == 2
    first, _ = openai_server.records("/responses")
    assert first.fault == "stream_drop" and first.response["partial_images"] == 1
    # the dropped attempt delivered partial 0; the retry streams its partials again from index 0
    assert [partial.index for partial in partials] == [0, 0, 1]
    assert result.partial_count == 2 and decoded(result.images[0].data) == (WIDTH, HEIGHT, "png")
    assert openai_server.responses.get(result.response_id) is not None


def test_a_stream_dropping_every_time_ends_in_a_typed_error(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("stream_drop", times=4, path="/responses")
    with pytest.raises(ProviderConnectionError) as caught:
        make_conversation().respond(turn_call(partial_images=2))
    message = str(caught.value)
    assert "stream dropped after 1 partial image" in message and "gave up after 4 attempts" in message
    assert caught.value.retryable is True and openai_server.count("/responses") == 4
    assert caught.value.request_id == openai_server.records("/responses")[-1].request_id


def test_a_stream_dropped_before_any_partial_says_so(
    openai_server: OpenAIServer, make_conversation: MakeConversation
) -> None:
    openai_server.inject("stream_drop", path="/responses", after_events=2)
    with pytest.raises(ProviderConnectionError, match="dropped after 0 partial images"):
        make_conversation(retry=FAST_RETRY.never()).respond(turn_call(partial_images=2))


# -- secrets and registration -----------------------------------------------------------------


def test_the_api_key_never_shows(openai_server: OpenAIServer, make_conversation: MakeConversation) -> None:
    provider = make_conversation()
    openai_server.inject("auth", path="/responses")  # the 401 message echoes the key
    with pytest.raises(AuthenticationError) as caught:
        provider.respond(turn_call())
    shown = [str(caught.value), repr(caught.value), str(caught.value.__cause__), repr(provider), str(vars(provider))]
    assert all(FAKE_API_KEY not in text for text in shown)
    assert "[REDACTED]" in str(caught.value)


def test_conversation_providers_by_name(northwind: BrandSpec) -> None:
    from brandkit.provider.local_conversation import LocalConversationProvider

    made = make_conversation_provider("openai", northwind, api_key=FAKE_API_KEY, base_url="http://127.0.0.1:9/v1")
    assert isinstance(made, OpenAIConversationProvider) and isinstance(made, ConversationProvider)
    assert FAKE_API_KEY not in repr(made)
    assert isinstance(make_conversation_provider("local", northwind), LocalConversationProvider)
    assert make_conversation_provider(made, northwind) is made
    with pytest.raises(RequestError, match="unknown conversation provider"):
        make_conversation_provider("dall-e", northwind)


# -- the reader and the pricing on their own --------------------------------------------------


def _reader(partials: list[PartialImage]) -> TurnReader:
    def fail(problem: str, *, retryable: bool = True) -> ProviderResponseError:
        error = ProviderResponseError(problem, provider="openai")
        error.retryable = retryable
        return error

    def error(code: str | None, message: str, stage: str, categories: Sequence[str]) -> ProviderError:
        return stream_error("responses.create", code, message, lambda text: text, stage=stage, categories=categories)

    return TurnReader(
        label="responses.create",
        output_format="png",
        width=WIDTH,
        height=HEIGHT,
        attempt=1,
        request_id="req_1",
        on_partial=partials.append,
        fail=fail,
        error=error,
    )


def test_a_failed_image_call_then_a_silent_end_is_the_block_it_reported() -> None:
    partials: list[PartialImage] = []
    reader = _reader(partials)
    item = {
        "type": "image_generation_call",
        "id": "ig_1",
        "status": "failed",
        "result": None,
        "error": {
            "code": "moderation_blocked",
            "message": "blocked",
            "type": "image_generation_user_error",
            "moderation_details": {"moderation_stage": "output", "categories": ["sexual"]},
        },
    }
    reader.feed(
        ResponseOutputItemDoneEvent.model_validate(
            {"type": "response.output_item.done", "output_index": 0, "sequence_number": 5, "item": item}
        )
    )
    with pytest.raises(ModerationBlockedError) as caught:
        reader.finish()
    assert caught.value.stage == "output" and caught.value.categories == ["sexual"]


def test_a_stream_that_ends_without_a_verdict_is_a_drop() -> None:
    reader = _reader([])
    with pytest.raises(ProviderConnectionError, match="dropped after 0 partial images") as caught:
        reader.finish()
    assert caught.value.retryable and caught.value.request_id == "req_1"


def test_an_answer_without_tool_usage_prices_the_image_from_the_table() -> None:
    tool = ImageToolParams(size="1024x1024", quality="medium")
    usage = TurnUsage(input_text_tokens=1000, output_text_tokens=100)
    priced = turn_cost(PRICES, "gpt-5", tool, usage, tool_usage_reported=False)
    text = (1000 * 1.25 + 100 * 10.0) / 1_000_000
    assert priced.usd == pytest.approx(text + 0.053) and priced.priced
    assert any("per-image table" in note for note in priced.notes)
