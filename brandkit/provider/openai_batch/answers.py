"""The Batch API's answer side: batch status, downloaded output files, each request's answer.

:func:`status_of` reads a batch object; :func:`download` streams an output or error file to disk (never held
in memory), :func:`index_lines` indexes it by ``custom_id`` and :func:`read_answer` turns one line into a
:class:`~brandkit.models.RenderResult` (parsed and billed as the live provider parses an answer) or the typed
error of that request. :class:`DeliveryGate` bounds the answers being processed at once.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openai.types import ImagesResponse

from brandkit.errors import BatchIncompleteError, InvalidParameterError, OutputError, ProviderResponseError
from brandkit.models import RenderResult
from brandkit.provider.openai import OpenAIProvider, RenderPlan
from brandkit.provider.openai_batch.lines import BatchStatus

__all__ = [
    "BatchOutcome",
    "DeliveryGate",
    "Line",
    "download",
    "index_lines",
    "read_answer",
    "read_line",
    "status_of",
]


@dataclass(frozen=True)
class Line:
    """Where one answer lives on disk: file, byte offset and length of its JSONL line."""

    path: Path
    offset: int
    length: int


@dataclass
class BatchOutcome:
    """A finished batch: its last status, where each answer lives, the errors by input line, its requests."""

    status: BatchStatus
    lines: dict[str, Line]
    errors_by_line: dict[int, str]
    custom_ids: list[str]


class DeliveryGate:
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


def status_of(batch: Any, endpoint: str | None = None) -> tuple[BatchStatus, dict[int, str]]:
    """The :class:`BatchStatus` of an SDK batch object, and its validation errors by input line number."""
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
            f"line {getattr(e, 'line', None)}: {getattr(e, 'code', None)}: {getattr(e, 'message', '')}" for e in errors
        ],
    )
    by_line: dict[int, str] = {}
    for item in errors:
        line = getattr(item, "line", None)
        if isinstance(line, int):
            by_line[line] = (
                f"{getattr(item, 'code', None) or 'error'}: {getattr(item, 'message', None) or 'no message'}"
            )
    return status, by_line


async def download(api: OpenAIProvider, work_dir: Path, file_id: str) -> Path:
    """Stream the file ``file_id`` to ``work_dir/<file_id>.jsonl`` (fsynced, then renamed; kept for a resume)."""
    path = work_dir / f"{file_id}.jsonl"
    if path.exists():
        return path
    client = api.async_client()

    async def fetch() -> None:
        partial = path.with_name(path.name + ".part")
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        with api.translating("files.content"):
            async with client.files.with_streaming_response.content(file_id) as response:
                with partial.open("wb") as handle:
                    async for chunk in response.iter_bytes():
                        handle.write(chunk)
                    handle.flush()
                    os.fsync(handle.fileno())
        os.replace(partial, path)

    try:
        await api.retry.acall(fetch, label="openai files.content")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the batch output ({exc.strerror or exc})", str(path)) from exc
    return path


async def read_answer(
    api: OpenAIProvider,
    name: str,
    plan: RenderPlan,
    outcome: BatchOutcome,
    batch_id: str,
    custom_id: str,
    started: float,
) -> RenderResult:
    """The result of request ``custom_id`` in a finished batch (billed at Batch prices, ``provider`` = ``name``),
    or its typed error: the API's error answer, :class:`~brandkit.errors.BatchIncompleteError` when the batch
    ended without answering it, :class:`~brandkit.errors.InvalidParameterError` when the batch failed
    validation."""
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
    record = await asyncio.to_thread(read_line, where)
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
        result = await asyncio.to_thread(api.images_result, plan, parsed, request_id, started, batch=True)
        return result.model_copy(update={"provider": name})
    if isinstance(response, dict) and isinstance(response.get("status_code"), int):
        body = response.get("body")
        error_body = body.get("error") if isinstance(body, dict) else None
        raise api.status_error(
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


def index_lines(path: Path) -> dict[str, Line]:
    """custom_id → location of its line, for every parseable line of a downloaded output or error file."""
    index: dict[str, Line] = {}
    offset = 0
    with path.open("rb") as handle:
        for raw in handle:
            length = len(raw)
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                record = None
            if isinstance(record, dict) and isinstance(record.get("custom_id"), str):
                index[record["custom_id"]] = Line(path, offset, length)
            offset += length
    return index


def read_line(where: Line) -> dict[str, Any]:
    """The JSON object of one indexed line (read from disk)."""
    with where.path.open("rb") as handle:
        handle.seek(where.offset)
        raw = handle.read(where.length)
    record = json.loads(raw)
    if not isinstance(record, dict):  # pragma: no cover - index_lines only keeps objects
        raise ValueError("not a JSON object")
    return record
