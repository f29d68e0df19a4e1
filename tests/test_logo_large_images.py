"""The whole-image logo search on large files: a print export or a large banner without provenance.

An audit reads other tools' exports as they are: no record, no layout, often two or three times the size brandkit
generates. The coarse search ran every logo width at most on a copy of the image 1,024 px on its long side; on a
larger image the smallest widths' templates fell under the size the coarse search needs (``COARSE_MIN_TEMPLATE`` ×
``COARSE_MIN_TEMPLATE_HEIGHT``), matched the photograph's texture by chance at 0.95–0.99, and crowded the real logo
out of the few candidates the fine search refines: the gate corpus's on-brand ads enlarged 2× and 3× without
provenance lost their logo (false reject 0 → 2 and 6 of 90; ``python -m benchmarks.bench_logo_rules --scale``).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import brandkit
import brandkit.checks.logo.template as template_module
from brandkit.checks.logo import prepare_logo
from brandkit.checks.logo.constants import COARSE_MIN_TEMPLATE, COARSE_MIN_TEMPLATE_HEIGHT
from brandkit.checks.logo.template import coarse_candidates
from brandkit.imageio import load_image
from brandkit.models import CheckStatus
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec
from tests.support.gate_corpus import load_cases, render_case

BANNER = "lumen-health-coach-portrait-banner-composed"


@pytest.fixture(scope="module")
def banner() -> Image.Image:
    """The Lumen Health coach banner (1536×512, a real photograph beside the copy), its pixels only."""
    case = next(c for c in load_cases() if c.id == BANNER)
    return load_image(render_case(case)).convert("RGB")


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


@pytest.mark.parametrize("scale", [2, 2.7, 3])
def test_a_large_banner_without_provenance_has_its_logo_found(
    kit_resources: KitResources, lumen: BrandSpec, banner: Image.Image, scale: float
) -> None:
    """At 2.7× the coarse search read the logo's place best at a width two 10 % steps under its own (447 px for
    524), out of reach of the fine search's ±10 %: not found (``LARGE_FINE_SCALE_RANGE``)."""
    kit = brandkit.BrandKit(lumen, resources=kit_resources, provider="local", checks=["logo"], signer=None)
    as_is = kit.validate(_png(banner)).checks["logo"]
    assert as_is.status is CheckStatus.passed, as_is.hint
    size = (round(banner.width * scale), round(banner.height * scale))
    logo = kit.validate(_png(banner.resize(size, Image.Resampling.LANCZOS))).checks["logo"]
    assert logo.status is CheckStatus.passed, logo.details
    assert logo.details["variant"] == as_is.details["variant"]
    x0, y0, x1, y1 = logo.details["box"]  # where the 1536×512 banner has it, scaled
    ax0, ay0, ax1, ay1 = as_is.details["box"]
    assert abs(x0 - ax0 * scale) <= 3 * scale and abs(x1 - ax1 * scale) <= 3 * scale, (logo.details["box"], scale)
    assert abs(y0 - ay0 * scale) <= 3 * scale and abs(y1 - ay1 * scale) <= 3 * scale


def test_every_coarse_template_keeps_its_minimum_size_on_a_large_image(
    monkeypatch: pytest.MonkeyPatch, lumen: BrandSpec, banner: Image.Image
) -> None:
    """The coarse level of each width is chosen so that its template is at least the minimum size — above the
    1,024-px top level when the image is larger and the width small — never a 19 × 6 px blob."""
    logo = prepare_logo(load_image(lumen.asset_path(lumen.logo("primary").file)), "primary", 255)
    scene = np.asarray(banner.resize((4608, 1536), Image.Resampling.LANCZOS).convert("L"))
    sizes: list[tuple[int, int]] = []
    real = template_module.resized

    def spy(prepared: object, tw: int, th: int) -> object:
        sizes.append((tw, th))
        return real(prepared, tw, th)  # type: ignore[arg-type]

    monkeypatch.setattr(template_module, "resized", spy)
    coarse_candidates(scene, logo, 84.0, 2000.0)
    assert sizes, "the coarse search tried no width"
    # rounding to whole pixels may take one pixel off
    assert min(tw for tw, _ in sizes) >= COARSE_MIN_TEMPLATE - 1, sorted(sizes)[:3]
    assert min(th for _, th in sizes) >= COARSE_MIN_TEMPLATE_HEIGHT - 1, sorted(sizes, key=lambda s: s[1])[:3]
