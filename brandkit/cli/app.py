"""The ``brandkit`` typer application and its ``spec`` group; the command modules register on them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from brandkit.cli.common import EXIT_OK

__all__ = ["app", "spec_app"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Brand-safe AI image generation: specs, prompts, generation and validation.",
)
spec_app = typer.Typer(no_args_is_help=True, help="Brand spec tools.")
app.add_typer(spec_app, name="spec")


def _print_version(value: bool) -> None:
    if value:
        from brandkit._version import __version__

        sys.stdout.write(f"brandkit {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Brand-safe AI image generation: specs, prompts, generation and validation."""
