"""Layout and typesetting: safe zones, text fitting, logo sizing, drawing copy.

Pure geometry plus Pillow drawing, shared by the local renderer (which draws
whole assets) and the compose stage (which draws exact copy and the real
logo onto generated imagery). The same :func:`plan_layout` decides where
copy and logo go for every format, so the compiler can tell the model where
to leave clear space and the checks know where to look.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel, ConfigDict

from brandkit.geometry import PixelBox
from brandkit.glyphs import FontChain, FontCoverage, font_runs, variation_axes
from brandkit.linebreak import segments
from brandkit.memo import memoized
from brandkit.wcag import contrast_ratio


class Box(BaseModel):
    """An axis-aligned box in pixels: ``x0 <= x < x1``, ``y0 <= y < y1``."""

    model_config = ConfigDict(frozen=True)

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        """Width in pixels (0 when empty)."""
        return max(0, self.x1 - self.x0)

    @property
    def height(self) -> int:
        """Height in pixels (0 when empty)."""
        return max(0, self.y1 - self.y0)

    def expand(self, by: int) -> Box:
        """The box grown by ``by`` pixels on every side."""
        return Box(x0=self.x0 - by, y0=self.y0 - by, x1=self.x1 + by, y1=self.y1 + by)

    def clip(self, width: int, height: int) -> Box:
        """The box clipped to a ``width``×``height`` canvas."""
        return Box(x0=max(0, self.x0), y0=max(0, self.y0), x1=min(width, self.x1), y1=min(height, self.y1))

    def intersects(self, other: Box) -> bool:
        """True when the two boxes overlap."""
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def as_tuple(self) -> PixelBox:
        """(x0, y0, x1, y1)."""
        return (self.x0, self.y0, self.x1, self.y1)


Placement = Literal["top-left", "top-right", "bottom-left", "bottom-right", "top-center", "bottom-center", "center"]


class Layout(BaseModel):
    """Where everything goes on one canvas."""

    model_config = ConfigDict(frozen=True)

    width: int
    height: int
    margin: int
    copy_box: Box
    hero_box: Box | None
    logo_box: Box | None
    logo_clear_box: Box | None
    logo_placement: Placement | None
    disclaimer_box: Box | None
    orientation: Literal["wide", "tall"]

    def describe_copy_area(self) -> str:
        """The copy area in words, for prompts ("the left 55% of the image")."""
        if self.orientation == "wide":
            share = round(100 * self.copy_box.x1 / self.width)
            return f"the left {share}% of the image"
        share = round(100 * self.copy_box.y1 / self.height)
        return f"the top {share}% of the image"

    def describe_hero_area(self) -> str:
        """The imagery area in words."""
        if self.orientation == "wide":
            return "the right side of the image"
        return "the lower part of the image"

    def protected_boxes(self) -> list[Box]:
        """Boxes that must stay free of imagery (copy, logo clear space, disclaimer)."""
        boxes = [self.copy_box]
        if self.logo_clear_box is not None:
            boxes.append(self.logo_clear_box)
        if self.disclaimer_box is not None:
            boxes.append(self.disclaimer_box)
        return boxes


WORDMARK_ASPECT = 2.5
"""Width-to-height ratio from which a logo is sized by its width; a narrower one by area (:func:`logo_size`)."""


def logo_size(
    width: int, height: int, logo_aspect: float, min_width_px: int, max_width_share: float
) -> tuple[int, int]:
    """Rendered logo size for a canvas: a wordmark about a quarter of the short side's scale wide, within the spec's
    bounds. A logo narrower than :data:`WORDMARK_ASPECT` (a square mark, a stacked lockup) gets the area such a
    wordmark would have, not its width — a square mark a quarter of the image wide would eat the copy area."""
    target = round(0.24 * min(width, 1.6 * height) * min(1.0, math.sqrt(logo_aspect / WORDMARK_ASPECT)))
    lw = max(min_width_px, min(target, int(max_width_share * width)))
    lw = max(lw, min_width_px)
    return lw, max(1, round(lw / logo_aspect))


def disclaimer_font_size(width: int, height: int) -> int:
    """Font size for legal lines: small but reliably legible (≥ 18 px)."""
    return max(18, round(0.021 * min(width, 1.4 * height)))


def plan_layout(
    width: int,
    height: int,
    *,
    placement: Placement | None,
    logo_px: tuple[int, int] | None,
    clear_space: float,
    disclaimer_lines: int,
) -> Layout:
    """Plan copy area, hero area, logo and disclaimer boxes for a ``width``×``height`` canvas."""
    margin = round(0.055 * min(width, height))
    gap = round(0.02 * min(width, height))
    wide = width / height >= 1.3
    bottom = height - margin
    disclaimer_box = None
    if disclaimer_lines:
        size = disclaimer_font_size(width, height)
        dh = round(size * 1.35 * disclaimer_lines) + 4
        disclaimer_box = Box(x0=margin, y0=bottom - dh, x1=width - margin, y1=bottom)
        bottom = disclaimer_box.y0 - gap
    if wide:
        copy_box = Box(x0=margin, y0=margin, x1=round(0.56 * width), y1=bottom)
        hero: Box | None = Box(x0=round(0.6 * width), y0=margin, x1=width - margin, y1=bottom)
    else:
        copy_box = Box(x0=margin, y0=margin, x1=width - margin, y1=round(0.5 * height))
        hero = Box(x0=margin, y0=round(0.54 * height), x1=width - margin, y1=bottom)

    logo_box = clear_box = None
    if placement is not None and logo_px is not None:
        lw, lh = logo_px
        cs = round(clear_space * lh)
        x = {
            "left": margin,
            "right": width - margin - lw,
            "center": (width - lw) // 2,
        }[placement.split("-")[-1] if "-" in placement else "center"]
        if placement.startswith("top"):
            y = margin
        elif placement.startswith("bottom"):
            y = (disclaimer_box.y0 - gap if disclaimer_box else height - margin) - lh
        else:
            y = (height - lh) // 2
        logo_box = Box(x0=x, y0=y, x1=x + lw, y1=y + lh)
        clear_box = logo_box.expand(cs).clip(width, height)
        copy_box = _cut(copy_box, clear_box, gap)
        hero = _cut(hero, clear_box, gap) if hero is not None else None
    return Layout(
        width=width,
        height=height,
        margin=margin,
        copy_box=copy_box,
        hero_box=hero,
        logo_box=logo_box,
        logo_clear_box=clear_box,
        logo_placement=placement,
        disclaimer_box=disclaimer_box,
        orientation="wide" if wide else "tall",
    )


def _cut(box: Box, obstacle: Box, gap: int) -> Box:
    """Shrink ``box`` vertically so it no longer overlaps ``obstacle`` (keeps the larger part)."""
    if not box.intersects(obstacle):
        return box
    above = Box(x0=box.x0, y0=box.y0, x1=box.x1, y1=obstacle.y0 - gap)
    below = Box(x0=box.x0, y0=obstacle.y1 + gap, x1=box.x1, y1=box.y1)
    return above if above.height >= below.height else below


@memoized("layout.font", 64)
def _font(path: str, size: int, weight: int | None) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(path, size)
    axes = variation_axes(path) if weight is not None else ()
    if weight is not None and any(tag == "wght" for tag, *_ in axes):
        font.set_variation_by_axes(
            [min(hi, max(lo, weight)) if tag == "wght" else default for tag, lo, default, hi in axes]
        )
    return font


def load_font(path: Path | str, size: int, weight: int | None = None) -> ImageFont.FreeTypeFont:
    """A FreeType font at ``size`` px (cached per path, size and weight; fonts are immutable). ``weight`` (a CSS
    weight) sets a variable font's ``wght`` axis, clamped to its range; None, or a static font: as the file is."""
    return _font(str(path), int(size), weight)


@dataclass(frozen=True)
class FittedText:
    """Copy wrapped into lines at the largest size that fits a box.

    ``chain`` holds the main font and its fallbacks: each line is drawn as runs of one font each
    (:func:`brandkit.glyphs.font_runs`), so characters the main font lacks use the fallback for their script.
    """

    lines: tuple[str, ...]
    font_path: str
    size: int
    line_height: int
    width: int
    height: int
    chain: FontChain | None = None
    ascent: int | None = None

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        """The main font at the fitted size (and the chain's weight)."""
        return load_font(self.font_path, self.size, self.chain.primary.weight if self.chain else None)

    def runs(self, line: str) -> list[tuple[str, ImageFont.FreeTypeFont]]:
        """``line`` as (text, font at the fitted size) runs, main font where no font of the chain has a glyph."""
        return _runs(line, self.chain or FontChain.of(self.font_path), self.size)

    def line_length(self, line: str) -> int:
        """Advance width of ``line`` in pixels, run by run."""
        return round(sum(font.getlength(text) for text, font in self.runs(line)))


def _runs(line: str, chain: FontChain, size: int) -> list[tuple[str, ImageFont.FreeTypeFont]]:
    return [(run.text, _load(run.font or chain.primary, size)) for run in font_runs(line, chain)]


def _load(face: FontCoverage, size: int) -> ImageFont.FreeTypeFont:
    return load_font(face.path, size, face.weight)


@memoized("layout.length", 8192)
def _length(line: str, chain: FontChain, size: int) -> float:
    """Advance width of ``line`` at ``size`` (memoized: fitting measures the same lines at the same sizes again)."""
    return sum(font.getlength(text) for text, font in _runs(line, chain, size))


def _wrap(pieces: Sequence[tuple[str, bool]], chain: FontChain, size: int, max_width: int) -> list[str] | None:
    """Greedy wrap of a text's ``pieces`` — its break opportunities, :func:`brandkit.linebreak.segments` (spaces,
    and between CJK characters with the kinsoku rules) —; ``None`` when one unbreakable piece is wider than the box."""
    lines: list[str] = []
    current = ""
    for piece, spaced in pieces:
        candidate = f"{current} {piece}" if current and spaced else current + piece
        if _length(candidate, chain, size) <= max_width:
            current = candidate
            continue
        if not current:
            return None  # a single piece wider than the box
        lines.append(current)
        current = piece
        if _length(current, chain, size) > max_width:
            return None
    if current:
        lines.append(current)
    return lines


def _metrics(text: str, chain: FontChain, size: int) -> tuple[int, int]:
    """Largest ascent and descent among the fonts that draw ``text`` (a fallback may be taller)."""
    fonts = {run.font or chain.primary for run in font_runs(text, chain)} | {chain.primary}
    metrics = [_load(face, size).getmetrics() for face in sorted(fonts, key=lambda face: face.path)]
    return max(m[0] for m in metrics), max(m[1] for m in metrics)


def fit_text(
    text: str,
    font_path: Path | str,
    max_width: int,
    max_height: int,
    *,
    max_lines: int,
    max_size: int,
    min_size: int = 12,
    line_spacing: float = 1.12,
    chain: FontChain | None = None,
) -> FittedText | None:
    """Largest size (≤ ``max_size``) at which ``text`` wraps into ≤ ``max_lines`` lines inside the box.

    ``text`` is set in NFC; ``chain`` (default: ``font_path`` alone) gives the fallback fonts used per run.
    Returns ``None`` when even ``min_size`` does not fit.
    """
    text = unicodedata.normalize("NFC", text)
    chain = chain or FontChain.of(font_path)
    lo, hi = min_size, max(min_size, max_size)
    best: FittedText | None = None
    pieces = list(segments(text))  # the break opportunities do not depend on the size
    while lo <= hi:
        size = (lo + hi) // 2
        lines = _wrap(pieces, chain, size, max_width)
        ascent, descent = _metrics(text, chain, size)
        line_height = round((ascent + descent) * line_spacing)
        ok = lines is not None and len(lines) <= max_lines and line_height * len(lines) <= max_height
        if ok and lines is not None:
            width = max(round(_length(line, chain, size)) for line in lines)
            best = FittedText(
                tuple(lines), str(font_path), size, line_height, width, line_height * len(lines), chain, ascent
            )
            lo = size + 1
        else:
            hi = size - 1
    return best


def draw_text(
    image: Image.Image,
    fitted: FittedText,
    x: int,
    y: int,
    fill: tuple[int, int, int],
    align: Literal["left", "center"] = "left",
    box_width: int | None = None,
) -> Box:
    """Draw fitted lines with their top-left at (x, y), run by run on a shared baseline; returns the box covered."""
    draw = ImageDraw.Draw(image)
    ascent = fitted.ascent if fitted.ascent is not None else fitted.font.getmetrics()[0]
    top = y
    x_min, x_max = 10**9, -(10**9)
    for i, line in enumerate(fitted.lines):
        runs = fitted.runs(line)
        line_w = round(sum(font.getlength(text) for text, font in runs))
        lx = x + ((box_width or fitted.width) - line_w) // 2 if align == "center" else x
        baseline = y + i * fitted.line_height + ascent
        pen = float(lx)
        for text, font in runs:
            draw.text((pen, baseline), text, font=font, fill=fill, anchor="ls")
            pen += font.getlength(text)
        x_min, x_max = min(x_min, lx), max(x_max, lx + line_w)
    return Box(x0=x_min, y0=top, x1=x_max, y1=top + fitted.height)


def best_text_color(
    background: tuple[int, int, int], candidates: Sequence[tuple[int, int, int]], minimum: float
) -> tuple[tuple[int, int, int], float]:
    """The candidate with the highest WCAG contrast against ``background`` (first one reaching ``minimum`` wins
    among equals, in candidate order), and its ratio."""
    scored = [(contrast_ratio(c, background), i, c) for i, c in enumerate(candidates)]
    passing = [s for s in scored if s[0] >= minimum]
    ratio, _, color = passing[0] if passing else max(scored)
    return color, ratio


def apply_case(text: str, rule: str) -> str:
    """Apply a typography casing rule (``as-written``, ``upper``, ``title``, ``sentence``)."""
    if rule == "upper":
        return text.upper()
    if rule == "title":
        return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))
    if rule == "sentence":
        return text[:1].upper() + text[1:]
    return text


def resize_logo(logo: Image.Image, width: int) -> Image.Image:
    """The logo (RGBA) scaled to ``width`` px, aspect kept."""
    height = max(1, round(logo.height * width / logo.width))
    return logo.convert("RGBA").resize((width, height), Image.Resampling.LANCZOS)


def mean_color(image: Image.Image, box: Box) -> tuple[int, int, int]:
    """Mean RGB colour of ``image`` inside ``box``."""
    region = image.convert("RGB").crop(box.clip(image.width, image.height).as_tuple())
    small = region.resize((1, 1), Image.Resampling.BOX)
    pixel = small.getpixel((0, 0))
    assert isinstance(pixel, tuple)
    return int(pixel[0]), int(pixel[1]), int(pixel[2])
