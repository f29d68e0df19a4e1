"""End to end: a photograph-based ad of each shipped brand passes the palette gate, an off-brand variant fails.

The ads come from the labelled corpus (``tests/support/gate_corpus.py``): the brand's spec is compiled, the local
renderer places a real photograph from the brand's library in the layout's hero box and draws the brand zones,
copy and logo; the file keeps brandkit's provenance, so ``validate`` knows the photo box. Each off-brand variant
is an edit from the corpus manifest, and the reason the gate gives must name the change a designer makes.
"""

from __future__ import annotations

import pytest

import brandkit
from brandkit.checks.palette import PaletteCheck
from brandkit.models import CheckStatus
from tests.support.gate_corpus import GateCase, load_cases, render_case

CASES = {c.id: c for c in load_cases(with_boxes=False)}

# (on-brand ad, off-brand variant of it, words the designer-facing reason must contain)
PAIRS = [
    ("northwind-coffee-cup-square-composed", "northwind-coffee-cup-portrait-cool-cast", ("photograph", "cool")),
    ("lumen-health-launch-evening-landscape-composed", "lumen-health-launch-evening-square-off-tint", ("off-brand",)),
    ("ubuntu-desk-coffee-landscape-composed", "ubuntu-desk-coffee-square-competitor-field", ("remove Rival blue",)),
]


def _palette(case: GateCase) -> brandkit.CheckResult:
    spec = brandkit.load_spec(f"brand_specs/{case.brand}")
    kit = brandkit.BrandKit(spec, provider="local", moderator=None, checks=[PaletteCheck()])
    report = kit.validate(render_case(case, size=768))
    return report.checks["palette"]


@pytest.mark.parametrize(("on_id", "off_id", "words"), PAIRS, ids=[p[0].split("-")[0] for p in PAIRS])
def test_a_photo_ad_passes_and_its_off_brand_variant_fails(on_id: str, off_id: str, words: tuple[str, ...]) -> None:
    on, off = CASES[on_id], CASES[off_id]
    assert on.label == "on" and off.label == "off" and on.brand == off.brand
    good = _palette(on)
    assert good.details["regions"]["source"] == "layout"  # the photo box came from the file's provenance
    assert good.status == CheckStatus.passed, good.hint
    assert good.details["photo"] is not None and good.details["photo"]["off_brand_share"] <= 0.15
    bad = _palette(off)
    assert bad.status == CheckStatus.failed
    assert bad.hint is not None and all(w in bad.hint for w in words), bad.hint


def test_a_foreign_copy_without_provenance_is_segmented_and_still_passes() -> None:
    case = CASES["northwind-coffee-cup-square-jpeg-copy"]
    assert case.label == "on" and not case.has_layout
    res = _palette(case)
    assert res.details["regions"]["source"] == "segmentation"
    assert 0.2 < res.details["regions"]["photo_share"] < 0.6
    assert res.status == CheckStatus.passed, res.hint
