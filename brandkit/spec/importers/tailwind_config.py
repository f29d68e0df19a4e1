"""A Tailwind CSS 3 configuration (``tailwind.config.js`` / ``.cjs`` / ``.mjs`` / ``.ts``) → :class:`BrandDraft`:
the colours of ``theme.colors`` and ``theme.extend.colors`` (nested palettes, ``DEFAULT`` steps) and the families
of ``fontFamily``, read as design tokens (``colors.brand.500`` → ``color.brand.500``), so the DTCG rules apply
(roles from names, a scale named for a role gives its purest step).

The file is JavaScript and brandkit never runs it (:mod:`.js_literals`): the object literal under ``theme`` is read
as written, with the names the file binds to data — its own constants, Tailwind's palette (``colors.indigo``:
:mod:`.tailwind_palette`, Tailwind 3's values; not resolved when ``package.json`` says Tailwind 4). What only
running it would tell is dropped and named: a call, a function (``({ theme }) => …``), an unknown name, a template
with ``${}``, a spread of anything else. A colour that is a CSS variable (``hsl(var(--primary))``: shadcn/ui) is
read from the project's stylesheet that declares it (:func:`project_stylesheet`), its dark block a mode. Tailwind 4
keeps its theme in CSS (``@theme``), read by :mod:`.css_vars`. DaisyUI 4's ``daisyui.themes`` give the default
and dark colours when the configuration has them.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brandkit.documents import read_document, read_text
from brandkit.errors import SpecError
from brandkit.spec.importers.colorspace import dtcg_colour, is_css_color
from brandkit.spec.importers.css_vars import MAX_CSS_BYTES, declarations, stylesheet_tokens
from brandkit.spec.importers.draft import BrandDraft
from brandkit.spec.importers.dtcg import draft_from_tokens
from brandkit.spec.importers.js_literals import Expression, LiteralReader, tokens
from brandkit.spec.importers.report import MappingReport
from brandkit.spec.importers.tailwind_palette import tailwind_palette

__all__ = ["ConfigRead", "read_config", "read_tailwind_config"]

MAX_CONFIG_BYTES = 2 * 1024 * 1024
_VAR_COLOUR = re.compile(
    r"^(?:(?:hsla?|rgba?)\(\s*var\(\s*--([\w-]+)\s*\)\s*(?:/\s*<alpha-value>\s*)?\)|var\(\s*--([\w-]+)\s*\))$"
)
_STYLESHEET_SUFFIXES = (".css", ".scss", ".sass", ".less", ".pcss", ".postcss")
_SKIPPED_DIRS = {"node_modules", "dist", "build", "out", "vendor", "coverage", "public", "storybook-static"}
MAX_STYLESHEETS = 400
"""Stylesheets a project's search for the CSS variables of its configuration reads at most."""
_KEYWORDS = {"transparent", "currentcolor", "inherit", "initial", "unset", "revert", "revert-layer"}


@dataclass
class ConfigRead:
    """What a configuration's text holds for a brand: its ``theme`` object, its DaisyUI ``themes`` list, whether it
    names ``presets``, and the reader that read them (its ``spreads`` not read, the names it ``resolved``)."""

    theme: dict[str, Any]
    daisy_themes: list[Any]
    presets: bool
    reader: LiteralReader


def read_config(text: str, source: str, palette: dict[str, Any] | None = None) -> ConfigRead:
    """The brand's parts of a configuration's text (:class:`ConfigRead`). ``palette``: what ``tailwindcss/colors``
    exports (None: not known). Raises :class:`SpecError` without ``theme: {…}`` or ``daisyui: {themes: […]}``."""
    toks = tokens(text)
    modules: dict[str, Any] = {}
    if palette is not None:
        modules = {"tailwindcss/colors": palette, "tailwindcss/defaultTheme": {"colors": palette}}
    reader = LiteralReader(toks, text, modules)
    reader.bind_top_level()
    presets = any(a.text == "presets" and b.text == ":" for a, b in itertools.pairwise(toks))
    theme: dict[str, Any] | None = None
    daisy: list[Any] = []
    for i in range(len(toks) - 2):
        if theme is None and toks[i].text == "theme" and toks[i + 1].text == ":":
            if toks[i + 2].text != "{":
                found = reader.source(i + 2, reader.skip(i + 2))[:80]
                raise SpecError(
                    f"{source}: theme is not an object literal ({found} …): brandkit reads the configuration without "
                    "running it; write the brand's colours in theme.extend.colors, or import the stylesheet"
                )
            theme, _ = reader.object(i + 3)
        elif not daisy and toks[i].text == "daisyui" and toks[i + 1].text == ":" and toks[i + 2].text == "{":
            options, _ = reader.object(i + 3)
            listed = options.get("themes")
            daisy = listed if isinstance(listed, list) else []
    if theme is None and not daisy:
        raise SpecError(
            f"{source}: no theme: {{…}} in this Tailwind configuration (its colours would be Tailwind's own)"
        )
    return ConfigRead(theme or {}, daisy, presets, reader)


def tailwind_major(folder: Path) -> int | None:
    """The major version of Tailwind CSS the project's ``package.json`` (beside the configuration) depends on."""
    package = folder / "package.json"
    if not package.is_file():
        return None
    try:
        data = read_document(package, max_bytes=MAX_CONFIG_BYTES, what="package.json")
    except SpecError:
        return None
    for section in ("dependencies", "devDependencies", "peerDependencies"):
        deps = data.get(section) if isinstance(data, dict) else None
        version = deps.get("tailwindcss") if isinstance(deps, dict) else None
        if isinstance(version, str) and (match := re.search(r"\d+", version)):
            return int(match.group())
    return None


def _leaves(node: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, [*path, key])]
    return [(path, node)]


def _token_path(prefix: str, path: list[str]) -> str:
    """``color.brand`` for ``brand.DEFAULT`` (what Tailwind names ``bg-brand``), ``color.brand.500`` for a step."""
    words = [p.replace("-", ".") for p in path if p != "DEFAULT"]
    return ".".join([prefix, *words])


def _variable(value: str) -> str | None:
    """The CSS variable a colour value stands for: ``hsl(var(--primary))``, ``rgb(var(--c) / <alpha-value>)``,
    ``var(--c)`` (channels or a colour declared in the project's stylesheet)."""
    match = _VAR_COLOUR.match(value.strip())
    return (match.group(1) or match.group(2)) if match else None


def _colour_tokens(colors: dict[str, Any], where: str, declared: set[str], report: MappingReport) -> dict[str, Any]:
    """Tokens of the colours of a ``colors`` object; one naming a CSS variable of ``declared`` (the variables the
    project's stylesheet declares) is an alias of the stylesheet's token."""
    doc: dict[str, Any] = {}
    for path, value in _leaves(colors, []):
        source = ".".join([where, *path])
        variable = _variable(value) if isinstance(value, str) else None
        if isinstance(value, Expression):
            report.dropped(source, f"{value.text}: JavaScript (read without running the file)")
        elif isinstance(value, str) and value.casefold() in _KEYWORDS:
            report.dropped(source, f"{value}: a CSS keyword, not a brand colour")
        elif variable is not None and variable in declared:
            target = variable.replace("-", ".")
            if _token_path("color", path) != target:  # the same name: the stylesheet's own token stands
                doc[_token_path("color", path)] = {"$value": "{" + target + "}", "$type": "color"}
        elif isinstance(value, str) and "var(--" in value:
            report.dropped(
                source, f"{value}: a CSS variable no stylesheet of the project declares — import the one that does"
            )
        elif isinstance(value, str) and is_css_color(value):
            doc[_token_path("color", path)] = {"$value": dtcg_colour(value), "$type": "color"}
        else:
            report.dropped(source, f"{value!r}: not a colour")
    return doc


def _font_tokens(families: dict[str, Any], where: str, declared: set[str], report: MappingReport) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in families.items():
        stack = value[0] if isinstance(value, list) and value and isinstance(value[0], list) else value
        if isinstance(stack, str):
            stack = [stack]
        names = [v.strip().strip("'\"") for v in stack if isinstance(v, str)] if isinstance(stack, list) else []
        skipped = [v.text for v in stack if isinstance(v, Expression)] if isinstance(stack, list) else []
        if skipped:
            report.dropped(f"{where}.{key}", f"{', '.join(skipped)}: JavaScript (read without running the file)")
        variable = _variable(names[0]) if names else None
        if variable is not None and variable in declared:
            target = variable.replace("-", ".")
            if f"font.{key}" != target:  # the same name: the stylesheet's own token stands
                doc[f"font.{key}"] = {"$value": "{" + target + "}", "$type": "fontFamily"}
        elif variable is not None:
            report.dropped(
                f"{where}.{key}",
                f"{names[0]}: a CSS variable no stylesheet of the project declares (next/font sets such variables "
                "on the page at run time)",
            )
        elif names:
            doc[f"font.{key}"] = {"$value": names, "$type": "fontFamily"}
        elif not skipped:
            report.dropped(f"{where}.{key}", f"{value!r}: no font family")
    return doc


def _sections(theme: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``theme`` and ``theme.extend`` (empty when it is not an object), with their names for the report."""
    extend = theme.get("extend")
    return [("theme", theme), ("theme.extend", extend if isinstance(extend, dict) else {})]


def _variables_named(theme: dict[str, Any]) -> set[str]:
    """The CSS variables the theme's colours and font families name."""
    values = [
        leaf
        for _, section in _sections(theme)
        for key in ("colors", "fontFamily")
        if isinstance(section.get(key), dict)
        for _, leaf in _leaves(section[key], [])
    ]
    flat = [item for v in values for item in (v if isinstance(v, list) else [v])]
    return {name for v in flat if isinstance(v, str) and (name := _variable(v)) is not None}


def project_stylesheet(folder: Path, variables: set[str]) -> tuple[Path, int] | None:
    """The project's stylesheet that declares the most of ``variables`` (and how many; the shallowest among equals),
    searched under ``folder`` — the configuration's — leaving out dependencies, build output and hidden folders;
    :data:`MAX_STYLESHEETS` at most are read."""
    best: tuple[int, int, Path] | None = None
    seen = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            candidate = Path(root) / name
            if candidate.suffix.lower() not in _STYLESHEET_SUFFIXES:
                continue
            seen += 1
            if seen > MAX_STYLESHEETS:
                return None if best is None else (best[2], best[0])
            try:
                text = read_text(candidate, max_bytes=MAX_CSS_BYTES, what="stylesheet")
            except SpecError:
                continue
            if not any(f"--{name}" in text for name in variables):  # most stylesheets: no parse needed
                continue
            found = {n for n, _, _ in declarations(text, line_comments=candidate.suffix.lower() != ".css")}
            count = len(found & variables)
            depth = len(candidate.relative_to(folder).parts)
            if count and (best is None or (count, -depth) > (best[0], -best[1])):
                best = (count, depth, candidate)
    return None if best is None else (best[2], best[0])


def _daisy_tokens(themes: list[Any], report: MappingReport) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tokens of a DaisyUI 4 ``daisyui.themes`` list: its first theme not named dark is the default, its first
    named dark (``dark``, ``night-dark``…) the dark mode; ``base-100`` is the background and ``base-content`` the
    text, ``primary`` … ``error`` keep their names. Built-in themes named by string are DaisyUI's own colours."""
    custom = [(n, c) for item in themes if isinstance(item, dict) for n, c in item.items() if isinstance(c, dict)]
    for item in themes:
        if isinstance(item, str):
            report.dropped(
                f"daisyui.themes: {item}", "a built-in DaisyUI theme: its colours are DaisyUI's, not the file's"
            )
    if not custom:
        return {}, {}
    default = next(((n, c) for n, c in custom if "dark" not in n.casefold()), custom[0])
    dark = next(((n, c) for n, c in custom if "dark" in n.casefold() and n != default[0]), None)
    for name, _ in custom:
        if name not in (default[0], dark[0] if dark else None):
            report.dropped(f"daisyui.themes.{name}", "another DaisyUI theme: a spec takes its default and a dark one")
    docs: list[dict[str, Any]] = []
    for name, colours in (default, *([dark] if dark else [])):
        doc: dict[str, Any] = {}
        for key, value in colours.items():
            where = f"daisyui.themes.{name}.{key}"
            token_path = "color." + key.replace("-", ".")  # base-100, base-content: roles by name (token_roles)
            if isinstance(value, str) and not key.startswith("--") and is_css_color(value):
                doc[token_path] = {"$value": dtcg_colour(value), "$type": "color"}
            elif isinstance(value, Expression):
                report.dropped(where, f"{value.text}: JavaScript (read without running the file)")
            elif not key.startswith("--"):  # --rounded-btn and the like: sizes, not colours
                report.dropped(where, f"{value!r}: not a colour")
        report.mapped(f"daisyui.themes.{name}", f"{len(doc)} colour(s): the {'dark mode' if docs else 'default'}")
        docs.append(doc)
    return docs[0], docs[1] if len(docs) > 1 else {}


def _no_colour(path: Path, theme: dict[str, Any]) -> SpecError:
    """The error for a configuration whose theme gives no colour: what its colours are instead."""
    values = [
        value
        for _, section in _sections(theme)
        for value in (
            [leaf for _, leaf in _leaves(section["colors"], [])]
            if isinstance(section.get("colors"), dict)
            else [section.get("colors")]
        )
        if value is not None
    ]
    css = [v for v in values if isinstance(v, str) and "var(--" in v]
    code = [v.text for v in values if isinstance(v, Expression)]
    why = []
    if css:
        why.append(
            f"{len(css)} {'is a CSS variable' if len(css) == 1 else 'are CSS variables'} no stylesheet of the project "
            f"declares ({', '.join(css[:2])}{', …' if len(css) > 2 else ''}): import the stylesheet that does "
            "(brandkit spec import app/globals.css), or the project folder that holds both"
        )
    if code:
        why.append(
            f"{len(code)} {'is' if len(code) == 1 else 'are'} JavaScript only running the file would give "
            f"({', '.join(code[:2])}{', …' if len(code) > 2 else ''})"
        )
    if not why:
        return SpecError(f"{path}: its theme names no colour (theme.colors, theme.extend.colors)")
    return SpecError(f"{path}: its theme gives no colour brandkit can read: " + "; ".join(why))


def read_tailwind_config(path: Path, report: MappingReport) -> BrandDraft:
    """A draft of the brand in the Tailwind configuration ``path`` (see the module docstring)."""
    text = read_text(path, max_bytes=MAX_CONFIG_BYTES, what="Tailwind configuration")
    major = tailwind_major(path.parent)
    read = read_config(text, str(path), tailwind_palette() if major in (None, 2, 3) else None)
    theme, reader, presets = read.theme, read.reader, read.presets
    for spread in reader.spreads:
        report.dropped(spread, "a spread: only running the configuration says what it adds")
    for name in dict.fromkeys(reader.resolved):
        report.approximated(
            name,
            "the values it names",
            "read without running the file: a constant of the file, or Tailwind's own palette (tailwindcss/colors; "
            "Tailwind 3.4's values, bundled — Tailwind 2's are the same)",
        )
    doc: dict[str, Any] = {}
    dark: dict[str, Any] = {}
    variables = _variables_named(theme)
    found = project_stylesheet(path.parent, variables) if variables else None
    if found is not None:
        sheet, count = found
        doc, dark = stylesheet_tokens(sheet, report)
        report.mapped(
            str(sheet.relative_to(path.parent)),
            f"the stylesheet declaring {count} of the {len(variables)} CSS variable(s) the configuration's colours "
            "and fonts name: its variables read as tokens (its dark theme a mode)",
        )
    declared = {token_path.replace(".", "-") for token_path in (*doc, *dark)}
    daisy, daisy_dark = _daisy_tokens(read.daisy_themes, report)
    doc, dark = {**doc, **daisy}, {**dark, **daisy_dark}
    for where, section in _sections(theme):
        colors = section.get("colors")
        if isinstance(colors, dict):
            doc |= _colour_tokens(colors, f"{where}.colors", declared, report)
        elif isinstance(colors, Expression):
            report.dropped(f"{where}.colors", f"{colors.text}: JavaScript (read without running the file)")
        families = section.get("fontFamily")
        if isinstance(families, dict):
            doc |= _font_tokens(families, f"{where}.fontFamily", declared, report)
    if presets:
        report.dropped("presets", "a preset's theme is another file: import that file")
    report.mapped(path.name, "its theme's colours and font families read as tokens")
    if not any(token.get("$type") == "color" for token in doc.values()):
        raise _no_colour(path, theme)
    return draft_from_tokens(
        doc,
        {"dark": {**doc, **dark}} if dark else {},
        report,
        source=str(path),
        hint=path.resolve().parent.name,
        base_dir=path.parent,
        carrier=("Tailwind configurations", "the configuration"),
        named_after="its project's folder",
    )
