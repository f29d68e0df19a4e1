"""The Content Credentials signer: a PEM certificate chain and its private key, checked before any use.

A :class:`CredentialSigner` comes from files (:meth:`CredentialSigner.from_files`), from the environment
(``BRANDKIT_C2PA_CERT`` / ``BRANDKIT_C2PA_KEY``, :meth:`CredentialSigner.from_env`) or from PEM bytes. It is
checked when made — the chain parses, the key parses and matches the first certificate, that certificate is not
self-signed (C2PA refuses a self-signed signing certificate) — and every problem is a
:class:`~brandkit.errors.ConfigurationError` naming the file or setting, never its content. The private key is
never in a repr, a message or a manifest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from brandkit.errors import ConfigurationError

CERT_ENV = "BRANDKIT_C2PA_CERT"
KEY_ENV = "BRANDKIT_C2PA_KEY"
TRUST_ENV = "BRANDKIT_C2PA_TRUST_ANCHORS"
MAX_PEM_BYTES = 1024 * 1024

_CURVES = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}


def read_pem_file(path: str | os.PathLike[str], setting: str) -> bytes:
    """Bytes of a PEM file named by ``setting``; a typed error naming the file when it cannot be read."""
    target = Path(path)
    try:
        if not target.is_file():
            raise ConfigurationError(f"{setting}: {target}: no such file", setting=setting)
        data = target.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"{setting}: {target}: cannot read ({exc.strerror or 'error'})", setting=setting
        ) from None
    if len(data) > MAX_PEM_BYTES:
        raise ConfigurationError(f"{setting}: {target}: over {MAX_PEM_BYTES} bytes, not a PEM file", setting=setting)
    return data


class CredentialSigner:
    """A checked signing identity for Content Credentials (ES256/384/512, PS256 or Ed25519, from the key type).

    ``chain_pem``: the end-entity certificate first, then the intermediates (the CA that issued it may follow).
    ``cert_source`` / ``key_source`` name where they came from, for messages.
    """

    def __init__(
        self, chain_pem: bytes, key_pem: bytes, *, cert_source: str = "<certificate>", key_source: str = "<key>"
    ) -> None:
        from cryptography import x509  # here, not at import: ~50 ms CPU that a kit without a signer never needs
        from cryptography.hazmat.primitives import serialization

        try:
            certs = x509.load_pem_x509_certificates(chain_pem)
        except ValueError:
            raise ConfigurationError(f"{cert_source}: not a PEM certificate chain", setting=CERT_ENV) from None
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError):
            raise ConfigurationError(f"{key_source}: not an unencrypted PEM private key", setting=KEY_ENV) from None
        leaf = certs[0]
        self.algorithm = _algorithm(key, key_source)
        if _public_der(leaf.public_key()) != _public_der(key.public_key()):
            raise ConfigurationError(
                f"{key_source}: the private key does not match the first certificate of {cert_source}",
                setting=KEY_ENV,
            )
        if leaf.issuer == leaf.subject:
            raise ConfigurationError(
                f"{cert_source}: the signing certificate is self-signed; C2PA needs one issued by a CA "
                "(see docs/provenance.md: brandkit provenance make-test-signer)",
                setting=CERT_ENV,
            )
        self.subject = leaf.subject.rfc4514_string()
        self.issuer = leaf.issuer.rfc4514_string()
        self.cert_source = cert_source
        self.key_source = key_source
        self._chain_pem = chain_pem
        self._key_pem = key_pem

    @classmethod
    def from_files(cls, cert: str | os.PathLike[str], key: str | os.PathLike[str]) -> CredentialSigner:
        """A signer from a PEM chain file and a PEM private-key file."""
        return cls(
            read_pem_file(cert, CERT_ENV), read_pem_file(key, KEY_ENV), cert_source=str(cert), key_source=str(key)
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CredentialSigner | None:
        """The signer named by ``BRANDKIT_C2PA_CERT`` and ``BRANDKIT_C2PA_KEY`` (``None`` when neither is set;
        a :class:`~brandkit.errors.ConfigurationError` when only one is)."""
        env = os.environ if environ is None else environ
        cert, key = env.get(CERT_ENV, ""), env.get(KEY_ENV, "")
        if not cert and not key:
            return None
        if not cert or not key:
            missing = CERT_ENV if not cert else KEY_ENV
            raise ConfigurationError(
                f"{missing} is not set (both {CERT_ENV} and {KEY_ENV} are needed)", setting=missing
            )
        return cls.from_files(cert, key)

    def c2pa_signer(self) -> Any:
        """A fresh native ``c2pa.Signer`` for one signing (no timestamp authority: signing stays offline)."""
        from c2pa import C2paSignerInfo, C2paSigningAlg, Signer

        alg = C2paSigningAlg[self.algorithm.upper()]
        return Signer.from_info(C2paSignerInfo(alg, self._chain_pem, self._key_pem, None))

    def describe(self) -> dict[str, str]:
        """Public facts about the signer (algorithm, subject, issuer, where the certificate came from)."""
        return {
            "algorithm": self.algorithm,
            "subject": self.subject,
            "issuer": self.issuer,
            "certificate": self.cert_source,
        }

    def __repr__(self) -> str:
        return (
            f"CredentialSigner(algorithm={self.algorithm!r}, subject={self.subject!r}, "
            f"certificate={self.cert_source!r})"
        )

    def __reduce__(self) -> Any:  # never pickle the key by accident
        raise TypeError("CredentialSigner cannot be pickled (it holds a private key)")


def _public_der(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    data: bytes = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return data


def _algorithm(key: Any, key_source: str) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg = _CURVES.get(key.curve.name)
        if alg is None:
            raise ConfigurationError(
                f"{key_source}: elliptic curve {key.curve.name} is not usable for C2PA", setting=KEY_ENV
            )
        return alg
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise ConfigurationError(
        f"{key_source}: unsupported key type for C2PA (use EC P-256/384/521, RSA or Ed25519)", setting=KEY_ENV
    )


def trust_anchors_from_env(environ: Mapping[str, str] | None = None) -> bytes | None:
    """PEM trust anchors from the file named by ``BRANDKIT_C2PA_TRUST_ANCHORS`` (``None`` when unset)."""
    env = os.environ if environ is None else environ
    path = env.get(TRUST_ENV, "")
    if not path:
        return None
    return load_trust_anchors(path, TRUST_ENV)


def load_trust_anchors(path: str | os.PathLike[str], setting: str = TRUST_ENV) -> bytes:
    """PEM CA certificates a validator trusts, read from ``path`` and checked to parse."""
    from cryptography import x509

    data = read_pem_file(path, setting)
    try:
        x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ConfigurationError(f"{setting}: {path}: not a PEM certificate file", setting=setting) from None
    return data


def resolve_signer(signer: CredentialSigner | Literal["env"] | None) -> CredentialSigner | None:
    """The kit's signer: the object given, the environment's (``"env"``: ``None`` when unset), or none."""
    if signer == "env":
        return CredentialSigner.from_env()
    if signer is not None and not isinstance(signer, CredentialSigner):
        raise ConfigurationError(
            f"signer must be a CredentialSigner, 'env' or None, not {type(signer).__name__}", setting="signer"
        )
    return signer


def resolve_trust_anchors(anchors: bytes | str | os.PathLike[str] | None) -> bytes | None:
    """PEM trust anchors given as bytes or a file path; from ``BRANDKIT_C2PA_TRUST_ANCHORS`` when ``None``."""
    if anchors is None:
        return trust_anchors_from_env()
    if isinstance(anchors, bytes):
        from cryptography import x509

        try:
            x509.load_pem_x509_certificates(anchors)
        except ValueError:
            raise ConfigurationError("trust_anchors: not PEM certificates", setting="trust_anchors") from None
        return anchors
    return load_trust_anchors(anchors, "trust_anchors")
