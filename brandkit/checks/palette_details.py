"""The palette check's typed ``details`` (the part that reports and the contact sheet read).

Kept apart from ``palette.py`` so readers (``variants/report.py``) need not import the check's
colour machinery. Other keys the check sets stay in the model as extras.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from brandkit.check_catalog import CheckDetails


class PaletteColorShare(BaseModel):
    """One brand (or forbidden) colour's share of its area, and whether its rule held."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str | None = None
    hex: str | None = None
    share: float | None = None
    ok: bool = True


class DominantColor(BaseModel):
    """One of the image's most common colours and whether it is within tolerance of the palette."""

    model_config = ConfigDict(extra="allow", frozen=True)

    hex: str | None = None
    share: float | None = None
    on_palette: bool | None = None


class PaletteDetails(CheckDetails):
    """``details`` of the palette check: coverage against its bound, the brand colours, the dominant colours."""

    coverage: float | None = None
    min_coverage: float | None = None
    colors: list[PaletteColorShare] = Field(default_factory=list)
    dominant: list[DominantColor] = Field(default_factory=list)


__all__ = ["DominantColor", "PaletteColorShare", "PaletteDetails"]
