"""Test certificate authorities for Content Credentials (C2PA) tests.

Each test makes its own CA and end-entity certificate (C2PA refuses self-signed leaves); the generator is
brandkit's own (:mod:`brandkit.credentials.devcert`, also behind ``brandkit provenance make-test-signer``), so the
tests exercise what users run.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

from brandkit.credentials.devcert import SignerChain, make_chain
from brandkit.credentials.sign import TRAINED

__all__ = ["SignerChain", "make_chain", "openai_signer"]


def openai_signer(chain: SignerChain) -> Callable[[bytes, Mapping[str, Any]], bytes]:
    """A Content Credentials signer for the loopback OpenAI server: signs each returned image as OpenAI does
    (claim generator "OpenAI (test)", ``c2pa.created`` by the requested model, digitalSourceType
    trainedAlgorithmicMedia), with ``chain`` (a second test CA, not brandkit's)."""

    def sign(image: bytes, params: Mapping[str, Any]) -> bytes:
        from c2pa import Builder, C2paSignerInfo, C2paSigningAlg, Signer

        mime = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}[
            str(params.get("output_format") or "png")
        ]
        manifest = {
            "claim_generator_info": [{"name": "OpenAI (test)", "version": "1"}],
            "title": "image",
            "assertions": [
                {
                    "label": "c2pa.actions",
                    "data": {
                        "actions": [
                            {
                                "action": "c2pa.created",
                                "digitalSourceType": TRAINED,
                                "softwareAgent": {"name": str(params.get("model") or "gpt-image-2")},
                            }
                        ]
                    },
                }
            ],
        }
        out = io.BytesIO()
        info = C2paSignerInfo(C2paSigningAlg.ES256, chain.chain_pem, chain.key_pem, None)
        with Builder(json.dumps(manifest)) as builder, Signer.from_info(info) as signer:
            builder.sign(signer, mime, io.BytesIO(image), out)
        return out.getvalue()

    return sign
