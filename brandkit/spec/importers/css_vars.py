"""A web team's brand stylesheet → :class:`BrandDraft`: CSS custom properties (``:root { --brand-primary: … }``,
Tailwind 4's ``@theme { --color-brand: oklch(…) }``) and Sass/Less variables (``$brand-primary: …;``,
``@brand-primary: …;``), read as design tokens.

Each declaration becomes a token named by its name's parts (``--color-brand-primary`` → ``color.brand.primary``,
so the DTCG rules apply: a role word ends the name → that role; ``color.`` is dropped from the colour's name):

* a value that reads as a CSS colour (hex, names, ``rgb()``, ``hsl()``, ``oklch()``, ``lab()``…) is a colour;
* ``var(--x)``, ``$x`` and ``@x`` are aliases of ``x`` when the stylesheet declares ``x``; when it does not (a
  variable set elsewhere: another stylesheet, or a framework at run time — Next.js's ``next/font`` sets
  ``--font-geist-sans`` on the page), ``var(--x, fallback)`` is its fallback, as in a browser, and a reference
  without one is dropped, named in the report (before, the whole import stopped at it);
* a ``--font-*`` / ``$font-*`` value (``"Inter", system-ui, sans-serif``) is a font family (the stack's first), its
  role from the name as for DTCG tokens (``heading``/``display``/``title`` → headline, ``body``/``text``/``base`` →
  body; no headline named: the first family at weight 700); ``…-weight`` is a weight;
* anything else (sizes, spacing, shadows) is dropped, counted;
* declarations under a selector or media query that says ``dark`` (``.dark``, ``[data-theme="dark"]``,
  ``@media (prefers-color-scheme: dark)``) are the dark mode.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from brandkit.documents import read_text
from brandkit.errors import SpecError
from brandkit.spec.importers.colorspace import dtcg_colour, is_css_color, parse_css_color
from brandkit.spec.importers.draft import BrandDraft
from brandkit.spec.importers.dtcg import draft_from_tokens
from brandkit.spec.importers.report import MappingReport
from brandkit.spec.importers.token_roles import role_of

__all__ = ["declarations", "read_css", "stylesheet_tokens"]

MAX_CSS_BYTES = 4 * 1024 * 1024
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_LINE_COMMENT = re.compile(r"(?m)(?<![:(\w/])//.*$")  # Sass/Less line comments (not the // of a url())
_NAME = re.compile(r"^(--|\$|@)([A-Za-z_][\w-]*)$")
_REFERENCE = re.compile(r"^(?:var\(\s*--([\w-]+)\s*(?:,(.*))?\)|\$([\w-]+)|@([\w-]+))$", re.DOTALL)
_FONT_WORDS = {"font", "fonts", "family", "typeface"}
_NOT = re.compile(r":not\([^()]*(?:\([^()]*\)[^()]*)*\)")
Theme = Literal["dark", "light"] | None
# Tailwind 3 themes keep a colour's channels bare, for `hsl(var(--primary))` / `rgb(var(--c) / <alpha-value>)` in
# tailwind.config.js: shadcn/ui's `--primary: 221.2 83.2% 53.3%`, Tailwind's docs' `--color-primary: 255 115 179`
_BARE_HSL = re.compile(r"^-?\d+(?:\.\d+)?(?:deg)?\s+\d+(?:\.\d+)?%\s+\d+(?:\.\d+)?%$")
_BARE_RGB = re.compile(r"^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\s+(?:25[0-5]|2[0-4]\d|1?\d?\d)){2}$")
_COLOUR_NAME_WORDS = {"color", "colour", "colors", "colours", "bg", "background", "foreground", "fg"}
_NOT_FAMILY = {"size", "sizes", "height", "leading", "spacing", "tracking", "style", "variant", "feature", "features"}


def declarations(text: str, *, line_comments: bool = False) -> list[tuple[str, str, Theme]]:
    """``(name, value, theme)`` of every variable declared in the stylesheet ``text``, in order: ``name`` without
    its ``--`` / ``$`` / ``@``, ``theme`` what the rules around it say (:func:`_theme`: ``dark``, ``light`` or
    None). ``line_comments``: ``// …`` is a comment (Sass, Less; in CSS it is not)."""
    text = _COMMENT.sub("", text)
    if line_comments:
        text = _LINE_COMMENT.sub("", text)
    schemes = _block_schemes(text)
    out: list[tuple[str, str, Theme]] = []
    stack: list[tuple[str, Theme]] = []  # each open rule: its selector or at-rule, and the scheme it declares
    start = 0
    for i, ch in enumerate(text):
        if ch == "{":
            stack.append((text[start:i].strip().split(";")[-1].strip().casefold(), schemes.get(i)))
            start = i + 1
        elif ch in ";}":
            piece = text[start:i].strip()
            start = i + 1
            name, colon, value = piece.partition(":")
            match = _NAME.match(name.strip())
            if colon and match and not (match.group(1) == "@" and name.strip()[1:] in ("media", "import", "use")):
                out.append((match.group(2), value.strip().removesuffix("!default").strip(), _theme(stack)))
            if ch == "}" and stack:  # after the rule's last declaration, which needs no ';' before its '}'
                stack.pop()
    return out


def _block_schemes(text: str) -> dict[int, Theme]:
    """The scheme each rule (by the index of its ``{``) declares of itself: ``color-scheme: dark`` / ``light``, or
    DaisyUI 5's ``@plugin "daisyui/theme" { name: "…dark…"; prefersdark: true; }``."""
    found: dict[int, Theme] = {}
    opened: list[int] = []
    start = 0
    for i, ch in enumerate(text):
        if ch == "{":
            opened.append(i)
            start = i + 1
        elif ch in ";}":
            key, colon, value = text[start:i].strip().casefold().partition(":")
            start = i + 1
            words = set(re.split(r"[^a-z]+", value)) if colon else set()
            if opened and key.strip() in ("color-scheme", "prefersdark", "name"):
                if (key.strip() == "prefersdark" and "true" in words) or ("dark" in words and "light" not in words):
                    found[opened[-1]] = "dark"
                elif key.strip() == "color-scheme" and "light" in words and "dark" not in words:
                    found.setdefault(opened[-1], "light")
            if ch == "}" and opened:
                opened.pop()
    return found


def _theme(stack: list[tuple[str, Theme]]) -> Theme:
    """The theme the enclosing rules name: ``dark`` when one says dark (``.dark``, ``[data-theme="dark"]``,
    ``prefers-color-scheme: dark``, or a ``color-scheme: dark`` of its own), else ``light`` when one says light;
    what ``:not(…)`` holds is what the rule is not (``:root:not([data-theme="dark"])`` is no dark theme)."""
    words = [set(re.split(r"[^a-z]+", _NOT.sub("", selector))) for selector, _ in stack]
    schemes = {scheme for _, scheme in stack}
    if "dark" in schemes or any("dark" in w for w in words):
        return "dark"
    return "light" if "light" in schemes or any("light" in w for w in words) else None


def _reference(value: str) -> tuple[str, str | None] | None:
    """``(variable named, the var() fallback or None)`` when ``value`` is a reference to one variable."""
    match = _REFERENCE.match(value)
    if match is None:
        return None
    target = match.group(1) or match.group(3) or match.group(4)
    fallback = match.group(2).strip() if match.group(2) is not None else None
    return target, fallback or None


def _token(name: str, value: str, declared: set[str]) -> tuple[dict[str, Any] | None, str | None]:
    """The DTCG token of one declaration (``declared``: every variable the stylesheet declares) — None for a
    reference to a variable declared elsewhere, without a fallback — and the colour its bare channels were read
    as (:func:`bare_channels`), if they were."""
    reference = _reference(value)
    if reference is not None:
        target, fallback = reference
        if target in declared and target != name:  # `--font-sans: var(--font-sans)` in @theme inline: the page's
            return {"$value": "{" + target.replace("-", ".") + "}"}, None
        return (None, None) if fallback is None else _token(name, fallback, declared)
    words = set(name.casefold().split("-"))
    if words & _FONT_WORDS or name.casefold().startswith("font"):
        if words & {"weight", "weights"}:
            return {"$value": value, "$type": "fontWeight"}, None
        if words & _NOT_FAMILY or re.match(r"^[\d.]", value):
            return {"$value": value}, None  # a size, line height, letter spacing…: not brandkit's to take
        return {"$value": value, "$type": "fontFamily"}, None
    if is_css_color(value):
        return {"$value": dtcg_colour(value), "$type": "color"}, None
    bare = bare_channels(name, value)
    if bare is not None:
        return {"$value": dtcg_colour(bare), "$type": "color"}, bare
    return {"$value": value}, None


def bare_channels(name: str, value: str) -> str | None:
    """The colour a Tailwind 3 theme's bare channels stand for: ``221.2 83.2% 53.3%`` → ``hsl(221.2 83.2% 53.3%)``
    (the percentages make it HSL); ``255 115 179`` → ``rgb(255 115 179)`` when the name says colour (``--color-…``,
    ``--primary``: a role word), else None."""
    if _BARE_HSL.match(value):
        return f"hsl({value})"
    words = set(name.casefold().split("-"))
    if _BARE_RGB.match(value) and (words & _COLOUR_NAME_WORDS or role_of(name.replace("-", ".")) is not None):
        return f"rgb({value})"
    return None


def stylesheet_tokens(path: Path, report: MappingReport) -> tuple[dict[str, Any], dict[str, Any]]:
    """The design tokens of the stylesheet ``path``: those of its default theme and those of its dark theme (each
    reported as the module docstring says); raises :class:`SpecError` for a stylesheet without variables.

    Declarations under a light theme (``@media (prefers-color-scheme: light)``, ``[data-theme="light"]``, ``.light``)
    are the default (light is brandkit's default mode); when the file has no dark theme of its own, the
    unconditioned values they replace are its dark theme (a dark-first site)."""
    text = read_text(path, max_bytes=MAX_CSS_BYTES, what="stylesheet")
    found = declarations(text, line_comments=path.suffix.lower() != ".css")
    if not found:
        raise SpecError(f"{path}: no CSS custom properties or Sass/Less variables (--name: value;) in it")
    themes: dict[Theme, dict[str, Any]] = {None: {}, "dark": {}, "light": {}}
    declared = {name for name, _, _ in found}
    for name, value, theme in found:
        token, bare = _token(name, value, declared)
        if token is None:
            reference = _reference(value)
            what = (
                "itself (in Tailwind 4's @theme inline: the variable of that name "
                if reference is not None and reference[0] == name
                else f"a variable {path.name} does not declare ("
            )
            report.dropped(
                f"--{name}",
                f"{value} names {what}set elsewhere: another stylesheet, or a framework at run time such as "
                "next/font), and gives no fallback",
            )
            continue
        themes[theme][name.replace("-", ".")] = token
        if bare is not None:
            report.approximated(
                f"--{name}{f' ({theme})' if theme else ''}",
                f"colour {parse_css_color(bare).hex}",
                f"bare channels read as {bare} (a Tailwind 3 theme's: used as hsl(var(--x)) / rgb(var(--x) / …))",
            )
    base, dark, light = themes[None], themes["dark"], themes["light"]
    if light:
        replaced = {key: base[key] for key in light if key in base}
        if not dark and replaced:  # the unconditioned theme is the other one: the dark theme
            dark = replaced
            report.approximated(
                path.name,
                "palette (the light theme) and palette.modes.dark",
                f"its light theme is the conditional one ({len(light)} variable(s)): read as the default, and the "
                f"{len(replaced)} unconditioned value(s) it replaces as the dark theme",
            )
        base = {**base, **light}
    # a variable only a dark theme declares (a dark-first site's fonts, its one-theme colours) is the file's value
    base = {**{key: token for key, token in dark.items() if key not in base}, **base}
    report.mapped(path.name, f"{len(found)} variable(s) read as design tokens ({len(dark)} in a dark theme)")
    return base, dark


def read_css(path: Path, report: MappingReport, *, project: Path | None = None) -> BrandDraft:
    """A draft of the brand in the stylesheet ``path`` (see the module docstring); ``project``: the web project's
    folder it was found in (the brand is named after it, and its ``logos/`` folder is looked for there)."""
    base, dark = stylesheet_tokens(path, report)
    return draft_from_tokens(
        base,
        {"dark": {**base, **dark}} if dark else {},
        report,
        source=str(path),
        hint=project.resolve().name if project is not None else path.stem,
        base_dir=project if project is not None else path.parent,
        carrier=("CSS variables", "the stylesheet"),
        named_after="its project's folder" if project is not None else "the file",
    )
