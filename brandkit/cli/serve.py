"""``brandkit review serve``: the review web page. Registered on :data:`brandkit.cli.review.review_app`
by :func:`brandkit.cli.review.register`; the work is in :mod:`brandkit.review_web`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def register(review_app: typer.Typer) -> None:
    """Add ``serve`` to the ``review`` group."""

    @review_app.command("serve")
    def serve_command(
        db: Annotated[
            Optional[Path],  # noqa: UP045 - typer reads the annotation
            typer.Option("--db", help="Registry database (default $BRANDKIT_DB, else ./out/brandkit.db)."),
        ] = None,
        port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")] = 8765,
        host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback unless --allow-remote).")] = (
            "127.0.0.1"
        ),
        allow_remote: Annotated[
            bool, typer.Option("--allow-remote", help="Allow a non-loopback --host (prints a warning).")
        ] = False,
        provider: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--provider", help="Provider for request-changes regeneration (default: the asset's own)."),
        ] = None,
    ) -> None:
        """Serve the review page: queue, detail, decisions (keyboard j/k/a/r/c) and the report, behind a token."""
        from brandkit.cli.common import esc, make_console, map_errors
        from brandkit.registry.store import default_db_path
        from brandkit.review_web.server import serve

        err = make_console(stderr=True)
        with map_errors(False):
            serve(
                db or default_db_path("out"),
                host=host,
                port=port,
                allow_remote=allow_remote,
                provider=provider,
                say=lambda text: make_console().print(text, markup=False),
                warn=lambda text: err.print(f"[bold yellow]{esc(text)}[/]", markup=True),
            )
