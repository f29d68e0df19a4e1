"""brandkit: brand-safe AI image generation.

Load a brand spec, compile constrained prompts, generate with OpenAI or the
built-in local renderer, and validate every output before it is returned::

    import brandkit
    spec = brandkit.load_spec("brand_specs/northwind")
    kit = brandkit.BrandKit(spec, provider="local")
    asset = kit.generate(brandkit.AssetRequest(brief="...", headline="...", format="square"))
    asset.save("out/hero.png")

Importing brandkit does no I/O and loads no engines; heavy components (OCR,
the OpenAI client) are created on first use.
"""

from __future__ import annotations

from brandkit._version import __version__
from brandkit.asset import Asset
from brandkit.compile import compile_prompt as compile
from brandkit.errors import (
    AuthenticationError,
    BatchIncompleteError,
    BrandkitError,
    BrandViolationError,
    ConfigurationError,
    ForbiddenContentError,
    ImageInputError,
    InvalidParameterError,
    ModerationBlockedError,
    OutputError,
    OutputExistsError,
    OutputFailedError,
    OutputFolderError,
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

__all__ = [
    "Asset",
    "AssetRequest",
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
    "EditRequest",
    "ForbiddenContentError",
    "ImageInputError",
    "InvalidParameterError",
    "ModerationBlockedError",
    "OutputError",
    "OutputExistsError",
    "OutputFailedError",
    "OutputFolderError",
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
    "SpecError",
    "ValidationReport",
    "__version__",
    "compile",
    "load_spec",
]
