"""The run journal: ``DIR/journal.jsonl``, one JSON object per line, every line flushed and fsynced.

It is the run's source of truth. Events:

* ``run_started`` — a session begins (plan name and hash, provider, concurrency, budget, resume).
* ``planned`` — a variant of the plan (key, name, spec, axes, operation), written once per key.
* ``started`` — a variant is being made (its spend may begin).
* ``paid`` — a render was answered and paid for (written the moment it arrives, before any check): attempt,
  cost, request id, usage, call digest, and its image files in ``DIR/spool/paid/<key>/``
  (:mod:`brandkit.variants.paid`). The ``paid`` lines are the run's spend; a resumed run re-checks the
  paid renders of an unsettled variant instead of paying for them again.
* ``succeeded`` — its files are on disk (written atomically *before* this line): names, bytes, sha256,
  cost, attempts, checks summary.
* ``failed`` — it did not produce an accepted asset: ``kind`` (checks, request, blocked, provider, master,
  output, error) and ``reason``; spend and attempts when known. An ``output`` failure of a result that was
  paid for carries ``spooled`` (its image, sidecar and record are in ``DIR/spool/<key>/``: resume saves them
  without paying) or ``lost: true`` (it could be kept nowhere).
* ``succeeded`` with ``from_spool: true`` — a spooled result saved by a later session (``cost_usd`` and
  ``attempts`` 0: the earlier ``failed`` line counted them).
* ``budget_stop`` / ``aborted`` / ``run_finished`` — why and how a session ended.

Spend: a variant's ``cost_usd`` is the sum of its ``paid`` lines; a ``succeeded``/``failed`` line marked
``billing: "paid"`` repeats that sum for reading and is not counted again (older journals, without ``paid``
lines, count the settling lines' ``cost_usd``).

A ``kill -9`` can leave a torn last line: :func:`read_journal` skips lines that do not parse, and
:class:`Journal` starts a fresh line before appending. :func:`replay` folds the events into the state
of each variant and the list of sessions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from brandkit.jsonl import Journal, read_journal

__all__ = [
    "RETRY_ON_RESUME",
    "Journal",
    "JournalState",
    "Session",
    "VariantState",
    "read_journal",
    "replay",
]

JOURNAL_NAME = "journal.jsonl"
RETRY_ON_RESUME = frozenset({"provider", "master", "output", "error", "budget"})
"""Failure kinds a resumed run tries again (transient); ``checks``, ``request`` and ``blocked`` are final
unless the run is resumed with ``retry_failed``."""


@dataclass
class VariantState:
    """What the journal says about one variant: its last event and totals over every session."""

    key: str
    status: str = "planned"
    """``planned``, ``started`` (interrupted unless running now), ``succeeded`` or ``failed``."""
    last: dict[str, Any] = field(default_factory=dict)
    """The last ``succeeded``/``failed`` record (files, cost, checks, reason …)."""
    starts: int = 0
    cost_usd: float = 0.0
    """Spend attributed to this variant over every session (succeeded and failed attempts)."""
    attempts: int = 0
    """Provider attempts over every session."""
    paid: list[dict[str, Any]] = field(default_factory=list)
    """``paid`` records not settled for good yet: what a resumed run re-checks instead of paying again."""

    @property
    def files(self) -> dict[str, str]:
        """File names (relative to the output folder) of the last outcome."""
        files = self.last.get("files")
        return dict(files) if isinstance(files, dict) else {}

    @property
    def kind(self) -> str | None:
        """The failure kind of a failed variant."""
        kind = self.last.get("kind")
        return str(kind) if kind is not None and self.status == "failed" else None


@dataclass
class Session:
    """One invocation of the runner: from its ``run_started`` to its last event."""

    started: float
    ended: float
    finished: bool = False
    """True when the session wrote ``run_finished`` (false: killed or still running)."""
    unattributed_usd: float = 0.0
    """Spend the session measured but could not attribute to a variant (e.g. provider errors mid-repair)."""
    attributed_usd: float = 0.0
    """Spend the journal attributes to variants in this session (its ``paid`` lines and outcome costs)."""

    @property
    def wall_s(self) -> float:
        """Seconds from the session's start to its last event."""
        return max(0.0, self.ended - self.started)


@dataclass
class JournalState:
    """The journal folded into per-variant state and sessions."""

    variants: dict[str, VariantState] = field(default_factory=dict)
    sessions: list[Session] = field(default_factory=list)
    skipped_lines: int = 0
    planned: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The ``planned`` record of each key (name, spec, axes, operation)."""

    def state(self, key: str) -> VariantState:
        """The state of ``key`` (a fresh ``planned`` state when the journal does not know it)."""
        return self.variants.get(key) or VariantState(key)


def replay(records: Iterable[Mapping[str, Any]], skipped_lines: int = 0) -> JournalState:
    """Fold journal events into a :class:`JournalState` (last outcome wins; spend and attempts add up)."""
    state = JournalState(skipped_lines=skipped_lines)
    for record in records:
        event = record.get("event")
        ts = float(record.get("ts") or 0.0)
        if event == "run_started":
            state.sessions.append(Session(started=ts, ended=ts))
            continue
        if state.sessions:
            state.sessions[-1].ended = max(state.sessions[-1].ended, ts)
        if event == "run_finished" and state.sessions:
            session = state.sessions[-1]
            session.finished = True
            session.unattributed_usd = _unattributed(session, record)
            continue
        key = record.get("key")
        if not isinstance(key, str):
            continue
        variant = state.variants.setdefault(key, VariantState(key))
        if event == "planned":
            state.planned[key] = dict(record)
        elif event == "started":
            variant.status = "started"
            variant.starts += 1
        elif event == "paid":
            variant.cost_usd += float(record.get("cost_usd") or 0.0)
            if state.sessions:
                state.sessions[-1].attributed_usd += float(record.get("cost_usd") or 0.0)
            variant.paid = [p for p in variant.paid if p.get("attempt") != record.get("attempt")]
            variant.paid.append(dict(record))
        elif event in ("succeeded", "failed"):
            variant.status = str(event)
            variant.last = dict(record)
            if record.get("billing") != "paid":
                variant.cost_usd += float(record.get("cost_usd") or 0.0)
                if state.sessions:
                    state.sessions[-1].attributed_usd += float(record.get("cost_usd") or 0.0)
            variant.attempts += int(record.get("attempts") or 0)
            if event == "succeeded" or record.get("kind") not in RETRY_ON_RESUME:
                variant.paid = []  # settled for good: nothing to re-check
    return state


def _unattributed(session: Session, finished: Mapping[str, Any]) -> float:
    """The spend of ``session`` that no journal line attributes to a variant.

    ``run_finished`` states the session's unattributed spend as the runner counted it: spend minus the ``paid``
    lines it knew it had written. A line whose write raised (a full disk) may still have reached the file, and then
    replay attributes it to its variant too; counting it twice would overstate the run's spend. So when the
    session's total is known, the figure is recomputed from the lines the journal really holds and the smaller of
    the two is kept.
    """
    stated = float(finished.get("unattributed_usd") or 0.0)
    spent = finished.get("spent_usd")
    if not isinstance(spent, int | float):
        return stated
    return min(stated, round(max(0.0, float(spent) - session.attributed_usd), 6))
