"""What a review decision may record: the rules :meth:`Registry.decide` applies before it writes anything.

Pure but for reading the asset's file (an approval is only of the bytes that were checked, see
:mod:`brandkit.registry.files`). The store calls :func:`checked_decision` with the asset's row; callers deciding
several assets call :meth:`Registry.check_decision` for each first, so one refusal records none.
"""

from __future__ import annotations

from dataclasses import dataclass

from brandkit.errors import ReviewStateError
from brandkit.registry.files import recorded_file
from brandkit.registry.models import UNDECIDED, AssetRow, ReviewState

MAX_REASON = 2000
"""The longest reason a decision may carry, characters."""
MAX_REVIEWER = 120
"""The longest reviewer name, characters."""


@dataclass(frozen=True)
class Decision:
    """A decision ready to record: its state and the reason and reviewer, normalised (stripped, empty → ``None``)."""

    state: ReviewState
    reason: str | None
    reviewer: str


def checked_decision(row: AssetRow, state: ReviewState | str, reason: str | None, reviewer: str, db: str) -> Decision:
    """The decision on ``row`` as it would be recorded, or the :class:`~brandkit.errors.ReviewStateError` naming
    what is wrong (``db``: the registry's path, for the error).

    ``rejected`` and ``changes_requested`` need a reason. ``approved`` needs the asset's file to hold the bytes
    that were checked (their recorded sha256): a file changed or missing since is refused; and an asset whose checks
    failed (the best attempt of a rejected request, a validated file that failed) is approved only with a reason —
    the approval overrides its checks, and the history says why.
    """
    try:
        chosen = ReviewState(state)
    except ValueError:
        allowed = ", ".join(s.value for s in ReviewState if s not in UNDECIDED)
        raise ReviewStateError(f"unknown review state {state!r}: use one of {allowed}", path=db) from None
    if chosen in UNDECIDED:
        raise ReviewStateError(f"{chosen.value!r} is not a decision: approve, reject or request changes", db)
    reviewer = (reviewer or "").strip()
    if not reviewer or len(reviewer) > MAX_REVIEWER:
        raise ReviewStateError(f"reviewer: a name of 1 to {MAX_REVIEWER} characters is needed (got {reviewer!r})", db)
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise ReviewStateError(f"reason: at most {MAX_REASON} characters (got {len(reason)})", db)
    if reason is None and chosen in (ReviewState.rejected, ReviewState.changes_requested):
        raise ReviewStateError(f"{chosen.value}: a reason is needed (a failing check or free text)", db)
    if chosen is ReviewState.approved and not row.passed and reason is None:
        failing = ", ".join(name for name, status in row.checks.items() if status in ("failed", "not_checked"))
        raise ReviewStateError(
            f"approve refused: asset {row.id} failed its checks ({failing or 'see its report'}); approving it "
            "overrides them — give the reason (a note on why they do not apply)",
            path=row.path,
        )
    if chosen is ReviewState.approved:
        now = recorded_file(row)
        if not now.unchanged:
            raise ReviewStateError(
                f"approve refused: {now.describe(row.id)}; approve only what was checked (validate the file again "
                "to record it)",
                path=row.path,
            )
    return Decision(chosen, reason, reviewer)
