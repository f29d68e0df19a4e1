"""Variant plan models: the plan file's schema (:class:`VariantPlan` and its parts), loading and validating
a plan (:func:`load_plan`), and the result of expanding one (:class:`Variant`, :class:`ExpandedPlan`)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from brandkit.documents import field_path, read_document, value_at
from brandkit.errors import SpecError, SpecIssue
from brandkit.models import AssetRequest, EditRequest, ReferenceRole
from brandkit.paths import allowed_folders
from brandkit.spec.models import BrandSpec, CheckPolicy, OutputFormat, Quality
from brandkit.variants.keys import slug

__all__ = [
    "COPY_FIELDS",
    "MAX_PLAN_BYTES",
    "MAX_VARIANTS",
    "PLAN_SCHEMA_ID",
    "AxisOption",
    "AxisValue",
    "EditSettings",
    "ExpandedPlan",
    "LocaleCopy",
    "PlanEntry",
    "PlanError",
    "PlanReference",
    "PlanSpec",
    "RequestPatch",
    "Variant",
    "VariantPlan",
    "load_plan",
    "plan_from_data",
    "plan_schema",
    "plan_schema_json",
]

PLAN_SCHEMA_ID = "https://brandkit.dev/schemas/variant-plan.schema.json"
MAX_PLAN_BYTES = 2 * 1024 * 1024
MAX_VARIANTS = 10_000
COPY_FIELDS = ("headline", "subhead", "cta")
"""Copy a non-source locale must provide when the request has it (the brief may stay in the source language)."""


class PlanError(SpecError):
    """A variant plan is missing, unreadable or invalid; ``issues`` name the file, field path and value."""


class _PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanReference(_PlanModel):
    """A reference image given in a plan (path relative to the plan file)."""

    path: str = Field(min_length=1, description="Image file, relative to the plan file.")
    role: ReferenceRole = Field(default="product", description="logo, product, style, master or other.")
    description: str = Field(default="", max_length=500, description="What the image shows, for the prompt.")


class RequestPatch(_PlanModel):
    """Fields of an :class:`~brandkit.AssetRequest` (all optional) set by one layer of the plan.

    Later layers override earlier ones field by field (base → spec base → axis values → entry → locale);
    ``disclaimers`` and ``references`` are appended instead, ``policies`` merged.
    """

    brief: str | None = Field(default=None, description="What the image should show.")
    headline: str | None = Field(default=None, description="Exact headline.")
    subhead: str | None = Field(default=None, description="Exact subheading.")
    cta: str | None = Field(default=None, description="Exact button label.")
    disclaimers: list[str] | None = Field(default=None, description="Extra legal lines (appended).")
    format: str | None = Field(default=None, description="Format name from the spec.")
    purpose: str | None = None
    background: Literal["light", "dark", "auto"] | None = None
    palette_mode: str | None = Field(
        default=None,
        description="A palette mode of the spec (palette.modes, e.g. dark) or 'default': an axis of it "
        "makes each variant in each mode's colours.",
    )
    logo_variant: str | None = None
    references: list[PlanReference] | None = Field(default=None, description="Reference images (appended).")
    quality: Quality | None = None
    output_format: OutputFormat | None = None
    output_compression: int | None = None
    transparent: bool | None = None
    text: Literal["render", "overlay"] | None = None
    logo: Literal["reference", "overlay"] | None = None
    policies: dict[str, CheckPolicy] | None = Field(default=None, description="Per-check policy overrides (merged).")
    seed: int | None = None
    locale: str | None = None
    safety_identifier: str | None = None
    model: str | None = None


class AxisOption(_PlanModel):
    """One value of an axis: a label (``id``) and the request fields it sets."""

    id: str = Field(min_length=1, max_length=80, description="Label shown in file names, manifest and contact sheet.")
    set: RequestPatch = Field(default_factory=RequestPatch, description="Request fields this value sets.")


AxisValue = AxisOption | str | int | float | bool
"""A scalar (for an axis named after a request field, ``locale`` or ``reference``) or an :class:`AxisOption`."""

Translation = str | dict[str, str]
"""A replacement string, or a mapping from source text to translated text."""


class LocaleCopy(_PlanModel):
    """The copy of one locale: a string replaces the field, a mapping translates each source text."""

    language: str | None = Field(default=None, description="Language name for edit instructions ('German').")
    headline: Translation | None = None
    subhead: Translation | None = None
    cta: Translation | None = None
    brief: Translation | None = Field(default=None, description="Optional: the brief may stay in the source language.")
    disclaimers: list[str] | None = Field(default=None, description="Replace the request's extra legal lines.")
    instruction: str | None = Field(default=None, description="Edit mode: the instruction for this locale.")


class EditSettings(_PlanModel):
    """How ``mode: edit`` adapts a master asset to each locale."""

    master: str | None = Field(
        default=None,
        description="Image to adapt (relative to the plan file). Default: each variant's source-locale twin, "
        "generated in the same run.",
    )
    instruction: str = Field(
        default="Replace only the text with the {language} copy given below, in the same typography and "
        "position. Keep the layout, the logo, the colours and the imagery exactly as they are.",
        min_length=1,
        max_length=4000,
        description="Edit instruction; {locale} and {language} are filled in.",
    )
    keep: list[str] = Field(default_factory=list, description="What must stay, besides the defaults.")


class PlanEntry(_PlanModel):
    """An explicit variant besides the matrix (always generated, never an edit)."""

    name: str = Field(min_length=1, max_length=80, description="Label of this variant.")
    spec: str | None = Field(default=None, description="Spec id (needed when the plan has several specs).")
    locale: str | None = Field(default=None, description="Locale: copy comes from the locales table.")
    set: RequestPatch = Field(default_factory=RequestPatch, description="Request fields of this variant.")


class PlanSpec(_PlanModel):
    """One brand spec of a plan and what is particular to it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$", description="Short id: output folder and axis label.")
    path: str = Field(min_length=1, description="Spec folder or brand.yaml, relative to the plan file.")
    palette_mode: str | None = Field(
        default=None,
        description="A palette mode of the spec (palette.modes, e.g. dark): its variants are generated and checked "
        "in that mode's colours (the CLI's --mode). Two entries may name one spec folder: one per mode.",
    )
    base: RequestPatch = Field(default_factory=RequestPatch, description="Request fields over the plan's base.")
    axes: dict[str, list[AxisValue]] = Field(
        default_factory=dict, description="Axes for this spec only; one named like a plan axis replaces it."
    )
    locales: dict[str, LocaleCopy] = Field(
        default_factory=dict, description="Copy over the plan's table (field by field, translations merged)."
    )
    entries: list[PlanEntry] = Field(default_factory=list, description="Explicit variants of this spec.")


class VariantPlan(_PlanModel):
    """A variant plan (see the module docstring). Load one with :func:`load_plan`."""

    schema_version: Literal[1] = Field(default=1, description="Version of this plan format.")
    name: str = Field(min_length=1, max_length=120, description="Name of the run (manifest and contact sheet).")
    description: str = Field(default="", max_length=2000)
    spec: str | None = Field(default=None, description="One spec folder or file, relative to the plan file.")
    specs: list[PlanSpec] = Field(default_factory=list, description="Several specs (instead of `spec`).")
    base: RequestPatch = Field(default_factory=RequestPatch, description="Request fields shared by every variant.")
    axes: dict[str, list[AxisValue]] = Field(
        default_factory=dict,
        description="Axes expanded as a matrix, in order. An axis named after a request field (headline, format, "
        "cta, background, seed, …), `locale` or `reference` (image path) takes plain values; any other axis "
        "(audience, …) takes {id, set} values.",
    )
    locales: dict[str, LocaleCopy] = Field(default_factory=dict, description="Copy table by locale code.")
    source_locale: str = Field(default="en", description="The locale the base copy is written in.")
    mode: Literal["generate", "edit"] = Field(
        default="generate",
        description="edit: variants of another locale adapt the master (kit.edit) instead of being generated.",
    )
    edit: EditSettings = Field(default_factory=EditSettings, description="Settings of mode: edit.")
    entries: list[PlanEntry] = Field(default_factory=list, description="Explicit variants besides the matrix.")
    group_by: str | None = Field(default=None, description="Axis the contact sheet groups by (default: the first).")

    _source: str = PrivateAttr(default="<memory>")
    _root: Path = PrivateAttr(default_factory=Path.cwd)
    _allowed: tuple[Path, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _one_spec_form(self) -> VariantPlan:
        if (self.spec is None) == (not self.specs):
            raise ValueError("give either `spec` (one spec path) or `specs` (a list), not both or neither")
        ids = [s.id for s in self.specs]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"spec ids must be unique; repeated: {', '.join(duplicates)}")
        return self

    @property
    def source(self) -> str:
        """The file this plan was read from (``<memory>`` when built in code)."""
        return self._source

    @property
    def root(self) -> Path:
        """The folder relative paths are resolved from (the plan file's folder)."""
        return self._root

    @property
    def allowed_paths(self) -> tuple[Path, ...]:
        """Folders besides :attr:`root` that the plan's images may come from (``allow_paths``, real paths)."""
        return self._allowed

    def spec_entries(self) -> list[PlanSpec]:
        """The plan's specs as :class:`PlanSpec` entries (the ``spec`` shorthand becomes one with its folder name)."""
        if self.spec is not None:
            path = Path(self.spec)
            label = path.stem if path.suffix.lower() in (".yaml", ".yml", ".json") else path.name
            if label in ("brand", ""):
                label = path.parent.name if path.suffix else path.name
            return [PlanSpec(id=slug(label)[:40].strip("-") or "brand", path=self.spec)]
        return list(self.specs)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _useful_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop pydantic's union-member tags (``AxisOption``, ``str``, …) from an error location."""
    tags = {"AxisOption", "str", "int", "float", "bool", "dict[str,str]", "list[str]"}
    return tuple(part for part in loc if not (isinstance(part, str) and (part in tags or "[" in part)))


def plan_from_data(
    data: Any,
    source: str = "<memory>",
    root: Path | None = None,
    allow_paths: Sequence[str | os.PathLike[str]] = (),
) -> VariantPlan:
    """Validate parsed plan data; errors name ``source``, the field path and the bad value.

    ``root`` is the folder relative paths are resolved from (default: the current folder). The plan's
    images (references, ``edit.master``) must lie inside ``root`` or inside one of the ``allow_paths``
    folders (checked by :func:`expand_plan`; see :mod:`brandkit.paths`).
    """
    allowed = allowed_folders(allow_paths, error=PlanError)
    if not isinstance(data, dict):
        raise PlanError(f"{source}: the top level must be a mapping of fields, got {type(data).__name__}")
    try:
        plan = VariantPlan.model_validate(data)
    except ValidationError as exc:
        issues: list[SpecIssue] = []
        seen: set[str] = set()
        for err in exc.errors(include_url=False):
            loc = _useful_loc(err["loc"])
            where = field_path(loc)
            if where in seen:  # one message per place: a union reports every member's complaint
                continue
            seen.add(where)
            issues.append(SpecIssue(source, where, err["msg"], err.get("input", value_at(data, loc))))
        raise PlanError(f"{source}: invalid variant plan ({len(issues)} problem(s))", issues) from None
    plan._source = source
    plan._root = (root or Path.cwd()).resolve()
    plan._allowed = allowed
    return plan


def load_plan(path: str | os.PathLike[str], *, allow_paths: Sequence[str | os.PathLike[str]] = ()) -> VariantPlan:
    """Read and validate a plan file (YAML or JSON). Raises :class:`PlanError` naming file, field and value.

    The plan's images must resolve (after ``..``, ``~`` and symlinks) inside the plan file's folder or inside
    one of the ``allow_paths`` folders (relative ones from the current folder; CLI ``--allow-path``).
    """
    if not isinstance(path, str | os.PathLike):
        raise PlanError(f"plan: expected a plan file's path (or a loaded plan), got {type(path).__name__}")
    file = Path(path)
    if file.is_dir():
        raise PlanError(f"{file}: is a folder; give the plan file (e.g. plans/demo-24.yaml)")
    if not file.exists():
        raise PlanError(f"{file}: no such plan file")
    data = read_document(file, max_bytes=MAX_PLAN_BYTES, what="plan", error=PlanError)
    return plan_from_data(data, source=str(file), root=file.parent, allow_paths=allow_paths)


def plan_schema() -> dict[str, Any]:
    """The plan's JSON Schema (draft 2020-12), generated from :class:`VariantPlan`."""
    schema = VariantPlan.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": PLAN_SCHEMA_ID, **schema}


def plan_schema_json() -> str:
    """The schema as stable, pretty JSON text (what ``schemas/variant-plan.schema.json`` holds)."""
    return json.dumps(plan_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Variant:
    """One variant of a plan: what to make, where its files go, and its stable key."""

    key: str
    """sha256 (hex) of the spec fingerprint and the canonical request: the identity of one paid generation."""
    index: int
    """Position in the plan (matrix order, then entries)."""
    spec_id: str
    axes: Mapping[str, str]
    """Axis name → value label, ``spec`` first (entries have ``entry``)."""
    operation: Literal["generate", "edit"]
    request: AssetRequest | EditRequest
    name: str
    """Output path stem relative to the output folder (``<spec id>/<labels>-<key prefix>``)."""
    master_key: str | None = None
    """Edit mode: the key of the variant whose image is adapted (generated first, in the same run)."""
    master_path: Path | None = None
    """Edit mode with ``edit.master``: the image file adapted."""

    @property
    def short_key(self) -> str:
        """The first 12 hex digits of the key (for humans)."""
        return self.key[:12]

    @property
    def format_name(self) -> str:
        """The format of the output (``square`` …)."""
        return self.request.format or "square"


@dataclass(frozen=True)
class ExpandedPlan:
    """A plan with its specs loaded and every variant expanded, keyed and validated."""

    plan: VariantPlan
    specs: Mapping[str, BrandSpec]
    variants: tuple[Variant, ...]
    axes: tuple[str, ...]
    """Axis names in order of appearance, ``spec`` first."""
    plan_hash: str
    _by_key: dict[str, Variant] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_key.update({v.key: v for v in self.variants})

    def __len__(self) -> int:
        return len(self.variants)

    def get(self, key: str) -> Variant | None:
        """The variant with ``key``, or ``None``."""
        return self._by_key.get(key)

    @property
    def group_by(self) -> str:
        """The axis the contact sheet groups by."""
        if self.plan.group_by:
            return self.plan.group_by
        return next((a for a in self.axes if a != "spec"), "spec")
