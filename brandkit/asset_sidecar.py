"""The sidecar JSON written beside every saved asset (``<image>.json``), typed.

:class:`AssetSidecar` is what :meth:`brandkit.Asset.save` writes — the one definition of its shape: the spec,
the request, the compiled prompt (reference images by digest), provider and model, the image, the accepted
attempt, the report, every attempt, timings, the provenance record, an edit's or a conversation turn's record and
the Content Credentials state. :func:`read_sidecar` reads one back (a bad file is a :class:`SidecarError` naming
the file and the field), for tools that index assets and for the registry (``registry/record.py::from_sidecar``).
``schemas/asset-sidecar.schema.json`` is its JSON Schema (``brandkit spec schema --of asset-sidecar``).

A foundation module: data models only; it imports no stage.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from brandkit.documents import field_path, read_document
from brandkit.edit_inherit import EditReport
from brandkit.errors import SidecarError
from brandkit.models import AssetRequest, CheckStatus, EditRequest, PhotoUse, PromptRecord, ValidationReport
from brandkit.provenance import ProvenanceRecord
from brandkit.spec.models import OutputFormat

__all__ = [
    "MAX_SIDECAR_BYTES",
    "AssetSidecar",
    "ConversationLink",
    "SidecarAttempt",
    "SidecarImage",
    "SidecarPrompt",
    "SidecarSpec",
    "read_sidecar",
    "sidecar_path",
]

MAX_SIDECAR_BYTES = 16 * 1024 * 1024
"""The largest sidecar read (16 MiB; brandkit's own are tens of kB)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ConversationLink(_Record):
    """Where an asset made by a conversation turn comes from (``BrandKit.conversation()``, docs/conversation.md)."""

    conversation_id: str = Field(description="The conversation's id.")
    turn: int = Field(ge=1, description="The turn number (1-based; only accepted turns count).")
    response_id: str = Field(description="The provider's response id of the accepted image.")
    previous_response_id: str | None = Field(default=None, description="The response this turn continued.")
    parent_sha256: str | None = Field(
        default=None, description="sha256 of the previous turn's asset file bytes (None on the first turn)."
    )
    instruction: str = Field(default="", description="The turn's instruction, as given.")


class SidecarSpec(_Record):
    """The spec the asset was made with."""

    name: str
    fingerprint: str
    mode: str | None = Field(default=None, description="The spec's palette mode (palette.modes); None: default.")


class SidecarImage(_Record):
    """The saved image file."""

    format: OutputFormat
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    bytes: int = Field(ge=0, description="The file's size in bytes.")


class SidecarPrompt(PromptRecord):
    """The compiled prompt of the accepted attempt, as recorded, with its hash."""

    recorded_hash: str = Field(alias="prompt_hash", description="The prompt hash (as in the provenance record).")
    model_config = ConfigDict(populate_by_name=True)


class SidecarAttempt(_Record):
    """One attempt, accepted or not: its checks' statuses, cost, fixes and the feedback its prompt carried."""

    number: int = Field(ge=1)
    passed: bool
    summary: dict[str, CheckStatus] = Field(description="Check name → status.")
    cost_usd: float = Field(ge=0)
    fixes: list[str] = Field(default_factory=list)
    request_id: str | None = None
    feedback: list[str] = Field(default_factory=list, description="Repair feedback the attempt's prompt carried.")
    before_fix: dict[str, CheckStatus] | None = Field(
        default=None, description="The statuses before brandkit's deterministic fix (None: nothing was fixed)."
    )
    photo: PhotoUse | None = Field(default=None, description="The brand photograph the local renderer placed.")
    notes: list[str] = Field(default_factory=list, description="Parameters the provider left out or changed.")


def _request_kind(value: Any) -> str:
    """An edit's request has an ``instruction``."""
    edit = isinstance(value, EditRequest) or (isinstance(value, dict) and "instruction" in value)
    return "edit" if edit else "generate"


RecordedRequest = Annotated[
    Annotated[AssetRequest, Tag("generate")] | Annotated[EditRequest, Tag("edit")], Discriminator(_request_kind)
]
"""A generate request or an edit's, told apart by ``instruction`` (so errors name the one kind's fields)."""


class AssetSidecar(_Record):
    """Everything brandkit knows about a saved asset: what :meth:`~brandkit.Asset.save` writes beside it.

    ``report`` is written with its derived ``passed`` (as ``validate --json`` writes it); reading checks that a
    ``passed`` present agrees with the checks. :meth:`to_json` is the file's form.
    """

    brandkit_version: str
    spec: SidecarSpec
    request: RecordedRequest | None = Field(description="The request as given (None: none recorded).")
    prompt: SidecarPrompt
    provider: str
    model: str
    image: SidecarImage
    attempt: int = Field(ge=1, description="The accepted attempt's number.")
    fixes: list[str] = Field(default_factory=list, description="brandkit's deterministic fixes on that attempt.")
    cost_usd: float = Field(ge=0, description="What every attempt cost together (USD).")
    report: ValidationReport
    attempts: list[SidecarAttempt] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict, description="Stage → seconds.")
    provenance: ProvenanceRecord = Field(description="The record embedded in the image file.")
    edit: EditReport | None = None
    conversation: ConversationLink | None = None
    content_credentials: Literal["signed", "unsigned"] = "unsigned"
    credentials: dict[str, Any] | None = Field(
        default=None,
        description="Content Credentials: the state, the provider's manifest, the signer and, for an edit, the asset "
        "it was made from (edited_from: its sha256, its own credentials, how it is kept).",
    )

    @field_validator("report", mode="wrap")
    @classmethod
    def _report_with_passed(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> ValidationReport:
        if not isinstance(value, dict) or "passed" not in value:
            report: ValidationReport = handler(value)
            return report
        report = handler({key: item for key, item in value.items() if key != "passed"})
        if value["passed"] != report.passed:
            raise ValueError(f"passed is {value['passed']!r} but the checks say {report.passed!r}")
        return report

    def to_json(self) -> dict[str, Any]:
        """The sidecar's JSON form (what the file holds): the report with ``passed``, the provenance as embedded."""
        data = self.model_dump(mode="json", by_alias=True)
        data["report"]["passed"] = self.report.passed
        data["provenance"] = self.provenance.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return data


def sidecar_path(image: str | os.PathLike[str]) -> Path:
    """The sidecar of an image file: ``hero.png`` → ``hero.png.json``."""
    path = Path(image)
    return path.with_name(path.name + ".json")


def read_sidecar(path: str | os.PathLike[str]) -> AssetSidecar:
    """Read a sidecar: the ``.json`` file itself, or the image it sits beside (``hero.png`` → ``hero.png.json``).

    Raises :class:`~brandkit.errors.SidecarError` naming the file — and the first bad field, with its value —
    for a missing, unreadable, oversized or malformed file, or one that is not brandkit's sidecar.
    """
    file = Path(path)
    if file.suffix.lower() != ".json":
        file = sidecar_path(file)
    data = read_document(
        file, max_bytes=MAX_SIDECAR_BYTES, what="sidecar", error=lambda message: SidecarError(message, str(file))
    )
    if not isinstance(data, dict):
        raise SidecarError(f"{file}: not a brandkit sidecar (a JSON object was expected)", str(file))
    try:
        return AssetSidecar.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = field_path(first["loc"])
        raise SidecarError(
            f"{file}: {where}: {first['msg']} — not a brandkit sidecar, or one this version cannot read"
            f"{f' ({len(exc.errors()) - 1} more problem(s))' if len(exc.errors()) > 1 else ''}",
            str(file),
            where,
        ) from None
