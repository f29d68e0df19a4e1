"""What the loopback ``/v1/responses`` answers a turn with: its image, partial images, usage and objects.

Pure helpers of :mod:`tests.support.responses_routes`: :func:`plan_turn` makes a :class:`Turn` from the request
body and the response it continues; :func:`response_object` shapes a contract-valid ``Response``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from tests.support.openai_server import render_image

__all__ = ["StoredResponse", "Turn", "image_tool", "message_parts", "paint", "plan_turn", "response_object", "size_of"]

ImageFactory = Callable[[int, int, str, bool, Mapping[str, Any]], bytes]

_OUTPUT_TOKENS = {"low": 196, "medium": 1756, "high": 7024, "auto": 1756}  # gpt-image-2 at 1024x1024
_PARTIAL_TOKENS = 100


@dataclasses.dataclass
class StoredResponse:
    """A response the server made: its JSON, its image and the tokens of its whole context."""

    body: dict[str, Any]
    image: bytes
    context_tokens: int
    chain: list[str]


def image_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    for tool in body.get("tools") or []:
        if isinstance(tool, dict) and tool.get("type") == "image_generation":
            return tool
    return None


def message_parts(body: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(texts, image URLs) of the request's ``input``."""
    value = body.get("input")
    if isinstance(value, str):
        return [value], []
    texts: list[str] = []
    images: list[str] = []
    for item in value or []:
        content = item.get("content") if isinstance(item, dict) else None
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content or []:
            if part.get("type") == "input_text":
                texts.append(str(part.get("text", "")))
            elif part.get("type") == "input_image" and part.get("image_url"):
                images.append(str(part["image_url"]))
    return texts, images


def paint(width: int, height: int, output_format: str, transparent: bool, seed: bytes, fade: float = 1.0) -> bytes:
    """A real image that depends on ``seed`` (background and block colours), faded toward grey by ``1 - fade``."""
    from PIL import Image

    base = Image.open(io.BytesIO(render_image(width, height, "png", transparent)))
    tint = Image.new(base.mode, base.size, tuple(seed[:3]) + ((255,) if base.mode == "RGBA" else ()))
    image = Image.blend(base, tint, 0.35)
    if fade < 1.0:
        grey = Image.new(image.mode, image.size, (128, 128, 128) + ((255,) if image.mode == "RGBA" else ()))
        image = Image.blend(grey, image, max(0.0, fade))
    buffer = io.BytesIO()
    if output_format == "png":
        image.save(buffer, "PNG", compress_level=1)
    elif output_format == "jpeg":
        image.convert("RGB").save(buffer, "JPEG", quality=80)
    else:
        image.save(buffer, "WEBP", quality=80)
    return buffer.getvalue()


def size_of(tool: dict[str, Any]) -> tuple[int, int]:
    left, _, right = str(tool.get("size") or "auto").partition("x")
    return (int(left), int(right)) if left.isdigit() and right.isdigit() else (1024, 1024)


def response_object(
    response_id: str, body: dict[str, Any], status: str, output: list[dict[str, Any]], created: int
) -> dict[str, Any]:
    """A contract-shaped ``Response`` object echoing the request."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": status,
        "completed_at": int(time.time()) if status == "completed" else None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": body.get("model"),
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "store": body.get("store", True) is not False,
        "temperature": 1.0,
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": 1.0,
        "truncation": "disabled",
        "metadata": {},
        "safety_identifier": body.get("safety_identifier"),
    }


@dataclasses.dataclass
class Turn:
    """Everything one create answers with."""

    response_id: str
    item_id: str
    body: dict[str, Any]
    tool: dict[str, Any]
    image: bytes
    partials: list[bytes]
    usage: dict[str, Any]
    tool_usage: dict[str, Any]
    context_tokens: int
    chain: list[str]
    created: int

    def item(self, status: str, result: str | None) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "image_generation_call", "id": self.item_id, "status": status, "result": result}
        if result is not None:
            item["revised_prompt"] = "loopback: " + " ".join(message_parts(self.body)[0])[:200]
        return item

    def response(self, status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
        response = response_object(self.response_id, self.body, status, output, self.created)
        if status == "completed":
            response["usage"] = self.usage
            response["tool_usage"] = self.tool_usage
        return response


def plan_turn(
    image_factory: ImageFactory | None, previous: StoredResponse | None, body: dict[str, Any], tool: dict[str, Any]
) -> Turn:
    """Everything a create answers with: the image (depending on the request and ``previous``'s image, or
    painted by the server's ``image_factory``), the partial images, usage and tool usage."""
    texts, images = message_parts(body)
    digest = hashlib.sha256()
    for part in [str(body.get("instructions") or ""), *texts, *images]:
        digest.update(part.encode("utf-8"))
    if previous is not None:
        digest.update(previous.image)
    width, height = size_of(tool)
    fmt = str(tool.get("output_format") or "png")
    transparent = tool.get("background") == "transparent"
    seed = digest.digest()
    factory = image_factory
    image = (
        factory(width, height, fmt, transparent, {**tool, "prompt": " ".join(texts)})
        if factory is not None
        else paint(width, height, fmt, transparent, seed)
    )
    count = int(tool.get("partial_images") or 0) if body.get("stream") else 0
    partials = [paint(width, height, fmt, transparent, seed, fade=(k + 1) / (count + 1)) for k in range(count)]
    context = previous.context_tokens if previous is not None else 0
    context_images = 1 if previous is not None else 0
    text_in = len(str(body.get("instructions") or "")) // 4 + sum(len(text) // 4 for text in texts) + 85 * len(images)
    text_out = 64
    tool_text = max(1, sum(len(text) for text in texts) // 4)
    tool_images = 323 * (len(images) + context_images)
    scale = max(1.0, width * height / (1024 * 1024))
    image_out = int(_OUTPUT_TOKENS.get(str(tool.get("quality") or "auto"), 1756) * scale) + _PARTIAL_TOKENS * count
    input_tokens = text_in + context
    cached = min(context, input_tokens)
    usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": text_out,
        "output_tokens_details": {"reasoning_tokens": 32},
        "total_tokens": input_tokens + text_out,
    }
    tool_usage = {
        "image_gen": {
            "input_tokens": tool_text + tool_images,
            "input_tokens_details": {"text_tokens": tool_text, "image_tokens": tool_images},
            "output_tokens": image_out,
            "output_tokens_details": {"image_tokens": image_out, "text_tokens": 0},
            "total_tokens": tool_text + tool_images + image_out,
        },
        "web_search": {"num_requests": 0},
    }
    return Turn(
        response_id=f"resp_{uuid.uuid4().hex}",
        item_id=f"ig_{uuid.uuid4().hex[:24]}",
        body=body,
        tool=tool,
        image=image,
        partials=partials,
        usage=usage,
        tool_usage=tool_usage,
        context_tokens=input_tokens + text_out,
        chain=list(previous.chain) if previous is not None else [],
        created=int(time.time()),
    )
