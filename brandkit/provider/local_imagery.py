"""The local renderer's geometric imagery: its 'product scene' when the brand has no photo library.

:func:`draw_imagery` fills the layout's hero box with flat shapes in the palette's colours (a disc, a rounded
product, dots, a band), deterministic for a seed; :func:`neutral_share` measures an image as the palette check's
neutral rule does, which the renderer uses to decide when the scene goes on a card of the brand colour. The
photographic hero is :mod:`brandkit.provider.photo_library`'s.
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw

from brandkit.color import hex_to_rgb, srgb_to_lab
from brandkit.layout import Box
from brandkit.spec.models import BrandSpec, ColorRole
from brandkit.spec.palette import chromatic_colors

RGB = tuple[int, int, int]


def draw_imagery(image: Image.Image, spec: BrandSpec, box: Box, bg: RGB, seed: int, *, card: bool = False) -> None:
    """Flat geometric 'product scene' in palette colours inside ``box`` (deterministic for ``seed``).

    With ``card``, the same shapes on a card of the brand colour filling ``box``, the disc in the page's colour
    and the product in the brand colour on it — as a model told to bring in the brand colour would. The local
    renderer asks for it when the image would be over the palette check's neutral limit (:func:`neutral_share`):
    a palette of one brand colour among neutrals — a UI theme's white, greys and one blue — makes a scene that
    is mostly the neutral page."""
    colors = [
        hex_to_rgb(c.hex)
        for c in spec.palette.colors
        if c.role in (ColorRole.primary, ColorRole.secondary, ColorRole.accent) and hex_to_rgb(c.hex) != bg
    ]
    if not colors:
        return
    primary = [hex_to_rgb(c.hex) for c in spec.palette.by_role(ColorRole.primary) if hex_to_rgb(c.hex) != bg]
    vivid = [rgb for c in chromatic_colors(spec.palette) if (rgb := hex_to_rgb(c.hex)) in colors]
    rng = random.Random(seed)
    rng.shuffle(colors)
    # the brand's primary colour fills the large disc, so it is always present — unless it is neutral (black, a
    # grey) and the brand has a colour: that colour fills the disc and the band, the primary the product, else
    # an image on a white or grey ground is mostly neutral and fails the palette check's neutral limit
    grey_primary = bool(primary and vivid and primary[0] not in vivid)
    lead = [vivid[0], primary[0]] if grey_primary else primary[:1]
    for rgb in reversed(lead):
        colors.remove(rgb)
        colors.insert(0, rgb)
    draw = ImageDraw.Draw(image)
    if not (card and vivid):
        _scene(draw, box, rng, colors, vivid[-1] if grey_primary else colors[-1])
        return
    # the card in the first brand colour that is not near-black (a dark card is a dark photograph to the check)
    lightness = srgb_to_lab(np.array(vivid, dtype=np.uint8))[:, 0]
    dark_l = spec.palette.photo.dark_lightness
    fill = next((rgb for rgb, lum in zip(vivid, lightness, strict=True) if lum >= dark_l), vivid[0])
    radius = max(4, min(box.width, box.height) // 16)
    draw.rounded_rectangle((box.x0, box.y0, box.x1 - 1, box.y1 - 1), radius=radius, fill=fill)
    _scene(draw, box, rng, [bg, fill, *(rgb for rgb in colors if rgb != fill)], fill)


def neutral_share(image: Image.Image, chroma: float) -> float:
    """The share of ``image``'s pixels whose chroma C*ab is at most ``chroma``: the palette check's neutral pixels
    (its distinct colours counted: the renderer's flat drawing has few)."""
    rgb = image.convert("RGB")
    counted = rgb.getcolors(rgb.width * rgb.height)
    if not counted:
        return 0.0
    counts = np.array([n for n, _ in counted], dtype=np.float64)
    lab = srgb_to_lab(np.array([c for _, c in counted], dtype=np.uint8).reshape(-1, 3))
    neutral = np.hypot(lab[:, 1], lab[:, 2]) <= chroma
    return float(counts[neutral].sum() / counts.sum())


def _scene(draw: ImageDraw.ImageDraw, box: Box, rng: random.Random, colors: list[RGB], band: RGB) -> None:
    """The imagery's shapes inside ``box``: a large disc in ``colors[0]``, a rounded 'product' (body and lid in the
    next colours), a few dots and a ``band`` along the bottom edge."""
    w, h = box.width, box.height
    cx, cy = box.x0 + w // 2, box.y0 + h // 2
    r = int(min(w, h) * rng.uniform(0.36, 0.46))
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colors[0])
    # a "product": rounded body + lid, offset from the circle's centre
    pw, ph = int(r * rng.uniform(0.7, 0.9)), int(r * rng.uniform(0.9, 1.2))
    px = cx - pw // 2 + int(r * rng.uniform(-0.25, 0.25))
    py = cy - ph // 2 + int(r * 0.15)
    body = colors[1 % len(colors)]
    draw.rounded_rectangle((px, py, px + pw, py + ph), radius=max(4, pw // 6), fill=body)
    lid = colors[2 % len(colors)]
    draw.rounded_rectangle(
        (px - pw // 12, py - ph // 8, px + pw + pw // 12, py + ph // 40), radius=max(3, pw // 14), fill=lid
    )
    # accents: a few dots and a band, clipped to the hero box
    for _ in range(rng.randint(2, 4)):
        dr = int(min(w, h) * rng.uniform(0.03, 0.07))
        dx = rng.randint(box.x0 + dr, max(box.x0 + dr, box.x1 - dr))
        dy = rng.randint(box.y0 + dr, max(box.y0 + dr, box.y1 - dr))
        draw.ellipse((dx - dr, dy - dr, dx + dr, dy + dr), fill=colors[rng.randrange(len(colors))])
    band_y = box.y1 - max(6, h // 14)
    draw.rectangle((box.x0, band_y, box.x1 - 1, box.y1 - 1), fill=band)
