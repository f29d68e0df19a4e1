"""Which brand format a file (or folder) is: posit brand.yml, W3C design tokens (DTCG) or AdCP brand.json.

Also what the spec loader calls when a document fails as a brandkit spec (:func:`foreign_format_error`), so a
foreign file gets "this is a brand.yml file: run brandkit spec import" instead of tens of field errors. It lives in
``spec/`` (it imports only foundation modules) so that the loader uses it and the importers build on both: the
dependency points one way (``spec.importers`` → ``spec.formats`` ← ``spec.loader``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from brandkit.documents import read_document, read_text
from brandkit.errors import SpecError
from brandkit.imageio import starts_with
from brandkit.paths import confined_file

FormatName = Literal["brand-yml", "dtcg", "adcp", "ase", "aco", "css", "tailwind"]
FORMAT_TITLES: dict[str, str] = {
    "brand-yml": "posit brand.yml",
    "dtcg": "W3C design tokens (DTCG)",
    "adcp": "AdCP brand.json",
    "ase": "Adobe Swatch Exchange (.ase)",
    "aco": "Photoshop swatches (.aco)",
    "css": "CSS custom properties / Sass / Less variables",
    "tailwind": "Tailwind CSS configuration",
}
CSS_SUFFIXES = (".css", ".scss", ".sass", ".less")
TAILWIND_CONFIG = re.compile(r"^tailwind\.config\.(?:js|cjs|mjs|ts|cts|mts)$")
"""A Tailwind 3 configuration's file name (Tailwind 4 keeps its theme in CSS)."""
_BRAND_YML_KEYS = {"meta", "color", "logo", "typography", "defaults"}
_BRANDKIT_KEYS = {"schema_version", "name", "version", "voice", "palette", "logos", "forbidden", "required", "style"}
_BRANDKIT_KEYS |= {"formats", "generation", "checks", "repair", "photos"}
_ADCP_KEYS = {"house", "brands", "brand_refs", "authoritative_location", "brand_agent", "house_domain"}
_ADCP_BRAND_KEYS = {"names", "logos", "colors", "fonts", "tone", "tagline", "visual_guidelines", "keller_type"}
MAX_DETECT_BYTES = 8 * 1024 * 1024


class FormatDetectionError(SpecError):
    """A file or folder is none of the formats ``brandkit spec import`` reads."""


LEGACY_TOKEN_KEYS = frozenset(
    {"value", "type", "description", "comment", "attributes", "name", "themeable", "original", "path", "filePath"}
    | {"isSource", "$extensions", "$type", "$description"}
)
"""The keys a Tokens Studio / Style Dictionary (classic) token may carry beside ``value``."""
_COLOUR_TEXT = re.compile(r"^\s*(#[0-9a-f]{3,8}|(rgba?|hsla?)\(.*\))\s*$", re.IGNORECASE)


def has_legacy_token(node: Any, depth: int = 0) -> bool:
    """True when ``node`` holds a token written before the W3C format: ``{"value": …, "type": "color"}`` (Tokens
    Studio for Figma) or ``{"value": "#0a4bb7"}`` (Style Dictionary's classic files, often untyped)."""
    if depth > 12 or not isinstance(node, dict):
        return False
    if "value" in node and set(node) <= LEGACY_TOKEN_KEYS:
        value = node["value"]
        if isinstance(node.get("type"), str) or (isinstance(value, str) and _COLOUR_TEXT.match(value)):
            return True
    return any(has_legacy_token(v, depth + 1) for k, v in node.items() if isinstance(v, dict) and k != "$extensions")


def has_dtcg_token(node: Any, depth: int = 0) -> bool:
    """True when ``node`` holds a W3C design token (an object with ``$value``) at any depth (≤ 12)."""
    if depth > 12 or not isinstance(node, dict):
        return False
    if "$value" in node:
        return True
    return any(has_dtcg_token(v, depth + 1) for k, v in node.items() if isinstance(v, dict) and k != "$extensions")


def looks_like_brandkit_spec(data: Any) -> bool:
    """A brandkit spec, perhaps an invalid one: a ``palette`` with its ``colors`` list, or a section only a spec has
    (``schema_version``, ``logos``, ``forbidden``…). A token file's own ``palette`` group (Tokens Studio sets often
    have ``palette`` and ``typography`` at the top: ``{"palette": {"brand": {"500": {"value": …}}}}``) is not one."""
    if not isinstance(data, dict):
        return False
    palette = data.get("palette")
    if isinstance(palette, dict) and isinstance(palette.get("colors"), list):
        return True
    return bool(set(data) & (_BRANDKIT_KEYS - {"palette", "name", "version"}))


def detect_data(data: Any) -> tuple[FormatName, str] | None:
    """``(format, why)`` for a parsed document of a foreign format; None for anything else (a brandkit spec too)."""
    if not isinstance(data, dict):
        return None
    keys = set(data)
    if "palette" in keys and "typography" in keys and looks_like_brandkit_spec(data):
        return None  # a brandkit spec (perhaps an invalid one)
    schema = str(data.get("$schema", "")).casefold()
    if "adcontextprotocol" in schema or keys & _ADCP_KEYS:
        return "adcp", f"AdCP keys {sorted(keys & _ADCP_KEYS) or ['$schema']}"
    if isinstance(data.get("names"), list) and keys & _ADCP_BRAND_KEYS - {"names"}:
        return "adcp", f"an AdCP brand object ({sorted(keys & _ADCP_BRAND_KEYS)})"
    if "designtokens" in schema or "resolutionOrder" in keys or has_dtcg_token(data):
        return "dtcg", "tokens with $value" if has_dtcg_token(data) else "a DTCG resolver document"
    if not looks_like_brandkit_spec(data) and has_legacy_token(data):
        return "dtcg", "Tokens Studio / Style Dictionary tokens (value and type without $)"
    return _brand_yml(data)


def _brand_yml(data: dict[Any, Any]) -> tuple[FormatName, str] | None:
    """A posit brand.yml: one of its own sections (``meta``, ``color``, ``logo``, ``defaults``; ``typography`` is
    also a brandkit spec's), no field of a brandkit spec, and a ``meta`` or ``color`` mapping or else every section
    shaped as brand.yml has it (an invalid brand file is still recognised, so its import says what is wrong). Keys
    brand.yml does not define (``button:``, ``card:`` — real files carry their own) do not hide it: the importer
    drops them and says so."""
    keys = {str(key) for key in data}
    sections = keys & _BRAND_YML_KEYS
    if not sections - {"typography"} or keys & _BRANDKIT_KEYS:
        return None
    shapes = {"meta": (dict, str), "color": (dict,), "logo": (dict, str), "typography": (dict,), "defaults": (dict,)}
    plain = isinstance(data.get("meta"), dict) or isinstance(data.get("color"), dict)
    if not plain and not all(isinstance(data[key], shapes[key]) or data[key] is None for key in sections):
        return None  # e.g. a site's config with a ``logo:`` list: not a brand file
    why = f"brand.yml sections {sorted(sections)}"
    other = sorted(keys - _BRAND_YML_KEYS - {"$schema"})
    if other:
        why += f"; other keys {other} are not brand.yml's"
    return "brand-yml", why


def foreign_format_error(data: Any, source: str) -> SpecError | None:
    """The error the spec loader raises for a foreign brand file (None when ``data`` is not one)."""
    found = detect_data(data)
    if found is None:
        return None
    fmt, why = found
    return SpecError(
        f"{source}: this is {'an' if fmt == 'adcp' else 'a'} {FORMAT_TITLES[fmt]} file ({why}), not a brandkit "
        f"spec. Convert it with: brandkit spec import {source} --out brand_specs/NAME"
    )


def foreign_folder_hint(folder: Path) -> str:
    """``"; it holds … run brandkit spec import"`` when ``folder`` holds (or, a file, is) a brand file of another
    format, else ``""``."""
    try:
        fmt, _, file = detect_path(folder)
    except SpecError:
        return ""
    if not folder.is_dir():
        what = f"it is {FORMAT_TITLES[fmt]}"
    else:
        what = f"it holds {FORMAT_TITLES[fmt]} ({file.name if file != folder else 'token files'})"
    return f"; {what}: convert it with brandkit spec import {folder} --out brand_specs/NAME"


QUARTO_FILES = ("_quarto.yml", "_quarto.yaml")


def _quarto_brand(project_file: Path) -> tuple[Any, str, str]:
    """A Quarto project file's ``brand:`` value — a path, or a mapping written inline —, which of its themes it is
    and the theme left out: ``{light, dark}`` gives the light one (``("…", "light", "dark")``), a lone theme that
    one, a brand without themes ``("…", "", "")``."""
    data = read_document(project_file, max_bytes=MAX_DETECT_BYTES, what="Quarto project file")
    brand = data.get("brand") if isinstance(data, dict) else None
    if isinstance(brand, dict) and ("light" in brand or "dark" in brand) and not brand.keys() - {"light", "dark"}:
        theme = "light" if "light" in brand else "dark"
        return brand[theme], theme, "dark" if theme == "light" and "dark" in brand else ""
    return brand, "", ""


def quarto_inline_brand(project_file: Path) -> tuple[dict[str, Any], str, str] | None:
    """The brand a Quarto project file writes inline (``brand: {meta: …, color: …}``, or ``brand: {light: {…},
    dark: …}``: the light one), its theme and the theme left out (``""`` for none); None when ``brand:`` names a
    file or nothing."""
    brand, theme, left_out = _quarto_brand(project_file)
    return (brand, theme, left_out) if isinstance(brand, dict) else None


def quarto_brand_file(project_file: Path) -> Path:
    """The brand file a Quarto project file names in ``brand:`` — a path, or ``{light, dark}`` paths (the light one),
    read from the project's folder (a leading ``/`` too) and confined to it. Raises
    :class:`FormatDetectionError` when it names none or names a file that is not there (a brand written inline is
    :func:`quarto_inline_brand`'s)."""
    brand, _, _ = _quarto_brand(project_file)
    if not isinstance(brand, str) or not brand.strip():
        raise FormatDetectionError(f"{project_file}: a Quarto project without a brand: (and no _brand.yml beside it)")
    try:
        return confined_file(
            brand.strip().lstrip("/"), project_file.parent, relative_only=True, what="brand file",
            folder="the Quarto project's folder",
        )  # fmt: skip
    except SpecError as exc:
        raise FormatDetectionError(f"{project_file}: brand: {exc.message}") from None


WEB_STYLESHEETS = (
    "app/globals.css",  # Next.js (app router), shadcn/ui
    "src/app/globals.css",
    "styles/globals.css",  # Next.js (pages)
    "src/styles/globals.css",
    "src/index.css",  # Vite
    "src/app.css",  # SvelteKit
    "src/styles.css",  # Angular
    "assets/css/main.css",  # Nuxt
    "resources/css/app.css",  # Laravel
)
"""Where web frameworks keep the stylesheet that holds a Tailwind 4 theme (``@theme``) or a shadcn/ui theme."""
_DECLARES_VARIABLES = re.compile(r"--[A-Za-z_][\w-]*\s*:")


def web_stylesheet(folder: Path) -> Path | None:
    """The stylesheet of the web project in ``folder`` that declares CSS variables: the one shadcn/ui's
    ``components.json`` names (``tailwind.css``), else the first of :data:`WEB_STYLESHEETS` that does."""
    candidates: list[str] = []
    if (folder / "components.json").is_file():
        try:
            config = read_document(folder / "components.json", max_bytes=MAX_DETECT_BYTES, what="components.json")
        except SpecError:
            config = None
        named = config.get("tailwind", {}).get("css") if isinstance(config, dict) else None
        if isinstance(named, str):
            candidates.append(named)
    for relative in (*candidates, *WEB_STYLESHEETS):
        candidate = folder / relative
        if not candidate.is_file() or not candidate.resolve().is_relative_to(folder.resolve()):
            continue  # components.json may name any path: only the project's own files are read
        try:
            text = read_text(candidate, max_bytes=MAX_DETECT_BYTES, what="stylesheet")
        except SpecError:
            continue
        if _DECLARES_VARIABLES.search(text):
            return candidate
    return None


def detect_path(path: Path) -> tuple[FormatName, str, Path]:
    """``(format, why, file or folder to read)`` for an import input; raises :class:`FormatDetectionError`."""
    if path.is_dir():
        patterns = ("*.resolver.json", "*.tokens.json", "*.tokens", "*/*.tokens.json", "*/*.tokens")
        if any(next(path.glob(pattern), None) is not None for pattern in patterns):  # this folder or one below
            return "dtcg", "a folder of design token files", path
        if (path / "$metadata.json").is_file() or (path / "$themes.json").is_file():
            return "dtcg", "a Tokens Studio folder (token sets beside $metadata.json / $themes.json)", path
        for name in ("_brand.yml", "brand.yml", "_brand.yaml", "brand.yaml", "brand.json"):
            candidate = path / name
            if candidate.is_file():
                fmt, why, _ = detect_path(candidate)
                return fmt, why, candidate
        for name in QUARTO_FILES:
            if (path / name).is_file():
                return detect_path(path / name)
        configs = sorted(p for p in path.iterdir() if TAILWIND_CONFIG.match(p.name))
        if configs:  # a web project's folder: its Tailwind configuration (before a renovate.json5 beside it)
            return "tailwind", f"a Tailwind CSS configuration ({configs[0].name})", configs[0]
        sheet = web_stylesheet(path)
        if sheet is not None:  # Tailwind 4 keeps its theme in CSS: a web project without a configuration
            return "css", f"a web project's stylesheet ({sheet.relative_to(path).as_posix()})", sheet
        if next(path.glob("*.json5"), None) is not None:  # after the brand files: a project's renovate.json5
            return "dtcg", "a folder of JSON5 design token files", path
        raise FormatDetectionError(
            f"{path}: no brand file found (_brand.yml, brand.yml, brand.json, *.tokens.json, *.resolver.json, "
            "*.json5 design tokens, tailwind.config.js or a web project's stylesheet such as app/globals.css)"
        )
    if not path.is_file():
        raise FormatDetectionError(f"{path}: no such file or folder")
    if starts_with(path, b"ASEF"):  # binary: read before any text parser sees it
        return "ase", "the ASEF signature", path
    if path.suffix.lower() == ".aco":  # binary without a signature: Photoshop's own name for it
        return "aco", "a Photoshop swatch file (.aco)", path
    if path.suffix.lower() in CSS_SUFFIXES:
        return "css", f"a stylesheet ({path.suffix.lower()})", path
    if TAILWIND_CONFIG.match(path.name):
        return "tailwind", f"a Tailwind CSS configuration ({path.name})", path
    if path.name in QUARTO_FILES:
        if quarto_inline_brand(path) is not None:
            return "brand-yml", f"a posit brand.yml written inside {path.name} (brand:)", path
        brand = quarto_brand_file(path)
        fmt, why, _ = detect_path(brand)
        return fmt, f"{why}; named by {path.name}'s brand:", brand
    data = read_document(path, max_bytes=MAX_DETECT_BYTES, what="brand file", json5=True)
    found = detect_data(data)
    if found is None:
        hint = (
            " (it looks like a brandkit spec already: use brandkit spec check)"
            if looks_like_brandkit_spec(data)
            else ""
        )
        raise FormatDetectionError(
            f"{path}: not a posit brand.yml, W3C design tokens or AdCP brand.json document{hint}; "
            "pass --format to force one"
        )
    return found[0], found[1], path
