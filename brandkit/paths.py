"""Confined paths: a file named in a document (a spec's assets, a plan's images) must be a regular file
inside the document's folder or inside a folder the caller allowed explicitly.

One rule, used by :mod:`brandkit.spec.loader` (spec assets) and :mod:`brandkit.variants.plan` (reference
images and the edit master of a plan):

* the path is resolved like the operating system does — ``..``, symlinks (every component, the last
  included) and ``~`` are followed with ``Path.resolve(strict=True)`` — and the **real** path must lie inside
  the **real** path of one of the allowed folders. A symlink inside the folder that points out of it is
  therefore refused, and one that stays inside is fine.
* the target must be a regular file (no folder, device, FIFO, socket; a symlink loop fails to resolve).
* ``relative_only`` (spec assets) additionally refuses absolute paths, drive letters and any ``..`` part
  before resolving, with backslashes read as separators: a spec is portable and self-contained.

Problems raise :class:`~brandkit.errors.SpecError` with a message that names the path but not the document
or field (the caller adds those, or turns the message into a :class:`~brandkit.errors.SpecIssue`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath

from brandkit.errors import SpecError

__all__ = ["allowed_folders", "confined_file", "is_inside"]


def is_inside(real: Path, real_root: Path) -> bool:
    """True when ``real`` is ``real_root`` or below it (both already resolved)."""
    return real == real_root or real_root in real.parents


def confined_file(
    text: str,
    base: Path,
    *,
    allowed: Sequence[Path] = (),
    relative_only: bool = False,
    what: str = "asset",
    folder: str = "the spec folder",
    allow_option: str = "--allow-path / allow_paths",
) -> Path:
    """The real path of the regular file ``text`` names, relative to ``base``, inside ``base`` or ``allowed``.

    ``what`` and ``folder`` only word the messages (``"reference image"``, ``"the plan folder"``), and
    ``allow_option`` names the caller's way to allow more folders (``""``: it has none). Raises
    :class:`~brandkit.errors.SpecError` naming ``text`` (and, when it leads out, the real target).
    """
    if relative_only:
        pure = PurePosixPath(text.replace("\\", "/"))
        if not text or pure.is_absolute() or (len(text) > 1 and text[1] == ":"):
            raise SpecError(f"{what} path {text!r} must be relative to {folder}")
        if ".." in pure.parts:
            raise SpecError(f"{what} path {text!r} may not contain '..'")
        candidate = base.joinpath(*pure.parts)
    else:
        if not text or "\x00" in text:
            raise SpecError(f"{what} path {text!r} is empty or holds a NUL character")
        given = Path(text).expanduser()
        candidate = given if given.is_absolute() else base / given
    try:
        real = candidate.resolve(strict=True)
    except FileNotFoundError:
        raise SpecError(f"{what} file {text!r} does not exist in {base}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise SpecError(f"cannot resolve {what} {text!r}: {exc}") from exc
    roots = [base.resolve(), *(root.resolve() for root in allowed)]
    if not any(is_inside(real, root) for root in roots):
        extra = "" if relative_only or not allow_option else f" and every folder allowed with {allow_option}"
        raise SpecError(f"{what} {text!r} leads outside {folder}{extra} (to {real})")
    if not real.is_file():
        raise SpecError(f"{what} {text!r} is not a regular file")
    return real


def allowed_folders(
    paths: Iterable[str | os.PathLike[str]], error: Callable[[str], SpecError] = SpecError
) -> tuple[Path, ...]:
    """The real paths of folders a caller allows besides the document's own; each must be an existing folder.

    Relative paths are taken from the current folder (the caller's, as on a command line). Raises
    ``error(message)`` naming the first one that is not a folder.
    """
    out: list[Path] = []
    for item in paths:
        path = Path(item).expanduser()
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise error(f"allowed path {str(path)!r} cannot be used: {reason}") from None
        if not real.is_dir():
            raise error(f"allowed path {str(path)!r} is not a folder (allow the folder that holds the files)")
        if real not in out:
            out.append(real)
    return tuple(out)
