"""Reading YAML/JSON documents (brand specs, variant plans) with errors that name file, line and field."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from brandkit.errors import BrandkitError, SpecError


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"unsupported mapping key of type {type(key).__name__}", key_node.start_mark
            ) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_text(
    file: Path, *, max_bytes: int, what: str = "spec", error: Callable[[str], BrandkitError] = SpecError
) -> str:
    """The text of ``file``: a regular file within ``max_bytes``, UTF-8 (a leading byte-order mark dropped) or
    UTF-16 with one. Every failure raises ``error(message)`` naming the file."""
    try:
        info = file.stat()
    except (OSError, ValueError) as exc:
        raise error(f"{file}: cannot read the {what} ({getattr(exc, 'strerror', None) or exc})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{file}: not a regular file")
    if info.st_size > max_bytes:
        raise error(f"{file}: {info.st_size:,} bytes is larger than the {max_bytes:,}-byte limit for a {what}")
    try:
        with file.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise error(f"{file}: larger than the {max_bytes:,}-byte limit for a {what}")
        # a leading byte-order mark is not content: UTF-8 with one (Notepad, PowerShell's Out-File), or UTF-16,
        # which PowerShell 5 writes for `> file` and which nothing else would start with
        return raw.decode("utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start}): save it as UTF-8") from exc
    except OSError as exc:
        raise error(f"{file}: cannot read the {what} ({exc.strerror or exc})") from exc


JSON_SUFFIXES = (".json", ".tokens")
"""Read as JSON: ``.tokens`` is the W3C design tokens format's own extension (its files are JSON)."""
JSON5_SUFFIXES = (".json5", ".jsonc")
"""Read as JSON5 (comments, trailing commas, unquoted keys, single quotes): GitHub Primer's token sources."""
MAX_DEPTH = 256
"""Nesting a JSON5 document may have (JSON's is the interpreter's recursion limit)."""


def read_document(
    file: Path,
    *,
    max_bytes: int,
    what: str = "spec",
    error: Callable[[str], BrandkitError] = SpecError,
    json5: bool = False,
) -> Any:
    """Parse ``file`` by its suffix: ``.json`` and ``.tokens`` as JSON, ``.json5`` and ``.jsonc`` as JSON5,
    anything else as YAML (safe loader, duplicate keys rejected).

    ``json5``: a JSON file that is not strict JSON is read as JSON5 when it is that (design tokens: Style
    Dictionary and Primer read theirs so); files brandkit writes and its own formats stay strict.
    Every failure raises ``error(message)`` naming the file and, for syntax errors, the line and column.
    """
    text = read_text(file, max_bytes=max_bytes, what=what, error=error)
    suffix = file.suffix.lower()
    try:
        if suffix in JSON5_SUFFIXES:
            return _json5(text, file, error)
        if suffix in JSON_SUFFIXES:
            return _json(text, file, error, json5=json5)
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{file}: invalid YAML{where}: {problem}") from exc
    except RecursionError as exc:
        raise error(f"{file}: the document is nested too deeply") from exc


def _json(text: str, file: Path, error: Callable[[str], BrandkitError], *, json5: bool) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        strict = error(f"{file}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
        if not json5:
            raise strict from exc
        import pyjson5  # only for a file that needs it (10 ms)

        try:
            return pyjson5.decode(text, maxdepth=MAX_DEPTH)
        except pyjson5.Json5Exception:
            raise strict from exc  # not JSON5 either: JSON's own message, the one its author expects


def _json5(text: str, file: Path, error: Callable[[str], BrandkitError]) -> Any:
    import pyjson5  # only for a file that needs it (10 ms)

    try:
        return pyjson5.decode(text, maxdepth=MAX_DEPTH)
    except pyjson5.Json5NestingTooDeep as exc:
        raise error(f"{file}: the document is nested too deeply") from exc
    except pyjson5.Json5Exception as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        near = re.search(r" (?:starting )?near (\d+)", message)
        where = ""
        if near is not None:
            offset = min(max(int(near.group(1)) - 1, 0), len(text))  # pyjson5 counts the character read
            if isinstance(exc, pyjson5.Json5ExtraData) and len(exc.args) > 2 and isinstance(exc.args[2], str):
                offset = max(text.find(exc.args[2], offset), offset)  # it counts the end of the document
            line_start = text.rfind("\n", 0, offset) + 1
            where = f" at line {text.count(chr(10), 0, offset) + 1}, column {offset - line_start + 1}"
            message = message.replace(near.group(0), "")
        raise error(f"{file}: invalid JSON5{where}: {_readable(message)}") from exc


def _readable(message: str) -> str:
    """pyjson5's message with its code points and byte-string names as characters: ``U+007d`` → ``'}'``."""
    message = re.sub(r"U\+([0-9A-Fa-f]{4,6})", lambda m: repr(chr(int(m.group(1), 16))), message)
    return re.sub(r"b'(\w+)'", r"\1", message)


def field_path(loc: Sequence[int | str]) -> str:
    """A pydantic error location as a field path: ``palette.colors[1].hex``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def value_at(data: Any, loc: Sequence[int | str]) -> Any:
    """The value at ``loc`` in parsed data, or ``None`` when the path does not exist."""
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
