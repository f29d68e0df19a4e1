"""The SDK surface: :class:`BrandKit` and :class:`AsyncBrandKit`.

Both hold the same :class:`~brandkit.pipeline.KitContext` and run the same
flows from :mod:`brandkit.pipeline`; they differ only in the driver.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal

from brandkit.asset import Asset
from brandkit.checks import default_checks
from brandkit.checks.base import Check, CheckResources
from brandkit.compile import compile_prompt
from brandkit.models import AssetRequest, CompiledPrompt, EditRequest, ValidationReport
from brandkit.pipeline import (
    KitContext,
    edit_flow,
    generate_flow,
    read_image_source,
    run_async,
    run_sync,
    validate_flow,
)
from brandkit.provider import default_moderator, make_provider
from brandkit.provider.base import ImageProvider, Moderator
from brandkit.spec.models import BrandSpec, CheckPolicy

ImageInput = str | os.PathLike[str] | bytes


class _KitBase:
    """Shared construction and the pure (no I/O) methods."""

    def __init__(
        self,
        spec: BrandSpec,
        provider: str | ImageProvider = "openai",
        *,
        moderator: Moderator | Literal["auto"] | None = "auto",
        checks: Sequence[Check] | None = None,
        max_attempts: int | None = None,
        max_spend_usd: float | None = None,
        **provider_options: Any,
    ) -> None:
        self.spec = spec
        self.provider = make_provider(provider, spec, **provider_options)
        chosen = default_moderator(self.provider) if moderator == "auto" else moderator
        self._ctx = KitContext(
            spec=spec,
            provider=self.provider,
            moderator=chosen,
            checks=list(checks) if checks is not None else default_checks(),
            resources=CheckResources(),
        )
        self._budget: dict[str, Any] = {"max_attempts": max_attempts, "max_spend_usd": max_spend_usd}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(spec={self.spec.name!r}, provider={self.provider.name!r})"

    @property
    def moderator(self) -> Moderator | None:
        """The moderation service or local classifier in use (``None``: the moderation check is not_checked)."""
        return self._ctx.moderator

    def compile(self, request: AssetRequest) -> CompiledPrompt:
        """The exact prompt, parameters and reference images a generate call would send (spends nothing)."""
        return compile_prompt(self.spec, request)

    def _variant_options(self, options: dict[str, Any]) -> dict[str, Any]:
        options.setdefault("checks", self._ctx.checks)
        options.setdefault("max_attempts", self._budget["max_attempts"])
        options.setdefault("max_spend_usd", self._budget["max_spend_usd"])
        return {**options, "kit": self}

    @staticmethod
    def _edit_request(
        instruction: str, keep: Sequence[str] | None, request: EditRequest | None, copy: dict[str, Any]
    ) -> EditRequest:
        if request is not None:
            return request
        return EditRequest(instruction=instruction, keep=list(keep or []), **copy)


class BrandKit(_KitBase):
    """Generate, edit and validate on-brand images (blocking calls).

    ``provider`` is ``"openai"`` (default), ``"local"`` (offline renderer) or a provider object;
    extra keyword arguments configure the OpenAI provider (``api_key``, ``base_url``, ``client``…).
    """

    def generate(self, request: AssetRequest) -> Asset:
        """Generate one asset that passes every check, repairing within the spec's budget.

        Raises :class:`~brandkit.BrandViolationError` (with every attempt) when none passes,
        :class:`~brandkit.ForbiddenContentError` / :class:`~brandkit.RequestError` before any call,
        :class:`~brandkit.ProviderError` when the service fails.
        """
        return run_sync(generate_flow(self._ctx, request, **self._budget), self._ctx)

    def generate_many(self, request: AssetRequest) -> list[Asset]:
        """``request.n`` independent assets (seeds ``seed``, ``seed+1000``, …), each validated."""
        return [self.generate(r) for r in _variants(request)]

    def edit(
        self,
        image: ImageInput,
        instruction: str = "",
        keep: Sequence[str] | None = None,
        mask: bytes | None = None,
        *,
        request: EditRequest | None = None,
        **copy: Any,
    ) -> Asset:
        """Change only what ``instruction`` asks (e.g. localize the headline), keeping layout, logo,
        typography and colours; the result goes through the same checks. New copy goes in ``copy``
        (``headline=…``, ``subhead=…``, ``cta=…``) so the text check knows what to expect."""
        req = self._edit_request(instruction, keep, request, copy)
        data = read_image_source(image)
        return run_sync(edit_flow(self._ctx, req, data, mask, **self._budget), self._ctx)

    def validate(
        self, image: ImageInput, request: AssetRequest | None = None, policies: dict[str, CheckPolicy] | None = None
    ) -> ValidationReport:
        """Run every check on an existing image. Expected copy comes from ``request`` or the image's provenance."""
        return run_sync(validate_flow(self._ctx, read_image_source(image), request, policies), self._ctx)


    def variants(self, plan: Any, out: str | os.PathLike[str], **options: Any) -> Any:
        """Make every variant of a plan (see :mod:`brandkit.variants`) with this kit's provider, checks and
        budget; returns the :class:`~brandkit.variants.VariantRun` summary. Resumable with ``resume=True``."""
        from brandkit.variants import run_variants

        return run_variants(plan, out, **self._variant_options(options))


class AsyncBrandKit(_KitBase):
    """The same methods as :class:`BrandKit`, awaitable; one shared implementation."""

    async def generate(self, request: AssetRequest) -> Asset:
        """Async twin of :meth:`BrandKit.generate`."""
        return await run_async(generate_flow(self._ctx, request, **self._budget), self._ctx)

    async def generate_many(self, request: AssetRequest) -> list[Asset]:
        """Async twin of :meth:`BrandKit.generate_many` (assets generated concurrently)."""
        import asyncio

        return list(await asyncio.gather(*(self.generate(r) for r in _variants(request))))

    async def edit(
        self,
        image: ImageInput,
        instruction: str = "",
        keep: Sequence[str] | None = None,
        mask: bytes | None = None,
        *,
        request: EditRequest | None = None,
        **copy: Any,
    ) -> Asset:
        """Async twin of :meth:`BrandKit.edit`."""
        req = self._edit_request(instruction, keep, request, copy)
        data = read_image_source(image)
        return await run_async(edit_flow(self._ctx, req, data, mask, **self._budget), self._ctx)

    async def validate(
        self, image: ImageInput, request: AssetRequest | None = None, policies: dict[str, CheckPolicy] | None = None
    ) -> ValidationReport:
        """Async twin of :meth:`BrandKit.validate`."""
        return await run_async(validate_flow(self._ctx, read_image_source(image), request, policies), self._ctx)

    async def variants(self, plan: Any, out: str | os.PathLike[str], **options: Any) -> Any:
        """Async twin of :meth:`BrandKit.variants`."""
        from brandkit.variants import arun_variants

        return await arun_variants(plan, out, **self._variant_options(options))


def _variants(request: AssetRequest) -> list[AssetRequest]:
    base = request.seed if request.seed is not None else 0
    return [request.model_copy(update={"n": 1, "seed": base + 1000 * i}) for i in range(request.n)]
