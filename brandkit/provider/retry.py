"""The retry policy shared by every remote call (image generation, edits, moderation).

One :class:`RetryPolicy` builds both a :class:`tenacity.Retrying` and a
:class:`tenacity.AsyncRetrying` from the same stop / wait / retry
definitions, so the sync and async paths cannot drift apart.

What is retried is decided by the error type, not by this module: a
:class:`~brandkit.errors.ProviderError` whose ``retryable`` flag is true
(connection errors, timeouts, rate limits, 408/409/5xx, malformed answers)
is retried; anything else (moderation blocks, quota, authentication, bad
parameters, bugs) is raised at once.

Waiting is exponential backoff with jitter, except when the server said how
long to wait (``retry-after-ms`` / ``retry-after``, carried by
:class:`~brandkit.errors.RateLimitError`): then that wait is honoured, capped
at ``max_wait_s``. Retrying stops after ``max_attempts`` attempts, or when the
next wait would end past ``max_total_s`` (also when the server asks for more
than what is left of that budget). The last typed error is then raised, its
message saying how many attempts were made.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception

from brandkit.errors import ProviderError, RateLimitError
from brandkit.rate_limits import parse_duration, parse_milliseconds, parse_retry_after

__all__ = ["RetryPolicy", "parse_duration", "parse_milliseconds", "parse_retry_after"]

T = TypeVar("T")

_log = logging.getLogger("brandkit.provider.retry")


def _server_wait(exc: BaseException | None) -> float | None:
    if isinstance(exc, RateLimitError) and exc.retry_after is not None and exc.retry_after >= 0:
        return float(exc.retry_after)
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a failed remote call.

    ``max_attempts`` counts the first try. ``max_total_s`` bounds the whole
    call (attempts plus waits). The k-th retry waits ``base_s * 2**(k-1)``
    seconds (capped at ``max_wait_s``), multiplied by a random factor in
    [0.5, 1.0] when ``jitter`` is on; a server-given ``retry-after`` replaces
    that backoff (capped at ``max_wait_s``, no jitter).
    """

    max_attempts: int = 4
    max_total_s: float = 120.0
    base_s: float = 0.5
    max_wait_s: float = 20.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be at least 1, got {self.max_attempts}")
        if self.max_total_s <= 0:
            raise ValueError(f"RetryPolicy.max_total_s must be positive, got {self.max_total_s}")
        if self.base_s < 0 or self.max_wait_s < 0:
            raise ValueError(
                f"RetryPolicy.base_s and max_wait_s must not be negative, got {self.base_s} and {self.max_wait_s}"
            )

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that makes exactly one attempt."""
        return cls(max_attempts=1)

    # -- the three predicates, shared by the sync and the async retrier ------------------------

    @staticmethod
    def is_retryable(exc: BaseException) -> bool:
        """True for a :class:`ProviderError` whose ``retryable`` flag is set."""
        return isinstance(exc, ProviderError) and exc.retryable

    def wait_seconds(self, retry_state: RetryCallState) -> float:
        """The pause before the next attempt (server hint if any, else backoff with jitter)."""
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        hinted = _server_wait(exc)
        if hinted is not None:
            return min(hinted, self.max_wait_s)
        backoff = min(self.max_wait_s, self.base_s * 2.0 ** (retry_state.attempt_number - 1))
        if self.jitter:
            backoff *= random.uniform(0.5, 1.0)
        return backoff

    def should_stop(self, retry_state: RetryCallState) -> bool:
        """True when no attempt is left, or the next one would start past the time budget."""
        return self._stop_reason(retry_state) is not None

    def _stop_reason(self, retry_state: RetryCallState) -> str | None:
        attempts = retry_state.attempt_number
        if attempts >= self.max_attempts:
            return f"gave up after {attempts} attempt{'s' if attempts != 1 else ''}"
        remaining = self.max_total_s - (retry_state.seconds_since_start or 0.0)
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        hinted = _server_wait(exc)
        if hinted is not None and hinted > remaining:
            return (
                f"gave up after {attempts} attempt{'s' if attempts != 1 else ''}: the server asked to wait "
                f"{hinted:.3g}s, more than the {max(remaining, 0.0):.3g}s left of the "
                f"{self.max_total_s:g}s retry budget"
            )
        if retry_state.upcoming_sleep > remaining:
            return (
                f"gave up after {attempts} attempt{'s' if attempts != 1 else ''}: the "
                f"{self.max_total_s:g}s retry budget is used up"
            )
        return None

    def _give_up(self, retry_state: RetryCallState) -> NoReturn:
        outcome = retry_state.outcome
        assert outcome is not None  # tenacity only gives up after an attempt
        exc = outcome.exception()
        assert exc is not None  # a successful attempt never reaches the stop check
        reason = self._stop_reason(retry_state) or f"gave up after {retry_state.attempt_number} attempts"
        if isinstance(exc, ProviderError):
            exc.message = f"{exc.message} ({reason} in {retry_state.seconds_since_start or 0.0:.2f}s)"
            exc.args = (exc.message,)
        raise exc

    def _log_retry(self, label: str) -> Callable[[RetryCallState], None]:
        def log(retry_state: RetryCallState) -> None:
            exc = retry_state.outcome.exception() if retry_state.outcome else None
            _log.warning(
                "%s: attempt %d of %d failed (%s: %s); retrying in %.3fs",
                label,
                retry_state.attempt_number,
                self.max_attempts,
                type(exc).__name__,
                exc,
                retry_state.upcoming_sleep,
            )

        return log

    def _options(self, label: str) -> dict[str, Any]:
        """The one definition both retriers are built from."""
        return {
            "stop": self.should_stop,
            "wait": self.wait_seconds,
            "retry": retry_if_exception(self.is_retryable),
            "before_sleep": self._log_retry(label),
            "retry_error_callback": self._give_up,
            "reraise": True,
        }

    # -- the retriers -------------------------------------------------------------------------

    def retrying(self, label: str = "request") -> Retrying:
        """A fresh :class:`tenacity.Retrying` for one sync call; ``label`` names it in logs."""
        return Retrying(**self._options(label))

    def async_retrying(self, label: str = "request") -> AsyncRetrying:
        """A fresh :class:`tenacity.AsyncRetrying` for one async call; ``label`` names it in logs."""
        return AsyncRetrying(**self._options(label))

    def call(self, fn: Callable[[], T], label: str = "request") -> T:
        """Run ``fn`` under this policy and return its result (or raise the last error)."""
        return self.retrying(label)(fn)

    async def acall(self, fn: Callable[[], Awaitable[T]], label: str = "request") -> T:
        """Await ``fn()`` under this policy and return its result (or raise the last error)."""
        return await self.async_retrying(label)(fn)
