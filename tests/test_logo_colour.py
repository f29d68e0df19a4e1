"""The logo keeps its colours (``checks/logo/colour.py``): its shape is matched in grey, so a logo turned to another
hue, or to grey, matched its template and passed every rule before the recolour rule.

The ads are the gate corpus's real photographs composed by brandkit; the edits are ``bench_logo_rules``' own."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import brandkit
import brandkit.checks.logo.check as check_module
from benchmarks.bench_logo_rules import edits
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.logo import LogoCheck, prepare_logo
from brandkit.checks.logo.colour import colour_reading
from brandkit.checks.logo.constants import (
    LOGO_COLOUR_CORE_SHARE,
    LOGO_COLOUR_PART_SHARE,
    LOGO_RECOLOUR_DE,
    VARIANT_COLOUR_MARGIN,
)
from brandkit.checks.logo.features_cache import from_arrays, to_arrays
from brandkit.color.ciede2000 import ciede2000
from brandkit.color.convert import hex_to_rgb, srgb_to_lab
from brandkit.imageio import encode_image, load_image
from brandkit.models import CheckResult, CheckStatus
from brandkit.pipeline import expectation_from_provenance
from brandkit.spec.models import BrandSpec
from tests.support.gate_corpus import load_cases, render_all

Edits = tuple[BrandSpec, Expectation, dict[str, Image.Image]]


def _case(case_id: str) -> tuple[BrandSpec, bytes]:
    case = next(c for c in load_cases() if c.id == case_id)
    return brandkit.load_spec(f"brand_specs/{case.brand}"), render_all([case])[case.id].read_bytes()


def _check(spec: BrandSpec, image: Image.Image, data: bytes, expectation: Expectation) -> CheckResult:
    ctx = CheckContext(spec=spec, image=image, data=data, expectation=expectation, resources=CheckResources())
    return LogoCheck().run(ctx)


@pytest.fixture(scope="module")
def ubuntu_edits() -> Edits:
    """An Ubuntu ad of the corpus (its layout known from its provenance) and its logo edits."""
    spec, data = _case("ubuntu-desk-coffee-square-composed")
    seen = expectation_from_provenance(data, "png")
    assert seen.logo_box is not None and seen.logo_variant is not None
    variant = spec.logo(seen.logo_variant)
    logo_file = load_image(spec.asset_path(variant.file)).convert("RGBA")
    made = {
        name: image for name, _, _, image in edits(load_image(data), seen.logo_box, logo_file, variant.min_width_px)
    }
    return spec, seen, made


def test_the_logo_files_colours_are_read_once_with_the_template(ubuntu_edits: Edits) -> None:
    """The Ubuntu logo's orange, aubergine and white, each within 2 ΔE00 of the brand's own hex; the blends between
    them belong to no colour; the warm cache stores them, and an entry without them is stale."""
    spec = ubuntu_edits[0]
    prepared = prepare_logo(load_image(spec.asset_path(spec.logo("primary").file)), "primary")
    assert prepared.colours.shape == (3, 3) and prepared.colour_labels.shape == prepared.grey.shape
    for brand_hex in ("#E95420", "#2C001E", "#FFFFFF"):
        gaps = ciede2000(srgb_to_lab(prepared.colours), srgb_to_lab(np.array(hex_to_rgb(brand_hex), np.uint8)))
        assert float(gaps.min()) < 2.0, (brand_hex, prepared.colours.tolist())
    opaque = prepared.alpha >= 250
    assert 0 < int(((prepared.colour_labels == 0) & opaque).sum()) < 0.2 * int(opaque.sum())  # the blends
    again = from_arrays(to_arrays(prepared), "primary")
    assert again is not None and np.array_equal(again.colours, prepared.colours)
    assert np.array_equal(again.colour_labels, prepared.colour_labels)
    stale = {k: v for k, v in to_arrays(prepared).items() if k != "colours"}
    assert from_arrays(stale, "primary") is None


def test_a_large_part_of_one_colour_is_an_area_of_its_own(northwind: BrandSpec) -> None:
    """The Northwind mono logo is one colour: its mark (a connected part of a fifth of it or more) is an area of its
    own, the wordmark's letters another, so that the mark turned grey is not outvoted by the near-black letters."""
    mono = prepare_logo(load_image(northwind.asset_path(northwind.logo("mono").file)), "mono")
    assert len(mono.colours) >= 2 and len({tuple(c) for c in mono.colours.tolist()}) == 1, mono.colours
    sizes = [int((mono.colour_labels == k + 1).sum()) for k in range(len(mono.colours))]
    assert max(sizes) < 0.9 * sum(sizes) and min(sizes) >= LOGO_COLOUR_PART_SHARE * sum(sizes) * 0.9, sizes


@pytest.mark.parametrize("provenance", ["kept", "stripped"])
def test_a_recoloured_logo_is_named_and_the_logo_as_drawn_passes(ubuntu_edits: Edits, provenance: str) -> None:
    """As drawn: passes, every colour within 2 ΔE00. Its hues turned half way round, or in grey: the shape still
    matches (found), and the check fails naming ``recoloured``, the file's colour and what the image shows — with
    the layout known and without it (every variant searched for: none keeps the colours)."""
    spec, seen, made = ubuntu_edits
    for name in ("as drawn", "recoloured (hue)", "recoloured (grey)"):
        data = encode_image(made[name], "png")
        expectation = seen if provenance == "kept" else expectation_from_provenance(data, "png")
        result = _check(spec, made[name], data, expectation)
        colour = result.details["colour"]
        if name == "as drawn":
            assert result.status is CheckStatus.passed, result.details
            assert colour["recoloured"] is False and colour["worst_delta_e"] < 2.0, colour
            continue
        assert result.status is CheckStatus.failed and result.details["found"] is True, (name, result.details)
        assert "recoloured" in result.details["failed_rules"], (name, result.details["failed_rules"])
        assert colour["recoloured"] and colour["worst_delta_e"] > LOGO_RECOLOUR_DE, colour
        assert colour["worst"] != "all", colour  # every colour turned: an area of the file is named
        area = colour["colours"][colour["worst"]]
        assert f"its {area['file']} ({area['share']:.0%} of it) reads {area['image']}" in (result.hint or "")


def test_a_thin_colour_counts_in_the_whole_logo_only() -> None:
    """A resized JPEG copy of an Ubuntu ad (on brand): the thin aubergine wordmark lost its chroma to JPEG's halved
    colour resolution (median ΔE00 over 10) but less than :data:`LOGO_COLOUR_CORE_SHARE` of it lies a pixel clear of
    its edge, so its median does not decide; its pixels count in the whole logo's upper quartile, which the orange
    mark keeps low, and the logo passes."""
    spec, data = _case("ubuntu-desk-coffee-landscape-resized-copy")
    result = _check(spec, load_image(data), data, expectation_from_provenance(data, "jpeg"))
    assert result.status is CheckStatus.passed, result.details
    colour = result.details["colour"]
    colours = {c["file"]: c for c in colour["colours"]}  # the Ubuntu logo's three colours, one area each
    thin = colours["#2C001E"]
    assert thin["delta_e"] > 10 and thin["core_share"] < LOGO_COLOUR_CORE_SHARE and not thin["decides"], thin
    assert colours["#E95420"]["decides"] and colour["upper_quartile"] < LOGO_RECOLOUR_DE, colour


@pytest.fixture(scope="module")
def misnamed() -> tuple[BrandSpec, Image.Image, bytes]:
    """A resized JPEG copy of a Northwind ad (on brand, its colour logo), read without provenance: the one-colour
    ``mono`` silhouette's ORB found its logo first, and it was named — and judged — ``mono`` before this rule
    (6 of 360 ``bench_logo_scale`` checks)."""
    spec, data = _case("northwind-cafe-cat-landscape-resized-copy")
    return spec, load_image(data), data


def test_a_colour_logo_is_not_named_mono(misnamed: tuple[BrandSpec, Image.Image, bytes]) -> None:
    """The mono's near-black, where the image shows brown and orange, fails its colours: the search goes on, and the
    ``primary`` is named."""
    spec, image, data = misnamed
    result = _check(spec, image, data, expectation_from_provenance(data, "jpeg"))
    assert result.status is CheckStatus.passed and result.details["variant"] == "primary", result.details
    assert result.details["colour"]["worst_delta_e"] < LOGO_RECOLOUR_DE


def test_the_variant_whose_colours_fit_is_named(misnamed: tuple[BrandSpec, Image.Image, bytes]) -> None:
    """The mono's reading of that logo (ORB on the whole image, its colours far off): every other variant's colours
    are read at its box, the primary's fit, it is read there in full and named; ``variant_fits`` gives each variant
    read. A reading whose colours already fit is kept as it is, nothing else read."""
    spec, image, data = misnamed
    ctx = CheckContext(
        spec=spec,
        image=image,
        data=data,
        expectation=expectation_from_provenance(data, "jpeg"),
        resources=CheckResources(),
    )
    check = LogoCheck()
    scenes = check_module._Scenes(ctx, share=True)
    searched = [logo.variant for logo in spec.logos]
    mono = check._check_variant(ctx, "mono", scenes, fast=True)
    gap = mono.details["colour"]["worst_delta_e"]
    assert mono.details["found"] and gap > LOGO_RECOLOUR_DE, mono.details
    chosen = check._fitting_variant(ctx, mono, searched, scenes)
    assert chosen.details["variant"] == "primary" and chosen.status is CheckStatus.passed, chosen.details
    fits = chosen.details["variant_fits"]
    assert fits["mono"] == gap and fits["primary"] is not None and fits["primary"] + VARIANT_COLOUR_MARGIN < gap, fits
    assert "inverse" not in fits  # its cream and orange were read at the box and fit no better: not read in full
    spec, clean = _case("northwind-cafe-cat-landscape-composed")  # the same ad as composed: its colours fit
    ctx = CheckContext(spec=spec, image=load_image(clean), data=clean,
                       expectation=expectation_from_provenance(clean, "png"), resources=CheckResources())  # fmt: skip
    scenes = check_module._Scenes(ctx, share=True)
    primary = check._check_variant(ctx, "primary", scenes, fast=True)
    assert primary.details["colour"]["worst_delta_e"] <= VARIANT_COLOUR_MARGIN, primary.details
    assert check._fitting_variant(ctx, primary, searched, scenes) is primary
    assert "variant_fits" not in primary.details


def test_a_colour_reading_says_why_it_cannot_judge(northwind: BrandSpec) -> None:
    """Rotated past the distortion rule's limit, a box a few pixels wide, a logo too small to show its colours:
    nothing decides, and the reason says why."""
    prepared = prepare_logo(load_image(northwind.asset_path(northwind.logo("primary").file)), "primary")
    image = Image.new("RGB", (400, 200), (255, 255, 255))
    rotated = colour_reading(image, prepared.colour_labels, prepared.colours, (10, 10, 300, 80), rotation_deg=8.0)
    assert rotated.worst is None and not rotated.recoloured and "rotated" in (rotated.reason or "")
    tiny = colour_reading(image, prepared.colour_labels, prepared.colours, (10, 10, 12, 80))
    assert tiny.worst is None and "too small" in (tiny.reason or "")
    small = colour_reading(image, prepared.colour_labels, prepared.colours, (10, 10, 40, 17))
    assert small.worst is None and "too few pixels" in (small.reason or ""), small
    white = colour_reading(image, prepared.colour_labels, prepared.colours, (10, 10, 300, 70))
    assert white.recoloured and white.problem("primary", "in the image"), white  # no logo there: all white
