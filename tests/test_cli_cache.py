"""``brandkit cache warm|info|clear`` and ``BrandKit.warm()``: the warm disk cache seen and managed from outside."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import brandkit
from brandkit.cli import app
from brandkit.resources import KitResources
from brandkit.warm_cache import CACHE_DIR_ENV, WarmCache


def _invoke(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(app, ["cache", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def _fill(cache: WarmCache) -> None:
    cache.store_arrays("palette-tables", "k1", {"t": np.arange(1000, dtype=np.uint16)})
    cache.store_arrays("palette-tables", "k2", {"t": np.zeros(10, dtype=np.uint8)})
    cache.store_arrays("logo-features", "k3", {"f": np.ones((4, 4), dtype=np.float32)})


def test_info_lists_entries_by_kind_and_clear_removes_only_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    cache = WarmCache.default()
    _fill(cache)
    stranger = tmp_path / "cache" / "palette-tables" / "notes.txt"  # not the cache's: never touched
    stranger.write_text("mine")
    code, info = _invoke("info")
    assert code == 0 and info["cache"] == str(tmp_path / "cache")
    kinds = info["kinds"]
    assert isinstance(kinds, dict)
    assert kinds["palette-tables"]["entries"] == 2 and kinds["logo-features"]["entries"] == 1
    on_disk = sum(p.stat().st_size for p in (tmp_path / "cache").rglob("*.npz"))
    assert info["total"] == {"entries": 3, "bytes": on_disk}
    code, cleared = _invoke("clear")
    assert code == 0 and cleared["removed"] == {"entries": 3, "bytes": on_disk}
    assert stranger.read_text() == "mine"
    assert cache.load_arrays("palette-tables", "k1") is None  # a miss: rebuilt by whoever needs it
    code, info = _invoke("info")
    assert info["total"] == {"entries": 0, "bytes": 0}


def test_clear_leaves_a_build_in_progress_alone(tmp_path: Path) -> None:
    cache = WarmCache(tmp_path)
    _fill(cache)
    lock_path = cache.path_for("palette-tables", "k1")
    assert lock_path is not None
    with cache.building("palette-tables", "k1"):  # another process building: its lock file must stay
        removed = cache.clear()
        assert lock_path.with_suffix(".lock").exists()
        cache.store_arrays("palette-tables", "k1", {"t": np.arange(3)})  # the build finishes and stores
    assert removed.entries == 3
    stored = cache.load_arrays("palette-tables", "k1")
    assert stored is not None and stored["t"].tolist() == [0, 1, 2]
    cache.clear()  # no build now: the free lock is removed too
    assert not any(tmp_path.rglob("*.lock"))


def test_disabled_cache_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, "off")
    code, info = _invoke("info")
    assert code == 0 and info["cache"] is None and info["total"] == {"entries": 0, "bytes": 0}
    code, cleared = _invoke("clear")
    assert code == 0 and cleared["removed"] == {"entries": 0, "bytes": 0}
    assert info["disabled"] == f"{CACHE_DIR_ENV}=off"


def test_an_unusable_cache_folder_says_why_and_warns_as_the_command_line_does(tmp_path: Path) -> None:
    """A file where the cache folder should be: ``cache info`` names it (not "=off"), and the real command (its
    console script) prints the warning as one ``warning:`` line, not Python's ``file:line: Category`` form."""
    import subprocess
    import sys

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    env = {**os.environ, CACHE_DIR_ENV: str(blocked)}
    run = subprocess.run(
        [sys.executable, "-m", "brandkit.cli", "cache", "info"], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert f"warm cache: disabled ({blocked} cannot be used" in run.stdout
    assert run.stderr.startswith(f"warning: warm cache disabled: {blocked} cannot be used")
    assert "WarmCacheWarning" not in run.stderr and ".py:" not in run.stderr


def test_warm_without_a_spec_is_a_usage_error() -> None:
    code, out = _invoke("warm")
    assert code == 2 and "--spec" in str(out["error"])


def test_warm_a_missing_spec_names_it(tmp_path: Path) -> None:
    code, out = _invoke("warm", "--spec", str(tmp_path / "nope"))
    assert code == 2 and "nope" in str(out["error"])


@pytest.mark.slow  # the first warm of a palette in the session builds its figures table (~5 s CPU)
def test_cache_warm_fills_the_cache(root: Path) -> None:
    """The CLI warms Northwind into the session's cache: palette tables and logo features are there after."""
    before = WarmCache.default().usage()
    code, out = _invoke("warm", "--spec", str(root / "brand_specs" / "northwind"))
    assert code == 0, out
    brands = out["brands"]
    assert isinstance(brands, list) and len(brands) == 1
    assert set(brands[0]["seconds"]) == {"palette", "logo", "ocr", "ocr-fast", "moderation"}
    assert brands[0]["unavailable"] == {}
    after = WarmCache.default().usage()
    assert out["cache"] == os.environ[CACHE_DIR_ENV]
    for kind in ("palette-tables", "logo-features"):
        assert after[kind].entries >= 1
    assert sum(u.entries for u in after.values()) >= sum(u.entries for u in before.values())


def test_kit_warm_sync_and_async_prepare_the_same(northwind: brandkit.BrandSpec, kit_resources: KitResources) -> None:
    kit = brandkit.BrandKit(northwind, provider="local", resources=kit_resources, signer=None)
    report = kit.warm()
    assert set(report.seconds) == {"palette", "logo", "ocr", "ocr-fast", "moderation"} and report.unavailable == {}
    twin = brandkit.AsyncBrandKit(northwind, provider="local", resources=kit_resources, signer=None)
    again = asyncio.run(twin.warm())
    assert set(again.seconds) == set(report.seconds)
    # nothing but what the checks that run need: no OCR for a kit whose checks do not read text
    from brandkit.checks.palette import PaletteCheck

    palette_only = brandkit.BrandKit(
        northwind, provider="local", resources=KitResources(), checks=[PaletteCheck()], signer=None
    )
    assert set(palette_only.warm().seconds) == {"palette"}
