"""The heat map's worst regions name real off-palette areas, not the anti-aliased slivers along text edges."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import brandkit
from brandkit.checks.palette import PaletteCheck
from brandkit.evidence import verify
from brandkit.evidence.heatmap import solid_off_palette
from brandkit.imageio import encode_image, read_provenance
from brandkit.models import AssetRequest

ROOT = Path(__file__).resolve().parents[1]
REQUEST = AssetRequest(
    brief="a cup of coffee", headline="Slow mornings, bright roasts", cta="Order now", format="landscape"
)
PATCH = (500, 700, 620, 800)  # x0, y0, x1, y1: in the copy area's empty crema, below the button, left of the photo
OFF = (20, 200, 40)  # a saturated green: far from every Northwind colour


@pytest.fixture(scope="module")
def spec() -> brandkit.BrandSpec:
    return brandkit.load_spec(ROOT / "brand_specs" / "northwind")


@pytest.fixture(scope="module")
def ad(spec: brandkit.BrandSpec) -> bytes:
    """A real render: the local renderer's landscape ad with headline, button, legal line and logo set in it."""
    maker = brandkit.BrandKit(spec, provider="local", moderator=None, checks=["technical"], signer=None)
    return maker.generate(REQUEST).data


def _with_patch(data: bytes, *, keep_provenance: bool = True) -> bytes:
    """The ad with the off-palette patch painted in; its provenance (the layout brandkit laid it out with) kept."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    ImageDraw.Draw(image).rectangle((PATCH[0], PATCH[1], PATCH[2] - 1, PATCH[3] - 1), fill=OFF)
    record = read_provenance(data)
    return encode_image(image, "png", pnginfo={"brandkit": record} if keep_provenance and record else None)


def test_the_patch_is_listed_and_the_text_edges_are_not(spec: brandkit.BrandSpec, ad: bytes) -> None:
    kit = brandkit.BrandKit(spec, provider="local", moderator=None, checks=[PaletteCheck()], signer=None)
    palette = verify(kit, _with_patch(ad), request=REQUEST).checks["palette"].palette
    assert palette is not None and palette.region_source == "layout"
    patch_pixels = (PATCH[2] - PATCH[0]) * (PATCH[3] - PATCH[1])
    # the text's anti-aliased edges are off-palette pixels of the map (blends of ink and crema) …
    assert palette.off_palette_pixels > patch_pixels + 200
    # … but no region: the patch is the only one, whole, with its exact box
    assert [r.box for r in palette.worst_regions] == [PATCH]
    assert palette.worst_regions[0].pixels == patch_pixels
    assert palette.worst_regions[0].mean_delta_e > spec.palette.tolerance
    clean = verify(kit, ad, request=REQUEST).checks["palette"].palette
    assert clean is not None and clean.off_palette_pixels > 200 and clean.worst_regions == []
    # the same file with its metadata stripped: nothing says brandkit laid it out, so its zones are found (the
    # palette check segments it, to its blocks: slivers of the photograph's edge come along) — the patch is still
    # the worst region named
    stripped = verify(kit, _with_patch(ad, keep_provenance=False), request=REQUEST).checks["palette"].palette
    assert stripped is not None and stripped.region_source == "segmentation"
    assert stripped.worst_regions[0].box == PATCH


def test_the_opening_removes_strips_under_three_pixels_and_keeps_solid_areas() -> None:
    mask = np.zeros((40, 60), dtype=bool)
    mask[5:30, 5] = True  # a 1-px stem edge, 25 px tall
    mask[5:30, 10:12] = True  # a 2-px strip
    mask[20, 20:50] = True  # a 1-px horizontal edge
    mask[30:33, 30:33] = True  # the smallest solid area: 3 × 3
    mask[0:6, 52:60] = True  # a patch touching the top and right borders
    solid = solid_off_palette(mask)
    expected = np.zeros_like(mask)
    expected[30:33, 30:33] = True
    expected[0:6, 52:60] = True
    assert np.array_equal(solid, expected)
    assert not solid_off_palette(np.zeros_like(mask)).any()
