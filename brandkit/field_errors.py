"""Field errors people can act on: "did you mean" for unknown fields, and pydantic's errors as brandkit errors.

- :func:`did_you_mean` proposes the closest known name (difflib) for a misspelt one.
- :func:`known_fields` finds the model a pydantic error location points into (``("palette", "colors", 0,
  "hexx")`` → :class:`~brandkit.spec.models.PaletteColor`), so an unknown key can be compared with the names
  that are allowed at exactly that place.
- :func:`request_error` turns a :class:`pydantic.ValidationError` raised by a request model into a
  :class:`~brandkit.errors.RequestValidationError` (a :class:`~brandkit.errors.RequestError` and a
  ``ValueError``) that names every bad field, its value, and the closest field for an unknown one.

A foundation module: imports only pydantic and :mod:`brandkit.errors`.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from brandkit.errors import RequestValidationError, _short_repr

__all__ = ["YAML_COMMENT_HINT", "did_you_mean", "field_message", "known_fields", "request_error", "suggestion"]


def did_you_mean(name: str, candidates: Collection[str]) -> str | None:
    """The known name closest to ``name`` (case-insensitive, difflib ratio ≥ 0.6), or ``None``."""
    lowered = {candidate.lower(): candidate for candidate in candidates}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def suggestion(name: str, candidates: Collection[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``candidates`` (:func:`did_you_mean`), or ``""``: the tail of an
    "unknown name" message."""
    hint = did_you_mean(name, candidates)
    return f"; did you mean {hint!r}?" if hint is not None else ""


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        out.extend(_models_in(arg))
    return out


def _descend(annotation: Any, part: str | int) -> Any:
    """The annotation found one step further along a pydantic error location, or ``None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        if field is None:
            by_alias = {f.alias: f for f in annotation.model_fields.values() if f.alias}
            field = by_alias.get(str(part))
        return field.annotation if field is not None else None
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (Union, types.UnionType) or (origin is not None and str(origin).endswith("Annotated")):
        for arg in args:
            if isinstance(arg, type) and getattr(arg, "__name__", None) == part:
                return arg  # pydantic names the union member it tried
        for arg in args:
            found = _descend(arg, part)
            if found is not None:
                return found
        return None
    if isinstance(part, int) and origin in (list, tuple, set, frozenset, Sequence):
        return args[0] if args else None
    if origin in (dict, Mapping) and len(args) == 2:
        return args[1]
    return None


def known_fields(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names allowed where ``loc`` (a pydantic error location, without its last part) points."""
    current: Any = model
    for part in loc:
        current = _descend(current, part)
        if current is None:
            return []
    names: list[str] = []
    for found in _models_in(current):
        for name, field in found.model_fields.items():
            names.append(field.alias or name)
    return list(dict.fromkeys(names))


YAML_COMMENT_HINT = ': in YAML a value starting with an unquoted # is a comment — quote it ("#1B3264")'
"""What an empty value most often is in a YAML brand file: an unquoted colour (``hex: #1B3264``)."""


def field_message(model: type[BaseModel], err: Mapping[str, Any]) -> str:
    """pydantic's message for one error, with "did you mean" when the error is an unknown field or a misspelt
    choice of a fixed set (an enum or a literal)."""
    message = str(err["msg"])
    loc = tuple(err.get("loc") or ())
    if err.get("type") == "extra_forbidden" and loc:
        guess = did_you_mean(str(loc[-1]), known_fields(model, loc[:-1]))
        if guess is not None:
            message += f" (did you mean {guess!r}?)"
    elif err.get("type") in ("enum", "literal_error") and isinstance(err.get("input"), str):
        allowed = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        guess = did_you_mean(err["input"], allowed)  # a misspelt choice: 'secondry' → 'secondary'
        if guess is not None and guess != err["input"]:
            message += f" (did you mean {guess!r}?)"
    elif err.get("type") == "string_type" and err.get("input", "") is None:
        message += f" (it is empty{YAML_COMMENT_HINT})"
    return message


def request_error(model: type[BaseModel], exc: ValidationError) -> RequestValidationError:
    """A :class:`RequestValidationError` for ``exc``: every problem with its field path, value and hint."""
    problems: list[dict[str, Any]] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in err["loc"]) or model.__name__
        problems.append({"field": loc, "message": field_message(model, err), "value": err.get("input")})
    lines = [f"{p['field']}: {p['message']}" + _shown(p) for p in problems]
    first = problems[0] if problems else {"field": None, "value": None}
    text = f"invalid {model.__name__}: " + ("; ".join(lines) if lines else str(exc))
    return RequestValidationError(text, field=first["field"], value=first["value"], problems=problems)


def _shown(problem: Mapping[str, Any]) -> str:
    value = problem.get("value")
    if value is None or isinstance(value, (dict, BaseModel)):
        return ""
    return f" (got {_short_repr(value)})"
