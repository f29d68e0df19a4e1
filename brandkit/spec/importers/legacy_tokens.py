"""Token files written before the W3C format: Tokens Studio for Figma and Style Dictionary's classic format → DTCG
documents, which :mod:`brandkit.spec.importers.dtcg` then reads like any other.

What differs from DTCG, and how it is read:

* a token is ``{"value": …, "type": …}`` (no ``$``; ``description`` too); Tokens Studio's types are renamed to
  DTCG's (``fontFamilies`` → ``fontFamily``, ``fontWeights`` → ``fontWeight``, ``boxShadow`` → ``shadow``, sizes
  and spacings → ``dimension``, ``opacity`` → ``number``); a Style Dictionary token often has no type: a value that
  reads as a CSS colour is a colour;
* aliases are ``"{group.token}"``, Tokens Studio's ``"$group.token"``, and Style Dictionary's
  ``"{group.token.value}"`` — all become ``"{group.token}"``, inside composite values too (a typography token's
  ``fontFamily``); an expression (``"{space.base} * 2"``, ``"rgba({black}, 0.5)"``) stays as written;
* Tokens Studio keeps **token sets** (the top-level keys of a single-file export, or one file per set in a synced
  folder with ``$metadata.json`` and ``$themes.json``), merged into one namespace — a set's name is not part of a
  token's path. ``$metadata.tokenSetOrder`` orders them, and ``$themes`` says which sets each theme turns on: the
  theme named light or default (else the first) is the spec's palette, the other themes of its group become
  ``palette.modes``. Without themes, sets named ``dark``/``light`` are modes, as in a folder of DTCG files. A
  single file without ``$metadata`` or ``$themes`` is read as sets when its aliases resolve only that way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from brandkit.documents import read_document
from brandkit.errors import SpecError
from brandkit.spec.formats import LEGACY_TOKEN_KEYS, has_legacy_token
from brandkit.spec.importers.colorspace import dtcg_colour, is_css_color
from brandkit.spec.importers.report import MappingReport
from brandkit.spec.importers.studio_modify import studio_modifier
from brandkit.spec.importers.token_docs import merge_tokens, mode_of, split_modes

__all__ = ["has_legacy_token", "is_studio_folder", "legacy_sets", "studio_folder_sets", "to_dtcg"]

MAX_FILE_BYTES = 8 * 1024 * 1024
TYPE_NAMES = {
    "color": "color",
    "fontFamilies": "fontFamily",
    "fontFamily": "fontFamily",
    "fontWeights": "fontWeight",
    "fontWeight": "fontWeight",
    "typography": "typography",
    "boxShadow": "shadow",
    "opacity": "number",
    "border": "border",
    **dict.fromkeys(
        (
            "sizing", "spacing", "borderRadius", "borderWidth", "dimension", "fontSizes", "lineHeights",
            "letterSpacing", "paragraphSpacing", "paragraphIndent",
        ),
        "dimension",
    ),
}  # fmt: skip
_STUDIO_ALIAS = re.compile(r"^\$([A-Za-z0-9_\-][^\s{}$]*)$")
_ALIAS = re.compile(r"^\{([^{}]+)\}$")
_ON = ("enabled", "source")


def _alias(text: str) -> str | None:
    """The path a whole-string alias names (``{a.b}``, ``$a.b``, ``{a.b.value}``), else None."""
    stripped = text.strip()
    match = _ALIAS.match(stripped) or _STUDIO_ALIAS.match(stripped)
    if match is None:
        return None
    return match.group(1).removesuffix(".value")


def _value(value: Any) -> Any:
    """A token's value with its aliases in DTCG form (composite values too)."""
    if isinstance(value, str):
        path = _alias(value)
        return f"{{{path}}}" if path is not None else value
    if isinstance(value, dict):
        return {key: _value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_value(item) for item in value]
    return value


def _inferred_type(path: tuple[str, ...], value: Any) -> str | None:
    """An untyped Style Dictionary token's type: a colour by its value, a font family or weight by its path
    (``font.family.heading``, ``typography.fontWeight.bold`` — the classic category/type/item names)."""
    if is_css_color(value):
        return "color"
    words = {re.sub(r"[^a-z]", "", part.casefold()) for part in path}
    if words & {"family", "families", "fontfamily", "fontfamilies"} and isinstance(value, str | list):
        return "fontFamily"
    if words & {"weight", "weights", "fontweight", "fontweights"} and isinstance(value, str | int):
        return "fontWeight"
    return None


def to_dtcg(node: Any, path: tuple[str, ...] = ()) -> Any:
    """A group or token of a Tokens Studio / Style Dictionary document as DTCG (``$value``, ``$type``…)."""
    if not isinstance(node, dict):
        return node
    inner = node.get("value")
    if "value" in node and set(node) <= LEGACY_TOKEN_KEYS and not (isinstance(inner, dict) and "value" in inner):
        token: dict[str, Any] = {"$value": _value(node["value"])}
        kind = node.get("type")
        if isinstance(kind, str):
            token["$type"] = TYPE_NAMES.get(kind, kind)
        elif (inferred := _inferred_type(path, node["value"])) is not None:
            token["$type"] = inferred
        if token.get("$type") == "color":
            token["$value"] = dtcg_colour(token["$value"])
            modify = studio_modifier(node)
            if modify is not None:  # Tokens Studio computes this colour from another: the DTCG reader does too
                token["$extensions"] = {"studio.tokens": {"modify": modify}}
        if isinstance(node.get("description"), str):
            token["$description"] = node["description"]
        return token
    out: dict[str, Any] = {}
    for key, child in node.items():
        if key == "type" and isinstance(child, str):
            out["$type"] = TYPE_NAMES.get(child, child)
        elif key == "description" and isinstance(child, str):
            out["$description"] = child
        elif not str(key).startswith("$"):
            out[key] = to_dtcg(child, (*path, str(key)))
    return out


def _paths(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every token's value by dotted path."""
    out: dict[str, Any] = {}
    for key, child in doc.items():
        if not isinstance(child, dict) or str(key).startswith("$"):
            continue
        path = f"{prefix}{key}"
        if "$value" in child:
            out[path] = child["$value"]
        else:
            out.update(_paths(child, path + "."))
    return out


def _dangling(doc: dict[str, Any]) -> int:
    """How many whole-string aliases of ``doc`` name no token."""
    paths = _paths(doc)
    count = 0

    def visit(value: Any) -> None:
        nonlocal count
        if isinstance(value, str):
            match = _ALIAS.match(value)
            count += bool(match and match.group(1) not in paths)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    for value in paths.values():
        visit(value)
    return count


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "mode"


def _words(name: str) -> set[str]:
    return set(re.split(r"[^a-z]+", name.casefold()))


def studio_sets(
    sets: dict[str, dict[str, Any]], themes: Any, order: Any, report: MappingReport, where: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The default document and each mode's, from Tokens Studio token sets (already DTCG) and its ``$themes``."""
    listed = [name for name in order if name in sets] if isinstance(order, list) else []
    names = listed + [name for name in sets if name not in listed]

    def merged(selected: dict[str, Any]) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for name in names:
            if selected.get(name) in _ON:
                doc = merge_tokens(doc, sets[name])
        return doc

    valid = [t for t in themes if isinstance(t, dict) and isinstance(t.get("selectedTokenSets"), dict)] if (
        isinstance(themes, list)
    ) else []  # fmt: skip
    if valid:
        default = next(
            (t for t in valid if _words(str(t.get("name", ""))) & {"light", "default"}),
            valid[0],
        )
        group = default.get("group")
        modes: dict[str, dict[str, Any]] = {}
        for theme in valid:
            name = str(theme.get("name", ""))
            if theme is default:
                continue
            if theme.get("group") != group:
                report.dropped(f"{where} $themes[{name}]", f"another theme group ({theme.get('group')}): not a mode")
                continue
            modes[_slug(name)] = merged(theme["selectedTokenSets"])
        report.mapped(
            f"{where} $themes",
            f"theme {default.get('name')!r} → the palette"
            + (f"; {', '.join(repr(m) for m in modes)} → palette.modes" if modes else ""),
        )
        return merged(default["selectedTokenSets"]), modes
    for name in names:
        mode = mode_of(name)
        report.mapped(f"{where} token set {name!r}", f"tokens{' (mode ' + mode + ')' if mode else ''}")
    return split_modes((name, sets[name]) for name in names)


def legacy_sets(doc: dict[str, Any], report: MappingReport, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Tokens Studio / Style Dictionary file as DTCG: the default document and each mode's."""
    themes, metadata = doc.get("$themes"), doc.get("$metadata")
    order = metadata.get("tokenSetOrder") if isinstance(metadata, dict) else None
    groups = to_dtcg(doc)
    sets = {str(key): to_dtcg(value) for key, value in doc.items() if not str(key).startswith("$")}
    sets = {key: value for key, value in sets.items() if isinstance(value, dict) and "$value" not in value}
    as_sets = bool(themes or order)
    if not as_sets and sets:
        flat = studio_sets(sets, None, None, MappingReport(report.format, where), where)[0]
        as_sets = _dangling(groups) > 0 and _dangling(flat) < _dangling(groups)
    report.mapped(where, "Tokens Studio / Style Dictionary tokens (value and type without $) read as design tokens")
    if not as_sets:
        return groups, {}
    return studio_sets(sets, themes, order, report, where)


def is_studio_folder(folder: Path) -> bool:
    """A Tokens Studio sync folder: one JSON file per token set beside ``$metadata.json`` / ``$themes.json``."""
    return (folder / "$metadata.json").is_file() or (folder / "$themes.json").is_file()


def _load(path: Path) -> Any:
    return read_document(path, max_bytes=MAX_FILE_BYTES, what="design tokens file", json5=True)


def studio_folder_sets(folder: Path, report: MappingReport) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Tokens Studio sync folder as DTCG: sets named by their path without ``.json`` (``core/colors``)."""
    metadata = _load(folder / "$metadata.json") if (folder / "$metadata.json").is_file() else {}
    themes = _load(folder / "$themes.json") if (folder / "$themes.json").is_file() else []
    sets: dict[str, dict[str, Any]] = {}
    for file in sorted(folder.rglob("*.json")):
        relative = file.relative_to(folder).as_posix()
        if relative.startswith("$") or "/." in f"/{relative}":
            continue
        doc = _load(file)
        if not isinstance(doc, dict):
            raise SpecError(f"{file}: a token set file is a JSON object")
        sets[relative.removesuffix(".json")] = to_dtcg(doc)
    order = metadata.get("tokenSetOrder") if isinstance(metadata, dict) else None
    report.mapped(folder.name, "a Tokens Studio folder (one file per token set) read as design tokens")
    return studio_sets(sets, themes, order, report, folder.name)
