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


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter run with ``args`` in the project root, output captured, on a plain 120-column terminal."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "120", "TERM": "dumb"},
    )


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
        done = _python("-c", run.format(load=load))
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


#: the modules of the command groups other than ``generate``'s, and the SDK parts only they use
OTHER_GROUPS = (
    "brandkit.cli.review",
    "brandkit.cli.report",
    "brandkit.cli.serve",
    "brandkit.cli.validate",
    "brandkit.cli.variants",
    "brandkit.cli.spec",
    "brandkit.cli.chat",
    "brandkit.cli.mcp",
    "brandkit.cli.provenance",
    "brandkit.cli.cache",
    "brandkit.mcp",
    "brandkit.review_web",
)


def test_command_modules_table_names_the_module_that_registers_each_command() -> None:
    """``COMMAND_MODULES`` covers ``COMMANDS`` exactly, and registering one name's module adds that command (and
    only commands whose row names the same module) — checked one name after another in a fresh interpreter."""
    code = (
        "import json, sys\nfrom brandkit.cli import COMMANDS, app, spec_app, register_command\n"
        "def names():\n"
        "    groups = {g.name for g in app.registered_groups} - {'spec'}  # the spec group is there from the start\n"
        "    spec = {'spec'} if spec_app.registered_commands else set()  # ... and registered with its subcommands\n"
        "    return sorted({c.name for c in app.registered_commands} | groups | spec)\n"
        "steps = []\n"
        "for name in COMMANDS:\n"
        "    before = names()\n"
        "    register_command(name)\n"
        "    steps.append([name, sorted(set(names()) - set(before))])\n"
        "sys.__stdout__.write('@@' + json.dumps(steps))\n"
    )
    from brandkit.cli import COMMAND_MODULES, COMMANDS

    assert list(COMMAND_MODULES) == list(COMMANDS)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    steps = json.loads(done.stdout.rsplit("@@", 1)[1])
    added_by_module: dict[str, set[str]] = {}
    for name, added in steps:
        module = COMMAND_MODULES[name]
        added_by_module.setdefault(module, set()).update(added)
        assert set(added) <= {n for n, m in COMMAND_MODULES.items() if m == module}, (name, added)
        assert name in added_by_module[module], f"registering {module!r} did not add {name!r}"
    assert set().union(*added_by_module.values()) == set(COMMANDS)


def test_generate_help_registers_only_its_own_command_group() -> None:
    """``brandkit generate --help`` imports ``cli/generate.py`` and none of the other command groups' modules
    (each was ~380 ms CPU of imports together, the registry's and the review server's among them)."""
    modules = _modules_after(
        "import sys\nsys.argv = ['brandkit', 'generate', '--help']\nfrom brandkit.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
    )
    assert "brandkit.cli.generate" in modules
    assert not set(OTHER_GROUPS) & modules
    assert "brandkit.registry" not in modules  # generate records to it only when it runs


def test_offline_generate_imports_no_other_command_group(root: Path, tmp_path: Path) -> None:
    """A real local ``generate`` run: the asset is written and recorded in the registry (generate's own
    recorder: ``--db``, else the output folder's brandkit.db), and no other command group is imported."""
    out = tmp_path / "out"
    argv = [
        "brandkit", "generate", "-s", str(root / "brand_specs" / "northwind"), "-b", "a cup of coffee",
        "--headline", "Fresh roast", "-p", "local", "--seed", "1", "--json", "-o", str(out),
    ]  # fmt: skip
    modules = _modules_after(
        f"import sys\nsys.argv = {argv!r}\nfrom brandkit.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
    )
    assert "brandkit.cli.generate" in modules and "brandkit.registry" in modules
    assert not set(OTHER_GROUPS) & modules, sorted(set(OTHER_GROUPS) & modules)
    assert (out / "brandkit.db").is_file()
    [image] = out.glob("*.png")
    sidecar = json.loads(image.with_name(image.name + ".json").read_text(encoding="utf-8"))
    assert sidecar["image"] and sidecar["report"]["checks"]  # written whole before the process ended


def test_validate_json_imports_no_rich(root: Path, tmp_path: Path) -> None:
    """``validate --json`` prints its progress lines on stderr as plain text: rich (~35 ms of imports a process,
    paid by every audit worker's parent) is never imported, and the document and the lines are whole."""
    kit = brandkit.BrandKit(root / "brand_specs" / "northwind", provider="local", checks=["technical"])
    image = kit.generate({"brief": "a cup of coffee", "headline": "Fresh roast", "seed": 1}).save(tmp_path / "a.png")
    argv = ["brandkit", "validate", "-s", str(root / "brand_specs" / "northwind"), str(image), "--json"]
    modules = _modules_after(
        f"import sys\nsys.argv = {argv!r}\nfrom brandkit.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, 1, None), exit.code\n"
    )
    assert "brandkit.cli.validate" in modules and not {m for m in modules if m.split(".")[0] == "rich"}
    done = _python("-c", f"import sys\nsys.argv = {argv!r}\nfrom brandkit.cli import main\nmain()")
    assert json.loads(done.stdout)["files"] == 1, done.stderr
    assert "[1/1] " in done.stderr and f"{image} · ETA" in done.stderr


def test_unknown_command_is_a_usage_error_naming_it_with_suggestions_from_the_whole_table() -> None:
    done = _python("-m", "brandkit.cli", "generat")
    assert done.returncode == 2
    assert "No such command 'generat'" in done.stderr
    assert "Did you mean 'generate'?" in done.stderr  # the table's names, not only the registered ones


def test_main_freezes_the_heap_once_the_command_is_done() -> None:
    """``cli.main`` ends with ``gc.freeze()`` (the shutdown then skips collecting the whole heap); the command's
    output and exit code are unchanged."""
    code = (
        "import gc, sys\nsys.argv = ['brandkit', '--version']\nfrom brandkit.cli import main\n"
        "assert gc.get_freeze_count() == 0\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "sys.stdout.write(f'@@{code} {gc.get_freeze_count() > 0}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    printed, status = done.stdout.rsplit("@@", 1)
    assert printed.strip() == f"brandkit {brandkit.__version__}"
    assert status in ("0 True", "None True")


def test_the_listing_keeps_the_tables_order_whatever_order_the_groups_were_registered_in() -> None:
    """A process that ran several commands registered their groups as they came; the help lists the table's order."""
    code = (
        "import json, typer.main\n"
        "from brandkit.cli import COMMANDS, app, register_command, register_commands\n"
        "register_command('cache'); register_command('variants'); register_command('report')\n"
        "register_commands()\n"
        "group = typer.main.get_group(app)\n"
        "ctx = typer.main.get_command(app).make_context('brandkit', [], resilient_parsing=True)\n"
        "print('@@' + json.dumps([group.list_commands(ctx), list(COMMANDS)]))\n"
    )
    done = _python("-c", code)
    assert done.returncode == 0, done.stderr
    listed, table = json.loads(done.stdout.rsplit("@@", 1)[1])
    assert listed == table
    assert listed.index("variants") < listed.index("cache")  # registered after it, listed before it
