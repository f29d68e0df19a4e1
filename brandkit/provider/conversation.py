"""The conversation seam: what a multi-turn image session needs from a provider.

A conversation (``BrandKit.conversation()``) refines one image over several turns. Each turn is one
:class:`TurnCall` — the brand rules as ``instructions`` (sent with every turn: the Responses API does not
carry instructions over ``previous_response_id``), this turn's message, the reference images (the logo), the
``image_generation`` tool's parameters and the id of the response it continues — answered by a
:class:`TurnResult`. While the image forms, a provider may report :class:`PartialImage` events through the
``on_partial`` callback; the SDK turns them into a callback and an async iterator.

Two providers implement :class:`ConversationProvider`: the OpenAI Responses API
(``provider/openai/responses_api.py``) and the local renderer (``provider/local_conversation.py``, which applies
the instructions it understands deterministically and says which it did not). The session wraps a conversation
provider as an ordinary :class:`~brandkit.provider.base.ImageProvider` for one turn, so every turn's image goes
through the same compose / checks / repair path as ``generate``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from brandkit.models import CompiledPrompt, RenderedImage
from brandkit.rate_limits import RateLimitInfo


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ImageToolParams(_Model):
    """The ``image_generation`` tool's parameters for one turn (the Responses API's ``ImageGenTool``)."""

    model: str = Field(default="gpt-image-2", description="The image model the tool runs.")
    size: str = Field(description="WIDTHxHEIGHT, as the compiled prompt asks.")
    quality: Literal["low", "medium", "high", "auto"] = "auto"
    output_format: Literal["png", "jpeg", "webp"] = "png"
    output_compression: int | None = Field(default=None, ge=0, le=100)
    background: Literal["transparent", "opaque", "auto"] = "auto"
    moderation: Literal["auto", "low"] = "auto"
    partial_images: int = Field(default=0, ge=0, le=3, description="Partial images to stream (0–3).")


class TurnImage(_Model):
    """An input image of a turn (the logo, a reference): raw bytes, sent as a data URL."""

    data: bytes = Field(repr=False)
    mime: str = Field(description="image/png, image/jpeg or image/webp.")
    role: str = Field(default="reference", description="What it is for, as the compiled prompt names it.")

    @field_serializer("data")
    def _ser(self, data: bytes) -> str:
        return f"<{len(data)} bytes>"


class TurnCall(_Model):
    """One turn's request to a conversation provider."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    model: str = Field(default="gpt-5", description="The Responses model that drives the image tool.")
    instructions: str = Field(description="The brand rules, compiled once per conversation.")
    input_text: str = Field(description="This turn's message: the instruction, changed copy, repair feedback.")
    instruction: str = Field(
        default="",
        description="The person's instruction alone, as given to the turn (``input_text`` adds copy and repair "
        "feedback to it): what the local renderer parses.",
    )
    input_images: list[TurnImage] = Field(default_factory=list, description="Logo and references.")
    previous_response_id: str | None = Field(
        default=None, description="The accepted response this turn continues; None on the first turn."
    )
    conversation_id: str | None = Field(
        default=None, description="A stored conversation to append to instead of chaining response ids."
    )
    tool: ImageToolParams
    prompt: CompiledPrompt = Field(
        description="The turn's compiled prompt (layout, exact copy, parameters): what the checks hold it to, and "
        "what the local renderer draws."
    )
    attempt: int = Field(default=1, ge=1, description="Attempt number inside the turn (repair).")
    seed: int = 0
    safety_identifier: str | None = None


class TurnUsage(_Model):
    """Tokens a turn used, split the way the price table bills them."""

    input_text_tokens: int = 0
    input_image_tokens: int = 0
    output_text_tokens: int = 0
    output_image_tokens: int = 0
    tool_input_text_tokens: int = 0
    tool_input_image_tokens: int = 0
    input_cached_tokens: int = Field(
        default=0, description="Of ``input_text_tokens``, those read from the prompt cache (billed at the cached rate)."
    )


class TurnResult(_Model):
    """What a conversation provider answered for one :class:`TurnCall`."""

    response_id: str
    images: list[RenderedImage]
    provider: str
    model: str
    usage: TurnUsage | None = None
    cost_usd: float = 0.0
    request_id: str | None = None
    revised_prompt: str | None = None
    partial_count: int = Field(default=0, description="Partial images streamed before the final one.")
    elapsed_s: float = 0.0
    notes: list[str] = Field(default_factory=list, description="What the provider left out or changed, and why.")
    rate_limit: RateLimitInfo | None = None


class PartialImage(_Model):
    """A partial image streamed while the turn's image forms."""

    index: int = Field(description="0-based partial image index.")
    data: bytes = Field(repr=False)
    output_format: str
    response_id: str | None = None
    attempt: int = 1

    @field_serializer("data")
    def _ser(self, data: bytes) -> str:
        return f"<{len(data)} bytes>"


PartialCallback = Callable[[PartialImage], None]


@runtime_checkable
class ConversationProvider(Protocol):
    """A service that answers conversation turns (OpenAI Responses API, the local renderer, a caller's own)."""

    name: str

    def respond(self, call: TurnCall, on_partial: PartialCallback | None = None) -> TurnResult:
        """Answer one turn; call ``on_partial`` for each streamed partial image; raise
        :class:`brandkit.ProviderError` (typed, with its ``rate_limit``) on failure."""
        ...

    async def arespond(self, call: TurnCall, on_partial: PartialCallback | None = None) -> TurnResult:
        """Async twin of :meth:`respond` (share request building and parsing with it)."""
        ...


@runtime_checkable
class PricedConversationProvider(Protocol):
    """A conversation provider that can bound a turn's cost before sending it (what spend budgets reserve)."""

    def worst_case_cost(self, call: TurnCall) -> float | None:
        """The most ``call`` can cost in USD (never less than it is billed); ``None`` when unknown."""
        ...
