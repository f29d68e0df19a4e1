"""An edit's mask: which pixels of the image to edit may change.

The OpenAI Images API's convention, which every provider follows: the mask is a PNG with an alpha channel, the
size of the image to edit; where it is **fully transparent** (alpha 0) the image may change, everywhere else it
stays. :func:`check_mask` refuses a mask that does not fit (before anything is rendered or paid: the edit flow's
first step), naming what is wrong; :func:`keep_outside_mask` is how the local renderer honours it (the model
treats it as guidance: pixels outside may still move a little), and :func:`fitted` how it fits the image to edit
(and the mask) to another format: cropped, never stretched.

A foundation module: imports only :mod:`brandkit.errors` and :mod:`brandkit.imageio`.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from brandkit.errors import ImageInputError, RequestError
from brandkit.imageio import load_image, verify_image

__all__ = ["check_mask", "fitted", "keep_outside_mask"]


def check_mask(mask: bytes, image: bytes) -> None:
    """Raise :class:`~brandkit.RequestError` (``field="mask"``) unless ``mask`` is a PNG with an alpha channel
    of ``image``'s size and has at least one fully transparent pixel (else the edit could change nothing)."""
    try:
        fmt, width, height = verify_image(mask)
    except ImageInputError as exc:
        raise RequestError(f"mask: {exc.message}", field="mask", value=f"<{len(mask)} bytes>") from exc
    if fmt != "png":
        raise RequestError(f"mask: must be a PNG (got {fmt or 'an unknown format'})", field="mask", value=fmt)
    with Image.open(io.BytesIO(mask)) as header:  # verified above: the header reads
        mode, has_alpha = header.mode, "A" in header.getbands() or "transparency" in header.info
    if not has_alpha:
        raise RequestError(
            "mask: needs an alpha channel (fully transparent where the image may change)",
            field="mask",
            value=f"PNG {mode}",
        )
    _, image_width, image_height = verify_image(image)
    if (width, height) != (image_width, image_height):
        raise RequestError(
            f"mask: {width}x{height} is not the size of the image to edit ({image_width}x{image_height})",
            field="mask",
            value=f"{width}x{height}",
        )
    if not _editable(mask).any():
        raise RequestError(
            "mask: no pixel is fully transparent, so nothing could change (alpha 0 marks what may be edited)",
            field="mask",
        )


def keep_outside_mask(edited: Image.Image, original: Image.Image, mask: bytes) -> Image.Image:
    """``edited`` where ``mask`` is fully transparent, ``original`` elsewhere (both fitted to ``edited``'s size with
    :func:`fitted` — the geometry the edit itself was fitted with — when the edit changed the format)."""
    size = edited.size
    editable = _editable(mask, size)
    before = np.asarray(fitted(original.convert(edited.mode), size))
    after = np.asarray(edited)
    where = editable if after.ndim == 2 else editable[..., None]
    return Image.fromarray(np.where(where, after, before).astype(np.uint8), edited.mode)


def fitted(
    image: Image.Image, size: tuple[int, int], resample: Image.Resampling = Image.Resampling.BICUBIC
) -> Image.Image:
    """``image`` at ``size`` for an edit into a format: resized when it has the format's aspect (within 1 %: a
    resized asset), otherwise cover-cropped around its centre — a 4:3 phone photo edited into a 3:2 format is
    cropped, never stretched (a plain resize distorted it by 12.5 %). A mask is fitted the same way (``NEAREST``)."""
    if image.size == size:
        return image.copy()
    width, height = image.size
    aspect, target = width / height, size[0] / size[1]
    box: tuple[float, float, float, float] | None = None
    if aspect > target * 1.01:  # wider: the sides are cropped
        kept = height * target
        box = ((width - kept) / 2, 0.0, (width + kept) / 2, float(height))
    elif aspect < target / 1.01:  # taller: the top and bottom are cropped
        kept = width / target
        box = (0.0, (height - kept) / 2, float(width), (height + kept) / 2)
    return image.resize(size, resample, box=box)


def _editable(mask: bytes, size: tuple[int, int] | None = None) -> np.ndarray:
    """Where ``mask`` is fully transparent (``True``: may change), at ``size`` when given (fitted as the image
    is, nearest neighbour)."""
    decoded = load_image(mask).convert("RGBA")
    if size is not None and decoded.size != size:
        decoded = fitted(decoded, size, Image.Resampling.NEAREST)
    editable: np.ndarray = np.asarray(decoded)[..., 3] == 0
    return editable
