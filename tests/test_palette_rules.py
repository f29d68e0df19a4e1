"""Region-aware palette rules: brand zones pixel by pixel, photographs by colour character, exact figures.

The photographs are real (scikit-image's ``coffee`` and ``chelsea``, decoded from their files); the ads are
small compositions: a flat brand zone (background, a primary band, text-like strokes) around a photo box.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance
from skimage import data as skdata

import brandkit
from brandkit.asset import provenance_record
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.palette import PaletteCheck
from brandkit.color import ciede2000, hex_to_rgb, srgb_to_lab
from brandkit.compile import compile_prompt
from brandkit.imageio import encode_image, load_image
from brandkit.models import AssetRequest, CheckStatus
from brandkit.pipeline import expectation_from_provenance
from brandkit.spec.palette import (
    ColorRange,
    NeutralRule,
    Palette,
    PaletteColor,
    PhotoRule,
    palette_space,
)
from brandkit.spec.palette_warnings import palette_warnings

RESOURCES = CheckResources()
SIZE = 384
BOX = (24, 200, 360, 360)  # the photo box of the test ads (x0, y0, x1, y1)


def _spec(base: brandkit.BrandSpec, **palette: object) -> brandkit.BrandSpec:
    return base.model_copy(update={"palette": base.palette.model_copy(update=palette)})


def _warm(base: brandkit.BrandSpec, **photo: object) -> brandkit.BrandSpec:
    """Northwind with explicit rules (independent of the shipped spec's tuning)."""
    rule = PhotoRule(
        max_delta_e=20,
        ranges=[ColorRange(name="warm natural", hue=(15, 100), chroma=(0, 70), lightness=(4, 99))],
        max_off_share=0.15,
    ).model_copy(update=photo)
    colors = [
        c.model_copy(update={"where": "brand_zones"}) if c.role.value == "primary" else c for c in base.palette.colors
    ]
    return _spec(base, colors=colors, photo=rule, neutrals=NeutralRule(chroma=8, max_share=0.85), measure="regions")


def _photo(name: str = "coffee", size: tuple[int, int] = (BOX[2] - BOX[0], BOX[3] - BOX[1])) -> Image.Image:
    image = Image.fromarray(getattr(skdata, name)()).convert("RGB")
    return image.resize(size, Image.Resampling.LANCZOS)


def _ad(photo: Image.Image | None = None, zone: str = "#F3E9DC") -> Image.Image:
    """Crema brand zone, a Roast Brown band, Espresso Ink strokes (text-like) and the photo in BOX."""
    image = Image.new("RGB", (SIZE, SIZE), zone)
    draw = ImageDraw.Draw(image)
    draw.rectangle((24, 24, 360, 60), fill="#4B2E2A")
    for y in range(80, 180, 22):
        draw.rectangle((24, y, 300, y + 8), fill="#1E1B18")
    draw.rounded_rectangle((24, 160, 150, 190), radius=8, fill="#E07A2E")
    image.paste(photo if photo is not None else _photo(), BOX[:2])
    return image


def _run(
    spec: brandkit.BrandSpec, image: Image.Image, box: tuple[int, int, int, int] | None = BOX
) -> brandkit.CheckResult:
    data = encode_image(image, "png")
    ctx = CheckContext(
        spec=spec, image=load_image(data), data=data, expectation=Expectation(photo_box=box), resources=RESOURCES
    )
    return PaletteCheck().run(ctx)


def test_brand_zones_are_measured_outside_the_photo_only(northwind: brandkit.BrandSpec) -> None:
    spec = _warm(northwind)
    res = _run(spec, _ad())
    assert res.details["regions"]["source"] == "layout"
    assert res.details["coverage_scope"] == "brand_zones" and res.details["coverage"] > 0.99
    assert res.status == CheckStatus.passed, res.hint
    # the same image under the previous rule: the photograph drags all-pixel coverage below 85 %
    old = _run(_spec(northwind, measure="all-pixels"), _ad())
    assert old.details["coverage_scope"] == "image" and old.details["coverage"] < 0.85
    assert old.status == CheckStatus.failed


def test_an_off_palette_brand_zone_fails_next_to_an_on_brand_photo(northwind: brandkit.BrandSpec) -> None:
    image = _ad()
    ImageDraw.Draw(image).rectangle((24, 64, 360, 190), fill="#8A2BE2")  # a violet panel in the copy area
    res = _run(_warm(northwind), image)
    assert res.status == CheckStatus.failed and res.details["coverage"] < 0.85
    assert (
        res.hint is not None
        and res.hint.startswith("keep to the brand palette in the brand zones")
        and "#8A2BE2" in res.hint
    )
    assert "replace it with a brand colour" in res.hint  # far from every brand colour: not "use exactly"


def test_a_near_miss_in_the_brand_zone_asks_for_the_exact_colour(northwind: brandkit.BrandSpec) -> None:
    image = _ad()
    beige = _near("#F3E9DC", 13.0, (-1, -1, -2))  # a Crema-like beige, ΔE ≈ 13 off
    ImageDraw.Draw(image).rectangle((24, 64, 360, 190), fill=beige)
    res = _run(_warm(northwind), image)
    assert res.status == CheckStatus.failed and res.hint is not None
    assert (
        res.hint.startswith("keep to the brand palette in the brand zones") and "use exactly Crema #F3E9DC" in res.hint
    )


def test_a_neutral_only_image_fails(northwind: brandkit.BrandSpec) -> None:
    grey = _ad().convert("L").convert("RGB")
    res = _run(_warm(northwind), grey)
    assert res.status == CheckStatus.failed
    assert res.details["neutral_share"] > 0.85
    assert any("neutral" in p for p in res.details["problems"])
    assert any("Roast Brown" in p for p in res.details["problems"])  # the primary is gone from the brand zones


def test_a_near_black_image_fails_with_or_without_a_layout(northwind: brandkit.BrandSpec) -> None:
    spec = _warm(northwind)
    dark = ImageEnhance.Brightness(_ad()).enhance(0.1)
    res = _run(spec, dark)
    assert res.status == CheckStatus.failed
    assert any("near-black" in p for p in res.details["problems"])
    rng = np.random.default_rng(3)
    black = Image.fromarray(np.clip(rng.normal(10, 3, (SIZE, SIZE, 3)), 0, 255).astype(np.uint8), "RGB")
    bare = _run(spec, black, box=None)
    assert bare.details["regions"]["source"] == "segmentation" and bare.status == CheckStatus.failed
    # the previous rule passed it: black is an allowed neutral, so every pixel is "on palette"
    old = _run(
        _spec(northwind, measure="all-pixels", colors=[c for c in northwind.palette.colors if c.min_share is None]),
        black,
    )
    assert old.details["coverage"] > 0.99 and old.status == CheckStatus.passed


def test_a_competitor_field_in_the_photo_fails(northwind: brandkit.BrandSpec) -> None:
    # forbid the rival green pixel rule from firing (max_share 1.0): only the photo's colour character can catch it
    forbidden = [f.model_copy(update={"max_share": 1.0}) for f in northwind.palette.forbidden_colors]
    spec = _warm(northwind).model_copy(deep=True)
    spec.palette.forbidden_colors = forbidden
    photo = _photo()
    field = np.asarray(photo).astype(np.float64)
    h, w = field.shape[:2]
    shade = np.linspace(0.9, 1.1, w)[None, :, None]  # a lit, shaded object, not a flat swatch
    green = np.asarray(hex_to_rgb("#00704A"), dtype=np.float64)[None, None, :] * shade
    field[: h // 2, w // 2 :] = green[:, w // 2 :]
    res = _run(spec, _ad(Image.fromarray(np.clip(field, 0, 255).astype(np.uint8), "RGB")))
    assert res.status == CheckStatus.failed
    assert any("the photo shows Rival green" in p for p in res.details["problems"])
    assert "remove the" in (res.hint or "") and "Rival green" in (res.hint or "")


def test_a_warm_low_saturation_photo_passes_a_warm_brand_and_a_cold_cast_fails(northwind: brandkit.BrandSpec) -> None:
    muted_range = ColorRange(name="warm muted", hue=(15, 100), chroma=(0, 40), lightness=(4, 99))
    spec = _warm(northwind, ranges=[muted_range])
    muted = ImageEnhance.Color(_photo()).enhance(0.55)
    res = _run(spec, _ad(muted))
    assert res.status == CheckStatus.passed, res.hint
    judged = [c for c in res.details["photo"]["clusters"] if c["dominant"]]
    assert judged and all(c["on_brand"] for c in judged)
    assert any(c["in_ranges"] == ["warm muted"] for c in judged)
    cold = _run(spec, _ad(Image.blend(muted, Image.new("RGB", muted.size, "#2F5BFF"), 0.45)))
    assert cold.status == CheckStatus.failed
    assert "the photograph's colours are off-brand" in (cold.hint or "")


def test_colour_temperature_range(northwind: brandkit.BrandSpec) -> None:
    from brandkit.spec.palette import ColorTemperature

    spec = _warm(
        northwind, temperature=ColorTemperature(min_kelvin=1800, max_kelvin=6000), ranges=[], max_off_share=1.0
    )
    warm = _run(spec, _ad())
    assert warm.details["photo"]["color_temperature_k"] < 6000 and warm.status == CheckStatus.passed, warm.hint
    blue = Image.blend(_photo(), Image.new("RGB", _photo().size, "#2F5BFF"), 0.45)
    cool = _run(spec, _ad(blue))
    assert cool.details["photo"]["color_temperature_k"] > 6000
    assert cool.status == CheckStatus.failed and "too cool" in (cool.hint or "")
    assert "monochrome" not in cool.details["photo"]
    # a black-and-white photograph has no colour cast: its grey-world white is the display's (~6500 K), which
    # the hint says instead of calling it blue; a sepia print is warm colour, judged as such
    grey = _photo().convert("L").convert("RGB")
    mono = _run(spec, _ad(grey))
    assert mono.status == CheckStatus.failed and 6400 < mono.details["photo"]["color_temperature_k"] < 6600
    assert mono.details["photo"]["monochrome"] is True
    assert "the photograph is black and white" in (mono.hint or "") and "too cool" not in (mono.hint or "")
    tone = np.asarray(grey, dtype=np.float64) * np.array([1.07, 0.94, 0.74])
    sepia = Image.fromarray(np.clip(tone, 0, 255).astype(np.uint8), "RGB")
    toned = _run(spec, _ad(sepia))
    assert toned.details["photo"]["color_temperature_k"] < 6000 and "monochrome" not in toned.details["photo"]


def _near(target: str, delta: float, direction: tuple[int, int, int]) -> tuple[int, int, int]:
    """The integer colour along ``direction`` from ``target`` whose ΔE00 to it is closest to ``delta``."""
    base = np.asarray(hex_to_rgb(target))
    steps = np.clip(base[None, :] + np.arange(0, 120)[:, None] * np.asarray(direction)[None, :], 0, 255)
    de = ciede2000(srgb_to_lab(steps.astype(np.uint8)), srgb_to_lab(np.asarray([base], dtype=np.uint8)))
    best = steps[int(np.argmin(np.abs(de - delta)))]
    return (int(best[0]), int(best[1]), int(best[2]))


def test_descriptive_figures_are_exact_on_flat_areas_near_the_tolerance(northwind: brandkit.BrandSpec) -> None:
    spec = _spec(northwind, measure="all-pixels")
    flats = [
        _near("#F3E9DC", 9.9, (0, -1, -2)),  # just inside the tolerance of Crema
        _near("#F3E9DC", 10.2, (0, -1, -2)),  # just outside
        _near("#7A9E7E", 19.9, (-1, 1, -1)),  # just under the off-palette line (ΔE 20) of Sage
        _near("#7A9E7E", 20.3, (-1, 1, -1)),  # just over it
    ]
    arr = np.zeros((64, 64, 3), dtype=np.uint8)
    for i, rgb in enumerate(flats):
        arr[i * 16 : (i + 1) * 16] = rgb
    rng = np.random.default_rng(5)
    arr[:, 48:] = rng.integers(0, 256, (64, 16, 3), dtype=np.uint8)  # and a noisy strip
    res = _run(spec, Image.fromarray(arr, "RGB"), box=None)
    colors, _ = spec.palette.reference_colors()
    de = ciede2000(srgb_to_lab(arr.reshape(-1, 3))[:, None, :], srgb_to_lab(np.asarray(colors, dtype=np.uint8))[None])
    dmin = de.min(axis=1)
    d = res.details
    assert d["far_off_palette_share"] == pytest.approx(float(np.mean(dmin > 20)), abs=1e-5)
    assert d["off_palette_share"] == pytest.approx(float(np.mean(dmin > 10)), abs=1e-5)  # beyond the tolerance
    assert d["mean_delta_e"] == pytest.approx(float(dmin.mean()), abs=1e-3)
    assert d["exact_coverage_all_pixels"] == pytest.approx(float(np.mean(dmin <= 10)), abs=1e-5)
    assert d["coverage"] == d["exact_coverage_all_pixels"]  # the fast per-pixel rule agrees with the exact figures
    p95 = float(np.sort(dmin)[math.ceil(0.95 * dmin.size) - 1])
    assert d["p95_delta_e"] == pytest.approx(p95, abs=1e-3)
    for entry, (i, c) in zip(d["colors"], enumerate(spec.palette.colors), strict=True):
        assert c.name == entry["name"]
        exact = float(np.mean((dmin <= 10) & (de.argmin(axis=1) == i)))
        assert entry["share"] == pytest.approx(exact, abs=1e-5)


def test_the_palette_space_warning(northwind: brandkit.BrandSpec, lumen: brandkit.BrandSpec) -> None:
    for spec in (northwind, lumen):
        assert palette_warnings(spec.palette) == [] and palette_space(spec.palette) < 0.15
    rng = np.random.default_rng(11)
    colors = [
        {"name": f"tint {i}", "hex": "#" + "".join(f"{int(v):02X}" for v in rng.integers(0, 256, 3)), "role": "accent"}
        for i in range(60)
    ]
    big = Palette.model_validate({"colors": colors, "tolerance": 10})
    share = palette_space(big)
    assert share > 0.5
    (warning,) = palette_warnings(big)
    assert "the 60 colours and the neutrals within ΔE 10" in warning and f"{share:.0%}" in warning
    # what widens it is named: one colour and the allowed colours (an imported brand.yml's palette: ramps allowed)
    allowed = [{"name": c["name"], "hex": c["hex"]} for c in colors[1:40]]
    one = Palette.model_validate({"colors": colors[:1], "allowed": allowed})
    (warning,) = palette_warnings(one)
    assert warning.startswith("palette: the 1 colour, 39 allowed and the neutrals within ΔE 10 cover")
    # the check reports the exact share from its table; the grid estimate agrees with it
    res = _run(northwind, _ad())
    assert res.details["palette_space_share"] == pytest.approx(palette_space(northwind.palette), abs=0.01)
    assert "warning" not in res.details


def test_segmentation_finds_the_photo_of_an_image_without_a_layout(northwind: brandkit.BrandSpec) -> None:
    res = _run(_warm(northwind), _ad(), box=None)
    regions = res.details["regions"]
    box_share = (BOX[2] - BOX[0]) * (BOX[3] - BOX[1]) / SIZE**2
    assert regions["source"] == "segmentation"
    assert regions["photo_share"] == pytest.approx(box_share, abs=0.08)
    assert res.status == CheckStatus.passed, res.hint


def test_old_specs_load_and_all_pixels_keeps_the_previous_rule(northwind: brandkit.BrandSpec) -> None:
    old = {"colors": [{"name": "Ink", "hex": "#112233", "role": "primary"}], "tolerance": 10, "min_coverage": 0.85}
    palette = Palette.model_validate(old)
    assert palette.measure == "regions" and palette.photo == PhotoRule() and palette.neutrals == NeutralRule()
    spec = _spec(northwind, measure="all-pixels")
    image = _ad()
    res = _run(spec, image)
    assert res.details["photo"] is None and res.details["neutral_max_share"] is None
    assert res.details["coverage"] == res.details["exact_coverage_all_pixels"]


def test_the_photo_box_travels_in_provenance(northwind: brandkit.BrandSpec) -> None:
    prompt = compile_prompt(
        northwind, AssetRequest(brief="a cup of coffee", headline="Slow mornings", format="landscape")
    )
    record = provenance_record(prompt, "local", "local", 1, None)
    assert prompt.layout.hero_box is not None and record["photo_box"] == list(prompt.layout.hero_box.as_tuple())
    from brandkit.asset import embed_provenance

    data = embed_provenance(encode_image(Image.new("RGB", (1536, 1024), "#F3E9DC"), "png"), "png", record)
    assert expectation_from_provenance(data, "png").photo_box == prompt.layout.hero_box.as_tuple()


def test_measures_let_calibration_set_the_dominant_colour_distance(northwind: brandkit.BrandSpec) -> None:
    spec = _warm(northwind, ranges=[], max_delta_e=10)
    photo = _photo()
    res = _run(spec, _ad(photo))
    assert res.status == CheckStatus.failed and res.details["photo"]["off_brand_share"] > 0.15
    measures = {m.setting: m for m in res.measures}
    needed = measures["palette.photo.max_delta_e"]
    assert needed.bound == "max" and needed.value > needed.threshold
    relaxed = _warm(northwind, ranges=[], max_delta_e=needed.value + 0.01)
    assert _run(relaxed, _ad(photo)).details["photo"]["off_brand_share"] <= 0.15
    assert {"palette.min_coverage", "palette.photo.max_off_share", "palette.neutrals.max_share"} <= set(measures)


def test_a_bare_photo_without_brand_zones_fails_for_a_brand_zone_primary(northwind: brandkit.BrandSpec) -> None:
    spec = _warm(northwind)
    bare = _photo("coffee", (SIZE, SIZE))
    res = _run(spec, bare, box=None)
    assert res.details["regions"]["photo_share"] == 1.0 and res.details["coverage"] is None
    assert res.status == CheckStatus.failed
    assert "the image has no brand zones" in (res.hint or "")
    # the zone-share rule and the primary's rule in the zones fail alike: the layout advice is given once, and
    # the colour wanted in the zones is still named
    assert (res.hint or "").count("copy panel, band, CTA, logo plate") == 1, res.hint
    assert "use Roast Brown #4B2E2A in the brand zones (at least 0.5%)" in (res.hint or "")
    assert "Roast Brown is missing: the image has no brand zones" in res.details["problems"]
    # the same photo placed in a layout with the primary in its brand zones passes
    assert _run(spec, _ad()).status == CheckStatus.passed
    # with the primary measured over the whole image, min_brand_zone_share is what rejects a bare photo
    whole = _spec(spec, colors=list(northwind.palette.colors), min_brand_zone_share=0.2)
    res = _run(whole, bare, box=None)
    assert res.status == CheckStatus.failed
    assert res.details["problems"][0] == "brand zones cover 0% of the image (needs ≥ 20%)"
    assert _run(whole, _ad()).status == CheckStatus.passed


def test_a_monochrome_palette_with_a_neutral_limit_is_warned() -> None:
    # every brand colour neutral (a black-and-white brand): the default neutrals.max_share 0.9 fails an image made in
    # the brand's own colours — spec check says so; with max_share 1 nothing is said, and with one chromatic colour
    # the warning is the one-brand-colour one (test_one_brand_colour_among_neutrals_is_warned_of)
    mono = [
        {"name": "Black", "hex": "#000000", "role": "primary"},
        {"name": "Dark Gray", "hex": "#333333", "role": "text"},
        {"name": "Paper", "hex": "#FAFAF7", "role": "background"},
    ]
    (warning,) = palette_warnings(Palette.model_validate({"colors": mono}))
    assert "every brand colour is neutral (Black #000000, Dark Gray #333333, Paper #FAFAF7)" in warning
    assert "neutrals.max_share is 0.9" in warning
    assert palette_warnings(Palette.model_validate({"colors": mono, "neutrals": {"max_share": 1}})) == []
    blue = [*mono, {"name": "Technic Blue", "hex": "#12017C", "role": "accent"}]
    (warning,) = palette_warnings(Palette.model_validate({"colors": blue}))
    assert warning.startswith("palette: one brand colour (Technic Blue #12017C) among 3 neutral one(s)")
    assert palette_warnings(Palette.model_validate({"colors": mono, "measure": "all-pixels"})) == []  # no such rule


def test_the_too_grey_hint_names_the_colours_that_bring_colour(northwind: brandkit.BrandSpec) -> None:
    # a brand whose primary is black: "bring in the brand colours Base Black #000000" asked for more grey
    colors = [
        PaletteColor(name="Base Black", hex="#000000", role="primary"),
        PaletteColor(name="Paper", hex="#FFFFFF", role="background"),
        PaletteColor(name="Technic Blue", hex="#12017C", role="secondary"),
        PaletteColor(name="Anhalt Red", hex="#D40009", role="accent"),
    ]
    spec = _spec(northwind, colors=colors, forbidden_colors=[], photo=PhotoRule())
    image = Image.new("RGB", (SIZE, SIZE), "#FFFFFF")
    ImageDraw.Draw(image).rectangle((24, 24, 360, 120), fill="#000000")
    res = _run(spec, image, box=None)
    assert res.hint is not None
    assert "allowed): bring in the brand colours Technic Blue #12017C, Anhalt Red #D40009" in res.hint


def test_one_brand_colour_among_neutrals_is_warned_of() -> None:
    """A UI theme's palette — white, near-black, grey and one blue (shadcn/ui's, Bootstrap's) — under the 90 %
    neutral limit: images in its own colours are mostly neutral pixels (91–93 % offline), so ``spec check`` and
    the import say so and what to set; two brand colours, or a lifted limit, are not warned of."""
    neutrals = [
        {"name": "Background", "hex": "#FFFFFF", "role": "background"},
        {"name": "Foreground", "hex": "#0A0A0A", "role": "text"},
        {"name": "Muted", "hex": "#F4F4F5", "role": "neutral"},
    ]
    blue = {"name": "Primary", "hex": "#2563EB", "role": "primary"}
    theme = Palette.model_validate({"colors": [*neutrals, blue]})
    (warning,) = palette_warnings(theme)
    assert warning.startswith("palette: one brand colour (Primary #2563EB) among 3 neutral one(s)")
    assert "give Primary a min_share" in warning
    two = Palette.model_validate({"colors": [*neutrals, blue, {"name": "Orange", "hex": "#F97316", "role": "accent"}]})
    assert palette_warnings(two) == []
    lifted = Palette.model_validate({"colors": [*neutrals, blue], "neutrals": {"max_share": 1.0}})
    assert palette_warnings(lifted) == []
