"""Tests for brandkit.color: sRGB → CIELAB, CIEDE2000 and the PaletteMatcher fast path."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from brandkit import color as bc
from brandkit.color import PaletteMatcher, ciede2000, hex_to_rgb, rgb_to_hex, srgb_to_lab
from tests.support.posters import PALETTE, make_poster

SHARMA_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ciede2000-sharma-2005.csv"

REFS = [*PALETTE, (255, 255, 255), (0, 0, 0)]
TOLERANCES = (2.0, 5.0, 10.0)


# ------------------------------------------------------------------------------------- hex


def test_hex_to_rgb_parses_case_insensitively() -> None:
    assert hex_to_rgb("#1A3C8E") == (0x1A, 0x3C, 0x8E)
    assert hex_to_rgb("#ffffff") == (255, 255, 255)
    assert hex_to_rgb("#000000") == (0, 0, 0)
    assert rgb_to_hex((0x1A, 0x3C, 0x8E)) == "#1A3C8E"


@pytest.mark.parametrize("bad", ["1A3C8E", "#1A3C8", "#1A3C8E0", "#GGGGGG", "", "#1a3c8e ", " #1a3c8e"])
def test_hex_to_rgb_rejects_malformed_values_naming_them(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid hex colour") as exc:
        hex_to_rgb(bad)
    assert repr(bad) in str(exc.value)


def test_rgb_to_hex_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        rgb_to_hex((256, 0, 0))


# ----------------------------------------------------------------------------- CIEDE2000


def _sharma_rows() -> list[list[float]]:
    if not SHARMA_CSV.is_file():
        pytest.fail(f"CIEDE2000 reference data missing: expected {SHARMA_CSV} (shared/data beside the project)")
    lines = [ln for ln in SHARMA_CSV.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    reader = csv.DictReader(lines)
    cols = ["L1", "a1", "b1", "L2", "a2", "b2", "dE00"]
    return [[float(row[c]) for c in cols] for row in reader]


def test_ciede2000_reproduces_all_34_sharma_pairs() -> None:
    rows = np.array(_sharma_rows())
    assert rows.shape == (34, 7)
    de = ciede2000(rows[:, 0:3], rows[:, 3:6])
    np.testing.assert_allclose(de, rows[:, 6], atol=1e-4, rtol=0)
    # ΔE00 is symmetric, including the 180° hue case (pair 14) and the neutral pairs.
    np.testing.assert_allclose(ciede2000(rows[:, 3:6], rows[:, 0:3]), rows[:, 6], atol=1e-4, rtol=0)


def test_ciede2000_pair_14_takes_the_not_greater_than_180_branch() -> None:
    # Pairs 13 and 14 differ by 1e-4 in b2; pair 14 has |Δh'| of exactly 180°.
    p13 = ciede2000([50.0, 2.49, -0.001], [50.0, -2.49, 0.0009])
    p14 = ciede2000([50.0, 2.49, -0.001], [50.0, -2.49, 0.0010])
    p15 = ciede2000([50.0, 2.49, -0.001], [50.0, -2.49, 0.0011])
    assert abs(float(p13) - 7.1792) < 1e-4
    assert abs(float(p14) - 7.1792) < 1e-4
    assert abs(float(p15) - 7.2195) < 1e-4


def test_ciede2000_broadcasts_and_is_zero_on_identity() -> None:
    rng = np.random.default_rng(3)
    lab = rng.uniform([0, -100, -100], [100, 100, 100], (4, 5, 3))
    ref = np.array([50.0, 10.0, -20.0])
    out = ciede2000(lab, ref)
    assert out.shape == (4, 5)
    np.testing.assert_allclose(out, ciede2000(lab, np.broadcast_to(ref, lab.shape)), rtol=0, atol=0)
    assert np.all(ciede2000(lab, lab) == 0.0)
    assert ciede2000(lab[:, :, None, :], lab[:, None, :, :]).shape == (4, 5, 5)
    with pytest.raises(ValueError):
        ciede2000(np.zeros((3, 2)), np.zeros(3))


def test_ciede2000_parametric_factors() -> None:
    a = np.array([50.0, 0.0, 0.0])
    b = np.array([60.0, 0.0, 0.0])  # lightness difference only
    assert float(ciede2000(a, b, kL=2)) == pytest.approx(float(ciede2000(a, b)) / 2, rel=1e-12)


def test_ciede2000_matches_scikit_image_on_random_pairs() -> None:
    from skimage.color import deltaE_ciede2000

    rng = np.random.default_rng(11)
    lo, hi = [0, -128, -128], [100, 128, 128]
    l1 = rng.uniform(lo, hi, (100_000, 3))
    l2 = np.concatenate([rng.uniform(lo, hi, (50_000, 3)), l1[50_000:] + rng.normal(0, 2, (50_000, 3))])
    np.testing.assert_allclose(ciede2000(l1, l2), deltaE_ciede2000(l1, l2), rtol=0, atol=1e-9)


def test_ciede2000_matches_colormath2() -> None:
    # colormath2 leaves the mean hue in [360°, 540°) where it should subtract 360° (it
    # only matters through the rotation term's Gaussian, ~1e-5 ΔE) and has no special
    # case for zero chroma: agreement to 1e-4.
    from colormath2.color_diff import delta_e_cie2000
    from colormath2.color_objects import LabColor

    rng = np.random.default_rng(5)
    l1 = rng.uniform([0, -100, -100], [100, 100, 100], (300, 3))
    l2 = np.concatenate(
        [rng.uniform([0, -100, -100], [100, 100, 100], (150, 3)), l1[150:] + rng.normal(0, 3, (150, 3))]
    )
    theirs = np.array([delta_e_cie2000(LabColor(*a), LabColor(*b)) for a, b in zip(l1, l2, strict=True)])
    np.testing.assert_allclose(ciede2000(l1, l2), theirs, rtol=0, atol=1e-4)


# --------------------------------------------------------------------------- sRGB → Lab


def test_srgb_to_lab_matches_scikit_image_on_random_colours() -> None:
    from skimage.color import rgb2lab

    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (300_000, 3), dtype=np.uint8)
    ours = srgb_to_lab(rgb)
    assert ours.dtype == np.float64 and ours.shape == rgb.shape
    assert np.abs(ours - rgb2lab(rgb)).max() < 1e-6
    # The float path (0..255 scale) gives the same numbers bit for bit.
    np.testing.assert_array_equal(srgb_to_lab(rgb[:1000].astype(np.float64)), ours[:1000])
    # Shape (..., 3) is preserved.
    assert srgb_to_lab(rgb[:12].reshape(2, 2, 3, 3)).shape == (2, 2, 3, 3)


def test_srgb_to_lab_known_values() -> None:
    lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [128, 128, 128]], dtype=np.uint8))
    assert lab[0, 0] == pytest.approx(100.0, abs=1e-3)
    np.testing.assert_array_equal(lab[1], [0.0, 0.0, 0.0])
    assert lab[2, 0] == pytest.approx(53.585, abs=1e-3)
    assert np.abs(lab[:, 1:]).max() < 0.02


def test_srgb_to_lab_with_flare_lifts_the_darks_and_keeps_white() -> None:
    """A veiling flare (IEC 61966-2-1's 1 %): black is lifted to the flare's lightness (L* of Y = 0.01/1.01), white
    stays white, the table (uint8, 768 values or more) and the direct formula agree, and no flare is the plain
    conversion."""
    expected_black = 116.0 * (0.01 / 1.01) ** (1 / 3) - 16.0
    small = np.array([[0, 0, 0], [255, 255, 255]], dtype=np.uint8)
    lab = srgb_to_lab(small, flare=0.01)
    assert lab[0, 0] == pytest.approx(expected_black, abs=1e-9) and np.abs(lab[0, 1:]).max() < 0.01  # a neutral grey
    assert lab[1] == pytest.approx(srgb_to_lab(small[1]), abs=1e-9)
    many = np.random.default_rng(7).integers(0, 256, (600, 3), dtype=np.uint8)  # 1,800 values: the table
    np.testing.assert_allclose(
        srgb_to_lab(many, flare=0.01), srgb_to_lab(many.astype(np.float64), flare=0.01), atol=1e-9
    )
    assert np.array_equal(srgb_to_lab(many, flare=0.0), srgb_to_lab(many))
    dark = srgb_to_lab(np.array([44, 0, 30], dtype=np.uint8))  # the Ubuntu aubergine: its chroma shrinks seen with it
    seen = srgb_to_lab(np.array([44, 0, 30], dtype=np.uint8), flare=0.01)
    assert np.hypot(*seen[1:]) < np.hypot(*dark[1:]) and seen[0] > dark[0]


def test_srgb_to_lab_matches_colormath2() -> None:
    # colormath2 uses Lindbloom's sRGB→XYZ matrix (0.412424, 0.357579, 0.180464, …)
    # where scikit-image and brandkit use the IEC 61966-2-1 one (0.412453, 0.357580,
    # 0.180423, …), and the exact CIE ε = 216/24389, κ = 24389/27 instead of 0.008856 and
    # 7.787. Measured over 5,000 random colours plus the primaries the largest
    # differences are 0.004 in L*, 0.010 in a* and 0.014 in b* (saturated blue and
    # magenta), so the tolerance is 0.02 per channel, and ΔE00 between the two < 0.02.
    from colormath2.color_conversions import convert_color
    from colormath2.color_objects import LabColor, sRGBColor

    rng = np.random.default_rng(9)
    rgb = np.concatenate([rng.integers(0, 256, (300, 3)), [[0, 0, 255], [255, 0, 255], [255, 255, 0]]])
    theirs = np.array(
        [
            convert_color(sRGBColor(*c, is_upscaled=True), LabColor, target_illuminant="d65").get_value_tuple()
            for c in rgb.tolist()
        ]
    )
    ours = srgb_to_lab(rgb.astype(np.uint8))
    assert np.abs(ours - theirs).max() < 0.02
    assert ciede2000(ours, theirs).max() < 0.02


def test_lab_is_monotonic_in_each_channel_over_the_whole_cube() -> None:
    # The box bounds behind PaletteMatcher rely on this: L* rises with R, G and B; a*
    # rises with R and B and falls with G; b* rises with R and G and falls with B.
    # Checked on all 256³ colours, one R plane at a time.
    v = np.arange(256, dtype=np.uint8)
    gb = np.stack(np.meshgrid(v, v, indexing="ij"), axis=-1).reshape(-1, 2)
    plane = np.empty((gb.shape[0], 3), dtype=np.uint8)
    plane[:, 1:] = gb
    sign_r, sign_g, sign_b = np.array([1, 1, 1]), np.array([1, -1, 1]), np.array([1, 1, -1])
    prev = None
    for r in range(256):
        plane[:, 0] = r
        lab = srgb_to_lab(plane).reshape(256, 256, 3)  # axes: G, B, Lab channel
        assert np.all(np.diff(lab, axis=0) * sign_g > 0), r
        assert np.all(np.diff(lab, axis=1) * sign_b > 0), r
        if prev is not None:
            assert np.all((lab - prev) * sign_r > 0), r
        prev = lab


# ------------------------------------------------------------------- ΔE00 box bounds


def test_box_bounds_contain_every_sampled_colour() -> None:
    rng = np.random.default_rng(21)
    refs = np.array([[0, 0, 0], [255, 255, 255], [128, 128, 128], [255, 0, 0], [0, 0, 255], [0, 0, 1]])
    refs = np.concatenate([refs, rng.integers(0, 256, (6, 3))]).astype(np.uint8)
    ref_lab = srgb_to_lab(refs)
    m = 6_000
    for w in (1, 2, 4, 16, 64):
        lo = rng.integers(0, 256 - w + 1, (m, 3)).astype(np.int32)
        lab_lo, lab_hi = bc._box_lab_ranges(lo, w)
        chroma = bc._rect_chroma(lab_lo[:, 1], lab_hi[:, 1], lab_lo[:, 2], lab_hi[:, 2])
        for ref in ref_lab:
            b_lo, b_hi = bc._de00_bounds(lab_lo, lab_hi, chroma, ref)
            for i in range(4):
                off = rng.integers(0, w, (m, 3)) if i > 1 else np.full((m, 3), (w - 1) * i)
                de = ciede2000(srgb_to_lab((lo + off).astype(np.uint8)), ref)
                assert np.all(b_lo <= de) and np.all(de <= b_hi), (w, ref)


# ------------------------------------------------------------------ PaletteMatcher


class Oracle:
    """Exact per-pixel ΔE00 to every reference, computed independently of the matcher."""

    def __init__(self, img: npt.NDArray[np.uint8], refs: list[tuple[int, int, int]]) -> None:
        px = img.reshape(-1, 3)
        packed = px[:, 0].astype(np.uint32) | (px[:, 1].astype(np.uint32) << 8) | (px[:, 2].astype(np.uint32) << 16)
        uniq, inverse = np.unique(packed, return_inverse=True)
        rgb = np.stack([uniq & 0xFF, (uniq >> 8) & 0xFF, uniq >> 16], axis=1).astype(np.uint8)
        de = ciede2000(srgb_to_lab(rgb)[:, None, :], srgb_to_lab(np.array(refs, dtype=np.uint8))[None, :, :])
        srt = np.sort(de, axis=1)
        inverse = inverse.reshape(-1)
        self.dmin = srt[:, 0][inverse]
        self.gap = (srt[:, 1] - srt[:, 0])[inverse]
        self.nearest = de.argmin(axis=1)[inverse]


@pytest.fixture(scope="module")
def poster() -> npt.NDArray[np.uint8]:
    return make_poster(512, 512, seed=1)


@pytest.fixture(scope="module")
def oracle(poster: npt.NDArray[np.uint8]) -> Oracle:
    return Oracle(poster, REFS)


@pytest.fixture(scope="module")
def matcher() -> PaletteMatcher:
    return PaletteMatcher(REFS)


@pytest.mark.parametrize("tol", TOLERANCES)
def test_fast_path_within_is_exact_pixel_for_pixel(
    tol: float, poster: npt.NDArray[np.uint8], oracle: Oracle, matcher: PaletteMatcher
) -> None:
    res = matcher.match(poster, tol)
    assert res.codes.shape == poster.shape[:2]
    within = res.within.reshape(-1)
    exact = oracle.dmin <= tol
    assert 0.2 < exact.mean() < 0.95  # the image exercises both sides of the tolerance
    assert abs(res.stats.coverage - exact.mean()) < 0.001
    np.testing.assert_array_equal(within, exact)
    # Statistics are the counts of the per-pixel codes.
    counts = np.bincount(res.codes.reshape(-1), minlength=256)
    np.testing.assert_array_equal(res.stats.within_counts, counts[: len(REFS)])
    np.testing.assert_array_equal(res.stats.outside_counts, counts[128 : 128 + len(REFS)])
    assert res.stats.n_pixels == poster.shape[0] * poster.shape[1]
    assert not np.any(matcher.code_table(tol) == 0xFF)  # every colour of the cube was classified
    cov = matcher.coverage(poster, tol)
    np.testing.assert_array_equal(cov.within_counts, res.stats.within_counts)
    np.testing.assert_array_equal(cov.outside_counts, res.stats.outside_counts)
    np.testing.assert_array_equal(matcher.within(poster, tol), res.within)


@pytest.mark.parametrize("tol", TOLERANCES)
def test_fast_path_nearest_index(
    tol: float, poster: npt.NDArray[np.uint8], oracle: Oracle, matcher: PaletteMatcher
) -> None:
    res = matcher.match(poster, tol)
    nearest = res.nearest.reshape(-1).astype(np.intp)
    clear = oracle.gap > 0.5
    within = oracle.dmin <= tol
    # Within tolerance: guaranteed wherever the exact gap to the second nearest > 0.5.
    np.testing.assert_array_equal(nearest[clear & within], oracle.nearest[clear & within])
    # Outside tolerance the nearest index is a per-4×4×4-cell estimate (documented):
    # it may only be wrong close to a boundary between two colours' regions.
    out = clear & ~within
    agree = float(np.mean(nearest[out] == oracle.nearest[out]))
    assert agree > 0.99, agree
    assert float(np.mean(nearest[clear] == oracle.nearest[clear])) > 0.995


def test_code_table_agrees_with_exact_on_random_colours_across_the_cube(matcher: PaletteMatcher) -> None:
    rng = np.random.default_rng(4)
    rgb = rng.integers(0, 256, (60_000, 3), dtype=np.uint8)
    de = ciede2000(srgb_to_lab(rgb)[:, None, :], matcher.lab[None, :, :]).min(axis=1)
    for tol in TOLERANCES:
        np.testing.assert_array_equal(matcher.within(rgb, tol), de <= tol)


def test_exact_min_delta_e_is_the_oracle(
    poster: npt.NDArray[np.uint8], oracle: Oracle, matcher: PaletteMatcher
) -> None:
    dmin, idx = matcher.exact_min_delta_e(poster)
    assert dmin.shape == poster.shape[:2] and idx.shape == poster.shape[:2]
    np.testing.assert_allclose(dmin.reshape(-1), oracle.dmin, rtol=0, atol=1e-12)
    clear = oracle.gap > 1e-9
    np.testing.assert_array_equal(idx.reshape(-1)[clear], oracle.nearest[clear])


def test_min_delta_e_is_a_close_estimate(
    poster: npt.NDArray[np.uint8], oracle: Oracle, matcher: PaletteMatcher
) -> None:
    dmin, idx = matcher.min_delta_e(poster.reshape(-1, 3))
    assert dmin.dtype == np.float32 and dmin.shape == (poster.shape[0] * poster.shape[1],)
    err = np.abs(dmin.astype(np.float64) - oracle.dmin)
    assert np.median(err) < 0.5
    assert np.quantile(err, 0.99) < 2.0
    assert np.mean(idx[oracle.gap > 0.5] == oracle.nearest[oracle.gap > 0.5]) > 0.99


def test_matcher_edge_cases() -> None:
    m = PaletteMatcher([(200, 30, 60)])
    assert len(m) == 1 and m.colors == ((200, 30, 60),)
    assert "#C81E3C" in repr(m)
    # Exact colour, a near colour, a far colour; odd pixel counts and the last pixel.
    px = np.array([[200, 30, 60], [201, 30, 60], [0, 255, 0]], dtype=np.uint8)
    res = m.match(px, 2.0)
    np.testing.assert_array_equal(res.within, [True, True, False])
    np.testing.assert_array_equal(res.nearest, [0, 0, 0])
    assert res.stats.within_count == 2 and res.stats.coverage == pytest.approx(2 / 3)
    # Tolerance 0: only the exact colour is within.
    np.testing.assert_array_equal(m.within(px, 0.0), [True, False, False])
    # Single pixel, empty input, (H, W, 3) input, non-contiguous and read-only input.
    assert m.within(px[:1], 2.0).tolist() == [True]
    empty = m.match(np.zeros((0, 3), dtype=np.uint8), 2.0)
    assert empty.codes.shape == (0,) and empty.stats.coverage == 0.0
    img = np.broadcast_to(px[1], (5, 7, 3))  # read-only, zero strides
    assert m.within(img, 2.0).shape == (5, 7) and m.within(img, 2.0).all()
    np.testing.assert_array_equal(m.within(px[::-1], 2.0), [False, True, True])
    assert m.build_seconds(2.0) is not None and m.build_seconds(3.0) is None


def test_matcher_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        PaletteMatcher([])
    with pytest.raises(ValueError):
        PaletteMatcher([(0, 0, 256)])
    with pytest.raises(ValueError):
        PaletteMatcher([(0, 0, 0)] * 128)
    m = PaletteMatcher([(0, 0, 0)])
    with pytest.raises(TypeError):
        m.match(np.zeros((4, 3), dtype=np.float64), 2.0)
    with pytest.raises(ValueError):
        m.match(np.zeros((4, 4), dtype=np.uint8), 2.0)
    with pytest.raises(ValueError):
        m.match(np.zeros((4, 3), dtype=np.uint8), -1.0)
    with pytest.raises(ValueError):
        m.match(np.zeros((4, 3), dtype=np.uint8), float("nan"))
