"""Is an asset's file still the one the registry recorded? The one answer approval, export and the review page use.

The registry records the sha256 of the bytes each asset was checked with (``AssetRow.content_hash``). What is
approved, exported or shown to a reviewer must be those bytes: a file edited, replaced or removed after it was
checked is *changed* or *missing*, never silently taken for the checked one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum
from pathlib import Path

from brandkit.errors import ImageInputError
from brandkit.imageio import read_bytes
from brandkit.registry.models import AssetRow


class FileState(StrEnum):
    """Where an asset's recorded file stands against the bytes that were checked."""

    unchanged = "unchanged"
    changed = "changed"
    missing = "missing"


@dataclass(frozen=True)
class RecordedFile:
    """An asset's file as it is now: its state and, when it could be read, its bytes and their sha256."""

    path: Path
    state: FileState
    recorded: str
    data: bytes | None = None
    digest: str | None = None

    @property
    def unchanged(self) -> bool:
        """The file holds exactly the bytes that were checked."""
        return self.state is FileState.unchanged

    def describe(self, asset_id: int) -> str:
        """One sentence for an error or a notice, naming the file and both hashes (never the bytes)."""
        if self.state is FileState.missing:
            return f"asset {asset_id}: its file {self.path} is missing or unreadable"
        if self.state is FileState.changed:
            return (
                f"asset {asset_id}: its file {self.path} changed since it was checked "
                f"(recorded sha256 {self.recorded[:12]}…, now {(self.digest or '')[:12]}…)"
            )
        return f"asset {asset_id}: its file {self.path} is the one that was checked"


def read_bytes_of(path: Path) -> bytes | None:
    """The file's bytes, or ``None`` when it is missing, not a regular file, unreadable or over the image size
    limit (:data:`brandkit.imageio.MAX_FILE_BYTES`: no asset brandkit made or checked is larger)."""
    try:
        return read_bytes(path)
    except ImageInputError:
        return None


def recorded_file(row: AssetRow, path: Path | None = None) -> RecordedFile:
    """Read ``row``'s file (or ``path``, its already resolved location) once and compare it with the recorded hash.

    The bytes are returned with the state, so a caller that serves or copies them uses exactly what was compared
    (the file is not read a second time and cannot change in between).
    """
    where = path if path is not None else Path(row.path)
    data = read_bytes_of(where)
    if data is None:
        return RecordedFile(where, FileState.missing, row.content_hash)
    digest = hashlib.sha256(data).hexdigest()
    state = FileState.unchanged if digest == row.content_hash else FileState.changed
    return RecordedFile(where, state, row.content_hash, data, digest)


def file_hint(row: AssetRow, slack_s: float = 2.0) -> str | None:
    """What a stat of ``row``'s file says, without reading it (for a list of many assets): ``"missing"`` when it is
    not there, ``"modified"`` when it was modified after the asset was recorded (it may have changed: the bytes are
    compared — :func:`recorded_file` — when it is opened or approved), else ``None``."""
    try:
        info = Path(row.path).stat()
    except OSError:
        return "missing"
    recorded = row.created_at if row.created_at.tzinfo is not None else row.created_at.replace(tzinfo=UTC)
    return "modified" if info.st_mtime > recorded.timestamp() + slack_s else None
