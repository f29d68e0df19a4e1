"""The asset stage's Content Credentials step (called by :mod:`brandkit.pipeline`, nothing else).

It signs an :class:`~brandkit.asset.Asset`, so it belongs to the asset stage: it lives beside ``asset.py`` and
drives the C2PA primitives of the foundation package :mod:`brandkit.credentials` (which imports no stage).

* :func:`require_signer` — before anything is paid for: a spec whose ``credentials`` check blocks (any policy
  but ``warn``) needs a signer, or every asset would fail it.
* :func:`on_return` — what the ``credentials`` check is told during generation (the attempt's bytes are not yet
  the delivered file: brandkit signs the accepted one, or returns it unsigned).
* :func:`finish_asset` — the accepted asset: the provider's manifest (which brandkit's embedded metadata would
  break) is removed from the file, then the asset is signed with it as the parent ingredient (an edit: the edited
  asset is the parent, the provider's image a component), or left unsigned with them described in the sidecar.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from brandkit.asset import Asset
from brandkit.credentials.sign import brandkit_assertion, finish_credentials
from brandkit.credentials.signer import CERT_ENV, KEY_ENV, CredentialSigner
from brandkit.credentials.strip import strip_manifest
from brandkit.errors import ConfigurationError
from brandkit.spec.models import BrandSpec, CheckPolicy

CHECK = "credentials"


def require_signer(spec: BrandSpec, policies: Mapping[str, CheckPolicy], signer: CredentialSigner | None) -> None:
    """Raise :class:`~brandkit.errors.ConfigurationError` when the spec requires signed credentials and no signer
    is configured (checked before the first call, so nothing is paid for an asset that could never pass)."""
    settings = spec.policy(CHECK)
    policy = policies.get(CHECK, settings.policy)
    if signer is None and settings.enabled and policy != "warn":
        raise ConfigurationError(
            f"spec {spec.name!r} requires Content Credentials (checks.credentials.policy: {policy}) but no signer "
            f"is configured: set {CERT_ENV} and {KEY_ENV}, or pass signer= to the kit (docs/provenance.md)",
            setting=CERT_ENV,
        )


def on_return(signer: CredentialSigner | None) -> Literal["signed", "unsigned"]:
    """``signed`` when the accepted asset will be signed, else ``unsigned``."""
    return "signed" if signer is not None else "unsigned"


def finish_asset(
    asset: Asset,
    spec: BrandSpec,
    signer: CredentialSigner | None,
    provider_image: bytes,
    edited_image: bytes | None = None,
) -> Asset:
    """The asset as delivered: signed (with the provider's manifest as parent ingredient — or, for an edit, the
    edited asset ``edited_image`` as parent and the provider's manifest as a component) or unsigned."""
    prompt = asset.prompt
    assertion = brandkit_assertion(
        spec_name=spec.name,
        spec_version=spec.version,
        spec_fingerprint=prompt.spec_fingerprint,
        spec_mode=prompt.spec_mode,
        prompt_hash=prompt.prompt_hash,
        attempt=asset.attempt_number,
        provider=asset.provider,
        model=asset.model,
        fixes=asset.fixes,
        report=asset.report,
    )
    title = f"{spec.name} {prompt.format_name}.{'jpg' if asset.output_format == 'jpeg' else asset.output_format}"
    data, info = finish_credentials(
        strip_manifest(asset.data),
        asset.output_format,
        signer=signer,
        provider_image=provider_image,
        assertion=assertion,
        title=title,
        edited_image=edited_image,
    )
    return asset.model_copy(update={"data": data, "credentials": info})
