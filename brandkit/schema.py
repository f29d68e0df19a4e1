"""JSON Schemas generated from the models (``schemas/*.schema.json``)."""

from __future__ import annotations

import json
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
