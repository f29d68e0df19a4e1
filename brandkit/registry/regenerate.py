"""Request changes: record the reviewer's decision, then make a new attempt with the note as feedback.

The note goes into every attempt's prompt through the repair loop (``reviewer_feedback`` of
:meth:`brandkit.BrandKit.generate` / :meth:`~brandkit.BrandKit.edit`), ahead of the loop's own feedback.
What is regenerated depends on how the parent was made:

* made from an :class:`~brandkit.models.AssetRequest` (``generate``, ``variant``, ``regenerate``): the same
  request with the next seed (a new attempt, not the same image again);
* made from an :class:`~brandkit.models.EditRequest` whose base image is a recorded parent: the same edit of
  that parent's image;
* a conversation turn (``kind="conversation"``), and anything else (a ``validate``d image, an edit of an
  unrecorded file): a brand-safe edit of the asset's own image with the note as the instruction — a turn's
  request alone is not the image: generated again from it, every refinement the turns made (the light, the
  crop, the background) would be lost.

The new asset is saved beside its parent (never over an existing file), recorded with ``kind="regenerate"``
and ``parent_id`` set, in a run of its own. When no attempt passes, the best one is saved and recorded as a
failed asset (``passed=False``, its reasons listed) and returned — the reviewer sees it in the queue.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from brandkit.errors import BrandViolationError, ConfigurationError, RegistryError, RequestError
from brandkit.outputs import image_extension
from brandkit.registry.models import AssetRow, ReviewState

if TYPE_CHECKING:
    from brandkit.asset import Asset
    from brandkit.kit import BrandKit
    from brandkit.provider.base import ImageProvider
    from brandkit.registry.store import Registry
    from brandkit.spec.models import BrandSpec

MAX_NOTE_CHARS = 500


def reviewer_note(reason: str) -> str:
    """The reviewer's reason as one bounded line of feedback for the prompt."""
    note = " ".join(reason.split())
    note = note if len(note) <= MAX_NOTE_CHARS else note[: MAX_NOTE_CHARS - 1] + "…"
    return f"Reviewer's request: {note}"


def _spec_of(registry: Registry, row: AssetRow) -> BrandSpec:
    """The spec the asset was made with, in the palette mode it was made in: the mode whose fingerprint the row
    holds, else the one its file's provenance names (the spec changed since); one the spec lacks now is refused."""
    from brandkit.provenance import read_provenance_record
    from brandkit.spec.loader import load_spec

    if not row.spec_source:
        raise RegistryError(
            f"asset {row.id}: the registry does not know where spec {row.spec_name!r} was loaded from; "
            "it cannot be regenerated",
            path=str(registry.path),
        )
    spec = load_spec(row.spec_source)
    moded = spec.in_mode_of(row.spec_fingerprint)
    if moded is not spec:
        return moded
    try:
        record = read_provenance_record(Path(row.path).read_bytes()).record
    except OSError:
        record = None
    mode = record.spec_mode if record is not None else None
    if mode is not None and mode not in spec.palette.modes:
        raise RegistryError(
            f"asset {row.id} was made in palette mode {mode!r}, which spec {spec.name!r} no longer has; it cannot "
            "be regenerated in its colours",
            path=str(registry.path),
        )
    return spec.for_mode(mode)


def _target(parent: AssetRow, output_format: str, tail: str = "") -> Path:
    folder = Path(parent.path).parent
    stem = Path(parent.path).stem.split("-rev-")[0]
    while True:  # a fresh name: never over an existing file
        target = folder / f"{stem}-rev-{secrets.token_hex(3)}{tail}{image_extension(output_format)}"
        if not target.exists():
            return target


def _make(kit: BrandKit, registry: Registry, row: AssetRow, request: dict[str, Any] | None, note: str) -> Asset:
    from brandkit.models import AssetRequest, EditRequest

    try:
        if row.kind == "conversation":  # its request is not the image: the turns refined it (see the docstring)
            pass
        elif request is not None and "brief" in request:
            req = AssetRequest.model_validate(request)
            req = req.model_copy(update={"n": 1, "seed": (req.seed or 0) + 1})
            return kit.generate(req, reviewer_feedback=[note])
        if request is not None and "instruction" in request and row.parent_id is not None:
            base = registry.get_asset(row.parent_id).row.path
            return kit.edit(base, request=EditRequest.model_validate(request), reviewer_feedback=[note])
    except ValidationError as exc:
        raise RegistryError(
            f"asset {row.id}: its recorded request is not valid any more: {exc.errors()[0]['msg']}",
            path=str(registry.path),
        ) from None
    instruction = note.removeprefix("Reviewer's request: ")
    return kit.edit(row.path, request=EditRequest(instruction=instruction), reviewer_feedback=[note])


def request_changes(
    registry: Registry,
    asset_id: int,
    reason: str,
    reviewer: str,
    *,
    provider: str | ImageProvider | None = None,
) -> AssetRow:
    """Record ``changes_requested`` on ``asset_id``, regenerate with ``reason`` as repair feedback, record the new
    asset (kind ``regenerate``, ``parent_id=asset_id``, saved beside its parent) and return it.

    ``provider``: ``None`` uses the parent's provider (``local`` offline; ``openai`` needs ``OPENAI_API_KEY``).
    Nothing is recorded when the asset, the reason, the spec or the provider is unusable (``AssetNotFoundError``,
    ``ReviewStateError``, ``SpecError``, ``ConfigurationError``). Blocking; once the decision is recorded, the
    errors of a generate/edit (``ProviderError`` …) propagate and the decision stays.
    """
    from brandkit.kit import BrandKit

    row = registry.get_asset(asset_id).row
    spec = _spec_of(registry, row)
    chosen = provider if provider is not None else (row.provider or "local")
    if chosen not in ("local", "openai") and isinstance(chosen, str):
        raise RequestError(f"asset {asset_id}: provider {chosen!r} cannot regenerate; name one", field="provider")
    if chosen == "openai" and not os.environ.get("OPENAI_API_KEY"):
        raise ConfigurationError(
            f"asset {asset_id} was made with openai: set OPENAI_API_KEY, or regenerate offline with provider 'local'",
            setting="OPENAI_API_KEY",
        )
    kit = BrandKit(spec, provider=chosen)
    request = registry.request_of(asset_id)
    if request is not None and any(not ref.get("path") for ref in request.get("references") or []):
        raise RegistryError(
            f"asset {asset_id}: its request had reference images given as bytes, which the registry does not keep; "
            "regenerate it from the SDK with the images",
            path=str(registry.path),
        )
    registry.decide(asset_id, ReviewState.changes_requested, reason, reviewer)
    note = reviewer_note(reason)
    run_id = registry.start_run("regenerate", Path(row.path).parent)
    try:
        with kit:  # the clients it made are closed after the call (the review page is a long-running process)
            asset = _make(kit, registry, row, request, note)
    except BrandViolationError as exc:
        if exc.asset is None:
            raise
        kept = exc.asset.save(_target(row, exc.asset.output_format, "-rejected"))  # with its sidecar, never over a file
        return registry.record_asset(exc.asset, kept, run_id=run_id, kind="regenerate", parent_id=asset_id, spec=spec)
    path = asset.save(_target(row, asset.output_format))
    return registry.record_asset(asset, path, run_id=run_id, kind="regenerate", parent_id=asset_id, spec=spec)
