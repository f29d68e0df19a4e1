"""Synthetic poster images shared by the colour tests and the palette benchmark."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

PALETTE: list[tuple[int, int, int]] = [
    (0x1A, 0x3C, 0x8E),
    (0xE6, 0x39, 0x46),
    (0xF4, 0xA2, 0x61),
    (0x2A, 0x9D, 0x8F),
    (0x26, 0x46, 0x53),
    (0xE9, 0xC4, 0x6A),
]


def make_poster(h: int, w: int, seed: int = 0, noise: float = 4.0) -> npt.NDArray[np.uint8]:
    """Synthetic AI-poster-like image: 6-colour flat areas, gradients, a smooth "photo",
    anti-aliased text and Gaussian noise (σ = ``noise``)."""
    rng = np.random.default_rng(seed)
    pal = np.array(PALETTE, dtype=np.float32)
    img = np.empty((h, w, 3), dtype=np.float32)
    img[:] = pal[0]
    img[: h // 3, : w // 2] = pal[1]
    img[: h // 3, w // 2 :] = pal[2]
    img[h // 3 : 2 * h // 3, : w // 3] = pal[3]
    t = np.linspace(0.0, 1.0, w - w // 3, dtype=np.float32)[None, :, None]
    img[h // 3 : h // 2, w // 3 :] = pal[4] * (1 - t) + pal[5] * t
    rows = 2 * h // 3 - h // 2
    t2 = np.linspace(0.0, 1.0, rows, dtype=np.float32)[:, None, None]
    img[h // 2 : 2 * h // 3, w // 3 : 2 * w // 3] = pal[1] * (1 - t2) + 255.0 * t2
    img[h // 2 : 2 * h // 3, 2 * w // 3 :] = pal[5]
    small = rng.uniform(20, 235, (6, 8, 3)).astype(np.uint8)
    photo = Image.fromarray(small).resize((w - w // 2, h - 2 * h // 3), Image.Resampling.BICUBIC)
    img[2 * h // 3 :, w // 2 :] = np.asarray(photo, dtype=np.float32)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    size = max(12, h // 14)
    font = ImageFont.load_default(size=size)
    lines = [("BRAND SALE -50%", (255, 255, 255)), ("Summer Collection", PALETTE[4]), ("shop now", (0, 0, 0))]
    for i, (text, colour) in enumerate(lines):
        draw.text((w // 20, h // 20 + i * int(size * 1.4)), text, fill=colour, font=font)
    draw.text((w // 2 + w // 20, 2 * h // 3 + h // 20), "Photo caption", fill=(255, 255, 255), font=font)
    out = np.asarray(im, dtype=np.float32) + rng.normal(0.0, noise, (h, w, 3)).astype(np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
