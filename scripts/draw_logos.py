"""Draw the example brands' logo files (deterministic; re-run to regenerate).

    python scripts/draw_logos.py

Each brand gets three variants as RGBA PNGs: ``primary`` (full colour, for
light backgrounds), ``mono`` (one dark ink colour) and ``inverse`` (light, for
dark backgrounds). The marks are simple geometric shapes plus a wordmark in
the brand's own font, drawn large with transparent margins.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1] / "brand_specs"
SCALE = 4  # draw at 4x, then downsample for clean anti-aliasing


def _rgb(hex_color: str) -> tuple[int, int, int, int]:
    value = hex_color.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), 255)


def northwind(mark: str, word: str, accent: str) -> Image.Image:
    """A coffee bean in a ring, then the wordmark NORTHWIND."""
    w, h = 900 * SCALE, 200 * SCALE
    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    cx, cy, r = 100 * SCALE, 100 * SCALE, 80 * SCALE
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=_rgb(mark), width=14 * SCALE)
    bean = (cx - 40 * SCALE, cy - 56 * SCALE, cx + 40 * SCALE, cy + 56 * SCALE)
    draw.ellipse(bean, fill=_rgb(accent))
    draw.line(
        (cx - 10 * SCALE, cy - 50 * SCALE, cx + 12 * SCALE, cy, cx - 10 * SCALE, cy + 50 * SCALE),
        fill=_rgb(mark),
        width=9 * SCALE,
        joint="curve",
    )
    font = ImageFont.truetype(str(ROOT / "northwind/fonts/Lato-Black.ttf"), 92 * SCALE)
    draw.text((205 * SCALE, 100 * SCALE), "NORTHWIND", font=font, fill=_rgb(word), anchor="lm")
    return _finish(image)


def _finish(image: Image.Image) -> Image.Image:
    """Crop to the drawn content plus a small transparent margin, then downsample."""
    box = image.getbbox() or (0, 0, image.width, image.height)
    pad = 6 * SCALE
    box = (max(0, box[0] - pad), max(0, box[1] - pad), min(image.width, box[2] + pad), min(image.height, box[3] + pad))
    cropped = image.crop(box)
    return cropped.resize((cropped.width // SCALE, cropped.height // SCALE), Image.Resampling.LANCZOS)


def lumen(mark: str, word: str, accent: str) -> Image.Image:
    """A hexagon with a rising sun and rays, then the wordmark Lumen."""
    w, h = 900 * SCALE, 200 * SCALE
    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    cx, cy, r = 100 * SCALE, 100 * SCALE, 86 * SCALE
    draw.regular_polygon((cx, cy, r), n_sides=6, rotation=30, fill=_rgb(mark))
    draw.pieslice((cx - 44 * SCALE, cy - 24 * SCALE, cx + 44 * SCALE, cy + 64 * SCALE), 180, 360, fill=_rgb(accent))
    for i, (dx, dy) in enumerate(((-60, -30), (-32, -58), (0, -68), (32, -58), (60, -30))):
        thick = (7 if i % 2 else 10) * SCALE
        draw.line(
            (
                cx + dx * SCALE * 0.62,
                cy + dy * SCALE * 0.62 + 14 * SCALE,
                cx + dx * SCALE,
                cy + dy * SCALE + 14 * SCALE,
            ),
            fill=_rgb(accent),
            width=thick,
        )
    draw.rectangle((cx - 56 * SCALE, cy + 20 * SCALE, cx + 56 * SCALE, cy + 27 * SCALE), fill=_rgb(accent))
    font = ImageFont.truetype(str(ROOT / "lumen-health/fonts/SourceSansPro-Bold.ttf"), 112 * SCALE)
    draw.text((210 * SCALE, 96 * SCALE), "Lumen", font=font, fill=_rgb(word), anchor="lm")
    return _finish(image)


def ubuntu(mark: str, word: str, accent: str) -> Image.Image:
    """A placeholder for the third example brand (deliberately not Canonical's trademark): a rounded square
    holding a lower-case u, then the wordmark ubuntu in Lato."""
    w, h = 900 * SCALE, 200 * SCALE
    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    cx, cy, r = 100 * SCALE, 100 * SCALE, 84 * SCALE
    draw.rounded_rectangle((cx - r, cy - r, cx + r, cy + r), radius=34 * SCALE, fill=_rgb(mark))
    letter = ImageFont.truetype(str(ROOT / "ubuntu/fonts/Lato-Black.ttf"), 150 * SCALE)
    draw.text((cx, cy - 8 * SCALE), "u", font=letter, fill=_rgb(accent), anchor="mm")
    font = ImageFont.truetype(str(ROOT / "ubuntu/fonts/Lato-Bold.ttf"), 110 * SCALE)
    draw.text((210 * SCALE, 96 * SCALE), "ubuntu", font=font, fill=_rgb(word), anchor="lm")
    return _finish(image)


def main() -> None:
    """Write every variant of the three example brands."""
    out = ROOT / "northwind/logos"
    northwind("#4B2E2A", "#4B2E2A", "#E07A2E").save(out / "northwind-primary.png", optimize=True)
    northwind("#1E1B18", "#1E1B18", "#1E1B18").save(out / "northwind-mono.png", optimize=True)
    northwind("#F3E9DC", "#F3E9DC", "#E07A2E").save(out / "northwind-inverse.png", optimize=True)
    out = ROOT / "lumen-health/logos"
    lumen("#1F5AA6", "#1F5AA6", "#3CC5A0").save(out / "lumen-primary.png", optimize=True)
    lumen("#2C3E50", "#2C3E50", "#F5F8FC").save(out / "lumen-mono.png", optimize=True)
    lumen("#F5F8FC", "#F5F8FC", "#3CC5A0").save(out / "lumen-inverse.png", optimize=True)
    out = ROOT / "ubuntu/logos"
    out.mkdir(parents=True, exist_ok=True)
    ubuntu("#E95420", "#2C001E", "#FFFFFF").save(out / "ubuntu-primary.png", optimize=True)
    ubuntu("#111111", "#111111", "#FFFFFF").save(out / "ubuntu-mono.png", optimize=True)
    ubuntu("#E95420", "#FFFFFF", "#FFFFFF").save(out / "ubuntu-inverse.png", optimize=True)


if __name__ == "__main__":
    main()
