"""The moderation model's onnxruntime session: fixed input shape, and its optimised graph kept in the warm cache.

A detector loaded from the cached graph must find exactly what one built from nudenet's ONNX file finds (same
labels, boxes and scores, bit for bit) on real photographs; a cached file of another key, a corrupt one, a changed
model file or a disabled cache never give a wrong session.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import skimage.data
from PIL import Image

import brandkit
from brandkit.provider.local_moderation import NudeNetModerator
from brandkit.provider.nudity_detector import Detection, NudityDetector, model_path
from brandkit.provider.nudity_session import CACHE_KIND, cache_key, load_session
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec
from brandkit.warm_cache import WarmCache


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    astronaut = np.asarray(skimage.data.astronaut())
    return [astronaut, np.asarray(skimage.data.chelsea()), np.asarray(skimage.data.coffee()), astronaut[40:400, :300]]


def _found(detector: NudityDetector, photos: list[np.ndarray]) -> list[list[Detection]]:
    return [detector.detect(rgb) for rgb in photos]


def _optimised_here(session: object) -> bool:
    """Whether onnxruntime optimised the graph while building ``session`` (False: an already optimised graph)."""
    level = session.get_session_options().graph_optimization_level  # type: ignore[attr-defined]
    return bool(level != onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL)


def _entry(cache: WarmCache, model: Path) -> Path:
    key = cache_key(model)
    assert key is not None  # Linux: the processor's flags are readable
    path = cache.path_for(CACHE_KIND, key)
    assert path is not None
    return path.with_suffix(".onnx")


def test_the_cached_graph_finds_exactly_what_the_model_file_finds(tmp_path: Path, photos: list[np.ndarray]) -> None:
    cache = WarmCache(tmp_path)
    reference = NudityDetector()
    first = NudityDetector(warm_cache=cache)  # a miss: optimised here, stored
    entry = _entry(cache, model_path())
    assert entry.is_file() and _optimised_here(first._session)
    second = NudityDetector(warm_cache=cache)  # a hit: the stored graph, optimisers off
    assert not _optimised_here(second._session)
    expected = _found(reference, photos)
    assert sum(len(found) for found in expected) >= 3  # real detections (faces), not only empty lists
    assert _found(first, photos) == expected
    assert _found(second, photos) == expected  # frozen dataclasses: labels, boxes and float scores compared exactly
    assert cache.usage()[CACHE_KIND].entries == 1  # `brandkit cache info` counts it, `cache clear` removes it
    cache.clear()
    assert not entry.exists()


def test_the_input_shape_is_fixed_to_the_blob_preprocess_builds() -> None:
    session = NudityDetector()._session
    assert session.get_inputs()[0].shape == [1, 3, 320, 320]  # the file's free batch, height and width, fixed
    options = session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    raw = np.zeros((1, 3, 320, 320), dtype=np.float32)
    assert session.run(None, {"images": raw})[0].shape == (1, 22, 2100)
    with pytest.raises(Exception, match="(?i)dimension|shape"):  # another size is refused, never run
        session.run(None, {"images": np.zeros((1, 3, 256, 256), dtype=np.float32)})


def test_a_cached_file_holding_another_key_is_rebuilt(tmp_path: Path, photos: list[np.ndarray]) -> None:
    cache = WarmCache(tmp_path / "cache")
    model = tmp_path / "other" / "320n.onnx"
    model.parent.mkdir()
    shutil.copyfile(model_path(), model)
    load_session(model, None, cache)  # stores the graph under the copy's key
    theirs = _entry(cache, model)
    ours = _entry(cache, model_path())
    assert theirs != ours
    shutil.copyfile(theirs, ours)  # a file under our name that names another key inside
    session = load_session(model_path(), None, cache)
    assert _optimised_here(session)  # not taken: rebuilt from the model file…
    assert not _optimised_here(load_session(model_path(), None, cache))  # …and stored with the right key
    assert ours.read_bytes() != theirs.read_bytes()


def test_a_process_missing_the_graph_while_another_builds_it_waits_for_its_file(tmp_path: Path) -> None:
    cache = WarmCache(tmp_path / "cache")
    key = cache_key(model_path())
    assert key is not None
    entry = _entry(cache, model_path())
    elsewhere = WarmCache(tmp_path / "elsewhere")
    load_session(model_path(), None, elsewhere)
    graph = _entry(elsewhere, model_path()).read_bytes()  # what the other builder will store
    holding = threading.Event()

    def other_builder() -> None:
        with cache.building(CACHE_KIND, key):
            holding.set()
            time.sleep(0.5)
            entry.parent.mkdir(parents=True, exist_ok=True)
            entry.write_bytes(graph)

    builder = threading.Thread(target=other_builder)
    builder.start()
    holding.wait()
    session = load_session(model_path(), None, cache)  # misses, waits for the build lock, then finds the file
    builder.join()
    assert not _optimised_here(session)


def test_a_corrupt_cached_file_is_rebuilt(tmp_path: Path, photos: list[np.ndarray]) -> None:
    cache = WarmCache(tmp_path)
    entry = _entry(cache, model_path())
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"not an onnx model")
    detector = NudityDetector(warm_cache=cache)
    assert _optimised_here(detector._session)
    assert _found(detector, photos) == _found(NudityDetector(), photos)
    assert entry.stat().st_size > 1_000_000  # the real graph replaced the garbage
    assert not _optimised_here(NudityDetector(warm_cache=cache)._session)


def test_a_changed_model_file_is_a_new_key(tmp_path: Path) -> None:
    model = tmp_path / "320n.onnx"
    shutil.copyfile(model_path(), model)
    before = cache_key(model)
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = cache_key(model)
    assert before is not None and after is not None and before != after
    assert onnxruntime.__version__ in before


def test_a_disabled_cache_stores_nothing_and_still_moderates(tmp_path: Path, photos: list[np.ndarray]) -> None:
    detector = NudityDetector(warm_cache=WarmCache(None))
    assert _optimised_here(detector._session)
    assert _found(detector, photos) == _found(NudityDetector(), photos)
    assert list(tmp_path.iterdir()) == []


def test_the_kits_local_moderator_keeps_its_graph_in_the_kits_warm_cache(
    tmp_path: Path, northwind: BrandSpec, photos: list[np.ndarray]
) -> None:
    resources = KitResources(warm_cache=WarmCache(tmp_path))
    kit = brandkit.BrandKit(northwind, provider="local", resources=resources)
    moderator = kit.moderator
    assert isinstance(moderator, NudeNetModerator)
    scores = moderator.moderate_image(Image.fromarray(photos[0]), "")
    assert scores.scores == NudeNetModerator().moderate_image(Image.fromarray(photos[0]), "").scores
    assert WarmCache(tmp_path).usage()[CACHE_KIND].entries == 1


def test_storing_a_graph_prunes_the_entries_no_model_file_can_use_any_more(tmp_path: Path) -> None:
    """Every fresh virtual environment keys the moderator's graph anew (path, modification time): without pruning
    the cache grew by ~12 MB per venv forever (53 entries, 614 MiB on this machine after two days of CI clones)."""
    import json

    from brandkit.onnx_graphs import stored_key

    cache = WarmCache(tmp_path / "cache")
    gone, moved, kept = (tmp_path / name / "320n.onnx" for name in ("gone", "moved", "kept"))
    for model in (gone, moved, kept):
        model.parent.mkdir()
        shutil.copyfile(model_path(), model)
        load_session(model, None, cache)
    entries = {model: _entry(cache, model) for model in (gone, moved, kept)}
    assert all(entry.is_file() for entry in entries.values())
    assert json.loads(stored_key(entries[kept]) or "{}")["model"][0] == str(kept.resolve())
    shutil.rmtree(gone.parent)  # a deleted virtual environment
    stat = moved.stat()
    os.utime(moved, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # reinstalled: another file
    foreign = entries[kept].with_name("0" * 40 + ".onnx")
    foreign.write_bytes(b"not a graph this cache wrote")
    ours = tmp_path / "ours" / "320n.onnx"
    ours.parent.mkdir()
    shutil.copyfile(model_path(), ours)
    load_session(ours, None, cache)  # a new venv's first load stores its graph: the stale entries go
    assert not entries[gone].exists() and not entries[moved].exists() and not foreign.exists()
    assert entries[kept].is_file() and _entry(cache, ours).is_file()  # another venv's, still usable, stays
    assert not _optimised_here(load_session(kept, None, cache))  # and still loads as a hit
    assert cache.usage()[CACHE_KIND].entries == 2


def test_an_entry_superseded_for_the_same_model_file_is_stale_and_one_of_another_machine_is_not(
    tmp_path: Path,
) -> None:
    import json

    from brandkit.onnx_graphs import _stale

    model = tmp_path / "320n.onnx"
    shutil.copyfile(model_path(), model)
    current = json.loads(cache_key(model) or "{}")
    older = {**current, "onnxruntime": "0.0.1"}
    elsewhere = {**current, "onnxruntime": "0.0.1", "cpu": "another processor's flags"}
    assert _stale(json.dumps(older), current)  # this file, this machine, another onnxruntime: never used again
    assert not _stale(json.dumps(elsewhere), current)  # a machine sharing the cache folder may still use it
    assert not _stale(json.dumps(current), current)
    assert _stale(None, current) and _stale("{not json", current)
