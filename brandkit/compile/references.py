"""Reference images sent with a call: checked like the spec's own images, each decoded once per cache.

:class:`ReferenceImageCache` remembers the reference images that decoded fully. It is owned by whoever compiles,
never by this module: pass one to :func:`~brandkit.compile.compile_prompt` / :func:`~brandkit.compile.compile_edit`
(``reference_cache=``), or let the compile functions use the one kept in the :class:`~brandkit.memo.MemoStore` that
is active — a kit activates its :class:`~brandkit.resources.KitResources`' store for each call, so the logo of
every variant a kit makes is decoded once and its prompts share one copy of its bytes, and two kits with their own
resources share nothing. With neither, every reference is decoded every time (same answers, no cache).
"""

from __future__ import annotations

import hashlib
from typing import Literal, NamedTuple

from PIL import Image

from brandkit.imageio import upright
from brandkit.memo import MemoStore, active_store
from brandkit.models import ReferenceImage
from brandkit.spec.assets import PROVIDER_IMAGE_TYPES, provider_image
from brandkit.spec.models import BrandSpec, LogoVariant

_MIME = PROVIDER_IMAGE_TYPES

TABLE = "compile.reference-images"
"""The memo table of the reference images that decoded fully."""
MAX_ENTRIES = 32
"""Images remembered (least recently used dropped first)."""
SHARED_BYTES_MAX = 512 * 1024
"""Bytes of an image above this are not kept (its decode is still remembered; each prompt holds its own copy)."""


class CheckedImage(NamedTuple):
    """A reference image that passed the provider-image rules."""

    format: str
    data: bytes
    sha256: str


def check_image(data: bytes, name: str) -> CheckedImage:
    """Decode ``data`` fully under the provider-image rules (format, colour mode, size — the rules the spec loader
    holds logos to as well); raises what :func:`~brandkit.spec.assets.provider_image` raises, naming ``name``.
    A photo its EXIF orientation turns is sent turned as it is shown (:func:`~brandkit.imageio.upright`)."""
    fmt = provider_image(data, name).format
    sent = upright(data, name)
    return CheckedImage(fmt, sent, hashlib.sha256(sent).hexdigest())


class ReferenceImageCache:
    """The reference images that decoded fully: (sha256, size, PIL's bomb limit) → (format, the bytes when small).

    Bounded (:data:`MAX_ENTRIES` images; bytes kept only up to :data:`SHARED_BYTES_MAX` each) and thread-safe; only
    successes are kept, so a broken image is refused every time. The entries live in a
    :class:`~brandkit.memo.MemoStore` (its own unless given one): ``ReferenceImageCache(kit.resources.memo)``
    shares a kit's.
    """

    def __init__(self, store: MemoStore | None = None) -> None:
        self._store = store if store is not None else MemoStore()

    def __repr__(self) -> str:
        return f"ReferenceImageCache(images={len(self)})"

    def __len__(self) -> int:
        return self._store.size(TABLE)

    @classmethod
    def active(cls) -> ReferenceImageCache | None:
        """The cache of the memo store active in this context (the running kit's), ``None`` when none is."""
        store = active_store()
        return None if store is None else cls(store)

    def checked(self, data: bytes, name: str) -> CheckedImage:
        """:func:`check_image`, decoding only on the first sight of these bytes; the bytes returned are the first
        copy seen when it was kept (one buffer shared by every prompt)."""
        digest = hashlib.sha256(data).hexdigest()
        key = (digest, len(data), Image.MAX_IMAGE_PIXELS)

        def decode() -> tuple[str, bytes | None, bool]:
            checked = check_image(data, name)
            turned = checked.data is not data
            return checked.format, (checked.data if len(checked.data) <= SHARED_BYTES_MAX else None), turned

        fmt, shared, turned = self._store.lookup(TABLE, MAX_ENTRIES, key, decode)
        if not turned:
            return CheckedImage(fmt, shared if shared is not None and shared == data else data, digest)
        sent = shared if shared is not None else upright(data, name)  # a large turned photo: turned again
        return CheckedImage(fmt, sent, hashlib.sha256(sent).hexdigest())


def reference(
    index: int,
    role: Literal["logo", "product", "style", "master", "other"],
    name: str,
    description: str,
    data: bytes,
    cache: ReferenceImageCache | None = None,
) -> ReferenceImage:
    """A checked :class:`~brandkit.models.ReferenceImage` (decoded through ``cache`` when given, else now)."""
    checked = cache.checked(data, name) if cache is not None else check_image(data, name)
    return ReferenceImage(
        index=index,
        role=role,
        name=name,
        description=description,
        mime=_MIME[checked.format],
        sha256=checked.sha256,
        data=checked.data,
    )


def reference_cache(given: ReferenceImageCache | None) -> ReferenceImageCache | None:
    """The cache a compile uses: ``given``, else the active memo store's (:meth:`ReferenceImageCache.active`)."""
    return given if given is not None else ReferenceImageCache.active()


def logo_bytes(spec: BrandSpec, variant: LogoVariant) -> bytes:
    """The bytes of the logo file of ``variant`` (read each time: a logo changed on disk is checked again)."""
    return spec.asset_path(variant.file).read_bytes()


__all__ = [
    "MAX_ENTRIES",
    "SHARED_BYTES_MAX",
    "TABLE",
    "CheckedImage",
    "ReferenceImageCache",
    "check_image",
    "logo_bytes",
    "reference",
    "reference_cache",
]
