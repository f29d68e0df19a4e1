"""Issue 21, second pass: the palette check's per-image work done once per distinct colour, with the same integers.

Each cheaper piece is compared with the straightforward computation it replaces, on real photographs, a composed
ad, noise and edge cases (ties, empty masks, odd block sizes): grouping-sort counts vs ``np.unique``, the binned
weighted p95 vs a full stable sort, region code histograms from distinct colours vs a gather per pixel, the dark
share per colour vs per pixel, the block median from a row sort vs ``np.median``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import brandkit
from brandkit import segment
from brandkit.checks.palette import _Matchers, code_counts
from brandkit.checks.palette_rules import RegionCounts
from brandkit.color import srgb_to_lab
from brandkit.color.character import _dark_limit, _luminance, dark_share, dark_share_of_colors
from brandkit.color.stats import DistinctColors, _unique_counts, _weighted_quantile
from brandkit.warm_cache import WarmCache
from tests.support import palette_reference as ref
from tests.test_palette_exact_speed import _ad, _photo

ROOT = Path(__file__).resolve().parents[1]


def _samples() -> list[np.ndarray]:
    rng = np.random.default_rng(2112)
    return [
        np.asarray(_ad("coffee")[0]),
        np.asarray(_photo("chelsea", (333, 250))),
        rng.integers(0, 256, (180, 220, 3), dtype=np.uint8),
        np.full((40, 50, 3), 7, dtype=np.uint8),  # one colour
        np.asarray(Image.new("RGB", (1, 1), "#F3E9DC")),  # one pixel
    ]


def _packed(rgb: np.ndarray) -> np.ndarray:
    flat = rgb.reshape(-1, 3)
    return flat[:, 0].astype(np.uint32) | (flat[:, 1].astype(np.uint32) << 8) | (flat[:, 2].astype(np.uint32) << 16)


def test_grouping_sort_counts_are_np_unique() -> None:
    for rgb in _samples():
        uniq, counts = _unique_counts(_packed(rgb))
        want_u, want_c = np.unique(_packed(rgb), return_counts=True)
        assert np.array_equal(uniq, want_u)
        assert np.array_equal(counts, want_c)
    empty_u, empty_c = _unique_counts(np.zeros(0, dtype=np.uint32))
    assert empty_u.size == 0 and empty_c.size == 0


def test_masked_counts_match_a_bincount_of_the_inverse(northwind: brandkit.BrandSpec) -> None:
    colors, _ = northwind.palette.reference_colors()
    ref_lab = srgb_to_lab(np.asarray(colors, dtype=np.uint8))
    rng = np.random.default_rng(4)
    for rgb in _samples():
        distinct = DistinctColors(rgb, ref_lab)
        h, w = rgb.shape[:2]
        small = np.zeros((h, w), dtype=bool)
        small[: h // 3, : w // 2] = True  # the smaller side counted
        masks = [small, ~small, rng.random((h, w)) < 0.5, np.zeros((h, w), bool), np.ones((h, w), bool)]
        for mask in masks:
            want = np.bincount(distinct.inverse[mask.reshape(-1)], minlength=len(distinct))
            assert np.array_equal(distinct.counts(mask), want)
        assert np.array_equal(distinct.counts(), np.bincount(distinct.inverse, minlength=len(distinct)))
        assert np.array_equal(distinct.packed, np.unique(_packed(rgb)))


def test_binned_weighted_quantile_is_the_sorted_one() -> None:
    rng = np.random.default_rng(8)
    cases = [
        (rng.random(5000) * 60.0, rng.integers(1, 50, 5000)),
        (np.round(rng.random(3000) * 30.0, 1), rng.integers(1, 9, 3000)),  # many ties across and within bins
        (np.array([0.0, 0.0, 200.0, 500.0]), np.array([1, 1, 1, 97])),  # the last, clipped bin
        (np.array([3.25]), np.array([4])),
        (rng.random(2000) * 0.1, rng.integers(0, 3, 2000)),  # zero weights, one bin
    ]
    for values, counts in cases:
        w = counts.astype(np.float64)
        total = float(w.sum())
        for q in (0.0, 0.05, 0.5, 0.95, 1.0):
            order = np.argsort(values, kind="stable")
            cum = np.cumsum(w[order])
            want = float(values[order][int(np.searchsorted(cum, q * total, side="left"))])
            assert _weighted_quantile(values, w, q * total) == want


def test_region_codes_from_distinct_colours_are_the_per_pixel_ones(
    tmp_path: Path, northwind: brandkit.BrandSpec
) -> None:
    m = _Matchers(northwind.palette, WarmCache(tmp_path))
    assert len(m.palette.forbidden) == 2  # the forbidden bits are counted too
    tol = northwind.palette.tolerance
    for rgb in _samples():
        h, w = rgb.shape[:2]
        opaque = np.ones((h, w), dtype=bool)
        opaque[:, : w // 5] = False
        photo = np.zeros((h, w), dtype=bool)
        photo[h // 2 :, w // 4 :] = True
        photo &= opaque
        distinct = DistinctColors(rgb, m.ref_lab)
        image_counts, zone_counts = distinct.counts(opaque), distinct.counts(opaque & ~photo)
        counts, forbidden, pixel_codes = code_counts(
            m.palette, rgb, opaque, photo, tol, distinct, image_counts, zone_counts
        )
        old_counts, old_forbidden, old_codes = ref.reference_code_counts(
            m.palette, rgb, opaque, photo, tol, distinct, image_counts, zone_counts
        )
        for region in ("image", "brand_zones", "photo"):
            assert np.array_equal(counts.bins[region], old_counts.bins[region]), region
        assert np.array_equal(forbidden, old_forbidden)
        assert np.array_equal(pixel_codes(), old_codes())
        folded = m.palette.lookup(_packed(rgb), tol).reshape(h, w)
        assert np.array_equal(folded & 0xFF, m.palette.match(rgb, tol).codes)
    rc = RegionCounts.from_colors(np.array([0, 128, 0]), np.array([5, 2, 1]), np.array([1, 2, 0]))
    assert rc.total("image") == 8 and rc.total("brand_zones") == 3 and rc.within("photo") == 5
    with pytest.raises(ValueError, match="24-bit"):
        m.palette.lookup(np.array([1 << 24]), tol)


def test_dark_share_per_colour_is_the_per_pixel_share() -> None:
    for rgb in _samples():
        flat = rgb.reshape(-1, 3)
        uniq, counts = np.unique(flat, axis=0, return_counts=True)
        for lightness in (5.0, 20.0, 35.0):
            assert dark_share_of_colors(uniq.astype(np.uint8), counts, lightness) == dark_share(flat, lightness)
    assert dark_share_of_colors(np.zeros((0, 3), np.uint8), np.zeros(0, np.int64)) == 0.0


def test_dark_share_skips_only_colours_that_cannot_be_dark() -> None:
    """Colours with one channel bright enough are not computed: every colour of a dense grid over the dark end
    (where the skipping threshold of each channel lies) is judged as by the luminance of each colour itself."""
    levels = np.arange(0, 256, 3, dtype=np.uint8)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 3)
    for lightness in (1.0, 20.0, 60.0, 99.0):
        for channel in range(3):
            single = np.zeros((256, 3), dtype=np.uint8)
            single[:, channel] = np.arange(256)  # each level of one channel alone: the threshold itself
            for colours in (grid, single):
                counts = np.ones(colours.shape[0], dtype=np.int64)
                want = int(np.count_nonzero(_luminance(colours) < _dark_limit(lightness))) / colours.shape[0]
                assert dark_share_of_colors(colours, counts, lightness) == want


@pytest.mark.parametrize("block", [15, 16])
def test_block_median_and_two_colour_share_match_the_previous_statistics(block: int) -> None:
    rng = np.random.default_rng(block)
    samples = [*_samples()[:3], rng.integers(0, 4, (64, 80, 3), dtype=np.uint8) * 60]  # ties everywhere
    for rgb in samples:
        flat, med = segment._blocks(np.ascontiguousarray(rgb), block)
        old_flat, old_med = ref.reference_blocks(np.ascontiguousarray(rgb), block)
        assert np.array_equal(flat, old_flat)
        assert np.array_equal(med, old_med)


def test_photo_mask_rectangles_grow_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(31)
    samples = [np.asarray(_ad(name)[0]) for name in ("coffee", "chelsea")]
    poster = np.asarray(_ad("coffee", size=640, zone="#1E1B18")[0]).copy()
    poster[400:, :] = rng.integers(0, 256, (240, 640, 3), dtype=np.uint8)  # a noisy band across the bottom
    samples += [poster, np.asarray(_photo("coffee", (333, 250)))]
    new = [segment.photo_mask(rgb) for rgb in samples]
    monkeypatch.setattr(segment, "_as_rectangles", ref.reference_as_rectangles)
    old = [segment.photo_mask(rgb) for rgb in samples]
    for a, b in zip(new, old, strict=True):
        assert np.array_equal(a, b)
    assert any(m.any() and not m.all() for m in new)
