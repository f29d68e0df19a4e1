"""Reading the data of a JavaScript/TypeScript configuration file without running it.

A static reader of object literals — keys, strings, numbers, nested objects and arrays, comments — and of the names
a file binds to such data at its top level (``const colors = {…}``, ``const x = require('…')``, ``import x from
'…'``), so that ``colors.brand``, ``...colors`` and ``colors.indigo[600]`` read as the values they name. The
modules a caller knows (``modules``: Tailwind's ``tailwindcss/colors``) are data too. Anything else — a call, a
function, an unknown name, a template with ``${}`` — is an :class:`Expression`: its source text, never evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Expression", "LiteralReader", "tokens"]

_TOKEN = re.compile(
    r"""(?P<space>\s+)|(?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`)
    |(?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<name>[A-Za-z_$][\w$]*)
    |(?P<spread>\.\.\.)|(?P<punct>[{}\[\]():,;=.])|(?P<other>.)""",
    re.DOTALL | re.VERBOSE,
)
_OPEN = {"{", "[", "("}
_CLOSE = {"}", "]", ")"}
_DECLARE = {"const", "let", "var"}
MAX_DEPTH = 64
"""Object and array literals nested deeper than this are not read (a configuration nests a few levels)."""


@dataclass(frozen=True)
class Expression:
    """A value only running the file would give: its source text, as written."""

    text: str


@dataclass(frozen=True)
class Token:
    """One token of the file: its kind (``string``, ``number``, ``name``, ``spread``, ``punct``, ``other``), text
    and span."""

    kind: str
    text: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """The tokens of ``text``, whitespace and comments left out."""
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            out.append(Token(kind, match.group(), match.start(), match.end()))
    return out


def _string(token: Token) -> str | Expression:
    body = token.text[1:-1]
    if token.text.startswith("`") and "${" in body:
        return Expression(token.text)
    return re.sub(r"\\(.)", r"\1", body)


@dataclass
class LiteralReader:
    """Reads object literals from ``toks`` (of ``text``). ``modules`` maps a module specifier to the data it exports;
    :meth:`bind_top_level` then learns the file's own names. ``spreads`` and ``resolved`` record, in order, the
    spreads that could not be read and the names that were."""

    toks: list[Token]
    text: str
    modules: dict[str, Any] = field(default_factory=dict)
    bindings: dict[str, Any] = field(default_factory=dict)
    spreads: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    depth: int = 0

    def source(self, start: int, end: int) -> str:
        """The file's own text of tokens ``start`` to ``end`` (exclusive), its whitespace collapsed."""
        if end <= start:
            return ""
        return " ".join(self.text[self.toks[start].start : self.toks[end - 1].end].split())

    def skip(self, i: int) -> int:
        """The index after the expression starting at ``i`` (up to a ``,``, ``;`` or a closing bracket outside
        brackets)."""
        depth = 0
        while i < len(self.toks):
            text = self.toks[i].text
            if depth == 0 and (text in (",", ";") or text in _CLOSE):
                return i
            if text in _OPEN:
                depth += 1
            elif text in _CLOSE:
                depth -= 1
            i += 1
        return i

    def _reference(self, i: int, end: int) -> tuple[bool, Any]:
        """The value tokens ``i:end`` name when they are ``name(.name|[literal])*`` of a bound name."""
        first = self.toks[i]
        if first.kind != "name" or first.text not in self.bindings:
            return False, None
        value = self.bindings[first.text]
        j = i + 1
        while j < end:
            if self.toks[j].text == "." and j + 1 < end and self.toks[j + 1].kind == "name":
                key, j = self.toks[j + 1].text, j + 2
            elif self.toks[j].text == "[" and j + 2 < end and self.toks[j + 2].text == "]":
                inner = self.toks[j + 1]
                if inner.kind not in ("string", "number"):
                    return False, None
                key, j = str(_string(inner)) if inner.kind == "string" else inner.text, j + 3
            else:
                return False, None
            if not isinstance(value, dict) or key not in value:
                return False, None
            value = value[key]
        return True, value

    def value(self, i: int) -> tuple[Any, int]:
        """The value starting at token ``i`` and the index after it (a literal nested deeper than
        :data:`MAX_DEPTH` is an :class:`Expression`, its text cut)."""
        token = self.toks[i]
        if token.text in ("{", "[") and self.depth >= MAX_DEPTH:
            end = self.skip(i)
            return Expression(self.source(i, end)[:80] + f"… (nested deeper than {MAX_DEPTH} levels)"), end
        if token.text in ("{", "["):
            self.depth += 1
            try:
                return self.object(i + 1) if token.text == "{" else self.array(i + 1)
            finally:
                self.depth -= 1
        end = self.skip(i)
        if end == i + 1 and token.kind == "string":
            return _string(token), end
        if end == i + 1 and token.kind == "number":
            return token.text, end
        found, value = self._reference(i, end)
        if found and not isinstance(value, Expression):
            self.resolved.append(self.source(i, end))
            return value, end
        return Expression(self.source(i, end)), end

    def _spread(self, i: int) -> tuple[Any, int]:
        end = self.skip(i + 1)
        found, value = self._reference(i + 1, end)
        if found:
            self.resolved.append(self.source(i, end))
            return value, end
        self.spreads.append(self.source(i, end))
        return None, end

    def object(self, i: int) -> tuple[dict[str, Any], int]:
        """The object literal whose ``{`` is before token ``i``, and the index after its ``}``."""
        out: dict[str, Any] = {}
        while i < len(self.toks) and self.toks[i].text != "}":
            token = self.toks[i]
            if token.kind == "spread":
                spread, i = self._spread(i)
                if isinstance(spread, dict):
                    out.update(spread)
            elif token.kind in ("name", "string", "number") and i + 1 < len(self.toks):
                key = str(_string(token)) if token.kind == "string" else token.text
                if self.toks[i + 1].text == ":":
                    out[key], i = self.value(i + 2)
                else:  # shorthand `{ colors }` or a method `foo() {…}`
                    end = self.skip(i)
                    found, value = self._reference(i, end) if end == i + 1 else (False, None)
                    out[key] = value if found else Expression(self.source(i, end))
                    i = end
            else:  # a computed key `[x]: …` or something else: skipped whole
                end = self.skip(i)
                i = end if end > i else i + 1
            if i < len(self.toks) and self.toks[i].text in (",", ";"):
                i += 1
        return out, i + 1

    def array(self, i: int) -> tuple[list[Any], int]:
        """The array literal whose ``[`` is before token ``i``, and the index after its ``]``."""
        out: list[Any] = []
        while i < len(self.toks) and self.toks[i].text != "]":
            if self.toks[i].kind == "spread":
                spread, i = self._spread(i)
                if isinstance(spread, list):
                    out.extend(spread)
            else:
                item, i = self.value(i)
                out.append(item)
            if i < len(self.toks) and self.toks[i].text == ",":
                i += 1
        return out, i + 1

    def _module(self, i: int) -> tuple[str | None, int]:
        """``(specifier, index after)`` of ``require('x')`` at ``i``, or of a string (an import's ``from``)."""
        toks = self.toks
        if toks[i].kind == "string":
            return str(_string(toks[i])), i + 1
        if toks[i].text == "require" and i + 3 < len(toks) and toks[i + 1].text == "(" and toks[i + 3].text == ")":
            return (str(_string(toks[i + 2])) if toks[i + 2].kind == "string" else None), i + 4
        return None, i

    def bind_top_level(self) -> None:
        """Learn the names the file binds at its top level to data: ``const x = {…}`` / ``'…'``, ``const x =
        require('m')``, ``const {a, b: c} = require('m')``, ``import x from 'm'``, ``import * as x from 'm'``
        (``m`` one of :attr:`modules`)."""
        toks, depth, i = self.toks, 0, 0
        while i < len(toks):
            text = toks[i].text
            if text in _OPEN:
                depth += 1
            elif text in _CLOSE:
                depth -= 1
            elif depth == 0 and text in _DECLARE and i + 3 < len(toks):
                i = self._declaration(i + 1)
                continue
            elif depth == 0 and text == "import":
                i = self._import(i + 1)
                continue
            i += 1

    def _declaration(self, i: int) -> int:
        toks = self.toks
        if toks[i].kind == "name" and toks[i + 1].text == "=":
            name, start = toks[i].text, i + 2
            specifier, after = self._module(start)
            if specifier is not None and specifier in self.modules and after > start:
                self.bindings[name] = self.modules[specifier]
                return after
            if toks[start].text == "{" or toks[start].kind == "string":
                value, end = self.value(start)
                if not isinstance(value, Expression):
                    self.bindings[name] = value
                return end
            return start
        if toks[i].text == "{":  # const { a, b: c } = require('m')
            close = self.skip(i + 1)
            if close + 2 < len(toks) and toks[close].text == "}" and toks[close + 1].text == "=":
                specifier, after = self._module(close + 2)
                if specifier in self.modules and isinstance(self.modules[specifier], dict):
                    self._destructure(i + 1, close, self.modules[specifier])
                return max(after, close + 1)
        return i

    def _destructure(self, i: int, close: int, exported: dict[str, Any]) -> None:
        toks = self.toks
        while i < close:
            if toks[i].kind == "name":
                key, local = toks[i].text, toks[i].text
                if i + 2 < close and toks[i + 1].text == ":" and toks[i + 2].kind == "name":
                    local, i = toks[i + 2].text, i + 2
                if key in exported:
                    self.bindings[local] = exported[key]
            i += 1

    def _import(self, i: int) -> int:
        toks = self.toks
        if toks[i].kind == "string":  # import './globals.css': binds nothing
            return i + 1
        names: list[str] = []
        if toks[i].kind == "name" and toks[i].text != "type":  # import x from 'm'
            names.append(toks[i].text)
        elif toks[i].text == "*" and i + 2 < len(toks) and toks[i + 1].text == "as":
            names.append(toks[i + 2].text)
        while i < len(toks) and toks[i].text != "from" and toks[i].text != ";":
            i += 1
        if i + 1 < len(toks) and toks[i].text == "from":
            specifier, after = self._module(i + 1)
            if specifier in self.modules:
                for name in names:
                    self.bindings[name] = self.modules[specifier]
            return after
        return i
