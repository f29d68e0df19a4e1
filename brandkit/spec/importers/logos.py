"""Logo files of imported brands → the raster brandkit draws and sends, keeping an SVG as the source.

SVGs are rasterised with resvg (``resvg-py``, a maintained Rust renderer; no system library needed) at the
width the spec's formats need: the largest format's width times the logo's ``max_width_share``, and at least
twice ``min_width_px``. Raster logos are re-encoded as PNG only when their colour mode is not one the image
API takes (a palette or greyscale PNG becomes RGBA)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from brandkit.errors import ImageInputError, SpecError
from brandkit.imageio import load_image

RASTER_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")
MAX_LOGO_SOURCE_BYTES = 10 * 1024 * 1024


class LogoImportError(SpecError):
    """A logo file of the imported brand cannot be read or rasterised; the message names it."""


@dataclass(frozen=True)
class LogoFiles:
    """The raster (file name, bytes) and, for an SVG logo, the SVG (file name, bytes) kept as the source."""

    raster_name: str
    raster: bytes
    width: int
    height: int
    source_name: str | None = None
    source: bytes | None = None
    note: str = ""


def raster_width(max_format_width: int, max_width_share: float, min_width_px: int) -> int:
    """Width a logo must be rasterised at to be drawn without enlargement in every format."""
    return max(2 * min_width_px, math.ceil(max_format_width * max_width_share))


def rasterize_svg(data: bytes, width: int, name: str) -> bytes:
    """PNG bytes (RGBA) of the SVG ``data`` rendered ``width`` pixels wide."""
    import resvg_py

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LogoImportError(f"logo {name!r}: the SVG is not UTF-8 text") from None
    try:
        png = resvg_py.svg_to_bytes(svg_string=text, width=width)
    except Exception as exc:
        raise LogoImportError(f"logo {name!r}: resvg cannot render the SVG ({exc})") from None
    return bytes(png)


def logo_files(path: Path, stem: str, width: int) -> LogoFiles:
    """Read the logo at ``path`` and produce the files the spec folder gets, named ``logos/<stem>.*``."""
    try:
        size = path.stat().st_size
        if size > MAX_LOGO_SOURCE_BYTES:
            raise LogoImportError(f"logo {str(path)!r} is {size:,} bytes (limit {MAX_LOGO_SOURCE_BYTES:,})")
        data = path.read_bytes()
    except OSError as exc:
        raise LogoImportError(f"logo {str(path)!r}: cannot read it ({exc.strerror or exc})") from None
    suffix = path.suffix.lower()
    if suffix in (".svg", ".svgz") or b"<svg" in data[:4096]:
        png = rasterize_svg(data, width, str(path))
        with Image.open(io.BytesIO(png)) as image:
            w, h = image.size
        return LogoFiles(
            f"logos/{stem}.png", png, w, h, f"logos/{stem}.svg", data,
            f"SVG rasterised by resvg at {w}x{h} px (the width the formats need); the SVG is kept as logos/{stem}.svg",
        )  # fmt: skip
    if suffix not in RASTER_SUFFIXES:
        raise LogoImportError(f"logo {str(path)!r}: {suffix or 'no suffix'} is neither SVG, PNG, WebP nor JPEG")
    try:
        decoded = load_image(data)
        with Image.open(io.BytesIO(data)) as header:
            mode = header.mode
    except ImageInputError as exc:
        raise LogoImportError(f"logo {str(path)!r}: {exc.message}") from None
    if mode in ("RGB", "RGBA"):
        return LogoFiles(f"logos/{stem}{suffix}", data, decoded.width, decoded.height)
    buffer = io.BytesIO()
    decoded.convert("RGBA").save(buffer, format="PNG")
    return LogoFiles(
        f"logos/{stem}.png", buffer.getvalue(), decoded.width, decoded.height,
        note=f"{mode} {suffix} re-encoded as an RGBA PNG (a colour mode the image API takes)",
    )  # fmt: skip
