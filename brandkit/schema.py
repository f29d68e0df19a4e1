"""JSON Schemas generated from the models (``schemas/*.schema.json``)."""

from __future__ import annotations

import json
import re
from typing import Any

from brandkit.spec.models import BrandSpec

SPEC_SCHEMA_ID = "https://brandkit.dev/schemas/brand-spec.schema.json"


def spec_schema() -> dict[str, Any]:
    """The brand spec's JSON Schema (draft 2020-12)."""
    schema = BrandSpec.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SPEC_SCHEMA_ID, **schema}


def spec_schema_json() -> str:
    """The schema as stable, pretty JSON text (what ``schemas/brand-spec.schema.json`` holds)."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


SCHEMA_BASE = "https://brandkit.dev/schemas/"

SCHEMA_NAMES = ("brand-spec", "asset-request", "edit-request", "validation-report", "asset-sidecar")
"""The documents ``schemas/<name>.schema.json`` describes (``brandkit spec schema --of NAME``)."""


def schema_of(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one of :data:`SCHEMA_NAMES`: the brand spec; the requests a service
    sends (``AssetRequest`` for ``generate``/``compile``, ``EditRequest`` for ``edit``; what their ``kit`` methods
    and the MCP tools accept); the validation report as written in sidecars and ``--json`` output (its
    ``model_dump_report()`` form, ``passed`` included); the sidecar saved beside every asset
    (:class:`~brandkit.asset_sidecar.AssetSidecar`, its report with ``passed`` too)."""
    from brandkit.asset_sidecar import AssetSidecar
    from brandkit.models import AssetRequest, EditRequest, ValidationReport

    if name == "brand-spec":
        return spec_schema()
    if name == "asset-request":
        schema = AssetRequest.model_json_schema(mode="validation")
    elif name == "edit-request":
        schema = EditRequest.model_json_schema(mode="validation")
    elif name == "validation-report":
        schema = _with_passed(ValidationReport.model_json_schema(mode="serialization"))
    elif name == "asset-sidecar":
        schema = AssetSidecar.model_json_schema(mode="serialization", by_alias=True)
        _with_passed(schema["$defs"]["ValidationReport"])
    else:
        raise ValueError(f"no schema named {name!r}; the schemas: {', '.join(SCHEMA_NAMES)}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{name}.schema.json",
        **schema,
    }


def _with_passed(schema: dict[str, Any]) -> dict[str, Any]:
    """A report's schema with the derived ``passed`` its JSON form carries (required)."""
    schema["properties"]["passed"] = {
        "type": "boolean",
        "title": "Passed",
        "description": "True when no check result is blocking (derived from the checks).",
    }
    schema["required"] = sorted({*schema.get("required", []), "passed"})
    return schema


def schema_json(name: str) -> str:
    """:func:`schema_of` as stable, pretty JSON text (what ``schemas/<name>.schema.json`` holds)."""
    return json.dumps(schema_of(name), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _type_name(annotation: Any) -> str:
    text = re.sub(r"brandkit\.spec\.\w+\.", "", str(annotation).replace("typing.", ""))  # the spec's own models
    text = text.replace("<class '", "").replace("'>", "").replace("NoneType", "None")
    return text.replace("Annotated[", "").replace("|", "or").replace("  ", " ")


def spec_reference_markdown() -> str:
    """A field-by-field reference of the brand spec (every model reachable from ``BrandSpec``)."""
    from pydantic import BaseModel
    from pydantic_core import PydanticUndefined

    lines: list[str] = []
    seen: set[type[BaseModel]] = set()
    queue: list[tuple[str, type[BaseModel]]] = [("(top level)", BrandSpec)]
    while queue:
        path, model = queue.pop(0)
        if model in seen:
            continue
        seen.add(model)
        doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
        lines += [
            f"### `{path}` — {model.__name__}",
            "",
            doc,
            "",
            "| field | type | default | description |",
            "|---|---|---|---|",
        ]
        for name, info in model.model_fields.items():
            default = (
                "required"
                if info.is_required()
                else ("(computed)" if info.default is PydanticUndefined else f"`{info.default!r}`")
            )
            if info.default_factory is not None:
                default = "(see models)"
            desc = (info.description or "").replace("|", "/").replace("\n", " ")
            lines.append(f"| `{name}` | `{_type_name(info.annotation)}` | {default} | {desc} |")
            for sub in _models_in(info.annotation):
                child = f"{path}.{name}" if path != "(top level)" else name
                queue.append((child, sub))
        lines.append("")
    return "\n".join(lines)


def _models_in(annotation: Any) -> list[Any]:
    from typing import get_args

    from pydantic import BaseModel

    found: list[Any] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
    for arg in get_args(annotation):
        found.extend(_models_in(arg))
    return found
