"""The spec's photo library and the local renderer's photo mode: choice by brief, focal-point crops, licences."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image

import brandkit
from brandkit.color import hex_to_rgb
from brandkit.compile import compile_prompt
from brandkit.compose import background_color
from brandkit.errors import SpecError
from brandkit.imageio import load_image
from brandkit.layout import Box
from brandkit.models import AssetRequest, PhotoUse, RenderCall
from brandkit.provider.local import LocalRenderer
from brandkit.provider.photo_library import CropVariation, brief_text, crop_variation, crop_window, keywords
from brandkit.resources import KitResources
from brandkit.spec.models import ColorRole

ROOT = Path(__file__).resolve().parents[1]
BRANDS = ["northwind", "lumen-health", "ubuntu"]


def _render(spec: brandkit.BrandSpec, brief: str, fmt: str = "square", seed: int = 7, **kw: Any) -> tuple[Any, Any]:
    request = AssetRequest(brief=brief, headline="Hello there", format=fmt, seed=seed, **kw)
    prompt = compile_prompt(spec, request)
    rendered = LocalRenderer(spec).render(RenderCall(prompt=prompt, seed=seed)).images[0]
    return prompt, rendered


def _copy_brand(tmp_path: Path, name: str = "northwind") -> Path:
    dest = tmp_path / name
    shutil.copytree(ROOT / "brand_specs" / name, dest)
    return dest


def _write_photos(folder: Path, photos: list[dict[str, Any]]) -> None:
    path = folder / "brand.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["photos"] = photos
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("brand", "brief", "expected"),
    [
        ("northwind", "A ceramic cup of pour-over coffee on an oak table by a window, steam rising", "coffee-cup"),
        ("northwind", "A cat curled up on a cosy Sunday at home", "cafe-cat"),
        ("lumen-health", "Portrait of an experienced coach, a trusted mentor", "coach-portrait"),
        ("lumen-health", "A wall clock for a daily routine", "daily-clock"),
        ("lumen-health", "A rocket ready to launch, a new start toward your goals", "launch-evening"),
        ("ubuntu", "A rocket on the launch pad, ready to ship the new release", "launch-pad"),
        ("ubuntu", "Portrait of an engineer from our community", "astronaut-portrait"),
    ],
)
def test_the_photo_follows_the_brief(brand: str, brief: str, expected: str) -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / brand)
    _, rendered = _render(spec, brief)
    assert rendered.photo is not None
    assert rendered.photo.id == expected
    assert rendered.photo.matched_tags  # chosen on keywords, not by chance


def test_the_used_photo_is_recorded_with_its_bytes_crop_and_box() -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    prompt, rendered = _render(spec, "coffee on a table", fmt="landscape")
    photo: PhotoUse = rendered.photo
    entry = next(p for p in spec.photos if p.id == photo.id)
    assert photo.file == entry.file
    assert photo.sha256 == hashlib.sha256(spec.asset_path(entry.file).read_bytes()).hexdigest()
    assert photo.box == prompt.layout.hero_box
    source = load_image(spec.asset_path(entry.file))
    x0, y0, x1, y1 = photo.crop
    assert 0 <= x0 < x1 <= source.width and 0 <= y0 < y1 <= source.height
    # the crop has the hero box's shape (cover crop: nothing stretched)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(photo.box.width / photo.box.height, rel=0.02)


def test_the_hero_box_holds_the_photo_and_the_zones_stay_brand_drawn() -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    prompt, rendered = _render(spec, "coffee cup", fmt="square", seed=0)  # seed 0: the plain focal-point crop
    image = np.asarray(load_image(rendered.data).convert("RGB")).astype(int)
    box: Box = prompt.layout.hero_box
    # the photo, independently cover-cropped around the focal point, is what fills the hero box
    entry = next(p for p in spec.photos if p.id == rendered.photo.id)
    source = load_image(spec.asset_path(entry.file)).convert("RGB")
    scale = max(box.width / source.width, box.height / source.height)
    cw, ch = box.width / scale, box.height / scale
    cx = min(max(entry.focal_point.x * source.width, cw / 2), source.width - cw / 2)
    cy = min(max(entry.focal_point.y * source.height, ch / 2), source.height - ch / 2)
    expected = source.resize(
        (box.width, box.height), Image.Resampling.BICUBIC, box=(cx - cw / 2, cy - ch / 2, cx + cw / 2, cy + ch / 2)
    )
    hero = image[box.y0 : box.y1, box.x0 : box.x1]
    assert np.abs(hero - np.asarray(expected).astype(int)).mean() < 3.0
    # outside the hero box: the flat brand background, a primary band on top, copy and logo
    bg = np.asarray(background_color(spec, "light"))
    outside = np.ones(image.shape[:2], dtype=bool)
    outside[box.y0 : box.y1, box.x0 : box.x1] = False
    zone = image[outside]
    palette = np.asarray([hex_to_rgb(c.hex) for c in spec.palette.colors])
    exact = (zone[:, None, :] == palette[None, :, :]).all(axis=-1).any(axis=-1)
    assert exact.mean() > 0.9  # flat brand colours; the rest is anti-aliased type and logo edges
    assert (image[box.y0 - 2, box.x0 : box.x1] == bg).all()  # the photo does not spill out of its box
    primary = np.asarray(hex_to_rgb(spec.palette.by_role(ColorRole.primary)[0].hex))
    assert (image[0] == primary).all()  # the primary band along the top edge


def _marker_photo(folder: Path, focal: tuple[float, float]) -> None:
    """A 900x600 photo-like gradient with a saturated magenta marker exactly at ``focal``."""
    w, h = 900, 600
    yy, xx = np.mgrid[0:h, 0:w]
    pixels = np.stack([120 + xx * 80 // w, 100 + yy * 60 // h, np.full_like(xx, 90)], axis=-1).astype(np.uint8)
    fx, fy = round(focal[0] * w), round(focal[1] * h)
    pixels[fy - 6 : fy + 6, fx - 6 : fx + 6] = (255, 0, 255)
    (folder / "photos").mkdir(exist_ok=True)
    Image.fromarray(pixels, "RGB").save(folder / "photos" / "marker.png")
    (folder / "photos" / "marker.LICENSE.txt").write_text("CC0, drawn for this test\n", encoding="utf-8")


@pytest.mark.parametrize("focal", [(0.9, 0.1), (0.08, 0.92), (0.5, 0.5), (0.7, 0.35)])
def test_the_focal_point_stays_inside_the_hero_box_in_every_format(tmp_path: Path, focal: tuple[float, float]) -> None:
    folder = _copy_brand(tmp_path)
    _marker_photo(folder, focal)
    _write_photos(
        folder,
        [
            {
                "id": "marker",
                "file": "photos/marker.png",
                "license": "photos/marker.LICENSE.txt",
                "tags": ["marker"],
                "focal_point": {"x": focal[0], "y": focal[1]},
            }
        ],
    )
    spec = brandkit.load_spec(folder)
    for fmt in spec.formats:
        prompt, rendered = _render(spec, "a marker", fmt=fmt)
        box = prompt.layout.hero_box
        image = np.asarray(load_image(rendered.data).convert("RGB")).astype(int)
        magenta = (image[..., 0] > 200) & (image[..., 1] < 80) & (image[..., 2] > 200)
        ys, xs = np.nonzero(magenta)
        assert len(xs) > 0, f"{fmt}: the focal point was cropped away"
        assert box.x0 <= xs.min() and xs.max() < box.x1 and box.y0 <= ys.min() and ys.max() < box.y1, fmt


def test_crop_window_keeps_the_focal_point_for_any_shape_and_variation() -> None:
    variations = [crop_variation(k) for k in range(27)]
    assert len(set(variations)) == 27 and variations[0] == CropVariation()
    for size in [(600, 400), (400, 600), (512, 512), (1000, 90)]:
        for target in [(920, 360), (360, 920), (500, 500), (1400, 300)]:
            for focal in [(0.0, 0.0), (1.0, 1.0), (0.3, 0.8), (0.5, 0.5)]:
                for variation in variations:
                    x0, y0, x1, y1 = crop_window(size, focal, target, variation)
                    assert 0 <= x0 <= focal[0] * size[0] <= x1 <= size[0]
                    assert 0 <= y0 <= focal[1] * size[1] <= y1 <= size[1]
                    assert (x1 - x0) / (y1 - y0) == pytest.approx(target[0] / target[1], rel=1e-6)


def test_seeds_vary_the_crop_of_one_photo_and_repeat_exactly() -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    request = AssetRequest(brief="coffee cup", headline="Hello there", format="square", n=3, seed=4)
    prompt = compile_prompt(spec, request)
    images = LocalRenderer(spec).render(RenderCall(prompt=prompt, n=3, seed=4)).images
    assert {im.photo.id for im in images} == {"coffee-cup"}
    assert len({im.photo.crop for im in images}) == 3 and len({im.data for im in images}) == 3
    again = LocalRenderer(spec).render(RenderCall(prompt=prompt, n=3, seed=4)).images
    assert [im.data for im in again] == [im.data for im in images]


def test_the_seed_picks_among_equally_good_photos(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    common = {"tags": ["coffee", "cup"], "license": "photos/coffee.LICENSE.txt"}
    _write_photos(
        folder,
        [
            {"id": "first", "file": "photos/coffee.jpg", **common},
            {"id": "second", "file": "photos/chelsea.jpg", **common},
            {"id": "unrelated", "file": "photos/chelsea.jpg", "license": "photos/chelsea.LICENSE.txt", "tags": ["x"]},
        ],
    )
    spec = brandkit.load_spec(folder)
    chosen = {seed: _render(spec, "a cup of coffee", seed=seed)[1].photo.id for seed in range(6)}
    assert set(chosen.values()) == {"first", "second"}  # never the photo that matches nothing
    assert chosen[2] == _render(spec, "a cup of coffee", seed=2)[1].photo.id  # deterministic per seed


def test_the_format_preference_breaks_a_tie(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    common = {"tags": ["coffee"], "license": "photos/coffee.LICENSE.txt", "file": "photos/coffee.jpg"}
    _write_photos(folder, [{"id": "any", **common}, {"id": "for-banner", "formats": ["banner"], **common}])
    spec = brandkit.load_spec(folder)
    assert {_render(spec, "coffee", fmt="banner", seed=s)[1].photo.id for s in range(4)} == {"for-banner"}
    assert {_render(spec, "coffee", fmt="square", seed=s)[1].photo.id for s in range(4)} == {"any", "for-banner"}


def test_a_photo_without_a_licence_is_a_spec_error_naming_the_field(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    _write_photos(folder, [{"id": "coffee", "file": "photos/coffee.jpg", "tags": ["coffee"]}])
    with pytest.raises(SpecError) as info:
        brandkit.load_spec(folder)
    assert any(issue.location == "photos[0].license" for issue in info.value.issues)


def test_a_missing_licence_file_is_a_spec_error_naming_the_field(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    _write_photos(
        folder, [{"id": "coffee", "file": "photos/coffee.jpg", "license": "photos/NOPE.txt", "tags": ["coffee"]}]
    )
    with pytest.raises(SpecError, match=r"photos\[0\]\.license.*NOPE\.txt"):
        brandkit.load_spec(folder)


@pytest.mark.parametrize("bad", ["../northwind/photos/coffee.jpg", "/etc/hostname"])
def test_a_photo_outside_the_spec_folder_is_refused(tmp_path: Path, bad: str) -> None:
    folder = _copy_brand(tmp_path)
    _write_photos(folder, [{"id": "x", "file": bad, "license": "photos/coffee.LICENSE.txt", "tags": ["x"]}])
    with pytest.raises(SpecError, match=r"photos\[0\]\.file"):
        brandkit.load_spec(folder)


def test_a_photo_file_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    _write_photos(
        folder,
        [{"id": "x", "file": "photos/coffee.LICENSE.txt", "license": "photos/coffee.LICENSE.txt", "tags": ["x"]}],
    )
    with pytest.raises(SpecError, match=r"photos\[0\]\.file"):
        brandkit.load_spec(folder)


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        ([{"id": "a"}, {"id": "a"}], "photo ids must be unique"),
        ([{"id": "a", "formats": ["poster"]}], "unknown formats"),
        ([{"id": "a", "focal_point": {"x": 1.5, "y": 0.5}}], "less than or equal to 1"),
        ([{"id": "Bad Id"}], "should match pattern"),
        ([{"id": "a", "tags": []}], "at least 1 item"),
    ],
)
def test_photo_entries_are_validated(tmp_path: Path, photos: list[dict[str, Any]], message: str) -> None:
    folder = _copy_brand(tmp_path)
    base = {"file": "photos/coffee.jpg", "license": "photos/coffee.LICENSE.txt", "tags": ["coffee"]}
    _write_photos(folder, [{**base, **p} for p in photos])
    with pytest.raises(SpecError, match=message):
        brandkit.load_spec(folder)


def test_a_photo_change_changes_the_fingerprint(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    before = brandkit.load_spec(folder).fingerprint
    with Image.open(folder / "photos" / "coffee.jpg") as photo:
        photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "photos" / "coffee.jpg", quality=90)
    assert brandkit.load_spec(folder).fingerprint != before


def test_a_spec_without_photos_keeps_the_geometric_drawing(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    data = yaml.safe_load((folder / "brand.yaml").read_text(encoding="utf-8"))
    del data["photos"]
    (folder / "brand.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    spec = brandkit.load_spec(folder)
    assert spec.photos == []
    prompt, rendered = _render(spec, "A ceramic cup of coffee")
    assert rendered.photo is None
    image = np.asarray(load_image(rendered.data).convert("RGB"))
    bg = np.asarray(background_color(spec, "light"))
    assert (image[0] == bg).all()  # no primary band: the geometric scene carries the primary colour
    box = prompt.layout.hero_box
    hero = image[box.y0 : box.y1, box.x0 : box.x1].reshape(-1, 3)
    palette = {hex_to_rgb(c.hex) for c in spec.palette.colors}
    colours = {tuple(int(v) for v in px) for px in np.unique(hero, axis=0)}
    assert colours <= palette  # flat palette shapes only, no photograph
    primary = hex_to_rgb(spec.palette.by_role(ColorRole.primary)[0].hex)
    assert (hero == primary).all(axis=-1).mean() > 0.1  # the large disc in the primary colour


def test_brief_text_reads_the_fenced_brief_and_purpose() -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    prompt = compile_prompt(spec, AssetRequest(brief="Cups of coffee\non a table", purpose="menu board"))
    text = brief_text(prompt)
    assert text.brief == "Cups of coffee\non a table"
    assert "menu board" in text.purpose
    assert keywords(text.brief) == {"cup", "coffee", "table"}


def test_overlay_mode_leaves_copy_for_compose_and_still_places_the_photo() -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "lumen-health")  # text: overlay, logo: overlay
    prompt, rendered = _render(spec, "a coach portrait")
    assert prompt.text_mode == "overlay"
    assert rendered.photo is not None and rendered.photo.id == "coach-portrait"
    image = np.asarray(load_image(rendered.data).convert("RGB"))
    copy = prompt.layout.copy_box
    bg = np.asarray(background_color(spec, "light"))
    assert (image[copy.y0 : copy.y1, copy.x0 : copy.x1] == bg).all()  # left clear for the compose stage


@pytest.mark.parametrize("brand", BRANDS)
def test_every_example_photo_has_a_licence_and_is_small(brand: str) -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / brand)
    assert len(spec.photos) >= 2
    for photo in spec.photos:
        licence = spec.asset_path(photo.license).read_text(encoding="utf-8")
        assert "Licence:" in licence and ("CC0" in licence or "Public domain" in licence)
        path = spec.asset_path(photo.file)
        assert path.stat().st_size < 400_000
        with Image.open(path) as image:
            assert max(image.size) <= 1024


def test_the_asset_records_the_photo_of_its_attempt(kit_resources: KitResources) -> None:
    northwind = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local")
    request = AssetRequest(
        brief="A ceramic cup of pour-over coffee on an oak table by a window",
        headline="Slow mornings, bright roasts",
        format="square",
        seed=7,
        policies={"palette": "warn"},  # this test is about the record, not the palette rule
    )
    asset = kit.generate(request)
    photo = asset.attempts[asset.attempt_number - 1].photo
    assert photo is not None and photo.id == "coffee-cup"
    assert photo.box == asset.prompt.layout.hero_box
    sidecar = asset.sidecar()
    assert sidecar["attempts"][asset.attempt_number - 1]["photo"]["id"] == "coffee-cup"


def test_a_transparent_background_keeps_the_photo_opaque(tmp_path: Path) -> None:
    folder = _copy_brand(tmp_path)
    spec = brandkit.load_spec(folder)
    bg = background_color(spec, "light")
    # a photo whose left half is exactly the brand background colour
    pixels = np.zeros((400, 600, 3), dtype=np.uint8)
    pixels[:, :300] = bg
    pixels[:, 300:] = (90, 60, 40)
    Image.fromarray(pixels, "RGB").save(folder / "photos" / "flat.png")
    _write_photos(
        folder, [{"id": "flat", "file": "photos/flat.png", "license": "photos/coffee.LICENSE.txt", "tags": ["flat"]}]
    )
    spec = brandkit.load_spec(folder)
    prompt, rendered = _render(spec, "flat", transparent=True, output_format="png")
    image = load_image(rendered.data)
    assert image.mode == "RGBA"
    alpha = np.asarray(image)[..., 3]
    box = prompt.layout.hero_box
    assert (alpha[box.y0 : box.y1, box.x0 : box.x1] == 255).all()
    copy = prompt.layout.copy_box
    assert (alpha[copy.y1 - 5, copy.x0 : copy.x1] == 0).any()  # the flat brand background did become transparent


# --- a product image of the request --------------------------------------------------------------------------


def _reference_file(tmp_path: Path, name: str, image: Image.Image) -> Path:
    path = tmp_path / name
    image.save(path)
    return path


def test_a_product_image_is_the_hero_and_every_reference_is_said(tmp_path: Path) -> None:
    # the local renderer ignored every reference image without a word: `--reference mug.jpg` gave a stock photo
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    rng = np.random.default_rng(3)
    product = Image.fromarray(rng.integers(60, 200, size=(300, 450, 3), dtype=np.uint8))  # landscape, opaque
    refs = [
        {"path": _reference_file(tmp_path, "mug.png", product)},
        {"path": _reference_file(tmp_path, "bottle.png", Image.new("RGB", (64, 64), (20, 90, 40))), "role": "product"},
        {"path": _reference_file(tmp_path, "mood.png", Image.new("RGB", (64, 64), (200, 10, 10))), "role": "style"},
    ]
    prompt = compile_prompt(spec, AssetRequest(brief="Our new mug", headline="Hello there", references=refs, seed=7))
    result = LocalRenderer(spec).render(RenderCall(prompt=prompt, seed=7))
    rendered = result.images[0]
    assert rendered.photo is None  # no library photo: the request's product is the hero
    hero = prompt.layout.hero_box
    assert hero is not None
    placed = np.asarray(load_image(rendered.data).convert("RGB").crop(hero.as_tuple()), dtype=np.int16)
    from brandkit.provider.photo_library import cover_crop

    expected, _ = cover_crop(product, (0.5, 0.5), (hero.width, hero.height))
    assert np.abs(placed - np.asarray(expected, dtype=np.int16)).max() <= 1  # (the PNG round trip is exact)
    given = {Path(r.name).name: (r.name, r.index) for r in prompt.references}  # named as the caller gave them
    (mood, m), (mug, g), (bottle, b) = given["mood.png"], given["mug.png"], given["bottle.png"]
    assert result.notes == [
        f"not applied by the local renderer: the style image {mood!r} (Image {m}); a model follows it",
        f"the product image {mug!r} (Image {g}) is the hero, cover-cropped at its centre: the local renderer lays the "
        "brand out around it (a model stages the product in a new scene)",
        f"not applied by the local renderer: the product image {bottle!r} (Image {b}); only the first product image "
        "is placed",
    ]


def test_a_cut_out_product_is_fitted_whole_over_the_brand_background(tmp_path: Path) -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    cut_out = Image.new("RGBA", (200, 400), (0, 0, 0, 0))
    cut_out.paste((10, 200, 30, 255), (50, 50, 150, 350))  # a green box on transparency (hidden colour: black)
    path = _reference_file(tmp_path, "bottle.png", cut_out)
    prompt = compile_prompt(spec, AssetRequest(brief="A bottle", headline="Hello", references=[{"path": path}], seed=1))
    result = LocalRenderer(spec).render(RenderCall(prompt=prompt, seed=1))
    image = np.asarray(load_image(result.images[0].data).convert("RGB"))
    hero = prompt.layout.hero_box
    assert hero is not None
    area = image[hero.y0 : hero.y1, hero.x0 : hero.x1].reshape(-1, 3)
    bg = np.array(background_color(spec, prompt.background_tone))
    green = np.all(np.abs(area.astype(int) - (10, 200, 30)) <= 2, axis=1).mean()
    assert 0.05 < green < 0.5  # the product whole (fitted, not cropped to cover the box)
    assert not np.any(np.all(area < 8, axis=1))  # no hidden black from the transparent pixels
    background = np.all(area == bg, axis=1).mean()
    assert green + background > 0.99  # the rest is the brand background (and the cut-out's smoothed edge)
    assert "fitted whole and centred (it has transparency)" in result.notes[0]


def test_references_in_an_edit_are_said_not_applied(tmp_path: Path) -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    base = _reference_file(tmp_path, "base.png", Image.new("RGB", (1024, 1024), background_color(spec, "light")))
    mug = _reference_file(tmp_path, "mug.png", Image.new("RGB", (64, 64), (90, 60, 40)))
    refs = [{"path": base, "role": "master"}, {"path": mug}]  # a master reference: the call edits it
    prompt = compile_prompt(spec, AssetRequest(brief="A cup", headline="Hello", references=refs, seed=2))
    result = LocalRenderer(spec).render(RenderCall(prompt=prompt, seed=2))
    name, index = next((r.name, r.index) for r in prompt.references if r.role == "product")
    assert result.notes == [
        f"not applied by the local renderer: the product image {name!r} (Image {index}) in an edit, which keeps the "
        "image being edited"
    ]


def test_generate_says_what_the_renderer_did_with_the_references(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from brandkit.cli import app

    mug = _reference_file(tmp_path, "mug.png", Image.new("RGB", (300, 200), (150, 90, 50)))
    mood = _reference_file(tmp_path, "mood.png", Image.new("RGB", (64, 64), (150, 90, 50)))
    args = ["generate", "-s", str(ROOT / "brand_specs" / "northwind"), "--brief", "Our mug", "--headline", "Hello"]
    args += ["--reference", str(mug), "--reference", f"style={mood}", "-p", "local", "--out", str(tmp_path / "out")]
    shown = CliRunner().invoke(app, args)
    assert f"note: the product image {str(mug)!r} (Image 2) is the hero" in shown.stdout, shown.stdout
    assert f"note: not applied by the local renderer: the style image {str(mood)!r} (Image 3)" in shown.stdout
    as_json = CliRunner().invoke(app, [*args, "--json"])
    notes = json.loads(as_json.stdout)["assets"][0]["notes"]
    assert len(notes) == 2 and notes[1].startswith("the product image")


def test_a_reference_may_be_given_as_a_bare_path(tmp_path: Path) -> None:
    mug = _reference_file(tmp_path, "mug.png", Image.new("RGB", (64, 64), (150, 90, 50)))
    request = AssetRequest(brief="Our mug", references=[mug, str(mug), {"path": mug, "role": "style"}])
    assert [(r.path, r.role) for r in request.references] == [
        (str(mug), "product"),
        (str(mug), "product"),
        (str(mug), "style"),
    ]
    assert request.references[0].read() == mug.read_bytes()
    with pytest.raises(brandkit.RequestValidationError, match=r"references\.0: Input should be a valid dictionary"):
        AssetRequest(brief="Our mug", references=[3])


def test_a_product_photograph_stays_opaque_on_a_transparent_background(tmp_path: Path) -> None:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    flat = Image.new("RGB", (300, 200), background_color(spec, "light"))  # a photo whose pixels equal the background
    flat.paste((120, 70, 40), (100, 50, 200, 150))
    path = _reference_file(tmp_path, "mug.png", flat)
    request = AssetRequest(brief="Our mug", headline="Hello", references=[path], seed=1, transparent=True)
    prompt = compile_prompt(spec, request)
    image = load_image(LocalRenderer(spec).render(RenderCall(prompt=prompt, seed=1)).images[0].data)
    hero = prompt.layout.hero_box
    assert hero is not None and image.mode == "RGBA"
    alpha = np.asarray(image.getchannel("A"))
    assert np.all(alpha[hero.y0 : hero.y1, hero.x0 : hero.x1] == 255)  # the photograph whole, as a library photo
    assert (alpha == 0).mean() > 0.2  # the flat background around it is transparent
