"""OCR accuracy on the local renderer's outputs: ≥ 98% exact headline match across both example brands and
every format, measured over a generated corpus (real fonts, real OCR engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

import brandkit
from benchmarks.bench_ocr import corpus_cases
from brandkit.checks.base import CheckContext, CheckResources
from brandkit.checks.text import TextCheck
from brandkit.imageio import encode_image
from brandkit.models import AssetRequest
from brandkit.pipeline import expectation_for
from brandkit.provider.local import LocalRenderer

ROOT = Path(__file__).resolve().parents[1]


def _corpus() -> list[tuple[str, str, str]]:
    """Half the grid: every format and every headline, both brands (the corpus ``bench_ocr`` measures too)."""
    brands = ("northwind", "lumen-health")
    return corpus_cases({b: list(brandkit.load_spec(ROOT / "brand_specs" / b).formats) for b in brands})


@pytest.mark.slow
def test_exact_headline_match_rate_is_at_least_98_percent() -> None:
    resources = CheckResources()
    check = TextCheck()
    specs = {b: brandkit.load_spec(ROOT / "brand_specs" / b) for b in ("northwind", "lumen-health")}
    results: list[tuple[str, str, str, bool, str]] = []
    for brand, fmt, headline in _corpus():
        spec = specs[brand]
        request = AssetRequest(
            brief="corpus", headline=headline, cta="Learn more", format=fmt, text="render", logo="reference"
        )
        prompt = brandkit.compile(spec, request)
        image = LocalRenderer(spec).draw(prompt, seed=len(results))
        ctx = CheckContext(
            spec=spec,
            image=image,
            data=encode_image(image, "png"),
            expectation=expectation_for(prompt),
            resources=resources,
        )
        outcome = check.run(ctx)
        strings = outcome.details.get("strings", {})
        headline_result = strings.get("headline") if isinstance(strings, dict) else None
        exact = bool(headline_result and headline_result.get("exact"))
        rendered = str(headline_result.get("rendered") if headline_result else outcome.details)
        results.append((brand, fmt, headline, exact, rendered))
    rate = sum(r[3] for r in results) / len(results)
    misses = [r for r in results if not r[3]]
    assert len(results) >= 40
    assert rate >= 0.98, f"exact headline match {rate:.1%} over {len(results)} images; misses: {misses}"
