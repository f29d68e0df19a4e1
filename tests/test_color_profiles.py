"""Files with an ICC colour profile are measured in sRGB, as they are shown.

A Display P3 or Adobe RGB file (a designer's export, a phone photo, a Mac screenshot) stores other numbers for the
same colour: Ubuntu orange #E95420 is (203, 85, 41) in Adobe RGB. brandkit read those numbers as sRGB, so the
palette check saw the brand's orange 5.8 ΔE2000 away from itself, doubled the far-off-palette share of an ad and
named the wrong colours in its advice. ``load_image`` now converts from the embedded profile to sRGB.

The profiles are written by ``tests/support/icc.py`` from their published definitions; the first test holds them
to published conversions (sRGB red is (234, 51, 35) in Display P3 and (219, 0, 0) in Adobe RGB).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageCms

import brandkit
from brandkit.imageio import load_image
from tests.support.icc import adobe_rgb, display_p3, gray_profile

ROOT = Path(__file__).resolve().parents[1]
SRGB = ImageCms.createProfile("sRGB")


def encoded(image: Image.Image, profile: bytes, fmt: str = "PNG") -> bytes:
    """``image`` (sRGB) converted into ``profile``'s numbers and saved with the profile embedded."""
    target = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    mode = "RGBA" if image.mode == "RGBA" else "RGB"
    converted = ImageCms.profileToProfile(
        image, SRGB, target, renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode=mode
    )
    assert converted is not None
    out = io.BytesIO()
    converted.save(out, fmt, icc_profile=profile, **({} if fmt == "PNG" else {"quality": 100}))
    return out.getvalue()


@pytest.mark.parametrize(("profile", "red"), [(display_p3(), (234, 51, 35)), (adobe_rgb(), (219, 0, 0))])
def test_the_test_profiles_give_the_published_conversions(profile: bytes, red: tuple[int, int, int]) -> None:
    data = encoded(Image.new("RGB", (4, 4), (255, 0, 0)), profile)
    with Image.open(io.BytesIO(data)) as raw:
        assert raw.convert("RGB").getpixel((0, 0)) == red  # the file's own numbers
    assert load_image(data).getpixel((0, 0)) == (255, 0, 0)  # read as shown: sRGB red


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_load_image_converts_rgb_rgba_and_grey_to_srgb(fmt: str) -> None:
    red = load_image(encoded(Image.new("RGB", (8, 8), (233, 84, 32)), adobe_rgb(), fmt)).getpixel((0, 0))
    assert isinstance(red, tuple) and max(abs(a - b) for a, b in zip(red, (233, 84, 32), strict=True)) <= 2
    if fmt != "JPEG":
        alpha = load_image(encoded(Image.new("RGBA", (8, 8), (233, 84, 32, 100)), display_p3(), fmt))
        pixel = alpha.getpixel((0, 0))
        assert alpha.mode == "RGBA" and isinstance(pixel, tuple) and pixel[3] == 100
        assert max(abs(a - b) for a, b in zip(pixel[:3], (233, 84, 32), strict=True)) <= 2
    if fmt == "WEBP":  # WebP has no grey mode
        return
    grey = io.BytesIO()
    Image.new("L", (8, 8), 128).save(
        grey, fmt, icc_profile=gray_profile(1.8), **({} if fmt == "PNG" else {"quality": 100})
    )
    # 128 on a gamma-1.8 grey is linear 0.289, which sRGB encodes as 146
    assert load_image(grey.getvalue()).getpixel((0, 0)) == (146, 146, 146)


def test_srgb_unreadable_and_mismatched_profiles_leave_the_numbers_as_they_are() -> None:
    def with_profile(profile: bytes, mode: str = "RGB") -> bytes:
        out = io.BytesIO()
        Image.new(mode, (4, 4), (10, 200, 90) if mode == "RGB" else 77).save(out, "PNG", icc_profile=profile)
        return out.getvalue()

    srgb = ImageCms.ImageCmsProfile(SRGB).tobytes()
    assert load_image(with_profile(srgb)).getpixel((0, 0)) == (10, 200, 90)
    assert load_image(with_profile(b"not a profile" * 16)).getpixel((0, 0)) == (10, 200, 90)  # as viewers show it
    assert load_image(with_profile(adobe_rgb(), "L")).getpixel((0, 0)) == (77, 77, 77)  # an RGB profile on grey


def test_the_palette_check_measures_an_adobe_rgb_export_as_the_srgb_original() -> None:
    kit = brandkit.BrandKit(ROOT / "brand_specs" / "ubuntu", provider="local", checks=["palette"])
    ad = kit.generate({"brief": "A laptop on a desk", "headline": "Slow mornings", "cta": "Order ahead", "seed": 5})
    original = kit.validate(ad.data).checks["palette"].details
    export = kit.validate(encoded(ad.image.convert("RGB"), adobe_rgb())).checks["palette"].details
    # read as sRGB numbers, the export's far-off-palette share was 0.090 against 0.038, its orange ΔE 5.8
    assert abs(export["far_off_palette_share"] - original["far_off_palette_share"]) < 0.002
    orange = next(c for c in export["dominant"] if c["nearest"].startswith("Ubuntu Orange"))
    assert orange["delta_e"] < 0.5, orange


def test_the_technical_check_says_which_profile_the_file_carries() -> None:
    kit = brandkit.BrandKit(ROOT / "brand_specs" / "northwind", provider="local", checks=["technical"])
    image = Image.new("RGB", (1024, 1024), (243, 233, 220))
    with_p3 = kit.validate(encoded(image, display_p3())).checks["technical"]
    assert with_p3.details["checks"]["color_profile"] == {"ok": None, "expected": None, "actual": "Display P3 (test)"}
    plain = io.BytesIO()
    image.save(plain, "PNG")
    without = kit.validate(plain.getvalue()).checks["technical"]
    assert without.details["checks"]["color_profile"]["actual"] is None
    assert with_p3.status == without.status and with_p3.score == without.score  # said, not judged
