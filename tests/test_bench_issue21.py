"""``benchmarks/bench_issue21.py``: the table assembly on fake figures, the command line, and the worker's "now"
path end to end in a subprocess (no timing asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from benchmarks._issue21_table import Cell, Row, markdown
from benchmarks._measure import run_child
from benchmarks.bench_issue21 import (
    ROOT,
    WORKER,
    _pooled,
    audit_states,
    env_for,
    library_images,
    parse_args,
    worker,
)

META = {
    "base": "b3f7802",
    "base_tree": "/tmp/bk-issue21-base-b3f7802",
    "now": "abc1234 (working tree)",
    "quick": True,
    "runs": 3,
    "warmup": 1,
    "rounds": 1,
    "load_start": [0.5, 0.4, 0.3],
    "load_end": [3.5, 1.0, 0.5],
    "cores": 2,
}


def test_cell_medians_of_the_timed_runs() -> None:
    cell = Cell.of([30.0, 10.0, 20.0, 500.0, 25.0], [40.0, 11.0, 22.0, 900.0, 30.0], "5 lines")
    assert (cell.cpu_ms, cell.wall_ms, cell.runs) == (25.0, 30.0, 5)
    assert cell.text() == "25 · 30"
    assert Cell(missing="no audit command before").text() == "— (no audit command before)"


def test_ratio_is_before_cpu_over_now_cpu_and_verdict_judges_now_cpu() -> None:
    faster = Row("ocr", "OCR", Cell.of([600.0], [900.0]), Cell.of([120.0], [400.0]), 150.0, "≤ 150 ms")
    assert faster.ratio() == pytest.approx(5.0)
    assert faster.verdict() == "PASS"  # 120 CPU ≤ 150, though the wall (400) is above it
    slower = Row("all", "all", Cell.of([500.0], [500.0]), Cell.of([41.0], [30.0]), 40.0, "≤ 40 ms")
    assert slower.verdict() == "FAIL"  # judged on CPU (41), not on the wall (30)
    assert Row("x", "x", Cell.of([1.0], [1.0]), Cell.of([2.0], [2.0])).verdict() == "—"  # no target
    audit = Row("audit", "audit", Cell(missing="no audit before"), Cell.of([300.0], [200.0]), 100.0)
    assert audit.ratio() is None
    assert audit.verdict() == "FAIL"
    assert Row("y", "y", Cell.of([1.0], [1.0]), Cell(missing="gone"), 10.0).verdict() == "—"


def test_markdown_has_one_line_per_row_the_notes_and_the_load() -> None:
    rows = [
        Row("ocr", "OCR", Cell.of([600.0], [900.0], "full"), Cell.of([120.0], [400.0], "layout"), 150.0, "≤ 150 ms"),
        Row("audit", "audit", Cell(missing="no audit command before"), Cell.of([250.0], [130.0], "7.7 images/s")),
    ]
    text = markdown(rows, META)
    lines = text.splitlines()
    assert lines[0].startswith("| item | before")
    assert "| OCR | 600 · 900 | 120 · 400 | 5.00× | ≤ 150 ms | PASS |" in lines
    assert "| audit | — (no audit command before) | 250 · 130 | — | — | — |" in lines
    assert "- OCR — before: full; now: layout" in lines
    assert "- audit — now: 7.7 images/s" in lines
    assert "at start 0.50 0.40 0.30, at end 3.50 1.00 0.50 on 2 cores: the machine was busy" in text
    assert "before = b3f7802" in text and "--quick" in text


def test_pooled_runs_of_every_process() -> None:
    assert _pooled([{"cpu_ms": [1.0, 2.0]}, {"cpu_ms": [3.0]}], "cpu_ms") == [1.0, 2.0, 3.0]


def test_parse_args_quick_and_full() -> None:
    quick = parse_args(["--quick", "--base", "abc123", "--json", "out.json"])
    assert (quick.quick, quick.base, quick.json, quick.audit_count) == (True, "abc123", Path("out.json"), 100)
    assert quick.runs < parse_args([]).runs
    full = parse_args([])
    assert (full.base, full.json, full.audit_count, full.compare_count) == ("b3f7802", None, 1000, 100)
    assert full.rounds >= 2  # before and now interleaved over more than one process each
    with pytest.raises(SystemExit):
        parse_args(["--no-such-option"])


def test_env_for_puts_the_tree_first_and_drops_the_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    env = env_for(tmp_path, tmp_path / "cache")
    assert env["PYTHONPATH"] == str(tmp_path)
    assert env["BRANDKIT_CACHE_DIR"] == str(tmp_path / "cache")
    assert "OPENAI_API_KEY" not in env


def test_worker_now_path_runs_an_item_end_to_end(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    Image.new("RGB", (64, 48), (243, 233, 220)).save(inputs / "ad.png")  # no provenance: a minimal expectation
    answer = worker("technical", ROOT, tmp_path / "cache", inputs, 2, 1)
    assert answer["tree"] == str(ROOT.resolve())
    assert len(answer["cpu_ms"]) == len(answer["wall_ms"]) == 2
    assert all(value >= 0 for value in answer["cpu_ms"] + answer["wall_ms"])
    assert answer["note"] == "passed"


def test_worker_leaves_record_fields_the_tree_does_not_know_out_of_its_copy(tmp_path: Path) -> None:
    """A record with a field newer than the tree (as today's records are to the previous implementation, whose
    strict reader would refuse the whole record and see no layout): the tree reads the rest, and the note says so."""
    import brandkit
    from brandkit.checks.technical import TechnicalCheck
    from brandkit.imageio import encode_image, load_image, read_provenance
    from brandkit.pipeline import expectation_from_provenance

    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    kit = brandkit.BrandKit(spec, provider="local", checks=[TechnicalCheck()])
    asset = kit.generate(brandkit.AssetRequest(brief="A cup on a table", format="square", seed=2, headline="Hi"))
    data = asset.save(tmp_path / "made.png").read_bytes()
    record = json.loads(read_provenance(data) or "{}")
    assert record["logo_box"] and expectation_from_provenance(data, "png").logo_box is not None
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    future = encode_image(load_image(data), "png", pnginfo={"brandkit": json.dumps({**record, "zz_future": 1})})
    (inputs / "ad.png").write_bytes(future)
    assert expectation_from_provenance(future, "png").logo_box is None  # the strict reader refuses the record
    answer = worker("technical", ROOT, tmp_path / "cache", inputs, 1, 0)
    assert answer["note"] == "passed; record read without zz_future (newer than this tree)"
    (inputs / "ad.png").write_bytes(data)  # a record the tree knows entirely: read as it is, nothing said
    assert worker("technical", ROOT, tmp_path / "cache", inputs, 1, 0)["note"] == "passed"


def test_worker_openai_items_moderate_through_the_loopback_server_or_say_they_cannot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``…-openai`` items send each image to the moderation endpoint the driver serves (every request checked
    against the OpenAPI contract); without the server they are unsupported, never a figure."""
    import brandkit
    from benchmarks._issue21_worker import OPENAI_URL_ENV
    from brandkit.checks.technical import TechnicalCheck
    from tests.support.openai_server import OpenAIServer

    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    kit = brandkit.BrandKit(spec, provider="local", checks=[TechnicalCheck()])
    inputs = tmp_path / "inputs"
    kit.generate(brandkit.AssetRequest(brief="A cup on a table", format="square", seed=2, headline="Hi")).save(
        inputs / "ad.png"
    )
    args = [sys.executable, str(WORKER), "all-but-ocr-ad-openai", "--inputs", str(inputs), "--runs", "2"]
    alone = run_child(args, env_for(ROOT, tmp_path / "cache"), cwd=ROOT)
    assert "needs the loopback OpenAI server" in json.loads(alone.stdout.rsplit("@@", 1)[1])["unsupported"]
    server = OpenAIServer(validate_responses=False).start()
    try:
        monkeypatch.setenv(OPENAI_URL_ENV, server.url)
        answer = worker("all-but-ocr-ad-openai", ROOT, tmp_path / "cache", inputs, 2, 1)
    finally:
        server.stop()
    assert "moderation passed" in answer["note"] and len(answer["cpu_ms"]) == 2
    sent = server.records("/moderations")
    assert len(sent) == 4 and all(r.status == 200 and not r.validation_errors for r in sent)  # note, warm-up, 2 runs


def test_worker_refuses_an_unknown_item(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="invalid choice"):
        run_child([sys.executable, str(WORKER), "no-such-item"], env_for(ROOT, tmp_path), cwd=ROOT)


def test_worker_reports_a_missing_entry_point_as_unsupported(tmp_path: Path) -> None:
    """A tree without an entry point the item needs gets a reason, not a number (a fake tree lacking one)."""
    fake = tmp_path / "tree"
    (fake / "brandkit").mkdir(parents=True)
    (fake / "brandkit" / "__init__.py").write_text('"""A tree whose checks package is missing."""\n')
    child = run_child([sys.executable, str(WORKER), "technical", "--inputs", str(tmp_path)], env_for(fake, "off"), fake)
    answer = json.loads(child.stdout.rsplit("@@", 1)[1])
    assert "cpu_ms" not in answer
    # the tree's own lack, not today's module found through the venv's editable install
    assert answer["unsupported"] == "not in this tree: No module named 'brandkit.checks'"
    assert answer["tree"] == str(fake.resolve())


def test_worker_refuses_figures_from_modules_outside_the_tree(tmp_path: Path) -> None:
    fake = tmp_path / "tree"
    (fake / "brandkit").mkdir(parents=True)
    (fake / "brandkit" / "__init__.py").write_text(
        "import sys, types\n"
        "sneaky = types.ModuleType('brandkit.sneaky')\n"
        "sneaky.__file__ = '/elsewhere/brandkit/sneaky.py'\n"
        "sys.modules['brandkit.sneaky'] = sneaky\n"
    )
    child = run_child([sys.executable, str(WORKER), "technical", "--inputs", str(tmp_path)], env_for(fake, "off"), fake)
    answer = json.loads(child.stdout.rsplit("@@", 1)[1])
    assert "cpu_ms" not in answer
    assert answer["unsupported"] == f"modules imported from outside {fake.resolve()}: brandkit.sneaky"


def test_library_images_leave_sidecars_and_the_marker_out(tmp_path: Path) -> None:
    batch = tmp_path / "batch00"
    batch.mkdir()
    for name in ("0000-render.png", "0000-render.png.json", "0001-photo.JPG", "0002-photo-512.webp", "0007-broken.png"):
        (batch / name).write_bytes(b"x")
    (tmp_path / ".complete-v2-5").write_text("{}")
    assert [Path(p).name for p in library_images(tmp_path)] == [
        "0000-render.png",
        "0001-photo.JPG",
        "0002-photo-512.webp",
        "0007-broken.png",
    ]


def test_audit_states_count_file_events_only(tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    events = [
        {"event": "file", "state": "passed"},
        {"event": "file", "state": "failed"},
        {"event": "file", "state": "failed"},
        {"event": "file", "state": "unreadable"},
        {"event": "summary", "files": 4, "passed": 1},
    ]
    out.write_text("".join(json.dumps(e) + "\n" for e in events))
    assert audit_states(out) == "failed 2 passed 1 unreadable 1"


@pytest.mark.parametrize("helper", [True, False])
def test_code_from_pythonpath_takes_the_other_tree_even_from_this_root(tmp_path: Path, helper: bool) -> None:
    """``PYTHONPATH=<other tree> python -m benchmarks.…`` run from this tree's root measures the other tree's code:
    the root that ``-m`` (and ``-c``) puts first moves after PYTHONPATH's trees. Without the helper, this tree's
    ``brandkit`` is imported — the mistake a before/after pair must not make silently."""
    root = Path(__file__).resolve().parents[1]
    other = tmp_path / "other"
    (other / "brandkit").mkdir(parents=True)
    (other / "brandkit" / "__init__.py").write_text("", encoding="utf-8")
    setup = "from benchmarks._measure import code_from_pythonpath; code_from_pythonpath(ROOT); " if helper else ""
    code = f"from pathlib import Path; ROOT = Path({str(root)!r}); {setup}import brandkit; print(brandkit.__file__)"
    env = {**os.environ, "PYTHONPATH": str(other)}
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    imported = Path(done.stdout.strip()).resolve()
    assert (imported.parents[1] == other.resolve()) is helper
