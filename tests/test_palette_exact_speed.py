"""Issue 21: the palette check made cheaper without changing one figure.

Every fast piece (candidate nearest references per sRGB cell, the radix unique, the per-column k-means, the
colour-temperature look-up table, the sort-based segmentation, the two-pass region counts, the rectangle slice)
is compared with the previous implementation (``tests/support/palette_reference.py``) on real photographs and
composed ads — and the whole check's report (status, score, measures, every details figure, hint) must be equal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import brandkit
from brandkit import segment
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.palette import PaletteCheck
from brandkit.color import ciede2000, srgb_to_lab
from brandkit.color.character import correlated_color_temperature, dominant_colors
from brandkit.color.nearest_cells import CELLS_KIND, NearestCells, exact_nearest
from brandkit.color.stats import DistinctColors
from brandkit.imageio import encode_image, load_image
from brandkit.warm_cache import WarmCache
from tests.support import palette_reference as ref

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "brand_specs" / "northwind" / "photos"


def _photo(name: str, size: tuple[int, int]) -> Image.Image:
    return Image.open(PHOTOS / f"{name}.jpg").convert("RGB").resize(size, Image.Resampling.LANCZOS)


def _ad(photo: str, size: int = 512, zone: str = "#F3E9DC") -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A flat brand zone with a band, text-like strokes and a button, and a photograph in a box."""
    box = (32, size * 9 // 16, size - 32, size - 32)
    image = Image.new("RGB", (size, size), zone)
    draw = ImageDraw.Draw(image)
    draw.rectangle((32, 32, size - 32, 80), fill="#4B2E2A")
    for y in range(100, box[1] - 60, 24):
        draw.rectangle((32, y, size * 2 // 3, y + 9), fill="#1E1B18")
    draw.rounded_rectangle((32, box[1] - 48, 200, box[1] - 12), radius=8, fill="#E07A2E")
    image.paste(_photo(photo, (box[2] - box[0], box[3] - box[1])), box[:2])
    return image, box


def _images() -> list[tuple[str, Image.Image, tuple[int, int, int, int] | None]]:
    """Composed ads with and without their layout, bare photographs, a transparent ad and noise."""
    out: list[tuple[str, Image.Image, tuple[int, int, int, int] | None]] = []
    for name in ("coffee", "chelsea"):
        ad, box = _ad(name)
        out += [(f"{name} ad, layout", ad, box), (f"{name} ad, segmented", ad, None)]
        out.append((f"{name} photo", _photo(name, (600, 400)), None))
    ad, box = _ad("chelsea", zone="#2E6B8A")  # an off-palette zone: the failing path with its cluster hint
    out.append(("off-palette ad", ad, box))
    rgba = _ad("coffee")[0].convert("RGBA")
    alpha = np.full((512, 512), 255, dtype=np.uint8)
    alpha[:, :64] = 0
    rgba.putalpha(Image.fromarray(alpha))
    out.append(("transparent ad", rgba, None))
    rng = np.random.default_rng(21)
    out.append(("noise", Image.fromarray(rng.integers(0, 256, (256, 320, 3), dtype=np.uint8)), None))
    return out


def _run(spec: brandkit.BrandSpec, image: Image.Image, box: tuple[int, int, int, int] | None) -> brandkit.CheckResult:
    data = encode_image(image, "png")
    ctx = CheckContext(
        spec=spec,
        image=load_image(data),
        data=data,
        expectation=Expectation(photo_box=box, width=image.width, height=image.height),
        resources=CheckResources(),
    )
    return PaletteCheck().run(ctx)


def test_the_palette_report_is_identical_to_the_previous_implementation(
    northwind: brandkit.BrandSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    images = _images()
    new = [_run(northwind, image, box).model_dump(mode="json") for _, image, box in images]
    with monkeypatch.context() as m:
        ref.use_reference(m)
        old = [_run(northwind, image, box).model_dump(mode="json") for _, image, box in images]
    statuses = set()
    for (name, _, _), a, b in zip(images, new, old, strict=True):
        assert a == b, name
        statuses.add(a["status"])
        assert a["details"]["mean_delta_e"] > 0, name  # real figures, not an empty report
    assert statuses == {"passed", "failed"}  # both paths compared


def test_nearest_cells_give_the_exact_minimum_and_first_nearest(tmp_path: Path, northwind: brandkit.BrandSpec) -> None:
    colors, _ = northwind.palette.reference_colors()
    ref_lab = srgb_to_lab(np.asarray(colors, dtype=np.uint8))
    cache = WarmCache(tmp_path)
    cells = NearestCells(ref_lab, cache)
    rng = np.random.default_rng(7)
    rgb = np.concatenate(
        [
            rng.integers(0, 256, (200_000, 3), dtype=np.uint8),
            np.asarray(colors, dtype=np.uint8),  # the references themselves: ΔE 0, ties between equal colours
            np.asarray(_photo("coffee", (300, 200))).reshape(-1, 3),
        ]
    )
    lab = srgb_to_lab(rgb)
    full = ciede2000(lab[:, None, :], ref_lab[None, :, :])
    de, nearest = exact_nearest(lab, rgb, cells)
    assert np.array_equal(nearest, full.argmin(axis=1))
    assert np.array_equal(de, full.min(axis=1))  # bit for bit
    n_candidates = np.unpackbits(cells.bits.view(np.uint8)).sum() / cells.bits.size
    assert n_candidates < 0.3 * len(colors)  # the point of it: far fewer ΔE00 evaluations
    # stored in the warm cache: a second matcher loads the same bitmasks instead of rebuilding them
    assert list((tmp_path / CELLS_KIND).iterdir())
    assert np.array_equal(NearestCells(ref_lab, cache).bits, cells.bits)


def test_nearest_cells_refuse_other_references(tmp_path: Path) -> None:
    lab = srgb_to_lab(np.asarray([[200, 30, 30], [20, 20, 200]], dtype=np.uint8))
    cells = NearestCells(lab, WarmCache(None))
    with pytest.raises(ValueError, match="other reference colours"):
        DistinctColors(np.zeros((4, 4, 3), dtype=np.uint8), lab[::-1].copy(), cells)
    with pytest.raises(ValueError, match="1 to 32"):
        NearestCells(np.zeros((33, 3)), WarmCache(None))


def test_distinct_colours_and_statistics_match_np_unique(northwind: brandkit.BrandSpec) -> None:
    colors, _ = northwind.palette.reference_colors()
    ref_lab = srgb_to_lab(np.asarray(colors, dtype=np.uint8))
    rgb = np.asarray(_ad("chelsea")[0])
    mask = np.zeros(rgb.shape[:2], dtype=bool)
    mask[100:400, 50:300] = True
    fast = DistinctColors(rgb, ref_lab, NearestCells(ref_lab, WarmCache.default()))  # the session cache
    old = ref.ReferenceDistinctColors(rgb, ref_lab)
    for attr in ("rgb", "inverse", "min_de", "nearest", "chroma"):
        assert np.array_equal(getattr(fast, attr), getattr(old, attr)), attr
    for region in (None, mask):
        a, b = fast.stats(fast.counts(region), 4.0, 20.0, 6.0), old.stats(old.counts(region), 4.0, 20.0, 6.0)
        assert (a.mean_delta_e, a.p95_delta_e, a.off_share, a.neutral_share) == (
            b.mean_delta_e,
            b.p95_delta_e,
            b.off_share,
            b.neutral_share,
        )
        assert np.array_equal(a.within_shares, b.within_shares)


@pytest.mark.parametrize("k", [4, 8])
def test_dominant_colours_and_temperature_match_the_previous_kmeans(k: int) -> None:
    for name in ("coffee", "chelsea"):
        pixels = np.asarray(_photo(name, (420, 300))).reshape(-1, 3)
        fast = dominant_colors(pixels, k)
        old = ref.reference_dominant_colors(pixels, k)
        assert len(fast) >= 2
        assert [(c.lab, c.rgb, c.share) for c in fast] == [(c.lab, c.rgb, c.share) for c in old]
        assert correlated_color_temperature(pixels) == ref.reference_cct(pixels)


def test_segmentation_matches_the_previous_block_statistics() -> None:
    rng = np.random.default_rng(5)
    samples = [np.asarray(_ad(name)[0]) for name in ("coffee", "chelsea")]
    samples.append(np.asarray(_photo("coffee", (333, 250))))  # not a multiple of the block: padded edges
    samples.append(rng.integers(0, 256, (200, 260, 3), dtype=np.uint8))
    for rgb in samples:
        flat, med = segment._blocks(np.ascontiguousarray(rgb), segment.BLOCK)
        old_flat, old_med = ref.reference_blocks(np.ascontiguousarray(rgb), segment.BLOCK)
        assert np.array_equal(flat, old_flat)
        assert np.array_equal(med, old_med)
    photo = segment.photo_mask(samples[0])
    assert photo.any() and not photo.all()  # the ad's photograph found, its brand zone kept
