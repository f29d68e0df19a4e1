"""A spec that loads is usable (issue 20, item 7).

``load_spec`` (and so ``brandkit spec check``) decodes every asset and holds it to what compile and the image
API accept, with the compiler's own function (:func:`brandkit.spec.assets.provider_image`): a GIF saved as
``logo.png`` used to pass ``spec check`` and then fail every compile; a CMYK logo was converted without colour
management; a too-large logo escaped as an ``ImageInputError`` instead of a spec issue; a truncated font opened
and then drew nothing. Each problem is now a :class:`SpecIssue` naming the field and the file, all of them
collected, in the ``issues`` that ``spec check --json`` prints.
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
from typer.testing import CliRunner

import brandkit
from brandkit.cli import app
from brandkit.compile import compile_prompt
from brandkit.errors import RequestError, SpecError
from brandkit.imageio import MAX_PIXELS
from brandkit.provider.openai import MAX_INPUT_IMAGE_BYTES

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
LOGO = NORTHWIND / "logos" / "northwind-primary.png"
FONT = NORTHWIND / "fonts" / "Lato-Regular.ttf"


def _encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _logo_rgba(size: tuple[int, int] = (400, 100)) -> Image.Image:
    """A dark mark on a transparent ground."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste((30, 27, 24, 255), (size[0] // 8, size[1] // 4, size[0] * 7 // 8, size[1] * 3 // 4))
    return image


def make_spec(
    folder: Path,
    *,
    logo: bytes | None = None,
    logo_name: str = "logos/logo.png",
    logo_fields: dict[str, Any] | None = None,
    font: bytes | None = None,
    license_text: str = "SIL Open Font License",
    disclaimers: list[str] | None = None,
    background: str = "opaque",
) -> Path:
    """A small spec in ``folder``: one logo, one font (its licence beside it)."""
    (folder / "logos").mkdir(parents=True, exist_ok=True)
    (folder / "fonts").mkdir(parents=True, exist_ok=True)
    (folder / logo_name).write_bytes(logo if logo is not None else _encode(_logo_rgba(), "PNG"))
    (folder / "fonts" / "brand.ttf").write_bytes(font if font is not None else FONT.read_bytes())
    (folder / "fonts" / "LICENSE.txt").write_text(license_text, encoding="utf-8")
    data = {
        "name": "Test Brand",
        "palette": {
            "colors": [
                {"name": "Ink", "hex": "#1E1B18", "role": "text"},
                {"name": "Paper", "hex": "#F3E9DC", "role": "background"},
            ]
        },
        "logos": [{"variant": "primary", "file": logo_name, **(logo_fields or {})}],
        "typography": {"headline": {"file": "fonts/brand.ttf", "license": "fonts/LICENSE.txt"}},
        "required": {"disclaimers": disclaimers or []},
        "generation": {"background": background},
    }
    (folder / "brand.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def _issues(folder: Path) -> list[dict[str, Any]]:
    with pytest.raises(SpecError) as exc:
        brandkit.load_spec(folder)
    assert exc.value.issues, f"no issue listed: {exc.value}"
    return [issue.as_dict() for issue in exc.value.issues]


def _one(folder: Path, location: str, *fragments: str) -> dict[str, Any]:
    issues = _issues(folder)
    assert [i["location"] for i in issues] == [location], issues
    for fragment in fragments:
        assert fragment in issues[0]["message"], issues[0]
    assert issues[0]["file"] == str(folder / "brand.yaml")
    return issues[0]


def test_the_shipped_specs_and_the_small_spec_are_usable(tmp_path: Path) -> None:
    for name in ("northwind", "lumen-health"):
        assert brandkit.load_spec(ROOT / "brand_specs" / name).fingerprint
    spec = brandkit.load_spec(make_spec(tmp_path / "ok", disclaimers=["Offer valid at participating cafés."]))
    prompt = compile_prompt(spec, brandkit.AssetRequest(brief="a cup", headline="Hello", cta="Go"))
    assert [r.mime for r in prompt.references] == ["image/png"]


def test_a_gif_named_png_is_refused_by_spec_check_as_by_compile(tmp_path: Path) -> None:
    gif = _encode(_logo_rgba().convert("P"), "GIF")
    folder = make_spec(tmp_path / "gif", logo=gif)
    issue = _one(folder, "logos[0].file", "is GIF: the image API takes PNG, JPEG or WebP", "logos/logo.png")
    assert issue["value"] == "'logos/logo.png'"
    # the same rule, word for word, at compile time (a request's own reference image)
    spec = brandkit.load_spec(make_spec(tmp_path / "ok"))
    (tmp_path / "ref.png").write_bytes(gif)
    request = brandkit.AssetRequest(brief="a cup", references=[{"path": str(tmp_path / "ref.png")}])
    with pytest.raises(RequestError, match=r"ref\.png' is GIF: the image API takes PNG, JPEG or WebP"):
        compile_prompt(spec, request)


def test_spec_check_json_reports_every_asset_problem_as_an_issue(tmp_path: Path) -> None:
    gif = _encode(_logo_rgba().convert("P"), "GIF")
    folder = make_spec(tmp_path / "gif", logo=gif, font=_encode(_logo_rgba(), "PNG"), license_text="")
    result = CliRunner().invoke(app, ["spec", "check", str(folder), "--json"])
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is False
    by_location = {i["location"]: i for i in data["issues"]}
    assert set(by_location) == {"logos[0].file", "typography.headline.file", "typography.headline.license"}
    assert "GIF" in by_location["logos[0].file"]["message"]
    assert "not a usable font" in by_location["typography.headline.file"]["message"]
    assert "empty" in by_location["typography.headline.license"]["message"]
    human = CliRunner().invoke(app, ["spec", "check", str(folder)])
    assert human.exit_code == 2 and "Traceback" not in human.output and "logos[0].file" in human.output


def test_a_cmyk_logo_is_refused(tmp_path: Path) -> None:
    cmyk = _encode(Image.new("CMYK", (400, 100), (0, 200, 200, 0)), "JPEG")
    _one(make_spec(tmp_path / "cmyk", logo=cmyk, logo_name="logos/logo.jpg"), "logos[0].file", "CMYK", "sRGB")


def test_palette_and_16_bit_logos_are_handled(tmp_path: Path) -> None:
    palette = _encode(_logo_rgba().convert("P"), "PNG", transparency=0)
    grey16 = Image.fromarray(np.tile(np.linspace(0, 65535, 400), (100, 1)).astype(np.uint16))  # a 16-bit ramp
    for name, data in (("palette", palette), ("grey16", _encode(grey16, "PNG"))):
        spec = brandkit.load_spec(make_spec(tmp_path / name, logo=data))
        prompt = compile_prompt(spec, brandkit.AssetRequest(brief="a cup", headline="Hello"))
        assert prompt.references[0].data == data


def test_a_logo_narrower_than_its_smallest_drawn_width_is_refused(tmp_path: Path) -> None:
    tiny = _encode(_logo_rgba((40, 10)), "PNG")
    folder = make_spec(tmp_path / "tiny", logo=tiny, logo_fields={"min_width_px": 96})
    _one(folder, "logos[0].file", "40x10 px", "min_width_px (96)")
    make_spec(folder, logo=_encode(_logo_rgba((96, 24)), "PNG"), logo_fields={"min_width_px": 96})
    assert brandkit.load_spec(folder).logos[0].min_width_px == 96


def test_a_huge_logo_is_a_spec_issue_not_a_crash(tmp_path: Path) -> None:
    side = int(MAX_PIXELS**0.5) + 8
    huge = _encode(Image.new("RGBA", (side, side), (0, 0, 0, 0)), "PNG")
    _one(make_spec(tmp_path / "huge", logo=huge), "logos[0].file", f"{side}x{side}", "pixel limit")


def test_an_opaque_logo_is_refused_where_the_spec_needs_transparency(tmp_path: Path) -> None:
    opaque = _encode(_logo_rgba().convert("RGB"), "PNG")
    _one(
        make_spec(tmp_path / "any", logo=opaque, logo_fields={"backgrounds": ["any"]}),
        "logos[0].file",
        "no transparent pixels",
        "'any'",
    )
    _one(make_spec(tmp_path / "transparent", logo=opaque, background="transparent"), "logos[0].file", "opaque box")
    on_paper = Image.new("RGB", (400, 100), (0xF3, 0xE9, 0xDC))  # the mark saved on the brand's own Paper
    on_paper.paste((30, 27, 24), (50, 25, 350, 75))
    assert brandkit.load_spec(make_spec(tmp_path / "light", logo=_encode(on_paper, "JPEG", quality=90)))


@pytest.mark.parametrize(("box", "refused"), [((255, 255, 255), True), ((0, 0, 0), True), ((0x1E, 0x1B, 0x18), False)])
def test_an_opaque_logo_on_a_box_that_shows_on_the_brand_background_is_refused(
    box: tuple[int, int, int], refused: bool, tmp_path: Path
) -> None:
    """A logo exported as JPEG on white (or black) draws a white (black) rectangle on the cream brand background;
    a box in one of the brand's own colours (Ink) is a badge, meant."""
    logo = Image.new("RGB", (400, 100), box)
    logo.paste((0xC0, 0x39, 0x2B), (50, 25, 350, 75))
    folder = make_spec(tmp_path / "box", logo=_encode(logo, "JPEG", quality=90), logo_name="logos/logo.jpg")
    if not refused:
        assert brandkit.load_spec(folder).logos[0].file == "logos/logo.jpg"
        return
    issue = _one(folder, "logos[0].file", "the logo is opaque", "box", "the light background #F3E9DC", "transparent")
    assert f"#{box[0]:02X}{box[1]:02X}{box[2]:02X}" in issue["message"]


def test_a_truncated_font_that_opens_but_draws_nothing_is_refused(tmp_path: Path) -> None:
    data = FONT.read_bytes()
    folder = make_spec(tmp_path / "truncated", font=data[: len(data) - 5000])
    _one(folder, "typography.headline.file", "not a usable font", "draw nothing")


def test_a_png_named_ttf_is_refused_as_an_issue(tmp_path: Path) -> None:
    folder = make_spec(tmp_path / "png-font", font=LOGO.read_bytes())
    _one(folder, "typography.headline.file", "not a usable font", "brand.ttf")


def test_a_font_without_basic_latin_is_refused_for_a_role(tmp_path: Path) -> None:
    from fontTools.subset import Options, Subsetter
    from fontTools.ttLib import TTFont

    font = TTFont(str(FONT))
    subsetter = Subsetter(Options())
    subsetter.populate(text="ABCabc")
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    folder = make_spec(tmp_path / "subset", font=buffer.getvalue())
    _one(folder, "typography.headline.file", "no glyph for 56 basic Latin letters/digits")


def test_required_disclaimers_must_be_drawable(tmp_path: Path) -> None:
    folder = make_spec(tmp_path / "cjk", disclaimers=["Offer valid 優惠"])
    _one(folder, "required.disclaimers[0]", "U+512A", "fonts/brand.ttf")


def test_logo_rules_match_the_provider_limits() -> None:
    """spec check and compile use the provider's own limit and formats (not a second copy that could drift)."""
    from brandkit.spec.assets import MAX_PROVIDER_IMAGE_BYTES, PROVIDER_IMAGE_TYPES

    assert MAX_PROVIDER_IMAGE_BYTES == MAX_INPUT_IMAGE_BYTES
    assert set(PROVIDER_IMAGE_TYPES) == {"png", "jpeg", "webp"}


def test_shipped_assets_are_still_fingerprinted_the_same(tmp_path: Path) -> None:
    """Checking assets does not change what the fingerprint covers (spec and asset bytes only)."""
    copy = tmp_path / "northwind"
    shutil.copytree(NORTHWIND, copy)
    assert brandkit.load_spec(copy).fingerprint == brandkit.load_spec(NORTHWIND).fingerprint


def test_spec_check_warns_of_checks_turned_off_or_made_warnings(tmp_path: Path) -> None:
    """A spec that loads can still let images through unchecked: `spec check` says so, naming the setting."""
    import shutil

    folder = tmp_path / "northwind"
    shutil.copytree(ROOT / "brand_specs" / "northwind", folder)
    spec_file = folder / "brand.yaml"
    text = spec_file.read_text(encoding="utf-8")
    edited = text.replace("  text: { policy: fix }", "  text: { policy: warn }")
    edited = edited.replace("  moderation: { policy: raise }", "  moderation: { policy: raise, enabled: false }")
    assert edited != text
    spec_file.write_text(edited, encoding="utf-8")
    data = json.loads(CliRunner().invoke(app, ["spec", "check", str(folder), "--json"]).stdout)
    assert data["ok"] is True and data["warnings"] == [
        "checks.moderation.enabled: false — no image is checked for moderation",
        "checks.text.policy: warn — a failed text check never blocks an image (its default is fix)",
    ]
    names = ("palette", "text", "logo", "contrast", "technical", "moderation", "credentials")
    block = "checks:\n" + "".join(f"  {name}: {{ enabled: false }}\n" for name in names)
    start, end = edited.index("checks:\n"), edited.index("repair:")
    spec_file.write_text(edited[:start] + block + "\n" + edited[end:], encoding="utf-8")
    data = json.loads(CliRunner().invoke(app, ["spec", "check", str(folder), "--json"]).stdout)
    assert data["warnings"] == ["every check is disabled (checks.*.enabled: false): every image passes unchecked"]
    unchanged = json.loads(
        CliRunner().invoke(app, ["spec", "check", str(ROOT / "brand_specs" / "northwind"), "--json"]).stdout
    )
    assert not [w for w in unchanged["warnings"] if w.startswith(("checks.", "every check"))]


def test_spec_check_warns_of_a_logo_whose_ink_does_not_show_on_its_grounds(tmp_path: Path) -> None:
    """Northwind's inverse logo (cream ink) marked for light grounds would be drawn invisible on the page and fail the
    logo check on every attempt: spec check says so and what to set. The shipped spec gets no such warning."""
    folder = tmp_path / "northwind"
    shutil.copytree(NORTHWIND, folder)
    spec_file = folder / "brand.yaml"
    text = spec_file.read_text(encoding="utf-8")
    edited = text.replace("backgrounds: [dark, Roast Brown, Espresso Ink]", "backgrounds: [light]")
    assert edited != text
    spec_file.write_text(edited, encoding="utf-8")
    data = json.loads(CliRunner().invoke(app, ["spec", "check", str(folder), "--json"]).stdout)
    assert data["ok"] is True
    [warning] = [w for w in data["warnings"] if w.startswith("logos[")]
    assert warning.startswith("logos[inverse]: its ink is light but its backgrounds (light) are light")
    assert "set backgrounds: [dark]" in warning
    shipped = json.loads(CliRunner().invoke(app, ["spec", "check", str(NORTHWIND), "--json"]).stdout)
    assert not [w for w in shipped["warnings"] if w.startswith("logos[")]
