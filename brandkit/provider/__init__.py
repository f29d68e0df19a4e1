"""Provider stage: image services behind one protocol.

``"local"`` is the built-in deterministic renderer; ``"openai"`` the OpenAI
Images API (gpt-image-2). A caller may pass any object implementing
:class:`~brandkit.provider.base.ImageProvider` instead of a name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from brandkit.errors import RequestError
from brandkit.field_errors import suggestion
from brandkit.provider.base import ImageProvider, Moderator
from brandkit.provider.conversation import ConversationProvider
from brandkit.spec.models import BrandSpec

if TYPE_CHECKING:
    from brandkit.warm_cache import WarmCache

PROVIDER_NAMES = ("local", "openai")


def make_provider(provider: str | ImageProvider, spec: BrandSpec, **options: Any) -> ImageProvider:
    """The provider named ``provider`` (``"local"`` or ``"openai"``), or ``provider`` itself when it is one.

    ``options`` go to the OpenAI provider (``api_key``, ``base_url``, ``client``, ``timeout``, ``retry``…).
    """
    if not isinstance(provider, str):
        if not isinstance(provider, ImageProvider):
            raise RequestError(f"provider {provider!r} has no render/arender methods", field="provider")
        check_provider_options(provider, options)
        return provider
    if provider == "local":
        from brandkit.provider.local import LocalRenderer

        check_provider_options(provider, options)
        return LocalRenderer(spec)
    if provider == "openai":
        from brandkit.provider.openai import OpenAIProvider

        check_provider_options(provider, options)
        return OpenAIProvider(**options)
    raise RequestError(
        f"unknown provider {provider!r}; use one of {PROVIDER_NAMES} or a provider object",
        field="provider",
        value=provider,
    )


CONVERSATION_PROVIDER_NAMES = ("local", "openai")


def make_conversation_provider(
    provider: str | ConversationProvider, spec: BrandSpec, **options: Any
) -> ConversationProvider:
    """The conversation provider named ``provider`` (``"local"`` or ``"openai"``), or ``provider`` itself when it
    is one. ``options`` go to the OpenAI Responses provider (``api_key``, ``base_url``, ``prices``, ``retry``,
    ``stream``, ``max_output_tokens``…)."""
    if not isinstance(provider, str):
        if not isinstance(provider, ConversationProvider):
            raise RequestError(f"provider {provider!r} has no respond/arespond methods", field="provider")
        return provider
    if provider == "local":
        if options:
            raise RequestError(
                f"the local conversation provider takes no options, got {sorted(options)}", field="provider"
            )
        from brandkit.provider.local_conversation import LocalConversationProvider

        return LocalConversationProvider(spec)
    if provider == "openai":
        from brandkit.provider.openai.responses_api import OpenAIConversationProvider

        _known_options(options, OpenAIConversationProvider, "the OpenAI conversation provider")
        return OpenAIConversationProvider(**options)
    raise RequestError(
        f"unknown conversation provider {provider!r}; use one of {CONVERSATION_PROVIDER_NAMES} or a provider object",
        field="provider",
        value=provider,
    )


def check_provider_options(provider: object, options: Mapping[str, Any]) -> None:
    """Refuse provider options that would be ignored or misread, naming them (never their values: one may be a
    key): the OpenAI provider takes its own (a misspelt one gets "did you mean"); the local renderer, a provider
    object or a factory of providers take none. Unknown provider names are left to the caller."""
    if provider == "openai":
        from brandkit.provider.openai import OpenAIProvider

        _known_options(options, OpenAIProvider, "the OpenAI provider")
    elif provider == "local":
        _no_options(options, "the local renderer takes no options")
    elif not isinstance(provider, str):
        _no_options(options, f"a provider object ({type(provider).__name__}) is already configured")


def _no_options(options: Mapping[str, Any], why: str) -> None:
    """Refuse provider options that would be dropped without a word (their names only: values may be keys)."""
    if options:
        raise RequestError(f"{why}: {', '.join(sorted(options))} would be ignored", field=sorted(options)[0])


def _known_options(options: Mapping[str, Any], factory: Callable[..., object], what: str) -> None:
    """Refuse an option ``factory`` does not take, with "did you mean" (a misspelt ``timeot`` is not a TypeError)."""
    known = [name for name in inspect.signature(factory).parameters if name != "self"]
    for name in options:
        if name not in known:
            raise RequestError(
                f"{what} has no option {name!r}{suggestion(name, known)} (its options: {', '.join(known)})", field=name
            )


def default_moderator(provider: ImageProvider, local: Callable[[], Moderator | None] | None = None) -> Moderator | None:
    """The moderator used when none is given: the provider itself if it moderates (OpenAI), else the local
    nudity classifier when it is installed, else ``None`` (the moderation check then reports not_checked).

    ``local`` gives the local classifier (a kit passes its resources' shared one,
    :meth:`brandkit.resources.KitResources.local_moderator`, so its model loads once); default: a new one.
    """
    if isinstance(provider, Moderator):
        return provider
    return (local or local_moderator)()


def local_moderator(warm_cache: WarmCache | None = None, *, threads: int | None = None) -> Moderator | None:
    """A new offline nudity classifier (its model loads on first use), or ``None`` when nudenet is not installed.

    ``warm_cache``: where its model's optimised graph is kept between processes (``None``: not kept).
    ``threads``: onnxruntime's intra-op threads (``None``: its default, one per physical core)."""
    from brandkit.provider.local_moderation import NudeNetModerator

    if threads is not None and threads < 1:
        raise ValueError(f"local_moderator: threads must be at least 1, not {threads}")
    return NudeNetModerator(threads=threads, warm_cache=warm_cache) if NudeNetModerator.available() else None


__all__ = [
    "CONVERSATION_PROVIDER_NAMES",
    "PROVIDER_NAMES",
    "ConversationProvider",
    "ImageProvider",
    "Moderator",
    "check_provider_options",
    "default_moderator",
    "local_moderator",
    "make_conversation_provider",
    "make_provider",
]
