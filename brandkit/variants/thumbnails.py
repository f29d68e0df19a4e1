"""Contact-sheet thumbnails: a small JPEG of each image, written atomically.

Shrunk at decode where the format allows (JPEG draft mode), the image's ICC profile kept, and a transparent image
shown over a checkerboard (a JPEG has no alpha: converted to RGB, its transparent pixels showed the colours hidden
under them, so a reviewer could not tell a cut-out from an opaque ad).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brandkit.atomic import atomic_write

__all__ = ["THUMB_PX", "make_thumbnail"]

THUMB_PX = 320


_REDUCIBLE = frozenset({"L", "RGB"})  # shrunk before conversion (RGBA: converting first is quicker)


def make_thumbnail(data: bytes, path: Path, size: int = THUMB_PX) -> None:
    """Write a small JPEG of the image ``data`` to ``path`` (atomically), at most ``size`` pixels a side.

    ``data`` is an image brandkit already decoded safely (an accepted asset or a rejected attempt).
    """
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as source:
        source.draft("RGB", (size, size))  # JPEG: decode at a reduced scale
        source.load()
        profile = source.info.get("icc_profile")  # kept: the thumbnail's numbers are the image's
        image: Image.Image = source
        factor = min(image.width, image.height) // size
        if factor > 1 and image.mode in _REDUCIBLE:  # shrink before any conversion: a conversion copies
            image, factor = image.reduce(factor), 1
        if image.mode != "RGB":
            image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    if factor > 1:
        image = image.reduce(factor)
    image.thumbnail((size, size))
    if image.mode == "RGBA":  # a transparent asset: shown over a checkerboard, as image editors show it
        image = _on_checkerboard(image)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, **({"icc_profile": profile} if profile else {}))
    atomic_write(path, buffer.getvalue())


def _on_checkerboard(image: Any, square: int = 8) -> Any:
    """``image`` (RGBA) composited over a light-grey checkerboard (RGB): transparency a reviewer can see."""
    import numpy as np
    from PIL import Image

    ys, xs = np.indices((image.height, image.width))
    light = ((ys // square + xs // square) % 2 == 0)[..., None]
    board = np.where(light, np.uint8(255), np.uint8(214)).repeat(3, axis=2).astype(np.uint8)
    base = Image.fromarray(board, "RGB")
    base.paste(image, (0, 0), image)
    return base
