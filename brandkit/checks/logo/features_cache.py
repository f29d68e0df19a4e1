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

import numpy as np

from brandkit.checks.logo.constants import TEMPLATE_WORK_WIDTH
from brandkit.checks.logo.prepare import (
    LOGO_ORB_FAST_THRESHOLD,
    LOGO_ORB_FEATURES,
    LOGO_ORB_PAD,
    PreparedLogo,
    prepare_logo,
)
from brandkit.warm_cache import WarmCache

__all__ = ["CACHE_KIND", "FORMAT_VERSION", "features_key", "from_arrays", "prepared_from_file", "to_arrays"]

CACHE_KIND = "logo-features"
FORMAT_VERSION = 1
"""Bumped whenever the stored arrays or their meaning change."""


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
    }


def from_arrays(arrays: dict[str, np.ndarray], variant: str) -> PreparedLogo | None:
    """The prepared logo stored in ``arrays``, or ``None`` when they are not a complete, consistent entry."""
    try:
        grey, mask, alpha = arrays["grey"], arrays["mask"], arrays["alpha"]
        keypoints, descriptors = arrays["keypoints"], arrays["descriptors"]
        aspect, width, height, trim_scale = (float(v) for v in arrays["geometry"])
        has_descriptors, masked = bool(arrays["has_descriptors"]), bool(arrays["masked"])
    except (KeyError, ValueError, TypeError):
        return None
    shapes_agree = grey.ndim == 2 and grey.shape == mask.shape == alpha.shape
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
    prepared = prepare_logo(load_image(data), variant, backdrop)
    cache.store_arrays(CACHE_KIND, key, to_arrays(prepared))
    return prepared
