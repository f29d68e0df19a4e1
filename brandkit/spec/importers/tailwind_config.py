"""A Tailwind CSS 3 configuration (``tailwind.config.js`` / ``.cjs`` / ``.mjs`` / ``.ts``) → :class:`BrandDraft`:
the colours of ``theme.colors`` and ``theme.extend.colors`` (nested palettes, ``DEFAULT`` steps) and the families
of ``fontFamily``, read as design tokens (``colors.brand.500`` → ``color.brand.500``), so the DTCG rules apply
(roles from names, a scale named for a role gives its purest step).

The file is JavaScript and brandkit never runs it: the object literal under ``theme`` is read as written — keys,
strings, numbers, nested objects and arrays, comments. What only running it would tell is dropped and named: a
spread (``...defaultTheme.fontFamily.sans``), a reference (``colors.blue`` from ``tailwindcss/colors``), a function
(``({ theme }) => …``), a template with ``${}``. A colour that is a CSS variable (``hsl(var(--primary))``) lives in
the stylesheet: the report says to import that. Tailwind 4 keeps its theme in CSS (``@theme``), read by
:mod:`.css_vars`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brandkit.documents import read_text
from brandkit.errors import SpecError
from brandkit.spec.importers.colorspace import dtcg_colour, is_css_color
from brandkit.spec.importers.draft import BrandDraft
from brandkit.spec.importers.dtcg import draft_from_tokens
from brandkit.spec.importers.report import MappingReport

__all__ = ["read_tailwind_config", "read_theme"]

MAX_CONFIG_BYTES = 2 * 1024 * 1024
_TOKEN = re.compile(
    r"""(?P<space>\s+)|(?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`)
    |(?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<name>[A-Za-z_$][\w$]*)
    |(?P<spread>\.\.\.)|(?P<punct>[{}\[\]():,])|(?P<other>.)""",
    re.DOTALL | re.VERBOSE,
)
_OPEN = {"{": "}", "[": "]", "(": ")"}
_KEYWORDS = {"transparent", "currentcolor", "inherit", "initial", "unset", "revert", "revert-layer"}


@dataclass(frozen=True)
class Expression:
    """A value only running the file would give: its source text, as written."""

    text: str


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            out.append(_Tok(kind, match.group(), match.start(), match.end()))
    return out


def _string(token: _Tok) -> str | Expression:
    body = token.text[1:-1]
    if token.text.startswith("`") and "${" in body:
        return Expression(token.text)
    return re.sub(r"\\(.)", r"\1", body)


class _Reader:
    """A recursive reader of the object literals of a token list; anything else becomes an :class:`Expression`."""

    def __init__(self, tokens: list[_Tok], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.spreads: list[str] = []

    def source(self, start: int, end: int) -> str:
        """The file's own text of tokens ``start`` to ``end`` (exclusive), as written."""
        if end <= start:
            return ""
        return " ".join(self.text[self.tokens[start].start : self.tokens[end - 1].end].split())

    def value(self, i: int) -> tuple[Any, int]:
        token = self.tokens[i]
        if token.text == "{":
            return self.object(i + 1)
        if token.text == "[":
            return self.array(i + 1)
        end = self.skip(i)
        if end == i + 1 and token.kind == "string":
            return _string(token), end
        if end == i + 1 and token.kind == "number":
            return token.text, end
        return Expression(self.source(i, end)), end

    def skip(self, i: int) -> int:
        """The index after the expression starting at ``i`` (up to a ``,``, ``}`` or ``]`` outside brackets)."""
        depth = 0
        while i < len(self.tokens):
            text = self.tokens[i].text
            if depth == 0 and text in (",", "}", "]", ")"):
                return i
            if text in _OPEN:
                depth += 1
            elif text in ("}", "]", ")"):
                depth -= 1
            i += 1
        return i

    def object(self, i: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        while i < len(self.tokens) and self.tokens[i].text != "}":
            token = self.tokens[i]
            if token.kind == "spread":
                end = self.skip(i + 1)
                self.spreads.append(self.source(i, end))
                i = end
            elif token.kind in ("name", "string", "number") and i + 1 < len(self.tokens):
                key = str(_string(token)) if token.kind == "string" else token.text
                if self.tokens[i + 1].text == ":":
                    out[key], i = self.value(i + 2)
                else:  # shorthand `{ colors }` or a method `foo() {…}`: only running the file says what it is
                    end = self.skip(i)
                    out[key] = Expression(self.source(i, end))
                    i = end
            else:  # a computed key `[x]: …` or something else: skipped whole
                end = self.skip(i)
                i = end if end > i else i + 1
            if i < len(self.tokens) and self.tokens[i].text == ",":
                i += 1
        return out, i + 1

    def array(self, i: int) -> tuple[list[Any], int]:
        out: list[Any] = []
        while i < len(self.tokens) and self.tokens[i].text != "]":
            if self.tokens[i].kind == "spread":
                end = self.skip(i + 1)
                self.spreads.append(self.source(i, end))
                i = end
            else:
                item, i = self.value(i)
                out.append(item)
            if i < len(self.tokens) and self.tokens[i].text == ",":
                i += 1
        return out, i + 1


def read_theme(text: str, source: str) -> tuple[dict[str, Any], list[str], bool]:
    """The ``theme`` object literal of a configuration's text, the spreads dropped from it and whether the
    configuration names ``presets``; raises :class:`SpecError` when the file has no ``theme: {…}``."""
    tokens = _tokens(text)
    presets = any(a.text == "presets" and b.text == ":" for a, b in itertools.pairwise(tokens))
    for i in range(len(tokens) - 2):
        if tokens[i].text == "theme" and tokens[i + 1].text == ":":
            reader = _Reader(tokens, text)
            if tokens[i + 2].text != "{":
                found = reader.source(i + 2, reader.skip(i + 2))[:80]
                raise SpecError(
                    f"{source}: theme is not an object literal ({found} …): brandkit reads the configuration without "
                    "running it; write the brand's colours in theme.extend.colors, or import the stylesheet"
                )
            theme, _ = reader.object(i + 3)
            return theme, reader.spreads, presets
    raise SpecError(f"{source}: no theme: {{…}} in this Tailwind configuration (its colours would be Tailwind's own)")


def _leaves(node: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, [*path, key])]
    return [(path, node)]


def _token_path(prefix: str, path: list[str]) -> str:
    """``color.brand`` for ``brand.DEFAULT`` (what Tailwind names ``bg-brand``), ``color.brand.500`` for a step."""
    words = [p.replace("-", ".") for p in path if p != "DEFAULT"]
    return ".".join([prefix, *words])


def _colour_tokens(colors: dict[str, Any], where: str, report: MappingReport) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for path, value in _leaves(colors, []):
        source = ".".join([where, *path])
        if isinstance(value, Expression):
            report.dropped(source, f"{value.text}: JavaScript (read without running the file)")
        elif isinstance(value, str) and value.casefold() in _KEYWORDS:
            report.dropped(source, f"{value}: a CSS keyword, not a brand colour")
        elif isinstance(value, str) and "var(--" in value:
            report.dropped(source, f"{value}: a CSS variable — the colour is in the stylesheet: import that")
        elif isinstance(value, str) and is_css_color(value):
            doc[_token_path("color", path)] = {"$value": dtcg_colour(value), "$type": "color"}
        else:
            report.dropped(source, f"{value!r}: not a colour")
    return doc


def _font_tokens(families: dict[str, Any], where: str, report: MappingReport) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in families.items():
        stack = value[0] if isinstance(value, list) and value and isinstance(value[0], list) else value
        if isinstance(stack, str):
            stack = [stack]
        names = [v.strip().strip("'\"") for v in stack if isinstance(v, str)] if isinstance(stack, list) else []
        skipped = [v.text for v in stack if isinstance(v, Expression)] if isinstance(stack, list) else []
        if skipped:
            report.dropped(f"{where}.{key}", f"{', '.join(skipped)}: JavaScript (read without running the file)")
        if names:
            doc[f"font.{key}"] = {"$value": names, "$type": "fontFamily"}
        elif not skipped:
            report.dropped(f"{where}.{key}", f"{value!r}: no font family")
    return doc


def read_tailwind_config(path: Path, report: MappingReport) -> BrandDraft:
    """A draft of the brand in the Tailwind configuration ``path`` (see the module docstring)."""
    text = read_text(path, max_bytes=MAX_CONFIG_BYTES, what="Tailwind configuration")
    theme, spreads, presets = read_theme(text, str(path))
    for spread in spreads:
        report.dropped(spread, "a spread: only running the configuration says what it adds")
    extend = theme.get("extend")
    doc: dict[str, Any] = {}
    for where, section in (("theme", theme), ("theme.extend", extend if isinstance(extend, dict) else {})):
        colors = section.get("colors")
        if isinstance(colors, dict):
            doc |= _colour_tokens(colors, f"{where}.colors", report)
        elif isinstance(colors, Expression):
            report.dropped(f"{where}.colors", f"{colors.text}: JavaScript (read without running the file)")
        families = section.get("fontFamily")
        if isinstance(families, dict):
            doc |= _font_tokens(families, f"{where}.fontFamily", report)
    if presets:
        report.dropped("presets", "a preset's theme is another file: import that file")
    colours = sum(1 for token in doc.values() if token.get("$type") == "color")
    report.mapped(path.name, f"{colours} colour(s) and {len(doc) - colours} font family token(s) read from its theme")
    return draft_from_tokens(
        doc,
        {},
        report,
        source=str(path),
        hint=path.resolve().parent.name,
        base_dir=path.parent,
        carrier=("Tailwind configurations", "the configuration"),
        named_after="its project's folder",
    )
