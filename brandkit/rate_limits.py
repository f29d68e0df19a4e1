"""Rate-limit information as a provider reports it: the typed seam between providers and the variant runner.

:class:`RateLimitInfo` is a foundation model (it imports nothing from brandkit): a provider fills it from the
headers of each answer (:meth:`RateLimitInfo.from_headers`) and hands it on in
:attr:`brandkit.models.RenderResult.rate_limit`, :attr:`brandkit.moderation_scores.ModerationScores.rate_limit` and
:attr:`brandkit.errors.ProviderError.rate_limit`; the variant runner's limiter
(:mod:`brandkit.variants.ratelimit`) reads it from there, never from the provider object.

The header parsers (:func:`parse_duration`, :func:`parse_milliseconds`, :func:`parse_retry_after`) live here
too; :mod:`brandkit.provider.retry` re-exports them.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

__all__ = ["RateLimitInfo", "parse_duration", "parse_milliseconds", "parse_retry_after"]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_HEADER_NAMES = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
    "retry-after",
    "retry-after-ms",
)


def parse_duration(value: str | None) -> float | None:
    """Seconds from a rate-limit duration such as ``20ms``, ``1s``, ``6m0s`` or ``1h2m3.5s``.

    A bare number is read as seconds. Returns ``None`` for anything unreadable.
    """
    if value is None:
        return None
    text = value.strip().lower()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    total = 0.0
    position = 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    return total if position == len(text) and position > 0 else None


def parse_milliseconds(value: str | None) -> float | None:
    """Seconds from a header counting milliseconds (``retry-after-ms``, ``openai-processing-ms``);
    ``None`` when absent, unreadable, negative or not finite."""
    if value is None:
        return None
    try:
        milliseconds = float(value)
    except ValueError:
        return None
    if not math.isfinite(milliseconds) or milliseconds < 0:
        return None
    return milliseconds / 1000.0


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asks us to wait, from ``retry-after-ms`` or ``retry-after``.

    ``retry-after`` may be a number of seconds or an HTTP date. Returns
    ``None`` when neither header is present or readable, or when the value
    is negative.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = parse_milliseconds(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis
    seconds = lowered.get("retry-after")
    if seconds is None:
        return None
    try:
        value = float(seconds)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(seconds)
        except (TypeError, ValueError):
            return None
        value = when.timestamp() - (time.time() if now is None else now)
        return max(0.0, value)
    return value if value >= 0 else None


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


class RateLimitInfo(BaseModel):
    """The rate-limit headers of one response (``x-ratelimit-*``, ``retry-after``).

    Durations are in seconds. A batch runner can adapt its concurrency from
    ``remaining_requests`` and ``reset_requests_s``. ``processing_s`` is the server's own time for the
    request (``openai-processing-ms``) and ``observed_at`` the wall-clock time the answer was read: the
    server counted the request no later than ``observed_at - processing_s``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

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
        if not any(name in lowered for name in _HEADER_NAMES):
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
