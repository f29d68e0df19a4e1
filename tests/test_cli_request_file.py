"""``generate`` and ``compile`` take the whole asset request: ``--request FILE`` (JSON or YAML, every SDK field)
with options that replace its fields, and ``--reference``, ``--quality``, ``--locale``, ``--logo-variant``.
Before, a product shot, the quality or the locale could only be given from Python or a variant plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from brandkit.cli import EXIT_OK, EXIT_USAGE, app
from brandkit.cli.request_options import parse_reference

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = str(ROOT / "brand_specs" / "northwind")


@pytest.fixture
def request_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "briefs"
    folder.mkdir()
    Image.new("RGB", (300, 200), (120, 80, 60)).save(folder / "mug.jpg")
    (folder / "ad.yaml").write_text(
        "brief: A ceramic cup on an oak table\n"
        "headline: Slow mornings, bright roasts\n"
        "format: landscape\n"
        "quality: high\n"
        "n: 2\n"
        "seed: 4\n"
        "references:\n"
        "  - path: mug.jpg\n"
        "    description: our new mug\n",
        encoding="utf-8",
    )
    return folder


def compiled(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["compile", "-s", NORTHWIND, *args, "--json"])
    assert result.exit_code == EXIT_OK, result.stdout
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_request_file_gives_every_field_and_its_references_are_relative_to_it(
    request_folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # not the file's folder: mug.jpg is found beside the file
    data = compiled("--request", str(request_folder / "ad.yaml"))
    assert data["format_name"] == "landscape" and data["params"]["quality"] == "high"  # type: ignore[index]
    refs = data["references"]
    assert [r["role"] for r in refs] == ["logo", "product"]  # type: ignore[union-attr,index]
    made = CliRunner().invoke(
        app, ["generate", "-s", NORTHWIND, "--request", str(request_folder / "ad.yaml"), "-p", "local", "--json"]
    )
    assert made.exit_code == EXIT_OK, made.stdout
    assets = json.loads(made.stdout)["assets"]
    assert len(assets) == 2 and all("landscape" in a["path"] for a in assets)  # n and format from the file
    sidecar = json.loads(Path(assets[0]["path"] + ".json").read_text())
    assert (
        sidecar["request"]["quality"] == "high" and sidecar["request"]["references"][0]["description"] == "our new mug"
    )


def test_options_replace_the_files_fields(request_folder: Path) -> None:
    data = compiled(
        "--request",
        str(request_folder / "ad.yaml"),
        "--headline",
        "Your ritual, roasted fresh",
        "-f",
        "square",
        "--reference",
        f"style={request_folder / 'mug.jpg'}",
        "--quality",
        "low",
        "--locale",
        "de",
    )
    assert data["format_name"] == "square" and data["params"]["quality"] == "low"  # type: ignore[index]
    assert data["copy_block"]["headline"] == "Your ritual, roasted fresh"  # type: ignore[index]
    assert [r["role"] for r in data["references"]] == ["logo", "style"]  # type: ignore[union-attr,index]


def test_options_alone_still_make_the_request_and_brief_is_required() -> None:
    data = compiled("-b", "A cup", "--headline", "Slow mornings", "--logo-variant", "mono")
    assert data["logo_variant"] == "mono" and data["format_name"] == "square"
    missing = CliRunner().invoke(app, ["compile", "-s", NORTHWIND, "--headline", "x", "--json"])
    assert missing.exit_code == EXIT_USAGE and json.loads(missing.stdout)["field"] == "brief"


def test_a_bad_request_file_is_refused_naming_the_file_and_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"brief": "A cup", "headlin": "Slow"}', encoding="utf-8")
    result = CliRunner().invoke(app, ["compile", "-s", NORTHWIND, "--request", str(bad), "--json"])
    error = json.loads(result.stdout)
    assert result.exit_code == EXIT_USAGE and error["field"] == "headlin"
    assert str(bad) in error["error"] and "did you mean 'headline'" in error["error"]
    listed = tmp_path / "list.yaml"
    listed.write_text("- brief\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["compile", "-s", NORTHWIND, "--request", str(listed), "--json"])
    assert result.exit_code == EXIT_USAGE and "is a mapping of fields" in json.loads(result.stdout)["error"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("brief: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["compile", "-s", NORTHWIND, "--request", str(broken), "--json"])
    assert result.exit_code == EXIT_USAGE and "invalid YAML at line" in json.loads(result.stdout)["error"]
    gone = CliRunner().invoke(app, ["compile", "-s", NORTHWIND, "-b", "x", "--reference", "nothere.png", "--json"])
    assert gone.exit_code == EXIT_USAGE and "nothere.png" in json.loads(gone.stdout)["error"]


def test_parse_reference_reads_a_role_only_when_it_is_one(tmp_path: Path) -> None:
    assert parse_reference("style=a.png") == {"path": "a.png", "role": "style"}
    assert parse_reference("a=b.png") == {"path": "a=b.png", "role": "product"}  # '=' in a file name
    assert parse_reference("mug.jpg", tmp_path) == {"path": str(tmp_path / "mug.jpg"), "role": "product"}


def test_chat_starts_from_a_request_file(request_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "chat"
    args = ["chat", "-s", NORTHWIND, "-p", "local", "-f", "square", "--out", str(out), "--partial-images", "0"]
    several = CliRunner().invoke(app, [*args, "--request", str(request_folder / "ad.yaml"), "--json"], input="/go\n")
    assert several.exit_code == EXIT_USAGE and json.loads(several.stdout)["field"] == "n"  # n: 2, said, not dropped
    one = request_folder / "one.yaml"
    one.write_text((request_folder / "ad.yaml").read_text().replace("n: 2\n", ""), encoding="utf-8")
    result = CliRunner().invoke(app, [*args, "--request", str(one), "--json"], input="/go\n")
    assert result.exit_code == EXIT_OK, result.output
    (sidecar,) = out.glob("*.json")
    recorded = json.loads(sidecar.read_text())["request"]
    assert recorded["headline"] == "Slow mornings, bright roasts" and recorded["format"] == "square"
    assert recorded["quality"] == "high" and recorded["references"][0]["role"] == "product"


def test_edit_takes_an_edit_request_file(tmp_path: Path) -> None:
    args = ["generate", "-s", NORTHWIND, "-b", "A cup", "--headline", "Slow mornings", "--cta", "Order ahead"]
    made = CliRunner().invoke(app, [*args, "-p", "local", "-o", str(tmp_path / "ad.png"), "--json"])
    assert made.exit_code == EXIT_OK, made.stdout
    edit = tmp_path / "edit.yaml"
    edit.write_text(
        "instruction: Translate the headline to German\nheadline: Langsame Morgen\nremove: [cta]\nlocale: de\n",
        encoding="utf-8",
    )
    base = ["edit", "-s", NORTHWIND, str(tmp_path / "ad.png"), "--request", str(edit), "-p", "local", "--json"]
    done = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "de.png")])
    assert done.exit_code == EXIT_OK, done.stdout
    report = json.loads(done.stdout)["assets"][0]["edit"]
    assert report["changed"]["headline"]["after"] == "Langsame Morgen" and "cta" in report["removed"]
    override = CliRunner().invoke(app, [*base, "--headline", "Helle Röstungen", "-o", str(tmp_path / "de2.png")])
    assert json.loads(override.stdout)["assets"][0]["edit"]["changed"]["headline"]["after"] == "Helle Röstungen"
    edit.write_text("headline: Langsame Morgen\n", encoding="utf-8")  # no instruction anywhere
    missing = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "de3.png")])
    assert missing.exit_code == EXIT_USAGE and json.loads(missing.stdout)["field"] == "instruction"
