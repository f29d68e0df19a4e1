"""The text check's typed ``details``: each required string's match, forbidden hits, the OCR lines.

Kept apart from ``text.py`` so readers (reports, the registry, the CLI) need not import the OCR matching.
A key the check sets but this model does not declare fails ``tests/test_check_details.py``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from brandkit.check_catalog import CheckDetails
from brandkit.checks.ocr_details import OcrFull, OcrLayout, OcrModeKind


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class StringDetails(_Row):
    """One required string (headline, subhead, CTA, ``disclaimer[i]``, ``required[i]``): how it was read."""

    expected: str
    found: bool | None = Field(description="Passed its rule; None when the OCR engine cannot read its script.")
    exact: bool = False
    spacing_only: bool = False
    alike: bool = Field(default=False, description="Equal once I and l are one letter (the OCR confuses them).")
    ned: float = 1.0
    rendered: str | None = None
    difference: str = "not found"
    rule: str = ""
    slips: int | None = Field(default=None, description="Characters the disclaimer allowance forgave.")
    status: str | None = Field(default=None, description="'not_checked' when the string's script is unreadable.")
    reason: str | None = None


class ForbiddenHit(_Row):
    """A forbidden term, competitor or pattern the OCR read."""

    kind: str
    rule: str
    found: str


class ReadLine(_Row):
    """A line of text the OCR read (or one with unexpected words): its text, box and confidence."""

    text: str
    box: list[int]
    confidence: float


class RepeatedLine(_Row):
    """Part of a found string read a second time: the words, the OCR line's box, the string's role."""

    text: str
    box: list[int]
    repeats: str


class OldCopyLine(_Row):
    """Copy an edit replaced or removed, still read on the image: the field, its old text, what was read."""

    role: str
    old: str
    read: str


class TextDetails(CheckDetails):
    """``details`` of the text check."""

    engine: str | None = None
    ocr_ms: float | None = None
    copy_expected: bool | None = Field(default=None, description="None: the copy ordered is unknown.")
    strings: dict[str, StringDetails] = Field(default_factory=dict)
    forbidden: list[ForbiddenHit] = Field(default_factory=list)
    unexpected_text: list[ReadLine] = Field(default_factory=list)
    repeated_copy: list[RepeatedLine] = Field(
        default_factory=list,
        description="Words of a found string read again outside its window (a piece of an earlier layout, the copy "
        "drawn twice): each fails the check.",
    )
    old_copy: list[OldCopyLine] = Field(
        default_factory=list,
        description="An edit's: copy it replaced or removed (Expectation.replaced_copy) still read on the image: each "
        "fails the check.",
    )
    flag_unexpected: bool | None = None
    ocr_lines: list[ReadLine] = Field(default_factory=list)
    ocr_mode: OcrModeKind | None = Field(
        default=None, description="'layout': copy areas plus a whole-image sweep; 'full': the whole image."
    )
    ocr_mode_reason: str | None = Field(default=None, description="Why the whole image was read (full mode).")
    ocr_layout: OcrLayout | None = Field(default=None, description="Where layout mode looked.")
    ocr_full: OcrFull | None = Field(
        default=None, description="How full mode read the whole image when no layout was known (fast detector first)."
    )
    unverified_copy: list[str] | None = None
    note: str | None = None


__all__ = ["ForbiddenHit", "OldCopyLine", "ReadLine", "RepeatedLine", "StringDetails", "TextDetails"]
