"""brandkit's own data inside foreign formats, so an exported spec imports back unchanged: the DTCG
``$extensions["com.brandkit"]`` object and brand.yml's ``defaults.brandkit`` (both are the formats' places for
tool-specific data). Only what the format itself cannot say is kept here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brandkit.spec.importers.draft import BrandDraft, DraftFont, DraftLogo, local_file
from brandkit.spec.importers.fonts import weight_of
from brandkit.spec.models import BrandSpec

EXTENSION_KEY = "com.brandkit"


def write_extension(spec: BrandSpec, logo_files: dict[str, str], font_files: dict[str, str]) -> dict[str, Any]:
    """The extension object for ``spec``; ``logo_files``/``font_files`` map variant/role → exported path."""
    ext: dict[str, Any] = {"name": spec.name}
    roles: list[list[str]] = []
    counts: dict[str, int] = {}
    for color in spec.palette.colors:
        n = counts[color.role.value] = counts.get(color.role.value, 0) + 1
        roles.append([color.role.value if n == 1 else f"{color.role.value}_{n}", color.name])
    roles += [[role, name] for role, name in spec.palette.roles.items()]
    ext["roles"] = roles
    if spec.description:
        ext["description"] = spec.description
    voice = spec.voice.model_dump(exclude_unset=True)
    if voice:
        ext["voice"] = voice
    if spec.logos:
        ext["logos"] = [
            {
                "variant": logo.variant,
                "file": logo_files[logo.variant],
                "backgrounds": list(logo.backgrounds),
                **logo.model_dump(
                    include={"placements", "clear_space", "min_width_px", "max_width_share"}, exclude_unset=True
                ),
            }
            for logo in spec.logos
        ]
    fonts: dict[str, Any] = {}
    for role, file in font_files.items():
        font = spec.typography.font_for(role)  # type: ignore[arg-type]
        fonts[role] = {"file": file, "family": font.family, "weight": font.weight}
    if fonts:
        ext["fonts"] = fonts
    if spec.required.disclaimers:
        ext["disclaimers"] = list(spec.required.disclaimers)
    if spec.forbidden.imagery:
        ext["forbidden_imagery"] = list(spec.forbidden.imagery)
    style = spec.style.model_dump(exclude_unset=True)
    if style:
        ext["style"] = style
    settings = _settings(spec)
    if settings:
        ext["settings"] = settings
    return ext


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


#: sections of a spec that only brandkit has, carried whole (as written) by an export
_SETTINGS = ("forbidden", "formats", "generation", "checks", "repair")
_PALETTE_OWN = {"colors", "allowed", "roles", "modes"}  # written as the format's own colours
_TYPOGRAPHY_OWN = {"headline", "body", "cta", "fallbacks"}  # written as the format's fonts (fallbacks: files)


def _settings(spec: BrandSpec) -> dict[str, Any]:
    """The brandkit-only settings of ``spec`` as written (fields left to their defaults stay out)."""
    out: dict[str, Any] = {}
    for name in _SETTINGS:
        if name in spec.model_fields_set:
            out[name] = (
                getattr(spec, name).model_dump(mode="json", exclude_unset=True)
                if name in ("forbidden", "generation", "repair")
                else {k: v.model_dump(mode="json", exclude_unset=True) for k, v in getattr(spec, name).items()}
            )
    palette = spec.palette.model_dump(mode="json", exclude_unset=True, exclude=_PALETTE_OWN)
    if palette:
        out["palette"] = palette
    if "version" in spec.model_fields_set:
        out["version"] = spec.version
    rules = {
        c.name: c.model_dump(mode="json", exclude_unset=True, exclude={"name", "hex", "role", "alpha"})
        for c in spec.palette.colors
    }
    rules = {name: rule for name, rule in rules.items() if rule}
    if rules:
        out["color_rules"] = rules
    required = spec.required.model_dump(mode="json", exclude_unset=True, exclude={"disclaimers"})
    if required:
        out["required"] = required
    typography = spec.typography.model_dump(mode="json", exclude_unset=True, exclude=_TYPOGRAPHY_OWN)
    if typography:
        out["typography"] = typography
    if "forbidden" in out:
        out["forbidden"].pop("imagery", None)  # carried as forbidden_imagery
        if not out["forbidden"]:
            del out["forbidden"]
    return out


def apply_color_names(draft: BrandDraft, ext: dict[str, Any]) -> None:
    """Give the draft's colours the names the extension's ``colors`` map (source path → spec name) records."""
    names: dict[str, Any] = ext["colors"] if isinstance(ext.get("colors"), dict) else {}
    for color in draft.colors:
        if isinstance(names.get(color.source), str):
            color.name = names[color.source]


def _read_logos(draft: BrandDraft, ext: dict[str, Any], base_dir: Path, where: str) -> None:
    """The extension's logos (file, backgrounds, placements and size rules) into the draft."""
    report = draft.report
    for i, logo in enumerate(ext.get("logos") or []):
        if isinstance(logo, dict) and isinstance(logo.get("file"), str):
            backgrounds = _strings(logo.get("backgrounds")) or ["light"]
            placements = _strings(logo.get("placements")) or None
            clear = logo.get("clear_space")
            share = logo.get("max_width_share")
            min_width = logo.get("min_width_px")
            draft.logos.append(
                DraftLogo(
                    str(logo.get("variant") or f"logo-{i + 1}"),
                    local_file(logo["file"], base_dir, "logo", f"{where}.logos[{i}]", report.source), backgrounds,
                    f"{where}.logos[{i}]", placements=placements,
                    clear_space=float(clear) if isinstance(clear, int | float) else None,
                    min_width_px=int(min_width) if isinstance(min_width, int) else None,
                    max_width_share=float(share) if isinstance(share, int | float) else None,
                )
            )  # fmt: skip


def _read_fonts(draft: BrandDraft, ext: dict[str, Any], base_dir: Path, where: str) -> None:
    """The extension's role fonts (family, weight, file) into the draft."""
    report = draft.report
    fonts: dict[str, Any] = ext["fonts"] if isinstance(ext.get("fonts"), dict) else {}
    for role, font in fonts.items():
        if (
            role not in ("headline", "body", "cta")
            or not isinstance(font, dict)
            or not isinstance(font.get("file"), str)
        ):
            continue
        family = font.get("family") if isinstance(font.get("family"), str) else None
        if family is None and role in draft.fonts:
            family = draft.fonts[role].family
        if family is None:
            continue
        weight = weight_of(font.get("weight"), draft.fonts[role].weight if role in draft.fonts else 400)
        file = local_file(font["file"], base_dir, "font", f"{where}.fonts.{role}", report.source)
        draft.fonts[role] = DraftFont(family, weight, f"{where}.fonts.{role}", [file])
        report.mapped(f"{where}.fonts.{role}", f"typography.{role}", f"family {family!r}, file {font['file']}")


def read_extension(draft: BrandDraft, ext: dict[str, Any], base_dir: Path, where: str) -> None:
    """Apply an extension object written by :func:`write_extension` to ``draft``."""
    report = draft.report
    if isinstance(ext.get("name"), str):
        draft.name = ext["name"]
        report.mapped(f"{where}.name", "name")
    if isinstance(ext.get("description"), str):
        draft.description = ext["description"]
        report.mapped(f"{where}.description", "description")
    apply_color_names(draft, ext)
    roles = ext.get("roles")
    if isinstance(roles, list) and all(isinstance(r, list) and len(r) == 2 for r in roles):
        draft.roles = {str(role): str(name) for role, name in roles}
        report.mapped(f"{where}.roles", "palette roles", "brandkit's own roles (the file was exported by brandkit)")
    voice: dict[str, Any] = ext["voice"] if isinstance(ext.get("voice"), dict) else {}
    draft.tone, draft.do, draft.dont = (
        _strings(voice.get("tone")),
        _strings(voice.get("do")),
        _strings(voice.get("dont")),
    )
    if voice:
        report.mapped(f"{where}.voice", "voice")
    _read_logos(draft, ext, base_dir, where)
    _read_fonts(draft, ext, base_dir, where)
    modes = ext.get("modes")
    if isinstance(modes, dict):
        draft.modes = {str(m): {str(k): str(v) for k, v in o.items()} for m, o in modes.items() if isinstance(o, dict)}
        report.mapped(f"{where}.modes", "palette.modes")
    if isinstance(ext.get("settings"), dict):
        draft.settings = dict(ext["settings"])
        report.mapped(f"{where}.settings", ", ".join(sorted(draft.settings)), "brandkit's own settings, as exported")
    draft.disclaimers = _strings(ext.get("disclaimers"))
    draft.imagery_forbidden = _strings(ext.get("forbidden_imagery"))
    if isinstance(ext.get("style"), dict):
        draft.style = {k: str(v) for k, v in ext["style"].items()}
    for key in ("disclaimers", "forbidden_imagery", "style"):
        if key in ext:
            report.mapped(f"{where}.{key}", key)
