"""Which files an audit checks: folders, glob patterns and files expanded into one list, and its shards.

Each source gives its own files in sorted order; the sources' lists follow each other in the order given, each
file once. A folder is searched recursively for image files (:data:`IMAGE_EXTENSIONS`); a glob pattern (``*``,
``?``, ``[…]``; ``**`` crosses folders) gives the image files it matches and the image files inside the folders
it matches; a file named outright is kept whatever its extension (a missing one too: its result says so). A
folder or pattern with no image file in it is a :class:`~brandkit.errors.RequestError` naming it — an audit of
nothing is a mistake, not a pass.

Every file has a *relative path*: inside the folder or below the pattern's fixed prefix it came from (a file
named outright: its name). :func:`shard_of` hashes that relative path (sha256, stable across machines, Python
versions and checkouts), so a shard (``--shard I/N``) is a deterministic share of the list and adding a file
never moves another file to a different shard.

Folders and patterns leave out macOS's AppleDouble files (``._name.png`` beside ``name.png``: a Mac writes them on
shared drives and into zip files, ``__MACOSX/``), recognised by their content's magic number — metadata, not
images; :func:`expand_library` counts them (``Library.skipped``) so that a run says how many it left out. A file
named outright is never left out.

The other files of a folder or pattern that are not images brandkit reads — an SVG logo, a PDF ad, a PSD source —
are not checked either; :func:`expand_library` lists them (``Library.other``, :func:`extension_counts` counts them
by extension) so that a run names what it did not judge. An image's record (``ad.png.json``) and an operating
system's folder files (``.DS_Store``, ``Thumbs.db``, ``desktop.ini``) are not among them.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from brandkit.errors import RequestError
from brandkit.imageio import APPLE_DOUBLE, starts_with

__all__ = [
    "IMAGE_EXTENSIONS",
    "AuditFile",
    "Library",
    "Shard",
    "expand_library",
    "expand_sources",
    "extension_counts",
    "extension_summary",
    "parse_shard",
    "select_shard",
    "shard_of",
]

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".avif", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif"}
)
"""What a folder or pattern is searched for: what brandkit decodes, and HEIC/HEIF, which it cannot — listed so that
a library's iPhone photos are reported unreadable by name ("export it as JPEG or PNG") rather than left out of the
audit without a word (as a browser's ``.jfif`` download or an ``.avif`` export were)."""
_SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r", ".localized"})
"""A folder's bookkeeping files an operating system writes (Finder's, Explorer's), in lower case: neither images
nor assets, so not named among the other files an audit left out."""
_MAGIC = re.compile(r"[*?\[]")
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class AuditFile:
    """One file of an audit: ``path`` as found (what reports show) and ``rel``, the path its shard hashes."""

    path: Path
    rel: str


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based: ``1/4`` … ``4/4``)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``"I/N"`` → :class:`Shard` (1 ≤ I ≤ N); anything else is a :class:`RequestError` naming the value."""
    match = _SHARD.match(text)
    if match is None:
        raise RequestError(f"--shard {text!r}: expected I/N, e.g. 1/4 (shard 1 of 4)", field="shard", value=text)
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise RequestError(
            f"--shard {text!r}: the index must be 1 to {count} and the count at least 1", field="shard", value=text
        )
    return Shard(index, count)


def shard_of(rel: str, count: int) -> int:
    """The shard (1-based, of ``count``) that the file with relative path ``rel`` belongs to."""
    key = PurePosixPath(rel.replace(os.sep, "/")).as_posix().encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % count + 1


def select_shard(files: Iterable[AuditFile], shard: Shard | None) -> list[AuditFile]:
    """The files of ``shard`` in their order (all of them when ``shard`` is ``None``)."""
    if shard is None:
        return list(files)
    return [item for item in files if shard_of(item.rel, shard.count) == shard.index]


@dataclass(frozen=True)
class Library:
    """What :func:`expand_library` found: the ``files`` to check, the AppleDouble metadata files (``._name``) the
    folders and patterns held, left out (``skipped``), and their other files, not images brandkit reads (``other``:
    an SVG, a PDF, a PSD…), left out too."""

    files: list[AuditFile]
    skipped: list[Path]
    other: list[Path] = field(default_factory=list)


def expand_sources(sources: Sequence[str | os.PathLike[str]]) -> list[AuditFile]:
    """Every file the ``sources`` name (see the module docstring), each once, in order."""
    return expand_library(sources).files


def expand_library(sources: Sequence[str | os.PathLike[str]]) -> Library:
    """Every file the ``sources`` name, each once, in order, and the macOS metadata files and other files left out
    of them (see the module docstring)."""
    seen: set[str] = set()
    files: list[AuditFile] = []
    left = _LeftOut([], [])
    for source in sources:
        for item in _expand(os.fspath(source), left):
            key = os.path.normcase(os.path.abspath(item.path))
            if key not in seen:
                seen.add(key)
                files.append(item)
    return Library(files, _unique(left.skipped), _unique(left.other))


def extension_counts(paths: Iterable[Path]) -> dict[str, int]:
    """How many of ``paths`` have each extension (lower case; ``""``: none), most frequent first."""
    return dict(Counter(path.suffix.lower() for path in paths).most_common())


def extension_summary(paths: Iterable[Path]) -> str:
    """:func:`extension_counts` said: ``.svg 3, .pdf 2, (no extension) 1``."""
    return ", ".join(f"{ext or '(no extension)'} {n}" for ext, n in extension_counts(paths).items())


@dataclass(frozen=True)
class _LeftOut:
    """What the folders and patterns held that is not checked: AppleDouble files and other files."""

    skipped: list[Path]
    other: list[Path]

    def sort(self, path: Path) -> bool:
        """Whether ``path`` is an image to check; if not, it goes to ``skipped`` or ``other`` (or nowhere: an
        image's record, a folder file of the operating system)."""
        if _apple_double(path):  # ._logo.svg too: a Mac's metadata whatever the extension it borrows
            self.skipped.append(path)
        elif path.suffix.lower() in IMAGE_EXTENSIONS:
            return True
        elif not _record_or_system(path):
            self.other.append(path)
        return False


def _unique(paths: list[Path]) -> list[Path]:
    return list({os.path.normcase(os.path.abspath(path)): path for path in paths}.values())


def _expand(source: str, left: _LeftOut) -> list[AuditFile]:
    path = Path(source)
    other = len(left.other)
    if path.is_dir():
        found = _folder_images(path, left)
        if not found:
            message = f"{source}: no image file in this folder ({_extensions()}){_held(left.other[other:])}"
            raise RequestError(message, field="images", value=source)
        return found
    if path.exists() or not _MAGIC.search(source):
        return [AuditFile(path, path.name)]  # a file named outright (a missing one is reported as unreadable)
    base = _fixed_prefix(source)
    found = []
    for match in sorted(glob.glob(source, recursive=True)):
        matched = Path(match)
        if matched.is_dir():
            found.extend(AuditFile(item.path, _rel(item.path, base)) for item in _folder_images(matched, left))
        elif left.sort(matched):
            found.append(AuditFile(matched, _rel(matched, base)))
    if not found:
        message = f"{source}: the pattern matches no image file ({_extensions()}){_held(left.other[other:])}"
        raise RequestError(message, field="images", value=source)
    return found


def _folder_images(folder: Path, left: _LeftOut) -> list[AuditFile]:
    """Image files under ``folder`` (recursively, hidden folders included), sorted by relative path; the others
    go to ``left``."""
    found: list[AuditFile] = []
    for current, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            full = Path(current) / name
            if left.sort(full):
                found.append(AuditFile(full, full.relative_to(folder).as_posix()))
    return sorted(found, key=lambda item: item.rel)


def _record_or_system(path: Path) -> bool:
    """Whether ``path`` is an image's record (``ad.png.json``) or an operating system's folder file."""
    name = path.name.lower()
    return name in _SYSTEM_FILES or (name.endswith(".json") and Path(name[:-5]).suffix in IMAGE_EXTENSIONS)


def _held(other: list[Path]) -> str:
    """What a folder or pattern without images held instead, for its error: ``; it holds 5 other file(s): .svg
    3, .pdf 2``."""
    if not other:
        return ""
    return f"; it holds {len(other)} other file(s), not images brandkit reads: {extension_summary(other)}"


def _apple_double(path: Path) -> bool:
    """Whether ``path`` is a Mac's AppleDouble metadata file: named ``._…`` and starting with its magic number (a
    file that cannot be read is not: its result says why)."""
    return path.name.startswith("._") and starts_with(path, APPLE_DOUBLE)


def _fixed_prefix(pattern: str) -> Path:
    """The folder part of ``pattern`` before its first wildcard."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts[:-1]:
        if _MAGIC.search(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _extensions() -> str:
    return " ".join(sorted(IMAGE_EXTENSIONS))
