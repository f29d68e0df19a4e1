"""Atomic file writes with recognisable temp files, and the sweep that removes their stale leftovers.

Every file brandkit writes goes through :func:`atomic_write_all`: each target is first written to a temp file
beside it, named ``.<name>.brandkit-<host>-<pid>-<random>.tmp`` (``<host>``: six hex digits of this machine's
host name; ``<pid>``: the writing process), fsynced, then renamed over the target. A ``kill -9`` between the
two steps leaves such a temp file behind; :func:`sweep_stale_temps` removes it later.

**The staleness rule.** A temp file of that naming is stale — safe to delete — when its writer cannot still be
using it: written on this host, by a process that no longer exists; written on another host (a shared folder),
untouched for :data:`STALE_AGE_S` (one hour — no writer holds one file's temp that long; the age counts from the
later of its modification and inode change, so a hard-linked backup of an old file is young). A temp file of a
live process on this host is never touched, so concurrent writers in one folder are safe (a dead writer's pid
taken over by another process keeps its leftover until that process ends). The next write into a folder
sweeps that folder; a variant run sweeps its whole output folder at the start of every session (``--resume``).

A foundation module: imports only :mod:`brandkit.errors`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from brandkit.errors import OutputError, OutputExistsError

__all__ = [
    "STALE_AGE_S",
    "atomic_write",
    "atomic_write_all",
    "is_brandkit_temp",
    "make_temp",
    "sweep_stale_temps",
    "sweep_tree",
]

STALE_AGE_S = 3600.0
"""Age after which a brandkit temp file is stale whoever wrote it (see the module docstring)."""
_TEMP = re.compile(r"^\..*\.brandkit-(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-[A-Za-z0-9_]+\.tmp$", re.DOTALL)
_NAME_MAX = 255


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "surrogateescape")).hexdigest()[:6]


def _temp_prefix(name: str) -> str:
    """``.<name>.brandkit-<host>-<pid>-`` with ``name`` cut (on a character boundary) so the whole temp name
    stays within the 255-byte limit of a file name."""
    tail = f".brandkit-{_host_tag()}-{os.getpid()}-"
    room = _NAME_MAX - len(tail.encode()) - 1 - 8 - len(".tmp")  # leading dot, mkstemp's 8 characters
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) > room:
        name = encoded[:room].decode("utf-8", "ignore")
    return f".{name}{tail}"


def make_temp(folder: Path, name: str, mode: int = 0o666) -> tuple[int, str]:
    """Create a new temp file of brandkit's naming for target ``name`` in ``folder``: (open fd, path).

    Created with ``mode`` (default ``0o666``) through ``O_CREAT | O_EXCL``, so the process umask (and a folder's
    default ACL) decides its permissions, as for any file a program creates (``tempfile.mkstemp`` would make it
    ``0600``); pass ``0o600`` for a secret (a private key), which is then never readable by others, not even
    for a moment.
    """
    prefix = _temp_prefix(name)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(tempfile.TMP_MAX):
        path = os.path.join(folder, f"{prefix}{secrets.token_hex(4)}.tmp")
        try:
            return os.open(path, flags, mode), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temp file name", str(folder))


def is_brandkit_temp(name: str) -> bool:
    """Whether ``name`` is a temp file name of brandkit's naming."""
    return _TEMP.match(name) is not None


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


def _is_stale(name: str, touched: float, now: float) -> bool:
    match = _TEMP.match(name)
    if match is None:
        return False
    if match["host"] != _host_tag():
        return now - touched > STALE_AGE_S
    pid = int(match["pid"])
    return pid != os.getpid() and not _pid_alive(pid)


def _stale_in(folder: Path, now: float) -> Iterator[Path]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(".") or not entry.name.endswith(".tmp"):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if _is_stale(entry.name, max(info.st_mtime, info.st_ctime), now):
            yield Path(entry.path)


def sweep_stale_temps(folder: str | os.PathLike[str], *, now: float | None = None) -> list[Path]:
    """Remove the stale brandkit temp files directly in ``folder`` (rule: module docstring); returns them.
    ``now`` (default: the clock) is the time the ages are measured at."""
    removed = []
    for path in _stale_in(Path(folder), time.time() if now is None else now):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def sweep_tree(root: str | os.PathLike[str]) -> list[Path]:
    """:func:`sweep_stale_temps` in ``root`` and every folder below it (symlinks are not followed)."""
    removed: list[Path] = []
    for folder, _dirs, _files in os.walk(root, followlinks=False):
        removed.extend(sweep_stale_temps(folder))
    return removed


def atomic_write(path: Path, data: bytes, *, overwrite: bool = True, mode: int = 0o666) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename).

    Raises :class:`OutputError` naming the path when the folder is a file, cannot be made, or nothing can be
    written there. An existing file at ``path`` is replaced only once the new one is complete — or, with
    ``overwrite=False``, never: :class:`OutputExistsError` (see :func:`atomic_write_all`).
    """
    atomic_write_all([(path, data)], overwrite=overwrite, mode=mode)


def _prepare_folder(path: Path) -> None:
    folder = path.parent
    if "\x00" in str(path):
        raise OutputError(f"{path!r}: a file name may not contain a NUL character", path=repr(str(path)))
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: output folder is a file", path=str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; cannot write a file there", path=str(path))


def _write_temp(path: Path, data: bytes, mode: int = 0o666) -> str:
    fd, tmp = make_temp(path.parent, path.name, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _fsync_folder(folder: Path) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _backup_of(path: Path) -> Path:
    """A fresh name of brandkit's temp naming for the hard-linked backup of ``path`` (swept like a temp)."""
    fd, name = make_temp(path.parent, path.name)
    os.close(fd)
    os.unlink(name)
    return Path(name)


def atomic_write_all(items: list[tuple[Path, bytes]], *, overwrite: bool = True, mode: int = 0o666) -> None:
    """Write several files as one unit: all complete, or none changed.

    Every file is first written to a temp file beside its target and fsynced; then each target is replaced in
    turn, with the previous version kept as a hard-linked backup until all replacements succeeded. If one fails,
    the targets already replaced are restored from their backups, so a failed save never destroys a finished file.
    Stale temp files of brandkit's naming in the targets' folders are removed first (:func:`sweep_stale_temps`).
    The :class:`OutputError` raised keeps the ``OSError`` (and its ``errno``) as ``__cause__``.

    With ``overwrite=False`` no existing file is ever replaced: each complete temp file is hard-linked to its
    target name, which fails if that name exists — the check and the write are one step, so two writers
    racing for one name cannot both win. The loser gets :class:`OutputExistsError` naming the file, and the
    files of this call already linked are removed again. (Where the filesystem cannot hard-link, the name is
    claimed with ``O_CREAT | O_EXCL`` and the temp file renamed onto it.) Files are created with mode
    ``mode`` (default ``0o666``) less the umask (:func:`make_temp`).
    """
    temps: list[str] = []
    backups: list[tuple[Path, Path | None]] = []
    current = items[0][0] if items else Path(".")
    try:
        swept: set[Path] = set()
        for path, data in items:
            current = path
            _prepare_folder(path)
            if path.parent not in swept:
                swept.add(path.parent)
                sweep_stale_temps(path.parent)
            temps.append(_write_temp(path, data, mode))
        for (path, _), tmp in zip(items, temps, strict=True):
            current = path
            if not overwrite:
                _link_new(tmp, path)
                backups.append((path, None))
                continue
            backup = None
            if path.exists():
                backup = _backup_of(path)
                os.link(path, backup)
            try:
                os.replace(tmp, path)
            except BaseException:
                if backup is not None:  # this target was not touched: drop its backup
                    with contextlib.suppress(OSError):
                        backup.unlink()
                raise
            backups.append((path, backup))
        for folder in {path.parent for path, _ in items}:
            _fsync_folder(folder)
    except OutputError:
        _rollback(backups, temps)
        raise
    except (OSError, ValueError) as exc:
        _rollback(backups, temps)
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OutputError(f"{current}: cannot write ({reason})", path=str(current)) from exc
    for _, backup in backups:
        if backup is not None:
            with contextlib.suppress(OSError):
                backup.unlink()


_NO_LINK = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS})


def _link_new(tmp: str, path: Path) -> None:
    """Give the complete temp file ``tmp`` the name ``path`` only if no file has it (atomic check and write)."""
    try:
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError:
        raise _exists(path) from None
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
        try:  # no hard links here: claim the name, then rename the complete file onto the claimed name
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666))
        except FileExistsError:
            raise _exists(path) from None
        try:
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _exists(path: Path) -> OutputExistsError:
    return OutputExistsError(f"{path}: already exists; not replaced (pass overwrite=True to replace it)", str(path))


def _rollback(backups: list[tuple[Path, Path | None]], temps: list[str]) -> None:
    for path, backup in reversed(backups):
        with contextlib.suppress(OSError):
            if backup is not None:
                os.replace(backup, path)
            else:
                path.unlink()
    for tmp in temps:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
