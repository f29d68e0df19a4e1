"""The asset registry: schema and migrations, append-only review events, recording, filters, metrics, export."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from brandkit.errors import AssetNotFoundError, OutputError, RegistryError, RequestError, ReviewStateError
from brandkit.registry import AssetFilter, Metrics, Registry, ReviewState, default_db_path
from brandkit.registry.export import export_approved
from brandkit.registry.schema import LATEST, migrate
from tests.registry_support import attempt, record


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    registry = Registry.open(tmp_path / "brandkit.db")
    yield registry  # type: ignore[misc]
    registry.close()


def test_a_v1_database_is_migrated_in_place_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    assert migrate(db, str(path), upto=1) == 1
    db.execute("INSERT INTO runs (id, command, started_at) VALUES ('r1', 'generate', '2026-01-01T00:00:00+00:00')")
    db.execute(
        "INSERT INTO assets (kind, content_hash, key, path, spec_name, spec_fingerprint, request_json, run_id, "
        "created_at, passed) VALUES ('generate', 'h', 'k', '/x.png', 'N', 'f', ?, 'r1', '2026-01-01T00:00:00Z', 1)",
        (json.dumps({"brief": "b", "format": "banner", "locale": "de"}),),
    )
    db.execute("INSERT INTO review_events (asset_id, reviewer, at, state) VALUES (1, 'ann', '2026-01-02', 'approved')")
    db.close()
    with Registry.open(path) as registry:
        (row,) = registry.list_assets()
        assert (row.format, row.locale, row.state) == ("banner", "de", ReviewState.approved)
    db = sqlite3.connect(path)
    versions = [v for (v,) in db.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, LATEST + 1))
    indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"review_events_asset", "assets_key"} <= indexes
    db.close()


def test_a_database_from_a_newer_brandkit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Registry.open(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_version VALUES (?, 'later')", (LATEST + 1,))
    db.commit()
    db.close()
    with pytest.raises(RegistryError, match=f"schema version {LATEST + 1} is newer"):
        Registry.open(path)


def test_not_a_database_is_a_registry_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(RegistryError, match="junk.db") as info:
        Registry.open(path)
    assert info.value.path == str(path)
    with pytest.raises(RegistryError, match="not a file"):
        Registry.open(tmp_path)


def test_wal_and_foreign_keys_are_on(reg: Registry, tmp_path: Path) -> None:
    db = sqlite3.connect(reg.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    with pytest.raises(RegistryError, match="FOREIGN KEY"):
        reg._write(
            lambda db: db.execute(
                "INSERT INTO review_events (asset_id, reviewer, at, state) VALUES (99, 'a', 'x', 'approved')"
            )
        )


def test_decisions_are_appended_and_the_state_is_the_latest(reg: Registry, tmp_path: Path) -> None:
    row = reg.record(record(tmp_path, "a.png", [attempt(1)]), run_id="run")
    assert row.state is ReviewState.pending
    reg.decide(row.id, "approved", None, "ann")
    reg.decide(row.id, ReviewState.changes_requested, "warmer light", "bob")  # a second reviewer: a new event
    events = reg.events(row.id)
    assert [(e.reviewer, e.state, e.reason) for e in events] == [
        ("ann", ReviewState.approved, None),
        ("bob", ReviewState.changes_requested, "warmer light"),
    ]
    assert reg.get_asset(row.id).row.state is ReviewState.changes_requested
    db = sqlite3.connect(reg.path)
    for statement in ("UPDATE review_events SET state = 'approved'", "DELETE FROM review_events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(statement)
    db.close()
    assert len(reg.events(row.id)) == 2


def _variant(reg: Registry, folder: Path, name: str, key: str, out: Path, *, failing: tuple[str, ...] = ()) -> Any:
    """A variant row of key ``key`` recorded by a run of its own writing into ``out``."""
    made = replace(record(folder, name, [attempt(1, failing)], kind="variant"), key=key)
    return reg.record(made, run_id=reg.start_run("variants", out))


def test_a_variant_made_again_in_its_folder_supersedes_its_undecided_rows(reg: Registry, tmp_path: Path) -> None:
    out, other = tmp_path / "out", tmp_path / "other"
    first = _variant(reg, tmp_path, "v1.png", "k", out, failing=("palette",))
    decided = _variant(reg, tmp_path, "w1.png", "w", out, failing=("logo",))
    reg.decide(decided.id, "rejected", "logo too small", "ann")
    second = _variant(reg, tmp_path, "v2.png", "k", out, failing=("palette",))
    third = _variant(reg, tmp_path, "v3.png", "k", out)
    _variant(reg, tmp_path, "w2.png", "w", out)
    elsewhere = _variant(reg, tmp_path, "v4.png", "k", other)  # the same plan run into another folder
    generated = reg.record(replace(record(tmp_path, "g.png", [attempt(1)]), key="k"), run_id="gen")
    rows = {r.id: r for r in reg.list_assets(AssetFilter(state=None))}
    # every earlier row of the variant names the latest one; the decided row keeps its decision
    assert [(rows[a.id].state, rows[a.id].superseded_by) for a in (first, second, third)] == [
        (ReviewState.superseded, third.id),
        (ReviewState.superseded, third.id),
        (ReviewState.pending, None),
    ]
    assert (rows[decided.id].state, rows[decided.id].superseded_by) == (ReviewState.rejected, decided.id + 3)
    assert rows[elsewhere.id].state is ReviewState.pending and rows[generated.id].state is ReviewState.pending
    pending = [r.id for r in reg.list_assets(AssetFilter(state=ReviewState.pending))]
    assert first.id not in pending and second.id not in pending and third.id in pending
    assert [r.id for r in reg.list_assets(AssetFilter(state=ReviewState.superseded))] == [second.id, first.id]
    assert reg.count_assets(AssetFilter(state=ReviewState.superseded)) == 2
    m = reg.metrics()
    assert not isinstance(m, dict) and (m.pending, m.superseded, m.rejected) == (4, 2, 1)
    # a reviewer may still decide a superseded row: the decision wins
    reg.decide(first.id, "rejected", "the earlier try", "bob")
    assert reg.get_asset(first.id).row.state is ReviewState.rejected


def test_a_v2_database_gets_the_superseded_state_for_its_variants(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    db = sqlite3.connect(path, isolation_level=None)
    assert migrate(db, str(path), upto=2) == 2
    for run in ("r1", "r2"):
        db.execute(
            "INSERT INTO runs (id, command, started_at, out_dir) VALUES (?, 'variants', '2026-01-01', '/o')", (run,)
        )
        db.execute(
            "INSERT INTO assets (kind, content_hash, key, path, spec_name, spec_fingerprint, run_id, created_at, "
            "passed) VALUES ('variant', ?, 'k', '/o/x.png', 'N', 'f', ?, '2026-01-01T00:00:00Z', 0)",
            (run, run),
        )
    db.close()
    with Registry.open(path) as registry:
        assert [(r.id, r.state, r.superseded_by) for r in registry.list_assets()] == [
            (2, ReviewState.pending, None),
            (1, ReviewState.superseded, 2),
        ]


def test_bad_decisions_are_refused_with_the_field_named(reg: Registry, tmp_path: Path) -> None:
    row = reg.record(record(tmp_path, "a.png", [attempt(1)]), run_id="run")
    with pytest.raises(ReviewStateError, match="rejected: a reason is needed"):
        reg.decide(row.id, "rejected", "  ", "ann")
    with pytest.raises(ReviewStateError, match="unknown review state 'maybe'"):
        reg.decide(row.id, "maybe", None, "ann")
    with pytest.raises(ReviewStateError, match="'pending' is not a decision"):
        reg.decide(row.id, "pending", None, "ann")
    with pytest.raises(ReviewStateError, match="'superseded' is not a decision"):
        reg.decide(row.id, "superseded", None, "ann")
    with pytest.raises(ReviewStateError, match="reviewer"):
        reg.decide(row.id, "approved", None, "")
    with pytest.raises(AssetNotFoundError, match="no asset with id 999"):
        reg.decide(999, "approved", None, "ann")
    assert reg.events(row.id) == []


def test_approving_an_asset_whose_checks_failed_overrides_them_with_a_reason(reg: Registry, tmp_path: Path) -> None:
    failed = reg.record(record(tmp_path, "off.png", [attempt(1, failing=("palette",))]), run_id="run")
    assert failed.passed is False
    with pytest.raises(ReviewStateError, match=r"failed its checks \(palette\); approving it overrides them"):
        reg.decide(failed.id, "approved", "  ", "ann")
    assert reg.events(failed.id) == []  # nothing recorded
    event = reg.decide(failed.id, "approved", "the green is the client's own product", "ann")
    assert (event.state, event.reason) == (ReviewState.approved, "the green is the client's own product")
    passing = reg.record(record(tmp_path, "on.png", [attempt(1)]), run_id="run")
    reg.decide(passing.id, "approved", None, "ann")
    metrics = reg.metrics()
    assert isinstance(metrics, Metrics)
    assert (metrics.approved, metrics.approved_over_failed_checks) == (2, 1)  # the overrides, counted apart


def test_approval_is_refused_for_a_file_changed_or_missing_since_it_was_checked(reg: Registry, tmp_path: Path) -> None:
    changed = reg.record(record(tmp_path, "changed.png", [attempt(1)]), run_id="run")
    gone = reg.record(record(tmp_path, "gone.png", [attempt(1)]), run_id="run")
    kept = reg.record(record(tmp_path, "kept.png", [attempt(1)]), run_id="run")
    (tmp_path / "changed.png").write_bytes(b"edited after the check")
    (tmp_path / "gone.png").unlink()
    now = hashlib.sha256(b"edited after the check").hexdigest()
    with pytest.raises(ReviewStateError, match="changed since it was checked") as caught:
        reg.decide(changed.id, "approved", None, "ann")
    assert str(tmp_path / "changed.png") in str(caught.value)
    assert changed.content_hash[:12] in str(caught.value) and now[:12] in str(caught.value)
    with pytest.raises(ReviewStateError, match="gone.png is missing"):
        reg.decide(gone.id, "approved", None, "ann")
    assert reg.events(changed.id) == [] and reg.events(gone.id) == []
    # what was not approved can still be rejected; an unchanged file is approved
    assert reg.decide(changed.id, "rejected", "edited by hand", "ann").state is ReviewState.rejected
    assert reg.decide(kept.id, "approved", None, "ann").state is ReviewState.approved


def test_recording_is_idempotent_per_run_and_file(reg: Registry, tmp_path: Path) -> None:
    first = reg.record(record(tmp_path, "a.png", [attempt(1)]), run_id="run")
    again = reg.record(record(tmp_path, "a.png", [attempt(1)]), run_id="run")
    other_run = reg.record(record(tmp_path, "a.png", [attempt(1)]), run_id="run2")
    assert first.id == again.id != other_run.id
    assert len(reg.list_assets()) == 2


def test_filters_by_run_spec_state_and_failing_check(reg: Registry, tmp_path: Path) -> None:
    a = reg.record(record(tmp_path, "a.png", [attempt(1)], spec="Northwind"), run_id="r1")
    b = reg.record(record(tmp_path, "b.png", [attempt(1, ("logo",))], spec="Lumen"), run_id="r2")
    c = reg.record(record(tmp_path, "c.png", [attempt(1, ("text",)), attempt(2)], spec="Lumen"), run_id="r2")
    reg.decide(a.id, "approved", None, "ann")

    def ids(**kw: object) -> list[int]:
        return [r.id for r in reg.list_assets(AssetFilter(**kw))]  # type: ignore[arg-type]

    assert ids() == [c.id, b.id, a.id]
    assert ids(run="r2") == [c.id, b.id]
    assert ids(spec="Northwind") == [a.id]
    assert ids(state=ReviewState.approved) == [a.id]
    assert ids(state=ReviewState.pending) == [c.id, b.id]
    assert ids(check_failed="logo") == [b.id]  # the final report's blocking checks, not earlier attempts'
    assert ids(check_failed="text") == []
    assert ids(gates="failed") == [b.id] and ids(gates="passed") == [c.id, a.id]  # the final report's verdict
    assert ids(state=ReviewState.pending, gates="passed") == [c.id]  # ready to ship, awaiting a decision
    assert reg.count_assets(AssetFilter(gates="failed")) == 1
    assert ids(limit=1, offset=1) == [b.id]
    assert reg.get_asset(b.id).row.failing_reasons == ["logo: off"]


def test_metrics_follow_their_definitions(reg: Registry, tmp_path: Path) -> None:
    # A passes at once; B passes on attempt 2 after palette failed; C fails three times on text;
    # V is an existing image judged by validate (not produced: outside yield and attempts).
    a = reg.record(record(tmp_path, "a.png", [attempt(1, spend=0.05)]), run_id="r")
    b = reg.record(record(tmp_path, "b.png", [attempt(1, ("palette",), 0.05), attempt(2, spend=0.05)]), run_id="r")
    c_attempts = [attempt(i, ("text",), 0.05) for i in (1, 2, 3)]
    c = reg.record(record(tmp_path, "c.png", c_attempts, spec="Lumen", fmt="banner", locale="de"), run_id="r")
    v = reg.record(record(tmp_path, "v.png", [attempt(1)], kind="validate"), run_id="r")
    reg.decide(a.id, "approved", None, "ann")
    reg.decide(b.id, "changes_requested", "Warmer  light", "ann")
    reg.decide(b.id, "approved", None, "bob")
    reg.decide(c.id, "rejected", "logo too small", "ann")
    m = reg.metrics()
    assert not isinstance(m, dict)
    assert (m.assets, m.produced, m.accepted, m.reviewed) == (4, 3, 2, 3)
    assert (m.approved, m.rejected, m.changes_requested, m.pending) == (2, 1, 0, 1)
    assert m.first_pass_yield == round(1 / 3, 4)  # only A passed its first attempt
    assert m.attempts_per_accepted == (1 + 2 + 3) / 2
    assert m.approval_rate == round(2 / 3, 4)
    assert m.revision_rate == round(1 / 3, 4)  # B was sent back once, even though approved later
    assert m.spend_usd == pytest.approx(0.05 * 6)
    assert m.spend_per_approved == pytest.approx(0.05 * 6 / 2)
    assert [(r.name, r.count) for r in m.top_rework_checks] == [("text", 3), ("palette", 1)]
    assert [(r.name, r.count) for r in m.top_rework_reasons] == [("warmer light", 1), ("logo too small", 1)]
    assert len(m.trend) == 1 and m.trend[0].assets == 4 and m.trend[0].approval_rate == m.approval_rate

    by_spec = reg.metrics(by="spec")
    assert isinstance(by_spec, dict) and set(by_spec) == {"Northwind", "Lumen"}
    assert by_spec["Lumen"].assets == 1 and by_spec["Lumen"].approval_rate == 0.0
    assert by_spec["Northwind"].first_pass_yield == 0.5
    by_check = reg.metrics(by="check")
    assert isinstance(by_check, dict)
    assert {k: v.assets for k, v in by_check.items()} == {"(none)": 2, "palette": 1, "text": 1}
    by_locale = reg.metrics(by="locale")
    assert isinstance(by_locale, dict) and by_locale["de"].assets == 1 and by_locale["-"].assets == 3
    assert reg.metrics(since="2999-01-01").assets == 0  # type: ignore[union-attr]
    from datetime import timedelta, timezone

    at_c_elsewhere = c.created_at.astimezone(timezone(timedelta(hours=2))).isoformat()  # the same instant, UTC+2
    assert reg.metrics(since=at_c_elsewhere).assets == 2  # type: ignore[union-attr]  # C and V
    with pytest.raises(RequestError, match="since 'last week'"):
        reg.metrics(since="last week")
    assert reg.metrics(until=at_c_elsewhere).assets == 2  # type: ignore[union-attr]  # A and B: before C
    day = c.created_at.date().isoformat()
    assert reg.metrics(since=day, until=day).assets == 4  # type: ignore[union-attr]  # a date counts its whole day
    assert reg.metrics(until="2000-01-01").assets == 0  # type: ignore[union-attr]
    with pytest.raises(RequestError, match="until '2000-01-01' is not after since"):
        reg.metrics(since=day, until="2000-01-01")
    with pytest.raises(RequestError, match="until 'soon'"):
        reg.metrics(until="soon")
    assert v.id  # recorded


def test_review_rates_count_each_deliverable_once_across_its_regenerations(reg: Registry, tmp_path: Path) -> None:
    # A is sent back, its regeneration A2 sent back again, A3 approved: one deliverable, revised, approved.
    # B is approved at once. C is sent back and its regeneration C2 rejected. Counted per asset, A's chain alone
    # was three reviewed assets of which one approved (33 %), though the deliverable shipped.
    a = reg.record(record(tmp_path, "a.png", [attempt(1, spend=0.04)]), run_id="r")
    reg.decide(a.id, "changes_requested", "warmer", "ann")
    a2 = reg.record(
        record(tmp_path, "a2.png", [attempt(1, spend=0.04)], kind="regenerate"), run_id="r2", parent_id=a.id
    )
    reg.decide(a2.id, "changes_requested", "smaller logo", "ann")
    a3 = reg.record(
        record(tmp_path, "a3.png", [attempt(1, spend=0.04)], kind="regenerate"), run_id="r3", parent_id=a2.id
    )
    reg.decide(a3.id, "approved", None, "bob")
    b = reg.record(record(tmp_path, "b.png", [attempt(1, spend=0.04)]), run_id="r")
    reg.decide(b.id, "approved", None, "bob")
    c = reg.record(record(tmp_path, "c.png", [attempt(1, spend=0.04)]), run_id="r")
    reg.decide(c.id, "changes_requested", "off tone", "ann")
    c2 = reg.record(
        record(tmp_path, "c2.png", [attempt(1, spend=0.04)], kind="regenerate"), run_id="r2", parent_id=c.id
    )
    reg.decide(c2.id, "rejected", "still off tone", "ann")
    # an edit of an approved asset is a new deliverable, not a revision of it
    e = reg.record(record(tmp_path, "e.png", [attempt(1, spend=0.04)], kind="edit"), run_id="r4", parent_id=b.id)
    reg.decide(e.id, "approved", None, "bob")
    m = reg.metrics()
    assert not isinstance(m, dict)
    assert (m.reviewed, m.approved, m.changes_requested, m.rejected) == (7, 3, 3, 1)  # the assets' states
    assert (m.reviewed_deliverables, m.approved_deliverables, m.revised_deliverables) == (4, 3, 2)
    assert m.approval_rate == 0.75 and m.revision_rate == 0.5  # per asset: 3/7 and 3/7
    assert m.spend_per_approved == round(0.04 * 7 / 3, 4)  # all spend, rework included, per shipped deliverable
    # a period holding only C's regeneration (and E) still counts it as a revised deliverable
    late = reg.metrics(since=c2.created_at.isoformat())
    assert not isinstance(late, dict) and (late.reviewed_deliverables, late.revised_deliverables) == (2, 1)


def test_export_reads_every_approved_asset_page_by_page(
    reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export read the newest 10,000 approved assets and left the rest out without a word; it reads pages
    (here of 2) until none is left."""
    import brandkit.registry.export as export

    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    src = tmp_path / "src"
    src.mkdir()
    rows = [reg.record(record(src, f"ad-{i}.png", [attempt(1)]), run_id="r") for i in range(5)]
    for row in rows:
        reg.decide(row.id, "approved", None, "ann")
    result = export_approved(reg, tmp_path / "pub")
    assert sorted(Path(p).name for p in result.written) == [f"ad-{i}.png" for i in range(5)]


def test_export_holds_no_file_between_its_check_and_its_write(
    reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file is read when it is checked and again when it is written (an export of thousands of assets held
    every file's bytes at once): a file changed in between is refused, not exported."""
    import brandkit.registry.export as export

    src = tmp_path / "src"
    src.mkdir()
    a = reg.record(record(src, "a.png", [attempt(1)]), run_id="r")
    b = reg.record(record(src, "b.png", [attempt(1)]), run_id="r")
    for row in (a, b):
        reg.decide(row.id, "approved", None, "ann")
    reads: list[str] = []
    real = export.recorded_file

    def reading(row: Any, path: Any = None) -> Any:
        reads.append(Path(row.path).name)
        if reads.count("b.png") == 2:  # b changes after its check, before its write
            (src / "b.png").write_bytes(b"changed meanwhile")
        return real(row, path)

    monkeypatch.setattr(export, "recorded_file", reading)
    result = export_approved(reg, tmp_path / "pub")
    assert sorted(reads) == ["a.png", "a.png", "b.png", "b.png"]  # each checked, then read again to write
    assert [Path(p).name for p in result.written] == ["a.png"] and [r["id"] for r in result.refused] == [b.id]
    assert not (tmp_path / "pub" / "b.png").exists()


def test_export_copies_only_approved_unchanged_files_and_never_overwrites_by_surprise(
    reg: Registry, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    a = reg.record(record(src, "a.png", [attempt(1)]), run_id="r")
    (src / "a.png.json").write_text('{"sidecar": true}', encoding="utf-8")
    b = reg.record(record(src, "b.png", [attempt(1)]), run_id="r")
    c = reg.record(record(src, "c.png", [attempt(1)]), run_id="r")
    with pytest.raises(RegistryError, match="no approved asset"):
        export_approved(reg, tmp_path / "pub")
    reg.decide(a.id, "approved", None, "ann")
    reg.decide(b.id, "rejected", "off-brand", "ann")
    reg.decide(c.id, "approved", None, "ann")
    (src / "c.png").write_bytes(b"changed after approval")
    pub = tmp_path / "pub"
    result = export_approved(reg, pub)
    assert sorted(p.name for p in pub.iterdir()) == ["a.png", "a.png.json", "export.json"]
    assert (pub / "a.png").read_bytes() == (src / "a.png").read_bytes()
    assert [r["id"] for r in result.refused] == [c.id]
    manifest = json.loads((pub / "export.json").read_text(encoding="utf-8"))
    assert manifest["assets"][0]["approved_by"] == "ann"
    assert manifest["assets"][0]["sha256"] == hashlib.sha256((src / "a.png").read_bytes()).hexdigest()
    assert export_approved(reg, pub).unchanged == [str(pub / "a.png")]
    (pub / "a.png").write_bytes(b"someone else's file")
    with pytest.raises(OutputError, match="a different file is already there"):
        export_approved(reg, pub)
    assert (pub / "a.png").read_bytes() == b"someone else's file"
    export_approved(reg, pub, overwrite=True)
    assert (pub / "a.png").read_bytes() == (src / "a.png").read_bytes()
    reg.decide(b.id, "approved", "fine after all", "bob")  # a later export adds to the folder's list
    export_approved(reg, pub, run="r")
    files = [e["file"] for e in json.loads((pub / "export.json").read_text(encoding="utf-8"))["assets"]]
    assert files == ["a.png", "b.png"]


def test_default_path_is_beside_the_output_unless_the_environment_names_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRANDKIT_DB", raising=False)
    assert default_db_path(tmp_path / "out") == tmp_path / "out" / "brandkit.db"
    monkeypatch.setenv("BRANDKIT_DB", str(tmp_path / "team.db"))
    assert default_db_path(tmp_path / "out") == tmp_path / "team.db"


def test_request_changes_that_cannot_regenerate_records_nothing(
    reg: Registry, tmp_path: Path, northwind: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from brandkit.errors import ConfigurationError
    from brandkit.registry.regenerate import request_changes

    unknown_spec = reg.record(record(tmp_path, "a.png", [attempt(1)]), run_id="r")
    with pytest.raises(RegistryError, match="does not know where spec 'Northwind' was loaded from"):
        request_changes(reg, unknown_spec.id, "warmer", "ann")
    fingerprint = northwind.fingerprint  # type: ignore[attr-defined]
    by_openai = replace(record(tmp_path, "b.png", [attempt(1)]), provider="openai", spec_fingerprint=fingerprint)
    made = reg.record(by_openai, run_id="r", spec=northwind)  # type: ignore[arg-type]
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="set OPENAI_API_KEY, or regenerate offline"):
        request_changes(reg, made.id, "warmer", "ann")
    with pytest.raises(ReviewStateError, match="a reason is needed"):
        request_changes(reg, made.id, " ", "ann", provider="local")
    assert reg.events() == []
