"""Issue 21, third pass: one grouping of every pixel for the palette check's distinct colours, the same integers.

The run-length grouping, the union of two sides' colours, the zones/photo split and the strided packing are each
compared with the straightforward computation (``np.unique``, a bincount of the inverse under a mask, shifts per
channel) on a composed ad (long runs), a photograph and noise (no runs), and edge cases (one pixel, one colour,
empty sides, masks that are a rectangle, the complement of one, or neither).
"""

from __future__ import annotations

import numpy as np
import pytest

from brandkit.color import srgb_to_lab
from brandkit.color.gather import packed_colors
from brandkit.color.grouping import union_counts, unique_counts, unique_counts_runs, unique_inverse
from brandkit.color.stats import DistinctColors
from tests.test_palette_exact_speed import _ad, _photo


def _shifted(rgb: np.ndarray) -> np.ndarray:
    flat = rgb.reshape(-1, 3)
    return flat[:, 0].astype(np.uint32) | (flat[:, 1].astype(np.uint32) << 8) | (flat[:, 2].astype(np.uint32) << 16)


def _images() -> list[np.ndarray]:
    rng = np.random.default_rng(321)
    return [
        np.asarray(_ad("coffee")[0]),  # flat zones: long runs
        np.asarray(_photo("chelsea", (333, 250))),
        rng.integers(0, 256, (120, 170, 3), dtype=np.uint8),
        np.full((30, 40, 3), 200, dtype=np.uint8),  # one colour: one run
        np.asarray([[[1, 2, 3]]], dtype=np.uint8),  # one pixel
        np.repeat(rng.integers(0, 256, (64, 1, 3), dtype=np.uint8), 300, axis=1),  # stripes: runs of 300
    ]


def test_strided_packing_matches_the_per_channel_shifts() -> None:
    for rgb in _images():
        assert np.array_equal(packed_colors(rgb), _shifted(rgb))
    rgb = np.asarray(_photo("coffee", (90, 70)))
    view = rgb[5:60:2, 3:80:3]  # not contiguous
    assert np.array_equal(packed_colors(view), _shifted(np.ascontiguousarray(view)))
    assert packed_colors(np.zeros((0, 3), dtype=np.uint8)).shape == (0,)
    assert packed_colors(np.asarray([255, 0, 128], dtype=np.uint8)).tolist() == [255 | 128 << 16]


def test_run_grouping_and_inverse_are_np_unique() -> None:
    for rgb in _images():
        keys = _shifted(rgb)
        want_u, want_i, want_c = np.unique(keys, return_inverse=True, return_counts=True)
        for got_u, got_c in (unique_counts(keys), unique_counts_runs(keys)):
            assert np.array_equal(got_u, want_u)
            assert np.array_equal(got_c, want_c)
            assert got_u.dtype == np.uint32 and got_c.dtype == np.int64
        inv_u, inverse = unique_inverse(keys)
        assert np.array_equal(inv_u, want_u)
        assert np.array_equal(inverse, want_i.reshape(-1))
    flat = _shifted(np.asarray(_ad("coffee")[0])[:40])  # the top band of the ad: few runs, so they are grouped
    starts = np.count_nonzero(flat[1:] != flat[:-1]) + 1
    assert starts < 0.5 * flat.size
    assert np.array_equal(unique_counts_runs(flat)[1], np.unique(flat, return_counts=True)[1])


def test_union_of_sides_gives_every_colour_and_each_sides_counts() -> None:
    rng = np.random.default_rng(4)
    a = rng.integers(0, 1 << 24, 5000, dtype=np.uint32)
    b = np.concatenate([a[:300], rng.integers(0, 1 << 24, 2000, dtype=np.uint32)])  # shared colours
    groups = [unique_counts(a), unique_counts(b)]
    union, (ca, cb) = union_counts(groups)
    want_u = np.unique(np.concatenate([a, b]))
    assert np.array_equal(union, want_u)
    assert np.array_equal(ca, np.bincount(np.searchsorted(want_u, a), minlength=want_u.size))
    assert np.array_equal(cb, np.bincount(np.searchsorted(want_u, b), minlength=want_u.size))
    empty = unique_counts(np.zeros(0, dtype=np.uint32))
    for sides in ([groups[0], empty], [empty, groups[0]]):
        union, counts = union_counts(sides)
        assert np.array_equal(union, groups[0][0])
        assert sum(c.sum() for c in counts) == a.size
        assert [c.size for c in counts] == [union.size, union.size]
    union, counts = union_counts([empty, empty])
    assert union.size == 0 and [c.size for c in counts] == [0, 0]


def _masks(h: int, w: int) -> list[np.ndarray]:
    box = np.zeros((h, w), dtype=bool)
    box[h // 4 : h * 3 // 4, w // 5 : w - 3] = True
    odd = box.copy()
    odd[h // 4, w // 5] = False  # neither a rectangle nor the complement of one
    edge = np.zeros((h, w), dtype=bool)
    edge[:, : w // 2] = True  # a rectangle touching the border: its complement is one too
    return [box, ~box, odd, edge, np.ones((h, w), dtype=bool), np.zeros((h, w), dtype=bool)]


@pytest.mark.parametrize("index", range(3))
def test_split_counts_are_the_counts_under_the_mask_and_its_complement(index: int) -> None:
    rgb = _images()[index]
    ref_lab = srgb_to_lab(np.asarray([[243, 233, 220], [75, 46, 42], [224, 122, 46]], dtype=np.uint8))
    whole = DistinctColors(rgb, ref_lab)
    for mask in _masks(*rgb.shape[:2]):
        split = DistinctColors(rgb, ref_lab, split=mask)
        assert np.array_equal(split.rgb, whole.rgb)  # every colour of the image, in the same order
        assert np.array_equal(split.min_de, whole.min_de)
        inside, outside = split.split_counts()
        assert np.array_equal(inside, whole.counts(mask))
        assert np.array_equal(outside, whole.counts(~mask))
        assert np.array_equal(split.counts(), whole.counts())
        assert np.array_equal(split.counts(mask.reshape(-1)), inside)  # the mask path still answers
    with pytest.raises(ValueError, match="no split mask"):
        whole.split_counts()
    with pytest.raises(ValueError, match="split mask has 4 cells"):
        DistinctColors(rgb, ref_lab, split=np.ones((2, 2), dtype=bool))


def test_split_of_flat_pixels_gathers_each_side() -> None:
    rgb = _images()[0].reshape(-1, 3)  # (N, 3): no rows to slice
    ref_lab = srgb_to_lab(np.asarray([[243, 233, 220]], dtype=np.uint8))
    mask = np.zeros(rgb.shape[0], dtype=bool)
    mask[::7] = True
    whole = DistinctColors(rgb, ref_lab)
    inside, outside = DistinctColors(rgb, ref_lab, split=mask).split_counts()
    assert np.array_equal(inside, whole.counts(mask))
    assert np.array_equal(outside, whole.counts(~mask))
