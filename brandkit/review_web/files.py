"""Images for the review page: only files the registry knows, inside its asset folders, holding the bytes that
were checked; thumbnails on disk.

The page never takes a path: it asks for an asset id, the registry gives the asset's recorded image path, and
:func:`checked_image` serves it only when its real path (symlinks followed) is a regular file inside one of
:meth:`Registry.asset_folders` *and* its bytes have the sha256 the registry recorded — a reviewer never sees (and
so never approves) a file edited or replaced after it was checked, and a path recorded from an untrusted audit
cannot make the page serve a file whose content the registry does not already hold the hash of. Thumbnails are
made with Pillow (safe decode via :func:`brandkit.imageio.load_image_reduced`) from those checked bytes and cached in a
folder beside the database, named by the content hash and size, written atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from brandkit.atomic import atomic_write
from brandkit.errors import AssetNotFoundError, ImageInputError
from brandkit.imageio import encode_image, load_image_reduced
from brandkit.paths import is_inside
from brandkit.registry.files import recorded_file
from brandkit.registry.models import AssetRow

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


def checked_image(row: AssetRow, folders: Sequence[Path]) -> tuple[Path, bytes]:
    """Asset ``row``'s image (its real path and bytes) when it is confined to ``folders`` (:func:`confined_image`)
    and holds the bytes that were checked.

    Raises :class:`~brandkit.errors.AssetNotFoundError` (the page answers 404) naming the file and both hashes when
    the file changed since it was checked; the bytes returned are those compared (the file is read once).
    """
    real = confined_image(row.image_path, folders, row.id)
    now = recorded_file(row, real)
    if now.data is None or not now.unchanged:
        raise AssetNotFoundError(now.describe(row.id) + ": the checked image is no longer there", asset_id=row.id)
    return real, now.data


def thumbnail_path(cache: Path, content_hash: str, size: int = THUMB_SIZE) -> Path | None:
    """Where the thumbnail of the content ``content_hash`` at ``size`` is cached (``None``: not a sha256 hex)."""
    safe = content_hash.lower()
    if len(safe) != 64 or any(c not in "0123456789abcdef" for c in safe):
        return None
    return (
        cache / f"{safe}-{size}.checked.png"
    )  # ".checked": made only from bytes with that hash (older caches were not)


def cached_thumbnail(cache: Path, content_hash: str, size: int = THUMB_SIZE) -> Path | None:
    """The thumbnail already made of the checked content ``content_hash`` (made only from bytes with that hash)."""
    target = thumbnail_path(cache, content_hash, size)
    return target if target is not None and target.is_file() else None


def thumbnail(data: bytes, cache: Path, content_hash: str, size: int = THUMB_SIZE) -> Path:
    """A PNG thumbnail (longest side ``size``) of ``data`` — bytes whose sha256 is ``content_hash``, as
    :func:`checked_image` returns them — in ``cache``, made once per content hash and size.

    Raises :class:`~brandkit.errors.ImageInputError` when the image cannot be decoded safely or the hash is not a
    sha256, and :class:`~brandkit.errors.OutputError` when the cache folder cannot be written.
    """
    target = thumbnail_path(cache, content_hash, size)
    if target is None:
        raise ImageInputError(f"content hash {content_hash[:16]!r} is not a sha256 hex digest")
    if target.is_file():
        return target
    picture, _ = load_image_reduced(data)  # an audited camera master (over the decode limit) is read reduced
    if picture.mode not in ("RGB", "RGBA"):
        picture = picture.convert("RGBA")
    picture.thumbnail((size, size), Image.Resampling.LANCZOS)
    atomic_write(target, encode_image(picture, "png"))
    return target
