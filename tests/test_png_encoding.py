"""Every PNG brandkit encodes uses zlib's run-length strategy (``imageio.PNG_ZLIB_STRATEGY``): the pixels are the
same (PNG is lossless) and the file only a little larger than with zlib's default strategy, on a photograph and
on a composed ad — what the encoder was chosen for (its speed is in docs/benchmarks.md, not timed here)."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import brandkit
from brandkit.imageio import PNG_ZLIB_STRATEGY, encode_image, load_image

ROOT = Path(__file__).resolve().parents[1]


def _default_strategy_size(image: Image.Image) -> int:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=6)
    return len(out.getvalue())


def _photo() -> Image.Image:
    with Image.open(ROOT / "brand_specs" / "northwind" / "photos" / "coffee.jpg") as opened:
        return opened.convert("RGB")


def _ad(spec: brandkit.BrandSpec) -> Image.Image:
    kit = brandkit.BrandKit(spec, provider="local", moderator=None, checks=["technical"], signer=None)
    asset = kit.generate(brandkit.AssetRequest(brief="a cup of coffee on a table", headline="Fresh Roast"))
    return load_image(asset.data)


@pytest.mark.parametrize("which", ["photo", "ad"])
def test_png_is_lossless_and_near_the_default_size(which: str, northwind: brandkit.BrandSpec) -> None:
    image = _photo() if which == "photo" else _ad(northwind)
    data = encode_image(image, "png")
    assert PNG_ZLIB_STRATEGY == zlib.Z_RLE
    decoded = load_image(data)
    assert np.array_equal(np.asarray(decoded), np.asarray(image.convert(decoded.mode)))
    ratio = len(data) / _default_strategy_size(image)
    assert ratio <= 1.08, f"{which}: {ratio:.3f} of the default strategy's size"
