"""A disk cache for things that are costly to prepare and cheap to load (palette tables, a logo's features).

:class:`WarmCache` keeps NumPy arrays in files under a cache folder, one file per ``(kind, key)``:
``<root>/<kind>/<sha256 of the key>.npz`` (deflate-compressed — a 32 MiB palette table is ~0.4 MB on disk and
loads in the time of a raw read —, loaded with ``allow_pickle=False``). The caller's
``key`` must name everything the arrays are derived from — a format version and the inputs' fingerprint (palette
colours + tolerance, a logo file's sha256 + preparation parameters) — so a stale entry is never read: a new
version or new inputs make a new key, hence a new file. The key is also stored inside the file and compared on
load, so a hash collision or a file copied under the wrong name is a miss.

**Sharing between processes.** Every write goes through :func:`brandkit.atomic.atomic_write` (temp file,
fsync, rename): readers see the old file or the new one, never a torn one; two processes that build the same
entry at once both write a complete file and the last rename wins (both hold the same arrays) — and a builder
that takes :meth:`WarmCache.building` first makes the others wait for its file instead of building it too. A corrupt or
unreadable file (truncated, not a zip, wrong arrays) is a miss: the caller rebuilds and stores it again.

**Seeing and clearing it.** :meth:`WarmCache.usage` counts the entries by kind and their size;
:meth:`WarmCache.clear` removes them (``brandkit cache info`` / ``clear``), touching only the cache's own file
names, and is safe beside running processes (a removed entry is a miss; a held build lock is left alone).

**Failures never fail the caller.** A load that cannot read is a miss; a store that cannot write (full disk,
read-only folder) logs one warning per cache and carries on. :meth:`WarmCache.default` picks the folder:
``$BRANDKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/brandkit``, else ``~/.cache/brandkit``;
``BRANDKIT_CACHE_DIR=off`` disables the cache; a folder that cannot be made or written disables it with one
warning. A disabled cache (``WarmCache(None)``) misses every load and stores nothing.

A foundation module: imports only :mod:`brandkit.atomic` and :mod:`brandkit.errors` (NumPy on first use).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import threading
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from brandkit.atomic import atomic_write
from brandkit.errors import OutputError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: builds are not coordinated between processes
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    import numpy as np

__all__ = ["CACHE_DIR_ENV", "RESOURCE_KEY", "CacheUsage", "WarmCache", "WarmCacheWarning"]

CACHE_DIR_ENV = "BRANDKIT_CACHE_DIR"
"""Environment variable naming the cache folder (``off`` disables the cache)."""
RESOURCE_KEY = "warm_cache"
"""The key of the kit's cache in its check resources (:meth:`WarmCache.of`)."""

_KEY_ARRAY = "__warm_cache_key__"
_CONTAINER_VERSION = "1"
_KIND = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_ENTRY = re.compile(r"^[0-9a-f]{40}\.[a-z0-9]{1,16}$")  # path_for's names, with any suffix a kind gives them
_log = logging.getLogger("brandkit.warm_cache")


class CacheUsage(NamedTuple):
    """Entries of a warm cache (of one kind, or removed by :meth:`WarmCache.clear`) and their bytes on disk."""

    entries: int
    bytes: int


class WarmCacheWarning(UserWarning):
    """The warm cache cannot be used (folder unusable, disk full): brandkit works, only without the cache."""


class _Resources(Protocol):
    def get(self, key: str, factory: Callable[[], Any]) -> Any: ...


def _check_kind(kind: str) -> None:
    if not _KIND.match(kind):
        raise ValueError(f"warm cache kind {kind!r} must be 1-64 characters of a-z, 0-9, '_', '.', '-'")


class WarmCache:
    """Files in a cache folder keyed by ``(kind, key)``; safe to share between processes; atomic writes.

    ``root=None`` is a disabled cache: every load misses and stores do nothing.
    """

    def __init__(self, root: Path | None, disabled: str | None = None) -> None:
        self.root = Path(root) if root is not None else None
        self.disabled = None if self.root is not None else (disabled or "no folder given")
        """Why the cache is disabled (``None`` when it is enabled): what ``brandkit cache info`` says."""
        self._warned = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WarmCache({str(self.root) if self.root is not None else None!r})"

    @property
    def enabled(self) -> bool:
        """Whether this cache reads and writes files."""
        return self.root is not None

    @classmethod
    def default(cls) -> WarmCache:
        """The cache of the environment: ``$BRANDKIT_CACHE_DIR`` (``off``: disabled), else
        ``$XDG_CACHE_HOME/brandkit``, else ``~/.cache/brandkit``. An unusable folder: disabled, one warning."""
        configured = os.environ.get(CACHE_DIR_ENV, "").strip()
        if configured.lower() in ("off", "0", "none", "disabled"):
            return cls(None, f"{CACHE_DIR_ENV}={configured}")
        if configured:
            root = Path(configured).expanduser().absolute()  # as the user named it, from the current folder
        else:
            xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
            base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
            root = base / "brandkit"
        if not root.is_absolute():  # no usable home folder: never a default cache relative to the current folder
            why = f"no home folder for the default {root}"
            warnings.warn(
                f"warm cache disabled: {why}; set {CACHE_DIR_ENV} to a folder, or to 'off'",
                WarmCacheWarning,
                stacklevel=2,
            )
            return cls(None, why)
        try:
            root.mkdir(parents=True, exist_ok=True)
            usable = root.is_dir() and os.access(root, os.W_OK | os.X_OK)
            reason = "not writable"
        except OSError as exc:
            usable = False
            reason = exc.strerror or type(exc).__name__
        if not usable:
            why = f"{root} cannot be used ({reason})"
            warnings.warn(
                f"warm cache disabled: {why}; set {CACHE_DIR_ENV} to a writable folder, or to 'off'",
                WarmCacheWarning,
                stacklevel=2,
            )
            return cls(None, why)
        return cls(root)

    @classmethod
    def of(cls, resources: _Resources) -> WarmCache:
        """The cache of a kit's check resources (``ctx.resources`` in a check; :attr:`KitResources.warm_cache`
        puts it there), :meth:`default` on first use when none was given."""
        cache = resources.get(RESOURCE_KEY, cls.default)
        if not isinstance(cache, WarmCache):
            raise TypeError(f"check resource {RESOURCE_KEY!r} holds a {type(cache).__name__}, not a WarmCache")
        return cache

    def path_for(self, kind: str, key: str) -> Path | None:
        """The file that holds ``(kind, key)`` (``None`` when disabled)."""
        _check_kind(kind)
        if self.root is None:
            return None
        digest = hashlib.sha256(f"{_CONTAINER_VERSION}\0{kind}\0{key}".encode()).hexdigest()[:40]
        return self.root / kind / f"{digest}.npz"

    @contextmanager
    def building(self, kind: str, key: str, timeout: float = 120.0) -> Iterator[None]:
        """Hold the build lock of ``(kind, key)`` for the block, so that of several processes missing the same
        entry at once (``validate --jobs``) one builds and the others wait, then load its file.

        An advisory ``flock`` on ``<entry>.lock`` (released by the system if the holder dies). Waiting longer
        than ``timeout`` seconds, or a lock that cannot be taken (disabled cache, no ``fcntl``, unwritable
        folder), runs the block without it: the entry is then built twice, never wrongly.
        """
        path = self.path_for(kind, key)
        if path is None or fcntl is None:
            yield
            return
        handle = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path.with_suffix(".lock"), "a+b")  # noqa: SIM115 (held across the yield)
        except OSError:
            if handle is not None:
                handle.close()
            yield
            return
        with handle:
            deadline = time.monotonic() + timeout
            locked = False
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    locked = True
                    break
                except OSError:
                    if time.monotonic() >= deadline:
                        _log.info("warm cache: %s is still being built elsewhere; building it here too", path)
                        break
                    time.sleep(0.05)
            try:
                yield
            finally:
                if locked:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def load_arrays(self, kind: str, key: str) -> dict[str, np.ndarray] | None:
        """The arrays stored for ``(kind, key)``, or ``None`` on a miss, a corrupt file or another key's file."""
        path = self.path_for(kind, key)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            _log.info("warm cache: cannot read %s (%s); rebuilding", path, exc.strerror)
            return None
        import numpy as np

        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            _log.info("warm cache: %s is corrupt (%s); rebuilding", path, type(exc).__name__)
            return None
        stored_key = arrays.pop(_KEY_ARRAY, None)
        if stored_key is None or stored_key.shape != () or str(stored_key) != key:
            _log.info("warm cache: %s holds another entry; rebuilding", path)
            return None
        return arrays

    def store_arrays(self, kind: str, key: str, arrays: dict[str, np.ndarray]) -> None:
        """Store ``arrays`` for ``(kind, key)`` atomically. Never raises for the disk: a failed write warns once."""
        path = self.path_for(kind, key)
        if path is None:
            return
        import numpy as np

        if _KEY_ARRAY in arrays:
            raise ValueError(f"warm cache: the array name {_KEY_ARRAY!r} is reserved")
        for name, array in arrays.items():
            if np.asarray(array).dtype.hasobject:
                raise ValueError(f"warm cache: array {name!r} holds Python objects; only plain arrays are stored")
        buffer = io.BytesIO()
        payload: dict[str, Any] = {_KEY_ARRAY: np.array(key), **arrays}
        np.savez_compressed(buffer, **payload)  # tables compress ~100× and load as fast as raw (zlib)
        try:
            atomic_write(path, buffer.getvalue())
        except (OutputError, OSError) as exc:
            self._warn_once(f"warm cache: cannot write {path} ({exc}); continuing without storing it")

    def _entries(self) -> Iterator[tuple[str, Path]]:
        """``(kind, file)`` of every entry and build lock in the cache: only this cache's own file names
        (:meth:`path_for`'s, with the suffix a kind stores under — ``.npz``, the palette's ``.gamut`` tables)."""
        if self.root is None or not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if not _KIND.match(folder.name) or folder.is_symlink() or not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if _ENTRY.match(path.name) and path.is_file() and not path.is_symlink():
                    yield folder.name, path

    def usage(self) -> dict[str, CacheUsage]:
        """The entries by kind: how many and their size on disk (empty when disabled or not created yet)."""
        out: dict[str, CacheUsage] = {}
        for kind, path in self._entries():
            if path.suffix == ".lock":
                continue
            try:
                size = path.stat().st_size
            except OSError:  # removed meanwhile
                continue
            seen = out.get(kind, CacheUsage(0, 0))
            out[kind] = CacheUsage(seen.entries + 1, seen.bytes + size)
        return out

    def clear(self) -> CacheUsage:
        """Remove every entry (and the build locks no process holds, and stale temp files); returns what was
        removed. Safe beside processes using the cache: a reader has the whole file or a miss (and rebuilds), a
        build in progress keeps its lock and stores its entry when done. Only this cache's own files (its
        ``<kind>/<hash>.<suffix>`` names) are touched — never anything else in the folder."""
        from brandkit.atomic import sweep_stale_temps

        removed = CacheUsage(0, 0)
        folders: set[Path] = set()
        for _kind, path in self._entries():
            folders.add(path.parent)
            if path.suffix == ".lock":
                self.remove_free_lock(path)
                continue
            try:
                size = path.stat().st_size
                path.unlink()
            except OSError:  # removed meanwhile, or not ours to remove
                continue
            removed = CacheUsage(removed.entries + 1, removed.bytes + size)
        for folder in folders:
            sweep_stale_temps(folder)
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
        return removed

    @staticmethod
    def remove_free_lock(path: Path) -> None:
        """Remove a build lock file unless a process holds it (that build goes on under its lock); a missing one
        is nothing to do."""
        if fcntl is None or not path.exists():
            return
        try:
            with open(path, "a+b") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                path.unlink()
        except OSError:  # held by a build, or already gone
            return

    def _warn_once(self, message: str) -> None:
        with self._lock:
            first = not self._warned
            self._warned = True
        if first:
            warnings.warn(message, WarmCacheWarning, stacklevel=3)
        else:
            _log.info("%s", message)
