"""Planning an OpenAI image request: local validation and the SDK arguments (shared by sync, async and Batch).

:func:`plan_render` checks a :class:`~brandkit.models.RenderCall` against the API's rules (size rules of the
model, format / background / compression, ``n``, number and type of images, prompt length, mask) and builds the
arguments of ``images.generate`` / ``images.edit``. A bad value raises
:class:`~brandkit.provider.openai.errors.LocalParameterError` naming the parameter and value; nothing is sent or
billed. It is a short sequence of steps, one function each (params, prompt, output, input images, mask).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any, Literal

from openai.types import ModerationMultiModalInputParam
from PIL import Image

from brandkit.errors import ImageInputError, RequestError
from brandkit.imageio import detect_format, load_image
from brandkit.models import RenderCall
from brandkit.provider.openai.errors import LocalParameterError, unsupported
from brandkit.provider.openai.params import Transport, check_model, decide_params
from brandkit.provider.pricing import PriceTable
from brandkit.spec.sizes import ModelRules, rules_for

__all__ = [
    "DEFAULT_MODEL",
    "MAX_INPUT_IMAGES",
    "MAX_INPUT_IMAGE_BYTES",
    "MAX_PROMPT_CHARS",
    "RenderPlan",
    "check_image_output",
    "check_input_image",
    "check_size",
    "moderation_input",
    "plan_render",
    "worst_case_of_plan",
]

DEFAULT_MODEL = "gpt-image-2"
MAX_INPUT_IMAGES = 16
MAX_PROMPT_CHARS = 32_000
MAX_INPUT_IMAGE_BYTES = 50 * 1024 * 1024

_FORMATS = ("png", "jpeg", "webp")
_QUALITIES = ("low", "medium", "high", "auto")
_BACKGROUNDS = ("transparent", "opaque", "auto")
_MIME_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/webp": "webp"}
_FORMAT_MIMES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_MODERATION_MIMES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
# Parameters brandkit knows how to send; ``n`` comes from ``RenderCall.n``.
_PARAMS = frozenset(
    {
        "model",
        "size",
        "quality",
        "output_format",
        "output_compression",
        "background",
        "moderation",
        "input_fidelity",
        "n",
        "user",
        "safety_identifier",
        "stream",
        "partial_images",
    }
)

InputImage = tuple[str, bytes, str]


@dataclass(frozen=True)
class RenderPlan:
    """A checked request, ready to send: which endpoint, the SDK arguments, what to expect back."""

    operation: Literal["generate", "edit"]
    model: str
    kwargs: dict[str, Any]
    output_format: str
    n: int
    width: int | None
    height: int | None
    notes: tuple[str, ...] = ()
    """Parameters left out because the model or endpoint does not take them and leaving them out changes
    nothing (see :mod:`brandkit.provider.openai.params`); logged as warnings when the plan is sent."""

    @property
    def label(self) -> str:
        """``images.generate`` or ``images.edit`` (for logs and messages)."""
        return f"images.{self.operation}"

    def describe(self) -> dict[str, Any]:
        """The plan without image bytes (for logs, dry runs and tests)."""
        out: dict[str, Any] = {}
        for key, value in self.kwargs.items():
            if key == "image":
                out[key] = [f"{name} ({mime}, {len(data)} bytes)" for name, data, mime in value]
            elif key == "mask":
                out[key] = f"{value[0]} ({value[2]}, {len(value[1])} bytes)"
            elif key == "prompt":
                out[key] = f"<{len(value)} chars>"
            else:
                out[key] = value
        return out


def worst_case_of_plan(prices: PriceTable, plan: RenderPlan, call: RenderCall, *, batch: bool = False) -> float:
    """The worst-case cost of a checked request (prompt bytes, input images, partial images, size, quality, n)."""
    kwargs = plan.kwargs
    images = kwargs.get("image") or []
    try:
        return prices.worst_case_cost(
            plan.model,
            str(kwargs.get("quality", "auto")),
            plan.width or call.prompt.width,
            plan.height or call.prompt.height,
            plan.n,
            prompt_bytes=len(str(kwargs.get("prompt", "")).encode("utf-8")),
            input_images=(len(images) if isinstance(images, list) else 1) + (1 if kwargs.get("mask") else 0),
            partial_images=int(kwargs.get("partial_images") or 0),
            batch=batch,
        )
    except ValueError as exc:
        raise RequestError(f"cannot bound the cost of a call before sending it: {exc}", "model", plan.model) from exc


# --------------------------------------------------------------------------------------------
# Small checks
# --------------------------------------------------------------------------------------------


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise LocalParameterError(field, value, f"must be one of {', '.join(allowed)}")
    return value


def _parse_size(model: str, value: Any) -> tuple[int, int] | None:
    if value == "auto":
        return None
    if not isinstance(value, str) or value.count("x") != 1:
        raise LocalParameterError("size", value, "must be 'auto' or 'WIDTHxHEIGHT' (e.g. '1536x1024')")
    left, right = value.split("x")
    if not (left.isdigit() and right.isdigit()):
        raise LocalParameterError("size", value, "must be 'auto' or 'WIDTHxHEIGHT' (e.g. '1536x1024')")
    width, height = int(left), int(right)
    problem = rules_for(model).size_problem(width, height)
    if problem:
        raise LocalParameterError("size", value, problem)
    return width, height


def check_size(model: str, value: Any) -> tuple[int, int] | None:
    """``(width, height)`` of a ``WIDTHxHEIGHT`` size valid for ``model`` (``None`` for ``auto``); raises
    :class:`LocalParameterError` naming the size otherwise (the Responses tool shares the Images API's rules)."""
    return _parse_size(model, value)


def check_image_output(model: str, output_format: str, background: str, compression: int | None) -> None:
    """Check an output format / background / compression combination for ``model`` like :func:`plan_render`
    does (raises :class:`LocalParameterError` naming the parameter)."""
    _choice("output_format", output_format, _FORMATS)
    params: dict[str, Any] = {"background": background, "output_compression": compression}
    _background(params, output_format, model, rules_for(model))
    if compression is not None:
        _compression(params, output_format)


def check_input_image(field: str, data: bytes, mime: str | None) -> str:
    """The format (png/jpeg/webp) of an input image; raises :class:`LocalParameterError` naming ``field``
    for an empty, oversized, unsupported or mislabelled image."""
    return _check_input_image(field, data, mime)


def _check_input_image(field: str, data: bytes, mime: str | None) -> str:
    """Return the image format (png/jpeg/webp) of an input image, or raise naming ``field``."""
    if not data:
        raise LocalParameterError(field, "<0 bytes>", "the image is empty")
    if len(data) > MAX_INPUT_IMAGE_BYTES:
        raise LocalParameterError(
            field, f"<{len(data):,} bytes>", f"each input image must be under {MAX_INPUT_IMAGE_BYTES:,} bytes"
        )
    detected = detect_format(data)
    if detected not in _FORMATS:
        raise LocalParameterError(field, mime or detected, "input images must be PNG, JPEG or WebP")
    if mime is not None and _MIME_FORMATS.get(mime.lower()) not in (None, detected):
        raise LocalParameterError(field, mime, f"the bytes are {detected}, not {mime}")
    return detected


def _header_size(data: bytes) -> tuple[int, int, str, bool]:
    """(width, height, format, has_alpha) from the image header, without a full decode."""
    with Image.open(io.BytesIO(data)) as image:
        alpha = "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info)
        return image.width, image.height, (image.format or "").lower(), alpha


# --------------------------------------------------------------------------------------------
# The steps of plan_render
# --------------------------------------------------------------------------------------------


def _checked_params(call: RenderCall) -> tuple[dict[str, Any], str]:
    """The call's non-``None`` parameters (known ones only) and the model (a supported one)."""
    params = {key: value for key, value in call.prompt.params.items() if value is not None}
    unknown = sorted(set(params) - _PARAMS)
    if unknown:
        raise LocalParameterError(
            "params", unknown, f"unknown API parameter(s); brandkit sends only {', '.join(sorted(_PARAMS))}"
        )
    model = params.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not model:
        raise LocalParameterError("model", model, "must be a non-empty model name")
    with unsupported():
        check_model(model)
    return params, model


def _check_prompt_and_count(call: RenderCall, params: dict[str, Any]) -> None:
    """The prompt text, ``n`` and the streaming parameters brandkit does not support."""
    text = call.prompt.text
    if not text.strip():
        raise LocalParameterError("prompt", text, "the prompt is empty")
    if len(text) > MAX_PROMPT_CHARS:
        raise LocalParameterError(
            "prompt", f"<{len(text):,} chars>", f"prompts are limited to {MAX_PROMPT_CHARS:,} characters"
        )
    n = call.n
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10:
        raise LocalParameterError("n", n, "must be an integer from 1 to 10")
    if params.get("stream"):
        raise LocalParameterError("stream", params["stream"], "streaming is not supported by brandkit")
    if params.get("partial_images"):
        raise LocalParameterError("partial_images", params["partial_images"], "partial images need streaming")


def _background(params: dict[str, Any], output_format: str, model: str, rules: ModelRules) -> str:
    background = _choice("background", params["background"], _BACKGROUNDS)
    if background == "transparent":
        if output_format not in ("png", "webp"):
            raise LocalParameterError(
                "background",
                background,
                f"a transparent background needs output_format png or webp, not {output_format}",
            )
        if not rules.transparent_background:
            raise LocalParameterError("background", background, f"{model} cannot make transparent backgrounds")
    return background


def _compression(params: dict[str, Any], output_format: str) -> int:
    compression = params["output_compression"]
    if output_format not in ("jpeg", "webp"):
        raise LocalParameterError(
            "output_compression",
            compression,
            f"only applies to output_format jpeg or webp, not {output_format}",
        )
    if isinstance(compression, bool) or not isinstance(compression, int) or not 0 <= compression <= 100:
        raise LocalParameterError("output_compression", compression, "must be an integer from 0 to 100")
    return compression


def _output_kwargs(params: dict[str, Any], output_format: str, model: str, rules: ModelRules) -> dict[str, Any]:
    """``output_format``, ``quality``, ``background`` and ``output_compression``, checked."""
    kwargs: dict[str, Any] = {}
    if output_format != "png" or "output_format" in params:
        kwargs["output_format"] = output_format
    if "quality" in params:
        kwargs["quality"] = _choice("quality", params["quality"], _QUALITIES)
    if "background" in params:
        kwargs["background"] = _background(params, output_format, model, rules)
    if "output_compression" in params:
        kwargs["output_compression"] = _compression(params, output_format)
    return kwargs


def _input_images(call: RenderCall, rules: ModelRules) -> list[InputImage]:
    """The base image first, then the references in index order, as ``(name, bytes, mime)`` parts."""
    images: list[InputImage] = []
    if call.base_image is not None:
        fmt = _check_input_image("base_image", call.base_image, None)
        images.append((f"base.{'jpg' if fmt == 'jpeg' else fmt}", call.base_image, _FORMAT_MIMES[fmt]))
    for ref in sorted(call.prompt.references, key=lambda item: item.index):
        fmt = _check_input_image(f"references[{ref.index}] ({ref.name})", ref.data, ref.mime)
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in ref.name)[:40] or ref.role
        images.append(
            (
                f"{ref.index:02d}-{ref.role}-{stem}.{'jpg' if fmt == 'jpeg' else fmt}",
                ref.data,
                _FORMAT_MIMES[fmt],
            )
        )
    limit = min(MAX_INPUT_IMAGES, rules.max_reference_images)
    if len(images) > limit:
        raise LocalParameterError(
            "images",
            f"<{len(images)} images>",
            f"an edit takes at most {limit} input images (base image included)",
        )
    return images


def _checked_mask(mask: bytes, first_image: bytes) -> InputImage:
    """The mask part of an edit: a PNG with alpha, the size of the first image, decodable."""
    try:
        first_size = _header_size(first_image)[:2]
        mask_w, mask_h, mask_fmt, mask_alpha = _header_size(mask)
    except Exception as exc:
        raise LocalParameterError("mask", f"<{len(mask)} bytes>", f"cannot read the image ({exc})") from exc
    if mask_fmt != "png":
        raise LocalParameterError("mask", mask_fmt or "<unknown format>", "the mask must be a PNG")
    if not mask_alpha:
        raise LocalParameterError("mask", "PNG without alpha", "the mask needs an alpha channel")
    if (mask_w, mask_h) != first_size:
        raise LocalParameterError(
            "mask",
            f"{mask_w}x{mask_h}",
            f"must be the same size as the first image ({first_size[0]}x{first_size[1]})",
        )
    try:
        load_image(mask)
    except ImageInputError as exc:
        raise LocalParameterError("mask", f"<{len(mask)} bytes>", str(exc)) from exc
    return ("mask.png", mask, "image/png")


def plan_render(call: RenderCall, *, safety_identifier: str | None = None, transport: Transport = "live") -> RenderPlan:
    """Check ``call`` against the API's rules and build the SDK arguments.

    Raises :class:`LocalParameterError` naming the parameter and value for
    anything the API would reject (so nothing is sent and nothing is billed),
    including a parameter the model or the endpoint does not take (named with
    both; see :mod:`brandkit.provider.openai.params`). ``transport`` is
    ``"batch"`` when the request travels in a Batch API file (JSON edits take
    ``moderation``; ``safety_identifier`` travels as ``user``).
    """
    params, model = _checked_params(call)
    rules = rules_for(model)
    _check_prompt_and_count(call, params)
    size_value = params.get("size", call.prompt.size)
    size = _parse_size(model, size_value)
    output_format = _choice("output_format", params.get("output_format", "png"), _FORMATS)
    kwargs: dict[str, Any] = {"model": model, "prompt": call.prompt.text, "n": call.n, "size": size_value}
    kwargs.update(_output_kwargs(params, output_format, model, rules))

    images = _input_images(call, rules)
    operation: Literal["generate", "edit"] = "edit" if images else "generate"
    if images:
        kwargs["image"] = images
        if call.mask is not None:
            kwargs["mask"] = _checked_mask(call.mask, images[0][1])
    elif call.mask is not None:
        raise LocalParameterError("mask", f"<{len(call.mask)} bytes>", "a mask needs an image to edit")
    with unsupported():
        decided = decide_params(
            params,
            model=model,
            operation=operation,
            transport=transport,
            fidelity_supported=rules.input_fidelity,
            safety_identifier=safety_identifier,
        )
    kwargs.update(decided.send)

    return RenderPlan(
        operation=operation,
        model=model,
        kwargs=kwargs,
        output_format=output_format,
        n=call.n,
        width=size[0] if size else None,
        height=size[1] if size else None,
        notes=tuple(decided.notes),
    )


def moderation_input(image: bytes, mime: str, text: str) -> list[ModerationMultiModalInputParam]:
    """The ``input`` of a moderation request: the text (when any), then the image as a data URL."""
    if mime.lower() not in _MODERATION_MIMES:
        raise LocalParameterError("mime", mime, f"moderation accepts {', '.join(sorted(_MODERATION_MIMES))}")
    if not image:
        raise LocalParameterError("image", "<0 bytes>", "the image to moderate is empty")
    items: list[ModerationMultiModalInputParam] = []
    if text:
        items.append({"type": "text", "text": text})
    url = f"data:{mime.lower()};base64,{base64.b64encode(image).decode('ascii')}"
    items.append({"type": "image_url", "image_url": {"url": url}})
    return items
