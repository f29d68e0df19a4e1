"""Typed rows the registry returns: assets, attempts, review events, filters and metrics.

These models are the contract between the store (:mod:`brandkit.registry.store`) and its readers
(the ``brandkit review`` / ``brandkit report`` commands, the review web page). They carry no I/O.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ReviewState(StrEnum):
    """An asset's review state. ``pending`` until a reviewer's first decision; the latest event wins.

    ``superseded`` is derived, like ``pending``, and is not a decision: an undecided variant made again in the same
    output folder (``brandkit variants --resume --retry-failed``) — the later row is the one to review
    (:attr:`AssetRow.superseded_by`)."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    changes_requested = "changes_requested"
    superseded = "superseded"


#: the states no reviewer sets: derived — pending (no event yet), superseded (the variant was made again)
UNDECIDED = (ReviewState.pending, ReviewState.superseded)


AssetKind = Literal["generate", "edit", "variant", "validate", "regenerate", "conversation"]
GroupBy = Literal["spec", "run", "check", "format", "locale"]


class AssetRow(_Row):
    """One recorded asset, as the queue shows it (the current state is derived from its review events)."""

    id: int
    kind: AssetKind = Field(description="Which command produced or judged it.")
    content_hash: str = Field(description="sha256 of the image file's bytes (hex).")
    key: str = Field(description="Stable key: the variant key, else the content hash.")
    path: str = Field(description="The image file, absolute.")
    sidecar_path: str | None = Field(default=None, description="The sidecar JSON, when there is one.")
    image_path: str = Field(description="The file to show as thumbnail (the image itself).")
    spec_name: str
    spec_version: str | None = None
    spec_fingerprint: str
    spec_source: str | None = Field(default=None, description="Where the spec was loaded from (for regeneration).")
    format: str | None = None
    locale: str | None = None
    prompt_hash: str | None = None
    provider: str | None = None
    model: str | None = None
    run_id: str
    parent_id: int | None = None
    superseded_by: int | None = Field(
        default=None,
        description="The latest row of the same variant made again in the same output folder (a retried variant), "
        "if any; the state is then superseded unless a reviewer decided this one.",
    )
    created_at: datetime
    passed: bool = Field(description="Whether the final report passed the gates.")
    state: ReviewState = ReviewState.pending
    attempts: int = 0
    spend_usd: float = 0.0
    checks: dict[str, str] = Field(default_factory=dict, description="check name → status of the final report.")
    palette: list[str] = Field(default_factory=list, description="The spec palette's swatches, hex.")
    failing_reasons: list[str] = Field(
        default_factory=list, description="Blocking checks of the final report with their hint or reason."
    )
    blocking: list[str] = Field(
        default_factory=list,
        description="The names of the final report's blocking checks; a check failed but not named here failed "
        "under its warn policy (shown, never blocking).",
    )


class CheckRow(_Row):
    """One check's result in one attempt."""

    name: str
    status: str
    score: float | None = None
    hint: str | None = None
    blocking: bool | None = Field(default=None, description="Whether it blocked the attempt (None: not recorded).")

    @property
    def warned(self) -> bool:
        """It failed (or could not run) without blocking the attempt: under the warn policy."""
        return self.status in ("failed", "not_checked") and self.blocking is False


class AttemptRow(_Row):
    """One attempt of an asset: its checks, spend, prompt hash and timing."""

    index: int
    passed: bool
    checks: list[CheckRow] = Field(default_factory=list)
    spend_usd: float = 0.0
    prompt_hash: str | None = None
    feedback: list[str] = Field(default_factory=list, description="Feedback this attempt's prompt carried.")
    fixes: list[str] = Field(default_factory=list)
    elapsed_s: float | None = None


class ReviewEvent(_Row):
    """One reviewer decision (append-only: a later decision is a new event)."""

    id: int
    asset_id: int
    reviewer: str
    at: datetime
    state: ReviewState
    reason: str | None = None


class AssetDetail(_Row):
    """Everything about one asset: its row, attempts, review history, lineage and the spec rules it was held to."""

    row: AssetRow
    attempts: list[AttemptRow] = Field(default_factory=list)
    events: list[ReviewEvent] = Field(default_factory=list)
    ancestors: list[AssetRow] = Field(default_factory=list, description="Parent first, then its parent, …")
    children: list[AssetRow] = Field(default_factory=list)
    spec_rules: list[str] = Field(default_factory=list, description="The spec's rules, one line each.")
    request: dict[str, object] | None = Field(default=None, description="The original request, as recorded.")
    timings: dict[str, float] = Field(default_factory=dict)


Gates = Literal["passed", "failed"]
"""Whether an asset's final report passed the gates (what :attr:`AssetFilter.gates` narrows to)."""


def gates_named(value: str | None) -> Gates | None:
    """``value`` as a gates filter (``None`` or empty: no filter); ``ValueError`` for anything but passed / failed."""
    if not value:
        return None
    if value == "passed":
        return "passed"
    if value == "failed":
        return "failed"
    raise ValueError(f"{value!r} is not one of passed, failed")


class AssetFilter(_Row):
    """What ``list_assets`` returns: every field set narrows the list (newest first)."""

    run: str | None = None
    spec: str | None = Field(default=None, description="Spec name.")
    state: ReviewState | None = None
    check_failed: str | None = Field(default=None, description="A check that is blocking in the final report.")
    gates: Gates | None = Field(
        default=None,
        description="Whether the final report passed the gates (failed: a rejected best attempt, a validated file "
        "that failed — approving one overrides its checks).",
    )
    kind: AssetKind | None = None
    limit: int = Field(default=200, ge=1, le=10000)
    offset: int = Field(default=0, ge=0)
    before: int | None = Field(
        default=None,
        ge=1,
        description="Only assets recorded before this asset id (newest first: the page after the one that ended "
        "with it — unlike an offset, it does not shift when assets are recorded or decided meanwhile).",
    )


class AssetPage(_Row):
    """One page of :meth:`~brandkit.registry.store.Registry.page_assets`: its rows (newest first), how many assets
    match every page, and the ``before`` of the next page (``None``: the last)."""

    rows: list[AssetRow]
    total: int
    next_before: int | None


class CountRow(_Row):
    """A check or reason and how many times it caused rework."""

    name: str
    count: int


class TrendPoint(_Row):
    """One day of the metrics (UTC)."""

    day: str = Field(description="YYYY-MM-DD")
    assets: int
    first_pass_yield: float | None = None
    approval_rate: float | None = None
    revision_rate: float | None = None
    attempts_per_accepted: float | None = None
    spend_per_approved: float | None = None


class Metrics(_Row):
    """The figures a team measures itself by (definitions in ``docs/review.md``). ``None``: no data to divide by."""

    assets: int = 0
    produced: int = Field(default=0, description="Assets made by brandkit (not validate-only).")
    accepted: int = Field(default=0, description="Produced assets whose final report passed the gates.")
    reviewed: int = Field(default=0, description="Assets with at least one review decision.")
    reviewed_deliverables: int = Field(
        default=0,
        description="Deliverables with a review decision: an asset and the regenerations a reviewer's request for "
        "changes made from it are one deliverable (the rates below count deliverables).",
    )
    approved_deliverables: int = Field(
        default=0, description="Reviewed deliverables whose latest reviewed version is approved."
    )
    revised_deliverables: int = Field(
        default=0, description="Reviewed deliverables sent back at least once (a regeneration is a revision)."
    )
    approved: int = 0
    approved_over_failed_checks: int = Field(
        default=0, description="Approved assets whose checks failed: a reviewer overrode them (with a reason)."
    )
    rejected: int = 0
    changes_requested: int = 0
    pending: int = 0
    superseded: int = Field(
        default=0, description="Undecided variants made again in the same folder: the later row is reviewed instead."
    )
    first_pass_yield: float | None = None
    attempts_per_accepted: float | None = None
    approval_rate: float | None = Field(default=None, description="approved_deliverables ÷ reviewed_deliverables.")
    revision_rate: float | None = Field(default=None, description="revised_deliverables ÷ reviewed_deliverables.")
    spend_usd: float = 0.0
    spend_per_approved: float | None = Field(
        default=None, description="All spend in scope (rework included) ÷ approved_deliverables."
    )
    top_rework_checks: list[CountRow] = Field(default_factory=list)
    top_rework_reasons: list[CountRow] = Field(default_factory=list)
    trend: list[TrendPoint] = Field(default_factory=list)
