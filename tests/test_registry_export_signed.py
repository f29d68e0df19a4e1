"""``review export --sign``: approved assets re-signed with their review decision (Content Credentials)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from brandkit.credentials import CredentialSigner, read_credentials
from brandkit.credentials.devcert import make_chain
from brandkit.registry.export import export_approved
from brandkit.registry.store import Registry
from tests.registry_support import attempt, record


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[Registry]:
    registry = Registry.open(tmp_path / "brandkit.db")
    yield registry
    registry.close()


def _real_png(path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 90)).save(buf, "PNG")
    path.write_bytes(buf.getvalue())


def test_signed_export_carries_the_review_decision_and_is_recognised_on_re_export(
    reg: Registry, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    rec = record(src, "hero.png", [attempt(1)])
    _real_png(src / "hero.png")
    rec = dataclasses.replace(rec, content_hash=hashlib.sha256((src / "hero.png").read_bytes()).hexdigest())
    row = reg.record(rec, run_id="r1")
    reg.decide(row.id, "approved", "on brand", "ana")
    chain = make_chain()
    signer = CredentialSigner(chain.chain_pem, chain.key_pem)
    pub = tmp_path / "pub"

    result = export_approved(reg, pub, signer=signer)

    assert result.written == [str(pub / "hero.png")]
    exported = (pub / "hero.png").read_bytes()
    assert exported != (src / "hero.png").read_bytes()
    found = read_credentials(exported, chain.ca_pem)
    assert found.state == "trusted"
    assert found.active is not None and found.active.brandkit is not None
    review = found.active.brandkit["review"]
    assert (review["decision"], review["reviewer"], review["reason"], review["asset_id"]) == (
        "approved",
        "ana",
        "on brand",
        row.id,
    )
    assert Image.open(io.BytesIO(exported)).tobytes() == Image.open(src / "hero.png").tobytes()
    entry = json.loads((pub / "export.json").read_text(encoding="utf-8"))["assets"][0]
    assert entry["sha256"] == row.content_hash
    assert entry["exported_sha256"] == hashlib.sha256(exported).hexdigest()
    assert entry["signed_with_review"] is True
    assert chain.key_pem.decode() not in (pub / "export.json").read_text(encoding="utf-8")

    again = export_approved(reg, pub, signer=signer)  # signing is not byte-stable: the manifest must recognise it
    assert again.unchanged == [str(pub / "hero.png")] and again.written == []
    assert (pub / "hero.png").read_bytes() == exported
