"""What a kit is built from, checked when it is built: a :class:`~brandkit.RequestError` naming the argument and
the value, instead of an ``AttributeError`` at the first ``generate`` (or a value silently replaced by a default).

* ``spec``: a :class:`~brandkit.BrandSpec`, or the path of one (loaded with :func:`~brandkit.load_spec`);
* ``checks``: check objects (anything with a ``name`` and a ``run(ctx)``), or built-in check names (``"palette"``);
  a class instead of an instance, an unknown name (with "did you mean") or two checks of one name are refused;
* ``max_attempts`` 1–10 and ``max_spend_usd`` ≥ 0, the spec's own ``repair`` bounds;

and what the kit's methods are given: a request as a model or a mapping (:func:`as_asset_request`), one asset per
``generate`` (:func:`single_request`), an image or a mask as a path or bytes (:data:`ImageInput`), errors about a file
naming it (:func:`named_image_errors`).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from brandkit.checks.base import Check
from brandkit.checks.registry import check_classes
from brandkit.errors import ImageInputError, RequestError
from brandkit.field_errors import suggestion
from brandkit.flows.validate import read_image_source
from brandkit.imageio import MAX_SOURCE_PIXELS, verify_image
from brandkit.models import AssetRequest, EditRequest
from brandkit.spec.models import MAX_ATTEMPTS, BrandSpec

__all__ = [
    "ImageInput",
    "UncheckedWarning",
    "as_asset_request",
    "checked_budget",
    "checked_checks",
    "checked_spec",
    "edit_request",
    "image_to_edit",
    "mask_bytes",
    "named_image_errors",
    "optional_request",
    "single_request",
]

ImageInput = str | os.PathLike[str] | bytes
"""An image given to a kit: a file path or the file's bytes."""


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
    """``checks`` as check objects (a name becomes that built-in check), or ``None`` (the default checks). An
    empty list is allowed — nothing is checked — and warned of (:class:`UncheckedWarning`)."""
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
    if not made:  # an explicit choice (a raw generation), said rather than passed over in silence
        warnings.warn(
            "checks=[]: the kit runs no check — every image it makes or validates passes unchecked",
            UncheckedWarning,
            stacklevel=3,
        )
    return made


class UncheckedWarning(UserWarning):
    """A kit was built with no check (``checks=[]``): its reports pass with nothing checked."""


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


@contextmanager
def named_image_errors(image: ImageInput) -> Iterator[None]:
    """Make an :class:`ImageInputError` about an image given as a path name the file (the decoder only sees
    bytes and would say ``<6 bytes>``); an error naming another file (a logo, a library photo) is left as it is."""
    try:
        yield
    except ImageInputError as exc:
        if not isinstance(image, str | os.PathLike) or exc.source == os.fspath(image):
            raise  # bytes (or a wrong type, which the error already names)
        if exc.source and not (exc.source.startswith("<") and exc.source.endswith(" bytes>")):
            raise  # about another file
        name = os.fspath(image)
        problem = exc.message
        if exc.source and problem.startswith(exc.source + ": "):
            problem = problem[len(exc.source) + 2 :]
        raise ImageInputError(f"{name}: {problem}", source=str(name)) from exc


def as_asset_request(request: AssetRequest | Mapping[str, Any]) -> AssetRequest:
    """``request`` as an :class:`AssetRequest`: a mapping is validated (a bad or unknown field raises
    :class:`~brandkit.RequestValidationError` naming it, with "did you mean"); anything else is a RequestError."""
    if isinstance(request, AssetRequest):
        return request
    if isinstance(request, Mapping):
        return AssetRequest(**{str(k): v for k, v in request.items()})
    raise RequestError(
        f"request: expected an AssetRequest or a mapping of its fields, got {type(request).__name__}",
        field="request",
    )


def edit_request(
    instruction: str,
    keep: Sequence[str] | None,
    request: EditRequest | Mapping[str, Any] | None,
    copy: Mapping[str, Any],
) -> EditRequest:
    """The :class:`EditRequest` of a ``kit.edit`` call: ``request`` (a model or a mapping), or the one made of
    ``instruction``, ``keep`` and the copy keywords — not both (what would be dropped is refused, naming it)."""
    if request is None:
        return EditRequest(instruction=instruction, keep=list(keep or []), **copy)
    given = [name for name, value in (("instruction", instruction), ("keep", keep)) if value] + sorted(copy)
    if given:
        raise RequestError(
            f"edit: {', '.join(given)} given beside request=, which would be ignored; put them in the request",
            field=given[0],
        )
    if isinstance(request, Mapping):
        return EditRequest(**{str(k): v for k, v in request.items()})  # bad fields: RequestValidationError
    return request


def optional_request(request: AssetRequest | Mapping[str, Any] | None) -> AssetRequest | None:
    """:func:`as_asset_request`, or ``None``."""
    return None if request is None else as_asset_request(request)


def image_to_edit(image: ImageInput) -> bytes:
    """The bytes of the image an edit starts from, its header checked first (a recognised format within the pixels
    brandkit reads — a larger file than an edit takes is reduced by the flow —, an intact structure) so that a file
    that cannot be edited is refused naming it: the flow only sees bytes (``<7 bytes>: not a recognised image
    format`` before)."""
    with named_image_errors(image):
        data = read_image_source(image)
        verify_image(data, MAX_SOURCE_PIXELS)
    return data


def mask_bytes(mask: ImageInput | None) -> bytes | None:
    """An edit's mask as bytes (a path is read like the image: size limit, errors naming the file)."""
    return None if mask is None else read_image_source(mask)


def single_request(request: AssetRequest | Mapping[str, Any]) -> AssetRequest:
    """The request of one ``generate`` call: ``n`` must be 1 (``n`` images are ``generate_many``'s)."""
    request = as_asset_request(request)
    if request.n != 1:
        raise RequestError(
            f"n: generate makes one asset (got n={request.n}); use generate_many for {request.n} variants",
            field="n",
            value=request.n,
        )
    return request
