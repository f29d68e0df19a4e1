"""Output pre-flight: before the first paid call, make sure the results can be kept.

:func:`preflight` checks that an output folder resolves to a directory that exists or can be created — not
under a file, not a dangling symbolic link, not on a pseudo filesystem (``/proc``, ``/sys``: no capacity), not
read-only — by really creating and removing a probe file of brandkit's temp naming (:mod:`brandkit.atomic`),
and that its filesystem has room (``os.statvfs``) for the run's expected output, estimated by
:func:`estimate_output_bytes`. Anything else is an :class:`~brandkit.errors.OutputFolderError` naming the
folder and what is wrong; the CLI maps it to exit code 2. ``generate``, ``edit`` (CLI) and variant runs
(CLI and SDK: ``run_variants``, ``kit.variants``) call it before they spend.

:func:`is_storage_failure` tells a failed write that will fail again for every later write (full disk,
quota, read-only, permission, I/O error) from one about a single file (a bad name). :func:`keep_elsewhere`
keeps results that were paid for but could not be saved (``generate``/``edit``) in a new temp folder and
builds the :class:`~brandkit.errors.OutputFailedError` (exit 4) that says what was saved, kept and lost.

A foundation module: imports only :mod:`brandkit.atomic` and :mod:`brandkit.errors`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from brandkit.atomic import make_temp
from brandkit.errors import OutputError, OutputFailedError, OutputFolderError

if TYPE_CHECKING:
    from brandkit.models import CompiledPrompt

__all__ = [
    "FILE_EXTENSIONS",
    "STORAGE_ERRNOS",
    "OutputEstimate",
    "estimate_image_bytes",
    "estimate_output_bytes",
    "image_extension",
    "is_storage_failure",
    "keep_elsewhere",
    "preflight",
    "storage_errno",
]

STORAGE_ERRNOS = frozenset(
    code
    for code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.EFBIG)
    if code is not None
)
"""Write failures that every later write into the same folder would hit too: stop paying at the first one."""

FILE_EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}
"""The file extension brandkit names an image of each output format with."""


def image_extension(output_format: str) -> str:
    """The extension of an image file of ``output_format`` (``jpeg`` → ``.jpg``); ``.png`` for an unknown one."""
    return FILE_EXTENSIONS.get(output_format, ".png")


BYTES_PER_PIXEL = {"png": 3.0, "webp": 3.0, "jpeg": 1.5}
"""Estimate of an encoded image: PNG and WebP (brandkit re-encodes WebP losslessly to embed provenance) are
bounded by the raw pixels, 3 bytes a pixel (4 with a transparent background); JPEG is taken at 1.5 bytes a
pixel, above what quality 100 gives for photographic content."""
IMAGE_OVERHEAD = 64 * 1024
"""Per image: PNG/WebP container and zlib overhead, the embedded provenance."""
SIDECAR_BYTES = 64 * 1024
"""Per image: the sidecar JSON (request, prompt, report, attempts)."""
VARIANT_EXTRA = 64 * 1024 + 8 * 1024
"""Per variant of a run: its thumbnail, and its share of the journal, ``manifest.json`` and ``index.html``."""
FIXED_MARGIN = 1024 * 1024
"""Per run: the manifest and contact sheet written twice while being replaced, the lock, file-system slack."""


@dataclass(frozen=True)
class OutputEstimate:
    """What a run is expected to write: ``bytes`` in ``files`` files."""

    bytes: int
    files: int

    def __add__(self, other: OutputEstimate) -> OutputEstimate:
        return OutputEstimate(self.bytes + other.bytes, self.files + other.files)


def estimate_image_bytes(width: int, height: int, output_format: str = "png", transparent: bool = False) -> int:
    """Expected size of one encoded image with its provenance (see :data:`BYTES_PER_PIXEL`)."""
    per_pixel = BYTES_PER_PIXEL.get(output_format, 3.0)
    if transparent and output_format != "jpeg":
        per_pixel = 4.0
    return int(width * height * per_pixel) + IMAGE_OVERHEAD


def prompt_output(prompt: CompiledPrompt) -> tuple[int, int, str, bool]:
    """What one image of ``prompt`` is saved as: (width, height, output format, transparent) — an entry of
    :func:`estimate_output_bytes`."""
    fmt = str(prompt.params.get("output_format", "png"))
    return prompt.width, prompt.height, fmt, prompt.params.get("background") == "transparent"


def estimate_output_bytes(
    images: list[tuple[int, int, str, bool]], *, per_image_extra: int = 0, fixed: int = FIXED_MARGIN
) -> OutputEstimate:
    """The estimate for ``images`` (width, height, output format, transparent), each saved with its sidecar,
    plus ``per_image_extra`` bytes each (thumbnails, journal) and ``fixed`` once."""
    total = fixed
    for width, height, fmt, transparent in images:
        total += estimate_image_bytes(width, height, fmt, transparent) + SIDECAR_BYTES + per_image_extra
    return OutputEstimate(bytes=total, files=3 * len(images) + 8)


def storage_errno(exc: BaseException) -> int | None:
    """The ``errno`` of the ``OSError`` behind ``exc`` (itself or its ``__cause__`` chain), if any."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(current, OSError) and current.errno is not None:
            return current.errno
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def is_storage_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is a write failure of the folder or filesystem (:data:`STORAGE_ERRNOS`), not of one file."""
    return storage_errno(exc) in STORAGE_ERRNOS


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _check_path(folder: Path) -> None:
    """Refuse a NUL, a dangling link, or a file where a folder must be (the folder or one of its parents)."""
    text = str(folder)
    if "\x00" in text:
        raise OutputFolderError(f"{text!r}: a folder name may not contain a NUL character", repr(text), "bad_name")
    for part in [folder, *folder.parents]:
        if os.path.islink(part) and not os.path.exists(part):
            target = os.readlink(part)
            raise OutputFolderError(
                f"{folder}: {part} is a symbolic link to {target}, which does not exist (dangling link)",
                str(folder),
                "dangling_link",
            )
        if os.path.lexists(part) and not os.path.isdir(part):
            where = "is a file" if part == folder else f"is under {part}, which is a file"
            raise OutputFolderError(f"{folder}: output folder {where}, not a folder", str(folder), "not_a_folder")


def _create(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = "read_only" if exc.errno == errno.EROFS else "not_writable"
        reason = exc.strerror or str(exc)
        raise OutputFolderError(f"{folder}: cannot create the output folder ({reason})", str(folder), problem) from exc


def _probe(folder: Path) -> None:
    """Really create, write, fsync and remove a file of brandkit's temp naming in ``folder``."""
    try:
        fd, name = make_temp(folder, ".preflight")
    except OSError as exc:
        problem = "read_only" if exc.errno == errno.EROFS else "not_writable"
        reason = exc.strerror or str(exc)
        message = f"{folder}: cannot write in the output folder ({reason})"
        raise OutputFolderError(message, str(folder), problem) from exc
    try:
        os.write(fd, b"brandkit")
        os.fsync(fd)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        problem = "no_space" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "not_writable"
        message = f"{folder}: cannot write in the output folder ({reason})"
        raise OutputFolderError(message, str(folder), problem) from exc
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)


def _check_filesystem(folder: Path, need: OutputEstimate | None, shown: Path | None = None) -> None:
    """Refuse a pseudo or read-only filesystem, or one without room for ``need``; messages name ``shown``
    (the output folder asked for) and, when it is another, the existing ``folder`` that was looked at."""
    where = folder if shown is None or shown == folder else f"{shown} ({folder})"
    try:
        stats = os.statvfs(folder)
    except OSError as exc:
        raise OutputFolderError(
            f"{folder}: cannot read the output folder's filesystem ({exc.strerror or exc})", str(folder), "not_writable"
        ) from exc
    if stats.f_blocks == 0:
        raise OutputFolderError(
            f"{where}: is on a pseudo filesystem without storage (like /proc or /sys); choose another folder",
            str(shown or folder),
            "pseudo_filesystem",
        )
    if stats.f_flag & os.ST_RDONLY:
        raise OutputFolderError(f"{where}: is on a read-only filesystem", str(shown or folder), "read_only")
    if need is None:
        return
    free = stats.f_bavail * stats.f_frsize
    if need.bytes > free:
        raise OutputFolderError(
            f"{folder}: not enough free space for this run: it needs about {_mb(need.bytes)} "
            f"({need.files} files, estimated from format and size), the filesystem has {_mb(free)} free; "
            "nothing was spent",
            str(folder),
            "no_space",
            need_bytes=need.bytes,
            free_bytes=free,
        )
    if stats.f_files and need.files > stats.f_favail:
        raise OutputFolderError(
            f"{folder}: the filesystem can create {stats.f_favail} more files, the run needs about {need.files}",
            str(folder),
            "no_inodes",
        )


def preflight(
    folder: str | os.PathLike[str], need: OutputEstimate | None = None, *, subfolders: tuple[Path, ...] = ()
) -> Path:
    """Make sure results can be written into ``folder`` (created if missing) before anything is spent.

    ``need`` is the run's estimate (:func:`estimate_output_bytes`); ``subfolders`` (inside ``folder``) must not
    be blocked by files. Returns the folder; raises :class:`~brandkit.errors.OutputFolderError`.
    """
    path = Path(folder)
    _check_path(path)
    for sub in subfolders:
        _check_path(sub)
    existing = next((p for p in [path, *path.parents] if p.is_dir()), None)
    if existing is not None and existing != path:  # /proc, a read-only mount: say so rather than "cannot create"
        _check_filesystem(existing, None, shown=path)
    _create(path)
    if not path.is_dir():  # pragma: no cover - a race with another process
        raise OutputFolderError(f"{path}: output folder is not a folder", str(path), "not_a_folder")
    _check_filesystem(path, None)
    _probe(path)
    _check_filesystem(path, need)
    return path


def keep_elsewhere(
    unsaved: Sequence[tuple[str, float, Callable[[Path], object]]], saved: int, out: Path, cause: BaseException
) -> OutputFailedError:
    """Results paid for that could not be saved in ``out`` — each ``(name, cost, save)`` where ``save(path)``
    writes it — are written into a new folder under the system's temp folder when possible. Returns the
    :class:`~brandkit.errors.OutputFailedError` to raise (chain ``cause``), naming what was saved, kept (where)
    and lost, and what the unsaved results cost."""
    kept, cost = 0, sum(item[1] for item in unsaved)
    folder: Path | None = None
    try:
        folder = Path(tempfile.mkdtemp(prefix="brandkit-unsaved-"))
        for name, _, save in unsaved:
            save(folder / name)
            kept += 1
    except (OSError, OutputError):
        if folder is not None and kept == 0:
            shutil.rmtree(folder, ignore_errors=True)
            folder = None
    lost = len(unsaved) - kept
    where = f" in {folder}" if folder is not None and kept else ""
    error = OutputFailedError(
        f"output failed: {saved} saved, {kept} kept{where}, {lost} lost — {cause} (the unsaved image(s) cost "
        f"${cost:.4f})",
        path=str(out),
        saved=saved,
        kept=kept,
        lost=lost,
        kept_at=str(folder) if folder is not None and kept else None,
        cost_usd=cost,
    )
    error.__cause__ = cause
    return error
