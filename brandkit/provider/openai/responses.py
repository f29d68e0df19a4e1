"""Reading OpenAI answers: images (checked against the plan, billed) and moderation scores.

Pure functions of a parsed SDK answer, shared by the sync and async paths of
:class:`~brandkit.provider.openai.client.OpenAIProvider` and by the Batch engine (which reads its output
file's bodies through :meth:`~brandkit.provider.openai.client.OpenAIProvider.images_result`). A malformed
answer raises :class:`~brandkit.errors.ProviderResponseError` through the ``fail`` callback the provider gives
(it redacts and attaches the answer's rate-limit record).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Protocol

from pydantic import BaseModel

from brandkit.errors import ImageInputError, ProviderResponseError
from brandkit.imageio import detect_format, load_image
from brandkit.models import RenderedImage, Usage
from brandkit.provider.openai.plan import RenderPlan

__all__ = ["Fail", "decode_b64_image", "read_images", "read_moderation", "usage_of"]


class Fail(Protocol):
    """Builds the error for an unusable answer: ``fail(problem, retryable=True)``."""

    def __call__(self, problem: str, *, retryable: bool = True) -> ProviderResponseError: ...


def _decode(position: int, item: Any, fail: Fail) -> tuple[bytes, int, int]:
    encoded = getattr(item, "b64_json", None)
    if not isinstance(encoded, str) or not encoded:
        raise fail(f"image {position} has no b64_json")
    return decode_b64_image(f"image {position}", encoded, fail)


def decode_b64_image(what: str, encoded: Any, fail: Fail) -> tuple[bytes, int, int]:
    """``(bytes, width, height)`` of a base64 image answer (``what`` names it in the error ``fail`` builds
    for a missing, non-base64 or undecodable image). Shared with the Responses API reader."""
    if not isinstance(encoded, str) or not encoded:
        raise fail(f"{what} has no image data")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise fail(f"{what}: invalid base64 ({exc})") from exc
    try:
        decoded = load_image(blob)
    except ImageInputError as exc:
        raise fail(f"{what}: {exc}") from exc
    return blob, decoded.width, decoded.height


def read_images(plan: RenderPlan, parsed: Any, fail: Fail) -> list[RenderedImage]:
    """Each image of a parsed ``ImagesResponse``, base64-decoded, decoded and checked against the plan's
    format and size."""
    data = getattr(parsed, "data", None)
    if not isinstance(data, list) or not data:
        raise fail("no images in the answer")
    images: list[RenderedImage] = []
    for position, item in enumerate(data):
        blob, width, height = _decode(position, item, fail)
        fmt = detect_format(blob)
        if fmt != plan.output_format:
            raise fail(f"image {position} is {fmt}, expected {plan.output_format}", retryable=False)
        if plan.width is not None and (width, height) != (plan.width, plan.height):
            raise fail(f"image {position} is {width}x{height}, expected {plan.width}x{plan.height}", retryable=False)
        images.append(RenderedImage(data=blob, output_format=fmt, width=width, height=height))
    return images


def read_moderation(parsed: Any, fail: Fail) -> tuple[dict[str, float], bool]:
    """The highest score per category over the results of a parsed moderation answer, and whether any was
    flagged."""
    results = getattr(parsed, "results", None)
    if not isinstance(results, list) or not results:
        raise fail("no results in the answer")
    scores: dict[str, float] = {}
    flagged = False
    for item in results:
        category_scores = getattr(item, "category_scores", None)
        if not isinstance(category_scores, BaseModel):
            raise fail("a result has no category_scores")
        for category, value in category_scores.model_dump(by_alias=True, exclude_none=True).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                scores[category] = max(float(value), scores.get(category, 0.0))
        flagged = flagged or bool(getattr(item, "flagged", False))
    return scores, flagged


def usage_of(raw: Any) -> Usage | None:
    """Our :class:`Usage` from the SDK's usage object (``None`` when the answer has none)."""
    if raw is None:
        return None

    def number(obj: Any, name: str) -> int:
        value = getattr(obj, name, None) if obj is not None else None
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

    input_details = getattr(raw, "input_tokens_details", None)
    output_details = getattr(raw, "output_tokens_details", None)
    output_tokens = number(raw, "output_tokens")
    image_out = number(output_details, "image_tokens")
    text_out = number(output_details, "text_tokens")
    if output_details is None:
        image_out = output_tokens
    return Usage(
        input_tokens=number(raw, "input_tokens"),
        input_text_tokens=number(input_details, "text_tokens"),
        input_image_tokens=number(input_details, "image_tokens"),
        output_tokens=output_tokens,
        output_image_tokens=image_out,
        output_text_tokens=text_out,
    )
