"""Typed data that flows between the pipeline stages.

spec → **AssetRequest** → compile → **CompiledPrompt** → provider →
**RenderResult** → compose → checks → **ValidationReport** → repair →
**Attempt** → asset.

About 560 lines, on purpose: only field declarations and their validators — the one vocabulary every stage
speaks. Split by stage, each stage would import several files to read one pipeline's data.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, field_validator, model_validator

from brandkit.geometry import PixelBox
from brandkit.layout import Box, Layout
from brandkit.rate_limits import RateLimitInfo
from brandkit.spec.models import CheckPolicy, OutputFormat, Quality


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


if TYPE_CHECKING:  # the typed constructor signature the pydantic mypy plugin derives stays as it is

    class _RequestModel(_Model):
        """Base of the models callers build (see below)."""

else:

    class _RequestMeta(type(BaseModel)):
        """Constructing a request model (``AssetRequest(...)``) with a bad or unknown field raises
        :class:`~brandkit.RequestValidationError` instead of pydantic's ``ValidationError``. Only the
        constructor call goes through here: ``model_validate`` keeps pydantic's error, for code that collects
        every issue itself (plans)."""

        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().__call__(*args, **kwargs)
            except ValidationError as exc:
                from brandkit.field_errors import request_error

                raise request_error(cls, exc) from None

    class _RequestModel(_Model, metaclass=_RequestMeta):
        """Base of the models callers build: a bad or unknown field raises ``RequestValidationError`` (a
        ``BrandkitError`` naming the field, with "did you mean") instead of pydantic's ``ValidationError``."""


ReferenceRole = Literal["logo", "product", "style", "master", "other"]


class ReferenceInput(_RequestModel):
    """An extra image the caller wants the model to use (product shot, style reference, …)."""

    path: str | None = None
    data: bytes | None = Field(default=None, repr=False)
    role: ReferenceRole = "product"
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _bare_path(cls, value: Any) -> Any:
        """A bare path (text or ``pathlib.Path``) is a product image at that path: ``references=["mug.jpg"]``."""
        if isinstance(value, (str, os.PathLike)):
            return {"path": value}
        return value

    @field_validator("path", mode="before")
    @classmethod
    def _path_like(cls, value: Any) -> Any:
        """A ``pathlib.Path`` (any ``os.PathLike`` of text) is its path string: ``references=[{"path": folder /
        "mug.jpg"}]`` is how Python callers name files."""
        if isinstance(value, os.PathLike):
            path = os.fspath(value)
            return path if isinstance(path, str) else value
        return value

    @field_serializer("data")
    def _ser_data(self, data: bytes | None) -> str | None:
        return None if data is None else f"<{len(data)} bytes sha256={hashlib.sha256(data).hexdigest()[:16]}>"

    def read(self) -> bytes:
        """The image bytes (from ``data`` or the file at ``path``)."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError("a reference image needs a path or data")
        from brandkit.imageio import read_bytes

        return read_bytes(self.path)


Seed = Annotated[
    int | None,
    Field(
        ge=0,
        le=2**63 - 1,
        description="Makes the local renderer's output repeatable (its photo and layout choices). The OpenAI Images "
        "API takes no seed: it is not sent there, and the model's output is not repeatable.",
    ),
]
"""A request's ``seed`` (generate and edit requests alike)."""


class AssetRequest(_RequestModel):
    """What the caller wants: a brief plus exact copy, in one of the spec's formats."""

    brief: str = Field(min_length=1, max_length=8000, description="What the image should show (data, not orders).")
    headline: str | None = Field(default=None, max_length=200)
    subhead: str | None = Field(default=None, max_length=300)
    cta: str | None = Field(default=None, max_length=60)
    disclaimers: list[str] = Field(default_factory=list, description="Extra legal lines besides the spec's.")
    format: str = "square"
    purpose: str = Field(default="advertisement", max_length=200)
    background: Literal["light", "dark", "auto"] = "auto"
    palette_mode: str | None = Field(
        default=None,
        max_length=80,
        description="A palette mode of the spec (palette.modes, e.g. dark) to generate and check in, or 'default' "
        "for the spec's own colours; None: the kit's spec as it is.",
    )
    logo_variant: str | None = None
    references: list[ReferenceInput] = Field(default_factory=list, max_length=15)
    quality: Quality | None = None
    output_format: OutputFormat | None = None
    output_compression: int | None = Field(default=None, ge=0, le=100)
    transparent: bool | None = None
    text: Literal["render", "overlay"] | None = None
    logo: Literal["reference", "overlay"] | None = None
    policies: dict[str, CheckPolicy] = Field(default_factory=dict)
    n: int = Field(default=1, ge=1, le=10)
    seed: Seed = None
    locale: str | None = Field(default=None, max_length=35)
    safety_identifier: str | None = Field(default=None, max_length=256)
    model: str | None = None

    @field_validator("headline", "subhead", "cta")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value or None

    def copy_strings(self) -> dict[str, str]:
        """The exact copy by role (only what is set)."""
        out: dict[str, str] = {}
        for role in ("headline", "subhead", "cta"):
            value = getattr(self, role)
            if value:
                out[role] = value
        return out


class EditRequest(_RequestModel):
    """A brand-safe edit: change only what ``instruction`` says, keep the rest."""

    instruction: str = Field(min_length=1, max_length=4000)
    keep: list[str] = Field(default_factory=list, description="What must stay as it is, besides the defaults.")
    headline: str | None = Field(default=None, max_length=200, description="New exact headline, if it changes.")
    subhead: str | None = Field(default=None, max_length=300)
    cta: str | None = Field(default=None, max_length=60)
    disclaimers: list[str] = Field(
        default_factory=list, description="Extra legal lines; when not given, the edited asset's are kept."
    )
    remove: list[Literal["headline", "subhead", "cta", "disclaimers"]] = Field(
        default_factory=list, description="Copy to take off the asset (otherwise copy not given is kept)."
    )
    format: str | None = Field(default=None, description="Spec format; detected from the image size if omitted.")
    palette_mode: str | None = Field(
        default=None,
        max_length=80,
        description="The palette mode to edit into (a re-theme: a key of palette.modes, or 'default' for the spec's "
        "own colours); None: kept from the edited asset's provenance, else the kit's spec as it is.",
    )
    logo_variant: str | None = None
    text: Literal["render", "overlay"] | None = None
    transparent: bool | None = Field(
        default=None,
        description="A transparent background (png or webp output); None: kept from the edited image (its "
        "provenance, else its own alpha channel).",
    )
    output_format: OutputFormat | None = Field(
        default=None,
        description="png, jpeg or webp; None: kept from the edited asset's provenance, else the spec's.",
    )
    output_compression: int | None = Field(
        default=None, ge=0, le=100, description="jpeg or webp quality (0-100); None: the spec's for its format."
    )
    policies: dict[str, CheckPolicy] = Field(default_factory=dict)
    locale: str | None = None
    seed: Seed = None
    safety_identifier: str | None = Field(default=None, max_length=256)


class ReferenceRecord(_Model):
    """One image sent with a request, by position and role, as recorded (sidecars): its digest, not its bytes."""

    index: int = Field(ge=1, description="1-based position, as the prompt names it ('Image 1').")
    role: ReferenceRole
    name: str
    description: str
    mime: str
    sha256: str


class ReferenceImage(ReferenceRecord):
    """One image sent with an edit request, by position and role."""

    data: bytes = Field(repr=False, exclude=True)


class CopyBlock(_Model):
    """Exact copy to place on the asset, after the spec's casing rule."""

    headline: str | None = None
    subhead: str | None = None
    cta: str | None = None
    disclaimers: list[str] = Field(default_factory=list)

    def required_strings(self) -> dict[str, str]:
        """Every string that must be readable on the asset, by role."""
        out = {k: v for k, v in (("headline", self.headline), ("subhead", self.subhead), ("cta", self.cta)) if v}
        for i, line in enumerate(self.disclaimers):
            out[f"disclaimer[{i}]"] = line
        return out

    def replaced_by(self, new: CopyBlock) -> dict[str, str]:
        """The strings of this copy that ``new`` no longer orders anywhere (role → text): what an image refined
        from one with this copy must not keep."""
        ordered = set(new.required_strings().values())
        return {role: text for role, text in self.required_strings().items() if text not in ordered}


class PromptRecord(_Model):
    """A compiled prompt as recorded in a sidecar: what :class:`CompiledPrompt` holds, its reference images by
    digest (:class:`ReferenceRecord`) rather than with their bytes."""

    text: str
    operation: Literal["generate", "edit"]
    params: dict[str, Any] = Field(description="API parameters besides prompt and images.")
    references: Sequence[ReferenceRecord] = Field(default_factory=list)
    copy_block: CopyBlock = Field(default_factory=CopyBlock)
    format_name: str
    width: int
    height: int
    text_mode: Literal["render", "overlay"]
    logo_mode: Literal["reference", "overlay"]
    logo_variant: str | None = None
    background_tone: Literal["light", "dark"]
    background_hex: str
    layout: Layout
    exclusions: list[str] = Field(default_factory=list)
    feedback: list[str] = Field(default_factory=list, description="Repair feedback from earlier attempts.")
    replaced_copy: dict[str, str] = Field(
        default_factory=dict,
        description="An edit's: the copy the edited image carried that the edit changes or removes (role → its old "
        "text); the text check fails when it is still read on the image.",
    )
    own_composition: bool = Field(
        default=False,
        description="An edit of an image whose composition is its own (no brandkit provenance, or a record without "
        "a photo area): the edit keeps it, so the layout's hero area says nothing of where its photograph is — the "
        "checks find it (the palette check segments the image) and the provenance records no photo area.",
    )
    spec_name: str
    spec_fingerprint: str
    spec_mode: str | None = Field(
        default=None, description="The spec's palette mode (BrandSpec.for_mode); None: its default colours."
    )

    @property
    def prompt_hash(self) -> str:
        """sha256 of the prompt text and parameters (first 16 hex digits)."""
        digest = hashlib.sha256(self.text.encode("utf-8"))
        digest.update(repr(sorted(self.params.items())).encode("utf-8"))
        for ref in self.references:
            digest.update(ref.sha256.encode("ascii"))
        return digest.hexdigest()[:16]

    @property
    def size(self) -> str:
        """``WIDTHxHEIGHT``."""
        return f"{self.width}x{self.height}"

    @property
    def photo_area(self) -> PixelBox | None:
        """Where the photograph of an image made for this prompt is: the layout's hero box (``(0, 0, 0, 0)``: the
        layout has none), or ``None`` — unknown, the checks find it — for an edit that keeps the image's own
        composition (:attr:`own_composition`)."""
        if self.own_composition:
            return None
        return self.layout.hero_box.as_tuple() if self.layout.hero_box is not None else (0, 0, 0, 0)


class CompiledPrompt(PromptRecord):
    """The exact request brandkit would send: prompt text, API parameters and reference images (with their
    bytes)."""

    references: list[ReferenceImage] = Field(default_factory=list)


class RenderCall(_Model):
    """One request to a provider: a compiled prompt plus what varies per attempt."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    prompt: CompiledPrompt
    n: int = 1
    seed: int = 0
    attempt: int = 1
    base_image: bytes | None = Field(default=None, repr=False, description="Image to edit (brand-safe edits).")
    mask: bytes | None = Field(default=None, repr=False)


class Usage(_Model):
    """Token usage reported by the provider."""

    input_tokens: int = 0
    input_text_tokens: int = 0
    input_image_tokens: int = 0
    output_tokens: int = 0
    output_image_tokens: int = 0
    output_text_tokens: int = 0


class PhotoUse(_Model):
    """Which photograph of the spec's library a renderer placed, and where (see ``BrandSpec.photos``)."""

    id: str = Field(description="The photo's id in the spec.")
    file: str = Field(description="Its file, relative to the spec folder.")
    sha256: str = Field(description="sha256 of the photo file's bytes.")
    crop: PixelBox = Field(description="Region of the photo used (x0, y0, x1, y1 in its pixels).")
    box: Box = Field(description="Where it was placed on the canvas (the layout's hero box).")
    matched_tags: list[str] = Field(
        default_factory=list, description="Tags that matched the brief or purpose (empty: chosen on format only)."
    )
    score: float = Field(default=0.0, description="The selection score that made it the best match.")


class RenderedImage(_Model):
    """One image returned by a provider."""

    data: bytes = Field(repr=False)
    output_format: str
    width: int
    height: int
    photo: PhotoUse | None = Field(default=None, description="The library photo used, when one was.")

    @field_serializer("data")
    def _ser(self, data: bytes) -> str:
        return f"<{len(data)} bytes>"


class RenderResult(_Model):
    """What a provider returned for one :class:`RenderCall`."""

    images: list[RenderedImage]
    provider: str
    model: str
    usage: Usage | None = None
    cost_usd: float = 0.0
    request_id: str | None = None
    elapsed_s: float = 0.0
    notes: list[str] = Field(
        default_factory=list, description="Parameters the provider left out or changed, and why (never silent)."
    )
    rate_limit: RateLimitInfo | None = Field(
        default=None, description="The rate-limit headers of the answer, when the provider reports them."
    )


class CheckStatus(StrEnum):
    """Outcome of one check."""

    passed = "passed"
    failed = "failed"
    not_checked = "not_checked"  # should have run but could not: fails closed unless policy is warn
    skipped = "skipped"  # does not apply to this asset (reason in details)


class Measure(_Model):
    """One measured value that a spec setting bounds: what calibration reads instead of a check's ``details``.

    ``bound="min"``: the image passes this rule when ``value >= threshold`` (e.g. a contrast ratio);
    ``bound="max"``: when ``value <= threshold`` (e.g. a forbidden colour's share).
    """

    setting: str = Field(description="Dotted path of the spec setting, e.g. 'typography.min_contrast'.")
    label: str = Field(description="What was measured, for people.")
    value: float
    threshold: float = Field(description="The setting's value in force when this was measured.")
    bound: Literal["min", "max"]
    step: float = Field(gt=0, description="Natural unit of the setting: proposals are rounded to it.")
    lower: float | None = Field(default=None, description="Smallest value the setting may take.")
    upper: float | None = Field(default=None, description="Largest value the setting may take.")


class CheckResult(_Model):
    """Result of one check on one image."""

    name: str
    status: CheckStatus
    score: float | None = None
    threshold: float | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    hint: str | None = Field(default=None, description="Targeted feedback for a repair attempt.")
    policy: CheckPolicy = "raise"
    elapsed_ms: float = 0.0
    measures: list[Measure] = Field(
        default_factory=list, description="Values that spec settings bound (read by `brandkit spec calibrate`)."
    )

    @property
    def blocking(self) -> bool:
        """True when this result makes the report fail (failed or not_checked, unless the policy is warn)."""
        return self.status in (CheckStatus.failed, CheckStatus.not_checked) and self.policy != "warn"

    @property
    def warned(self) -> bool:
        """True when it failed (or could not run) under the warn policy: shown, never blocking."""
        return self.status in (CheckStatus.failed, CheckStatus.not_checked) and self.policy == "warn"


class ProvenanceNote(_Model):
    """``validate`` only: what the image's embedded provenance gave and where the expected copy came from."""

    status: Literal["read", "absent", "unreadable"] = Field(
        description="read: a valid record; absent: none embedded; unreadable: malformed or foreign (see reason)."
    )
    reason: str | None = Field(default=None, description="Why the record is unreadable.")
    copy_source: Literal["request", "provenance", "none"] = Field(
        description="request: the copy the caller gave; provenance: the record's; none: no copy expected."
    )
    layout: str | None = Field(
        default=None,
        description="When the request's format is not the image's size: the layout its copy and logo are expected "
        "in, scaled to the image (None: the image's own size).",
    )
    reduced: str | None = Field(
        default=None,
        description="When the file has more pixels than brandkit decodes (16,588,800): the size the checks read it "
        "at, reduced to at most 8,294,400 pixels with its aspect ratio kept (None: read at its own size).",
    )

    @property
    def message(self) -> str:
        """``provenance read``, ``no provenance`` or ``provenance unreadable: <reason>``."""
        if self.status == "unreadable":
            return f"provenance unreadable: {self.reason}"
        return "provenance read" if self.status == "read" else "no provenance"


class ValidationReport(_Model):
    """Every check's result for one image; ``passed`` only when no result is blocking."""

    checks: dict[str, CheckResult]
    spec_name: str = ""
    spec_fingerprint: str = ""
    spec_mode: str | None = Field(
        default=None, description="The palette mode the image was checked in (BrandSpec.for_mode); None: default."
    )
    elapsed_ms: float = 0.0
    provenance: ProvenanceNote | None = Field(
        default=None, description="validate only: the embedded provenance's state (None for generated assets)."
    )

    @property
    def passed(self) -> bool:
        """True when no check is failed or not_checked (except those whose policy is warn)."""
        return not any(result.blocking for result in self.checks.values())

    @property
    def failures(self) -> list[CheckResult]:
        """Blocking results, in check order."""
        return [result for result in self.checks.values() if result.blocking]

    def summary(self) -> dict[str, str]:
        """check name → status, for manifests and provenance."""
        return {name: result.status.value for name, result in self.checks.items()}

    def score(self) -> float:
        """A number to rank attempts: more passed checks first, then the mean score."""
        passed = sum(1 for r in self.checks.values() if not r.blocking)
        scores = [r.score for r in self.checks.values() if r.score is not None]
        return passed + (sum(scores) / len(scores) / 10.0 if scores else 0.0)

    def model_dump_report(self) -> dict[str, Any]:
        """JSON form including ``passed``."""
        data = self.model_dump(mode="json")
        data["passed"] = self.passed
        return data

    @classmethod
    def from_report_json(cls, data: dict[str, Any]) -> ValidationReport:
        """The report back from its JSON form (:meth:`model_dump_report`, e.g. an audit's JSONL line): ``passed``
        is derived, so it is left out — and must agree with the checks when present (a ``ValueError`` otherwise)."""
        fields = {key: value for key, value in data.items() if key != "passed"}
        report = cls.model_validate(fields)
        if "passed" in data and data["passed"] != report.passed:
            raise ValueError(f"a report whose passed ({data['passed']}) disagrees with its checks")
        return report


class ComposedCopy(_Model):
    """What the compose stage set in the layout's copy areas (``text="overlay"`` or a text fix), for the checks.

    ``font_px`` runs parallel to the layout's copy areas (copy box, then disclaimer box, as in
    :attr:`brandkit.checks.base.Expectation.copy_boxes`): the smallest font size (px) drawn in each, ``None``
    where nothing was drawn. ``cta_box``: the CTA's pill (x0, y0, x1, y1), ``None`` without a CTA.
    """

    font_px: list[int | None] = Field(default_factory=list, max_length=4)
    cta_box: PixelBox | None = None


class Attempt(_Model):
    """One generation attempt, kept with its report whether it passed or not."""

    number: int
    prompt: CompiledPrompt
    data: bytes = Field(repr=False)
    output_format: str
    report: ValidationReport
    report_before_fix: ValidationReport | None = Field(
        default=None, description="The report of the provider's image, when a deterministic fix was applied."
    )
    provider: str
    model: str
    cost_usd: float = 0.0
    request_id: str | None = None
    fixes: list[str] = Field(default_factory=list, description="Deterministic fixes applied (e.g. 'overlay:text').")
    elapsed_s: float = 0.0
    photo: PhotoUse | None = Field(default=None, description="The spec library photo the renderer placed, if any.")
    notes: list[str] = Field(default_factory=list, description="The provider's notes on parameters it left out.")
    composed: ComposedCopy | None = Field(
        default=None, description="The copy brandkit drew itself (font sizes, CTA pill); None: the model's text."
    )

    @field_serializer("data")
    def _ser(self, data: bytes) -> str:
        return base64.b64encode(hashlib.sha256(data).digest()).decode()[:22]


def as_path(value: str | os.PathLike[str]) -> Path:
    """``Path`` from a string or path-like."""
    return Path(os.fspath(value))
