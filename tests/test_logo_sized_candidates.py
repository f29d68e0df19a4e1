"""The coarse search keeps places of a width the size rule allows, so texture cannot crowd a real logo out.

On a photograph the best coarse correlations go to the smallest widths searched (0.6 × the minimum width: a
blob-like template at its pyramid level matches texture by chance). The gate corpus's JPEG copy of the Lumen
coach ad (no provenance) was rejected for it: its real logo, 244 px wide, ranked fifth behind four texture
places of 82–128 px, and only four are refined.
"""

from __future__ import annotations

from pathlib import Path

import brandkit
from brandkit.checks.base import CheckContext, CheckResources
from brandkit.checks.logo import LogoCheck
from brandkit.checks.logo.constants import (
    COARSE_SIZED_CANDIDATES,
    SEARCH_MAX_WIDTH_SHARE,
    SEARCH_MIN_WIDTH_SHARE,
    WIDTH_TOLERANCE,
)
from brandkit.checks.logo.features_cache import prepared_for_spec
from brandkit.checks.logo.prepare import grey_scene
from brandkit.checks.logo.template import coarse_candidates, evidence_of
from brandkit.imageio import detect_format, load_image
from brandkit.models import CheckStatus
from brandkit.pipeline import expectation_from_provenance
from tests.support.gate_corpus import load_cases, render_all

CASE = "lumen-health-coach-portrait-square-jpeg-copy"
LOGO_AT = (58, 59)  # the top-left corner of the ad's logo (the layout's box: 240 px wide)


def test_evidence_weighs_a_correlation_by_the_template_s_pixels() -> None:
    assert evidence_of(0.894, 400) > evidence_of(0.92, 150)  # the logo's place against texture at a small width
    assert evidence_of(0.9, 400) > evidence_of(0.8, 400) > evidence_of(0.0, 400) == 0.0
    assert evidence_of(1.0, 100) < float("inf")  # a perfect correlation stays a finite number


def test_a_logo_of_an_allowed_width_is_a_candidate_among_smaller_texture() -> None:
    case = next(c for c in load_cases() if c.id == CASE)
    data = render_all([case])[case.id].read_bytes()
    spec = brandkit.load_spec(Path(__file__).resolve().parents[1] / "brand_specs" / case.brand)
    variant = spec.logo("primary")
    logo = prepared_for_spec(spec, CheckResources(), variant, 255)
    image = load_image(data)
    scene = grey_scene(image, 255)
    lo = SEARCH_MIN_WIDTH_SHARE * variant.min_width_px / logo.trim_scale
    hi = SEARCH_MAX_WIDTH_SHARE * variant.max_width_share * image.width
    sized = (
        variant.min_width_px * (1 - WIDTH_TOLERANCE) / logo.trim_scale,
        variant.max_width_share * image.width * (1 + WIDTH_TOLERANCE) / logo.trim_scale,
    )

    def at_logo(cands: list) -> bool:  # type: ignore[type-arg]
        return any(abs(c.x - LOGO_AT[0]) < 20 and abs(c.y - LOGO_AT[1]) < 20 for c in cands)

    by_score = coarse_candidates(scene, logo, lo, hi)  # best score first
    assert not at_logo(by_score[:4])  # the failure: the four best scores are texture at small widths
    assert all(c.w < sized[0] * 1.1 for c in by_score[:4])
    kept = coarse_candidates(scene, logo, lo, hi, sized=sized)
    assert at_logo(kept)
    assert sum(1 for c in kept if sized[0] / 1.1 <= c.w <= sized[1] * 1.1) >= COARSE_SIZED_CANDIDATES

    exp = expectation_from_provenance(data, detect_format(data) or "png")
    assert exp.copy_source == "none"
    ctx = CheckContext(spec=spec, image=image, data=data, expectation=exp, resources=CheckResources())
    result = LogoCheck().run(ctx)
    assert result.status is CheckStatus.passed, result.details
    assert result.details["variant"] == "primary" and abs(result.details["box"][0] - LOGO_AT[0]) <= 3
