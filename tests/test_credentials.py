"""Content Credentials (C2PA) with real credentials: each test makes its own CAs (C2PA refuses self-signed leaves).

The loopback OpenAI server signs what it returns with a second test CA, as OpenAI does; brandkit keeps that
manifest as the ingredient of the one it signs, and validate reports trusted / valid / invalid / absent.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import brandkit
from brandkit.checks.credentials import CredentialsCheck
from brandkit.credentials import CredentialSigner, read_credentials, sign_with_review, strip_manifest
from brandkit.credentials.sign import finish_credentials, sign_image
from brandkit.errors import ConfigurationError, ImageInputError
from brandkit.models import CheckStatus
from brandkit.spec.models import CheckSettings
from tests.support.c2pa_certs import SignerChain, make_chain, openai_signer
from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY
from tests.support.openai_server import OpenAIServer, render_image
from tests.test_openai_kit import REQ, brand_imagery

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


@pytest.fixture(autouse=True)
def _no_signer_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("BRANDKIT_C2PA_CERT", "BRANDKIT_C2PA_KEY", "BRANDKIT_C2PA_TRUST_ANCHORS"):
        monkeypatch.delenv(var, raising=False)


def _local(spec: brandkit.BrandSpec, cls: type = brandkit.BrandKit, **options: object) -> Any:
    """A local-renderer kit running only the credentials check (the other checks are not what these tests are
    about, and OCR per kit is slow); the pipeline, signing and validation paths are the ones every kit runs."""
    return cls(spec, provider="local", checks=[CredentialsCheck()], **options)


def _signer(chain: SignerChain) -> CredentialSigner:
    return CredentialSigner(chain.chain_pem, chain.key_pem)


def _openai_kit(spec: brandkit.BrandSpec, server: OpenAIServer, **options: object) -> brandkit.BrandKit:
    return brandkit.BrandKit(
        spec, provider="openai", api_key=FAKE_API_KEY, base_url=server.url, retry=FAST_RETRY, **options
    )


def _signed_openai_kit(
    spec: brandkit.BrandSpec, server: OpenAIServer
) -> tuple[brandkit.BrandKit, SignerChain, SignerChain]:
    """A kit on the loopback OpenAI server, which signs what it returns as OpenAI does (one test CA), signing its
    own assets with another CA; the kit and the two chains ("OpenAI", brandkit's)."""
    openai_ca, brandkit_ca = make_chain("OpenAI test CA signer"), make_chain("Acme brand studio")
    server.image_factory = brand_imagery(spec)
    server.content_credentials = openai_signer(openai_ca)
    return _openai_kit(spec, server, signer=_signer(brandkit_ca)), openai_ca, brandkit_ca


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _flip_png_pixels(data: bytes) -> bytes:
    """The same PNG with 1000 pixel bytes changed (image data re-compressed, CRCs right: it still decodes);
    every other chunk — the C2PA store included — untouched."""
    chunks: list[tuple[bytes, bytes]] = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    raw = bytearray(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT")))
    middle = len(raw) // 2
    for i in range(middle, middle + 1000):
        raw[i] ^= 0x01
    out, written = [data[:8]], False
    for kind, body in chunks:
        if kind != b"IDAT":
            out.append(_png_chunk(kind, body))
        elif not written:
            out.append(_png_chunk(b"IDAT", zlib.compress(bytes(raw))))
            written = True
    return b"".join(out)


# --- keep: the provider's manifest survives brandkit's changes ------------------------------------------------


def test_provider_manifest_survives_as_ingredient_after_overlay_fix(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer
) -> None:
    kit, openai_ca, brandkit_ca = _signed_openai_kit(northwind, openai_server)
    asset = kit.generate(brandkit.AssetRequest(**REQ, seed=1))  # type: ignore[arg-type]
    assert {"fix:logo", "fix:text"} <= set(asset.fixes)  # brandkit composited copy and logo: pixels changed

    found = read_credentials(asset.data, openai_ca.ca_pem + brandkit_ca.ca_pem)
    assert found.state == "trusted", found.codes
    model, ours = found.chain
    assert model.claim_generator == "OpenAI (test) 1" and model.signer == "OpenAI test CA signer"
    assert [(a.action, a.digital_source_type, a.software_agent) for a in model.actions] == [
        ("c2pa.created", TRAINED, "gpt-image-2")
    ]
    assert ours.signer == "Acme brand studio" and ours.ingredients[0].relationship == "parentOf"
    assert ours.ingredients[0].manifest == model.label
    # recorded when brandkit signed (no trust list there): the model's signature validated, its CA not trusted
    assert ours.ingredients[0].failures == ["signingCredential.untrusted"]
    actions = [a.action for a in ours.actions]
    assert actions[0] == "c2pa.opened" and actions.count("c2pa.edited") == len(asset.fixes)
    assert any("logo" in (a.description or "") for a in ours.actions)
    assert ours.brandkit is not None
    assert ours.brandkit["spec"] == {
        "name": northwind.name,
        "version": northwind.version,
        "fingerprint": northwind.fingerprint,
    }
    assert ours.brandkit["prompt_hash"] == asset.prompt.prompt_hash and ours.brandkit["attempt"] == 1
    assert ours.brandkit["checks"]["text"]["status"] == "passed"
    assert set(ours.brandkit["checks"]) == set(asset.report.checks)
    sidecar = asset.sidecar()
    assert sidecar["content_credentials"] == "signed"
    assert sidecar["credentials"]["provider_manifest"]["kept_as"].startswith("parent ingredient")
    assert brandkit.asset.read_embedded_provenance(asset.data) is not None  # brandkit's record still embedded


def test_an_edit_names_the_asset_it_edits_as_its_parent(lumen: brandkit.BrandSpec) -> None:
    """An edit of a signed asset read as a fresh creation ("c2pa.created") and its Content Credentials dropped
    the original's history. Now the edited asset is the ``parentOf`` ingredient: the chain reads the original's
    manifest, then the edit's (opened, edited); unsigned, the sidecar names it."""
    import hashlib

    chain = make_chain()
    kit = _local(lumen, signer=_signer(chain))
    original = kit.generate(brandkit.AssetRequest(**REQ, seed=3))  # type: ignore[arg-type]
    edited = kit.edit(original.data, "Change the headline", headline="Fresh ideas")
    found = read_credentials(edited.data, chain.ca_pem)
    assert found.state == "trusted", found.codes
    before, after = found.chain
    assert before.label == read_credentials(original.data).active.label  # type: ignore[union-attr]
    assert before.actions[0].action == "c2pa.created"
    assert [a.action for a in after.actions] == ["c2pa.opened", "c2pa.edited"] + ["c2pa.edited"] * len(edited.fixes)
    assert after.actions[1].software_agent == original.model and "edited by" in (after.actions[1].description or "")
    assert [(i.relationship, i.manifest) for i in after.ingredients] == [("parentOf", before.label)]
    assert after.brandkit is not None and after.brandkit["prompt_hash"] == edited.prompt.prompt_hash
    info = edited.sidecar()["credentials"]
    assert info["edited_from"] == {
        "image_sha256": hashlib.sha256(original.data).hexdigest(),
        "state": "valid",  # read without trust anchors: the signature holds
        "manifest": before.label,
        "kept_as": "parent ingredient",
    }
    # a conversation's next turn is an edit of the turn before it: the same chain
    talk = kit.conversation({**REQ, "seed": 5})
    first = talk.turn()
    second = talk.turn("make the background warmer")
    talk.close()
    turns = read_credentials(second.asset.data, chain.ca_pem)
    assert (
        turns.state == "trusted"
        and [m.label for m in turns.chain][-2] == read_credentials(first.asset.data).active.label
    )  # type: ignore[union-attr]
    # without a signer nothing is signed, and the sidecar says what was edited
    plain = _local(lumen).edit(original.data, "Change the headline", headline="Fresh ideas")
    assert read_credentials(plain.data).state == "absent"
    assert plain.sidecar()["credentials"]["edited_from"]["kept_as"] == "sidecar only"
    assert plain.sidecar()["credentials"]["edited_from"]["image_sha256"] == hashlib.sha256(original.data).hexdigest()


def test_an_openai_edit_keeps_the_original_as_parent_and_the_model_image_as_a_component(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer
) -> None:
    kit, openai_ca, brandkit_ca = _signed_openai_kit(northwind, openai_server)
    original = kit.generate(brandkit.AssetRequest(**REQ, seed=1))  # type: ignore[arg-type]
    edited = kit.edit(original.data, "Warmer light", seed=2)
    assert openai_server.records("/images/edits")  # the edit went to the model
    found = read_credentials(edited.data, openai_ca.ca_pem + brandkit_ca.ca_pem)
    assert found.state == "trusted", found.codes
    model, first, ours = found.chain  # the original's chain (model, brandkit), then the edit
    assert first.label == read_credentials(original.data).active.label  # type: ignore[union-attr]
    relations = {i.relationship: i for i in ours.ingredients}
    assert set(relations) == {"parentOf", "componentOf"} and relations["parentOf"].manifest == first.label
    component = relations["componentOf"].manifest
    assert component is not None and component != model.label  # the edit's own model image, signed by "OpenAI"
    assert [a.action for a in ours.actions][:2] == ["c2pa.opened", "c2pa.edited"]
    assert ours.actions[1].digital_source_type == TRAINED and ours.actions[1].software_agent == "gpt-image-2"
    info = edited.sidecar()["credentials"]
    assert info["provider_manifest"]["kept_as"] == "component ingredient (embedded)"
    assert info["edited_from"]["kept_as"] == "parent ingredient"


def test_without_signer_nothing_pretends(lumen: brandkit.BrandSpec, openai_server: OpenAIServer) -> None:
    openai_ca = make_chain("OpenAI test CA signer")
    openai_server.image_factory = brand_imagery(lumen)
    openai_server.content_credentials = openai_signer(openai_ca)
    kit = _openai_kit(lumen, openai_server, checks=[CredentialsCheck()])
    asset = kit.generate(brandkit.AssetRequest(**REQ, seed=1))  # type: ignore[arg-type]
    assert asset.report.passed  # the credentials check only warns by default
    check = asset.report.checks["credentials"]
    assert check.status == CheckStatus.failed and check.policy == "warn"
    assert check.details["content_credentials"] == "unsigned"
    sidecar = asset.sidecar()
    assert sidecar["content_credentials"] == "unsigned"
    reference = sidecar["credentials"]["provider_manifest"]
    assert reference["kept_as"] == "ingredient reference (sidecar only)" and reference["state"] == "valid"
    assert reference["digital_source_type"] == TRAINED and reference["software_agent"] == "gpt-image-2"
    assert read_credentials(asset.data).state == "absent"  # no stale manifest that would read as tampered
    assert brandkit.asset.read_embedded_provenance(asset.data) is not None


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_strip_keeps_pixels_and_other_metadata(fmt: str) -> None:
    chain = make_chain()
    raw = render_image(320, 240, fmt)
    signed = sign_image(raw, _signer(chain), actions=_created(), assertion={}, title="x")
    assert read_credentials(signed).state == "valid"
    stripped = strip_manifest(signed)
    assert read_credentials(stripped).state == "absent" and len(stripped) < len(signed)
    assert Image.open(io.BytesIO(stripped)).tobytes() == Image.open(io.BytesIO(signed)).tobytes()
    assert strip_manifest(raw) is raw


def _created() -> list[dict[str, object]]:
    return [{"action": "c2pa.created", "digitalSourceType": TRAINED, "softwareAgent": {"name": "gpt-image-2"}}]


# --- sign and verify -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "algorithm"), [("png", "es256"), ("jpeg", "ps256"), ("webp", "es384")])
def test_signed_asset_is_trusted_with_its_anchor_and_untrusted_without(
    lumen: brandkit.BrandSpec, tmp_path: Path, fmt: str, algorithm: str
) -> None:
    chain = make_chain("Acme brand studio", algorithm=algorithm)
    signer = _signer(chain)
    assert signer.algorithm == algorithm
    kit = _local(lumen, signer=signer)
    request = brandkit.AssetRequest(**REQ, seed=5, output_format=fmt)  # type: ignore[arg-type]
    path = kit.generate(request).save(tmp_path / f"a.{'jpg' if fmt == 'jpeg' else fmt}")

    untrusted = _local(lumen).validate(path).checks["credentials"]
    assert untrusted.status == CheckStatus.passed and untrusted.details["state"] == "valid"
    assert "signingCredential.untrusted" in untrusted.details["codes"]
    trusted = _local(lumen, trust_anchors=chain.ca_pem).validate(path)
    assert trusted.checks["credentials"].details["state"] == "trusted"
    assert trusted.checks["credentials"].details["codes"] == []
    other = _local(lumen, trust_anchors=make_chain("someone else").ca_pem)
    assert other.validate(path).checks["credentials"].details["state"] == "valid"


def test_flipped_pixels_make_validate_report_invalid(lumen: brandkit.BrandSpec, tmp_path: Path) -> None:
    chain = make_chain()
    kit = _local(lumen, signer=_signer(chain), trust_anchors=chain.ca_pem)
    asset = kit.generate(brandkit.AssetRequest(**REQ, seed=6))  # type: ignore[arg-type]
    tampered = _flip_png_pixels(asset.data)
    assert Image.open(io.BytesIO(tampered)).tobytes() != asset.image.tobytes()  # it decodes, pixels differ
    report = kit.validate(tampered)
    check = report.checks["credentials"]
    assert check.status == CheckStatus.failed and check.details["state"] == "invalid"
    assert "assertion.dataHash.mismatch" in check.details["codes"]
    assert "assertion.dataHash.mismatch" in (check.hint or "")
    assert kit.validate(asset.data).checks["credentials"].details["state"] == "trusted"  # the untouched file


def test_absent_credentials_are_reported_not_blocking(lumen: brandkit.BrandSpec) -> None:
    report = _local(lumen).validate(render_image(1024, 1024, "png"))
    check = report.checks["credentials"]
    assert check.status == CheckStatus.failed and check.details["state"] == "absent" and not check.blocking


def test_spec_can_require_credentials(lumen: brandkit.BrandSpec, openai_server: OpenAIServer) -> None:
    strict = lumen.model_copy(update={"checks": {**lumen.checks, "credentials": CheckSettings(policy="raise")}})
    image = render_image(1024, 1024, "png")
    report = _local(strict).validate(image)
    assert not report.passed and report.checks["credentials"].blocking
    openai_server.image_factory = brand_imagery(lumen)
    with pytest.raises(ConfigurationError, match="BRANDKIT_C2PA_CERT"):
        _openai_kit(strict, openai_server).generate(brandkit.AssetRequest(**REQ, seed=1))  # type: ignore[arg-type]
    assert openai_server.count("/images/generations") == 0  # refused before anything was paid for


def test_async_kit_signs_too(lumen: brandkit.BrandSpec) -> None:
    chain = make_chain()
    kit = _local(lumen, brandkit.AsyncBrandKit, signer=_signer(chain))
    asset = asyncio.run(kit.generate(brandkit.AssetRequest(**REQ, seed=7)))  # type: ignore[arg-type]
    found = read_credentials(asset.data, chain.ca_pem)
    assert found.state == "trusted" and asset.report.checks["credentials"].status == CheckStatus.passed
    (created,) = [a for a in found.chain[0].actions if a.action == "c2pa.created"]  # local: no provider manifest
    assert created.digital_source_type is not None and created.digital_source_type.endswith("algorithmicMedia")


def test_review_decision_is_signed_into_the_chain(lumen: brandkit.BrandSpec) -> None:
    chain = make_chain()
    signer = _signer(chain)
    asset = _local(lumen, signer=signer).generate(
        brandkit.AssetRequest(**REQ, seed=8)  # type: ignore[arg-type]
    )
    review = {"decision": "approved", "reviewer": "ana", "decided_at": "2026-12-04T17:00:00Z"}
    exported = sign_with_review(asset.data, signer, review)
    found = read_credentials(exported, chain.ca_pem)
    assert found.state == "trusted" and len(found.chain) == 2
    before, after = found.chain
    assert before.brandkit is not None and "review" not in before.brandkit
    assert after.brandkit is not None and after.brandkit["review"] == review
    assert after.brandkit["prompt_hash"] == asset.prompt.prompt_hash
    assert [a.action for a in after.actions] == ["c2pa.opened", "c2pa.published"]
    assert Image.open(io.BytesIO(exported)).tobytes() == asset.image.tobytes()


# --- signer configuration --------------------------------------------------------------------------------------


def test_signer_errors_name_the_file_never_its_content(
    lumen: brandkit.BrandSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, other = make_chain(), make_chain("other")
    cert, key, _ = good.write(tmp_path / "good")
    _, other_key, _ = other.write(tmp_path / "other")
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    self_signed = make_chain("selfie", self_signed_leaf=True)
    ss_cert, ss_key, _ = self_signed.write(tmp_path / "ss")
    cases = [
        ((bad, key), str(bad), "not a PEM certificate"),
        ((cert, cert), str(cert), "not an unencrypted PEM private key"),
        ((cert, other_key), str(other_key), "does not match"),
        ((ss_cert, ss_key), str(ss_cert), "self-signed"),
        ((tmp_path / "missing.pem", key), "missing.pem", "no such file"),
    ]
    secrets = [good.key_pem, other.key_pem, self_signed.key_pem]
    for (c, k), named, why in cases:
        with pytest.raises(ConfigurationError) as info:
            CredentialSigner.from_files(c, k)
        message = str(info.value)
        assert named in message and why in message, message
        assert "PRIVATE KEY" not in message and not any(_key_body(s) in message for s in secrets)
    monkeypatch.setenv("BRANDKIT_C2PA_CERT", str(cert))
    with pytest.raises(ConfigurationError, match="BRANDKIT_C2PA_KEY is not set"):
        brandkit.BrandKit(lumen, provider="local")
    monkeypatch.setenv("BRANDKIT_C2PA_KEY", str(key))
    signer = CredentialSigner.from_env()
    assert signer is not None and "PRIVATE" not in repr(signer) and _key_body(good.key_pem) not in repr(signer)


def _key_body(pem: bytes) -> str:
    return pem.decode().splitlines()[1]  # the first line of base64 key material


def test_no_key_material_or_api_key_anywhere(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    openai_ca, ours = make_chain("OpenAI test CA signer"), make_chain("Acme brand studio")
    cert, key, ca = ours.write(tmp_path / "keys")
    openai_server.image_factory = brand_imagery(northwind)
    openai_server.content_credentials = openai_signer(openai_ca)
    caplog.set_level(logging.DEBUG)
    signer = CredentialSigner.from_files(cert, key)
    kit = _openai_kit(northwind, openai_server, signer=signer, trust_anchors=ca, checks=[CredentialsCheck()])
    asset = kit.generate(brandkit.AssetRequest(**REQ, seed=1))  # type: ignore[arg-type]
    saved = asset.save(tmp_path / "out" / "asset.png")
    manifest = read_credentials(saved.read_bytes(), ours.ca_pem).model_dump_json()
    report = kit.validate(saved).model_dump_json()
    with pytest.raises(ConfigurationError) as info:
        CredentialSigner.from_files(cert, tmp_path / "keys" / "signer-ca.pem")
    texts = {
        "image": saved.read_bytes().decode("latin-1"),
        "sidecar": saved.with_suffix(".png.json").read_text(),
        "manifest": manifest,
        "report": report,
        "logs": "\n".join(r.getMessage() for r in caplog.records),
        "error": str(info.value),
        "repr": repr(CredentialSigner.from_files(cert, key)),
    }
    needles = [FAKE_API_KEY, "PRIVATE KEY", *[line for line in ours.key_pem.decode().splitlines()[1:-1]]]
    needles += [line for line in openai_ca.key_pem.decode().splitlines()[1:-1]]
    for where, text in texts.items():
        for needle in needles:
            assert needle not in text, f"{where} leaks {needle[:12]}…"
    assert json.loads(texts["sidecar"])["content_credentials"] == "signed"


# --- brandkit changed no pixels; hostile stores ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_unchanged_provider_image_keeps_the_model_manifest_as_parent(fmt: str) -> None:
    """No overlay, no fix: brandkit only embeds its record, which breaks the model's hard binding — so the model's
    store leaves the file and comes back as the parent ingredient of brandkit's manifest (or, unsigned, as a
    sidecar reference); nothing in the delivered file reads as tampered."""
    model_ca, ours = make_chain("OpenAI test CA signer"), make_chain("Acme brand studio")
    provider = openai_signer(model_ca)(render_image(512, 512, fmt), {"output_format": fmt, "model": "gpt-image-2"})
    embedded = brandkit.asset.embed_provenance(provider, fmt, {"generator": "brandkit/test", "checks": {}})
    assert read_credentials(embedded).state == "invalid"  # what leaving the store in place would deliver
    assertion = {"provider": "openai", "model": "gpt-image-2", "fixes": []}
    signed, info = finish_credentials(
        strip_manifest(embedded), fmt, signer=_signer(ours), provider_image=provider, assertion=assertion, title="a"
    )
    found = read_credentials(signed, ours.ca_pem)
    assert found.state == "trusted" and [m.signer for m in found.chain] == [
        "OpenAI test CA signer",
        "Acme brand studio",
    ]
    assert [a.action for a in found.chain[-1].actions] == ["c2pa.opened"]
    assert info["content_credentials"] == "signed"
    assert b'"generator":"brandkit/test"' in signed  # brandkit's record is still embedded
    unsigned, info = finish_credentials(
        strip_manifest(embedded), fmt, signer=None, provider_image=provider, assertion=assertion, title="a"
    )
    assert read_credentials(unsigned).state == "absent" and info["content_credentials"] == "unsigned"
    assert (
        info["provider_manifest"]["state"] == "valid" and info["provider_manifest"]["signer"] == "OpenAI test CA signer"
    )


def test_hostile_manifest_stores_are_reported_never_raised() -> None:
    """Truncated and bit-flipped stores, and junk in a caBX chunk: read_credentials returns a state (never raises,
    never crashes the native library) and strip_manifest never raises."""
    chain = make_chain()
    signed = sign_image(render_image(256, 256, "png"), _signer(chain), actions=_created(), assertion={}, title="x")
    start = signed.index(b"caBX") - 4
    (length,) = struct.unpack(">I", signed[start : start + 4])
    rng = random.Random(16)
    cases = [signed[:cut] for cut in (start + 8, start + 40, start + length // 2, len(signed) - 20)]
    for _ in range(24):
        damaged = bytearray(signed)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(start + 8, start + 8 + length)] ^= 1 << rng.randrange(8)
        cases.append(bytes(damaged))
    junk = _png_chunk(b"caBX", bytes(rng.randrange(256) for _ in range(300)))
    cases.append(signed[:start] + junk + signed[start + 12 + length :])
    states = set()
    for data in cases:
        found = read_credentials(data)
        states.add(found.state)
        assert found.state in ("absent", "valid", "invalid", "trusted")
        strip_manifest(data)
    assert "invalid" in states  # damage is seen, not waved through


def test_unsupported_format_is_a_typed_error_naming_it() -> None:
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    with pytest.raises(ImageInputError, match="cannot sign gif images"):
        sign_image(gif.getvalue(), _signer(make_chain()), actions=_created(), assertion={}, title="x")
    assert read_credentials(gif.getvalue()).state == "absent"
