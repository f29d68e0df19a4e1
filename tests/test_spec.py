"""Brand spec loading: validation errors, asset path safety, fingerprints, size rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

import brandkit
from brandkit.errors import SpecError
from brandkit.spec.sizes import rules_for

ROOT = Path(__file__).resolve().parents[1]


def _copy_brand(tmp_path: Path, name: str = "northwind") -> Path:
    dest = tmp_path / name
    shutil.copytree(ROOT / "brand_specs" / name, dest)
    return dest


def _edit(folder: Path, change: dict[str, object]) -> None:
    path = folder / "brand.yaml"
    data = yaml.safe_load(path.read_text())
    for dotted, value in change.items():
        node = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        last = parts[-1]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("name", ["northwind", "lumen-health"])
def test_example_brands_load_completely(name: str) -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / name)
    assert len(spec.palette.colors) >= 5
    assert {logo.variant for logo in spec.logos} >= {"primary", "mono", "inverse"}
    assert spec.forbidden.terms and spec.forbidden.competitors and spec.required.disclaimers
    assert len(spec.fingerprint) == 64
    for role in ("headline", "body", "cta"):
        font = getattr(spec.typography, role)
        assert (spec.root / font.file).is_file()  # type: ignore[operator]
        assert font.license and "Open Font License" in (spec.root / font.license).read_text()  # type: ignore[operator]


def test_two_brands_differ(northwind: brandkit.BrandSpec, lumen: brandkit.BrandSpec) -> None:
    assert {c.hex for c in northwind.palette.colors}.isdisjoint({c.hex for c in lumen.palette.colors})
    assert northwind.fingerprint != lumen.fingerprint


def test_load_from_file_and_folder_give_same_fingerprint() -> None:
    folder = ROOT / "brand_specs" / "northwind"
    assert brandkit.load_spec(folder).fingerprint == brandkit.load_spec(folder / "brand.yaml").fingerprint


def test_json_spec_loads(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    data = yaml.safe_load((folder / "brand.yaml").read_text())
    (folder / "brand.yaml").unlink()
    (folder / "spec.json").write_text(json.dumps(data))
    spec = brandkit.load_spec(folder / "spec.json")
    assert spec.name == "Northwind Coffee"


def test_fingerprint_is_stable_and_sees_asset_bytes(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    first = brandkit.load_spec(folder).fingerprint
    assert brandkit.load_spec(folder).fingerprint == first
    # key order and comments do not matter
    text = (folder / "brand.yaml").read_text()
    (folder / "brand.yaml").write_text("# a new comment\n" + text)
    assert brandkit.load_spec(folder).fingerprint == first
    # one changed byte in a logo does
    logo = folder / "logos" / "northwind-mono.png"
    from PIL import Image

    image = Image.open(logo).convert("RGBA")
    image.putpixel((0, 0), (1, 2, 3, 4))
    image.save(logo)
    assert brandkit.load_spec(folder).fingerprint != first


def test_error_names_file_field_and_value(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    _edit(folder, {"palette.colors.1.hex": "#GG0000"})
    with pytest.raises(SpecError) as info:
        brandkit.load_spec(folder)
    message = str(info.value)
    assert str(folder / "brand.yaml") in message
    assert "palette.colors[1].hex" in message
    assert "#GG0000" in message
    assert info.value.issues[0].location == "palette.colors[1].hex"


def test_unknown_field_is_rejected(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    _edit(folder, {"palette.colour_mode": "cmyk"})
    with pytest.raises(SpecError, match=r"palette\.colour_mode"):
        brandkit.load_spec(folder)


def test_every_issue_is_listed(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    _edit(folder, {"palette.tolerance": -3, "typography.min_contrast": 40, "name": ""})
    with pytest.raises(SpecError) as info:
        brandkit.load_spec(folder)
    locations = {issue.location for issue in info.value.issues}
    assert {"palette.tolerance", "typography.min_contrast", "name"} <= locations


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    path = folder / "brand.yaml"
    path.write_text(path.read_text() + "\nname: Other\n")
    with pytest.raises(SpecError, match="duplicate key 'name'"):
        brandkit.load_spec(folder)


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "brand.yaml"
    path.write_text("name: x\npalette: [unclosed\n")
    with pytest.raises(SpecError, match=r"line \d+"):
        brandkit.load_spec(path)


@pytest.mark.parametrize(
    "bad_path, message",
    [
        ("../northwind/logos/northwind-primary.png", "may not contain '..'"),
        ("/etc/hostname", "must be relative"),
        ("logos/missing.png", "does not exist"),
    ],
)
def test_asset_paths_stay_inside_the_folder(tmp_path: Path, bad_path: str, message: str) -> None:
    folder = _copy_brand(tmp_path)
    _edit(folder, {"logos.0.file": bad_path})
    with pytest.raises(SpecError, match=message) as info:
        brandkit.load_spec(folder)
    assert "logos[0].file" in str(info.value)


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    outside = tmp_path / "outside.png"
    shutil.copy(folder / "logos" / "northwind-primary.png", outside)
    (folder / "logos" / "link.png").symlink_to(outside)
    _edit(folder, {"logos.0.file": "logos/link.png"})
    with pytest.raises(SpecError, match="leads outside the spec folder"):
        brandkit.load_spec(folder)


def test_symlink_inside_the_folder_is_fine(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    (folder / "logos" / "alias.png").symlink_to(folder / "logos" / "northwind-primary.png")
    _edit(folder, {"logos.0.file": "logos/alias.png"})
    assert brandkit.load_spec(folder).logos[0].file == "logos/alias.png"


def test_font_that_is_not_a_font(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    (folder / "fonts" / "fake.ttf").write_bytes(b"not a font at all")
    _edit(folder, {"typography.headline.file": "fonts/fake.ttf"})
    with pytest.raises(SpecError, match=r"typography\.headline\.file.*not a usable font"):
        brandkit.load_spec(folder)


def test_logo_that_is_not_an_image(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    (folder / "logos" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    _edit(folder, {"logos.0.file": "logos/broken.png"})
    with pytest.raises(brandkit.BrandkitError, match="broken.png"):
        brandkit.load_spec(folder)


@pytest.mark.parametrize(
    "size, ok",
    [
        ((1024, 1024), True),
        ((1536, 512), True),
        ((3840, 2160), True),
        ((1024, 640), True),
        ((1440, 480), True),
        ((1000, 1000), False),
        ((3856, 2160), False),
        ((1600, 512), False),
        ((3600, 720), False),
        ((800, 800), False),
        ((4096, 2048), False),
    ],
)
def test_gpt_image_2_size_rules(size: tuple[int, int], ok: bool) -> None:
    assert (rules_for("gpt-image-2").size_problem(*size) is None) is ok


def test_older_models_only_take_standard_sizes() -> None:
    assert rules_for("gpt-image-1.5").size_problem(1024, 1536) is None
    assert "only accepts" in str(rules_for("gpt-image-1.5").size_problem(1536, 512))


def test_format_checked_against_the_model(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    _edit(folder, {"formats.odd": {"width": 1000, "height": 1000}})
    with pytest.raises(SpecError, match="format 'odd'.*multiples of 16"):
        brandkit.load_spec(folder)
    folder2 = _copy_brand(tmp_path / "b")
    _edit(folder2, {"generation.model": "gpt-image-1.5"})
    with pytest.raises(SpecError, match="format 'banner'.*only accepts"):
        brandkit.load_spec(folder2)


def test_transparent_jpeg_combination_is_rejected(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    _edit(folder, {"generation.background": "transparent", "generation.output_format": "jpeg"})
    with pytest.raises(SpecError, match="transparent background needs png or webp"):
        brandkit.load_spec(folder)


def test_missing_spec_and_wrong_suffix(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no brand spec found"):
        brandkit.load_spec(tmp_path)
    (tmp_path / "brand.txt").write_text("name: x")
    with pytest.raises(SpecError, match=r"\.yaml, \.yml or \.json"):
        brandkit.load_spec(tmp_path / "brand.txt")
    with pytest.raises(SpecError, match="no such file"):
        brandkit.load_spec(tmp_path / "nope.yaml")
