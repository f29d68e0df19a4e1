"""The OpenAI provider: gpt-image-2 (and family) through the official ``openai`` package.

:class:`OpenAIProvider` implements :class:`~brandkit.provider.base.ImageProvider`
(``render`` / ``arender``) and :class:`~brandkit.provider.base.Moderator`
(``moderate`` / ``amoderate``).

Every call goes through the same steps, shared by the sync and async flavours;
only the awaited transport call differs:

1. **plan** – check the parameters locally (size rules of the model, format /
   background / compression, ``n``, number and type of images, prompt length,
   mask) and build the SDK arguments. A bad value raises
   :class:`LocalParameterError` (an :class:`~brandkit.errors.InvalidParameterError`)
   naming the parameter and value; nothing is sent or billed.
2. **send** – ``images.generate`` (no input image) or ``images.edit`` (base
   image first, then references in index order, as ``image[]`` parts), via
   ``with_raw_response`` to read ``x-request-id`` and ``x-ratelimit-*``.
   The SDK's own retries are off (``max_retries=0``); :class:`RetryPolicy` retries.
3. **translate** – SDK exceptions become typed :class:`~brandkit.errors.ProviderError`
   subclasses with the request id, the HTTP status and the original exception
   as ``__cause__``; messages are scrubbed of the API key.
4. **read** – decode each ``b64_json``, check it is an image of the requested
   format and size (else :class:`~brandkit.errors.ProviderResponseError`), and
   bill the usage with the :class:`~brandkit.provider.pricing.PriceTable`.

The API key is never stored in plain sight: ``repr(provider)`` omits it and
every message is passed through :func:`brandkit.errors.redact` with the key as
an explicit secret.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import contextlib
import io
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

import httpx2
import openai
import pydantic
from openai import AsyncOpenAI, OpenAI
from openai.types import ModerationMultiModalInputParam
from PIL import Image
from pydantic import BaseModel, ConfigDict

from brandkit.checks.base import ModerationScores
from brandkit.errors import (
    AuthenticationError,
    ImageInputError,
    InvalidParameterError,
    ModerationBlockedError,
    ProviderConnectionError,
    ProviderError,
    ProviderResponseError,
    ProviderTimeoutError,
    QuotaExceededError,
    RateLimitError,
    RequestError,
    ServerError,
    redact,
)
from brandkit.imageio import detect_format, load_image
from brandkit.models import RenderCall, RenderedImage, RenderResult, Usage
from brandkit.provider.keys import check_api_key
from brandkit.provider.openai_params import Transport, UnsupportedParameter, check_model, decide_params
from brandkit.provider.pricing import DEFAULT_PRICES, PriceTable
from brandkit.provider.retry import RetryPolicy, parse_duration, parse_milliseconds, parse_retry_after
from brandkit.spec.sizes import rules_for

__all__ = [
    "DEFAULT_MODEL",
    "MAX_INPUT_IMAGES",
    "MAX_PROMPT_CHARS",
    "LocalParameterError",
    "OpenAIProvider",
    "RateLimitInfo",
    "RenderPlan",
    "plan_render",
]

_log = logging.getLogger("brandkit.provider.openai")

DEFAULT_MODEL = "gpt-image-2"
MAX_INPUT_IMAGES = 16
MAX_PROMPT_CHARS = 32_000
MAX_INPUT_IMAGE_BYTES = 50 * 1024 * 1024
DEFAULT_TIMEOUT_S = 300.0
CONNECT_TIMEOUT_S = 10.0
WHOLE_BODY_MAX_BYTES = 64 * 1024 * 1024  # async request bodies up to this size leave in one write
RATE_LIMIT_RECORDS = 512  # answers whose rate-limit record a provider keeps, by request id

_FORMATS = ("png", "jpeg", "webp")
_QUALITIES = ("low", "medium", "high", "auto")
_BACKGROUNDS = ("transparent", "opaque", "auto")
_MIME_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/webp": "webp"}
_FORMAT_MIMES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_MODERATION_MIMES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
# Parameters brandkit knows how to send; ``n`` comes from ``RenderCall.n``.
_PARAMS = frozenset(
    {
        "model",
        "size",
        "quality",
        "output_format",
        "output_compression",
        "background",
        "moderation",
        "input_fidelity",
        "n",
        "user",
        "safety_identifier",
        "stream",
        "partial_images",
    }
)


# --------------------------------------------------------------------------------------------
# Public helper types
# --------------------------------------------------------------------------------------------


class LocalParameterError(InvalidParameterError):
    """A parameter failed brandkit's check before sending; nothing was sent or billed.

    It is an :class:`~brandkit.errors.InvalidParameterError` (what the API would
    have answered with HTTP 400), with ``field`` and ``value`` naming the culprit
    and ``code="local_validation"``.
    """

    def __init__(self, field: str, value: Any, problem: str) -> None:
        self.field = field
        self.value = value
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:79] + "…"
        super().__init__(
            f"invalid {field}={shown}: {problem} (checked before sending; nothing was sent)",
            code="local_validation",
            provider="openai",
        )


class RateLimitInfo(BaseModel):
    """The rate-limit headers of the last response (``x-ratelimit-*``, ``retry-after``).

    Durations are in seconds. A batch runner can adapt its concurrency from
    ``remaining_requests`` and ``reset_requests_s``. ``processing_s`` is the server's own time for the
    request (``openai-processing-ms``) and ``observed_at`` the wall-clock time the answer was read: the
    server counted the request no later than ``observed_at - processing_s``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit_requests: int | None = None
    remaining_requests: int | None = None
    reset_requests_s: float | None = None
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_tokens_s: float | None = None
    retry_after_s: float | None = None
    request_id: str | None = None
    status_code: int | None = None
    processing_s: float | None = None
    observed_at: float = 0.0

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], status_code: int | None = None) -> RateLimitInfo | None:
        """Read the headers of one response; ``None`` when it carries no rate-limit header at all."""
        lowered = {key.lower(): value for key, value in headers.items()}
        names = (
            "x-ratelimit-limit-requests",
            "x-ratelimit-remaining-requests",
            "x-ratelimit-reset-requests",
            "x-ratelimit-limit-tokens",
            "x-ratelimit-remaining-tokens",
            "x-ratelimit-reset-tokens",
            "retry-after",
            "retry-after-ms",
        )
        if not any(name in lowered for name in names):
            return None
        return cls(
            limit_requests=_int_header(lowered.get("x-ratelimit-limit-requests")),
            remaining_requests=_int_header(lowered.get("x-ratelimit-remaining-requests")),
            reset_requests_s=parse_duration(lowered.get("x-ratelimit-reset-requests")),
            limit_tokens=_int_header(lowered.get("x-ratelimit-limit-tokens")),
            remaining_tokens=_int_header(lowered.get("x-ratelimit-remaining-tokens")),
            reset_tokens_s=parse_duration(lowered.get("x-ratelimit-reset-tokens")),
            retry_after_s=parse_retry_after(lowered),
            request_id=lowered.get("x-request-id"),
            status_code=status_code,
            processing_s=parse_milliseconds(lowered.get("openai-processing-ms")),
            observed_at=time.time(),
        )


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


async def _whole_body(request: httpx2.Request) -> None:
    """Read a request's body into one piece before it is sent (an httpx2 request hook).

    A multipart body (an edit with its reference images) is otherwise written part by part, one event-loop
    turn each; on a busy loop (a variant run decoding a wave of answers) that delays the moment the server
    has the whole request, and so counts it, by tenths of a second. Bodies over :data:`WHOLE_BODY_MAX_BYTES`
    (a Batch input file uploaded from disk) or of unknown length stream as before.
    """
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) <= WHOLE_BODY_MAX_BYTES:
        await request.aread()


@dataclass(frozen=True)
class RenderPlan:
    """A checked request, ready to send: which endpoint, the SDK arguments, what to expect back."""

    operation: Literal["generate", "edit"]
    model: str
    kwargs: dict[str, Any]
    output_format: str
    n: int
    width: int | None
    height: int | None
    notes: tuple[str, ...] = ()
    """Parameters left out because the model or endpoint does not take them and leaving them out changes
    nothing (see :mod:`brandkit.provider.openai_params`); logged as warnings when the plan is sent."""

    @property
    def label(self) -> str:
        """``images.generate`` or ``images.edit`` (for logs and messages)."""
        return f"images.{self.operation}"

    def describe(self) -> dict[str, Any]:
        """The plan without image bytes (for logs, dry runs and tests)."""
        out: dict[str, Any] = {}
        for key, value in self.kwargs.items():
            if key == "image":
                out[key] = [f"{name} ({mime}, {len(data)} bytes)" for name, data, mime in value]
            elif key == "mask":
                out[key] = f"{value[0]} ({value[2]}, {len(value[1])} bytes)"
            elif key == "prompt":
                out[key] = f"<{len(value)} chars>"
            else:
                out[key] = value
        return out


def worst_case_of_plan(prices: PriceTable, plan: RenderPlan, call: RenderCall, *, batch: bool = False) -> float:
    """The worst-case cost of a checked request (prompt bytes, input images, partial images, size, quality, n)."""
    kwargs = plan.kwargs
    images = kwargs.get("image") or []
    try:
        return prices.worst_case_cost(
            plan.model,
            str(kwargs.get("quality", "auto")),
            plan.width or call.prompt.width,
            plan.height or call.prompt.height,
            plan.n,
            prompt_bytes=len(str(kwargs.get("prompt", "")).encode("utf-8")),
            input_images=(len(images) if isinstance(images, list) else 1) + (1 if kwargs.get("mask") else 0),
            partial_images=int(kwargs.get("partial_images") or 0),
            batch=batch,
        )
    except ValueError as exc:
        raise RequestError(f"cannot bound the cost of a call before sending it: {exc}", "model", plan.model) from exc



# --------------------------------------------------------------------------------------------
# Planning: local validation and request building (shared by sync and async)
# --------------------------------------------------------------------------------------------


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise LocalParameterError(field, value, f"must be one of {', '.join(allowed)}")
    return value


def _parse_size(model: str, value: Any) -> tuple[int, int] | None:
    if value == "auto":
        return None
    if not isinstance(value, str) or value.count("x") != 1:
        raise LocalParameterError("size", value, "must be 'auto' or 'WIDTHxHEIGHT' (e.g. '1536x1024')")
    left, right = value.split("x")
    if not (left.isdigit() and right.isdigit()):
        raise LocalParameterError("size", value, "must be 'auto' or 'WIDTHxHEIGHT' (e.g. '1536x1024')")
    width, height = int(left), int(right)
    problem = rules_for(model).size_problem(width, height)
    if problem:
        raise LocalParameterError("size", value, problem)
    return width, height


def _check_input_image(field: str, data: bytes, mime: str | None) -> str:
    """Return the image format (png/jpeg/webp) of an input image, or raise naming ``field``."""
    if not data:
        raise LocalParameterError(field, "<0 bytes>", "the image is empty")
    if len(data) > MAX_INPUT_IMAGE_BYTES:
        raise LocalParameterError(
            field, f"<{len(data):,} bytes>", f"each input image must be under {MAX_INPUT_IMAGE_BYTES:,} bytes"
        )
    detected = detect_format(data)
    if detected not in _FORMATS:
        raise LocalParameterError(field, mime or detected, "input images must be PNG, JPEG or WebP")
    if mime is not None and _MIME_FORMATS.get(mime.lower()) not in (None, detected):
        raise LocalParameterError(field, mime, f"the bytes are {detected}, not {mime}")
    return detected


def _header_size(data: bytes) -> tuple[int, int, str, bool]:
    """(width, height, format, has_alpha) from the image header, without a full decode."""
    with Image.open(io.BytesIO(data)) as image:
        alpha = "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info)
        return image.width, image.height, (image.format or "").lower(), alpha


def plan_render(call: RenderCall, *, safety_identifier: str | None = None, transport: Transport = "live") -> RenderPlan:
    """Check ``call`` against the API's rules and build the SDK arguments.

    Raises :class:`LocalParameterError` naming the parameter and value for
    anything the API would reject (so nothing is sent and nothing is billed),
    including a parameter the model or the endpoint does not take (named with
    both; see :mod:`brandkit.provider.openai_params`). ``transport`` is
    ``"batch"`` when the request travels in a Batch API file (JSON edits take
    ``moderation``; ``safety_identifier`` travels as ``user``).
    """
    prompt = call.prompt
    params = {key: value for key, value in prompt.params.items() if value is not None}
    unknown = sorted(set(params) - _PARAMS)
    if unknown:
        raise LocalParameterError(
            "params", unknown, f"unknown API parameter(s); brandkit sends only {', '.join(sorted(_PARAMS))}"
        )
    model = params.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not model:
        raise LocalParameterError("model", model, "must be a non-empty model name")
    with _unsupported():
        check_model(model)
    rules = rules_for(model)

    text = prompt.text
    if not text.strip():
        raise LocalParameterError("prompt", text, "the prompt is empty")
    if len(text) > MAX_PROMPT_CHARS:
        raise LocalParameterError(
            "prompt", f"<{len(text):,} chars>", f"prompts are limited to {MAX_PROMPT_CHARS:,} characters"
        )

    n = call.n
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10:
        raise LocalParameterError("n", n, "must be an integer from 1 to 10")
    if params.get("stream"):
        raise LocalParameterError("stream", params["stream"], "streaming is not supported by brandkit")
    if params.get("partial_images"):
        raise LocalParameterError("partial_images", params["partial_images"], "partial images need streaming")

    size_value = params.get("size", prompt.size)
    size = _parse_size(model, size_value)
    output_format = _choice("output_format", params.get("output_format", "png"), _FORMATS)
    kwargs: dict[str, Any] = {"model": model, "prompt": text, "n": n, "size": size_value}
    if output_format != "png" or "output_format" in params:
        kwargs["output_format"] = output_format
    if "quality" in params:
        kwargs["quality"] = _choice("quality", params["quality"], _QUALITIES)
    if "background" in params:
        background = _choice("background", params["background"], _BACKGROUNDS)
        if background == "transparent":
            if output_format not in ("png", "webp"):
                raise LocalParameterError(
                    "background",
                    background,
                    f"a transparent background needs output_format png or webp, not {output_format}",
                )
            if not rules.transparent_background:
                raise LocalParameterError("background", background, f"{model} cannot make transparent backgrounds")
        kwargs["background"] = background
    if "output_compression" in params:
        compression = params["output_compression"]
        if output_format not in ("jpeg", "webp"):
            raise LocalParameterError(
                "output_compression",
                compression,
                f"only applies to output_format jpeg or webp, not {output_format}",
            )
        if isinstance(compression, bool) or not isinstance(compression, int) or not 0 <= compression <= 100:
            raise LocalParameterError("output_compression", compression, "must be an integer from 0 to 100")
        kwargs["output_compression"] = compression

    images: list[tuple[str, bytes, str]] = []
    first_size: tuple[int, int] | None = None
    if call.base_image is not None:
        fmt = _check_input_image("base_image", call.base_image, None)
        images.append((f"base.{'jpg' if fmt == 'jpeg' else fmt}", call.base_image, _FORMAT_MIMES[fmt]))
    for ref in sorted(prompt.references, key=lambda item: item.index):
        fmt = _check_input_image(f"references[{ref.index}] ({ref.name})", ref.data, ref.mime)
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in ref.name)[:40] or ref.role
        images.append(
            (
                f"{ref.index:02d}-{ref.role}-{stem}.{'jpg' if fmt == 'jpeg' else fmt}",
                ref.data,
                _FORMAT_MIMES[fmt],
            )
        )
    limit = min(MAX_INPUT_IMAGES, rules.max_reference_images)
    if len(images) > limit:
        raise LocalParameterError(
            "images",
            f"<{len(images)} images>",
            f"an edit takes at most {limit} input images (base image included)",
        )

    if images:
        operation: Literal["generate", "edit"] = "edit"
        kwargs["image"] = images
        if call.mask is not None:
            try:
                first_size = _header_size(images[0][1])[:2]
                mask_w, mask_h, mask_fmt, mask_alpha = _header_size(call.mask)
            except Exception as exc:
                raise LocalParameterError(
                    "mask", f"<{len(call.mask)} bytes>", f"cannot read the image ({exc})"
                ) from exc
            if mask_fmt != "png":
                raise LocalParameterError("mask", mask_fmt or "<unknown format>", "the mask must be a PNG")
            if not mask_alpha:
                raise LocalParameterError("mask", "PNG without alpha", "the mask needs an alpha channel")
            if (mask_w, mask_h) != first_size:
                raise LocalParameterError(
                    "mask",
                    f"{mask_w}x{mask_h}",
                    f"must be the same size as the first image ({first_size[0]}x{first_size[1]})",
                )
            try:
                load_image(call.mask)
            except ImageInputError as exc:
                raise LocalParameterError("mask", f"<{len(call.mask)} bytes>", str(exc)) from exc
            kwargs["mask"] = ("mask.png", call.mask, "image/png")
    else:
        operation = "generate"
        if call.mask is not None:
            raise LocalParameterError("mask", f"<{len(call.mask)} bytes>", "a mask needs an image to edit")
    with _unsupported():
        decided = decide_params(
            params,
            model=model,
            operation=operation,
            transport=transport,
            fidelity_supported=rules.input_fidelity,
            safety_identifier=safety_identifier,
        )
    kwargs.update(decided.send)

    return RenderPlan(
        operation=operation,
        model=model,
        kwargs=kwargs,
        output_format=output_format,
        n=n,
        width=size[0] if size else None,
        height=size[1] if size else None,
        notes=tuple(decided.notes),
    )


@contextmanager
def _unsupported() -> Iterator[None]:
    """Turn :class:`UnsupportedParameter` into :class:`LocalParameterError` (same field, value and problem)."""
    try:
        yield
    except UnsupportedParameter as exc:
        raise LocalParameterError(exc.field, exc.value, exc.problem) from None


# --------------------------------------------------------------------------------------------
# The provider
# --------------------------------------------------------------------------------------------


class _Secret:
    """Holds the API key so that ``repr``/``vars`` never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value

    def get(self) -> str | None:
        return self._value

    def __repr__(self) -> str:
        return "<secret set>" if self._value else "<secret missing>"

    __str__ = __repr__


class OpenAIProvider:
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
        # a key that cannot travel in a header fails here, once, not on every request
        if api_key:
            check_api_key(api_key, "the api_key argument")
        elif client is None and async_client is None:
            check_api_key(os.environ.get("OPENAI_API_KEY"), "OPENAI_API_KEY")
        self._api_key = _Secret(api_key)
        self._base_url = base_url
        self._organization = organization
        self._project = project
        self._timeout = (
            timeout
            if isinstance(timeout, httpx2.Timeout)
            else httpx2.Timeout(float(timeout), connect=min(CONNECT_TIMEOUT_S, float(timeout)))
        )
        self.retry = retry or RetryPolicy()
        self.prices = prices or DEFAULT_PRICES
        self.safety_identifier = safety_identifier
        self.moderation_model = moderation_model
        self._given_client = client
        self._given_async_client = async_client
        self._client: OpenAI | None = None
        self._async_client: AsyncOpenAI | None = None
        self._lock = threading.Lock()
        self._last_rate_limit: RateLimitInfo | None = None
        self._rate_limits: collections.OrderedDict[str, RateLimitInfo] = collections.OrderedDict()

    def __repr__(self) -> str:
        key = "given" if self._api_key.get() else ("env" if os.environ.get("OPENAI_API_KEY") else "missing")
        return (
            f"OpenAIProvider(base_url={self._base_url or os.environ.get('OPENAI_BASE_URL') or 'default'!r}, "
            f"api_key=<{key}>, timeout={self._timeout.read}s, retry={self.retry!r})"
        )

    # -- configuration ------------------------------------------------------------------------

    @property
    def last_rate_limit(self) -> RateLimitInfo | None:
        """Rate-limit headers of the most recent response of this provider (success or error)."""
        return self._last_rate_limit

    def rate_limit_of(self, request_id: str | None) -> RateLimitInfo | None:
        """The rate-limit record of the answer with ``request_id`` (``x-request-id``), among the last
        :data:`RATE_LIMIT_RECORDS` answers of this provider; ``None`` when unknown. Unlike
        :attr:`last_rate_limit`, it cannot be another concurrent request's."""
        if not request_id:
            return None
        with self._lock:
            return self._rate_limits.get(request_id)

    def _key(self) -> str | None:
        return self._api_key.get() or os.environ.get("OPENAI_API_KEY") or None

    def _secrets(self) -> list[str]:
        secrets = [self._key() or ""]
        for client in (self._given_client, self._given_async_client, self._client, self._async_client):
            key = getattr(client, "api_key", None) if client is not None else None
            if isinstance(key, str):
                secrets.append(key)
        return [secret for secret in secrets if secret]

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets())

    def _require_key(self) -> str:
        key = self._key()
        check_api_key(key, "the api_key argument" if self._api_key.get() else "OPENAI_API_KEY")
        if not key:
            raise AuthenticationError(
                "no OpenAI API key: set OPENAI_API_KEY (or pass api_key=...), or render offline with "
                '--provider local / provider="local"',
                code="missing_api_key",
                provider="openai",
            )
        return key

    def _client_options(self, key: str) -> dict[str, Any]:
        return {
            "api_key": key,
            "base_url": self._base_url,
            "organization": self._organization,
            "project": self._project,
            "timeout": self._timeout,
            "max_retries": 0,
        }

    def _sync(self) -> OpenAI:
        with self._lock:
            if self._client is None:
                if self._given_client is not None:
                    self._client = self._given_client.with_options(max_retries=0)
                else:
                    self._client = OpenAI(**self._client_options(self._require_key()))
            return self._client

    def _async(self) -> AsyncOpenAI:
        with self._lock:
            if self._async_client is None:
                if self._given_async_client is not None:
                    self._async_client = self._given_async_client.with_options(max_retries=0)
                else:
                    # the SDK's default client, but each request body leaves in one write (below)
                    http_client = openai.DefaultAsyncHttpx2Client(event_hooks={"request": [_whole_body]})
                    self._async_client = AsyncOpenAI(
                        **self._client_options(self._require_key()), http_client=http_client
                    )
            return self._async_client

    def close(self) -> None:
        """Close the sync client brandkit created (a client you passed in stays open)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None and self._given_client is None:
            client.close()

    async def aclose(self) -> None:
        """Close the clients brandkit created (clients you passed in stay open)."""
        with self._lock:
            client, self._async_client = self._async_client, None
        if client is not None and self._given_async_client is None:
            await client.close()
        self.close()

    def __enter__(self) -> OpenAIProvider:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> OpenAIProvider:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

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

    def render(self, call: RenderCall) -> RenderResult:
        """Generate or edit images for ``call``; raises a :class:`ProviderError` subclass on failure."""
        plan = self.plan(call)
        client = self._sync()
        self.announce(plan)
        started = time.perf_counter()
        resource = client.images.with_raw_response
        endpoint: Callable[..., Any] = resource.generate if plan.operation == "generate" else resource.edit

        def attempt() -> RenderResult:
            with self._translating(plan.label):
                raw = endpoint(**plan.kwargs)
                request_id = self._observe(raw.headers, raw.status_code)
                return self._read_images(plan, raw, request_id, started)

        return self.retry.call(attempt, label=f"openai {plan.label}")

    async def arender(self, call: RenderCall) -> RenderResult:
        """Async twin of :meth:`render` (same checks, retries, errors and parsing)."""
        plan = self.plan(call)
        client = self._async()
        self.announce(plan)
        started = time.perf_counter()
        resource = client.images.with_raw_response
        endpoint: Callable[..., Any] = resource.generate if plan.operation == "generate" else resource.edit

        async def attempt() -> RenderResult:
            with self._translating(plan.label):
                raw = await endpoint(**plan.kwargs)
                # the headers as soon as the answer is in (a limiter dates the request's arrival from them);
                # decoding and verifying the images is CPU work: keep it off the event loop
                request_id = self._observe(raw.headers, raw.status_code)
                return await asyncio.to_thread(self._read_images, plan, raw, request_id, started)

        return await self.retry.acall(attempt, label=f"openai {plan.label}")

    # -- moderation ---------------------------------------------------------------------------

    def _moderation_input(self, image: bytes, mime: str, text: str) -> list[ModerationMultiModalInputParam]:
        if mime.lower() not in _MODERATION_MIMES:
            raise LocalParameterError("mime", mime, f"moderation accepts {', '.join(sorted(_MODERATION_MIMES))}")
        if not image:
            raise LocalParameterError("image", "<0 bytes>", "the image to moderate is empty")
        items: list[ModerationMultiModalInputParam] = []
        if text:
            items.append({"type": "text", "text": text})
        url = f"data:{mime.lower()};base64,{base64.b64encode(image).decode('ascii')}"
        items.append({"type": "image_url", "image_url": {"url": url}})
        return items

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Score one image and a text with the moderation model (one request; retried like images)."""
        items = self._moderation_input(image, mime, text)
        client = self._sync()

        def attempt() -> ModerationScores:
            with self._translating("moderations.create"):
                raw = client.moderations.with_raw_response.create(model=self.moderation_model, input=items)
                return self._read_moderation(raw)

        return self.retry.call(attempt, label="openai moderations.create")

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Async twin of :meth:`moderate`."""
        items = self._moderation_input(image, mime, text)
        client = self._async()

        async def attempt() -> ModerationScores:
            with self._translating("moderations.create"):
                raw = await client.moderations.with_raw_response.create(model=self.moderation_model, input=items)
                return self._read_moderation(raw)

        return await self.retry.acall(attempt, label="openai moderations.create")

    # -- shared response handling -------------------------------------------------------------

    def _observe(self, headers: Mapping[str, str], status_code: int | None) -> str | None:
        info = RateLimitInfo.from_headers(headers, status_code)
        request_id = headers.get("x-request-id")
        if info is not None:
            self._last_rate_limit = info
            if request_id:
                with self._lock:
                    self._rate_limits[request_id] = info
                    while len(self._rate_limits) > RATE_LIMIT_RECORDS:
                        self._rate_limits.popitem(last=False)
        return request_id

    def _response_error(
        self, label: str, problem: str, request_id: str | None, retryable: bool = True
    ) -> ProviderResponseError:
        """A :class:`ProviderResponseError`; its ``__cause__`` is a ``ValueError`` with the problem
        (callers that have an underlying exception chain that one instead with ``raise … from``)."""
        text = self._redact(problem)
        error = ProviderResponseError(
            f"OpenAI {label} returned an unusable answer: {text}",
            request_id=request_id,
            code="bad_response",
            provider="openai",
        )
        error.__cause__ = ValueError(text)
        error.retryable = retryable
        return error

    def _read_images(self, plan: RenderPlan, raw: Any, request_id: str | None, started: float) -> RenderResult:
        try:
            parsed = raw.parse()
        except (ValueError, pydantic.ValidationError, openai.APIResponseValidationError) as exc:
            raise self._response_error(plan.label, f"malformed JSON body ({exc})", request_id) from exc
        return self.images_result(plan, parsed, request_id, started)

    def images_result(
        self, plan: RenderPlan, parsed: Any, request_id: str | None, started: float, *, batch: bool = False
    ) -> RenderResult:
        """The :class:`RenderResult` of a parsed ``ImagesResponse`` answering ``plan``.

        Each image is base64-decoded, decoded and checked against the plan's format and size (else
        :class:`~brandkit.errors.ProviderResponseError`); the usage is billed at Batch API prices when
        ``batch`` (the OpenAI Batch engine reads its output file's bodies through this too).
        """
        data = getattr(parsed, "data", None)
        if not isinstance(data, list) or not data:
            raise self._response_error(plan.label, "no images in the answer", request_id)
        images: list[RenderedImage] = []
        for position, item in enumerate(data):
            encoded = getattr(item, "b64_json", None)
            if not isinstance(encoded, str) or not encoded:
                raise self._response_error(plan.label, f"image {position} has no b64_json", request_id)
            try:
                blob = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise self._response_error(plan.label, f"image {position}: invalid base64 ({exc})", request_id) from exc
            try:
                decoded = load_image(blob)
            except ImageInputError as exc:
                raise self._response_error(plan.label, f"image {position}: {exc}", request_id) from exc
            fmt = detect_format(blob)
            if fmt != plan.output_format:
                raise self._response_error(
                    plan.label,
                    f"image {position} is {fmt}, expected {plan.output_format}",
                    request_id,
                    retryable=False,
                )
            if plan.width is not None and (decoded.width, decoded.height) != (plan.width, plan.height):
                raise self._response_error(
                    plan.label,
                    f"image {position} is {decoded.width}x{decoded.height}, expected {plan.width}x{plan.height}",
                    request_id,
                    retryable=False,
                )
            images.append(RenderedImage(data=blob, output_format=fmt, width=decoded.width, height=decoded.height))
        usage = _usage(getattr(parsed, "usage", None))
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
        request_id = self._observe(raw.headers, raw.status_code)
        try:
            parsed = raw.parse()
        except (ValueError, pydantic.ValidationError, openai.APIResponseValidationError) as exc:
            raise self._response_error("moderations.create", f"malformed JSON body ({exc})", request_id) from exc
        results = getattr(parsed, "results", None)
        if not isinstance(results, list) or not results:
            raise self._response_error("moderations.create", "no results in the answer", request_id)
        scores: dict[str, float] = {}
        flagged = False
        for item in results:
            category_scores = getattr(item, "category_scores", None)
            if not isinstance(category_scores, BaseModel):
                raise self._response_error("moderations.create", "a result has no category_scores", request_id)
            for category, value in category_scores.model_dump(by_alias=True, exclude_none=True).items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    scores[category] = max(float(value), scores.get(category, 0.0))
            flagged = flagged or bool(getattr(item, "flagged", False))
        _log.debug("openai moderations.create ok: request_id=%s flagged=%s", request_id, flagged)
        return ModerationScores(
            source=f"openai:{self.moderation_model}",
            scores=scores,
            flagged=flagged,
            covered_categories=sorted(scores),
            request_ids=[request_id] if request_id else [],
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
        try:
            yield
        except ProviderError:
            raise
        except openai.OpenAIError as exc:
            self._scrub(exc)
            raise self._typed_error(label, exc) from exc

    def _scrub(self, exc: openai.OpenAIError) -> None:
        """Redact the key from the SDK exception kept as ``__cause__`` (message, args, error body)."""
        secrets = self._secrets()
        exc.args = tuple(redact(arg, secrets) if isinstance(arg, str) else arg for arg in exc.args)
        if isinstance(exc, openai.APIError):
            exc.message = redact(exc.message, secrets)
            body = exc.body
            if isinstance(body, dict) and isinstance(body.get("message"), str):
                body["message"] = redact(body["message"], secrets)

    def _typed_error(self, label: str, exc: openai.OpenAIError) -> ProviderError:
        """The :class:`ProviderError` subclass for an SDK exception (the caller chains it)."""
        if isinstance(exc, openai.APIStatusError):
            self._observe(exc.response.headers, exc.status_code)
            return self._status_error(label, exc)
        if isinstance(exc, openai.APITimeoutError):
            return ProviderTimeoutError(
                self._redact(f"OpenAI {label} timed out after {self._timeout.read}s"), provider="openai"
            )
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            return ProviderConnectionError(
                self._redact(f"OpenAI {label}: connection failed ({type(cause).__name__}: {cause})"),
                provider="openai",
            )
        if isinstance(exc, openai.APIResponseValidationError):
            error = self._response_error(
                label, f"{type(exc).__name__}: {exc}", exc.response.headers.get("x-request-id")
            )
            error.__cause__ = None
            return error
        return ProviderError(self._redact(f"OpenAI {label} failed: {type(exc).__name__}: {exc}"), provider="openai")

    def _status_error(self, label: str, exc: openai.APIStatusError) -> ProviderError:
        body = exc.body if isinstance(exc.body, dict) else {}
        code = exc.code or (body.get("code") if isinstance(body.get("code"), str) else None)
        return self.status_error(
            label,
            exc.status_code,
            body,
            code=code,
            request_id=exc.request_id or exc.response.headers.get("x-request-id"),
            headers=exc.response.headers,
            fallback_message=exc.message,
        )

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
        headers = headers or {}
        if code is None and isinstance(body.get("code"), str):
            code = body["code"]
        detail = body.get("message") if isinstance(body.get("message"), str) else fallback_message
        message = self._redact(f"OpenAI {label} failed: {detail}")
        common: dict[str, Any] = {
            "request_id": request_id,
            "status_code": status,
            "code": code,
            "provider": "openai",
        }
        error: ProviderError
        if code == "moderation_blocked":
            details = body.get("moderation_details")
            details = details if isinstance(details, dict) else {}
            stage = details.get("moderation_stage") or details.get("stage") or "unknown"
            categories = details.get("categories") or []
            error = ModerationBlockedError(
                message,
                stage=str(stage),
                categories=[str(item) for item in categories] if isinstance(categories, list) else [],
                **common,
            )
        elif code == "insufficient_quota":
            error = QuotaExceededError(message, **common)
        elif status == 429:
            error = RateLimitError(message, retry_after=parse_retry_after(headers), **common)
        elif status in (401, 403):
            error = AuthenticationError(message, **common)
        elif status in (408, 409) or status >= 500:
            error = ServerError(message, **common)
        elif 400 <= status < 500:
            error = InvalidParameterError(message, **common)
        else:
            error = ProviderError(message, **common)
        should_retry = headers.get("x-should-retry")
        if should_retry in ("true", "false") and not isinstance(
            error, ModerationBlockedError | QuotaExceededError | AuthenticationError | InvalidParameterError
        ):
            error.retryable = should_retry == "true"
        return error


def _usage(raw: Any) -> Usage | None:
    """Our :class:`Usage` from the SDK's usage object (``None`` when the answer has none)."""
    if raw is None:
        return None

    def number(obj: Any, name: str) -> int:
        value = getattr(obj, name, None) if obj is not None else None
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

    input_details = getattr(raw, "input_tokens_details", None)
    output_details = getattr(raw, "output_tokens_details", None)
    output_tokens = number(raw, "output_tokens")
    image_out = number(output_details, "image_tokens")
    text_out = number(output_details, "text_tokens")
    if output_details is None:
        image_out = output_tokens
    return Usage(
        input_tokens=number(raw, "input_tokens"),
        input_text_tokens=number(input_details, "text_tokens"),
        input_image_tokens=number(input_details, "image_tokens"),
        output_tokens=output_tokens,
        output_image_tokens=image_out,
        output_text_tokens=text_out,
    )
