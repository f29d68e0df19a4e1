"""The OpenAI Batch engine: image requests through the Batch API, at half price.

:class:`OpenAIBatchProvider` is an :class:`~brandkit.provider.base.ImageProvider` whose ``arender``
does not call ``/v1/images/*`` directly. It gathers the render calls of many concurrent flows (every
variant of a run waits on its own call) and sends them as one batch:

1. **plan** — each call is checked locally exactly as the live provider checks it
   (:func:`~brandkit.provider.openai.plan_render` with ``transport="batch"``), plus the Batch rules: an edit
   travels as the JSON form of ``/v1/images/edits`` (``images: [{"file_id": …}]``), whose ``size`` must be
   ``auto``, ``1024x1024``, ``1536x1024`` or ``1024x1536`` (``EditImageBodyJsonParam`` in the API description),
   and which takes ``moderation`` (the multipart form does not); no Batch body has ``safety_identifier``, so
   it travels as ``user`` (with a logged note; see :mod:`brandkit.provider.openai_params`).
   A bad call raises :class:`~brandkit.provider.openai.LocalParameterError` before anything is sent.
2. **upload references** — every input image (logo references, the image to edit, a mask) is uploaded
   once through the Files API (``purpose="vision"``) and referenced by ``file_id``; identical bytes are
   uploaded once per run (by SHA-256).
3. **gather and submit** — calls arriving within ``gather_s`` of each other (at most ``max_gather_s``
   in all) go into one JSONL file per endpoint (``/v1/images/generations`` or ``/v1/images/edits``; at
   most 50,000 lines and 190 MB a file), written to ``work_dir`` and uploaded with ``purpose="batch"``;
   then the batch is created (``completion_window="24h"``).
4. **poll** — ``batches.retrieve`` every ``poll_interval_s`` (growing to ``max_poll_interval_s``) until
   the batch is ``completed``, ``failed``, ``expired`` or ``cancelled``; ``on_status`` hears each change.
5. **download** — the output and error files are streamed to ``work_dir`` (never held in memory) and
   indexed by ``custom_id``; each waiting call reads only its own line and parses it as the live provider
   parses an answer (:meth:`~brandkit.provider.openai.OpenAIProvider.images_result`, billed at Batch
   prices) or maps its error (:meth:`~brandkit.provider.openai.OpenAIProvider.status_error`). A request
   the batch did not answer raises :class:`~brandkit.errors.BatchIncompleteError`.

Retries: a request whose line failed transiently (5xx, 429, ``batch_expired``) goes into the next batch
under a new ``custom_id`` (``max_line_tries`` in all); HTTP calls (upload, create, poll, download) are
retried by the provider's :class:`~brandkit.provider.retry.RetryPolicy`. Checks, repairs and fixes run
locally as with the live engine: a regeneration with feedback is simply another call, which goes into a
later batch.

**Exactly once.** Each request's ``custom_id`` is derived from its content (endpoint, body with image
digests instead of file ids, seed, attempt, try), so the same request of a resumed run has the same id.
``state_path`` (a JSONL journal, fsynced line by line) records every uploaded reference, every batch
about to be created (with its input file and ``custom_id`` s) and every batch created. A resumed run
re-attaches to the batch that holds a request instead of submitting it again; a crash between creating
a batch and recording it is recovered by finding the batch that uses the recorded input file
(``batches.list``). Interrupting a run never cancels a batch: resume it.

**Memory.** ``delivery_slots`` bounds how many answered requests are being turned into images and checked
at once (each answer is read from disk when its slot is free); :meth:`release_delivery` gives a slot back
when a caller has finished with an answer (the variant runner does this after saving a variant), and a
new render call from the same task gives it back too.

Moderation is not batched: ``moderate``/``amoderate`` use ``moderator`` (by default the live
provider's omni-moderation, which is free).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openai.types import ImagesResponse
from pydantic import BaseModel, ConfigDict

from brandkit.checks.base import ModerationScores
from brandkit.errors import (
    BatchIncompleteError,
    InvalidParameterError,
    OutputError,
    ProviderError,
    ProviderResponseError,
    RequestError,
)
from brandkit.jsonl import Journal, read_journal
from brandkit.models import RenderCall, RenderResult
from brandkit.provider.base import Moderator
from brandkit.provider.openai import LocalParameterError, OpenAIProvider, RenderPlan
from brandkit.provider.retry import RetryPolicy

__all__ = [
    "BATCH_ENDPOINTS",
    "JSON_EDIT_SIZES",
    "BatchStatus",
    "OpenAIBatchProvider",
    "batch_line",
    "check_batchable",
]

_log = logging.getLogger("brandkit.provider.openai_batch")

BATCH_ENDPOINTS = {"generate": "/v1/images/generations", "edit": "/v1/images/edits"}
JSON_EDIT_SIZES = ("auto", "1024x1024", "1536x1024", "1024x1536")
"""Sizes the JSON form of ``/v1/images/edits`` accepts (``EditImageBodyJsonParam.size``)."""
MAX_BATCH_REQUESTS = 50_000
MAX_BATCH_FILE_BYTES = 190 * 1024 * 1024  # the API's limit is 200 MB
TERMINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})
_JSON_EDIT_KEYS = (
    "model",
    "prompt",
    "n",
    "size",
    "quality",
    "background",
    "output_format",
    "output_compression",
    "moderation",
    "input_fidelity",
    "user",
)
_REFERENCE_PURPOSE = "vision"


class BatchStatus(BaseModel):
    """What a batch is doing (given to ``on_status`` at every change; see :attr:`OpenAIBatchProvider.batches`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    endpoint: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[str] = []

    @property
    def terminal(self) -> bool:
        """True once the batch has ended (completed, failed, expired or cancelled)."""
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class _Line:
    """Where one answer lives on disk: file, byte offset and length of its JSONL line."""

    path: Path
    offset: int
    length: int


@dataclass
class _BatchOutcome:
    status: BatchStatus
    lines: dict[str, _Line]
    errors_by_line: dict[int, str]
    custom_ids: list[str]


@dataclass
class _Pending:
    custom_id: str
    line: bytes
    future: asyncio.Future[str]


@dataclass
class _Gather:
    items: dict[str, _Pending] = field(default_factory=dict)
    first: float = 0.0
    last: float = 0.0
    size: int = 0
    task: asyncio.Task[None] | None = None


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def batch_line(plan: RenderPlan, file_ids: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """The Batch endpoint and JSON body for ``plan``; ``file_ids`` maps each input image's SHA-256 to
    its uploaded file id. Raises :class:`LocalParameterError` for what the JSON edit form cannot carry."""
    endpoint = BATCH_ENDPOINTS[plan.operation]
    if plan.operation == "generate":
        return endpoint, dict(plan.kwargs)
    extra = sorted(set(plan.kwargs) - set(_JSON_EDIT_KEYS) - {"image", "mask"})
    if extra:  # never dropped without a word
        raise LocalParameterError("params", extra, "the Batch API's JSON /v1/images/edits has no such field")
    body: dict[str, Any] = {key: plan.kwargs[key] for key in _JSON_EDIT_KEYS if key in plan.kwargs}
    body["images"] = [{"file_id": file_ids[_sha256(data)]} for _, data, _ in plan.kwargs["image"]]
    if "mask" in plan.kwargs:
        body["mask"] = {"file_id": file_ids[_sha256(plan.kwargs["mask"][1])]}
    return endpoint, body


def check_batchable(plan: RenderPlan) -> None:
    """Raise :class:`LocalParameterError` when the Batch API cannot carry ``plan`` (see the module docstring)."""
    if plan.operation == "edit":
        size = plan.kwargs.get("size", "auto")
        if size not in JSON_EDIT_SIZES:
            raise LocalParameterError(
                "size",
                size,
                "the Batch API sends edits (and generations with reference images) as JSON, whose size must be "
                f"one of {', '.join(JSON_EDIT_SIZES)}; use a standard format or the live engine",
            )


def _images_of(plan: RenderPlan) -> list[tuple[str, bytes, str]]:
    images: list[tuple[str, bytes, str]] = list(plan.kwargs.get("image", []))
    if "mask" in plan.kwargs:
        images.append(plan.kwargs["mask"])
    return images


class _DeliveryGate:
    """Bounds the answers being processed at once. A slot belongs to the asyncio task that took it and is
    given back by :meth:`leave` from that task, or when the task ends (so a caller that never gives it
    back cannot starve the others)."""

    def __init__(self, slots: int) -> None:
        self._semaphore = asyncio.Semaphore(slots) if slots > 0 else None
        self._holders: set[asyncio.Task[Any]] = set()

    async def enter(self) -> None:
        task = asyncio.current_task()
        if self._semaphore is None or task is None or task in self._holders:
            return
        await self._semaphore.acquire()
        self._holders.add(task)
        task.add_done_callback(self._release)

    def leave(self) -> None:
        task = asyncio.current_task()
        if task is not None and task in self._holders:
            task.remove_done_callback(self._release)
            self._release(task)

    def _release(self, task: asyncio.Task[Any]) -> None:
        if task in self._holders and self._semaphore is not None:
            self._holders.discard(task)
            self._semaphore.release()


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
        self._gate = _DeliveryGate(delivery_slots)
        self._journal: Journal | None = None
        self._loaded = False
        self._load_lock: asyncio.Lock | None = None
        self._files: dict[str, str] = {}  # sha256 -> file id
        self._uploading: dict[str, asyncio.Task[str]] = {}
        self._known: dict[str, str] = {}  # custom_id -> batch id
        self._unconfirmed: list[dict[str, Any]] = []  # "submitting" records without a "batch" record
        self._gathers: dict[str, _Gather] = {}
        self._watchers: dict[str, asyncio.Task[_BatchOutcome]] = {}
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
    def last_rate_limit(self) -> Any:
        """Rate-limit headers do not apply to batched image requests: always ``None``."""
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
            digest_body["images"] = [_sha256(data) for _, data, _ in plan.kwargs["image"]]
            if "mask" in plan.kwargs:
                digest_body["mask"] = _sha256(plan.kwargs["mask"][1])
        base = _sha256(_canonical({"endpoint": endpoint, "body": digest_body, "seed": call.seed, "a": call.attempt}))
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
        closer = getattr(self.moderator, "aclose", None)
        if self.moderator is not self.api and closer is not None:
            await closer()
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
        for name, data, mime in _images_of(plan):
            digest = _sha256(data)
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
        file_id = await self._upload(f"{digest[:16]}-{name}", data, mime, _REFERENCE_PURPOSE)
        self._files[digest] = file_id
        self._record("file", sha256=digest, file_id=file_id, purpose=_REFERENCE_PURPOSE, bytes=len(data))
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
            line = _canonical({"custom_id": custom_id, "method": "POST", "url": endpoint, "body": body})
            batch_id = await self._enqueue(endpoint, custom_id, line)
        outcome = await self._outcome(batch_id)
        await self._gate.enter()
        try:
            return await self._read_answer(plan, outcome, batch_id, custom_id, started)
        except BaseException:
            self._gate.leave()
            raise

    async def _enqueue(self, endpoint: str, custom_id: str, line: bytes) -> str:
        loop = asyncio.get_running_loop()
        gather = self._gathers.get(endpoint)
        if gather is None or gather.task is None or gather.task.done():
            gather = self._gathers[endpoint] = _Gather(first=loop.time())
            gather.task = asyncio.ensure_future(self._flush_when_quiet(endpoint, gather))
        pending = gather.items.get(custom_id)
        if pending is None:
            pending = gather.items[custom_id] = _Pending(custom_id, line, loop.create_future())
            gather.size += len(line) + 1
        gather.last = loop.time()
        return await asyncio.shield(pending.future)

    async def _flush_when_quiet(self, endpoint: str, gather: _Gather) -> None:
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
            for chunk in self._chunks(items):
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

    def _chunks(self, items: list[_Pending]) -> list[list[_Pending]]:
        chunks: list[list[_Pending]] = [[]]
        size = 0
        for item in items:
            if chunks[-1] and (
                len(chunks[-1]) >= self.max_requests_per_batch or size + len(item.line) + 1 > MAX_BATCH_FILE_BYTES
            ):
                chunks.append([])
                size = 0
            chunks[-1].append(item)
            size += len(item.line) + 1
        return chunks

    async def _submit(self, endpoint: str, items: list[_Pending]) -> str:
        self._sequence += 1
        payload = b"".join(item.line + b"\n" for item in items)
        digest = _sha256(payload)
        name = f"input-{time.strftime('%Y%m%dT%H%M%S')}-{self._sequence:03d}-{digest[:12]}.jsonl"
        path = self.work_dir / name
        await asyncio.to_thread(_write_file, path, payload)
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
        counts = getattr(batch, "request_counts", None)
        errors = getattr(getattr(batch, "errors", None), "data", None) or []
        status = BatchStatus(
            id=batch.id,
            endpoint=str(getattr(batch, "endpoint", None) or endpoint or ""),
            status=str(batch.status),
            total=int(getattr(counts, "total", 0) or 0),
            completed=int(getattr(counts, "completed", 0) or 0),
            failed=int(getattr(counts, "failed", 0) or 0),
            output_file_id=getattr(batch, "output_file_id", None),
            error_file_id=getattr(batch, "error_file_id", None),
            errors=[
                f"line {getattr(e, 'line', None)}: {getattr(e, 'code', None)}: {getattr(e, 'message', '')}"
                for e in errors
            ],
        )
        for item in errors:
            line = getattr(item, "line", None)
            if isinstance(line, int):
                self._error_lines.setdefault(status.id, {})[line] = (
                    f"{getattr(item, 'code', None) or 'error'}: {getattr(item, 'message', None) or 'no message'}"
                )
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

    def _outcome(self, batch_id: str) -> asyncio.Future[_BatchOutcome]:
        task = self._watchers.get(batch_id)
        if task is None:
            task = self._watchers[batch_id] = asyncio.ensure_future(self._watch(batch_id))
        return asyncio.shield(task)

    async def _watch(self, batch_id: str) -> _BatchOutcome:
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
        lines: dict[str, _Line] = {}
        for file_id in (status.output_file_id, status.error_file_id):
            if file_id:
                path = await self._download(file_id)
                lines.update(await asyncio.to_thread(_index_lines, path))
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
        return _BatchOutcome(status, lines, errors_by_line, self._batch_custom_ids.get(batch_id, []))

    async def _download(self, file_id: str) -> Path:
        path = self.work_dir / f"{file_id}.jsonl"
        if path.exists():
            return path
        client = self.api.async_client()

        async def fetch() -> None:
            partial = path.with_name(path.name + ".part")
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            with self.api.translating("files.content"):
                async with client.files.with_streaming_response.content(file_id) as response:
                    with partial.open("wb") as handle:
                        async for chunk in response.iter_bytes():
                            handle.write(chunk)
                        handle.flush()
                        os.fsync(handle.fileno())
            os.replace(partial, path)

        try:
            await self.api.retry.acall(fetch, label="openai files.content")
        except OSError as exc:
            raise OutputError(f"{path}: cannot write the batch output ({exc.strerror or exc})", str(path)) from exc
        return path

    async def _read_answer(
        self, plan: RenderPlan, outcome: _BatchOutcome, batch_id: str, custom_id: str, started: float
    ) -> RenderResult:
        label = f"{plan.label} (batch {batch_id})"
        where = outcome.lines.get(custom_id)
        if where is None:
            status = outcome.status.status
            if status == "failed":
                line_no = outcome.custom_ids.index(custom_id) + 1 if custom_id in outcome.custom_ids else 0
                detail = outcome.errors_by_line.get(line_no) or "; ".join(outcome.status.errors) or "no reason given"
                raise InvalidParameterError(
                    f"OpenAI batch {batch_id} failed validation: {detail}", code="batch_failed", provider="openai"
                )
            raise BatchIncompleteError(
                f"OpenAI batch {batch_id} ended {status} without answering request {custom_id}",
                batch_id=batch_id,
                batch_status=status,
                code=f"batch_{status}",
                provider="openai",
            )
        record = await asyncio.to_thread(_read_line, where)
        response = record.get("response")
        error = record.get("error")
        if isinstance(response, dict) and response.get("status_code") == 200:
            body = response.get("body")
            request_id = response.get("request_id")
            try:
                parsed = ImagesResponse.model_validate(body)
            except ValueError as exc:
                raise ProviderResponseError(
                    f"OpenAI {label}: the output line of {custom_id} is not an images response ({exc})",
                    request_id=request_id,
                    code="bad_response",
                    provider="openai",
                ) from exc
            result = await asyncio.to_thread(self.api.images_result, plan, parsed, request_id, started, batch=True)
            result = result.model_copy(update={"provider": self.name})
            self.spent_usd += result.cost_usd
            return result
        if isinstance(response, dict) and isinstance(response.get("status_code"), int):
            body = response.get("body")
            error_body = body.get("error") if isinstance(body, dict) else None
            raise self.api.status_error(
                label,
                int(response["status_code"]),
                error_body if isinstance(error_body, dict) else {},
                request_id=response.get("request_id"),
            )
        code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        if code == "batch_expired":
            raise BatchIncompleteError(
                f"OpenAI batch {batch_id} expired before answering request {custom_id}",
                batch_id=batch_id,
                batch_status="expired",
                code=code,
                provider="openai",
            )
        raise ProviderResponseError(
            f"OpenAI {label}: request {custom_id} failed: {code or 'error'}: {message or 'no message'}",
            code=str(code) if code else "batch_error",
            provider="openai",
        )


def _write_file(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _index_lines(path: Path) -> dict[str, _Line]:
    """custom_id → location of its line, for every parseable line of a downloaded output or error file."""
    index: dict[str, _Line] = {}
    offset = 0
    with path.open("rb") as handle:
        for raw in handle:
            length = len(raw)
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                record = None
            if isinstance(record, dict) and isinstance(record.get("custom_id"), str):
                index[record["custom_id"]] = _Line(path, offset, length)
            offset += length
    return index


def _read_line(where: _Line) -> dict[str, Any]:
    with where.path.open("rb") as handle:
        handle.seek(where.offset)
        raw = handle.read(where.length)
    record = json.loads(raw)
    if not isinstance(record, dict):  # pragma: no cover - _index_lines only keeps objects
        raise ValueError("not a JSON object")
    return record
