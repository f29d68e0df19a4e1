"""Prices of the OpenAI image models and the two ways brandkit computes a cost.

* :func:`cost_from_usage` bills a finished request from the token ``usage``
  the API returned (the accurate number: text in, image in, image out).
* :func:`estimate_cost` predicts the cost of a request before it is sent
  (dry runs, budgets) from the per-image output table. Sizes outside the
  table are an **estimate**: the 1024x1024 price scaled by pixel count
  (``price(1024x1024) * width * height / 1024**2``). Quality ``auto`` is
  estimated as ``high`` (the most it can cost). Input tokens are not included.
* :func:`worst_case_cost` bounds a request before it is sent (what budgets
  reserve): the per-image output price (quality ``auto`` as ``high``) plus
  100 output tokens per partial image, every prompt byte billed as one text
  input token (a token is at least one byte) and every input image (edit
  image, references, mask) billed as :attr:`PriceTable.input_image_tokens_max`
  image input tokens — an assumed bound: no input-token formula is published
  for gpt-image-2; it defaults to the largest per-image token count the
  reference lists (7,024: gpt-image-2 high 1024x1024), rounded up.

Prices are USD, per 1M tokens for :class:`TokenPrices` and per image for the
per-image table, from the reference (``shared/reference/openai-images-api.md``
§2.5). Batch requests cost half. Pass your own :class:`PriceTable` to the
provider (``OpenAIProvider(prices=...)``) when prices change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from brandkit.models import Usage

__all__ = [
    "DEFAULT_PRICES",
    "PriceTable",
    "TokenPrices",
    "cost_from_usage",
    "estimate_cost",
    "worst_case_cost",
]

_REFERENCE_EDGE = 1024
PARTIAL_IMAGE_TOKENS = 100
"""Output tokens billed per partial image (streaming), per the reference (§2.5)."""


@dataclass(frozen=True)
class TokenPrices:
    """USD per 1M tokens for one model.

    ``text_cached_input`` / ``image_cached_input`` are ``None`` when unknown
    (cached tokens are then billed at the uncached rate). ``text_output`` is
    ``None`` when unpublished: text output tokens are then billed at the image
    output rate (an upper bound).
    """

    text_input: float
    image_input: float
    image_output: float
    text_cached_input: float | None = None
    image_cached_input: float | None = None
    text_output: float | None = None


def _freeze(
    table: Mapping[str, Mapping[str, Mapping[str, float]]],
) -> Mapping[str, Mapping[str, Mapping[str, float]]]:
    return MappingProxyType(
        {
            model: MappingProxyType({quality: MappingProxyType(dict(sizes)) for quality, sizes in qualities.items()})
            for model, qualities in table.items()
        }
    )


@dataclass(frozen=True)
class PriceTable:
    """Token prices and per-image prices by model; immutable.

    ``per_image`` maps model → quality (``low``/``medium``/``high``) → size
    (``WIDTHxHEIGHT``) → USD per image. ``batch_factor`` multiplies every price
    for Batch API requests. Model snapshots (``gpt-image-2-2026-04-21``) use
    the longest listed name they start with (``gpt-image-2``).
    """

    tokens: Mapping[str, TokenPrices]
    per_image: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)
    batch_factor: float = 0.5
    input_image_tokens_max: int = 7_100
    """The most image input tokens one input image is assumed to cost (the worst-case bound; see the module)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", MappingProxyType(dict(self.tokens)))
        object.__setattr__(self, "per_image", _freeze(self.per_image))

    def model_key(self, model: str, table: Mapping[str, object] | None = None) -> str | None:
        """The table entry used for ``model`` (exact name, else the longest listed prefix), or ``None``."""
        names = self.tokens if table is None else table
        if model in names:
            return model
        matches = [name for name in names if model.startswith(name)]
        return max(matches, key=len) if matches else None

    def token_prices(self, model: str) -> TokenPrices:
        """Token prices for ``model``; raises ``ValueError`` naming the model when it is not listed."""
        key = self.model_key(model)
        if key is None:
            raise ValueError(
                f"no token prices for model {model!r} (known: {', '.join(sorted(self.tokens))}); "
                "pass prices=PriceTable(...) with an entry for it"
            )
        return self.tokens[key]

    def cost_from_usage(
        self,
        model: str,
        usage: Usage,
        *,
        batch: bool = False,
        cached_text_tokens: int = 0,
        cached_image_tokens: int = 0,
    ) -> float:
        """USD billed for ``usage`` (text in, image in, image/text out; cached input at the cached rate).

        When the input breakdown is missing, every input token is billed as text;
        when the output breakdown is missing, every output token is billed as image.
        """
        prices = self.token_prices(model)
        text_in = usage.input_text_tokens
        image_in = usage.input_image_tokens
        if text_in + image_in == 0 and usage.input_tokens:
            text_in = usage.input_tokens
        image_out = usage.output_image_tokens
        text_out = usage.output_text_tokens
        if image_out + text_out == 0 and usage.output_tokens:
            image_out = usage.output_tokens
        cached_text = min(max(cached_text_tokens, 0), text_in)
        cached_image = min(max(cached_image_tokens, 0), image_in)
        total = (
            (text_in - cached_text) * prices.text_input
            + cached_text * _or(prices.text_cached_input, prices.text_input)
            + (image_in - cached_image) * prices.image_input
            + cached_image * _or(prices.image_cached_input, prices.image_input)
            + image_out * prices.image_output
            + text_out * _or(prices.text_output, prices.image_output)
        ) / 1_000_000
        return round(total * (self.batch_factor if batch else 1.0), 8)

    def estimate_cost(
        self,
        model: str,
        quality: str,
        width: int,
        height: int,
        n: int = 1,
        *,
        batch: bool = False,
    ) -> float:
        """Estimated USD for ``n`` output images (see the module docstring for the rules).

        Raises ``ValueError`` for an unlisted model or quality, or a non-positive size or ``n``.
        """
        if width <= 0 or height <= 0 or n <= 0:
            raise ValueError(f"estimate_cost needs a positive size and n, got {width}x{height}, n={n}")
        key = self.model_key(model, self.per_image)
        if key is None:
            raise ValueError(f"no per-image prices for model {model!r} (known: {', '.join(sorted(self.per_image))})")
        by_quality = self.per_image[key]
        chosen = "high" if quality == "auto" else quality
        if chosen not in by_quality:
            raise ValueError(
                f"no per-image price for quality {quality!r} of {key} (known: {', '.join(sorted(by_quality))}, auto)"
            )
        sizes = by_quality[chosen]
        size = f"{width}x{height}"
        if size in sizes:
            each = sizes[size]
        else:
            square = sizes.get(f"{_REFERENCE_EDGE}x{_REFERENCE_EDGE}")
            if square is None:
                raise ValueError(f"no {_REFERENCE_EDGE}x{_REFERENCE_EDGE} price for {key} {chosen} to scale from")
            each = square * (width * height) / (_REFERENCE_EDGE * _REFERENCE_EDGE)
        return round(each * n * (self.batch_factor if batch else 1.0), 6)

    def worst_case_cost(
        self,
        model: str,
        quality: str,
        width: int,
        height: int,
        n: int = 1,
        *,
        prompt_bytes: int = 0,
        input_images: int = 0,
        partial_images: int = 0,
        batch: bool = False,
    ) -> float:
        """The most a request can cost in USD (see the module docstring): what a budget reserves before
        sending. Raises ``ValueError`` like :meth:`estimate_cost` for an unlisted model or quality."""
        output = self.estimate_cost(model, quality, width, height, n)
        prices = self.token_prices(model)
        tokens = (
            max(0, partial_images) * PARTIAL_IMAGE_TOKENS * n * prices.image_output
            + max(0, prompt_bytes) * prices.text_input
            + max(0, input_images) * self.input_image_tokens_max * prices.image_input
        )
        total = output + tokens / 1_000_000
        # rounded up to the micro-dollar: a bound must never round below the bill
        return math.ceil(total * (self.batch_factor if batch else 1.0) * 1_000_000 - 1e-6) / 1_000_000


def _or(value: float | None, fallback: float) -> float:
    return fallback if value is None else value


def _sizes(square: float, portrait: float, landscape: float) -> dict[str, float]:
    return {"1024x1024": square, "1024x1536": portrait, "1536x1024": landscape}


DEFAULT_PRICES = PriceTable(
    tokens={
        "gpt-image-2": TokenPrices(
            text_input=5.00,
            text_cached_input=1.25,
            image_input=8.00,
            image_cached_input=2.00,
            image_output=30.00,
        ),
        "gpt-image-1.5": TokenPrices(text_input=5.00, image_input=8.00, image_cached_input=2.00, image_output=32.00),
        "gpt-image-1": TokenPrices(
            text_input=5.00,
            text_cached_input=1.25,
            image_input=10.00,
            image_cached_input=2.50,
            image_output=40.00,
        ),
        "gpt-image-1-mini": TokenPrices(
            text_input=2.00,
            text_cached_input=0.20,
            image_input=2.50,
            image_cached_input=0.25,
            image_output=8.00,
        ),
    },
    per_image={
        "gpt-image-2": {
            "low": _sizes(0.006, 0.005, 0.005),
            "medium": _sizes(0.053, 0.041, 0.041),
            "high": _sizes(0.211, 0.165, 0.165),
        },
        "gpt-image-1.5": {
            "low": _sizes(0.009, 0.013, 0.013),
            "medium": _sizes(0.034, 0.05, 0.05),
            "high": _sizes(0.133, 0.2, 0.2),
        },
        "gpt-image-1": {
            "low": _sizes(0.011, 0.016, 0.016),
            "medium": _sizes(0.042, 0.063, 0.063),
            "high": _sizes(0.167, 0.25, 0.25),
        },
        "gpt-image-1-mini": {
            "low": _sizes(0.005, 0.006, 0.006),
            "medium": _sizes(0.011, 0.015, 0.015),
            "high": _sizes(0.036, 0.052, 0.052),
        },
    },
)
"""The reference's prices (§2.5 of ``openai-images-api.md``); immutable."""


def cost_from_usage(
    model: str,
    usage: Usage,
    prices: PriceTable = DEFAULT_PRICES,
    *,
    batch: bool = False,
    cached_text_tokens: int = 0,
    cached_image_tokens: int = 0,
) -> float:
    """USD billed for ``usage`` on ``model`` (see :meth:`PriceTable.cost_from_usage`)."""
    return prices.cost_from_usage(
        model,
        usage,
        batch=batch,
        cached_text_tokens=cached_text_tokens,
        cached_image_tokens=cached_image_tokens,
    )


def estimate_cost(
    model: str,
    quality: str,
    width: int,
    height: int,
    n: int = 1,
    prices: PriceTable = DEFAULT_PRICES,
    *,
    batch: bool = False,
) -> float:
    """Estimated USD for ``n`` images before sending (see :meth:`PriceTable.estimate_cost`)."""
    return prices.estimate_cost(model, quality, width, height, n, batch=batch)


def worst_case_cost(
    model: str,
    quality: str,
    width: int,
    height: int,
    n: int = 1,
    prices: PriceTable = DEFAULT_PRICES,
    *,
    prompt_bytes: int = 0,
    input_images: int = 0,
    partial_images: int = 0,
    batch: bool = False,
) -> float:
    """The most a request can cost (see :meth:`PriceTable.worst_case_cost`)."""
    return prices.worst_case_cost(
        model,
        quality,
        width,
        height,
        n,
        prompt_bytes=prompt_bytes,
        input_images=input_images,
        partial_images=partial_images,
        batch=batch,
    )
