"""The typed arguments and results of the MCP tools (their JSON Schemas are what ``tools/list`` publishes).

Arguments reuse the SDK's own request models (:class:`~brandkit.models.AssetRequest`,
:class:`~brandkit.models.EditRequest`) and results its report (:class:`~brandkit.models.ValidationReport`) and
spec models, so a client sees exactly the fields the Python SDK takes. Pure data: no I/O.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from brandkit.evidence.models import VerificationReport
from brandkit.models import AssetRequest, EditRequest, ValidationReport
from brandkit.registry.models import Metrics
from brandkit.spec.models import CheckSettings, Forbidden, Format, LogoVariant, Palette, Repair, Required, Typography


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


BrandArg = Field(description="The brand's key, as list_brands names it.")
ModeArg = Field(
    default=None,
    description="A palette mode of the brand (list_brands: modes; e.g. dark): the image is made and checked in its "
    "colours. Default: the brand's own colours.",
)
Budget = Field(
    gt=0,
    description="Most this call may spend in USD (required; at most the server's --max-budget). Each paid "
    "render reserves its worst case before it is sent.",
)
ImagePath = Field(default=None, description="An image file inside the server's allowed roots.")
ImageBase64 = Field(default=None, description="The image itself, base64 (PNG, JPEG or WebP).")


class NoArgs(_Args):
    """Arguments of ``list_brands``: none."""


class BrandArgs(_Args):
    """Arguments of ``show_rules``."""

    brand: str = BrandArg


class CompileArgs(_Args):
    """Arguments of ``compile`` (a dry run: spends nothing)."""

    brand: str = BrandArg
    request: AssetRequest
    mode: str | None = ModeArg


class GenerateArgs(_Args):
    """Arguments of ``generate`` (spends: ``budget_usd`` is required)."""

    brand: str = BrandArg
    request: AssetRequest
    budget_usd: float = Budget
    mode: str | None = ModeArg


class EditArgs(_Args):
    """Arguments of ``edit`` (spends: ``budget_usd`` is required); the image by path or base64, not both."""

    brand: str = BrandArg
    request: EditRequest
    image_path: str | None = ImagePath
    image_base64: str | None = ImageBase64
    mask_path: str | None = Field(
        default=None,
        description="Optional mask, a PNG file inside the allowed roots: alpha channel, the image's size, fully "
        "transparent where the image may change.",
    )
    mask_base64: str | None = Field(default=None, description="The mask itself, base64 (instead of mask_path).")
    budget_usd: float = Budget
    mode: str | None = Field(
        default=None,
        description="The palette mode to edit into (the request's palette_mode: a mode of the brand, or default for "
        "its own colours; a re-theme when the image was made in another; default: the one the image's provenance "
        "names).",
    )


class ValidateArgs(_Args):
    """Arguments of ``validate``: the image by path or base64, and the copy it should carry (else its provenance's)."""

    brand: str = BrandArg
    image_path: str | None = ImagePath
    image_base64: str | None = ImageBase64
    headline: str | None = Field(default=None, description="Expected headline.")
    subhead: str | None = Field(default=None, description="Expected subhead.")
    cta: str | None = Field(default=None, description="Expected call to action.")
    disclaimers: list[str] = Field(default_factory=list, description="Expected extra legal lines.")
    format: str | None = Field(
        default=None, description="Spec format that places the expected copy (default: the one of the image's size)."
    )
    mode: str | None = Field(
        default=None,
        description="A palette mode of the brand to check in (default: the one the image's provenance names, else "
        "the brand's own colours).",
    )


class QueueArgs(_Args):
    """Arguments of ``review_queue``."""

    state: Literal["pending", "approved", "rejected", "changes_requested", "superseded"] = Field(
        default="pending",
        description="superseded: undecided variants made again in the same folder (the later row is the one to "
        "review).",
    )
    brand: str | None = Field(default=None, description="Only this brand's assets (its key, as list_brands names it).")
    gates: Literal["passed", "failed"] | None = Field(
        default=None, description="Only assets whose final report passed (or failed) the gates."
    )
    limit: int = Field(default=50, ge=1, le=500)
    before: int | None = Field(
        default=None, ge=1, description="Only assets recorded before this id: the next page (a result's next_before)."
    )


class DecideArgs(_Args):
    """Arguments of ``review_decide``: ``reject`` and ``request_changes`` need a ``note``, and so does ``approve`` of
    an asset whose checks failed (the approval overrides them)."""

    asset_id: int = Field(ge=1)
    decision: Literal["approve", "reject", "request_changes"]
    note: str | None = Field(
        default=None,
        max_length=2000,
        description="Why (required to reject, to request changes, and to approve an asset whose checks failed).",
    )
    reviewer: str = Field(default="mcp", min_length=1, max_length=120, description="Who decides (recorded).")


class ReportArgs(_Args):
    """Arguments of ``review_report``: the period (UTC dates or date-times, ``until``'s day included) and a
    grouping."""

    since: str | None = Field(default=None, description="From this date (YYYY-MM-DD) or date-time.")
    until: str | None = Field(default=None, description="Up to this date (its whole day) or date-time.")
    by: Literal["spec", "run", "check", "format", "locale"] | None = Field(
        default=None, description="Also the figures per group."
    )


# --- results ------------------------------------------------------------------------------------------------


class BrandInfo(BaseModel):
    """One brand the server serves."""

    key: str = Field(description="What the other tools take as ``brand``.")
    name: str
    version: str
    description: str
    folder: str
    formats: dict[str, str] = Field(description="format name → WIDTHxHEIGHT.")
    modes: list[str] = Field(
        default_factory=list, description="Its palette modes (e.g. dark): compile and generate take one as mode."
    )


class BrandList(BaseModel):
    """``list_brands``: every brand, and the spec folders that could not be loaded (with why)."""

    brands: list[BrandInfo]
    unusable: dict[str, str] = Field(default_factory=dict, description="folder → the spec error.")


class BrandRules(BaseModel):
    """``show_rules``: the rules an image of this brand is held to, in the spec's own models."""

    key: str
    name: str
    version: str
    palette: Palette
    logos: list[LogoVariant]
    typography: Typography
    forbidden: Forbidden
    required: Required
    formats: dict[str, Format]
    checks: dict[str, CheckSettings] = Field(description="Check policies (a check not listed runs with its default).")
    repair: Repair


class CompileResult(BaseModel):
    """``compile``: the exact prompt and parameters a generate call would send, and what one attempt costs."""

    prompt: str
    operation: str
    params: dict[str, Any]
    format: str
    size: str
    prompt_hash: str
    references: list[dict[str, Any]]
    estimated_cost_usd: float | None = Field(description="One attempt with OpenAI, from the price table.")
    worst_case_usd: float | None = Field(description="Most one attempt can cost (what the budget reserves).")
    max_attempts: int = Field(description="Attempts the repair loop may make.")
    provider: str = Field(description="The provider a generate call of this server would use.")


class AssetResult(BaseModel):
    """``generate`` / ``edit``: the saved asset (the image itself comes as MCP image content)."""

    path: str
    sidecar: str
    passed: bool
    provider: str
    model: str
    attempt: int
    attempts: int
    cost_usd: float
    budget_usd: float
    fixes: list[str]
    report: ValidationReport
    edit: dict[str, Any] | None = None
    registry_id: int | None = Field(default=None, description="The asset's id in the registry, when one is set.")
    warnings: list[str] = Field(
        default_factory=list, description="The registry's warnings (the asset is saved even when it is not recorded)."
    )


class ValidateResult(BaseModel):
    """``validate``: the validation report and the verification report with evidence (``brandkit.evidence``:
    findings with severities, score, verdict, the evidence of each check; docs/verification.md)."""

    passed: bool
    source: str
    report: ValidationReport
    evidence: VerificationReport | None = None


class QueueItem(BaseModel):
    """One asset of the review queue."""

    id: int
    kind: str
    path: str
    spec_name: str
    format: str | None
    passed: bool
    state: str
    created_at: str
    failing_reasons: list[str]


class QueueResult(BaseModel):
    """``review_queue``: a page of the queue, newest first."""

    state: str
    items: list[QueueItem]
    total: int = Field(description="How many assets match (every page).")
    next_before: int | None = Field(
        description="Pass as before= for the next page; None: this is the last page.",
    )


class DecisionResult(BaseModel):
    """``review_decide``: the recorded decision (and, for request changes, the regenerated asset)."""

    asset_id: int
    state: str
    reviewer: str
    note: str | None
    regenerated: QueueItem | None = None


class ToolFailure(BaseModel):
    """The structured content of a failed call (``isError``): the typed error, never a traceback."""

    error: str = Field(description="The brandkit error class, e.g. RequestValidationError.")
    kinds: list[str] = Field(description="Its classes up to BrandkitError, most specific first.")
    message: str
    field: str | None = None
    path: str | None = None
    issues: list[dict[str, Any]] = Field(default_factory=list)
    report: ValidationReport | None = Field(
        default=None, description="BrandViolationError: the best attempt's report (why no attempt passed)."
    )
    amounts: dict[str, Any] | None = Field(
        default=None, description="BudgetExceededError: the budget, spent, reserved and needed amounts (USD)."
    )
    rejected: AssetResult | None = Field(
        default=None,
        description="BrandViolationError from generate or edit: the best attempt, saved (…-rejected-…) with its "
        "sidecar and recorded as failed — what the budget paid for, kept for review (passed is false).",
    )


class ReportResult(BaseModel):
    """``review_report``: the team's figures over the period (``brandkit report``: first-pass yield, approval and
    revision rate per deliverable, spend per approved deliverable, what caused rework), and per group with ``by``."""

    metrics: Metrics
    groups: dict[str, Metrics] | None = Field(default=None, description="Per group, with by.")

    def summary(self) -> str:
        """The figures in one line (the tool's text content)."""
        m = self.metrics
        rates = ", ".join(
            f"{name} {'—' if value is None else f'{value:.0%}'}"
            for name, value in (("approval", m.approval_rate), ("revision", m.revision_rate))
        )
        return f"{m.assets} asset(s), {m.reviewed_deliverables} deliverable(s) reviewed: {rates}"
