"""The typed verification report: per check its findings, severity and the evidence a person can see.

Every box is ``(x0, y0, x1, y1)`` in pixels of the checked image (x1, y1 exclusive). Images (the palette heat
map) are PNG bytes carried as base64 text, so the JSON dump is self-contained; read them with ``png()``.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from brandkit.geometry import PixelBox

Severity = Literal["blocker", "major", "minor", "info"]
Verdict = Literal["pass", "pass_with_warnings", "fail"]

#: version of the report's JSON form (``schemas/verification-report.schema.json``)
REPORT_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OffPaletteRegion(_Model):
    """One connected area of off-palette pixels (8-connected), ranked by pixels × mean ΔE00: a solid area (at least
    3 px wide everywhere), never the anti-aliased slivers along text and shape edges."""

    box: PixelBox
    pixels: int
    share: float = Field(description="Share of the judged pixels this region holds.")
    mean_delta_e: float
    max_delta_e: float


class PaletteEvidence(_Model):
    """The off-palette heat map: ΔE00 of every pixel to the nearest palette colour, thresholded at the tolerance."""

    tolerance: float = Field(description="The spec's palette.tolerance (ΔE00): a pixel above it is off-palette.")
    scope: Literal["brand_zones", "image"] = Field(
        description="Pixels the map judges: the brand zones (measure: regions; the photograph is judged by its colour "
        "character, not pixel by pixel) or every opaque pixel (measure: all-pixels)."
    )
    region_source: str = Field(description="Where the photographic region came from: layout, segmentation or none.")
    photo_box: PixelBox | None = Field(default=None, description="Bounding box of the photographic region, if any.")
    judged_pixels: int
    off_palette_pixels: int
    off_palette_share: float = Field(description="off_palette_pixels / judged_pixels (0 when nothing was judged).")
    mean_delta_e: float = Field(description="Mean minimum ΔE00 of the judged pixels (64³-grid estimate).")
    max_delta_e: float = Field(description="Largest minimum ΔE00 of the judged pixels (64³-grid estimate).")
    worst_regions: list[OffPaletteRegion] = Field(default_factory=list)
    heatmap_png_base64: str = Field(
        description="RGBA PNG of the image's size: transparent where on palette or not judged, red where off "
        "palette, more opaque the larger the ΔE00."
    )

    def png(self) -> bytes:
        """The heat map overlay as PNG bytes."""
        return base64.b64decode(self.heatmap_png_base64)


class OcrBox(_Model):
    """One line of text as OCR read it, with the expected string it was matched to (if any)."""

    box: PixelBox
    read: str
    confidence: float | None = None
    role: str | None = Field(default=None, description="The copy field this line renders (headline, cta, …).")
    expected: str | None = Field(default=None, description="What that field should read.")
    matched: bool | None = Field(default=None, description="Whether the field passed its rule; None: no field.")
    unexpected: bool = Field(default=False, description="Text that belongs to no expected string.")


class ExpectedString(_Model):
    """One string of the expected copy: what was ordered, what was read, whether it passed."""

    role: str
    expected: str
    read: str | None
    found: bool
    difference: str | None = None
    rule: str | None = None
    boxes: list[PixelBox] = Field(default_factory=list, description="OCR lines that hold the string as read.")


class TextEvidence(_Model):
    """OCR boxes with what was read vs what was expected."""

    lines: list[OcrBox] = Field(default_factory=list)
    strings: list[ExpectedString] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list, description="Forbidden terms found (kind 'rule': read).")
    repeated_copy: list[str] = Field(
        default_factory=list, description="Copy read a second time outside its window ('read' repeats the role)."
    )
    old_copy: list[str] = Field(
        default_factory=list, description="An edit's replaced or removed copy still read ('read', the old role)."
    )
    unverified_copy: list[str] = Field(default_factory=list, description="Copy fields that could not be verified.")


class LogoEvidence(_Model):
    """The logo found (box) and the clear-space zone around it that must stay free."""

    variant: str | None = None
    found: bool = False
    box: PixelBox | None = None
    expected_box: PixelBox | None = Field(default=None, description="Where the layout put the logo, when known.")
    clear_space_box: PixelBox | None = Field(
        default=None, description="Outer edge of the clear-space zone (the logo box grown by the band)."
    )
    clear_space_px: float | None = None
    crowded_sides: list[str] = Field(default_factory=list)
    placement: str | None = None
    allowed_placements: list[str] = Field(default_factory=list)
    failed_rules: list[str] = Field(default_factory=list)
    rendered_width_px: float | None = None
    ground: str | None = Field(default=None, description="The ground around the logo (hex), when the check read it.")
    ground_tone: Literal["light", "dark"] | None = Field(
        default=None, description="That ground's clear tone (None: a mid-tone, or not read)."
    )
    made_for: Literal["light", "dark"] | None = Field(
        default=None, description="The tone of ground the variant is made for (None: any, or both)."
    )


class ContrastMeasurement(_Model):
    """One line of copy's WCAG contrast, measured in a box."""

    text: str
    box: PixelBox = Field(description="The OCR box of the line.")
    measured_box: PixelBox = Field(description="Where text and background colours were measured.")
    ratio: float
    required: float
    passed: bool
    text_color: str | None = None
    background_color: str | None = None


class Measurement(_Model):
    """A measured value (moderation, technical, credentials) and what it had to be."""

    name: str
    value: Any = None
    expected: Any = None
    ok: bool | None = Field(default=None, description="Whether it held; None: nothing was required of it.")


class Finding(_Model):
    """One thing wrong (or not verifiable) with the image, with its severity."""

    check: str
    severity: Severity
    status: Literal["failed", "not_checked"]
    message: str


class CheckEvidence(_Model):
    """One check: status, policy, the severity of its outcome, findings and evidence."""

    name: str
    status: Literal["passed", "failed", "not_checked", "skipped"]
    policy: str
    severity: Severity = Field(description="Of this outcome: info unless failed or not_checked (docs/verification.md).")
    weight: int = Field(description="The weight of this check's rule in the score (0: skipped, not counted).")
    reason: str | None = Field(default=None, description="Why it was skipped or not checked.")
    hint: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    palette: PaletteEvidence | None = None
    text: TextEvidence | None = None
    logo: LogoEvidence | None = None
    contrast: list[ContrastMeasurement] = Field(default_factory=list)
    measurements: list[Measurement] = Field(default_factory=list)


class Score(_Model):
    """Share of the rules passed, weighted by the severity a failure of each would have."""

    value: float | None = Field(description="passed_weight / total_weight in [0, 1]; None when no rule was judged.")
    passed_weight: int
    total_weight: int
    weights: dict[str, int] = Field(description="The weight of each severity.")


class ImageInfo(_Model):
    """The checked file."""

    source: str | None = Field(default=None, description="The file name, when the image was given as a path.")
    width: int = Field(description="The width the checks read the image at (the boxes' coordinates).")
    height: int
    file_size: tuple[int, int] | None = Field(
        default=None,
        description="The file's own size (width, height) when it has more pixels than the checks read and they read "
        "it reduced to width × height; None: the same.",
    )
    format: str | None = None
    sha256: str


class VerificationReport(_Model):
    """Everything the verification found, with evidence a person can see (docs/verification.md)."""

    report_version: str = REPORT_VERSION
    spec_name: str
    spec_fingerprint: str = ""
    image: ImageInfo
    provenance: Literal["read", "absent", "unreadable", "request"] = Field(
        description="Where the expectation came from: the caller's request, the image's provenance record, or none "
        "(absent / unreadable: the checks ran on the whole image without a layout)."
    )
    scope_note: str = Field(description="What the checks could and could not know about this image.")
    verdict: Verdict
    passed: bool = Field(description="The validation report's verdict: no blocking result.")
    score: Score
    findings: list[Finding] = Field(default_factory=list, description="Every finding, most severe first.")
    checks: dict[str, CheckEvidence] = Field(default_factory=dict)

    def heatmap_png(self) -> bytes | None:
        """The palette heat map overlay as PNG bytes (None when the palette check did not produce one)."""
        palette = self.checks.get("palette")
        return palette.palette.png() if palette is not None and palette.palette is not None else None


__all__ = [
    "REPORT_VERSION",
    "CheckEvidence",
    "ContrastMeasurement",
    "ExpectedString",
    "Finding",
    "ImageInfo",
    "LogoEvidence",
    "Measurement",
    "OcrBox",
    "OffPaletteRegion",
    "PaletteEvidence",
    "PixelBox",
    "Score",
    "Severity",
    "TextEvidence",
    "Verdict",
    "VerificationReport",
]
