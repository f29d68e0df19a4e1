"""Content Credentials (C2PA): keep the model's manifest, sign what brandkit returns, verify.

* :mod:`~brandkit.credentials.read` — validate a manifest store into :class:`Credentials` (offline).
* :mod:`~brandkit.credentials.signer` — :class:`CredentialSigner` (PEM chain + key, from files or the
  ``BRANDKIT_C2PA_CERT`` / ``BRANDKIT_C2PA_KEY`` environment), trust anchors (``BRANDKIT_C2PA_TRUST_ANCHORS``).
* :mod:`~brandkit.credentials.sign` — signing an asset, the no-signer path, :func:`sign_with_review`.
* :mod:`~brandkit.credentials.strip` — removing a manifest store that brandkit's own changes would break.
* :mod:`~brandkit.credentials.devcert` — a throw-away test CA and signer (``brandkit provenance make-test-signer``).

See ``docs/provenance.md``.
"""

from __future__ import annotations

from brandkit.credentials.read import Credentials, CredentialState, ManifestSummary, read_credentials
from brandkit.credentials.sign import finish_credentials, sign_image, sign_with_review
from brandkit.credentials.signer import CredentialSigner, load_trust_anchors, trust_anchors_from_env
from brandkit.credentials.strip import strip_manifest

__all__ = [
    "CredentialSigner",
    "CredentialState",
    "Credentials",
    "ManifestSummary",
    "finish_credentials",
    "load_trust_anchors",
    "read_credentials",
    "sign_image",
    "sign_with_review",
    "strip_manifest",
    "trust_anchors_from_env",
]
