"""The warm disk cache: round trip, misses, corrupt and foreign files, concurrent writers, unusable folders."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from brandkit.resources import KitResources
from brandkit.warm_cache import CACHE_DIR_ENV, WarmCache, WarmCacheWarning


def test_round_trip_and_key_separation(tmp_path: Path) -> None:
    cache = WarmCache(tmp_path)
    arrays = {"table": np.arange(24, dtype=np.uint16).reshape(2, 3, 4), "scale": np.array(0.5)}
    assert cache.load_arrays("palette", "v1|a") is None
    cache.store_arrays("palette", "v1|a", arrays)
    loaded = cache.load_arrays("palette", "v1|a")
    assert loaded is not None
    assert set(loaded) == {"table", "scale"}
    np.testing.assert_array_equal(loaded["table"], arrays["table"])
    assert loaded["table"].dtype == np.uint16
    assert float(loaded["scale"]) == 0.5
    # another key (a version bump, other inputs) or another kind is a miss
    assert cache.load_arrays("palette", "v2|a") is None
    assert cache.load_arrays("logo", "v1|a") is None


def test_disabled_cache_misses_and_stores_nothing(tmp_path: Path) -> None:
    cache = WarmCache(None)
    cache.store_arrays("palette", "k", {"a": np.zeros(3)})
    assert cache.load_arrays("palette", "k") is None
    assert not cache.enabled


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04truncated"])
def test_corrupt_file_is_a_miss_then_rebuilt(tmp_path: Path, content: bytes) -> None:
    cache = WarmCache(tmp_path)
    cache.store_arrays("palette", "k", {"a": np.ones(5)})
    path = cache.path_for("palette", "k")
    assert path is not None and path.is_file()
    path.write_bytes(content)
    assert cache.load_arrays("palette", "k") is None
    cache.store_arrays("palette", "k", {"a": np.full(5, 2.0)})
    loaded = cache.load_arrays("palette", "k")
    assert loaded is not None
    np.testing.assert_array_equal(loaded["a"], np.full(5, 2.0))


def test_truncated_file_is_a_miss(tmp_path: Path) -> None:
    cache = WarmCache(tmp_path)
    cache.store_arrays("palette", "k", {"a": np.arange(10_000)})
    path = cache.path_for("palette", "k")
    assert path is not None
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert cache.load_arrays("palette", "k") is None


def test_file_of_another_key_is_a_miss(tmp_path: Path) -> None:
    cache = WarmCache(tmp_path)
    cache.store_arrays("palette", "old", {"a": np.ones(3)})
    old, new = cache.path_for("palette", "old"), cache.path_for("palette", "new")
    assert old is not None and new is not None
    new.write_bytes(old.read_bytes())  # copied under another name: the stored key does not match
    assert cache.load_arrays("palette", "new") is None


def test_object_arrays_and_bad_kinds_are_refused(tmp_path: Path) -> None:
    cache = WarmCache(tmp_path)
    with pytest.raises(ValueError, match="objects"):
        cache.store_arrays("palette", "k", {"a": np.array([{"x": 1}], dtype=object)})
    with pytest.raises(ValueError, match="kind"):
        cache.load_arrays("../escape", "k")


def test_unwritable_folder_warns_once_and_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = WarmCache(blocker)  # a file where the folder should be: every write fails
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache.store_arrays("palette", "k", {"a": np.ones(2)})
        cache.store_arrays("palette", "k2", {"a": np.ones(2)})
    assert [w.category for w in caught] == [WarmCacheWarning]
    assert "cannot write" in str(caught[0].message)
    assert cache.load_arrays("palette", "k") is None


def test_default_folder_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "c"))
    assert WarmCache.default().root == tmp_path / "c"
    monkeypatch.setenv(CACHE_DIR_ENV, "off")
    assert WarmCache.default().root is None
    monkeypatch.delenv(CACHE_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert WarmCache.default().root == tmp_path / "xdg" / "brandkit"
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocker / "sub"))
    with pytest.warns(WarmCacheWarning, match="disabled"):
        assert WarmCache.default().root is None
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CACHE_DIR_ENV, "relative/cache")  # named by the user: from the current folder
    assert WarmCache.default().root == tmp_path / "relative" / "cache"
    monkeypatch.delenv(CACHE_DIR_ENV)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setattr(Path, "home", staticmethod(lambda: Path("~")))  # no home folder (expanduser failed)
    with pytest.warns(WarmCacheWarning, match="no home folder"):
        assert WarmCache.default().root is None
    assert not (tmp_path / ".cache").exists()


def test_kit_resources_use_the_session_cache(tmp_path: Path) -> None:
    assert KitResources().warm_cache.root == Path(os.environ[CACHE_DIR_ENV])
    given = WarmCache(tmp_path)
    resources = KitResources(warm_cache=given)
    assert resources.warm_cache is given
    assert WarmCache.of(resources.for_kit()) is given  # what a check reaches through ctx.resources


def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    """Several processes store the same entry concurrently: every load sees a whole file, never a torn one."""
    script = textwrap.dedent(
        f"""
        import sys
        import numpy as np
        from pathlib import Path
        from brandkit.warm_cache import WarmCache
        cache = WarmCache(Path({str(tmp_path)!r}))
        big = np.arange(100_000, dtype=np.int64)
        for i in range(12):
            cache.store_arrays("palette", "shared", {{"a": big}})
            got = cache.load_arrays("palette", "shared")
            if got is None or not np.array_equal(got["a"], big):
                sys.exit(f"torn or missing entry at round {{i}}")
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    folder = tmp_path / "palette"
    assert len([p for p in folder.iterdir() if p.suffix == ".npz"]) == 1
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_build_lock_makes_a_second_builder_wait(tmp_path: Path) -> None:
    cache = WarmCache(tmp_path)
    order: list[str] = []

    def other() -> None:
        with cache.building("palette", "k"):
            order.append("other")

    with cache.building("palette", "k"):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.3)
        assert thread.is_alive()  # waiting for the lock
        order.append("first")
    thread.join(30)
    assert order == ["first", "other"]
    with cache.building("palette", "k"), cache.building("palette", "k", timeout=0.1):
        order.append("no deadlock")  # a holder that waits too long builds anyway
    with WarmCache(None).building("palette", "k"):
        order.append("disabled")
    assert order[2:] == ["no deadlock", "disabled"]
