"""A plan's layers into requests: the request fields each layer (base, spec, axis value, locale, entry) sets,
with the plan location that set each one, and the checks that name that location in errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from brandkit.errors import SpecError, SpecIssue
from brandkit.field_errors import did_you_mean
from brandkit.models import AssetRequest, EditRequest, ReferenceInput
from brandkit.paths import confined_file
from brandkit.spec.models import BrandSpec
from brandkit.spec.modes import DEFAULT_MODE
from brandkit.variants.keys import sha256_file
from brandkit.variants.plan_models import (
    COPY_FIELDS,
    AxisOption,
    AxisValue,
    LocaleCopy,
    PlanReference,
    RequestPatch,
    VariantPlan,
)

__all__ = ["Expander", "Layered"]

_LIST_FIELDS = frozenset({"disclaimers", "references", "policies"})
_RESERVED_AXES = frozenset({"spec", "entry"})
_EDIT_FIELDS = (
    "headline",
    "subhead",
    "cta",
    "disclaimers",
    "format",
    "palette_mode",
    "logo_variant",
    "text",
    "policies",
    "locale",
    "seed",
    "safety_identifier",
    "transparent",
    "output_format",
    "output_compression",
)
"""The fields a variant's request hands its edit of the master (the others — brief, references… — only a
generate uses). A field left out here would be dropped without a word."""


@dataclass
class Layered:
    """Request fields with the plan location that set each one (to name it in errors)."""

    values: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)

    def copy(self) -> Layered:
        return Layered(dict(self.values), dict(self.origin))

    def apply(self, patch: RequestPatch, where: str, exact: bool = False) -> None:
        """Apply ``patch``; ``where`` locates it (``exact``: ``where`` names the value itself, not its parent)."""
        for name, value in patch.model_dump(exclude_unset=True).items():
            if name in ("disclaimers", "references") and value is not None:
                value = [*self.values.get(name, []), *value]
            elif name == "policies" and value is not None:
                value = {**self.values.get(name, {}), **value}
            self.values[name] = value
            self.origin[name] = where if exact else f"{where}.{name}"


class Expander:
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
            self.hashes[str(resolved)] = sha256_file(resolved)
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
        self, layered: Layered, code: str, table: Mapping[str, Any], where: str, table_where: Mapping[str, str]
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
                self.issue(at, f"no {code!r} translation for this {name}{_split_hint(current, rule)}", current)
                ok = False
                continue
            layered.origin[name] = at
        if copy.get("disclaimers") is not None:
            layered.values["disclaimers"] = list(copy["disclaimers"])
            layered.origin["disclaimers"] = f"{table_where.get(code, 'locales')}.{code}.disclaimers"
        return ok

    # -- requests -----------------------------------------------------------------------------------

    def asset_request(self, layered: Layered, spec: BrandSpec, where: str) -> AssetRequest | None:
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
                f"format {format_name!r} is not defined by brand {spec.name!r}"
                + (f" (did you mean {guess!r}?)" if (guess := did_you_mean(str(format_name), spec.formats)) else "")
                + f" (known: {', '.join(spec.formats)})",
                format_name,
            )
        mode = values.get("palette_mode")
        mode_ok = mode is None or mode == DEFAULT_MODE or mode in spec.palette.modes
        if not mode_ok:
            modes = [DEFAULT_MODE, *spec.palette.modes]
            self.issue(
                layered.origin.get("palette_mode", where),
                f"palette mode {mode!r} is not a mode of brand {spec.name!r}"
                + (f" (did you mean {guess!r}?)" if (guess := did_you_mean(str(mode), modes)) else "")
                + f" (known: {', '.join(modes)})",
                mode,
            )
        try:
            request = AssetRequest.model_validate({**values, "references": refs})
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                name = str(err["loc"][0]) if err["loc"] else ""
                self.issue(layered.origin.get(name, where), err["msg"], err.get("input"))
            return None
        return request if format_ok and mode_ok else None

    def check_master_size(self, master: Path, spec: BrandSpec, format_name: str) -> None:
        """An issue when the master image is not of the variant's format (an edit keeps the image size)."""
        from brandkit.errors import ImageInputError
        from brandkit.imageio import read_bytes, verify_image

        fmt = spec.formats[format_name]
        try:
            _kind, *size = verify_image(read_bytes(master))  # the size as shown (a phone photo's EXIF turn applied)
        except ImageInputError as exc:
            self.issue("edit.master", f"cannot read the image ({exc})", str(master))
            return
        if tuple(size) != (fmt.width, fmt.height):
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


def _split_hint(current: Any, table: Mapping[str, Any]) -> str:
    """When ``current`` is the start of a translated text up to a comma (``[Slow mornings, bright roasts]`` in YAML
    is two values), say so: the table's key is what the author meant."""
    if not isinstance(current, str):
        return ""
    meant = next((key for key in table if isinstance(key, str) and key.startswith(current + ",")), None)
    if meant is None:
        return ""
    return f"; the table has {meant!r}: in a YAML list [a, b] a comma splits a value, so quote it"
