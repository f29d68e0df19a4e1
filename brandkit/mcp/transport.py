"""How the server is reached: stdio (the default: the MCP client starts ``brandkit mcp`` itself) or streamable
HTTP on loopback, where every request must carry ``Authorization: Bearer <token>``.

The HTTP app is the SDK's streamable HTTP app (its DNS-rebinding protection is on for loopback hosts) inside
:class:`BearerGuard`, which answers 401 to a request without the token — compared in constant time — before the
SDK sees it. The token is never logged; the command prints it once, on stderr, when it generated it.
"""

from __future__ import annotations

import hmac
import json
import socket
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from brandkit.errors import ConfigurationError
from brandkit.mcp.config import HttpSettings
from brandkit.mcp.server import BrandServer

__all__ = ["BearerGuard", "http_app", "run_http", "run_stdio"]


class BearerGuard:
    """ASGI middleware: HTTP requests need ``Authorization: Bearer <token>`` (401 otherwise); lifespan passes."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode("utf-8")

    def __repr__(self) -> str:
        return "BearerGuard(token=[REDACTED])"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(scope):
            body = json.dumps({"error": "unauthorized: send Authorization: Bearer <token>"}).encode("utf-8")
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="brandkit-mcp"'),
                        (b"content-length", str(len(body)).encode("ascii")),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        given = b""
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                given = value
                break
        scheme, _, token = given.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self._token)


def http_app(server: BrandServer, settings: HttpSettings) -> ASGIApp:
    """The streamable HTTP app of ``server`` at ``/mcp``, behind the bearer token of ``settings``."""
    inner = server.mcp.streamable_http_app(host=settings.host)
    return BearerGuard(inner, settings.token)


def _check_free(settings: HttpSettings) -> None:
    """A :class:`~brandkit.errors.ConfigurationError` naming the port when it cannot be bound (in use, not
    allowed), before the server starts (uvicorn would only log it and exit)."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.host, settings.port))
        except OSError as exc:
            raise ConfigurationError(
                f"--port {settings.port}: cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc})",
                setting="port",
            ) from None


async def run_stdio(server: BrandServer) -> None:
    """Serve on stdin/stdout until the client closes them."""
    await server.mcp.run_stdio_async()


async def run_http(server: BrandServer, settings: HttpSettings, *, log_level: str = "warning") -> None:
    """Serve streamable HTTP on ``settings.host:settings.port`` (loopback only) until stopped."""
    import uvicorn

    _check_free(settings)
    config: Any = uvicorn.Config(
        http_app(server, settings), host=settings.host, port=settings.port, log_level=log_level, access_log=False
    )
    await uvicorn.Server(config).serve()
