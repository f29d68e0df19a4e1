"""Warm start: ``import brandkit`` and ``brandkit --help`` import no heavy package; the lazy names still work."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import typer.main
from typer.core import TyperGroup

import brandkit

#: third-party packages that only first use may import (each costs tens to hundreds of milliseconds)
HEAVY = ("numpy", "PIL", "openai", "c2pa", "onnxruntime", "cv2", "rapidocr", "nudenet", "jinja2", "starlette")
ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    probe = code + "\nimport json, sys\nsys.__stdout__.write('\\n@@' + json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.rsplit("@@", 1)[1]))


def test_import_brandkit_imports_no_heavy_package() -> None:
    modules = _modules_after("import brandkit")
    assert not {m.split(".")[0] for m in modules} & {*HEAVY, "pydantic", "rich", "typer"}
    assert {m for m in modules if m.startswith("brandkit")} == {"brandkit", "brandkit._version"}


def test_cli_help_imports_no_command_module_and_no_sdk() -> None:
    modules = _modules_after(
        "import sys\nsys.argv = ['brandkit', '--help']\nfrom brandkit.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
    )
    # nor rich: the top-level listing is click's plain help (typer's rich renderer was ~60 ms of imports)
    assert not {m.split(".")[0] for m in modules} & {*HEAVY, "pydantic", "rich", "markdown_it"}
    assert {m for m in modules if m.startswith("brandkit")} == {
        "brandkit",
        "brandkit._version",
        "brandkit.cli",
        "brandkit.cli.app",
    }


def test_first_use_of_a_public_name_imports_it() -> None:
    modules = _modules_after("import brandkit\nbrandkit.BrandkitError")
    assert "brandkit.errors" in modules and "numpy" not in modules
    from brandkit.compile import compile_prompt
    from brandkit.errors import RequestError
    from brandkit.kit import BrandKit

    assert brandkit.BrandKit is BrandKit
    assert brandkit.RequestError is RequestError
    assert brandkit.compile is compile_prompt  # the function, though the submodule brandkit.compile is imported
    for name in brandkit.__all__:
        assert getattr(brandkit, name) is not None, name
        assert name in dir(brandkit)
    try:
        brandkit.NoSuchName  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchName" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_command_table_matches_the_registered_commands() -> None:
    """``brandkit --help`` is drawn from ``COMMANDS``: it must name every registered command, in order, with
    the first paragraph of its real help."""
    from brandkit.cli import COMMANDS, app, register_commands

    register_commands()
    group = typer.main.get_group(app)
    assert isinstance(group, TyperGroup)
    ctx = typer.main.get_command(app).make_context("brandkit", ["--version"], resilient_parsing=True)
    real = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    assert list(COMMANDS) == list(real), "add the new command's row to brandkit/cli/__init__.py::COMMANDS"
    for name, command in real.items():
        first = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert COMMANDS[name] == first, f"COMMANDS[{name!r}] differs from the command's help"


def test_deferred_help_is_the_full_help() -> None:
    """The top-level help printed without loading the commands is the one printed with them loaded."""
    run = (
        "import sys\nfrom brandkit.cli import app, register_commands\n{load}\n"
        "try:\n    app(['--help'], prog_name='brandkit')\nexcept SystemExit:\n    pass\n"
    )

    def help_text(load: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", run.format(load=load)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
            env={**os.environ, "COLUMNS": "120", "TERM": "dumb"},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    lazy, full = help_text("pass"), help_text("register_commands()")
    assert "generate" in lazy and "provenance" in lazy
    assert lazy == full
    # each command's whole first paragraph, rewrapped — not click's one-sentence short help
    assert "capped by --max-budget." in " ".join(lazy.split())


def test_a_command_runs_through_the_deferred_group(root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "brandkit.cli", "spec", "check", str(root / "brand_specs" / "northwind"), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True
