"""The Batch API's request side: the JSONL line of each request, what a batch can carry, input files.

Pure helpers of :class:`~brandkit.provider.openai_batch.provider.OpenAIBatchProvider` (no I/O but
:func:`write_file`): :func:`batch_line` (the endpoint and JSON body of a checked plan), :func:`check_batchable`,
the content digest that makes each request's ``custom_id`` (:func:`canonical`, :func:`sha256`) and
:func:`chunk_items` (at most ``max_requests`` lines and :data:`MAX_BATCH_FILE_BYTES` a file).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from brandkit.provider.openai import LocalParameterError, RenderPlan

__all__ = [
    "BATCH_ENDPOINTS",
    "JSON_EDIT_SIZES",
    "MAX_BATCH_FILE_BYTES",
    "MAX_BATCH_REQUESTS",
    "REFERENCE_PURPOSE",
    "TERMINAL_STATUSES",
    "BatchStatus",
    "Gather",
    "Pending",
    "batch_line",
    "canonical",
    "check_batchable",
    "chunk_items",
    "images_of",
    "sha256",
    "write_file",
]

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
REFERENCE_PURPOSE = "vision"


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


@dataclass
class Pending:
    custom_id: str
    line: bytes
    future: asyncio.Future[str]


@dataclass
class Gather:
    items: dict[str, Pending] = field(default_factory=dict)
    first: float = 0.0
    last: float = 0.0
    size: int = 0
    task: asyncio.Task[None] | None = None


def canonical(value: Any) -> bytes:
    """The canonical JSON bytes of ``value`` (sorted keys, no spaces): what a request digest hashes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
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
    body["images"] = [{"file_id": file_ids[sha256(data)]} for _, data, _ in plan.kwargs["image"]]
    if "mask" in plan.kwargs:
        body["mask"] = {"file_id": file_ids[sha256(plan.kwargs["mask"][1])]}
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


def images_of(plan: RenderPlan) -> list[tuple[str, bytes, str]]:
    """Every input image of ``plan`` (the mask last), as ``(name, bytes, mime)``."""
    images: list[tuple[str, bytes, str]] = list(plan.kwargs.get("image", []))
    if "mask" in plan.kwargs:
        images.append(plan.kwargs["mask"])
    return images


def write_file(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically (fsynced temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def chunk_items(items: list[Pending], max_requests: int) -> list[list[Pending]]:
    """``items`` in input files of at most ``max_requests`` lines and :data:`MAX_BATCH_FILE_BYTES` each."""
    chunks: list[list[Pending]] = [[]]
    size = 0
    for item in items:
        if chunks[-1] and (len(chunks[-1]) >= max_requests or size + len(item.line) + 1 > MAX_BATCH_FILE_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += len(item.line) + 1
    return chunks
