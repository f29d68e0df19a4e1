"""One JSON document with a long list in input order, without the list in memory.

``brandkit validate --json`` prints one document whose ``images`` list follows the order of the files given, while
the files finish in any order (``--jobs``). Holding every file's report until the end costs ~50 KB a file (a
100,000-file audit: gigabytes). :class:`OrderedEntries` writes each entry's JSON text to an anonymous temporary
file as it finishes and keeps only its offset; :func:`emit_json_with_list` prints the document — the same text
:func:`~brandkit.cli.common.emit_json` would — reading the entries back one at a time in index order.
"""

from __future__ import annotations

import json
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from types import TracebackType
from typing import IO, Any

from brandkit.errors import OutputError

_MARK = "\x00brandkit-list\x00"


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


class OrderedEntries:
    """``count`` JSON entries, put in any order, read back in index order; the texts live in a temporary file.

    Use as a context manager (the file is removed on close). Raises :class:`~brandkit.errors.OutputError` when the
    temporary folder cannot take an entry.
    """

    def __init__(self, count: int) -> None:
        self._where: list[tuple[int, int] | None] = [None] * count
        self._file: IO[bytes] | None = None

    def __enter__(self) -> OrderedEntries:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Remove the temporary file."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def put(self, index: int, entry: Any) -> None:
        """Keep entry ``index`` (its JSON text as :func:`emit_json` lays it out one level down)."""
        data = textwrap.indent(_dumps(entry), "    ").encode("utf-8")
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="brandkit-json-")  # noqa: SIM115 - closed by close()
            self._file.seek(0, 2)
            self._where[index] = (self._file.tell(), len(data))
            self._file.write(data)
        except OSError as exc:
            raise OutputError(f"the --json document's entries cannot be kept in the temporary folder: {exc}") from exc

    def texts(self) -> Iterator[str]:
        """Each entry's text in index order (an entry never put is ``null``)."""
        for where in self._where:
            if where is None or self._file is None:
                yield "    null"
                continue
            self._file.seek(where[0])
            yield self._file.read(where[1]).decode("utf-8")


def emit_json_with_list(document: dict[str, Any], key: str, entries: OrderedEntries) -> None:
    """Print ``document`` with ``entries`` as its list ``key`` — the text ``emit_json({**document, key: [...]})``
    prints, key order kept (``document[key]`` marks the place; its value is replaced)."""
    head, _, tail = _dumps({**document, key: _MARK}).partition(json.dumps(_MARK))
    out = sys.stdout
    out.write(head)
    first = True
    for text in entries.texts():
        out.write(("[\n" if first else ",\n") + text)
        first = False
    out.write("[]" if first else "\n  ]")
    out.write(tail + "\n")
