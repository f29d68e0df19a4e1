"""``brandkit spec import`` / ``spec export``: posit brand.yml, W3C design tokens (DTCG) and AdCP brand.json.

The fixtures in ``tests/data/import/`` were written from each format's published specification (schemas in
``../shared/reference/schemas/``, the DTCG format, colour and resolver modules), not copied from examples.
Imports run for real: SVGs rasterised by resvg, fonts resolved from the fixture folders and the system fonts,
the written folders loaded back by the spec loader.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from brandkit.cli import app
from brandkit.errors import SpecError
from brandkit.spec.importers.adcp import NoBrandDataError
from brandkit.spec.importers.detect import detect_path
from brandkit.spec.importers.export import export_spec
from brandkit.spec.importers.fonts import FontNotFoundError
from brandkit.spec.importers.importer import import_brand
from brandkit.spec.loader import load_spec

DATA = Path(__file__).parent / "data" / "import"
ROOT = Path(__file__).resolve().parents[1]
LUMEN_FONTS = ROOT / "brand_specs" / "lumen-health" / "fonts"

# (fixture, format, fonts folder)
FIXTURES: dict[str, tuple[Path, str, Path | None]] = {
    "aurora": (DATA / "brand-yml" / "aurora", "brand-yml", None),
    "fjord": (DATA / "brand-yml" / "fjord" / "_brand.yml", "brand-yml", None),
    "orbit": (DATA / "dtcg" / "orbit", "dtcg", None),
    "harbor": (DATA / "dtcg" / "single" / "harbor.tokens.json", "dtcg", None),
    "tide": (DATA / "dtcg" / "resolver", "dtcg", None),
    "kestrel-house": (DATA / "adcp" / "house.json", "adcp", LUMEN_FONTS),
    "lumo": (DATA / "adcp" / "canonical.json", "adcp", None),
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """Every fixture imported once (auto-detected) into its own folder."""
    base = tmp_path_factory.mktemp("imported")
    return {key: import_brand(src, base / key, fonts_dir=fonts) for key, (src, _, fonts) in FIXTURES.items()}


def _data(folder: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((folder / "brand.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("key", sorted(FIXTURES))
def test_fixture_imports_and_loads_as_a_spec(imported: dict[str, list[Any]], key: str) -> None:
    results = imported[key]
    assert results
    for result in results:
        spec = load_spec(result.out)  # every asset decoded and checked, as `spec check` does
        assert spec.name == result.report.brand
        assert result.report.format.lower().startswith(
            {"brand-yml": "posit", "dtcg": "w3c", "adcp": "adcp"}[FIXTURES[key][1]]
        )
        for entry in result.report.of("approximated") + result.report.of("dropped"):
            assert entry.note, f"{entry} has no reason"


def test_report_lists_every_approximation(imported: dict[str, list[Any]]) -> None:
    report = imported["orbit"][0].report
    approximated = {e.source: e.note for e in report.of("approximated")}
    # display-p3 outside sRGB: gamut mapping named with its algorithm
    assert "CSS Color 4" in approximated["color.lime.400"] and "JND ΔEOK 0.02" in approximated["color.lime.400"]
    assert "oklch" in approximated["color.violet.500"]
    # the translucent overlay is composited over the background, and says so
    overlay = [e for e in report.of("approximated") if e.source == "color.overlay" and "composited" in e.note]
    assert overlay and "alpha 0.6" in overlay[0].note
    # roles beyond the six are approximated and kept
    assert any("'success'" in e.note for e in report.of("approximated"))
    # SVGs rasterised
    assert any("resvg" in e.note for e in report.of("approximated"))
    dropped = {e.source for e in report.of("dropped")}
    assert "2 dimension token(s)" in dropped and "1 duration token(s)" in dropped
    assert any(e.target == "forbidden.terms" for e in report.of("decide"))


def test_brand_yml_aliases_roles_alpha_and_logos(imported: dict[str, list[Any]]) -> None:
    result = imported["aurora"][0]
    data = _data(result.out)
    palette = data["palette"]
    by_name = {c["name"]: c for c in palette["colors"]}
    assert by_name["Blue"]["role"] == "primary" and by_name["Blue"]["hex"] == "#0B5FFF"  # alias brand-blue → blue
    assert by_name["Navy"]["role"] == "text"
    # success, warning, danger, link, info: kept as semantic roles naming palette colours
    assert palette["roles"]["success"] == "Green"
    assert palette["roles"]["link"] == "Blue"  # link: primary → brand-blue → blue
    assert set(palette["roles"]) >= {"success", "warning", "danger", "info", "link", "tertiary", "foreground"}
    # the 8-digit-hex tint #0B5FFF33 (alpha 0x33/255 = 0.2) composited over the background Mist #F5F7FB:
    # 0.2·0x0B + 0.8·0xF5 = 198.2 → C6, 0.2·0x5F + 0.8·0xF7 = 216.6 → D9, 0.2·0xFF + 0.8·0xFB = 251.8 → FC
    allowed = {c["name"]: c["hex"] for c in palette["allowed"]}
    assert allowed["Blue Tint"] == "#C6D9FC"
    spec = load_spec(result.out)
    assert spec.palette.roles["warning"] == "Amber"
    # logos: SVG kept as the source, raster at the size the formats need, light and dark variants
    logos = {lg.variant: lg for lg in spec.logos}
    assert set(logos) == {"large", "large-dark", "small"}
    assert logos["large-dark"].backgrounds == ["dark"]
    large = logos["large"]
    assert large.source is not None
    assert (
        spec.asset_path(large.source).read_bytes() == (DATA / "brand-yml/aurora/logos/aurora-wordmark.svg").read_bytes()
    )
    with Image.open(spec.asset_path(large.file)) as image:
        assert image.format == "PNG" and image.width == 461 and image.mode == "RGBA"
        assert image.getchannel("A").getextrema()[0] == 0  # transparent around the shapes
    # fonts from the brand's own files, by family and weight
    assert spec.typography.headline.file == "fonts/Lato-Black.ttf" and spec.typography.headline.family == "Lato"
    assert spec.typography.font_for("body").file == "fonts/Lato-Regular.ttf"
    assert spec.typography.headline.license == "fonts/OFL.txt"


def test_dtcg_modes_become_palette_modes(imported: dict[str, list[Any]]) -> None:
    report = imported["orbit"][0].report
    # modes are used (generate --mode dark, BrandSpec.for_mode): not among what the pipeline does not use yet
    assert not any("palette.modes" in note for note in report.not_used_yet)
    assert any(note.startswith("palette.roles (success, danger)") for note in report.not_used_yet)
    spec = imported["orbit"][0].spec
    assert spec.palette.modes["dark"] == {"Violet 500": "#AB93ED", "Gray 50": "#121217", "Gray 900": "#FAFAFC"}
    dark = spec.palette.for_mode("dark")
    assert dark.by_role(dark.colors[0].role)[0].hex == "#AB93ED"
    assert [c.hex for c in dark.colors if c.role.value == "background"] == ["#121217"]
    tide = imported["tide"][0].spec
    assert tide.name == "Tide Bank"  # the resolver's name
    assert set(tide.palette.modes) == {"dark", "high-contrast"}  # default context 'light' is the spec itself
    assert tide.palette.modes["high-contrast"] == {"Cream": "#FFFFFF", "Ink": "#000000"}


def test_dtcg_aliases_root_pointer_and_legacy_strings(imported: dict[str, list[Any]]) -> None:
    harbor = imported["harbor"][0]
    data = _data(harbor.out)
    colors = {c["name"]: c for c in data["palette"]["colors"]}
    assert colors["Sea"]["role"] == "primary" and colors["Sea"]["hex"] == "#006699"  # {color.sea} → $root
    assert data["palette"]["roles"]["link"] == "Sea"  # {color.primary} → {color.sea}
    orbit = _data(imported["orbit"][0].out)
    accent = next(c for c in orbit["palette"]["colors"] if c["role"] == "accent")
    assert accent["name"] == "Lime 400"  # {"$ref": "#/color/lime/400"}
    legacy = [e for e in harbor.report.of("approximated") if e.source == "color.sea.light"]
    assert legacy and "CSS" in legacy[0].note


def test_adcp_house_imports_each_brand(imported: dict[str, list[Any]]) -> None:
    results = imported["kestrel-house"]
    assert [r.spec.name for r in results] == ["Kestrel Air", "Brisa Snacks"]
    assert [r.out.name for r in results] == ["kestrel-air", "brisa-snacks"]
    kestrel = results[0]
    spec = kestrel.spec
    assert {lg.variant: lg.backgrounds for lg in spec.logos} == {
        "primary-light-bg": ["light"],
        "primary-dark-bg": ["dark"],
        "icon-transparent-bg": ["any"],
    }
    assert spec.logos[0].placements == ["top-left"] and spec.logos[0].clear_space == 0.5
    assert spec.required.disclaimers == ["Fares include taxes. Limited seats."]
    assert spec.voice.tone == ["confident", "friendly", "clear", "optimistic"]
    assert spec.forbidden.imagery == ["No images of aircraft in bad weather", "Never show cockpit interiors"]
    assert spec.style.lighting == "golden hour"
    secondary = [c.hex for c in spec.palette.colors if c.role.value == "secondary"]
    assert secondary == ["#F4D35E", "#EE964B"]
    assert spec.typography.headline.family == "Source Sans Pro"
    assert spec.typography.headline.file == "fonts/SourceSansPro-Bold.ttf"
    dropped = {e.source: e.note for e in kestrel.report.of("dropped")}
    assert "no download" in dropped["brands[0].logos[3]"]
    assert any(k.startswith("brands[0].disclaimers[1]") for k in dropped)
    brisa = results[1].spec
    assert brisa.voice.tone == ["playful", "salty", "warm"]


def test_adcp_redirect_is_refused_with_its_target(tmp_path: Path) -> None:
    with pytest.raises(NoBrandDataError, match="redirects to https://kestrelgroup.example"):
        import_brand(DATA / "adcp" / "redirect.json", tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        (DATA / "brand-yml" / "aurora", "brand-yml"),
        (DATA / "brand-yml" / "fjord" / "_brand.yml", "brand-yml"),
        (DATA / "dtcg" / "orbit", "dtcg"),
        (DATA / "dtcg" / "single" / "harbor.tokens.json", "dtcg"),
        (DATA / "dtcg" / "resolver" / "tide.resolver.json", "dtcg"),
        (DATA / "adcp" / "house.json", "adcp"),
        (DATA / "adcp" / "canonical.json", "adcp"),
    ],
)
def test_auto_detection_names_the_format(path: Path, fmt: str) -> None:
    assert detect_path(path)[0] == fmt


def test_cli_import_says_what_it_recognised_and_spec_check_passes(tmp_path: Path) -> None:
    out = tmp_path / "fjord"
    result = CliRunner().invoke(
        app, ["spec", "import", str(DATA / "brand-yml" / "fjord" / "_brand.yml"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "recognised posit brand.yml" in result.output
    assert "gamut-mapped" in result.output  # color(display-p3 …) outside sRGB
    assert "not used yet: alpha of Foreground" in result.output  # #102A20E6: kept, said to be unused
    assert re.search(r"^mapped \(\d+\)$", result.output, re.M) and "[green]" not in result.output  # no raw markup
    text = yaml.safe_load((out / "brand.yaml").read_text(encoding="utf-8"))["palette"]["colors"]
    assert {"name": "Foreground", "hex": "#102A20", "role": "text", "alpha": 0.902} in text  # 0xE6 / 255
    check = CliRunner().invoke(app, ["spec", "check", str(out), "--json"])
    assert check.exit_code == 0, check.output
    assert json.loads(check.output)["name"] == "Fjord Outfitters"


def test_cli_import_json_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["spec", "import", str(DATA / "adcp" / "canonical.json"), "--out", str(tmp_path / "lumo"), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    brand = doc["brands"][0]
    assert brand["format"] == "AdCP brand.json" and brand["brand"] == "Lumo Lamps"
    assert {"mapped", "approximated", "dropped", "decide", "palette_space_share"} <= set(brand)
    assert any(e["target"] == "style.medium" for e in brand["approximated"])  # flat_illustration → illustration


@pytest.mark.parametrize("key", ["aurora", "orbit", "kestrel-house"])
def test_imported_spec_generates_offline_with_the_local_renderer(
    imported: dict[str, list[Any]], key: str, tmp_path: Path
) -> None:
    spec_dir = imported[key][0].out
    result = CliRunner().invoke(
        app,
        ["generate", "--spec", str(spec_dir), "--brief", "A calm product scene", "--headline", "Hello there",
         "--provider", "local", "--out", str(tmp_path), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    asset = json.loads(result.output)["assets"][0]
    with Image.open(asset["path"]) as image:
        assert image.size == (1024, 1024)


def test_missing_licensed_font_is_a_typed_error_naming_the_family(tmp_path: Path) -> None:
    tokens = {
        "color": {"$type": "color", "primary": {"$value": {"colorSpace": "srgb", "components": [0.2, 0.3, 0.4]}}},
        "font": {"headline": {"$type": "fontFamily", "$value": "Brandkit Imaginary Grotesk"}},
    }
    src = tmp_path / "brand.tokens.json"
    src.write_text(json.dumps(tokens), encoding="utf-8")
    with pytest.raises(FontNotFoundError) as info:
        import_brand(src, tmp_path / "out")
    assert "'Brandkit Imaginary Grotesk'" in info.value.message and "--fonts" in info.value.message
    assert not (tmp_path / "out").exists()
    cli = CliRunner().invoke(app, ["spec", "import", str(src), "--out", str(tmp_path / "out")])
    assert cli.exit_code == 2
    assert "Brandkit Imaginary Grotesk" in cli.output and "Traceback" not in cli.output


def test_fonts_folder_resolves_a_family_the_system_lacks(tmp_path: Path) -> None:
    tokens = {
        "color": {"$type": "color", "primary": {"$value": {"colorSpace": "srgb", "components": [0.2, 0.3, 0.4]}}},
        "font": {"headline": {"$type": "typography", "$value": {"fontFamily": "Source Sans Pro", "fontWeight": 700}}},
    }
    src = tmp_path / "brand.tokens.json"
    src.write_text(json.dumps(tokens), encoding="utf-8")
    [result] = import_brand(src, tmp_path / "out", fonts_dir=LUMEN_FONTS)
    assert result.spec.typography.headline.file == "fonts/SourceSansPro-Bold.ttf"
    assert result.spec.typography.headline.license == "fonts/LICENSE.txt"


def test_a_brand_yml_without_fonts_is_set_in_what_quarto_sets_it_in(tmp_path: Path) -> None:
    # 5 of 45 real brand.yml files name colours only: their sites are set in Bootstrap's default font stack
    src = tmp_path / "_brand.yml"
    src.write_text(
        "meta:\n  name: Elder Research\ncolor:\n  palette:\n    darkblue: '#063157'\n    darkred: '#D0073A'\n"
        "  primary: darkblue\n",
        encoding="utf-8",
    )
    [result] = import_brand(src, tmp_path / "out")
    stack = ["Segoe UI", "Roboto", "Helvetica Neue", "Noto Sans", "Liberation Sans", "Arial"]
    typography = result.spec.typography
    assert typography.headline.family in stack and typography.body is not None
    assert typography.body.family == typography.headline.family
    assert (typography.headline.weight, typography.body.weight) == (700, 400)
    assert (tmp_path / "out" / typography.headline.file).is_file()
    notes = [e.note for e in result.report.entries if e.target.startswith("typography")]
    assert any("Bootstrap's default font stack" in note and "--headline-font" in note for note in notes), notes
    # the option still names the headline font when given; the file's own fonts are never replaced
    [chosen] = import_brand(src, tmp_path / "out2", headline_font="DejaVu Sans")
    assert chosen.spec.typography.headline.family == "DejaVu Sans"
    src.write_text(src.read_text() + "typography:\n  base: DejaVu Serif\n", encoding="utf-8")
    [own] = import_brand(src, tmp_path / "out3")
    assert own.spec.typography.body is not None and own.spec.typography.body.family == "DejaVu Serif"
    assert not any("Bootstrap" in e.note for e in own.report.entries)


def test_alias_cycle_is_an_error_naming_the_chain(tmp_path: Path) -> None:
    tokens = {"color": {"$type": "color", "a": {"$value": "{color.b}"}, "b": {"$value": "{color.a}"}}}
    src = tmp_path / "cycle.tokens.json"
    src.write_text(json.dumps(tokens), encoding="utf-8")
    with pytest.raises(SpecError, match=r"alias cycle color\.a → color\.b → color\.a"):
        import_brand(src, tmp_path / "out")


def test_an_alias_to_a_token_of_another_file_drops_that_token_only(tmp_path: Path) -> None:
    """Token files refer to tokens of other sets and libraries (a Tokens Studio set exported alone, a core
    library): such a token is dropped and named, the rest imported (before, the first one stopped the import:
    "alias to {color.blue.600} (from color.hover), which is not a token"). A cycle stays an error (above)."""
    tokens = {
        "color": {
            "$type": "color",
            "blue": {"$value": "#0969da"},
            "primary": {"$value": "{color.blue}"},
            "hover": {"$value": "{color.blue.600}"},
        },
        "font": {
            "heading": {"$type": "fontFamily", "$value": "{typeface.brand}"},
            "body": {"$type": "fontFamily", "$value": "DejaVu Sans"},
        },
    }
    src = tmp_path / "brand.tokens.json"
    src.write_text(json.dumps(tokens), encoding="utf-8")
    [result] = import_brand(src, tmp_path / "out")
    assert [(c.hex, c.role.value) for c in result.spec.palette.colors] == [("#0969DA", "primary")]
    assert result.spec.typography.headline.family == "DejaVu Sans"
    dropped = {e.source: e.note for e in result.report.entries if e.kind == "dropped"}
    assert "{color.blue.600}, which this file does not hold" in dropped["color.hover"]
    assert "{typeface.brand}, which this file does not hold" in dropped["font.heading"]


def test_a_file_whose_colours_all_alias_another_file_says_so(tmp_path: Path) -> None:
    """A brand set whose colours all point at a core library's tokens (Visma's ``brand.json`` → ``{vud.green-05}``)
    imports no colour: the error says why and what to import (before: "defines no colour")."""
    tokens = {"brand": {"primary": {"$type": "color", "$value": "{core.green.500}"}}}
    src = tmp_path / "brand.tokens.json"
    src.write_text(json.dumps(tokens), encoding="utf-8")
    with pytest.raises(
        SpecError,
        match=r"its 1 colour token\(s\) are aliases to tokens this file does not hold "
        r"\(brand\.primary → \{core\.green\.500\}\): import the folder",
    ):
        import_brand(src, tmp_path / "out", headline_font="DejaVu Sans")


@pytest.mark.parametrize("name", ["_brand.yml", "house.json", "harbor.tokens.json"])
def test_loader_given_a_foreign_file_says_so(name: str) -> None:
    path = {
        "_brand.yml": DATA / "brand-yml" / "aurora" / "_brand.yml",
        "house.json": DATA / "adcp" / "house.json",
        "harbor.tokens.json": DATA / "dtcg" / "single" / "harbor.tokens.json",
    }[name]
    with pytest.raises(SpecError) as info:
        load_spec(path)
    title = {"_brand.yml": "posit brand.yml", "house.json": "AdCP brand.json", "harbor.tokens.json": "W3C design"}[name]
    assert title in info.value.message and "brandkit spec import" in info.value.message
    assert not info.value.issues  # one clear message, not tens of field errors


def test_loader_still_reports_field_errors_for_a_brandkit_spec(tmp_path: Path) -> None:
    (tmp_path / "brand.yaml").write_text("name: X\npalette: {colors: []}\ntypography: {}\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path)
    assert info.value.issues and "spec import" not in info.value.message


ROUND_TRIPS = [
    ("aurora", "dtcg"),
    ("aurora", "brand-yml"),
    ("orbit", "dtcg"),
    ("orbit", "brand-yml"),
    ("kestrel-house", "dtcg"),
    ("tide", "dtcg"),
    ("tide", "brand-yml"),
]


@pytest.mark.parametrize(("key", "fmt"), ROUND_TRIPS)
def test_import_export_import_is_stable(imported: dict[str, list[Any]], key: str, fmt: str, tmp_path: Path) -> None:
    first = imported[key][0]
    export_spec(first.spec, tmp_path / "exported", fmt)
    [again] = import_brand(tmp_path / "exported", tmp_path / "again")
    assert again.report.format.lower().startswith("posit" if fmt == "brand-yml" else "w3c")
    assert _data(again.out) == _data(first.out)
    for logo in again.spec.logos:  # the SVG travels as the source, byte for byte
        before = first.spec.logo(logo.variant)
        assert logo.source is not None and before.source is not None
        assert again.spec.asset_path(logo.source).read_bytes() == first.spec.asset_path(before.source).read_bytes()


def test_out_folder_is_not_overwritten_without_force(imported: dict[str, list[Any]], tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    src = FIXTURES["lumo"][0]
    result = CliRunner().invoke(app, ["spec", "import", str(src), "--out", str(out)])
    assert result.exit_code == 2 and "not empty" in result.output
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"
    [done] = import_brand(src, out, force=True)
    assert not (out / "keep.txt").exists() and done.spec.name == "Lumo Lamps"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_allowed_colours_are_on_palette_for_the_checks_and_widen_the_space_share() -> None:
    from brandkit.color import PaletteMatcher
    from brandkit.spec.palette import Palette, palette_space

    base = {"colors": [{"name": "Red", "hex": "#C0392B", "role": "primary"}], "allow_neutrals": False}
    without = Palette.model_validate(base)
    with_allowed = Palette.model_validate({**base, "allowed": [{"name": "Teal 500", "hex": "#16A085"}]})
    teal = np.asarray([[22, 160, 133]], dtype=np.uint8)
    far, _ = PaletteMatcher(without.reference_colors()[0]).exact_min_delta_e(teal)
    near, _ = PaletteMatcher(with_allowed.reference_colors()[0]).exact_min_delta_e(teal)
    assert float(far[0]) > 30 and float(near[0]) < 0.5
    assert palette_space(with_allowed) > palette_space(without)


def test_palette_roles_and_modes_must_name_palette_colours() -> None:
    from pydantic import ValidationError

    from brandkit.spec.palette import Palette

    colors = [{"name": "Ink", "hex": "#111111", "role": "text"}, {"name": "Sun", "hex": "#FFCC00", "role": "primary"}]
    with pytest.raises(ValidationError, match="palette.roles"):
        Palette.model_validate({"colors": colors, "roles": {"link": "Nope"}})
    with pytest.raises(ValidationError, match=r"palette\.modes\.dark"):
        Palette.model_validate({"colors": colors, "modes": {"dark": {"Nope": "#000000"}}})
    palette = Palette.model_validate(
        {"colors": colors, "roles": {"link": "Sun"}, "modes": {"dark": {"text": "#EEEEEE", "link": "#FFD633"}}}
    )
    dark = palette.for_mode("dark")
    assert [c.hex for c in dark.colors] == ["#EEEEEE", "#FFD633"]
    assert [c.hex for c in palette.colors] == ["#111111", "#FFCC00"]  # the default mode is unchanged
    with pytest.raises(KeyError, match="no palette mode 'sepia'"):
        palette.for_mode("sepia")


def test_css_colour_parsing_and_gamut_mapping() -> None:
    from brandkit.spec.importers.colorspace import (
        ColorParseError,
        gamut_map,
        linear_srgb_to_oklab,
        oklab_to_oklch,
        p3_to_linear_srgb,
        parse_css_color,
    )

    assert parse_css_color("#0B5FFF80") == parse_css_color("rgb(11 95 255 / 0.502)")
    assert parse_css_color("#abc").hex == "#AABBCC"
    assert parse_css_color("hsl(210 50% 40%)").hex == "#336699"
    srgb_red = parse_css_color("color(srgb 1 0 0)")
    assert srgb_red.hex == "#FF0000" and srgb_red.note == ""  # in gamut: exact, nothing to report
    # display-p3 red is outside sRGB: chroma is reduced at constant OKLCh lightness and hue until the clipped
    # colour is within the JND of 0.02 ΔEOK (CSS Color 4 §13.2)
    origin = oklab_to_oklch(linear_srgb_to_oklab(p3_to_linear_srgb((1.0, 0.0, 0.0))))
    mapped, was_mapped = gamut_map(linear_srgb_to_oklab(p3_to_linear_srgb((1.0, 0.0, 0.0))))
    assert was_mapped
    result = oklab_to_oklch(linear_srgb_to_oklab(mapped))
    assert all(-1e-9 <= c <= 1 + 1e-9 for c in mapped)
    assert abs(result[0] - origin[0]) < 0.02 and abs(result[2] - origin[2]) < 2.0 and result[1] < origin[1]
    parsed = parse_css_color("color(display-p3 1 0 0)")
    assert "gamut-mapped" in parsed.note and parsed.hex.startswith("#FF")
    with pytest.raises(
        ColorParseError, match="'jzazbz' is not supported"
    ):  # rec2020 is read since: a space no one lists
        parse_css_color("color(jzazbz 1 0 0)")
    with pytest.raises(ColorParseError, match="'chartreuse-ish'"):
        parse_css_color("chartreuse-ish")


@pytest.mark.parametrize(
    ("folder", "title"),
    [(DATA / "brand-yml" / "fjord", "posit brand.yml"), (DATA / "dtcg" / "resolver", "W3C design tokens")],
)
def test_loader_given_a_folder_of_a_foreign_format_says_so(folder: Path, title: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(folder)
    assert "no brand spec found" in info.value.message
    assert title in info.value.message and f"brandkit spec import {folder}" in info.value.message


def test_files_a_brand_file_names_stay_inside_its_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside.svg"
    outside.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>', encoding="utf-8")
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "_brand.yml").write_text(
        "meta: {name: Escape}\ncolor: {primary: '#123456'}\nlogo: {medium: ../outside.svg}\n"
        "typography: {base: DejaVu Sans}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=r"logo\.medium: .*may not contain '\.\.'"):
        import_brand(brand, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt", ["dtcg", "brand-yml"])
def test_a_hand_written_spec_exports_and_imports_back(fmt: str, tmp_path: Path) -> None:
    original = load_spec(ROOT / "brand_specs" / "northwind")
    export_spec(original, tmp_path / "exported", fmt)
    [back] = import_brand(tmp_path / "exported", tmp_path / "back")
    a, b = _data(ROOT / "brand_specs" / "northwind"), _data(back.out)
    # brandkit-only settings travel in the format's extension: forbidden terms, formats, checks, palette rules
    for section in ("name", "version", "voice", "palette", "forbidden", "required", "style", "formats", "generation",
                    "checks", "repair"):  # fmt: skip
        assert b[section] == a[section], section
    assert [(lg["variant"], lg["backgrounds"], lg["placements"]) for lg in b["logos"]] == [
        (lg["variant"], lg["backgrounds"], lg["placements"]) for lg in a["logos"]
    ]
    typo = back.spec.typography
    assert (typo.headline.file, typo.headline.family, typo.headline.weight) == ("fonts/Lato-Black.ttf", "Lato", 900)
    assert typo.max_headline_words == original.typography.max_headline_words == 7
    assert "photos" not in b  # photographs are not exported (documented)


def test_brand_yml_export_puts_each_logo_at_its_size_and_theme(tmp_path: Path) -> None:
    """primary / mono / inverse: the inverse logo (dark backgrounds only) is the dark theme of the large logo, not
    a light ``small``; variants named for a size (what ``spec import`` makes) keep that size."""
    northwind = load_spec(ROOT / "brand_specs" / "northwind")
    export_spec(northwind, tmp_path / "nw", "brand-yml")
    logo = yaml.safe_load((tmp_path / "nw" / "_brand.yml").read_text(encoding="utf-8"))["logo"]
    assert {k: v for k, v in logo.items() if k != "images"} == {
        "large": {"light": "primary", "dark": "inverse"},
        "medium": "mono",
    }
    primary, _, inverse = northwind.logos
    renamed = northwind.model_copy(
        update={
            "logos": [
                primary.model_copy(update={"variant": "medium"}),
                inverse.model_copy(update={"variant": "small-dark"}),
            ]
        }
    )
    export_spec(renamed, tmp_path / "sized", "brand-yml")
    logo = yaml.safe_load((tmp_path / "sized" / "_brand.yml").read_text(encoding="utf-8"))["logo"]
    assert {k: v for k, v in logo.items() if k != "images"} == {"medium": "medium", "small": {"dark": "small-dark"}}
    [back] = import_brand(tmp_path / "sized", tmp_path / "back")
    assert [lg.variant for lg in back.spec.logos] == ["medium", "small-dark"]


def test_a_square_svg_mark_with_text_imports_with_its_text_and_leaves_room_for_the_copy(tmp_path: Path) -> None:
    """A monogram mark (square, its letter set in a font rather than outlined): resvg's default fonts are rarely
    installed, so the letter used to vanish silently; and a square mark sized like a wordmark ate the copy area."""
    src = tmp_path / "acme"
    src.mkdir()
    (src / "mark.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200">'
        '<circle cx="100" cy="100" r="90" fill="#D62828"/>'
        '<text x="100" y="130" font-size="90" text-anchor="middle" fill="#FCF7EE">A</text></svg>',
        encoding="utf-8",
    )
    (src / "_brand.yml").write_text(
        "meta: {name: Acme Rockets}\n"
        "color:\n  palette: {red: '#D62828', navy: '#003049', cream: '#FCF7EE'}\n"
        "  primary: red\n  secondary: navy\n  background: cream\n  foreground: '#111111'\n"
        "typography: {fonts: [{family: DejaVu Sans, source: system}], base: DejaVu Sans}\n"
        "logo: {images: {mark: mark.svg}, small: mark}\n",
        encoding="utf-8",
    )
    [result] = import_brand(src / "_brand.yml", tmp_path / "spec")
    notes = [e.note for e in result.report.of("approximated") if e.target.endswith(".file")]
    assert any("not outlines" in n and "outline the text" in n for n in notes), notes
    logo = np.asarray(Image.open(tmp_path / "spec" / "logos" / "small.png").convert("RGBA"))
    disc = logo[..., 3] > 0
    cream = disc & (logo[..., 0] > 230) & (logo[..., 1] > 220)  # the letter, inside the red disc
    assert cream.sum() > 0.02 * disc.sum()
    out = tmp_path / "out"
    run = CliRunner().invoke(
        app,
        ["generate", "--spec", str(tmp_path / "spec"), "--brief", "A rocket at dawn", "--headline", "Go further",
         "--cta", "Launch now", "--provider", "local", "--out", str(out), "--json"],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    asset = json.loads(run.output)["assets"][0]
    assert asset["checks"]["logo"] == "passed" and asset["checks"]["text"] == "passed"
    sidecar = json.loads(Path(asset["sidecar"]).read_text(encoding="utf-8"))
    x0, y0, x1, y1 = sidecar["provenance"]["logo_box"]
    assert x1 - x0 == y1 - y0 < 0.2 * 1024  # the area of a wordmark, not a quarter of the width
