"""The palette check: coverage against the exact per-pixel result, shares, forbidden colours, image modes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import brandkit
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.palette import PaletteCheck, reference_colors
from brandkit.color import PaletteMatcher
from brandkit.imageio import encode_image, load_image
from brandkit.models import CheckStatus

RESOURCES = CheckResources()  # shared by this module's tests: the lookup tables are built once


def _run(spec: brandkit.BrandSpec, image: Image.Image | bytes) -> brandkit.CheckResult:
    data = image if isinstance(image, bytes) else encode_image(image, "png")
    decoded = load_image(data)
    ctx = CheckContext(spec=spec, image=decoded, data=data, expectation=Expectation(), resources=RESOURCES)
    return PaletteCheck().run(ctx)


def _scene(
    spec: brandkit.BrandSpec, size: int = 256, off: tuple[int, int, int] | None = None, off_share: float = 0.0
) -> Image.Image:
    """Stripes of the brand colours (with the primary ≥ its min share), optional off-palette band, noise."""
    colors = [c.hex for c in spec.palette.colors]
    image = Image.new("RGB", (size, size), colors[0])
    arr = np.asarray(image).copy()
    band = size // len(colors)
    for i, hex_color in enumerate(colors):
        rgb = tuple(int(hex_color[k : k + 2], 16) for k in (1, 3, 5))
        arr[:, i * band : (i + 1) * band] = rgb
    if off is not None:
        rows = round(size * off_share)
        arr[:rows, :] = off
    rng = np.random.default_rng(0)
    noisy = np.clip(arr.astype(np.int16) + rng.normal(0, 2, arr.shape).round().astype(np.int16), 0, 255)
    return Image.fromarray(noisy.astype(np.uint8), "RGB")


def test_on_palette_image_passes(northwind: brandkit.BrandSpec) -> None:
    res = _run(northwind, _scene(northwind))
    assert res.status == CheckStatus.passed and res.score is not None and res.score > 0.99
    names = {c["name"] for c in res.details["colors"] if c["present"]}
    assert names == {c.name for c in northwind.palette.colors}


def test_coverage_equals_the_exact_per_pixel_result(northwind: brandkit.BrandSpec) -> None:
    image = _scene(northwind, off=(63, 163, 77), off_share=0.3)
    res = _run(northwind, image)
    colors, _ = reference_colors(northwind.palette)
    de, _ = PaletteMatcher(colors).exact_min_delta_e(np.asarray(image).reshape(-1, 3))
    exact = float(np.mean(de <= northwind.palette.tolerance))
    assert res.details["coverage"] == pytest.approx(exact, abs=1e-5)


def test_off_palette_area_fails_with_a_targeted_hint(northwind: brandkit.BrandSpec) -> None:
    res = _run(northwind, _scene(northwind, off=(63, 163, 77), off_share=0.3))
    assert res.status == CheckStatus.failed
    # with region-aware rules the hint also names the brand zones it measured
    assert (
        res.hint is not None
        and res.hint.startswith("keep to the brand palette in the brand zones")
        and "#3" in res.hint
    )
    assert "(30%)" in res.hint  # the off-palette band's exact share of the zones, not a k-means fragment of it
    top = res.details["dominant"][0]
    assert not top["on_palette"] and top["delta_e"] > northwind.palette.tolerance


def test_forbidden_colour_share(northwind: brandkit.BrandSpec) -> None:
    res = _run(northwind, _scene(northwind, off=(0, 112, 74), off_share=0.05))  # the rival green #00704A
    rival = next(f for f in res.details["forbidden_colors"] if f["name"] == "Rival green")
    assert rival["share"] == pytest.approx(0.05, abs=0.01) and not rival["ok"]
    assert res.status == CheckStatus.failed and "remove Rival green" in (res.hint or "")


def test_min_and_max_share(lumen: brandkit.BrandSpec) -> None:
    image = Image.new("RGB", (200, 200), "#F5F8FC")  # only the background colour: primary below its min share
    res = _run(lumen, image)
    assert res.status == CheckStatus.failed and "use more Lumen Blue" in (res.hint or "")
    mint = Image.new("RGB", (200, 200), "#3CC5A0")  # accent over its max share
    res = _run(lumen, mint)
    assert "reduce Mint" in (res.hint or "")


def test_transparent_pixels_are_ignored(northwind: brandkit.BrandSpec) -> None:
    image = _scene(northwind).convert("RGBA")
    arr = np.asarray(image).copy()
    arr[:128, :, :3] = (63, 163, 77)  # off-palette, but fully transparent
    arr[:128, :, 3] = 0
    res = _run(northwind, Image.fromarray(arr, "RGBA"))
    assert res.status == CheckStatus.passed and res.details["pixels"] == 256 * 128
    empty = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    assert _run(northwind, empty).status == CheckStatus.skipped


@pytest.mark.parametrize("mode", ["P", "L", "LA", "CMYK", "I;16", "RGBA"])
def test_image_modes(northwind: brandkit.BrandSpec, mode: str) -> None:
    base = _scene(northwind)
    if mode == "I;16":
        grey = np.asarray(base.convert("L"), dtype=np.uint16) * 257
        image = Image.fromarray(grey)
        assert image.mode.startswith("I;16")
        buf = io.BytesIO()
        image.save(buf, "PNG")
        data = buf.getvalue()
    else:
        converted = base.quantize(colors=32) if mode == "P" else base.convert(mode)
        buf = io.BytesIO()
        converted.save(buf, "TIFF" if mode == "CMYK" else "PNG")
        data = buf.getvalue()
    res = _run(northwind, data)
    assert res.status in (CheckStatus.passed, CheckStatus.failed)
    assert 0.0 <= res.details["coverage"] <= 1.0 and res.details["pixels"] == 256 * 256
    if mode in ("P", "RGBA", "CMYK"):
        assert res.details["coverage"] > 0.9  # colours survive the mode


def test_exif_orientation_is_applied(northwind: brandkit.BrandSpec) -> None:
    image = Image.new("RGB", (300, 100), "#F3E9DC")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif, quality=95)
    decoded = load_image(buf.getvalue())
    assert decoded.size == (100, 300)


def test_the_off_palette_share_is_the_evidence_report_s_and_a_near_miss_colour_is_off(
    northwind: brandkit.BrandSpec,
) -> None:
    from brandkit.evidence.heatmap import palette_evidence

    # vivid red: ΔE 18 from Ember Orange — beyond the tolerance (10), not "far off" (ΔE > 20)
    red = Image.new("RGB", (256, 256), (255, 0, 0))
    res = _run(northwind, red)
    assert res.status == CheckStatus.failed and res.details["coverage"] == 0.0
    assert res.details["off_palette_share"] == 1.0 and res.details["far_off_palette_share"] == 0.0
    # the limit a hint names is the spec's, unrounded (Roast Brown's min_share 0.005)
    assert "needs at least 0.5%)" in (res.hint or "") and "(needs ≥ 0.5%)" in " ".join(res.details["problems"])
    for image in (red, _scene(northwind, off=(63, 163, 77), off_share=0.3)):
        details = _run(northwind, image).details
        evidence = palette_evidence(image, northwind.palette)
        assert details["off_palette_share"] == pytest.approx(evidence.off_palette_share, abs=1e-4)
        assert details["off_palette_share"] == pytest.approx(1 - details["coverage"], abs=1e-5)


@pytest.mark.parametrize(
    ("value", "limit", "shown", "bound"),
    [
        (0.0046, 0.005, "0.46%", "0.5%"),  # not "now 0.5%, needs at least 0.5%"
        (0.0099, 0.01, "0.99%", "1%"),
        (0.0104, 0.01, "1.04%", "1%"),
        (0.3, 0.05, "30.0%", "5%"),
        (0.0, 0.005, "0.0%", "0.5%"),
        (0.12345, 0.125, "12.3%", "12.5%"),
    ],
)
def test_a_share_is_shown_so_that_it_differs_from_the_limit_it_broke(
    value: float, limit: float, shown: str, bound: str
) -> None:
    from brandkit.checks.base import limit_pct, measured_pct

    assert (measured_pct(value, limit), limit_pct(limit)) == (shown, bound)
