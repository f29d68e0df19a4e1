"""Audit an asset library against the brand: ``brandkit validate DIR|GLOB|FILE... --jobs N`` and its SDK form.

``audit(spec, sources, jobs=..., out=..., resume=..., shard=...)`` returns an :class:`AuditRun`: iterate it for each
file's result (streamed to a fsynced JSONL file), then read its :class:`AuditSummary`. See ``docs/audit.md``.
"""

from __future__ import annotations

from brandkit.audit.records import AuditRecord, AuditSummary, CheckTally, Offender, record_of, summarize
from brandkit.audit.run import AuditItem, AuditRun, audit, file_digest
from brandkit.audit.sources import (
    IMAGE_EXTENSIONS,
    AuditFile,
    Shard,
    expand_sources,
    parse_shard,
    select_shard,
    shard_of,
)

__all__ = [
    "IMAGE_EXTENSIONS",
    "AuditFile",
    "AuditItem",
    "AuditRecord",
    "AuditRun",
    "AuditSummary",
    "CheckTally",
    "Offender",
    "Shard",
    "audit",
    "expand_sources",
    "file_digest",
    "parse_shard",
    "record_of",
    "select_shard",
    "shard_of",
    "summarize",
]
