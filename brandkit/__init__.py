"""brandkit: brand-safe AI image generation.

Load a brand spec, compile constrained prompts, generate with OpenAI or the
built-in local renderer, and validate every output before it is returned::

    import brandkit
    spec = brandkit.load_spec("brand_specs/northwind")
    kit = brandkit.BrandKit(spec, provider="local")
    asset = kit.generate(brandkit.AssetRequest(brief="...", headline="...", format="square"))
    asset.save("out/hero.png")

Importing brandkit does no I/O and loads no engines; heavy components (OCR,
the OpenAI client) are created on first use. The public names are imported lazily (module ``__getattr__``):
``import brandkit`` loads only the version, and ``brandkit.BrandKit`` imports the kit on first access.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from brandkit._version import __version__

if TYPE_CHECKING:
    from brandkit.asset import Asset
    from brandkit.asset_sidecar import AssetSidecar, read_sidecar
    from brandkit.compile import compile_prompt as compile
    from brandkit.errors import (
        AuthenticationError,
        BatchIncompleteError,
        BrandkitError,
        BrandViolationError,
        ConfigurationError,
        CopyFitError,
        ForbiddenContentError,
        ImageInputError,
        InvalidParameterError,
        ModerationBlockedError,
        OutputError,
        OutputExistsError,
        OutputFailedError,
        OutputFolderError,
        PartialGenerationError,
        ProviderConnectionError,
        ProviderError,
        ProviderResponseError,
        ProviderTimeoutError,
        QuotaExceededError,
        RateLimitError,
        RegistryError,
        RequestError,
        RequestValidationError,
        ServerError,
        SidecarError,
        SpecError,
    )
    from brandkit.kit import AsyncBrandKit, BrandKit
    from brandkit.models import (
        AssetRequest,
        Attempt,
        CheckResult,
        CheckStatus,
        CompiledPrompt,
        EditRequest,
        ReferenceInput,
        ValidationReport,
    )
    from brandkit.spec.loader import load_spec
    from brandkit.spec.models import BrandSpec

# Public name → the module that defines it. Imported on first access (PEP 562), so ``import brandkit`` loads
# no NumPy, Pillow, pydantic or OpenAI SDK: a command that never touches the SDK never pays for it.
_LAZY: dict[str, tuple[str, str]] = {
    "Asset": ("brandkit.asset", "Asset"),
    "AssetSidecar": ("brandkit.asset_sidecar", "AssetSidecar"),
    "read_sidecar": ("brandkit.asset_sidecar", "read_sidecar"),
    "AsyncBrandKit": ("brandkit.kit", "AsyncBrandKit"),
    "BrandKit": ("brandkit.kit", "BrandKit"),
    "load_spec": ("brandkit.spec.loader", "load_spec"),
    "BrandSpec": ("brandkit.spec.models", "BrandSpec"),
    **{
        name: ("brandkit.models", name)
        for name in (
            "AssetRequest",
            "Attempt",
            "CheckResult",
            "CheckStatus",
            "CompiledPrompt",
            "EditRequest",
            "ReferenceInput",
            "ValidationReport",
        )
    },
    **{
        name: ("brandkit.errors", name)
        for name in (
            "AuthenticationError",
            "BatchIncompleteError",
            "BrandkitError",
            "BrandViolationError",
            "ConfigurationError",
            "CopyFitError",
            "ForbiddenContentError",
            "ImageInputError",
            "InvalidParameterError",
            "ModerationBlockedError",
            "OutputError",
            "OutputExistsError",
            "OutputFailedError",
            "OutputFolderError",
            "PartialGenerationError",
            "ProviderConnectionError",
            "ProviderError",
            "ProviderResponseError",
            "ProviderTimeoutError",
            "QuotaExceededError",
            "RateLimitError",
            "RegistryError",
            "RequestError",
            "RequestValidationError",
            "ServerError",
            "SidecarError",
            "SpecError",
        )
    },
}


class _Package(types.ModuleType):
    """The ``brandkit`` module's type: ``brandkit.compile`` is the public function, not the submodule.

    Importing the submodule ``brandkit.compile`` (the kit does) makes the import system set the package's
    ``compile`` attribute to that module; the eager imports of old overwrote it with ``compile_prompt``
    afterwards. This property keeps that answer whatever is imported when (the module stays in ``sys.modules``).
    """

    @property
    def compile(self) -> Any:
        """:func:`brandkit.compile.compile_prompt`."""
        return importlib.import_module("brandkit.compile").compile_prompt

    @compile.setter
    def compile(self, value: Any) -> None:
        """The import system records the submodule here: the public name stays the function."""


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access (the module's attribute is then set: later access is free)."""
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'brandkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Asset",
    "AssetRequest",
    "AssetSidecar",
    "AsyncBrandKit",
    "Attempt",
    "AuthenticationError",
    "BatchIncompleteError",
    "BrandKit",
    "BrandSpec",
    "BrandViolationError",
    "BrandkitError",
    "CheckResult",
    "CheckStatus",
    "CompiledPrompt",
    "ConfigurationError",
    "CopyFitError",
    "EditRequest",
    "ForbiddenContentError",
    "ImageInputError",
    "InvalidParameterError",
    "ModerationBlockedError",
    "OutputError",
    "OutputExistsError",
    "OutputFailedError",
    "OutputFolderError",
    "PartialGenerationError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderResponseError",
    "ProviderTimeoutError",
    "QuotaExceededError",
    "RateLimitError",
    "ReferenceInput",
    "RegistryError",
    "RequestError",
    "RequestValidationError",
    "ServerError",
    "SidecarError",
    "SpecError",
    "ValidationReport",
    "__version__",
    "compile",
    "load_spec",
    "read_sidecar",
]
