"""TechnicalCheck: dimensions, format, colour mode, transparency, file size, decodability."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from brandkit.checks.base import CheckResources
from brandkit.checks.technical import TechnicalCheck, encoded_color_mode
from brandkit.imageio import load_image
from brandkit.models import CheckStatus
from brandkit.spec.models import BrandSpec
from tests.checks_support import Poster, Text, context, encode, make_spec

ORDER = {"width": 1024, "height": 1024, "output_format": "png", "transparent": False}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> BrandSpec:
    return make_spec(tmp_path_factory.mktemp("technical"))


@pytest.fixture(scope="module")
def poster() -> Image.Image:
    return Poster(texts=[Text("Fresh Roast Friday", (64, 300), 72)]).render()


def run(spec: BrandSpec, image: Image.Image, data: bytes | None = None, **order: object):
    if data is not None:
        image = load_image(data)
    ctx = context(spec, image, CheckResources(), data=data, **{**ORDER, **order})
    return TechnicalCheck().run(ctx)


def test_correct_png_passes(spec: BrandSpec, poster: Image.Image) -> None:
    res = run(spec, poster, encode(poster, "png"), max_file_bytes=5_000_000)
    assert res.status is CheckStatus.passed, res.details
    assert res.score == 1.0
    checks = res.details["checks"]
    names = ("decodable", "dimensions", "format", "color_mode", "transparency", "frames")
    assert all(checks[name]["ok"] for name in names)
    assert checks["file_size"]["ok"] is True
    assert res.hint is None


def test_wrong_size_fails(spec: BrandSpec, poster: Image.Image) -> None:
    small = poster.resize((1024, 768))
    res = run(spec, small, encode(small))
    assert res.status is CheckStatus.failed
    assert res.details["failed"] == ["dimensions"]
    assert "1024x1024" in (res.hint or "") and "1024x768" in (res.hint or "")


def test_jpeg_bytes_where_png_ordered_fails(spec: BrandSpec, poster: Image.Image) -> None:
    data = encode(poster, "jpeg", quality=90)
    res = run(spec, poster, data)
    assert res.status is CheckStatus.failed
    assert res.details["checks"]["format"] == {"ok": False, "expected": "png", "actual": "jpeg"}
    assert "PNG" in (res.hint or "")


def test_jpg_alias_and_jpeg_pass(spec: BrandSpec, poster: Image.Image) -> None:
    data = encode(poster, "jpeg", quality=90)
    assert run(spec, poster, data, output_format="jpg").status is CheckStatus.passed
    assert run(spec, poster, data, output_format="jpeg").status is CheckStatus.passed


def test_unexpected_transparency_fails(spec: BrandSpec, poster: Image.Image) -> None:
    rgba = poster.convert("RGBA")
    alpha = np.full((1024, 1024), 255, dtype=np.uint8)
    alpha[:200, :200] = 0
    rgba.putalpha(Image.fromarray(alpha))
    res = run(spec, rgba, encode(rgba))
    assert res.status is CheckStatus.failed
    assert res.details["failed"] == ["transparency"]
    assert res.details["checks"]["transparency"]["actual"]["transparent_share"] == pytest.approx(0.038, abs=0.001)
    assert "opaque" in (res.hint or "")


def test_opaque_rgba_counts_as_opaque(spec: BrandSpec, poster: Image.Image) -> None:
    rgba = poster.convert("RGBA")  # alpha channel, but every pixel is 255
    assert run(spec, rgba, encode(rgba)).status is CheckStatus.passed


def test_transparent_ordered(spec: BrandSpec, poster: Image.Image) -> None:
    opaque = run(spec, poster, encode(poster), transparent=True)
    assert opaque.status is CheckStatus.failed
    assert "transparent" in (opaque.hint or "")
    cutout = Image.new("RGBA", (1024, 1024), (0, 0, 0, 0))
    cutout.paste(poster.crop((0, 0, 600, 600)), (200, 200))
    assert run(spec, cutout, encode(cutout), transparent=True).status is CheckStatus.passed


def test_file_size_limit(spec: BrandSpec) -> None:
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (1024, 1024, 3), dtype=np.uint8))
    data = encode(noise)
    res = run(spec, noise, data, max_file_bytes=len(data) - 1)
    assert res.status is CheckStatus.failed
    assert res.details["failed"] == ["file_size"]
    assert f"{len(data) - 1:,}" in (res.hint or "")


def test_truncated_file_fails_as_undecodable(spec: BrandSpec, poster: Image.Image) -> None:
    data = encode(poster)
    res = TechnicalCheck().run(context(spec, poster, CheckResources(), data=data[: len(data) // 2], **ORDER))
    assert res.status is CheckStatus.failed
    assert res.details["checks"]["decodable"]["ok"] is False
    assert "decodable" in (res.hint or "")


def test_palette_and_16_bit_pngs_fail_colour_mode(spec: BrandSpec, poster: Image.Image, tmp_path: Path) -> None:
    palette = poster.convert("P")
    res = run(spec, palette, encode(palette))
    assert res.status is CheckStatus.failed
    assert res.details["checks"]["color_mode"]["actual"] == "8-bit P"

    grey16 = Image.fromarray((np.arange(1024 * 1024, dtype=np.uint32) % 65535).astype(np.uint16).reshape(1024, 1024))
    buffer = io.BytesIO()
    grey16.save(buffer, "PNG")
    data = buffer.getvalue()
    assert encoded_color_mode(data) == ("L", 16)
    res = run(spec, load_image(data), data)
    assert res.status is CheckStatus.failed
    assert "color_mode" in res.details["failed"]


@pytest.mark.parametrize(("fmt", "ordered"), [("png", "png"), ("webp", "webp"), ("gif", None)])
def test_an_animated_file_fails_frames_as_only_its_first_frame_is_checked(
    spec: BrandSpec, poster: Image.Image, fmt: str, ordered: str | None
) -> None:
    """APNG, animated WebP and GIF: the pixel checks read frame 1; frames 2… (here: the copy gone) went unseen."""
    blank = Image.new("RGB", poster.size, "white")
    buffer = io.BytesIO()
    poster.convert("RGB").save(buffer, fmt.upper(), save_all=True, append_images=[blank], duration=500, loop=0)
    data = buffer.getvalue()
    res = run(spec, poster, data, output_format=ordered)
    assert res.status is CheckStatus.failed
    assert res.details["checks"]["frames"] == {"ok": False, "expected": 1, "actual": 2}
    assert "animated (2 frames)" in (res.hint or "") and "frames" in res.details["failed"]
    still = run(spec, poster, encode(poster, "png"))  # the same image as a still: one frame
    assert still.details["checks"]["frames"] == {"ok": True, "expected": 1, "actual": 1}


def test_nothing_ordered_still_checks_decodability(spec: BrandSpec, poster: Image.Image) -> None:
    res = TechnicalCheck().run(context(spec, poster, CheckResources()))
    assert res.status is CheckStatus.passed
    assert res.details["checks"]["dimensions"]["ok"] is None
