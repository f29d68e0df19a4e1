"""``brandkit report``: the review metrics as tables (rich) or ``--json`` — the figures, their trend per day, the
checks and reasons behind rework (definitions in ``docs/review.md``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from brandkit.cli.common import JsonOpt, esc
from brandkit.cli.recording import DbOpt
from brandkit.errors import RequestError
from brandkit.registry.metrics import period_keys, since_key, until_key
from brandkit.registry.models import Metrics

_FIGURES = (
    ("assets", "assets recorded"),
    ("first_pass_yield", "first-pass yield (gates)"),
    ("attempts_per_accepted", "attempts per accepted asset"),
    ("approval_rate", "human approval rate"),
    ("revision_rate", "revision rate"),
    ("spend_usd", "spend (USD)"),
    ("spend_per_approved", "spend per approved deliverable (USD)"),
    ("reviewed_deliverables", "reviewed deliverables (an asset and its regenerations)"),
    ("approved_deliverables", "approved deliverables"),
    ("revised_deliverables", "revised deliverables (sent back at least once)"),
    ("approved", "assets approved"),
    ("approved_over_failed_checks", "assets approved over failed checks"),
    ("rejected", "assets rejected"),
    ("changes_requested", "assets sent back (changes requested)"),
    ("pending", "assets pending review"),
    ("superseded", "assets superseded (a variant made again)"),
)
_RATES = {"first_pass_yield", "approval_rate", "revision_rate"}


def valid_until(until: str | None) -> str | None:
    """``--until`` checked like ``--since``; raises ``RequestError`` naming it."""
    return _valid_date(until, "until", until_key, "2026-05-31")


def valid_since(since: str | None) -> str | None:
    """``--since`` checked: an ISO date (``YYYY-MM-DD``) or date-time; raises ``RequestError`` naming it."""
    return _valid_date(since, "since", since_key, "2026-05-01")


def _valid_date(value: str | None, option: str, key: Callable[[str | None], str], example: str) -> str | None:
    if value is None:
        return None
    try:
        key(value)
    except RequestError:
        raise RequestError(f"--{option} {value!r}: use a date like {example}", field=option, value=value) from None
    return value


def _cell(name: str, value: object) -> str:
    if value is None:
        return "—"
    if name in _RATES and isinstance(value, float):
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:.4f}" if "spend" in name else f"{value:.2f}"
    return str(value)


def print_metrics(metrics: Metrics | dict[str, Metrics], by: str | None, console: Console | None = None) -> None:
    """Print the figures (one column per group with ``by``), then rework causes and the daily trend."""
    if console is None:
        console = Console(soft_wrap=True, highlight=False)
        if not console.is_terminal:  # piped: full-width tables
            console.width = 160
    groups = metrics if isinstance(metrics, dict) else {"all": metrics}
    if not groups:
        console.print("no assets recorded in this period")
        return
    table = Table("metric", *(esc(key) for key in groups), title=f"review metrics{f' by {by}' if by else ''}")
    for name, label in _FIGURES:
        table.add_row(label, *(_cell(name, getattr(m, name)) for m in groups.values()))
    console.print(table)
    for key, m in groups.items():
        prefix = f"{esc(key)}: " if by else ""
        if m.top_rework_checks:
            checks = Table("check", "failed attempts", title=f"{prefix}checks causing most rework")
            for row in m.top_rework_checks:
                checks.add_row(esc(row.name), str(row.count))
            console.print(checks)
        if m.top_rework_reasons:
            reasons = Table("reason", "times", title=f"{prefix}reviewers' reasons (rejected / changes requested)")
            for row in m.top_rework_reasons:
                reasons.add_row(esc(row.name), str(row.count))  # a reviewer's own words
            console.print(reasons)
        if len(m.trend) > 0 and not by:
            trend = Table(
                "day",
                "assets",
                "first-pass yield",
                "approval",
                "revision",
                "attempts/accepted",
                "$/approved",
                title="trend",
            )
            for p in m.trend:
                trend.add_row(
                    p.day,
                    str(p.assets),
                    _cell("first_pass_yield", p.first_pass_yield),
                    _cell("approval_rate", p.approval_rate),
                    _cell("revision_rate", p.revision_rate),
                    _cell("attempts_per_accepted", p.attempts_per_accepted),
                    _cell("spend_per_approved", p.spend_per_approved),
                )
            console.print(trend)


def report_cmd(
    db: DbOpt = None,
    since: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--since", help="Only assets created on or after this date (YYYY-MM-DD, UTC)."),
    ] = None,
    until: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--until", help="Only assets created on or before this date (YYYY-MM-DD, UTC; the day included)."),
    ] = None,
    by: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--by", help="Group by spec, run, check, format or locale."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Review metrics: first-pass yield, attempts per accepted asset, approval and revision rates, spend per
    approved asset, the checks and reasons behind most rework, and their trend per day (see docs/review.md)."""
    from brandkit.cli.common import emit_json, map_errors
    from brandkit.cli.recording import open_registry
    from brandkit.errors import RequestError

    with map_errors(json_out):
        if by is not None and by not in ("spec", "run", "check", "format", "locale"):
            raise RequestError(f"--by {by!r}: use spec, run, check, format or locale", field="by", value=by)
        start, end = valid_since(since), valid_until(until)
        period_keys(start, end)  # an end before the start: refused, naming both
        with open_registry(db) as reg:
            metrics = reg.metrics(since=start, until=end, by=by)
        if json_out:
            if isinstance(metrics, dict):
                emit_json(
                    {
                        "ok": True,
                        "since": start,
                        "until": end,
                        "by": by,
                        "groups": {k: m.model_dump(mode="json") for k, m in metrics.items()},
                    }
                )
            else:
                emit_json(
                    {"ok": True, "since": start, "until": end, "by": None, "metrics": metrics.model_dump(mode="json")}
                )
            return
        print_metrics(metrics, by)
