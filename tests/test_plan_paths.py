"""Plan paths are confined (issue 20, item 6).

Every image a plan names — ``references[].path`` at any layer, ``reference`` axis values, ``edit.master`` —
must resolve (after ``..``, ``~`` and symlinks) to a regular file inside the plan file's folder or inside a
folder the caller allows explicitly (``allow_paths`` in the SDK, ``--allow-path`` on the command line).
Anything else is a :class:`PlanError` naming the plan field and the path, raised before any spec is compiled,
any output folder is created or any request is sent. Before this, a plan could upload any image on the
machine: an absolute path, a ``..`` climb or a symlink out of the plan folder was followed without a word.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from brandkit.cli import app
from brandkit.variants import PlanError, dry_run, expand_plan, load_plan, run_variants

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = str(ROOT / "brand_specs" / "northwind")


def _image(path: Path, color: tuple[int, int, int] = (200, 120, 40), size: tuple[int, int] = (64, 64)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


def _plan(folder: Path, references: list[str] | None = None, **extra: Any) -> Path:
    base: dict[str, Any] = {"brief": "A ceramic cup on an oak table", "headline": "Slow mornings", "cta": "Order"}
    if references is not None:
        base["references"] = [{"path": p, "role": "product"} for p in references]
    data: dict[str, Any] = {"name": "paths", "spec": NORTHWIND, "base": base, "axes": {"format": ["square"]}}
    data.update(extra)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _issues(exc: pytest.ExceptionInfo[PlanError]) -> list[dict[str, Any]]:
    """The issues with their raw values (``as_dict`` shortens long values)."""
    return [{**issue.as_dict(), "value": issue.value} for issue in exc.value.issues]


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """``plans/`` (the plan's folder, with ``mug.png``) and ``shared/`` beside it (with ``secret.png``)."""
    plans = tmp_path / "plans"
    return {
        "plans": plans,
        "inside": _image(plans / "images" / "mug.png"),
        "shared": tmp_path / "shared",
        "outside": _image(tmp_path / "shared" / "secret.png", (10, 200, 40)),
    }


def _only_issue(exc: pytest.ExceptionInfo[PlanError], location: str) -> dict[str, Any]:
    issues = _issues(exc)
    found = [i for i in issues if i["location"] == location]
    assert found, issues
    return found[0]


@pytest.mark.parametrize("how", ["absolute", "dotdot", "home"])
def test_a_reference_outside_the_plan_folder_is_a_plan_error(
    layout: dict[str, Path], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(layout["shared"]))
    value = {"absolute": str(layout["outside"]), "dotdot": "../shared/secret.png", "home": "~/secret.png"}[how]
    plan = _plan(layout["plans"], ["images/mug.png", value])
    with pytest.raises(PlanError) as exc:
        expand_plan(plan)
    issue = _only_issue(exc, "base.references[1].path")
    assert "leads outside the plan folder" in issue["message"]
    assert str(layout["outside"].resolve()) in issue["message"] and issue["value"] == value
    assert issue["file"] == str(plan)
    assert "base.references[1].path" in str(exc.value) and "secret.png" in str(exc.value)


@pytest.mark.parametrize("link", ["file", "folder"])
def test_a_symlink_inside_the_folder_that_leads_out_is_refused(layout: dict[str, Path], link: str) -> None:
    if link == "file":
        (layout["plans"] / "images" / "link.png").symlink_to(layout["outside"])
        value = "images/link.png"
    else:
        (layout["plans"] / "linked-folder").symlink_to(layout["shared"], target_is_directory=True)
        value = "linked-folder/secret.png"
    plan = _plan(layout["plans"], [value])
    with pytest.raises(PlanError) as exc:
        expand_plan(plan)
    issue = _only_issue(exc, "base.references[0].path")
    assert "leads outside" in issue["message"] and str(layout["outside"].resolve()) in issue["message"]
    assert issue["value"] == value


def test_paths_that_stay_inside_are_accepted(layout: dict[str, Path]) -> None:
    (layout["plans"] / "images" / "alias.png").symlink_to(layout["inside"])  # a link that stays inside
    absolute_inside = str(layout["inside"])
    plan = _plan(layout["plans"], ["images/mug.png", "../plans/images/alias.png", absolute_inside])
    expanded = expand_plan(plan)
    refs = expanded.variants[0].request.references  # type: ignore[union-attr]
    assert [r.path for r in refs] == [str(layout["inside"].resolve())] * 3


def test_allow_paths_admits_a_named_folder_and_only_it(layout: dict[str, Path], tmp_path: Path) -> None:
    other = _image(tmp_path / "other" / "x.png")
    plan = _plan(layout["plans"], ["../shared/secret.png", str(other)])
    with pytest.raises(PlanError) as exc:
        expand_plan(load_plan(plan, allow_paths=[layout["shared"]]))
    assert [i["location"] for i in _issues(exc)] == ["base.references[1].path"]
    expanded = expand_plan(plan, allow_paths=[layout["shared"], tmp_path / "other"])
    refs = expanded.variants[0].request.references  # type: ignore[union-attr]
    assert [r.path for r in refs] == [str(layout["outside"].resolve()), str(other.resolve())]
    # a loaded plan keeps its allowance; expand_plan can add more
    loaded = load_plan(plan, allow_paths=[layout["shared"]])
    assert loaded.allowed_paths == (layout["shared"].resolve(),)
    assert len(expand_plan(loaded, allow_paths=[str(tmp_path / "other")]).variants) == 1


@pytest.mark.parametrize("bad", ["missing-folder", "a-file"])
def test_an_allowed_path_must_be_a_folder(layout: dict[str, Path], bad: str) -> None:
    plan = _plan(layout["plans"], ["images/mug.png"])
    target = layout["plans"] / bad
    if bad == "a-file":
        target.write_text("not a folder")
    with pytest.raises(PlanError, match=rf"allowed path .*{bad}.* (cannot be used|is not a folder)"):
        load_plan(plan, allow_paths=[target])


def test_edit_master_is_confined(layout: dict[str, Path]) -> None:
    _image(layout["shared"] / "master.png", size=(1024, 1024))
    plan = _plan(
        layout["plans"],
        None,
        axes={"format": ["square"], "locale": ["de"]},
        mode="edit",
        edit={"master": "../shared/master.png"},
        locales={"de": {"headline": "Langsame Morgen", "cta": "Bestellen"}},
    )
    with pytest.raises(PlanError) as exc:
        expand_plan(plan)
    issue = _only_issue(exc, "edit.master")
    assert "leads outside" in issue["message"] and "master.png" in issue["message"]
    expanded = expand_plan(plan, allow_paths=[layout["shared"]])
    assert expanded.variants[0].master_path == (layout["shared"] / "master.png").resolve()


def test_reference_axis_values_are_confined(layout: dict[str, Path]) -> None:
    plan = _plan(
        layout["plans"], None, axes={"format": ["square"], "reference": ["images/mug.png", str(layout["outside"])]}
    )
    with pytest.raises(PlanError) as exc:
        expand_plan(plan)
    assert [i["location"] for i in _issues(exc)] == ["axes.reference[1][0].path"]
    assert "leads outside" in _issues(exc)[0]["message"]
    assert len(expand_plan(plan, allow_paths=[layout["shared"]]).variants) == 2


def test_refused_before_anything_is_compiled_written_or_sent(layout: dict[str, Path], tmp_path: Path) -> None:
    plan = _plan(layout["plans"], [str(layout["outside"])])
    out = tmp_path / "out"
    with pytest.raises(PlanError, match=r"base\.references\[0\]\.path"):
        dry_run(plan, provider="local")
    with pytest.raises(PlanError, match=r"base\.references\[0\]\.path"):
        run_variants(plan, out, provider="local", progress=False)
    assert not out.exists()
    # the SDK entry points take a plan loaded with its allowance
    allowed = load_plan(plan, allow_paths=[layout["shared"]])
    assert dry_run(allowed, provider="local").count == 1


def test_cli_refuses_and_allow_path_admits(layout: dict[str, Path], tmp_path: Path) -> None:
    plan = _plan(layout["plans"], ["../shared/secret.png"])
    runner = CliRunner()
    refused = runner.invoke(app, ["variants", str(plan), "--dry-run", "--provider", "local", "--json"])
    assert refused.exit_code == 2, refused.output
    data = json.loads(refused.stdout)
    assert data["ok"] is False
    assert [i["location"] for i in data["issues"]] == ["base.references[0].path"]
    assert "secret.png" in data["issues"][0]["message"]
    human = runner.invoke(app, ["variants", str(plan), "--dry-run", "--provider", "local"])
    assert human.exit_code == 2 and "Traceback" not in human.output and "base.references[0].path" in human.output
    allowed = runner.invoke(
        app,
        ["variants", str(plan), "--dry-run", "--provider", "local", "--json", "--allow-path", str(layout["shared"])],
    )
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["count"] == 1
    missing = runner.invoke(
        app, ["variants", str(plan), "--dry-run", "--provider", "local", "--json", "--allow-path", str(tmp_path / "x")]
    )
    assert missing.exit_code == 2 and str(tmp_path / "x") in json.loads(missing.stdout)["error"]


def test_spec_paths_may_live_anywhere_but_stay_confined_themselves(layout: dict[str, Path], tmp_path: Path) -> None:
    """``spec:`` names a brand spec (its assets confined to its own folder), not a file to upload."""
    brand = tmp_path / "brands" / "northwind"
    shutil.copytree(NORTHWIND, brand)
    plan = _plan(layout["plans"], ["images/mug.png"], spec="../brands/northwind")
    assert len(expand_plan(plan).variants) == 1


def test_dry_run_and_run_variants_take_allow_paths(layout: dict[str, Path], tmp_path: Path) -> None:
    plan = _plan(layout["plans"], ["../shared/secret.png"])
    with pytest.raises(PlanError, match=r"base\.references\[0\]\.path"):
        dry_run(plan, provider="local")
    assert dry_run(plan, provider="local", allow_paths=[layout["shared"]]).count == 1
    out = tmp_path / "out"
    with pytest.raises(PlanError, match=r"base\.references\[0\]\.path"):
        run_variants(plan, out, provider="local")
    assert not out.exists()  # refused before the output folder was made
    run = run_variants(plan, out, provider="local", allow_paths=[layout["shared"]], progress=False)
    assert run.summary["total"] == 1
