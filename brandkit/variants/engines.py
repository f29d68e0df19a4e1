"""How a variant run's image requests travel: the :class:`Engine` protocol and its two implementations.

* :class:`LiveEngine` (``live``) — one request per image, each through the run's
  :class:`~brandkit.variants.ratelimit.AdaptiveRateLimiter`;
* :class:`BatchEngine` (``openai-batch``) — every image request through the OpenAI Batch API (half price,
  results within the 24 h completion window; see :mod:`brandkit.provider.openai_batch`); moderation stays
  live and rate limited.

:func:`engine_for` turns the engine's name (the CLI's ``--engine``) into one, checking it fits the provider.
The runner and the dry run ask the engine; nothing else tests the engine's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from brandkit.errors import ProviderError, RequestError
from brandkit.provider.base import ImageProvider, Moderator, StatesPrices
from brandkit.provider.pricing import DEFAULT_PRICES, PriceTable
from brandkit.provider.retry import RetryPolicy
from brandkit.spec.models import BrandSpec
from brandkit.variants.plan import ExpandedPlan, PlanError, Variant
from brandkit.variants.ratelimit import AdaptiveRateLimiter, wrap

__all__ = [
    "BATCH_ENGINES",
    "BATCH_STATE_NAME",
    "ENGINES",
    "WORKERS_PER_REQUEST_SLOT",
    "BatchEngine",
    "Billed",
    "Engine",
    "EngineProviders",
    "LiveEngine",
    "ProviderInput",
    "engine_for",
    "prices_of",
    "provider_label",
]

ProviderInput = str | ImageProvider | Callable[[BrandSpec], ImageProvider]

ENGINES = ("live", "openai-batch")
"""``live``: one request per image, rate limited. ``openai-batch``: every request through the OpenAI Batch
API (half price, results within the 24 h completion window; see :mod:`brandkit.provider.openai_batch`)."""
BATCH_ENGINES = frozenset({"openai-batch"})
"""The engines that take ``batch_options``."""
BATCH_STATE_NAME = "batch-state.jsonl"
WORKERS_PER_REQUEST_SLOT = 2
"""Variants in progress per request slot: while some wait for the provider, others run checks and save."""


class Billed(Protocol):
    """What the runner needs of each provider it made: the spend it saw, and a way to close it."""

    spent_usd: float

    async def aclose(self) -> None:
        """Close the provider's clients."""


@dataclass
class EngineProviders:
    """The providers an engine made for a run: one per spec id, the distinct ones (their spend is the
    session's), and those whose clients the run closes."""

    by_spec: dict[str, ImageProvider]
    billed: list[Billed]
    owned: list[Billed] = field(default_factory=list)
    release: Callable[[], None] | None = None
    """Called after each variant settles (the batch engine frees a slot for the next answer to check)."""


def prices_of(provider: object) -> PriceTable:
    """The price table a provider states (its own, or the one it wraps: :class:`StatesPrices`), else the
    default table."""
    table = provider.price_table() if isinstance(provider, StatesPrices) else None
    return table if table is not None else DEFAULT_PRICES


def provider_label(provider: ProviderInput | None) -> str:
    """The provider's name as the journal, the manifest and the dry run show it."""
    if isinstance(provider, str):
        return provider
    name = provider.name if isinstance(provider, ImageProvider) else None
    return str(name or "custom")


class Engine(Protocol):
    """How a run's image requests travel (see module docstring)."""

    name: str
    """``live`` or ``openai-batch`` (the journal and the CLI's ``--engine``)."""
    favours_renders: bool
    """Whether renders go through the run's limiter (then renders get its free slots in the last round)."""

    def label(self, provider_label: str) -> str:
        """The provider label of the journal and manifest."""
        ...

    def dry_run_label(self, provider_label: str) -> str:
        """The provider as the dry run shows it."""
        ...

    def price_factor(self, prices: PriceTable) -> float:
        """What share of the price table a render costs."""
        ...

    def notes(self, prices: PriceTable) -> list[str]:
        """Extra lines of the dry run."""
        ...

    def preflight(self, plan: ExpandedPlan, variants: Sequence[Variant], compiled: Mapping[str, Any]) -> None:
        """Raise PlanError listing each variant the engine cannot carry; nothing is sent."""
        ...

    def workers(self, todo: int, concurrency: int) -> int:
        """How many variants are in progress at once."""
        ...

    def providers(
        self,
        chosen: ProviderInput,
        specs: Mapping[str, BrandSpec],
        limiter: AdaptiveRateLimiter,
        provider_options: Mapping[str, Any],
        in_flight: int,
        out: Path,
    ) -> EngineProviders:
        """One provider per spec, rate limited by ``limiter`` with at most ``in_flight`` requests at once."""
        ...


class LiveEngine:
    """One request per image, each through the run's rate limiter."""

    name = "live"
    favours_renders = True

    def label(self, provider_label: str) -> str:
        """The provider's own label."""
        return provider_label

    def dry_run_label(self, provider_label: str) -> str:
        """The provider's own label."""
        return provider_label

    def price_factor(self, prices: PriceTable) -> float:
        """List price."""
        return 1.0

    def notes(self, prices: PriceTable) -> list[str]:
        """Nothing to add."""
        return []

    def preflight(self, plan: ExpandedPlan, variants: Sequence[Variant], compiled: Mapping[str, Any]) -> None:
        """Every compiled request goes live as it is."""

    def workers(self, todo: int, concurrency: int) -> int:
        """Twice the request slots: checks and saving overlap the next requests."""
        return max(1, concurrency) * WORKERS_PER_REQUEST_SLOT

    def providers(
        self,
        chosen: ProviderInput,
        specs: Mapping[str, BrandSpec],
        limiter: AdaptiveRateLimiter,
        provider_options: Mapping[str, Any],
        in_flight: int,
        out: Path,
    ) -> EngineProviders:
        """A provider object shared by the specs gets one wrapper, so ``in_flight`` bounds its requests overall."""
        from brandkit.provider import check_provider_options, make_provider
        from brandkit.provider.local import LocalRenderer

        check_provider_options(chosen, provider_options)  # none is dropped without a word
        if chosen == "local" or isinstance(chosen, LocalRenderer):  # the local renderer is bound to its spec
            local = {sid: wrap(LocalRenderer(spec), limiter, max_in_flight=in_flight) for sid, spec in specs.items()}
            return EngineProviders(dict(local), list(local.values()))
        owned: list[Billed] = []
        if chosen == "openai":
            options = dict(provider_options)
            retry = options.pop("retry", None) or RetryPolicy()
            inner = make_provider("openai", next(iter(specs.values())), retry=RetryPolicy.never(), **options)
            shared = wrap(inner, limiter, retry, max_in_flight=in_flight)
            owned.append(shared)
        elif isinstance(chosen, str):
            raise RequestError(f"unknown provider {chosen!r}: use 'local', 'openai' or a provider object", "provider")
        elif isinstance(chosen, ImageProvider):
            shared = wrap(chosen, limiter, max_in_flight=in_flight)
        else:  # a factory per spec
            made = {sid: wrap(chosen(spec), limiter, max_in_flight=in_flight) for sid, spec in specs.items()}
            return EngineProviders(dict(made), list(made.values()))
        return EngineProviders(dict.fromkeys(specs, shared), [shared], owned)


@dataclass(frozen=True)
class BatchEngine:
    """Every image request through the OpenAI Batch API: every variant to make waits on its request at once,
    the requests go out as batches, the answers are checked and repaired locally (a regeneration goes into a
    later batch). ``options`` go to :class:`~brandkit.provider.openai_batch.OpenAIBatchProvider`
    (``poll_interval_s``, ``gather_s`` …); its state (``DIR/batch-state.jsonl``) makes resume re-attach to the
    batches already submitted instead of paying for them again."""

    options: Mapping[str, Any] = field(default_factory=dict)
    name = "openai-batch"
    favours_renders = False

    def label(self, provider_label: str) -> str:
        """Always ``openai-batch``."""
        return self.name

    def dry_run_label(self, provider_label: str) -> str:
        """``<provider> (batch)``."""
        return f"{provider_label} (batch)"

    def price_factor(self, prices: PriceTable) -> float:
        """The Batch share of the table (half)."""
        return prices.batch_factor

    def notes(self, prices: PriceTable) -> list[str]:
        """The Batch prices and the completion window."""
        factor = self.price_factor(prices)
        window = "results arrive within the 24 h completion window"
        return [f"engine openai-batch: Batch API prices (×{factor:g}); {window}"]

    def preflight(self, plan: ExpandedPlan, variants: Sequence[Variant], compiled: Mapping[str, Any]) -> None:
        """Raise PlanError listing each variant the Batch API cannot carry (e.g. an edit at a custom size)."""
        from brandkit.errors import SpecIssue
        from brandkit.models import RenderCall
        from brandkit.provider.openai import LocalParameterError, plan_render
        from brandkit.provider.openai_batch import check_batchable

        issues: list[SpecIssue] = []
        for variant in variants:
            try:
                check_batchable(plan_render(RenderCall(prompt=compiled[variant.key]), transport="batch"))
            except ProviderError as exc:  # LocalParameterError names the field and value
                field, value = (exc.field, exc.value) if isinstance(exc, LocalParameterError) else ("request", None)
                issues.append(SpecIssue(plan.plan.source, f"variant {variant.name} ({field})", str(exc), value))
        if issues:
            raise PlanError(
                f"{plan.plan.source}: {len(issues)} variant(s) cannot go through the Batch API; nothing was sent",
                issues,
            )

    def workers(self, todo: int, concurrency: int) -> int:
        """Every variant's request must be waiting to go into the same batch."""
        return max(1, todo)

    def providers(
        self,
        chosen: ProviderInput,
        specs: Mapping[str, BrandSpec],
        limiter: AdaptiveRateLimiter,
        provider_options: Mapping[str, Any],
        in_flight: int,
        out: Path,
    ) -> EngineProviders:
        """Every spec shares one :class:`~brandkit.provider.openai_batch.OpenAIBatchProvider`; its state file in
        ``out`` makes the run resumable."""
        from brandkit.provider.openai import OpenAIProvider
        from brandkit.provider.openai_batch import OpenAIBatchProvider

        if isinstance(chosen, OpenAIBatchProvider):
            batch, owned = chosen, False
        else:
            api = chosen if isinstance(chosen, OpenAIProvider) else OpenAIProvider(**provider_options)
            moderator = wrap(api, limiter, max_in_flight=in_flight)
            assert isinstance(moderator, Moderator)  # OpenAIProvider moderates, so its wrapper does too
            options = {"delivery_slots": in_flight * WORKERS_PER_REQUEST_SLOT, **self.options}
            batch = OpenAIBatchProvider(api, state_path=out / BATCH_STATE_NAME, moderator=moderator, **options)
            owned = not isinstance(chosen, OpenAIProvider)
        return EngineProviders(dict.fromkeys(specs, batch), [batch], [batch] if owned else [], batch.release_delivery)


def engine_for(name: str, provider: ProviderInput | None, options: Mapping[str, Any] | None = None) -> Engine:
    """The engine called ``name`` (``live`` / ``openai-batch``) for ``provider``; RequestError (field ``engine``)
    for an unknown name, or the Batch engine with a provider other than OpenAI's. ``options`` go to the batch
    provider."""
    if name not in ENGINES:
        raise RequestError(f"unknown engine {name!r}: use one of {', '.join(ENGINES)}", "engine", name)
    if name not in BATCH_ENGINES:
        if options:
            raise RequestError(
                f"batch options {sorted(options)} need engine openai-batch, not {name!r}", "batch_options"
            )
        return LiveEngine()
    if not (provider == "openai" or _is_openai_object(provider)):
        raise RequestError(
            f"engine openai-batch needs the OpenAI provider, not {provider_label(provider)!r}", "engine", name
        )
    return BatchEngine(dict(options or {}))


def _is_openai_object(provider: object) -> bool:
    from brandkit.provider.openai import OpenAIProvider
    from brandkit.provider.openai_batch import OpenAIBatchProvider

    return isinstance(provider, OpenAIProvider | OpenAIBatchProvider)
