"""What a conversation turn returns (:class:`TurnOutcome`) and what it needs to record its asset
(:class:`TurnRecorder`, which :class:`brandkit.registry.recorder.RegistryRecorder` implements)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from brandkit.asset import Asset
from brandkit.provider.conversation import TurnUsage
from brandkit.spec.models import BrandSpec

__all__ = ["RecordedRow", "TurnOutcome", "TurnRecorder", "add_usage"]


class TurnOutcome(BaseModel):
    """One accepted turn: the checked asset, what was asked, what the provider said, and what it cost."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    turn: int = Field(ge=1, description="The turn number (1-based).")
    instruction: str = Field(description="The instruction, as given.")
    asset: Asset = Field(description="The checked asset (provenance: asset.conversation).")
    response_id: str = Field(description="The provider's response id of the accepted image.")
    previous_response_id: str | None = None
    parent_turn: int | None = Field(
        default=None, description="The turn this one refined (None: the first); after a back_to, an earlier one."
    )
    notes: list[str] = Field(
        default_factory=list, description="What the provider left out, did not understand or changed (every attempt)."
    )
    revised_prompt: str | None = Field(default=None, description="The provider's own account of the image.")
    usage: TurnUsage = Field(default_factory=TurnUsage, description="Tokens of every attempt of the turn, summed.")
    cost_usd: float = Field(default=0.0, description="What the turn cost (every attempt).")
    attempts: int = Field(default=1, description="Attempts the turn took (repair).")
    partial_images: int = Field(default=0, description="Partial images streamed during the turn.")
    path: Path | None = Field(default=None, description="Where the asset was saved (conversations with ``out``).")
    registry_id: int | None = Field(default=None, description="The asset's id in the registry, when recorded.")


def add_usage(a: TurnUsage, b: TurnUsage | None) -> TurnUsage:
    """``a + b``, field by field."""
    if b is None:
        return a
    left, right = a.model_dump(), b.model_dump()
    return TurnUsage(**{name: left[name] + right[name] for name in left})


class RecordedRow(Protocol):
    """A registry row, as far as a conversation needs it (its id: the next turn's parent)."""

    @property
    def id(self) -> int:
        """The asset's id in the registry."""
        ...


class TurnRecorder(Protocol):
    """Records a saved asset with its parent (``RegistryRecorder.record_asset``); ``None`` when it could not."""

    def record_asset(
        self,
        asset: Asset,
        path: Path,
        *,
        kind: str,
        spec: BrandSpec | None = None,
        key: str | None = None,
        parent_id: int | None = None,
    ) -> RecordedRow | None:
        """Record ``asset`` saved at ``path``; a registry failure is a warning kept by the recorder."""
        ...
