"""The review metrics, computed from the registry's tables (definitions in ``docs/review.md``).

One query gathers every asset in scope with its derived state, attempt count, first attempt's outcome and
whether a reviewer ever sent it back; the figures are computed from those facts in Python, for the whole
scope, per group (``by``) and per day (the trend).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from brandkit.errors import RequestError
from brandkit.registry.models import CountRow, GroupBy, Metrics, TrendPoint

TOP = 10
_FACTS_SQL = """
    SELECT a.id, a.kind, a.passed, a.spend_usd, a.created_at, a.spec_name, a.run_id, a.format, a.locale,
           s.state,
           (SELECT COUNT(*) FROM attempts t WHERE t.asset_id = a.id) AS attempts,
           (SELECT t.passed FROM attempts t WHERE t.asset_id = a.id ORDER BY t.number LIMIT 1) AS first_passed,
           (SELECT COUNT(*) FROM review_events e WHERE e.asset_id = a.id) AS events,
           (SELECT COUNT(*) FROM review_events e WHERE e.asset_id = a.id AND e.state = 'changes_requested') AS sent_back
    FROM assets a JOIN asset_state s ON s.asset_id = a.id
    WHERE a.created_at >= ? AND (? = '' OR a.created_at < ?)
    ORDER BY a.id
"""


@dataclass(frozen=True)
class _Facts:
    id: int
    produced: bool
    passed: bool
    spend: float
    day: str
    group: dict[str, str]
    state: str
    attempts: int
    first_passed: bool | None
    reviewed: bool
    sent_back: bool
    deliverable: int  # the first asset of its request-changes chain: an asset and the regenerations made from it
    revision: bool  # a regeneration a reviewer asked for


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else round(num / den, 4)


def _deliverables(facts: Sequence[_Facts]) -> tuple[int, int, int]:
    """``(reviewed, approved, revised)`` deliverables among ``facts``: an asset and the regenerations a reviewer's
    request for changes made from it are one deliverable — reviewed when any of them was, approved when the
    latest one reviewed is, revised when any was sent back (a regeneration is one)."""
    chains: dict[int, list[_Facts]] = defaultdict(list)
    for fact in facts:
        chains[fact.deliverable].append(fact)
    reviewed = approved = revised = 0
    for members in chains.values():
        decided = [m for m in members if m.reviewed]
        if not decided:
            continue
        reviewed += 1
        approved += max(decided, key=lambda m: m.id).state == "approved"
        revised += any(m.sent_back or m.revision for m in members)
    return reviewed, approved, revised


def _figures(facts: Sequence[_Facts]) -> dict[str, object]:
    produced = [f for f in facts if f.produced]
    accepted = [f for f in produced if f.passed]
    first = [f for f in produced if f.first_passed is not None]
    reviewed = [f for f in facts if f.reviewed]
    states = Counter(f.state for f in facts)
    spend = sum(f.spend for f in facts)
    deliverables, approved, revised = _deliverables(facts)
    return {
        "assets": len(facts),
        "produced": len(produced),
        "accepted": len(accepted),
        "reviewed": len(reviewed),
        "approved": states["approved"],
        "approved_over_failed_checks": sum(1 for f in facts if f.state == "approved" and not f.passed),
        "rejected": states["rejected"],
        "changes_requested": states["changes_requested"],
        "pending": states["pending"],
        "superseded": states["superseded"],
        "first_pass_yield": _ratio(sum(1 for f in first if f.first_passed), len(first)),
        "attempts_per_accepted": _ratio(sum(f.attempts for f in produced), len(accepted)),
        "reviewed_deliverables": deliverables,
        "approved_deliverables": approved,
        "revised_deliverables": revised,
        "approval_rate": _ratio(approved, deliverables),
        "revision_rate": _ratio(revised, deliverables),
        "spend_usd": round(spend, 6),
        "spend_per_approved": _ratio(spend, approved),
    }


def _rework(db: sqlite3.Connection, ids: Iterable[int]) -> tuple[list[CountRow], list[CountRow]]:
    """Checks blocking in failed attempts, and the reasons reviewers gave when rejecting or sending back."""
    wanted = set(ids)
    checks: Counter[str] = Counter()
    for asset_id, checks_json in db.execute("SELECT asset_id, checks_json FROM attempts WHERE passed = 0"):
        if asset_id in wanted:
            checks.update(c["name"] for c in json.loads(checks_json) if c.get("blocking"))
    reasons: Counter[str] = Counter()
    for asset_id, reason in db.execute(
        "SELECT asset_id, reason FROM review_events WHERE state IN ('rejected', 'changes_requested')"
    ):
        if asset_id in wanted and reason:
            reasons[" ".join(reason.split()).lower()[:200]] += 1
    top = [CountRow(name=n, count=c) for n, c in checks.most_common(TOP)]
    return top, [CountRow(name=n, count=c) for n, c in reasons.most_common(TOP)]


def _blocking_checks(db: sqlite3.Connection) -> dict[int, set[str]]:
    out: dict[int, set[str]] = defaultdict(set)
    for asset_id, checks_json in db.execute("SELECT asset_id, checks_json FROM attempts"):
        out[asset_id].update(c["name"] for c in json.loads(checks_json) if c.get("blocking"))
    return out


def _metrics(db: sqlite3.Connection, facts: Sequence[_Facts]) -> Metrics:
    top_checks, top_reasons = _rework(db, (f.id for f in facts))
    by_day: dict[str, list[_Facts]] = defaultdict(list)
    for fact in facts:
        by_day[fact.day].append(fact)
    trend = []
    for day in sorted(by_day):
        fig = _figures(by_day[day])
        trend.append(
            TrendPoint(
                day=day,
                assets=len(by_day[day]),
                first_pass_yield=fig["first_pass_yield"],
                approval_rate=fig["approval_rate"],
                revision_rate=fig["revision_rate"],
                attempts_per_accepted=fig["attempts_per_accepted"],
                spend_per_approved=fig["spend_per_approved"],
            )
        )
    return Metrics.model_validate(
        {**_figures(facts), "top_rework_checks": top_checks, "top_rework_reasons": top_reasons, "trend": trend}
    )


def since_key(since: str | None) -> str:
    """``since`` (an ISO date, or a date-time: naive is UTC) as the text ``created_at`` values compare with.

    Raises :class:`~brandkit.errors.RequestError` naming the value when it is neither."""
    return _moment_key(since, "since", "2026-05-01", next_day=False)


def until_key(until: str | None) -> str:
    """``until`` as the text ``created_at`` values must be below: a date counts its whole day (the next day's
    midnight, UTC), a date-time is the moment itself (naive is UTC); ``""`` for no end.

    Raises :class:`~brandkit.errors.RequestError` naming the value when it is neither."""
    return _moment_key(until, "until", "2026-05-31", next_day=True)


def _moment_key(text: str | None, field: str, example: str, *, next_day: bool) -> str:
    """A date (the day itself, or with ``next_day`` the midnight after it) or date-time as comparable UTC text."""
    if not text:
        return ""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return (day + timedelta(days=1) if next_day else day).isoformat()
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RequestError(f"{field} {text!r}: use a date like {example} or a date-time", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def period_keys(since: str | None, until: str | None) -> tuple[str, str]:
    """``(since_key, until_key)`` of a period, checked: an end before its start is a ``RequestError``."""
    start, end = since_key(since), until_key(until)
    if start and end and end <= start:
        raise RequestError(f"until {until!r} is not after since {since!r}: the period is empty", field="until")
    return start, end


def _chain_roots(db: sqlite3.Connection) -> Callable[[int], int]:
    """For an asset id, the first asset of its request-changes chain (a ``regenerate`` asset's parent, and so on),
    read over the whole registry: a regeneration in the period whose first version is older still counts as a
    revision of that deliverable."""
    links = {
        int(i): (int(p) if p is not None else None, k)
        for i, p, k in db.execute("SELECT id, parent_id, kind FROM assets")
    }

    def root(asset_id: int) -> int:
        seen = {asset_id}
        parent, kind = links.get(asset_id, (None, ""))
        while kind == "regenerate" and parent is not None and parent not in seen:
            asset_id = parent
            seen.add(asset_id)
            parent, kind = links.get(asset_id, (None, ""))
        return asset_id

    return root


def compute_metrics(
    db: sqlite3.Connection, *, since: str | None = None, until: str | None = None, by: GroupBy | None = None
) -> Metrics | dict[str, Metrics]:
    """The metrics of every asset created at or after ``since`` and up to ``until`` (ISO dates — ``until``'s day
    included — or date-times, UTC); per group with ``by``.

    ``by="check"`` puts an asset in the group of every check that blocked one of its attempts (``(none)``
    when none did), so groups may overlap; the other groupings partition the assets.
    """
    start, end = period_keys(since, until)
    root = _chain_roots(db)
    facts = [
        _Facts(
            id=r[0],
            produced=r[1] != "validate",
            passed=bool(r[2]),
            spend=float(r[3]),
            day=str(r[4])[:10],
            group={"spec": r[5], "run": r[6], "format": r[7] or "-", "locale": r[8] or "-"},
            state=r[9],
            attempts=int(r[10]),
            first_passed=None if r[11] is None else bool(r[11]),
            reviewed=int(r[12]) > 0,
            sent_back=int(r[13]) > 0,
            deliverable=root(r[0]),
            revision=r[1] == "regenerate",
        )
        for r in db.execute(_FACTS_SQL, (start, end, end))
    ]
    if by is None:
        return _metrics(db, facts)
    groups: dict[str, list[_Facts]] = defaultdict(list)
    if by == "check":
        blocking = _blocking_checks(db)
        for fact in facts:
            for name in sorted(blocking.get(fact.id) or {"(none)"}):
                groups[name].append(fact)
    else:
        for fact in facts:
            groups[fact.group[by]].append(fact)
    return {name: _metrics(db, members) for name, members in sorted(groups.items())}
