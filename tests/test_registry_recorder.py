"""``RegistryRecorder``: a registry that fails for real (corrupt file, a table gone, a stored row that fails its
model or cannot be decoded) is a warning and an ``unrecorded`` count — the saved asset is never lost —, while a
programming error propagates."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import brandkit
from brandkit.asset import Asset
from brandkit.checks.technical import TechnicalCheck
from brandkit.models import AssetRequest
from brandkit.registry.recorder import RegistryRecorder

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Asset, Path]:
    """One asset made by the local renderer and saved (image + sidecar)."""
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    kit = brandkit.BrandKit(spec, provider="local", moderator=None, checks=[TechnicalCheck()], signer=None)
    asset = kit.generate(AssetRequest(brief="A cup of coffee on an oak table", headline="Slow mornings"))
    path = asset.save(tmp_path_factory.mktemp("recorder") / "cup.png")
    return asset, path


def _recorded_once(db: Path, asset: Asset, path: Path) -> None:
    with RegistryRecorder(db, "generate") as recorder:
        assert recorder.add(asset, path) is not None and recorder.recorded == 1


def _tamper(db: Path, sql: str) -> None:
    with sqlite3.connect(db) as raw:
        raw.execute(sql)


def _child_of_the_tampered_row(db: Path, path: Path) -> RegistryRecorder:
    """A recorder whose next ``add`` reads the (tampered) row of ``path`` back: its parent, e.g. an edit's."""
    return RegistryRecorder(db, "edit", kind="edit", parent_path=path)


def test_a_corrupt_database_file_is_one_warning_then_a_count(saved: tuple[Asset, Path], tmp_path: Path) -> None:
    asset, path = saved
    db = tmp_path / "corrupt.db"
    db.write_bytes(b"this is not an SQLite database, whatever its name says " * 100)
    with RegistryRecorder(db, "generate") as recorder:
        assert recorder.add(asset, path) is None
        assert recorder.add(asset, path) is None
    assert recorder.recorded == 0 and recorder.unrecorded == 2
    assert len(recorder.warnings) == 1 and "not a usable registry database" in recorder.warnings[0]
    assert str(path) in recorder.warnings[0] and path.is_file()


def test_a_registry_that_breaks_after_opening_counts_each_asset(saved: tuple[Asset, Path], tmp_path: Path) -> None:
    asset, path = saved
    db = tmp_path / "brandkit.db"
    with RegistryRecorder(db, "generate") as recorder:
        assert recorder.add(asset, path) is not None
        _tamper(db, "DROP VIEW asset_state")  # another process broke it under us: every read now fails in SQLite
        assert recorder.add(asset, path) is None
        assert recorder.add(asset, path) is None  # still tried: the database opened, it may come back
    assert (recorder.recorded, recorder.unrecorded) == (1, 2) and len(recorder.warnings) == 2
    assert "registry" in recorder.warnings[0] and "asset_state" in recorder.warnings[0]


def test_a_stored_row_that_fails_its_model_is_a_warning(saved: tuple[Asset, Path], tmp_path: Path) -> None:
    asset, path = saved
    db = tmp_path / "brandkit.db"
    _recorded_once(db, asset, path)
    _tamper(db, "UPDATE assets SET kind = 'sculpture'")  # not an AssetKind: pydantic refuses the row
    with _child_of_the_tampered_row(db, path) as recorder:
        assert recorder.add(asset, path) is None  # before the fix pydantic's ValidationError escaped here
    assert (recorder.recorded, recorder.unrecorded) == (0, 1)
    assert "AssetRow does not validate (kind:" in recorder.warnings[0], recorder.warnings
    assert "\n" not in recorder.warnings[0]


def test_a_stored_row_that_cannot_be_decoded_is_a_warning(saved: tuple[Asset, Path], tmp_path: Path) -> None:
    asset, path = saved
    db = tmp_path / "brandkit.db"
    _recorded_once(db, asset, path)
    _tamper(db, "UPDATE assets SET created_at = 'the day before yesterday'")  # datetime.fromisoformat: ValueError
    with _child_of_the_tampered_row(db, path) as recorder:
        assert recorder.add(asset, path) is None
    assert recorder.unrecorded == 1 and "ValueError" in recorder.warnings[0]
    assert "the day before yesterday" in recorder.warnings[0]
    _tamper(db, "UPDATE assets SET created_at = '2026-12-04T10:00:00+00:00', failing_json = '[{oops'")
    with _child_of_the_tampered_row(db, path) as recorder:
        assert recorder.add(asset, path) is None
    assert recorder.unrecorded == 1 and "JSONDecodeError" in recorder.warnings[0]
    with sqlite3.connect(db) as raw:  # a failed recording wrote nothing: one asset, one run per recorder
        assert raw.execute("SELECT COUNT(*) FROM assets").fetchone()[0] == 1
        assert raw.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 3


def test_a_programming_error_propagates(saved: tuple[Asset, Path], tmp_path: Path) -> None:
    _, path = saved
    with RegistryRecorder(tmp_path / "brandkit.db", "generate") as recorder, pytest.raises(AttributeError):
        recorder.add(object(), path)  # type: ignore[arg-type]  # not an Asset: a caller's bug, never a warning
    assert recorder.unrecorded == 0 and recorder.warnings == []
