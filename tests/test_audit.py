"""Issue 21, item 4: audit at scale — ``brandkit validate DIR|GLOB|FILE... --jobs N --out F.jsonl --resume --shard I/N``
and its SDK form ``brandkit.audit.audit``: expansion, shards, typed JSONL records, summary arithmetic, registry
records, resume after a real ``kill -9``, and ``--jobs 2`` agreeing with ``--jobs 1``."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

import brandkit
from brandkit.audit import (
    AuditFile,
    AuditRecord,
    AuditSummary,
    Shard,
    audit,
    expand_library,
    expand_sources,
    extension_counts,
    parse_shard,
    select_shard,
    shard_of,
    summarize,
)
from brandkit.checks.technical import TechnicalCheck
from brandkit.cli import EXIT_USAGE, app
from brandkit.errors import RequestError
from brandkit.jsonl import read_journal
from brandkit.models import CheckStatus
from brandkit.registry.store import Registry

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"


@pytest.fixture
def light_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kits made in this process run only the technical check (files, JSONL, registry and summary stay real)."""
    monkeypatch.setattr("brandkit.kit.default_checks", lambda: [TechnicalCheck()])


@pytest.fixture(scope="module")
def rendered() -> Image.Image:
    kit = brandkit.BrandKit(brandkit.load_spec(NORTHWIND), provider="local", checks=[TechnicalCheck()])
    request = brandkit.AssetRequest(brief="A ceramic cup on an oak table", seed=3, headline="Slow mornings")
    return kit.generate(request).image


def _library(root: Path, image: Image.Image, sizes: tuple[int, ...] = (96, 128, 160)) -> dict[str, Path]:
    """A small library: nested folders, resized renders, a JPEG, a broken PNG and files that are no images."""
    (root / "b" / "deep").mkdir(parents=True)
    files = {
        "a.png": root / "a.png",
        "b/x.jpg": root / "b" / "x.jpg",
        "b/deep/y.png": root / "b" / "deep" / "y.png",
        "b/broken.png": root / "b" / "broken.png",
    }
    image.resize((sizes[0], sizes[0])).save(files["a.png"])
    image.convert("RGB").resize((sizes[1], sizes[1])).save(files["b/x.jpg"], quality=90)
    image.resize((sizes[2], sizes[2])).save(files["b/deep/y.png"])
    files["b/broken.png"].write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (root / "notes.txt").write_text("not an image")
    (root / "b" / "a.png.json").write_text("{}")
    return files


def _file_lines(path: Path) -> list[dict[str, Any]]:
    return [event for event in read_journal(path)[0] if event["event"] == "file"]


# --- which files ---------------------------------------------------------------------------------------------


def test_folders_globs_and_files_expand_sorted_each_once(tmp_path: Path, rendered: Image.Image) -> None:
    lib = tmp_path / "lib"
    files = _library(lib, rendered)
    expanded = expand_sources([lib])
    assert [item.path for item in expanded] == [files[k] for k in ("a.png", "b/broken.png", "b/deep/y.png", "b/x.jpg")]
    assert [item.rel for item in expanded] == ["a.png", "b/broken.png", "b/deep/y.png", "b/x.jpg"]
    # a recursive glob: relative to the pattern's fixed prefix; a file named outright is kept (even a missing one)
    missing = tmp_path / "gone.png"
    mixed = expand_sources([str(lib / "b" / "**" / "*.png"), files["a.png"], missing, lib])
    assert [item.path for item in mixed] == [
        files["b/broken.png"],
        files["b/deep/y.png"],
        files["a.png"],
        missing,
        files["b/x.jpg"],  # the folder's other files; those already listed are not listed again
    ]
    assert [item.rel for item in mixed[:2]] == ["broken.png", "deep/y.png"]
    with pytest.raises(RequestError, match=r"\*\.webp: the pattern matches no image file") as caught:
        expand_sources([str(lib / "*.webp")])
    assert caught.value.field == "images"
    (tmp_path / "empty").mkdir()
    with pytest.raises(RequestError, match=r"empty: no image file in this folder"):
        expand_sources([tmp_path / "empty"])


_APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(64)
"""The head of the AppleDouble file a Mac writes beside ``name`` as ``._name`` (RFC 1740)."""


def test_macos_metadata_files_are_left_out_and_counted(tmp_path: Path, rendered: Image.Image) -> None:
    lib = tmp_path / "lib"
    files = _library(lib, rendered)
    (lib / "._a.png").write_bytes(_APPLE_DOUBLE)  # beside a.png on a shared drive
    (lib / "__MACOSX" / "b").mkdir(parents=True)  # and in a zip made on a Mac
    (lib / "__MACOSX" / "b" / "._x.jpg").write_bytes(_APPLE_DOUBLE)
    named = lib / "._named.png"  # an image whose name starts with ._ is an image: checked
    rendered.save(named)
    found = expand_library([lib])
    assert [item.path for item in found.files] == [
        named,
        *(files[k] for k in ("a.png", "b/broken.png", "b/deep/y.png", "b/x.jpg")),
    ]
    assert found.skipped == [lib / "._a.png", lib / "__MACOSX" / "b" / "._x.jpg"]
    assert expand_sources([lib]) == found.files
    by_pattern = expand_library([str(lib / "**" / "._*"), lib])  # a pattern leaves them out too, each counted once
    assert [item.path for item in by_pattern.files] == [named, *(item.path for item in found.files[1:])]
    assert by_pattern.skipped == found.skipped
    # named outright, the file is checked (and reported unreadable): never left out without a word, and the
    # error says what it is
    assert [item.path for item in expand_library([lib / "._a.png"]).files] == [lib / "._a.png"]
    from brandkit.errors import ImageInputError
    from brandkit.imageio import load_image

    with pytest.raises(ImageInputError, match=r"a Mac's metadata file \(AppleDouble, '\._name'\), not an image"):
        load_image(lib / "._a.png")


def test_other_files_are_left_out_and_named(tmp_path: Path, rendered: Image.Image) -> None:
    lib = tmp_path / "lib"
    files = _library(lib, rendered)  # holds notes.txt and b/a.png.json (an image's record) beside the images
    (lib / "logo.svg").write_text("<svg/>")
    (lib / "b" / "ad.pdf").write_bytes(b"%PDF-1.7")
    (lib / "b" / "source.PSD").write_bytes(b"8BPS")
    (lib / "README").write_text("no extension")
    (lib / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # Finder's folder file: not an asset
    (lib / "b" / "Thumbs.db").write_bytes(b"\xd0\xcf")  # Explorer's
    (lib / "._logo.svg").write_bytes(_APPLE_DOUBLE)  # a Mac's metadata beside logo.svg: metadata, not an SVG
    found = expand_library([lib])
    assert [item.path for item in found.files] == [
        files[k] for k in ("a.png", "b/broken.png", "b/deep/y.png", "b/x.jpg")
    ]
    assert sorted(found.other) == sorted(
        [lib / "README", lib / "logo.svg", lib / "notes.txt", lib / "b" / "ad.pdf", lib / "b" / "source.PSD"]
    )
    assert found.skipped == [lib / "._logo.svg"]
    assert extension_counts(found.other) == {"": 1, ".svg": 1, ".txt": 1, ".pdf": 1, ".psd": 1}
    # a pattern names what it matched and left out; an image it matches is not among them
    by_pattern = expand_library([str(lib / "b" / "*")])
    assert sorted(by_pattern.other) == [lib / "b" / "ad.pdf", lib / "b" / "source.PSD"]
    # a folder or pattern without an image says what it held instead
    vectors = tmp_path / "vectors"
    vectors.mkdir()
    for name in ("mark.svg", "wordmark.svg", "guide.pdf"):
        (vectors / name).write_text("x")
    with pytest.raises(
        RequestError,
        match=r"no image file in this folder .*; it holds 3 other file\(s\), "
        r"not images brandkit reads: \.svg 2, \.pdf 1$",
    ):
        expand_library([vectors])
    with pytest.raises(RequestError, match=r"the pattern matches no image file .*: \.svg 2$"):
        expand_library([str(vectors / "*.svg")])


def test_every_image_a_library_holds_is_listed_even_one_brandkit_cannot_read(tmp_path: Path) -> None:
    """A browser's ``.jfif`` download and an ``.avif`` export were left out of a folder audit without a word (and an
    iPhone's ``.heic``): they are listed — read when brandkit can decode them, reported unreadable by name else."""
    from brandkit.errors import ImageInputError
    from brandkit.imageio import load_image

    lib = tmp_path / "lib"
    lib.mkdir()
    image = Image.new("RGB", (48, 32), (200, 100, 50))
    for name, fmt in (("download.jfif", "JPEG"), ("old.JPE", "JPEG"), ("export.avif", "AVIF")):
        image.save(lib / name, fmt)
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)  # an iPhone photo's header
    (lib / "IMG_0001.HEIC").write_bytes(heic)
    listed = [item.rel for item in expand_sources([lib])]
    assert listed == ["IMG_0001.HEIC", "download.jfif", "export.avif", "old.JPE"]
    for rel in listed[1:]:
        assert load_image(lib / rel).size == (48, 32), rel
    with pytest.raises(ImageInputError, match="HEIC/HEIF image .* export it as JPEG or PNG"):
        load_image(lib / "IMG_0001.HEIC")


def test_shards_partition_the_list_and_stay_put_when_files_are_added() -> None:
    files = [AuditFile(Path(f"lib/{i // 10}/img{i}.png"), f"{i // 10}/img{i}.png") for i in range(300)]
    for count in (1, 2, 3, 7):
        shards = [select_shard(files, Shard(index, count)) for index in range(1, count + 1)]
        chosen = [item for shard in shards for item in shard]
        assert sorted(chosen, key=files.index) == files and len(chosen) == len(files)  # union = all, disjoint
        for shard in shards:
            assert shard == sorted(shard, key=files.index)  # each shard keeps the list's order
        if count > 1:
            assert all(0 < len(shard) < len(files) for shard in shards)
    before = {item.rel: shard_of(item.rel, 4) for item in files}
    grown = [*files, *(AuditFile(Path(f"lib/new{i}.png"), f"new{i}.png") for i in range(50))]
    assert {item.rel: shard_of(item.rel, 4) for item in grown[:300]} == before
    assert select_shard(files, None) == files
    assert parse_shard(" 2/8 ") == Shard(2, 8) and str(Shard(2, 8)) == "2/8"
    for bad in ("0/4", "5/4", "1/0", "x", "1-4"):
        with pytest.raises(RequestError, match="--shard") as caught:
            parse_shard(bad)
        assert caught.value.field == "shard" and caught.value.value == bad


# --- the summary ---------------------------------------------------------------------------------------------


def _record(
    path: str, state: str, checks: dict[str, str], score: float | None, off: float | None, warn: tuple[str, ...] = ()
) -> AuditRecord:
    failed = [name for name, status in checks.items() if status in ("failed", "not_checked") and name not in warn]
    return AuditRecord(
        path=path,
        rel=path,
        sha256=None if state == "unreadable" else "0" * 64,
        state=state,  # type: ignore[arg-type]
        error="ImageInputError: bad" if state == "unreadable" else None,
        checks={name: CheckStatus(status) for name, status in checks.items()},
        failed_checks=failed,
        score=score,
        off_palette_share=off,
        off_brand_share=off,
    )


def test_summary_arithmetic() -> None:
    records = [
        _record("a", "passed", {"palette": "passed", "text": "passed"}, 2.1, 0.01),
        _record("b", "failed", {"palette": "failed", "text": "passed"}, 1.05, 0.40),
        _record("c", "failed", {"palette": "passed", "text": "not_checked"}, 1.09, 0.02),
        _record(
            "d",
            "passed",
            {"palette": "passed", "text": "skipped", "credentials": "failed"},
            2.0,
            None,
            ("credentials",),
        ),
        _record("e", "unreadable", {}, None, None),
        _record("f", "failed", {"palette": "failed"}, 0.0, 0.0),  # failed elsewhere: no off-palette pixel
    ]
    summary = summarize(records, resumed=2, worst=2)
    assert (summary.files, summary.checked, summary.resumed) == (6, 4, 2)
    assert (summary.passed, summary.failed, summary.unreadable) == (2, 3, 1)
    assert summary.pass_rate == 0.4  # 2 of the 5 files read
    palette, text = summary.checks["palette"], summary.checks["text"]
    assert (palette.passed, palette.failed, palette.pass_rate) == (3, 2, 0.6)
    assert (text.passed, text.not_checked, text.skipped, text.pass_rate) == (2, 1, 1, round(2 / 3, 6))
    assert (palette.warned, text.warned) == (0, 0)  # their failures failed the files
    credentials = summary.checks["credentials"]
    assert (credentials.failed, credentials.warned) == (1, 1)  # under warn: d still passed
    from io import StringIO

    from rich.console import Console

    from brandkit.cli.common import print_audit_summary

    shown = StringIO()
    print_audit_summary(Console(file=shown, width=120), summary)
    assert "credentials (warn)" in shown.getvalue() and "palette (" not in shown.getvalue()
    assert "(warn): failed under the check's warn policy" in shown.getvalue()
    assert [o.path for o in summary.worst_by_score] == ["f", "b"]  # failed files only, lowest score first
    # largest share first, limited to 2; f (0 %) and d (not measured) are no off-brand offenders
    assert [o.path for o in summary.worst_by_off_palette] == ["b", "c"]
    everything = summarize(records)
    assert [o.path for o in everything.worst_by_off_palette] == ["b", "c", "a"]
    lines = shown.getvalue().splitlines()
    assert "  f  score 0.00  off-brand 0.0% of the image  failed: palette" in lines  # each list says its figures
    assert (
        "  b  score 1.05  off-brand 40.0% of the image  off-palette 40.0% of the judged pixels  failed: palette"
        in lines
    )
    assert summary.worst_by_score[1].failed_checks == ["palette"]
    # a blocking check that could not run is said as such, not as failed
    assert [o.not_checked for o in summary.worst_by_off_palette] == [[], ["text"]]
    assert any(line.startswith("  c  ") and line.endswith("failed: none  not checked: text") for line in lines)
    assert summary.unreadable_files == ["e: ImageInputError: bad"]
    empty = summarize([])
    assert (empty.files, empty.pass_rate, empty.checks) == (0, None, {})


# --- the command ---------------------------------------------------------------------------------------------


def test_folder_audit_keeps_going_past_a_bad_file_with_typed_complete_lines(
    light_cli: None, tmp_path: Path, rendered: Image.Image
) -> None:
    files = _library(tmp_path / "lib", rendered)
    (tmp_path / "lib" / "b" / "._x.jpg").write_bytes(_APPLE_DOUBLE)  # a Mac's metadata: left out, said
    out = tmp_path / "audit.jsonl"
    db = tmp_path / "reg.db"
    args = ["validate", "-s", str(NORTHWIND), str(tmp_path / "lib"), "--jobs", "1", "--out", str(out), "--db", str(db)]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == EXIT_USAGE, result.stdout  # one file unreadable
    lines = _file_lines(out)
    records = [
        AuditRecord.model_validate({k: v for k, v in line.items() if k not in ("ts", "event")}) for line in lines
    ]
    assert sorted(r.path for r in records) == sorted(str(p) for p in files.values())
    by_rel = {r.rel: r for r in records}
    broken = by_rel["b/broken.png"]
    assert broken.state == "unreadable" and broken.sha256 is not None and broken.report is None
    assert broken.error is not None and str(files["b/broken.png"]) in broken.error
    for rel in ("a.png", "b/x.jpg", "b/deep/y.png"):
        record = by_rel[rel]
        assert record.state == "passed" and record.checks == {"technical": CheckStatus.passed}
        assert record.report is not None and record.report["passed"] is True
        assert record.sha256 == hashlib.sha256(files[rel].read_bytes()).hexdigest()
    last = read_journal(out)[0][-1]
    assert last["event"] == "summary"
    summary = AuditSummary.model_validate({k: v for k, v in last.items() if k not in ("ts", "event")})
    assert (summary.files, summary.passed, summary.unreadable) == (4, 3, 1)
    document = json.loads(result.stdout)
    assert document["audit"] == summary.model_dump(mode="json")
    assert "[4/4]" in result.stderr and "ETA" in result.stderr and "Traceback" not in result.stderr
    assert "left out: 1 macOS metadata file(s) (AppleDouble ._name, not images): " in result.stderr
    # the library's notes.txt is named, its image record (b/a.png.json) is not
    assert f"left out: 1 other file(s), not images brandkit reads (.txt 1): {tmp_path / 'lib' / 'notes.txt'}" in (
        result.stderr
    )
    start = read_journal(out)[0][0]
    assert start["event"] == "start" and (start["files"], start["skipped_metadata"]) == (4, 1)
    assert start["other_files"] == {".txt": 1}
    # the registry: every file that was read is recorded, the unreadable one is not
    with Registry.open(db) as registry:
        rows = registry.list_assets()
    assert sorted(Path(row.path).name for row in rows) == ["a.png", "x.jpg", "y.png"]
    for row in rows:  # the hash the audit took of the bytes it checked (not a second read of the file)
        assert row.content_hash == hashlib.sha256(Path(row.path).read_bytes()).hexdigest()
        assert row.content_hash == next(r.sha256 for r in records if Path(r.path).resolve() == Path(row.path))
    assert document["registry"]["recorded"] == 3


def test_a_file_name_cannot_drive_the_terminal(light_cli: None, tmp_path: Path, rendered: Image.Image) -> None:
    # names an uploaded library may hold: an escape sequence that moves the cursor up and erases the line above
    # (a failed file's line), one that recolours, a newline that writes a fake result line of its own
    lib = tmp_path / "lib"
    lib.mkdir()
    names = ["up\x1b[1A\x1b[2Kx.png", "red\x1b[32mok.png", "two\n✓ passed fake.png", "c1\x9bx.png"]
    for name in names:
        rendered.resize((64, 64)).save(lib / name, format="PNG")
    (lib / "bad\x1b[0m.png").write_bytes(b"not an image")
    out = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(app, ["validate", "-s", str(NORTHWIND), str(lib), "--jobs", "1", "--out", str(out)])
    assert result.exit_code == EXIT_USAGE  # one unreadable file
    for stream in (result.stdout, result.stderr):
        assert not any(ch in stream for ch in "\x1b\x9b"), stream
        assert "\n✓ passed fake.png" not in stream
    for shown in ("up\\x1b[1A\\x1b[2Kx.png", "red\\x1b[32mok.png", "two\\n✓ passed fake.png", "c1\\x9bx.png"):
        assert shown in result.stdout and shown in result.stderr  # the result lines and the progress lines
    assert "bad\\x1b[0m.png" in result.stdout  # the unreadable file, named in its line and in the summary
    # the JSONL keeps every name exactly (a program reads it, not a terminal)
    assert sorted(Path(line["path"]).name for line in _file_lines(out)) == sorted([*names, "bad\x1b[0m.png"])


def test_shards_of_the_command_cover_the_library_once(light_cli: None, tmp_path: Path, rendered: Image.Image) -> None:
    files = _library(tmp_path / "lib", rendered)
    seen: list[str] = []
    for index in (1, 2, 3):
        out = tmp_path / f"shard{index}.jsonl"
        args = [
            "validate",
            "-s",
            str(NORTHWIND),
            str(tmp_path / "lib"),
            "-j",
            "1",
            "--shard",
            f"{index}/3",
            "-o",
            str(out),
        ]
        result = CliRunner().invoke(app, args)
        assert result.exit_code in (0, EXIT_USAGE) and "Traceback" not in result.stderr
        seen.extend(line["path"] for line in _file_lines(out))
    assert sorted(seen) == sorted(str(p) for p in files.values())
    bad = CliRunner().invoke(app, ["validate", "-s", str(NORTHWIND), str(tmp_path / "lib"), "--shard", "4/3"])
    assert bad.exit_code == EXIT_USAGE and "--shard '4/3'" in bad.stderr
    no_out = CliRunner().invoke(app, ["validate", "-s", str(NORTHWIND), str(tmp_path / "lib"), "--resume"])
    assert no_out.exit_code == EXIT_USAGE and "resume needs" in no_out.stderr


@pytest.mark.slow
def test_resume_after_kill_checks_every_file_exactly_once(tmp_path: Path, rendered: Image.Image) -> None:
    """A real ``brandkit validate`` (two worker processes) killed with SIGKILL midway; --resume finishes the rest."""
    import psutil

    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(10):
        rendered.resize((64 + 8 * i, 64 + 8 * i)).save(lib / f"img{i:02d}.png")
    (lib / "zz-broken.png").write_bytes(b"broken")
    out = tmp_path / "audit.jsonl"
    command = [
        sys.executable,
        "-m",
        "brandkit.cli",
        "validate",
        "-s",
        str(NORTHWIND),
        str(lib),
        "-j",
        "2",
        "-o",
        str(out),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_file_lines(out)) < 3:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no file finished within 120 s"
            time.sleep(0.05)
        workers = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    # the workers notice their parent is gone and end instead of running on as orphans
    _gone, alive = psutil.wait_procs(workers, timeout=20)
    assert alive == [], f"orphaned workers still running: {alive}"
    done_before = [line["path"] for line in _file_lines(out)]
    assert 3 <= len(done_before) < 11
    with out.open("ab") as handle:  # a torn last line, as a kill during a write leaves it
        handle.write(b'{"ts":1,"event":"file","path":"' + str(lib / "img09.png").encode())
    changed = Path(done_before[0])
    if changed.name != "zz-broken.png":
        rendered.resize((50, 50)).save(changed)  # changed since: its old line does not count
    again = [*command[:-4], "-j", "1", "-o", str(out), "--resume", "--json"]  # one process is enough now
    resumed = subprocess.run(again, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == EXIT_USAGE, resumed.stderr  # the broken file is unreadable
    document = json.loads(resumed.stdout)
    summary = document["audit"]
    skipped = len(done_before) - (1 if changed.name != "zz-broken.png" else 0)
    assert (summary["files"], summary["resumed"], summary["checked"]) == (11, skipped, 11 - skipped)
    final = _file_lines(out)
    every = sorted(str(p) for p in lib.iterdir())
    # every file exactly once, except the one changed after it was checked: checked again
    counts = {path: sum(1 for line in final if line["path"] == path) for path in every}
    expected = {path: 2 if Path(path) == changed and changed.name != "zz-broken.png" else 1 for path in every}
    assert counts == expected
    redone = changed.name != "zz-broken.png"
    todo = [path for path in every if path not in done_before or (redone and Path(path) == changed)]
    assert [entry["path"] for entry in document["images"]] == todo


@pytest.mark.slow
def test_two_jobs_give_the_same_results_as_one(tmp_path: Path, rendered: Image.Image) -> None:
    files = _library(tmp_path / "lib", rendered, sizes=(200, 160, 240))
    spec = brandkit.load_spec(NORTHWIND)
    runs = []
    for jobs in (1, 2):
        run = audit(spec, [tmp_path / "lib"], jobs=jobs, out=tmp_path / f"j{jobs}.jsonl")
        records = sorted((item.record for item in run), key=lambda r: r.path)
        assert run.summary.files == len(files)
        runs.append((records, run.summary))

    def untimed(value: Any) -> Any:  # everything but the timings (elapsed_ms, ocr_ms, …)
        if isinstance(value, dict):
            return {k: untimed(v) for k, v in value.items() if not k.endswith("_ms")}
        return [untimed(v) for v in value] if isinstance(value, list) else value

    def comparable(record: AuditRecord) -> Any:
        return untimed(record.model_dump(mode="json"))

    assert [comparable(r) for r in runs[0][0]] == [comparable(r) for r in runs[1][0]]
    assert runs[0][1] == runs[1][1]
    assert {r.state for r in runs[0][0]} >= {"unreadable"} and len(runs[0][0]) == 4


# --- warm-up before the workers ------------------------------------------------------------------------------


def _palette_details(run: Any) -> dict[str, dict[str, Any]]:
    """The palette check's details of each file of ``run`` (iterated here), by relative path."""
    found = {}
    for item in run:
        report = item.record.report
        assert report is not None, item.record
        found[item.record.rel] = report["checks"]["palette"]["details"]
    return found


@pytest.mark.slow
def test_a_warmed_audit_looks_the_palette_figures_up_and_a_cold_one_computes_them(
    tmp_path: Path, rendered: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    rendered.resize((128, 128)).save(lib / "a.png")
    rendered.convert("RGB").resize((160, 160)).save(lib / "b.jpg", quality=90)
    spec = brandkit.load_spec(NORTHWIND)
    monkeypatch.setenv("BRANDKIT_CACHE_DIR", str(tmp_path / "cold-cache"))
    cold = audit(spec, [lib], jobs=1)
    assert cold.warm is False  # two files: below WARM_MIN_FILES, nothing is built
    cold_details = _palette_details(cold)
    assert [d["figures_path"] for d in cold_details.values()] == ["per-image", "per-image"]
    assert not any((tmp_path / "cold-cache").rglob("*.gamut"))
    monkeypatch.setenv("BRANDKIT_CACHE_DIR", str(tmp_path / "warm-cache"))
    warmed = audit(spec, [lib], jobs=1, warm=True)
    warm_details = _palette_details(warmed)
    assert [d["figures_path"] for d in warm_details.values()] == ["gamut-table", "gamut-table"]
    assert any((tmp_path / "warm-cache").rglob("*.gamut"))
    for rel, details in warm_details.items():  # the table holds the exact values: every other figure is the same
        assert {k: v for k, v in details.items() if k != "figures_path"} == {
            k: v for k, v in cold_details[rel].items() if k != "figures_path"
        }


def test_an_audit_of_many_files_warms_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for n in range(3):
        Image.new("RGB", (8, 8), (n, n, n)).save(lib / f"{n}.png")
    spec = brandkit.load_spec(NORTHWIND)
    assert audit(spec, [lib], jobs=1).warm is False
    monkeypatch.setattr("brandkit.audit.run.WARM_MIN_FILES", 3)
    assert audit(spec, [lib], jobs=1).warm is True
    assert audit(spec, [lib], jobs=1, warm=False).warm is False


def test_a_bare_photograph_is_ranked_by_its_off_brand_share_beside_an_ad(tmp_path: Path, rendered: Image.Image) -> None:
    # a photograph has no brand zones, so no off-palette share: the audit ranked only ads (a passing ad at 0.2 %
    # was a library's "most off-palette" file while photographs 40 % off-brand were not listed at all)
    import numpy as np

    from brandkit.audit.reading import read_audit

    rng = np.random.default_rng(5)
    violet = np.zeros((384, 384, 3), dtype=np.int16)  # a violet photograph, far from Northwind's warm range
    violet[:] = (150, 30, 170)
    violet += rng.integers(-12, 13, size=violet.shape, dtype=np.int16)
    library = tmp_path / "lib"
    library.mkdir()
    Image.fromarray(np.clip(violet, 0, 255).astype(np.uint8)).save(library / "violet.png")
    rendered.save(library / "ad.png")
    out = tmp_path / "audit.jsonl"
    run = audit(brandkit.load_spec(NORTHWIND), [library], jobs=1, out=out)
    records = {item.record.rel: item.record for item in run}
    photo, ad = records["violet.png"], records["ad.png"]
    assert photo.off_palette_share is None  # no brand zones: nothing judged pixel by pixel
    assert photo.report is not None
    details = photo.report["checks"]["palette"]["details"]
    assert details["regions"]["photo_share"] == 1.0 and details["photo"]["off_brand_share"] > 0.5
    assert photo.off_brand_share == details["photo"]["off_brand_share"]  # the whole image is photo
    assert ad.report is not None
    details = ad.report["checks"]["palette"]["details"]
    regions, photo_rule = details["regions"], details["photo"]
    expected = regions["brand_zone_share"] * details["off_palette_share"]
    expected += regions["photo_share"] * photo_rule["off_brand_share"]
    assert ad.off_brand_share == pytest.approx(expected, abs=1e-6) and ad.off_brand_share < photo.off_brand_share
    assert run.summary.worst_by_off_palette[0].path == photo.path
    assert run.summary.worst_by_off_palette[0].off_brand_share == photo.off_brand_share
    # a line written before the figure existed gets it from its report when read back (resume, audit summary)
    lines = out.read_text().splitlines()
    old = [json.loads(line) for line in lines]
    for line in old:
        line.pop("off_brand_share", None)
    out.write_text("".join(json.dumps(line) + "\n" for line in old))
    read_back = {record.rel: record for _, record in read_audit(out, reports=False).files}
    assert read_back["violet.png"].off_brand_share == photo.off_brand_share
    assert read_back["ad.png"].off_brand_share == ad.off_brand_share
