"""Recording from the real commands and the review CLI, end to end, offline (local renderer, real files)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import brandkit.kit
from brandkit.checks.base import Check
from brandkit.checks.technical import TechnicalCheck
from brandkit.cli import app
from brandkit.registry import Registry, ReviewState

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = str(ROOT / "brand_specs" / "northwind")
GENERATE = [
    "generate", "--provider", "local", "--spec", NORTHWIND, "--format", "square", "--seed", "7",
    "--brief", "A ceramic cup of pour-over coffee on an oak table", "--headline", "Slow mornings, bright roasts",
]  # fmt: skip


def light_checks() -> list[Check]:
    """These tests are about recording, not the checks: only the technical check (the others take seconds per
    image on a loaded machine and have their own tests)."""
    return [TechnicalCheck()]


@pytest.fixture(autouse=True)
def _light(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(brandkit.kit, "default_checks", light_checks)


def run(*args: str, code: int = 0) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == code, (result.stdout, result.stderr)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generate run into ``out`` (its registry: out/brandkit.db), made afresh for each test: the tests add
    rows and decisions to that registry and must not see each other's (they pass in any order, on any xdist
    worker)."""
    out = tmp_path_factory.mktemp("review") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(brandkit.kit, "default_checks", light_checks)
        data = run(*GENERATE, "--out", str(out))
    assert data["registry"]["recorded"] == 1 and data["registry"]["unrecorded"] == 0
    return out


def test_generate_validate_and_edit_are_recorded_with_their_lineage(
    made: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRANDKIT_DB", raising=False)
    db = made / "brandkit.db"
    image = made / "northwind-coffee-square.png"
    run("validate", "--spec", NORTHWIND, str(image))  # finds the registry beside the image
    run("edit", "--spec", NORTHWIND, str(image), "-i", "warmer light", "--provider", "local", "--out", str(made))
    with Registry.open(db) as reg:
        rows = {r.kind: r for r in reg.list_assets()}
        generated, validated, edited = rows["generate"], rows["validate"], rows["edit"]
        assert generated.content_hash == hashlib.sha256(image.read_bytes()).hexdigest()
        assert (generated.spec_name, generated.spec_version) == ("Northwind Coffee", "2.3.0")
        assert generated.provider == "local" and generated.prompt_hash and generated.attempts >= 1
        assert generated.palette and generated.format == "square" and generated.passed
        detail = reg.get_asset(generated.id)
        assert detail.request is not None and detail.request["headline"] == "Slow mornings, bright roasts"
        assert detail.spec_rules and detail.attempts[0].checks
        assert validated.parent_id == generated.id and validated.content_hash == generated.content_hash
        assert edited.parent_id == generated.id  # the made asset, not the later validate row
        assert {c.id for c in reg.get_asset(generated.id).children} == {validated.id, edited.id}


def test_an_edit_saved_elsewhere_joins_its_parents_registry(
    made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``edit out/ad.png -o edits/`` recorded into edits/brandkit.db, where its parent is unknown: the lineage and
    the review queue were split without a word."""
    monkeypatch.delenv("BRANDKIT_DB", raising=False)
    image = made / "northwind-coffee-square.png"
    edits = tmp_path / "edits"
    data = run(
        "edit", "--spec", NORTHWIND, str(image), "-i", "warmer light", "--provider", "local", "--out", str(edits)
    )
    assert data["registry"]["db"] == str(made / "brandkit.db") and not (edits / "brandkit.db").exists()
    with Registry.open(made / "brandkit.db") as reg:
        edited = reg.known_file(edits / "northwind-coffee-square-edited.png")
        parent = reg.known_file(image)
        assert edited is not None and parent is not None and edited.parent_id == parent.id
    other = tmp_path / "other.db"  # a registry named by hand that lacks the parent: said, not silent
    data = run("edit", "--spec", NORTHWIND, str(image), "-i", "warmer", "--provider", "local", "--out", str(edits),
               "--db", str(other))  # fmt: skip
    (warning,) = data["registry"]["warnings"]
    assert "recorded without its parent" in warning and f"--db {made / 'brandkit.db'}" in warning


def test_review_commands_decide_list_show_export_and_report(made: Path, tmp_path: Path) -> None:
    db = str(made / "brandkit.db")
    listed = run("review", "list", "--db", db)["assets"]
    first = next(a for a in listed if a["kind"] == "generate")
    run("review", "approve", str(first["id"]), "--reviewer", "ann", "--db", db)
    run("review", "reject", str(first["id"]), "--reason", "logo too small", "--reviewer", "bob", "--db", db)
    error = run("review", "reject", str(first["id"]), "--reviewer", "bob", "--db", db, code=2)
    assert "rejected: a reason is needed" in error["error"]
    error = run("review", "reject", str(first["id"]), "--check", "palette", "--reviewer", "bob", "--db", db, code=2)
    assert "check 'palette' does not fail on it" in error["error"]
    shown = run("review", "show", str(first["id"]), "--db", db)
    assert [(e["reviewer"], e["state"]) for e in shown["events"]] == [("ann", "approved"), ("bob", "rejected")]
    assert shown["row"]["state"] == "rejected"
    assert [a["id"] for a in run("review", "list", "--state", "rejected", "--db", db)["assets"]] == [first["id"]]
    assert run("review", "show", "9999", "--db", db, code=2)["error"].startswith("AssetNotFoundError")
    run("review", "approve", str(first["id"]), "--reviewer", "carol", "--db", db)
    exported = run("review", "export", str(tmp_path / "pub"), "--db", db)
    assert exported["written"] == [str(tmp_path / "pub" / "northwind-coffee-square.png")]
    assert (tmp_path / "pub" / "northwind-coffee-square.png.json").is_file()
    report = run("report", "--db", db)["metrics"]
    assert report["approved"] >= 1 and report["revision_rate"] is not None
    assert report["top_rework_reasons"][0]["name"] == "logo too small"
    grouped = run("report", "--db", db, "--by", "format")["groups"]
    assert "square" in grouped
    assert "--by 'colour'" in run("report", "--db", db, "--by", "colour", code=2)["error"]
    assert "--since 'yesterday'" in run("report", "--db", db, "--since", "yesterday", code=2)["error"]
    today = datetime.now(UTC).date().isoformat()
    period = run("report", "--db", db, "--since", "2000-01-01", "--until", today)
    assert period["until"] == today and period["metrics"]["assets"] == report["assets"]  # today's day included
    assert run("report", "--db", db, "--until", "2000-12-31")["metrics"]["assets"] == 0
    assert "--until 'soon'" in run("report", "--db", db, "--until", "soon", code=2)["error"]
    backwards = run("report", "--db", db, "--since", today, "--until", "2000-01-01", code=2)["error"]
    assert "until '2000-01-01' is not after since" in backwards
    missing = run("review", "list", "--db", str(tmp_path / "none.db"), code=2)
    assert "no registry there" in missing["error"] and not (tmp_path / "none.db").exists()


def test_request_changes_regenerates_with_the_note_as_feedback_and_links_the_new_asset(made: Path) -> None:
    db = made / "brandkit.db"
    with Registry.open(db) as reg:
        parent = next(r for r in reg.list_assets() if r.kind == "generate")
    data = run("review", "request-changes", str(parent.id), "-r", "warmer light, less steam", "--reviewer", "dan",
               "--db", str(db))  # fmt: skip
    new = data["asset"]
    assert new["parent_id"] == parent.id and new["kind"] == "regenerate" and new["run_id"] != parent.run_id
    path = Path(new["path"])
    assert path.parent == Path(parent.path).parent and path.is_file() and path != Path(parent.path)
    sidecar = json.loads(Path(new["sidecar_path"]).read_text(encoding="utf-8"))
    assert "Reviewer's request: warmer light, less steam" in sidecar["prompt"]["text"]
    assert sidecar["request"]["seed"] == 8  # the parent's request, next seed: a new attempt
    with Registry.open(db) as reg:
        assert reg.get_asset(parent.id).row.state is ReviewState.changes_requested
        assert reg.events(parent.id)[-1].reason == "warmer light, less steam"
        detail = reg.get_asset(new["id"])
        assert detail.attempts[0].feedback[0] == "Reviewer's request: warmer light, less steam"
        assert [a.id for a in detail.ancestors] == [parent.id]
    # the local renderer does not follow the request (a model does): said, not left for the reviewer to discover
    [note] = data["notes"]
    assert note.startswith("not applied by the local renderer: the prompt's feedback (1 note")
    assert sidecar["attempts"][0]["notes"] == [note]


def test_request_changes_says_what_the_provider_did_not_follow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(brandkit.kit, "default_checks", light_checks)
    out = tmp_path / "out"
    run(*GENERATE, "--out", str(out))
    db = out / "brandkit.db"
    with Registry.open(db) as reg:
        [parent] = reg.list_assets()
    result = CliRunner().invoke(app, ["review", "request-changes", str(parent.id), "-r", "a bigger cup",
                                      "--db", str(db)])  # fmt: skip
    assert result.exit_code == 0, result.stdout
    assert "new attempt: asset" in result.stdout
    assert "note: not applied by the local renderer: the prompt's feedback" in " ".join(result.stdout.split())


def test_a_registry_that_cannot_be_written_never_loses_or_fails_the_asset(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.mkdir()  # a folder where the database file should be
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [*GENERATE, "--out", str(out), "--db", str(blocked), "--json"])
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["ok"] is True and Path(data["assets"][0]["path"]).is_file()
    assert data["registry"]["recorded"] == 0 and data["registry"]["unrecorded"] == 1
    assert "not a file" in data["registry"]["warnings"][0]
    assert "not recorded in the registry" in result.stderr
    image = Path(data["assets"][0]["path"])
    recorded = run("review", "record", str(image), "--db", str(tmp_path / "later.db"))  # recorded afterwards
    assert recorded["recorded"] == 1
    assert recorded["assets"][0]["content_hash"] == hashlib.sha256(image.read_bytes()).hexdigest()
    assert recorded["assets"][0]["spec_name"] == "Northwind Coffee" and recorded["assets"][0]["kind"] == "generate"
    missing = run("review", "record", str(tmp_path / "nope.png"), "--db", str(tmp_path / "later.db"), code=2)
    assert "sidecar cannot be read back" in missing["warnings"][0]


def test_a_saved_but_unrecorded_variant_is_recorded_from_its_sidecar(made: Path, tmp_path: Path) -> None:
    from brandkit.registry.recorder import RegistryRecorder

    image = made / "northwind-coffee-square.png"
    entries = [
        {"status": "succeeded", "key": "k1", "name": "v1", "files": {"image": image.name}},
        {"status": "failed", "key": "k2", "name": "v2", "files": {}},
    ]
    with RegistryRecorder(tmp_path / "fresh.db", "variants", made) as recorder:
        assert recorder.reconcile(entries, made) == 1
        assert recorder.reconcile(entries, made) == 0  # already there: not twice
    with Registry.open(tmp_path / "fresh.db") as reg:
        (row,) = reg.list_assets()
    sidecar = json.loads((made / (image.name + ".json")).read_text(encoding="utf-8"))
    assert row.key == "k1" and row.content_hash == hashlib.sha256(image.read_bytes()).hexdigest()
    assert row.checks == {name: c["status"] for name, c in sidecar["report"]["checks"].items()}
    assert row.prompt_hash == sidecar["prompt"]["prompt_hash"] and row.attempts == len(sidecar["attempts"])
    assert row.spec_fingerprint == sidecar["spec"]["fingerprint"] and row.format == "square"
    (made / "broken.png").write_bytes(b"x")
    (made / "broken.png.json").write_text("{}", encoding="utf-8")
    with RegistryRecorder(tmp_path / "fresh.db", "variants", made) as recorder:
        assert recorder.reconcile([{"status": "succeeded", "key": "k3", "files": {"image": "broken.png"}}], made) == 0
        assert recorder.unrecorded == 1 and "sidecar cannot be read back" in recorder.warnings[0]
        assert "broken.png.json: brandkit_version: Field required" in recorder.warnings[0]  # the file and field


def test_deciding_several_assets_records_none_when_one_is_refused(tmp_path: Path) -> None:
    from tests.registry_support import attempt, record

    db = tmp_path / "brandkit.db"
    with Registry.open(db) as reg:
        kept = reg.record(record(tmp_path, "kept.png", [attempt(1)]), run_id="r")
        edited = reg.record(record(tmp_path, "edited.png", [attempt(1)]), run_id="r")
    (tmp_path / "edited.png").write_bytes(b"edited after the check")
    ids = [str(kept.id), str(edited.id), "999"]
    error = run("review", "approve", *ids, "--reviewer", "ann", "--db", str(db), code=2)["error"]
    assert error.startswith("ReviewStateError: nothing recorded")
    assert f"asset {edited.id}: its file {tmp_path / 'edited.png'} changed since it was checked" in error
    assert "no asset with id 999" in error and f"asset {kept.id}" not in error
    with Registry.open(db) as reg:
        assert reg.events() == []
    approved = run("review", "approve", str(kept.id), str(kept.id), "--reviewer", "ann", "--db", str(db))
    assert [(e["asset_id"], e["state"]) for e in approved["events"]] == [(kept.id, "approved")]
    rejected = run("review", "reject", str(edited.id), "-r", "hand-edited", "--reviewer", "ann", "--db", str(db))
    assert rejected["events"][0]["state"] == "rejected"


def test_tables_and_errors_print_brackets_as_text_not_markup(tmp_path: Path) -> None:
    """A file name, a reviewer's words and an error message with brackets print as written (rich markup would
    drop ``[draft]`` as a style tag and fail on a stray ``[/]``)."""
    from tests.registry_support import attempt, record

    db = tmp_path / "brandkit.db"
    with Registry.open(db) as reg:
        asset = reg.record(record(tmp_path, "ad [draft].png", [attempt(1)]), run_id="r")
    reason = "logo [bold]too small[/] — see [guide p.4]"
    result = CliRunner().invoke(
        app, ["review", "reject", str(asset.id), "-r", reason, "--reviewer", "a", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(app, ["review", "list", "--db", str(db)])
    assert listed.exit_code == 0 and "ad [draft].png" in listed.stdout
    assert listed.stdout.rstrip().endswith("\n1 asset(s)")  # one page: no pager
    report = CliRunner().invoke(app, ["report", "--db", str(db)])
    assert report.exit_code == 0, report.output
    assert reason in report.stdout
    missing = CliRunner().invoke(app, ["review", "show", "99", "--db", str(db)])
    assert missing.exit_code == 2
    refused = CliRunner().invoke(app, ["review", "reject", str(asset.id), "-r", " ", "--db", str(db)])
    assert refused.exit_code == 2 and "[bold red]" not in refused.stderr


def test_review_list_pages_and_never_cuts_the_list_without_a_word(tmp_path: Path) -> None:
    """``review list`` showed the newest 200 and said "200 asset(s)" of an audit's 980: a script reading --json
    could not tell the list was cut. Now the end line and the JSON say how many match and how to go on."""
    from tests.registry_support import attempt, record

    db = tmp_path / "brandkit.db"
    with Registry.open(db) as reg:
        ids = [reg.record(record(tmp_path, f"ad-{i}.png", [attempt(1)]), run_id="r").id for i in range(7)]
    page = run("review", "list", "--db", str(db), "--limit", "3")
    assert (page["total"], [a["id"] for a in page["assets"]]) == (7, ids[6:3:-1])
    pages = [page]
    while pages[-1]["next_before"] is not None:
        pages.append(run("review", "list", "--db", str(db), "--limit", "3", "--before", str(pages[-1]["next_before"])))
    assert [a["id"] for p in pages for a in p["assets"]] == ids[::-1]  # every asset once, newest first
    assert len(pages) == 3 and pages[-1]["next_before"] is None
    shown = CliRunner().invoke(app, ["review", "list", "--db", str(db), "--limit", "3"])
    assert shown.exit_code == 0 and f"3 of 7 asset(s); the next page: --before {ids[4]}" in shown.stdout
    last = CliRunner().invoke(app, ["review", "list", "--db", str(db), "--limit", "3", "--before", str(ids[1])])
    assert "1 of 7 asset(s); the last page" in last.stdout


def test_request_changes_on_a_conversation_turn_edits_that_image(tmp_path: Path) -> None:
    # a turn's request is not the image: regenerated from it, the turns' refinements (here a dark background and a
    # warmer light) were lost and the reviewer got a different, un-refined ad
    import numpy as np
    from PIL import Image

    out = tmp_path / "chat"
    lines = "make the background dark\nwarmer\n"
    args = ["chat", "-s", NORTHWIND, "-p", "local", "--out", str(out), "--partial-images", "0", "--json"]
    chat = CliRunner().invoke(app, [*args, "--brief", "A ceramic cup of coffee on an oak table"], input=lines)
    assert chat.exit_code == 0, chat.stdout + chat.stderr
    db = out / "brandkit.db"
    with Registry.open(db) as reg:
        turn = max((r for r in reg.list_assets() if r.kind == "conversation"), key=lambda r: r.id)
    data = run(
        "review", "request-changes", str(turn.id), "-r", "a little brighter", "--reviewer", "dan", "--db", str(db)
    )
    new = data["asset"]
    assert new["parent_id"] == turn.id and new["kind"] == "regenerate"
    sidecar = json.loads(Path(new["sidecar_path"]).read_text(encoding="utf-8"))
    assert sidecar["prompt"]["operation"] == "edit" and sidecar["request"]["instruction"] == "a little brighter"
    before = np.asarray(Image.open(turn.path).convert("RGB"), dtype=np.int16)
    after = np.asarray(Image.open(new["path"]).convert("RGB"), dtype=np.int16)
    assert before.shape == after.shape and np.abs(before - after).mean() < 3  # the refined image, kept
