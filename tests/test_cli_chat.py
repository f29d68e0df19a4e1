"""``brandkit chat``: an interactive conversation driven with piped stdin (issue 18)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import brandkit
from brandkit.cli import app
from brandkit.imageio import load_image
from brandkit.registry.store import Registry

ROOT = Path(__file__).resolve().parents[1]
SPEC = str(ROOT / "brand_specs" / "northwind")
BASE = [
    "chat",
    "--spec",
    SPEC,
    "--brief",
    "A ceramic cup of coffee on an oak table",
    "--headline",
    "Slow mornings",
    "--cta",
    "Order ahead",
    "--provider",
    "local",
]


def test_piped_session_saves_each_checked_turn_and_goes_on_after_a_failed_one(tmp_path: Path) -> None:
    out = tmp_path / "chat"
    script = "\n".join(
        [
            "warmer light, move the cup left",
            "/headline The best coffee in the world",  # forbidden by the spec: the turn fails, the session goes on
            "brighter",
            "/bogus",
            "/headline Langsame Morgen",
            "/cta Jetzt bestellen",
            "now the German version and make it sparkle",
            "/quit",
            "cooler",  # after /quit: never read
        ]
    )
    result = CliRunner().invoke(app, [*BASE, "--out", str(out), "--partial-images", "2"], input=script + "\n")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Traceback" not in text
    assert text.count("partial 1/2") == 2 and text.count("partial 2/2") == 2
    assert text.index("partial 1/2") < text.index("partial 2/2") < text.index("✓")
    assert "turn 2 failed: ForbiddenContentError" in text and "best coffee in the world" in text
    assert "unknown command /bogus" in text
    assert "note: not understood by the local renderer: 'make it sparkle'" in text
    images = sorted(out.glob("*.png"))
    assert len(images) == 2 and all(Path(str(i) + ".json").is_file() for i in images)
    for image in images:
        assert f"✓ {image}" in text
        assert load_image(image.read_bytes()).size == (1024, 1024)
    assert "checks: palette passed, text passed, logo passed" in text
    assert "credentials failed (warn)" in text  # no signer: a failure under the warn policy, not blocking
    second = json.loads(Path(str(images[1]) + ".json").read_text())
    assert second["request"]["headline"] == "Langsame Morgen" and second["conversation"]["turn"] == 2
    assert "2 turn(s) saved, 1 failed" in text
    with Registry.open(out / "brandkit.db") as registry:  # the default registry: out/brandkit.db
        rows = [registry.known_file(i) for i in images]
        assert rows[0] is not None and rows[1] is not None
        assert rows[0].parent_id is None and rows[1].parent_id == rows[0].id
        assert rows[1].kind == "conversation"


def test_format_and_background_commands_set_the_next_turn(tmp_path: Path) -> None:
    out = tmp_path / "chat"
    script = "\n".join(["/format portrait", "/background dark", "/go", "/format huge", "/go", "/format", "/quit"])
    result = CliRunner().invoke(app, [*BASE, "--out", str(out), "--partial-images", "0"], input=script + "\n")
    text = result.output
    assert "Traceback" not in text and "format portrait for the next turn" in text
    assert "turn 2 failed: RequestError: format 'huge' is not defined" in text  # named, the session goes on
    assert "/format needs a value" in text
    [image] = sorted(out.glob("*.png"))
    assert load_image(image.read_bytes()).size == (1024, 1536)
    sidecar = json.loads(Path(str(image) + ".json").read_text())
    assert sidecar["request"]["format"] == "portrait" and sidecar["request"]["background"] == "dark"


def test_json_summary_and_budget(tmp_path: Path) -> None:
    out = tmp_path / "chat"
    db = tmp_path / "registry.db"
    result = CliRunner().invoke(
        app,
        [*BASE, "--out", str(out), "--db", str(db), "--partial-images", "0", "--budget", "1.0", "--json"],
        input="/go\n",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout[result.stdout.index("{") :])
    assert document["ok"] is True and document["failed"] == 0 and document["spent_usd"] == 0.0
    (turn,) = document["turns"]
    assert turn["turn"] == 1 and Path(turn["path"]).is_file() and turn["partial_images"] == 0
    assert turn["checks"]["palette"] == "passed"
    assert document["registry"]["db"] == str(db) and document["registry"]["recorded"] == 1


def test_bad_spec_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["chat", "--spec", str(tmp_path / "nope"), "--brief", "x", "--provider", "local"], input="/quit\n"
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "nope" in result.output


def test_openai_session_against_the_loopback_server_shows_streamed_partials(
    openai_server: Any, monkeypatch: pytest.MonkeyPatch, lumen: brandkit.BrandSpec, tmp_path: Path
) -> None:
    from tests.support.openai_plugin import FAKE_API_KEY
    from tests.test_openai_kit import brand_imagery

    openai_server.image_factory = brand_imagery(lumen)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    out = tmp_path / "chat"
    args = ["chat", "--spec", str(ROOT / "brand_specs" / "lumen-health"), "--brief", "A person stretching at sunrise"]
    result = CliRunner().invoke(
        app,
        [*args, "--headline", "Small steps, every day", "--provider", "openai", "--out", str(out), "--budget", "5"],
        input="/go\nwarmer light\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("partial 1/2") == 2 and result.output.count("partial 2/2") == 2
    assert len(sorted(out.glob("*.png"))) == 2 and "2 turn(s) saved, 0 failed" in result.output
    sent = [r.fields.get("previous_response_id") for r in openai_server.records("/responses")]
    assert sent[0] is None and sent[1] is not None
    assert FAKE_API_KEY not in result.output


def test_a_turn_that_fails_its_checks_says_where_its_best_attempt_is_kept(tmp_path: Path) -> None:
    spec = tmp_path / "northwind"
    shutil.copytree("brand_specs/northwind", spec)
    brand = spec / "brand.yaml"
    brand.write_text(brand.read_text().replace("max_attempts: 3", "max_attempts: 1"))  # no repair within a turn
    out = tmp_path / "chat"
    args = ["chat", "--spec", str(spec), *BASE[3:], "--out", str(out)]
    result = CliRunner().invoke(app, args, input="make the background neon green\n")
    assert result.exit_code == 1, result.output  # a turn failed
    (kept,) = out.glob("*-turn-01-rejected.png")
    text = " ".join(result.output.split())
    assert "turn 1 failed the brand checks (palette)" in text and f"best attempt is kept for review: {kept}" in text
    assert kept.is_file() and brandkit.read_sidecar(kept).report.passed is False
    again = CliRunner().invoke(app, [*args, "--json"], input="make the background neon green\n")
    doc = json.loads(again.stdout)
    (rejected,) = doc["rejected"]
    assert doc["failed"] == 1 and rejected["turn"] == 1 and rejected["failed_checks"] == ["palette"]
    assert Path(rejected["path"]).is_file() and Path(rejected["path"]) != kept  # a second session's own file
