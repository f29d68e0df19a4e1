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


def test_request_and_report_schema_files_match_the_models() -> None:
    from brandkit.schema import SCHEMA_NAMES, schema_json

    for name in SCHEMA_NAMES:
        on_disk = (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
        assert on_disk == schema_json(name), (
            f"schemas/{name}.schema.json drifted: brandkit spec schema --of {name} -o …"
        )


def test_a_real_sidecar_validates_against_the_request_and_report_schemas(tmp_path: Path) -> None:
    import brandkit
    from brandkit.schema import schema_of

    kit = brandkit.BrandKit(ROOT / "brand_specs" / "northwind", provider="local", checks=["technical", "palette"])
    asset = kit.generate({"brief": "A cup of coffee", "headline": "Slow mornings", "cta": "Order ahead"})
    sidecar = json.loads(asset.save(tmp_path / "a.png").with_suffix(".png.json").read_text(encoding="utf-8"))
    edited = kit.edit(asset.data, "Warmer light", headline="Bright evenings").sidecar()
    for name, document in (
        ("asset-request", sidecar["request"]),
        ("validation-report", sidecar["report"]),
        ("edit-request", edited["request"]),
        ("validation-report", kit.validate(asset.data).model_dump_report()),
    ):
        schema = schema_of(name)
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(document, schema)
    bad = {**sidecar["request"], "headlin": "typo"}
    errors = list(jsonschema.Draft202012Validator(schema_of("asset-request")).iter_errors(bad))
    assert any("headlin" in e.message for e in errors)
    failing = {**sidecar["report"]}
    del failing["passed"]
    assert list(jsonschema.Draft202012Validator(schema_of("validation-report")).iter_errors(failing))
