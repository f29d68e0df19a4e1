"""Logo files of imported brands → the raster brandkit draws and sends, keeping an SVG as the source.

SVGs are rasterised with resvg (``resvg-py``, a maintained Rust renderer; no system library needed) at the
width the spec's formats need: the largest format's width times the logo's ``max_width_share``, and at least
twice ``min_width_px``. Raster logos are re-encoded as PNG only when their colour mode is not one the image
API takes (a palette or greyscale PNG becomes RGBA)."""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image

from brandkit.errors import ImageInputError, SpecError
from brandkit.imageio import load_image
from brandkit.spec.assets import ink_ground

RASTER_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")
MAX_LOGO_SOURCE_BYTES = 10 * 1024 * 1024
_SVG_TEXT = re.compile(r"<(?:svg:)?(?:text|tspan|textPath)\b")


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


CSS_DPI = 96.0
"""Pixels per inch of an SVG's physical units (``width="3in"``, ``"79.4mm"``, ``"225pt"``): CSS's reference pixel."""


def raster_width(max_format_width: int, max_width_share: float, min_width_px: int) -> int:
    """Width a logo must be rasterised at to be drawn without enlargement in every format."""
    return max(2 * min_width_px, math.ceil(max_format_width * max_width_share))


def rasterize_svg(data: bytes, width: int, name: str) -> bytes:
    """PNG bytes (RGBA) of the SVG ``data`` rendered ``width`` pixels wide (text, if any, in :func:`svg_fonts`)."""
    return _rasterize(data, width, name)[0]


def svg_fonts() -> dict[str, str]:
    """The families this machine's fontconfig gives the generic names (``sans-serif``, ``serif``, ``monospace``),
    as resvg's defaults: resvg's own (Times New Roman, Arial…) are rarely installed on Linux, and text whose font
    is missing is silently left out of the picture. Empty without ``fc-match``."""
    fc_match = shutil.which("fc-match")
    families: dict[str, str] = {}
    if not fc_match:
        return families
    for generic, key in (
        ("sans-serif", "sans_serif_family"),
        ("serif", "serif_family"),
        ("monospace", "monospace_family"),
    ):
        try:
            out = subprocess.run(
                [fc_match, "--format", "%{family[0]}", generic], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode == 0 and out.stdout.strip():
            families[key] = out.stdout.strip()
    return families


def _rasterize(data: bytes, width: int, name: str) -> tuple[bytes, str]:
    """The PNG and a note on the fonts its text was set in (empty when the SVG has no text elements)."""
    import resvg_py

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LogoImportError(f"logo {name!r}: the SVG is not UTF-8 text") from None
    fonts: dict[str, str] = {}
    note = ""
    if _SVG_TEXT.search(text):
        fonts = svg_fonts()
        named = ", ".join(f"{k.removesuffix('_family').replace('_', '-')} → {v}" for k, v in fonts.items())
        note = (
            f"; its text is set in fonts, not outlines: drawn with this machine's fonts ({named or 'none found'}), "
            "which may differ from the brand's — outline the text in the logo for an exact mark"
        )
    try:
        png = resvg_py.svg_to_bytes(
            svg_string=text,
            width=width,
            dpi=CSS_DPI,  # the default 0 makes a size in in/mm/cm/pt (Illustrator's, Inkscape's) an "invalid size"
            font_family=fonts.get("sans_serif_family"),  # text without a family, or with one not installed
            sans_serif_family=fonts.get("sans_serif_family"),
            serif_family=fonts.get("serif_family"),
            monospace_family=fonts.get("monospace_family"),
        )
    except Exception as exc:
        raise LogoImportError(f"logo {name!r}: resvg cannot render the SVG ({exc})") from None
    return bytes(png), note


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
        png, fonts_note = _rasterize(data, width, str(path))
        with Image.open(io.BytesIO(png)) as image:
            w, h = image.size
        return LogoFiles(
            f"logos/{stem}.png", png, w, h, f"logos/{stem}.svg", data,
            f"SVG rasterised by resvg at {w}x{h} px (the width the formats need); the SVG is kept as "
            f"logos/{stem}.svg{fonts_note}",
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


def ink_tone(path: Path) -> Literal["light", "dark"] | None:
    """The background the logo file at ``path`` is made for, from its ink (:func:`brandkit.spec.assets.ink_ground`;
    an SVG rasterised first); ``None`` when its pixels cannot say, or it cannot be read (the import's reading of it
    then says why)."""
    try:
        if path.stat().st_size > MAX_LOGO_SOURCE_BYTES:
            return None
        data = path.read_bytes()
        if path.suffix.lower() in (".svg", ".svgz") or b"<svg" in data[:4096]:
            data = _rasterize(data, 256, str(path))[0]
        return ink_ground(load_image(data))
    except (OSError, SpecError, ImageInputError):
        return None
