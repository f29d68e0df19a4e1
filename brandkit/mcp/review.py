"""The review tools (``review_queue``, ``review_decide``, ``review_report``) over the asset registry's public API.

Each call opens its own :class:`~brandkit.registry.store.Registry` in a worker thread (one connection per
thread, as the registry requires) and closes it. Requesting changes goes through
:func:`brandkit.registry.regenerate.request_changes`: the decision is recorded, the note becomes the repair
loop's feedback, and the new asset is saved beside its parent and linked to it.
"""

from __future__ import annotations

from pathlib import Path

import anyio

from brandkit.errors import RequestError
from brandkit.mcp.models import (
    DecideArgs,
    DecisionResult,
    QueueArgs,
    QueueItem,
    QueueResult,
    ReportArgs,
    ReportResult,
)
from brandkit.registry.models import AssetFilter, AssetPage, AssetRow, ReviewState
from brandkit.registry.regenerate import request_changes
from brandkit.registry.store import Registry

__all__ = ["ReviewTools"]

_STATES = {"approve": ReviewState.approved, "reject": ReviewState.rejected}


def _item(row: AssetRow) -> QueueItem:
    return QueueItem(
        id=row.id,
        kind=row.kind,
        path=row.path,
        spec_name=row.spec_name,
        format=row.format,
        passed=row.passed,
        state=row.state.value,
        created_at=row.created_at.isoformat(),
        failing_reasons=row.failing_reasons,
    )


class ReviewTools:
    """``review_queue`` and ``review_decide`` on the registry at ``db``; ``provider`` regenerates on request
    changes (``local`` only: a regeneration through this server cannot be held to a call's budget)."""

    def __init__(self, db: Path, provider: str) -> None:
        self.db = db
        self.provider = provider

    def __repr__(self) -> str:
        return f"ReviewTools({str(self.db)!r})"

    async def queue(self, args: QueueArgs, spec_name: str | None) -> QueueResult:
        """Assets in ``args.state`` (newest first), of one spec when ``spec_name`` is given."""
        wanted = AssetFilter(
            state=ReviewState(args.state), spec=spec_name, gates=args.gates, limit=args.limit, before=args.before
        )

        def read() -> AssetPage:
            with Registry.open(self.db) as registry:
                return registry.page_assets(wanted)

        page = await anyio.to_thread.run_sync(read)
        return QueueResult(
            state=args.state,
            items=[_item(row) for row in page.rows],
            total=page.total,
            next_before=page.next_before,
        )

    async def decide(self, args: DecideArgs) -> DecisionResult:
        """Record ``args.decision`` on ``args.asset_id`` (``request_changes`` also regenerates with the note)."""
        if args.decision == "request_changes":
            if self.provider != "local":
                raise RequestError(
                    "decision: request_changes regenerates the asset, and a regeneration through this server "
                    "cannot be held to a budget_usd; run the server with --provider local, or use "
                    "`brandkit review request-changes`",
                    field="decision",
                    value=args.decision,
                )
            if not (args.note or "").strip():
                raise RequestError("note: request_changes needs a note (what to change)", field="note")
            return await anyio.to_thread.run_sync(self._request_changes, args)

        def write() -> DecisionResult:
            with Registry.open(self.db) as registry:
                event = registry.decide(args.asset_id, _STATES[args.decision], args.note, args.reviewer)
            return DecisionResult(
                asset_id=event.asset_id, state=event.state.value, reviewer=event.reviewer, note=event.reason
            )

        return await anyio.to_thread.run_sync(write)

    async def report(self, args: ReportArgs) -> ReportResult:
        """The registry's metrics over ``args``' period (and per group with ``args.by``); a date that is not one is
        a :class:`~brandkit.errors.RequestError` naming it."""

        def read() -> ReportResult:
            with Registry.open(self.db) as registry:
                overall = registry.metrics(since=args.since, until=args.until)
                groups = registry.metrics(since=args.since, until=args.until, by=args.by) if args.by else None
            assert not isinstance(overall, dict) and (groups is None or isinstance(groups, dict))
            return ReportResult(metrics=overall, groups=groups)

        return await anyio.to_thread.run_sync(read)

    def _request_changes(self, args: DecideArgs) -> DecisionResult:
        note = (args.note or "").strip()
        with Registry.open(self.db) as registry:
            row = request_changes(registry, args.asset_id, note, args.reviewer, provider=self.provider)
        return DecisionResult(
            asset_id=args.asset_id,
            state=ReviewState.changes_requested.value,
            reviewer=args.reviewer,
            note=note,
            regenerated=_item(row),
        )
