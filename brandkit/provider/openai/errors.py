"""OpenAI answers and SDK exceptions → brandkit's typed errors (:mod:`brandkit.errors`).

Shared by the live provider (:mod:`brandkit.provider.openai.client`) and the Batch engine
(:mod:`brandkit.provider.openai_batch`), for live HTTP answers and the failed requests of a Batch error file
alike. Every message goes through the caller's redactor (the API key is never shown); the rate-limit record
of the error answer travels in :attr:`brandkit.errors.ProviderError.rate_limit`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import openai

from brandkit.errors import (
    AuthenticationError,
    InvalidParameterError,
    ModerationBlockedError,
    ProviderConnectionError,
    ProviderError,
    ProviderResponseError,
    ProviderTimeoutError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    redact,
)
from brandkit.provider.openai.params import UnsupportedParameter
from brandkit.rate_limits import RateLimitInfo, parse_retry_after

__all__ = [
    "LocalParameterError",
    "carrying",
    "response_error",
    "scrub",
    "status_error",
    "translating",
    "typed_error",
    "unsupported",
]

Redactor = Callable[[str], str]


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


@contextmanager
def unsupported() -> Iterator[None]:
    """Turn :class:`UnsupportedParameter` into :class:`LocalParameterError` (same field, value and problem)."""
    try:
        yield
    except UnsupportedParameter as exc:
        raise LocalParameterError(exc.field, exc.value, exc.problem) from None


def response_error(
    label: str,
    problem: str,
    request_id: str | None,
    redactor: Redactor,
    *,
    retryable: bool = True,
    rate_limit: RateLimitInfo | None = None,
) -> ProviderResponseError:
    """A :class:`ProviderResponseError`; its ``__cause__`` is a ``ValueError`` with the problem
    (callers that have an underlying exception chain that one instead with ``raise … from``)."""
    text = redactor(problem)
    error = ProviderResponseError(
        f"OpenAI {label} returned an unusable answer: {text}",
        request_id=request_id,
        code="bad_response",
        provider="openai",
        rate_limit=rate_limit,
    )
    error.__cause__ = ValueError(text)
    error.retryable = retryable
    return error


def scrub(exc: openai.OpenAIError, secrets: list[str]) -> None:
    """Redact ``secrets`` from an SDK exception kept as ``__cause__`` (message, args, error body)."""
    exc.args = tuple(redact(arg, secrets) if isinstance(arg, str) else arg for arg in exc.args)
    if isinstance(exc, openai.APIError):
        exc.message = redact(exc.message, secrets)
        body = exc.body
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            body["message"] = redact(body["message"], secrets)


def typed_error(
    label: str,
    exc: openai.OpenAIError,
    redactor: Redactor,
    *,
    timeout_s: float | None,
    observe: Callable[[Mapping[str, str], int | None], RateLimitInfo | None],
) -> ProviderError:
    """The :class:`ProviderError` subclass for an SDK exception (the caller chains it). ``observe`` records
    the rate-limit headers of an HTTP error answer and returns them (they travel on the error)."""
    if isinstance(exc, openai.APIStatusError):
        info = observe(exc.response.headers, exc.status_code)
        body = exc.body if isinstance(exc.body, dict) else {}
        code = exc.code or (body.get("code") if isinstance(body.get("code"), str) else None)
        return status_error(
            label,
            exc.status_code,
            body,
            redactor,
            code=code,
            request_id=exc.request_id or exc.response.headers.get("x-request-id"),
            headers=exc.response.headers,
            fallback_message=exc.message,
            rate_limit=info,
        )
    if isinstance(exc, openai.APITimeoutError):
        return ProviderTimeoutError(redactor(f"OpenAI {label} timed out after {timeout_s}s"), provider="openai")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return ProviderConnectionError(
            redactor(f"OpenAI {label}: connection failed ({type(cause).__name__}: {cause})"), provider="openai"
        )
    if isinstance(exc, openai.APIResponseValidationError):
        error = response_error(
            label, f"{type(exc).__name__}: {exc}", exc.response.headers.get("x-request-id"), redactor
        )
        error.__cause__ = None
        return error
    return ProviderError(redactor(f"OpenAI {label} failed: {type(exc).__name__}: {exc}"), provider="openai")


def status_error(
    label: str,
    status: int,
    body: Mapping[str, Any],
    redactor: Redactor,
    *,
    code: str | None = None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    fallback_message: str = "",
    rate_limit: RateLimitInfo | None = None,
) -> ProviderError:
    """The typed :class:`ProviderError` for an HTTP error answer: ``status`` and the ``error`` object
    ``body`` (``message``, ``code``, ``moderation_details`` …)."""
    headers = headers or {}
    if code is None and isinstance(body.get("code"), str):
        code = body["code"]
    detail = body.get("message") if isinstance(body.get("message"), str) else fallback_message
    message = redactor(f"OpenAI {label} failed: {detail}")
    common: dict[str, Any] = {
        "request_id": request_id,
        "status_code": status,
        "code": code,
        "provider": "openai",
        "rate_limit": rate_limit,
    }
    error = _error_for(status, code, body, headers, message, common)
    should_retry = headers.get("x-should-retry")
    if should_retry in ("true", "false") and not isinstance(
        error, ModerationBlockedError | QuotaExceededError | AuthenticationError | InvalidParameterError
    ):
        error.retryable = should_retry == "true"
    return error


def _error_for(
    status: int,
    code: str | None,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    message: str,
    common: dict[str, Any],
) -> ProviderError:
    if code == "moderation_blocked":
        details = body.get("moderation_details")
        details = details if isinstance(details, dict) else {}
        stage = details.get("moderation_stage") or details.get("stage") or "unknown"
        categories = details.get("categories") or []
        return ModerationBlockedError(
            message,
            stage=str(stage),
            categories=[str(item) for item in categories] if isinstance(categories, list) else [],
            **common,
        )
    if code == "insufficient_quota":
        return QuotaExceededError(message, **common)
    if status == 429:
        return RateLimitError(message, retry_after=parse_retry_after(headers), **common)
    if status in (401, 403):
        return AuthenticationError(message, **common)
    if status in (408, 409) or status >= 500:
        return ServerError(message, **common)
    if 400 <= status < 500:
        return InvalidParameterError(message, **common)
    return ProviderError(message, **common)


@contextmanager
def translating(
    label: str,
    secrets: Callable[[], list[str]],
    *,
    timeout_s: float | None,
    observe: Callable[[Mapping[str, str], int | None], RateLimitInfo | None],
) -> Iterator[None]:
    """A block in which SDK exceptions become typed, redacted :class:`ProviderError` s (the SDK exception,
    scrubbed of ``secrets()``, chained as ``__cause__``); a :class:`ProviderError` passes unchanged."""
    try:
        yield
    except ProviderError:
        raise
    except openai.OpenAIError as exc:
        keys = secrets()
        scrub(exc, keys)
        raise typed_error(label, exc, lambda text: redact(text, keys), timeout_s=timeout_s, observe=observe) from exc


@contextmanager
def carrying(info: RateLimitInfo | None) -> Iterator[None]:
    """Attach the answer's rate-limit record to a :class:`ProviderError` raised while reading it."""
    try:
        yield
    except ProviderError as exc:
        if exc.rate_limit is None:
            exc.rate_limit = info
        raise
