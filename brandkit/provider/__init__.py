"""Provider stage: image services behind one protocol.

``"local"`` is the built-in deterministic renderer; ``"openai"`` the OpenAI
Images API (gpt-image-2). A caller may pass any object implementing
:class:`~brandkit.provider.base.ImageProvider` instead of a name.
"""

from __future__ import annotations

from typing import Any

from brandkit.errors import RequestError
from brandkit.provider.base import ImageProvider, Moderator
from brandkit.spec.models import BrandSpec

PROVIDER_NAMES = ("local", "openai")


def make_provider(provider: str | ImageProvider, spec: BrandSpec, **options: Any) -> ImageProvider:
    """The provider named ``provider`` (``"local"`` or ``"openai"``), or ``provider`` itself when it is one.

    ``options`` go to the OpenAI provider (``api_key``, ``base_url``, ``client``, ``timeout``, ``retry``…).
    """
    if not isinstance(provider, str):
        if not isinstance(provider, ImageProvider):
            raise RequestError(f"provider {provider!r} has no render/arender methods", field="provider")
        return provider
    if provider == "local":
        from brandkit.provider.local import LocalRenderer

        return LocalRenderer(spec)
    if provider == "openai":
        from brandkit.provider.openai import OpenAIProvider

        return OpenAIProvider(**options)
    raise RequestError(
        f"unknown provider {provider!r}; use one of {PROVIDER_NAMES} or a provider object",
        field="provider",
        value=provider,
    )


def default_moderator(provider: ImageProvider) -> Moderator | None:
    """The moderator used when none is given: the provider itself if it moderates (OpenAI), else the local
    nudity classifier when it is installed, else ``None`` (the moderation check then reports not_checked)."""
    if isinstance(provider, Moderator):
        return provider
    from brandkit.provider.local_moderation import NudeNetModerator

    return NudeNetModerator() if NudeNetModerator.available() else None


__all__ = ["PROVIDER_NAMES", "ImageProvider", "Moderator", "default_moderator", "make_provider"]
