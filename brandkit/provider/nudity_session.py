"""The onnxruntime session that runs nudenet's 320n model, and its optimised graph kept in the warm cache.

**Options** (:func:`session_options`): onnxruntime's worker threads never spin after a run
(``session.{intra,inter}_op.allow_spinning = 0``: spinning threads burn a core for a while after every call and
slow the checks that run next), the input's free dimensions are fixed to what
:func:`~brandkit.provider.nudity_detector.preprocess` always feeds (1×3×320×320: static shapes and memory plan,
the same outputs bit for bit), and the intra-op thread count is the caller's (``None``: onnxruntime's default,
one per physical core).

**The optimised graph in the warm cache** (:func:`load_session`). Building a session from the ONNX file
spends ~half its time optimising the graph (fusions, the blocked ``NCHWc`` layout). The first load stores the
optimised graph in :class:`~brandkit.warm_cache.WarmCache` (kind ``nudenet``, a ``.onnx`` file written
atomically); later loads, in any process sharing the cache, read it with the optimisers off — the same graph, the
same outputs. The optimised graph may be specific to the processor (its blocked layout follows the vector width),
so the key names onnxruntime's version, the model file (path, size, modification time), these options and the
processor's feature flags; where the flags cannot be read (no ``/proc/cpuinfo``) nothing is cached. The key is
also written into the file (an ONNX metadata entry) and compared on load: a file holding another key, or one that
onnxruntime cannot read, is a miss (logged) and is rebuilt. Of several processes missing it at once
(``validate --jobs``), one builds it and the others wait for its file (:meth:`WarmCache.building`).
"""

from __future__ import annotations

import json
import logging
import platform
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brandkit.atomic import atomic_write
from brandkit.errors import OutputError

if TYPE_CHECKING:
    from brandkit.warm_cache import WarmCache

__all__ = ["CACHE_KIND", "INPUT_SHAPE", "MODEL_SIDE", "cache_key", "load_session", "session_options"]

CACHE_KIND = "nudenet"
"""The warm cache's kind for the optimised graph."""
MODEL_SIDE = 320
"""The side of the model's square input."""
INPUT_SHAPE = {"batch": 1, "height": MODEL_SIDE, "width": MODEL_SIDE}
"""The model's free input dimensions, fixed to the blob :func:`~brandkit.provider.nudity_detector.preprocess`
builds."""
_FORMAT_VERSION = "1"
_KEY_ENTRY = "brandkit.warm_cache_key"
_log = logging.getLogger("brandkit.provider.nudity_session")


def session_options(threads: int | None, *, optimise: bool = True) -> Any:
    """onnxruntime session options: no spinning, fixed input shape, ``threads`` intra-op threads (``None``:
    onnxruntime's default); ``optimise=False`` turns the graph optimisers off (for an already optimised graph)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    for name, value in INPUT_SHAPE.items():
        options.add_free_dimension_override_by_name(name, value)
    if threads is not None:
        options.intra_op_num_threads = threads
    if not optimise:
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    return options


def _cpu_features() -> str | None:
    """The processor's feature flags (``/proc/cpuinfo``), or ``None`` where they cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith(("flags", "Features")):
                    return " ".join(sorted(line.partition(":")[2].split()))
    except OSError:
        return None
    return None


def cache_key(model: Path) -> str | None:
    """The warm cache key of ``model``'s optimised graph on this machine, ``None`` when it cannot be named."""
    import onnxruntime

    features = _cpu_features()
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
            "input": INPUT_SHAPE,
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


def _with_key(model: bytes, key: str) -> bytes:
    """``model`` (a serialised ONNX ``ModelProto``) with one more ``metadata_props`` entry naming ``key``.

    Protobuf merges concatenated messages, so appending the field is adding the entry."""
    entry = _field(1, _KEY_ENTRY.encode()) + _field(2, key.encode())
    return model + _field(14, entry)  # ModelProto.metadata_props = 14


def _cached(path: Path, key: str, threads: int | None) -> Any | None:
    """The session of the cached graph at ``path``, or ``None`` on a miss (absent, unreadable, another key)."""
    import onnxruntime

    if not path.is_file():
        return None
    try:
        session = onnxruntime.InferenceSession(
            str(path), sess_options=session_options(threads, optimise=False), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own pybind types (InvalidProtobuf, Fail, ...) for a bad file
        _log.info("warm cache: %s cannot be loaded (%s); rebuilding", path, type(exc).__name__)
        return None
    if session.get_modelmeta().custom_metadata_map.get(_KEY_ENTRY) != key:
        _log.info("warm cache: %s holds another entry; rebuilding", path)
        return None
    return session


def _build_and_store(model: Path, path: Path, key: str, threads: int | None) -> Any:
    """A session built from ``model`` (graph optimised here), its optimised graph stored at ``path``."""
    import onnxruntime

    with tempfile.TemporaryDirectory(prefix="brandkit-nudenet-") as folder:
        options = session_options(threads)
        options.optimized_model_filepath = str(Path(folder) / "optimised.onnx")
        options.log_severity_level = 3  # not onnxruntime's "hardware specific" warning: the key names the CPU
        session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
        try:
            optimised = Path(options.optimized_model_filepath).read_bytes()
            atomic_write(path, _with_key(optimised, key))
        except (OutputError, OSError) as exc:
            _log.warning("warm cache: cannot store the moderation model's optimised graph at %s (%s)", path, exc)
    return session


def load_session(model: Path, threads: int | None, warm_cache: WarmCache | None) -> Any:
    """An onnxruntime session for ``model`` (CPU), from the optimised graph in ``warm_cache`` when it holds this
    machine's, else built from ``model`` and its optimised graph stored there. ``warm_cache=None`` or a disabled
    cache: built from ``model``, nothing stored."""
    import onnxruntime

    key = cache_key(model) if warm_cache is not None and warm_cache.enabled else None
    entry = warm_cache.path_for(CACHE_KIND, key) if warm_cache is not None and key is not None else None
    if warm_cache is None or key is None or entry is None:
        return onnxruntime.InferenceSession(
            str(model), sess_options=session_options(threads), providers=["CPUExecutionProvider"]
        )
    path = entry.with_suffix(".onnx")
    session = _cached(path, key, threads)
    if session is not None:
        return session
    with warm_cache.building(CACHE_KIND, key):  # of several processes missing it at once, one builds it
        session = _cached(path, key, threads)  # stored by another process while this one waited
        return session if session is not None else _build_and_store(model, path, key, threads)
