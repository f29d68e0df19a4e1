"""Load a brand spec from a folder (``brand.yaml``) or a YAML/JSON file.

Errors name the file, the field path and the bad value. Asset paths must stay
inside the spec folder: no absolute paths, no ``..``, no symlinks that lead
out. Each loaded spec gets a stable fingerprint: sha256 over the canonical
spec JSON and the bytes of every referenced asset.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from brandkit.documents import field_path, read_document, value_at
from brandkit.errors import SpecError, SpecIssue
from brandkit.spec.models import BrandSpec

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
        raise SpecError(f"{path}: no brand spec found (expected one of {', '.join(SPEC_FILENAMES)})")
    if not path.exists():
        raise SpecError(f"{path}: no such file or folder")
    if path.suffix.lower() not in {".yaml", ".yml", ".json"}:
        raise SpecError(f"{path}: a brand spec must be a .yaml, .yml or .json file or a folder with brand.yaml")
    return path


def spec_from_data(data: Any, source: str = "<memory>", root: Path | None = None) -> BrandSpec:
    """Validate parsed spec data; errors name ``source``, the field path and the bad value."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: the top level must be a mapping of fields, got {type(data).__name__}")
    try:
        spec = BrandSpec.model_validate(data)
    except ValidationError as exc:
        issues = [
            SpecIssue(source, field_path(err["loc"]), err["msg"], err.get("input", value_at(data, err["loc"])))
            for err in exc.errors(include_url=False)
        ]
        raise SpecError(f"{source}: invalid brand spec ({len(issues)} problem(s))", issues) from None
    spec._source = source
    spec._root = root
    return spec


def resolve_asset(root: Path, relative: str, source: str, field: str) -> Path:
    """Resolve ``relative`` inside ``root``; refuse absolute paths, ``..`` and symlinks leading out."""
    pure = PurePosixPath(relative.replace("\\", "/"))
    if not relative or pure.is_absolute() or (len(relative) > 1 and relative[1] == ":"):
        raise SpecError(f"{source}: {field}: asset path {relative!r} must be relative to the spec folder")
    if ".." in pure.parts:
        raise SpecError(f"{source}: {field}: asset path {relative!r} may not contain '..'")
    candidate = root.joinpath(*pure.parts)
    real_root = root.resolve()
    try:
        real = candidate.resolve(strict=True)
    except FileNotFoundError:
        raise SpecError(f"{source}: {field}: asset file {relative!r} does not exist in {root}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise SpecError(f"{source}: {field}: cannot resolve asset {relative!r}: {exc}") from exc
    if real != real_root and real_root not in real.parents:
        raise SpecError(f"{source}: {field}: asset {relative!r} leads outside the spec folder (to {real})")
    if not real.is_file():
        raise SpecError(f"{source}: {field}: asset {relative!r} is not a regular file")
    size = real.stat().st_size
    if size > MAX_ASSET_BYTES:
        raise SpecError(f"{source}: {field}: asset {relative!r} is {size:,} bytes (limit {MAX_ASSET_BYTES:,})")
    return real


def _asset_fields(spec: BrandSpec) -> list[tuple[str, str, set[str]]]:
    fields: list[tuple[str, str, set[str]]] = []
    for i, logo in enumerate(spec.logos):
        fields.append((f"logos[{i}].file", logo.file, LOGO_SUFFIXES))
    for role in ("headline", "body", "cta"):
        font = getattr(spec.typography, role)
        if font is not None:
            fields.append((f"typography.{role}.file", font.file, FONT_SUFFIXES))
            if font.license:
                fields.append((f"typography.{role}.license", font.license, set()))
    return fields


def _check_asset_content(path: Path, suffixes: set[str], source: str, field: str, relative: str) -> None:
    if suffixes and path.suffix.lower() not in suffixes:
        raise SpecError(f"{source}: {field}: {relative!r} should be one of {sorted(suffixes)}")
    if suffixes is FONT_SUFFIXES:
        from PIL import ImageFont

        try:
            ImageFont.truetype(str(path), 24)
        except OSError as exc:
            raise SpecError(f"{source}: {field}: {relative!r} is not a usable font ({exc})") from exc
    elif suffixes is LOGO_SUFFIXES:
        from brandkit.imageio import load_image

        load_image(path)


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

    Raises :class:`brandkit.SpecError` naming the file, the field path and the bad value.
    """
    file = _find_spec_file(Path(path))
    root = file.parent
    source = str(file)
    spec = spec_from_data(read_document(file, max_bytes=MAX_SPEC_BYTES), source=source, root=root)
    assets: dict[str, bytes] = {}
    for field, relative, suffixes in _asset_fields(spec):
        real = resolve_asset(root, relative, source, field)
        _check_asset_content(real, suffixes, source, field, relative)
        assets[relative] = real.read_bytes()
    spec._root = root.resolve()
    spec._fingerprint = fingerprint_spec(spec, assets)
    return spec
