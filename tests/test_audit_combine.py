"""Audits of one library split into shards, combined into one summary (``brandkit audit summary``, the SDK's
``combine_audits``), and ``--resume`` that checks a file again when the brand or the expected copy changed.

Real files, real JSONL written by real ``brandkit validate`` runs (the technical check only, so the runs are quick:
the files, the journal, the shards and the summary arithmetic are what is tested)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

import brandkit
from brandkit.audit import AuditSummary, audit, combine_audits, record_combined, shard_of
from brandkit.audit.records import RECORD_REVISION
from brandkit.checks.technical import TechnicalCheck
from brandkit.cli import EXIT_CHECKS, EXIT_OK, EXIT_USAGE, app
from brandkit.errors import RequestError
from brandkit.jsonl import read_journal

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
UBUNTU = ROOT / "brand_specs" / "ubuntu"


@pytest.fixture
def light_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kits made in this process run only the technical check (files, JSONL and summary stay real)."""
    monkeypatch.setattr("brandkit.kit.default_checks", lambda: [TechnicalCheck()])


def _library(root: Path, count: int = 9) -> list[Path]:
    """``count`` small images in two folders (the fifth in greyscale: the technical check fails it), and a broken
    one."""
    (root / "sub").mkdir(parents=True)
    files = []
    for n in range(count):
        folder = root if n % 2 else root / "sub"
        path = folder / f"img{n}.png"
        image = Image.new("RGB", (64, 64), (20 * n, 90, 200 - 10 * n))
        (image.convert("L") if n == 4 else image).save(path)  # 8-bit grey: not the RGB/RGBA an asset must be
        files.append(path)
    broken = root / "sub" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return [*files, broken]


def _validate(spec: Path, lib: Path, out: Path, *extra: str) -> Any:
    args = ["validate", "-s", str(spec), str(lib), "-j", "1", "-o", str(out), *extra]
    result = CliRunner().invoke(app, args)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _summary_line(path: Path) -> AuditSummary:
    last = read_journal(path)[0][-1]
    assert last["event"] == "summary"
    return AuditSummary.model_validate({k: v for k, v in last.items() if k not in ("ts", "event")})


def _same_results(a: AuditSummary, b: AuditSummary) -> None:
    keys = ("files", "passed", "failed", "unreadable", "pass_rate", "checks", "worst_by_score", "worst_by_off_palette")
    assert {k: getattr(a, k) for k in keys} == {k: getattr(b, k) for k in keys}
    assert sorted(a.unreadable_files) == sorted(b.unreadable_files)


def test_the_shards_combined_give_the_whole_audit_summary(light_cli: None, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    _library(lib)
    whole = tmp_path / "whole.jsonl"
    _validate(NORTHWIND, lib, whole)
    expected = _summary_line(whole)
    assert (expected.files, expected.failed, expected.unreadable) == (10, 1, 1)  # the library is worth testing
    shards = [tmp_path / f"audit-{i}.jsonl" for i in (1, 2, 3)]
    for index, out in enumerate(shards, start=1):
        _validate(NORTHWIND, lib, out, "--shard", f"{index}/3")
        assert _summary_line(out).shard == f"{index}/3"
        assert _summary_line(out).spec_fingerprint == brandkit.load_spec(NORTHWIND).fingerprint
    assert all(_summary_line(out).files < expected.files for out in shards)  # each shard is a part

    combined = combine_audits(list(reversed(shards)))
    pattern = combine_audits([str(tmp_path / "audit-*.jsonl")])  # a pattern passed on unexpanded: the same files
    assert [source.path for source in pattern.sources] == [str(out) for out in shards]  # sorted
    assert pattern.summary == combined.summary
    _same_results(combined.summary, expected)
    assert combined.complete and combined.problems() == [] and combined.repeated == []
    assert combined.shard_count == 3 and combined.missing_shards == []
    assert (combined.library_files, combined.libraries) == (10, 1)  # every start line names the same whole list
    assert sorted(source.shard or "" for source in combined.sources) == ["1/3", "2/3", "3/3"]
    assert sum(source.files for source in combined.sources) == 10

    # the command: the same summary, exit 2 (an unreadable file) as validate would
    result = CliRunner().invoke(app, ["audit", "summary", *map(str, shards), "--json"])
    assert result.exit_code == EXIT_USAGE, result.stdout
    document = json.loads(result.stdout)
    assert document["complete"] is True and document["problems"] == []
    _same_results(AuditSummary.model_validate(document["summary"]), expected)
    table = CliRunner().invoke(app, ["audit", "summary", *map(str, shards)])
    assert "10 file(s): 8 passed, 1 failed, 1 unreadable" in table.stdout
    assert "pass rate per check" in table.stdout and "shard 2/3" in table.stdout


def test_a_missing_shard_or_an_unfinished_run_is_named_and_exits_2(light_cli: None, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    files = _library(lib)
    files[9].unlink()  # no unreadable file: the results alone would exit 1 (one failed file) or 0
    shards = [tmp_path / f"audit-{i}.jsonl" for i in (1, 2, 3)]
    for index, out in enumerate(shards, start=1):
        _validate(NORTHWIND, lib, out, "--shard", f"{index}/3")
    failing = next(out for out in shards if _summary_line(out).failed)  # the shard holding the grey image
    others = [out for out in shards if out != failing]

    partial = combine_audits([failing, others[0]])
    missing = _summary_line(others[1]).shard
    assert partial.missing_shards == [missing] and not partial.complete
    assert partial.problems() == [f"shard {missing} is missing"]
    result = CliRunner().invoke(app, ["audit", "summary", str(failing), str(others[0])])
    assert result.exit_code == EXIT_USAGE and f"shard {missing} is missing" in result.stderr
    allowed = CliRunner().invoke(app, ["audit", "summary", str(failing), str(others[0]), "--allow-partial"])
    assert allowed.exit_code == EXIT_CHECKS  # what is there: one failed file
    complete = CliRunner().invoke(app, ["audit", "summary", *map(str, others)])
    assert "is missing" in complete.stderr and complete.exit_code == EXIT_USAGE

    # a run killed after its first file: its start line still names the shard and how many files it holds
    lines = others[0].read_bytes().splitlines(keepends=True)
    assert json.loads(lines[0])["event"] == "start" and json.loads(lines[-1])["event"] == "summary"
    total = json.loads(lines[0])["files"]
    assert total == len(lines) - 2 >= 2
    others[0].write_bytes(b"".join(lines[:2]) + lines[2][:10])  # the start, one file, a torn line
    unfinished = combine_audits(shards)
    assert unfinished.missing_shards == [] and not unfinished.complete
    assert [s.finished for s in unfinished.sources] == [s != others[0] for s in shards]
    assert unfinished.problems() == [
        f"{others[0]}: the run did not finish (no summary line at its end; it holds 1 of {total} files)"
    ]
    assert unfinished.summary.files == 9 - (total - 1)  # what was checked is counted, and no more
    assert next(s for s in unfinished.sources if s.path == str(others[0])).skipped_lines == 1  # the torn line


def test_shards_cut_from_different_file_lists_are_named(light_cli: None, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    files = _library(lib, count=6)
    first, second = tmp_path / "audit-1.jsonl", tmp_path / "audit-2.jsonl"
    _validate(NORTHWIND, lib, first, "--shard", "1/2")
    late = next(lib / f"late{i}.png" for i in range(100) if shard_of(f"late{i}.png", 2) == 2)  # shard 2's
    Image.new("RGB", (64, 64), (9, 9, 9)).save(late)  # the library grew between the two machines' runs
    _validate(NORTHWIND, lib, second, "--shard", "2/2")
    combined = combine_audits([first, second])
    assert combined.missing_shards == [] and combined.libraries == 2 and combined.library_files is None
    assert not combined.complete
    assert combined.problems() == [
        "the runs were cut from 2 different file lists (files added, removed or renamed between them, or another "
        "folder): the shards do not partition one library"
    ]
    result = CliRunner().invoke(app, ["audit", "summary", str(first), str(second)])
    assert result.exit_code == EXIT_USAGE and "2 different file lists" in result.stderr
    late.unlink()  # the same list again: shard 2 run once more, the latest start line counts
    _validate(NORTHWIND, lib, second, "--shard", "2/2", "--resume")
    again = combine_audits([first, second])
    assert again.libraries == 1 and again.library_files == len(files)
    # the late file, checked by the earlier run of shard 2, is still in that file: counted, and named as stale
    assert again.summary.files == len(files) + 1
    held = next(source for source in again.sources if source.path == str(second))
    assert again.problems() == [
        f"{second}: holds results for {held.files} files, its last run's list has {held.files - 1}: files checked "
        "by an earlier run are no longer in the library (audit it afresh into a new file)"
    ]


def test_a_file_checked_in_two_runs_keeps_the_latest_result(light_cli: None, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    files = _library(lib)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    _validate(NORTHWIND, lib, first)
    Image.new("RGB", (256, 256), (1, 2, 3)).save(files[4])  # the failing image mended, then checked again
    _validate(NORTHWIND, files[4], second)
    combined = combine_audits([second, first])  # order does not matter: the later check wins
    assert combined.repeated == [str(files[4])]
    assert (combined.summary.files, combined.summary.failed, combined.summary.passed) == (10, 0, 9)
    assert combined.shard_count is None and combined.missing_shards == [] and combined.complete


def test_what_cannot_make_one_audit_is_refused_naming_the_files(light_cli: None, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    _library(lib, count=3)
    northwind, ubuntu = tmp_path / "northwind.jsonl", tmp_path / "ubuntu.jsonl"
    _validate(NORTHWIND, lib, northwind)
    _validate(UBUNTU, lib, ubuntu)
    with pytest.raises(RequestError, match="different specs") as caught:
        combine_audits([northwind, ubuntu])
    assert str(northwind) in str(caught.value) and str(ubuntu) in str(caught.value) and caught.value.field == "files"
    result = CliRunner().invoke(app, ["audit", "summary", str(northwind), str(ubuntu)])
    assert result.exit_code == EXIT_USAGE and "different specs" in result.stderr

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _validate(NORTHWIND, lib, a, "--shard", "1/2")
    _validate(NORTHWIND, lib, b, "--shard", "1/3")
    with pytest.raises(RequestError, match="shards of different counts"):
        combine_audits([a, b])
    with pytest.raises(RequestError, match=r"nothing-\*\.jsonl: the pattern matches no audit file"):
        combine_audits([str(tmp_path / "nothing-*.jsonl")])
    with pytest.raises(RequestError, match="no such audit file") as missing:
        combine_audits([a, tmp_path / "gone.jsonl"])
    assert missing.value.value == str(tmp_path / "gone.jsonl")
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text('{"event": "something else"}\nnot json\n')
    with pytest.raises(RequestError, match="holds no audit line"):
        combine_audits([foreign])
    with pytest.raises(RequestError, match="at least one"):
        combine_audits([])


def test_resume_checks_again_what_was_checked_against_another_spec_or_copy(light_cli: None, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    _library(lib, count=4)
    spec_dir = tmp_path / "brand"
    shutil.copytree(NORTHWIND, spec_dir)
    out = tmp_path / "audit.jsonl"
    spec = brandkit.load_spec(spec_dir)
    run = audit(spec, [lib], jobs=1, out=out)
    assert len(list(run)) == 5
    again = audit(spec, [lib], jobs=1, out=out, resume=True)
    assert (again.resumed, again.rechecked, len(again.todo)) == (5, 0, 0)  # nothing changed: nothing to check

    # lines an older brandkit wrote (before record revisions: their off_palette_share meant ΔE > 20) are checked
    # again, never mixed with this version's figures
    lines = out.read_text(encoding="utf-8").splitlines()
    older = [json.loads(line) for line in lines]
    for line in older[1:3]:
        if line.get("event") == "file":
            line.pop("revision")
    out.write_text("".join(json.dumps(line) + "\n" for line in older), encoding="utf-8")
    revision = RECORD_REVISION
    with pytest.raises(
        RequestError, match=rf"record revisions none \(.*\), {revision} \(|record revisions {revision} \(.*\), none \("
    ):
        combine_audits([out])  # old and new figures in one summary: refused
    upgraded = audit(spec, [lib], jobs=1, out=out, resume=True)
    stale = sum(1 for line in older[1:3] if line.get("event") == "file")
    assert (upgraded.resumed, upgraded.rechecked) == (5 - stale, stale) and stale > 0
    assert {item.record.revision for item in upgraded} == {RECORD_REVISION}
    assert combine_audits([out]).summary.files == 5  # the older lines are superseded: one revision again

    # the brand changes (one colour): every file is checked again, and the records say against which spec
    yaml = spec_dir / "brand.yaml"
    yaml.write_text(yaml.read_text().replace('hex: "#7A9E7E"', 'hex: "#7A9E80"'))
    changed = brandkit.load_spec(spec_dir)
    assert changed.fingerprint != spec.fingerprint
    rerun = audit(changed, [lib], jobs=1, out=out, resume=True)
    assert (rerun.resumed, rerun.rechecked, len(rerun.todo)) == (0, 5, 5)
    assert {item.record.spec_fingerprint for item in rerun} == {changed.fingerprint}
    assert audit(changed, [lib], jobs=1, out=out, resume=True).resumed == 5

    # the caller's expected copy (or format) is part of what a file was checked against
    request = brandkit.AssetRequest(brief="validate", headline="Slow mornings")
    with_copy = audit(changed, [lib], jobs=1, out=out, resume=True, expected=request)
    assert (with_copy.resumed, with_copy.rechecked) == (0, 5)
    assert {item.record.expectation for item in with_copy} == {with_copy.expectation} != {None}
    assert audit(changed, [lib], jobs=1, out=out, resume=True, expected=request).resumed == 5

    # the command says so
    result = _validate(spec_dir, lib, out, "--resume")  # back to each image's provenance: checked again
    assert "checked again: 5 file(s)" in result.stderr
    assert result.exit_code in (EXIT_OK, EXIT_CHECKS, EXIT_USAGE)
    # the file now holds runs against two versions of the brand; its latest lines are all of the last one, so it
    # combines as one audit of that version
    combined = combine_audits([out])
    assert combined.summary.spec_fingerprint == changed.fingerprint and combined.summary.files == 5
    # a run against the new version killed midway leaves lines of both: refused, naming the file
    yaml.write_text(yaml.read_text().replace('hex: "#7A9E80"', 'hex: "#7A9E82"'))
    newest = brandkit.load_spec(spec_dir)
    events = read_journal(out)[0]
    stale = audit(newest, [lib], jobs=1, out=out, resume=True)
    next(iter(stale))  # one file checked, then the run stops (as if killed: no summary line)
    with pytest.raises(RequestError, match="different specs"):
        combine_audits([out])
    assert len(read_journal(out)[0]) == len(events) + 2  # the start line and one file line


def _registry_rows(db: Path) -> list[Any]:
    from brandkit.registry.store import Registry

    with Registry.open(db) as registry:
        return registry.list_assets()


def test_the_shards_recorded_in_one_registry(light_cli: None, tmp_path: Path) -> None:
    """``audit summary --db --spec``: every file read, with the report and content hash its JSONL line holds, in one
    registry — once (the same audits combined again add nothing); the spec checked; files moved or changed since
    the audit are named."""
    from brandkit.audit import file_digest

    lib = tmp_path / "lib"
    files = _library(lib)
    shards = [tmp_path / f"audit-{i}.jsonl" for i in (1, 2, 3)]
    for index, out in enumerate(shards, start=1):
        _validate(NORTHWIND, lib, out, "--shard", f"{index}/3")
    db = tmp_path / "review" / "brandkit.db"
    (tmp_path / "review").mkdir()
    args = ["audit", "summary", *map(str, shards), "--db", str(db), "--spec", str(NORTHWIND), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == EXIT_USAGE, result.stdout  # the broken file, as validate would exit
    recorded = json.loads(result.stdout)["registry"]
    assert (recorded["recorded"], recorded["already"], recorded["unreadable"]) == (9, 0, 1)
    assert (recorded["not_here"], recorded["changed"], recorded["warnings"]) == (0, 0, [])
    lines = {line.path: line for line in combine_audits(shards).records}
    rows = _registry_rows(db)
    assert sorted(Path(row.path) for row in rows) == sorted(f.resolve() for f in files[:9])  # not the broken one
    for row in rows:
        line = lines[str(Path(row.path))]
        assert row.kind == "validate" and row.run_id == recorded["run_id"]
        assert row.content_hash == file_digest(Path(row.path)) == line.sha256
        assert row.passed is (line.state == "passed")
        assert row.checks == {name: status.value for name, status in line.checks.items()}
        assert row.spec_fingerprint == brandkit.load_spec(NORTHWIND).fingerprint
    assert sum(not row.passed for row in rows) == 1  # the grey image

    again = json.loads(CliRunner().invoke(app, args).stdout)["registry"]
    assert (again["recorded"], again["already"], again["run_id"]) == (0, 9, None)  # no run without a record
    assert len(_registry_rows(db)) == 9
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT id, command FROM runs").fetchall() == [(recorded["run_id"], "audit summary")]

    # a file changed and one moved since the audit: recorded (the verdict is on the bytes checked), and named
    files[1].write_bytes(files[3].read_bytes())
    files[2].rename(tmp_path / "moved.png")
    other = tmp_path / "other.db"
    table = CliRunner().invoke(app, [*args[:-5], "--db", str(other), "--spec", str(NORTHWIND)])
    assert "recorded 9 file(s)" in table.stderr and "1 unreadable (not recorded)" in table.stderr
    assert "1 are not at their audited path on this machine and 1 hold other bytes" in table.stderr
    assert len(_registry_rows(other)) == 9


def test_recording_a_combination_needs_its_spec_and_a_complete_one(light_cli: None, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    _library(lib)
    shards = [tmp_path / f"audit-{i}.jsonl" for i in (1, 2)]
    for index, out in enumerate(shards, start=1):
        _validate(NORTHWIND, lib, out, "--shard", f"{index}/2")
    db = tmp_path / "brandkit.db"

    no_spec = CliRunner().invoke(app, ["audit", "summary", *map(str, shards), "--db", str(db)])
    assert no_spec.exit_code == EXIT_USAGE and "--db needs --spec" in no_spec.stderr
    no_db = CliRunner().invoke(app, ["audit", "summary", *map(str, shards), "-s", str(NORTHWIND)])
    assert no_db.exit_code == EXIT_USAGE and "--spec is read with --db only" in no_db.stderr  # never dropped silently
    wrong = CliRunner().invoke(app, ["audit", "summary", *map(str, shards), "--db", str(db), "-s", str(UBUNTU)])
    assert wrong.exit_code == EXIT_USAGE
    assert "is not the spec these audits were made against" in wrong.stderr
    assert brandkit.load_spec(NORTHWIND).fingerprint[:12] in wrong.stderr
    assert not db.exists()  # refused before anything was opened
    with pytest.raises(RequestError, match="is not the spec these audits were made against") as refused:
        record_combined(combine_audits(shards), db, brandkit.load_spec(UBUNTU))
    assert refused.value.field == "spec" and not db.exists()

    partial = ["audit", "summary", str(shards[0]), "--db", str(db), "-s", str(NORTHWIND), "--json"]
    result = CliRunner().invoke(app, partial)
    assert result.exit_code == EXIT_USAGE and json.loads(result.stdout)["registry"] is None
    assert "not recorded" in result.stderr and not db.exists()
    # a registry that cannot be written: each file a warning, and exit 2 even when every file passed
    good = tmp_path / "good"
    good.mkdir()
    for n in range(2):
        Image.new("RGB", (64, 64), (40 * n, 90, 200)).save(good / f"ok{n}.png")
    passing = tmp_path / "good.jsonl"
    assert _validate(NORTHWIND, good, passing).exit_code == EXIT_OK
    broken = CliRunner().invoke(app, ["audit", "summary", str(passing), "-s", str(NORTHWIND), "--db", "/proc/x.db"])
    assert broken.exit_code == EXIT_USAGE and "cannot open the registry" in broken.stderr
    assert "2 not recorded (registry failure)" in broken.stderr
    allowed = json.loads(CliRunner().invoke(app, [*partial, "--allow-partial"]).stdout)["registry"]
    held = len(combine_audits([shards[0]]).records)
    assert allowed["recorded"] + allowed["unreadable"] == held > 0
    assert len(_registry_rows(db)) == allowed["recorded"]


def test_a_report_read_back_from_its_json_form() -> None:
    from brandkit.models import CheckResult, CheckStatus, ValidationReport

    report = ValidationReport(checks={"technical": CheckResult(name="technical", status=CheckStatus.failed, score=0.2)})
    data = report.model_dump_report()
    assert data["passed"] is False
    assert ValidationReport.from_report_json(data) == report
    with pytest.raises(ValueError, match="disagrees with its checks"):
        ValidationReport.from_report_json({**data, "passed": True})


def test_what_is_kept_in_memory_leaves_the_reports_out(light_cli: None, tmp_path: Path) -> None:
    """A report is ~20× the rest of a file's line: the run's summary records, resume and the combination read the
    lines without it (the JSONL keeps it); the combination keeps it when asked, for the registry."""
    from brandkit.audit import read_audit, record_combined
    from brandkit.jsonl import iter_journal

    lib = tmp_path / "lib"
    _library(lib)
    out = tmp_path / "audit.jsonl"
    spec = brandkit.load_spec(NORTHWIND)
    run = audit(spec, [lib], jobs=1, out=out)
    items = list(run)
    assert all(item.record.report is not None for item in items if item.record.state != "unreadable")  # as before
    assert [r.report for r in run._records] == [None] * len(items)  # what the summary keeps
    with_reports = read_audit(out)
    without = read_audit(out, reports=False)
    assert [r.report is None for _, r in without.files] == [True] * len(items)
    assert [(ts, r.model_copy(update={"report": None})) for ts, r in with_reports.files] == without.files
    assert (without.heads, without.skipped, without.last_event) == (
        with_reports.heads,
        with_reports.skipped,
        with_reports.last_event,
    )

    slim = combine_audits([out])
    assert all(r.report is None for r in slim.records) and len(slim.records) == len(items)
    # the registry reads each kept line's report again, a line at a time: the slim combination records them all
    recorded = record_combined(slim, tmp_path / "brandkit.db", spec)
    assert (recorded.recorded, recorded.unreadable) == (9, 1)

    # a later line of one path wins, its report read from its own line (and a report that is not one is refused)
    winner = next(r for _, r in with_reports.files if r.state == "passed")
    line = {"ts": 9e9, "event": "file", **winner.model_dump(mode="json")}
    line["report"] = {**line["report"], "checks": "not a mapping"}
    with out.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
    again = combine_audits([out])
    assert again.chosen_lines(str(out)) == frozenset(range(len(items) + 1)) - {
        next(i for i, (_, r) in enumerate(read_audit(out, reports=False).files) if r.path == winner.path)
    }
    refused = record_combined(again, tmp_path / "other.db", spec)
    assert (refused.recorded, refused.unrecorded, refused.unreadable) == (8, 1, 1)
    assert (
        len(refused.warnings) == 1 and winner.path in refused.warnings[0] and "no usable report" in refused.warnings[0]
    )

    # the journal is read a line at a time: a torn last line is one skipped line, as before
    before = read_audit(out, reports=False).skipped
    with out.open("ab") as handle:
        handle.write(b'{"ts": 1, "event": "fi')
    assert list(iter_journal(out))[-1] is None
    assert read_audit(out, reports=False).skipped == before + 1
    assert read_journal(out)[1] == before + 1  # the list reader counts it the same way
    assert list(iter_journal(tmp_path / "missing.jsonl")) == []
