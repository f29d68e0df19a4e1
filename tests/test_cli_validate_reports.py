"""``brandkit validate --report``: the report files written are listed in the ``--json`` document and the
``--jsonl`` lines (``report_files``, per image), and on stderr in the human output."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from typer.testing import CliRunner

from brandkit.cli import app

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
CREMA = (243, 233, 220)


def _png(path: Path, patch: bool) -> Path:
    image = Image.new("RGB", (400, 240), CREMA)
    if patch:
        ImageDraw.Draw(image).rectangle((80, 60, 159, 139), fill=(20, 200, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def _base(tmp_path: Path) -> list[str]:
    return ["validate", "--spec", str(NORTHWIND), "--jobs", "1", "--db", str(tmp_path / "reg.db")]


def test_validate_json_lists_the_report_files_of_each_image(tmp_path: Path) -> None:
    one, two = _png(tmp_path / "one.png", True), _png(tmp_path / "two.png", False)
    folder = tmp_path / "reports"
    result = CliRunner().invoke(app, [*_base(tmp_path), str(one), str(two), "--report", str(folder), "--json"])
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    listed = {Path(entry["path"]).name: entry["report_files"] for entry in data["images"]}
    assert listed == {
        "one.png": [str(folder / "one.html"), str(folder / "one.json")],
        "two.png": [str(folder / "two.html"), str(folder / "two.json")],
    }
    for files in listed.values():
        assert all(Path(file).is_file() and Path(file).stat().st_size > 0 for file in files)
    assert f"report: {folder / 'one.html'}" in result.stderr  # the human-readable progress names them too


def test_validate_jsonl_and_no_report(tmp_path: Path) -> None:
    one = _png(tmp_path / "one.png", True)
    target = tmp_path / "one.json"
    result = CliRunner().invoke(app, [*_base(tmp_path), str(one), "--report", str(target), "--jsonl"])
    assert result.exit_code in (0, 1), result.output
    line = json.loads(result.stdout.splitlines()[0])
    assert line["report_files"] == [str(target)] and target.is_file()
    plain = CliRunner().invoke(app, [*_base(tmp_path), str(one), "--json"])
    assert plain.exit_code in (0, 1), plain.output
    (entry,) = json.loads(plain.stdout)["images"]
    assert entry["report_files"] == []  # the field is always there: no --report, no files
