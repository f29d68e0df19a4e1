"""Durable JSON Lines: an append-only, fsynced event log and its crash-tolerant reader.

Used by the variant run journal (:mod:`brandkit.variants.journal`) and the OpenAI Batch engine's state
file (:mod:`brandkit.provider.openai_batch`). Every :meth:`Journal.append` is one line, written and
fsynced before it returns; a ``kill -9`` can leave a torn last line, which :func:`read_journal` skips and
:meth:`Journal.open` terminates before appending.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from brandkit.errors import OutputError

__all__ = ["Journal", "iter_journal", "read_journal"]


class Journal:
    """Append-only JSONL writer: each :meth:`append` is one line, flushed and fsynced before it returns.

    Thread-safe. Open it with :meth:`open` (or as a context manager); a missing file is created.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r}, open={self._fd is not None})"

    def open(self) -> Journal:
        """Open for appending; if the last line was torn by a crash, start a new line after it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)  # less the umask, as outputs
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot open the journal ({exc.strerror or exc})", str(self.path)) from exc
        size = os.fstat(fd).st_size
        if size:
            with self.path.open("rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    os.write(fd, b"\n")
                    os.fsync(fd)
        self._fd = fd
        return self

    def close(self) -> None:
        """Close the file (appending afterwards raises)."""
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> Journal:
        return self.open() if self._fd is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one event (``ts`` and ``event`` added) durably; returns the record written."""
        record = {"ts": round(time.time(), 3), "event": event, **fields}
        self.append_many([record])
        return record

    def append_many(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Write several events with a single fsync (each still one line; a crash keeps a prefix of them)."""
        lines = [json.dumps(dict(r), ensure_ascii=False, separators=(",", ":"), default=str) for r in records]
        if not lines:
            return
        payload = ("\n".join(lines) + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                raise OutputError(f"{self.path}: the journal is not open", str(self.path))
            try:
                view = memoryview(payload)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
                os.fsync(self._fd)
            except OSError as exc:
                message = f"{self.path}: cannot write the journal ({exc.strerror or exc})"
                raise OutputError(message, str(self.path)) from exc


def read_journal(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], int]:
    """All events of a journal in order, and how many lines were skipped (torn or not JSON objects)."""
    records: list[dict[str, Any]] = []
    skipped = 0
    for record in iter_journal(path):
        if record is None:
            skipped += 1
        else:
            records.append(record)
    return records, skipped


def iter_journal(path: str | os.PathLike[str]) -> Iterator[dict[str, Any] | None]:
    """The journal's events in order, read a line at a time (a reader that keeps only part of each event holds
    only that): ``None`` for each skipped line (torn or not a JSON object with an ``event``). A missing file: none.
    """
    try:
        handle = Path(path).open("rb")  # noqa: SIM115 - closed by the with below, after the open's own errors
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"{path}: cannot read the journal ({exc.strerror or exc})", str(path)) from exc
    with handle:
        try:
            for raw in handle:
                line = raw.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    yield None
                    continue
                ok = isinstance(record, dict) and isinstance(record.get("event"), str)
                yield record if ok else None
        except OSError as exc:
            raise OutputError(f"{path}: cannot read the journal ({exc.strerror or exc})", str(path)) from exc
