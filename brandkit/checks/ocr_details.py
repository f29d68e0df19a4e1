"""How the OCR read the image, as the text and contrast checks' details say it (``ocr_mode`` and where).

Declared once here and used by both checks' details models (:mod:`brandkit.checks.text_details`,
:mod:`brandkit.checks.contrast_details`); written by :func:`brandkit.checks.ocr_reading.ocr_mode_details`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["OcrArea", "OcrFull", "OcrLayout", "OcrModeKind"]

OcrModeKind = Literal["layout", "full"]


class OcrArea(BaseModel):
    """One copy area read in layout mode: the box cut out (image px), the detector scale, the lines found."""

    model_config = ConfigDict(extra="allow", frozen=True)

    box: list[int]
    scale: float
    lines: int


class OcrLayout(BaseModel):
    """Where a layout-mode reading looked: the copy areas and the whole-image sweep."""

    model_config = ConfigDict(extra="allow", frozen=True)

    areas: list[OcrArea] = Field(default_factory=list)
    sweep_scale: float = Field(description="Scale of the cheap whole-image sweep (text outside the copy areas).")
    lines_outside_areas: int = Field(description="Lines the sweep found outside every copy area (read too).")


class OcrFull(BaseModel):
    """How a full-mode reading of the whole image was made when no layout is known (the fast detector first)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    detector: str = Field(description="The models whose detector found the lines kept (PP-OCRv6 tiny or small).")
    recogniser: str = Field(description="The models whose recogniser read every line kept (the reference models).")
    fast_accepted: bool | None = Field(
        default=None,
        description="Whether the fast detector's lines stood (every required string read exactly); when not, the "
        "reference models read the whole image again.",
    )
    reason: str | None = Field(default=None, description="Why the fast lines stood or not.")
