"""Compose stage: draw the exact copy and the real logo file onto an image.

Used three ways:

* ``text="overlay"`` / ``logo="overlay"``: the model was asked for imagery
  with clear space; the copy (brand font, fitted, contrast-aware colour) and
  the logo are drawn here, in the layout's safe zones;
* the ``fix`` action of the text, logo and contrast checks: the safe zone is
  repainted flat and the exact copy / logo drawn again;
* the local renderer, which draws whole assets with the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from brandkit.color import ciede2000, hex_to_rgb, srgb_to_lab
from brandkit.copy_fit import fit_copy
from brandkit.imageio import load_image
from brandkit.layout import (
    Box,
    FittedText,
    Layout,
    Placement,
    best_text_color,
    disclaimer_font_size,
    draw_text,
    logo_size,
    mean_color,
    plan_layout,
    resize_logo,
)
from brandkit.memo import memoized
from brandkit.models import ComposedCopy, CopyBlock
from brandkit.spec.models import BrandSpec, ColorRole, LogoVariant
from brandkit.wcag import tone_of

RGB = tuple[int, int, int]


@memoized("compose.logo_image", 32)
def _logo_image(path: str, mtime_ns: int) -> Image.Image:
    return load_image(path).convert("RGBA")


def logo_image(spec: BrandSpec, variant: LogoVariant) -> Image.Image:
    """The logo file of ``variant`` as RGBA (decoded once per file version)."""
    path = spec.asset_path(variant.file)
    return _logo_image(str(path), Path(path).stat().st_mtime_ns)


def background_color(spec: BrandSpec, tone: str) -> RGB:
    """The flat background colour the brand uses for a ``light`` or ``dark`` canvas
    (:meth:`~brandkit.spec.models.Palette.background_rgb`)."""
    return spec.palette.background_rgb("dark" if tone == "dark" else "light")


def choose_logo_variant(spec: BrandSpec, background: RGB, requested: str | None = None) -> LogoVariant | None:
    """The logo variant meant for ``background`` (named palette colour, light/dark, or any).

    A ``requested`` variant wins when it exists. Returns ``None`` when the spec has no logos.
    """
    if not spec.logos:
        return None
    if requested:
        return spec.logo(requested)
    return fitting_logo_variant(spec, background) or spec.logos[0]


def fitting_logo_variant(spec: BrandSpec, background: RGB) -> LogoVariant | None:
    """The first logo variant whose ``backgrounds`` name ``background`` (a palette colour's name first, then its
    tone, light or dark, or ``any``); ``None`` when no variant is meant for it."""
    tone = tone_of(background)
    named = {c.name.casefold() for c in spec.palette.colors if hex_to_rgb(c.hex) == background}
    for logo in spec.logos:  # an exact palette-colour match first
        if named & {b.casefold() for b in logo.backgrounds}:
            return logo
    for logo in spec.logos:
        if tone in logo.backgrounds or "any" in logo.backgrounds:
            return logo
    return None


def layout_for(
    spec: BrandSpec,
    width: int,
    height: int,
    copy: CopyBlock,
    variant: LogoVariant | None,
    placement: Placement | None = None,
) -> Layout:
    """Plan the layout of a ``width``×``height`` asset for this copy and logo variant."""
    logo_px = None
    chosen: Placement | None = None
    clear = 0.0
    if variant is not None:
        logo = logo_image(spec, variant)
        logo_px = logo_size(width, height, logo.width / logo.height, variant.min_width_px, variant.max_width_share)
        chosen = placement or variant.placements[0]
        clear = variant.clear_space
    return plan_layout(
        width,
        height,
        placement=chosen,
        logo_px=logo_px,
        clear_space=clear,
        disclaimer_lines=len(copy.disclaimers),
    )


def text_candidates(spec: BrandSpec) -> list[RGB]:
    """Colours copy may be set in, in order of preference."""
    out: list[RGB] = []
    for role in (ColorRole.text, ColorRole.primary, ColorRole.background, ColorRole.secondary):
        out.extend(hex_to_rgb(c.hex) for c in spec.palette.by_role(role))
    if spec.palette.allow_neutrals:
        out.extend([(255, 255, 255), (0, 0, 0)])
    return out


@dataclass
class Composition:
    """What was drawn where (for reports and tests)."""

    copy_boxes: dict[str, Box] = field(default_factory=dict)
    copy_colors: dict[str, RGB] = field(default_factory=dict)
    contrast: dict[str, float] = field(default_factory=dict)
    logo_box: Box | None = None
    logo_variant: str | None = None
    font_px: dict[str, int] = field(default_factory=dict)
    """Font size (px) each copy element was set in (same keys as ``copy_boxes``)."""

    def composed(self, layout: Layout) -> ComposedCopy:
        """What was set in ``layout``'s copy areas, for the checks (:class:`~brandkit.models.ComposedCopy`):
        the smallest font size in the copy box and in the disclaimer box, and the CTA's pill."""
        copy = [v for k, v in self.font_px.items() if not k.startswith("disclaimer[")]
        disclaimers = [v for k, v in self.font_px.items() if k.startswith("disclaimer[")]
        font_px: list[int | None] = [min(copy) if copy else None]
        if layout.disclaimer_box is not None:
            font_px.append(min(disclaimers) if disclaimers else None)
        cta = self.copy_boxes.get("cta")
        return ComposedCopy(font_px=font_px, cta_box=cta.as_tuple() if cta is not None else None)


def _paint(image: Image.Image, box: Box, color: RGB) -> None:
    ImageDraw.Draw(image).rectangle((box.x0, box.y0, box.x1 - 1, box.y1 - 1), fill=color)


def draw_copy(
    image: Image.Image,
    spec: BrandSpec,
    layout: Layout,
    copy: CopyBlock,
    *,
    repaint: RGB | None = None,
    composition: Composition | None = None,
) -> Composition:
    """Draw headline, subhead, CTA and disclaimers in the layout's copy and disclaimer boxes.

    With ``repaint`` the boxes are first filled flat with that colour (used to fix a wrongly
    rendered copy area). Text colours are chosen per box for the spec's minimum contrast.
    """
    comp = composition or Composition()
    typo = spec.typography
    box = layout.copy_box
    if repaint is not None:
        _paint(image, box, repaint)
        if layout.disclaimer_box is not None:
            _paint(image, layout.disclaimer_box, repaint)
    candidates = text_candidates(spec)
    fitted_copy = fit_copy(spec, layout, copy)
    gap = fitted_copy.gap
    y = box.y0
    for role, fitted in (("headline", fitted_copy.headline), ("subhead", fitted_copy.subhead)):
        if fitted is None:
            continue
        bg = mean_color(image, Box(x0=box.x0, y0=y, x1=box.x0 + fitted.width, y1=y + fitted.height))
        color, ratio = best_text_color(bg, candidates, typo.min_contrast)
        comp.copy_boxes[role] = draw_text(image, fitted, box.x0, y, color)
        comp.copy_colors[role], comp.contrast[role] = color, ratio
        comp.font_px[role] = fitted.size
        y += fitted.height + gap
    if fitted_copy.cta is not None:
        _draw_cta(image, spec, layout, fitted_copy.cta, y, fitted_copy.cta_size, comp)
    if layout.disclaimer_box is not None:
        dbox = layout.disclaimer_box
        line_h = round(disclaimer_font_size(layout.width, layout.height) * 1.35)
        for i, fitted in enumerate(fitted_copy.disclaimers):
            ly = dbox.y0 + i * line_h
            bg = mean_color(image, Box(x0=dbox.x0, y0=ly, x1=dbox.x0 + fitted.width, y1=ly + fitted.height))
            color, ratio = best_text_color(bg, candidates, typo.min_contrast)
            key = f"disclaimer[{i}]"
            comp.copy_boxes[key] = draw_text(image, fitted, dbox.x0, ly, color)
            comp.copy_colors[key], comp.contrast[key] = color, ratio
            comp.font_px[key] = fitted.size
    return comp


def _draw_cta(
    image: Image.Image, spec: BrandSpec, layout: Layout, fitted: FittedText, y: int, size: int, comp: Composition
) -> None:
    box = layout.copy_box
    accents = [hex_to_rgb(c.hex) for c in spec.palette.by_role(ColorRole.accent)] or [
        hex_to_rgb(spec.palette.colors[0].hex)
    ]
    typo = spec.typography
    pad_x, pad_y = round(size * 0.9), round(size * 0.55)
    pill_h = fitted.height + 2 * pad_y
    top = min(y, box.y1 - pill_h)
    # the first accent (then primary) colour on which some text colour reaches the minimum contrast — and that is
    # not the colour of the ground the pill sits on (within the palette's tolerance, the same colour by the spec's
    # own measure: an Off White pill on a white panel is no button); when every candidate is, the rule without it
    fills = accents + [hex_to_rgb(c.hex) for c in spec.palette.by_role(ColorRole.primary)]
    ground = np.median(
        np.asarray(image.crop((box.x0, top, box.x1, top + pill_h)).convert("RGB")).reshape(-1, 3), axis=0
    )
    distance = ciede2000(srgb_to_lab(np.asarray(fills, dtype=np.uint8)), srgb_to_lab(ground.astype(np.uint8))[None])
    visible = [fill for fill, d in zip(fills, distance, strict=True) if d > spec.palette.tolerance]
    scored = []
    for fill in visible or fills:
        color, ratio = best_text_color(fill, text_candidates(spec), typo.min_contrast)
        if ratio >= typo.min_contrast:
            scored = [(ratio, fill, color)]
            break
        scored.append((ratio, fill, color))
    ratio, pill, color = max(scored)
    pill_box = Box(x0=box.x0, y0=top, x1=box.x0 + fitted.width + 2 * pad_x, y1=top + pill_h)
    ImageDraw.Draw(image).rounded_rectangle(
        (pill_box.x0, pill_box.y0, pill_box.x1, pill_box.y1), radius=pill_h // 2, fill=pill
    )
    draw_text(image, fitted, pill_box.x0 + pad_x, pill_box.y0 + pad_y, color)
    comp.copy_boxes["cta"] = pill_box
    comp.copy_colors["cta"], comp.contrast["cta"] = color, ratio
    comp.font_px["cta"] = fitted.size


def draw_logo(
    image: Image.Image,
    spec: BrandSpec,
    layout: Layout,
    variant: LogoVariant,
    *,
    repaint: RGB | None = None,
    composition: Composition | None = None,
) -> Composition:
    """Paste the real logo file of ``variant`` into the layout's logo box (repainting its clear space first
    when ``repaint`` is given)."""
    comp = composition or Composition()
    if layout.logo_box is None:
        return comp
    if repaint is not None and layout.logo_clear_box is not None:
        _paint(image, layout.logo_clear_box, repaint)
    logo = resize_logo(logo_image(spec, variant), layout.logo_box.width)
    image.paste(logo, (layout.logo_box.x0, layout.logo_box.y0), logo)
    comp.logo_box = Box(
        x0=layout.logo_box.x0,
        y0=layout.logo_box.y0,
        x1=layout.logo_box.x0 + logo.width,
        y1=layout.logo_box.y0 + logo.height,
    )
    comp.logo_variant = variant.variant
    return comp


def zone_color(image: Image.Image, spec: BrandSpec, box: Box, for_logo: LogoVariant | None = None) -> RGB:
    """The brand colour closest to what is in ``box`` now: used to repaint a zone flat for a fix.

    With ``for_logo``, only colours that variant is meant to sit on (its ``backgrounds``: light/dark, a palette
    colour's name, any) are candidates, so the repainted clear space never hides the logo drawn on it.
    """
    current = mean_color(image, box)
    named = [(c.name.casefold(), hex_to_rgb(c.hex)) for c in spec.palette.colors]
    if spec.palette.allow_neutrals:
        named += [("white", (255, 255, 255)), ("black", (0, 0, 0))]
    options = [rgb for _, rgb in named]
    if for_logo is not None:
        wanted = {b.casefold() for b in for_logo.backgrounds}
        fitting = [rgb for name, rgb in named if "any" in wanted or name in wanted or tone_of(rgb) in wanted]
        options = fitting or options
    return min(options, key=lambda c: sum((a - b) ** 2 for a, b in zip(c, current, strict=True)))


def flattened(image: Image.Image, background_hex: str) -> Image.Image:
    """``image`` as RGB: one with an alpha channel composited onto ``background_hex`` (the colours under its
    transparent pixels are whatever its maker left there: never shown)."""
    if image.mode != "RGBA":
        return image.convert("RGB")
    canvas = Image.new("RGBA", image.size, background_hex)
    canvas.alpha_composite(image)
    return canvas.convert("RGB")


class TransparentCanvas:
    """Drawing brand copy and the logo onto an image with an alpha channel (a transparent background).

    The canvas is RGB — what the drawing functions take —, its fully transparent pixels painted the layout's
    background colour first (their colour is whatever the provider left there, and antialiased text blends into
    it); :meth:`result` makes every pixel the drawing changed opaque. Without this the copy and logo drawn into
    transparent areas kept alpha 0: invisible, and the text check could not find them.
    """

    def __init__(self, image: Image.Image, background_hex: str) -> None:
        self.alpha = np.asarray(image.getchannel("A"))
        rgb = np.array(image.convert("RGB"))
        rgb[self.alpha == 0] = hex_to_rgb(background_hex)
        self._before = rgb.copy()  # the canvas must not share it: what the drawing changed is told apart
        self.canvas = Image.fromarray(rgb, "RGB")

    def result(self) -> Image.Image:
        """The drawn canvas with its alpha: the image's own, opaque wherever copy, logo or a panel was drawn."""
        drawn = np.any(np.asarray(self.canvas) != self._before, axis=-1)
        out = self.canvas.convert("RGBA")
        out.putalpha(Image.fromarray(np.where(drawn, np.uint8(255), self.alpha).astype(np.uint8), "L"))
        return out
