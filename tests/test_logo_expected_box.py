"""The logo where the layout put it is verified there, to the pixel, without the whole-image search.

Compose pastes the logo file resized to the layout's box, so the visible logo's width is known to a pixel or two.
The thin Northwind wordmark loses ~0.05 of correlation per pixel of width error; the ±3 % / ±1 % steps of the
general verification stepped over the right width at 246 px (score 0.846 < 0.85), so the check fell back to the
whole-image search (ORB) for the most common image there is. These tests hold the expected-box reading: found there
(``method`` ``expected-box``), the same geometry the whole-image search reports, and the fallback still named when
the logo is not at its box.
"""

from __future__ import annotations

import pytest
from PIL import Image

from benchmarks.bench_checks import make_poster
from brandkit.checks.base import CheckResources
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
