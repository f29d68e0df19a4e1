"""Variant plans: loading with precise errors, matrix expansion, locale copy, edit mode, stable keys,
the JSON Schema, and the dry run (prompts and cost from the price table). Nothing is generated here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from PIL import Image

from brandkit.models import AssetRequest, EditRequest
from brandkit.provider.pricing import estimate_cost
from brandkit.variants.plan import (
    PlanError,
    RequestPatch,
    expand_plan,
    load_plan,
    plan_from_data,
    plan_schema,
    plan_schema_json,
    variant_key,
)
from brandkit.variants.runner import dry_run

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = str(ROOT / "brand_specs" / "northwind")
LUMEN = str(ROOT / "brand_specs" / "lumen-health")


def _plan(tmp_path: Path, data: dict[str, Any], name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _base_plan(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "t",
        "spec": NORTHWIND,
        "base": {"brief": "A cup of coffee on an oak table", "cta": "Order ahead"},
        "axes": {"headline": ["Slow mornings", "Roasted this week"], "format": ["square", "landscape"]},
    }
    data.update(extra)
    return data


def _issues(exc: pytest.ExceptionInfo[PlanError]) -> list[dict[str, Any]]:
    return [issue.as_dict() for issue in exc.value.issues]


# --- the demo plan --------------------------------------------------------------------------------------------


def test_demo_plan_expands_to_24_variants_over_both_brands() -> None:
    plan = expand_plan(ROOT / "plans" / "demo-24.yaml")
    assert len(plan) == 24
    assert set(plan.specs) == {"northwind", "lumen-health"}
    assert {v.spec_id for v in plan.variants} == {"northwind", "lumen-health"}
    assert {v.axes["format"] for v in plan.variants} == {"square", "landscape"}
    assert {v.axes["locale"] for v in plan.variants} == {"en", "de"}
    for spec_id in plan.specs:
        assert len({v.axes["headline"] for v in plan.variants if v.spec_id == spec_id}) == 3
    keys = [v.key for v in plan.variants]
    assert len(set(keys)) == 24 and all(len(k) == 64 and int(k, 16) >= 0 for k in keys)
    assert len({v.name for v in plan.variants}) == 24
    german = [v for v in plan.variants if v.axes["locale"] == "de" and v.spec_id == "northwind"]
    assert {v.request.cta for v in german} == {"Jetzt vorbestellen"}
    slow = next(v for v in german if v.axes["headline"] == "Slow mornings, bright roasts")
    assert slow.request.headline == "Langsame Morgen, helle Röstungen"
    assert slow.request.locale == "de" and slow.operation == "generate"
    english = next(v for v in plan.variants if v.axes == {**slow.axes, "locale": "en"})
    assert english.request.headline == "Slow mornings, bright roasts" and english.request.locale == "en"
    assert plan.group_by == "headline"


def test_keys_are_stable_and_change_with_the_request_or_the_spec() -> None:
    first = expand_plan(ROOT / "plans" / "demo-24.yaml")
    second = expand_plan(ROOT / "plans" / "demo-24.yaml")
    assert [v.key for v in first.variants] == [v.key for v in second.variants]
    assert first.plan_hash == second.plan_hash
    variant = first.variants[0]
    spec = first.specs[variant.spec_id]
    assert variant_key(spec.fingerprint, variant.request) == variant.key
    assert variant_key("0" * 64, variant.request) != variant.key
    assert isinstance(variant.request, AssetRequest)
    changed = variant.request.model_copy(update={"headline": variant.request.headline + "!"})
    assert variant_key(spec.fingerprint, changed) != variant.key


def test_keys_do_not_depend_on_where_the_plan_and_images_live(tmp_path: Path) -> None:
    keys = []
    for folder in ("a", "b/deeper"):
        base = tmp_path / folder
        base.mkdir(parents=True)
        Image.new("RGB", (64, 64), (120, 80, 40)).save(base / "mug.png")
        data = _base_plan(spec=NORTHWIND)
        data["axes"]["reference"] = ["mug.png"]
        keys.append([v.key for v in expand_plan(_plan(base, data)).variants])
    assert keys[0] == keys[1]
    # …but they do depend on the image's content
    Image.new("RGB", (64, 64), (10, 200, 40)).save(tmp_path / "a" / "mug.png")
    assert [v.key for v in expand_plan(tmp_path / "a" / "plan.yaml").variants] != keys[0]


def test_matrix_order_labels_and_entries(tmp_path: Path) -> None:
    data = _base_plan(
        axes={
            "headline": ["Slow mornings", "Roasted this week"],
            "audience": [
                {"id": "commuters", "set": {"brief": "A cup to go at a tram stop"}},
                {"id": "home", "set": {"brief": "A cup on a kitchen table", "background": "dark"}},
            ],
        },
        entries=[{"name": "hero-banner", "set": {"format": "banner", "headline": "Fresh every week"}}],
    )
    plan = expand_plan(_plan(tmp_path, data))
    assert len(plan) == 2 * 2 + 1
    assert plan.axes == ("spec", "headline", "audience", "entry")
    first = plan.variants[0]
    assert dict(first.axes) == {"spec": "northwind", "headline": "Slow mornings", "audience": "commuters"}
    assert first.request.brief == "A cup to go at a tram stop"  # type: ignore[union-attr]
    home = plan.variants[1]
    assert home.request.background == "dark" and home.request.cta == "Order ahead"  # type: ignore[union-attr]
    entry = plan.variants[-1]
    assert entry.axes["entry"] == "hero-banner" and entry.request.format == "banner"
    assert entry.name.startswith("northwind/hero-banner-")


def test_edit_mode_adapts_the_source_locale_twin(tmp_path: Path) -> None:
    data = _base_plan(
        axes={"headline": ["Slow mornings"], "locale": ["en", "de", "fr"]},
        locales={
            "de": {"language": "German", "headline": {"Slow mornings": "Langsame Morgen"}, "cta": "Jetzt bestellen"},
            "fr": {"language": "French", "headline": {"Slow mornings": "Matins tranquilles"}, "cta": "Commander"},
        },
        mode="edit",
    )
    plan = expand_plan(_plan(tmp_path, data))
    masters = [v for v in plan.variants if v.operation == "generate"]
    edits = [v for v in plan.variants if v.operation == "edit"]
    assert len(masters) == 1 and len(edits) == 2
    assert plan.variants.index(masters[0]) < min(plan.variants.index(e) for e in edits)
    for edit in edits:
        assert edit.master_key == masters[0].key
        assert isinstance(edit.request, EditRequest)
    german = next(e for e in edits if e.axes["locale"] == "de")
    assert isinstance(german.request, EditRequest)
    assert german.request.headline == "Langsame Morgen" and german.request.cta == "Jetzt bestellen"
    assert "German" in german.request.instruction and german.request.format == "square"
    # the request's delivery fields reach the edits too (they were dropped: a JPEG plan's locales came back PNG)
    jpeg = _base_plan(
        axes={"headline": ["Slow mornings"], "locale": ["en", "de"]},
        locales={"de": {"headline": {"Slow mornings": "Langsame Morgen"}, "cta": "Jetzt bestellen"}},
        mode="edit",
    )
    jpeg["base"].update(output_format="jpeg", output_compression=80, transparent=False)
    (edit,) = [v for v in expand_plan(_plan(tmp_path, jpeg)).variants if v.operation == "edit"]
    assert isinstance(edit.request, EditRequest)
    assert (edit.request.output_format, edit.request.output_compression, edit.request.transparent) == (
        "jpeg",
        80,
        False,
    )
    # the master's identity is part of the key
    spec = plan.specs["northwind"]
    assert variant_key(spec.fingerprint, german.request, master=f"variant:{masters[0].key}") == german.key


def test_edit_mode_with_a_master_file_checks_its_size(tmp_path: Path) -> None:
    Image.new("RGB", (1024, 1024), (240, 230, 220)).save(tmp_path / "master.png")
    data = _base_plan(
        axes={"headline": ["Slow mornings"], "locale": ["de"], "format": ["square", "landscape"]},
        locales={"de": {"headline": {"Slow mornings": "Langsame Morgen"}, "cta": "Jetzt bestellen"}},
        mode="edit",
        edit={"master": "master.png"},
    )
    with pytest.raises(PlanError) as exc:
        expand_plan(_plan(tmp_path, data))
    issues = _issues(exc)
    assert any(i["location"] == "edit.master" and "1536x1024" in i["message"] for i in issues), issues
    data["axes"]["format"] = ["square"]
    plan = expand_plan(_plan(tmp_path, data))
    assert [v.operation for v in plan.variants] == ["edit"]
    assert plan.variants[0].master_path == (tmp_path / "master.png").resolve()
    # a master turned by its EXIF orientation is judged at the size it is shown at (stored 1024x1536, shown 3:2)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (1024, 1536), (240, 230, 220)).save(tmp_path / "turned.jpg", exif=exif.tobytes())
    data.update(edit={"master": "turned.jpg"})
    data["axes"]["format"] = ["landscape"]
    assert [v.operation for v in expand_plan(_plan(tmp_path, data)).variants] == ["edit"]


# --- errors name the file, the field and the value --------------------------------------------------------------


def test_unknown_field_and_bad_value_are_named(tmp_path: Path) -> None:
    path = _plan(tmp_path, {**_base_plan(), "headlines": ["x"], "mode": "remix"})
    with pytest.raises(PlanError) as exc:
        load_plan(path)
    issues = _issues(exc)
    assert all(i["file"] == str(path) for i in issues)
    assert {"location": "headlines", "value": "['x']"}.items() <= next(
        i for i in issues if i["location"] == "headlines"
    ).items()
    mode = next(i for i in issues if i["location"] == "mode")
    assert mode["value"] == "'remix'" and "generate" in mode["message"]
    assert str(path) in str(exc.value)


def test_expansion_errors_point_at_the_axis_value(tmp_path: Path) -> None:
    data = _base_plan(
        axes={
            "headline": ["Slow mornings"],
            "format": ["square", "huge"],
            "cta": ["x" * 70],
            "audience": ["students"],
        }
    )
    with pytest.raises(PlanError) as exc:
        expand_plan(_plan(tmp_path, data))
    by_location = {i["location"]: i for i in _issues(exc)}
    assert "axes.format[1]" in by_location and by_location["axes.format[1]"]["value"] == "'huge'"
    assert "square" in by_location["axes.format[1]"]["message"]
    assert "axes.cta[0]" in by_location and "60" in by_location["axes.cta[0]"]["message"]
    assert "axes.audience[0]" in by_location and "id" in by_location["axes.audience[0]"]["message"]


def test_missing_translation_and_missing_locale_are_named(tmp_path: Path) -> None:
    data = _base_plan(
        axes={"headline": ["Slow mornings", "Roasted this week"], "locale": ["en", "de", "fr"]},
        locales={"de": {"headline": {"Slow mornings": "Langsame Morgen"}, "cta": "Jetzt bestellen"}},
    )
    with pytest.raises(PlanError) as exc:
        expand_plan(_plan(tmp_path, data))
    issues = _issues(exc)
    missing = next(i for i in issues if i["location"] == "locales.de.headline")
    assert missing["value"] == "'Roasted this week'" and "translation" in missing["message"]
    assert any(i["location"] == "axes.locale[2]" and i["value"] == "'fr'" for i in issues), issues


def test_a_headline_split_by_a_yaml_comma_is_named_with_what_was_meant(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        f"name: t\nspec: {NORTHWIND}\nbase: {{brief: A cup of coffee, cta: Order ahead}}\n"
        "axes:\n  headline: [Slow mornings, bright roasts]\n  locale: [de]\n"  # two headlines, not one
        "locales:\n  de:\n    cta: Jetzt bestellen\n"
        "    headline: {'Slow mornings, bright roasts': 'Langsame Morgen, helle Röstungen'}\n",
        encoding="utf-8",
    )
    with pytest.raises(PlanError) as exc:
        expand_plan(plan)
    [first, *_] = [i for i in _issues(exc) if i["location"] == "locales.de.headline"]
    assert first["value"] == "'Slow mornings'"
    assert "the table has 'Slow mornings, bright roasts'" in first["message"] and "quote it" in first["message"]


def test_untranslated_copy_is_an_error(tmp_path: Path) -> None:
    data = _base_plan(
        axes={"headline": ["Slow mornings"], "locale": ["de"]},
        locales={"de": {"headline": {"Slow mornings": "Langsame Morgen"}}},
    )
    with pytest.raises(PlanError) as exc:
        expand_plan(_plan(tmp_path, data))
    assert any(i["location"] == "locales.de.cta" and i["value"] == "'Order ahead'" for i in _issues(exc))


def test_yaml_problems(tmp_path: Path) -> None:
    dup = tmp_path / "dup.yaml"
    dup.write_text(f"name: a\nspec: {NORTHWIND}\nname: b\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"duplicate key 'name'"):
        load_plan(dup)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"bad.yaml: invalid YAML at line"):
        load_plan(bad)
    with pytest.raises(PlanError, match="no such plan file"):
        load_plan(tmp_path / "missing.yaml")
    with pytest.raises(PlanError, match="either `spec`"):
        plan_from_data({"name": "x", "spec": NORTHWIND, "specs": [{"id": "a", "path": LUMEN}]})


def test_duplicate_variants_and_missing_spec(tmp_path: Path) -> None:
    data = _base_plan(axes={"headline": ["Same", "Same "]})  # both strip to "Same"
    with pytest.raises(PlanError) as exc:
        expand_plan(_plan(tmp_path, data))
    assert any("identical key" in i["message"] for i in _issues(exc))
    with pytest.raises(PlanError) as exc:
        expand_plan(_plan(tmp_path, _base_plan(spec="nowhere/brand")))
    assert any(i["location"] == "spec" and "no such file" in i["message"] for i in _issues(exc))


def test_request_patch_covers_every_request_field() -> None:
    assert set(RequestPatch.model_fields) == set(AssetRequest.model_fields) - {"n"}


# --- schema ------------------------------------------------------------------------------------------------------


def test_schema_file_matches_the_models() -> None:
    on_disk = (ROOT / "schemas" / "variant-plan.schema.json").read_text(encoding="utf-8")
    assert on_disk == plan_schema_json(), "schemas/variant-plan.schema.json drifted: python -m brandkit.variants.plan"


def test_demo_plan_validates_against_the_schema_and_typos_do_not() -> None:
    schema = plan_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load((ROOT / "plans" / "demo-24.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(data)), schema)
    data["specs"][0]["axis"] = {}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert any("axis" in e.message for e in errors)


# --- dry run ---------------------------------------------------------------------------------------------------


def test_dry_run_prices_each_variant_from_the_table() -> None:
    result = dry_run(ROOT / "plans" / "demo-24.yaml", provider="openai")
    assert result.count == 24 and result.todo == 24
    expected = 0.0
    for row in result.variants:
        params = row.params
        width, height = (int(x) for x in params["size"].split("x"))
        price = estimate_cost(params["model"], params["quality"], width, height)
        assert row.estimate_usd == price
        expected += price
        assert row.prompt.startswith("PURPOSE:")
        if row.variant.spec_id == "northwind":  # the model renders the copy (Lumen overlays it afterwards)
            assert f'"{row.variant.request.headline}"' in row.prompt
    assert result.estimated_cost_usd == pytest.approx(expected)
    assert result.worst_case_usd > result.estimated_cost_usd
    local = dry_run(ROOT / "plans" / "demo-24.yaml", provider="local")
    assert local.estimated_cost_usd == 0.0
    as_json = json.loads(json.dumps(result.as_dict()))
    assert as_json["count"] == 24 and len(as_json["variants"]) == 24


def test_dry_run_refuses_forbidden_copy_before_anything_is_sent(tmp_path: Path) -> None:
    data = _base_plan(axes={"headline": ["Slow mornings", "Cheap coffee today"]})
    with pytest.raises(PlanError) as exc:
        dry_run(_plan(tmp_path, data))
    issues = _issues(exc)
    assert len(issues) == 1 and "cheap" in issues[0]["message"].lower()
    assert "cheap-coffee-today" in issues[0]["location"]


def test_plan_with_relative_paths_is_portable(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "brand_specs" / "northwind", tmp_path / "brands" / "northwind")
    (tmp_path / "plans").mkdir()
    data = _base_plan(spec="../brands/northwind")
    plan = expand_plan(_plan(tmp_path / "plans", data))
    assert len(plan) == 4 and plan.variants[0].spec_id == "northwind"


def test_every_field_an_edit_shares_with_a_generate_request_is_handed_to_the_edit() -> None:
    """A field both request models have and the plan's edits do not take would be dropped without a word."""
    from brandkit.models import AssetRequest
    from brandkit.variants.layers import _EDIT_FIELDS

    shared = set(AssetRequest.model_fields) & set(EditRequest.model_fields)
    assert shared == set(_EDIT_FIELDS)


def test_a_spec_entry_in_a_palette_mode(tmp_path: Path) -> None:
    base = {"brief": "A nurse listening", "headline": "Care that listens"}
    data = {
        "name": "light and dark",
        "specs": [{"id": "lumen", "path": LUMEN}, {"id": "lumen-dark", "path": LUMEN, "palette_mode": "dark"}],
        "base": base,
    }
    plan = expand_plan(_plan(tmp_path, data))
    assert (plan.specs["lumen"].mode, plan.specs["lumen-dark"].mode) == (None, "dark")
    light, dark = sorted(plan.variants, key=lambda v: v.spec_id)
    assert light.key != dark.key  # the same request in another mode is another variant (its spec fingerprint)
    data["specs"][1]["palette_mode"] = "sepia"
    with pytest.raises(PlanError) as exc:
        expand_plan(_plan(tmp_path, data))
    (issue,) = _issues(exc)
    assert issue["location"] == "specs[1].palette_mode" and "'sepia' is not a palette mode" in issue["message"]
