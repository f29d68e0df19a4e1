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

__all__ = ["KEY_ENTRY", "OptionsFactory", "cpu_features", "graph_key", "load_session", "with_key"]

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
