"""The OpenAI Batch engine's provider class (see :mod:`brandkit.provider.openai_batch` for the whole story).

:class:`OpenAIBatchProvider` keeps the state of a run's batches (uploaded references, gathered requests,
batches in flight, the resumable journal); the request lines and the answers are read by the pure helpers
of :mod:`.lines` and :mod:`.answers`. One stateful class of about 470 lines: its methods share that state
(gathering, submitting, polling, re-attaching after a crash) and splitting it further would spread one
protocol over several objects.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from brandkit.errors import ProviderError, RequestError
from brandkit.jsonl import Journal, read_journal
from brandkit.models import RenderCall, RenderResult
from brandkit.moderation_scores import ModerationScores
from brandkit.provider.base import AsyncClosable, Moderator
from brandkit.provider.openai import OpenAIProvider, RenderPlan
from brandkit.provider.openai_batch.answers import (
    BatchOutcome,
    DeliveryGate,
    Line,
    download,
    index_lines,
    read_answer,
    status_of,
)
from brandkit.provider.openai_batch.lines import (
    MAX_BATCH_FILE_BYTES,
    MAX_BATCH_REQUESTS,
    REFERENCE_PURPOSE,
    BatchStatus,
    Gather,
    Pending,
    batch_line,
    canonical,
    check_batchable,
    chunk_items,
    images_of,
    sha256,
    write_file,
)
from brandkit.provider.retry import RetryPolicy
from brandkit.rate_limits import RateLimitInfo

__all__ = ["OpenAIBatchProvider"]

_log = logging.getLogger("brandkit.provider.openai_batch")


class OpenAIBatchProvider:
    """OpenAI image requests through the Batch API (see the module docstring).

    ``api`` is the :class:`OpenAIProvider` whose client, retry policy, prices and error mapping are used
    (its ``render`` is never called); by default one built from the environment. ``state_path`` is the
    journal that makes a run resumable (``None``: nothing is remembered across processes); ``work_dir``
    holds the JSONL input files and the downloaded output and error files (default: beside
    ``state_path``, else a ``brandkit-batch`` folder in the current directory).
    """

    name = "openai-batch"

    def __init__(
        self,
        api: OpenAIProvider | None = None,
        *,
        state_path: str | os.PathLike[str] | None = None,
        work_dir: str | os.PathLike[str] | None = None,
        moderator: Moderator | None = None,
        gather_s: float = 2.0,
        max_gather_s: float = 120.0,
        poll_interval_s: float = 10.0,
        max_poll_interval_s: float = 60.0,
        max_line_tries: int = 3,
        delivery_slots: int = 8,
        completion_window: str = "24h",
        metadata: Mapping[str, str] | None = None,
        on_status: Callable[[BatchStatus], None] | None = None,
        max_requests_per_batch: int = MAX_BATCH_REQUESTS,
    ) -> None:
        for label, value in (("gather_s", gather_s), ("poll_interval_s", poll_interval_s)):
            if value < 0:
                raise RequestError(f"{label} must not be negative, got {value}", label, value)
        if max_line_tries < 1:
            raise RequestError(f"max_line_tries must be at least 1, got {max_line_tries}", "max_line_tries")
        if not 1 <= max_requests_per_batch <= MAX_BATCH_REQUESTS:
            raise RequestError(
                f"max_requests_per_batch must be 1 to {MAX_BATCH_REQUESTS}, got {max_requests_per_batch}",
                "max_requests_per_batch",
                max_requests_per_batch,
            )
        self.api = api or OpenAIProvider()
        self.moderator: Moderator = moderator or self.api
        self.state_path = Path(state_path) if state_path is not None else None
        if work_dir is not None:
            self.work_dir = Path(work_dir)
        elif self.state_path is not None:
            self.work_dir = self.state_path.parent / "batch"
        else:
            self.work_dir = Path("brandkit-batch")
        self.gather_s = float(gather_s)
        self.max_gather_s = max(float(max_gather_s), self.gather_s)
        self.poll_interval_s = float(poll_interval_s)
        self.max_poll_interval_s = max(float(max_poll_interval_s), self.poll_interval_s)
        self.max_line_tries = max_line_tries
        self.completion_window = completion_window
        self.metadata = dict(metadata or {})
        self.on_status = on_status
        self.max_requests_per_batch = max_requests_per_batch
        self.spent_usd = 0.0
        self._gate = DeliveryGate(delivery_slots)
        self._journal: Journal | None = None
        self._loaded = False
        self._load_lock: asyncio.Lock | None = None
        self._files: dict[str, str] = {}  # sha256 -> file id
        self._uploading: dict[str, asyncio.Task[str]] = {}
        self._known: dict[str, str] = {}  # custom_id -> batch id
        self._unconfirmed: list[dict[str, Any]] = []  # "submitting" records without a "batch" record
        self._gathers: dict[str, Gather] = {}
        self._watchers: dict[str, asyncio.Task[BatchOutcome]] = {}
        self._batches: dict[str, BatchStatus] = {}
        self._batch_custom_ids: dict[str, list[str]] = {}
        self._error_lines: dict[str, dict[int, str]] = {}
        self._sequence = 0

    def __repr__(self) -> str:
        return (
            f"OpenAIBatchProvider(api={self.api!r}, state_path={str(self.state_path) if self.state_path else None!r})"
        )

    # -- public surface -------------------------------------------------------------------------

    @property
    def batches(self) -> list[BatchStatus]:
        """The last known status of every batch this provider created or re-attached to."""
        return list(self._batches.values())

    @property
    def last_rate_limit(self) -> RateLimitInfo | None:
        """Rate-limit headers do not apply to batched image requests: always ``None`` (kept for callers of the
        old API; the runner reads each answer's typed :attr:`~brandkit.models.RenderResult.rate_limit`)."""
        return None

    def plan(self, call: RenderCall) -> RenderPlan:
        """Check ``call`` as the live provider does, plus the Batch rules (raises :class:`LocalParameterError`)."""
        plan = self.api.plan(call, transport="batch")
        check_batchable(plan)
        return plan

    def worst_case_cost(self, call: RenderCall) -> float:
        """The most ``call`` can cost at Batch API prices (what a spend budget reserves before sending)."""
        return self.api.worst_case_cost(call, transport="batch")

    def render(self, call: RenderCall) -> RenderResult:
        """Not available: a batch can take hours; use :meth:`arender` (``AsyncBrandKit``, ``brandkit variants``)."""
        raise RequestError(
            "the OpenAI Batch engine is asynchronous: use AsyncBrandKit or `brandkit variants --engine openai-batch`",
            "provider",
            self.name,
        )

    async def arender(self, call: RenderCall) -> RenderResult:
        """Send ``call`` in a batch and return its result once the batch has answered it."""
        self._gate.leave()  # a new call from a task that holds a slot: its previous answer is done with
        plan = self.plan(call)
        self.api.announce(plan)
        started = time.perf_counter()
        await self._load()
        file_ids = await self._upload_references(plan)
        endpoint, body = batch_line(plan, file_ids)
        digest_body = dict(body)
        if "images" in digest_body:  # the content, not the (per-upload) file ids, identifies the request
            digest_body["images"] = [sha256(data) for _, data, _ in plan.kwargs["image"]]
            if "mask" in plan.kwargs:
                digest_body["mask"] = sha256(plan.kwargs["mask"][1])
        base = sha256(canonical({"endpoint": endpoint, "body": digest_body, "seed": call.seed, "a": call.attempt}))
        attempt = 1
        while True:
            custom_id = f"bk-{base[:40]}-{attempt}"
            try:
                return await self._answer(plan, endpoint, body, custom_id, started)
            except ProviderError as exc:
                if not RetryPolicy.is_retryable(exc) or attempt >= self.max_line_tries:
                    raise
                _log.warning("batch request %s failed (%s); it goes into the next batch", custom_id, exc)
            attempt += 1

    def release_delivery(self) -> None:
        """Give back the delivery slot the current task holds (call it when done with an answer)."""
        self._gate.leave()

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Moderation is not batched: the ``moderator``'s live call."""
        return self.moderator.moderate(image, mime, text)

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        """Async twin of :meth:`moderate`."""
        return await self.moderator.amoderate(image, mime, text)

    async def aclose(self) -> None:
        """Stop polling (the batches keep running at OpenAI: resume to collect them) and close the journal."""
        tasks: list[asyncio.Task[Any]] = [task for task in self._watchers.values() if not task.done()]
        tasks += [g.task for g in self._gathers.values() if g.task is not None and not g.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self.moderator is not self.api and isinstance(self.moderator, AsyncClosable):
            await self.moderator.aclose()
        await self.api.aclose()

    # -- state ----------------------------------------------------------------------------------

    async def _load(self) -> None:
        if self._loaded:
            return
        if self._load_lock is None:
            self._load_lock = asyncio.Lock()
        async with self._load_lock:
            if self._loaded:
                return
            if self.state_path is not None:
                records, _ = await asyncio.to_thread(read_journal, self.state_path)
                self._replay(records)
                self._journal = Journal(self.state_path).open()
                if self._unconfirmed:
                    await self._recover_unconfirmed()
            self._loaded = True

    def _replay(self, records: Sequence[Mapping[str, Any]]) -> None:
        submitting: dict[str, dict[str, Any]] = {}
        for record in records:
            event = record.get("event")
            if event == "file" and isinstance(record.get("sha256"), str) and isinstance(record.get("file_id"), str):
                self._files[record["sha256"]] = record["file_id"]
            elif event == "submitting" and isinstance(record.get("input_file_id"), str):
                submitting[record["input_file_id"]] = dict(record)
            elif event == "batch" and isinstance(record.get("batch_id"), str):
                submitting.pop(str(record.get("input_file_id")), None)
                ids = [str(i) for i in record.get("custom_ids") or []]
                self._batch_custom_ids[record["batch_id"]] = ids
                for custom_id in ids:
                    self._known[custom_id] = record["batch_id"]
        self._unconfirmed = list(submitting.values())

    def _record(self, event: str, **fields: Any) -> None:
        if self._journal is not None:
            self._journal.append(event, **fields)

    async def _recover_unconfirmed(self) -> None:
        """Find the batches a crashed run created but did not record (by their input file)."""
        wanted = {str(r["input_file_id"]): r for r in self._unconfirmed}
        client = self.api.async_client()

        async def scan() -> None:
            with self.api.translating("batches.list"):
                seen = 0
                async for batch in client.batches.list(limit=100):
                    seen += 1
                    record = wanted.pop(batch.input_file_id, None)
                    if record is not None:
                        self._adopt(batch.id, str(record.get("endpoint")), batch.input_file_id, record)
                    if not wanted or seen >= 10_000:
                        return

        await self.api.retry.acall(scan, label="openai batches.list")
        self._unconfirmed = []

    def _adopt(self, batch_id: str, endpoint: str, input_file_id: str, record: Mapping[str, Any]) -> None:
        ids = [str(i) for i in record.get("custom_ids") or []]
        self._record("batch", batch_id=batch_id, endpoint=endpoint, input_file_id=input_file_id, custom_ids=ids)
        self._batch_custom_ids[batch_id] = ids
        for custom_id in ids:
            self._known[custom_id] = batch_id
        _log.info("re-attached to batch %s (created by an interrupted run)", batch_id)

    # -- references -----------------------------------------------------------------------------

    async def _upload_references(self, plan: RenderPlan) -> dict[str, str]:
        ids: dict[str, str] = {}
        for name, data, mime in images_of(plan):
            digest = sha256(data)
            if digest in self._files:
                ids[digest] = self._files[digest]
                continue
            task = self._uploading.get(digest)
            if task is None:
                task = self._uploading[digest] = asyncio.ensure_future(self._upload_image(digest, name, data, mime))
            try:
                ids[digest] = await asyncio.shield(task)
            finally:
                if task.done():
                    self._uploading.pop(digest, None)
        return ids

    async def _upload_image(self, digest: str, name: str, data: bytes, mime: str) -> str:
        file_id = await self._upload(f"{digest[:16]}-{name}", data, mime, REFERENCE_PURPOSE)
        self._files[digest] = file_id
        self._record("file", sha256=digest, file_id=file_id, purpose=REFERENCE_PURPOSE, bytes=len(data))
        return file_id

    async def _upload(self, filename: str, content: bytes | Path, mime: str, purpose: str) -> str:
        client = self.api.async_client()

        async def send() -> str:
            with self.api.translating("files.create"):
                if isinstance(content, Path):
                    with content.open("rb") as handle:
                        created = await client.files.create(file=(filename, handle, mime), purpose=purpose)  # type: ignore[arg-type]
                else:
                    created = await client.files.create(file=(filename, content, mime), purpose=purpose)  # type: ignore[arg-type]
            return created.id

        return await self.api.retry.acall(send, label="openai files.create")

    # -- gathering and submitting ---------------------------------------------------------------

    async def _answer(
        self, plan: RenderPlan, endpoint: str, body: dict[str, Any], custom_id: str, started: float
    ) -> RenderResult:
        batch_id = self._known.get(custom_id)
        if batch_id is None:
            line = canonical({"custom_id": custom_id, "method": "POST", "url": endpoint, "body": body})
            batch_id = await self._enqueue(endpoint, custom_id, line)
        outcome = await self._outcome(batch_id)
        await self._gate.enter()
        try:
            result = await read_answer(self.api, self.name, plan, outcome, batch_id, custom_id, started)
            self.spent_usd += result.cost_usd
            return result
        except BaseException:
            self._gate.leave()
            raise

    async def _enqueue(self, endpoint: str, custom_id: str, line: bytes) -> str:
        loop = asyncio.get_running_loop()
        gather = self._gathers.get(endpoint)
        if gather is None or gather.task is None or gather.task.done():
            gather = self._gathers[endpoint] = Gather(first=loop.time())
            gather.task = asyncio.ensure_future(self._flush_when_quiet(endpoint, gather))
        pending = gather.items.get(custom_id)
        if pending is None:
            pending = gather.items[custom_id] = Pending(custom_id, line, loop.create_future())
            gather.size += len(line) + 1
        gather.last = loop.time()
        return await asyncio.shield(pending.future)

    async def _flush_when_quiet(self, endpoint: str, gather: Gather) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            quiet = now - gather.last
            if (
                quiet >= self.gather_s
                or now - gather.first >= self.max_gather_s
                or len(gather.items) >= self.max_requests_per_batch
                or gather.size >= MAX_BATCH_FILE_BYTES
            ):
                break
            await asyncio.sleep(max(0.0, min(self.gather_s - quiet, self.max_gather_s - (now - gather.first))) + 0.001)
        if self._gathers.get(endpoint) is gather:
            del self._gathers[endpoint]
        items = list(gather.items.values())
        try:
            for chunk in chunk_items(items, self.max_requests_per_batch):
                batch_id = await self._submit(endpoint, chunk)
                for item in chunk:
                    if not item.future.done():
                        item.future.set_result(batch_id)
        except BaseException as exc:
            for item in items:
                if not item.future.done():
                    if isinstance(exc, Exception):
                        item.future.set_exception(exc)
                    else:
                        item.future.cancel()
            if not isinstance(exc, Exception):
                raise

    async def _submit(self, endpoint: str, items: list[Pending]) -> str:
        self._sequence += 1
        payload = b"".join(item.line + b"\n" for item in items)
        digest = sha256(payload)
        name = f"input-{time.strftime('%Y%m%dT%H%M%S')}-{self._sequence:03d}-{digest[:12]}.jsonl"
        path = self.work_dir / name
        await asyncio.to_thread(write_file, path, payload)
        input_file_id = await self._upload(name, path, "application/jsonl", "batch")
        custom_ids = [item.custom_id for item in items]
        self._record("submitting", endpoint=endpoint, input_file_id=input_file_id, custom_ids=custom_ids, file=name)
        client = self.api.async_client()
        metadata = {"created_by": "brandkit", "input_sha256": digest[:32], **self.metadata}

        async def create() -> Any:
            with self.api.translating("batches.create"):
                return await client.batches.create(
                    input_file_id=input_file_id,
                    endpoint=endpoint,  # type: ignore[arg-type]
                    completion_window=self.completion_window,  # type: ignore[arg-type]
                    metadata=metadata,
                )

        batch = await self.api.retry.acall(create, label="openai batches.create")
        self._record("batch", batch_id=batch.id, endpoint=endpoint, input_file_id=input_file_id, custom_ids=custom_ids)
        self._batch_custom_ids[batch.id] = custom_ids
        for custom_id in custom_ids:
            self._known[custom_id] = batch.id
        self._observe(batch, endpoint)
        _log.info("batch %s created: %d request(s) to %s", batch.id, len(items), endpoint)
        return str(batch.id)

    # -- polling and collecting -----------------------------------------------------------------

    def _observe(self, batch: Any, endpoint: str | None = None) -> BatchStatus:
        status, by_line = status_of(batch, endpoint)
        if by_line:
            self._error_lines.setdefault(status.id, {}).update(by_line)
        previous = self._batches.get(status.id)
        self._batches[status.id] = status
        if previous != status:
            _log.info(
                "batch %s: %s (%d/%d done, %d failed)",
                status.id,
                status.status,
                status.completed,
                status.total,
                status.failed,
            )
            if self.on_status is not None:
                self.on_status(status)
        return status

    def _outcome(self, batch_id: str) -> asyncio.Future[BatchOutcome]:
        task = self._watchers.get(batch_id)
        if task is None:
            task = self._watchers[batch_id] = asyncio.ensure_future(self._watch(batch_id))
        return asyncio.shield(task)

    async def _watch(self, batch_id: str) -> BatchOutcome:
        client = self.api.async_client()
        interval = self.poll_interval_s

        async def retrieve() -> Any:
            with self.api.translating("batches.retrieve"):
                return await client.batches.retrieve(batch_id)

        while True:
            status = self._observe(await self.api.retry.acall(retrieve, label="openai batches.retrieve"))
            if status.terminal:
                break
            await asyncio.sleep(interval)
            interval = min(self.max_poll_interval_s, interval * 1.5 if interval else 0.0)
        lines: dict[str, Line] = {}
        for file_id in (status.output_file_id, status.error_file_id):
            if file_id:
                path = await download(self.api, self.work_dir, file_id)
                lines.update(await asyncio.to_thread(index_lines, path))
        errors_by_line = dict(self._error_lines.get(batch_id, {}))
        self._record(
            "batch_ended",
            batch_id=batch_id,
            status=status.status,
            output_file_id=status.output_file_id,
            error_file_id=status.error_file_id,
            completed=status.completed,
            failed=status.failed,
        )
        return BatchOutcome(status, lines, errors_by_line, self._batch_custom_ids.get(batch_id, []))
