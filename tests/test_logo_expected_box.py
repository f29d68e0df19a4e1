"""The logo where the layout put it is verified there, to the pixel, without the whole-image search.

Compose pastes the logo file resized to the layout's box, so the visible logo's width is known to a pixel or two.
The thin Northwind wordmark loses ~0.05 of correlation per pixel of width error; the ±3 % / ±1 % steps of the
general verification stepped over the right width at 246 px (score 0.846 < 0.85), so the check fell back to the
whole-image search (ORB) for the most common image there is. These tests hold the expected-box reading: found there
(``method`` ``expected-box``), the same geometry the whole-image search reports, and the fallback still named when
the logo is not at its box.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from benchmarks.bench_checks import make_poster
from brandkit.checks.base import CheckResources
from brandkit.checks.logo.constants import EXPECTED_BOX_WIDTHS
from brandkit.checks.logo.features_cache import prepared_for_spec
from brandkit.checks.logo.matching import shared_region
from brandkit.checks.logo.prepare import PreparedLogo, SizedTemplates, grey_scene
from brandkit.checks.logo.sized import resized_now, sized
from brandkit.checks.logo.verify import match_near, near_window, verify_sizes
from brandkit.compose import logo_image
from brandkit.layout import resize_logo
from brandkit.models import CheckStatus
from brandkit.spec.models import BrandSpec
from tests.support.logo_checks import run_logo_check


def _poster(spec: BrandSpec, px: int, at: tuple[int, int]) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """The bench poster without logo, the primary logo pasted as compose pastes it; the layout's box."""
    image = make_poster(spec, 1024, 1024, logo_px=None, seed=2)
    logo = resize_logo(logo_image(spec, spec.logo("primary")), px)
    image.paste(logo, at, logo)
    return image, (at[0], at[1], at[0] + logo.width, at[1] + logo.height)


@pytest.mark.parametrize("px", [170, 246, 300, 350])
def test_logo_at_the_layouts_box_is_verified_there(northwind: BrandSpec, px: int) -> None:
    resources = CheckResources()
    image, box = _poster(northwind, px, (56, 56))
    at_box = run_logo_check(northwind, image, resources, box=box)
    assert at_box.status is CheckStatus.passed, at_box.details
    assert at_box.details["method"] == "expected-box"
    assert at_box.details["detection"]["expected_box"].startswith("found")
    assert at_box.score is not None and at_box.score >= 0.85
    # the same geometry as the whole-image search (no box given) reads, within a pixel or two and 1 % of scale
    searched = run_logo_check(northwind, image, resources, box=None)
    assert searched.status is CheckStatus.passed and searched.details["method"] != "expected-box"
    for ours, theirs in zip(at_box.details["box"], searched.details["box"], strict=True):
        assert abs(ours - theirs) <= 2
    assert at_box.details["scale"] == pytest.approx(searched.details["scale"], rel=0.01)
    assert abs(at_box.details["aspect_change"]) <= 0.03  # far from the 5 % distortion rule
    assert at_box.details["rendered_width_px"] == pytest.approx(px, abs=px * 0.02)


def test_logo_elsewhere_falls_back_to_the_whole_image_search(northwind: BrandSpec) -> None:
    resources = CheckResources()
    image, _ = _poster(northwind, 300, (56, 56))
    wrong_box = (400, 600, 700, 666)  # where the layout said, but the logo is top-left
    res = run_logo_check(northwind, image, resources, box=wrong_box)
    assert res.details["method"] != "expected-box"
    assert res.details["detection"]["expected_box"].startswith("not there")
    assert res.details["found"] is True and res.details["placement"] == "top-left"


@pytest.mark.parametrize("squash", [0.85, 0.93])
def test_squashed_logo_at_the_layouts_box_is_still_read_as_distorted(northwind: BrandSpec, squash: float) -> None:
    """The pixel grid at the box tries the file's own aspect only: a squashed logo there is not verified at the
    box, and the whole-image search reads (and fails) the distortion as before."""
    resources = CheckResources()
    image = make_poster(northwind, 1024, 1024, logo_px=None, seed=2)
    logo = resize_logo(logo_image(northwind, northwind.logo("primary")), 300)
    logo = logo.resize((logo.width, round(logo.height * squash)), Image.Resampling.LANCZOS)
    image.paste(logo, (56, 56), logo)
    res = run_logo_check(northwind, image, resources, box=(56, 56, 56 + logo.width, 56 + round(logo.height / squash)))
    assert res.details["method"] != "expected-box"
    assert res.status is CheckStatus.failed and "distorted" in res.details["failed_rules"], res.details


# --- the pixel grid's cost: sizes kept on the prepared logo, one region's DFTs shared by every size ---------------


def _pixel_grid(logo: PreparedLogo, box: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    """The sizes ``at_expected_box`` tries at ``box``."""
    base = round((box[2] - box[0]) / logo.trim_scale)
    sizes: list[tuple[int, int]] = []
    for tw in range(base + EXPECTED_BOX_WIDTHS[0], base + EXPECTED_BOX_WIDTHS[1] + 1):
        exact = tw * logo.aspect
        sizes.extend((tw, th) for th in sorted({math.floor(exact), math.ceil(exact)}) if (tw, th) not in sizes)
    return sizes


def test_sizes_are_resized_once_per_kit_and_equal_a_fresh_resize(northwind: BrandSpec) -> None:
    resources = CheckResources()
    image, box = _poster(northwind, 246, (56, 56))
    first = run_logo_check(northwind, image, resources, box=box)
    logo = prepared_for_spec(northwind, resources, northwind.logo("primary"), 255)
    made = logo.sized.made
    assert made > 0 and len(logo.sized) > 0
    for tw, th in _pixel_grid(logo, box):
        entry = sized(logo, tw, th)
        templ, mask = resized_now(logo, tw, th)
        assert np.array_equal(entry.templ, templ) and np.array_equal(entry.mask, mask)
        assert not entry.templ.flags.writeable  # shared by every image: nobody may change it
    # the next image of the format: the same sizes (and their spectra) found, nothing resized again
    again = run_logo_check(northwind, image, resources, box=box)
    assert logo.sized.made == made
    assert again.details["box"] == first.details["box"] and again.score == first.score


def test_kept_sizes_stay_within_their_budget() -> None:
    kept = SizedTemplates(budget=1000)
    for size in range(10):
        assert kept.get((size, size), lambda: np.zeros(300, np.uint8), lambda a: int(a.nbytes)).shape == (300,)
    assert len(kept) == 3 and kept.made == 10  # the three most recent: 900 bytes
    kept.get((9, 9), lambda: np.ones(300, np.uint8), lambda a: int(a.nbytes))
    assert kept.made == 10


@pytest.mark.parametrize(("px", "dark"), [(170, False), (246, False), (350, False), (246, True)])
def test_shared_region_scores_as_each_window_alone(northwind: BrandSpec, px: int, dark: bool) -> None:
    """The region's DFT correlations (float64, as ``matchTemplate`` transforms) give every size of the pixel grid
    the place and score (to float32 rounding) that matching each window alone gives. A dark scene is where float32
    transforms lose ~1e-4 of score (the squares are large there)."""
    image, box = _poster(northwind, px, (56, 56))
    if dark:
        image = ImageEnhance.Brightness(image).enhance(0.12)
    logo = prepared_for_spec(northwind, CheckResources(), northwind.logo("primary"), 255)
    scene = grey_scene(image, 255)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    sizes = _pixel_grid(logo, box)
    windows = [w for w in (near_window(scene, cx, cy, tw, th, 0.05, 0.15) for tw, th in sizes) if w is not None]
    assert len(windows) == len(sizes)
    region = shared_region(scene, windows)
    assert region is not None
    for tw, th in sizes:
        alone = match_near(scene, logo, cx, cy, tw, th, 0.05, 0.15)
        shared = match_near(scene, logo, cx, cy, tw, th, 0.05, 0.15, region)
        assert alone is not None and shared is not None
        assert shared[1:] == alone[1:]
        assert shared[0] == pytest.approx(alone[0], abs=1e-6)
    best = verify_sizes(scene, logo, cx, cy, sizes)
    one_by_one = max(
        (
            (hit[0], (hit[1], hit[2], hit[1] + tw, hit[2] + th))
            for tw, th in sizes
            if (hit := match_near(scene, logo, cx, cy, tw, th, 0.05, 0.15)) is not None
        ),
        key=lambda hit: hit[0],
    )
    assert best[1] == one_by_one[1] and best[0] == pytest.approx(one_by_one[0], abs=1e-6)


@pytest.mark.parametrize(("px", "shift", "squash"), [(246, 0, 1.0), (246, 0, 0.9), (300, 9, 1.0), (0, 0, 1.0)])
def test_the_box_readings_share_sizes_and_read_as_each_alone(
    northwind: BrandSpec, px: int, shift: int, squash: float
) -> None:
    """The layout's-box reading passes one table of sizes tried at its centre through the pixel grid, the ±3 %
    reading and the distortion test: the same answer as the three readings each on their own (a logo at its box,
    squashed there, a few pixels off, absent)."""
    from brandkit.checks.logo.expected_box import at_expected_box
    from brandkit.checks.logo.verify import distorted_in_place, verify

    logo = prepared_for_spec(northwind, CheckResources(), northwind.logo("primary"), 255)
    image = make_poster(northwind, 1024, 1024, logo_px=None, seed=2)
    box = (56, 56, 56 + 246, 56 + round(246 * logo.aspect))
    if px:
        pasted = resize_logo(logo_image(northwind, northwind.logo("primary")), px)
        pasted = pasted.resize((pasted.width, round(pasted.height * squash)), Image.Resampling.LANCZOS)
        image.paste(pasted, (56 + shift, 56 + shift), pasted)
    scene = grey_scene(image, 255)
    found, how = at_expected_box(scene, logo, box)
    # the same readings, none sharing a size with another
    cx, cy, visible = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, (box[2] - box[0]) / logo.trim_scale
    base = round(visible)
    sizes = sorted(
        {
            (tw, th)
            for tw in range(base + EXPECTED_BOX_WIDTHS[0], base + EXPECTED_BOX_WIDTHS[1] + 1)
            for th in (math.floor(tw * logo.aspect), math.ceil(tw * logo.aspect))
        }
    )
    score, at = verify_sizes(scene, logo, cx, cy, sizes)
    if score < 0.85:
        score, at = verify(scene, logo, cx, cy, visible, visible * logo.aspect)
    if score < 0.85:
        assert found is None and how.startswith("best score")
        return
    distorted = distorted_in_place(scene, logo, at, score)
    if distorted is not None:
        score, at = distorted
    assert found is not None and found.box == at and found.score == score
