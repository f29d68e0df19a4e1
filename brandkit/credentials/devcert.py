"""Test signers for Content Credentials: a throw-away CA and an end-entity certificate it issued.

C2PA refuses a self-signed signing certificate, so a test or a trial signer needs a small chain: a CA
(``ca_pem``, the trust anchor a validator may be given) and an end-entity certificate it issued, with key usage
digitalSignature and the extended key usage emailProtection (what the C2PA trust model accepts for a signer).
Made with ``cryptography``, offline, fresh keys per call. ``brandkit provenance make-test-signer`` writes one;
never use it to sign anything you publish.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class SignerChain:
    """A CA and one end-entity signer it issued, as PEM bytes."""

    ca_pem: bytes
    chain_pem: bytes  # end-entity certificate followed by the CA certificate
    key_pem: bytes  # the end-entity's private key (PKCS#8)
    leaf_pem: bytes

    def write(self, folder: Path, stem: str = "signer") -> tuple[Path, Path, Path]:
        """Write ``<stem>.pem`` (chain), ``<stem>.key`` and ``<stem>-ca.pem``; returns the three paths."""
        folder.mkdir(parents=True, exist_ok=True)
        cert, key, ca = folder / f"{stem}.pem", folder / f"{stem}.key", folder / f"{stem}-ca.pem"
        cert.write_bytes(self.chain_pem)
        key.write_bytes(self.key_pem)
        ca.write_bytes(self.ca_pem)
        return cert, key, ca


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test")]
    )


def make_chain(
    common_name: str = "brandkit test signer", *, algorithm: str = "es256", self_signed_leaf: bool = False
) -> SignerChain:
    """A fresh test CA and end-entity signer. ``algorithm``: ``es256`` (P-256), ``es384`` (P-384) or ``ps256``
    (RSA 2048). ``self_signed_leaf=True`` makes a leaf that signs itself (which C2PA refuses)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{common_name} CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if algorithm == "ps256":
        leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif algorithm == "es384":
        leaf_key = ec.generate_private_key(ec.SECP384R1())
    else:
        leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = _name(common_name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(leaf_name)
        .issuer_name(leaf_name if self_signed_leaf else ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
    )
    if not self_signed_leaf:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    leaf_cert = builder.sign(leaf_key if self_signed_leaf else ca_key, hashes.SHA256())
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    leaf_pem = leaf_cert.public_bytes(serialization.Encoding.PEM)
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain_pem = leaf_pem if self_signed_leaf else leaf_pem + ca_pem
    return SignerChain(ca_pem=ca_pem, chain_pem=chain_pem, key_pem=key_pem, leaf_pem=leaf_pem)
