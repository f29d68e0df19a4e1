"""Reading and encoding images safely.

Every image brandkit reads goes through :func:`load_image`: a size limit on
the file, a pixel limit checked from the header before decoding (no
decompression bombs), a full decode (truncated files fail here, not later),
EXIF orientation applied, the first frame of animations, every mode
(P, LA, L, I;16, CMYK, …) converted to RGB or RGBA 8-bit, and the colours of a
file with an ICC profile (Display P3, Adobe RGB, a CMYK press profile)
converted to sRGB (:func:`in_srgb`).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import stat
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from brandkit.errors import ImageInputError
from brandkit.exif_orientation import TURNED, orientation
from brandkit.provenance import is_record_text

MAX_PIXELS = 8_294_400 * 2  # twice the largest gpt-image-2 output (3840x2160)
REDUCED_PIXELS = 8_294_400
"""How many pixels :func:`load_image_reduced` reads a file over :data:`MAX_PIXELS` at: the largest gpt-image-2
output (3840x2160), the largest image the checks are made for — a 48 MP photograph is read at 3325x2494."""
MAX_SOURCE_PIXELS = 89_478_485
"""The largest image :func:`load_image_reduced` reads (reduced to :data:`REDUCED_PIXELS`): Pillow's own
decompression-bomb limit (the default of ``Image.MAX_IMAGE_PIXELS``, past which :func:`load_image` refuses any file
as a bomb) — a 61 MP camera master is within it."""
MAX_FILE_BYTES = 64 * 1024 * 1024

ImageSource = str | os.PathLike[str] | bytes | Image.Image


def _describe(source: ImageSource) -> str:
    if isinstance(source, bytes):
        return f"<{len(source)} bytes>"
    if isinstance(source, Image.Image):
        return "<PIL image>"
    return str(source)


def read_bytes(source: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a file, refusing folders, missing files and files over ``limit`` bytes."""
    path = Path(source)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ImageInputError(f"{path}: no such file", source=str(path)) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ImageInputError(f"{path}: cannot read ({reason})", source=str(path)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise ImageInputError(f"{path}: is a folder, not an image", source=str(path))
    if not stat.S_ISREG(info.st_mode):
        raise ImageInputError(f"{path}: not a regular file", source=str(path))
    if info.st_size > limit:
        raise ImageInputError(f"{path}: {info.st_size:,} bytes is over the {limit:,}-byte limit", source=str(path))
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ImageInputError(f"{path}: cannot read ({exc.strerror or exc})", source=str(path)) from exc
    if len(data) > limit:
        raise ImageInputError(f"{path}: over the {limit:,}-byte limit", source=str(path))
    return data


def _normalize_mode(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in ("RGB", "L", "1") and "transparency" in image.info:
        # a PNG's transparent colour (tRNS) on an RGB or grey image: its pixels are shown see-through, so they are
        # read as such (alpha 0), as a palette image's are
        return image.convert("RGBA")
    if mode in ("RGB", "RGBA"):
        return image
    if mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if mode == "La":
        return image.convert("LA").convert("RGBA")
    if mode in ("LA", "PA", "RGBa"):
        return image.convert("RGBA")
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if array.max(initial=0) > 255 or mode.startswith("I;16") else 255.0
        eight = np.clip(np.round(array / peak * 255.0), 0, 255).astype(np.uint8)
        return Image.fromarray(eight, "L").convert("RGB")
    if mode == "F":
        array = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        eight = np.clip(np.round(array * (255.0 if array.max(initial=0) <= 1.0 else 1.0)), 0, 255)
        return Image.fromarray(eight.astype(np.uint8), "L").convert("RGB")
    if mode == "CMYK":
        return image.convert("RGB")
    if mode in ("1", "L"):
        return image.convert("RGB")
    return image.convert("RGBA" if "A" in mode else "RGB")


@contextlib.contextmanager
def _opened(data: bytes, name: str, max_pixels: int) -> Iterator[Image.Image]:
    """``data`` opened by Pillow (header read, pixels not decoded) and within ``max_pixels``; whatever Pillow
    raises inside the block becomes an :class:`ImageInputError` naming ``name``."""
    if not data:
        raise ImageInputError(f"{name}: empty file", source=name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageInputError(
                        f"{name}: {width}x{height} = {width * height:,} pixels is over the {max_pixels:,}-pixel limit",
                        source=name,
                    )
                yield image
    except ImageInputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageInputError(f"{name}: refused as a decompression bomb ({exc})", source=name) from exc
    except UnidentifiedImageError as exc:
        raise ImageInputError(f"{name}: {_unrecognised(data)}", source=name) from exc
    except (OSError, ValueError, SyntaxError, EOFError, RuntimeError) as exc:  # AVIF's decoder raises RuntimeError
        raise ImageInputError(f"{name}: cannot decode image ({exc})", source=name) from exc


_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
"""ISO base media brands of HEIC/HEIF still images (``ftyp`` box): what iPhones save by default."""


APPLE_DOUBLE = b"\x00\x05\x16\x07"
"""The first bytes of an AppleDouble file (RFC 1740): the metadata a Mac writes as ``._name`` beside ``name`` on
shared drives and into zip files (``__MACOSX/``) — an image's extension, no image."""


def starts_with(path: Path, magic: bytes) -> bool:
    """Whether the file ``path`` begins with ``magic`` (a file that cannot be read does not)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(magic)) == magic
    except OSError:
        return False


def _unrecognised(data: bytes) -> str:
    """Why Pillow could not identify ``data``: HEIC/HEIF and a Mac's AppleDouble metadata said by name, else
    generic."""
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC/HEIF image (an iPhone's default photo format) is not supported: export it as JPEG or PNG"
    if data.startswith(APPLE_DOUBLE):
        return "a Mac's metadata file (AppleDouble, '._name'), not an image: the image is the file without '._'"
    return "not a recognised image format"


def load_image(source: ImageSource, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode ``source`` (path, bytes or PIL image) into an 8-bit RGB or RGBA image.

    Raises :class:`brandkit.ImageInputError` naming the source for anything
    that is not a readable image within the limits.
    """
    return _load(source, max_pixels, None, max_pixels)[0]


def load_image_reduced(
    source: ImageSource, to: int = REDUCED_PIXELS, within: int = MAX_SOURCE_PIXELS
) -> tuple[Image.Image, tuple[int, int] | None]:
    """:func:`load_image` for an image to be checked: one over :data:`MAX_PIXELS` but within ``within`` pixels (a
    camera's 24–61 MP master, a designer's large export) is read **reduced** to hold at most ``to`` pixels, its
    aspect ratio kept, instead of refused — a JPEG decoded at ½, ¼ or ⅛ scale by its own decoder (a fraction of the
    memory and time), what is left resampled with Lanczos. Returns the image and, when it was reduced, the size the
    file is shown at (after EXIF orientation; ``None``: read as it is). Past ``within``, or for anything else
    :func:`load_image` refuses, :class:`brandkit.ImageInputError`."""
    return _load(source, MAX_PIXELS, max(within, MAX_PIXELS), min(to, MAX_PIXELS))


def fitted_size(size: tuple[int, int], max_pixels: int) -> tuple[int, int]:
    """``size`` scaled down (aspect ratio kept, each side at least 1) to hold at most ``max_pixels`` pixels."""
    width, height = size
    if width * height <= max_pixels:
        return width, height
    scale = math.sqrt(max_pixels / (width * height))
    # a hair over the exact scale, so that 7168 x 7168 → 2880 x 2880 (not 2879 from the square root's rounding); the
    # loop below takes a pixel back wherever that goes over
    fitted = max(1, math.floor(width * scale + 1e-6)), max(1, math.floor(height * scale + 1e-6))
    while fitted[0] * fitted[1] > max_pixels:  # a 1-pixel side can leave the other one long
        fitted = max(1, fitted[0] - (fitted[0] >= fitted[1])), max(1, fitted[1] - (fitted[1] > fitted[0]))
    return fitted


_RESAMPLED_MODES = frozenset({"RGB", "RGBA", "L", "LA", "CMYK", "I", "F"})
"""Modes Pillow resamples as they are; the others (palette, 1-bit, 16-bit grey) become RGB or RGBA first."""


def _load(
    source: ImageSource, max_pixels: int, reduce_within: int | None, reduce_to: int
) -> tuple[Image.Image, tuple[int, int] | None]:
    """The decoded image and, when it was reduced (over ``max_pixels`` and within ``reduce_within`` pixels: to
    ``reduce_to``), the size it is shown at."""
    name = _describe(source)
    limit = reduce_within or max_pixels
    if isinstance(source, Image.Image):
        image, stored = source, source.size
        image.load()
    else:
        with _opened(source if isinstance(source, bytes) else read_bytes(source), name, limit) as opened:
            stored = opened.size
            opened.seek(0)
            if stored[0] * stored[1] > max_pixels:  # a JPEG decodes at the smallest scale still over the fit
                opened.draft(None, fitted_size(stored, reduce_to))
            opened.load()
            image = opened
    reduced = stored[0] * stored[1] > max_pixels
    if stored[0] * stored[1] > limit or (not reduced and image.width * image.height > max_pixels):
        # the header's size, or a decoded size other than the header said (an icon's largest entry)
        size = stored if reduced else image.size
        raise ImageInputError(f"{name}: {size[0]}x{size[1]} is over the pixel limit", source=name)
    if reduced:
        if image.mode not in _RESAMPLED_MODES or "transparency" in image.info:
            image = _normalize_mode(image)
        image = image.resize(fitted_size(stored, reduce_to), Image.Resampling.LANCZOS, reducing_gap=3.0)
    before = image.size
    with contextlib.suppress(Exception):
        if isinstance(source, Image.Image) and not reduced:  # the caller's image: leave it untouched
            image = ImageOps.exif_transpose(image) or image
        else:  # ours (or a reduced copy): turn it in place (a copy of every pixel otherwise)
            ImageOps.exif_transpose(image, in_place=True)
    shown = None
    if reduced:
        shown = (stored[1], stored[0]) if image.size != before else stored
    profile = image.info.get("icc_profile")
    try:
        if profile and image.mode in ("CMYK", "L"):  # their profile says what their values are, before any convert
            image, profile = in_srgb(image, profile), None  # converted, or a profile that does not fit: done
        image = _normalize_mode(image)
        return (in_srgb(image, profile) if profile and image.mode in ("RGB", "RGBA") else image), shown
    except (OSError, ValueError) as exc:
        raise ImageInputError(f"{name}: cannot convert image mode {image.mode!r} ({exc})", source=name) from exc


_PROFILE_SPACES = {"RGB": "RGB ", "RGBA": "RGB ", "L": "GRAY", "CMYK": "CMYK"}
"""The ICC colour space of each image mode a profile can be applied to."""


def in_srgb(image: Image.Image, profile: bytes) -> Image.Image:
    """``image`` with its pixels converted from its embedded ICC ``profile`` to sRGB (relative colorimetric, as
    browsers and viewers show it) — every check measures colours as sRGB, so the values of a Display P3 or Adobe
    RGB file (a designer's export, a phone photo, a Mac screenshot) are not read as if they were sRGB (ΔE2000 up
    to 6 on the example brands' colours). RGBA keeps its alpha; CMYK and grey become RGB.

    Unchanged — as a viewer shows it — when the profile is sRGB (its description says so: the conversion would be
    the identity), unreadable, or of another colour space than the image's mode."""
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        description = source.profile.profile_description or ""
        if "srgb" in description.lower() or source.profile.xcolor_space != _PROFILE_SPACES.get(image.mode):
            return image
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            image,
            source,
            ImageCms.createProfile("sRGB"),
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            outputMode=mode,
        )
    except (OSError, ImageCms.PyCMSError):  # a damaged profile: shown, and read, as if it were absent
        return image
    assert converted is not None  # profileToProfile returns the new image unless inPlace
    converted.info = {k: v for k, v in image.info.items() if k != "icc_profile"}
    return converted


def color_profile(data: bytes) -> str | None:
    """The description of the ICC profile embedded in ``data`` (``"Display P3"``; ``"unreadable"`` for a damaged
    one), read from the header; ``None`` without one (or for bytes that are not an image)."""
    from PIL import ImageCms

    try:
        with Image.open(io.BytesIO(data)) as image:
            profile = image.info.get("icc_profile")
    except Exception:  # not an image: the technical check's decodable sub-check says so
        return None
    if not profile:
        return None
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(profile)).profile.profile_description or "unnamed"
    except (OSError, ImageCms.PyCMSError):
        return "unreadable"


def verify_image(data: bytes, max_pixels: int = MAX_PIXELS) -> tuple[str, int, int]:
    """Check ``data`` without decoding its pixels: a recognised image within the pixel limit whose structure
    Pillow's ``verify`` accepts (PNG: every chunk's CRC). Returns ``(format, width, height)``.

    Cheaper than :func:`load_image` by the whole decode, and weaker: a damaged compressed stream inside
    intact chunks only shows when the pixels are decoded. Raises :class:`brandkit.ImageInputError`.
    """
    with _opened(data, _describe(data), max_pixels) as image:
        fmt, (width, height) = (image.format or "").lower(), image.size
        if orientation(image) in TURNED:  # the size it is shown at, as load_image returns it
            width, height = height, width
        image.verify()
    return fmt, width, height


def upright(data: bytes, name: str | None = None) -> bytes:
    """``data``, or — when its EXIF orientation turns it (a phone photo) — its pixels turned as it is shown,
    re-encoded in its own format (JPEG and WebP at quality 95; PNG lossless; its colour profile kept, the rest of
    its EXIF — orientation, camera, location — dropped). What a provider is sent, so the model and a mask drawn
    on the image as people see it agree with every check (they read it through :func:`load_image`)."""
    label = name or _describe(data)
    with _opened(data, label, MAX_PIXELS) as image:
        if orientation(image) == 1:
            return data
        fmt = (image.format or "PNG").upper()
        image.load()
        turned = ImageOps.exif_transpose(image)
        options: dict[str, object] = {"icc_profile": image.info.get("icc_profile")}
        if fmt in ("JPEG", "WEBP"):
            options["quality"] = 95
        else:
            fmt = "PNG"
        out = io.BytesIO()
        turned.save(out, fmt, **{k: v for k, v in options.items() if v is not None})
    return out.getvalue()


def detect_format(data: bytes) -> str | None:
    """``png``, ``jpeg``, ``webp`` (or another Pillow name, lower-case) from the bytes; ``None`` if unknown."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
    except Exception:
        return None
    return fmt.lower() if fmt else None


PNG_ZLIB_STRATEGY = zlib.Z_RLE
"""The zlib strategy of every PNG brandkit encodes (run-length matches after PNG's per-row filters): the same
pixels (PNG is lossless) ~4× faster than zlib's default strategy, in files 1–5 % larger — a 1024² photograph 283 →
62 ms of CPU for 1,045 → 1,057 kB, a composed ad 110 → 28 ms for 485 → 496 kB (docs/benchmarks.md). Every render of
the local renderer, every overlay and fix, and every conversation turn is one such encode."""


def encode_image(
    image: Image.Image,
    output_format: str = "png",
    compression: int | None = None,
    pnginfo: dict[str, str] | None = None,
) -> bytes:
    """Encode ``image`` as png/jpeg/webp bytes; ``pnginfo`` goes into text chunks (PNG) or XMP-less comment."""
    from PIL import PngImagePlugin

    buffer = io.BytesIO()
    fmt = output_format.lower()
    if fmt == "png":
        info = PngImagePlugin.PngInfo()
        for key, value in (pnginfo or {}).items():
            info.add_itxt(key, value)
        image.save(buffer, "PNG", pnginfo=info, optimize=False, compress_level=6, compress_type=PNG_ZLIB_STRATEGY)
    elif fmt in ("jpeg", "jpg"):
        quality = 95 if compression is None else max(1, min(100, 100 - compression))
        rgb = image.convert("RGB") if image.mode != "RGB" else image
        comment = (pnginfo or {}).get("brandkit", "")
        rgb.save(buffer, "JPEG", quality=quality, comment=comment.encode("utf-8"))
    elif fmt == "webp":
        quality = 95 if compression is None else max(1, min(100, 100 - compression))
        exif = Image.Exif()
        if pnginfo and "brandkit" in pnginfo:
            exif[0x010E] = pnginfo["brandkit"]  # ImageDescription
        image.save(buffer, "WEBP", quality=quality, lossless=compression is None, exif=exif)
    else:
        raise ValueError(f"unsupported output format {output_format!r}")
    return buffer.getvalue()


def read_provenance(data: bytes) -> str | None:
    """The ``brandkit`` provenance text embedded by :func:`encode_image`, or ``None`` (also for another program's
    JPEG comment or WebP image description: :func:`brandkit.provenance.is_record_text`)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = (image.format or "").upper()
            if fmt == "PNG":
                value = image.info.get("brandkit")
                return str(value) if value is not None else None
            if fmt == "JPEG":
                comment = image.info.get("comment")
                if isinstance(comment, bytes) and is_record_text(comment):
                    return comment.decode("utf-8")
                return None
            if fmt == "WEBP":
                desc = image.getexif().get(0x010E)
                return str(desc) if desc and is_record_text(str(desc).encode("utf-8")) else None
    except Exception:
        return None
    return None


def rgba_array(image: Image.Image) -> np.ndarray:
    """H×W×4 uint8 array (alpha 255 where the image has none)."""
    if image.mode == "RGBA":
        return np.asarray(image, dtype=np.uint8)
    return np.asarray(image.convert("RGBA"), dtype=np.uint8)


MIN_TRANSPARENT_SHARE = 0.01
"""Share of pixels with alpha < 255 that makes a transparent background (an ordered one, for the technical check;
a kept one, for an edit)."""


def may_be_transparent(data: bytes) -> bool:
    """Whether ``data``'s header allows transparent pixels (an alpha channel, or a palette or grey image with a
    transparent colour), read without decoding the pixels; ``True`` for bytes it cannot read (the decode says
    why). ``False`` spares a caller the decode :func:`transparent_share` needs — every JPEG, every opaque PNG."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    except Exception:
        return True


def transparent_share(image: Image.Image) -> float:
    """The share of ``image``'s pixels that are not fully opaque (0 without an alpha channel)."""
    if image.mode != "RGBA":
        return 0.0
    alpha = np.asarray(image.getchannel("A"), dtype=np.uint8)
    return float(np.count_nonzero(alpha < 255)) / max(1, alpha.size)
