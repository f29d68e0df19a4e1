"""The ``brandkit`` command line (typer + rich): a package with one module per command group.

``--json`` on every command prints one JSON document. Exit codes: 0 ok · 1 checks failed · 2 usage or spec error
(an unusable output folder too: nothing was spent) · 3 provider error · 4 output failed (paid results could not be
written: saved / kept / lost are reported).

Startup: importing this package loads typer and no command module, no SDK: ``brandkit --help`` lists the
commands from :data:`COMMANDS`; running one (or asking for its ``--help``) registers only the command group that
holds it (:data:`COMMAND_MODULES`, :func:`register_command`).

Layout: :mod:`~brandkit.cli.app` (the typer app and the ``spec`` group), :mod:`~brandkit.cli.common` (exit codes,
option types, output helpers, the error mapping), :mod:`~brandkit.cli.recording` (the asset registry as commands
use it), :mod:`~brandkit.cli.saving` (what generate and edit made: saved, printed, a rejected best attempt kept) and
the command modules — :mod:`~brandkit.cli.generate` (compile, generate, edit),
:mod:`~brandkit.cli.validate`, :mod:`~brandkit.cli.variants`, :mod:`~brandkit.cli.spec` (check, schema, with
:mod:`~brandkit.cli.spec_calibrate` and :mod:`~brandkit.cli.spec_import`), :mod:`~brandkit.cli.review` (with
:mod:`~brandkit.cli.report` and :mod:`~brandkit.cli.serve`), :mod:`~brandkit.cli.provenance`. Each command module
has a ``register(app)``; :func:`register_commands` calls them all (the tests' full registration). A command
module imports only ``common``, ``recording`` and the public SDK — never another command module's private helpers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from brandkit.cli.app import app, deferred_group, reflow_help, spec_app

if TYPE_CHECKING:
    from brandkit.cli.common import EXIT_CHECKS, EXIT_OK, EXIT_OUTPUT, EXIT_PROVIDER, EXIT_USAGE, JsonOpt, SpecOpt

_FROM_COMMON = frozenset({"EXIT_CHECKS", "EXIT_OK", "EXIT_OUTPUT", "EXIT_PROVIDER", "EXIT_USAGE", "JsonOpt", "SpecOpt"})

__all__ = [
    "COMMANDS",
    "COMMAND_MODULES",
    "EXIT_CHECKS",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_PROVIDER",
    "EXIT_USAGE",
    "JsonOpt",
    "SpecOpt",
    "app",
    "is_registered",
    "main",
    "register_command",
    "register_commands",
    "spec_app",
]


#: Every top-level command and the first paragraph of its help, in the order ``brandkit --help`` lists them:
#: the listing is drawn from this table without importing the command modules (``cli/app.py::deferred_group``).
#: A new command adds its row here and in :data:`COMMAND_MODULES`; ``tests/test_lazy_imports.py`` fails, naming
#: the command, when this table and the registered commands disagree.
COMMANDS: dict[str, str] = {
    "compile": "Dry run: show the compiled prompt, parameters and reference images. Spends nothing.",
    "generate": "Generate validated on-brand assets; writes each image and its sidecar JSON.",
    "edit": "Brand-safe edit: change only what is asked (e.g. localize the headline), keep the rest, check again.",
    "validate": "Run every check on existing images (recorded in the registry: --db, $BRANDKIT_DB or one beside them).",
    "variants": "Make ad variants from a plan: matrix of headlines × formats × locales, exactly once, resumable.",
    "report": "Review metrics: first-pass yield, attempts per accepted asset, approval and revision rates, spend per "
    "approved asset, the checks and reasons behind most rework, and their trend per day (see docs/review.md).",
    "chat": "Refine one on-brand image over several turns, reading instructions from stdin (one per line).",
    "mcp": "Serve brands to MCP clients (assistants, IDEs): list brands, show rules, compile, generate, edit, "
    "validate and — with --db — the review queue. stdio by default; --http serves http://127.0.0.1:PORT/mcp, "
    "every request carrying Authorization: Bearer $BRANDKIT_MCP_TOKEN (one is generated and printed on stderr "
    "when unset). Spending tools need a budget_usd argument, capped by --max-budget.",
    "spec": "Brand spec tools.",
    "review": "Review recorded assets: list, show, decide, export.",
    "provenance": "Content Credentials (C2PA): show an image's provenance chain, make a test signer. See "
    "docs/provenance.md.",
    "cache": "The warm disk cache of prepared tables (palette tables, logo features): warm it for brands, show it, "
    "clear it.",
    "audit": "Audits of asset libraries (run with brandkit validate DIR --out): combine the shards' results.",
}


def __getattr__(name: str) -> Any:
    """The exit codes and option types of :mod:`brandkit.cli.common`, imported on first use."""
    if name in _FROM_COMMON:
        return getattr(importlib.import_module("brandkit.cli.common"), name)
    raise AttributeError(f"module 'brandkit.cli' has no attribute {name!r}")


#: The command module that registers each top-level command (``brandkit/cli/<module>.py``; its ``register`` is
#: given :data:`spec_app` for ``spec``, the group it fills, and :data:`app` otherwise). Running a command imports
#: only its module. A new command adds its row here beside its row in :data:`COMMANDS`.
COMMAND_MODULES: dict[str, str] = {
    "compile": "generate",
    "generate": "generate",
    "edit": "generate",
    "validate": "validate",
    "variants": "variants",
    "report": "review",
    "chat": "chat",
    "mcp": "mcp",
    "spec": "spec",
    "review": "review",
    "provenance": "provenance",
    "cache": "cache",
    "audit": "audit",
}


def is_registered(name: str) -> bool:
    """Whether the top-level command ``name`` is registered on :data:`app` (``spec``: its subcommands on
    :data:`spec_app`, the group itself is there from the start)."""
    if name == "spec":
        return bool(spec_app.registered_commands)
    return any(command.name == name for command in app.registered_commands) or any(
        group.name == name for group in app.registered_groups
    )


def register_command(name: str) -> None:
    """Register the command group that holds the top-level command ``name`` (its module only; idempotent).

    Raises:
        KeyError: ``name`` is not a row of :data:`COMMAND_MODULES`.
    """
    module = importlib.import_module(f"brandkit.cli.{COMMAND_MODULES[name]}")
    if not is_registered(name):
        module.register(spec_app if name == "spec" else app)
        reflow_help(app)  # docstrings as paragraphs the terminal wraps, flags without a type


def register_commands() -> None:
    """Add every command group to :data:`app`, in the order of :data:`COMMANDS` (idempotent).

    Running one command does not need this (the deferred group registers only that command's group); the
    tests that compare :data:`COMMANDS` with the real commands do.
    """
    for name in COMMANDS:
        register_command(name)


_register_extra_commands = register_commands  # the name helpers of earlier issues were told to extend


def main() -> None:
    """Console-script entry point.

    Warnings are printed as ``warning: MESSAGE`` lines on stderr (:func:`_show_warning`). When the command is done
    (exit code and output already decided), every object left is frozen
    (``gc.freeze``): the interpreter's shutdown then skips the collections over them — ~110 ms CPU of a one-shot
    ``generate`` (tens of thousands of objects: modules, pydantic schemas, engines) spent on memory the process
    returns to the system anyway. Refcounting still frees them; ``atexit`` handlers and ``weakref.finalize``
    still run; only cyclic garbage left at exit is not collected (brandkit closes its files, databases and
    threads explicitly before a command returns).
    """
    import warnings

    warnings.showwarning = _show_warning  # this process is the command line: a warning is a line for its user
    try:
        app()
    finally:
        import gc

        gc.freeze()


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A warning as the command line shows it: ``warning: MESSAGE`` on stderr (the category named when it is not a
    user-facing one), never Python's ``file:line: Category: …`` and the source line."""
    import contextlib
    import sys

    label = "warning" if issubclass(category, UserWarning) else f"warning ({category.__name__})"
    with contextlib.suppress(OSError):  # stderr gone (a closed pipe): nothing to tell
        (file or sys.stderr).write(f"{label}: {message}\n")


app.info.cls = deferred_group(COMMANDS, register_command, is_registered)
