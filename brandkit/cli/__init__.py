"""The ``brandkit`` command line (typer + rich): a package with one module per command group.

``--json`` on every command prints one JSON document. Exit codes: 0 ok · 1 checks failed · 2 usage or spec error
(an unusable output folder too: nothing was spent) · 3 provider error · 4 output failed (paid results could not be
written: saved / kept / lost are reported).

Layout: :mod:`~brandkit.cli.app` (the typer app and the ``spec`` group), :mod:`~brandkit.cli.common` (exit codes,
option types, output helpers, the error mapping), :mod:`~brandkit.cli.recording` (the asset registry as commands
use it) and the command modules — :mod:`~brandkit.cli.generate` (compile, generate, edit),
:mod:`~brandkit.cli.validate`, :mod:`~brandkit.cli.variants`, :mod:`~brandkit.cli.spec` (check, schema, with
:mod:`~brandkit.cli.spec_calibrate` and :mod:`~brandkit.cli.spec_import`), :mod:`~brandkit.cli.review` (with
:mod:`~brandkit.cli.report` and :mod:`~brandkit.cli.serve`), :mod:`~brandkit.cli.provenance`. Each command module
has a ``register(app)``; :func:`register_commands` calls them all. A command module imports only ``common``,
``recording`` and the public SDK — never another command module's private helpers.
"""

from __future__ import annotations

from brandkit.cli.app import app, spec_app
from brandkit.cli.common import EXIT_CHECKS, EXIT_OK, EXIT_OUTPUT, EXIT_PROVIDER, EXIT_USAGE, JsonOpt, SpecOpt

__all__ = [
    "EXIT_CHECKS",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_PROVIDER",
    "EXIT_USAGE",
    "JsonOpt",
    "SpecOpt",
    "app",
    "main",
    "register_commands",
    "spec_app",
]


def register_commands() -> None:
    """Add every command group to :data:`app` (idempotent: typer keeps the first registration of a name)."""
    from brandkit.cli import generate, provenance, review, spec, validate, variants

    if any(command.name == "generate" for command in app.registered_commands):
        return
    generate.register(app)
    validate.register(app)
    variants.register(app)
    spec.register(spec_app)
    review.register(app)
    provenance.register(app)


_register_extra_commands = register_commands  # the name helpers of earlier issues were told to extend


def main() -> None:
    """Console-script entry point."""
    app()


register_commands()
