"""Palette modes in the pipeline: ``BrandSpec.for_mode`` (and the CLI's ``--mode``) generates and checks in a mode's
colours; the mode is recorded in the provenance, the sidecar and the report; validate and edit take it from an
asset's provenance; audits keep one spec fingerprint; the loader checks each mode's grounds."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

import brandkit
from brandkit.audit import audit
from brandkit.audit.records import record_of
from brandkit.cli import app
from brandkit.compile import compile_prompt
from brandkit.imageio import encode_image
from brandkit.models import AssetRequest, EditRequest
from brandkit.provenance import read_provenance_record
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec, mode_fingerprint
from brandkit.validate_many import FileResult

ROOT = Path(__file__).resolve().parents[1]
LUMEN = ROOT / "brand_specs" / "lumen-health"
DARK_GROUND = "#0E1A2B"  # lumen-health's palette.modes.dark Background
REQUEST = AssetRequest(
    brief="A nurse listening to a patient in a bright clinic",
    headline="Care that listens",
    cta="Book a visit",
    format="square",
    seed=3,
)


@pytest.fixture(scope="module")
def dark(lumen: BrandSpec) -> BrandSpec:
    return lumen.for_mode("dark")


@pytest.fixture(scope="module")
def dark_asset(dark: BrandSpec, kit_resources: KitResources) -> brandkit.Asset:
    return brandkit.BrandKit(dark, resources=kit_resources, provider="local").generate(REQUEST)


def test_for_mode_swaps_the_colours_and_names_the_mode(lumen: BrandSpec, dark: BrandSpec) -> None:
    assert lumen.mode is None and lumen.for_mode(None) is lumen
    assert dark.mode == "dark" and dark.for_mode("dark") is dark
    colours = {c.name: c.hex for c in dark.palette.colors}
    assert colours["Cloud"] == DARK_GROUND and colours["Slate"] == "#F5F8FC" and colours["Lumen Blue"] == "#4F8FE0"
    assert {c.name: c.hex for c in lumen.palette.colors}["Cloud"] == "#F5F8FC"  # the loaded spec is unchanged
    assert dark.palette.modes == lumen.palette.modes  # what a record made in a mode names stays known
    assert dark.fingerprint == mode_fingerprint(lumen.fingerprint, "dark") != lumen.fingerprint
    assert dark.source == lumen.source and dark.root == lumen.root


def test_an_unknown_mode_is_a_request_error_naming_the_modes(lumen: BrandSpec, northwind: BrandSpec) -> None:
    with pytest.raises(brandkit.RequestError, match=r"'sepia' is not a palette mode of 'Lumen Health'.*'dark'") as e:
        lumen.for_mode("sepia")
    assert e.value.field == "mode" and e.value.value == "sepia"
    with pytest.raises(brandkit.RequestError, match="palette.modes is empty"):
        northwind.for_mode("dark")
    with pytest.raises(brandkit.RequestError, match="'light' is not a palette mode") as e:
        lumen.for_mode("dark").for_mode("light", field="palette_mode")  # a mode's spec asks the loaded one
    assert e.value.field == "palette_mode"


def test_default_names_the_spec_own_colours_from_any_mode(lumen: BrandSpec, dark: BrandSpec) -> None:
    assert lumen.for_mode("default") is lumen and dark.for_mode("default") is lumen
    assert dark.for_mode("dark") is dark and lumen.for_mode("dark") is dark  # made once per spec object
    copied = lumen.model_copy()  # a copy shares the private memo dict: its modes are made from it, not lumen
    assert copied.for_mode("dark") is not dark and copied.for_mode("dark").for_mode("default") is copied
    assert dark.in_mode_of(lumen.fingerprint) is lumen and lumen.in_mode_of(dark.fingerprint) is dark
    bad = lumen.model_dump(mode="json")
    bad["palette"]["modes"]["Default"] = {"Cloud": "#000000"}
    with pytest.raises(ValueError, match="'default' is reserved"):
        BrandSpec.model_validate(bad)


def test_a_logo_made_for_a_colour_the_mode_turns_dark_is_not_put_on_it(lumen: BrandSpec, dark: BrandSpec) -> None:
    # primary is made for [light, Cloud, Sky]: Cloud is dark in the dark mode, so it means the light Cloud there
    assert lumen.logo("primary").backgrounds == ["light", "Cloud", "Sky"]
    assert dark.logo("primary").backgrounds == ["light", "Sky"]  # Sky keeps its (light) tone: kept by name
    assert dark.logo("inverse").backgrounds == ["dark"]  # Lumen Blue and Slate turned light in the mode


def test_a_dark_mode_compiles_to_its_own_dark_ground_and_the_inverse_logo(lumen: BrandSpec, dark: BrandSpec) -> None:
    light = compile_prompt(lumen, REQUEST)
    assert (light.background_tone, light.background_hex, light.logo_variant) == ("light", "#F5F8FC", "primary")
    assert light.spec_mode is None
    prompt = compile_prompt(dark, REQUEST)
    assert (prompt.background_tone, prompt.background_hex, prompt.logo_variant) == ("dark", DARK_GROUND, "inverse")
    assert prompt.spec_mode == "dark" and prompt.spec_fingerprint == dark.fingerprint
    assert DARK_GROUND in prompt.text and "#4F8FE0" in prompt.text and "#1F5AA6" not in prompt.text


def test_a_dark_background_colour_is_the_dark_canvas(lumen: BrandSpec, dark: BrandSpec) -> None:
    # before, the dark canvas was the first dark primary/text/secondary colour: Lumen Blue, never the mode's ground
    assert dark.palette.background_rgb("dark") == (0x0E, 0x1A, 0x2B)
    assert lumen.palette.background_rgb("dark") == (0x1F, 0x5A, 0xA6)  # no dark background colour: as before
    assert (lumen.palette.canvas_tone(), dark.palette.canvas_tone()) == ("light", "dark")


def test_a_dark_mode_asset_passes_and_records_its_mode(dark_asset: brandkit.Asset) -> None:
    assert dark_asset.report is not None and dark_asset.report.passed, dark_asset.report
    assert dark_asset.report.spec_mode == "dark"
    pixels = np.asarray(Image.open(io.BytesIO(dark_asset.data)).convert("RGB"))
    assert tuple(pixels[-8, 512]) == (0x0E, 0x1A, 0x2B)  # the canvas is the mode's Background
    record = read_provenance_record(dark_asset.data).record
    assert record is not None and record.spec_mode == "dark" and record.background_tone == "dark"
    assert dark_asset.sidecar()["spec"]["mode"] == "dark"
    assert dark_asset.sidecar_record().spec.mode == "dark"


def test_validate_checks_an_asset_in_the_mode_its_provenance_names(
    lumen: BrandSpec, dark_asset: brandkit.Asset, kit_resources: KitResources
) -> None:
    kit = brandkit.BrandKit(lumen, resources=kit_resources, provider="local")  # the default colours
    report = kit.validate(dark_asset.data)
    assert report.spec_mode == "dark" and report.passed, report
    assert report.provenance is not None and report.provenance.copy_source == "provenance"
    # the same pixels without their record are checked against the default colours: the dark ground is off-palette
    bare = kit.validate(encode_image(Image.open(io.BytesIO(dark_asset.data)).convert("RGB"), "png"))
    assert bare.spec_mode is None
    assert bare.checks["palette"].status.value == "failed"


def test_a_record_naming_a_mode_the_spec_lacks_is_unreadable(dark_asset: brandkit.Asset, tmp_path: Path) -> None:
    folder = tmp_path / "lumen"
    shutil.copytree(LUMEN, folder)
    data = yaml.safe_load((folder / "brand.yaml").read_text())
    del data["palette"]["modes"]
    (folder / "brand.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    no_modes = brandkit.load_spec(folder)
    report = brandkit.BrandKit(no_modes, provider="local", checks=["technical"]).validate(dark_asset.data)
    assert report.provenance is not None and report.provenance.status == "unreadable"
    assert report.provenance.reason is not None and "palette mode 'dark'" in report.provenance.reason
    assert report.spec_mode is None


def test_an_edit_keeps_the_mode_of_the_asset(
    lumen: BrandSpec, dark_asset: brandkit.Asset, kit_resources: KitResources
) -> None:
    kit = brandkit.BrandKit(lumen, resources=kit_resources, provider="local")
    edited = kit.edit(dark_asset.data, request=EditRequest(instruction="a warmer smile", headline="Care that hears"))
    assert edited.edit is not None and edited.edit.kept["mode"] == "dark"
    assert edited.prompt.spec_mode == "dark" and edited.prompt.background_tone == "dark"
    assert edited.report is not None and edited.report.passed and edited.report.spec_mode == "dark"
    record = read_provenance_record(edited.data).record
    assert record is not None and record.spec_mode == "dark" and record.copy_.headline == "Care that hears"


def test_an_audit_record_keeps_the_spec_fingerprint_and_names_the_mode(
    lumen: BrandSpec, dark_asset: brandkit.Asset, tmp_path: Path
) -> None:
    assert dark_asset.report is not None
    result = FileResult(0, tmp_path / "a.png", report=dark_asset.report, sha256="0" * 64)
    record = record_of(result, "a.png", spec_fingerprint=lumen.fingerprint)
    assert (record.spec_fingerprint, record.spec_mode) == (lumen.fingerprint, "dark")
    # a report of another spec is not passed off as a mode of this one
    other = record_of(result, "a.png", spec_fingerprint="f" * 64)
    assert (other.spec_fingerprint, other.spec_mode) == (dark_asset.report.spec_fingerprint, None)


def test_an_audit_of_mixed_modes_resumes_without_checking_again(
    lumen: BrandSpec, dark_asset: brandkit.Asset, kit_resources: KitResources, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "dark.png").write_bytes(dark_asset.data)
    light = brandkit.BrandKit(lumen, resources=kit_resources, provider="local").generate(REQUEST)
    (library / "light.png").write_bytes(light.data)
    out = tmp_path / "audit.jsonl"
    first = audit(lumen, [library], jobs=1, out=out)
    states = {item.result.path.name: item.result.report for item in first}
    assert {name: r.spec_mode for name, r in states.items() if r is not None} == {"dark.png": "dark", "light.png": None}
    assert all(r is not None and r.passed for r in states.values())
    again = audit(lumen, [library], jobs=1, out=out, resume=True)
    assert again.resumed == 2 and again.rechecked == 0 and list(again) == []


def test_the_loader_checks_an_opaque_logo_on_each_modes_grounds(tmp_path: Path) -> None:
    folder = tmp_path / "lumen"
    shutil.copytree(LUMEN, folder)
    logo = Image.new("RGB", (600, 200), (255, 255, 255))  # an opaque logo on a white box
    logo.paste((31, 90, 166), (40, 40, 560, 160))
    logo.save(folder / "logos" / "boxed.png")
    data = yaml.safe_load((folder / "brand.yaml").read_text())
    data["logos"].append({"variant": "boxed", "file": "logos/boxed.png", "min_width_px": 140, "backgrounds": ["light"]})
    data["palette"]["modes"]["warm"] = {"Background": "#F3E3C3"}  # a cream ground: the white box shows on it
    (folder / "brand.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(brandkit.SpecError) as err:
        brandkit.load_spec(folder)
    problems = [issue.message for issue in err.value.issues]
    assert len(problems) == 1 and problems[0].startswith(
        "'logos/boxed.png': in palette mode 'warm': the logo is opaque"
    )
    assert "#F3E3C3" in problems[0]


def test_cli_generate_and_validate_in_a_mode(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--spec", str(LUMEN), "--brief", "a nurse", "--headline", "Care that listens", "--provider", "local"]
    result = runner.invoke(app, ["generate", *base, "--mode", "dark", "-o", str(tmp_path / "ad.png"), "--json"])
    assert result.exit_code == 0, result.output
    sidecar = json.loads((tmp_path / "ad.png.json").read_text())
    assert sidecar["spec"]["mode"] == "dark" and sidecar["prompt"]["background_hex"] == DARK_GROUND
    checked = runner.invoke(app, ["validate", "--spec", str(LUMEN), str(tmp_path / "ad.png"), "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["images"][0]["spec_mode"] == "dark"
    bad = runner.invoke(app, ["generate", *base, "--mode", "sepia", "-o", str(tmp_path / "x.png"), "--json"])
    assert bad.exit_code == 2
    error = json.loads(bad.stdout)
    assert "'sepia' is not a palette mode" in error["error"] and error["field"] == "mode"
    assert not (tmp_path / "x.png").exists()


def test_the_registry_keeps_the_mode_s_colours_and_a_regeneration_stays_in_the_mode(
    lumen: BrandSpec, dark: BrandSpec, dark_asset: brandkit.Asset, tmp_path: Path
) -> None:
    from brandkit.registry import Registry
    from brandkit.registry.regenerate import request_changes

    path = dark_asset.save(tmp_path / "ad.png")
    with Registry.open(tmp_path / "brandkit.db") as registry:
        run = registry.start_run("generate", tmp_path)
        row = registry.record_asset(dark_asset, path, run_id=run, spec=lumen)  # recorded with the loaded spec
        assert row.spec_fingerprint == dark.fingerprint
        assert lumen.in_mode_of(row.spec_fingerprint).mode == "dark" and lumen.in_mode_of("0" * 64) is lumen
        assert DARK_GROUND in row.palette and row.spec_source is not None  # the spec row: the mode's colours
        rules = registry.get_asset(row.id).spec_rules  # what the review page lists: the mode named
        assert rules[0].startswith("palette in palette mode 'dark': ") and DARK_GROUND in rules[0]
        new = request_changes(registry, row.id, "warmer light", "ann", provider="local")
    record = read_provenance_record(Path(new.path).read_bytes()).record
    assert record is not None and record.spec_mode == "dark" and record.background_tone == "dark"
    assert new.spec_fingerprint == dark.fingerprint


def test_an_audit_made_in_a_mode_is_recorded_against_the_spec_loaded(
    dark_asset: brandkit.Asset, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "dark.png").write_bytes(encode_image(Image.open(io.BytesIO(dark_asset.data)).convert("RGB"), "png"))
    runner = CliRunner()
    out = tmp_path / "audit.jsonl"
    checked = runner.invoke(
        app,
        ["validate", "--spec", str(LUMEN), "--mode", "dark", str(library), "--out", str(out), "--jobs", "1", "--json"],
    )
    assert checked.exit_code in (0, 1), checked.output  # no provenance: the copy is not known, the colours are
    image = json.loads(checked.stdout)["images"][0]
    assert image["spec_mode"] == "dark" and image["checks"]["palette"]["status"] == "passed"
    db = tmp_path / "review.db"
    recorded = runner.invoke(app, ["audit", "summary", str(out), "--db", str(db), "--spec", str(LUMEN), "--json"])
    assert recorded.exit_code == 0, recorded.output  # before: "not the spec these audits were made against"
    assert json.loads(recorded.stdout)["registry"]["recorded"] == 1
