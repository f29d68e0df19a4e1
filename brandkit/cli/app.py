"""The ``brandkit`` typer application and its ``spec`` group; the command modules register on them.

The top-level group is deferred (:func:`deferred_group`): ``brandkit --help`` lists the commands from a table of
their names and one-line help (``brandkit/cli/__init__.py::COMMANDS``) without importing a command module or
the SDK; running a command — or asking for its own help — registers only the command group that holds it
(``register_command``: ``generate`` does not import ``review``, the registry or the MCP server) and then
dispatches to the real command.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, NoReturn

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

__all__ = ["FlagsCommand", "FlagsGroup", "app", "deferred_group", "prose", "reflow_help", "spec_app"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Brand-safe AI image generation: specs, prompts, generation and validation.",
)
spec_app = typer.Typer(no_args_is_help=True, help="Brand spec tools.")
app.add_typer(spec_app, name="spec")


def prose(text: str) -> str:
    """Help text as paragraphs: each paragraph's lines joined, so the terminal wraps it (typer's rich help keeps
    a docstring's line breaks after the first paragraph — source lines of ~115 columns wrapped at 80 came out
    ragged). A paragraph of list items (lines starting ``-``, ``*``, ``•`` or indented) keeps its lines."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    out = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        listed = any(line.startswith(("-", "*", "•", " ", "\b")) for line in lines[1:])
        out.append(paragraph if listed else " ".join(line.strip() for line in lines))
    return "\n\n".join(out)


def _flags_without_type(params: list[Any]) -> list[Any]:
    """``params`` with each on/off flag's type column left empty in the rich help: typer 0.29 labels every
    parameter with its type, so ``--json`` and ``--help`` read ``<bool>`` as if they took a value."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class FlagsCommand(TyperCommand):
    """A command whose help shows no type for its flags (:func:`_flags_without_type`)."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The command's parameters, the help option included."""
        return _flags_without_type(super().get_params(ctx))


class FlagsGroup(TyperGroup):
    """A command group whose help shows no type for its flags (:func:`_flags_without_type`)."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The group's parameters, the help option included."""
        return _flags_without_type(super().get_params(ctx))


def reflow_help(group: typer.Typer) -> None:
    """Give every command registered on ``group`` (and on its sub-groups) its help as :func:`prose`, and flags
    without a ``<bool>`` type (:class:`FlagsCommand`, :class:`FlagsGroup`)."""
    for command in group.registered_commands:
        text = command.help or inspect.getdoc(command.callback) or ""
        command.help = prose(text) if text else command.help
        if command.cls is None or command.cls is TyperCommand:  # typer's default: no class of the command's own
            command.cls = FlagsCommand
    for sub in group.registered_groups:
        sub.cls = FlagsGroup
        if sub.typer_instance is not None:
            sub.typer_instance.info.cls = FlagsGroup
            reflow_help(sub.typer_instance)


def wants_json(argv: list[str]) -> bool:
    """Whether a command line asks for JSON output (``--json`` or ``--jsonl`` before any ``--``)."""
    head = argv[: argv.index("--")] if "--" in argv else argv
    return "--json" in head or "--jsonl" in head


def run_json_aware(run: Callable[[], Any]) -> NoReturn:
    """Run a command line in click's non-standalone mode (``run``) and exit as its standalone mode would, except
    that a usage error is printed on stderr *and* as ``{"ok": false, "exit_code": 2, "error": "UsageError: …",
    "field": "--n"}`` on stdout (``field``: the option, when the error names one)."""
    try:
        code = run()
    except typer.TyperException as exc:  # typer's click: UsageError, BadParameter, NoSuchOption, MissingParameter
        message = exc.format_message()
        sys.stderr.write(f"error: {message}\n")
        error: dict[str, Any] = {"ok": False, "exit_code": exc.exit_code, "error": f"UsageError: {message}"}
        if isinstance(exc, typer.BadParameter) and exc.param is not None:  # MissingParameter too
            error["field"] = exc.param.opts[0] if exc.param.opts else exc.param.name
        from brandkit.cli.common import emit_json

        emit_json(error)
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("Aborted!\n")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def deferred_group(
    commands: Mapping[str, str], load: Callable[[str], None], registered: Callable[[str], bool]
) -> type[TyperGroup]:
    """A group class for :data:`app` that lists ``commands`` (name → first paragraph of its help) without
    loading them, and calls ``load(name)`` (registration of the command group holding ``name``, and only that
    one) before it runs ``name``. ``registered(name)`` tells whether that group is already registered: once
    every one is, it is a plain typer group."""

    class DeferredGroup(TyperGroup):
        """The top-level group: commands listed from a table, each imported only to run (see the module
        docstring). A command not yet registered is held as a listing entry (its name and help), so
        ``brandkit --help`` and typer's "No such command … Did you mean …?" see the whole table."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._listed = {name for name in commands if not registered(name)}
            for name in self._listed:  # a listing entry only: resolve_command loads the real one to run it
                self.commands[name] = TyperCommand(name, help=commands[name])

        def main(
            self,
            args: Sequence[str] | None = None,
            prog_name: str | None = None,
            complete_var: str | None = None,
            standalone_mode: bool = True,
            windows_expand_args: bool = True,
            **extra: Any,
        ) -> Any:
            """Run the command line; with ``--json`` / ``--jsonl`` among the arguments, a usage error (an unknown
            option, a bad or missing value) is also the one JSON document on stdout that those options promise
            (:func:`run_json_aware`) — click printed it on stderr only, leaving a script an empty stdout."""
            argv = list(sys.argv[1:] if args is None else args)
            if not standalone_mode or not wants_json(argv):
                return super().main(args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)
            return run_json_aware(
                lambda: super(DeferredGroup, self).main(
                    args, prog_name, complete_var, False, windows_expand_args, **extra
                )
            )

        def list_commands(self, ctx: Any) -> list[str]:
            """The table's order, whatever order the groups were registered in (a process that ran several
            commands registered them as they came), then any command the table lacks."""
            listed = [name for name in commands if name in self.commands]
            return [*listed, *(name for name in super().list_commands(ctx) if name not in commands)]

        def resolve_command(self, ctx: Any, args: list[str]) -> Any:
            name = args[0] if args else None
            if name in self._listed:
                load(name)
                self.commands[name] = typer.main.get_group(app).commands[name]  # the group holding it only
                self._listed.discard(name)
            return super().resolve_command(ctx, args)  # unknown names: typer's "No such command" (exit 2)

        def format_help(self, ctx: Any, formatter: Any) -> None:
            """Plain help for the top-level listing (loaded or not: the same text). typer's rich renderer
            imports rich's markdown and traceback modules, ~60 ms CPU — most of what ``brandkit --help``
            costs; each command's own ``--help`` keeps the rich look."""
            super(TyperGroup, self).format_help(ctx, formatter)  # the click formatter under typer's

        def format_commands(self, ctx: Any, formatter: Any) -> None:
            rows = []
            for name in self.list_commands(ctx):
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    first = inspect.cleandoc(command.help or "").split("\n\n")[0]
                    rows.append((name, " ".join(first.split())))  # the whole first paragraph, rewrapped
            if rows:
                with formatter.section("Commands"):
                    formatter.write_dl(rows)

    return DeferredGroup


def _print_version(value: bool) -> None:
    if value:
        from brandkit._version import __version__

        sys.stdout.write(f"brandkit {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Brand-safe AI image generation: specs, prompts, generation and validation."""
