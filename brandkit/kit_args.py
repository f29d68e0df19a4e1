"""What a kit is built from, checked when it is built: a :class:`~brandkit.RequestError` naming the argument and
the value, instead of an ``AttributeError`` at the first ``generate`` (or a value silently replaced by a default).

* ``spec``: a :class:`~brandkit.BrandSpec`, or the path of one (loaded with :func:`~brandkit.load_spec`);
* ``checks``: check objects (anything with a ``name`` and a ``run(ctx)``), or built-in check names (``"palette"``);
  a class instead of an instance, an unknown name (with "did you mean") or two checks of one name are refused;
* ``max_attempts`` 1–10 and ``max_spend_usd`` ≥ 0, the spec's own ``repair`` bounds.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from brandkit.checks.base import Check
from brandkit.checks.registry import check_classes
from brandkit.errors import RequestError
from brandkit.field_errors import suggestion
from brandkit.spec.models import BrandSpec

__all__ = ["checked_budget", "checked_checks", "checked_spec"]

MAX_ATTEMPTS = 10
"""The most generations per asset a kit may allow (the spec's ``repair.max_attempts`` bound)."""


def checked_spec(spec: object) -> BrandSpec:
    """``spec`` as a :class:`BrandSpec`: itself, or the spec at that path (a bad one raises ``SpecError``)."""
    if isinstance(spec, BrandSpec):
        return spec
    if isinstance(spec, str | os.PathLike):
        from brandkit.spec.loader import load_spec

        return load_spec(spec)
    raise RequestError(
        f"spec: expected a BrandSpec or the path of one (brandkit.load_spec), got {type(spec).__name__}",
        field="spec",
    )


def checked_checks(checks: Sequence[Check | str] | None) -> list[Check] | None:
    """``checks`` as check objects (a name becomes that built-in check), or ``None`` (the default checks)."""
    if checks is None:
        return None
    if isinstance(checks, str | bytes) or not isinstance(checks, Sequence):
        raise RequestError(
            f"checks: expected a list of checks or check names, got {type(checks).__name__}", field="checks"
        )
    builtin = {cls.info.name: cls for cls in check_classes()}
    made: list[Check] = []
    for index, item in enumerate(checks):
        where = f"checks[{index}]"
        if isinstance(item, str):
            if item not in builtin:
                raise RequestError(
                    f"{where}: no built-in check named {item!r}{suggestion(item, builtin)} "
                    f"(the checks: {', '.join(builtin)})",
                    field=where,
                    value=item,
                )
            made.append(builtin[item]())
        elif isinstance(item, type):
            raise RequestError(
                f"{where}: {item.__name__} is a class; give an instance ({item.__name__}()) or its name",
                field=where,
            )
        elif isinstance(item, Check) and isinstance(item.name, str):
            made.append(item)
        else:
            raise RequestError(
                f"{where}: expected a check (an object with a name and a run(ctx) method) or a check name, "
                f"got {type(item).__name__}",
                field=where,
            )
    names = [check.name for check in made]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise RequestError(
            f"checks: {', '.join(repeated)} given twice (a report has one result per check name)",
            field="checks",
            value=repeated,
        )
    return made


def checked_budget(max_attempts: object, max_spend_usd: object) -> None:
    """Refuse an attempt count outside 1–10 or a negative (or not finite) spend cap, naming it."""
    if max_attempts is not None and (
        isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or not 1 <= max_attempts <= MAX_ATTEMPTS
    ):
        raise RequestError(
            f"max_attempts: expected a whole number from 1 to {MAX_ATTEMPTS} (generations per asset, the first "
            f"included), got {max_attempts!r}",
            field="max_attempts",
            value=max_attempts,
        )
    if max_spend_usd is not None and (
        isinstance(max_spend_usd, bool)
        or not isinstance(max_spend_usd, int | float)
        or not math.isfinite(max_spend_usd)
        or max_spend_usd < 0
    ):
        raise RequestError(
            f"max_spend_usd: expected an amount of at least 0 (USD), got {max_spend_usd!r}",
            field="max_spend_usd",
            value=max_spend_usd,
        )
