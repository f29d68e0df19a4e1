"""``brandkit provenance make-test-signer`` and ``brandkit provenance show``, as a user runs them (docs/provenance.md):
make a signer, sign through the environment, show and verify the chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import brandkit
from brandkit.checks.credentials import CredentialsCheck
from brandkit.cli import app
from brandkit.credentials import sign_with_review
from brandkit.credentials.signer import CredentialSigner
from tests.test_openai_kit import REQ


@pytest.fixture(autouse=True)
def _no_signer_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("BRANDKIT_C2PA_CERT", "BRANDKIT_C2PA_KEY", "BRANDKIT_C2PA_TRUST_ANCHORS"):
        monkeypatch.delenv(var, raising=False)


def _run(*args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(app, list(args))
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, result.stdout


def _generate(spec: brandkit.BrandSpec, path: Path) -> Path:
    kit = brandkit.BrandKit(spec, provider="local", checks=[CredentialsCheck()])  # signer from the environment
    return kit.generate(brandkit.AssetRequest(**REQ, seed=3)).save(path)  # type: ignore[arg-type]


def test_make_signer_sign_via_env_show_and_verify(
    lumen: brandkit.BrandSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, made = _run("provenance", "make-test-signer", str(tmp_path / "signer"), "--json")
    assert code == 0 and made["algorithm"] == "es256"
    assert (Path(made["key"]).stat().st_mode & 0o077) == 0  # the key is readable by its owner only
    monkeypatch.setenv("BRANDKIT_C2PA_CERT", made["cert"])
    monkeypatch.setenv("BRANDKIT_C2PA_KEY", made["key"])
    image = _generate(lumen, tmp_path / "out" / "ad.png")

    code, shown = _run("provenance", "show", str(image), "--json")
    assert code == 0 and shown["content_credentials"] == "valid"
    assert "signingCredential.untrusted" in shown["codes"]
    code, shown = _run("provenance", "show", str(image), "--trust-anchors", made["trust_anchors"], "--json")
    assert code == 0 and shown["content_credentials"] == "trusted" and shown["codes"] == []
    assert [s["kind"] for s in shown["steps"]] == ["brandkit"]  # local renderer: created by brandkit's step
    assert shown["steps"][0]["actions"][0]["action"] == "c2pa.created"
    assert shown["spec"]["name"] == lumen.name and shown["checks"]["credentials"]["status"] == "passed"
    assert shown["embedded_record"]["status"] == "read"
    assert shown["sidecar"]["credentials"]["content_credentials"] == "signed"

    monkeypatch.setenv("BRANDKIT_C2PA_TRUST_ANCHORS", made["trust_anchors"])  # the default for show and validate
    reviewed = tmp_path / "out" / "ad-approved.png"
    signer = CredentialSigner.from_files(made["cert"], made["key"])
    reviewed.write_bytes(sign_with_review(image.read_bytes(), signer, {"decision": "approved", "reviewer": "ana"}))
    code, text = _run("provenance", "show", str(reviewed))
    assert code == 0 and "trusted" in text and "review: approved by ana" in text
    assert "1. brandkit" in text and "2. review" in text and "check credentials: passed" in text


def test_show_reports_absent_and_unreadable(lumen: brandkit.BrandSpec, tmp_path: Path) -> None:
    unsigned = _generate(lumen, tmp_path / "plain.png")
    code, shown = _run("provenance", "show", str(unsigned), "--json")
    assert code == 1 and shown["content_credentials"] == "absent" and shown["steps"] == []
    assert shown["embedded_record"]["status"] == "read"  # brandkit's unsigned record is still there
    assert shown["sidecar"]["credentials"]["content_credentials"] == "unsigned"
    sidecar = tmp_path / "plain.png.json"
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace('"content_credentials"', '"contentcredentials"'))
    code, shown = _run("provenance", "show", str(unsigned), "--json")  # a sidecar not brandkit's: a note, no crash
    assert code == 1 and shown["sidecar"]["credentials"] is None
    assert "plain.png.json: contentcredentials: Extra inputs are not permitted" in shown["sidecar"]["note"]
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_bytes(b"hello")
    code, shown = _run("provenance", "show", str(not_an_image), "--json")
    assert code == 2 and "notes.png: not a readable PNG, JPEG or WebP image" in shown["error"]  # not "absent"
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    code, shown = _run("provenance", "show", str(empty), "--json")
    assert code == 2 and "empty.png: empty file" in shown["error"]
    code, shown = _run("provenance", "show", str(tmp_path / "missing.png"), "--json")
    assert code == 2 and "missing.png" in shown["error"]


def test_make_test_signer_never_overwrites_and_checks_its_options(tmp_path: Path) -> None:
    assert _run("provenance", "make-test-signer", str(tmp_path), "--json")[0] == 0
    before = (tmp_path / "signer.key").read_bytes()
    code, out = _run("provenance", "make-test-signer", str(tmp_path), "--json")
    assert code == 2 and "signer" in out["error"] and (tmp_path / "signer.key").read_bytes() == before
    code, out = _run("provenance", "make-test-signer", str(tmp_path / "x"), "--algorithm", "md5", "--json")
    assert code == 2 and "md5" in out["error"]
    code, out = _run("provenance", "make-test-signer", str(tmp_path / "rsa"), "--algorithm", "ps256", "--json")
    assert code == 0 and CredentialSigner.from_files(out["cert"], out["key"]).algorithm == "ps256"


def test_bad_trust_anchor_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    image = tmp_path / "i.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    code, out = _run("provenance", "show", str(image), "--trust-anchors", str(bad), "--json")
    assert code == 2 and str(bad) in out["error"] and "not a PEM certificate" in out["error"]
