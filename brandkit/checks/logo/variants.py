"""Which variant of the brand's logo is on the image, when the file says nothing (see ``LogoCheck``'s
``_fitting_variant``).

A brand's logo variants share one shape — the colour logo, its one-colour version, its version for dark grounds —
and the search matches shapes in grey, variant by variant, taking the first found within the rules. Without
provenance that is the search's order, not the image: the Northwind colour wordmark was named ``mono`` when the
one-colour silhouette's ORB found it first (6 of 360 ``bench_logo_scale`` checks; the recolour rule now fails that
reading and the search goes on). When the variant found has colours off by more than
:data:`~brandkit.checks.logo.constants.VARIANT_COLOUR_MARGIN`, each other variant's colours are read at its box, and
those that could fit better are read there in full (their shape verified, at the layout-box bar): the one whose
colours fit the pixels best (:mod:`~brandkit.checks.logo.colour`) is named and judged by its own rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from brandkit.checks.logo.constants import RIVAL_OVERLAP, VARIANT_COLOUR_MARGIN
from brandkit.checks.logo.details import LogoDetails
from brandkit.models import CheckResult


def colour_gap(reading: CheckResult) -> float | None:
    """The worst deciding ΔE00 of a reading's colours (``details.colour.worst_delta_e``), or ``None``: not found,
    or no colour measured."""
    if not reading.details.get("found"):
        return None
    colour = reading.details.get("colour")
    worst = colour.get("worst_delta_e") if isinstance(colour, dict) else None
    return float(worst) if worst is not None else None


def closest_colours(found: CheckResult, others: Sequence[CheckResult]) -> CheckResult:
    """``found`` or, among ``others`` (the other variants read at its box), the reading whose colours fit better by
    more than :data:`VARIANT_COLOUR_MARGIN`, the best first. The reading returned lists every variant's fit in
    ``details.variant_fits`` (variant → worst ΔE00, ``None`` where not found at the box or not measured)."""
    fits = {str(found.details.get("variant")): colour_gap(found)}
    fits.update({str(o.details.get("variant")): colour_gap(o) for o in others})
    chosen = found
    mine = colour_gap(found)
    if mine is not None:
        better = [(gap, o) for o in others if (gap := colour_gap(o)) is not None and gap + VARIANT_COLOUR_MARGIN < mine]
        if better:
            chosen = min(better, key=lambda pair: pair[0])[1]
    if len(fits) > 1:
        chosen.details["variant_fits"] = fits
    return chosen


def rival(passed: CheckResult, readings: Sequence[CheckResult]) -> CheckResult | None:
    """The reading that overrules ``passed`` (a variant found within the rules, without provenance), or ``None``:
    another variant's reading of the same logo (their boxes overlap by at least :data:`RIVAL_OVERLAP` of the
    smaller one) that reads it **distorted** and fits the pixels better (a higher score). Two variants of one
    wordmark — a colour one and a one-colour one — can read one stretched logo either way; the better reading
    decides, whatever order the variants were searched in. Only distortion overrules: size, placement and clear
    space are each variant's own rules, not a reading of the pixels."""
    mine = LogoDetails.model_validate(passed.details)
    if mine.box is None or len(mine.box) != 4:
        return None
    for other in readings:
        theirs = LogoDetails.model_validate(other.details)
        if theirs.variant == mine.variant or not theirs.found or not theirs.distorted or theirs.box is None:
            continue
        same_logo = len(theirs.box) == 4 and overlap(mine.box, theirs.box) >= RIVAL_OVERLAP
        if same_logo and (other.score or 0.0) > (passed.score or 0.0):
            return other
    return None


def overlap(a: Sequence[int], b: Sequence[int]) -> float:
    """The intersection of boxes ``a`` and ``b`` (x0, y0, x1, y1) as a share of the smaller one."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return 0.0 if w <= 0 or h <= 0 or smaller <= 0 else w * h / smaller


__all__ = ["closest_colours", "colour_gap", "overlap", "rival"]
