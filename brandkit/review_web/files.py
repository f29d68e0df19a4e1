"""Images for the review page: only files the registry knows, inside its asset folders; thumbnails on disk.

The page never takes a path: it asks for an asset id, the registry gives the asset's recorded image path, and
:func:`confined_image` serves it only when its real path (symlinks followed) is a regular file inside one of
:meth:`Registry.asset_folders`. Thumbnails are made with Pillow (safe decode via :func:`brandkit.imageio.load_image`)
and cached in a folder beside the database, named by the image's content hash and size, written atomically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from brandkit.atomic import atomic_write
from brandkit.errors import AssetNotFoundError, ImageInputError
from brandkit.imageio import encode_image, load_image, read_bytes
from brandkit.paths import is_inside

THUMB_SIZE = 360
"""Longest side of a queue thumbnail, pixels."""

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


def thumbnail_folder(db_path: Path) -> Path:
    """Where the thumbnails of the registry at ``db_path`` are cached: ``<db name>.thumbs`` beside it."""
    return db_path.parent / f"{db_path.name}.thumbs"


def confined_image(path: str, folders: Sequence[Path], asset_id: int) -> Path:
    """The real path of asset ``asset_id``'s recorded image, if it is a regular file inside ``folders``.

    Raises :class:`~brandkit.errors.AssetNotFoundError` (the page answers 404) when the file is gone, is not a
    regular file, or lies outside every asset folder (a symlink that leads out included).
    """
    try:
        real = Path(path).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise AssetNotFoundError(f"asset {asset_id}: its image file is missing", asset_id=asset_id) from exc
    roots: list[Path] = []
    for folder in folders:
        try:
            roots.append(folder.resolve(strict=True))
        except (OSError, RuntimeError):
            continue
    if not any(is_inside(real, root) for root in roots):
        raise AssetNotFoundError(f"asset {asset_id}: its image is outside the registry's asset folders", asset_id)
    if not real.is_file() or real.suffix.lower() not in MEDIA_TYPES:
        raise AssetNotFoundError(f"asset {asset_id}: its image is not a regular image file", asset_id=asset_id)
    return real


def thumbnail(image: Path, cache: Path, content_hash: str, size: int = THUMB_SIZE) -> Path:
    """A PNG thumbnail of ``image`` (longest side ``size``) in ``cache``, made once per content hash and size.

    The name comes from the recorded content hash (hex only is kept), so a changed file gets a new thumbnail.
    Raises :class:`~brandkit.errors.ImageInputError` when the image cannot be decoded safely, and
    :class:`~brandkit.errors.OutputError` when the cache folder cannot be written.
    """
    safe = "".join(c for c in content_hash.lower() if c in "0123456789abcdef")[:64]
    if not safe:
        safe = hashlib.sha256(str(image).encode()).hexdigest()
    target = cache / f"{safe}-{size}.png"
    if target.is_file():
        return target
    picture = load_image(read_bytes(image))
    if picture.mode not in ("RGB", "RGBA"):
        picture = picture.convert("RGBA")
    picture.thumbnail((size, size), Image.Resampling.LANCZOS)
    try:
        atomic_write(target, encode_image(picture, "png"))
    except ImageInputError:
        raise
    return target
