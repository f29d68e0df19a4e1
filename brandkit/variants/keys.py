"""Stable variant keys and names: sha256 over the spec fingerprint and the canonical request JSON (reference
and master images by content hash), so a key names exactly one paid generation wherever the plan lives."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from brandkit.models import AssetRequest, EditRequest

__all__ = ["canonical_request", "rejected_name", "sha256_file", "slug", "variant_key", "variant_name"]

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """``text`` in lower case with every run of other characters than a-z and 0-9 as one hyphen."""
    return _SLUG.sub("-", text.lower()).strip("-")


def sha256_file(path: Path) -> str:
    """sha256 (hex) of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def canonical_request(request: AssetRequest | EditRequest, hashes: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The request as canonical JSON data: defaults left out, reference images named by content hash.

    ``hashes`` maps a reference path to its sha256 (computed from the file when missing).
    """
    data = request.model_dump(mode="json", exclude_defaults=True)
    if isinstance(request, AssetRequest) and request.references:
        refs = []
        for ref in request.references:
            if ref.path is not None:
                digest = (hashes or {}).get(ref.path) or sha256_file(Path(ref.path))
            else:
                digest = hashlib.sha256(ref.read()).hexdigest()
            refs.append({"sha256": digest, "role": ref.role, "description": ref.description})
        data["references"] = refs
    return data


def variant_key(
    spec_fingerprint: str,
    request: AssetRequest | EditRequest,
    master: str | None = None,
    hashes: Mapping[str, str] | None = None,
) -> str:
    """sha256 (hex) of the spec fingerprint, the operation, the canonical request and the master's identity."""
    payload = {
        "v": 1,
        "spec": spec_fingerprint,
        "operation": "edit" if isinstance(request, EditRequest) else "generate",
        "request": canonical_request(request, hashes),
        "master": master,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def variant_name(spec_id: str, labels: Mapping[str, str], key: str) -> str:
    """A variant's file name stem: ``SPEC/label-slugs-KEYPREFIX``."""
    parts = [slug(v)[:28].strip("-") for k, v in labels.items() if k != "spec"]
    stem = "_".join(p for p in parts if p) or "variant"
    return f"{spec_id}/{stem}-{key[:10]}"


def rejected_name(out: Path, name: str, extension: str, data: bytes) -> str:
    """Where a variant's best rejected attempt goes in the run folder ``out``: ``rejected/<name><extension>``, or
    ``-2``, ``-3``… beside it when an earlier session kept other bytes there. A variant made again
    (``--retry-failed``) never replaces its earlier best attempt: a reviewer may have approved it (over its
    checks), and the registry's row for it holds that file's hash. The same bytes again (a resumed session saving
    what it saved before) reuse their name."""
    number = 1
    while True:
        rel = f"rejected/{name}{'' if number == 1 else f'-{number}'}{extension}"
        path = out / rel
        if not path.exists() or (path.is_file() and path.read_bytes() == data):
            return rel
        number += 1
