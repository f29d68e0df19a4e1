"""Pricing a conversation turn of the Responses API: the driving text model's tokens plus the image tool's.

A Responses turn bills two models (reference ``openai-images-api.md`` §2.5, "Responses tool: you also pay the
mainline model's tokens"):

* the **text model** (``TurnCall.model``, e.g. ``gpt-5``) for ``usage``: :attr:`TurnUsage.input_text_tokens`
  (the instructions, the message, its images and the conversation so far; :attr:`TurnUsage.input_cached_tokens`
  of them at the cached rate) and :attr:`TurnUsage.output_text_tokens` (its answer and reasoning);
* the **image tool** (``ImageToolParams.model``, e.g. ``gpt-image-2``) for ``tool_usage.image_gen``:
  :attr:`TurnUsage.tool_input_text_tokens`, :attr:`TurnUsage.tool_input_image_tokens` and
  :attr:`TurnUsage.output_image_tokens` (partial images included), at the image model's rates.

The reference states no price for any text model, so :data:`~brandkit.provider.pricing.DEFAULT_PRICES` has
none: give one as an entry of your :class:`PriceTable` (``tokens={"gpt-5": TokenPrices(text_input=…,
text_cached_input=…, image_input=…, image_output=…, text_output=…)}`` — ``image_input`` is what the text model
bills an input image token, ``text_output`` its output tokens). Without it a turn's text tokens are **not
priced**: :func:`turn_cost` says so in its notes (the turn's ``cost_usd`` then covers the image tool only — never
a silent 0 for the text part) and :func:`turn_worst_case` returns ``None`` (a budget cannot be reserved).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from brandkit.models import Usage
from brandkit.provider.conversation import ImageToolParams, TurnCall, TurnUsage
from brandkit.provider.pricing import PriceTable, TokenPrices

__all__ = ["TurnCost", "tool_size", "turn_cost", "turn_worst_case"]


@dataclass(frozen=True)
class TurnCost:
    """The USD of one turn: ``usd`` (what could be priced), whether every part was priced, and why not."""

    usd: float
    priced: bool
    notes: tuple[str, ...] = ()


def tool_size(tool: ImageToolParams) -> tuple[int, int] | None:
    """``(width, height)`` of the tool's ``WIDTHxHEIGHT`` size (``None`` for ``auto`` or a malformed size)."""
    left, sep, right = tool.size.partition("x")
    if not sep or not (left.isdigit() and right.isdigit()):
        return None
    return int(left), int(right)


def _text_prices(prices: PriceTable, model: str) -> TokenPrices | None:
    try:
        return prices.token_prices(model)
    except ValueError:
        return None


def _unpriced_text(model: str, usage: TurnUsage) -> str:
    return (
        f"the text model {model}'s {usage.input_text_tokens} input and {usage.output_text_tokens} output tokens are "
        f"not priced: the price table has no entry for {model!r} (pass prices=PriceTable(tokens={{..., "
        f"{model!r}: TokenPrices(...)}})); cost_usd covers the image tool only"
    )


def turn_cost(
    prices: PriceTable,
    text_model: str,
    tool: ImageToolParams,
    usage: TurnUsage,
    *,
    tool_usage_reported: bool = True,
) -> TurnCost:
    """The USD billed for one turn's ``usage`` (see the module docstring).

    When the answer carried no ``tool_usage`` (``tool_usage_reported`` false) the image is priced from the
    per-image table instead (an estimate, said in the notes).
    """
    notes: list[str] = []
    total = 0.0
    priced = True
    text = _text_prices(prices, text_model)
    if text is None:
        if usage.input_text_tokens or usage.output_text_tokens or usage.input_image_tokens:
            notes.append(_unpriced_text(text_model, usage))
            priced = False
    else:
        cached = min(max(usage.input_cached_tokens, 0), usage.input_text_tokens)
        cached_rate = text.text_input if text.text_cached_input is None else text.text_cached_input
        output_rate = text.image_output if text.text_output is None else text.text_output
        if text.text_output is None and usage.output_text_tokens:
            notes.append(
                f"{text_model} has no text output price: its output tokens are billed at its image output rate"
            )
        total += (
            (usage.input_text_tokens - cached) * text.text_input
            + cached * cached_rate
            + usage.input_image_tokens * text.image_input
            + usage.output_text_tokens * output_rate
        ) / 1_000_000
    try:
        if tool_usage_reported:
            total += prices.cost_from_usage(
                tool.model,
                Usage(
                    input_tokens=usage.tool_input_text_tokens + usage.tool_input_image_tokens,
                    input_text_tokens=usage.tool_input_text_tokens,
                    input_image_tokens=usage.tool_input_image_tokens,
                    output_tokens=usage.output_image_tokens,
                    output_image_tokens=usage.output_image_tokens,
                ),
            )
        else:
            size = tool_size(tool) or (1024, 1024)
            total += prices.estimate_cost(tool.model, tool.quality, size[0], size[1])
            notes.append(
                f"the answer reported no image tool usage: the {tool.model} image is priced from the per-image "
                f"table ({tool.quality}, {size[0]}x{size[1]}; an estimate)"
            )
    except ValueError as exc:
        notes.append(f"the image tool's tokens are not priced: {exc}")
        priced = False
    return TurnCost(usd=round(total, 8), priced=priced, notes=tuple(notes))


def turn_worst_case(
    prices: PriceTable,
    call: TurnCall,
    *,
    max_output_tokens: int,
    context_tokens: int,
    context_images: int,
) -> float | None:
    """The most ``call`` can cost in USD, or ``None`` when it cannot be bounded (a model without prices, a size
    of ``auto``).

    The bound: the text model reads every byte of the instructions and the message as one token (a token is at
    least one byte), ``context_tokens`` of conversation so far and each input image (the turn's, plus
    ``context_images`` earlier ones) as :attr:`PriceTable.input_image_tokens_max`, and writes at most
    ``max_output_tokens``; the image tool reads a prompt of at most ``max_output_tokens`` tokens (the text model
    writes it) and the same images, and makes one image with its partial images
    (:meth:`PriceTable.worst_case_cost`).
    """
    text = _text_prices(prices, call.model)
    size = tool_size(call.tool)
    if text is None or size is None:
        return None
    images = len(call.input_images) + max(0, context_images)
    try:
        tool = prices.worst_case_cost(
            call.tool.model,
            call.tool.quality,
            size[0],
            size[1],
            1,
            prompt_bytes=max_output_tokens,
            input_images=images,
            partial_images=call.tool.partial_images,
        )
    except ValueError:
        return None
    input_tokens = len(call.instructions.encode("utf-8")) + len(call.input_text.encode("utf-8")) + context_tokens
    output_rate = text.image_output if text.text_output is None else text.text_output
    text_usd = (
        input_tokens * text.text_input
        + images * prices.input_image_tokens_max * text.image_input
        + max_output_tokens * output_rate
    ) / 1_000_000
    return math.ceil((tool + text_usd) * 1_000_000 - 1e-6) / 1_000_000
