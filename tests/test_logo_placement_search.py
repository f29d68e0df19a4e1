"""The coarse-to-fine logo search looks only where a logo can pass the placement rule (issue 21, ninth pass).

* :func:`placement_regions` holds every centre :func:`placement_of` names one of the placements, and nothing a
  pixel beyond their cells.
* The coarse search restricted to boxes scores the windows centred in them exactly as the whole search does:
  boxes covering the image give the same candidates, a box around the logo the same best place; every candidate
  of a restricted search is centred in a box.
* The check still names a logo plain to see in a cell no placement allows (ORB on the whole scene looks
  everywhere) and says the template search was restricted; a logo only the candidates' search would find outside
  the placements is "not found in those places" (the same decision, failed).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from benchmarks.bench_checks import make_poster
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.logo import LogoCheck, prepare_logo
from brandkit.checks.logo.detection import detect_logo
from brandkit.checks.logo.prepare import grey_scene
from brandkit.checks.logo.rules import PLACEMENT_CELLS, placement_of, placement_regions
from brandkit.checks.logo.template import coarse_candidates
from brandkit.imageio import encode_image, load_image
from brandkit.models import CheckResult
from brandkit.spec.models import BrandSpec

PLACEMENT_SETS = [
    ["top-left", "top-right", "bottom-right"],  # northwind, ubuntu
    ["top-left", "bottom-left", "top-right"],  # lumen-health
    ["top-left", "top-center", "top-right"],  # one band
    ["top-left", "bottom-left", "center"],
    list(PLACEMENT_CELLS),
    ["center"],
]


@pytest.mark.parametrize("size", [(1024, 1024), (1536, 1024), (1000, 1500), (901, 677)])
@pytest.mark.parametrize("placements", PLACEMENT_SETS, ids=lambda p: "+".join(p))
def test_regions_hold_every_allowed_centre_and_no_other(size: tuple[int, int], placements: list[str]) -> None:
    width, height = size
    regions = placement_regions(placements, width, height)
    assert regions and all(0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height for x0, y0, x1, y1 in regions)
    for cy in np.arange(0.0, height, 2.5):
        for cx in np.arange(0.0, width, 2.5):
            inside = any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in regions)
            if placement_of(cx, cy, width, height) in placements:
                assert inside, (cx, cy)
            elif inside:  # only a pixel past an allowed cell's edge
                near = [placement_of(cx + dx, cy + dy, width, height) for dx in (-1.5, 0, 1.5) for dy in (-1.5, 0, 1.5)]
                assert any(n in placements for n in near), (cx, cy)


def test_neighbouring_cells_are_one_box() -> None:
    assert len(placement_regions(["top-left", "top-center", "top-right"], 900, 600)) == 1
    assert len(placement_regions(["top-left", "top-right", "bottom-right"], 900, 600)) == 3
    assert len(placement_regions(["top-left", "bottom-left"], 900, 900)) == 2  # middle-left is not allowed
    assert placement_regions([], 900, 900) == []


def _poster(spec: BrandSpec, logo_px: int = 200, seed: int = 0) -> np.ndarray:
    return grey_scene(make_poster(spec, 640, 640, logo_px=logo_px, seed=seed), 255)


def test_boxes_over_the_whole_image_give_the_whole_search(northwind: BrandSpec) -> None:
    logo = prepare_logo(load_image(northwind.asset_path(northwind.logo("primary").file)), "primary", 255)
    scene = _poster(northwind)
    whole = coarse_candidates(scene, logo, 40.0, 400.0)
    covered = coarse_candidates(scene, logo, 40.0, 400.0, centres=[(0, 0, 640, 640)])
    assert [(c.x, c.y, c.w, c.h) for c in covered] == [(c.x, c.y, c.w, c.h) for c in whole]
    assert [c.score for c in covered] == pytest.approx([c.score for c in whole], abs=1e-5)


def test_a_box_around_the_logo_finds_its_best_place_and_every_candidate_is_centred_in_a_box(
    northwind: BrandSpec,
) -> None:
    logo = prepare_logo(load_image(northwind.asset_path(northwind.logo("primary").file)), "primary", 255)
    scene = _poster(northwind)
    best = coarse_candidates(scene, logo, 40.0, 400.0)[0]
    cx, cy = best.x + best.w / 2, best.y + best.h / 2
    assert cx < 213 and cy < 213  # the poster's logo, top-left
    box = (math.floor(cx) - 30, math.floor(cy) - 20, math.ceil(cx) + 30, math.ceil(cy) + 20)
    far = (400, 400, 640, 640)
    restricted = coarse_candidates(scene, logo, 40.0, 400.0, centres=[box, far])
    top = restricted[0]
    assert (top.x, top.y, top.w, top.h) == (best.x, best.y, best.w, best.h)
    assert top.score == pytest.approx(best.score, abs=1e-5)
    for cand in restricted:  # centred in a box, to a pixel of the level the width was searched on
        mx, my = cand.x + cand.w / 2, cand.y + cand.h / 2
        slack = 2.0 * cand.w / max(8, round(cand.w * 0.25))
        assert any(
            x0 - slack <= mx <= x1 + slack and y0 - slack <= my <= y1 + slack for x0, y0, x1, y1 in (box, far)
        ), cand


def _checked_with_box(spec: BrandSpec, image: Image.Image, box: tuple[int, int, int, int]) -> CheckResult:
    """The logo check of ``image`` whose layout put the primary logo at ``box`` (top-left, on a light canvas)."""
    expectation = Expectation(
        width=image.width,
        height=image.height,
        output_format="png",
        transparent=False,
        logo_variant="primary",
        logo_box=box,
        background_tone="light",
    )
    ctx = CheckContext(
        spec=spec, image=image, data=encode_image(image, "png"), expectation=expectation, resources=CheckResources()
    )
    return LogoCheck().run(ctx)


def test_a_logo_plain_to_see_in_a_disallowed_cell_is_still_named_misplaced(northwind: BrandSpec) -> None:
    variant = northwind.logo("primary")
    assert "center" not in variant.placements
    canvas = Image.new("RGB", (1024, 1024), (0xF3, 0xE9, 0xDC))
    file = load_image(northwind.asset_path(variant.file)).convert("RGBA")
    logo = file.resize((300, round(300 * file.height / file.width)), Image.Resampling.LANCZOS)
    canvas.paste(logo, (362, 512 - logo.height // 2), logo)
    res = _checked_with_box(northwind, canvas, (60, 60, 360, 60 + logo.height))
    assert res.details["found"] is True and res.details["placement"] == "center"
    assert res.details["failed_rules"] == ["misplaced"]
    said = res.details["detection"]["expected_box"]
    assert said.startswith("not there") and "the allowed placements by template" in said


def test_a_logo_the_candidates_search_finds_only_outside_the_placements_is_not_found_there(
    northwind: BrandSpec,
) -> None:
    """A small logo on noise in the middle-left cell: ORB on the whole scene misses it, the unrestricted search
    finds it by upsampled ORB around a coarse candidate (and it would fail as misplaced); restricted to where the
    placement rule allows the logo, the check fails it as not found there — the same decision, a vaguer hint."""
    variant = northwind.logo("primary")
    assert "middle-left" not in variant.placements
    rng = np.random.default_rng(3)
    image = Image.fromarray(np.clip(rng.normal(200, 12, (1024, 1024, 3)), 0, 255).astype(np.uint8))
    file = load_image(northwind.asset_path(variant.file)).convert("RGBA")
    logo = file.resize((170, round(170 * file.height / file.width)), Image.Resampling.LANCZOS)
    image.paste(logo, (40, 512 - logo.height // 2), logo)
    prepared = prepare_logo(file, "primary", 255)
    found, info = detect_logo(grey_scene(image, 255), prepared, 50, 400)  # anywhere
    assert found is not None and found.method == "orb-upsampled", info
    x0, y0, x1, y1 = found.box
    assert placement_of((x0 + x1) / 2, (y0 + y1) / 2, 1024, 1024) == "middle-left"
    res = _checked_with_box(northwind, image, (60, 60, 230, 60 + logo.height))
    assert res.status.value == "failed" and res.details["found"] is False
    assert res.details["detection"]["orb"] == "x1: no match"
    assert (res.hint or "").endswith("it was not found in those places on the last attempt")


@pytest.mark.parametrize("keep", [False, True])
def test_views_and_views_of_views_read_their_own_crop(keep: bool) -> None:
    """A crop's integral images and window sums are those of the crop itself, whether it is a view of the scene
    or of another view — and a scene that keeps window sums per mask keeps each crop's apart."""
    from brandkit.checks.logo.scene import SceneStats

    rng = np.random.default_rng(11)
    scene = rng.integers(0, 256, (120, 160), dtype=np.uint8)
    weights = (rng.random((9, 13)) > 0.4).astype(np.float32)
    whole = SceneStats(scene, keep_window_sums=keep)
    direct = whole.view(30, 20, 110, 90)
    nested = whole.view(10, 5, 150, 110).view(20, 15, 100, 85)  # the same crop, through another view
    other = whole.view(0, 0, 80, 70)  # same shape, another place
    fresh = SceneStats(np.ascontiguousarray(scene[20:90, 30:110]))

    def boxes(integral: np.ndarray, th: int = 7, tw: int = 5) -> np.ndarray:  # every th×tw window's sum
        return integral[th:, tw:] - integral[:-th, tw:] - integral[th:, :-tw] + integral[:-th, :-tw]

    for part in (direct, nested):
        assert np.array_equal(part.scene, fresh.scene)
        assert np.array_equal(boxes(part.sums), boxes(fresh.sums))
        assert np.array_equal(boxes(part.sqsums), boxes(fresh.sqsums))
        sums, squares = part.window_sums(weights)
        expected = fresh.window_sums(weights)
        assert np.allclose(sums, expected[0], atol=1e-2) and np.allclose(squares, expected[1], rtol=1e-6)
    other_sums, _ = other.window_sums(weights)
    assert not np.allclose(other_sums, direct.window_sums(weights)[0])
