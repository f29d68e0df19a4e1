"""An image's EXIF orientation, read from its header (a foundation module: plain Pillow, no brandkit imports).

A phone stores its photographs as the sensor saw them and says in the EXIF block (or the XMP packet) how they are
to be turned when shown; :func:`brandkit.imageio.load_image` turns the pixels so (Pillow's ``exif_transpose``),
and the functions here tell the size the image is shown at without decoding it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from PIL import Image

__all__ = ["TURNED", "orientation"]

TURNED = frozenset({5, 6, 7, 8})
"""The EXIF orientations that show an image a quarter turn from how it is stored (width and height swap)."""


def orientation(image: Image.Image) -> int:
    """The EXIF orientation of an opened image (1–8; 1 when it has none), read from its header's EXIF block —
    or, when that has no orientation, from its XMP packet's ``tiff:Orientation``, as Pillow's ``exif_transpose``
    (what :func:`brandkit.imageio.load_image` turns the pixels with) reads it — never by decoding the pixels."""
    raw = image.info.get("exif")
    tag: int | None = None
    if isinstance(raw, bytes) and raw:
        try:
            value = Image.Exif()
            value.load(raw)
            found = value.get(0x0112)
            tag = None if found is None else int(found)
        except Exception:  # a damaged EXIF block: load_image ignores it the same way
            return 1
    if tag is None:
        tag = _xmp_orientation(image.info)
    return tag if tag is not None and 1 <= tag <= 8 else 1


_XMP_ORIENTATION = r'tiff:Orientation(="|>)([0-9])'
"""Pillow's pattern for the orientation in an XMP packet (``Image.getexif``): the same reading, the same result."""


def _xmp_orientation(info: Mapping[Any, object]) -> int | None:
    """``tiff:Orientation`` of the XMP packet in an opened image's ``info`` (PNG: ``XML:com.adobe.xmp`` text; JPEG
    and WebP: ``xmp`` bytes), ``None`` without one."""
    text, packet = info.get("XML:com.adobe.xmp"), info.get("xmp")
    if isinstance(packet, bytes) and not text:
        text = packet.decode("utf-8", "replace")
    if not isinstance(text, str) or not text:
        return None
    match = re.search(_XMP_ORIENTATION, text)
    return int(match[2]) if match else None
