"""Edits keep what they do not change (issue 13, item 3): copy, legal lines, logo and format come from the
edited asset's provenance; a locale's required legal lines come from the spec's `required.locales`; the edit
report says what was kept, changed and removed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import brandkit
from brandkit.edit_inherit import inherit_edit
from brandkit.imageio import encode_image
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec, Required

ROOT = Path(__file__).resolve().parents[1]
EN_LINE = "Offer valid at participating cafés."
DE_LINE = "Angebot gültig in teilnehmenden Cafés."
COPY = dict(
    headline="Slow mornings, bright roasts",
    subhead="Roasted this week in small batches.",
    cta="Order ahead",
)


@pytest.fixture(scope="module")
def spec() -> BrandSpec:
    loaded = brandkit.load_spec(ROOT / "brand_specs" / "northwind").model_copy(deep=True)
    loaded.required = Required(disclaimers=[EN_LINE], locales={"de": [DE_LINE]})
    return loaded


@pytest.fixture(scope="module")
def kit(kit_resources: KitResources, spec: BrandSpec) -> brandkit.BrandKit:
    return brandkit.BrandKit(spec, resources=kit_resources, provider="local")


@pytest.fixture(scope="module")
def master(kit: brandkit.BrandKit) -> brandkit.Asset:
    request = brandkit.AssetRequest(brief="A ceramic cup of coffee on an oak table", seed=4, **COPY)
    return kit.generate(request)


def test_localising_only_the_headline_keeps_the_cta_subhead_and_logo(
    kit: brandkit.BrandKit, master: brandkit.Asset, tmp_path: Path
) -> None:
    edited = kit.edit(master.data, "Translate the headline to German", headline="Langsame Morgen", locale="de")
    assert edited.report.passed, edited.report.model_dump_report()
    block = edited.prompt.copy_block
    assert (block.headline, block.subhead, block.cta) == ("Langsame Morgen", COPY["subhead"], COPY["cta"])
    assert block.disclaimers == [DE_LINE]  # the German legal line, not the English one kept
    report = edited.edit
    assert report is not None and report.provenance == "read"
    assert report.kept["cta"] == COPY["cta"] and report.kept["subhead"] == COPY["subhead"]
    assert report.kept["logo_variant"] == master.prompt.logo_variant
    assert report.kept["format"] == "square"
    assert report.changed["headline"].before == COPY["headline"]
    assert report.changed["headline"].after == "Langsame Morgen"
    assert report.changed["disclaimers"].before == [EN_LINE] and report.changed["disclaimers"].after == [DE_LINE]
    assert report.changed["locale"].after == "de"
    assert edited.prompt.layout.logo_box == master.prompt.layout.logo_box
    # the text check read the kept CTA on the edited image
    assert "Order ahead" in json.dumps(edited.report.checks["text"].details, ensure_ascii=False)
    saved = edited.save(tmp_path / "de.png")
    sidecar = json.loads(Path(str(saved) + ".json").read_text("utf-8"))
    assert sidecar["edit"]["kept"]["cta"] == COPY["cta"]
    assert sidecar["request"]["cta"] == COPY["cta"]


def test_a_german_asset_edited_without_a_locale_keeps_its_german_legal_line(
    spec: BrandSpec, kit: brandkit.BrandKit, master: brandkit.Asset
) -> None:
    german = kit.edit(master.data, "Translate the headline", headline="Langsame Morgen", locale="de")
    again = inherit_edit(spec, brandkit.EditRequest(instruction="Brighten the photo"), german.data)
    assert again.request.locale == "de" and again.report.kept["locale"] == "de"
    assert again.report.kept["disclaimers"] == [DE_LINE]
    assert again.request.headline == "Langsame Morgen" and again.request.cta == COPY["cta"]
    assert again.report.changed == {} and again.report.removed == []


def test_remove_takes_copy_off_and_given_disclaimers_replace_the_extras(
    spec: BrandSpec, master: brandkit.Asset
) -> None:
    request = brandkit.EditRequest(instruction="Drop the button", remove=["cta"], disclaimers=["Limited stock."])
    inherited = inherit_edit(spec, request, master.data)
    assert inherited.request.cta is None and inherited.report.removed == ["cta"]
    assert inherited.request.headline == COPY["headline"]
    assert inherited.request.disclaimers == ["Limited stock."]
    assert inherited.report.changed["disclaimers"].after == [EN_LINE, "Limited stock."]
    blank = brandkit.EditRequest(instruction="Drop the subhead", subhead="")
    assert inherit_edit(spec, blank, master.data).report.removed == ["subhead"]


def test_extra_legal_lines_of_the_asset_are_kept(kit: brandkit.BrandKit, spec: BrandSpec) -> None:
    request = brandkit.AssetRequest(brief="A cup", seed=2, disclaimers=["While stocks last."], **COPY)
    asset = kit.generate(request)
    inherited = inherit_edit(spec, brandkit.EditRequest(instruction="Warmer light", locale="de"), asset.data)
    assert inherited.request.disclaimers == ["While stocks last."]  # the extra, not the English required line
    assert inherited.report.changed["disclaimers"].after == [DE_LINE, "While stocks last."]


def test_an_image_without_provenance_inherits_nothing_and_says_so(spec: BrandSpec) -> None:
    from PIL import Image

    plain = encode_image(Image.new("RGB", (1024, 1024), (240, 230, 210)), "png")
    inherited = inherit_edit(spec, brandkit.EditRequest(instruction="x", headline="Hello"), plain)
    assert inherited.report.provenance == "absent"
    assert inherited.request.cta is None and inherited.report.kept == {}
    assert any("nothing was inherited" in note for note in inherited.report.notes)


def test_a_locale_without_its_own_legal_lines_is_noted(spec: BrandSpec, master: brandkit.Asset) -> None:
    inherited = inherit_edit(spec, brandkit.EditRequest(instruction="x", locale="fr"), master.data)
    assert any("no required legal lines for locale 'fr'" in note for note in inherited.report.notes)
    assert "disclaimers" in inherited.report.kept  # the default line stays


def test_required_disclaimers_for_a_locale() -> None:
    required = Required(disclaimers=["Terms apply."], locales={"de": ["Es gelten die AGB."], "fr-CA": ["Voir."]})
    assert required.disclaimers_for(None) == ["Terms apply."]
    assert required.disclaimers_for("de-AT") == ["Es gelten die AGB."]
    assert required.disclaimers_for("DE") == ["Es gelten die AGB."]
    assert required.disclaimers_for("fr-ca") == ["Voir."]
    assert required.disclaimers_for("fr") == ["Terms apply."]


def test_generate_in_a_locale_draws_that_locales_legal_line(kit: brandkit.BrandKit) -> None:
    prompt = kit.compile(brandkit.AssetRequest(brief="A cup", locale="de", **COPY))
    assert prompt.copy_block.disclaimers == [DE_LINE]


def test_cli_edit_reports_what_it_kept(master: brandkit.Asset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from brandkit.checks.technical import TechnicalCheck
    from brandkit.cli import app

    monkeypatch.setattr("brandkit.kit.default_checks", lambda: [TechnicalCheck()])
    image = master.save(tmp_path / "master.png")
    args = ["edit", "-s", str(ROOT / "brand_specs" / "northwind"), str(image), "-i", "Translate the headline"]
    args += ["--headline", "Langsame Morgen", "--locale", "de", "--remove", "subhead", "-p", "local"]
    result = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.stdout
    edit = json.loads(result.stdout)["assets"][0]["edit"]
    assert edit["kept"]["cta"] == COPY["cta"] and edit["removed"] == ["subhead"]
    assert edit["changed"]["disclaimers"]["after"] == [DE_LINE]  # the shipped spec's required.locales.de
    text = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "out")])
    assert text.exit_code == 0, text.stdout
    assert "kept cta: 'Order ahead'" in text.stdout and "removed subhead" in text.stdout
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["master-edited-2.png", "master-edited.png"]


def test_locale_legal_lines_must_be_drawable(tmp_path: Path) -> None:
    import yaml

    from tests.test_spec_assets import make_spec

    folder = make_spec(tmp_path / "zh", disclaimers=["Offer valid."])
    data = yaml.safe_load((folder / "brand.yaml").read_text("utf-8"))
    data["required"]["locales"] = {"zh": ["优惠有效"]}
    (folder / "brand.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(brandkit.SpecError) as caught:
        brandkit.load_spec(folder)
    assert any(issue.location == "required.locales.zh[0]" for issue in caught.value.issues), str(caught.value)


def test_cli_edit_format_edits_an_image_of_any_size_into_a_spec_format(
    master: brandkit.Asset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image
    from typer.testing import CliRunner

    from brandkit.checks.technical import TechnicalCheck
    from brandkit.cli import app

    monkeypatch.setattr("brandkit.kit.default_checks", lambda: [TechnicalCheck()])
    small = tmp_path / "phone.png"  # re-saved at a size the model cannot return: no provenance, no format
    Image.open(master.save(tmp_path / "master.png")).convert("RGB").resize((800, 800)).save(small)
    args = ["edit", "-s", str(ROOT / "brand_specs" / "northwind"), str(small), "-i", "warmer", "-p", "local"]
    refused = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "out"), "--json"])
    assert refused.exit_code == 2
    error = json.loads(refused.stdout)["error"]
    assert "800x800 is not a size the model can return" in error and "--format: square, portrait" in error
    made = CliRunner().invoke(app, [*args, "--format", "square", "-o", str(tmp_path / "out"), "--json"])
    assert made.exit_code == 0, made.stdout
    path = Path(json.loads(made.stdout)["assets"][0]["path"])
    assert Image.open(path).size == (1024, 1024)


def test_the_local_renderer_crops_an_image_of_another_aspect_into_the_format_never_stretches_it(
    tmp_path: Path,
) -> None:
    """A 4:3 photo edited into the 3:2 landscape format: a round subject stays round (the plain resize the local
    renderer used distorted it by 12.5 %)."""
    import numpy as np
    from PIL import Image, ImageDraw

    photo = Image.new("RGB", (1600, 1200), (240, 233, 220))
    ImageDraw.Draw(photo).ellipse((1000, 400, 1400, 800), fill=(0, 200, 255))  # a circle right of the copy
    photo.save(tmp_path / "photo.png")
    kit = brandkit.BrandKit(ROOT / "brand_specs" / "northwind", provider="local", checks=["technical"])
    edited = kit.edit(tmp_path / "photo.png", "Make it an ad", headline="Slow mornings", format="landscape")
    pixels = np.asarray(edited.image.convert("RGB"), dtype=np.int16)
    ys, xs = np.nonzero(np.abs(pixels - np.array([0, 200, 255])).sum(axis=-1) < 30)
    width, height = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    assert (edited.width, edited.height) == (1536, 1024)
    assert abs(width / height - 1.0) < 0.02, (width, height)  # stretched, it was 384 x 341
    assert abs(width - 384) <= 3  # 400 px x 0.96: cover-cropped (1600 x 1067 of the 1600 x 1200) and scaled
    # with a mask (the photo's size: the left half may change), what stays is the original fitted the same way
    import io

    from brandkit.edit_mask import fitted

    mask = Image.new("RGBA", photo.size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 800, 1200))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    masked = kit.edit(tmp_path / "photo.png", "Make it an ad", headline="Slow mornings", format="landscape",
                      mask=buffer.getvalue())  # fmt: skip
    kept = np.asarray(masked.image.convert("RGB"))[:, 800:]
    assert np.array_equal(kept, np.asarray(fitted(photo, (1536, 1024)))[:, 800:])  # not a stretched original


def test_an_edit_keeps_a_transparent_background(tmp_path: Path) -> None:
    """A transparent asset (a brand with copy and logo composited: Lumen Health) edited without a word about its
    background stays transparent — the edit report says it was kept —, and ``transparent=False`` changes it; the
    local renderer clears the old copy to transparent (no panel, no ghost of the old headline)."""
    import numpy as np

    checks = ["technical", "text", "palette"]
    kit = brandkit.BrandKit(ROOT / "brand_specs" / "lumen-health", provider="local", checks=checks)
    request = {"brief": "A calm clinic", "headline": "Fresh ideas, every day", "cta": "Learn more"}
    made = kit.generate({**request, "transparent": True})
    edited = kit.edit(made.data, "Change the headline", headline="Bright ideas, every day")
    assert edited.image.mode == "RGBA" and edited.prompt.params["background"] == "transparent"
    assert "kept transparent: True" in edited.edit.lines()  # type: ignore[union-attr]
    assert edited.report.passed, edited.report.summary()  # technical: the ordered transparency is there
    alpha = np.asarray(edited.image.getchannel("A"))
    box = edited.prompt.layout.copy_box
    assert box is not None
    copy_area = alpha[box.y0 : box.y1, box.x0 : box.x1]
    assert (copy_area == 0).mean() > 0.5 and (copy_area == 255).mean() > 0.02  # the new copy on transparency
    opaque = kit.edit(made.data, "Change the headline", headline="Bright ideas", transparent=False)
    assert opaque.image.mode == "RGB" and "changed transparent: True → False" in opaque.edit.lines()  # type: ignore[union-attr]
    assert opaque.report.passed, opaque.report.summary()  # flattened onto the background, not its hidden colours
    import io

    from PIL import Image

    from brandkit.compose import flattened

    mask = Image.new("RGBA", made.image.size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, made.width // 2, made.height))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    hidden = np.array(made.image)  # another maker's file: magenta under its transparent pixels
    hidden[hidden[..., 3] == 0, :3] = (255, 0, 255)
    source = io.BytesIO()
    Image.fromarray(hidden, "RGBA").save(source, "PNG")
    masked = kit.edit(
        source.getvalue(), "Change the headline", headline="Bright ideas", transparent=False, mask=buffer.getvalue()
    )
    # outside the mask, where the original was transparent and nothing is drawn: the background, not what was hidden
    where = np.asarray(made.image.getchannel("A")) == 0
    where[:, : made.width // 2] = False
    layout = made.prompt.layout
    for box in (layout.copy_box, layout.disclaimer_box, layout.logo_clear_box):
        if box is not None:
            where[box.y0 : box.y1, box.x0 : box.x1] = False
    assert where.sum() > 1000
    kept = np.asarray(masked.image.convert("RGB"))[where]
    assert np.array_equal(kept, np.asarray(flattened(made.image, made.prompt.background_hex))[where])
    assert not (kept == (255, 0, 255)).all(axis=-1).any()
    # the CLI: --transparent to generate one, an edit keeps it by default, --opaque flattens it
    from typer.testing import CliRunner

    from brandkit.cli import app

    base = ["-s", str(ROOT / "brand_specs" / "lumen-health"), "-p", "local", "--json"]
    args = ["generate", *base, "-b", "A calm clinic", "--headline", "Fresh ideas, every day", "--cta", "Learn more"]
    made_cli = CliRunner().invoke(app, [*args, "--transparent", "-o", str(tmp_path / "t.png")])
    assert made_cli.exit_code == 0, made_cli.stdout
    assert json.loads((tmp_path / "t.png.json").read_text())["request"]["transparent"] is True
    for flag, mode in (([], "RGBA"), (["--opaque"], "RGB")):
        out = tmp_path / f"edit{len(flag)}.png"
        done = CliRunner().invoke(
            app,
            [
                "edit",
                *base,
                str(tmp_path / "t.png"),
                "-i",
                "headline",
                "--headline",
                "Bright ideas",
                *flag,
                "-o",
                str(out),
            ],
        )
        assert done.exit_code == 0, done.stdout
        assert (
            brandkit.AssetSidecar.model_validate_json((out.parent / (out.name + ".json")).read_text()).image.format
            == "png"
        )
        from PIL import Image

        assert Image.open(out).mode == mode


def test_transparency_is_read_from_the_header_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit without provenance reads the image's transparency: a JPEG or an RGB PNG (the header rules it out) is
    not decoded for it; an alpha channel, a palette's or a grey image's transparent colour are."""
    import io

    from PIL import Image

    import brandkit.edit_inherit as inherit
    from brandkit.imageio import may_be_transparent

    def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
        out = io.BytesIO()
        image.save(out, fmt, **options)
        return out.getvalue()

    clear = Image.new("RGBA", (40, 40), (10, 20, 30, 0))
    opaque_alpha = Image.new("RGBA", (40, 40), (10, 20, 30, 255))
    files = {
        "jpeg": (encoded(Image.new("RGB", (40, 40), "white"), "JPEG"), False, False),
        "rgb png": (encoded(Image.new("RGB", (40, 40), "white")), False, False),
        "rgba png, clear": (encoded(clear), True, True),
        "rgba png, opaque": (encoded(opaque_alpha), True, False),  # an alpha channel, nothing see-through
        "palette png with a transparent colour": (encoded(clear.convert("P"), transparency=0), True, True),
        "grey png with a transparent colour": (encoded(Image.new("L", (40, 40), 0), transparency=0), True, True),
        "rgb png with a transparent colour": (
            encoded(Image.new("RGB", (40, 40), (1, 2, 3)), transparency=(1, 2, 3)),
            True,
            True,
        ),
        "la png": (encoded(Image.new("LA", (40, 40), (0, 0))), True, True),
        "not an image": (b"garbage", True, False),  # the decode says why, and it cannot be read: not transparent
    }
    decoded: list[bytes] = []
    real = inherit.load_image
    monkeypatch.setattr(inherit, "load_image", lambda data: decoded.append(data) or real(data))
    for name, (data, may, has) in files.items():
        assert may_be_transparent(data) is may, name
        before = len(decoded)
        assert inherit.has_transparent_background(data) is has, name
        assert (len(decoded) > before) is may, f"{name}: decoded {len(decoded) - before} time(s)"


def test_an_ad_edited_into_another_format_is_recomposed_not_cropped_with_pieces_of_its_copy(
    kit: brandkit.BrandKit, master: brandkit.Asset
) -> None:
    """`edit ad.png --format portrait`: the local renderer cover-cropped the whole square ad into the portrait
    canvas and drew the copy again over its copy panel only — halves of the old headline, the old CTA pill and a
    second disclaimer stayed beside the new ones, and every check passed. Now the ad's photograph — the library photo
    its provenance names, cropped afresh around its focal point — is the hero of the portrait layout, and nothing of
    the old copy is left."""
    import numpy as np

    from brandkit.compose import background_color
    from brandkit.imageio import load_image
    from brandkit.provider.photo_library import cover_crop

    placed = master.attempts[-1].photo
    assert placed is not None and master.provenance()["photo"] == {"id": placed.id, "sha256": placed.sha256}
    portrait = kit.edit(master.data, "Make the portrait version", format="portrait")
    assert (portrait.width, portrait.height) == (1024, 1536) and portrait.report.passed
    notes = [note for attempt in portrait.attempts for note in attempt.notes]
    assert any(note.startswith("recomposed into the portrait layout (1024x1024 → 1024x1536)") for note in notes)
    assert any(f"the library photo {placed.id!r}, cropped afresh" in note for note in notes)
    hero = portrait.prompt.layout.hero_box
    assert hero is not None and portrait.attempts[-1].photo is not None
    assert portrait.attempts[-1].photo.id == placed.id and portrait.provenance()["photo"]["id"] == placed.id
    pixels = np.asarray(portrait.image.convert("RGB"), dtype=np.int16)
    library = next(photo for photo in kit.spec.photos if photo.id == placed.id)
    whole = load_image(kit.spec.asset_path(library.file).read_bytes())
    focal = (library.focal_point.x, library.focal_point.y)
    expected = np.asarray(cover_crop(whole, focal, (hero.width, hero.height))[0], dtype=np.int16)
    assert (
        np.abs(pixels[hero.y0 : hero.y1, hero.x0 : hero.x1] - expected).max() <= 1
    )  # the photograph, not the ad's crop
    zones = np.ones(pixels.shape[:2], dtype=bool)  # what is neither hero, copy, nor logo is the flat background
    for box in (hero, portrait.prompt.layout.copy_box, portrait.prompt.layout.disclaimer_box):
        if box is not None:
            zones[box.y0 : box.y1, box.x0 : box.x1] = False
    logo = portrait.prompt.layout.logo_box
    assert logo is not None
    zones[: logo.y1 + 16, :] = False  # the band and the logo
    bg = np.array(background_color(kit.spec, portrait.prompt.background_tone))
    assert np.all(pixels[zones] == bg)  # no piece of the square ad's copy anywhere
    text = portrait.report.checks["text"].details
    assert text["repeated_copy"] == []  # no piece of the old copy read a second time
    for found in text["unexpected_text"]:  # what else the OCR read is in the photograph (a cup read as "8"), not copy
        x0, y0, x1, y1 = found["box"]
        assert hero.x0 <= (x0 + x1) / 2 <= hero.x1 and hero.y0 <= (y0 + y1) / 2 <= hero.y1, found
    # the same size keeps the image and redraws only its copy (a localisation): no recomposition then
    same = kit.edit(master.data, "German headline", headline="Langsame Morgen", locale="de")
    assert not any("recomposed" in note for attempt in same.attempts for note in attempt.notes)


def test_a_recomposed_edit_whose_library_photo_changed_crops_the_ads_own_photo_area(
    kit: brandkit.BrandKit, master: brandkit.Asset, spec: BrandSpec, kit_resources: KitResources
) -> None:
    """The spec's photo file is not the one the ad recorded (replaced since): the ad's own photo area, cut from the
    image, is the hero — never another photograph under the same id."""
    import numpy as np

    from brandkit.provider.photo_library import cover_crop

    placed = master.attempts[-1].photo
    assert placed is not None
    other = next(photo.file for photo in spec.photos if photo.id != placed.id)  # the id now names another file
    changed = spec.model_copy(
        update={"photos": [p.model_copy(update={"file": other}) if p.id == placed.id else p for p in spec.photos]}
    )
    portrait = brandkit.BrandKit(changed, resources=kit_resources, provider="local").edit(
        master.data, "Make the portrait version", format="portrait"
    )
    notes = [note for attempt in portrait.attempts for note in attempt.notes]
    assert any("its photograph (the provenance's photo area" in note for note in notes)
    assert portrait.attempts[-1].photo is None and "photo" not in portrait.provenance()
    hero, source = portrait.prompt.layout.hero_box, master.prompt.layout.hero_box
    assert hero is not None and source is not None
    pixels = np.asarray(portrait.image.convert("RGB"), dtype=np.int16)
    photo = master.image.convert("RGB").crop(source.as_tuple())
    expected = np.asarray(cover_crop(photo, (0.5, 0.5), (hero.width, hero.height))[0], dtype=np.int16)
    assert np.abs(pixels[hero.y0 : hero.y1, hero.x0 : hero.x1] - expected).max() <= 1


def test_a_photo_edited_into_an_ad_keeps_its_own_composition_and_its_photograph_is_found(
    kit: brandkit.BrandKit, master: brandkit.Asset, tmp_path: Path
) -> None:
    # a phone photo edited into the square format: fitted whole (the local renderer) or kept as it is (the edit
    # prompt), so the layout's hero area says nothing of where its photograph is: it is found, as `validate` finds
    # it in the saved file (before, its own pixels around the hero area were judged as the layout's brand zones).
    photo = ROOT / "brand_specs" / "northwind" / "photos" / "coffee.jpg"
    request = brandkit.EditRequest(instruction="Make it an ad", headline="Slow mornings", format="square")
    try:
        edited = kit.edit(photo, request=request)
    except brandkit.BrandViolationError as exc:  # the brand's share rules may still fail it: that is not this
        assert isinstance(exc.asset, brandkit.Asset)
        edited = exc.asset
    assert edited.edit is not None and edited.edit.own_composition and edited.prompt.own_composition
    for attempt in edited.attempts:
        regions = attempt.report.checks["palette"].details["regions"]
        assert regions["source"] == "segmentation" and regions["photo_box"] is None
    saved = edited.save(tmp_path / "photo-ad.png")
    record = json.loads(brandkit.imageio.read_provenance(saved.read_bytes()) or "{}")
    assert record["photo_box"] is None  # the file does not claim the layout's hero area either
    again = kit.validate(saved)  # so a later check finds the photograph too
    assert again.checks["palette"].details["regions"]["source"] == "segmentation"
    # validated with the copy it should carry, a file brandkit did not lay out is judged the same way …
    asked = brandkit.AssetRequest(brief="-", headline="Slow mornings", format="square")
    assert kit.validate(saved, request=asked).checks["palette"].details["regions"]["source"] == "segmentation"
    # … while brandkit's own ad keeps its layout, edited or validated with a request
    localised = kit.edit(master.data, "Translate the headline to German", headline="Langsame Morgen", locale="de")
    assert localised.edit is not None and not localised.edit.own_composition
    assert localised.report.checks["palette"].details["regions"]["source"] == "layout"
    with_request = kit.validate(master.data, request=brandkit.AssetRequest(brief="-", **COPY))
    assert with_request.checks["palette"].details["regions"]["source"] == "layout"
