"""Load a brand spec from a folder (``brand.yaml``) or a YAML/JSON file.

Errors name the file, the field path and the bad value. Asset paths must stay
inside the spec folder: no absolute paths, no ``..``, no symlinks that lead
out (:func:`brandkit.paths.confined_file`, the rule plans use too). Every asset
is checked for use (:mod:`brandkit.spec.assets`). Each loaded spec gets a stable
fingerprint: sha256 over the canonical spec JSON and the bytes of every
referenced asset.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import ValidationError

from brandkit.documents import field_path, read_document, value_at
from brandkit.errors import ImageInputError, RequestError, SpecError, SpecIssue
from brandkit.field_errors import field_message
from brandkit.imageio import load_image
from brandkit.paths import confined_file
from brandkit.spec.assets import copy_glyph_problems, font_problems, image_problem, logo_problems, provider_image
from brandkit.spec.models import BrandSpec, LogoVariant

SPEC_FILENAMES = ("brand.yaml", "brand.yml", "brand.json")
MAX_SPEC_BYTES = 2 * 1024 * 1024
MAX_ASSET_BYTES = 50 * 1024 * 1024
FONT_SUFFIXES = {".ttf", ".otf"}
LOGO_SUFFIXES = {".png", ".webp", ".jpg", ".jpeg"}


def _find_spec_file(path: Path) -> Path:
    if path.is_dir():
        for name in SPEC_FILENAMES:
            candidate = path / name
            if candidate.is_file():
                return candidate
        from brandkit.spec.formats import foreign_folder_hint

        hint = foreign_folder_hint(path)  # _brand.yml, design tokens: say what it is and how to import it
        raise SpecError(f"{path}: no brand spec found (expected one of {', '.join(SPEC_FILENAMES)}){hint}")
    if not path.exists():
        raise SpecError(f"{path}: no such file or folder")
    if path.suffix.lower() not in {".yaml", ".yml", ".json"}:
        from brandkit.spec.formats import foreign_folder_hint

        hint = foreign_folder_hint(path)  # an Adobe swatch file: say what it is and how to import it
        raise SpecError(f"{path}: a brand spec must be a .yaml, .yml or .json file or a folder with brand.yaml{hint}")
    return path


def spec_from_data(data: Any, source: str = "<memory>", root: Path | None = None) -> BrandSpec:
    """Validate parsed spec data; errors name ``source``, the field path and the bad value."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: the top level must be a mapping of fields, got {type(data).__name__}")
    try:
        spec = BrandSpec.model_validate(data)
    except ValidationError as exc:
        from brandkit.spec.formats import foreign_format_error

        foreign = foreign_format_error(data, source)  # a brand.yml / design tokens / brand.json file: say so
        if foreign is not None:
            raise foreign from None
        issues = [
            SpecIssue(
                source,
                field_path(err["loc"]),
                field_message(BrandSpec, err),  # an unknown field gets "did you mean" the closest allowed one
                err.get("input", value_at(data, err["loc"])),
            )
            for err in exc.errors(include_url=False)
        ]
        raise SpecError(f"{source}: invalid brand spec ({len(issues)} problem(s))", issues) from None
    spec._source = source
    spec._root = root
    return spec


def _resolve(root: Path, relative: str) -> Path:
    """``relative`` resolved inside ``root`` (:func:`brandkit.paths.confined_file`) and within the size limit;
    raises :class:`SpecError` with a message that names the path but not the field."""
    real = confined_file(relative, root, relative_only=True, what="asset", folder="the spec folder")
    size = real.stat().st_size
    if size > MAX_ASSET_BYTES:
        raise SpecError(f"asset {relative!r} is {size:,} bytes (limit {MAX_ASSET_BYTES:,})")
    return real


def resolve_asset(root: Path, relative: str, source: str, field: str) -> Path:
    """Resolve ``relative`` inside ``root``; refuse absolute paths, ``..`` and symlinks leading out."""
    try:
        return _resolve(root, relative)
    except SpecError as exc:
        raise SpecError(f"{source}: {field}: {exc.message}") from None


AssetKind = Literal["logo", "font", "fallback", "license", "photo", "vector"]
_SUFFIXES: dict[AssetKind, set[str]] = {
    "logo": LOGO_SUFFIXES,
    "font": FONT_SUFFIXES,
    "fallback": FONT_SUFFIXES,
    "photo": LOGO_SUFFIXES,
    "license": set(),
    "vector": {".svg"},
}


class _AssetField(NamedTuple):
    field: str
    relative: str
    kind: AssetKind
    logo: LogoVariant | None = None


def _asset_fields(spec: BrandSpec) -> list[_AssetField]:
    fields: list[_AssetField] = []
    for i, logo in enumerate(spec.logos):
        fields.append(_AssetField(f"logos[{i}].file", logo.file, "logo", logo))
        if logo.source:  # the SVG the raster was made from: confined and fingerprinted, not drawn
            fields.append(_AssetField(f"logos[{i}].source", logo.source, "vector"))
    for role in ("headline", "body", "cta"):
        font = getattr(spec.typography, role)
        if font is not None:
            fields.append(_AssetField(f"typography.{role}.file", font.file, "font"))
            if font.license:
                fields.append(_AssetField(f"typography.{role}.license", font.license, "license"))
    for i, fallback in enumerate(spec.typography.fallbacks):
        fields.append(_AssetField(f"typography.fallbacks[{i}].file", fallback.file, "fallback"))
        if fallback.license:
            fields.append(_AssetField(f"typography.fallbacks[{i}].license", fallback.license, "license"))
    for i, photo in enumerate(spec.photos):  # decoded like logos (same suffixes); the licence is any file
        fields.append(_AssetField(f"photos[{i}].file", photo.file, "photo"))
        fields.append(_AssetField(f"photos[{i}].license", photo.license, "license"))
    return fields


def _content_problems(spec: BrandSpec, asset: _AssetField, real: Path, data: bytes) -> list[str]:
    """What makes the asset unusable (:mod:`brandkit.spec.assets`); empty when it is usable."""
    relative, kind = asset.relative, asset.kind
    suffixes = _SUFFIXES[kind]
    if suffixes and real.suffix.lower() not in suffixes:
        return [f"{relative!r} should be one of {sorted(suffixes)}"]
    if kind in ("font", "fallback"):
        return [f"{relative!r} is not a usable font: {p}" for p in font_problems(real, role_font=kind == "font")]
    if kind == "license":
        return [] if data.strip() else [f"licence file {relative!r} is empty"]
    if kind == "vector":
        return [] if b"<svg" in data[:65536] else [f"{relative!r} is not an SVG document"]
    try:
        if asset.logo is None:  # a photo: used by the local renderer, never sent
            load_image(data)
            return []
        facts = provider_image(data, relative, what="logo")
    except RequestError as exc:
        return [exc.message]
    except ImageInputError as exc:
        return [f"{relative!r}: {image_problem(exc)}"]
    return [f"{relative!r}: {p}" for p in logo_problems(facts, asset.logo, spec)]


def fingerprint_spec(spec: BrandSpec, assets: dict[str, bytes]) -> str:
    """sha256 over the canonical spec JSON and every asset's path and bytes, in sorted order."""
    digest = hashlib.sha256()
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest.update(b"spec\0" + canonical.encode("utf-8"))
    for name in sorted(assets):
        digest.update(b"\0asset\0" + name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(assets[name]).digest())
    return digest.hexdigest()


def load_spec(path: str | os.PathLike[str]) -> BrandSpec:
    """Load and validate a brand spec from a folder holding ``brand.yaml`` or a ``.yaml``/``.json`` file.

    Every asset is resolved inside the folder and checked for use (:mod:`brandkit.spec.assets`: logos
    decoded and held to the image API's formats, modes and sizes; fonts opened and drawn; licences present).
    Raises :class:`brandkit.SpecError` naming the file, the field path and the bad value; asset problems are
    all collected, one :class:`~brandkit.errors.SpecIssue` each.
    """
    if not isinstance(path, str | os.PathLike):
        raise SpecError(f"spec path: expected a folder or file path, got {type(path).__name__}")
    file = _find_spec_file(Path(path))
    root = file.parent
    source = str(file)
    spec = spec_from_data(read_document(file, max_bytes=MAX_SPEC_BYTES), source=source, root=root)
    assets: dict[str, bytes] = {}
    fonts: dict[str, Path] = {}
    issues: list[SpecIssue] = []
    for asset in _asset_fields(spec):
        field, relative, kind = asset.field, asset.relative, asset.kind
        try:
            real = _resolve(root, relative)
            data = real.read_bytes()
        except SpecError as exc:
            issues.append(SpecIssue(source, field, exc.message, relative))
            continue
        except OSError as exc:
            issues.append(SpecIssue(source, field, f"cannot read {relative!r} ({exc.strerror or exc})", relative))
            continue
        problems = _content_problems(spec, asset, real, data)
        issues += [SpecIssue(source, field, problem, relative) for problem in problems]
        if kind in ("font", "fallback") and not problems:
            fonts[relative] = real
        assets[relative] = data
    issues += [SpecIssue(source, where, message) for where, message in copy_glyph_problems(spec, fonts)]
    if issues:
        raise SpecError(f"{source}: unusable brand spec assets ({len(issues)} problem(s))", issues)
    spec._root = root.resolve()
    spec._fingerprint = fingerprint_spec(spec, assets)
    return spec
