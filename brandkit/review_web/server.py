"""Start the review web page: bind a socket, build the app, run it with uvicorn.

Bound to loopback unless ``allow_remote`` is given (then a warning is printed). The start URL carries the random
token; the token is printed once and never logged (uvicorn's access log is off: it would record the query).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from brandkit.errors import RegistryError, RequestError
from brandkit.registry.store import Registry
from brandkit.review_web.app import ReviewConfig, create_app
from brandkit.review_web.security import AccessPolicy, is_loopback

DEFAULT_PORT = 8765


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: a free port). Raises ``RequestError`` naming both."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RequestError(f"--host {host!r}: cannot resolve ({exc})", field="host", value=host) from exc
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise RequestError(f"cannot listen on {host}:{port} ({exc.strerror or exc})", field="port", value=port) from exc
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, token: str | None = None) -> str:
    """The page's URL for a bound socket (with ``?token=`` when ``token`` is given)."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):  # every interface: name the machine, a browser cannot open 0.0.0.0
        host = socket.gethostname()
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def make_server(config: ReviewConfig) -> uvicorn.Server:
    """A uvicorn server for the review app of ``config`` (no access log, warnings only)."""
    uv_config = uvicorn.Config(
        create_app(config), log_level="warning", access_log=False, lifespan="off", server_header=False
    )
    return uvicorn.Server(uv_config)


def check_registry(db_path: Path) -> None:
    """Fail early, naming the file, when ``db_path`` is not a registry that opens (the page would only show errors)."""
    if not db_path.is_file():
        raise RegistryError(
            f"{db_path}: no registry here — run `brandkit generate`/`variants` first, or pass --db", path=str(db_path)
        )
    with Registry.open(db_path):
        pass


def serve(
    db_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    allow_remote: bool = False,
    provider: str | None = None,
    say: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
) -> None:
    """Serve the review page for the registry at ``db_path`` until interrupted (Ctrl-C).

    A host that is not loopback needs ``allow_remote=True`` (and gets a warning): anyone who can reach the port
    and learns the token can approve assets. Raises ``RequestError`` / ``RegistryError`` before listening.
    """
    if not is_loopback(host) and not allow_remote:
        raise RequestError(
            f"--host {host!r} is not a loopback address: pass --allow-remote to expose the review page beyond this "
            "machine",
            field="host",
            value=host,
        )
    check_registry(db_path)
    sock = bind(host, port)
    policy = AccessPolicy.create(host)
    if not is_loopback(host):
        warn(
            f"warning: the review page listens on {host}, reachable from other machines; the token is the only "
            "protection and travels in clear text over plain HTTP"
        )
    server = make_server(ReviewConfig(db_path=db_path, policy=policy, provider=provider))
    say(f"brandkit review: {db_path}")
    say(f"open {url_of(sock, policy.token)}")
    say("press Ctrl-C to stop")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
