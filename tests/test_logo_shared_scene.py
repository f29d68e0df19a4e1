"""A file without provenance is searched for every logo variant on one shared scene, in two passes.

* What the variants share (:class:`~brandkit.checks.logo.scene.LogoScene`: ORB's scene keypoints, the coarse
  levels, their window sums per mask) gives each variant the same reading as a search of its own.
* The fast pass (ORB on the whole scene for every variant) ends the search when a later variant is plain to see:
  the earlier variants' template searches do not run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import brandkit
import brandkit.checks.logo.check as check_module
import brandkit.checks.logo.detection as detection_module
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.logo import LogoCheck
from brandkit.checks.logo.constants import SEARCH_MAX_WIDTH_SHARE, SEARCH_MIN_WIDTH_SHARE
from brandkit.checks.logo.detection import detect_logo
from brandkit.checks.logo.features_cache import prepared_for_spec
from brandkit.checks.logo.prepare import backdrop_shows, grey_scene
from brandkit.checks.logo.scene import LogoScene, SceneStats
from brandkit.checks.logo.sized import correlation_kernels, resized
from brandkit.checks.technical import TechnicalCheck
from brandkit.imageio import encode_image, load_image
from brandkit.models import CheckStatus
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec
from tests.support.gate_corpus import load_cases, render_all

ROOT = Path(__file__).resolve().parents[1]


def _corpus_image(case_id: str) -> tuple[BrandSpec, Image.Image]:
    case = next(c for c in load_cases() if c.id == case_id)
    data = render_all([case])[case.id].read_bytes()
    return brandkit.load_spec(ROOT / "brand_specs" / case.brand), load_image(data)


def test_kept_window_sums_are_the_computed_ones_and_the_caller_owns_its_copy(northwind: BrandSpec) -> None:
    _, image = _corpus_image("northwind-cafe-cat-square-bare-photo")
    small = np.ascontiguousarray(grey_scene(image, 255)[::3, ::3])
    logo = prepared_for_spec(northwind, CheckResources(), northwind.logo("primary"), 255)
    templ, mask = resized(logo, 60, round(60 * logo.aspect))
    weights = correlation_kernels(templ, mask).weights
    plain = SceneStats(small).window_sums(weights)
    kept = SceneStats(small, keep_window_sums=True)
    first = kept.window_sums(weights)
    for got, want in zip(first, plain, strict=True):
        assert np.array_equal(got, want)
        got[:] = -7.0  # what the normalisation does to its arrays, in place
    again = kept.window_sums(weights)
    for got, want in zip(again, plain, strict=True):
        assert np.array_equal(got, want)  # the kept sums were not touched through the caller's copy


@pytest.mark.parametrize(
    "case_id", ["ubuntu-desk-coffee-square-bare-photo", "lumen-health-launch-evening-square-jpeg-copy"]
)
def test_each_variant_reads_the_shared_scene_as_its_own(case_id: str) -> None:
    """Every variant searched in turn on one :class:`LogoScene` (as the check does) gets the detection and the
    details a search on a scene of its own gives — the second and third variants read the first one's keypoints,
    levels and window sums."""
    spec, image = _corpus_image(case_id)
    resources = CheckResources()
    grey = grey_scene(image, 255)
    shared = LogoScene(grey.copy(), share=True)
    for variant in spec.logos:
        logo = prepared_for_spec(spec, resources, variant, 255)
        lo = SEARCH_MIN_WIDTH_SHARE * variant.min_width_px / logo.trim_scale
        hi = max(lo, min(0.95 * image.width, SEARCH_MAX_WIDTH_SHARE * variant.max_width_share * image.width))
        alone = detect_logo(grey, logo, lo, hi)
        together = detect_logo(shared.grey, logo, lo, hi, shared=shared)
        assert together[1] == alone[1], variant.variant
        assert (together[0] is None) == (alone[0] is None)
        if alone[0] is not None and together[0] is not None:
            assert together[0].as_details() == alone[0].as_details()


def test_a_later_variant_plain_to_see_ends_the_search_in_the_fast_pass(
    northwind: BrandSpec, kit_resources: KitResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dark ad (the inverse logo, third in the spec) copied without its provenance: ORB on the whole scene
    finds the inverse logo in the fast pass; the primary and mono variants' template searches never run."""
    kit = brandkit.BrandKit(northwind, provider="local", resources=kit_resources, checks=[TechnicalCheck()])
    request = brandkit.AssetRequest(brief="A cup of coffee", headline="Sunday, slow", background="dark", seed=2)
    asset = kit.generate(request)
    assert asset.prompt.logo_variant == "inverse" and [v.variant for v in northwind.logos][-1] == "inverse"
    pixels = asset.image.convert("RGB")
    data = encode_image(pixels, "png")  # the pixels only: no provenance
    coarse_runs: list[str] = []
    real = detection_module.coarse_candidates

    def counted(scene: object, logo: object, *args: object, **kwargs: object) -> object:
        coarse_runs.append(getattr(logo, "variant", "?"))
        return real(scene, logo, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(detection_module, "coarse_candidates", counted)
    exp = Expectation(output_format="png", copy_source="none")
    ctx = CheckContext(spec=northwind, image=pixels, data=data, expectation=exp, resources=CheckResources())
    result = LogoCheck().run(ctx)
    assert result.status is CheckStatus.passed, result.details
    assert result.details["variant"] == "inverse" and result.details["provenance"] == "none"
    assert result.details["method"] == "orb"
    assert coarse_runs == []  # no variant went past the fast pass


def test_the_backdrop_shows_only_through_see_through_pixels() -> None:
    """An opaque image has one grey scene whatever the backdrop; an RGBA image with a see-through pixel has two."""
    _, image = _corpus_image("northwind-cafe-cat-square-bare-photo")
    rgb = image.convert("RGB")
    opaque = rgb.convert("RGBA")
    holed = opaque.copy()
    holed.putpixel((5, 5), (10, 20, 30, 0))
    assert not backdrop_shows(rgb) and not backdrop_shows(opaque) and backdrop_shows(holed)
    for one in (rgb, opaque):
        assert np.array_equal(grey_scene(one, 0), grey_scene(one, 255))
    assert not np.array_equal(grey_scene(holed, 0), grey_scene(holed, 255))


@pytest.mark.parametrize("see_through", [False, True])
def test_light_and_dark_variants_share_the_scene_of_an_opaque_image(
    northwind: BrandSpec, monkeypatch: pytest.MonkeyPatch, see_through: bool
) -> None:
    """A photograph without a logo and without provenance: every variant is searched, the inverse one (made for a
    dark canvas, composited over black) on the same scene as the light ones — one scene built, not two — and the
    result is the one a scene per backdrop gives (``backdrop_shows`` patched to say the backdrop shows)."""
    _, image = _corpus_image("northwind-cafe-cat-square-bare-photo")
    pixels = image.convert("RGB")
    assert {northwind.logo_tone(v.variant) for v in northwind.logos} == {"light", "dark"}
    exp = Expectation(output_format="png", copy_source="none")

    def run(shows: bool) -> tuple[dict[str, object], int]:
        built: list[int] = []
        real = check_module.LogoScene

        def counted(grey: np.ndarray, *, share: bool = True) -> LogoScene:
            built.append(1)
            return real(grey, share=share)

        with monkeypatch.context() as patch:
            patch.setattr(check_module, "LogoScene", counted)
            if shows:
                patch.setattr(check_module, "backdrop_shows", lambda image: True)
            ctx = CheckContext(spec=northwind, image=pixels, data=b"", expectation=exp, resources=CheckResources())
            result = LogoCheck().run(ctx)
        assert result.details["searched_variants"] == ["primary", "mono", "inverse"]
        return result.model_dump(), len(built)

    shared, scenes = run(see_through)
    assert scenes == (2 if see_through else 1)
    if not see_through:
        assert shared == run(True)[0]  # the same result as a scene per backdrop tone
