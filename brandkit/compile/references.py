"""Reference images sent with a call: checked like the spec's own images, each decoded once."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Literal

from PIL import Image

from brandkit.models import ReferenceImage
from brandkit.spec.assets import PROVIDER_IMAGE_TYPES, provider_image
from brandkit.spec.models import BrandSpec, LogoVariant

_MIME = PROVIDER_IMAGE_TYPES

_VALID_IMAGES: OrderedDict[tuple[str, int, int | None], tuple[str, bytes | None]] = OrderedDict()
"""(sha256, size, PIL's bomb limit) → (format, the bytes when small) of reference images that decoded
fully: the logo of every variant of a plan is the same file, decoded once, and its prompts share one copy
of its bytes. Bounded (entries and bytes kept); only successes are kept."""
_VALID_IMAGES_MAX = 32
_SHARED_BYTES_MAX = 512 * 1024
_VALID_IMAGES_LOCK = threading.Lock()


def reference(
    index: int, role: Literal["logo", "product", "style", "master", "other"], name: str, description: str, data: bytes
) -> ReferenceImage:
    digest = hashlib.sha256(data).hexdigest()
    key = (digest, len(data), Image.MAX_IMAGE_PIXELS)
    with _VALID_IMAGES_LOCK:
        known = _VALID_IMAGES.get(key)
        if known is not None:
            _VALID_IMAGES.move_to_end(key)
    if known is not None:
        fmt, shared = known
        if shared is not None and shared == data:
            data = shared
    else:
        # format, colour mode, bytes and a full decode: the rules the spec loader holds logos to as well
        fmt = provider_image(data, name).format
        with _VALID_IMAGES_LOCK:
            _VALID_IMAGES[key] = (fmt, data if len(data) <= _SHARED_BYTES_MAX else None)
            while len(_VALID_IMAGES) > _VALID_IMAGES_MAX:
                _VALID_IMAGES.popitem(last=False)
    return ReferenceImage(
        index=index,
        role=role,
        name=name,
        description=description,
        mime=_MIME[fmt],
        sha256=digest,
        data=data,
    )


def logo_bytes(spec: BrandSpec, variant: LogoVariant) -> bytes:
    return spec.asset_path(variant.file).read_bytes()


__all__ = ["logo_bytes", "reference"]
