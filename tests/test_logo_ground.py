"""The logo check's ground rule: a transparent logo on a ground clearly of the other tone than its variant is made for
fails (``wrong_ground``), naming the variant made for it; a mid-tone ground, a ground the variant names by palette
colour and the right ground pass."""

from __future__ import annotations

import pytest
from PIL import Image

from benchmarks.bench_checks import COPY
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.logo import LogoCheck
from brandkit.checks.logo.ground import clear_tone
from brandkit.color import hex_to_rgb
from brandkit.compose import logo_image
from brandkit.imageio import encode_image
from brandkit.layout import resize_logo
from brandkit.models import CheckResult, CheckStatus
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec
from brandkit.wcag import relative_luminance


def _check(spec: BrandSpec, ground: str, variant: str, resources: CheckResources) -> CheckResult:
    """The logo ``variant`` drawn as compose draws it at the top left of a flat ``ground``, checked with its box."""
    return _on(Image.new("RGB", (1024, 1024), hex_to_rgb(ground)), spec, variant, resources)


def _on(image: Image.Image, spec: BrandSpec, variant: str, resources: CheckResources) -> CheckResult:
    """The logo ``variant`` drawn at the top left of ``image`` (RGB, or RGBA: a transparent background), checked
    with its box and the tone the variant is made for."""
    logo = resize_logo(logo_image(spec, spec.logo(variant)), 246)
    if image.mode == "RGBA":
        image.alpha_composite(logo, (56, 56))
    else:
        image.paste(logo, (56, 56), logo)
    expectation = Expectation(
        width=image.width,
        height=image.height,
        output_format="png",
        transparent=image.mode == "RGBA",
        copy_block=COPY,
        logo_variant=variant,
        background_tone=spec.logo_tone(variant),
        logo_box=(56, 56, 56 + logo.width, 56 + logo.height),
    )
    data = encode_image(image, "png")
    ctx = CheckContext(spec=spec, image=image, data=data, expectation=expectation, resources=resources)
    return LogoCheck().run(ctx)


@pytest.mark.parametrize(
    ("rgb", "tone"),
    [((255, 255, 255), "light"), ((0, 0, 0), "dark"), ((0x0E, 0x1A, 0x2B), "dark"), ((0xF5, 0xF8, 0xFC), "light")],
)
def test_a_ground_far_from_the_middle_is_clearly_light_or_dark(rgb: tuple[int, int, int], tone: str) -> None:
    assert clear_tone(rgb) == tone


def test_a_mid_tone_ground_is_neither() -> None:
    # clearly dark under L 0.112, clearly light over 0.274 (2x the contrast with one of white and black)
    greys = {v: relative_luminance((v, v, v)) for v in range(256)}
    darkest_light = min(v for v in greys if clear_tone((v, v, v)) == "light")
    lightest_dark = max(v for v in greys if clear_tone((v, v, v)) == "dark")
    assert greys[lightest_dark] < 0.112 < greys[lightest_dark + 1]
    assert greys[darkest_light - 1] < 0.274 < greys[darkest_light]
    assert all(clear_tone((v, v, v)) is None for v in range(lightest_dark + 1, darkest_light))


def test_the_dark_mark_on_a_dark_ground_fails_and_names_the_reversed_one(lumen: BrandSpec) -> None:
    resources = CheckResources()
    result = _check(lumen, "#0E1A2B", "primary", resources)
    assert result.status is CheckStatus.failed, result.details
    assert "wrong_ground" in result.details["failed_rules"]  # its blue wordmark barely shows: read distorted too
    assert result.details["ground"] == {
        "colour": "#0E1A2B",
        "tone": "dark",
        "made_for": "light",
        "named": None,
        "wrong": True,
    }
    assert result.hint is not None and "use the 'inverse' variant there" in result.hint
    # the reversed mark on the same ground, and the dark mark on the brand's light one, pass
    assert _check(lumen, "#0E1A2B", "inverse", resources).status is CheckStatus.passed
    light = _check(lumen, "#F5F8FC", "primary", resources)
    assert light.status is CheckStatus.passed and light.details["ground"]["tone"] == "light"


def test_the_reversed_mark_on_a_light_ground_fails(lumen: BrandSpec) -> None:
    result = _check(lumen, "#FFFFFF", "inverse", CheckResources())
    assert result.status is CheckStatus.failed and "wrong_ground" in result.details["failed_rules"]


def test_a_mid_tone_or_a_named_ground_is_not_judged(lumen: BrandSpec) -> None:
    resources = CheckResources()
    grey = _check(lumen, "#8A8A8A", "inverse", resources)  # L 0.25: neither clearly light nor dark
    assert grey.details["ground"]["tone"] is None and "wrong_ground" not in grey.details["failed_rules"]
    # Sky (#A9D4F5) is light and named by the primary mark's backgrounds: its own ground
    sky = _check(lumen, "#A9D4F5", "primary", resources)
    assert sky.details["ground"]["named"] == "Sky" and sky.status is CheckStatus.passed


def test_a_one_colour_mark_on_the_wrong_ground_fails_too(lumen: BrandSpec) -> None:
    # a one-colour mark is matched as a silhouette over its whole box (its mask is the box), yet it is see-through
    # (Northwind's near-black mono mark on #111111 is not found at all: failed as missing)
    spec, resources = lumen, CheckResources()
    result = _check(spec, "#111111", "mono", resources)
    assert result.details["ground"]["tone"] == "dark" and result.details["ground"]["made_for"] == "light"
    assert "wrong_ground" in result.details["failed_rules"]
    assert _check(spec, "#FFFFFF", "mono", resources).status is CheckStatus.passed


def test_a_logo_on_a_transparent_background_is_not_judged(northwind: BrandSpec) -> None:
    # the transparent pixels' colour channels say nothing of the page the image will sit on (here: Roast Brown)
    image = Image.new("RGBA", (1024, 1024), (0x4B, 0x2E, 0x2A, 0))
    result = _on(image, northwind, "primary", CheckResources())
    assert result.status is CheckStatus.passed, result.details
    assert "ground" not in result.details


def test_a_logo_drawn_on_a_wrong_ground_is_fixed_by_repainting_its_clear_space(
    lumen: BrandSpec, kit_resources: KitResources
) -> None:
    """A model image that is dark where the layout drew the light-ground mark: the check fails it (wrong_ground) and
    the logo's deterministic fix repaints its clear space in a brand colour the mark is made for, without a second
    render."""
    import brandkit
    from brandkit.models import RenderCall, RenderedImage, RenderResult

    class DarkImagery:
        name = "dark-imagery"
        calls = 0

        def render(self, call: RenderCall) -> RenderResult:
            DarkImagery.calls += 1
            image = Image.new("RGB", (call.prompt.width, call.prompt.height), "#2C3E50")  # Slate, Lumen's dark text
            data = encode_image(image, "png")
            rendered = RenderedImage(data=data, output_format="png", width=image.width, height=image.height)
            return RenderResult(images=[rendered], provider=self.name, model="x")

        async def arender(self, call: RenderCall) -> RenderResult:
            return self.render(call)

    kit = brandkit.BrandKit(lumen, resources=kit_resources, provider=DarkImagery())
    request = brandkit.AssetRequest(
        brief="a nurse", headline="Care that listens", seed=1, policies={"palette": "warn", "contrast": "warn"}
    )
    assert kit.compile(request).logo_variant == "primary"  # the layout's light ground: the light-ground mark
    asset = kit.generate(request)
    assert asset.report is not None and asset.report.checks["logo"].status is CheckStatus.passed
    assert "fix:logo" in asset.fixes and DarkImagery.calls == 1
    ground = asset.report.checks["logo"].details["ground"]
    assert ground["tone"] == "light" and ground["made_for"] == "light"
