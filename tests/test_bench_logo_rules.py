"""``bench_logo_rules``' rows carry the scores its margins table reads, and the table reads them right (issue 21,
thirteenth pass: how far the logo check's detection thresholds sit from what real photographs score)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import brandkit
from benchmarks.bench_logo_rules import _check, edits, margins
from brandkit.checks.base import CheckResources
from brandkit.checks.logo.constants import (
    COARSE_EXIT_SCORE,
    LOGO_RECOLOUR_DE,
    ORB_VERIFY_MIN,
    TEMPLATE_PART_MIN,
    TEMPLATE_THRESHOLD,
)
from brandkit.imageio import encode_image, load_image
from brandkit.pipeline import expectation_from_provenance
from tests.support.gate_corpus import load_cases, render_all

ROOT = Path(__file__).resolve().parents[1]
CASE = "northwind-coffee-cup-square-composed"


@pytest.fixture(scope="module")
def base_ad() -> tuple[Any, bytes, brandkit.BrandSpec, Any, Any, Any]:
    """The corpus ad the benchmark edits: (case, its bytes, spec, expectation from its provenance, the logo variant,
    the logo file)."""
    case = next(c for c in load_cases() if c.id == CASE)
    data = render_all([case])[case.id].read_bytes()
    spec = brandkit.load_spec(ROOT / "brand_specs" / case.brand)
    seen = expectation_from_provenance(data, "png")
    assert seen.logo_box is not None and seen.logo_variant is not None
    variant = spec.logo(seen.logo_variant)
    return case, data, spec, seen, variant, load_image(spec.asset_path(variant.file)).convert("RGBA")


def test_a_real_case_row_carries_the_scores(base_ad: tuple[Any, bytes, brandkit.BrandSpec, Any, Any, Any]) -> None:
    """One corpus ad, its logo as drawn, removed and too small, checked as the benchmark checks them."""
    case, data, spec, seen, variant, logo_file = base_ad
    made = {
        name: (label, reason, image)
        for name, label, reason, image in edits(load_image(data), seen.logo_box, logo_file, variant.min_width_px)
    }
    resources = CheckResources()
    rows = {}
    for name in ("as drawn", "removed", "too small", "recoloured (hue)"):
        label, reason, image = made[name]
        rows[name] = _check(spec, image, encode_image(image, "png"), seen, resources, case, name, label, reason, "kept")
    drawn, removed, small = rows["as drawn"], rows["removed"], rows["too small"]
    turned = rows["recoloured (hue)"]  # the Northwind logo's hues turned half way round: found, and named
    assert turned["rejected"] and turned["named"] and "recoloured" in turned["failed_rules"], turned
    assert drawn["colour_worst"] is not None and turned["colour_worst"] > LOGO_RECOLOUR_DE > drawn["colour_worst"]
    assert not drawn["rejected"] and drawn["method"] == "expected-box" and drawn["score"] >= TEMPLATE_THRESHOLD
    assert drawn["coarse_best"] is None  # found at the layout's box: no coarse search
    assert removed["rejected"] and removed["found"] is False and removed["score"] is None
    assert removed["coarse_best"] is not None and -1.0 <= removed["coarse_best"] <= 1.0
    assert small["rejected"] and small["found"] and small["coarse_best"] is not None
    # without provenance every variant is searched: the row reads the best of their searches (details.searches)
    image = made["removed"][2]
    edited = encode_image(image, "png")
    bare = _check(spec, image, edited, expectation_from_provenance(edited, "png"), resources, case, "removed", "off",
                  "not found", "stripped")  # fmt: skip
    assert bare["rejected"] and bare["found"] is False and bare["coarse_best"] is not None
    assert -1.0 <= bare["coarse_best"] <= 1.0


def test_the_crowded_edit_sets_a_word_in_the_clear_space_and_is_named(
    base_ad: tuple[Any, bytes, brandkit.BrandSpec, Any, Any, Any],
) -> None:
    """The crowded edit: the logo as drawn and a word of the body font 0.4 of the clear space beside it; the check
    rejects it as crowded on the side the word is on, with and without provenance."""
    case, data, spec, seen, variant, logo_file = base_ad
    font = spec.asset_path(spec.typography.font_for("body").file)
    made = {n: (label, reason, im) for n, label, reason, im in edits(load_image(data), seen.logo_box, logo_file,
            variant.min_width_px, crowd=(variant.clear_space, font))}  # fmt: skip
    assert "crowded" not in {n for n, *_ in edits(load_image(data), seen.logo_box, logo_file, variant.min_width_px)}
    label, reason, image = made["crowded"]
    assert (label, reason) == ("off", "crowded")
    drawn = np.asarray(made["as drawn"][2].convert("RGB"), dtype=np.int16)
    changed = np.argwhere(np.abs(np.asarray(image.convert("RGB"), dtype=np.int16) - drawn).max(axis=2) > 0)
    _, y0, x1, y1 = seen.logo_box
    margin = variant.clear_space * (y1 - y0)
    assert changed[:, 1].min() > x1 and changed[:, 1].min() <= x1 + margin  # starts inside the clear space, right
    edited = encode_image(image, "png")
    resources = CheckResources()
    for kept, expectation in (("kept", seen), ("stripped", expectation_from_provenance(edited, "png"))):
        row = _check(spec, image, edited, expectation, resources, case, "crowded", label, reason, kept)
        assert row["rejected"] and row["named"] and row["failed_rules"] == ["crowded"], row


def test_the_wrong_ground_edits_are_rejected_as_such(
    base_ad: tuple[Any, bytes, brandkit.BrandSpec, Any, Any, Any],
) -> None:
    """The layout's logo on a plate of the brand's background of the other tone, and the other variant (made for the
    other tone) drawn in its place: both off brand, rejected; neither is made without its input (the rule's own
    reading: tests/test_logo_ground.py)."""
    from benchmarks.bench_logo_rules import other_ground_variant

    case, data, spec, seen, variant, logo_file = base_ad
    opposite = other_ground_variant(spec, variant.variant)
    assert (
        spec.logo_tone(variant.variant) == "light"
        and opposite is not None
        and spec.logo_tone(opposite.variant) == "dark"
    )
    other = load_image(spec.asset_path(opposite.file)).convert("RGBA")
    plate = spec.palette.background_rgb("dark")
    made = {n: (label, reason, im) for n, label, reason, im in edits(load_image(data), seen.logo_box, logo_file,
            variant.min_width_px, other=other, plate=plate)}  # fmt: skip
    plain = {n for n, *_ in edits(load_image(data), seen.logo_box, logo_file, variant.min_width_px)}
    assert "wrong ground" not in plain and "wrong ground (plate)" not in plain
    assert made["wrong ground"][:2] == made["wrong ground (plate)"][:2] == ("off", "wrong_ground")
    label, reason, image = made["wrong ground (plate)"]
    x0, y0, _, y1 = seen.logo_box
    assert image.getpixel((x0 - 3, (y0 + y1) // 2))[:3] == plate  # the plate reaches past the box
    resources = CheckResources()
    edited = encode_image(image, "png")
    for kept, expectation in (("kept", seen), ("stripped", expectation_from_provenance(edited, "png"))):
        row = _check(spec, image, edited, expectation, resources, case, "wrong ground (plate)", label, reason, kept)
        assert row["rejected"], row  # the brown mark on the Roast Brown plate barely shows: read "not found" here


def _row(**fields: Any) -> dict[str, Any]:
    base = {"provenance": "kept", "label": "off", "edit": "distorted ×1.1", "found": False, "method": None}
    return {"score": None, "coarse_best": None, "template_best": None, **base, **fields}


def test_the_margins_table(capsys: pytest.CaptureFixture[str]) -> None:
    template_found = {"provenance": "stripped", "label": "on", "edit": "as drawn", "found": True, "method": "template"}
    rows = [
        _row(label="on", edit="as drawn", found=True, method="expected-box", score=0.91),
        _row(label="on", edit="as drawn", found=True, method="expected-box", score=0.88),
        _row(label="on", edit="as drawn", found=True, method="orb", score=0.7, coarse_best=None),
        _row(found=True, method="orb-upsampled", score=0.95, coarse_best=0.83),
        _row(found=True, method="template", score=0.9, coarse_best=0.71),
        _row(edit="removed", coarse_best=0.55),
        _row(edit="removed", coarse_best=0.8, template_best=0.79),
        _row(provenance="stripped", edit="removed", coarse_best=0.9, template_best=0.84),
        _row(
            provenance="stripped", label="on", edit="as drawn", found=True, method="orb", score=0.94, coarse_best=0.95
        ),
        _row(edit="misplaced", orb_refused_best=0.41),
        _row(edit="removed", orb_refused_best=0.52, coarse_best=0.5),
        _row(**template_found, score=0.9, weakest_part=0.74),
        _row(**template_found, score=0.93, weakest_part=0.81),
        _row(provenance="stripped", edit="removed", parts_refused_best=0.01),
        _row(provenance="stripped", edit="too small", parts_refused_best=-0.3),
        _row(label="on", edit="as drawn", found=True, method="expected-box", colour_worst=9.5),
        _row(edit="recoloured (grey)", found=True, method="expected-box", score=0.9, colour_worst=24.0),
        _row(edit="recoloured (hue)", found=True, method="expected-box", score=0.9, colour_worst=48.0),
    ]
    margins(rows)
    out = capsys.readouterr().out
    bar = TEMPLATE_THRESHOLD
    assert f"| kept | on brand, found by expected-box: lowest | 2 | 0.880 | {bar} | {0.88 - bar:+.3f} |" in out
    assert (
        f"| kept | on brand, found by orb: lowest | 1 | 0.700 | {ORB_VERIFY_MIN} | {0.7 - ORB_VERIFY_MIN:+.3f} |" in out
    )
    assert (
        f"an edit (an early exit: named not found instead): lowest coarse score | 2 | 0.710 | {COARSE_EXIT_SCORE}"
        in out
    )
    assert "kept | logo found after the coarse search, on brand" not in out  # no on-brand row went past the coarse
    exits = sum(value < COARSE_EXIT_SCORE for value in (0.55, 0.8, 0.5))
    assert (
        f"| kept | logo removed: highest coarse score ({exits} exit early) | 3 | 0.800 | {COARSE_EXIT_SCORE} | — |"
        in out
    )
    refused = f"| 2 | 0.520 | {ORB_VERIFY_MIN} | {ORB_VERIFY_MIN - 0.52:+.3f} |"
    assert (
        f"| kept | an ORB reading refused by its verification (features agree, pixels do not): highest score {refused}"
        in out
    )
    assert (
        "| kept | logo removed: highest fine template score (the part test decides after it) | 1 | 0.790 | "
        f"{bar} | {bar - 0.79:+.3f} |" in out
    )
    assert (
        "| stripped | logo removed: highest fine template score (the part test decides after it) | 1 | 0.840 | "
        f"{bar} | {bar - 0.84:+.3f} |" in out
    )
    assert "| stripped | on brand, found by orb: lowest | 1 | 0.940 |" in out
    part = TEMPLATE_PART_MIN
    assert (
        f"| stripped | on brand, found by template: lowest weakest part | 2 | 0.740 | {part} | {0.74 - part:+.3f} |"
        in out
    )
    assert (
        "| stripped | a template reading refused by its parts (a blob matching part of the logo): highest weakest "
        f"part | 2 | 0.010 | {part} | {part - 0.01:+.3f} |" in out
    )
    assert "| kept | on brand, found by template: lowest weakest part" not in out  # no kept row carries parts
    de = LOGO_RECOLOUR_DE
    assert f"whole logo's upper quartile) | 1 | 9.500 | {de} | {de - 9.5:+.3f} |" in out
    assert f"| kept | recoloured, found: lowest colour ΔE00 | 2 | 24.000 | {de} | {24.0 - de:+.3f} |" in out
    assert "| stripped | recoloured, found" not in out
    assert f"on brand (an early exit: a false reject): lowest coarse score | 1 | 0.950 | {COARSE_EXIT_SCORE}" in out


def test_the_scale_table_counts_false_rejects_per_scale_against_one_x(capsys: pytest.CaptureFixture[str]) -> None:
    """``bench_logo_scale``'s table: per scale, the false rejects named and the CPU median's ratio to 1×."""
    from benchmarks.bench_logo_scale import report

    def row(case: str, scale: float, status: str, cpu: float) -> dict[str, Any]:
        side = round(1024 * scale)
        return {"id": case, "scale": scale, "size": [side, side], "status": status, "cpu_ms": cpu, "failed_rules": []}

    rows = [row("a", 1.0, "passed", 100.0), row("b", 1.0, "passed", 120.0)]
    rows += [row("a", 2.0, "passed", 300.0), row("b", 2.0, "failed", 140.0)]
    report(rows)
    out = capsys.readouterr().out
    assert "| 1× | 1024–1024 px | 2 | 0/2 = 0.0% | 110 · 120 · 120 | 1.00× |" in out
    assert "| 2× | 2048–2048 px | 2 | 1/2 = 50.0% | 220 · 300 · 300 | 2.00× |" in out
    assert "false rejects at 2×: b (not found)" in out  # no rule failed: the logo was not found
