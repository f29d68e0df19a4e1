"""A :class:`~brandkit.spec.importers.draft.BrandDraft` → a brandkit spec (data for ``brand.yaml`` and the files
of its folder), recording every decision in the draft's :class:`~brandkit.spec.importers.report.MappingReport`.

Palette: colours that play a role become ``palette.colors`` (brandkit's six roles; success, warning, link, … are
kept in ``palette.roles`` and given the closest of the six); every other named colour (tints, data-viz ramps)
becomes an *allowed* colour — unless it lies within half the palette tolerance of a colour already kept (it would
widen nothing) or the 127-reference limit is reached. The share of sRGB the result accepts is measured
(:func:`brandkit.spec.palette.palette_space`) and a warning given above
:data:`~brandkit.spec.palette.PALETTE_SPACE_WARN_SHARE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from brandkit.color import ciede2000, hex_chroma, hex_to_rgb, srgb_to_lab
from brandkit.errors import SpecError
from brandkit.spec.importers.draft import CORE_ROLES, ROLE_FALLBACK, STATUS_ROLES, BrandDraft, DraftColor
from brandkit.spec.importers.font_download import FontFetcher
from brandkit.spec.importers.logos import logo_files, raster_width
from brandkit.spec.importers.report import MappingReport
from brandkit.spec.importers.typography import typography_section
from brandkit.spec.models import DEFAULT_FORMATS, BrandSpec
from brandkit.spec.palette import PALETTE_SPACE_WARN_SHARE, Palette, monochrome, palette_space
from brandkit.spec.palette_warnings import one_colour_warning

MAX_REFERENCES = 127


@dataclass
class BuiltSpec:
    """The spec data (what ``brand.yaml`` holds) and the files of its folder (relative path → bytes)."""

    data: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:40] or "logo"


def _palette(draft: BrandDraft) -> dict[str, Any]:
    report = draft.report
    if not draft.colors:
        raise SpecError(f"{report.source}: the {report.format} file defines no colour; a spec needs at least one")
    assigned, extra_roles = _roles(draft)
    colors: list[dict[str, Any]] = []
    for color in draft.colors:
        if color.name in assigned:
            colors.append(_color_entry(draft, color, assigned[color.name]))
    tolerance = float(Palette.model_fields["tolerance"].default)
    allowed = _allowed(draft, colors, assigned, tolerance)
    palette: dict[str, Any] = {"colors": colors}
    if allowed:
        palette["allowed"] = allowed
    if extra_roles:
        palette["roles"] = dict(extra_roles)
    modes = _modes(draft, assigned)
    if modes:
        palette["modes"] = modes
    _not_used_yet(report, palette)
    model = Palette.model_validate(palette)
    if monochrome(model):
        palette["neutrals"] = {"max_share": 1.0}
        report.approximated(
            "palette",
            "palette.neutrals.max_share = 1",
            "every brand colour is neutral (black, white, greys): the limit on neutral pixels (0.9 by default) is "
            "lifted, else an image in the brand's own colours would fail the palette check",
        )
    one = one_colour_warning(model)
    if one is not None:
        report.warnings.append(one.removeprefix("palette: "))
    share = palette_space(model)  # the neutral limit plays no part in it
    report.palette_space_share = share
    if share > PALETTE_SPACE_WARN_SHARE:
        report.warnings.append(
            f"the palette ({len(colors)} colours, {len(allowed)} allowed, neutrals) accepts {share:.0%} of all sRGB "
            f"colours within ΔE {tolerance:g} (warning above {PALETTE_SPACE_WARN_SHARE:.0%}): the coverage rule "
            "accepts almost anything; drop allowed colours you do not need"
        )
    return palette


def _roles(draft: BrandDraft) -> tuple[dict[str, str], dict[str, str]]:
    """Each colour's core role (colour name → role; :func:`_likely_primary` is made primary when none is) and the
    semantic roles kept beside them (``palette.roles``)."""
    report = draft.report
    assigned: dict[str, str] = {}  # colour name → core role
    extra_roles: dict[str, str] = {}
    # the colour the source marks primary is made primary whatever else it plays (palaeoverse: background and
    # primary both light-blue; read in file order, primary became a semantic role and "no colour is marked
    # primary" was reported)
    ordered = sorted(draft.roles.items(), key=lambda item: item[0] != "primary")
    for role, name in ordered:
        color = draft.color(name)
        if color is None:
            report.dropped(f"role {role}", f"names colour {name!r}, which the file does not define")
            continue
        core = role if role in CORE_ROLES else ROLE_FALLBACK.get(role, "accent")
        numbered = role.rsplit("_", 1)[0] if re.fullmatch(r"[a-z]+_\d+", role) else None
        if numbered in CORE_ROLES and color.name not in assigned:  # a further colour of a role (primary_2)
            assigned[color.name] = str(numbered)
            report.mapped(f"{color.source} ({role})", f"palette.colors[{color.name}].role = {numbered}")
            continue
        if color.name not in assigned:
            assigned[color.name] = core
            if core == role:
                report.mapped(f"{color.source} ({role})", f"palette.colors[{color.name}].role = {core}")
                continue
            extra_roles[role] = color.name
            report.approximated(
                f"{color.source} ({role})", f"palette.colors[{color.name}].role = {core}; palette.roles.{role}",
                f"brandkit has six roles; {role!r} is given the closest, {core!r}, and kept in palette.roles",
            )  # fmt: skip
        else:
            extra_roles[role] = color.name
            report.approximated(
                f"{color.source} ({role})", f"palette.roles.{role} = {color.name}",
                f"the colour already plays {assigned[color.name]!r}; {role!r} kept as a semantic role",
            )  # fmt: skip
    if "primary" not in assigned.values():
        unlikely = {name for role, name in draft.roles.items() if _not_the_brand(role)}
        unlikely -= {name for role, name in draft.roles.items() if not _not_the_brand(role)}
        role_colours = [c for c in draft.colors if c.name in assigned]
        first = _likely_primary(role_colours, unlikely) or _likely_primary(draft.colors, unlikely)
        first = first or (role_colours or draft.colors)[0]
        if first.name in assigned and assigned[first.name] != "primary":
            extra_roles.setdefault(assigned[first.name], first.name)
        assigned[first.name] = "primary"
        report.decide(
            f"palette.colors[{first.name}].role",
            "no colour is marked primary; the first colour that is clearly a colour and plays no background, text, "
            "border or status role (one that plays a role first) was made primary",
        )
    return assigned, extra_roles


def _not_the_brand(role: str) -> bool:
    """A role a brand's primary colour does not play: an interface state (success, danger…) or a structural one
    (background, text, neutral and the words for them: surface, border, foreground…)."""
    core = role if role in CORE_ROLES else ROLE_FALLBACK.get(role, "accent")
    return role in STATUS_ROLES or core in ("background", "text", "neutral")


CLEAR_CHROMA = 15.0
"""CIELAB chroma above which a colour is clearly one, not a tinted grey (Tailwind's slate greys reach 12)."""


def _likely_primary(colors: list[DraftColor], unlikely: set[str]) -> DraftColor | None:
    """The first of ``colors`` that is clearly a colour (:data:`CLEAR_CHROMA`) and not only playing a role a primary
    does not (``unlikely``: background, text, success…), if any. The file's order is kept: a brand file names its
    brand colour early, and chroma alone would prefer any yellow to a brand blue."""
    if not colors:
        return None
    chroma = hex_chroma([c.hex for c in colors])
    return next((c for c, k in zip(colors, chroma, strict=True) if k > CLEAR_CHROMA and c.name not in unlikely), None)


def _allowed(
    draft: BrandDraft, colors: list[dict[str, Any]], assigned: dict[str, str], tolerance: float
) -> list[dict[str, Any]]:
    """The file's colours without a role, as allowed colours: tints composited, near-duplicates and any beyond
    the palette's room dropped (each decision in the report)."""
    report = draft.report
    kept_lab = [srgb_to_lab(np.asarray([hex_to_rgb(c["hex"])], dtype=np.uint8))[0] for c in colors]
    allowed: list[dict[str, Any]] = []
    room = MAX_REFERENCES - 9 - len(colors)  # 9: the default neutral steps
    backdrop = next((c for c in colors if c["role"] == "background"), {"name": "white", "hex": "#FFFFFF"})
    for color in draft.colors:
        if color.name in assigned:
            continue
        if color.alpha < 1:
            color = _composite(draft, color, backdrop)
        lab = srgb_to_lab(np.asarray([hex_to_rgb(color.hex)], dtype=np.uint8))[0]
        if kept_lab:
            de = ciede2000(np.asarray(kept_lab), lab[None, :])
            nearest = int(np.argmin(de))
            if float(de[nearest]) <= tolerance / 2:
                names = [c["name"] for c in colors + allowed]
                report.dropped(
                    color.source,
                    f"{color.hex} lies within ΔE00 {float(de[nearest]):.1f} of {names[nearest]!r} (≤ half the "
                    f"tolerance {tolerance:g}): as an allowed colour it would widen nothing",
                )
                continue
        if len(allowed) >= room:
            report.dropped(color.source, f"the palette holds at most {MAX_REFERENCES} reference colours")
            continue
        entry: dict[str, Any] = {"name": color.name, "hex": color.hex}
        allowed.append(entry)
        kept_lab.append(lab)
        report.approximated(
            color.source, f"palette.allowed[{color.name}]",
            "no role in the source: an allowed colour (on palette for the coverage rule, never asked for in prompts)",
        )  # fmt: skip
    return allowed


def _composite(draft: BrandDraft, color: DraftColor, backdrop: dict[str, Any]) -> DraftColor:
    """A translucent tint as it shows: composited over the brand's background colour (else white)."""
    a = color.alpha
    fg, bg = hex_to_rgb(color.hex), hex_to_rgb(backdrop["hex"])
    mixed = "#" + "".join(f"{round(a * f + (1 - a) * b):02X}" for f, b in zip(fg, bg, strict=True))
    draft.report.approximated(
        color.source, f"palette.allowed[{color.name}] = {mixed}",
        f"{color.hex} at alpha {a:g} composited over the background {backdrop['name']} {backdrop['hex']}: the "
        "colour the tint shows as",
    )  # fmt: skip
    return DraftColor(color.name, mixed, 1.0, color.source)


def _not_used_yet(report: MappingReport, palette: dict[str, Any]) -> None:
    """Say which imported palette capabilities generation and the checks do not use yet."""
    if palette.get("roles"):
        report.not_used_yet.append(
            f"palette.roles ({', '.join(palette['roles'])}): kept; prompts, compose and the checks use the six roles"
        )
    translucent = [c["name"] for c in palette["colors"] if c.get("alpha", 1) < 1]
    if translucent:
        report.not_used_yet.append(
            f"alpha of {', '.join(translucent)}: kept; the checks match the colour itself and prompts name its hex"
        )


def _color_entry(draft: BrandDraft, color: DraftColor, role: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": color.name, "hex": color.hex, "role": role}
    if color.alpha < 1:
        entry["alpha"] = color.alpha
        draft.report.approximated(
            color.source, f"palette.colors[{color.name}].alpha = {color.alpha:g}",
            "alpha kept in the spec (prompts, export); the palette check matches the colour itself, opaque",
        )  # fmt: skip
    return entry


def _modes(draft: BrandDraft, assigned: dict[str, str]) -> dict[str, dict[str, str]]:
    modes: dict[str, dict[str, str]] = {}
    for mode, overrides in draft.modes.items():
        entries: dict[str, str] = {}
        for key, hex_value in overrides.items():
            name = draft.roles.get(key, key)
            color = draft.color(name)
            if color is None or color.name not in assigned:
                draft.report.dropped(f"{mode}: {key}", "a mode may only change colours that play a role")
                continue
            if color.hex != hex_value and color.name not in entries:
                entries[color.name] = hex_value
                draft.report.mapped(f"{mode}: {key} = {hex_value}", f"palette.modes.{mode}.{color.name}")
        if entries:
            modes[mode] = entries
    return modes


def _logos(draft: BrandDraft, files: dict[str, bytes]) -> list[dict[str, Any]]:
    report = draft.report
    width = raster_width(max(f.width for f in DEFAULT_FORMATS.values()), 0.3, 96)
    logos: list[dict[str, Any]] = []
    used: set[str] = set()
    for logo in draft.logos:
        variant = _slug(logo.variant)
        base, n = variant, 2
        while variant in used:
            variant, n = f"{base}-{n}", n + 1
        used.add(variant)
        made = logo_files(logo.path, variant, width)
        files[made.raster_name] = made.raster
        entry: dict[str, Any] = {"variant": variant, "file": made.raster_name, "backgrounds": logo.backgrounds}
        if made.source_name and made.source is not None:
            files[made.source_name] = made.source
            entry["source"] = made.source_name
        placements = logo.placements or ([draft.logo_placement] if draft.logo_placement else None)
        if placements:
            entry["placements"] = placements
        clear_space = logo.clear_space if logo.clear_space is not None else draft.logo_clear_space
        if clear_space is not None:
            entry["clear_space"] = clear_space
        entry["min_width_px"] = min(logo.min_width_px or 96, made.width)
        if logo.max_width_share is not None:
            entry["max_width_share"] = logo.max_width_share
        if made.note:
            report.approximated(logo.source, f"logos[{variant}].file", made.note)
        else:
            report.mapped(logo.source, f"logos[{variant}].file")
        logos.append(entry)
    if not logos and not any(e.kind == "decide" and e.target == "logos" for e in report.entries):
        report.decide("logos", "the source has no logo brandkit can read: add a PNG/SVG logo variant")
    return logos


def _merge_settings(data: dict[str, Any], settings: dict[str, Any]) -> None:
    """Merge brandkit-only settings carried by an export into the spec data (the imported values win)."""
    settings = dict(settings)
    rules = settings.pop("color_rules", None)
    if isinstance(rules, dict):
        for entry in data["palette"]["colors"]:
            rule = rules.get(entry["name"])
            if isinstance(rule, dict):
                entry.update({k: v for k, v in rule.items() if k not in entry})
    for key, value in settings.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**value, **data[key]}
        elif key not in data:
            data[key] = value


def build_spec(draft: BrandDraft, fonts_dir: Path | None = None, fetcher: FontFetcher | None = None) -> BuiltSpec:
    """The spec for ``draft``; raises :class:`~brandkit.errors.SpecError` subclasses naming what is missing.

    Fonts are looked up in the draft's files, ``fonts_dir`` and the system; one found nowhere is downloaded when
    ``fetcher`` allows it (default: a :class:`FontFetcher` — the families the source says come from Google Fonts)."""
    report = draft.report
    files: dict[str, bytes] = {}
    data: dict[str, Any] = {"schema_version": 1, "name": draft.name[:120]}
    if draft.description:
        data["description"] = draft.description
    voice = {k: v for k, v in (("tone", draft.tone), ("do", draft.do), ("dont", draft.dont)) if v}
    if voice:
        data["voice"] = voice
    data["palette"] = _palette(draft)
    logos = _logos(draft, files)
    if logos:
        data["logos"] = logos
    data["typography"] = typography_section(draft, files, fonts_dir, fetcher or FontFetcher())
    if draft.imagery_forbidden:
        data["forbidden"] = {"imagery": list(draft.imagery_forbidden)}
    if not (draft.settings.get("forbidden") or {}).get("terms"):
        report.decide("forbidden.terms", "terms, patterns and competitors the brand never uses: none in the source")
    if draft.disclaimers:
        data["required"] = {"disclaimers": list(draft.disclaimers)}
    if draft.style:
        data["style"] = dict(draft.style)
    _merge_settings(data, draft.settings)
    try:
        BrandSpec.model_validate(data)
    except ValueError as exc:
        raise SpecError(f"{report.source}: the imported spec does not validate: {exc}") from None
    return BuiltSpec(data, files)
