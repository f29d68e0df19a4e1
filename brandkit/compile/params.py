"""The API parameters of a compiled call (model, size, quality, format, background, moderation); the formats."""

from __future__ import annotations

from typing import Any

from brandkit.errors import RequestError
from brandkit.field_errors import did_you_mean
from brandkit.models import AssetRequest
from brandkit.spec.models import BrandSpec, Format
from brandkit.spec.sizes import rules_for


def format_of(spec: BrandSpec, name: str) -> Format:
    """The spec's format ``name``; a :class:`RequestError` naming the known ones (and the closest) otherwise."""
    if name not in spec.formats:
        guess = did_you_mean(name, spec.formats)
        hint = f" (did you mean {guess!r}?)" if guess is not None else ""
        raise RequestError(
            f"format {name!r} is not defined by brand {spec.name!r}{hint}; known formats: {sorted(spec.formats)}",
            field="format",
            value=name,
        )
    return spec.formats[name]


def api_params(
    spec: BrandSpec,
    operation: str,
    fmt: Format,
    request: AssetRequest | None,
    safety_identifier: str | None,
    transparent: bool | None = None,
    output_format: str | None = None,
    output_compression: int | None = None,
) -> dict[str, Any]:
    """The call's API parameters; ``transparent``, ``output_format`` and ``output_compression`` (an edit's, without
    an ``AssetRequest``) override the spec's as the request's fields do. ``n`` is 1: every call makes one image
    (``generate_many`` makes ``request.n`` variants as that many calls, each checked and repaired on its own)."""
    gen = spec.generation
    model = (request.model if request else None) or gen.model
    rules = rules_for(model)
    problem = rules.size_problem(fmt.width, fmt.height)
    if problem:
        raise RequestError(f"size {fmt.size} not allowed for {model}: {problem}", field="format", value=fmt.size)
    if request is not None:
        output_format, output_compression = request.output_format, request.output_compression
    output_format = output_format or gen.output_format
    compression = (
        output_compression
        if output_compression is not None
        else (gen.output_compression if output_format == gen.output_format else None)
    )
    if request is not None and request.transparent is not None:
        transparent = request.transparent
    elif transparent is None:
        transparent = gen.background == "transparent"
    if compression is not None and output_format == "png":
        raise RequestError(
            "output_compression applies only to jpeg or webp", field="output_compression", value=compression
        )
    if transparent and output_format == "jpeg":
        raise RequestError(
            f"output_format {output_format!r}: a transparent background needs png or webp output",
            field="output_format",
            value=output_format,
        )
    if transparent and not rules.transparent_background:
        raise RequestError(f"{model} does not support a transparent background", field="transparent", value=True)
    params: dict[str, Any] = {
        "model": model,
        "size": fmt.size,
        "quality": (request.quality if request else None) or gen.quality,
        "output_format": output_format,
        "background": "transparent" if transparent else ("opaque" if gen.background != "auto" else "auto"),
        "n": 1,
    }
    if compression is not None:
        params["output_compression"] = compression
    if operation == "generate" or gen.moderation != "auto":  # the provider refuses 'low' where it cannot go
        params["moderation"] = gen.moderation
    if safety_identifier:
        params["safety_identifier"] = safety_identifier
    return params


def detect_format_name(spec: BrandSpec, width: int, height: int) -> str | None:
    """The spec format with exactly this size, if any."""
    for name, fmt in spec.formats.items():
        if (fmt.width, fmt.height) == (width, height):
            return name
    return None


__all__ = ["api_params", "detect_format_name", "format_of"]
