"""The ``openai`` SDK clients of one provider: created on first use, retries off, the API key kept hidden.

:class:`Clients` holds the key (in a :class:`_Secret`: never in a ``repr`` or ``vars``), the connection
settings and the sync / async clients (given by the caller, or created lazily; brandkit closes only those it
created). The async client sends each request body in one write (:func:`_whole_body`).
"""

from __future__ import annotations

import asyncio
import os
import threading
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx2
import openai
from openai import AsyncOpenAI, OpenAI

from brandkit.errors import AuthenticationError
from brandkit.provider.keys import check_api_key
from brandkit.provider.openai.headers import RateLimitBook
from brandkit.provider.pricing import DEFAULT_PRICES, PriceTable
from brandkit.provider.retry import RetryPolicy

__all__ = ["CONNECT_TIMEOUT_S", "DEFAULT_TIMEOUT_S", "WHOLE_BODY_MAX_BYTES", "Clients"]

DEFAULT_TIMEOUT_S = 300.0
CONNECT_TIMEOUT_S = 10.0
WHOLE_BODY_MAX_BYTES = 64 * 1024 * 1024  # async request bodies up to this size leave in one write


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


def shown_url(url: str | None) -> str | None:
    """``url`` as it may be shown: a password in it (``https://user:PASSWORD@proxy/v1``) and its query string
    (``?key=…``, which some gateways take) replaced by ``***``."""
    if not url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rpartition('@')[2]}"
    return urlunsplit((parts.scheme, netloc, parts.path, "***" if parts.query else "", parts.fragment))


def url_secrets(url: str | None) -> list[str]:
    """The secrets a base URL may carry (its password, its query values), to redact from messages."""
    if not url:
        return []
    parts = urlsplit(url)
    found = [parts.password or ""] + [value for _, value in parse_qsl(parts.query)]
    return [secret for secret in found if len(secret) >= 4]  # a two-letter value would redact half the text


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


class Clients:
    """The sync and async ``openai`` clients of one provider (see module docstring)."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        organization: str | None,
        project: str | None,
        client: OpenAI | None,
        async_client: AsyncOpenAI | None,
        timeout: float | httpx2.Timeout,
    ) -> None:
        # a key that cannot travel in a header fails here, once, not on every request
        if api_key:
            check_api_key(api_key, "the api_key argument")
        elif client is None and async_client is None:
            check_api_key(os.environ.get("OPENAI_API_KEY"), "OPENAI_API_KEY")
        self._api_key = _Secret(api_key)
        self.base_url = base_url
        self._organization = organization
        self._project = project
        self.timeout = (
            timeout
            if isinstance(timeout, httpx2.Timeout)
            else httpx2.Timeout(float(timeout), connect=min(CONNECT_TIMEOUT_S, float(timeout)))
        )
        self._given_client = client
        self._given_async_client = async_client
        self._client: OpenAI | None = None
        self._async_client: AsyncOpenAI | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None  # the loop the async client's connections live on
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Clients(base_url={shown_url(self.base_url)!r}, api_key=<{self.key_source()}>)"

    def key_source(self) -> str:
        """Where the key comes from: ``given``, ``env`` or ``missing`` (never the key)."""
        return "given" if self._api_key.get() else ("env" if os.environ.get("OPENAI_API_KEY") else "missing")

    def _key(self) -> str | None:
        return self._api_key.get() or os.environ.get("OPENAI_API_KEY") or None

    def secrets(self) -> list[str]:
        """Every key this provider may send (to redact from messages)."""
        secrets = [self._key() or "", *url_secrets(self.base_url or os.environ.get("OPENAI_BASE_URL"))]
        for client in (self._given_client, self._given_async_client, self._client, self._async_client):
            key = client.api_key if client is not None else None
            if isinstance(key, str):
                secrets.append(key)
        return [secret for secret in secrets if secret]

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

    def _options(self, key: str) -> dict[str, Any]:
        return {
            "api_key": key,
            "base_url": self.base_url,
            "organization": self._organization,
            "project": self._project,
            "timeout": self.timeout,
            "max_retries": 0,
        }

    def sync(self) -> OpenAI:
        """The sync client (created on first use; retries off)."""
        with self._lock:
            if self._client is None:
                if self._given_client is not None:
                    self._client = self._given_client.with_options(max_retries=0)
                else:
                    self._client = OpenAI(**self._options(self._require_key()))
            return self._client

    def async_(self) -> AsyncOpenAI:
        """The async client (created on first use; retries off). One brandkit made is made again on a new event
        loop: a kit used from one ``asyncio.run`` to the next would otherwise reuse connections of a closed loop
        ("Event loop is closed"); the earlier client is dropped with its loop. A client you passed in is yours, on
        whichever loop you use it."""
        loop = _running_loop()
        with self._lock:
            moved = loop is not None and self._async_loop is not None and loop is not self._async_loop
            if moved and self._given_async_client is None:
                self._async_client = None  # its connections belong to the earlier loop
            if self._async_client is None:
                self._async_loop = loop
                if self._given_async_client is not None:
                    self._async_client = self._given_async_client.with_options(max_retries=0)
                else:
                    # the SDK's default client, but each request body leaves in one write (see _whole_body)
                    http_client = openai.DefaultAsyncHttpx2Client(event_hooks={"request": [_whole_body]})
                    self._async_client = AsyncOpenAI(**self._options(self._require_key()), http_client=http_client)
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


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # called outside a coroutine
        return None


class OwnsClients:
    """Closing and ``with`` / ``async with`` for a provider that holds its :class:`Clients` in ``_clients`` (the
    Images provider and the Responses provider share it)."""

    _clients: Clients
    retry: RetryPolicy
    prices: PriceTable
    safety_identifier: str | None
    _rate_limits: RateLimitBook

    def _connect(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        organization: str | None,
        project: str | None,
        client: OpenAI | None,
        async_client: AsyncOpenAI | None,
        timeout: float | httpx2.Timeout,
        retry: RetryPolicy | None,
        prices: PriceTable | None,
        safety_identifier: str | None,
    ) -> None:
        """Set up the clients (created on first use), retry policy, price table and rate-limit book."""
        self._clients = Clients(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            client=client,
            async_client=async_client,
            timeout=timeout,
        )
        self.retry = retry or RetryPolicy()
        self.prices = prices or DEFAULT_PRICES
        self.safety_identifier = safety_identifier
        self._rate_limits = RateLimitBook()

    def __repr__(self) -> str:
        base_url = shown_url(self._clients.base_url or os.environ.get("OPENAI_BASE_URL")) or "default"
        return (
            f"{type(self).__name__}(base_url={base_url!r}, api_key=<{self._clients.key_source()}>, "
            f"timeout={self._clients.timeout.read}s, retry={self.retry!r})"
        )

    def close(self) -> None:
        """Close the sync client brandkit created (a client you passed in stays open)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the clients brandkit created (clients you passed in stay open)."""
        await self._clients.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
