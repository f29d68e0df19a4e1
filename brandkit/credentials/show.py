"""The provenance chain of one image file, for ``brandkit provenance show``: model → brandkit steps → checks →
review, from its Content Credentials, its embedded brandkit record and its sidecar (when beside it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brandkit.asset_sidecar import read_sidecar
from brandkit.credentials.read import ManifestSummary, read_credentials
from brandkit.errors import ImageInputError, SidecarError
from brandkit.imageio import detect_format, read_bytes
from brandkit.provenance import read_provenance_record


def _step(manifest: ManifestSummary) -> dict[str, Any]:
    brandkit = manifest.brandkit or {}
    if "review" in brandkit and any(a.action == "c2pa.published" for a in manifest.actions):
        kind = "review"
    elif brandkit:
        kind = "brandkit"
    elif any(a.action == "c2pa.created" for a in manifest.actions):
        kind = "model"
    else:
        kind = "other"
    return {
        "kind": kind,
        "claim_generator": manifest.claim_generator,
        "signer": manifest.signer,
        "issuer": manifest.issuer,
        "algorithm": manifest.algorithm,
        "actions": [a.model_dump(exclude_none=True) for a in manifest.actions],
        "manifest": manifest.label,
    }


_IMAGE_FORMATS = ("png", "jpeg", "webp")


def provenance_chain(path: Path, trust_anchors: bytes | None = None) -> dict[str, Any]:
    """Everything known about where ``path`` came from, as plain data (no secrets: names, hashes, statuses).

    Raises :class:`~brandkit.errors.ImageInputError` for a file that is missing, empty, or not a PNG, JPEG or WebP
    image (its provenance cannot be read: the command exits 2, not 1 as for an image without credentials)."""
    data = read_bytes(path)
    if not data:
        raise ImageInputError(f"{path}: empty file", source=str(path))
    if detect_format(data) not in _IMAGE_FORMATS:
        raise ImageInputError(f"{path}: not a readable PNG, JPEG or WebP image", source=str(path))
    found = read_credentials(data, trust_anchors)
    last_brandkit = next((m.brandkit for m in reversed(found.chain) if m.brandkit), None) or {}
    reading = read_provenance_record(data)
    sidecar_path = path.with_suffix(path.suffix + ".json")
    sidecar_credentials: Any = None
    sidecar_note = None
    if sidecar_path.is_file():
        try:
            sidecar_credentials = read_sidecar(sidecar_path).credentials
        except SidecarError as exc:  # a foreign sidecar is a note naming the file and field, never a crash
            sidecar_note = f"sidecar unreadable: {exc}"
    record = reading.record.model_dump(mode="json", by_alias=True) if reading.record is not None else None
    return {
        "file": str(path),
        "content_credentials": found.state,
        "codes": found.codes,
        "message": found.message,
        "steps": [_step(m) for m in found.chain],
        "spec": last_brandkit.get("spec"),
        "prompt_hash": last_brandkit.get("prompt_hash"),
        "attempt": last_brandkit.get("attempt"),
        "fixes": last_brandkit.get("fixes"),
        "checks": last_brandkit.get("checks"),
        "review": last_brandkit.get("review"),
        "embedded_record": {"status": reading.status, "reason": reading.reason, "record": record},
        "sidecar": {"credentials": sidecar_credentials, "note": sidecar_note} if sidecar_path.is_file() else None,
    }
