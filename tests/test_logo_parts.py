"""Every part of the logo is there (``checks/logo/parts.py``), and a single-colour logo is matched as a silhouette.

Two ways the template search took something else for the logo, found on ``bench_logo_rules --scale 2/2.7 --edits
removed``: a blob matching the logo's heaviest part on flat ground reached the 0.85 bar on its own (the dot of an
"i" read as the Northwind mark, 0.89, the wordmark's parts at 0.00), and the Northwind mono wordmark — one colour —
was matched through its alpha mask on its anti-aliased edges only, so that the logo drawn exactly where the layout
put it scored 0.76.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PIL import Image

import brandkit
from benchmarks.bench_logo_rules import edits, enlarged
from brandkit.checks.base import CheckContext, CheckResources
from brandkit.checks.logo import LogoCheck, prepare_logo
from brandkit.checks.logo.constants import TEMPLATE_PART_MIN, TEMPLATE_THRESHOLD
from brandkit.checks.logo.expected_box import at_expected_box
from brandkit.checks.logo.parts import part_scores, parts_agree
from brandkit.checks.logo.template import template_detect
from brandkit.imageio import encode_image, load_image
from brandkit.models import CheckStatus
from brandkit.pipeline import expectation_from_provenance
from brandkit.spec.models import BrandSpec
from tests.support.gate_corpus import load_cases, render_all

GROUND = (236, 228, 216)
WIDTH = 240


def _logo_file(spec: BrandSpec, variant: str) -> Image.Image:
    return load_image(spec.asset_path(spec.logo(variant).file)).convert("RGBA")


def _drawn(spec: BrandSpec, variant: str, keep: float = 1.0) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A 1024² flat ground with ``variant`` drawn 240 px wide at (600, 700) — only its left ``keep`` share — as the
    grey scene, and the logo's visible box."""
    file = _logo_file(spec, variant)
    small = file.resize((WIDTH, round(WIDTH * file.height / file.width)), Image.Resampling.LANCZOS)
    box = small.getchannel("A").getbbox()
    assert box is not None
    arr = np.asarray(small).copy()
    arr[:, round(keep * WIDTH) :, 3] = 0
    part = Image.fromarray(arr)
    scene = Image.new("RGB", (1024, 1024), GROUND)
    scene.paste(part, (600, 700), part)
    x0, y0, x1, y1 = box
    return np.asarray(scene.convert("L")), (600 + x0, 700 + y0, 600 + x1, 700 + y1)


def test_a_single_colour_logo_is_matched_as_a_silhouette(northwind: BrandSpec) -> None:
    """The mono wordmark is one colour in its file: matched against the backdrop over its whole box (found where
    the layout drew it, and by the whole-image search), where its alpha mask left only its anti-aliased edges; the
    two-tone primary keeps its mask."""
    mono = prepare_logo(_logo_file(northwind, "mono"), "mono", 255)
    assert not mono.masked and bool((mono.mask == 255).all())
    assert prepare_logo(_logo_file(northwind, "primary"), "primary", 255).masked
    scene, box = _drawn(northwind, "mono")
    found, how = at_expected_box(scene, mono, box)
    assert found is not None and found.score >= 0.95, how
    searched, info = template_detect(scene, mono, 100.0, 400.0)
    assert searched is not None and searched.score >= 0.95, info
    assert abs(searched.box[0] - box[0]) <= 3 and abs(searched.box[2] - box[2]) <= 3


def test_each_part_of_the_logo_scores_on_its_own(northwind: BrandSpec) -> None:
    """The whole logo: every part high. Its mark alone (the wordmark not drawn): the wordmark's parts see flat
    ground (0), so the parts disagree whatever the whole window scores. Outside the scene: nothing to judge."""
    mono = prepare_logo(_logo_file(northwind, "mono"), "mono", 255)
    scene, _ = _drawn(northwind, "mono")
    found, info = template_detect(scene, mono, 100.0, 400.0)  # the reading: the template's own size and place
    assert found is not None, info
    x0, y0, x1, y1 = found.box
    whole = part_scores(scene, mono, x0, y0, x1 - x0, y1 - y0)
    assert len(whole) == 3 and min(whole) >= 0.9 and parts_agree(whole), whole
    assert info["template_parts"] == [round(p, 3) for p in whole]  # what the search's notes say it measured
    mark_only, _ = _drawn(northwind, "mono", keep=0.24)
    parts = part_scores(mark_only, mono, x0, y0, x1 - x0, y1 - y0)
    assert parts[0] >= 0.6 and max(parts[1:]) < TEMPLATE_PART_MIN and not parts_agree(parts), parts
    assert part_scores(scene, mono, 1000, 1000, x1 - x0, y1 - y0) == [] and parts_agree([])
    inverted = 255 - scene  # a negative of the logo: every part anti-correlated
    assert max(part_scores(inverted, mono, x0, y0, x1 - x0, y1 - y0)) < 0


@pytest.fixture(scope="module")
def removed_large() -> tuple[BrandSpec, Image.Image, bytes]:
    """The Lumen coach banner with its logo taken out (``bench_logo_rules``' removed edit), enlarged 2.7×, its pixels
    only: a large file without its logo, as an audit reads it."""
    case = next(c for c in load_cases() if c.id == "lumen-health-coach-portrait-banner-composed")
    data = render_all([case])[case.id].read_bytes()
    spec = brandkit.load_spec(f"brand_specs/{case.brand}")
    seen = expectation_from_provenance(data, "png")
    assert seen.logo_box is not None and seen.logo_variant is not None
    variant = spec.logo(seen.logo_variant)
    logo_file = _logo_file(spec, variant.variant)
    made = {
        name: image for name, _, _, image in edits(load_image(data), seen.logo_box, logo_file, variant.min_width_px)
    }
    image = enlarged(made["removed"], 2.7)
    return spec, image, encode_image(image, "png")


def test_a_blob_matching_part_of_the_logo_is_not_the_logo(removed_large: tuple[BrandSpec, Image.Image, bytes]) -> None:
    """Without its logo the enlarged banner holds a place the inverse logo's template scores over the bar as a
    whole (its heaviest part matched, the others not): refused by its parts, named in the search's notes, and the
    logo is not found — before, that place was the logo, judged too small."""
    spec, image, data = removed_large
    result = LogoCheck().run(
        CheckContext(
            spec=spec,
            image=image,
            data=data,
            expectation=expectation_from_provenance(data, "png"),
            resources=CheckResources(),
        )
    )
    assert result.status is CheckStatus.failed and result.details["found"] is False, result.details
    refused: list[dict[str, Any]] = [r for s in result.details["searches"].values()
                                     for r in s.get("template_parts_refused", ())]  # fmt: skip
    assert refused, result.details["searches"]
    for reading in refused:
        assert reading["score"] >= TEMPLATE_THRESHOLD and min(reading["parts"]) < TEMPLATE_PART_MIN, reading
        assert len(reading["box"]) == 4 and len(reading["parts"]) == 3
