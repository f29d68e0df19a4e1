"""The image an edit starts from, as it is sent: upright, and within the pixels an edit takes.

A foundation module (imports only :mod:`brandkit.imageio`, :mod:`brandkit.memo` and :mod:`brandkit.errors`). A phone photo turned by its
EXIF orientation is sent as it is shown (:func:`brandkit.imageio.upright`). A file with more pixels than brandkit
decodes (16,588,800: a camera's 24–61 MP master, an ad exported for print) is **read reduced** to the largest
gpt-image-2 output's 8,294,400 pixels (:func:`brandkit.imageio.load_image_reduced`) and sent so, re-encoded in its
own format (JPEG or WebP at quality 95; any other as PNG): the model returns at most that many pixels anyway, and
every check reads the edit at its own size. A mask drawn on the file as it is shown (its size) is scaled with it,
nearest neighbour, so that its fully transparent pixels stay fully transparent. :func:`prepare_edit` is what the
edit flow and the CLI's pre-flight both call: memoized in the active store (:mod:`brandkit.memo`; one entry, the
last image and mask), so a CLI edit that checks the image before the kit edits it reduces a camera master once,
not twice (0.4 s of CPU for a 61 MP JPEG, 1.1 s for a 24 MP PNG).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from brandkit.errors import RequestError
from brandkit.imageio import MAX_PIXELS, MAX_SOURCE_PIXELS, encode_image, load_image_reduced, upright, verify_image
from brandkit.memo import memoized

__all__ = ["PreparedEdit", "prepare_edit"]


@dataclass(frozen=True)
class PreparedEdit:
    """The image to edit and its mask as they are sent."""

    image: bytes
    """Upright, and within :data:`~brandkit.imageio.MAX_PIXELS` (reduced when the file was over it)."""
    mask: bytes | None
    """The mask, scaled with the image when the image was reduced and the mask was of the file's size."""
    reduced_from: tuple[int, int] | None = None
    """The file's size as shown (width, height) when the image was reduced; ``None``: sent at its own size."""
    reduced_to: tuple[int, int] | None = None
    """The size it was reduced to (``None``: not reduced)."""

    @property
    def note(self) -> str | None:
        """What the edit report says of a reduced image (``None`` when it was not)."""
        if self.reduced_from is None or self.reduced_to is None:
            return None
        (width, height), (new_width, new_height) = self.reduced_from, self.reduced_to
        return (
            f"the image to edit ({width}x{height}, over the {MAX_PIXELS:,} pixels an edit takes) was reduced to "
            f"{new_width}x{new_height} before it was sent"
        )


@memoized("prepared_edit", maxsize=1)
def prepare_edit(image: bytes, mask: bytes | None = None) -> PreparedEdit:
    """``image`` (and ``mask``) as an edit sends them (the module docstring; the same bytes give the same
    :class:`PreparedEdit`, computed once per active memo store). Raises
    :class:`~brandkit.ImageInputError` for an image past :data:`~brandkit.imageio.MAX_SOURCE_PIXELS` or that does
    not decode."""
    fmt, width, height = verify_image(image, MAX_SOURCE_PIXELS)
    if width * height <= MAX_PIXELS:
        return PreparedEdit(upright(image), mask)
    reduced, shown = load_image_reduced(image)
    kind = fmt if fmt in ("jpeg", "webp") else "png"
    data = encode_image(reduced, kind, compression=None if kind == "png" else 5)  # JPEG / WebP at quality 95
    return PreparedEdit(data, _scaled_mask(mask, shown, reduced.size), reduced_from=shown, reduced_to=reduced.size)


def _scaled_mask(mask: bytes | None, shown: tuple[int, int] | None, size: tuple[int, int]) -> bytes | None:
    """``mask`` scaled to ``size`` when it is of the file's size as shown; one of another size is refused naming
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
    return encode_image(rgba.resize(size, Image.Resampling.NEAREST), "png")
