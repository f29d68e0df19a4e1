"""The dry run: a plan's variants, their compiled prompts and estimated cost, with nothing sent."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brandkit.provider.pricing import PriceTable
from brandkit.variants.engines import ProviderInput, engine_for, prices_of, provider_label
from brandkit.variants.journal import JournalState
from brandkit.variants.plan import ExpandedPlan, Variant, VariantPlan, expand_plan
from brandkit.variants.preflight import estimate, load_state, preflight_requests, settled, worst_case

__all__ = ["DryRun", "DryRunVariant", "PlanInput", "dry_run"]

PlanInput = ExpandedPlan | VariantPlan | str | os.PathLike[str]


@dataclass
class DryRunVariant:
    """One variant as a dry run shows it: what would be sent and what it may cost."""

    variant: Variant
    prompt: str
    params: dict[str, Any]
    estimate_usd: float | None
    worst_case_usd: float | None
    status: str
    """``todo`` or, with ``resume``, the journal's ``succeeded``/``failed`` (those are not redone)."""


@dataclass
class DryRun:
    """A dry run: the variants, their compiled prompts and the estimated cost. Nothing is sent."""

    plan: ExpandedPlan
    variants: list[DryRunVariant]
    provider: str
    notes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Number of variants in the plan."""
        return len(self.variants)

    @property
    def todo(self) -> int:
        """Variants a run would make now."""
        return sum(1 for v in self.variants if v.status == "todo")

    @property
    def estimated_cost_usd(self) -> float:
        """Estimated spend of the variants to make, one attempt each (0 for the local provider)."""
        return round(sum(v.estimate_usd or 0.0 for v in self.variants if v.status == "todo"), 6)

    @property
    def worst_case_usd(self) -> float:
        """Spend if every variant to make used every repair attempt."""
        return round(sum(v.worst_case_usd or 0.0 for v in self.variants if v.status == "todo"), 6)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (``brandkit variants --dry-run --json``)."""
        return {
            "plan": self.plan.plan.name,
            "provider": self.provider,
            "count": self.count,
            "todo": self.todo,
            "estimated_cost_usd": self.estimated_cost_usd,
            "worst_case_usd": self.worst_case_usd,
            "notes": self.notes,
            "variants": [
                {
                    "key": v.variant.key,
                    "name": v.variant.name,
                    "spec": v.variant.spec_id,
                    "axes": dict(v.variant.axes),
                    "operation": v.variant.operation,
                    "status": v.status,
                    "estimate_usd": v.estimate_usd,
                    "params": v.params,
                    "prompt": v.prompt,
                }
                for v in self.variants
            ],
        }


def dry_run(
    plan: PlanInput,
    *,
    provider: ProviderInput | None = "openai",
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    max_attempts: int | None = None,
    max_spend_usd: float | None = None,
    prices: PriceTable | None = None,
    engine: str = "live",
    allow_paths: Sequence[str | os.PathLike[str]] = (),
) -> DryRun:
    """Expand and pre-flight ``plan`` without sending anything: count, compiled prompts, estimated cost.

    Costs come from the price table (:func:`brandkit.provider.pricing.estimate_cost`: output images, one
    attempt; ``worst_case_usd`` assumes every repair attempt). The local provider costs nothing; the
    ``openai-batch`` engine costs the Batch share of the table (half). With ``out`` and ``resume``,
    variants already settled in that run are not counted. ``allow_paths`` names folders outside the plan's
    own from which the plan may read images (see :func:`~brandkit.variants.plan.load_plan`).
    """
    chosen = engine_for(engine, provider)
    expanded = plan if isinstance(plan, ExpandedPlan) else expand_plan(plan, allow_paths=allow_paths)
    compiled = preflight_requests(expanded, expanded.variants)
    chosen.preflight(expanded, expanded.variants, compiled)
    label = provider_label(provider)
    table = prices or prices_of(provider)
    factor = chosen.price_factor(table)
    state = load_state(Path(out)) if out is not None and resume else JournalState()
    notes: list[str] = []
    rows: list[DryRunVariant] = []
    for variant in expanded.variants:
        prompt = compiled[variant.key]
        spec = expanded.specs[variant.spec_id]
        cost = 0.0 if label == "local" else estimate(prompt, table)
        if cost is not None:
            cost *= factor
        worst = None if cost is None else worst_case(cost, spec, max_attempts, max_spend_usd)
        if cost is None:
            note = f"no price for model {prompt.params.get('model')!r} quality {prompt.params.get('quality')!r}"
            if note not in notes:
                notes.append(note)
        status = settled(state, variant.key, Path(out), retry_failed) if out is not None and resume else None
        rows.append(
            DryRunVariant(
                variant=variant,
                prompt=prompt.text,
                params=dict(prompt.params),
                estimate_usd=cost,
                worst_case_usd=worst,
                status=status or "todo",
            )
        )
    if label == "local":
        notes.append("the local provider renders offline and costs nothing")
    else:
        notes.append("estimates cover output images (price table); input tokens add a little")
    notes.extend(chosen.notes(table))
    return DryRun(plan=expanded, variants=rows, provider=chosen.dry_run_label(label), notes=notes)
