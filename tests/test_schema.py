"""The JSON Schema and the spec reference are generated from the models and must not drift."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from brandkit.schema import spec_reference_markdown, spec_schema, spec_schema_json

ROOT = Path(__file__).resolve().parents[1]


def test_schema_file_matches_models() -> None:
    on_disk = (ROOT / "schemas" / "brand-spec.schema.json").read_text(encoding="utf-8")
    assert on_disk == spec_schema_json(), "schemas/brand-spec.schema.json drifted: run `brandkit spec schema -o ...`"


def test_spec_reference_matches_models() -> None:
    assert spec_reference_markdown() in (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")


def test_example_brands_validate_against_the_schema() -> None:
    schema = spec_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for name in ("northwind", "lumen-health"):
        data = yaml.safe_load((ROOT / "brand_specs" / name / "brand.yaml").read_text(encoding="utf-8"))
        jsonschema.validate(json.loads(json.dumps(data)), schema)


def test_schema_rejects_unknown_fields() -> None:
    data = yaml.safe_load((ROOT / "brand_specs" / "northwind" / "brand.yaml").read_text(encoding="utf-8"))
    data["palette"]["colours"] = []
    errors = list(jsonschema.Draft202012Validator(spec_schema()).iter_errors(data))
    assert any("colours" in e.message for e in errors)
