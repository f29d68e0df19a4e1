"""``brandkit spec export``: a brandkit spec → W3C design tokens (DTCG 2025.10) or posit brand.yml, in a folder
with its logos (the SVG source when there is one) and fonts, so that importing the result gives the same spec.

What the target format cannot say (brand name and voice in DTCG, roles beyond brand.yml's twelve theme colours,
several colours of one role, disclaimers, …) goes in the format's place for tool data: DTCG
``$extensions["com.brandkit"]``, brand.yml ``defaults.brandkit``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from brandkit.atomic import atomic_write_all
from brandkit.color import hex_to_rgb
from brandkit.errors import OutputExistsError, SpecError
from brandkit.spec.importers.brand_yml import THEME_COLORS
from brandkit.spec.importers.extension import EXTENSION_KEY, write_extension
from brandkit.spec.importers.fonts import read_face
from brandkit.spec.models import BrandSpec

EXPORT_FORMATS = ("dtcg", "brand-yml")
_THEME_OF_ROLE = {"text": "foreground", "accent": "tertiary"}  # brandkit role → brand.yml theme colour


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "color"


def _files(spec: BrandSpec) -> tuple[dict[str, bytes], dict[str, str], dict[str, str]]:
    files: dict[str, bytes] = {}
    logos: dict[str, str] = {}
    fonts: dict[str, str] = {}
    for logo in spec.logos:
        relative = logo.source or logo.file
        name = f"logos/{Path(relative).name}"
        files[name] = spec.asset_path(relative).read_bytes()
        logos[logo.variant] = name
    for role in ("headline", "body", "cta"):
        font = getattr(spec.typography, role)
        if font is None:
            continue
        name = f"fonts/{Path(font.file).name}"
        files[name] = spec.asset_path(font.file).read_bytes()
        fonts[role] = name
        if font.license:
            files[f"fonts/{Path(font.license).name}"] = spec.asset_path(font.license).read_bytes()
    return files, logos, fonts


def _color_value(hex_value: str, alpha: float) -> dict[str, Any]:
    r, g, b = hex_to_rgb(hex_value)
    value: dict[str, Any] = {
        "colorSpace": "srgb",
        "components": [round(r / 255, 4), round(g / 255, 4), round(b / 255, 4)],
    }
    if alpha < 1:
        value["alpha"] = alpha
    value["hex"] = hex_value.lower()
    return value


def _dtcg(spec: BrandSpec, files: dict[str, bytes], ext: dict[str, Any]) -> None:
    brand: dict[str, Any] = {}
    paths: dict[str, str] = {}
    for group, colors in (("brand", spec.palette.colors), ("allowed", spec.palette.allowed)):
        for color in colors:
            key = _slug(color.name)
            brand.setdefault(group, {})[key] = {"$value": _color_value(color.hex, color.alpha)}
            paths[color.name] = f"color.{group}.{key}"
    ext["colors"] = {path: name for name, path in paths.items()}
    doc: dict[str, Any] = {"$schema": "https://www.designtokens.org/schemas/2025.10/format.json"}
    if spec.description:
        doc["$description"] = spec.description
    doc["color"] = {"$type": "color", **brand}
    fonts: dict[str, Any] = {}
    for role in ("headline", "body", "cta"):
        font = getattr(spec.typography, role)
        if font is not None and font.family:
            fonts[role] = {"$type": "typography", "$value": {
                "fontFamily": font.family, "fontWeight": font.weight or 400,
                "fontSize": {"value": 16, "unit": "px"}, "lineHeight": 1.2, "letterSpacing": {"value": 0, "unit": "px"},
            }}  # fmt: skip
    if fonts:
        doc["typography"] = fonts
    doc["$extensions"] = {EXTENSION_KEY: ext}
    files["brand.tokens.json"] = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
    if spec.palette.modes:
        contexts: dict[str, Any] = {"light": []}
        for mode, overrides in spec.palette.modes.items():
            mode_doc: dict[str, Any] = {}
            for key, hex_value in overrides.items():
                index = spec.palette._mode_target(key)
                if index is None:
                    continue
                color = spec.palette.colors[index]
                group, slug = paths[color.name].split(".")[1:]
                mode_doc.setdefault("color", {"$type": "color"}).setdefault(group, {})[slug] = {
                    "$value": _color_value(hex_value, color.alpha)
                }
            file = f"brand.{_slug(mode)}.tokens.json"
            files[file] = (json.dumps(mode_doc, indent=2) + "\n").encode()
            contexts[mode] = [{"$ref": file}]
        resolver = {
            "name": spec.name, "version": "2025.10",
            "sets": {"brand": {"sources": [{"$ref": "brand.tokens.json"}]}},
            "modifiers": {"mode": {"contexts": contexts, "default": "light"}},
            "resolutionOrder": [{"$ref": "#/sets/brand"}, {"$ref": "#/modifiers/mode"}],
        }  # fmt: skip
        files["brand.resolver.json"] = (json.dumps(resolver, indent=2) + "\n").encode()


def _brand_yml_colors(spec: BrandSpec) -> dict[str, Any]:
    """brand.yml's ``color``: the palette by slug, each theme colour named (light/dark when a dark mode changes it)."""
    palette = {
        _slug(c.name): (c.hex if c.alpha >= 1 else c.hex + f"{round(c.alpha * 255):02X}")
        for c in spec.palette.all_colors()
    }
    color: dict[str, Any] = {"palette": palette}
    for c in spec.palette.colors:
        theme = _THEME_OF_ROLE.get(c.role.value, c.role.value)
        if theme in THEME_COLORS and theme not in color:
            color[theme] = _slug(c.name)
    for role, name in spec.palette.roles.items():
        if role in THEME_COLORS and role not in color:
            color[role] = _slug(name)
    dark = spec.palette.modes.get("dark", {})
    for key, hex_value in dark.items():
        index = spec.palette._mode_target(key)
        if index is None:
            continue
        name = spec.palette.colors[index].name
        for theme, value in list(color.items()):
            if theme in THEME_COLORS and value == _slug(name):
                color[theme] = {"light": value, "dark": hex_value}
    return color


def _brand_yml_typography(spec: BrandSpec, fonts: dict[str, str]) -> dict[str, Any]:
    """brand.yml's ``typography``: the headline and body fonts with their exported files."""
    typo: dict[str, Any] = {"fonts": []}
    for role, key in (("headline", "headings"), ("body", "base")):
        font = getattr(spec.typography, role)
        if font is not None and font.family:
            typo["fonts"].append(
                {
                    "family": font.family,
                    "source": "file",
                    "files": [{"path": fonts[role], "weight": font.weight or 400}],
                }
            )
            typo[key] = {"family": font.family, "weight": font.weight or 400}
    return typo


def _brand_yml(
    spec: BrandSpec, files: dict[str, bytes], ext: dict[str, Any], logos: dict[str, str], fonts: dict[str, str]
) -> None:
    color = _brand_yml_colors(spec)
    ext["colors"] = {f"color.palette.{_slug(c.name)}": c.name for c in spec.palette.all_colors()}
    if spec.palette.modes:  # the theme colours carry the dark values too; this keeps colours without a theme slot
        ext["modes"] = {mode: dict(overrides) for mode, overrides in spec.palette.modes.items()}
    doc: dict[str, Any] = {"meta": {"name": spec.name}, "color": color}
    if spec.logos:
        doc["logo"] = {"images": {v: p for v, p in logos.items()}, **_logo_sizes(spec)}
    doc["typography"] = _brand_yml_typography(spec, fonts)
    doc["defaults"] = {"brandkit": ext}
    files["_brand.yml"] = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).encode()


_SIZES = ("large", "medium", "small")


def _logo_sizes(spec: BrandSpec) -> dict[str, str | dict[str, str]]:
    """brand.yml's ``small``/``medium``/``large`` from the spec's logo variants. A variant named for a size
    (``medium``, ``large-dark`` — what ``spec import`` names them) goes to that size and theme; the others fill the
    free sizes, largest first, in the spec's order — except a logo for dark backgrounds only (``inverse``), which
    becomes the ``dark`` theme of the largest size without one. (By order alone, a lone ``medium`` logo was exported
    as ``large``, and ``inverse`` as a light ``small``.)"""
    by_size: dict[str, dict[str, str]] = {}
    light: list[str] = []
    dark: list[str] = []
    for logo in spec.logos:
        size, _, theme = logo.variant.partition("-")
        for_dark = "dark" in logo.backgrounds and "light" not in logo.backgrounds
        if size in _SIZES and theme in ("", "light", "dark"):
            by_size.setdefault(size, {}).setdefault("dark" if theme == "dark" or for_dark else "light", logo.variant)
        else:
            (dark if for_dark else light).append(logo.variant)
    for variant in light:
        free = [size for size in _SIZES if size not in by_size]
        if free:
            by_size[free[0]] = {"light": variant}
    for variant in dark:
        open_ = [size for size in _SIZES if "dark" not in by_size.get(size, {"dark": ""})]
        free = [size for size in _SIZES if size not in by_size]
        if open_ or free:
            by_size.setdefault((open_ or free)[0], {})["dark"] = variant
    return {
        size: themes["light"] if set(themes) == {"light"} else themes
        for size in _SIZES
        if (themes := by_size.get(size))
    }


def _with_families(spec: BrandSpec) -> BrandSpec:
    """``spec`` with each role font's family (and weight) filled from the font file when the spec names none."""
    updates: dict[str, Any] = {}
    for role in ("headline", "body", "cta"):
        font = getattr(spec.typography, role)
        if font is None or font.family:
            continue
        face = read_face(spec.asset_path(font.file))
        if face is None:
            raise SpecError(f"{spec.source}: typography.{role}: cannot read the family name of {font.file!r}")
        updates[role] = font.model_copy(update={"family": face.family, "weight": font.weight or face.weight_min})
    if not updates:
        return spec
    return spec.model_copy(update={"typography": spec.typography.model_copy(update=updates)})


def export_spec(spec: BrandSpec, out: Path, fmt: str, *, force: bool = False) -> list[Path]:
    """Write ``spec`` as ``fmt`` (dtcg or brand-yml) into the folder ``out``; returns the files written.

    A file already there with other contents (a hand-made ``_brand.yml``, another brand's logo) is never replaced
    without ``force``: :class:`~brandkit.errors.OutputExistsError` names them all before anything is written. The
    same bytes again (an export repeated) are fine."""
    if fmt not in EXPORT_FORMATS:
        raise SpecError(f"--format {fmt!r}: expected one of {', '.join(EXPORT_FORMATS)}")
    spec = _with_families(spec)
    files, logos, fonts = _files(spec)
    ext = write_extension(spec, logos, fonts)
    if fmt == "dtcg":
        _dtcg(spec, files, ext)
    else:
        _brand_yml(spec, files, ext, logos, fonts)
    items = [(out / name, data) for name, data in sorted(files.items())]
    if not force:
        differing = [path for path, data in items if path.is_file() and path.read_bytes() != data]
        others = [path for path, _ in items if path.exists() and not path.is_file()]
        if differing or others:
            shown = ", ".join(str(path) for path in (*differing, *others))
            raise OutputExistsError(
                f"{out}: {shown} already there with other contents (pass --force to replace)", str(out)
            )
    for path, _ in items:
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_all(items)
    return [path for path, _ in items]
