"""Foundation model: category scores from a moderation service or a local classifier.

Shared by the providers (which produce it) and the moderation check (which judges it), so that
``provider/*`` never imports ``checks``. ``brandkit.checks.base`` re-exports it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from brandkit.rate_limits import RateLimitInfo


class ModerationScores(BaseModel):
    """Category scores from a moderation service or a local classifier."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="e.g. 'openai:omni-moderation-latest' or 'local:nudenet'.")
    scores: dict[str, float]
    flagged: bool = False
    covered_categories: list[str] = Field(default_factory=list)
    request_ids: list[str] = Field(default_factory=list)
    rate_limit: RateLimitInfo | None = Field(
        default=None, description="The rate-limit headers of the moderation answer, when the service reports them."
    )


__all__ = ["ModerationScores"]
