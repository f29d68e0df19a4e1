"""Reading a Responses API turn: one parser fed the stream's events or the whole answer (sync and async alike).

:class:`TurnReader` takes the ``openai`` SDK's typed events one by one (:meth:`TurnReader.feed`) while a turn
streams, or the finished :class:`~openai.types.responses.Response` (:meth:`TurnReader.read`) when it does not;
only the transport that hands them over differs between :meth:`respond` and :meth:`arespond`.

* ``response.image_generation_call.partial_image`` → a :class:`~brandkit.provider.conversation.PartialImage`
  through ``on_partial``, in order;
* the ``image_generation_call`` output item → the final image (``result``, base64; decoded and checked against
  the planned format and size);
* ``response.completed`` → the response id, ``usage`` (the text model) and ``tool_usage.image_gen`` (the image
  tool);
* ``error`` / ``response.failed`` / ``response.incomplete`` → the typed error the Images path raises for the same
  cause (:func:`stream_error`): a moderation block stays a :class:`~brandkit.errors.ModerationBlockedError`
  (never retried), a server error a retryable :class:`~brandkit.errors.ServerError`;
* a stream that ends or breaks before ``response.completed`` → :meth:`TurnReader.dropped`, a retryable
  :class:`~brandkit.errors.ProviderConnectionError` saying after how many partial images it dropped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseImageGenCallPartialImageEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseOutputItemDoneEvent,
)
from openai.types.responses.response_output_item import ImageGenerationCall

from brandkit.errors import (
    InvalidParameterError,
    ModerationBlockedError,
    ProviderConnectionError,
    ProviderError,
    ProviderResponseError,
    RateLimitError,
    ServerError,
)
from brandkit.imageio import detect_format
from brandkit.models import RenderedImage
from brandkit.provider.conversation import PartialCallback, PartialImage, TurnUsage
from brandkit.provider.openai.responses import Fail, decode_b64_image
from brandkit.rate_limits import RateLimitInfo

__all__ = ["MODERATION_CODES", "TurnOutcome", "TurnReader", "stream_error"]

MODERATION_CODES = frozenset({"moderation_blocked", "content_policy_violation", "image_content_policy_violation"})
"""Error codes of a safety refusal (the Images API's ``moderation_blocked``, the DALL·E-era and Responses names)."""

_INPUT_CODES = frozenset(
    {
        "invalid_prompt",
        "invalid_image",
        "invalid_image_format",
        "invalid_base64_image",
        "invalid_image_url",
        "image_too_large",
        "image_too_small",
        "image_parse_error",
        "invalid_image_mode",
        "image_file_too_large",
        "unsupported_image_media_type",
        "empty_image_file",
        "failed_to_download_image",
        "image_file_not_found",
    }
)


def stream_error(
    label: str,
    code: str | None,
    message: str,
    redactor: Callable[[str], str],
    *,
    request_id: str | None = None,
    rate_limit: RateLimitInfo | None = None,
    stage: str = "unknown",
    categories: Sequence[str] = (),
) -> ProviderError:
    """The typed error for an error reported inside a stream (an ``error`` event, a failed or incomplete
    response): moderation codes → :class:`ModerationBlockedError`, ``rate_limit_exceeded`` →
    :class:`RateLimitError`, ``server_error`` (or no code) → :class:`ServerError`, input codes →
    :class:`InvalidParameterError`, anything else a non-retryable :class:`ProviderError`."""
    text = redactor(f"OpenAI {label} failed mid-stream: {message}")
    common: dict[str, Any] = {"request_id": request_id, "code": code, "provider": "openai", "rate_limit": rate_limit}
    if code in MODERATION_CODES:
        return ModerationBlockedError(text, stage=stage, categories=list(categories), **common)
    if code == "rate_limit_exceeded":
        return RateLimitError(text, **common)
    if code in (None, "", "server_error"):
        return ServerError(text, **common)
    if code in _INPUT_CODES:
        return InvalidParameterError(text, **common)
    return ProviderError(text, **common)


@dataclass(frozen=True)
class TurnOutcome:
    """What a finished turn answered."""

    response_id: str
    image: RenderedImage
    usage: TurnUsage | None
    tool_usage_reported: bool
    revised_prompt: str | None
    partial_count: int


def _usage(response: Response) -> tuple[TurnUsage | None, bool]:
    usage = response.usage
    tool = response.tool_usage.image_gen if response.tool_usage is not None else None
    if usage is None and tool is None:
        return None, False
    text_in = usage.input_tokens if usage is not None else 0
    cached = usage.input_tokens_details.cached_tokens if usage is not None else 0
    text_out = usage.output_tokens if usage is not None else 0
    image_out = 0
    tool_text = tool_image = 0
    if tool is not None:
        tool_text = tool.input_tokens_details.text_tokens
        tool_image = tool.input_tokens_details.image_tokens
        details = tool.output_tokens_details
        image_out = tool.output_tokens if details is None else details.image_tokens + details.text_tokens
    turn = TurnUsage(
        input_text_tokens=text_in,
        input_cached_tokens=cached,
        output_text_tokens=text_out,
        output_image_tokens=image_out,
        tool_input_text_tokens=tool_text,
        tool_input_image_tokens=tool_image,
    )
    return turn, tool is not None


class TurnReader:
    """Parses one attempt's answer (see the module docstring). ``fail`` builds the error for an unusable
    answer; ``error`` the typed error for an error the answer reports (``code, message, stage, categories``)."""

    def __init__(
        self,
        *,
        label: str,
        output_format: str,
        width: int | None,
        height: int | None,
        attempt: int,
        request_id: str | None,
        on_partial: PartialCallback | None,
        fail: Fail,
        error: Callable[[str | None, str, str, Sequence[str]], ProviderError],
    ) -> None:
        self._label = label
        self._format = output_format
        self._size = (width, height) if width is not None and height is not None else None
        self._attempt = attempt
        self._request_id = request_id
        self._on_partial = on_partial
        self._fail = fail
        self._error = error
        self.response_id: str | None = None
        self.partial_count = 0
        self._call: ImageGenerationCall | None = None
        self._response: Response | None = None

    # -- streaming ----------------------------------------------------------------------------

    def feed(self, event: object) -> None:
        """Take one stream event (other event types are ignored)."""
        if isinstance(event, ResponseCreatedEvent | ResponseInProgressEvent):
            self.response_id = event.response.id
        elif isinstance(event, ResponseImageGenCallPartialImageEvent):
            self._partial(event)
        elif isinstance(event, ResponseOutputItemDoneEvent) and isinstance(event.item, ImageGenerationCall):
            self._call = event.item
        elif isinstance(event, ResponseCompletedEvent):
            self.read(event.response)
        elif isinstance(event, ResponseErrorEvent):
            raise self._reported(event.code, event.message)
        elif isinstance(event, ResponseFailedEvent | ResponseIncompleteEvent):
            self.read(event.response)

    def _partial(self, event: ResponseImageGenCallPartialImageEvent) -> None:
        try:
            data = base64.b64decode(event.partial_image_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise self._fail(f"partial image {event.partial_image_index}: invalid base64 ({exc})") from exc
        self.partial_count += 1
        if self._on_partial is not None:
            self._on_partial(
                PartialImage(
                    index=event.partial_image_index,
                    data=data,
                    output_format=event.output_format or detect_format(data),
                    response_id=self.response_id,
                    attempt=self._attempt,
                )
            )

    def _reported(self, code: str | None, message: str) -> ProviderError:
        stage, categories = "unknown", list[str]()
        error = self._call.error if self._call is not None else None
        if error is not None and error.moderation_details is not None:
            stage = error.moderation_details.moderation_stage
            categories = list(error.moderation_details.categories)
        where = f" (after {self.partial_count} partial image{'s' if self.partial_count != 1 else ''})"
        return self._error(code, message + where, stage, categories)

    def unusable(self, problem: str) -> ProviderResponseError:
        """The (retryable) error for an answer that cannot be read: ``problem`` says why."""
        return self._fail(problem)

    def dropped(self, cause: BaseException | None = None) -> ProviderConnectionError:
        """The error for a stream that ended or broke before ``response.completed`` (retryable)."""
        shown = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
        return ProviderConnectionError(
            f"OpenAI {self._label}: the stream dropped after {self.partial_count} partial "
            f"image{'s' if self.partial_count != 1 else ''}, before response.completed{shown}",
            request_id=self._request_id,
            provider="openai",
        )

    # -- the whole answer ---------------------------------------------------------------------

    def read(self, response: Response) -> None:
        """Take the answer's :class:`Response` (the whole answer, or the one a final event carries)."""
        self.response_id = response.id
        for item in response.output:
            if isinstance(item, ImageGenerationCall):
                self._call = item
        if response.status == "failed":
            code: str | None = response.error.code if response.error is not None else None
            message = response.error.message if response.error is not None else "the response failed"
            if self._call is not None and self._call.error is not None and self._call.error.code:
                code = self._call.error.code
            raise self._reported(code, message)
        if response.status == "incomplete":
            reason = response.incomplete_details.reason if response.incomplete_details is not None else None
            if reason == "content_filter":
                raise self._reported("content_policy_violation", "the response was cut by the content filter")
            raise self._fail(
                f"the response is incomplete ({reason or 'no reason given'}); a larger max_output_tokens may help",
                retryable=False,
            )
        if response.status == "completed":
            self._response = response

    def finish(self) -> TurnOutcome:
        """The turn's outcome; :meth:`dropped` when the answer never completed."""
        response = self._response
        if response is None:
            failed = self._call.error if self._call is not None else None
            if failed is not None:  # the image call reported its error, then the stream ended without a verdict
                raise self._reported(failed.code, failed.message)
            raise self.dropped()
        call = self._call
        if call is None or not call.result:
            status = f" (image_generation_call status {call.status})" if call is not None else ""
            raise self._fail(f"no image_generation_call result in response {response.id}{status}")
        blob, width, height = decode_b64_image("the image_generation_call result", call.result, self._fail)
        fmt = detect_format(blob)
        if fmt != self._format:
            raise self._fail(f"the image is {fmt}, expected {self._format}", retryable=False)
        if self._size is not None and (width, height) != self._size:
            raise self._fail(
                f"the image is {width}x{height}, expected {self._size[0]}x{self._size[1]}", retryable=False
            )
        usage, tool_reported = _usage(response)
        return TurnOutcome(
            response_id=response.id,
            image=RenderedImage(data=blob, output_format=fmt, width=width, height=height),
            usage=usage,
            tool_usage_reported=tool_reported,
            revised_prompt=call.revised_prompt,
            partial_count=self.partial_count,
        )
