"""The clear-space rule reads the same design the same way at any size.

The rule counts Canny edges in the band around the logo: a word set in the clear space draws thin edges whose length
grows with the image while the band's area grows with its square, so the same crowded ad enlarged 2× read half the
density and 3× a third. ``bench_logo_rules --edits "as drawn,crowded" --scale K`` (a word of the brand's body font
set at 0.4 of the clear space from the logo, on the gate corpus's 66 real-photo ads): false accept 0/66 at 1×,
12/66 at 2×, 48/66 at 3×. And a CMS's half-size JPEG copy enlarged 1.75–2.1× rang beside the wordmark's strokes
past the gap the band is measured from: an on-brand copy read "crowded" (``bench_logo_scale``: 2 of 90 at each of
those sizes). A logo taller than ``CLEAR_SPACE_REF_HEIGHT`` now has its band measured on its surround reduced until
the logo is that tall (``details.clear_space.measured_at_scale``).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import brandkit
from brandkit.checks.logo.constants import CLEAR_SPACE_REF_HEIGHT
from brandkit.checks.logo.rules import clear_space_band
from brandkit.imageio import load_image
from brandkit.models import CheckStatus
from brandkit.resources import KitResources
from tests.support.gate_corpus import ROOT, load_cases, render_case

COPY = "northwind-coffee-cup-landscape-resized-copy"
"""The approved Northwind landscape ad, half size, JPEG q88: no provenance."""
AD = "lumen-health-coach-portrait-landscape-composed"
"""A Lumen Health landscape ad (1536×1024): its logo 121 px tall."""
FONT = ROOT / "brand_specs" / "northwind" / "fonts" / "Lato-Regular.ttf"


@pytest.fixture(scope="module")
def resources() -> KitResources:
    return KitResources()


def _kit(brand: str, resources: KitResources) -> brandkit.BrandKit:
    spec = brandkit.load_spec(ROOT / "brand_specs" / brand)
    return brandkit.BrandKit(spec, checks=["logo"], resources=resources, provider="local", moderator=None, signer=None)


@pytest.fixture(scope="module")
def rendered() -> dict[str, Image.Image]:
    """The two corpus cases' pixels (no provenance), each rendered once."""
    cases = {c.id: c for c in load_cases() if c.id in (COPY, AD)}
    return {case_id: load_image(render_case(case)).convert("RGB") for case_id, case in cases.items()}


def _enlarged(pixels: Image.Image, scale: float) -> Image.Image:
    size = (round(pixels.width * scale), round(pixels.height * scale))
    return pixels if scale == 1.0 else pixels.resize(size, Image.Resampling.LANCZOS)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _crowded(kit: brandkit.BrandKit, image: Image.Image, found: dict[str, Any]) -> Image.Image:
    """``image`` with a word of the brand's body font set 0.4 of the clear space right of its logo (``found``: the
    logo check's details on ``image``)."""
    _, y0, x1, y1 = found["box"]
    height = y1 - y0
    spec = kit.spec
    face = ImageFont.truetype(str(spec.asset_path(spec.typography.font_for("body").file)), round(0.5 * height))
    near = round(0.4 * found["rules"]["clear_space"] * height)
    left, top, _, bottom = face.getbbox("Now open")
    out = image.copy()
    ImageDraw.Draw(out).text(
        (x1 + near - left, (y0 + y1 - (bottom - top)) // 2 - top), "Now open", font=face, fill=(17, 17, 17)
    )
    return out


def test_an_enlarged_jpeg_copy_is_not_read_crowded(resources: KitResources, rendered: dict[str, Image.Image]) -> None:
    result = _kit("northwind", resources).validate(_png(_enlarged(rendered[COPY], 1.75))).checks["logo"]
    assert result.status is CheckStatus.passed, result.details
    band = result.details["clear_space"]
    assert band["measured_at_scale"] < 1.0  # the 66-px logo's surround read where the logo is 64 px tall
    assert max(band["sides"].values()) <= band["max_edge_density"]


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_a_word_in_the_clear_space_fails_at_the_ads_size_and_enlarged(
    resources: KitResources, rendered: dict[str, Image.Image], scale: float
) -> None:
    kit = _kit("lumen-health", resources)
    image = _enlarged(rendered[AD], scale)
    as_drawn = kit.validate(_png(image)).checks["logo"]
    assert as_drawn.status is CheckStatus.passed, as_drawn.details
    result = kit.validate(_png(_crowded(kit, image, as_drawn.details))).checks["logo"]
    assert result.status is CheckStatus.failed, result.details
    assert result.details["failed_rules"] == ["crowded"]
    band = result.details["clear_space"]
    assert band["sides"]["right"] > band["max_edge_density"]
    assert band["measured_at_scale"] == pytest.approx(
        CLEAR_SPACE_REF_HEIGHT / as_drawn.details["visible_height_px"], rel=0.05
    )
    assert "intrudes on its right side" in (result.hint or "")


def _scene(scale: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A dark logo bar on a light ground with a word beside it inside its clear space, drawn at ``scale`` (not
    resampled: the same design at a higher resolution)."""
    image = Image.new("L", (400 * scale, 200 * scale), 235)
    draw = ImageDraw.Draw(image)
    box = (60 * scale, 68 * scale, 220 * scale, 132 * scale)  # 64 px tall at 1×
    draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=40)
    face = ImageFont.truetype(str(FONT), 30 * scale)
    draw.text((box[2] + 7 * scale, 85 * scale), "Now open", font=face, fill=20)
    return np.asarray(image), box


def test_the_band_density_of_the_same_design_does_not_depend_on_its_resolution() -> None:
    densities = []
    for scale in (1, 2, 3):
        scene, box = _scene(scale)
        height = box[3] - box[1]
        band = clear_space_band(scene, box, 0.25 * height, 0.06 * height)
        assert band["measured_at_scale"] == pytest.approx(min(1.0, CLEAR_SPACE_REF_HEIGHT / height), abs=1e-4)
        densities.append(band["sides"]["right"])
    assert densities[0] > 0.02  # the word crowds the logo at 1×
    # before, the thin edges' density fell with the resolution: 1×, 1/2, 1/3
    assert max(densities) / min(densities) < 1.3, densities
