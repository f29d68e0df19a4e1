"""Access control of the review web page: the start token, the session cookie, CSRF and origin checks.

The server prints a URL carrying a random token (``?token=…``), as notebook servers do. The first request with the
token gets a signed session cookie (``HttpOnly``, ``SameSite=Strict``) and a redirect to the same URL without the
token; every later request must carry the cookie. Every state change (any method but GET/HEAD) must also

* come from the page's own origin: ``Sec-Fetch-Site`` (when sent) is ``same-origin``, and ``Origin`` (when sent)
  is this server's origin — a page on another port of the same host is *same-site* but not same-origin, so both
  checks matter;
* carry the session's CSRF token (a form field ``csrf``), an HMAC of the session id under the server's secret.

The ``Host`` header must name the address the server is bound to (or a loopback name when bound to loopback):
a DNS-rebinding page cannot reach the server through a name of its own.

Everything here is per server instance (an :class:`AccessPolicy` in the app's state): no module-level state.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    """``True`` for ``localhost`` and loopback IP addresses (``127.0.0.0/8``, ``::1``)."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AccessPolicy:
    """The secrets and rules of one server instance.

    ``token`` is what the printed URL carries; ``secret`` signs session cookies and derives CSRF tokens;
    ``hosts`` are the host names (no port) accepted in the ``Host`` header: the loopback names for a server on
    loopback; empty (any) for one exposed with ``--allow-remote``, where the token alone guards it.
    """

    token: str = field(repr=False)
    secret: bytes = field(repr=False)
    hosts: frozenset[str]

    @classmethod
    def create(cls, bind_host: str, token: str | None = None) -> AccessPolicy:
        """A fresh policy for a server bound to ``bind_host`` (random token unless one is given)."""
        hosts: set[str] = set()  # empty: any Host (a server exposed with --allow-remote is reached by many names)
        if is_loopback(bind_host):
            hosts = {bind_host.strip("[]").lower()} | {name.strip("[]") for name in LOOPBACK_NAMES}
        return cls(token=token or secrets.token_urlsafe(24), secret=secrets.token_bytes(32), hosts=frozenset(hosts))

    @property
    def cookie_name(self) -> str:
        """Session cookie name, unique per server instance (cookies are shared across ports of one host)."""
        return "brandkit_review_" + hashlib.sha256(self.secret).hexdigest()[:10]

    def _sign(self, purpose: str, value: str) -> str:
        return hmac.new(self.secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def check_token(self, value: str) -> bool:
        """Constant-time comparison of a presented start token."""
        return hmac.compare_digest(value.encode(), self.token.encode())

    def new_session(self) -> tuple[str, str]:
        """A new session id and its signed cookie value."""
        sid = secrets.token_urlsafe(18)
        return sid, f"{sid}.{self._sign('session', sid)}"

    def session_of(self, cookie: str | None) -> str | None:
        """The session id of a signed cookie value, or ``None`` when it is absent or forged."""
        if not cookie or "." not in cookie:
            return None
        sid, _, signature = cookie.rpartition(".")
        return sid if hmac.compare_digest(signature, self._sign("session", sid)) else None

    def csrf_token(self, sid: str) -> str:
        """The CSRF token of session ``sid`` (put in every form)."""
        return self._sign("csrf", sid)

    def check_csrf(self, sid: str | None, value: str | None) -> bool:
        """Whether ``value`` is the CSRF token of session ``sid``."""
        return bool(sid and value) and hmac.compare_digest(str(value), self.csrf_token(str(sid)))

    def host_allowed(self, host_header: str) -> bool:
        """Whether a ``Host`` header (``name[:port]``) names this server (any does when ``hosts`` is empty)."""
        if not self.hosts:
            return True
        host = host_header.strip().lower()
        if host.startswith("["):
            name = host[1 : host.find("]")] if "]" in host else host
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return name in self.hosts


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str) -> dict[str, str]:
    jar: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            jar.setdefault(name, value)
    return jar


def cross_origin_reason(headers: dict[str, str], scheme: str) -> str | None:
    """Why an unsafe request does not come from this server's own page (``None``: it does)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return f"cross-site request refused (Sec-Fetch-Site: {site})"
    origin = headers.get("origin")
    if origin is not None and origin != f"{scheme}://{headers.get('host', '')}":
        return f"cross-origin request refused (Origin: {origin})"
    return None


async def plain_response(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """Send a short ``text/plain`` answer (refusals, and errors met before any page could be drawn)."""
    body = text.encode("utf-8")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AccessMiddleware:
    """ASGI middleware enforcing :class:`AccessPolicy` on every HTTP request.

    On success the session id is put in ``scope["state"]["session"]`` for the CSRF check of the endpoints.
    """

    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the page has none: refuse rather than pass one through unchecked
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":  # lifespan
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if not self.policy.host_allowed(headers.get("host", "")):
            await plain_response(send, 400, "unexpected Host header: open the URL printed by `brandkit review serve`")
            return
        sid = self.policy.session_of(_cookies(headers.get("cookie", "")).get(self.policy.cookie_name))
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        presented = [v for k, v in query if k == "token"]
        if presented:
            if not self.policy.check_token(presented[0]):
                await plain_response(send, 403, "wrong token: open the URL printed by `brandkit review serve`")
                return
            if sid is None:
                sid, cookie = self.policy.new_session()
                set_cookie = f"{self.policy.cookie_name}={cookie}; HttpOnly; SameSite=Strict; Path=/"
            else:
                set_cookie = ""
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope.get("path", "/") + (f"?{rest}" if rest else "")
            extra = [(b"location", location.encode("latin-1")), (b"referrer-policy", b"no-referrer")]
            if set_cookie:
                extra.append((b"set-cookie", set_cookie.encode("latin-1")))
            await plain_response(send, 303, "signed in", extra)
            return
        if sid is None:
            await plain_response(send, 403, "a token is required: open the URL printed by `brandkit review serve`")
            return
        if scope["method"] not in SAFE_METHODS:
            reason = cross_origin_reason(headers, scope.get("scheme", "http"))
            if reason:
                await plain_response(send, 403, reason)
                return
        scope.setdefault("state", {})["session"] = sid
        await self.app(scope, receive, send)
