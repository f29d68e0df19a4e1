"""Issue 12, precision as a measured number: block rate and false-refusal rate of the forbidden-term screen.

* ``tests/data/screening_ordinary.yaml``: ordinary marketing sentences written by hand per brand (with
  Scunthorpe words, sentence ends that glue into terms, competitor names that are also ordinary words);
  none may be refused — the false-refusal rate must stay at or under 1 %.
* ``tests/data/screening_violations.yaml``: disguised violations generated from every brand's terms and
  competitor names by ``tests/support/screening_corpus.py`` (its docstring lists the transformations);
  at least 99 % must be refused.

Both rates are printed (``-s``) and recorded as test properties; ``docs/reliability.md`` carries them.
"""

from __future__ import annotations

import collections
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

import brandkit
from brandkit.errors import ForbiddenContentError
from brandkit.models import AssetRequest
from brandkit.spec.forbidden import ForbiddenMatcher
from brandkit.spec.loader import load_spec
from brandkit.spec.models import BrandSpec
from tests.support.screening_corpus import BRANDS, OUT, build, render, transformations

ROOT = Path(__file__).resolve().parents[1]
ORDINARY: dict[str, list[str]] = yaml.safe_load(
    (ROOT / "tests" / "data" / "screening_ordinary.yaml").read_text("utf-8")
)
VIOLATIONS: list[dict[str, str]] = yaml.safe_load(OUT.read_text("utf-8"))["violations"]


@pytest.fixture(scope="module")
def specs() -> dict[str, BrandSpec]:
    return {brand: load_spec(ROOT / "brand_specs" / brand) for brand in BRANDS}


@pytest.fixture(scope="module")
def matchers(specs: dict[str, BrandSpec]) -> dict[str, ForbiddenMatcher]:
    return {
        b: ForbiddenMatcher(s.forbidden.terms, s.forbidden.competitors, s.forbidden.patterns) for b, s in specs.items()
    }


def test_violation_corpus_is_what_the_documented_transformations_generate() -> None:
    assert OUT.read_text("utf-8") == render(build()), "run `python -m tests.support.screening_corpus`"


def test_corpus_sizes_and_coverage(specs: dict[str, BrandSpec]) -> None:
    sentences = [s for brand in BRANDS for s in ORDINARY[brand]]
    assert len(sentences) >= 300 and len(set(sentences)) == len(sentences)
    assert all(isinstance(s, str) and s.strip() for s in sentences)
    assert len(VIOLATIONS) >= 500
    kinds = {kind for kind, _ in transformations("example", random.Random(0))}
    for brand, spec in specs.items():
        rules = {*spec.forbidden.terms, *spec.forbidden.competitors}
        covered = collections.defaultdict(set)
        for case in VIOLATIONS:
            if case["brand"] == brand:
                covered[case["rule"]].add(case["kind"])
        assert set(covered) == rules, brand
        assert all(found == kinds for found in covered.values()), brand


def test_block_rate_and_false_refusal_rate(
    matchers: dict[str, ForbiddenMatcher], record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    missed = [case for case in VIOLATIONS if not matchers[case["brand"]].find(case["text"])]
    refused = [(b, s) for b in BRANDS for s in ORDINARY[b] if matchers[b].find(s)]
    total = sum(len(ORDINARY[b]) for b in BRANDS)
    blocked_rate = 1 - len(missed) / len(VIOLATIONS)
    false_rate = len(refused) / total
    record_property("blocked_rate", blocked_rate)
    record_property("false_refusal_rate", false_rate)
    with capsys.disabled():
        print(
            f"\nscreening corpus: blocked {len(VIOLATIONS) - len(missed)}/{len(VIOLATIONS)} ({blocked_rate:.2%}), "
            f"wrongly refused {len(refused)}/{total} ({false_rate:.2%})"
        )
    assert blocked_rate >= 0.99, [(c["kind"], c["text"]) for c in missed]
    assert false_rate <= 0.01, refused


@pytest.mark.parametrize("field", ["headline", "subhead", "purpose", "brief"])
def test_violations_are_refused_end_to_end(specs: dict[str, BrandSpec], field: str) -> None:
    """Every 7th violation, compiled as each field: refused with ForbiddenContentError naming the field."""
    for case in VIOLATIONS[::7]:
        request = AssetRequest.model_validate({"brief": "A calm scene", "format": "square", field: case["text"]})
        with pytest.raises(ForbiddenContentError) as info:
            brandkit.compile(specs[case["brand"]], request)
        assert info.value.field == field, case
