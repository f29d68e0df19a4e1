"""posit brand.yml (``_brand.yml``, used by Quarto and Shiny) → :class:`BrandDraft`.

Read from the published schema (posit-dev/brand-yml ``brand.schema.json``): ``meta`` (name full/short, links),
``color`` (``palette`` of named colours; theme colours foreground, background, primary, secondary, tertiary,
success, info, warning, danger, light, dark, link — each a colour, a palette name or another theme colour),
``logo`` (``images`` by name; ``small``/``medium``/``large`` each a path or image name, or ``{light, dark}``),
``typography`` (``fonts`` with family, source google/bunny/file/system, weight, style, files; ``base``,
``headings``, ``monospace*``, ``link``) and ``defaults`` (tool settings, not brand data).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from brandkit.errors import SpecError
from brandkit.field_errors import YAML_COMMENT_HINT
from brandkit.spec.importers.colorspace import ColorParseError, parse_css_color
from brandkit.spec.importers.draft import (
    BrandDraft,
    DraftColor,
    DraftFont,
    DraftLogo,
    humanize,
    local_file,
    quarto_project,
)
from brandkit.spec.importers.extension import read_extension
from brandkit.spec.importers.fonts import brand_family, font_stack, stack_note, weight_of
from brandkit.spec.importers.logos import ink_tone
from brandkit.spec.importers.report import MappingReport

THEME_COLORS = (
    "foreground", "background", "primary", "secondary", "tertiary", "success", "info", "warning", "danger",
    "light", "dark", "link",
)  # fmt: skip
_SIZES = ("large", "medium", "small")


@dataclass(frozen=True)
class _Files:
    """Where a brand.yml's logo and font files are read from: its folder, the Quarto project it is in (None: not
    in one; see :func:`~brandkit.spec.importers.draft.local_file`) and the file's name for messages."""

    base: Path
    source: str
    project: Path | None
    report: MappingReport

    def file(self, ref: str, what: str, where: str) -> Path:
        """The file ``ref`` names (``where``: the field, for messages); a path read by Quarto's rules is reported."""
        found = local_file(ref, self.base, what, where, self.source, self.project)
        if self.project is not None and (ref.startswith("/") or ".." in ref.replace("\\", "/").split("/")):
            rel = found.relative_to(self.project)  # local_file confined it to the project
            self.report.mapped(where, f"{rel} in the Quarto project {self.project}", f"{ref!r} read as Quarto does")
        return found


def _mapping(value: Any, where: str, source: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"{source}: {where} must be a mapping, got {type(value).__name__}")
    return value


def _colors(draft: BrandDraft, color: dict[str, Any], source: str) -> None:
    report = draft.report
    palette = _mapping(color.get("palette"), "color.palette", source)
    resolved: dict[str, str] = {}  # palette name → colour name in the draft

    def palette_color(name: str, trail: tuple[str, ...] = ()) -> DraftColor:
        if name in trail:
            raise SpecError(f"{source}: color.palette: alias cycle {' → '.join((*trail, name))}")
        value = palette[name]
        if isinstance(value, str) and value in palette:
            target = palette_color(value, (*trail, name))
            report.mapped(f"color.palette.{name}", f"alias of {target.name}")
            return target
        return _parsed(draft, humanize(name), value, f"color.palette.{name}")

    for name in palette:
        resolved[name] = palette_color(str(name)).name
    for theme in THEME_COLORS:
        value = color.get(theme)
        if value is None and theme in color:  # written, but empty: `primary: #1B3264` is a comment in YAML
            raise SpecError(f"{source}: color.{theme} is empty{YAML_COMMENT_HINT}")
        if value is None:
            continue
        if isinstance(value, dict):  # {light, dark}: the light theme is the default mode
            light, dark = value.get("light"), value.get("dark")
            if light is not None:
                draft.roles[theme] = _theme_value(draft, theme, light, palette, resolved, color, source).name
            if dark is not None:
                dark_color = _theme_value(draft, f"{theme}-dark", dark, palette, resolved, color, source, dark=True)
                draft.modes.setdefault("dark", {})[theme] = dark_color.hex
            continue
        draft.roles[theme] = _theme_value(draft, theme, value, palette, resolved, color, source).name
    for key in color:
        if key != "palette" and key not in THEME_COLORS:
            report.dropped(f"color.{key}", "not a brand.yml colour field")


def _theme_value(
    draft: BrandDraft, theme: str, value: Any, palette: dict[str, Any], resolved: dict[str, str],
    color: dict[str, Any], source: str, trail: tuple[str, ...] = (), dark: bool = False,
) -> DraftColor:  # fmt: skip
    if isinstance(value, str) and value in resolved:
        found = draft.color(resolved[value])
        assert found is not None
        return found
    if isinstance(value, str) and value in THEME_COLORS and value != theme:
        if value in trail:
            raise SpecError(f"{source}: color.{theme}: alias cycle {' → '.join((*trail, value))}")
        return _theme_value(draft, value, color.get(value), palette, resolved, color, source, (*trail, theme), dark)
    parsed = _parsed(draft, humanize(theme), value, f"color.{theme}", add=not dark)
    return parsed


def _parsed(draft: BrandDraft, name: str, value: Any, where: str, add: bool = True) -> DraftColor:
    if value is None:
        raise SpecError(f"{draft.report.source}: {where} is empty{YAML_COMMENT_HINT}")
    if not isinstance(value, str):
        raise SpecError(f"{draft.report.source}: {where}: a colour must be a string, got {value!r}")
    try:
        parsed = parse_css_color(value)
    except ColorParseError as exc:
        raise SpecError(f"{draft.report.source}: {where}: {exc.message}") from None
    color = DraftColor(name, parsed.hex, parsed.alpha, where)
    if parsed.note:
        draft.report.approximated(where, f"colour {name}", parsed.note)
    return draft.add_color(color) if add else color


def _logos(draft: BrandDraft, logo: Any, files: _Files) -> None:
    report, source = draft.report, files.source
    if isinstance(logo, str):
        logo = {"medium": logo}
    logo = _mapping(logo, "logo", source)
    images = _mapping(logo.get("images"), "logo.images", source)
    seen: set[tuple[str, str]] = set()
    used: set[str] = set()  # the image names a size refers to

    def path_of(ref: Any, where: str) -> tuple[Path, str] | None:
        alt = ""
        if isinstance(ref, str) and ref in images:
            used.add(ref)
            ref = images[ref]
        if isinstance(ref, dict):
            alt, ref = str(ref.get("alt", "")), ref.get("path")
        if not isinstance(ref, str) or not ref:
            raise SpecError(f"{source}: {where}: a logo is a path or an image name, got {ref!r}")
        if "://" in ref:
            report.dropped(where, f"{ref} is remote: brandkit imports local files only (no download)")
            return None
        return files.file(ref, "logo", where), alt

    for size in _SIZES:
        value = logo.get(size)
        if value is None:
            continue
        variants = value.items() if isinstance(value, dict) else [("", value)]
        for theme, ref in variants:
            if theme not in ("", "light", "dark"):
                report.dropped(f"logo.{size}.{theme}", "brand.yml logos have light and dark variants only")
                continue
            found = path_of(ref, f"logo.{size}{'.' + theme if theme else ''}")
            if found is None:
                continue
            path, alt = found
            key = (str(path), theme or "light")
            if key in seen:
                report.mapped(f"logo.{size}.{theme or 'light'}", "same file as a larger size; one variant kept")
                continue
            seen.add(key)
            ink = ink_tone(path) if not theme else None  # no theme given: the ground its ink is made for
            backgrounds = ["dark"] if (theme or ink) == "dark" else ["light"]
            variant = size if theme in ("", "light") else f"{size}-{theme}"
            draft.logos.append(DraftLogo(variant, path, backgrounds, f"logo.{size}{'.' + theme if theme else ''}", alt))
            if not theme:
                why = f"its ink is {'light' if ink == 'dark' else 'dark'}" if ink else "its ink is not clearly either"
                given = f"no light/dark given: for {backgrounds[0]} ({why})"
                report.approximated(f"logo.{size}", f"logos[{variant}].backgrounds", given)
    for key in logo:
        if key not in (*_SIZES, "images"):
            report.dropped(f"logo.{key}", "not a brand.yml logo field")
    for name in images:
        if name not in used:
            report.dropped(
                f"logo.images.{name}",
                "no size (small, medium, large) names it: not a logo variant (name it in a size to import it)",
            )


def _font_files(draft: BrandDraft, entry: dict[str, Any], family: str, files_at: _Files) -> list[Path]:
    """The local files of a brand.yml font entry (remote ones dropped: nothing is downloaded)."""
    files: list[Path] = []
    for i, item in enumerate(entry.get("files") or []):
        rel = item.get("path") if isinstance(item, dict) else item
        if isinstance(rel, str) and "://" not in rel:
            files.append(files_at.file(rel, "font", f"typography.fonts[{family}].files[{i}]"))
        elif isinstance(rel, str):
            draft.report.dropped(f"typography.fonts[{family}].files[{i}]", f"{rel} is remote (no download)")
    return files


def _draft_font(
    draft: BrandDraft,
    typo: dict[str, Any],
    by_family: dict[str, dict[str, Any]],
    where: _Files,
    role: str,
    key: str,
    default_weight: int,
) -> None:
    """``typography.<key>`` (a family name or options) as the draft's ``role`` font, with its files."""
    source = where.source
    report = draft.report
    value = typo.get(key)
    if value is None:
        return
    options = {"family": value} if isinstance(value, str) else _mapping(value, f"typography.{key}", source)
    family = options.get("family")
    stack = font_stack(family) if isinstance(family, str) else []
    family, stand_ins = brand_family(stack)
    if family is None:
        report.dropped(f"typography.{key}", "names no family" if not stack else f"names only generic families {stack}")
        return
    if len(stack) > 1:
        report.approximated(f"typography.{key}.family", f"family {family!r}", stack_note(stack, family, stand_ins))
    entry = by_family.get(family.casefold(), {})
    files = _font_files(draft, entry, family, where)
    weight = weight_of(options.get("weight"), default_weight)
    source = f"typography.{key}"
    draft.fonts[role] = DraftFont(family, weight, source, files, str(entry.get("source", "")), stand_ins)
    for extra in ("size", "line-height", "style", "color"):
        if extra in options:
            report.dropped(f"typography.{key}.{extra}", "brandkit sizes, sets and colours copy to fit its layout")


BOOTSTRAP_SANS_SERIF = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', 'Noto Sans', 'Liberation Sans', Arial, sans-serif"
)
"""Bootstrap 5's ``$font-family-sans-serif`` without its emoji fonts: what Quarto sets a site in when its brand.yml
names no font (Quarto's HTML themes are Bootstrap's)."""


def _default_font(draft: BrandDraft) -> None:
    """A brand.yml that names no font for headings or base text: the family its own site is set in stands by."""
    family, stand_ins = brand_family(font_stack(BOOTSTRAP_SANS_SERIF))
    assert family is not None
    draft.default_font = DraftFont(family, 400, "typography", [], "", stand_ins)
    draft.default_font_note = (
        "the file names no font: Quarto sets such a site in Bootstrap's default font stack "
        f"({BOOTSTRAP_SANS_SERIF}); its first family found here (or downloaded) sets headlines (weight 700) and "
        "body text — name the brand's font in typography.base / headings, or pass --headline-font"
    )


def _typography(draft: BrandDraft, typo: dict[str, Any], files: _Files) -> None:
    report, source = draft.report, files.source
    fonts = typo.get("fonts") or []
    if not isinstance(fonts, list):
        raise SpecError(f"{source}: typography.fonts must be a list")
    by_family: dict[str, dict[str, Any]] = {}
    for i, font in enumerate(fonts):
        if isinstance(font, dict) and isinstance(font.get("family"), str):
            by_family[font["family"].casefold()] = font
        else:
            report.dropped(f"typography.fonts[{i}]", "a font entry needs a family")
    _draft_font(draft, typo, by_family, files, "headline", "headings", 700)
    _draft_font(draft, typo, by_family, files, "body", "base", 400)
    if "headline" not in draft.fonts and "body" in draft.fonts:
        body = draft.fonts["body"]
        draft.fonts["headline"] = replace(body, weight=700)
        report.approximated(body.source, "typography.headline", "no headings font: the base family, weight 700")
    for key in typo:
        if key in ("monospace", "monospace-inline", "monospace-block", "link"):
            report.dropped(f"typography.{key}", "brandkit sets no code or links in images")
        elif key not in ("fonts", "headings", "base"):
            report.dropped(f"typography.{key}", "not a brand.yml typography field")


def read_brand_yml(data: Any, path: Path, report: MappingReport) -> BrandDraft:
    """A draft of the brand in the brand.yml document ``data`` read from ``path``."""
    source = str(path)
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a brand.yml document is a mapping")
    meta = _mapping(data.get("meta"), "meta", source)
    name_value = meta.get("name")
    if isinstance(name_value, dict):
        name = str(name_value.get("full") or name_value.get("short") or "")
        if name_value.get("short") and name_value.get("full"):
            report.dropped("meta.name.short", "brandkit keeps one name (the full one)")
    else:
        name = str(name_value or "")
    if name:
        report.mapped("meta.name", "name")
    else:
        name = path.parent.name if path.stem.lstrip("_") in ("brand", "quarto") else path.stem
        report.decide("name", f"the file has no meta.name; named {name!r} after the file")
    draft = BrandDraft(name=name, report=report, base_dir=path.parent)
    for key in meta:
        if key in ("link", "links"):
            report.dropped(f"meta.{key}", "links are not used in images")
        elif key not in ("name", "description"):
            report.dropped(f"meta.{key}", "not used in images")
    if "description" in meta and isinstance(meta["description"], str):
        draft.description = meta["description"]
        report.mapped("meta.description", "description")
    defaults = _mapping(data.get("defaults"), "defaults", source)
    ext = defaults.get("brandkit") if isinstance(defaults.get("brandkit"), dict) else None
    _colors(draft, _mapping(data.get("color"), "color", source), source)
    files = _Files(path.parent, source, quarto_project(path.parent), report)
    if data.get("logo") is not None and ext is None:
        _logos(draft, data["logo"], files)
    _typography(draft, _mapping(data.get("typography"), "typography", source), files)
    if ext is not None:
        read_extension(draft, ext, path.parent, "defaults.brandkit")
    if "headline" not in draft.fonts and "body" not in draft.fonts:
        _default_font(draft)
    for key in defaults:
        if key != "brandkit":
            report.dropped(f"defaults.{key}", "settings of other tools (Bootstrap, Quarto, Shiny), not brand data")
    for key in data:
        if key not in ("meta", "color", "logo", "typography", "defaults"):
            report.dropped(str(key), "not a brand.yml field")
    report.brand = draft.name
    return draft
