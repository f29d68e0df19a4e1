"""Ad variants at volume: one brief × headlines × formats × locales, hundreds at a time.

* :mod:`~brandkit.variants.plan` — the plan file (YAML, JSON Schema in ``schemas/variant-plan.schema.json``),
  matrix expansion and stable variant keys;
* :mod:`~brandkit.variants.runner` — the async runner (bounded concurrency, adaptive rate limiting,
  budget, journal, resume), configured by a :class:`~brandkit.variants.config.RunConfig`; its parts:
  :mod:`~brandkit.variants.engines` (live / OpenAI Batch), :mod:`~brandkit.variants.session` (the workers),
  :mod:`~brandkit.variants.preflight`, :mod:`~brandkit.variants.dryrun` (the dry run),
  :mod:`~brandkit.variants.progress` (what a run reports; the CLI draws the progress bar);
* :mod:`~brandkit.variants.journal` — the fsynced JSONL journal that makes a run exactly-once;
* :mod:`~brandkit.variants.ratelimit` — the adaptive rate limiter and the provider wrapper;
* :mod:`~brandkit.variants.report` — ``manifest.json`` and the offline contact sheet ``index.html``.

Typical use::

    from brandkit.variants import run_variants
    run = run_variants("plans/demo-24.yaml", "out/variants", provider="local")
    print(run.summary["pass_rate"], run.index_path)

A plan's images must lie in its own folder; allow another one explicitly with
``load_plan(path, allow_paths=[folder])`` and pass the loaded plan to :func:`run_variants` or :func:`dry_run`.

Importing this package does no I/O.
"""

from __future__ import annotations

from brandkit.variants.journal import Journal, JournalState, read_journal, replay
from brandkit.variants.plan import (
    ExpandedPlan,
    PlanError,
    Variant,
    VariantPlan,
    expand_plan,
    load_plan,
    plan_schema,
    plan_schema_json,
    variant_key,
)
from brandkit.variants.ratelimit import AdaptiveRateLimiter, RateLimitedProvider
from brandkit.variants.report import build_manifest, contact_sheet_html, write_reports
from brandkit.variants.runner import (
    DryRun,
    ProgressSink,
    RunConfig,
    VariantRecorder,
    VariantRun,
    arun,
    arun_variants,
    dry_run,
    run_variants,
)

__all__ = [
    "AdaptiveRateLimiter",
    "DryRun",
    "ExpandedPlan",
    "Journal",
    "JournalState",
    "PlanError",
    "ProgressSink",
    "RateLimitedProvider",
    "RunConfig",
    "Variant",
    "VariantPlan",
    "VariantRecorder",
    "VariantRun",
    "arun",
    "arun_variants",
    "build_manifest",
    "contact_sheet_html",
    "dry_run",
    "expand_plan",
    "load_plan",
    "plan_schema",
    "plan_schema_json",
    "read_journal",
    "replay",
    "run_variants",
    "variant_key",
    "write_reports",
]
