"""The contrast check's typed ``details``: what was measured and each line's contrast.

Kept apart from ``contrast.py`` so readers need not import the measuring code. A key the check sets but this
model does not declare fails ``tests/test_check_details.py``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from brandkit.check_catalog import CheckDetails
from brandkit.checks.ocr_details import OcrFull, OcrLayout, OcrModeKind


class ContrastLine(BaseModel):
    """One measured line of text: where, which copy it holds, its colours and WCAG ratio."""

    model_config = ConfigDict(extra="allow", frozen=True)

    line: int
    text: str
    box: list[int]
    measured_box: list[int]
    within: str
    height_px: float
    roles: str | None = Field(default=None, description="Comma-separated copy roles on the line (copy expected).")
    ratio: float
    text_color: str
    background_color: str
    text_share: float
    separable: bool
    surround_excluded: float | None = Field(
        default=None,
        description="Share of the measured box left out as the surround of the surface the line is set on (the "
        "page around a CTA pill the box reached past); absent when nothing was left out.",
    )
    passed: bool


class ContrastDetails(CheckDetails):
    """``details`` of the contrast check."""

    engine: str | None = None
    min_contrast: float | None = None
    copy_not_located: list[str] | None = None
    measured: str | None = None
    lines: list[ContrastLine] = Field(default_factory=list)
    ocr_mode: OcrModeKind | None = Field(
        default=None, description="'layout': copy areas plus a whole-image sweep; 'full': the whole image."
    )
    ocr_mode_reason: str | None = Field(default=None, description="Why the whole image was read (full mode).")
    ocr_layout: OcrLayout | None = Field(default=None, description="Where layout mode looked.")
    ocr_full: OcrFull | None = Field(
        default=None, description="How full mode read the whole image when no layout was known (fast detector first)."
    )
    logotype: dict[str, Any] | None = Field(
        default=None,
        description="No copy expected: the lines inside the logo the logo check found (logo_box, variant, lines), "
        "not measured — WCAG 1.4.3 exempts logotypes.",
    )


__all__ = ["ContrastDetails", "ContrastLine"]
