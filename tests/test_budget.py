"""Budgets reserve before they spend: per asset (``max_spend_usd``, the repair loop) and per run (the variant
runner's ``budget_usd``). A call is sent only when its worst-case cost fits in what is left; the final spend
never passes the budget. Boundaries: a budget of exactly one call, one cent short, concurrent variants racing
for the last reservation.

The provider here is the local renderer with a price: it states a worst case ``W`` per call and bills
``C`` (≤ ``W``), so every amount is known exactly.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

import brandkit
from brandkit.budget import BudgetExceededError, SpendBudget
from brandkit.checks.technical import TechnicalCheck
from brandkit.models import CheckResult, CheckStatus, RenderCall, RenderResult
from brandkit.provider.local import LocalRenderer
from brandkit.provider.pricing import DEFAULT_PRICES
from brandkit.resources import KitResources
from brandkit.variants import arun_variants, read_journal

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = str(ROOT / "brand_specs" / "northwind")
REQ: dict[str, Any] = {
    "format": "square",
    "brief": "A ceramic cup of coffee on an oak table",
    "headline": "Slow mornings",
    "cta": "Order ahead",
    "text": "overlay",
    "logo": "overlay",
}


class _Priced:
    """The local renderer, billed ``cost`` per call and stating ``worst`` as its bound."""

    name = "priced-local"

    def __init__(self, spec: brandkit.BrandSpec, worst: float, cost: float, pause_s: float = 0.0) -> None:
        self.inner = LocalRenderer(spec)
        self.worst = worst
        self.cost = cost
        self.pause_s = pause_s
        self.calls: list[RenderCall] = []

    def worst_case_cost(self, call: RenderCall) -> float:
        return self.worst

    def render(self, call: RenderCall) -> RenderResult:
        self.calls.append(call)
        return self.inner.render(call).model_copy(update={"cost_usd": self.cost})

    async def arender(self, call: RenderCall) -> RenderResult:
        self.calls.append(call)
        await asyncio.sleep(self.pause_s)  # lets concurrent variants interleave
        return (await self.inner.arender(call)).model_copy(update={"cost_usd": self.cost})


class _AlwaysFails:
    """A check that fails every image (policy ``regenerate``): the repair loop runs until a budget stops it."""

    name = "palette"

    def run(self, ctx: Any) -> CheckResult:
        return CheckResult(name=self.name, status=CheckStatus.failed, hint="try again")


def _request() -> brandkit.AssetRequest:
    return brandkit.AssetRequest(**REQ, seed=3, policies={"palette": "regenerate"})


# --- the budget itself ----------------------------------------------------------------------------------------


def test_a_reservation_fits_exactly_and_one_cent_more_is_refused() -> None:
    budget = SpendBudget(0.10, label="test budget")
    first = budget.reserve(0.06)
    assert budget.reserved_usd == pytest.approx(0.06)
    with pytest.raises(BudgetExceededError) as info:
        budget.reserve(0.05)  # 0.06 + 0.05 > 0.10
    assert info.value.reserved_usd == pytest.approx(0.06) and info.value.needed_usd == pytest.approx(0.05)
    assert "$0.1000 (test budget)" in str(info.value) and "$0.0600 reserved" in str(info.value)
    second = budget.reserve(0.04)  # exactly what is left
    budget.settle(first, 0.05)  # the answer cost less than its worst case: the rest is free again
    budget.release(second)  # a failed call releases its reservation
    assert budget.spent_usd == pytest.approx(0.05) and budget.reserved_usd == 0.0
    assert budget.fits(0.05) and not budget.fits(0.06)


def test_the_worst_case_bounds_the_bill_of_the_loopback_server_usage() -> None:
    # the loopback server bills 1056 output tokens for medium 1024², prompt/4 text tokens and 323 per input image
    from brandkit.models import Usage

    prompt_bytes, images = 2_000, 3
    usage = Usage(
        input_tokens=prompt_bytes // 4 + 323 * images,
        input_text_tokens=prompt_bytes // 4,
        input_image_tokens=323 * images,
        output_tokens=1056,
        output_image_tokens=1056,
    )
    billed = DEFAULT_PRICES.cost_from_usage("gpt-image-2", usage)
    worst = DEFAULT_PRICES.worst_case_cost(
        "gpt-image-2", "medium", 1024, 1024, prompt_bytes=prompt_bytes, input_images=images
    )
    assert billed < worst
    # every term counts: more prompt, more images, partial images and batch prices move the bound
    assert DEFAULT_PRICES.worst_case_cost("gpt-image-2", "medium", 1024, 1024, prompt_bytes=prompt_bytes + 1000) > (
        DEFAULT_PRICES.worst_case_cost("gpt-image-2", "medium", 1024, 1024, prompt_bytes=prompt_bytes)
    )
    base = DEFAULT_PRICES.worst_case_cost("gpt-image-2", "auto", 1024, 1024)
    assert base == DEFAULT_PRICES.estimate_cost("gpt-image-2", "high", 1024, 1024)
    assert DEFAULT_PRICES.worst_case_cost("gpt-image-2", "auto", 1024, 1024, partial_images=2) > base
    assert DEFAULT_PRICES.worst_case_cost("gpt-image-2", "auto", 1024, 1024, batch=True) == pytest.approx(base / 2)


# --- per asset: the repair loop --------------------------------------------------------------------------------


def test_the_repair_loop_stops_before_a_call_that_could_pass_the_budget(
    kit_resources: KitResources, northwind: brandkit.BrandSpec
) -> None:
    # the case: $0.05 budget, calls billed ~$0.03 — checking after spending ended at $0.0755
    provider = _Priced(northwind, worst=0.04, cost=0.0302)
    kit = brandkit.BrandKit(
        northwind,
        resources=kit_resources,
        provider=provider,
        checks=[_AlwaysFails()],
        max_spend_usd=0.05,
        max_attempts=5,
    )
    with pytest.raises(brandkit.BrandViolationError) as info:
        kit.generate(_request())
    assert len(provider.calls) == 1  # 0.0302 spent + 0.04 worst case > 0.05: the second call is not sent
    message = str(info.value)
    assert "spend budget $0.0500 (max_spend_usd)" in message and "$0.0302 spent" in message
    assert "up to $0.0400" in message
    assert sum(a.cost_usd for a in info.value.attempts) <= 0.05


def test_a_budget_of_exactly_n_worst_cases_allows_n_calls(
    kit_resources: KitResources, northwind: brandkit.BrandSpec
) -> None:
    provider = _Priced(northwind, worst=0.02, cost=0.02)  # billed exactly its worst case
    kit = brandkit.BrandKit(
        northwind,
        resources=kit_resources,
        provider=provider,
        checks=[_AlwaysFails()],
        max_spend_usd=0.06,
        max_attempts=9,
    )
    with pytest.raises(brandkit.BrandViolationError) as info:
        kit.generate(_request())
    assert len(provider.calls) == 3 and len(info.value.attempts) == 3
    assert sum(a.cost_usd for a in info.value.attempts) == pytest.approx(0.06)


def test_a_budget_one_cent_short_of_one_call_sends_nothing(
    kit_resources: KitResources, northwind: brandkit.BrandSpec
) -> None:
    provider = _Priced(northwind, worst=0.05, cost=0.01)
    kit = brandkit.BrandKit(
        northwind, resources=kit_resources, provider=provider, checks=[_AlwaysFails()], max_spend_usd=0.04
    )
    with pytest.raises(BudgetExceededError) as info:
        kit.generate(_request())
    assert provider.calls == []
    assert isinstance(info.value, brandkit.BrandkitError)
    assert info.value.as_fields() == {
        "budget": "max_spend_usd",
        "budget_usd": 0.04,
        "spent_usd": 0.0,
        "reserved_usd": 0.0,
        "needed_usd": 0.05,
    }


def test_an_unpriced_provider_is_checked_after_each_call_and_says_so(
    kit_resources: KitResources, northwind: brandkit.BrandSpec
) -> None:
    class Unpriced(_Priced):
        worst_case_cost = None  # type: ignore[assignment]  # states no bound

    provider = Unpriced(northwind, worst=0.0, cost=0.03)
    kit = brandkit.BrandKit(
        northwind,
        resources=kit_resources,
        provider=provider,
        checks=[_AlwaysFails()],
        max_spend_usd=0.05,
        max_attempts=5,
    )
    with pytest.raises(brandkit.BrandViolationError) as info:
        kit.generate(_request())
    assert len(provider.calls) == 2  # the old rule: a call is sent while spend < budget
    assert all("states no worst-case cost" in " ".join(a.notes) for a in info.value.attempts)


# --- per run: the variant runner -------------------------------------------------------------------------------


def _plan(folder: Path, headlines: int) -> Path:
    words = ["Slow mornings", "Roasted this week", "Meet the roasters", "Fresh every day", "Single origin"]
    data = {
        "name": "budget",
        "spec": NORTHWIND,
        "base": {
            "brief": "A ceramic cup of coffee on an oak table",
            "cta": "Order ahead",
            "text": "overlay",
            "logo": "overlay",
        },
        "axes": {"headline": words[:headlines], "format": ["square", "landscape"]},
    }
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


async def _run(tmp_path: Path, northwind: brandkit.BrandSpec, budget: float, **extra: Any) -> tuple[Any, _Priced]:
    provider = _Priced(northwind, worst=0.05, cost=0.05, pause_s=0.02)
    run = await arun_variants(
        _plan(tmp_path, 4),
        tmp_path / "out",
        provider=provider,
        budget_usd=budget,
        checks=[TechnicalCheck()],
        progress=False,
        **extra,
    )
    return run, provider


async def test_concurrent_variants_race_for_the_last_reservations(
    tmp_path: Path, northwind: brandkit.BrandSpec
) -> None:
    # 8 variants, 4 requests in flight, room for exactly 3 calls: three are sent, the rest are not made
    run, provider = await _run(tmp_path, northwind, budget=0.15, concurrency=4)
    assert len(provider.calls) == 3
    assert run.stopped == "budget" and run.summary["succeeded"] == 3
    assert run.summary["spend_usd"] == pytest.approx(0.15) and run.summary["spend_usd"] <= 0.15 + 1e-9
    assert {v["status"] for v in run.variants} == {"succeeded", "skipped"}
    stops = [r for r in read_journal(tmp_path / "out" / "journal.jsonl")[0] if r["event"] == "budget_stop"]
    assert stops and all(s["budget_usd"] == 0.15 and s["needed_usd"] == 0.05 for s in stops)
    assert all(s["spent_usd"] + s["reserved_usd"] + s["needed_usd"] > 0.15 for s in stops)
    assert run.stop_reason is not None and "run budget" in run.stop_reason and "spent" in run.stop_reason


async def test_a_run_budget_of_exactly_one_call_makes_one_variant(
    tmp_path: Path, northwind: brandkit.BrandSpec
) -> None:
    run, provider = await _run(tmp_path, northwind, budget=0.05, concurrency=2)
    assert len(provider.calls) == 1 and run.summary["succeeded"] == 1
    assert run.summary["spend_usd"] == pytest.approx(0.05)


async def test_a_run_budget_one_cent_short_sends_nothing(tmp_path: Path, northwind: brandkit.BrandSpec) -> None:
    run, provider = await _run(tmp_path, northwind, budget=0.04, concurrency=2)
    assert provider.calls == [] and run.summary["succeeded"] == 0 and run.summary["spend_usd"] == 0.0
    assert run.stopped == "budget" and run.exit_code == 1
    assert run.stop_reason is not None and "$0.0400 (run budget)" in run.stop_reason
    assert "up to $0.0500" in run.stop_reason


def test_the_openai_providers_bound_covers_what_the_server_bills(
    northwind: brandkit.BrandSpec, openai_server: Any
) -> None:
    """Over real HTTP (loopback server): each call's worst case is at least what its answer's usage costs, for
    a plain generation and for one with reference images; a budget of exactly the first call's worst case
    makes that one call and no second."""
    from brandkit.compile import compile_prompt
    from brandkit.provider.openai import OpenAIProvider
    from brandkit.provider.openai_batch import OpenAIBatchProvider
    from tests.support.openai_plugin import FAKE_API_KEY
    from tests.support.variants import FAST

    provider = OpenAIProvider(api_key=FAKE_API_KEY, base_url=openai_server.url, retry=FAST)
    try:
        for logo in ("overlay", "reference"):
            request = brandkit.AssetRequest(**{**REQ, "logo": logo}, seed=1)
            call = RenderCall(prompt=compile_prompt(northwind, request))
            worst = provider.worst_case_cost(call)
            billed = provider.render(call).cost_usd
            assert 0 < billed <= worst, (logo, billed, worst)
        assert OpenAIBatchProvider(provider).worst_case_cost(call) == pytest.approx(worst / 2, abs=1e-6)
        kit = brandkit.BrandKit(
            northwind, provider=provider, checks=[_AlwaysFails()], max_spend_usd=worst, max_attempts=3
        )
        with pytest.raises(brandkit.BrandViolationError) as info:
            kit.generate(request)
        assert len(info.value.attempts) == 1  # the second call's worst case does not fit in what is left
    finally:
        provider.close()
