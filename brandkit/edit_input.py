"""The image an edit starts from, as it is sent: upright, and a size the model returns.

A foundation module (imports only :mod:`brandkit.imageio`, :mod:`brandkit.geometry`, :mod:`brandkit.memo` and
:mod:`brandkit.errors`). A phone photo turned by its EXIF orientation is sent as it is shown
(:func:`brandkit.imageio.upright`). An image larger than gpt-image-2 returns — more than its largest output's
8,294,400 pixels (a 12 MP phone photo, a camera's 24–61 MP master, an ad exported for print) or a long edge over
3,840 px — is **reduced** to at most that (:func:`reduction_pixels`; a file over the 16,588,800 pixels brandkit
decodes is read reduced, :func:`brandkit.imageio.load_image_reduced`, a JPEG at a fraction of its size), its aspect
ratio kept, and its edges **trimmed to multiples of 16** — at most 15 px each way, centred (:func:`edges_of_16`) —
so that it is a size the model returns (a 6000x4000 master: 3526x2351 trimmed to 3520x2336; a 4032x3024 phone
photo: 3325x2494 trimmed to 3312x2480; before, both were refused unless a format was named). It is sent
re-encoded in its own format (JPEG or WebP at quality 95; any other as PNG), in sRGB: the model returns at most
that many pixels anyway, and every check reads the edit at its own size. A mask drawn on the image as it is shown
(its size) is scaled and trimmed with it, nearest neighbour, so that its fully transparent pixels stay fully
transparent. An image the model could return at its own size is sent as it is, even when its edges are not
multiples of 16 (the edit then needs a format: trimming what was not reduced would change the size the user
asked for). :func:`prepare_edit` is what the edit flow and the CLI's pre-flight both call: memoized in the active
store (:mod:`brandkit.memo`; one entry, the last image and mask), so a CLI edit that checks the image before the
kit edits it reduces a camera master once, not twice (0.4 s of CPU for a 61 MP JPEG, 1.1 s for a 24 MP PNG).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

from brandkit.errors import RequestError
from brandkit.geometry import PixelBox
from brandkit.imageio import (
    MAX_PIXELS,
    MAX_SOURCE_PIXELS,
    REDUCED_PIXELS,
    encode_image,
    fitted_size,
    load_image,
    load_image_reduced,
    upright,
    verify_image,
)
from brandkit.memo import memoized

__all__ = ["MAX_EDGE", "PreparedEdit", "edges_of_16", "prepare_edit", "reduction_pixels"]

MAX_EDGE = 3840
"""The long edge of the largest image gpt-image-2 returns (3840x2160): a reduction for an edit goes no longer."""


@dataclass(frozen=True)
class PreparedEdit:
    """The image to edit and its mask as they are sent."""

    image: bytes
    """Upright, and no larger than the model returns (reduced and trimmed when the image was)."""
    mask: bytes | None
    """The mask, scaled (and trimmed) with the image when the image was reduced and the mask was of the file's size."""
    reduced_from: tuple[int, int] | None = None
    """The file's size as shown (width, height) when the image was reduced; ``None``: sent at its own size."""
    reduced_to: tuple[int, int] | None = None
    """The size it was reduced to, before any trim (``None``: not reduced)."""
    trimmed: PixelBox | None = None
    """The part of the reduction kept (x0, y0, x1, y1) when its edges were trimmed to multiples of 16 (a size
    gpt-image-2 returns); ``None``: sent whole."""

    @property
    def size(self) -> tuple[int, int] | None:
        """The size sent when the image was reduced (trimmed or not); ``None``: its own."""
        if self.trimmed is not None:
            return self.trimmed[2] - self.trimmed[0], self.trimmed[3] - self.trimmed[1]
        return self.reduced_to

    @property
    def note(self) -> str | None:
        """What the edit report says of a reduced image (``None`` when it was not)."""
        if self.reduced_from is None or self.reduced_to is None:
            return None
        (width, height), (new_width, new_height) = self.reduced_from, self.reduced_to
        over = (
            f"over the {MAX_PIXELS:,} pixels an edit takes"
            if width * height > MAX_PIXELS
            else f"larger than the model returns: at most {REDUCED_PIXELS:,} pixels, a long edge of {MAX_EDGE:,} px"
        )
        said = f"the image to edit ({width}x{height}, {over}) was reduced to {new_width}x{new_height}"
        if self.trimmed is not None:
            x0, y0, x1, y1 = self.trimmed
            said += (
                f" and trimmed to {x1 - x0}x{y1 - y0}, edges of multiples of 16 that the model returns ({x0} px off "
                f"the left, {new_width - x1} off the right, {y0} off the top, {new_height - y1} off the bottom)"
            )
        return said + " before it was sent"


def reduction_pixels(width: int, height: int) -> int:
    """How many pixels an image of ``width`` x ``height`` larger than gpt-image-2 returns is reduced to for an edit:
    the largest output's :data:`~brandkit.imageio.REDUCED_PIXELS`, and no more than a long edge of :data:`MAX_EDGE`
    (the longest it returns) — a wide panorama is reduced further."""
    scale = min(math.sqrt(REDUCED_PIXELS / (width * height)), MAX_EDGE / max(width, height))
    return max(1, math.floor(width * scale + 1e-6)) * max(1, math.floor(height * scale + 1e-6))


def edges_of_16(size: tuple[int, int]) -> PixelBox | None:
    """The centred part of an image of ``size`` whose edges are multiples of 16 (at most 15 px fewer each way), or
    ``None`` when they already are (or an edge is under 16 px: left whole)."""
    width, height = size
    keep_w, keep_h = width - width % 16, height - height % 16
    if (keep_w, keep_h) == (width, height) or not (keep_w and keep_h):
        return None
    x0, y0 = (width - keep_w) // 2, (height - keep_h) // 2
    return x0, y0, x0 + keep_w, y0 + keep_h


@memoized("prepared_edit", maxsize=1)
def prepare_edit(image: bytes, mask: bytes | None = None) -> PreparedEdit:
    """``image`` (and ``mask``) as an edit sends them (the module docstring; the same bytes give the same
    :class:`PreparedEdit`, computed once per active memo store). Raises
    :class:`~brandkit.ImageInputError` for an image past :data:`~brandkit.imageio.MAX_SOURCE_PIXELS` or that does
    not decode."""
    fmt, width, height = verify_image(image, MAX_SOURCE_PIXELS)
    if width * height <= REDUCED_PIXELS and max(width, height) <= MAX_EDGE:  # within the largest output: as it is
        return PreparedEdit(upright(image), mask)
    to = reduction_pixels(width, height)
    if width * height > MAX_PIXELS:  # read reduced: a JPEG decoded at a fraction of its size
        reduced, shown = load_image_reduced(image, to=to)
        shown = shown or reduced.size
    else:  # a phone photo (8.3–16.6 MP), a wide export: decoded whole, then reduced
        whole = load_image(image)
        shown = whole.size
        reduced = whole.resize(fitted_size(shown, to), Image.Resampling.LANCZOS, reducing_gap=3.0)
    trimmed = edges_of_16(reduced.size)
    sent = reduced if trimmed is None else reduced.crop(trimmed)
    kind = fmt if fmt in ("jpeg", "webp") else "png"
    data = encode_image(sent, kind, compression=None if kind == "png" else 5)  # JPEG / WebP at quality 95
    scaled = _scaled_mask(mask, shown, reduced.size, trimmed)
    return PreparedEdit(data, scaled, reduced_from=shown, reduced_to=reduced.size, trimmed=trimmed)


def _scaled_mask(
    mask: bytes | None, shown: tuple[int, int] | None, size: tuple[int, int], trimmed: PixelBox | None
) -> bytes | None:
    """``mask`` scaled to ``size`` (and cut to ``trimmed``, as the image is) when it is of the file's size as
    shown; one of another size is refused naming
    the file's (:class:`~brandkit.RequestError`, ``field="mask"``); one that does not open is left to the mask
    check, which names what is wrong with it."""
    if mask is None or shown is None:
        return mask
    try:
        with Image.open(io.BytesIO(mask)) as opened:
            if opened.size != shown:
                raise RequestError(
                    f"mask: {opened.width}x{opened.height} is not the size of the image to edit "
                    f"({shown[0]}x{shown[1]})",
                    field="mask",
                    value=f"{opened.width}x{opened.height}",
                )
            opened.load()
            rgba = opened.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError):
        return mask
    scaled = rgba.resize(size, Image.Resampling.NEAREST)
    return encode_image(scaled if trimmed is None else scaled.crop(trimmed), "png")
