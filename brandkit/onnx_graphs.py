"""onnxruntime sessions whose optimised graph is kept in the warm cache (shared by the moderation and OCR models).

Building a session from an ONNX file spends a large part of its time optimising the graph (constant folding,
fusions, the blocked ``NCHWc`` layout). :func:`load_session` stores the optimised graph in
:class:`~brandkit.warm_cache.WarmCache` (one kind per model family, a ``.onnx`` file written atomically) the first
time, and later loads — in any process sharing the cache — read it with the optimisers off: the same graph, the
same outputs.

The optimised graph may be specific to the processor (its blocked layout follows the vector width), so the key
(:func:`graph_key`) names onnxruntime's version, the model file (path, size, modification time), the caller's
settings that shape the graph (fixed input dimensions, …), the machine and the processor's feature flags; where the
flags cannot be read (no ``/proc/cpuinfo``) nothing is cached. The key is also written into the file (an ONNX
metadata entry) and compared on load: a file holding another key, or one onnxruntime cannot read, is a miss
(logged) and is rebuilt. Of several processes missing it at once (``validate --jobs``), one builds it and the
others wait for its file (:meth:`~brandkit.warm_cache.WarmCache.building`).

The key names the model file by path and modification time (cheap to compute at every start), so every fresh
virtual environment or reinstall makes new entries (~12 MB for the moderator, more for OCR). Storing one prunes the
kind's **stale** entries (:func:`prune_stale`): those whose model file is gone or changed, and those this machine's
current key supersedes (same model file, another onnxruntime or format). Entries of model files that still exist
unchanged — another virtual environment on this machine — are kept.
"""

from __future__ import annotations

import json
import logging
import platform
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brandkit.atomic import atomic_write
from brandkit.errors import OutputError

if TYPE_CHECKING:
    from brandkit.warm_cache import WarmCache

__all__ = [
    "KEY_ENTRY",
    "OptionsFactory",
    "cpu_features",
    "graph_key",
    "load_session",
    "prune_stale",
    "stored_key",
    "with_key",
]

OptionsFactory = Callable[[bool], Any]
"""``make(optimise)`` → onnxruntime ``SessionOptions``; ``optimise=False`` must turn the graph optimisers off
(the options of a session loaded from an already optimised graph)."""

KEY_ENTRY = "brandkit.warm_cache_key"
"""The ONNX metadata entry that holds a cached graph's key."""
_FORMAT_VERSION = "1"
_log = logging.getLogger("brandkit.onnx_graphs")


def cpu_features() -> str | None:
    """The processor's feature flags (``/proc/cpuinfo``), or ``None`` where they cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith(("flags", "Features")):
                    return " ".join(sorted(line.partition(":")[2].split()))
    except OSError:
        return None
    return None


def graph_key(model: Path, settings: Mapping[str, Any]) -> str | None:
    """The warm cache key of ``model``'s optimised graph on this machine with ``settings`` (JSON-able: what the
    caller's options change in the graph), ``None`` when it cannot be named."""
    import onnxruntime

    features = cpu_features()
    if features is None:
        return None
    try:
        stat = model.stat()
    except OSError:
        return None
    return json.dumps(
        {
            "format": _FORMAT_VERSION,
            "onnxruntime": onnxruntime.__version__,
            "model": [str(model.resolve()), stat.st_size, stat.st_mtime_ns],
            **dict(settings),
            "machine": platform.machine(),
            "cpu": features,
        },
        sort_keys=True,
    )


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def with_key(model: bytes, key: str) -> bytes:
    """``model`` (a serialised ONNX ``ModelProto``) with one more ``metadata_props`` entry naming ``key``.

    Protobuf merges concatenated messages, so appending the field is adding the entry."""
    entry = _field(1, KEY_ENTRY.encode()) + _field(2, key.encode())
    return model + _field(14, entry)  # ModelProto.metadata_props = 14


_KEY_TAIL_BYTES = 16_384
"""How much of an entry's end :func:`stored_key` reads: the key entry is appended last (:func:`with_key`)."""


def stored_key(path: Path) -> str | None:
    """The key written into a cached graph by :func:`with_key` (read from the file's last bytes, without
    loading the model), or ``None`` when it cannot be read."""
    marker = _field(1, KEY_ENTRY.encode()) + bytes([2 << 3 | 2])  # the entry's name, then field 2's tag
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, handle.seek(0, 2) - _KEY_TAIL_BYTES))
            tail = handle.read()
    except OSError:
        return None
    at = tail.rfind(marker)
    if at < 0:
        return None
    length, shift, pos = 0, 0, at + len(marker)
    while pos < len(tail):
        byte = tail[pos]
        length |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            break
    raw = tail[pos : pos + length]
    return raw.decode("utf-8", "replace") if len(raw) == length else None


def _stale(stored: str | None, current: dict[str, Any]) -> bool:
    """Whether an entry keyed ``stored`` can no longer be used on this machine (see the module docstring)."""
    if stored is None:
        return True  # no key this module wrote: nothing could ever match it
    try:
        key = json.loads(stored)
        path, size, mtime = key["model"]
    except (ValueError, TypeError, KeyError):
        return True
    try:
        stat = Path(path).stat()
    except OSError:
        return True  # its model file is gone (a deleted virtual environment)
    if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
        return True  # its model file changed (reinstalled)
    same_source = {k: key.get(k) for k in ("model", "machine", "cpu")} == {
        k: current.get(k) for k in ("model", "machine", "cpu")
    }
    return same_source and key != current  # superseded here: another onnxruntime or format for this very file


def prune_stale(folder: Path, keep: Path, key: str) -> int:
    """Remove the stale entries (and their free build locks) of the kind in ``folder`` after ``keep`` was stored
    under ``key``; returns how many entries were removed. Errors are skipped (another process may prune too)."""
    from brandkit.warm_cache import WarmCache

    current = json.loads(key)
    removed = 0
    for entry in sorted(folder.glob("*.onnx")):
        if entry == keep or not _stale(stored_key(entry), current):
            continue
        try:
            entry.unlink()
        except OSError:
            continue
        removed += 1
        WarmCache.remove_free_lock(entry.with_suffix(".lock"))
    if removed:
        _log.info("warm cache: removed %d stale entries from %s", removed, folder)
    return removed


def _cached(path: Path, key: str, make_options: OptionsFactory, providers: list[Any]) -> Any | None:
    """The session of the cached graph at ``path``, or ``None`` on a miss (absent, unreadable, another key)."""
    import onnxruntime

    if not path.is_file():
        return None
    try:
        session = onnxruntime.InferenceSession(str(path), sess_options=make_options(False), providers=providers)
    except Exception as exc:  # onnxruntime raises its own pybind types (InvalidProtobuf, Fail, ...) for a bad file
        _log.info("warm cache: %s cannot be loaded (%s); rebuilding", path, type(exc).__name__)
        return None
    if session.get_modelmeta().custom_metadata_map.get(KEY_ENTRY) != key:
        _log.info("warm cache: %s holds another entry; rebuilding", path)
        return None
    return session


def _build_and_store(
    model: Path, path: Path, key: str, make_options: OptionsFactory, providers: list[Any], what: str
) -> Any:
    """A session built from ``model`` (graph optimised here), its optimised graph stored at ``path``."""
    import onnxruntime

    with tempfile.TemporaryDirectory(prefix="brandkit-onnx-") as folder:
        options = make_options(True)
        options.optimized_model_filepath = str(Path(folder) / "optimised.onnx")
        options.log_severity_level = 3  # not onnxruntime's "hardware specific" warning: the key names the CPU
        session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=providers)
        try:
            optimised = Path(options.optimized_model_filepath).read_bytes()
            atomic_write(path, with_key(optimised, key))
        except (OutputError, OSError) as exc:
            _log.warning("warm cache: cannot store the %s's optimised graph at %s (%s)", what, path, exc)
        else:
            prune_stale(path.parent, path, key)
    return session


def load_session(
    model: Path,
    make_options: OptionsFactory,
    *,
    kind: str,
    settings: Mapping[str, Any],
    warm_cache: WarmCache | None,
    what: str,
    providers: list[Any] | None = None,
) -> Any:
    """An onnxruntime session for ``model`` (CPU), from the optimised graph in ``warm_cache`` (entry kind
    ``kind``, key :func:`graph_key` of ``settings``) when it holds this machine's, else built from ``model`` and
    its optimised graph stored there. ``warm_cache=None``, a disabled cache or a key that cannot be named: built
    from ``model``, nothing stored. ``what`` names the model in log lines; ``providers``: onnxruntime's execution
    providers (default the CPU's, with its default options)."""
    import onnxruntime

    providers = providers if providers is not None else ["CPUExecutionProvider"]
    key = graph_key(model, settings) if warm_cache is not None and warm_cache.enabled else None
    entry = warm_cache.path_for(kind, key) if warm_cache is not None and key is not None else None
    if warm_cache is None or key is None or entry is None:
        return onnxruntime.InferenceSession(str(model), sess_options=make_options(True), providers=providers)
    path = entry.with_suffix(".onnx")
    session = _cached(path, key, make_options, providers)
    if session is not None:
        return session
    with warm_cache.building(kind, key):  # of several processes missing it at once, one builds it
        session = _cached(path, key, make_options, providers)  # stored by another process while this one waited
        return session if session is not None else _build_and_store(model, path, key, make_options, providers, what)
