"""``brandkit mcp``: serve the brands over MCP (stdio by default; streamable HTTP on loopback with a token).

Registered by :func:`brandkit.cli.register_commands`; the server itself is :mod:`brandkit.mcp` (docs/mcp.md).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from brandkit.cli.common import make_console, map_errors

__all__ = ["mcp_cmd", "register"]


def register(app: typer.Typer) -> None:
    """Add ``mcp`` to ``app``."""
    app.command("mcp")(mcp_cmd)


def mcp_cmd(
    spec: Annotated[
        Optional[list[Path]],  # noqa: UP045 - typer needs Optional
        typer.Option("--spec", "-s", help="A brand spec folder to serve (repeatable)."),
    ] = None,
    specs_root: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--specs-root", help="Serve every spec folder directly inside this folder."),
    ] = None,
    provider: Annotated[
        str, typer.Option("--provider", "-p", help="local (offline, default) or openai (needs OPENAI_API_KEY).")
    ] = "local",
    out: Annotated[Path, typer.Option("--out", "-o", help="Where generated and edited assets are saved.")] = Path(
        "out"
    ),
    root: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option("--root", help="A folder validate/edit may read images from, besides --out (repeatable)."),
    ] = None,
    db: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--db", help="Asset registry (SQLite): records assets and enables the review tools."),
    ] = None,
    max_budget: Annotated[
        float, typer.Option("--max-budget", help="The most one generate/edit call may be given as budget_usd (USD).")
    ] = 1.0,
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP on loopback (bearer token) instead of stdio.")
    ] = False,
    host: Annotated[str, typer.Option("--host", help="HTTP: loopback address only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="HTTP: the port.")] = 8766,
) -> None:
    """Serve brands to MCP clients (assistants, IDEs): list brands, show rules, compile, generate, edit, validate
    and — with --db — the review queue. stdio by default; --http serves http://127.0.0.1:PORT/mcp, every request
    carrying Authorization: Bearer $BRANDKIT_MCP_TOKEN (one is generated and printed on stderr when unset).
    Spending tools need a budget_usd argument, capped by --max-budget."""
    import anyio

    from brandkit.mcp.config import HttpSettings, ServerConfig, check_loopback, discover_brands
    from brandkit.mcp.server import build_server
    from brandkit.mcp.transport import run_http, run_stdio

    with map_errors(False):
        check_loopback(host)  # refused even when --http is not given: a wrong setting is never ignored
        from brandkit.paths import allowed_folders

        roots = allowed_folders(root or [])
        config = ServerConfig(
            brands=discover_brands(spec or [], specs_root),
            provider=provider,
            out=out,
            roots=roots,
            db=db,
            max_budget_usd=max_budget,
        )
        _one_line_logs()
        server = build_server(config)
        console = make_console(stderr=True)
        try:
            if not http:
                anyio.run(run_stdio, server)
                return
            settings = HttpSettings.build(host, port)
            console.print(
                f"brandkit MCP server: http://{settings.host}:{settings.port}/mcp "
                f"({len(config.brands)} brand(s), provider {config.provider})",
                markup=False,
            )
            if settings.generated:
                console.print(f"bearer token (set {_token_env()} to choose it): {settings.token}", markup=False)
            anyio.run(run_http, server, settings)
        except KeyboardInterrupt:
            return


class _OneLine(logging.Formatter):
    """Log records as one line on stderr: an exception is its class and (redacted) message, never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        from brandkit.errors import redact

        text = f"brandkit mcp: {record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f" ({type(exc).__name__}: {exc})"
        return redact(text)


def _one_line_logs() -> None:
    """Warnings and errors of the server (and of the MCP SDK, whose own set-up then leaves logging as it is) go
    to stderr as one line each: stdout is the protocol's, and no traceback reaches the client's log."""
    handler = logging.StreamHandler()
    handler.setFormatter(_OneLine())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])


def _token_env() -> str:
    from brandkit.mcp.config import TOKEN_ENV

    return TOKEN_ENV
