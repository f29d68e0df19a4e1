"""A logo's prepared features (template, mask, ORB keypoints and descriptors) kept in the warm disk cache.

Preparing a logo variant (alpha trim, Lanczos resize to the work width, ORB on the padded template) costs tens of
milliseconds per variant and backdrop, paid again by every process (``validate --jobs`` workers, one-shot
commands). :func:`prepared_from_file` loads it from :class:`~brandkit.warm_cache.WarmCache` instead when it was
built before, keyed by everything the arrays derive from: :data:`FORMAT_VERSION`, the logo file's SHA-256, the
backdrop tone, the preparation parameters (work width, ORB settings, padding) and the OpenCV version (ORB's output
may change between releases). A changed file, parameter or OpenCV makes another key: a stale entry is never read.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from brandkit.checks.logo.constants import TEMPLATE_WORK_WIDTH
from brandkit.checks.logo.prepare import (
    LOGO_ORB_FAST_THRESHOLD,
    LOGO_ORB_FEATURES,
    LOGO_ORB_PAD,
    PreparedLogo,
    prepare_logo,
)
from brandkit.errors import ConfigurationError, ImageInputError
from brandkit.warm_cache import WarmCache

if TYPE_CHECKING:
    from brandkit.checks.base import CheckResources
    from brandkit.spec.models import BrandSpec, LogoVariant

__all__ = [
    "BACKDROPS",
    "CACHE_KIND",
    "FORMAT_VERSION",
    "features_key",
    "from_arrays",
    "prepared_for_spec",
    "prepared_from_file",
    "to_arrays",
    "warm_logo",
]

BACKDROPS = (255, 0)
"""The backdrop tones a logo is prepared over: light (255, also when the tone is unknown) and dark (0)."""

CACHE_KIND = "logo-features"
FORMAT_VERSION = 3
"""Bumped whenever the stored arrays or their meaning change (2: a single-colour logo is told from its file's own
opaque pixels — :data:`~brandkit.checks.logo.prepare.SINGLE_COLOUR_STD` — and matched as a silhouette; 3: the file's
colour areas and their map, :func:`~brandkit.checks.logo.colour.logo_colours`)."""


def features_key(file_sha256: str, backdrop: int) -> str:
    """The warm-cache key of a logo file's prepared features over ``backdrop``."""
    import cv2

    params = f"w{TEMPLATE_WORK_WIDTH}:orb{LOGO_ORB_FEATURES}/{LOGO_ORB_FAST_THRESHOLD}:pad{LOGO_ORB_PAD}"
    return f"logo-features:v{FORMAT_VERSION}:{file_sha256}:backdrop{backdrop}:{params}:opencv{cv2.__version__}"


def to_arrays(prepared: PreparedLogo) -> dict[str, np.ndarray]:
    """``prepared`` as plain arrays (no objects) for the cache."""
    descriptors = prepared.descriptors
    return {
        "grey": prepared.grey,
        "mask": prepared.mask,
        "alpha": prepared.alpha,
        "keypoints": prepared.keypoints,
        "descriptors": descriptors if descriptors is not None else np.zeros((0, 32), np.uint8),
        "has_descriptors": np.array(descriptors is not None),
        "geometry": np.array([prepared.aspect, *prepared.source_size, prepared.trim_scale], dtype=np.float64),
        "masked": np.array(prepared.masked),
        "colour_labels": prepared.colour_labels,
        "colours": prepared.colours,
    }


def from_arrays(arrays: dict[str, np.ndarray], variant: str) -> PreparedLogo | None:
    """The prepared logo stored in ``arrays``, or ``None`` when they are not a complete, consistent entry."""
    try:
        grey, mask, alpha = arrays["grey"], arrays["mask"], arrays["alpha"]
        keypoints, descriptors = arrays["keypoints"], arrays["descriptors"]
        aspect, width, height, trim_scale = (float(v) for v in arrays["geometry"])
        has_descriptors, masked = bool(arrays["has_descriptors"]), bool(arrays["masked"])
        colour_labels, colours = arrays["colour_labels"], arrays["colours"]
    except (KeyError, ValueError, TypeError):
        return None
    shapes_agree = grey.ndim == 2 and grey.shape == mask.shape == alpha.shape == colour_labels.shape
    if colours.ndim != 2 or colours.shape[1:] != (3,) or colours.dtype != np.uint8 or colour_labels.dtype != np.uint8:
        return None
    if not shapes_agree or grey.dtype != np.uint8 or keypoints.ndim != 2 or keypoints.shape[1:] != (2,):
        return None
    if has_descriptors and len(descriptors) != len(keypoints):
        return None
    return PreparedLogo(
        variant=variant,
        grey=grey,
        mask=mask,
        alpha=alpha,
        aspect=aspect,
        source_size=(round(width), round(height)),
        trim_scale=trim_scale,
        keypoints=keypoints.astype(np.float32),
        descriptors=descriptors if has_descriptors else None,
        masked=masked,
        colour_labels=colour_labels,
        colours=colours,
    )


def prepared_from_file(path: Path, variant: str, backdrop: int, cache: WarmCache) -> PreparedLogo:
    """The prepared features of the logo file at ``path``: from ``cache`` when built before, else prepared now
    and stored. Raises what :func:`~brandkit.imageio.load_image` raises for an unreadable file."""
    from brandkit.imageio import load_image, read_bytes

    data = read_bytes(path)
    key = features_key(hashlib.sha256(data).hexdigest(), backdrop)
    arrays = cache.load_arrays(CACHE_KIND, key)
    if arrays is not None:
        cached = from_arrays(arrays, variant)
        if cached is not None:
            return cached
    try:
        prepared = prepare_logo(load_image(data), variant, backdrop)
    except (ImageInputError, ValueError) as exc:  # bytes decoded without a name, or a fully transparent file
        raise ImageInputError(f"logo file {path}: {exc}", source=str(path)) from exc
    cache.store_arrays(CACHE_KIND, key, to_arrays(prepared))
    return prepared


def prepared_for_spec(spec: BrandSpec, resources: CheckResources, logo: LogoVariant, backdrop: int) -> PreparedLogo:
    """``logo`` of ``spec`` prepared over ``backdrop``: once per kit (kept in ``resources``) and across processes
    through the kit's warm disk cache. What :class:`~brandkit.checks.logo.LogoCheck` and :func:`warm_logo` use.

    Raises :class:`~brandkit.errors.ImageInputError` naming the file when it cannot be read or is fully
    transparent, ``KeyError`` when ``spec`` was not loaded from a folder.
    """
    path = spec.asset_path(logo.file)
    ident = spec.fingerprint
    if not ident:
        stat = path.stat()
        ident = f"{path.resolve()}:{stat.st_mtime_ns}:{stat.st_size}"
    key = f"logo:{ident}:{logo.variant}:{logo.file}:{backdrop}"

    def factory() -> PreparedLogo:
        return prepared_from_file(path, logo.variant, backdrop, WarmCache.of(resources))

    prepared: PreparedLogo = resources.get(key, factory)
    return prepared


def warm_logo(spec: BrandSpec, resources: CheckResources) -> None:
    """Prepare every logo variant of ``spec`` over each backdrop in :data:`BACKDROPS` into the warm disk cache of
    ``resources`` (a kit's :class:`~brandkit.resources.KitCheckResources`; its :class:`WarmCache`), through the
    path the logo check uses, so a later process loads them instead of preparing them. A spec without logos does
    nothing.

    Raises :class:`~brandkit.errors.ImageInputError` naming the logo file that cannot be read, and
    :class:`~brandkit.errors.ConfigurationError` when OpenCV is not installed, rather than warm nothing silently.
    """
    if not spec.logos:
        return
    try:
        import cv2  # noqa: F401 - availability probe
    except ImportError as exc:
        raise ConfigurationError(f"cannot prepare the logo features: OpenCV is unavailable ({exc})") from exc
    for logo in spec.logos:
        for backdrop in BACKDROPS:
            prepared_for_spec(spec, resources, logo, backdrop)
