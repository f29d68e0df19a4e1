"""The logo check's typed ``details``: the rules applied, what the detector found, which rules failed.

A key the check sets but this model does not declare fails ``tests/test_check_details.py``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from brandkit.check_catalog import CheckDetails


class LogoRules(BaseModel):
    """The spec's rules for the variant judged."""

    model_config = ConfigDict(extra="allow", frozen=True)

    min_width_px: int
    max_width_share: float
    clear_space: float
    placements: list[str]


class LogoDetails(CheckDetails):
    """``details`` of the logo check (found or not, the detection, the size/placement/distortion/clear-space rules)."""

    variant: str | None = None
    rules: LogoRules | None = None
    detection: dict[str, Any] | None = Field(default=None, description="The detector's notes (template, ORB).")
    found: bool | None = None
    box: list[int] | None = None
    visible_width_px: float | None = None
    visible_height_px: float | None = None
    match_score: float | None = None
    method: str | None = None
    aspect_change: float | None = None
    rotation_deg: float | None = None
    inliers: int | None = None
    distorted: bool | None = None
    file_scale: float | None = Field(
        default=None,
        description="A file read reduced (more pixels than the checks read): the file's pixels per pixel of the image "
        "searched. The box and the clear space are in the image's pixels; rendered_width_px, max_width_px and scale "
        "in the file's. None: the file was read at its own size.",
    )
    rendered_width_px: float | None = Field(
        default=None, description="The logo file's width as placed, in the file's pixels."
    )
    scale: float | None = None
    max_width_px: float | None = None
    placement: str | None = None
    center: list[float] | None = None
    clear_space: dict[str, Any] | None = Field(default=None, description="The clear-space band's measurements.")
    ground: dict[str, Any] | None = Field(
        default=None,
        description="The ground around the logo (a transparent logo file): its colour, its clear tone (None: "
        "mid-tone), the tone the variant is made for, a palette colour of its backgrounds it matches, and whether it "
        "is the wrong one (the wrong_ground rule).",
    )
    failed_rules: list[str] | None = None
    provenance: str | None = Field(default=None, description="'none': validated without provenance.")
    searched_variants: list[str] | None = None
    searches: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="Without provenance, when no variant was found: each variant's search notes (its best coarse "
        "and fine template scores, ORB, the early exit) — how near anything came.",
    )
    colour: dict[str, Any] | None = Field(
        default=None,
        description="The recolour rule: each colour of the logo file against the image's pixels where the logo "
        "shows it (median ΔE00, the pixels compared, whether it is thick enough to decide), the worst and the bar.",
    )
    variant_fits: dict[str, float | None] | None = Field(
        default=None,
        description="Without provenance, when the variant found has colours off by more than VARIANT_COLOUR_MARGIN: "
        "it and each variant whose colours could fit better, read at its box, with their worst colour ΔE00 (None: "
        "not found there, or no colour measured); the variant judged fits best.",
    )
    overruled: list[str] | None = Field(
        default=None,
        description="Without provenance: the variants whose pass another variant's better distorted reading overruled.",
    )


__all__ = ["LogoDetails", "LogoRules"]
