"""Spend budgets that reserve before they spend.

A :class:`SpendBudget` holds a limit, what was spent and what is *reserved*: before each paid call its
worst-case cost (``brandkit.provider.base.worst_case_cost_of``, from the provider's price table) is
reserved; the call is not sent when ``spent + reserved + worst case`` would pass the limit
(:class:`BudgetExceededError`, naming the budget, the spent and reserved amounts and what the call
needed). When the answer arrives the reservation is replaced by the actual cost
(:meth:`SpendBudget.settle`); a call that failed releases it. So the final spend never exceeds the limit
as long as every call costs at most its worst case — which the price table guarantees for the providers
that state one (:class:`~brandkit.provider.base.PricedProvider`).

Used per asset (the repair loop's ``max_spend_usd``, :mod:`brandkit.pipeline`) and per run (the variant
runner's ``budget_usd``, :mod:`brandkit.variants.paid`). Foundation module: no stage imports; one object per
loop or run, no global state. Amounts are compared to the micro-dollar (prices have six decimals), so a
budget of exactly one call's worst case allows that call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from brandkit.errors import BrandkitError

__all__ = ["BudgetExceededError", "Reservation", "SpendBudget"]

_EPS = 5e-7
"""Half a micro-dollar: two amounts closer than this are equal."""


class BudgetExceededError(BrandkitError):
    """A paid call was not sent: its worst-case cost does not fit in what is left of a spend budget.

    ``budget_usd``, ``spent_usd``, ``reserved_usd`` (by calls still in flight) and ``needed_usd`` (the
    refused call's worst case) say why; ``label`` names the budget (``max_spend_usd``, ``run budget``).
    """

    def __init__(
        self, message: str, *, label: str, budget_usd: float, spent_usd: float, reserved_usd: float, needed_usd: float
    ) -> None:
        super().__init__(message)
        self.label = label
        self.budget_usd = budget_usd
        self.spent_usd = spent_usd
        self.reserved_usd = reserved_usd
        self.needed_usd = needed_usd

    def as_fields(self) -> dict[str, Any]:
        """The amounts, rounded to the micro-dollar (for journals and reports)."""
        return {
            "budget": self.label,
            "budget_usd": round(self.budget_usd, 6),
            "spent_usd": round(self.spent_usd, 6),
            "reserved_usd": round(self.reserved_usd, 6),
            "needed_usd": round(self.needed_usd, 6),
        }


@dataclass
class Reservation:
    """One call's hold on a budget: ``amount`` until :meth:`SpendBudget.settle` or :meth:`SpendBudget.release`."""

    amount: float
    open: bool = True


@dataclass
class SpendBudget:
    """A limit (``None``: unlimited, spend is still counted), the spend so far and the open reservations."""

    limit_usd: float | None
    label: str = "budget"
    spent_usd: float = 0.0
    _reservations: list[Reservation] = field(default_factory=list, repr=False)

    @property
    def reserved_usd(self) -> float:
        """Held by calls not answered yet."""
        return sum(r.amount for r in self._reservations if r.open)

    def fits(self, amount: float) -> bool:
        """Whether a call of worst case ``amount`` could be reserved now."""
        if self.limit_usd is None:
            return True
        return self.spent_usd + self.reserved_usd + amount <= self.limit_usd + _EPS

    def refusal(self, amount: float, what: str = "the next call") -> BudgetExceededError:
        """The error saying that ``amount`` does not fit (amounts as they are now)."""
        limit = self.limit_usd if self.limit_usd is not None else float("inf")
        spent, reserved = self.spent_usd, self.reserved_usd
        message = (
            f"spend budget ${limit:.4f} ({self.label}) reached: ${spent:.4f} spent, ${reserved:.4f} reserved by "
            f"calls in flight; {what} could cost up to ${amount:.4f}, which would pass it"
        )
        return BudgetExceededError(
            message, label=self.label, budget_usd=limit, spent_usd=spent, reserved_usd=reserved, needed_usd=amount
        )

    def reserve(self, amount: float, what: str = "the next call") -> Reservation:
        """Hold ``amount`` (a call's worst case) before sending; raises :class:`BudgetExceededError` when it
        does not fit. Check and hold happen together (no await between them), so concurrent callers on one
        event loop cannot both take the last room."""
        if amount < 0:
            raise ValueError(f"a reservation cannot be negative, got {amount}")
        if not self.fits(amount):
            raise self.refusal(amount, what)
        reservation = Reservation(amount)
        self._reservations.append(reservation)
        return reservation

    def settle(self, reservation: Reservation, actual_usd: float) -> None:
        """The call was answered: drop its reservation and count what it actually cost."""
        self.release(reservation)
        self.spent_usd += actual_usd

    def release(self, reservation: Reservation) -> None:
        """The call failed (nothing billed) or was not sent: drop its reservation."""
        if reservation.open:
            reservation.open = False
            self._reservations.remove(reservation)
