"""Brand files as teams keep them: posit brand.yml files as Quarto projects write them, and token files written
before the W3C format (Tokens Studio for Figma, Style Dictionary) — what ``brandkit spec import`` must read beyond
the formats' own examples.

Each case is a shape found in public ``_brand.yml`` files (written here from scratch, no file copied): CSS colour
names (``background: white``), keys of the file's own beside the brand.yml sections (``button:``), a file with only
``logo`` and ``typography``, CSS font stacks (``"'Noto Sans', Aptos, sans-serif"``), logo paths read by Quarto's
rules (``/assets/logo.svg`` from the project's folder, ``../logos/logo.png`` from a ``brand/`` folder), remote
logos, images no size names, and ``meta`` fields brandkit has no use for. Imports run for real (resvg, fontconfig,
the written folder loaded back). The token files: Tokens Studio's sets (a single file, with and without
``$themes``/``$metadata``, and a synced folder), ``$`` and ``{}`` aliases, composite typography, design tools'
weight names ("SemiBold"); Style Dictionary's untyped tokens and ``{a.b.value}`` aliases.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image

import brandkit
from brandkit.color import hex_to_rgb
from brandkit.errors import SpecError
from brandkit.spec.formats import detect_data, looks_like_brandkit_spec
from brandkit.spec.importers.colorspace import ColorParseError, parse_css_color
from brandkit.spec.importers.detect import detect_path
from brandkit.spec.importers.fonts import FontNotFoundError, brand_family, font_stack, weight_of
from brandkit.spec.importers.importer import import_brand

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100">'
    '<rect width="300" height="100" fill="#2E3192"/></svg>'
)


def _spec(folder: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((folder / "brand.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _entries(result: Any, kind: str) -> dict[str, str]:
    return {e.source: f"{e.target} {e.note}" for e in result.report.entries if e.kind == kind}


def _import_yml(tmp_path: Path, text: str) -> Any:
    """Import a brand.yml written as ``text`` (its fonts DejaVu, which every test machine has) into ``tmp_path/out``."""
    (tmp_path / "_brand.yml").write_text(
        text + "typography: {headings: {family: DejaVu Sans, weight: 700}, base: DejaVu Sans}\n", encoding="utf-8"
    )
    [result] = import_brand(tmp_path / "_brand.yml", tmp_path / "out")
    return result


def _png(path: Path) -> None:
    """A logo as brands export it: the mark on a transparent ground."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGBA", (240, 80), (0, 0, 0, 0))
    image.paste((28, 132, 120, 255), (10, 10, 230, 70))
    image.save(path)


@pytest.mark.parametrize(
    ("value", "hex_"),
    [("white", "#FFFFFF"), ("Navy", "#000080"), ("rebeccapurple", "#663399"), (" grey ", "#808080")],
)
def test_css_colour_names_are_colours(value: str, hex_: str) -> None:
    parsed = parse_css_color(value)
    assert (parsed.hex, parsed.alpha, parsed.note) == (hex_, 1.0, "")


@pytest.mark.parametrize(("value", "said"), [("whitish", "a colour name such as white"), ("transparent", "name one")])
def test_what_is_not_a_colour_is_refused_by_name(value: str, said: str) -> None:
    with pytest.raises(ColorParseError) as info:
        parse_css_color(value)
    assert repr(value) in info.value.message and said in info.value.message


def test_a_theme_colour_given_by_its_css_name_is_imported(tmp_path: Path) -> None:
    (tmp_path / "_brand.yml").write_text(
        "meta: {name: Named}\n"
        "color:\n  palette: {navy: '#25406A', ink: '#505050'}\n"
        "  background: white\n  foreground: ink\n  primary: navy\n"
        "typography: {base: DejaVu Sans}\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "_brand.yml", tmp_path / "out")
    colors = {c["role"]: c["hex"] for c in _spec(result.out)["palette"]["colors"]}
    assert colors["background"] == "#FFFFFF" and colors["primary"] == "#25406A"


def test_a_brand_file_with_keys_of_its_own_is_recognised_and_they_are_dropped(tmp_path: Path) -> None:
    _png(tmp_path / "logo.png")
    (tmp_path / "_brand.yml").write_text(
        "meta: {name: {full: Example Organization, short: EXORG}}\n"
        "logo: {images: {full: {path: logo.png, alt: Logo}}, large: full}\n"
        "color: {palette: {teal: '#1c8478'}, primary: teal}\n"
        "typography: {base: DejaVu Sans}\n"
        "button: {style: {borderRadius: 4px}}\ncard: {style: {background: white}}\n",
        encoding="utf-8",
    )
    fmt, why, _ = detect_path(tmp_path / "_brand.yml")
    assert fmt == "brand-yml" and "['button', 'card'] are not brand.yml's" in why
    [result] = import_brand(tmp_path / "_brand.yml", tmp_path / "out")
    dropped = _entries(result, "dropped")
    assert "not a brand.yml field" in dropped["button"] and "not a brand.yml field" in dropped["card"]
    assert [logo["variant"] for logo in _spec(result.out)["logos"]] == ["large"]


def test_an_invalid_brand_file_is_recognised_and_its_import_says_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "_brand.yml").write_text("meta: {name: Wrong}\ncolor: blue\n", encoding="utf-8")
    with pytest.raises(SpecError, match="color must be a mapping"):
        import_brand(tmp_path / "_brand.yml", tmp_path / "out")


def test_a_brand_file_with_only_a_logo_and_fonts_is_recognised(tmp_path: Path) -> None:
    (tmp_path / "_brand.yml").write_text("logo:\n  small: logo.png\ntypography: {base: Jura}\n", encoding="utf-8")
    assert detect_path(tmp_path / "_brand.yml")[0] == "brand-yml"
    _png(tmp_path / "logo.png")
    with pytest.raises(SpecError, match="defines no colour"):  # what it lacks, not "not a brand.yml document"
        import_brand(tmp_path / "_brand.yml", tmp_path / "out")


@pytest.mark.parametrize(
    "data",
    [
        {"name": "Acme", "color": {"primary": "#123456"}, "typography": {}},  # a brandkit spec's own field: name
        {"palette": {}, "typography": {}, "logo": "x.png"},  # a brandkit spec (an invalid one)
        {"typography": {"base": "Inter"}},  # typography alone: a brandkit spec's section too
        {"logo": ["a.png", "b.png"], "title": "My blog"},  # a site's config: a list of logos is not brand.yml's
        {"button": {}, "card": {}},
    ],
)
def test_what_is_not_a_brand_yml_file_is_not_taken_for_one(data: dict[str, Any]) -> None:
    found = detect_data(data)
    assert found is None or found[0] != "brand-yml"


def test_a_css_font_stack_is_read_as_its_first_family(tmp_path: Path) -> None:
    (tmp_path / "_brand.yml").write_text(
        "meta: {name: Stack}\ncolor: {primary: '#2E3192'}\n"
        "typography:\n  base: {family: \"'DejaVu Sans', Aptos, sans-serif\"}\n"
        "  headings: {family: '\"DejaVu Serif\", Georgia, serif', weight: 700}\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "_brand.yml", tmp_path / "out")
    typography = _spec(result.out)["typography"]
    assert typography["body"]["file"] == "fonts/DejaVuSans.ttf"
    assert typography["headline"]["file"] == "fonts/DejaVuSerif-Bold.ttf"
    approximated = _entries(result, "approximated")
    assert "['Aptos', 'sans-serif'] are for browsers" in approximated["typography.base.family"]


def test_a_font_stack_whose_first_family_is_missing_names_that_family(tmp_path: Path) -> None:
    (tmp_path / "_brand.yml").write_text(
        "meta: {name: Stack}\ncolor: {primary: '#2E3192'}\n"
        "typography: {base: {family: \"'Brandfont Nowhere', DejaVu Sans, sans-serif\"}}\n",
        encoding="utf-8",
    )
    with pytest.raises(FontNotFoundError) as info:  # the brand's font is the first: never a fallback instead
        import_brand(tmp_path / "_brand.yml", tmp_path / "out")
    assert "'Brandfont Nowhere'" in info.value.message and "DejaVu" not in info.value.message


def _quarto_project(root: Path, logo_ref: str, brand_dir: str = "") -> Path:
    root.mkdir(parents=True)
    (root / "_quarto.yml").write_text("project: {type: website}\n", encoding="utf-8")
    (root / "assets").mkdir()
    (root / "assets" / "logo.svg").write_text(SVG, encoding="utf-8")
    brand = root / brand_dir if brand_dir else root
    brand.mkdir(parents=True, exist_ok=True)
    (brand / "_brand.yml").write_text(
        f"meta: {{name: Project}}\nlogo: {{medium: {logo_ref}}}\ncolor: {{primary: '#2E3192'}}\n"
        "typography: {base: DejaVu Sans}\n",
        encoding="utf-8",
    )
    return brand / "_brand.yml"


@pytest.mark.parametrize(("ref", "brand_dir"), [("/assets/logo.svg", ""), ("../assets/logo.svg", "brand")])
def test_logo_paths_in_a_quarto_project_are_read_as_quarto_reads_them(ref: str, brand_dir: str, tmp_path: Path) -> None:
    source = _quarto_project(tmp_path / "site", ref, brand_dir)
    [result] = import_brand(source, tmp_path / "out")
    [logo] = _spec(result.out)["logos"]
    with Image.open(result.out / logo["file"]) as image:
        assert image.getpixel((image.width // 2, image.height // 2))[:3] == (0x2E, 0x31, 0x92)
    mapped = _entries(result, "mapped")
    assert (
        "assets/logo.svg in the Quarto project" in mapped["logo.medium"]
        and "read as Quarto does" in mapped["logo.medium"]
    )


def test_a_project_path_outside_a_quarto_project_is_refused(tmp_path: Path) -> None:
    source = _quarto_project(tmp_path / "site", "/assets/logo.svg")
    (tmp_path / "site" / "_quarto.yml").unlink()
    with pytest.raises(SpecError, match=r"logo\.medium: logo path '/assets/logo\.svg' must be relative"):
        import_brand(source, tmp_path / "out")


def test_a_path_leading_out_of_the_quarto_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.svg").write_text(SVG, encoding="utf-8")
    source = _quarto_project(tmp_path / "site", "../../outside.svg", "brand")
    with pytest.raises(SpecError) as info:
        import_brand(source, tmp_path / "out")
    assert "leads outside the Quarto project" in info.value.message and "--allow-path" not in info.value.message
    assert not (tmp_path / "out").exists()


def test_remote_logos_unnamed_images_and_unused_meta_are_dropped_with_a_reason(tmp_path: Path) -> None:
    _png(tmp_path / "logos" / "wide.png")
    _png(tmp_path / "logos" / "wide-dark.png")
    (tmp_path / "_brand.yml").write_text(
        "meta: {name: Drops, address: 1 Main St, links: {home: 'https://example.org'}}\n"
        "logo:\n  images: {wide: logos/wide.png, wide-dark: logos/wide-dark.png, cdn: 'https://cdn.example/x.png'}\n"
        "  small: cdn\n  medium: wide\n"
        "color: {primary: '#2E3192'}\ntypography: {base: DejaVu Sans}\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "_brand.yml", tmp_path / "out")
    dropped = _entries(result, "dropped")
    assert "is remote" in dropped["logo.small"] and "no download" in dropped["logo.small"]
    assert "no size (small, medium, large) names it" in dropped["logo.images.wide-dark"]
    assert "logo.images.wide" not in dropped and "logo.images.cdn" not in dropped
    assert "not used in images" in dropped["meta.address"] and "links" in dropped["meta.links"]
    assert [logo["variant"] for logo in _spec(result.out)["logos"]] == ["medium"]


# --- token files written before the W3C format: Tokens Studio for Figma, Style Dictionary (classic) ---------------

STUDIO_FILE = {
    "core": {
        "core": {
            "teal": {
                "600": {"value": "#006d70", "type": "color"},
                "100": {"value": "#7fcbcd", "type": "color"},
                "600-10": {"value": "#006d701a", "type": "color"},
            },
            "grey": {"ink": {"value": "#4e5b61", "type": "color"}, "white": {"value": "#ffffff", "type": "color"}},
            "black": {"value": "#000000", "type": "color"},
            "gradient": {"value": "linear-gradient(270deg, #ecf1f1 5%, #f39c1200 100%)", "type": "color"},
            "fontFamilies": {"sans": {"value": "DejaVu Sans", "type": "fontFamilies"}},
            "fontWeights": {"semibold": {"value": "SemiBold", "type": "fontWeights"}},
        }
    },
    "brand-light": {
        "semantic": {
            "fg": {"default": {"value": "$core.grey.ink", "type": "color"}},
            "bg": {"default": {"value": "{core.grey.white}", "type": "color"}},
            "primary": {"default": {"value": "$core.teal.600", "type": "color"}},
            "heading": {
                "value": {"fontFamily": "{core.fontFamilies.sans}", "fontWeight": "$core.fontWeights.semibold"},
                "type": "typography",
            },
            "disabled": {"value": "0.4", "type": "opacity"},
        }
    },
    "brand-dark": {
        "semantic": {
            "fg": {"default": {"value": "$core.grey.white", "type": "color"}},
            "bg": {"default": {"value": "$core.black", "type": "color"}},
            "primary": {"default": {"value": "$core.teal.100", "type": "color"}},
        }
    },
}


def _import_json(tmp_path: Path, name: str, doc: Any) -> Any:
    (tmp_path / name).write_text(json.dumps(doc), encoding="utf-8")
    fmt, why, _ = detect_path(tmp_path / name)
    assert fmt == "dtcg" and "Tokens Studio / Style Dictionary" in why
    [result] = import_brand(tmp_path / name, tmp_path / "out")
    return result


def test_a_tokens_studio_file_imports_with_its_sets_aliases_modes_and_typography(tmp_path: Path) -> None:
    result = _import_json(tmp_path, "tokens.json", STUDIO_FILE)  # no $metadata: the aliases say the keys are sets
    spec = _spec(result.out)
    roles = {c["role"]: c["hex"] for c in spec["palette"]["colors"]}
    assert roles["primary"] == "#006D70" and roles["background"] == "#FFFFFF" and roles["text"] == "#4E5B61"
    dark = spec["palette"]["modes"]["dark"]
    assert {dark[name] for name in dark} == {"#7FCBCD", "#000000", "#FFFFFF"}  # the dark set's values
    assert {"hex": "#E5F0F0"}.items() <= next(  # #006d70 at alpha 0x1a over the white background
        c for c in spec["palette"]["allowed"] if c["name"] == "Core Teal 600 10"
    ).items()
    assert spec["typography"]["headline"]["file"] == "fonts/DejaVuSans-Bold.ttf"  # SemiBold → 600 → the bold face
    dropped = _entries(result, "dropped")
    assert "linear-gradient() is not supported" in dropped["core.gradient"]
    assert not any("pre-2025" in note for note in _entries(result, "approximated").values())  # hex strings: exact
    mapped = _entries(result, "mapped")
    assert "(mode dark)" in mapped["tokens.json token set 'brand-dark'"]


def test_a_tokens_studio_set_with_palette_and_typography_at_the_top_is_tokens_not_a_brandkit_spec(
    tmp_path: Path,
) -> None:
    # as ClickHouse's click-ui primitives set is written: a `palette` group of colour ramps and a `typography` group
    # at the top, which read as a brandkit spec's two sections before ("it looks like a brandkit spec already")
    doc = {
        "palette": {
            "brand": {"300": {"value": "#FAFF69", "type": "color"}, "700": {"value": "#686B00", "type": "color"}},
            "neutral": {"0": {"value": "#FFFFFF", "type": "color"}, "900": {"value": "#161517", "type": "color"}},
        },
        "typography": {"font": {"families": {"regular": {"value": "DejaVu Sans", "type": "fontFamilies"}}}},
        "sizes": {"1": {"value": "4px", "type": "sizing"}},
    }
    result = _import_json(tmp_path, "primitives.json", doc)
    hexes = {c["hex"] for c in _spec(result.out)["palette"]["colors"]}
    assert "#FAFF69" in hexes
    assert not looks_like_brandkit_spec(doc)
    assert looks_like_brandkit_spec(yaml.safe_load(Path("brand_specs/northwind/brand.yaml").read_text("utf-8")))
    spec_like = {"palette": {"colors": [{"name": "Blue", "hex": "#0000FF", "role": "primary"}]}, "typography": {}}
    assert detect_data(spec_like) is None  # a brandkit spec with a broken typography is still one


def test_tokens_studio_themes_choose_the_palette_and_the_modes(tmp_path: Path) -> None:
    doc = {
        **STUDIO_FILE,
        "$themes": [
            {"name": "Dark", "group": "Mode", "selectedTokenSets": {"core": "source", "brand-dark": "enabled"}},
            {"name": "Light", "group": "Mode", "selectedTokenSets": {"core": "source", "brand-light": "enabled"}},
            {"name": "Kids", "group": "Brand", "selectedTokenSets": {"core": "enabled"}},
        ],
        "$metadata": {"tokenSetOrder": ["core", "brand-light", "brand-dark"]},
    }
    result = _import_json(tmp_path, "tokens.json", doc)
    spec = _spec(result.out)
    roles = {c["role"]: c["hex"] for c in spec["palette"]["colors"]}
    assert roles["primary"] == "#006D70"  # the Light theme is the palette although Dark is listed first
    assert set(spec["palette"]["modes"]) == {"dark"}
    dropped = _entries(result, "dropped")
    assert "another theme group (Brand)" in dropped["tokens.json $themes[Kids]"]


def test_a_tokens_studio_sync_folder_imports(tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    (folder / "core").mkdir(parents=True)
    (folder / "$metadata.json").write_text(json.dumps({"tokenSetOrder": ["core/colors", "light"]}), encoding="utf-8")
    (folder / "$themes.json").write_text(
        json.dumps([{"name": "Light", "selectedTokenSets": {"core/colors": "source", "light": "enabled"}}]),
        encoding="utf-8",
    )
    (folder / "core" / "colors.json").write_text(
        json.dumps({"blue": {"value": "#1E40AF", "type": "color"}, "white": {"value": "#FFFFFF", "type": "color"}}),
        encoding="utf-8",
    )
    (folder / "light.json").write_text(
        json.dumps(
            {"primary": {"value": "{blue}", "type": "color"}, "background": {"value": "$white", "type": "color"}}
        ),
        encoding="utf-8",
    )
    assert "Tokens Studio folder" in detect_path(folder)[1]
    [result] = import_brand(folder, tmp_path / "out", headline_font="DejaVu Sans")
    roles = {c["role"]: c["hex"] for c in _spec(result.out)["palette"]["colors"]}
    assert roles == {"primary": "#1E40AF", "background": "#FFFFFF"}


def test_a_style_dictionary_file_imports_with_untyped_tokens_and_value_suffixed_aliases(tmp_path: Path) -> None:
    doc = {
        "color": {
            "base": {"red": {"value": "#E4002B"}, "gray": {"dark": {"value": "#111111", "comment": "body copy"}}},
            "brand": {
                "primary": {"value": "{color.base.red.value}"},
                "background": {"value": "#ffffff"},
                "text": {"value": "{color.base.gray.dark.value}"},
            },
        },
        "size": {"font": {"base": {"value": "16px"}}},
        "font": {"family": {"heading": {"value": "DejaVu Serif, Georgia, serif"}}},
    }
    result = _import_json(tmp_path, "tokens.json", doc)
    spec = _spec(result.out)
    roles = {c["role"]: c["hex"] for c in spec["palette"]["colors"]}
    assert roles["primary"] == "#E4002B" and roles["background"] == "#FFFFFF"
    assert spec["typography"]["headline"]["family"] == "DejaVu Serif"  # the family by its path; the stack's first
    dropped = _entries(result, "dropped")
    assert "1 untyped token(s)" in dropped  # the font size only: the aliases are colours, read
    stack = [e.note for e in result.report.entries if e.kind == "approximated" and e.source == "font.family.heading"]
    assert any("the fallbacks ['Georgia', 'serif'] are for browsers" in note for note in stack)


@pytest.mark.parametrize(
    ("name", "weight"), [("SemiBold", 600), ("Semi Bold", 600), ("ExtraLight", 200), ("Bold Italic", 700)]
)
def test_design_tool_weight_names_are_weights(name: str, weight: int) -> None:
    assert weight_of(name) == weight


def test_a_weight_that_is_no_weight_is_refused_by_name() -> None:
    with pytest.raises(SpecError, match="'Chunky' is neither a number nor a CSS weight name"):
        weight_of("Chunky")


@pytest.mark.parametrize(
    "size",
    ['width="3in" height="1in"', 'width="79.375mm" height="26.458mm"', 'width="225pt" height="75pt"', ""],
)
def test_svg_logos_sized_in_physical_units_are_rasterised(size: str, tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text(  # Illustrator's and Inkscape's exports: sizes in in/mm/pt, CSS classes
        f'<svg xmlns="http://www.w3.org/2000/svg" {size} viewBox="0 0 300 100">'
        "<style>.st0{fill:#2E3192;}.st1{fill:#FFFFFF;}</style>"
        '<rect class="st0" width="300" height="100"/><circle class="st1" cx="50" cy="50" r="30"/></svg>',
        encoding="utf-8",
    )
    (tmp_path / "_brand.yml").write_text(
        "meta: {name: Units}\nlogo: logo.svg\ncolor: {primary: '#2E3192'}\ntypography: {base: DejaVu Sans}\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "_brand.yml", tmp_path / "out")
    [logo] = _spec(result.out)["logos"]
    with Image.open(result.out / logo["file"]) as image:
        assert image.size == (461, 154)  # the width the formats need, the SVG's 3:1 shape
        assert image.getpixel((77, 77))[:3] == (255, 255, 255) and image.getpixel((400, 20))[:3] == (46, 49, 146)


def test_json_files_saved_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    """Windows tools (PowerShell 5's ``Out-File -Encoding utf8``, older Notepad) start UTF-8 files with a BOM:
    a brand file, a brandkit spec and a variant plan saved that way are read, not 'invalid JSON at line 1'."""
    from brandkit.spec.loader import load_spec
    from brandkit.variants.plan import load_plan

    northwind = Path(__file__).resolve().parents[1] / "brand_specs" / "northwind"
    brand = {"meta": {"name": "Bom"}, "color": {"primary": "#123456"}, "typography": {"base": "DejaVu Sans"}}
    (tmp_path / "brand.json").write_text(json.dumps(brand), encoding="utf-8-sig")
    [result] = import_brand(tmp_path / "brand.json", tmp_path / "out")
    assert result.spec.name == "Bom"
    spec_dir = tmp_path / "northwind"
    shutil.copytree(northwind, spec_dir, ignore=shutil.ignore_patterns("brand.yaml"))
    spec_data = yaml.safe_load((northwind / "brand.yaml").read_text(encoding="utf-8"))
    (spec_dir / "brand.json").write_text(json.dumps(spec_data, ensure_ascii=False), encoding="utf-8-sig")
    assert load_spec(spec_dir).name == "Northwind Coffee"
    plan = {"name": "p", "spec": str(northwind), "base": {"brief": "A cup"}, "axes": {"format": ["square"]}}
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8-sig")
    assert load_plan(tmp_path / "plan.json").name == "p"
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-16")  # PowerShell 5's `> file`
    assert load_plan(tmp_path / "plan.yaml").name == "p"
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(SpecError, match="not UTF-8 text .*save it as UTF-8"):
        load_plan(tmp_path / "latin1.yaml")


_PRIMER_LIKE = """/**
 * Light mode (a token source as GitHub Primer keeps its own: JSON5)
 */
{
  brand: {
    color: {
      ink: {
        $value: '#1f2328', // body text
        $type: 'color',
        $extensions: {'org.example.figma': {collection: 'base/color/light',},},
      },
      blue: {
        '5': {$value: '#0969da', $type: 'color', $description: 'links & primary actions',},
        '9': {$value: '#002155', $type: 'color',},
      },
      primary: {$value: '{brand.color.blue.5}', $type: 'color',},
      coral: {$value: '#C4432B', $type: 'color',}, /* trailing commas everywhere */
    },
  },
}
"""


def test_json5_token_sources_are_read_as_primer_writes_them(tmp_path: Path) -> None:
    """GitHub Primer keeps its DTCG tokens as JSON5 — comments, unquoted keys, single quotes, trailing commas —
    and so may any Style Dictionary project. Such a file, and a folder of them, are imported (before: 'invalid
    YAML at line 6'); a folder's ``dark`` file is a mode."""
    (tmp_path / "light.json5").write_text(_PRIMER_LIKE, encoding="utf-8")
    assert detect_path(tmp_path / "light.json5")[0] == "dtcg"
    [result] = import_brand(tmp_path / "light.json5", tmp_path / "one", headline_font="DejaVu Sans")
    hexes = {c.hex for c in [*result.spec.palette.colors, *result.spec.palette.allowed]}
    assert {"#1F2328", "#0969DA", "#002155", "#C4432B"} <= hexes
    primary = [c for c in result.spec.palette.colors if c.role.value == "primary"]
    assert [c.hex for c in primary] == ["#0969DA"]  # the alias resolved to the colour it names

    folder = tmp_path / "tokens"
    folder.mkdir()
    (folder / "light.json5").write_text(_PRIMER_LIKE, encoding="utf-8")
    (folder / "dark.json5").write_text("{brand: {color: {blue: {'5': {$value: '#4493f8', $type: 'color'}}}}}")
    assert detect_path(folder)[:2] == ("dtcg", "a folder of JSON5 design token files")
    [result] = import_brand(folder, tmp_path / "two", headline_font="DejaVu Sans")
    assert "#4493F8" in result.spec.palette.modes["dark"].values()


def test_a_folder_whose_json5_file_is_a_tool_config_is_still_read_for_its_brand_file(tmp_path: Path) -> None:
    """A Quarto project with a ``renovate.json5`` beside its ``_brand.yml``: the brand file is what is read."""
    (tmp_path / "_brand.yml").write_text("meta: {name: Tide}\ncolor: {primary: '#123456'}\n", encoding="utf-8")
    (tmp_path / "renovate.json5").write_text("{extends: ['config:recommended']}", encoding="utf-8")
    assert detect_path(tmp_path)[0] == "brand-yml"


def test_a_tokens_file_is_json_whatever_its_indentation_and_escapes(tmp_path: Path) -> None:
    """``.tokens`` is the W3C format's own extension and its files are JSON: one indented with tabs, with ``\\/``
    in a string (as PHP's json_encode writes it), is read (before: read as YAML, 'found character \\t')."""
    entry = '{"$value": "#0969da", "$description": "https:\\/\\/x"}'
    text = '{\n\t"brand": {\n\t\t"$type": "color",\n\t\t"primary": ' + entry + "\n\t}\n}\n"
    (tmp_path / "brand.tokens").write_text(text, encoding="utf-8")
    [result] = import_brand(tmp_path / "brand.tokens", tmp_path / "out", headline_font="DejaVu Sans")
    assert [c.hex for c in result.spec.palette.colors] == ["#0969DA"]


def test_json_with_comments_is_read_for_tokens_but_not_for_brandkit_s_own_files(tmp_path: Path) -> None:
    """A token ``.json`` with a comment and a trailing comma is read as JSON5 (as Style Dictionary reads such
    sources); a spec, a plan or a sidecar in JSON stays strict JSON. A JSON5 file that is not JSON5 either is an
    error naming its line and column."""
    from brandkit.spec.loader import load_spec

    (tmp_path / "brand.tokens.json").write_text(
        '{\n  // the brand blue\n  "blue": {"$type": "color", "$value": "#0969da"},\n}\n', encoding="utf-8"
    )
    [result] = import_brand(tmp_path / "brand.tokens.json", tmp_path / "out", headline_font="DejaVu Sans")
    assert [c.hex for c in result.spec.palette.colors] == ["#0969DA"]
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    (spec_dir / "brand.json").write_text('{\n  // a comment\n  "name": "x"\n}\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"brand\.json: invalid JSON at line 2, column 3"):
        load_spec(spec_dir)
    (tmp_path / "bad.json5").write_text("{\n  a: 1,\n  b: [1, 2,, ],\n}\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad\.json5: invalid JSON5 at line 3, column 12: Stray comma"):
        import_brand(tmp_path / "bad.json5", tmp_path / "bad")
    (tmp_path / "extra.json5").write_text("{a: 1}\n  {b: 2}", encoding="utf-8")
    with pytest.raises(SpecError, match=r"extra\.json5: invalid JSON5 at line 2, column 3: Extra data '\{'"):
        import_brand(tmp_path / "extra.json5", tmp_path / "extra")
    (tmp_path / "deep.json5").write_text("{a: " + "[" * 10_000 + "]" * 10_000 + "}", encoding="utf-8")
    with pytest.raises(SpecError, match="nested too deeply"):
        import_brand(tmp_path / "deep.json5", tmp_path / "deep")


# --- every colour space of CSS Color 4 and the DTCG colour module ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "hex_"),
    [
        ("lab(50% 0 0)", "#777777"),
        ("lab(100 0 0)", "#FFFFFF"),
        ("lch(54.29% 71.2% 40.85)", "#FF0000"),  # sRGB red in CIE LCh (D50): C as a percentage of 150
        ("hwb(0 0% 0%)", "#FF0000"),
        ("hwb(0 60% 60%)", "#808080"),  # whiteness + blackness ≥ 100 %: a grey
        ("color(a98-rgb 1 1 1)", "#FFFFFF"),
        ("color(rec2020 1 1 1)", "#FFFFFF"),
        ("color(prophoto-rgb 1 1 1)", "#FFFFFF"),
        ("color(xyz-d65 0.9505 1 1.089)", "#FFFFFF"),
        ("color(xyz-d50 0.9642 1 0.8251)", "#FFFFFF"),
    ],
)
def test_css_colour_4_spaces_are_read(value: str, hex_: str) -> None:
    assert parse_css_color(value).hex == hex_


def test_cie_lab_agrees_with_colormath_inside_srgb() -> None:
    """lab() is D50 (CSS Color 4), adapted to sRGB's D65 with Bradford: what colormath2 (the design card's colour
    library) computes, within 8-bit rounding, on 300 random colours inside sRGB."""
    import random

    from colormath2.color_conversions import convert_color
    from colormath2.color_objects import LabColor, sRGBColor

    rng = random.Random(7)
    checked = 0
    while checked < 300:
        lab = (rng.uniform(5, 95), rng.uniform(-60, 60), rng.uniform(-60, 60))
        parsed = parse_css_color("lab({} {} {})".format(*lab))
        if "outside sRGB" in parsed.note:
            continue  # gamut-mapped (CSS Color 4), where a clip would differ by design
        reference = convert_color(LabColor(*lab, illuminant="d50"), sRGBColor).get_rgb_hex().upper()
        assert max(abs(int(reference[i : i + 2], 16) - int(parsed.hex[i : i + 2], 16)) for i in (1, 3, 5)) <= 1
        checked += 1


def test_a_dtcg_colour_in_lab_or_rec2020_is_imported(tmp_path: Path) -> None:
    tokens = {
        "color": {
            "$type": "color",
            "primary": {"$value": {"colorSpace": "lab", "components": [50, 40, 59.5]}},
            "background": {"$value": {"colorSpace": "rec2020", "components": [1, 1, 1]}},
            "accent": {"$value": {"colorSpace": "rec2020", "components": [1, 0, 0]}},
        }
    }
    (tmp_path / "brand.tokens.json").write_text(json.dumps(tokens), encoding="utf-8")
    [result] = import_brand(tmp_path / "brand.tokens.json", tmp_path / "out", headline_font="DejaVu Sans")
    roles = {c["role"]: c["hex"] for c in _spec(result.out)["palette"]["colors"]}
    assert roles["primary"] == "#BF5700" and roles["background"] == "#FFFFFF"
    assert "outside sRGB: gamut-mapped" in _entries(result, "approximated")["color.accent"]  # rec2020 red


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("meta: {name: H}\ncolor:\n  palette:\n    navy: #1B3264\n  primary: navy\n", "color.palette.navy is empty"),
        ("meta: {name: H}\ncolor:\n  primary: #1B3264\n", "color.primary is empty"),  # was: 'defines no colour'
    ],
)
def test_an_unquoted_hex_colour_in_yaml_is_named_not_lost(text: str, where: str, tmp_path: Path) -> None:
    (tmp_path / "_brand.yml").write_text(text + "typography: {base: DejaVu Sans}\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        import_brand(tmp_path / "_brand.yml", tmp_path / "out")
    assert where in info.value.message and "unquoted # is a comment" in info.value.message


def test_a_spec_colour_written_without_quotes_says_why_it_is_empty(tmp_path: Path) -> None:
    from brandkit.spec.loader import load_spec

    northwind = Path(__file__).resolve().parents[1] / "brand_specs" / "northwind"
    shutil.copytree(northwind, tmp_path / "nw")
    data = yaml.safe_load((northwind / "brand.yaml").read_text(encoding="utf-8"))
    data["palette"]["colors"][0]["hex"] = "PLACEHOLDER"
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).replace("hex: PLACEHOLDER", "hex: #3B2A26")
    (tmp_path / "nw" / "brand.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "nw")
    assert "palette.colors[0].hex" in str(info.value) and "unquoted # is a comment" in str(info.value)


@pytest.mark.parametrize("layout", ["same", "parent"])
def test_an_out_folder_holding_the_brand_being_imported_is_refused_even_with_force(layout: str, tmp_path: Path) -> None:
    from brandkit.errors import OutputFolderError

    source = tmp_path / "brand"
    source.mkdir()
    _png(source / "logo.png")
    (source / "_brand.yml").write_text(
        "meta: {name: Keep}\nlogo: logo.png\ncolor: {primary: '#2E3192'}\ntypography: {base: DejaVu Sans}\n",
        encoding="utf-8",
    )
    out = source if layout == "same" else tmp_path  # the source folder, or a folder holding it
    with pytest.raises(OutputFolderError) as info:
        import_brand(source, out, force=True)
    assert info.value.problem == "holds_source" and "would delete it" in info.value.message
    assert (source / "_brand.yml").is_file() and (source / "logo.png").is_file()  # nothing lost
    [result] = import_brand(source, source / "spec")  # inside the source folder: nothing is replaced
    assert result.spec.name == "Keep" and (source / "_brand.yml").is_file()


def test_spec_export_never_replaces_a_file_with_other_contents_without_force(tmp_path: Path) -> None:
    from brandkit.errors import OutputExistsError
    from brandkit.spec.importers.export import export_spec
    from brandkit.spec.loader import load_spec

    spec = load_spec(Path(__file__).resolve().parents[1] / "brand_specs" / "northwind")
    out = tmp_path / "site"
    out.mkdir()
    (out / "_brand.yml").write_text("meta: {name: Hand-made}\n", encoding="utf-8")
    with pytest.raises(OutputExistsError) as info:
        export_spec(spec, out, "brand-yml")
    assert str(out / "_brand.yml") in info.value.message and "--force" in info.value.message
    assert (out / "_brand.yml").read_text(encoding="utf-8") == "meta: {name: Hand-made}\n"  # untouched
    assert list(out.iterdir()) == [out / "_brand.yml"]  # nothing else written either
    written = export_spec(spec, out, "brand-yml", force=True)
    assert export_spec(spec, out, "brand-yml") == written  # the same bytes again: no --force needed


def _studio(base: str, **modify: str) -> dict[str, Any]:
    return {"value": base, "type": "color", "$extensions": {"studio.tokens": {"modify": modify}}}


def test_a_colour_tokens_studio_modifies_is_computed_as_tokens_studio_does(tmp_path: Path) -> None:
    """Hover and pressed states written as Tokens Studio modifiers were dropped (named); they are computed as
    Tokens Studio's own transform does and imported as colours of their own. The expected hexes are the ones
    Tokens Studio's test suite gives (``@tokens-studio/sd-transforms``: darken #C14242 by 0.2 in each space, a mix
    whose amount is arithmetic) and one worked out by hand (lighten #1E40AF by 0.2 in HSL: L 40.2 % → 52.2 %)."""
    doc = {
        "blue": {"value": "#1E40AF", "type": "color"},
        "red": {"value": "#C14242", "type": "color"},
        "white": {"value": "#FFFFFF", "type": "color"},
        "amount": {"value": "0.2", "type": "number"},
        "primary": {"value": "{blue}", "type": "color"},
        "font": {"family": {"heading": {"value": "DejaVu Sans"}}},
        "hover": _studio("{blue}", type="lighten", value="0.2", space="hsl"),
        "dark": {
            "hsl": _studio("{red}", type="darken", value="0.2", space="hsl"),
            "lch": _studio("{red}", type="darken", value="{amount}", space="lch"),
            "p3": _studio("#C14242", type="darken", value="0.2", space="p3"),
            "srgb": _studio("{red}", type="darken", value="0.1 * 2", space="srgb"),
        },
        "tint": _studio("{white}", type="mix", value="0.5 + 6 * 0.04", color="#4477DD", space="srgb"),
        "veil": _studio("{red}", type="alpha", value="0.2", space="srgb"),
        "link": {"value": "{hover}", "type": "color"},  # an alias of a computed colour: that colour
        "same": _studio("{red}", type="saturate", value="0.2", space="hsl"),  # no such modifier: left as it is
        "broken": _studio("{red}", type="lighten", value="a lot", space="hsl"),
    }
    result = _import_json(tmp_path, "tokens.json", doc)
    spec = _spec(result.out)
    colours = {c["name"]: c for c in [*spec["palette"]["colors"], *spec["palette"].get("allowed", [])]}
    assert colours["Hover"]["hex"] == "#2F57DB" and colours["Tint"]["hex"] == "#759AE6"
    approximated: dict[str, str] = {}
    for e in result.report.entries:  # a colour can be computed and left without a role: every note of each
        if e.kind == "approximated":
            approximated[e.source] = f"{approximated.get(e.source, '')} {e.target} {e.note}"
    assert "Tokens Studio's lighten 0.2 in hsl of #1E40AF: #2F57DB" in approximated["hover"]
    # the four darkened reds (within ΔE00 2 of each other: the palette keeps one, the report names each)
    expected = {"dark.hsl": "#9C3333", "dark.lch": "#983735", "dark.p3": "#9B3535", "dark.srgb": "#9A3535"}
    for path, hex_value in expected.items():
        assert f"of #C14242: {hex_value}" in approximated[path], (path, approximated[path])
    assert "alias of Hover" in _entries(result, "mapped")["link"]
    assert "leaves the colour as it is: #C14242" in approximated["same"]
    assert "'a lot' is not a number" in _entries(result, "dropped")["broken"]
    # the alpha set to 0.2: the same red, see-through — composited onto white as every translucent colour is
    assert "alpha 0.2 in srgb of #C14242: #C14242" in approximated["veil"]
    assert colours["Veil"]["hex"] == "#F3D9D9"  # 0.2 × C1 + 0.8 × FF = F3


def test_a_dtcg_file_tokens_studio_exported_computes_its_modifiers_too(tmp_path: Path) -> None:
    """Tokens Studio's W3C-format export keeps the modifier in ``$extensions`` beside ``$value``."""
    modify = {"type": "darken", "value": "0.2", "space": "lch"}
    tokens = {
        "color": {
            "$type": "color",
            "red": {"$value": "#C14242"},
            "red-pressed": {"$value": "{color.red}", "$extensions": {"studio.tokens": {"modify": modify}}},
        }
    }
    (tmp_path / "brand.tokens.json").write_text(json.dumps(tokens), encoding="utf-8")
    [result] = import_brand(tmp_path / "brand.tokens.json", tmp_path / "out", headline_font="DejaVu Sans")
    palette = _spec(result.out)["palette"]
    hexes = {c["name"]: c["hex"] for c in [*palette["colors"], *palette.get("allowed", [])]}
    assert hexes["Red Pressed"] == "#983735"  # Tokens Studio's own test suite: darken #C14242 by 0.2 in LCh


def test_tokens_studio_modifiers_agree_with_its_own_test_suite_in_every_space() -> None:
    """The values ``@tokens-studio/sd-transforms`` prints for lighten and mix in each space (rounded to three
    digits, read back through brandkit's CSS reader) are within one 8-bit step of the colours computed here."""
    from brandkit.spec.importers.studio_modify import amount_of, modify_colour

    def close(a: str, b: str) -> bool:
        return all(abs(int(a[i : i + 2], 16) - int(b[i : i + 2], 16)) <= 1 for i in (1, 3, 5))

    red, white, blue, black = (parse_css_color(c) for c in ("#C14242", "#FFFFFF", "#4477DD", "#000000"))
    lighten = {
        "hsl": "hsl(0 50.6% 60.6%)",
        "lch": "lch(57.7 47.5 29.7)",
        "p3": "color(display-p3 0.76 0.44 0.42)",
        "srgb": "rgb(80.5% 40.7% 40.7%)",
    }
    tint = {
        "hsl": "hsl(220 51.2% 67.9%)",
        "lch": "lch(63.4 43.7 279)",
        "p3": "color(display-p3 0.49 0.6 0.88)",
        "srgb": "rgb(45.7% 60.5% 90.1%)",
    }
    grey = {"hsl": "#808080", "lch": "#777777", "p3": "#808080", "srgb": "#808080"}  # black and white, half way
    for space in ("hsl", "lch", "p3", "srgb"):
        assert close(modify_colour(red, "lighten", space, 0.2).hex, parse_css_color(lighten[space]).hex), space
        mixed = modify_colour(white, "mix", space, amount_of("0.5 + 6 * 0.04"), blue).hex
        assert close(mixed, parse_css_color(tint[space]).hex), space
        assert close(modify_colour(black, "mix", space, 0.5, white).hex, grey[space]), space
        veil = modify_colour(red, "alpha", space, 0.2)
        assert (veil.hex, veil.alpha) == ("#C14242", 0.2)
    # half way from red to blue in LCh, the shorter way round the hue, is a magenta outside sRGB: mapped, and said
    magenta = modify_colour(parse_css_color("#FF0000"), "mix", "lch", 0.5, parse_css_color("#0000FF"))
    r, g, b = (int(magenta.hex[i : i + 2], 16) for i in (1, 3, 5))
    assert "gamut-mapped into sRGB" in magenta.note and r > b > g


@pytest.mark.parametrize(
    "brand_key", ["brand: brand/acme.yml", "brand: /brand/acme.yml", "brand:\n  light: brand/acme.yml\n  dark: x.yml"]
)
def test_a_quarto_project_names_its_brand_file_in_quarto_yml(brand_key: str, tmp_path: Path) -> None:
    project = tmp_path / "site"
    (project / "brand").mkdir(parents=True)
    _png(project / "assets" / "logo.png")
    (project / "_quarto.yml").write_text(f"project: {{type: website}}\n{brand_key}\n", encoding="utf-8")
    (project / "brand" / "acme.yml").write_text(
        "meta: {name: Acme}\nlogo: /assets/logo.png\ncolor: {primary: '#123456'}\ntypography: {base: DejaVu Sans}\n",
        encoding="utf-8",
    )
    for given in (project, project / "_quarto.yml"):  # the project folder, or its _quarto.yml
        fmt, why, file = detect_path(given)
        assert (fmt, file) == ("brand-yml", (project / "brand" / "acme.yml").resolve()) and "_quarto.yml" in why
    [result] = import_brand(project, tmp_path / "out")
    assert result.spec.name == "Acme" and [logo["variant"] for logo in _spec(result.out)["logos"]] == ["medium"]


@pytest.mark.parametrize("themes", ["", "light and dark", "dark"])
def test_a_brand_written_inside_quarto_yml_is_imported_from_there(themes: str, tmp_path: Path) -> None:
    project = tmp_path / "site"
    _png(project / "assets" / "logo.png")
    brand = "    meta: {name: Inline}\n    logo: /assets/logo.png\n    color: {primary: '#123456'}\n"
    brand += "    typography: {base: DejaVu Sans}\n"
    if themes == "light and dark":  # the light one is read, the dark one dropped and named
        brand = "  light:\n" + brand.replace("    ", "      ") + "  dark:\n    color: {background: '#000000'}\n"
    elif themes == "dark":  # a lone theme is the brand
        brand = "  dark:\n" + brand.replace("    ", "      ")
    else:
        brand = brand.replace("    ", "  ")
    (project / "_quarto.yml").write_text(f"project: {{type: website}}\nbrand:\n{brand}", encoding="utf-8")
    for given in (project, project / "_quarto.yml"):
        fmt, why, file = detect_path(given)
        assert (fmt, file.name) == ("brand-yml", "_quarto.yml") and "written inside _quarto.yml" in why
    [result] = import_brand(project, tmp_path / "out")
    assert result.spec.name == "Inline" and result.spec.palette.colors[0].hex == "#123456"
    assert [logo["variant"] for logo in _spec(result.out)["logos"]] == ["medium"]  # /assets/… from the project
    dropped = _entries(result, "dropped")
    assert [k for k in dropped if k.startswith("brand.")] == (["brand.dark"] if themes == "light and dark" else [])
    assert "project" not in dropped  # Quarto's own settings are not brand data


@pytest.mark.parametrize(
    ("brand_key", "said"),
    [
        ("brand: ../outside/_brand.yml", "may not contain '..'"),
        ("brand: brand/missing.yml", "does not exist"),
        ("format: html", "without a brand:"),
    ],
)
def test_a_quarto_brand_that_cannot_be_followed_says_why(brand_key: str, said: str, tmp_path: Path) -> None:
    from brandkit.spec.formats import FormatDetectionError

    (tmp_path / "_quarto.yml").write_text(f"project: {{type: website}}\n{brand_key}\n", encoding="utf-8")
    with pytest.raises(FormatDetectionError, match=said):
        detect_path(tmp_path)


# --- Adobe Swatch Exchange (.ase): the palette brand guides ship for Adobe's apps --------------------------------


def _ase(entries: list[tuple[str, Any]]) -> bytes:
    """An ASE file written from Adobe's layout (big-endian): ``("group", name)``, ``("end", None)`` or
    ``("colour", (name, model, values, kind))``."""
    import struct

    def name(text: str) -> bytes:
        units = (text + "\x00").encode("utf-16-be")
        return struct.pack(">H", len(units) // 2) + units

    blocks = []
    for kind, body in entries:
        if kind == "group":
            payload, code = name(body), 0xC001
        elif kind == "end":
            payload, code = b"", 0xC002
        else:
            label, model, values, colour_kind = body
            payload = name(label) + model.encode("ascii") + struct.pack(f">{len(values)}fH", *values, colour_kind)
            code = 0x0001
        blocks.append(struct.pack(">HI", code, len(payload)) + payload)
    return b"ASEF" + struct.pack(">HHI", 1, 0, len(blocks)) + b"".join(blocks)


ASE_ENTRIES: list[tuple[str, Any]] = [
    ("colour", ("[Registration]", "CMYK", (1, 1, 1, 1), 0)),
    ("group", "Primary"),
    ("colour", ("Harbour Blue", "RGB ", (0x1E / 255, 0x40 / 255, 0xAF / 255), 0)),
    ("end", None),
    ("colour", ("Paper background", "Gray", (1.0,), 2)),
    ("colour", ("Ink text", "LAB ", (0.2, 0.0, 0.0), 2)),
    ("colour", ("PANTONE 1505 C", "CMYK", (0.0, 0.56, 0.9, 0.0), 1)),
]


def test_an_adobe_swatch_file_imports_as_the_palette(tmp_path: Path) -> None:
    (tmp_path / "Harbour Colours.ase").write_bytes(_ase(ASE_ENTRIES))
    fmt, why, _ = detect_path(tmp_path / "Harbour Colours.ase")
    assert fmt == "ase" and "ASEF" in why
    [result] = import_brand(tmp_path / "Harbour Colours.ase", tmp_path / "out", headline_font="DejaVu Sans")
    spec = _spec(result.out)
    roles = {c["role"]: (c["name"], c["hex"]) for c in spec["palette"]["colors"]}
    assert roles["primary"] == ("Harbour Blue", "#1E40AF")  # the role from its group's name; RGB read exactly
    assert roles["background"] == ("Paper background", "#FFFFFF") and roles["text"][1] == "#303030"  # L 20, D50
    allowed = {c["name"]: c["hex"] for c in spec["palette"].get("allowed", [])}
    assert allowed["PANTONE 1505 C"] == "#FF701A"  # CMYK 0 56 90 0, naively: (1 - c)(1 - k)
    notes = [e.note for e in result.report.entries if e.kind == "approximated" and e.source == "PANTONE 1505 C"]
    assert any("without a print profile" in note for note in notes)
    assert "Illustrator swatch" in _entries(result, "dropped")["[Registration]"]
    assert "a swatch file carries no logo" in " ".join(e.note for e in result.report.entries if e.kind == "decide")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (_ase(ASE_ENTRIES)[:-7], "runs past the end of the file"),
        (b"ASEF" + (2).to_bytes(2, "big") + bytes(6), "ASE version 2"),
        (_ase([("colour", ("Odd", "HSB ", (0.1, 0.2, 0.3), 0))]), "unknown colour model 'HSB '"),
        (_ase([("group", "Empty"), ("end", None)]), "holds no colour"),
    ],
)
def test_a_swatch_file_that_cannot_be_read_says_where(data: bytes, said: str, tmp_path: Path) -> None:
    (tmp_path / "broken.ase").write_bytes(data)
    with pytest.raises(SpecError, match=said) as info:
        import_brand(tmp_path / "broken.ase", tmp_path / "out", headline_font="DejaVu Sans")
    assert str(tmp_path / "broken.ase") in info.value.message and not (tmp_path / "out").exists()


def test_a_swatch_file_given_as_a_spec_says_what_it_is(tmp_path: Path) -> None:
    from brandkit.spec.loader import load_spec

    (tmp_path / "colours.ase").write_bytes(_ase(ASE_ENTRIES))
    with pytest.raises(SpecError, match=r"it is Adobe Swatch Exchange \(\.ase\): convert it with brandkit spec import"):
        load_spec(tmp_path / "colours.ase")


# --- a web team's stylesheet: CSS custom properties, Tailwind's @theme, Sass and Less variables ------------------

BRAND_CSS = """/* exported from the design system */
@import url("https://fonts.googleapis.com/css2?family=Inter");
@theme {
  --color-brand-primary: #0a4bb7;
  --color-brand-secondary: oklch(0.7 0.12 200);
  --color-background: white;
  --color-text: rgb(20 20 20);
  --color-accent: var(--color-brand-secondary, #123456);
  --font-heading: "DejaVu Serif", Georgia, serif;
  --font-body: 'DejaVu Sans', system-ui, sans-serif;
  --font-weight-bold: bold;
  --font-size-base: 1rem;
  --radius-md: 8px;
}
@media (prefers-color-scheme: dark) {
  :root { --color-background: #0b0b0f; --color-text: #f5f5f5; }
}
.button { color: var(--color-brand-primary); background: url(//cdn.example/x.png); }
"""


def test_css_custom_properties_import_as_the_brand(tmp_path: Path) -> None:
    (tmp_path / "brand.css").write_text(BRAND_CSS, encoding="utf-8")
    assert detect_path(tmp_path / "brand.css")[0] == "css"
    [result] = import_brand(tmp_path / "brand.css", tmp_path / "out")
    spec = _spec(result.out)
    roles = {c["role"]: c["hex"] for c in spec["palette"]["colors"]}
    assert roles["primary"] == "#0A4BB7" and roles["background"] == "#FFFFFF" and roles["text"] == "#141414"
    assert roles["secondary"] == "#00B4BC"  # oklch, gamut-mapped and reported
    assert set(spec["palette"]["modes"]["dark"].values()) == {"#0B0B0F", "#F5F5F5"}  # the dark media query
    assert spec["typography"]["headline"]["family"] == "DejaVu Serif"
    assert spec["typography"]["body"]["family"] == "DejaVu Sans"
    mapped = _entries(result, "mapped")
    assert "alias of Brand Secondary" in mapped["color.accent"]  # var() with a fallback
    assert not any("pre-2025" in note for note in _entries(result, "approximated").values())
    assert "2 untyped token(s)" in _entries(result, "dropped")  # the font size and the radius, counted


def test_sass_variables_import_with_their_aliases(tmp_path: Path) -> None:
    (tmp_path / "_vars.scss").write_text(
        "// brand\n$brand-primary: #E4002B !default;\n$ink: #1B1B1B;\n$background: $white;\n$white: #FFFFFF;\n"
        "$text: $ink;\n$font-family-heading: 'DejaVu Serif', serif;\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "_vars.scss", tmp_path / "out")
    roles = {c["role"]: c["hex"] for c in _spec(result.out)["palette"]["colors"]}
    assert roles == {"primary": "#E4002B", "background": "#FFFFFF", "text": "#1B1B1B"}


def test_a_role_named_before_the_word_colour_is_that_role(tmp_path: Path) -> None:
    """The commonest stylesheet names put the role first: ``--primary-color``, ``--text-color``, ``--bg-color``.
    Each plays its role (before: ``primary.color`` was read as a colour named 'color' — no role; the accent, text
    and background became allowed colours, and the first colour was made primary only by its place)."""
    (tmp_path / "site.css").write_text(
        ":root {\n  --accent-color: #FF6B35;\n  --primary-color: #0072DB;\n  --text-color: #111111;\n"
        "  --bg-colour: #FAFAFA;\n  --font-family: 'DejaVu Sans';\n}\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "site.css", tmp_path / "out")
    roles = {c["role"]: c["hex"] for c in _spec(result.out)["palette"]["colors"]}
    assert roles == {"primary": "#0072DB", "accent": "#FF6B35", "text": "#111111", "background": "#FAFAFA"}
    assert not any("made primary" in e.note for e in result.report.entries)


def test_with_no_primary_marked_the_first_clear_brand_colour_is_made_primary(tmp_path: Path) -> None:
    """No colour is marked primary: the first that is clearly a colour and plays no background, text, border or
    status role is made primary, to decide (before: the first role colour — here the near-white background, so
    prompts asked for a near-white "primary"); the file's order wins over chroma (GOV.UK's blue before its
    yellow); a tinted grey (slate, chroma under 15) is passed over; all neutral: the first, as before."""
    (tmp_path / "a.css").write_text(
        ":root { --background: #F4F6F9; --foreground: #0F172A; --border: #CBD5E1; --success: #16A34A;\n"
        "  --accent: #DC2626; --font-sans: 'DejaVu Sans'; }\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "a.css", tmp_path / "a")
    [primary] = [c for c in result.spec.palette.colors if c.role.value == "primary"]
    assert primary.hex == "#DC2626"
    assert any("was made primary" in e.note for e in result.report.entries if e.kind == "decide")
    (tmp_path / "b.css").write_text(
        ":root { --slate: #334155; --gov-blue: #1D70B8; --gov-yellow: #FFDD00; --font-sans: 'DejaVu Sans'; }\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "b.css", tmp_path / "b")
    assert [c.hex for c in result.spec.palette.colors] == ["#1D70B8"]
    (tmp_path / "c.css").write_text(
        ":root { --paper: #FAFAFA; --ink: #111111; --font-sans: 'DejaVu Sans'; }\n", encoding="utf-8"
    )
    [result] = import_brand(tmp_path / "c.css", tmp_path / "c")
    assert [c.hex for c in result.spec.palette.colors] == ["#FAFAFA"]


def test_the_brand_colour_is_the_primary_and_a_brand_scale_gives_its_purest_step(tmp_path: Path) -> None:
    """Tailwind 4's ``--color-brand`` is the brand's colour: primary (before: an allowed colour, and the accent made
    primary). A scale named for a role and no single colour (``--color-brand-50`` … ``-950``, Tailwind's shape)
    gives the role its most chromatic step, reported; its palest step is never the primary (before: the accent or,
    without one, the first step — a near-white — was made primary)."""
    (tmp_path / "one.css").write_text(
        "@theme {\n  --color-accent: #FF6B35;\n  --color-brand: #0072DB;\n  --font-sans: 'DejaVu Sans';\n}\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "one.css", tmp_path / "one")
    roles = {c["role"]: c["hex"] for c in _spec(result.out)["palette"]["colors"]}
    assert roles == {"primary": "#0072DB", "accent": "#FF6B35"}

    lightness = {50: 0.97, 100: 0.93, 200: 0.88, 300: 0.81, 400: 0.71, 500: 0.62, 600: 0.55, 700: 0.49, 800: 0.42}
    chroma = {50: 0.02, 100: 0.04, 200: 0.07, 300: 0.11, 400: 0.16, 500: 0.2, 600: 0.19, 700: 0.16, 800: 0.13}
    steps = "".join(f"  --color-brand-{n}: oklch({lightness[n]} {chroma[n]} 255);\n" for n in lightness)
    danger = "".join(f"  --color-danger-{n}: oklch({lightness[n]} {chroma[n]} 25);\n" for n in lightness)
    (tmp_path / "scale.css").write_text(
        f"@theme {{\n{steps}{danger}  --color-ink: #0B1020;\n  --font-sans: 'DejaVu Sans';\n}}\n", encoding="utf-8"
    )
    [result] = import_brand(tmp_path / "scale.css", tmp_path / "scale")
    spec = _spec(result.out)
    assert [c["role"] for c in spec["palette"]["colors"]] == ["primary"]  # a status scale plays no role
    [primary] = [c for c in spec["palette"]["colors"] if c["role"] == "primary"]
    assert primary["name"] == "Brand 500"
    allowed = {c["name"] for c in spec["palette"].get("allowed", [])}
    assert "Brand 50" not in {c["name"] for c in spec["palette"]["colors"]} and "Brand 800" in allowed
    note = _entries(result, "approximated")["color.brand"]
    assert "9 steps (50–800)" in note and "most saturated step, 500" in note

    explicit = steps + "  --color-brand: #5B21B6;\n"  # a colour of its own wins over the scale
    (tmp_path / "both.css").write_text(f"@theme {{\n{explicit}  --font-sans: 'DejaVu Sans';\n}}\n", encoding="utf-8")
    [result] = import_brand(tmp_path / "both.css", tmp_path / "both")
    [primary] = [c for c in _spec(result.out)["palette"]["colors"] if c["role"] == "primary"]
    assert primary["hex"] == "#5B21B6"


def test_a_swatch_group_named_brand_colours_gives_no_swatch_a_role(tmp_path: Path) -> None:
    """In a swatch file "Brand colours" is a group's name for every swatch in it, not one colour's role: no swatch
    plays a role, the first (clearly a colour) is made primary and the report asks to decide."""
    entries: list[tuple[str, Any]] = [
        ("group", "Brand colours"),
        ("colour", ("Sand", "RGB ", (0.9, 0.85, 0.7), 0)),
        ("colour", ("Harbour Blue", "RGB ", (0x1E / 255, 0x40 / 255, 0xAF / 255), 0)),
        ("end", None),
    ]
    (tmp_path / "swatches.ase").write_bytes(_ase(entries))
    [result] = import_brand(tmp_path / "swatches.ase", tmp_path / "out", headline_font="DejaVu Sans")
    assert [c["name"] for c in _spec(result.out)["palette"]["colors"]] == ["Sand"]
    assert any("made primary" in e.note for e in result.report.entries if e.kind == "decide")


SHADCN_LIKE_CSS = """@import "tailwindcss";
@custom-variant dark (&:is(.dark *));
@theme inline {
  --color-background: var(--background);
  --color-foreground: var(--foreground);
  --color-primary: var(--primary);
  --color-muted: var(--muted);
  --font-sans: var(--font-geist-sans);
  --font-mono: var(--font-mono);
  --font-display: var(--font-brand, "DejaVu Serif", serif);
  --color-chart-1: var(--chart-1, oklch(0.646 0.222 41.116));
}
:root {
  --background: oklch(1 0 0);
  --foreground: oklch(0.145 0 0);
  --primary: oklch(0.546 0.245 262.881);
  --muted: oklch(0.97 0 0);
}
.dark {
  --background: oklch(0.145 0 0);
  --primary: oklch(0.623 0.214 259.815);
}
@layer base { body { @apply bg-background text-foreground; } }
"""


def test_a_variable_set_elsewhere_is_dropped_or_read_from_its_fallback(tmp_path: Path) -> None:
    """A shadcn/ui + Next.js stylesheet: ``@theme inline`` maps Tailwind's names onto ``:root``'s, and
    ``--font-sans: var(--font-geist-sans)`` names a variable next/font sets on the page at run time. That one is
    dropped and named (before, the whole import stopped: "alias to {font.geist.sans}, which is not a token"); a
    ``var()`` to an undeclared variable with a fallback is its fallback, as in a browser (here a font stack and a
    colour whose fallback holds parentheses)."""
    (tmp_path / "globals.css").write_text(SHADCN_LIKE_CSS, encoding="utf-8")
    [result] = import_brand(tmp_path / "globals.css", tmp_path / "out")
    spec = _spec(result.out)
    roles = {c["role"]: c["hex"] for c in spec["palette"]["colors"]}
    assert roles == {"background": "#FFFFFF", "text": "#0A0A0A", "primary": "#155DFC", "neutral": "#F5F5F5"}
    assert spec["palette"]["modes"]["dark"] == {"Background": "#0A0A0A", "Primary": "#2B7FFF"}
    assert spec["typography"]["headline"]["family"] == "DejaVu Serif"  # --font-display's fallback stack
    assert {c["name"]: c["hex"] for c in spec["palette"]["allowed"]}["Chart 1"] == "#F54900"  # gamut-mapped
    dropped = _entries(result, "dropped")
    assert "var(--font-geist-sans) names a variable globals.css does not declare" in dropped["--font-sans"]
    assert "names itself (in Tailwind 4's @theme inline" in dropped["--font-mono"]  # before: "alias cycle"


def test_a_tailwind_3_theme_s_bare_channels_are_its_colours(tmp_path: Path) -> None:
    """Tailwind 3 themes keep channels bare for ``hsl(var(--primary))`` in tailwind.config.js — shadcn/ui's
    ``--primary: 221.2 83.2% 53.3%`` — or ``rgb(var(--color-primary) / <alpha-value>)`` (Tailwind's own docs:
    ``--color-primary: 255 115 179``). They are read as the colours they make, reported (before: not colours, and
    the file "defines no colour"); three bare numbers under a name that says nothing of colour stay a number."""
    (tmp_path / "globals.css").write_text(
        "@tailwind base;\n@layer base {\n  :root {\n    --background: 0 0% 100%;\n    --foreground: 222.2 84% 4.9%;\n"
        "    --primary: 221.2 83.2% 53.3%;\n    --color-accent: 255 115 179;\n    --grid-span: 1 2 3;\n"
        "    --radius: 0.5rem;\n  }\n  .dark { --primary: 217.2 91.2% 59.8%; }\n}\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "globals.css", tmp_path / "out", headline_font="DejaVu Sans")
    spec = _spec(result.out)
    roles = {c["role"]: c["hex"] for c in spec["palette"]["colors"]}
    assert roles == {"background": "#FFFFFF", "text": "#020817", "primary": "#2563EB", "accent": "#FF73B3"}
    assert spec["palette"]["modes"]["dark"] == {"Primary": "#3B82F6"}
    notes = _entries(result, "approximated")
    assert "bare channels read as hsl(221.2 83.2% 53.3%)" in notes["--primary"]
    assert "bare channels read as rgb(255 115 179)" in notes["--color-accent"]
    assert "--grid-span" not in notes and "2 untyped token(s)" in _entries(result, "dropped")


def test_a_stylesheet_without_variables_says_so(tmp_path: Path) -> None:
    (tmp_path / "site.css").write_text("body { color: #333; }\n", encoding="utf-8")
    with pytest.raises(SpecError, match="no CSS custom properties or Sass/Less variables"):
        import_brand(tmp_path / "site.css", tmp_path / "out")


def test_a_url_in_a_stylesheet_is_not_a_comment() -> None:
    from brandkit.spec.importers.css_vars import declarations

    css = (
        ".hero { background: url(//cdn.example/a.png); }\n"
        ".dark { --color-text: #f5f5f5; }\n:root { --color-text: #111; }\n"
    )
    assert declarations(css) == [("color-text", "#f5f5f5", "dark"), ("color-text", "#111", None)]

    scss = "$primary: #E4002B; // the brand red\n$bg: url(//cdn.example/a.png); // not a colour\n"
    assert declarations(scss, line_comments=True) == [
        ("primary", "#E4002B", None),
        ("bg", "url(//cdn.example/a.png)", None),
    ]


def test_a_dark_first_stylesheet_keeps_both_themes(tmp_path: Path) -> None:
    """A site whose unconditioned :root is dark and whose light theme is conditional —
    ``@media (prefers-color-scheme: light) { :root:not([data-theme="dark"]) {…} }`` and ``[data-theme="light"]``:
    ``:not([data-theme="dark"])`` is no dark theme (before, it was read as one, and the light values landed in
    both the default and the dark mode: the dark theme was lost). The light theme is the default, the values it
    replaces the dark mode."""
    (tmp_path / "site.css").write_text(
        ":root { color-scheme: dark; --bg: #0c0d0f; --ink: #eceee8; --signal: #c8ff4d; --font-sans: 'DejaVu Sans'; }\n"
        '@media (prefers-color-scheme: light) {\n  :root:not([data-theme="dark"]) { --bg: #f4f5f1; --ink: #0c0d0f; '
        "--signal: #4a6400; }\n}\n"
        ':root[data-theme="light"] { --bg: #f4f5f1; --ink: #0c0d0f; --signal: #4a6400; }\n',
        encoding="utf-8",
    )
    from brandkit.spec.importers.css_vars import declarations

    assert [theme for _, _, theme in declarations((tmp_path / "site.css").read_text())][4:10] == ["light"] * 6
    [result] = import_brand(tmp_path / "site.css", tmp_path / "out")
    roles = {c.role.value: c.hex for c in result.spec.palette.colors}
    assert roles == {"background": "#F4F5F1", "primary": "#4A6400"}
    assert result.spec.palette.modes["dark"] == {"Bg": "#0C0D0F", "Signal": "#C8FF4D"}


def test_a_rule_that_declares_its_colour_scheme_is_that_theme(tmp_path: Path) -> None:
    """DaisyUI 5 defines its themes in CSS — ``@plugin "daisyui/theme" { name: "harbour-dark"; prefersdark: true;
    --color-primary: … }`` — and any rule may say ``color-scheme: dark``: such a block is the dark theme (before,
    the second theme's values overwrote the first's: the dark blue became the primary). ``--color-base-100`` and
    ``--color-base-content`` are DaisyUI's background and text. A rule's last declaration needs no ';'."""
    from brandkit.spec.importers.css_vars import declarations

    (tmp_path / "app.css").write_text(
        '@import "tailwindcss";\n@plugin "daisyui/theme" {\n  name: "harbour";\n  default: true;\n'
        "  --color-base-100: #ffffff;\n  --color-base-content: #18181b;\n  --color-primary: #006de2;\n"
        "  --font-sans: 'DejaVu Sans';\n}\n"
        '@plugin "daisyui/theme" {\n  name: "harbour-dark";\n  prefersdark: true;\n  --color-base-100: #10171f;\n'
        "  --color-primary: #59a0f9;\n}\n",
        encoding="utf-8",
    )
    [result] = import_brand(tmp_path / "app.css", tmp_path / "out")
    roles = {c.role.value: c.hex for c in result.spec.palette.colors}
    assert roles == {"background": "#FFFFFF", "text": "#18181B", "primary": "#006DE2"}
    assert result.spec.palette.modes["dark"] == {"Base 100": "#10171F", "Primary": "#59A0F9"}
    assert declarations(".x { color-scheme: dark; --a: #000 }\n.y { --b: #fff }") == [
        ("a", "#000", "dark"),
        ("b", "#fff", None),
    ]


def test_colour_values_without_a_type_are_named_not_reported_as_no_colour(tmp_path: Path) -> None:
    # as Neat Pagos' colors.tokens.json is written: `$value` hex strings and no `$type` anywhere. The format forbids
    # guessing a type from a value, so the import still refuses — but says why and how to fix it, where it said
    # "defines no colour" before
    doc = {"primary": {"5": {"$value": "#F5F8FE"}, "100": {"$value": "#3369F0"}}, "space": {"1": {"$value": "4px"}}}
    (tmp_path / "colors.tokens.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(
        SpecError, match=r"2 token\(s\) without a \$type hold colour values \(primary\.5, primary\.100\)"
    ):
        import_brand(tmp_path / "colors.tokens.json", tmp_path / "out")
    doc["primary"]["$type"] = "color"  # the fix the message gives
    (tmp_path / "colors.tokens.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SpecError, match="headline"):  # past the colours: now it lacks a headline font
        import_brand(tmp_path / "colors.tokens.json", tmp_path / "out")
    [result] = import_brand(tmp_path / "colors.tokens.json", tmp_path / "out", headline_font="DejaVu Sans")
    palette = _spec(result.out)["palette"]
    assert {c["hex"] for c in palette["colors"] + palette.get("allowed", [])} == {"#F5F8FE", "#3369F0"}


def test_a_monochrome_brand_imports_to_a_spec_its_own_images_pass(tmp_path: Path) -> None:
    # as felixmil.com's and apaquarto's brand files are written: black and greys only. The default neutral limit
    # (≤ 90 % grey/black/white pixels) made every image in the brand's own colours fail the palette check, three
    # attempts each ("bring in the brand colours Black #000000")
    result = _import_yml(
        tmp_path,
        "meta: {name: Mono}\ncolor:\n  palette: {black: '#000000', dark-gray: '#333333'}\n"
        "  primary: black\n  foreground: dark-gray\n  background: '#FFFFFF'\n",
    )
    assert _spec(result.out)["palette"]["neutrals"] == {"max_share": 1.0}
    assert "every brand colour is neutral" in _entries(result, "approximated")["palette"]
    kit = brandkit.BrandKit(result.out, provider="local", checks=["palette"])
    asset = kit.generate({"brief": "A desk by a window", "headline": "Plain and clear", "format": "square"})
    assert asset.report.passed and len(asset.attempts) == 1


def test_a_brand_whose_primary_is_black_renders_offline_in_its_colour(tmp_path: Path) -> None:
    # as AnhaltAI's brand file is written: primary Base Black on a white ground, the colour in secondary/accent. The
    # local renderer filled its large disc with the primary, the image was 91 % neutral and failed three attempts
    result = _import_yml(
        tmp_path,
        "meta: {name: Anhalt}\ncolor:\n  palette: {base-black: '#000000', technic-blue: '#12017C', red: '#D40009'}\n"
        "  primary: base-black\n  secondary: technic-blue\n  tertiary: red\n  background: '#FFFFFF'\n",
    )
    assert "neutrals" not in _spec(result.out)["palette"]  # a colour in the palette: the neutral limit stays
    kit = brandkit.BrandKit(result.out, provider="local", checks=["palette"])
    asset = kit.generate(
        {"brief": "A team at work", "headline": "Data you can trust", "cta": "Learn more", "format": "square"}
    )
    assert asset.report.passed and len(asset.attempts) == 1
    pixels = np.asarray(Image.open(io.BytesIO(asset.data)).convert("RGB")).reshape(-1, 3)
    shares = {hex_: float(np.all(pixels == hex_to_rgb(hex_), axis=1).mean()) for hex_ in ("#12017C", "#000000")}
    assert shares["#12017C"] > 0.05 and shares["#000000"] > 0.005  # the blue leads, the black is still there


SHADCN_BLUE = """@layer base {
  :root {
    --background: 0 0% 100%;
    --foreground: 222.2 84% 4.9%;
    --primary: 221.2 83.2% 53.3%;
    --primary-foreground: 210 40% 98%;
    --secondary: 210 40% 96.1%;
    --muted: 210 40% 96.1%;
    --muted-foreground: 215.4 16.3% 46.9%;
    --accent: 210 40% 96.1%;
    --destructive: 0 84.2% 60.2%;
    --border: 214.3 31.8% 91.4%;
    --font-sans: 'DejaVu Sans';
  }
}
"""
"""shadcn/ui's Blue theme as its generator writes ``globals.css`` (white, slate greys and one blue)."""


@pytest.mark.parametrize("fmt", ["square", "portrait", "landscape", "banner"])
def test_a_ui_theme_of_one_brand_colour_renders_offline_in_it(tmp_path: Path, fmt: str) -> None:
    """A UI theme's palette — one brand colour among neutrals — made images on a white page with a small blue disc:
    92 % neutral pixels, over the 90 % limit, and the square and banner failed all three attempts offline. The local
    renderer now draws its imagery on a card of the brand colour when the image would be over the limit."""
    (tmp_path / "globals.css").write_text(SHADCN_BLUE, encoding="utf-8")
    [result] = import_brand(tmp_path / "globals.css", tmp_path / "out", headline_font="DejaVu Sans")
    kit = brandkit.BrandKit(result.out, provider="local", checks=["palette"])
    asset = kit.generate({"brief": "A laptop on a desk", "headline": "Ship faster", "cta": "Start free", "format": fmt})
    assert asset.report.passed and len(asset.attempts) == 1
    details = asset.report.checks["palette"].details
    assert details["neutral_share"] <= details["neutral_max_share"]
    pixels = np.asarray(Image.open(io.BytesIO(asset.data)).convert("RGB")).reshape(-1, 3)
    blue = float(np.all(pixels == hex_to_rgb("#2563EB"), axis=1).mean())
    assert blue > 0.05  # the brand colour is what brings the image under the limit


def test_a_colourful_brand_without_photos_keeps_its_imagery_on_the_page(tmp_path: Path) -> None:
    """The card is drawn only when the image would be over the neutral limit: a brand whose imagery brings enough
    colour keeps its disc on the page's ground (the page colour still fills the hero box's corners)."""
    result = _import_yml(
        tmp_path,
        "meta: {name: Bright}\ncolor:\n  palette: {red: '#D40009', gold: '#F2B705', teal: '#0F8B8D'}\n"
        "  primary: red\n  secondary: gold\n  tertiary: teal\n  background: '#FFFFFF'\n",
    )
    kit = brandkit.BrandKit(result.out, provider="local", checks=["palette"])
    prompt = kit.compile({"brief": "A desk", "headline": "Hello", "format": "square"})
    asset = kit.generate({"brief": "A desk", "headline": "Hello", "format": "square"})
    assert asset.report.passed and len(asset.attempts) == 1
    hero = prompt.layout.hero_box
    assert hero is not None
    pixels = np.asarray(Image.open(io.BytesIO(asset.data)).convert("RGB"))
    corner = pixels[hero.y0 + 2, hero.x0 + 2]
    assert tuple(int(v) for v in corner) == (255, 255, 255)


def _ink_logo(path: Path, ink: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGBA", (240, 80), (0, 0, 0, 0))
    image.paste((*ink, 255), (10, 10, 230, 70))
    image.save(path)


def test_the_logos_beside_a_stylesheet_are_for_the_ground_their_ink_is_made_for(tmp_path: Path) -> None:
    """'logo-dark' is the dark-ink logo in some brand kits and the dark-mode (white) one in others: the name alone
    put a dark-ink 'logo-dark.png' on dark grounds. The ink decides; the name only when the ink is mid-tone."""
    (tmp_path / "globals.css").write_text(SHADCN_BLUE, encoding="utf-8")
    _ink_logo(tmp_path / "logos" / "logo-dark.png", (17, 17, 17))  # dark ink: for light grounds
    _ink_logo(tmp_path / "logos" / "logo-light.png", (255, 255, 255))  # white ink: for dark grounds
    _ink_logo(tmp_path / "logos" / "mark.png", (37, 99, 235))  # a mid-tone blue: neither, the name (none): light
    _ink_logo(tmp_path / "logos" / "mark-inverse.png", (37, 99, 235))  # neither: the name says inverse
    [result] = import_brand(tmp_path / "globals.css", tmp_path / "out", headline_font="DejaVu Sans")
    grounds = {logo["variant"]: logo["backgrounds"] for logo in _spec(result.out)["logos"]}
    assert grounds == {"logo-dark": ["light"], "logo-light": ["dark"], "mark": ["light"], "mark-inverse": ["dark"]}
    notes = _entries(result, "approximated")
    assert notes["logos/logo-dark.png"].endswith("for light backgrounds (its ink is dark, whatever its name says)")
    assert notes["logos/mark-inverse.png"].endswith("for dark backgrounds (from its name)")


def test_a_brand_yml_logo_without_a_theme_is_for_the_ground_its_ink_is_made_for(tmp_path: Path) -> None:
    """brand.yml's ``logo: {medium: file}`` says no light/dark: a white mark was set for light grounds (invisible on
    the page, the logo check failing every attempt); now for dark, and such a brand's images get the dark ground."""
    _ink_logo(tmp_path / "logos" / "mark.png", (255, 255, 255))
    result = _import_yml(
        tmp_path,
        "meta: {name: Nightly}\nlogo: {medium: logos/mark.png}\n"
        "color:\n  palette: {blue: '#2563EB'}\n  primary: blue\n  background: '#0B1020'\n",
    )
    [logo] = _spec(result.out)["logos"]
    assert logo["backgrounds"] == ["dark"]
    assert _entries(result, "approximated")["logo.medium"].endswith("no light/dark given: for dark (its ink is light)")
    kit = brandkit.BrandKit(result.out, provider="local", checks=["logo"])
    assert kit.compile({"brief": "A desk", "headline": "Hello", "format": "square"}).background_tone == "dark"


def test_a_system_ui_font_stack_takes_the_first_of_its_families_found(tmp_path: Path) -> None:
    # as Airtime's typography tokens are written: a stack that begins with the platform's UI font. Its first entry
    # was taken for the brand's family ("font family '-apple-system' not found"); now the stack's named families
    # stand in, in order, for a platform UI font — and only for one: a stack led by a family keeps it
    assert brand_family(font_stack("-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, sans-serif")) == (
        "Segoe UI",
        ("Roboto",),
    )
    assert brand_family(font_stack("'Brand Sans', Roboto, sans-serif")) == ("Brand Sans", ())
    assert brand_family(font_stack("system-ui, sans-serif")) == (None, ())
    doc = {
        "color": {"$type": "color", "brand": {"$value": "#0B5FFF"}, "ink": {"$value": "#111111"}},
        "font": {
            "$type": "fontFamily",
            "heading": {"$value": "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'DejaVu Sans', sans-serif"},
            "body": {"$value": ["system-ui", "DejaVu Serif", "serif"]},
        },
    }
    (tmp_path / "brand.tokens.json").write_text(json.dumps(doc), encoding="utf-8")
    [result] = import_brand(tmp_path / "brand.tokens.json", tmp_path / "out", download_fonts="never")
    typography = _spec(result.out)["typography"]
    assert typography["headline"]["family"] == "DejaVu Sans" and typography["body"]["family"] == "DejaVu Serif"
    notes = [e.note for e in result.report.entries if e.kind == "approximated" and e.source == "font.heading"]
    assert any("asks for the platform's UI font (-apple-system)" in note for note in notes)
    assert any("'DejaVu Sans' resolved to" in n and "standing in for 'Segoe UI' (not found)" in n for n in notes)
    doc["font"]["heading"]["$value"] = "'Brand Sans', 'DejaVu Sans', sans-serif"  # the brand's own: never replaced
    (tmp_path / "brand.tokens.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FontNotFoundError, match="'Brand Sans' not found"):
        import_brand(tmp_path / "brand.tokens.json", tmp_path / "out2", download_fonts="never")


def test_the_colour_marked_primary_stays_primary_when_it_plays_another_role_first(tmp_path: Path) -> None:
    # as palaeoverse's brand file is written: `background: light-blue` before `primary: light-blue`. The primary
    # became a semantic role, "no colour is marked primary" was reported, and an export read back lost a role
    result = _import_yml(
        tmp_path,
        "meta: {name: Palaeo}\ncolor:\n"
        "  palette: {light-blue: '#BFE0E2', dark-green: '#0D725A', dark-grey: '#575756'}\n"
        "  background: light-blue\n  foreground: dark-grey\n  primary: light-blue\n  secondary: dark-green\n",
    )
    palette = _spec(result.out)["palette"]
    assert {c["name"]: c["role"] for c in palette["colors"]}["Light Blue"] == "primary"
    assert palette["roles"] == {"foreground": "Dark Grey", "background": "Light Blue"}
    assert not any(e.kind == "decide" and "primary" in e.target for e in result.report.entries)
    from brandkit.spec.importers.export import export_spec
    from brandkit.spec.loader import load_spec

    export_spec(load_spec(result.out), tmp_path / "yml", "brand-yml")
    [back] = import_brand(tmp_path / "yml", tmp_path / "back")
    assert _spec(back.out)["palette"] == palette  # the round trip keeps every role


def test_the_cta_pill_is_not_drawn_in_the_colour_of_its_ground(tmp_path: Path) -> None:
    # as Posit's brand file is written: its first accent is Off White #F3F6F8, on a white panel — the pill that
    # carried the CTA was invisible (ΔE00 ≈ 2). A pill within the palette's tolerance of its ground is the same
    # colour by the spec's own measure: the next accent that is not is used
    result = _import_yml(
        tmp_path,
        "meta: {name: Posit}\ncolor:\n  palette: {blue: '#447099', off-white: '#F3F6F8', green: '#72994E'}\n"
        "  primary: blue\n  tertiary: off-white\n  success: green\n  background: '#FFFFFF'\n  foreground: '#404041'\n",
    )
    accents = [c["name"] for c in _spec(result.out)["palette"]["colors"] if c["role"] == "accent"]
    assert accents == ["Off White", "Green"]  # the brand's order: Off White first
    kit = brandkit.BrandKit(result.out, provider="local", checks=["contrast"])
    asset = kit.generate({"brief": "A team at work", "headline": "Data you can trust", "cta": "Learn more"})
    pixels = np.asarray(Image.open(io.BytesIO(asset.data)).convert("RGB"))
    copy_area = pixels[: pixels.shape[0] // 2].reshape(-1, 3)  # headline and CTA; the imagery is below
    share = {hex_: float(np.all(copy_area == hex_to_rgb(hex_), axis=1).mean()) for hex_ in ("#72994E", "#F3F6F8")}
    assert share["#72994E"] > 0.01 and share["#F3F6F8"] == 0  # a green pill, no off-white one
    assert asset.report.passed  # and its label is legible on it
