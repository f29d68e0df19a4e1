"""Edits keep what they do not change: the edited asset's copy, legal lines, logo and format, from its provenance.

An :class:`~brandkit.models.EditRequest` names only what changes. Before an edit is compiled,
:func:`inherit_edit` reads the provenance embedded in the image (:func:`brandkit.provenance.read_provenance_record`)
and fills in what the request leaves out:

- ``headline`` / ``subhead`` / ``cta``: a field the request does not set (``None``) keeps the asset's; one listed
  in ``remove`` (or set to ``""``) is taken off.
- ``disclaimers``: the asset's extra legal lines are kept unless the request gives ``disclaimers`` (or removes
  them). The spec's required lines are always those of the edit's locale (``required.locales`` in the spec,
  :meth:`brandkit.spec.models.Required.disclaimers_for`), so a German edit of an English asset gets the German
  legal line instead of keeping the English one.
- ``locale``: the request's; else the one whose required lines the asset carries (recorded lines → locale).
- ``logo_variant`` (and with it the logo's placement, which the layout derives from the variant) and ``format``:
  the asset's, unless the request sets them.
- ``transparent``: the request's; else kept transparent when the asset is (its provenance, else its alpha channel).
- ``output_format`` (png, jpeg, webp): the request's; else the asset's, from its provenance (not a JPEG when the
  edit is transparent); else the spec's.
- ``mode`` (the palette mode, :meth:`~brandkit.spec.models.BrandSpec.for_mode`): the request's ``palette_mode``
  (a re-theme: ``dark``, or ``default`` for the spec's own colours); else a spec in a mode edits in it; else a spec
  in its default colours edits an asset made in one of its modes in that mode (a dark ad stays dark, checked
  against the dark colours). :attr:`InheritedEdit.spec` is the spec the edit is then compiled and checked with.

The :class:`EditReport` says what was kept, what changed (before → after), what was removed, and notes (no
provenance, a record for another spec, a locale without its own legal lines). A foundation-level helper of the
edit flow: it imports models, the spec and :mod:`brandkit.provenance`, and no stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from brandkit.errors import ImageInputError
from brandkit.imageio import MIN_TRANSPARENT_SHARE, load_image, may_be_transparent, transparent_share, verify_image
from brandkit.models import EditRequest
from brandkit.provenance import ProvenanceRecord, follows_layout, read_provenance_record
from brandkit.spec.models import BrandSpec
from brandkit.spec.modes import mode_words

__all__ = ["COPY_ROLES", "EditReport", "FieldChange", "InheritedEdit", "ground_tone", "inherit_edit"]

COPY_ROLES = ("headline", "subhead", "cta")


class FieldChange(BaseModel):
    """One field an edit changed: its value on the edited asset and after the edit."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    before: Any = None
    after: Any = None


class EditReport(BaseModel):
    """What an edit kept from the asset it edited, what it changed and what it removed."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    provenance: Literal["read", "absent", "unreadable"] = Field(
        description="The edited image's provenance: read (fields inherited), absent or unreadable (nothing was)."
    )
    kept: dict[str, Any] = Field(default_factory=dict, description="Field → value kept from the edited asset.")
    changed: dict[str, FieldChange] = Field(default_factory=dict, description="Field → before/after.")
    removed: list[str] = Field(default_factory=list, description="Fields taken off the asset.")
    replaced_copy: dict[str, str] = Field(
        default_factory=dict,
        description="The copy the edited asset carried that this edit changes or removes (role → old text: "
        "'headline', 'disclaimer[i]'): what must not stay on the edited image.",
    )
    notes: list[str] = Field(default_factory=list, description="What could not be inherited, and why.")
    own_composition: bool = Field(
        default=False,
        description="The edited image's composition is its own — it has no brandkit provenance, or its record has "
        "no photo area —: the edit keeps it, and the checks find its photograph rather than assume the layout's.",
    )
    retheme: bool = Field(
        default=False,
        description="The edit turns the image into another palette mode's colours (its recorded mode is not the "
        "edit's; an image without provenance: its ground is of the other tone than the mode's canvas).",
    )

    def confirm_layout(self, box: list[int] | None, variant: str | None) -> EditReport:
        """This report after the edit was laid out: a kept logo box the new layout moved is reported as changed,
        and a logo variant a re-theme left to the layout (changed, ``after`` unknown until then) names ``variant``."""
        report = self
        left = self.changed.get("logo_variant")
        if left is not None and left.after is None and variant is not None:
            changed = {**self.changed, "logo_variant": FieldChange(before=left.before, after=variant)}
            report = self.model_copy(update={"changed": changed})
        kept = report.kept.get("logo_box")
        if kept is None or box == kept:
            return report
        others = {k: v for k, v in report.kept.items() if k != "logo_box"}
        changed = {**report.changed, "logo_box": FieldChange(before=kept, after=box)}
        return report.model_copy(update={"kept": others, "changed": changed})

    def lines(self) -> list[str]:
        """The report for people, one line per field."""
        out = [f"kept {name}: {_shown(value)}" for name, value in self.kept.items()]
        out += [f"changed {name}: {_shown(c.before)} → {_shown(c.after)}" for name, c in self.changed.items()]
        out += [f"removed {name}" for name in self.removed]
        return out + [f"note: {note}" for note in self.notes]


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return repr(value)


@dataclass(frozen=True)
class InheritedEdit:
    """The request to compile (the caller's, completed from the asset) and the report of what was kept."""

    request: EditRequest
    report: EditReport
    spec: BrandSpec
    """The spec the edit is made with: the one given, in the asset's palette mode when it was made in one."""


def inherit_edit(spec: BrandSpec, request: EditRequest, image: bytes) -> InheritedEdit:
    """Complete ``request`` from the provenance embedded in ``image`` (rules: module docstring)."""
    variants = [logo.variant for logo in spec.logos]
    reading = read_provenance_record(image).against(spec.name, variants, spec.palette.modes)
    record = reading.record
    notes: list[str] = []
    if record is None:
        why = (
            "the image has no brandkit provenance"
            if reading.status == "absent"
            else (f"the image's provenance is unreadable ({reading.reason})")
        )
        notes.append(f"{why}: nothing was inherited; the copy is only what the edit gives")
    updates: dict[str, Any] = {}
    report = EditReport(
        provenance=reading.status if record is None else "read",
        notes=notes,
        own_composition=not follows_layout(record),
    )
    spec = _mode(spec, request.palette_mode, record, image, report)
    removed = set(request.remove)
    before_copy = record.copy_ if record is not None else None
    for role in COPY_ROLES:
        asked: str | None = getattr(request, role)
        before = getattr(before_copy, role) if before_copy is not None else None
        if role in removed or asked == "":
            updates[role] = None
            if before is not None:
                report.removed.append(role)
                report.replaced_copy[role] = before
        elif asked is None:
            if before is not None:
                updates[role] = before
                report.kept[role] = before
        elif before is not None and asked == before:
            report.kept[role] = before
        else:
            report.changed[role] = FieldChange(before=before, after=asked)
            if before is not None:
                report.replaced_copy[role] = before
    locale = _locale(spec, request, record, report)
    if locale != request.locale:
        updates["locale"] = locale
    _disclaimers(spec, request, record, locale, updates, report)
    transparent = _transparent(request, record, image, report)
    if transparent != request.transparent:
        updates["transparent"] = transparent
    output_format = _output_format(request, record, transparent, report)
    if output_format != request.output_format:
        updates["output_format"] = output_format
    if record is not None:
        _logo_variant(spec, request, record, updates, report)
        _format(spec, request, record, image, updates, report)
    return InheritedEdit(request=request.model_copy(update=updates), report=report, spec=spec)


def _mode(
    spec: BrandSpec, asked: str | None, record: ProvenanceRecord | None, image: bytes, report: EditReport
) -> BrandSpec:
    """The spec in the palette mode the edit is made in: the request's (``asked``: a re-theme when the asset was
    made in another), else the spec's own when it is in one, else the asset's."""
    if asked is not None:
        target = spec.for_mode(asked, field="palette_mode")
        if record is None:  # its mode is unknown: a ground of the other tone than the mode's canvas is re-coloured
            ground, canvas = ground_tone(load_image(image)), target.palette.canvas_tone()
            report.retheme = ground != canvas
            if report.retheme:
                report.notes.append(
                    f"the image has no brandkit provenance and a {ground} ground: it is re-coloured into "
                    f"{mode_words(target.mode)} (a {canvas} canvas)"
                )
        elif record.spec_mode == target.mode:
            if target.mode is not None:
                report.kept["mode"] = target.mode
        else:
            report.changed["mode"] = FieldChange(before=record.spec_mode, after=target.mode)
            report.retheme = True
        return target
    if record is None:
        return spec
    before = record.spec_mode
    if before == spec.mode:
        if before is not None:
            report.kept["mode"] = before
        return spec
    if spec.mode is None and before is not None:  # the asset's mode (one the spec lacks leaves no record)
        report.kept["mode"] = before
        return spec.for_mode(before)
    report.changed["mode"] = FieldChange(before=before, after=spec.mode)  # the caller chose the mode: a re-theme
    report.retheme = True
    return spec


def ground_tone(image: Image.Image) -> Literal["light", "dark"]:
    """The tone of an image's ground (its mean colour): the ground an edit's logo variant is chosen for."""
    mean = np.asarray(image.convert("RGB").resize((1, 1)), dtype=np.int64)
    return "dark" if int(mean.sum()) < 300 else "light"


def _required_lines(spec: BrandSpec) -> set[str]:
    """Every required legal line of the spec, in every locale."""
    lines = set(spec.required.disclaimers)
    for entry in spec.required.locales.values():
        lines.update(entry)
    return lines


def _locale(spec: BrandSpec, request: EditRequest, record: ProvenanceRecord | None, report: EditReport) -> str | None:
    """The edit's locale: the request's, else the one whose required legal lines the asset carries."""
    before = None
    if record is not None:
        carried = set(record.copy_.disclaimers)
        for code, lines in spec.required.locales.items():
            if lines and set(lines) <= carried and not set(lines) <= set(spec.required.disclaimers):
                before = code
                break
    if request.locale is None:
        if before is not None:
            report.kept["locale"] = before
        return before
    if record is not None and request.locale != before:
        report.changed["locale"] = FieldChange(before=before, after=request.locale)
    return request.locale


def _disclaimers(
    spec: BrandSpec,
    request: EditRequest,
    record: ProvenanceRecord | None,
    locale: str | None,
    updates: dict[str, Any],
    report: EditReport,
) -> None:
    """Extra legal lines kept unless given or removed; the required ones are the locale's; report the result."""
    before = list(record.copy_.disclaimers) if record is not None else []
    required = spec.required.disclaimers_for(locale)
    if locale and spec.required.disclaimers and spec.required.locale_key(locale) is None:
        report.notes.append(
            f"spec {spec.name!r} has no required legal lines for locale {locale!r} (required.locales): "
            "its default lines are used"
        )
    if "disclaimers" in request.remove:
        extras: list[str] = []
        updates["disclaimers"] = extras
    elif "disclaimers" in request.model_fields_set:
        extras = list(request.disclaimers)
    else:
        every_required = _required_lines(spec)
        extras = [line for line in before if line not in every_required]
        updates["disclaimers"] = extras
    after = list(dict.fromkeys([*required, *extras]))
    if record is None:
        return
    if after == before:
        report.kept["disclaimers"] = before
        return
    if not after:
        report.removed.append("disclaimers")
    else:
        report.changed["disclaimers"] = FieldChange(before=before, after=after)
    for i, line in enumerate(before):  # a legal line the edit replaces (another locale's) or takes off
        if line not in after:
            report.replaced_copy[f"disclaimer[{i}]"] = line


def _transparent(
    request: EditRequest, record: ProvenanceRecord | None, image: bytes, report: EditReport
) -> bool | None:
    """The edit's background: the request's; else a transparent one kept from the edited image — its provenance
    says so, or (none) its own alpha channel has transparent pixels; else ``None`` (the spec's default)."""
    before = record.transparent if record is not None else has_transparent_background(image)
    if request.transparent is None:
        if before:
            report.kept["transparent"] = True
            return True
        return None
    if before != request.transparent and (record is not None or before):
        report.changed["transparent"] = FieldChange(before=before, after=request.transparent)
    return request.transparent


def _output_format(
    request: EditRequest, record: ProvenanceRecord | None, transparent: bool | None, report: EditReport
) -> str | None:
    """The edit's file format: the request's; else the edited asset's (its provenance), unless that is JPEG and
    the edit has a transparent background; else ``None`` (the spec's)."""
    before = record.output_format if record is not None else None
    if request.output_format is not None:
        if before is not None and before != request.output_format:
            report.changed["output_format"] = FieldChange(before=before, after=request.output_format)
        return request.output_format
    if before is None:
        return None
    if before == "jpeg" and transparent:
        report.notes.append(
            "the asset is a JPEG but the edit has a transparent background: its output format is the spec's "
            "(give output_format 'png' or 'webp' to choose)"
        )
        return None
    report.kept["output_format"] = before
    return before


def has_transparent_background(image: bytes) -> bool:
    """Whether ``image`` has an alpha channel with at least 1 % of its pixels not fully opaque (the technical
    check's bar for an ordered transparent background); ``False`` for an image that cannot be read. An image
    whose header rules transparency out (a JPEG, an RGB PNG) is not decoded for it."""
    if not may_be_transparent(image):
        return False
    try:
        decoded = load_image(image)
    except ImageInputError:
        return False
    return transparent_share(decoded) >= MIN_TRANSPARENT_SHARE


def _logo_variant(
    spec: BrandSpec, request: EditRequest, record: ProvenanceRecord, updates: dict[str, Any], report: EditReport
) -> None:
    """The asset's logo variant (its placement follows from it), unless the request sets one. A re-theme keeps the
    variant only when it is made for the new mode's canvas: the light-ground mark is not kept on an ad turned dark
    (the layout chooses the one made for it)."""
    if report.retheme and request.logo_variant is None and record.logo_variant is not None:
        made_for = spec.logo_tone(record.logo_variant)
        canvas = spec.palette.canvas_tone()
        if made_for is not None and made_for != canvas:
            report.changed["logo_variant"] = FieldChange(before=record.logo_variant, after=None)
            report.notes.append(
                f"the logo variant {record.logo_variant!r} is made for {made_for} grounds: the re-themed image's "
                f"{canvas} canvas takes the variant made for it"
            )
            return
    if request.logo_variant is None and record.logo_variant is not None:
        updates["logo_variant"] = record.logo_variant
        report.kept["logo_variant"] = record.logo_variant
        if record.logo_box is not None:
            report.kept["logo_box"] = list(record.logo_box)
    elif request.logo_variant is not None and request.logo_variant != record.logo_variant:
        report.changed["logo_variant"] = FieldChange(before=record.logo_variant, after=request.logo_variant)


def _format(
    spec: BrandSpec,
    request: EditRequest,
    record: ProvenanceRecord,
    image: bytes,
    updates: dict[str, Any],
    report: EditReport,
) -> None:
    """The asset's spec format, unless the request sets one or the image is no longer that format's size."""
    if request.format is not None:
        if request.format != record.format:
            report.changed["format"] = FieldChange(before=record.format, after=request.format)
        return
    fmt = spec.formats.get(record.format)
    if fmt is None:
        return
    try:
        _kind, width, height = verify_image(image)
    except ImageInputError:  # compile_edit reports an unreadable image with its typed error
        return
    if (fmt.width, fmt.height) == (width, height):
        updates["format"] = record.format
        report.kept["format"] = record.format
    else:
        report.notes.append(
            f"the asset was made as format {record.format!r} ({fmt.size}) but the image is {width}x{height}: "
            "the format is detected from the image"
        )
