"""The onnxruntime session that runs nudenet's 320n model, and its optimised graph kept in the warm cache.

**Options** (:func:`session_options`): onnxruntime's worker threads never spin after a run
(``session.{intra,inter}_op.allow_spinning = 0``: spinning threads burn a core for a while after every call and
slow the checks that run next), the input's free dimensions are fixed to what
:func:`~brandkit.provider.nudity_detector.preprocess` always feeds (1×3×320×320: static shapes and memory plan,
the same outputs bit for bit), and the intra-op thread count is the caller's (``None``: onnxruntime's default,
one per physical core).

**The optimised graph in the warm cache** (:func:`load_session`, through :mod:`brandkit.onnx_graphs`, which says
how the entry is keyed, checked and shared between processes): kind ``nudenet``; the key names these options' fixed
input shape besides onnxruntime, the model file and the processor. Building the session from nudenet's file spends
~half its time optimising the graph; from the cache it does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from brandkit import onnx_graphs
from brandkit.onnx_graphs import graph_key

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


def cache_key(model: Path) -> str | None:
    """The warm cache key of ``model``'s optimised graph on this machine, ``None`` when it cannot be named."""
    return graph_key(model, {"input": INPUT_SHAPE})


def load_session(model: Path, threads: int | None, warm_cache: WarmCache | None) -> Any:
    """An onnxruntime session for ``model`` (CPU), from the optimised graph in ``warm_cache`` when it holds this
    machine's, else built from ``model`` and its optimised graph stored there
    (:func:`brandkit.onnx_graphs.load_session`). ``warm_cache=None`` or a disabled cache: built from ``model``,
    nothing stored."""
    return onnx_graphs.load_session(
        model,
        lambda optimise: session_options(threads, optimise=optimise),
        kind=CACHE_KIND,
        settings={"input": INPUT_SHAPE},
        warm_cache=warm_cache,
        what="moderation model",
    )
