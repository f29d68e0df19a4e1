"""Edit settings of a YAML brand spec in place, with a comment per change, touching nothing else.

Used by ``brandkit spec calibrate`` to write proposed thresholds back. Settings are named by dotted paths with
list indices (``palette.colors[0].min_share``). ruamel.yaml's round-trip parser says where each value stands
(line and column); the edit replaces that scalar's text in the original lines and adds an end-of-line comment,
so every other byte of the file — its comments, quoting, indentation, flow mappings — stays as the brand team
wrote it. A setting the file leaves to its default is inserted beside its siblings. The edited text must parse
to the new values and load as a spec (limits, assets) before it replaces the file, atomically.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from brandkit.errors import SpecError

_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\d+\])*)")
_SCALAR = re.compile(r"[^\s,}\]#]*")  # a plain scalar such as a number: ends at blank, comma, bracket


class SettingEdit(BaseModel):
    """One value to set, and the end-of-line comment that says why."""

    model_config = ConfigDict(extra="forbid")

    setting: str
    value: float | int | bool
    comment: str = Field(default="", description="What this edit says, e.g. 'was 0.35'.")
    note: str = Field(default="", description="What edits on one line share, e.g. 'calibrated 2026-12-04 from …'.")


def parse_setting(setting: str) -> list[str | int]:
    """``'palette.colors[0].min_share'`` → ``['palette', 'colors', 0, 'min_share']``."""
    parts: list[str | int] = []
    for chunk in setting.split("."):
        match = _PATH_PART.fullmatch(chunk)
        if match is None:
            raise SpecError(f"not a spec setting path: {setting!r}")
        parts.append(match.group(1))
        parts += [int(i) for i in re.findall(r"\[(\d+)\]", match.group(2))]
    return parts


def _scalar(value: float | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _comment_start(line: str) -> int | None:
    """Index of the ``#`` that starts the line's comment (outside quotes), or None."""
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
    return None


def _with_comment(line: str, comment: str, note: str = "") -> str:
    """``line`` with ``comment`` added to its end-of-line comment; several edits on one line share ``note``."""
    if not comment and not note:
        return line
    text = f"{note}: {comment}" if note and comment else note or comment
    at = _comment_start(line)
    if at is None:
        return f"{line.rstrip()}  # {text}"
    if note and note in line[at:]:
        return f"{line.rstrip()}, {comment}"
    return f"{line.rstrip()}; {text}"


def _load(text: str, source: Path) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise SpecError(f"{source}: not readable YAML ({exc})") from None


def _apply(lines: list[str], doc: Any, parts: list[str | int], edit: SettingEdit, source: Path) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node: Any = doc
    for depth, key in enumerate(parts[:-1]):
        try:
            child = node[key]
        except (KeyError, IndexError, TypeError):
            if isinstance(node, CommentedMap) and isinstance(key, str):
                _insert(lines, node, parts[depth:], edit)
                return
            raise SpecError(f"{source}: cannot write {edit.setting}: {key!r} is not in the spec") from None
        node = child
    last = parts[-1]
    if not isinstance(node, CommentedMap | CommentedSeq):
        raise SpecError(f"{source}: cannot write {edit.setting}: its parent is not a mapping or a list")
    if isinstance(node, CommentedMap) and last not in node:
        _insert(lines, node, [last], edit)
        return
    if isinstance(node[last], CommentedMap | CommentedSeq):
        raise SpecError(f"{source}: cannot write {edit.setting}: it is a mapping or a list, not a value")
    row, col = node.lc.value(last) if isinstance(node, CommentedMap) else node.lc.item(last)
    line = lines[row]
    token = _SCALAR.match(line, col)
    stop = col if token is None else token.end()
    lines[row] = _with_comment(line[:col] + _scalar(edit.value) + line[stop:], edit.comment, edit.note)


def _insert(lines: list[str], parent: Any, keys: list[str | int], edit: SettingEdit) -> None:
    """Insert ``keys`` (missing, nested) with the value into ``parent``, beside its first key."""
    if any(not isinstance(k, str) for k in keys):
        raise SpecError(f"cannot write {edit.setting}: a list item it names does not exist")
    names = [str(k) for k in keys]
    value = _scalar(edit.value)
    if parent.fa.flow_style():
        inner = value
        for name in reversed(names[1:]):
            inner = f"{{{name}: {inner}}}"
        row, col = parent.lc.line, parent.lc.col
        brace = lines[row].index("{", col)
        lines[row] = f"{lines[row][: brace + 1]} {names[0]}: {inner},{lines[row][brace + 1 :]}"
        lines[row] = _with_comment(lines[row], edit.comment, edit.note)
        return
    if len(parent):
        first = next(iter(parent))
        row, col = parent.lc.key(first)
    else:
        raise SpecError(f"cannot write {edit.setting}: its parent mapping is empty")
    new = [" " * (col + 2 * i) + f"{name}:" for i, name in enumerate(names[:-1])]
    new.append(_with_comment(" " * (col + 2 * (len(names) - 1)) + f"{names[-1]}: {value}", edit.comment, edit.note))
    lines[row:row] = new


def _value_at(doc: Any, parts: list[str | int]) -> Any:
    node = doc
    for key in parts:
        node = node[key]
    return node


def edit_settings(spec_file: str | os.PathLike[str], edits: list[SettingEdit]) -> None:
    """Apply ``edits`` to the YAML spec ``spec_file``; nothing is written unless the result is a valid spec."""
    from brandkit.atomic import atomic_write
    from brandkit.spec.loader import load_spec

    path = Path(spec_file)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise SpecError(f"{path}: settings can be written only into a YAML spec (a comment says where each came from)")
    if not edits:
        return
    text = path.read_text(encoding="utf-8")
    ending = "\n" if text.endswith("\n") else ""
    for edit in edits:  # one at a time: each edit's positions come from the text as it is now
        lines = text.splitlines()
        _apply(lines, _load(text, path), parse_setting(edit.setting), edit, path)
        text = "\n".join(lines) + ending
    doc = _load(text, path)
    for edit in edits:
        if _value_at(doc, parse_setting(edit.setting)) != edit.value:
            raise SpecError(f"{path}: could not write {edit.setting} in place (the file's layout is unusual)")
    trial = path.with_name(f".{path.stem}.edited{path.suffix}")
    try:
        trial.write_text(text, encoding="utf-8")
        load_spec(trial)  # the edited spec must still be a valid spec: fields' limits, assets
    except SpecError as exc:
        raise SpecError(f"{path}: not written, the edited spec would be invalid", exc.issues) from None
    finally:
        trial.unlink(missing_ok=True)
    atomic_write(path, text.encode("utf-8"))
