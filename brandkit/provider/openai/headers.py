"""Rate-limit headers and request ids of OpenAI answers.

:class:`RateLimitBook` keeps, per provider object (never global state), the rate-limit record of its latest
answer and of its last :data:`RATE_LIMIT_RECORDS` answers by request id (``x-request-id``). The records
themselves are typed :class:`~brandkit.rate_limits.RateLimitInfo` and also travel with each answer
(:attr:`brandkit.models.RenderResult.rate_limit`, :attr:`brandkit.errors.ProviderError.rate_limit`): that is
what the variant runner reads.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Mapping

from brandkit.rate_limits import RateLimitInfo

__all__ = ["RATE_LIMIT_RECORDS", "RateLimitBook", "RateLimitInfo", "request_id_of"]

RATE_LIMIT_RECORDS = 512  # answers whose rate-limit record a provider keeps, by request id


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The ``x-request-id`` of an answer, when it has one."""
    return headers.get("x-request-id")


class RateLimitBook:
    """The rate-limit records of one provider's answers (thread-safe)."""

    def __init__(self, size: int = RATE_LIMIT_RECORDS) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._last: RateLimitInfo | None = None
        self._by_id: collections.OrderedDict[str, RateLimitInfo] = collections.OrderedDict()

    @property
    def last(self) -> RateLimitInfo | None:
        """The record of the most recent answer (success or error)."""
        return self._last

    def of(self, request_id: str | None) -> RateLimitInfo | None:
        """The record of the answer with ``request_id``; ``None`` when unknown."""
        if not request_id:
            return None
        with self._lock:
            return self._by_id.get(request_id)

    def observe(self, headers: Mapping[str, str], status_code: int | None) -> RateLimitInfo | None:
        """Read and keep the rate-limit headers of one answer; returns its record (``None`` without headers)."""
        info = RateLimitInfo.from_headers(headers, status_code)
        request_id = request_id_of(headers)
        if info is not None:
            self._last = info
            if request_id:
                with self._lock:
                    self._by_id[request_id] = info
                    while len(self._by_id) > self._size:
                        self._by_id.popitem(last=False)
        return info
