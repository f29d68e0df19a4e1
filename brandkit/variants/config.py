"""The settings of one variant run as one typed model (:class:`RunConfig`), instead of a long parameter list."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, SkipValidation, model_validator

from brandkit.checks.base import Check
from brandkit.errors import RequestError
from brandkit.provider.base import ImageProvider
from brandkit.variants.engines import Engine, ProviderInput, engine_for
from brandkit.variants.progress import ProgressSink, VariantRecorder

__all__ = ["KitLike", "RunConfig"]


class KitLike(Protocol):
    """What a run takes from a kit given as ``kit=``: its provider (its checks and budget come as settings)."""

    provider: ImageProvider


class RunConfig(BaseModel):
    """How to make a plan's variants (see :func:`~brandkit.variants.runner.arun_variants` for each field).

    Immutable; a bad value raises :class:`~brandkit.errors.RequestError` naming the field.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    provider: SkipValidation[ProviderInput | None] = "openai"
    """``"openai"``, ``"local"``, a provider object (shared by every spec) or a factory ``spec -> provider``."""
    kit: SkipValidation[KitLike | None] = None
    """Use this kit's provider instead of ``provider``."""
    concurrency: int = 4
    """Provider requests in flight at once (twice as many variants in progress)."""
    budget_usd: float | None = None
    """Run budget: no call is sent whose worst case could pass it."""
    resume: bool = False
    retry_failed: bool = False
    progress: SkipValidation[ProgressSink | bool | None] = None
    """A :class:`~brandkit.variants.progress.ProgressSink`; ``None``/``False``: none (the CLI draws its bar)."""
    rate_window_s: float = 60.0
    rate_limit: int | None = None
    checks: SkipValidation[Sequence[Check] | None] = None
    max_attempts: int | None = None
    max_spend_usd: float | None = None
    engine: str = "live"
    batch_options: SkipValidation[Mapping[str, Any] | None] = None
    allow_paths: SkipValidation[Sequence[str | os.PathLike[str]]] = ()
    recorder: SkipValidation[VariantRecorder | None] = None
    provider_options: dict[str, Any] = Field(default_factory=dict)
    """Options of the OpenAI provider (``api_key``, ``base_url``, ``timeout``, ``retry`` …); never shown in the repr."""

    @model_validator(mode="after")
    def _checked(self) -> RunConfig:
        if self.concurrency < 1:
            value = self.concurrency
            raise RequestError(f"concurrency must be at least 1, got {value}", "concurrency", value)
        if self.budget_usd is not None and self.budget_usd < 0:
            raise RequestError(f"budget must not be negative, got {self.budget_usd}", "budget", self.budget_usd)
        if self.progress is True:
            raise RequestError(
                "progress=True: the progress bar is the CLI's now; pass a ProgressSink "
                "(e.g. brandkit.cli.progress.RichProgress) or leave it out",
                "progress",
                True,
            )
        self.make_engine()  # an unknown engine, or the Batch engine with another provider
        return self

    @property
    def chosen_provider(self) -> ProviderInput:
        """The provider the run uses: the kit's, else ``provider`` (default ``"openai"``)."""
        if self.kit is not None:
            return self.kit.provider
        return self.provider or "openai"

    @property
    def progress_sink(self) -> ProgressSink | None:
        """The sink told about progress, if any."""
        return None if isinstance(self.progress, bool) else self.progress

    def make_engine(self) -> Engine:
        """The engine this run sends its image requests through."""
        provider = self.kit.provider if self.kit is not None else self.provider
        return engine_for(self.engine, provider, self.batch_options)

    def __repr_args__(self) -> Any:
        return [(k, v) for k, v in super().__repr_args__() if k != "provider_options"]
