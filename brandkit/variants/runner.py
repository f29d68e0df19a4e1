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
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from brandkit.asset import Asset, atomic_write
from brandkit.budget import BudgetExceededError, SpendBudget
from brandkit.errors import (
    AuthenticationError,
    BrandkitError,
    BrandViolationError,
    ModerationBlockedError,
    OutputError,
    ProviderError,
    QuotaExceededError,
    RateLimitError,
    RequestError,
)
from brandkit.models import AssetRequest, Attempt, EditRequest, RenderCall, ValidationReport
from brandkit.outputs import preflight
from brandkit.provider.base import ImageProvider, Moderator, worst_case_cost_of
from brandkit.provider.pricing import DEFAULT_PRICES, PriceTable
from brandkit.provider.retry import RetryPolicy
from brandkit.spec.models import BrandSpec
from brandkit.variants.eta import EtaEstimator, eta_column
from brandkit.variants.journal import JOURNAL_NAME, RETRY_ON_RESUME, Journal, JournalState, read_journal, replay
from brandkit.variants.paid import PaidLedger
from brandkit.variants.plan import ExpandedPlan, PlanError, Variant, VariantPlan, expand_plan
from brandkit.variants.ratelimit import AdaptiveRateLimiter, LimiterStats, wrap
from brandkit.variants.report import build_manifest, make_thumbnail, report_summary, write_reports
from brandkit.variants.spool import OutputGuard, RenderRefused, result_fields, run_estimate

if TYPE_CHECKING:
    from brandkit.checks.base import Check
    from brandkit.kit import AsyncBrandKit, _KitBase

__all__ = [
    "DryRun",
    "DryRunVariant",
    "ProgressSink",
    "RichProgress",
    "VariantRun",
    "arun_variants",
    "dry_run",
    "run_variants",
]

PlanInput = ExpandedPlan | VariantPlan | str | os.PathLike[str]
ProviderInput = str | ImageProvider | Callable[[BrandSpec], ImageProvider]

ENGINES = ("live", "openai-batch")
"""``live``: one request per image, rate limited. ``openai-batch``: every request through the OpenAI Batch
API (half price, results within the 24 h completion window; see :mod:`brandkit.provider.openai_batch`)."""
BATCH_STATE_NAME = "batch-state.jsonl"

FATAL_ERRORS = (AuthenticationError, QuotaExceededError)
"""Provider errors that stop the whole run: every further request would fail the same way."""
MAX_REQUEUES = 3
"""How often a variant that still hit the rate limit after its retries goes back into the queue."""
WORKERS_PER_REQUEST_SLOT = 2
"""Variants in progress per request slot: while some wait for the provider, others run checks and save."""
COST_MARGIN = 1.25
"""Reservations cover input tokens and price drift on top of the per-image output estimate."""
_EXT = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}


# --------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------


class VariantRecorder(Protocol):
    """Told about each variant once its files are written and journaled (e.g. the asset registry,
    :class:`brandkit.registry.recorder.RegistryRecorder`). Called in a worker thread; it must not raise:
    a recording failure is its own to report, never the run's (the files and the journal are already safe)."""

    def saved(self, variant: Variant, asset: Asset, path: Path, spec: BrandSpec) -> None:
        """``variant`` passed: ``asset`` is saved at ``path``."""

    def failed(self, variant: Variant, attempts: Sequence[Attempt], best: Attempt, path: Path, spec: BrandSpec) -> None:
        """``variant`` failed its checks: its best attempt's image is at ``path``."""


class ProgressSink(Protocol):
    """Receives progress of a run (the CLI's rich bar, or your own)."""

    def start(self, total: int, done: int, failed: int) -> None:
        """The run begins: ``total`` variants, ``done``/``failed`` already settled by earlier sessions."""
        ...

    def update(self, done: int, failed: int, spent_usd: float) -> None:
        """A variant settled."""
        ...

    def stop(self) -> None:
        """The run ended."""
        ...


class RichProgress:
    """A rich progress bar on stderr: done / failed / spend / ETA (:class:`~brandkit.variants.eta.EtaEstimator`:
    from the session's throughput since it started, counted down between settlements)."""

    def __init__(self, description: str = "variants", clock: Callable[[], float] = time.monotonic) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.eta = EtaEstimator(clock)
        """The estimate the bar shows."""

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"),
            TextColumn("${task.fields[spent]:.2f}"),
            TimeElapsedColumn(),
            eta_column(self.eta),
            console=Console(stderr=True),
            transient=False,
        )
        self._description = description
        self._task: Any = None

    def start(self, total: int, done: int, failed: int) -> None:
        """Show the bar."""
        self._progress.start()
        self.eta.start(total, done + failed)
        self._task = self._progress.add_task(
            self._description, total=total, completed=done + failed, failed=failed, spent=0.0
        )

    def update(self, done: int, failed: int, spent_usd: float) -> None:
        """Advance the bar."""
        self.eta.update(done + failed)
        if self._task is not None:
            self._progress.update(self._task, completed=done + failed, failed=failed, spent=spent_usd)

    def stop(self) -> None:
        """Remove the live display (the last state stays printed)."""
        self._progress.stop()


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Estimates and pre-flight
# --------------------------------------------------------------------------------------------


def _blank_png(width: int, height: int) -> bytes:
    """A plain image standing in for a master that does not exist yet (pre-flight of edit variants)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (245, 245, 245)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _compile(spec: BrandSpec, variant: Variant, blanks: dict[tuple[int, int], bytes]) -> Any:
    """The variant's first-attempt prompt (raises RequestError for forbidden content, bad formats, …).

    An edit variant is compiled against a blank image of its format (``blanks`` caches them per call).
    """
    from brandkit.compile import compile_edit, compile_prompt

    if isinstance(variant.request, EditRequest):
        fmt = spec.formats[variant.format_name]
        size = (fmt.width, fmt.height)
        if size not in blanks:
            blanks[size] = _blank_png(*size)
        return compile_edit(spec, variant.request, blanks[size])
    return compile_prompt(spec, variant.request)


def _attempts_cap(spec: BrandSpec, max_attempts: int | None) -> int:
    return max_attempts or spec.repair.max_attempts


def _estimate(prompt: Any, prices: PriceTable) -> float | None:
    params = prompt.params
    try:
        return prices.estimate_cost(
            str(params.get("model")), str(params.get("quality", "auto")), prompt.width, prompt.height
        )
    except ValueError:
        return None


def _worst_case(estimate: float | None, spec: BrandSpec, max_attempts: int | None, max_spend: float | None) -> float:
    """Most one variant can spend: every attempt of the repair loop (the loop stops once its budget is reached)."""
    if not estimate:
        return 0.0
    attempts = _attempts_cap(spec, max_attempts)
    cap = max_spend if max_spend is not None else spec.repair.max_spend_usd
    if cap is not None:
        attempts = min(attempts, math.floor(cap / estimate) + 1)
    return estimate * attempts * COST_MARGIN


def _preflight(plan: ExpandedPlan, variants: Sequence[Variant]) -> dict[str, Any]:
    """Compile every variant; raise PlanError listing each request a provider would refuse or the brand forbids."""
    from brandkit.errors import SpecIssue

    compiled: dict[str, Any] = {}
    issues: list[SpecIssue] = []
    blanks: dict[tuple[int, int], bytes] = {}
    for variant in variants:
        try:
            compiled[variant.key] = _compile(plan.specs[variant.spec_id], variant, blanks)
        except RequestError as exc:
            where = f"variant {variant.name}" + (f" ({exc.field})" if exc.field else "")
            issues.append(SpecIssue(plan.plan.source, where, exc.message, exc.value))
    if issues:
        raise PlanError(
            f"{plan.plan.source}: {len(issues)} variant(s) would be refused before sending; nothing was spent",
            issues,
        )
    return compiled


def _prices_of(provider: Any) -> PriceTable:
    inner = getattr(provider, "inner", provider)
    prices = getattr(inner, "prices", None)
    return prices if isinstance(prices, PriceTable) else DEFAULT_PRICES


def _provider_label(provider: ProviderInput | None, kit: _KitBase | None) -> str:
    if kit is not None:
        return kit.provider.name
    if isinstance(provider, str):
        return provider
    return str(getattr(provider, "name", "custom"))


def _load_state(out: Path) -> JournalState:
    records, skipped = read_journal(out / JOURNAL_NAME)
    return replay(records, skipped)


def _finished(state: JournalState, key: str, out: Path) -> bool:
    """A variant is finished when the journal says succeeded *and* its image and sidecar are on disk, whole."""
    record = state.state(key)
    if record.status != "succeeded":
        return False
    files = record.files
    image = files.get("image")
    if not image or not (out / image).is_file() or not (out / files.get("sidecar", image + ".json")).is_file():
        return False
    expected = record.last.get("bytes")
    return expected is None or (out / image).stat().st_size == expected


def _settled(state: JournalState, key: str, out: Path, retry_failed: bool) -> str | None:
    """``succeeded`` / ``failed`` when the variant needs no work now, else ``None``."""
    if _finished(state, key, out):
        return "succeeded"
    record = state.state(key)
    if record.status == "failed" and not retry_failed and record.kind not in RETRY_ON_RESUME:
        return "failed"
    return None


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
    _check_engine(engine, provider)
    expanded = plan if isinstance(plan, ExpandedPlan) else expand_plan(plan, allow_paths=allow_paths)
    compiled = _preflight(expanded, expanded.variants)
    if engine == "openai-batch":
        _batch_preflight(expanded, expanded.variants, compiled)
    label = _provider_label(provider, None)
    table = prices or _prices_of(provider)
    factor = table.batch_factor if engine == "openai-batch" else 1.0
    state = _load_state(Path(out)) if out is not None and resume else JournalState()
    notes: list[str] = []
    rows: list[DryRunVariant] = []
    for variant in expanded.variants:
        prompt = compiled[variant.key]
        spec = expanded.specs[variant.spec_id]
        estimate = 0.0 if label == "local" else _estimate(prompt, table)
        if estimate is not None:
            estimate *= factor
        worst = None if estimate is None else _worst_case(estimate, spec, max_attempts, max_spend_usd)
        if estimate is None:
            note = f"no price for model {prompt.params.get('model')!r} quality {prompt.params.get('quality')!r}"
            if note not in notes:
                notes.append(note)
        settled = _settled(state, variant.key, Path(out), retry_failed) if out is not None and resume else None
        rows.append(
            DryRunVariant(
                variant=variant,
                prompt=prompt.text,
                params=dict(prompt.params),
                estimate_usd=estimate,
                worst_case_usd=worst,
                status=settled or "todo",
            )
        )
    if label == "local":
        notes.append("the local provider renders offline and costs nothing")
    else:
        notes.append("estimates cover output images (price table); input tokens add a little")
    if engine == "openai-batch":
        notes.append(
            f"engine openai-batch: Batch API prices (×{factor:g}); results arrive within the 24 h completion window"
        )
    return DryRun(plan=expanded, variants=rows, provider=label if engine == "live" else f"{label} (batch)", notes=notes)


def _check_engine(engine: str, provider: ProviderInput | None) -> None:
    if engine not in ENGINES:
        raise RequestError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}", "engine", engine)
    if engine == "openai-batch" and not (provider == "openai" or _is_openai_object(provider)):
        raise RequestError(
            f"engine openai-batch needs the OpenAI provider, not {_provider_label(provider, None)!r}",
            "engine",
            engine,
        )


def _is_openai_object(provider: Any) -> bool:
    from brandkit.provider.openai import OpenAIProvider
    from brandkit.provider.openai_batch import OpenAIBatchProvider

    return isinstance(provider, OpenAIProvider | OpenAIBatchProvider)


def _batch_preflight(plan: ExpandedPlan, variants: Sequence[Variant], compiled: Mapping[str, Any]) -> None:
    """Raise PlanError listing each variant the Batch API cannot carry (e.g. an edit at a custom size)."""
    from brandkit.errors import SpecIssue
    from brandkit.models import RenderCall
    from brandkit.provider.openai import plan_render
    from brandkit.provider.openai_batch import check_batchable

    issues: list[SpecIssue] = []
    for variant in variants:
        try:
            check_batchable(plan_render(RenderCall(prompt=compiled[variant.key]), transport="batch"))
        except ProviderError as exc:  # LocalParameterError names the field and value
            where = f"variant {variant.name} ({getattr(exc, 'field', 'request')})"
            issues.append(SpecIssue(plan.plan.source, where, str(exc), getattr(exc, "value", None)))
    if issues:
        raise PlanError(
            f"{plan.plan.source}: {len(issues)} variant(s) cannot go through the Batch API; nothing was sent",
            issues,
        )


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


class _RunLock:
    """An exclusive lock on the output folder (``DIR/.lock``), released by the OS if the process dies."""

    def __init__(self, out: Path) -> None:
        self.path = out / ".lock"
        self._handle: Any = None

    def __enter__(self) -> _RunLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+")
        except OSError as exc:
            message = f"{self.path}: cannot create the run lock ({exc.strerror or exc})"
            raise OutputError(message, str(self.path)) from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise OutputError(f"{self.path.parent}: another variant run is using this folder", str(self.path)) from None
        self._handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, BrandViolationError) and exc.report is not None:
        parts = []
        for result in exc.report.failures:
            note = result.hint or str(result.details.get("reason") or result.status.value)
            parts.append(f"{result.name}: {note}")
        if parts:
            return "; ".join(parts)[:600]
    text = str(exc) if isinstance(exc, BrandkitError) else f"{type(exc).__name__}: {exc}"
    return text[:600]


def _failure_kind(exc: BaseException) -> str:
    if isinstance(exc, BrandViolationError):
        return "checks"
    if isinstance(exc, ModerationBlockedError):
        return "blocked"
    if isinstance(exc, RequestError):
        return "request"
    if isinstance(exc, ProviderError):
        return "provider"
    if isinstance(exc, OutputError):
        return "output"
    return "error"


class _Runner:
    """One session of a variant run (state shared by the workers; no global state)."""

    def __init__(
        self,
        plan: ExpandedPlan,
        out: Path,
        kits: Mapping[str, AsyncBrandKit],
        wrapped: Sequence[_Billed],
        *,
        concurrency: int,
        budget_usd: float | None,
        retry_failed: bool,
        progress: ProgressSink | None,
        max_attempts: int | None,
        max_spend_usd: float | None,
        label: str,
        recorder: VariantRecorder | None = None,
    ) -> None:
        self.plan = plan
        self.recorder = recorder
        self.out = out
        self.kits = kits
        self.wrapped = wrapped
        self.concurrency = concurrency
        self.budget = budget_usd
        self.retry_failed = retry_failed
        self.progress = progress
        self.max_attempts = max_attempts
        self.max_spend_usd = max_spend_usd
        self.label = label
        self.journal = Journal(out / JOURNAL_NAME)
        self.state = JournalState()
        self.done = 0
        self.failed = 0
        self.prior_spend = 0.0
        self.worst: dict[str, float | None] = {}
        """Worst-case cost of each variant's first call (``None``: the provider states no price)."""
        self.ledger = PaidLedger(out, self.journal, SpendBudget(budget_usd, label="run budget"))
        self.stop_reason: str | None = None
        self.stopped: str | None = None
        self.settled_events: dict[str, asyncio.Event] = {}
        self.outcome: dict[str, str] = {}
        self.requeues: dict[str, int] = {}
        self.in_flight: set[str] = set()
        self.finished_files: dict[str, dict[str, str]] = {}
        self._favour_at: int | None = None  # variants left to start when renders go first
        self.guard = OutputGuard(out)
        self.workers: int | None = None  # worker tasks (default: concurrency × WORKERS_PER_REQUEST_SLOT)

    # -- money -------------------------------------------------------------------------------

    @property
    def session_spend(self) -> float:
        """What the providers billed in this session (every render they returned)."""
        return sum(p.spent_usd for p in self.wrapped)

    @property
    def total_spend(self) -> float:
        """Spend of earlier sessions plus this one."""
        return self.prior_spend + self.session_spend

    def _can_start(self, variant: Variant) -> bool:
        """Whether ``variant``'s first call fits in the run budget now (each call reserves its own worst
        case when it is sent; a variant with paid renders to re-check starts in any case)."""
        budget = self.ledger.budget
        if budget.limit_usd is None or self.ledger.has_replay(variant.key):
            return True
        need = self.worst.get(variant.key)
        if need is None:  # the provider states no price: the budget is checked after each call
            return budget.spent_usd + budget.reserved_usd < budget.limit_usd
        return budget.fits(need)

    def _budget_stop(self, variant: Variant, error: BudgetExceededError) -> None:
        """Stop the run before a call that could pass the budget; the journal says by how much."""
        if self.stopped is None:
            self.stopped = "budget"
            self.stop_reason = str(error)
        self.journal.append("budget_stop", key=variant.key, reason=str(error), **error.as_fields())

    # -- journal ------------------------------------------------------------------------------

    def _plan_records(self) -> list[dict[str, Any]]:
        now = round(time.time(), 3)
        return [
            {
                "ts": now,
                "event": "planned",
                "key": v.key,
                "name": v.name,
                "spec": v.spec_id,
                "axes": dict(v.axes),
                "operation": v.operation,
                "master": v.master_key,
            }
            for v in self.plan.variants
            if v.key not in self.state.planned
        ]

    def _settle(self, variant: Variant, status: str) -> None:
        self.outcome[variant.key] = status
        if status == "succeeded":
            self.done += 1
        else:
            self.failed += 1
        event = self.settled_events.get(variant.key)
        if event is not None:
            event.set()
        if self.progress is not None:
            self.progress.update(self.done, self.failed, self.total_spend)

    # -- one variant --------------------------------------------------------------------------

    async def _master_ready(self, variant: Variant) -> None:
        """Wait while an edit variant's master is being made; defer it while the master is still queued."""
        key = variant.master_key
        if key is None:
            return
        while key not in self.outcome and not _finished(self.state, key, self.out):
            if key not in self.in_flight:
                raise _Defer
            await self.settled_events[key].wait()
        if self.outcome.get(key, "succeeded") != "succeeded":
            master = self.plan.get(key)
            raise _MasterMissing(f"its master {master.name if master else key[:12]} did not succeed")

    async def _master_bytes(self, variant: Variant) -> bytes:
        from brandkit.imageio import read_bytes

        if variant.master_path is not None:
            return await asyncio.to_thread(read_bytes, variant.master_path)
        assert variant.master_key is not None
        return await asyncio.to_thread(read_bytes, self.out / self._image_of(variant.master_key))

    def _image_of(self, key: str) -> str:
        record = self.finished_files.get(key) or self.state.state(key).files
        return record["image"]

    async def _make(self, variant: Variant) -> Asset:
        shared = self.kits[variant.spec_id]
        kit = shared.using(self.ledger.provider_for(variant.key, shared.provider))  # paid means recorded
        if isinstance(variant.request, EditRequest):
            master = await self._master_bytes(variant)
            return await kit.edit(master, request=variant.request)
        assert isinstance(variant.request, AssetRequest)
        return await kit.generate(variant.request)

    async def _save(self, variant: Variant, asset: Asset) -> dict[str, Any]:
        """Save ``asset`` (image and sidecar atomically, then its thumbnail); the ``succeeded`` line's fields."""
        fields = result_fields(variant.name, variant.key, asset)
        files = fields["files"]

        def write() -> OutputError | None:
            asset.save(self.out / files["image"], overwrite=True)  # the run owns its keyed names
            try:
                make_thumbnail(asset.data, self.out / files["thumb"])
            except OutputError as exc:  # the image is saved; the contact sheet redraws a missing thumbnail
                return exc
            return None

        thumb_error = await asyncio.to_thread(write)
        if thumb_error is not None:
            self._storage_failed(thumb_error)
        return fields

    async def _save_rejected(self, variant: Variant, best: Attempt | None) -> dict[str, str]:
        if best is None:
            return {}
        image_rel = f"rejected/{variant.name}{_EXT.get(best.output_format, '.png')}"
        thumb_rel = f"thumbs/{variant.key[:16]}.rejected.jpg"

        def write() -> None:
            atomic_write(self.out / image_rel, best.data)
            make_thumbnail(best.data, self.out / thumb_rel)

        try:
            await asyncio.to_thread(write)
        except (OutputError, BrandkitError) as exc:
            self._storage_failed(exc)
            return {}
        return {"rejected": image_rel, "thumb": thumb_rel}

    async def _run_one(self, variant: Variant) -> None:
        started = time.perf_counter()
        if self.guard.has(variant.key) and await self._recover(variant, started):
            return
        try:
            await self._master_ready(variant)
        except _MasterMissing as exc:
            self._record_failure(variant, "master", str(exc), started)
            return
        self.journal.append("started", key=variant.key)
        self.in_flight.add(variant.key)
        try:
            asset = await self._make(variant)
        except asyncio.CancelledError:
            raise
        except RenderRefused:
            self._not_made(variant)
            return
        except BudgetExceededError as exc:  # the next call could pass the run budget: not sent
            self._budget_stop(variant, exc)
            if variant.key in self.ledger.paid_keys:  # paid renders are kept: resume re-checks them
                self._record_failure(variant, "budget", str(exc), started)
            else:
                self._not_made(variant)
            return
        except RateLimitError as exc:
            count = self.requeues.get(variant.key, 0)
            if count < MAX_REQUEUES and self.stopped is None:
                self.requeues[variant.key] = count + 1
                self.journal.append("requeued", key=variant.key, reason=_failure_reason(exc))
                raise _Requeue from exc
            self._record_failure(variant, "provider", _failure_reason(exc), started)
            return
        except FATAL_ERRORS as exc:
            self._record_failure(variant, "provider", _failure_reason(exc), started)
            self.stopped = f"aborted: {type(exc).__name__}: {exc}"
            return
        except BrandViolationError as exc:
            files = await self._save_rejected(variant, exc.best)
            if self.recorder is not None and exc.best is not None and files.get("rejected"):
                spec = self.kits[variant.spec_id].spec
                path = self.out / files["rejected"]
                await asyncio.to_thread(self.recorder.failed, variant, exc.attempts, exc.best, path, spec)
            cost = sum(a.cost_usd for a in exc.attempts)
            self._record_failure(
                variant, "checks", _failure_reason(exc), started, cost, len(exc.attempts), exc.report, files
            )
            return
        except Exception as exc:
            self._record_failure(variant, _failure_kind(exc), _failure_reason(exc), started)
            return
        self.ledger.crash_point("checked")
        try:
            fields = await self._save(variant, asset)
        except OutputError as exc:  # paid for but not saved: keep it in the spool, stop paying on a storage failure
            self._storage_failed(exc)
            fields = result_fields(variant.name, variant.key, asset)
            extra = await asyncio.to_thread(self.guard.keep, variant.key, variant.name, asset, fields)
            cost, attempts, report = asset.cost_usd, len(asset.attempts), asset.report
            self._record_failure(variant, "output", _failure_reason(exc), started, cost, attempts, report, None, extra)
            return
        self.ledger.crash_point("saved")
        self.finished_files[variant.key] = fields["files"]
        elapsed = round(time.perf_counter() - started, 3)
        try:
            self.journal.append("succeeded", key=variant.key, **fields, billing="paid", elapsed_s=elapsed)
        except OutputError as exc:  # saved, but not journaled: the spool notes it so resume does not pay again
            self._storage_failed(exc)
            await asyncio.to_thread(self.guard.keep_saved, variant.key, variant.name, fields)
        self.ledger.discard(variant.key)
        if self.recorder is not None:
            path = self.out / fields["files"]["image"]
            await asyncio.to_thread(self.recorder.saved, variant, asset, path, self.kits[variant.spec_id].spec)
        self._settle(variant, "succeeded")

    async def _recover(self, variant: Variant, started: float) -> bool:
        """Save a result an earlier session paid for but could not save (the spool), without paying again.
        Returns False when the spool entry was unusable (then the variant is made as usual)."""
        try:
            fields = await asyncio.to_thread(self.guard.recover, variant.key)
        except OutputError as exc:
            self._storage_failed(exc)
            self._record_failure(variant, "output", _failure_reason(exc), started, extra={"spooled": variant.key})
            return True
        if fields is None:
            return False
        self.finished_files[variant.key] = fields["files"]
        fields.update(cost_usd=0.0, attempts=0, from_spool=True, billing="paid")  # paid and counted earlier
        self.journal.append("succeeded", key=variant.key, **fields, elapsed_s=round(time.perf_counter() - started, 3))
        self.guard.discard(variant.key)
        self.ledger.discard(variant.key)
        self._settle(variant, "succeeded")
        return True

    def _storage_failed(self, exc: BaseException) -> None:
        """A write failed: on a storage failure stop paying (no new variant, no new render)."""
        if self.guard.noticed(exc) and (self.stopped is None or self.stopped == "budget"):
            self.stopped = f"output: {self.guard.failure}"

    def _not_made(self, variant: Variant) -> None:
        """A started variant whose render was refused (writes failed, or the budget): nothing spent in this
        session; resume makes it."""
        event = self.settled_events.get(variant.key)
        if event is not None:
            event.set()

    def _record_failure(
        self,
        variant: Variant,
        kind: str,
        reason: str,
        started: float,
        cost: float = 0.0,
        attempts: int = 0,
        report: ValidationReport | None = None,
        files: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.journal.append(
            "failed",
            key=variant.key,
            kind=kind,
            reason=reason,
            cost_usd=round(cost, 6),
            attempts=attempts,
            files=dict(files or {}),
            report=report_summary(report) if report is not None else None,
            elapsed_s=round(time.perf_counter() - started, 3),
            billing="paid",
            **dict(extra or {}),
        )
        if kind not in RETRY_ON_RESUME:  # settled for good: its paid renders need no re-check
            self.ledger.discard(variant.key)
        self._settle(variant, "failed")

    # -- the session --------------------------------------------------------------------------

    def _near_the_end(self, left: int) -> None:
        """``left`` variants are still to start: once they fit in the workers (the last round), renders get
        the limiter's free slots before moderation calls (``AdaptiveRateLimiter.favour``). A render delayed
        at the end of a run costs its whole generation time, a moderation call next to nothing; before
        that, arrival order: each moderation call finishes a variant and frees its memory."""
        if self._favour_at is None or left > self._favour_at:
            return
        self._favour_at = None
        for provider in self.wrapped:
            limiter = getattr(provider, "limiter", None)
            if isinstance(limiter, AdaptiveRateLimiter):
                limiter.favour("render")

    async def _worker(self, queue: asyncio.Queue[Variant]) -> None:
        while True:
            try:
                variant = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            self._near_the_end(queue.qsize())
            try:
                if self.stopped is not None:
                    continue
                if not self._can_start(variant):
                    need = self.worst.get(variant.key)
                    self._budget_stop(variant, self.ledger.budget.refusal(need or 0.0, f"variant {variant.name}"))
                    continue
                try:
                    await self._run_one(variant)
                except (_Requeue, _Defer):
                    queue.put_nowait(variant)
                except OutputError as exc:  # the journal could not be written: stop paying, resume redoes it
                    self._storage_failed(exc)
                    self._not_made(variant)
                finally:
                    self.in_flight.discard(variant.key)
                    for provider in self.wrapped:  # the batch engine bounds answers being processed
                        release = getattr(provider, "release_delivery", None)
                        if release is not None:
                            release()
            finally:
                queue.task_done()

    async def run(self, todo: Sequence[Variant], settled: Mapping[str, str], resume: bool) -> None:
        self.journal.open()
        try:
            self.journal.append(
                "run_started",
                plan=self.plan.plan.name,
                plan_hash=self.plan.plan_hash,
                variants=len(self.plan),
                todo=len(todo),
                provider=self.label,
                concurrency=self.concurrency,
                budget_usd=self.budget,
                resume=resume,
                pid=os.getpid(),
            )
            self.journal.append_many(self._plan_records())
            for key, status in settled.items():
                self.outcome[key] = status
            self.done = sum(1 for s in settled.values() if s == "succeeded")
            self.failed = len(settled) - self.done
            for variant in todo:
                self.settled_events[variant.key] = asyncio.Event()
            queue: asyncio.Queue[Variant] = asyncio.Queue()
            for variant in todo:
                queue.put_nowait(variant)
            if self.progress is not None:
                self.progress.start(len(self.plan), self.done, self.failed)
            try:
                count = self.workers or max(1, self.concurrency) * WORKERS_PER_REQUEST_SLOT
                self._favour_at = count
                workers = [asyncio.create_task(self._worker(queue)) for _ in range(count)]
                try:
                    await asyncio.gather(*workers)
                except BaseException:
                    for task in workers:
                        task.cancel()
                    await asyncio.gather(*workers, return_exceptions=True)
                    raise
            finally:
                if self.progress is not None:
                    self.progress.stop()
            self.guard.release()  # room for the last journal lines and the reports
            try:
                if self.stopped is not None and self.stopped.startswith("aborted"):
                    self.journal.append("aborted", reason=self.stopped)
                self.journal.append(
                    "run_finished",
                    stopped=self.stopped,
                    spent_usd=round(self.session_spend, 6),
                    unattributed_usd=round(max(0.0, self.session_spend - self.ledger.recorded_usd), 6),
                )
            except OutputError as exc:
                self._storage_failed(exc)
        finally:
            self.journal.close()


class _Requeue(Exception):
    """A variant hit the rate limit after its retries: put it back in the queue."""


class _Defer(Exception):
    """An edit variant whose master is still queued: put it back behind the master."""


class _MasterMissing(Exception):
    """An edit variant's master did not succeed."""


class _Billed(Protocol):
    """What the runner needs of each provider it made: the spend it saw, and a way to close it."""

    spent_usd: float

    async def aclose(self) -> None: ...


def _batch_provider(
    chosen: ProviderInput,
    limiter: AdaptiveRateLimiter,
    provider_options: dict[str, Any],
    in_flight: int,
    out: Path,
    batch_options: Mapping[str, Any],
) -> tuple[Any, bool]:
    """The OpenAI Batch engine's provider (and whether the runner owns it): renders go into batches,
    moderation stays live and rate limited. Its state file in ``out`` makes the run resumable."""
    from brandkit.provider.openai import OpenAIProvider
    from brandkit.provider.openai_batch import OpenAIBatchProvider

    if isinstance(chosen, OpenAIBatchProvider):
        return chosen, False
    api = chosen if isinstance(chosen, OpenAIProvider) else OpenAIProvider(**provider_options)
    moderator = wrap(api, limiter, max_in_flight=in_flight)
    assert isinstance(moderator, Moderator)  # OpenAIProvider moderates, so its wrapper does too
    options = {"delivery_slots": in_flight * WORKERS_PER_REQUEST_SLOT, **batch_options}
    batch = OpenAIBatchProvider(api, state_path=out / BATCH_STATE_NAME, moderator=moderator, **options)
    return batch, not isinstance(chosen, OpenAIProvider)


def _kit_providers(
    provider: ProviderInput | None,
    kit: _KitBase | None,
    specs: Mapping[str, BrandSpec],
    limiter: AdaptiveRateLimiter,
    provider_options: dict[str, Any],
    in_flight: int,
    *,
    engine: str = "live",
    out: Path | None = None,
    batch_options: Mapping[str, Any] | None = None,
) -> tuple[dict[str, ImageProvider], list[_Billed], list[_Billed]]:
    """One limited provider per spec: (by spec id, distinct providers, providers whose clients we close).

    A provider object shared by the specs gets one wrapper, so ``in_flight`` bounds its requests overall.
    With ``engine="openai-batch"`` every spec shares one :class:`~brandkit.provider.openai_batch.OpenAIBatchProvider`.
    """
    from brandkit.provider import make_provider
    from brandkit.provider.local import LocalRenderer

    chosen: ProviderInput = kit.provider if kit is not None else (provider or "openai")
    if engine == "openai-batch":
        assert out is not None
        batch, owned_batch = _batch_provider(chosen, limiter, provider_options, in_flight, out, batch_options or {})
        return dict.fromkeys(specs, batch), [batch], [batch] if owned_batch else []
    owned: list[_Billed] = []
    if chosen == "local" or isinstance(chosen, LocalRenderer):  # the local renderer is bound to its spec
        local = {
            spec_id: wrap(LocalRenderer(spec), limiter, max_in_flight=in_flight) for spec_id, spec in specs.items()
        }
        return dict(local), list(local.values()), []
    if chosen == "openai":
        options = dict(provider_options)
        retry = options.pop("retry", None) or RetryPolicy()
        inner = make_provider("openai", next(iter(specs.values())), retry=RetryPolicy.never(), **options)
        shared = wrap(inner, limiter, retry, max_in_flight=in_flight)
        owned.append(shared)
    elif isinstance(chosen, str):
        raise RequestError(f"unknown provider {chosen!r}: use 'local', 'openai' or a provider object", "provider")
    elif isinstance(chosen, ImageProvider):
        shared = wrap(chosen, limiter, max_in_flight=in_flight)
    else:  # a factory per spec
        made = {spec_id: wrap(chosen(spec), limiter, max_in_flight=in_flight) for spec_id, spec in specs.items()}
        return dict(made), list(made.values()), []
    return dict.fromkeys(specs, shared), [shared], owned


def _auto_progress(progress: bool | ProgressSink | None, name: str) -> ProgressSink | None:
    if progress is None:
        progress = sys.stderr.isatty()
    if progress is True:
        return RichProgress(name)
    if progress is False:
        return None
    return progress


async def arun_variants(
    plan: PlanInput,
    out: str | os.PathLike[str],
    *,
    provider: ProviderInput | None = "openai",
    kit: _KitBase | None = None,
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

    ``provider`` is ``"openai"``, ``"local"``, a provider object (shared by every spec) or a factory
    ``spec -> provider``; ``kit`` uses a kit's provider instead. ``provider_options`` go to the OpenAI
    provider (``api_key``, ``base_url``, ``timeout``, ``retry`` …). ``rate_window_s`` is the window of the
    provider's request limit (60 s for OpenAI); ``rate_limit`` fixes the limit instead of learning it.
    ``checks``, ``max_attempts`` and ``max_spend_usd`` configure the kits as in :class:`~brandkit.BrandKit`.
    ``concurrency`` bounds the provider requests in flight at once; twice as many variants are in progress
    (one asset each in memory at most), so checks and saving overlap the requests. ``recorder`` (a
    :class:`VariantRecorder`, e.g. the asset registry's) is told about each variant once it is saved.

    ``engine="openai-batch"`` sends every image request through the OpenAI Batch API instead (half price;
    ``provider`` must be ``"openai"``, an ``OpenAIProvider`` or an ``OpenAIBatchProvider``): every variant
    to make waits on its request at once, the requests go out as batches, the answers are checked and
    repaired locally (a regeneration goes into a later batch) and ``concurrency`` bounds the answers being
    checked at once. ``batch_options`` go to :class:`~brandkit.provider.openai_batch.OpenAIBatchProvider`
    (``poll_interval_s``, ``gather_s`` …). Its state (``DIR/batch-state.jsonl``) makes resume re-attach to
    the batches already submitted instead of paying for them again.

    An existing run in ``out`` is continued only with ``resume=True`` (else :class:`~brandkit.OutputError`);
    ``retry_failed`` also redoes variants that failed their checks. ``allow_paths`` names folders outside the
    plan's own from which the plan may read images. Raises :class:`PlanError` before
    anything is sent when the plan or a request is invalid, and :class:`~brandkit.errors.OutputFolderError`
    when ``out`` is unusable or has no room for the variants to make (see ``docs/variants.md``, *When writes
    fail*). A write failing mid-run ends the run with ``VariantRun.output`` set (exit code 4).
    """
    from brandkit.kit import AsyncBrandKit

    if concurrency < 1:
        raise RequestError(f"concurrency must be at least 1, got {concurrency}", "concurrency", concurrency)
    if budget_usd is not None and budget_usd < 0:
        raise RequestError(f"budget must not be negative, got {budget_usd}", "budget", budget_usd)
    _check_engine(engine, kit.provider if kit is not None else provider)
    expanded = plan if isinstance(plan, ExpandedPlan) else expand_plan(plan, allow_paths=allow_paths)
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: output folder is a file", str(target))
    preflight(target)  # a usable folder (not under a file, /proc, a dangling link, read-only) before the lock
    journal_path = target / JOURNAL_NAME
    if journal_path.exists() and not resume:
        raise OutputError(
            f"{target}: already holds a variant run ({JOURNAL_NAME}); resume it (--resume) or choose another --out",
            str(target),
        )
    with _RunLock(target):
        state = _load_state(target)
        settled: dict[str, str] = {}
        todo: list[Variant] = []
        for variant in expanded.variants:
            status = _settled(state, variant.key, target, retry_failed)
            if status is None:
                todo.append(variant)
            else:
                settled[variant.key] = status
        compiled = _preflight(expanded, todo)
        if engine == "openai-batch":
            _batch_preflight(expanded, todo, compiled)
        guard = OutputGuard(target)
        guard.sweep()  # temp files left by killed writers (we hold the run lock)
        slots = max(1, concurrency) * WORKERS_PER_REQUEST_SLOT
        need, reserve, folders = run_estimate(target, [v.name for v in todo], [compiled[v.key] for v in todo], slots)
        preflight(target, need, subfolders=folders)  # room for the run, no sub-folder blocked: nothing spent yet
        guard.reserve(reserve)
        limiter = AdaptiveRateLimiter(window_s=rate_window_s, limit=rate_limit)
        by_spec, wrapped, owned = _kit_providers(
            provider,
            kit,
            expanded.specs,
            limiter,
            provider_options,
            in_flight=concurrency,
            engine=engine,
            out=target,
            batch_options=batch_options,
        )
        gates: dict[int, ImageProvider] = {}  # one gate per provider: no render once a write failed
        kits = {
            spec_id: AsyncBrandKit(
                spec,
                provider=gates.setdefault(id(by_spec[spec_id]), guard.gate(by_spec[spec_id])),
                checks=checks,
                max_attempts=max_attempts,
                max_spend_usd=max_spend_usd,
            )
            for spec_id, spec in expanded.specs.items()
        }
        label = _provider_label(provider, kit)
        if engine == "openai-batch":
            label = "openai-batch"
        runner = _Runner(
            expanded,
            target,
            kits,
            wrapped,
            concurrency=concurrency,
            budget_usd=budget_usd,
            retry_failed=retry_failed,
            progress=_auto_progress(progress, expanded.plan.name),
            max_attempts=max_attempts,
            max_spend_usd=max_spend_usd,
            label=label,
            recorder=recorder,
        )
        runner.state = state
        runner.guard = guard
        if engine == "openai-batch":  # every variant's request must be waiting to go into the same batch
            runner.workers = max(1, len(todo))
        runner.prior_spend = sum(v.cost_usd for v in state.variants.values()) + sum(
            s.unattributed_usd for s in state.sessions
        )
        runner.ledger = PaidLedger(
            target,
            runner.journal,
            SpendBudget(budget_usd, label="run budget", spent_usd=runner.prior_spend),
            pending={key: v.paid for key, v in state.variants.items() if v.paid and key in {t.key for t in todo}},
        )
        runner.ledger.storage_stopped = lambda: guard.stopped
        runner.ledger.sweep()  # paid renders of variants settled for good (a kill can leave them behind)
        if budget_usd is not None:  # what each variant's first call reserves (its later calls reserve their own)
            for variant in todo:
                first = RenderCall(prompt=compiled[variant.key])
                runner.worst[variant.key] = worst_case_cost_of(kits[variant.spec_id].provider, first)
        started = time.time()
        try:
            await runner.run(todo, settled, resume)
        finally:
            runner.ledger.close()
            guard.close()
            for item in owned:
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


async def _reports(runner: _Runner, plan: ExpandedPlan, out: Path, started: float, label: str) -> dict[str, Any]:
    """Write manifest.json and index.html; when they cannot be written, the run says so (output failed) and
    the manifest is returned from memory."""
    state = _load_state(out)
    try:
        return await asyncio.to_thread(
            write_reports, plan, out, state, session_started=started, stopped=runner.stopped, provider=label
        )
    except OutputError as exc:
        runner.guard.noticed(exc, always=True)
        runner._storage_failed(exc)
        return build_manifest(plan, state, session_started=started, stopped=runner.stopped, provider=label)


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
