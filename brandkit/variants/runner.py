"""The variant runner: a plan's variants made concurrently, exactly once, journaled, reviewed at a glance.

:func:`arun_variants` (and its blocking twin :func:`run_variants`) expands a plan, checks every request
before anything is sent (forbidden terms, unknown formats, headline length), then makes the variants over
one :class:`~brandkit.AsyncBrandKit` per spec with at most ``concurrency`` provider requests in flight (an
asyncio semaphore) and twice as many variants in progress, so that checks and saving overlap the next
requests — each variant gets the same
repair loop, checks and retries as a single ``generate`` (or ``edit``, for ``mode: edit`` locales). Every
request goes through an :class:`~brandkit.variants.ratelimit.AdaptiveRateLimiter` that learns the
provider's limit from its headers and slows down on 429s.

Exactly once, nothing lost: each variant's state change is journaled (``DIR/journal.jsonl``, fsynced);
files are written atomically *before* the ``succeeded`` line. ``resume=True`` after a crash skips a
variant whose journal says succeeded and whose files exist, and redoes one that was started but not
finished. A failed variant never touches a finished one's files (its best rejected attempt goes to
``DIR/rejected/``). Paid means recorded (:mod:`brandkit.variants.paid`): each render is journaled (``paid``,
its bytes in the spool) the moment it arrives, before any check, and a resumed run re-checks such renders
instead of paying again. ``budget_usd`` reserves each call's worst-case cost (price table) before sending it
and stops before the spend could pass the budget.

Never paid for nothing: before the first request the output folder gets its pre-flight
(:func:`brandkit.outputs.preflight`: usable, room for the session's estimate); at the first failed write the
session's :class:`~brandkit.variants.spool.OutputGuard` stops paying and spools what was paid for, which the
next ``resume=True`` saves without paying again.

At the end ``DIR/manifest.json`` and the contact sheet ``DIR/index.html`` are written from the journal.

Layout: :mod:`~brandkit.variants.config` (:class:`RunConfig`), :mod:`~brandkit.variants.engines` (live /
OpenAI Batch), :mod:`~brandkit.variants.preflight` (compile, estimates, settled variants),
:mod:`~brandkit.variants.session` (the workers), :mod:`~brandkit.variants.dryrun`,
:mod:`~brandkit.variants.progress` (what the run reports; the CLI draws the bar). This module builds a session
from a :class:`RunConfig` and writes the reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brandkit.budget import SpendBudget
from brandkit.checks.base import Check
from brandkit.errors import OutputError, RequestError
from brandkit.models import RenderCall
from brandkit.outputs import preflight
from brandkit.provider.base import ImageProvider, worst_case_cost_of
from brandkit.variants.config import KitLike, RunConfig
from brandkit.variants.dryrun import DryRun, DryRunVariant, PlanInput, dry_run
from brandkit.variants.engines import BATCH_STATE_NAME, ENGINES, WORKERS_PER_REQUEST_SLOT, ProviderInput, provider_label
from brandkit.variants.journal import JOURNAL_NAME, Journal
from brandkit.variants.outcome import RunLock
from brandkit.variants.paid import PaidLedger
from brandkit.variants.plan import ExpandedPlan, Variant, expand_plan
from brandkit.variants.preflight import COST_MARGIN, load_state, preflight_requests, settled
from brandkit.variants.progress import ProgressSink, VariantRecorder
from brandkit.variants.ratelimit import AdaptiveRateLimiter, LimiterStats
from brandkit.variants.report import build_manifest, write_reports
from brandkit.variants.session import FATAL_ERRORS, MAX_REQUEUES, RunSession
from brandkit.variants.spool import OutputGuard, run_estimate

__all__ = [
    "BATCH_STATE_NAME",
    "COST_MARGIN",
    "ENGINES",
    "FATAL_ERRORS",
    "MAX_REQUEUES",
    "WORKERS_PER_REQUEST_SLOT",
    "DryRun",
    "DryRunVariant",
    "ProgressSink",
    "RunConfig",
    "VariantRecorder",
    "VariantRun",
    "arun",
    "arun_variants",
    "dry_run",
    "run_variants",
]


@dataclass
class VariantRun:
    """What a run produced: where, the manifest (every variant with its status) and the summary."""

    out: Path
    manifest_path: Path
    index_path: Path
    manifest: dict[str, Any]
    stopped: str | None = None
    """Why the session stopped early: ``budget``, ``aborted: <error>``, ``output: <error>`` (or ``None``)."""
    stop_reason: str | None = None
    """The budget stop in words: the budget, what was spent and reserved, and what the refused call needed."""
    limiter: LimiterStats | None = None
    output: dict[str, Any] | None = None
    """``None`` when every write worked; else ``saved``/``kept``/``lost`` counts, the variants kept in the spool
    for ``--resume`` and those lost, and ``message`` (``output failed: N saved, M kept for resume, K lost``)."""

    @property
    def summary(self) -> dict[str, Any]:
        """The run summary (counts, pass rate, attempts per accepted asset, spend, wall time)."""
        summary: dict[str, Any] = self.manifest["summary"]
        return summary

    @property
    def variants(self) -> list[dict[str, Any]]:
        """Every variant of the plan as the manifest lists it."""
        variants: list[dict[str, Any]] = self.manifest["variants"]
        return variants

    @property
    def ok(self) -> bool:
        """True when every variant of the plan succeeded."""
        return bool(self.summary["succeeded"] == self.summary["total"])

    @property
    def exit_code(self) -> int:
        """CLI exit code: 0 all succeeded, 4 output failed (a write failed: see :attr:`output`), 3 a provider
        problem (abort or provider failures), else 1."""
        if self.output is not None:
            return 4
        if self.ok:
            return 0
        if (self.stopped or "").startswith("aborted") or self.summary["by_kind"].get("provider"):
            return 3
        return 1


async def arun_variants(
    plan: PlanInput,
    out: str | os.PathLike[str],
    *,
    provider: ProviderInput | None = "openai",
    kit: KitLike | None = None,
    concurrency: int = 4,
    budget_usd: float | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    progress: bool | ProgressSink | None = None,
    rate_window_s: float = 60.0,
    rate_limit: int | None = None,
    checks: Sequence[Check] | None = None,
    max_attempts: int | None = None,
    max_spend_usd: float | None = None,
    engine: str = "live",
    batch_options: Mapping[str, Any] | None = None,
    allow_paths: Sequence[str | os.PathLike[str]] = (),
    recorder: VariantRecorder | None = None,
    **provider_options: Any,
) -> VariantRun:
    """Make every variant of ``plan`` into ``out``; returns the manifest and summary (see module docstring).

    The keyword form of :func:`arun`: the arguments build a :class:`RunConfig`.

    ``provider`` is ``"openai"``, ``"local"``, a provider object (shared by every spec) or a factory
    ``spec -> provider``; ``kit`` uses a kit's provider instead. ``provider_options`` go to the OpenAI
    provider (``api_key``, ``base_url``, ``timeout``, ``retry`` …). ``rate_window_s`` is the window of the
    provider's request limit (60 s for OpenAI); ``rate_limit`` fixes the limit instead of learning it.
    ``checks``, ``max_attempts`` and ``max_spend_usd`` configure the kits as in :class:`~brandkit.BrandKit`.
    ``concurrency`` bounds the provider requests in flight at once; twice as many variants are in progress
    (one asset each in memory at most), so checks and saving overlap the requests. ``recorder`` (a
    :class:`VariantRecorder`, e.g. the asset registry's) is told about each variant once it is saved.
    ``progress`` is a :class:`ProgressSink` (the CLI passes its rich bar); ``None``/``False``: none.

    ``engine="openai-batch"`` sends every image request through the OpenAI Batch API instead (half price;
    ``provider`` must be ``"openai"``, an ``OpenAIProvider`` or an ``OpenAIBatchProvider``): see
    :class:`~brandkit.variants.engines.BatchEngine`; ``batch_options`` go to
    :class:`~brandkit.provider.openai_batch.OpenAIBatchProvider` (``poll_interval_s``, ``gather_s`` …), and
    ``concurrency`` bounds the answers being checked at once.

    An existing run in ``out`` is continued only with ``resume=True`` (else :class:`~brandkit.OutputError`);
    ``retry_failed`` also redoes variants that failed their checks. ``allow_paths`` names folders outside the
    plan's own from which the plan may read images. Raises :class:`PlanError` before
    anything is sent when the plan or a request is invalid, and :class:`~brandkit.errors.OutputFolderError`
    when ``out`` is unusable or has no room for the variants to make (see ``docs/variants.md``, *When writes
    fail*). A write failing mid-run ends the run with ``VariantRun.output`` set (exit code 4).
    """
    _misspelt_run_options(provider_options)
    config = RunConfig(
        provider=provider,
        kit=kit,
        concurrency=concurrency,
        budget_usd=budget_usd,
        resume=resume,
        retry_failed=retry_failed,
        progress=progress,
        rate_window_s=rate_window_s,
        rate_limit=rate_limit,
        checks=checks,
        max_attempts=max_attempts,
        max_spend_usd=max_spend_usd,
        engine=engine,
        batch_options=batch_options,
        allow_paths=allow_paths,
        recorder=recorder,
        provider_options=provider_options,
    )
    return await arun(plan, out, config)


async def arun(plan: PlanInput, out: str | os.PathLike[str], config: RunConfig) -> VariantRun:
    """Make every variant of ``plan`` into ``out`` as ``config`` says (see :func:`arun_variants`)."""
    from brandkit.kit import AsyncBrandKit

    engine = config.make_engine()
    expanded = plan if isinstance(plan, ExpandedPlan) else expand_plan(plan, allow_paths=config.allow_paths)
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: output folder is a file", str(target))
    preflight(target)  # a usable folder (not under a file, /proc, a dangling link, read-only) before the lock
    journal_path = target / JOURNAL_NAME
    if journal_path.exists() and not config.resume:
        raise OutputError(
            f"{target}: already holds a variant run ({JOURNAL_NAME}); resume it (--resume) or choose another --out",
            str(target),
        )
    with RunLock(target):
        state = load_state(target)
        done_before: dict[str, str] = {}
        todo: list[Variant] = []
        for variant in expanded.variants:
            status = settled(state, variant.key, target, config.retry_failed)
            if status is None:
                todo.append(variant)
            else:
                done_before[variant.key] = status
        compiled = preflight_requests(expanded, todo)
        engine.preflight(expanded, todo, compiled)
        guard = OutputGuard(target)
        guard.sweep()  # temp files left by killed writers (we hold the run lock)
        slots = config.concurrency * WORKERS_PER_REQUEST_SLOT
        need, reserve, folders = run_estimate(target, [v.name for v in todo], [compiled[v.key] for v in todo], slots)
        preflight(target, need, subfolders=folders)  # room for the run, no sub-folder blocked: nothing spent yet
        guard.reserve(reserve)
        limiter = AdaptiveRateLimiter(window_s=config.rate_window_s, limit=config.rate_limit)
        chosen = config.chosen_provider
        providers = engine.providers(
            chosen, expanded.specs, limiter, config.provider_options, config.concurrency, target
        )
        gates: dict[int, ImageProvider] = {}  # one gate per provider: no render once a write failed
        kits = {
            spec_id: AsyncBrandKit(
                spec,
                provider=gates.setdefault(id(providers.by_spec[spec_id]), guard.gate(providers.by_spec[spec_id])),
                checks=config.checks,
                max_attempts=config.max_attempts,
                max_spend_usd=config.max_spend_usd,
            )
            for spec_id, spec in expanded.specs.items()
        }
        label = engine.label(provider_label(chosen))
        prior_spend = sum(v.cost_usd for v in state.variants.values()) + sum(s.unattributed_usd for s in state.sessions)
        journal = Journal(target / JOURNAL_NAME)
        todo_keys = {t.key for t in todo}
        ledger = PaidLedger(
            target,
            journal,
            SpendBudget(config.budget_usd, label="run budget", spent_usd=prior_spend),
            pending={key: v.paid for key, v in state.variants.items() if v.paid and key in todo_keys},
        )
        ledger.storage_stopped = lambda: guard.stopped
        ledger.sweep()  # paid renders of variants settled for good (a kill can leave them behind)
        worst: dict[str, float | None] = {}
        if config.budget_usd is not None:  # what each variant's first call reserves (its later calls reserve their own)
            for variant in todo:
                first = RenderCall(prompt=compiled[variant.key])
                worst[variant.key] = worst_case_cost_of(kits[variant.spec_id].provider, first)
        runner = RunSession(
            expanded,
            target,
            config,
            kits=kits,
            providers=providers,
            engine=engine,
            limiter=limiter,
            journal=journal,
            state=state,
            guard=guard,
            ledger=ledger,
            prior_spend=prior_spend,
            worst=worst,
            label=label,
            workers=engine.workers(len(todo), config.concurrency),
        )
        started = time.time()
        try:
            await runner.run(todo, done_before, config.resume)
        finally:
            ledger.close()
            guard.close()
            for item in providers.owned:
                with contextlib.suppress(Exception):
                    await item.aclose()
            manifest = await _reports(runner, expanded, target, started, label)
    return VariantRun(
        out=target,
        manifest_path=target / "manifest.json",
        index_path=target / "index.html",
        manifest=manifest,
        stopped=runner.stopped,
        stop_reason=runner.stop_reason,
        limiter=limiter.stats,
        output=guard.summary(int(manifest["summary"]["succeeded"])),
    )


async def _reports(runner: RunSession, plan: ExpandedPlan, out: Path, started: float, label: str) -> dict[str, Any]:
    """Write manifest.json and index.html; when they cannot be written, the run says so (output failed) and
    the manifest is returned from memory."""
    state = load_state(out)
    try:
        return await asyncio.to_thread(
            write_reports, plan, out, state, session_started=started, stopped=runner.stopped, provider=label
        )
    except OutputError as exc:
        runner.guard.noticed(exc, always=True)
        runner.storage_failed(exc)
        return build_manifest(plan, state, session_started=started, stopped=runner.stopped, provider=label)


def _misspelt_run_options(provider_options: Mapping[str, Any]) -> None:
    """A provider option that is a run option misspelt (``concurency``) is named as such, not passed to the
    provider (where it would be refused as a provider option, or ignored)."""
    if not provider_options:
        return
    import inspect

    from brandkit.field_errors import did_you_mean
    from brandkit.provider.openai import OpenAIProvider

    ours = [name for name in inspect.signature(arun_variants).parameters if name != "provider_options"]
    theirs = set(inspect.signature(OpenAIProvider).parameters)
    for name in provider_options:
        hint = None if name in theirs else did_you_mean(name, ours)  # "timeout" is the provider's, not "out"
        if hint is not None:
            raise RequestError(f"run_variants has no option {name!r}; did you mean {hint!r}?", field=name)


def run_variants(plan: PlanInput, out: str | os.PathLike[str], **options: Any) -> VariantRun:
    """Blocking twin of :func:`arun_variants` (same arguments).

    It is ``asyncio.run(arun_variants(...))``: a variant run is a top-level job with its own event loop, so
    the sync entry point shares every line of the async one. Inside a running event loop, await
    :func:`arun_variants` instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun_variants(plan, out, **options))
    raise RuntimeError("run_variants() was called inside a running event loop; use `await arun_variants(...)`")
