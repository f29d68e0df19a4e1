"""Memo tables owned by an object, not by a module: the caches of fonts, glyph coverage, logo images and
forbidden-term matches.

A function decorated with :func:`memoized` looks its answer up in the :class:`MemoStore` that is *active* in the
current context — a kit activates the store of its :class:`~brandkit.resources.KitResources` for the duration of
each call (``generate``, ``edit``, ``validate``, ``compile``), and ``asyncio`` tasks and ``asyncio.to_thread``
inherit it. With no store active the function simply computes (same answer, no cache); an entry point that makes
many lookups on its own can open a short-lived store with :func:`memo_scope`. Nothing is computed at import and
no table outlives the object that owns it; the module-level :class:`~contextvars.ContextVar` only says which
store is active, it holds no data.

Tables are LRU-bounded per name; a lookup that raises caches nothing (as :func:`functools.lru_cache`).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar, cast

__all__ = ["MemoStore", "active_store", "memo_scope", "memoized"]

P = ParamSpec("P")
T = TypeVar("T")

_ACTIVE: ContextVar[MemoStore | None] = ContextVar("brandkit_memo_store", default=None)


class MemoStore:
    """Named LRU tables (thread-safe). Owned by a :class:`~brandkit.resources.KitResources`; share that to share."""

    def __init__(self) -> None:
        self._tables: dict[str, OrderedDict[Hashable, object]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoStore({', '.join(f'{k}={len(v)}' for k, v in sorted(self._tables.items()))})"

    def lookup(self, table: str, maxsize: int, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of ``key`` in ``table``, computed (outside the lock) on a miss; least recent entries beyond
        ``maxsize`` are dropped."""
        with self._lock:
            entries = self._tables.setdefault(table, OrderedDict())
            if key in entries:
                entries.move_to_end(key)
                return cast(T, entries[key])
        value = compute()
        with self._lock:
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > maxsize:
                entries.popitem(last=False)
        return value

    def size(self, table: str) -> int:
        """How many entries ``table`` holds (0 when it was never used)."""
        with self._lock:
            return len(self._tables.get(table, ()))

    def clear(self) -> None:
        """Drop every table (e.g. after fonts or logos changed on disk under the same modification time)."""
        with self._lock:
            self._tables.clear()

    @contextmanager
    def active(self) -> Iterator[MemoStore]:
        """Make this store the one :func:`memoized` functions use in the current context, until the block ends."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)


def active_store() -> MemoStore | None:
    """The store active in the current context, if any."""
    return _ACTIVE.get()


@contextmanager
def memo_scope() -> Iterator[MemoStore]:
    """The active store, or a new one active for the block (freed after it): for entry points that make many
    lookups outside a kit call."""
    current = _ACTIVE.get()
    if current is not None:
        yield current
        return
    with MemoStore().active() as store:
        yield store


def memoized(table: str, maxsize: int) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Cache a function with hashable positional arguments in the active store's ``table`` (``maxsize`` entries).

    The undecorated function stays reachable as ``__wrapped__``.
    """

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            store = _ACTIVE.get()
            if store is None:
                return fn(*args, **kwargs)
            key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
            return store.lookup(table, maxsize, key, lambda: fn(*args, **kwargs))

        return wrapper

    return decorate
