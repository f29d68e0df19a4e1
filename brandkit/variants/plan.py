"""Variant plans: one brief × headlines × formats × locales, written once, expanded into many requests.

A plan is a YAML (or JSON) file validated by :class:`VariantPlan` (JSON Schema:
``schemas/variant-plan.schema.json``, regenerate with ``python -m brandkit.variants.plan``)::

    name: spring-launch
    spec: ../brand_specs/northwind        # or `specs:` — a list of {id, path, base, axes, locales, entries}
    base: {brief: "A ceramic cup on an oak table", cta: "Order ahead"}
    axes:                                 # expanded as a matrix, in this order
      headline: ["Slow mornings, bright roasts", "Roasted this week"]
      format: [square, landscape]
      locale: [en, de]
      audience:                           # a free axis: each value is {id, set: {request fields}}
        - {id: commuters, set: {brief: "A cup to go at a tram stop"}}
    locales:                              # the copy table: a string replaces, a mapping translates
      de: {cta: "Jetzt vorbestellen", headline: {"Slow mornings, bright roasts": "Langsame Morgen"}}
    entries:                              # explicit variants besides the matrix
      - {name: hero-banner, set: {format: banner, headline: "Roasted this week"}}

:func:`load_plan` reads and validates a plan (errors name the file, the field path and
the bad value, like :func:`brandkit.load_spec`); :func:`expand_plan` loads the specs and
returns every :class:`Variant` with its stable key: sha256 over the spec fingerprint and
the canonical request JSON (reference and master images by content hash), so a key
names exactly one paid generation, wherever the plan and the images live.

Every image a plan names — ``references[].path`` at any layer (``base``, ``specs[i].base``, axis values,
entries), the values of a ``reference`` axis and ``edit.master`` — must resolve (after ``..``, ``~`` and
symlinks) to a regular file inside the plan file's folder, or inside a folder the caller allows explicitly
(``load_plan(..., allow_paths=[...])``, ``expand_plan(..., allow_paths=[...])``, CLI ``--allow-path DIR``);
anything else is a :class:`PlanError` naming the field and the path, before any spec is compiled or any
request sent (:func:`brandkit.paths.confined_file`, the rule spec assets follow too). ``spec``/``specs[].path``
name brand specs, not files to upload: they may live anywhere, and each spec's own assets are confined to
its folder by :func:`brandkit.load_spec`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from brandkit.documents import field_path, read_document, value_at
from brandkit.errors import SpecError, SpecIssue
from brandkit.models import AssetRequest, EditRequest, ReferenceInput, ReferenceRole
from brandkit.paths import allowed_folders, confined_file
from brandkit.spec.models import BrandSpec, CheckPolicy, OutputFormat, Quality

__all__ = [
    "COPY_FIELDS",
    "AxisOption",
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
    "canonical_request",
    "expand_plan",
    "load_plan",
    "plan_from_data",
    "plan_schema",
    "plan_schema_json",
    "variant_count",
    "variant_key",
]

PLAN_SCHEMA_ID = "https://brandkit.dev/schemas/variant-plan.schema.json"
MAX_PLAN_BYTES = 2 * 1024 * 1024
MAX_VARIANTS = 10_000
COPY_FIELDS = ("headline", "subhead", "cta")
"""Copy a non-source locale must provide when the request has it (the brief may stay in the source language)."""

_LIST_FIELDS = frozenset({"disclaimers", "references", "policies"})
_RESERVED_AXES = frozenset({"spec", "entry"})
_EDIT_FIELDS = (
    "headline",
    "subhead",
    "cta",
    "disclaimers",
    "format",
    "logo_variant",
    "text",
    "policies",
    "locale",
    "seed",
    "safety_identifier",
)
_SLUG = re.compile(r"[^a-z0-9]+")


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
            return [PlanSpec(id=_slug(label)[:40].strip("-") or "brand", path=self.spec)]
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


# --------------------------------------------------------------------------------------------
# Expansion
# --------------------------------------------------------------------------------------------


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


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def canonical_request(request: AssetRequest | EditRequest, hashes: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The request as canonical JSON data: defaults left out, reference images named by content hash.

    ``hashes`` maps a reference path to its sha256 (computed from the file when missing).
    """
    data = request.model_dump(mode="json", exclude_defaults=True)
    if isinstance(request, AssetRequest) and request.references:
        refs = []
        for ref in request.references:
            if ref.path is not None:
                digest = (hashes or {}).get(ref.path) or _sha256_file(Path(ref.path))
            else:
                digest = hashlib.sha256(ref.read()).hexdigest()
            refs.append({"sha256": digest, "role": ref.role, "description": ref.description})
        data["references"] = refs
    return data


def variant_key(
    spec_fingerprint: str,
    request: AssetRequest | EditRequest,
    master: str | None = None,
    hashes: Mapping[str, str] | None = None,
) -> str:
    """sha256 (hex) of the spec fingerprint, the operation, the canonical request and the master's identity."""
    payload = {
        "v": 1,
        "spec": spec_fingerprint,
        "operation": "edit" if isinstance(request, EditRequest) else "generate",
        "request": canonical_request(request, hashes),
        "master": master,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Layered:
    """Request fields with the plan location that set each one (to name it in errors)."""

    values: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)

    def copy(self) -> _Layered:
        return _Layered(dict(self.values), dict(self.origin))

    def apply(self, patch: RequestPatch, where: str, exact: bool = False) -> None:
        """Apply ``patch``; ``where`` locates it (``exact``: ``where`` names the value itself, not its parent)."""
        for name, value in patch.model_dump(exclude_unset=True).items():
            if name in ("disclaimers", "references") and value is not None:
                value = [*self.values.get(name, []), *value]
            elif name == "policies" and value is not None:
                value = {**self.values.get(name, {}), **value}
            self.values[name] = value
            self.origin[name] = where if exact else f"{where}.{name}"


class _Expander:
    """Builds the variants of a plan, collecting every problem before raising."""

    def __init__(self, plan: VariantPlan, allowed: tuple[Path, ...] = ()) -> None:
        self.plan = plan
        self.source = plan.source
        self.root = plan.root
        self.allowed = (*plan.allowed_paths, *allowed)
        self.issues: list[SpecIssue] = []
        self._seen: set[tuple[str, str]] = set()
        self.hashes: dict[str, str] = {}

    def issue(self, where: str, message: str, value: Any = None) -> None:
        """Record a problem (once: the same problem recurs in every combination of the matrix)."""
        if (where, message) in self._seen:
            return
        self._seen.add((where, message))
        self.issues.append(SpecIssue(self.source, where, message, value))

    def path(self, relative: str, where: str) -> Path | None:
        candidate = Path(relative).expanduser()
        resolved = candidate if candidate.is_absolute() else self.root / candidate
        if not resolved.exists():
            self.issue(where, f"no such file or folder: {resolved}", relative)
            return None
        return resolved.resolve()

    def image(self, relative: str, where: str) -> Path | None:
        """The real path of an image the plan names, confined to the plan's folder and the allowed ones."""
        try:
            resolved = confined_file(
                relative, self.root, allowed=self.allowed, what="image", folder=f"the plan folder {self.root}"
            )
            self.hashes[str(resolved)] = _sha256_file(resolved)
        except SpecError as exc:
            self.issue(where, exc.message, relative)
            return None
        except OSError as exc:
            self.issue(where, f"cannot read the image ({exc.strerror or exc})", relative)
            return None
        return resolved

    # -- axes -------------------------------------------------------------------------------------

    def options(self, name: str, values: list[AxisValue], where: str) -> list[tuple[str, RequestPatch, str, bool]]:
        """(label, patch, location, exact) for each value of an axis (a placeholder when none is valid)."""
        out: list[tuple[str, RequestPatch, str, bool]] = []
        if name in _RESERVED_AXES:
            self.issue(where, f"{name!r} is a reserved axis name (it is added by the plan itself)", name)
            return [("?", RequestPatch(), where, True)]
        if not values:
            self.issue(where, "an axis needs at least one value", values)
        scalar_field = name if name in RequestPatch.model_fields and name not in _LIST_FIELDS else None
        for j, value in enumerate(values):
            at = f"{where}[{j}]"
            if isinstance(value, AxisOption):
                out.append((value.id, value.set, f"{at}.set", False))
            elif name == "reference":
                patch = RequestPatch(references=[PlanReference(path=str(value))])
                out.append((Path(str(value)).stem, patch, at, True))
            elif scalar_field is not None:
                try:
                    patch = RequestPatch.model_validate({scalar_field: value})
                except ValidationError as exc:
                    self.issue(at, exc.errors(include_url=False)[0]["msg"], value)
                    continue
                out.append((str(value), patch, at, True))
            else:
                self.issue(
                    at,
                    f"axis {name!r} is not a request field, so each value needs a label and the fields it sets: "
                    f"{{id: {value}, set: {{brief: ...}}}}",
                    value,
                )
        labels = [option[0] for option in out]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            self.issue(where, f"axis values must have distinct labels; repeated: {', '.join(repeated)}", repeated)
        # With no valid value the matrix would be empty and hide every other problem: keep expanding.
        return out or [("?", RequestPatch(), where, True)]

    # -- locales ------------------------------------------------------------------------------------

    @staticmethod
    def merged_locales(plan_table: Mapping[str, LocaleCopy], spec_table: Mapping[str, LocaleCopy]) -> dict[str, Any]:
        merged: dict[str, Any] = {code: entry.model_dump(exclude_unset=True) for code, entry in plan_table.items()}
        for code, entry in spec_table.items():
            target = merged.setdefault(code, {})
            for key, value in entry.model_dump(exclude_unset=True).items():
                if isinstance(value, dict) and isinstance(target.get(key), dict):
                    target[key] = {**target[key], **value}
                else:
                    target[key] = value
        return merged

    def localize(
        self, layered: _Layered, code: str, table: Mapping[str, Any], where: str, table_where: Mapping[str, str]
    ) -> bool:
        """Set ``locale`` and take the copy from the table; False (with issues) when copy is missing."""
        layered.values["locale"] = code
        layered.origin["locale"] = where
        if code == self.plan.source_locale and code not in table:
            return True
        copy = table.get(code)
        if copy is None:
            self.issue(
                where, f"no copy for locale {code!r}: add it under `locales` (or make it the source_locale)", code
            )
            return False
        ok = True
        for name in (*COPY_FIELDS, "brief"):
            current = layered.values.get(name)
            rule = copy.get(name)
            at = f"{table_where.get(code, 'locales')}.{code}.{name}"
            if rule is None:
                if current and name in COPY_FIELDS and code != self.plan.source_locale:
                    self.issue(at, f"locale {code!r} has no {name}, but the request has one", current)
                    ok = False
                continue
            if isinstance(rule, str):
                layered.values[name] = rule
            elif current is None:
                continue
            elif current in rule:
                layered.values[name] = rule[current]
            else:
                self.issue(at, f"no {code!r} translation for this {name}", current)
                ok = False
                continue
            layered.origin[name] = at
        if copy.get("disclaimers") is not None:
            layered.values["disclaimers"] = list(copy["disclaimers"])
            layered.origin["disclaimers"] = f"{table_where.get(code, 'locales')}.{code}.disclaimers"
        return ok

    # -- requests -----------------------------------------------------------------------------------

    def asset_request(self, layered: _Layered, spec: BrandSpec, where: str) -> AssetRequest | None:
        values = dict(layered.values)
        refs = []
        for i, ref in enumerate(values.pop("references", None) or []):
            at = layered.origin.get("references", where) + f"[{i}].path"
            resolved = self.image(ref["path"], at)
            if resolved is None:
                return None
            refs.append(
                ReferenceInput(
                    path=str(resolved), role=ref.get("role", "product"), description=ref.get("description", "")
                )
            )
        values = {k: v for k, v in values.items() if v is not None or k in COPY_FIELDS}
        format_name = values.get("format", "square")
        format_ok = format_name in spec.formats
        if not format_ok:
            self.issue(
                layered.origin.get("format", where),
                f"format {format_name!r} is not defined by brand {spec.name!r} (known: {', '.join(spec.formats)})",
                format_name,
            )
        try:
            request = AssetRequest.model_validate({**values, "references": refs})
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                name = str(err["loc"][0]) if err["loc"] else ""
                self.issue(layered.origin.get(name, where), err["msg"], err.get("input"))
            return None
        return request if format_ok else None

    def check_master_size(self, master: Path, spec: BrandSpec, format_name: str) -> None:
        """An issue when the master image is not of the variant's format (an edit keeps the image size)."""
        from PIL import Image

        fmt = spec.formats[format_name]
        try:
            with Image.open(master) as image:
                size = image.size
        except OSError as exc:
            self.issue("edit.master", f"cannot read the image ({exc})", str(master))
            return
        if size != (fmt.width, fmt.height):
            self.issue(
                "edit.master",
                f"the master is {size[0]}x{size[1]} but format {format_name!r} of {spec.name!r} is {fmt.size}; "
                "an edit keeps the image size",
                str(master),
            )

    def edit_request(self, request: AssetRequest, code: str, table: Mapping[str, Any]) -> EditRequest:
        copy = table.get(code, {})
        language = copy.get("language") or code
        instruction = copy.get("instruction") or self.plan.edit.instruction
        instruction = instruction.replace("{locale}", code).replace("{language}", language)
        fields = {name: getattr(request, name) for name in _EDIT_FIELDS}
        return EditRequest(instruction=instruction, keep=list(self.plan.edit.keep), **fields)


def _load_specs(ex: _Expander, entries: list[PlanSpec], where_of: Mapping[str, str]) -> dict[str, BrandSpec]:
    from brandkit.spec.loader import load_spec

    specs: dict[str, BrandSpec] = {}
    for entry in entries:
        resolved = ex.path(entry.path, where_of[entry.id])
        if resolved is None:
            continue
        try:
            specs[entry.id] = load_spec(resolved)
        except SpecError as exc:
            ex.issue(where_of[entry.id], f"the brand spec does not load: {exc.message.splitlines()[0]}", entry.path)
            ex.issues.extend(exc.issues)
    return specs


@dataclass
class _SpecContext:
    """What the variants of one spec share: the spec, its base request, axes and copy table."""

    entry: PlanSpec
    spec: BrandSpec
    prefix: str
    base: _Layered
    axes: dict[str, tuple[list[AxisValue], str]]
    table: dict[str, Any]
    table_where: dict[str, str]


class _Collector:
    """The variants found so far, refusing a second variant with the same key."""

    def __init__(self, ex: _Expander) -> None:
        self.ex = ex
        self.variants: list[Variant] = []
        self.names: dict[str, str] = {}

    def add(
        self,
        ctx: _SpecContext,
        labels: dict[str, str],
        request: AssetRequest | EditRequest,
        where: str,
        master: str | None = None,
        master_key: str | None = None,
        master_path: Path | None = None,
    ) -> str | None:
        key = variant_key(ctx.spec.fingerprint, request, master=master, hashes=self.ex.hashes)
        name = _name(ctx.entry.id, labels, key)
        if key in self.names:
            self.ex.issue(where, f"the same request as variant {self.names[key]} (identical key); remove one", name)
            return None
        self.names[key] = name
        operation: Literal["generate", "edit"] = "edit" if isinstance(request, EditRequest) else "generate"
        self.variants.append(
            Variant(key, len(self.variants), ctx.entry.id, labels, operation, request, name, master_key, master_path)
        )
        return key


def _matrix(ex: _Expander, ctx: _SpecContext, out: _Collector, master_file: Path | None) -> None:
    plan = ex.plan
    options = {name: ex.options(name, vals, where) for name, (vals, where) in ctx.axes.items()}
    if plan.mode == "edit" and master_file is None and "locale" not in options:
        ex.issue("mode", "mode: edit adapts each variant per locale, so the plan needs a `locale` axis", "edit")
        return
    masters: dict[tuple[tuple[str, str], ...], str] = {}
    edits: list[tuple[dict[str, str], AssetRequest, str]] = []
    for combo in itertools.product(*options.values()):
        layered = ctx.base.copy()
        labels: dict[str, str] = {"spec": ctx.entry.id}
        locale: tuple[str, str] | None = None
        for name, (label, patch, at, exact) in zip(options, combo, strict=True):
            labels[name] = label
            layered.apply(patch, at, exact)
            if name == "locale":
                locale = (label, at)
        if locale is not None and not ex.localize(layered, locale[0], ctx.table, locale[1], ctx.table_where):
            continue
        where = f"{ctx.prefix}axes"
        request = ex.asset_request(layered, ctx.spec, where)
        if request is None:
            continue
        if plan.mode == "edit" and locale is not None and locale[0] != plan.source_locale:
            edits.append((labels, request, locale[0]))  # after every master is known
            continue
        key = out.add(ctx, labels, request, where)
        if key is not None:
            masters[_sibling(labels)] = key
    # Edit mode: each other-locale variant adapts its source-locale twin (or the plan's master file).
    for labels, request, code in edits:
        edit = ex.edit_request(request, code, ctx.table)
        if master_file is not None:
            ex.check_master_size(master_file, ctx.spec, request.format)
            out.add(
                ctx, labels, edit, "edit.master", master=f"file:{ex.hashes[str(master_file)]}", master_path=master_file
            )
            continue
        master_key = masters.get(_sibling(labels))
        if master_key is None:
            ex.issue(
                "source_locale",
                f"mode: edit needs the source locale {plan.source_locale!r} in the locale axis: its variants "
                "are the masters the other locales adapt",
                plan.source_locale,
            )
            return
        out.add(ctx, labels, edit, f"{ctx.prefix}axes.locale", master=f"variant:{master_key}", master_key=master_key)


def _entry(ex: _Expander, ctx: _SpecContext, out: _Collector, item: PlanEntry, at: str) -> None:
    layered = ctx.base.copy()
    layered.apply(item.set, f"{at}.set")
    labels = {"spec": ctx.entry.id, "entry": item.name}
    if item.locale is not None:
        labels["locale"] = item.locale
        if not ex.localize(layered, item.locale, ctx.table, f"{at}.locale", ctx.table_where):
            return
    request = ex.asset_request(layered, ctx.spec, at)
    if request is not None:
        out.add(ctx, labels, request, at)


def expand_plan(
    plan: VariantPlan | str | os.PathLike[str], *, allow_paths: Sequence[str | os.PathLike[str]] = ()
) -> ExpandedPlan:
    """Load the plan's specs and expand every variant (the matrix of each spec, then explicit entries).

    Raises :class:`PlanError` listing every problem found — a field that does not validate, an unknown
    format, a locale without copy or a missing translation, a missing file, an image outside the plan's
    folder and the ``allow_paths`` folders (added to the plan's own, see :func:`load_plan`), two variants
    with the same key — each naming the plan file, the field path and the value. Nothing is sent or spent.
    """
    if not isinstance(plan, VariantPlan):
        plan = load_plan(plan, allow_paths=allow_paths)
        allow_paths = ()
    ex = _Expander(plan, allowed_folders(allow_paths, error=PlanError))
    entries = plan.spec_entries()
    count = variant_count(plan)
    if count > MAX_VARIANTS:  # refused from the axes' lengths, before loading a spec or building a variant
        raise PlanError(
            f"{plan.source}: the plan would expand to {count:,} variants; the limit is {MAX_VARIANTS:,}",
            [SpecIssue(plan.source, "axes", f"too many variants: {_count_detail(plan)}", count)],
        )
    single = plan.spec is not None
    where_of = {e.id: ("spec" if single else f"specs[{i}].path") for i, e in enumerate(entries)}
    specs = _load_specs(ex, entries, where_of)
    master_file = ex.image(plan.edit.master, "edit.master") if plan.mode == "edit" and plan.edit.master else None
    out = _Collector(ex)
    axis_names: list[str] = ["spec"]
    contexts: dict[str, _SpecContext] = {}
    for i, entry in enumerate(entries):
        spec = specs.get(entry.id)
        if spec is None:
            continue
        prefix = "" if single else f"specs[{i}]."
        base = _Layered()
        base.apply(plan.base, "base")
        base.apply(entry.base, f"{prefix}base")
        axes = {name: (vals, f"axes.{name}") for name, vals in plan.axes.items()}
        axes.update({name: (vals, f"{prefix}axes.{name}") for name, vals in entry.axes.items()})
        axis_names += [name for name in axes if name not in axis_names]
        table = ex.merged_locales(plan.locales, entry.locales)
        table_where = {code: f"{prefix}locales" if code in entry.locales else "locales" for code in table}
        ctx = _SpecContext(entry, spec, prefix, base, axes, table, table_where)
        contexts[entry.id] = ctx
        _matrix(ex, ctx, out, master_file)
        for j, item in enumerate(entry.entries):
            if item.spec not in (None, entry.id):
                ex.issue(
                    f"{prefix}entries[{j}].spec",
                    f"an entry under spec {entry.id!r} cannot name another spec",
                    item.spec,
                )
                continue
            _entry(ex, ctx, out, item, f"{prefix}entries[{j}]")
    for j, item in enumerate(plan.entries):
        target = item.spec or (entries[0].id if len(entries) == 1 else None)
        if target is None:
            ex.issue(f"entries[{j}].spec", "the plan has several specs: say which one this entry is for", None)
        elif target not in where_of:
            ex.issue(f"entries[{j}].spec", f"unknown spec id (known: {', '.join(where_of)})", item.spec)
        elif target in contexts:
            _entry(ex, contexts[target], out, item, f"entries[{j}]")
    if any(v.axes.get("entry") for v in out.variants):
        axis_names.append("entry")
    if plan.group_by is not None and plan.group_by not in axis_names:
        ex.issue("group_by", f"not an axis of this plan (axes: {', '.join(axis_names)})", plan.group_by)
    if not ex.issues and not out.variants:
        ex.issue("axes", "the plan expands to no variant: add axes or entries", None)
    if len(out.variants) > MAX_VARIANTS:
        ex.issue("axes", f"the plan expands to {len(out.variants):,} variants (limit {MAX_VARIANTS:,})", None)
    if ex.issues:
        raise PlanError(f"{plan.source}: invalid variant plan ({len(ex.issues)} problem(s))", ex.issues)
    digest = hashlib.sha256("\n".join(v.key for v in out.variants).encode("ascii")).hexdigest()
    return ExpandedPlan(plan=plan, specs=specs, variants=tuple(out.variants), axes=tuple(axis_names), plan_hash=digest)


def variant_count(plan: VariantPlan) -> int:
    """How many variants ``plan`` expands to, from its axes' lengths alone (nothing expanded or loaded).

    Per spec: the product of its axes' lengths (the plan's axes, those of ``specs[i].axes`` replacing or
    adding), plus its entries; plus the plan's entries. An upper bound: combinations refused while expanding
    (a missing translation, a duplicate key) only lower it.
    """
    total = len(plan.entries)
    for entry in plan.spec_entries():
        axes = {**plan.axes, **entry.axes}
        total += math.prod(max(len(values), 1) for values in axes.values()) + len(entry.entries)
    return total


def _count_detail(plan: VariantPlan) -> str:
    """The product behind :func:`variant_count`, per spec (``spec: 10 headline × 4 format``)."""
    parts = []
    for entry in plan.spec_entries():
        axes = {**plan.axes, **entry.axes}
        product = " × ".join(f"{max(len(values), 1):,} {name}" for name, values in axes.items()) or "1"
        parts.append(f"{entry.id}: {product}" + (f" + {len(entry.entries)} entries" if entry.entries else ""))
    return "; ".join(parts) + (f"; + {len(plan.entries)} plan entries" if plan.entries else "")


def _sibling(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The labels without the locale: variants that differ only by locale share it."""
    return tuple((k, v) for k, v in labels.items() if k != "locale")


def _name(spec_id: str, labels: Mapping[str, str], key: str) -> str:
    parts = [_slug(v)[:28].strip("-") for k, v in labels.items() if k != "spec"]
    stem = "_".join(p for p in parts if p) or "variant"
    return f"{spec_id}/{stem}-{key[:10]}"


if __name__ == "__main__":  # pragma: no cover - `python -m brandkit.variants.plan [FILE]` writes the schema
    import sys

    text = plan_schema_json()
    if len(sys.argv) > 1:
        from brandkit.asset import atomic_write

        atomic_write(Path(sys.argv[1]), text.encode("utf-8"))
    else:
        sys.stdout.write(text)
