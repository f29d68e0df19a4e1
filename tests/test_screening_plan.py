"""Issue 12, plan bombs: the variant count comes from the axes' lengths, before anything is expanded.

A two-kilobyte plan whose axes multiply to billions is refused at once with a PlanError naming the count
and the limit — no spec is loaded and no combination built (the spec path below does not even exist, and
the refusal names the count, not the missing spec). Memory and time stay bounded by the plan's size; the
count is exact (Python integers), so it cannot wrap around.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml

from brandkit.variants.plan import MAX_VARIANTS, PlanError, expand_plan, plan_from_data, variant_count

ROOT = Path(__file__).resolve().parents[1]


def _bomb(axes: int, values: int, spec: str = "no-such-spec-folder") -> dict[str, Any]:
    return {
        "name": "bomb",
        "spec": spec,
        "base": {"brief": "A cup", "headline": "Hi"},
        "axes": {f"a{i}": [{"id": f"v{j}", "set": {"seed": j}} for j in range(values)] for i in range(axes)},
    }


def test_billions_are_refused_naming_count_and_limit_before_any_spec_is_loaded(tmp_path: Path) -> None:
    data = _bomb(axes=10, values=10)  # 10**10 variants
    path = tmp_path / "bomb.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert path.stat().st_size < 16_000
    tracemalloc.start()
    try:
        with pytest.raises(PlanError) as info:
            expand_plan(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert "10,000,000,000 variants" in message and f"limit is {MAX_VARIANTS:,}" in message
    assert "10 a0 × 10 a1" in message
    assert "no such file" not in message and "does not load" not in message  # spec never looked at
    assert peak < 50 * 1024 * 1024  # bounded: nothing near 10**10 objects was built
    (issue,) = info.value.issues
    assert issue.location == "axes" and issue.value == 10**10


def test_a_two_kilobyte_plan_of_hundreds_of_thousands() -> None:
    data = _bomb(axes=3, values=80)  # 512,000
    plan = plan_from_data(data)
    assert variant_count(plan) == 80**3
    with pytest.raises(PlanError, match="512,000 variants"):
        expand_plan(plan)


def test_count_is_the_product_of_axis_lengths_plus_entries() -> None:
    data = {
        "name": "t",
        "specs": [
            {"id": "a", "path": "x", "axes": {"format": ["square", "landscape"]}, "entries": [{"name": "e"}]},
            {"id": "b", "path": "y"},
        ],
        "axes": {"headline": ["one", "two", "three"], "format": ["square"]},
        "entries": [{"name": "p", "spec": "a"}, {"name": "q", "spec": "b"}],
    }
    plan = plan_from_data(data)
    # spec a: 3 headlines × 2 formats (its own axis replaces the plan's) + 1 entry; spec b: 3 × 1; + 2 plan entries
    assert variant_count(plan) == (3 * 2 + 1) + 3 + 2


def test_a_plan_at_the_limit_is_not_refused_by_the_count(tmp_path: Path) -> None:
    northwind = str(ROOT / "brand_specs" / "northwind")
    data = {
        "name": "t",
        "spec": northwind,
        "base": {"brief": "A cup", "cta": "Order ahead"},
        "axes": {"headline": ["Slow mornings", "Roasted this week"], "format": ["square", "landscape"]},
    }
    plan = expand_plan(plan_from_data(data, root=tmp_path))
    assert len(plan.variants) == variant_count(plan.plan) == 4
