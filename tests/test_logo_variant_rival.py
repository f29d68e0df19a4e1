"""Without provenance, the variant reading that explains the pixels best decides (issue 21, tenth pass).

Two variants of one wordmark (Lumen's colour ``primary`` and its one-colour ``mono``) can read one stretched logo
either way: the primary reads it stretched 10 %, and a homography estimated a little differently (OpenCV's USAC
estimators did, in the ninth pass's experiment) can give the mono an undistorted reading at the same place. That
pass used to end the search and win, whatever the primary had read: a stretched logo accepted. Now another
variant's distorted reading of the same logo that fits better (higher score) overrules a pass; a pass that fits
better than every distorted reading still stands, and only distortion overrules (size, placement and clear space
are each variant's own rules).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import brandkit
import brandkit.checks.logo.check as check_module
from benchmarks.bench_logo_rules import edits
from brandkit.checks.base import CheckContext, CheckResources
from brandkit.checks.logo import LogoCheck, prepare_logo
from brandkit.checks.logo.colour import ColourReading
from brandkit.imageio import encode_image, load_image
from brandkit.models import CheckResult, CheckStatus
from brandkit.pipeline import expectation_from_provenance
from tests.support.gate_corpus import load_cases, render_all

ROOT = Path(__file__).resolve().parents[1]
CASE = "lumen-health-coach-portrait-square-composed"


@pytest.fixture(scope="module")
def stretched() -> tuple[brandkit.BrandSpec, Any, bytes]:
    """The corpus ad with its logo stretched 10 % (the bench's edit), saved without provenance."""
    case = next(c for c in load_cases() if c.id == CASE)
    data = render_all([case])[case.id].read_bytes()
    spec = brandkit.load_spec(ROOT / "brand_specs" / case.brand)
    seen = expectation_from_provenance(data, "png")
    assert seen.logo_box is not None and seen.logo_variant == "primary"
    variant = spec.logo("primary")
    logo_file = load_image(spec.asset_path(variant.file)).convert("RGBA")
    made = edits(load_image(data), seen.logo_box, logo_file, variant.min_width_px, list(variant.placements), [])
    image = next(image for name, _, _, image in made if name == "distorted ×1.1")
    return spec, image, encode_image(image, "png")


def _run(spec: brandkit.BrandSpec, image: Any, data: bytes) -> CheckResult:
    expectation = expectation_from_provenance(data, "png")
    assert expectation.copy_source == "none"  # no provenance: every variant searched
    ctx = CheckContext(image=image, spec=spec, data=data, expectation=expectation, resources=CheckResources())
    return LogoCheck().run(ctx)


def _mono_reads_it_undistorted(monkeypatch: pytest.MonkeyPatch, score: float) -> None:
    """The mono variant's detection replaced by an undistorted reading at the same place with ``score`` (what the
    other homography estimate gave); every other variant reads as it does."""
    real = check_module.detect_logo

    def detect(scene: Any, logo: Any, *args: Any, **kwargs: Any) -> Any:
        found, info = real(scene, logo, *args, **kwargs)
        if logo.variant == "mono" and found is not None:
            x0, y0, x1, y1 = found.box
            height = round((x1 - x0) * logo.aspect)
            top = round((y0 + y1 - height) / 2)  # centred on the logo, as a homography's undistorted reading is
            found = dataclasses.replace(
                found, box=(x0, top, x1, top + height), height=float(height), aspect_change=0.0, score=score, skew=0.0
            )
        return found, info

    monkeypatch.setattr(check_module, "detect_logo", detect)
    # the reading is the mono's shape only: its colours (Lumen's slate where the image shows blue) are not judged,
    # or the recolour rule would fail that reading before the rule under test could
    real_colour = check_module.colour_reading
    lumen = brandkit.load_spec(ROOT / "brand_specs" / "lumen-health")
    mono = prepare_logo(load_image(lumen.asset_path(lumen.logo("mono").file)), "mono")

    def colour(image: Any, labels: Any, colours: Any, *args: Any, **kwargs: Any) -> ColourReading:
        if np.array_equal(colours, mono.colours):
            return ColourReading([], reason="not judged in this test")
        return real_colour(image, labels, colours, *args, **kwargs)

    monkeypatch.setattr(check_module, "colour_reading", colour)


def test_the_stretched_logo_is_read_distorted_by_both_variants(stretched: tuple[Any, Any, bytes]) -> None:
    outcome = _run(*stretched)
    assert outcome.status is CheckStatus.failed
    assert outcome.details["failed_rules"] == ["distorted"] and outcome.details["variant"] == "primary"
    assert "overruled" not in outcome.details  # nothing passed: nothing to overrule


def test_a_pass_that_fits_less_well_than_a_distorted_reading_is_overruled(
    stretched: tuple[Any, Any, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    primary = _run(*stretched)
    below = float(primary.score or 0.0) - 0.01
    _mono_reads_it_undistorted(monkeypatch, below)
    outcome = _run(*stretched)
    assert outcome.status is CheckStatus.failed, outcome.details
    assert outcome.details["variant"] == "primary" and outcome.details["failed_rules"] == ["distorted"]
    assert outcome.details["overruled"] == ["mono"]
    assert "the better reading decides" in outcome.details["reason"]
    # without the rule, the mono's pass won: the weakness this rule closes
    monkeypatch.setattr(check_module, "_rival", lambda passed, readings: None)
    assert _run(*stretched).status is CheckStatus.passed


def test_a_pass_that_fits_better_stands(stretched: tuple[Any, Any, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    primary = _run(*stretched)
    _mono_reads_it_undistorted(monkeypatch, float(primary.score or 0.0) + 0.02)
    outcome = _run(*stretched)
    assert outcome.status is CheckStatus.passed, outcome.details
    assert outcome.details["variant"] == "mono" and "overruled" not in outcome.details


def _reading(variant: str, status: CheckStatus, score: float, box: list[int], **details: Any) -> CheckResult:
    return CheckResult(
        name="logo",
        status=status,
        score=score,
        details={"variant": variant, "found": True, "box": box, **details},
    )


def test_only_an_overlapping_better_distorted_reading_of_another_variant_overrules() -> None:
    passed = _reading("mono", CheckStatus.passed, 0.88, [59, 56, 299, 140], distorted=False)
    rival = _reading("primary", CheckStatus.failed, 0.90, [59, 56, 299, 143], distorted=True)
    assert check_module._rival(passed, [passed, rival]) is rival
    worse = _reading("primary", CheckStatus.failed, 0.87, [59, 56, 299, 143], distorted=True)
    elsewhere = _reading("primary", CheckStatus.failed, 0.95, [600, 600, 840, 687], distorted=True)
    too_small = _reading("primary", CheckStatus.failed, 0.95, [59, 56, 299, 143], distorted=False)
    same_variant = _reading("mono", CheckStatus.failed, 0.95, [59, 56, 299, 143], distorted=True)
    for other in (worse, elsewhere, too_small, same_variant):
        assert check_module._rival(passed, [passed, other]) is None
