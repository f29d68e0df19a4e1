"""Planning a Responses API turn: local checks and the ``responses.create`` arguments (shared by sync and async).

:func:`plan_turn` checks a :class:`~brandkit.provider.conversation.TurnCall` the way :func:`plan_render` checks
an Images call (the tool's size rules, format / background / compression, each input image) and builds the
arguments: ``model``, ``instructions`` (sent every turn: the API does not carry them over
``previous_response_id``), ``input`` (one user message: ``input_text`` then one ``input_image`` data URL per
:class:`~brandkit.provider.conversation.TurnImage`), ``previous_response_id`` or ``conversation``, the
``image_generation`` tool and a ``tool_choice`` forcing it, ``store=True`` (a later turn can only continue a
stored response), ``max_output_tokens`` (what bounds the text model's spend), ``safety_identifier`` and, when
partial images are asked, ``stream=True``. A bad value raises
:class:`~brandkit.provider.openai.errors.LocalParameterError` naming the field; nothing is sent or billed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from brandkit.provider.conversation import TurnCall
from brandkit.provider.openai.errors import LocalParameterError, unsupported
from brandkit.provider.openai.params import check_model
from brandkit.provider.openai.plan import (
    MAX_INPUT_IMAGES,
    MAX_PROMPT_CHARS,
    check_image_output,
    check_input_image,
    check_size,
)

__all__ = ["LABEL", "TurnPlan", "plan_turn"]

LABEL = "responses.create"
_MIMES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class TurnPlan:
    """What one turn sends: the ``responses.create`` keyword arguments and what reading the answer needs."""

    kwargs: dict[str, Any]
    stream: bool
    model: str
    image_model: str
    output_format: str
    width: int | None
    height: int | None
    partial_images: int
    notes: list[str] = field(default_factory=list)


def _tool(call: TurnCall, stream: bool, notes: list[str]) -> dict[str, Any]:
    tool = call.tool
    with unsupported():
        check_model(tool.model)
    check_image_output(tool.model, tool.output_format, tool.background, tool.output_compression)
    spec: dict[str, Any] = {
        "type": "image_generation",
        "model": tool.model,
        "size": tool.size,
        "quality": tool.quality,
        "output_format": tool.output_format,
        "background": tool.background,
        "moderation": tool.moderation,
    }
    if tool.output_compression is not None:
        spec["output_compression"] = tool.output_compression
    if tool.partial_images:
        if stream:
            spec["partial_images"] = tool.partial_images
        else:
            notes.append(
                f"partial_images={tool.partial_images} not sent: this provider was asked not to stream "
                "(stream=False), and partial images only come as stream events"
            )
    return spec


def _content(call: TurnCall) -> list[dict[str, Any]]:
    if not call.input_text.strip():
        raise LocalParameterError("input_text", call.input_text, "a turn needs a message")
    if len(call.input_text) > MAX_PROMPT_CHARS:
        raise LocalParameterError(
            "input_text", f"<{len(call.input_text)} characters>", f"must be at most {MAX_PROMPT_CHARS} characters"
        )
    if len(call.input_images) > MAX_INPUT_IMAGES:
        raise LocalParameterError(
            "input_images", f"<{len(call.input_images)} images>", f"at most {MAX_INPUT_IMAGES} input images"
        )
    content: list[dict[str, Any]] = [{"type": "input_text", "text": call.input_text}]
    for position, image in enumerate(call.input_images):
        fmt = check_input_image(f"input_images[{position}] ({image.role})", image.data, image.mime)
        encoded = base64.b64encode(image.data).decode("ascii")
        content.append({"type": "input_image", "image_url": f"data:{_MIMES[fmt]};base64,{encoded}", "detail": "auto"})
    return content


def plan_turn(
    call: TurnCall,
    *,
    safety_identifier: str | None = None,
    max_output_tokens: int | None = None,
    stream: bool | None = None,
) -> TurnPlan:
    """Check ``call`` and build the ``responses.create`` arguments (see the module docstring).

    ``stream`` ``None`` streams when the tool asks for partial images; ``True`` / ``False`` force it.
    ``safety_identifier`` is the provider's default, used when the call names none.
    """
    if call.previous_response_id and call.conversation_id:
        raise LocalParameterError(
            "previous_response_id",
            call.previous_response_id,
            f"a turn continues either a response or the conversation {call.conversation_id!r}, not both",
        )
    if not call.model.strip():
        raise LocalParameterError("model", call.model, "name the Responses model that drives the image tool")
    if call.model.startswith("gpt-image"):
        raise LocalParameterError(
            "model",
            call.model,
            "an image model cannot drive a Responses turn; use a text model such as gpt-5 (the image model goes "
            "in tool.model)",
        )
    size = check_size(call.tool.model, call.tool.size)
    streaming = call.tool.partial_images > 0 if stream is None else stream
    notes: list[str] = []
    kwargs: dict[str, Any] = {
        "model": call.model,
        "instructions": call.instructions,
        "input": [{"type": "message", "role": "user", "content": _content(call)}],
        "tools": [_tool(call, streaming, notes)],
        "tool_choice": {"type": "image_generation"},
        "store": True,
    }
    if streaming:
        kwargs["stream"] = True
    if call.previous_response_id:
        kwargs["previous_response_id"] = call.previous_response_id
    if call.conversation_id:
        kwargs["conversation"] = call.conversation_id
    if max_output_tokens is not None:
        kwargs["max_output_tokens"] = max_output_tokens
    identifier = call.safety_identifier or safety_identifier
    if identifier:
        kwargs["safety_identifier"] = identifier
    return TurnPlan(
        kwargs=kwargs,
        stream=streaming,
        model=call.model,
        image_model=call.tool.model,
        output_format=call.tool.output_format,
        width=size[0] if size else None,
        height=size[1] if size else None,
        partial_images=call.tool.partial_images if streaming else 0,
        notes=notes,
    )
