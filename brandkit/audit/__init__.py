"""Audit an asset library against the brand: ``brandkit validate DIR|GLOB|FILE... --jobs N`` and its SDK form.

``audit(spec, sources, jobs=..., out=..., resume=..., shard=...)`` returns an :class:`AuditRun`: iterate it for each
file's result (streamed to a fsynced JSONL file), then read its :class:`AuditSummary`. ``combine_audits(paths)``
gives one :class:`CombinedAudit` of several JSONL files (the shards of one audit); ``record_combined(combined, db,
spec)`` records it in one registry. See ``docs/audit.md``.
"""

from __future__ import annotations

from brandkit.audit.combine import AuditSource, CombinedAudit, combine_audits
from brandkit.audit.reading import AuditLines, iter_audit_files, read_audit
from brandkit.audit.recording import AuditRecording, record_combined
from brandkit.audit.records import (
    AuditRecord,
    AuditStart,
    AuditSummary,
    CheckTally,
    Offender,
    expectation_key,
    library_digest,
    record_of,
    summarize,
)
from brandkit.audit.run import AuditItem, AuditRun, audit, file_digest
from brandkit.audit.sources import (
    IMAGE_EXTENSIONS,
    AuditFile,
    Library,
    Shard,
    expand_library,
    expand_sources,
    extension_counts,
    extension_summary,
    parse_shard,
    select_shard,
    shard_of,
)

__all__ = [
    "IMAGE_EXTENSIONS",
    "AuditFile",
    "AuditItem",
    "AuditLines",
    "AuditRecord",
    "AuditRecording",
    "AuditRun",
    "AuditSource",
    "AuditStart",
    "AuditSummary",
    "CheckTally",
    "CombinedAudit",
    "Library",
    "Offender",
    "Shard",
    "audit",
    "combine_audits",
    "expand_library",
    "expand_sources",
    "expectation_key",
    "extension_counts",
    "extension_summary",
    "file_digest",
    "iter_audit_files",
    "library_digest",
    "parse_shard",
    "read_audit",
    "record_combined",
    "record_of",
    "select_shard",
    "shard_of",
    "summarize",
]
