"""W3C Design Tokens (DTCG format module 2025.10, colour and resolver modules) → :class:`BrandDraft`.

Read from the specification: a token is an object with ``$value`` (``$type`` on it or inherited from its groups;
``$description``, ``$extensions``, ``$deprecated``); groups nest; ``$root`` is a group's own token; aliases are
``"{group.token}"`` or ``{"$ref": "#/group/token"}`` JSON pointers, resolved transitively (cycles are errors).
Colours are objects ``{colorSpace, components, alpha, hex}`` (older string values are read as CSS colours).
Modes (themes) are separate token sets: a ``.resolver.json`` (``sets``, ``modifiers`` with ``contexts`` and a
``default``, ``resolutionOrder``), or, in a folder without one, token files named ``light``/``dark``.

DTCG has no semantic roles: a colour token plays a role when its name says so (:mod:`.token_roles`: the last
segment, or the one before ``default``/``base``/``color``, is a role word — primary, brand, text, background,
success, link, … —, or a scale named for a role gives its purest step). Other colour tokens are the brand's tints
and ramps. The documents a path holds (a file, a folder, a resolver) are read by :mod:`.token_files`. brandkit
keeps its own data (name, voice, logos, …) under ``$extensions["com.brandkit"]`` when it exports, and reads it back
here. A colour Tokens Studio computes from another (``$extensions["studio.tokens"].modify``: lighten, darken, mix,
alpha) is computed as Tokens Studio does (:mod:`.studio_modify`) and imported as its own colour.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from brandkit.errors import SpecError
from brandkit.spec.importers.colorspace import ColorParseError, ParsedColor, from_components, parse_css_color
from brandkit.spec.importers.draft import BrandDraft, DraftColor, DraftFont, humanize, logo_folder
from brandkit.spec.importers.extension import EXTENSION_KEY, apply_color_names, read_extension
from brandkit.spec.importers.fonts import brand_family, font_stack, stack_note, weight_of
from brandkit.spec.importers.report import MappingReport
from brandkit.spec.importers.studio_modify import (
    MODIFIER_SPACES,
    MODIFIER_TYPES,
    amount_of,
    modify_colour,
    studio_modifier,
)
from brandkit.spec.importers.token_files import token_sets
from brandkit.spec.importers.token_roles import role_of, scale_of, scale_roles, settle_brand

_FONT_ROLES = {
    "headline": {"headline", "heading", "headings", "display", "title", "h1"},
    "body": {"body", "text", "base", "paragraph", "copy", "sans"},  # Tailwind's font-sans: the page's own
    "cta": {"cta", "button", "action"},
}
_ALIAS = re.compile(r"^\{([^{}]+)\}$")


@dataclass
class Token:
    """One token after inheritance: its path, type and raw value."""

    path: str
    type: str | None
    value: Any
    modify: dict[str, Any] | None = None
    """Tokens Studio's colour modifier (``$extensions["studio.tokens"].modify``), when the token has one."""
    note: str = ""
    """How a resolved value was computed (a modifier applied), for the report."""
    error: str = ""
    """Why a modified colour could not be computed (its ``value`` is then ``None``)."""


def flatten(doc: dict[str, Any], report: MappingReport | None = None) -> dict[str, Token]:
    """Every token of a (merged) DTCG document by dotted path, ``$type`` inherited from groups."""
    tokens: dict[str, Token] = {}

    def walk(node: dict[str, Any], path: list[str], inherited: str | None) -> None:
        kind = node.get("$type", inherited)
        if "$value" in node:
            tokens[".".join(path)] = Token(".".join(path), kind, node["$value"], studio_modifier(node))
            return
        for key, child in node.items():
            if key == "$root" and isinstance(child, dict):
                tokens[".".join(path)] = Token(".".join(path), child.get("$type", kind), child.get("$value"))
            elif key == "$extends" and report is not None:
                report.dropped(
                    ".".join([*path, key]), "group inheritance ($extends) is not read; tokens kept as written"
                )
            elif not key.startswith("$") and isinstance(child, dict):
                walk(child, [*path, key], kind)

    walk(doc, [], None)
    return tokens


def _ref_path(value: Any) -> str | None:
    if isinstance(value, str):
        match = _ALIAS.match(value.strip())
        return match.group(1) if match else None
    if isinstance(value, dict) and set(value) == {"$ref"} and isinstance(value["$ref"], str):
        pointer = value["$ref"].removeprefix("#/").split("/")
        if pointer and pointer[-1] == "$value":
            pointer = pointer[:-1]
        return ".".join(p.replace("~1", "/").replace("~0", "~") for p in pointer)
    return None


class MissingAliasError(SpecError):
    """An alias to a token the file does not hold (one of another token set or library): the token is dropped and
    named; a cycle stays an error of the file."""

    def __init__(self, source: str, target: str, via: str | None) -> None:
        self.target = target
        where = f" (from {via})" if via else ""
        super().__init__(f"{source}: alias to {{{target}}}{where}, which is not a token")


def resolve(tokens: dict[str, Token], path: str, source: str, trail: tuple[str, ...] = ()) -> Token:
    """The token ``path`` with aliases followed to a value (type from the target when missing); raises
    :class:`MissingAliasError` for an alias that leads out of the file, :class:`SpecError` for a cycle."""
    if path in trail:
        raise SpecError(f"{source}: alias cycle {' → '.join((*trail, path))}")
    if path not in tokens:
        raise MissingAliasError(source, path, trail[-1] if trail else None)
    token = tokens[path]
    if token.modify is not None and token.type in (None, "color"):
        try:
            return _modified(tokens, token, token.modify, source, (*trail, path))
        except ColorParseError as exc:  # not a SpecError of the file: this token is dropped, named
            return Token(path, "color", None, error=f"{exc.message} (a Tokens Studio colour modifier)")
    target = _ref_path(token.value)
    if target is None:
        return token
    final = resolve(tokens, target, source, (*trail, path))
    return Token(final.path, token.type or final.type, final.value, note=final.note, error=final.error)


def _modified(
    tokens: dict[str, Token], token: Token, modify: dict[str, Any], source: str, trail: tuple[str, ...]
) -> Token:
    """The colour Tokens Studio computes with ``modify`` (``token``'s modifier) from the one ``token`` holds or
    aliases: its own colour (an sRGB colour object), with a note; raises :class:`ColorParseError` when it cannot
    be computed (the caller names it)."""
    target = _ref_path(token.value)
    base_token = token if target is None else resolve(tokens, target, source, trail)
    base = parse_color(base_token.value, base_token.path)
    kind, space = modify.get("type"), modify.get("space")
    if kind not in MODIFIER_TYPES or space not in MODIFIER_SPACES:
        why = f"Tokens Studio's modifier {kind!r} in {space!r} (types {', '.join(MODIFIER_TYPES)}; spaces "
        why += f"{', '.join(MODIFIER_SPACES)}) leaves the colour as it is: {base.hex}"
        return Token(token.path, "color", base_token.value, note=why)

    def number(match: re.Match[str]) -> str:  # an amount that names another token ({darken.amount})
        return str(resolve(tokens, match.group(1), source, trail).value)

    amount = amount_of(re.sub(r"\{([^{}]+)\}", number, str(modify.get("value", ""))))
    other = None
    if kind == "mix":
        raw = modify.get("color")
        if raw is None:
            raise ColorParseError(f"{token.path}: a mix names the colour it mixes with (modify.color); it has none")
        named = _ref_path(raw)
        other = parse_color(resolve(tokens, named, source, trail).value if named else raw, f"{token.path} (mix)")
    made = modify_colour(base, str(kind), str(space), amount, other)
    rgb = [int(made.hex[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    value = {"colorSpace": "srgb", "components": rgb, "alpha": made.alpha, "hex": made.hex}
    return Token(token.path, "color", value, note=made.note)


def parse_color(value: Any, where: str) -> ParsedColor:
    """A DTCG colour value (object, or a legacy CSS string) → :class:`ParsedColor`."""
    if isinstance(value, str):
        return parse_css_color(value)
    if not isinstance(value, dict) or "colorSpace" not in value:
        raise ColorParseError(f"{where}: a colour value is {{colorSpace, components, alpha}}, got {value!r}")
    components = value.get("components")
    if not isinstance(components, list):
        raise ColorParseError(f"{where}: components must be a list, got {components!r}")
    numbers = [0.0 if c == "none" else float(c) for c in components]
    alpha = value.get("alpha", 1.0)
    return from_components(str(value["colorSpace"]), numbers, float(alpha), where)


def _colors(draft: BrandDraft, tokens: dict[str, Token], source: str) -> dict[str, str]:
    """Add the colours of ``tokens`` to the draft; returns role → colour name."""
    report = draft.report
    roles: dict[str, str] = {}
    steps: list[tuple[str, str, str, str]] = []  # (scale, step, colour name, hex) of the scales named for a role
    for path, token in tokens.items():
        if token.type != "color" and not (token.type is None and _ref_path(token.value)):
            continue
        try:
            final = resolve(tokens, path, source)
        except MissingAliasError as exc:
            report.dropped(path, _outside(exc))
            continue
        if final.error:  # a Tokens Studio modifier that cannot be computed
            report.dropped(path, final.error)
            continue
        if final.type != "color":
            continue
        try:
            parsed = parse_color(final.value, final.path)
        except ColorParseError as exc:
            report.dropped(path, exc.message)
            continue
        if final.path != path:
            report.mapped(path, f"alias of {humanize(final.path)}")
        elif final.note:
            report.approximated(path, f"colour {humanize(path)}", final.note)
        elif parsed.note:
            report.approximated(path, f"colour {humanize(path)}", parsed.note)
        elif isinstance(final.value, str):
            report.approximated(path, f"colour {humanize(path)}", "a CSS colour string (pre-2025 format) read as CSS")
        color = draft.add_color(DraftColor(humanize(final.path), parsed.hex, parsed.alpha, final.path))
        role = role_of(path)
        if role is not None and role not in roles:
            roles[role] = color.name
        scale = scale_of(path)
        if scale is not None:
            steps.append((*scale, color.name, color.hex))
    return settle_brand(roles | scale_roles(steps, roles, report), report)


def _outside(exc: MissingAliasError) -> str:
    return f"an alias to {{{exc.target}}}, which this file does not hold (a token of another set or library)"


def _refuse_untyped_colours(tokens: dict[str, Token], source: str) -> None:
    """No colour imported, yet colour tokens alias another file's tokens, or tokens without a type (their own or a
    group's) hold colour values: say that, not "defines no colour" — the format forbids guessing a token's type from
    its value, so the file must say it."""
    outside = [
        f"{path} → {{{target}}}"
        for path, token in tokens.items()
        if token.type == "color" and (target := _ref_path(token.value)) is not None and target not in tokens
    ]
    if outside:
        raise SpecError(
            f"{source}: its {len(outside)} colour token(s) are aliases to tokens this file does not hold "
            f"({', '.join(outside[:3])}{', …' if len(outside) > 3 else ''}): import the folder that holds their "
            "token sets together, or the file they come from"
        )
    untyped: list[str] = []
    for path, token in tokens.items():
        if token.type is None and _ref_path(token.value) is None:
            try:
                parse_color(token.value, path)
            except (ColorParseError, SpecError, TypeError, ValueError):
                continue
            untyped.append(path)
    if untyped:
        raise SpecError(
            f"{source}: no token has the type color, but {len(untyped)} token(s) without a $type hold colour values "
            f"({', '.join(untyped[:3])}{', …' if len(untyped) > 3 else ''}); the W3C design tokens format forbids "
            'guessing a type from a value: add "$type": "color" to the group that holds them (a group\'s $type '
            "applies to every token inside)"
        )


def _fonts(draft: BrandDraft, tokens: dict[str, Token], source: str) -> None:
    report = draft.report
    found: dict[str, DraftFont] = {}
    first: DraftFont | None = None
    for path, token in tokens.items():
        try:
            final = resolve(tokens, path, source)
            kind = token.type or final.type
            family: Any = None
            weight = 400
            if kind == "fontFamily":
                family = final.value
            elif kind == "typography" and isinstance(final.value, dict):
                value = final.value
                family = value.get("fontFamily")
                if _ref_path(family):
                    family = resolve(tokens, _ref_path(family) or "", source).value
                raw_weight = value.get("fontWeight")
                if _ref_path(raw_weight):
                    raw_weight = resolve(tokens, _ref_path(raw_weight) or "", source).value
                weight = weight_of(raw_weight, 400)
            else:
                continue
        except MissingAliasError as exc:
            if token.type in ("fontFamily", "typography"):  # other kinds are not read: their aliases do not matter
                report.dropped(path, _outside(exc))
            continue
        stack = (
            font_stack(family)
            if isinstance(family, str)
            else [str(f) for f in family if f]
            if isinstance(family, list)
            else []
        )
        family, stand_ins = brand_family(stack)
        if family is None:
            report.dropped(path, "no font family" if not stack else f"only generic families {stack}")
            continue
        if len(stack) > 1:
            report.approximated(f"{path}", f"family {family!r}", stack_note(stack, family, stand_ins))
        words = {p.casefold() for p in path.split(".")}
        font = DraftFont(family, weight, path, stand_ins=stand_ins)
        first = first or font
        for role, names in _FONT_ROLES.items():
            if words & names and role not in found:
                found[role] = font
    if "headline" not in found and first is not None:
        found["headline"] = replace(first, weight=700)
        report.approximated(first.source, "typography.headline", "no headline/heading token: this family, weight 700")
    draft.fonts.update(found)


def read_dtcg(path: Path, report: MappingReport) -> BrandDraft:
    """A draft of the brand in the DTCG token file, resolver or folder of token files at ``path``."""
    doc, modes, hint = token_sets(path, report)
    base_dir = path if path.is_dir() else path.parent
    return draft_from_tokens(doc, modes, report, source=str(path), hint=hint, base_dir=base_dir)


def draft_from_tokens(
    doc: dict[str, Any],
    modes: dict[str, dict[str, Any]],
    report: MappingReport,
    *,
    source: str,
    hint: str,
    base_dir: Path,
    carrier: tuple[str, str] = ("design tokens", "the tokens"),
    named_after: str = "the file",
) -> BrandDraft:
    """A draft of the brand in the DTCG document ``doc`` (and its ``modes``' documents) — what a token file reads
    as, and what other sources made into tokens (CSS variables) are read as. ``hint`` names the brand when the
    tokens do not (the file's name, or what ``named_after`` says); ``carrier`` words the report ("design tokens"
    carry no name … beside "the tokens")."""
    ext = doc.get("$extensions", {}).get(EXTENSION_KEY) if isinstance(doc.get("$extensions"), dict) else None
    name = ext.get("name") if isinstance(ext, dict) and isinstance(ext.get("name"), str) else None
    if name is None:
        name = humanize(hint) or "Imported brand"
        report.decide("name", f"{carrier[0]} carry no brand name; named {name!r} after {named_after}")
    draft = BrandDraft(name=name, report=report, base_dir=base_dir)
    if isinstance(doc.get("$description"), str):
        draft.description = doc["$description"]
        report.mapped("$description", "description")
    tokens = flatten(doc, report)
    draft.roles = _colors(draft, tokens, source)
    if not draft.colors:
        _refuse_untyped_colours(tokens, source)
    if isinstance(ext, dict):
        apply_color_names(draft, ext)  # before the modes, which name colours
    base_hex = _hexes(tokens, source)
    for mode, mode_doc in modes.items():
        for token_path, hex_value in _hexes(flatten(mode_doc), source).items():
            if base_hex.get(token_path) == hex_value:
                continue
            role = role_of(token_path)
            owner = next((c.name for c in draft.colors if c.source == token_path), None)
            key = role if role in draft.roles else owner
            if key is not None:
                draft.modes.setdefault(mode, {}).setdefault(key, hex_value)
    _fonts(draft, tokens, source)
    read = ("color", "fontFamily", "typography")
    others = Counter(
        t.type or "untyped"
        for path, t in tokens.items()
        if t.type not in read and not (t.type is None and _ref_path(t.value) and _resolved_type(tokens, path) in read)
    )
    for kind, count in sorted(others.items()):
        if kind != "fontWeight":
            report.dropped(f"{count} {kind} token(s)", "brandkit lays out and sizes images itself")
    if isinstance(ext, dict):
        read_extension(draft, ext, base_dir, f"$extensions.{EXTENSION_KEY}")
    else:
        logo_folder(draft, base_dir, f"{carrier[0]} carry", carrier[1])
    report.brand = draft.name
    return draft


def _resolved_type(tokens: dict[str, Token], path: str) -> str | None:
    """The type an alias token takes from what it points to (None when the alias leads nowhere)."""
    try:
        return resolve(tokens, path, "").type
    except SpecError:
        return None


def _hexes(tokens: dict[str, Token], source: str) -> dict[str, str]:
    """path → hex of every colour token (aliases followed); unreadable colours are left out."""
    out: dict[str, str] = {}
    for path, token in tokens.items():
        try:
            final = resolve(tokens, path, source)
            if (token.type or final.type) == "color":
                out[path] = parse_color(final.value, final.path).hex
        except (ColorParseError, SpecError):
            continue
    return out


def dump_tokens(doc: dict[str, Any]) -> str:
    """Stable JSON text of a token document."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
