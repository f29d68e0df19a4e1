"""One session of a variant run: the workers, the budget, the journal lines of each variant.

The variants' work (make, check, save, record a failure) and the scheduling (workers, requeues, the last
round) share one state object, :class:`RunSession`, on purpose: splitting it would pass that state around.
It stays past 400 lines (about 490) for that reason.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brandkit.asset import Asset
from brandkit.budget import BudgetExceededError
from brandkit.errors import (
    AuthenticationError,
    BrandkitError,
    BrandViolationError,
    OutputError,
    QuotaExceededError,
    RateLimitError,
)
from brandkit.models import AssetRequest, Attempt, EditRequest, ValidationReport
from brandkit.outputs import image_extension
from brandkit.variants.config import RunConfig
from brandkit.variants.engines import Engine, EngineProviders
from brandkit.variants.journal import RETRY_ON_RESUME, Journal, JournalState
from brandkit.variants.keys import rejected_name
from brandkit.variants.outcome import failure_kind, failure_reason
from brandkit.variants.paid import PaidLedger
from brandkit.variants.plan import ExpandedPlan, Variant
from brandkit.variants.preflight import finished
from brandkit.variants.ratelimit import AdaptiveRateLimiter
from brandkit.variants.report import report_summary
from brandkit.variants.spool import OutputGuard, RenderRefused, result_fields
from brandkit.variants.thumbnails import make_thumbnail

if TYPE_CHECKING:
    from brandkit.kit import AsyncBrandKit

__all__ = ["FATAL_ERRORS", "MAX_REQUEUES", "RunSession"]

FATAL_ERRORS = (AuthenticationError, QuotaExceededError)
"""Provider errors that stop the whole run: every further request would fail the same way."""
MAX_REQUEUES = 3
"""How often a variant that still hit the rate limit after its retries goes back into the queue."""


class RunSession:
    """One session of a variant run (state shared by the workers; no global state). Built whole by
    :func:`~brandkit.variants.runner.arun_variants`; never changed from outside after that."""

    def __init__(
        self,
        plan: ExpandedPlan,
        out: Path,
        config: RunConfig,
        *,
        kits: Mapping[str, AsyncBrandKit],
        providers: EngineProviders,
        engine: Engine,
        limiter: AdaptiveRateLimiter,
        journal: Journal,
        state: JournalState,
        guard: OutputGuard,
        ledger: PaidLedger,
        prior_spend: float,
        worst: Mapping[str, float | None],
        label: str,
        workers: int,
    ) -> None:
        self.plan = plan
        self.out = out
        self.config = config
        self.recorder = config.recorder
        self.progress = config.progress_sink
        self.kits = kits
        self.providers = providers
        self.engine = engine
        self.limiter = limiter
        self.label = label
        self.journal = journal
        self.state = state
        self.guard = guard
        self.ledger = ledger
        self.prior_spend = prior_spend
        self.worst = dict(worst)
        """Worst-case cost of each variant's first call (``None``: the provider states no price)."""
        self.workers = workers
        """Variants in progress at once (the engine decides)."""
        self.done = 0
        self.failed = 0
        self.stop_reason: str | None = None
        self.stopped: str | None = None
        self.settled_events: dict[str, asyncio.Event] = {}
        self.outcome: dict[str, str] = {}
        self.requeues: dict[str, int] = {}
        self.in_flight: set[str] = set()
        self.finished_files: dict[str, dict[str, str]] = {}
        self._favour_at: int | None = None  # variants left to start when renders go first

    # -- money -------------------------------------------------------------------------------

    @property
    def session_spend(self) -> float:
        """What the providers billed in this session (every render they returned)."""
        return sum(p.spent_usd for p in self.providers.billed)

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
        while key not in self.outcome and not finished(self.state, key, self.out):
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
            self.storage_failed(thumb_error)
        return fields

    async def _save_rejected(self, variant: Variant, rejected: Asset | None) -> dict[str, str]:
        """The best attempt of a variant whose checks failed, as an asset (its failing report, provenance embedded):
        ``rejected/<name>.<ext>`` (``-2``… beside other bytes an earlier session kept: :func:`rejected_name`) with its
        sidecar, and a thumbnail."""
        if rejected is None:
            return {}
        thumb_rel = f"thumbs/{variant.key[:16]}.rejected.jpg"

        def write() -> str:
            extension = image_extension(rejected.output_format)
            image_rel = rejected_name(self.out, variant.name, extension, rejected.data)  # never over other bytes
            rejected.save(self.out / image_rel, overwrite=True)  # a fresh name, or these bytes again (resumed)
            make_thumbnail(rejected.data, self.out / thumb_rel)  # the contact sheet shows the latest
            return image_rel

        try:
            image_rel = await asyncio.to_thread(write)
        except (OutputError, BrandkitError) as exc:
            self.storage_failed(exc)
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
                self.journal.append("requeued", key=variant.key, reason=failure_reason(exc))
                raise _Requeue from exc
            self._record_failure(variant, "provider", failure_reason(exc), started)
            return
        except FATAL_ERRORS as exc:
            self._record_failure(variant, "provider", failure_reason(exc), started)
            self.stopped = f"aborted: {type(exc).__name__}: {exc}"
            return
        except BrandViolationError as exc:
            await self._rejected(variant, exc, started)
            return
        except Exception as exc:
            self._record_failure(variant, failure_kind(exc), failure_reason(exc), started)
            return
        self.ledger.crash_point("checked")
        await self._succeeded(variant, asset, started)

    async def _rejected(
        self, variant: Variant, exc: BrandViolationError[ValidationReport, Attempt, Asset], started: float
    ) -> None:
        """The variant failed its checks: keep its best attempt under ``rejected/`` and record the failure."""
        files = await self._save_rejected(variant, exc.asset)
        if self.recorder is not None and exc.asset is not None and files.get("rejected"):
            spec = self.kits[variant.spec_id].spec
            path = self.out / files["rejected"]
            await asyncio.to_thread(self.recorder.failed, variant, exc.asset, path, spec)
        cost = sum(a.cost_usd for a in exc.attempts)
        self._record_failure(
            variant, "checks", failure_reason(exc), started, cost, len(exc.attempts), exc.report, files
        )

    async def _succeeded(self, variant: Variant, asset: Asset, started: float) -> None:
        """The variant passed: save it, journal ``succeeded`` and tell the recorder (or spool it if a write fails)."""
        try:
            fields = await self._save(variant, asset)
        except OutputError as exc:  # paid for but not saved: keep it in the spool, stop paying on a storage failure
            self.storage_failed(exc)
            fields = result_fields(variant.name, variant.key, asset)
            extra = await asyncio.to_thread(self.guard.keep, variant.key, variant.name, asset, fields)
            cost, attempts, report = asset.cost_usd, len(asset.attempts), asset.report
            self._record_failure(variant, "output", failure_reason(exc), started, cost, attempts, report, None, extra)
            return
        self.ledger.crash_point("saved")
        self.finished_files[variant.key] = fields["files"]
        elapsed = round(time.perf_counter() - started, 3)
        try:
            self.journal.append("succeeded", key=variant.key, **fields, billing="paid", elapsed_s=elapsed)
        except OutputError as exc:  # saved, but not journaled: the spool notes it so resume does not pay again
            self.storage_failed(exc)
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
            self.storage_failed(exc)
            self._record_failure(variant, "output", failure_reason(exc), started, extra={"spooled": variant.key})
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

    def storage_failed(self, exc: BaseException) -> None:
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
        if self.engine.favours_renders:
            self.limiter.favour("render")

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
                    self.storage_failed(exc)
                    self._not_made(variant)
                finally:
                    self.in_flight.discard(variant.key)
                    if self.providers.release is not None:  # the batch engine bounds answers being processed
                        self.providers.release()
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
                concurrency=self.config.concurrency,
                budget_usd=self.config.budget_usd,
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
                count = self.workers
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
                self.storage_failed(exc)
        finally:
            self.journal.close()


class _Requeue(Exception):
    """A variant hit the rate limit after its retries: put it back in the queue."""


class _Defer(Exception):
    """An edit variant whose master is still queued: put it back behind the master."""


class _MasterMissing(Exception):
    """An edit variant's master did not succeed."""
