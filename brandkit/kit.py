"""The SDK surface: :class:`BrandKit` and :class:`AsyncBrandKit`.

Both hold the same :class:`~brandkit.pipeline.KitContext` and run the same
flows from :mod:`brandkit.pipeline`; they differ only in the driver.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal, Self

from brandkit.app_entry import async_variants_runner, variants_runner
from brandkit.asset import Asset
from brandkit.checks import default_checks
from brandkit.checks.base import Check
from brandkit.checks.credentials import TRUST_RESOURCE
from brandkit.compile import compile_prompt
from brandkit.credentials.signer import CredentialSigner, resolve_signer, resolve_trust_anchors
from brandkit.generate_many import OnAsset, OnRejected, collect, made_then_told, run_in_turn, variant_requests
from brandkit.kit_args import (
    ImageInput,
    as_asset_request,
    checked_budget,
    checked_checks,
    checked_spec,
    edit_request,
    image_to_edit,
    mask_bytes,
    named_image_errors,
    optional_request,
    single_request,
)
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
from brandkit.provider.base import AsyncClosable, Closable, ImageProvider, Moderator
from brandkit.resources import KitResources, PreloadScope, WarmReport
from brandkit.spec.models import BrandSpec, CheckPolicy

if TYPE_CHECKING:
    from brandkit.conversation import AsyncConversation, Conversation
    from brandkit.provider.conversation import ConversationProvider

_CONNECTION_OPTIONS = (
    "api_key",
    "base_url",
    "organization",
    "project",
    "timeout",
    "retry",
    "prices",
    "safety_identifier",
)


class _KitBase:
    """Shared construction and the pure (no I/O) methods."""

    def __init__(
        self,
        spec: BrandSpec | str | os.PathLike[str],
        provider: str | ImageProvider = "openai",
        *,
        moderator: Moderator | Literal["auto"] | None = "auto",
        checks: Sequence[Check | str] | None = None,
        max_attempts: int | None = None,
        max_spend_usd: float | None = None,
        signer: CredentialSigner | Literal["env"] | None = "env",
        trust_anchors: bytes | str | os.PathLike[str] | None = None,
        resources: KitResources | None = None,
        **provider_options: Any,
    ) -> None:
        self.spec = checked_spec(spec)  # a path is loaded; anything else that is no spec: RequestError naming it
        spec = self.spec
        chosen_checks = checked_checks(checks)
        checked_budget(max_attempts, max_spend_usd)
        self.resources = resources if resources is not None else KitResources()
        signing = resolve_signer(signer)  # Content Credentials (docs/provenance.md); checked before anything runs
        anchors = resolve_trust_anchors(trust_anchors)
        self.provider = make_provider(provider, spec, **provider_options)
        self._owns_provider = isinstance(provider, str)  # made here from a name: closed by close()/aclose()
        # what a conversation on the OpenAI Responses API reuses of the kit's own connection (docs/conversation.md)
        self._connection = {k: v for k, v in provider_options.items() if k in _CONNECTION_OPTIONS}
        chosen = default_moderator(self.provider, self.resources.local_moderator) if moderator == "auto" else moderator
        self._ctx = KitContext(
            spec=spec,
            provider=self.provider,
            moderator=chosen,
            checks=chosen_checks if chosen_checks is not None else default_checks(),
            resources=self.resources.for_kit(),  # this kit's settings over the shared engines
            signer=signing,
        )
        self._ctx.resources.put(TRUST_RESOURCE, anchors)
        self._budget: dict[str, Any] = {"max_attempts": max_attempts, "max_spend_usd": max_spend_usd}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(spec={self.spec.name!r}, provider={self.provider.name!r})"

    @property
    def signer(self) -> CredentialSigner | None:
        """The Content Credentials signer of returned assets (``None``: assets are returned unsigned)."""
        return self._ctx.signer

    @property
    def moderator(self) -> Moderator | None:
        """The moderation service or local classifier in use (``None``: the moderation check is not_checked)."""
        return self._ctx.moderator

    def using(self, provider: ImageProvider) -> Self:
        """This kit with ``provider`` for its renders: same spec, moderator, checks, budget and the check
        resources already loaded (cheap; e.g. a wrapper that records or limits each call of one job)."""
        twin = copy.copy(self)
        twin.provider = provider
        twin._ctx = dataclasses.replace(self._ctx, provider=provider)
        return twin

    def compile(self, request: AssetRequest | Mapping[str, Any]) -> CompiledPrompt:
        """The exact prompt, parameters and reference images a generate call would send (spends nothing).

        Pure and immediate on both kits (not awaitable on :class:`AsyncBrandKit`): it does no I/O.
        """
        with self.resources.active():
            return compile_prompt(self.spec, as_asset_request(request))

    def _check_names(self) -> list[str]:
        """The names of the checks this kit's calls run (the spec may disable some)."""
        return [c.name for c in self._ctx.checks if c.name not in self.spec.checks or self.spec.checks[c.name].enabled]

    def _preloading(self) -> AbstractContextManager[PreloadScope]:
        """This call's share of the engines' background preload (:meth:`KitResources.preloading`)."""
        return self.resources.preloading(self._check_names(), self._ctx.moderator)

    def _apreloading(self) -> AbstractAsyncContextManager[PreloadScope]:
        """The async call's share (:meth:`KitResources.apreloading`)."""
        return self.resources.apreloading(self._check_names(), self._ctx.moderator)

    def _warm(self) -> WarmReport:
        return self.resources.warm(self.spec, self._check_names(), self._ctx.moderator)

    def _conversation_args(
        self, request: AssetRequest | Mapping[str, Any], provider: str | ConversationProvider | None, options: Any
    ) -> tuple[KitContext, KitResources, ConversationProvider, AssetRequest]:
        from brandkit.provider import make_conversation_provider

        name = provider if provider is not None else ("local" if self.provider.name == "local" else "openai")
        if options is None and name == "openai" and self.provider.name == "openai":
            options = self._connection  # the kit's connection, retry policy, prices and safety identifier
        chosen = make_conversation_provider(name, self.spec, **(options or {}))
        return self._ctx, self.resources, chosen, as_asset_request(request)

    def _conversation_options(self, options: dict[str, Any], provider: object) -> dict[str, Any]:
        options["owns_provider"] = provider is None or isinstance(provider, str)  # made here: closed with it
        options.setdefault("max_attempts", self._budget["max_attempts"])
        options.setdefault("turn_max_spend_usd", self._budget["max_spend_usd"])
        return options

    def _variant_options(self, options: dict[str, Any]) -> dict[str, Any]:
        options.setdefault("checks", self._ctx.checks)
        options.setdefault("max_attempts", self._budget["max_attempts"])
        options.setdefault("max_spend_usd", self._budget["max_spend_usd"])
        return {**options, "kit": self}


class BrandKit(_KitBase):
    """Generate, edit and validate on-brand images (blocking calls).

    ``spec``: a :class:`~brandkit.BrandSpec` or the path of one. ``provider`` is ``"openai"`` (default),
    ``"local"`` (offline renderer) or a provider object; extra keyword arguments configure the OpenAI provider
    (``api_key``, ``base_url``, ``client``…) — given to the local renderer or a provider object, or misspelt, they
    are refused (:class:`~brandkit.RequestError`), never ignored. ``checks``: check objects or built-in check
    names (``["palette", "text"]``; default: every built-in check). ``max_attempts`` (1–10) and ``max_spend_usd``
    (≥ 0) override the spec's ``repair`` budget.
    ``signer`` signs returned assets with Content Credentials (a :class:`~brandkit.credentials.CredentialSigner`;
    default ``"env"``: ``BRANDKIT_C2PA_CERT`` / ``BRANDKIT_C2PA_KEY`` when set); ``trust_anchors`` (PEM bytes or
    a file; default ``BRANDKIT_C2PA_TRUST_ANCHORS``) decides which credentials ``validate`` reports as trusted.
    ``resources`` (:class:`~brandkit.resources.KitResources`): the check engines (OCR, moderation classifier) and
    the font / glyph / logo / forbidden-term caches, loaded lazily; pass one object to several kits to share
    them (default: a new one per kit).
    """

    def close(self) -> None:
        """Close the HTTP clients of the provider this kit made from a name (``"openai"``); a provider object you
        passed in is yours to close. The kit may be used again (its clients reopen on first use)."""
        if self._owns_provider and isinstance(self.provider, Closable):
            self.provider.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def generate(self, request: AssetRequest | Mapping[str, Any], *, reviewer_feedback: Sequence[str] = ()) -> Asset:
        """Generate one asset that passes every check, repairing within the spec's budget.

        ``reviewer_feedback``: a reviewer's notes (request changes) that go into every attempt's prompt.

        Raises :class:`~brandkit.BrandViolationError` (with every attempt) when none passes,
        :class:`~brandkit.ForbiddenContentError` / :class:`~brandkit.RequestError` before any call,
        :class:`~brandkit.ProviderError` when the service fails.
        """
        flow = generate_flow(self._ctx, single_request(request), **self._budget, reviewer_feedback=reviewer_feedback)
        with self.resources.active(), self._preloading() as preloading:
            return run_sync(preloading.wrap(flow), self._ctx)

    def warm(self) -> WarmReport:
        """Prepare now what this kit's checks need, so no later call pays for it: the palette tables and the
        logo's features (also into the warm disk cache, for later processes), the OCR engine and the local
        moderation model. Raises what a palette or logo preparation raises (an unreadable logo file:
        :class:`~brandkit.ImageInputError`); an engine that cannot load is listed in ``unavailable``."""
        return self._warm()

    def generate_many(
        self,
        request: AssetRequest | Mapping[str, Any],
        *,
        on_asset: OnAsset[Asset] | None = None,
        on_rejected: OnRejected | None = None,
    ) -> list[Asset]:
        """``request.n`` independent assets (seeds ``seed``, ``seed+1000``, …), each validated, made in turn.

        A variant whose checks fail does not stop the others; any other error stops the run. When some assets were
        made and others not, :class:`~brandkit.PartialGenerationError` carries the finished ones (``assets``) and
        each failure; when none was made, the first variant's own error is raised (see ``brandkit.generate_many``).
        ``on_asset(index, asset)`` is told of each variant as soon as it is made (save it there: an interruption
        later loses nothing finished); ``on_rejected(index, error)`` of each variant whose checks failed on every
        attempt (``error.asset``: its best attempt, paid for — keep it there for review).
        """
        requests = variant_requests(as_asset_request(request))
        return run_in_turn(self.generate, requests, on_asset, on_rejected)

    def edit(
        self,
        image: ImageInput,
        instruction: str = "",
        keep: Sequence[str] | None = None,
        mask: ImageInput | None = None,
        *,
        request: EditRequest | Mapping[str, Any] | None = None,
        reviewer_feedback: Sequence[str] = (),
        **copy: Any,
    ) -> Asset:
        """Change only what ``instruction`` asks (e.g. localize the headline), keeping layout, logo,
        typography and colours; the result goes through the same checks. New copy goes in ``copy``
        (``headline=…``, ``subhead=…``, ``cta=…``) so the text check knows what to expect.

        ``mask`` (bytes or a path): a PNG with alpha, the size of ``image``, fully transparent where the image may
        change (the API's convention; the local renderer keeps every other pixel). One that does not fit raises
        :class:`~brandkit.RequestError` (``field="mask"``) before anything is rendered."""
        req = edit_request(instruction, keep, request, copy)
        data = image_to_edit(image)
        flow = edit_flow(self._ctx, req, data, mask_bytes(mask), **self._budget, reviewer_feedback=reviewer_feedback)
        with self.resources.active(), self._preloading() as preloading:
            return run_sync(preloading.wrap(flow), self._ctx)

    def validate(
        self,
        image: ImageInput,
        request: AssetRequest | Mapping[str, Any] | None = None,
        policies: dict[str, CheckPolicy] | None = None,
    ) -> ValidationReport:
        """Run every check on an existing image. Expected copy comes from ``request`` or the image's provenance.

        An image that cannot be read raises :class:`~brandkit.ImageInputError` naming the file."""
        with (
            named_image_errors(image),
            self.resources.active(),
            self._preloading() as preloading,
        ):
            flow = validate_flow(self._ctx, read_image_source(image), optional_request(request), policies)
            return run_sync(preloading.wrap(flow), self._ctx)

    def conversation(
        self,
        request: AssetRequest | Mapping[str, Any],
        *,
        provider: str | ConversationProvider | None = None,
        provider_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Conversation:
        """A multi-turn session refining one image from ``request`` (see docs/conversation.md): each
        ``conv.turn(instruction, headline=…)`` goes through compose / checks / repair like :meth:`generate`.

        ``provider``: ``"local"`` (offline), ``"openai"`` (the Responses API) or a
        :class:`~brandkit.provider.conversation.ConversationProvider` (default: ``"local"`` for a local kit, else
        ``"openai"``); ``provider_options`` configure it. ``options``: ``max_spend_usd`` (the conversation's
        budget), ``partial_images``, ``out``, ``recorder``, ``name``, ``model``, ``turn_max_spend_usd``,
        ``max_attempts`` (see :class:`~brandkit.conversation.Conversation`)."""
        from brandkit.conversation import Conversation

        return Conversation(
            *self._conversation_args(request, provider, provider_options),
            **self._conversation_options(options, provider),
        )

    def variants(self, plan: Any, out: str | os.PathLike[str], **options: Any) -> Any:
        """Make every variant of a plan (see :mod:`brandkit.variants`) with this kit's provider, checks and
        budget; returns the :class:`~brandkit.variants.VariantRun` summary. Resumable with ``resume=True``."""
        return variants_runner()(plan, out, **self._variant_options(options))


class AsyncBrandKit(_KitBase):
    """The same methods as :class:`BrandKit`, awaitable; one shared implementation."""

    async def aclose(self) -> None:
        """Async twin of :meth:`BrandKit.close` (the provider's async and sync clients)."""
        if self._owns_provider and isinstance(self.provider, AsyncClosable):
            await self.provider.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def generate(
        self, request: AssetRequest | Mapping[str, Any], *, reviewer_feedback: Sequence[str] = ()
    ) -> Asset:
        """Async twin of :meth:`BrandKit.generate`."""
        flow = generate_flow(self._ctx, single_request(request), **self._budget, reviewer_feedback=reviewer_feedback)
        with self.resources.active():
            async with self._apreloading() as preloading:
                return await run_async(preloading.wrap(flow), self._ctx)

    async def warm(self) -> WarmReport:
        """Async twin of :meth:`BrandKit.warm` (on a worker thread)."""
        import asyncio

        return await asyncio.to_thread(self._warm)

    async def generate_many(
        self,
        request: AssetRequest | Mapping[str, Any],
        *,
        on_asset: OnAsset[Asset] | None = None,
        on_rejected: OnRejected | None = None,
    ) -> list[Asset]:
        """Async twin of :meth:`BrandKit.generate_many`: the variants are generated concurrently, each to its end
        (an error in one neither cancels nor loses the others); the same result, errors and calls as the sync twin."""
        import asyncio

        requests = variant_requests(as_asset_request(request))
        made = (made_then_told(i, self.generate(r), on_asset, on_rejected) for i, r in enumerate(requests))
        outcomes = await asyncio.gather(*made, return_exceptions=True)
        return collect(requests, outcomes)

    async def edit(
        self,
        image: ImageInput,
        instruction: str = "",
        keep: Sequence[str] | None = None,
        mask: ImageInput | None = None,
        *,
        request: EditRequest | Mapping[str, Any] | None = None,
        reviewer_feedback: Sequence[str] = (),
        **copy: Any,
    ) -> Asset:
        """Async twin of :meth:`BrandKit.edit`."""
        req = edit_request(instruction, keep, request, copy)
        data = image_to_edit(image)
        flow = edit_flow(self._ctx, req, data, mask_bytes(mask), **self._budget, reviewer_feedback=reviewer_feedback)
        with self.resources.active():
            async with self._apreloading() as preloading:
                return await run_async(preloading.wrap(flow), self._ctx)

    async def validate(
        self,
        image: ImageInput,
        request: AssetRequest | Mapping[str, Any] | None = None,
        policies: dict[str, CheckPolicy] | None = None,
    ) -> ValidationReport:
        """Async twin of :meth:`BrandKit.validate`."""
        with named_image_errors(image), self.resources.active():
            async with self._apreloading() as preloading:
                flow = validate_flow(self._ctx, read_image_source(image), optional_request(request), policies)
                return await run_async(preloading.wrap(flow), self._ctx)

    def conversation(
        self,
        request: AssetRequest | Mapping[str, Any],
        *,
        provider: str | ConversationProvider | None = None,
        provider_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> AsyncConversation:
        """Async twin of :meth:`BrandKit.conversation` (its turns are awaited; ``stream()`` yields partial
        images then the outcome)."""
        from brandkit.conversation import AsyncConversation

        return AsyncConversation(
            *self._conversation_args(request, provider, provider_options),
            **self._conversation_options(options, provider),
        )

    async def variants(self, plan: Any, out: str | os.PathLike[str], **options: Any) -> Any:
        """Async twin of :meth:`BrandKit.variants`."""
        return await async_variants_runner()(plan, out, **self._variant_options(options))
