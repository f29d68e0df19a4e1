"""The moderation check's typed ``details``: per-category coverage and verdicts, and what was not judged.

Kept apart from ``moderation.py`` so readers need not import the check. :class:`CategoryVerdict` lives here
(``brandkit.checks.moderation`` re-exports it). A key the check sets but this model does not declare fails
``tests/test_check_details.py``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from brandkit.check_catalog import CheckDetails


class CategoryVerdict(BaseModel):
    """What the moderation check could say about one category."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str
    status: Literal["passed", "failed", "not_checked"]
    score: float | None = None
    threshold: float
    judged_by: str | None = None


class CategoryScore(BaseModel):
    """A scored category against its threshold."""

    model_config = ConfigDict(extra="allow", frozen=True)

    category: str
    score: float | None = None
    threshold: float
    exceeded: bool


class ModerationDetails(CheckDetails):
    """``details`` of the moderation check."""

    source: str | None = Field(default=None, description="The moderator, e.g. 'openai:omni-moderation-latest'.")
    flagged_by_service: bool | None = None
    coverage: list[CategoryVerdict] = Field(default_factory=list)
    categories: list[CategoryScore] = Field(default_factory=list)
    covered_categories: list[str] = Field(default_factory=list)
    not_checked_categories: list[str] = Field(default_factory=list)
    uncovered: list[str] | None = None
    unjudged_policy: Literal["block", "allow"] | None = None
    exceeded: list[str] = Field(default_factory=list)
    default_threshold: float | None = None
    request_ids: list[str] = Field(default_factory=list)
    warning: str | None = None


__all__ = ["CategoryScore", "CategoryVerdict", "ModerationDetails"]
