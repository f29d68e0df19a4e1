"""Export approved assets, with their sidecars, into a folder ready to publish.

Only assets whose *current* state is ``approved`` are exported, and only when the file on disk is still the
one that was approved (same sha256 as recorded) — anything else is refused and listed, never copied.
Each image and its sidecar are written together atomically, under the image's own file name. Nothing is
ever replaced by surprise: an identical file already there is skipped; a different file with that name, or two
approved assets that would share a name, stop the export before anything is written (``overwrite=True``
replaces existing files; two assets sharing a name always stop it). ``export.json`` lists what the folder holds
(this export's assets merged into an earlier export's list), who approved each when and why, and whether its checks
passed (``checks_passed`` false: the approval overrode them).

With a :class:`~brandkit.credentials.CredentialSigner`, each exported image is re-signed with the review decision
(:func:`~brandkit.credentials.sign_with_review`: the chain then reads model → brandkit → review); the exported
file then differs from the recorded one, so ``export.json`` records both hashes (``sha256`` of the approved
file, ``exported_sha256`` of what was written) and a re-export recognises its own earlier output as unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brandkit.atomic import atomic_write, atomic_write_all
from brandkit.errors import OutputError, RegistryError
from brandkit.registry.files import recorded_file
from brandkit.registry.models import AssetFilter, AssetRow, ReviewState
from brandkit.registry.store import Registry

if TYPE_CHECKING:
    from brandkit.credentials import CredentialSigner

MANIFEST_NAME = "export.json"


@dataclass
class ExportResult:
    """What an export did: files written, identical files skipped, assets refused (with why)."""

    out: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"out": str(self.out), "written": self.written, "unchanged": self.unchanged, "refused": self.refused}


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _earlier_manifest(path: Path) -> list[dict[str, Any]]:
    """The entries of an earlier export into the same folder (kept when exporting more); none if unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = data.get("assets") if isinstance(data, dict) else None
    return (
        [e for e in entries if isinstance(e, dict) and isinstance(e.get("file"), str)]
        if isinstance(entries, list)
        else []
    )


EXPORT_PAGE = 1000
"""The approved assets are read a page of this many rows at a time (every page: nothing is left out)."""


def _approved(registry: Registry, f: AssetFilter) -> list[AssetRow]:
    """Every asset ``f`` matches, newest first, read page by page (it read the newest 10,000 only)."""
    rows: list[AssetRow] = []
    while True:
        page = registry.page_assets(f)
        rows += page.rows
        if page.next_before is None:
            return rows
        f = f.model_copy(update={"before": page.next_before})


def export_approved(
    registry: Registry,
    out: str | os.PathLike[str],
    *,
    run: str | None = None,
    spec: str | None = None,
    overwrite: bool = False,
    signer: CredentialSigner | None = None,
) -> ExportResult:
    """Copy every approved asset (of ``run`` / ``spec`` when given) with its sidecar into ``out``.

    With ``signer``, each image is re-signed with its review decision (who approved it, when, the reason).

    Raises :class:`~brandkit.errors.OutputError` for a name conflict (nothing written) or a failed write, and
    :class:`~brandkit.errors.RegistryError` when nothing is approved.
    """
    target = Path(out)
    result = ExportResult(out=target)
    rows = _approved(registry, AssetFilter(run=run, spec=spec, state=ReviewState.approved, limit=EXPORT_PAGE))
    if not rows:
        raise RegistryError(f"{registry.path}: no approved asset to export", path=str(registry.path))
    earlier = {entry["file"]: entry for entry in _earlier_manifest(target / MANIFEST_NAME)}
    # the plan holds paths, never bytes: each file is read when it is checked and again when it is written (an
    # export of thousands of approved assets holds one file at a time, not all of them)
    plan: list[tuple[AssetRow, Path, Path]] = []
    names: dict[str, int] = {}
    conflicts: list[str] = []
    for row in rows:
        source = Path(row.path)
        now = recorded_file(row, source)
        if now.data is None or not now.unchanged:
            result.refused.append(
                {"id": row.id, "path": row.path, "reason": f"the file is {now.state.value} since it was recorded"}
            )
            continue
        name = source.name
        if name in names:
            conflicts.append(f"{name}: assets {names[name]} and {row.id} have the same file name")
            continue
        names[name] = row.id
        plan.append((row, source, target / name))

    def already_there(row: AssetRow, dest: Path) -> bool:
        """The file at ``dest`` is this asset's export: the checked bytes (``content_hash``), or this asset's
        earlier signed export."""
        digest = _digest(dest)
        if digest == row.content_hash:
            return True
        entry = earlier.get(dest.name)
        return entry is not None and entry.get("sha256") == row.content_hash and entry.get("exported_sha256") == digest

    for row, _, dest in plan:
        if dest.exists() and not overwrite and not already_there(row, dest):
            conflicts.append(f"{dest}: a different file is already there (asset {row.id}; --overwrite replaces it)")
    if conflicts:
        raise OutputError(
            "export stopped, nothing written:\n" + "\n".join(f"  - {c}" for c in conflicts), path=str(target)
        )
    manifest = []
    for row, source, dest in plan:
        now = recorded_file(row, source)  # read again to write: still the checked bytes?
        if now.data is None or not now.unchanged:
            result.refused.append(
                {"id": row.id, "path": row.path, "reason": f"the file is {now.state.value} since it was recorded"}
            )
            continue
        data = now.data
        sidecar_file = Path(row.sidecar_path) if row.sidecar_path else None
        sidecar = sidecar_file.read_bytes() if sidecar_file and sidecar_file.is_file() else None
        items: list[tuple[Path, bytes]] = [(dest, data)]
        if sidecar is not None:
            items.append((dest.with_name(dest.name + ".json"), sidecar))
        approval = [e for e in registry.events(row.id) if e.state is ReviewState.approved][-1]
        if dest.exists() and not overwrite and already_there(row, dest):
            result.unchanged.append(str(dest))
            exported = _digest(dest)
        else:
            if signer is not None:
                from brandkit.credentials import sign_with_review

                review = {
                    "decision": approval.state.value,
                    "reviewer": approval.reviewer,
                    "decided_at": approval.at.isoformat(),
                    "reason": approval.reason,
                    "asset_id": row.id,
                }
                items[0] = (dest, sign_with_review(data, signer, review, title=dest.name))
            atomic_write_all(items, overwrite=True)
            result.written.append(str(dest))
            exported = hashlib.sha256(items[0][1]).hexdigest()
        manifest.append(
            {
                "file": dest.name,
                "sidecar": dest.name + ".json" if sidecar is not None else None,
                "sha256": row.content_hash,
                "exported_sha256": exported,
                "signed_with_review": exported != row.content_hash,
                "asset_id": row.id,
                "spec": {"name": row.spec_name, "version": row.spec_version, "fingerprint": row.spec_fingerprint},
                "approved_by": approval.reviewer,
                "approved_at": approval.at.isoformat(),
                "approval_reason": approval.reason,
                "checks_passed": row.passed,  # false: the approval overrode failed checks (its reason says why)
            }
        )
    merged = dict(earlier)
    merged.update({entry["file"]: entry for entry in manifest})
    text = json.dumps({"assets": sorted(merged.values(), key=lambda e: str(e["file"]))}, indent=2, ensure_ascii=False)
    atomic_write(target / MANIFEST_NAME, text.encode("utf-8"))
    return result
