"""Every fix action makes its own check pass (issue 13, item 5: checks measure what was drawn).

A provider draws a real asset with the local renderer, then spoils it the way a model does: wrong copy, copy
that cannot be read against what is behind it, a missing logo; around the copy areas it paints imagery whose
tone lies between the ink and the panel, which is what made the contrast check measure a padded OCR box at
3.1:1 on a panel the fix had set at 5.7:1. With the policy ``fix``, the pipeline repaints the zone and draws the
exact copy / real logo (``repair.decide`` → ``pipeline._fix`` → ``compose.draw_copy`` / ``draw_logo``); the
check that asked for the fix must then pass, with the one render paid for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from PIL import Image, ImageDraw

import brandkit
from brandkit.checks.base import Check
from brandkit.checks.contrast import ContrastCheck
from brandkit.checks.logo import LogoCheck
from brandkit.checks.text import TextCheck
from brandkit.imageio import encode_image, load_image
from brandkit.models import AssetRequest, CheckStatus, CompiledPrompt, RenderCall, RenderedImage, RenderResult
from brandkit.provider.local import LocalRenderer
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec
from tests.checks_support import font

Spoiler = Callable[[Image.Image, CompiledPrompt], None]


def _surround(image: Image.Image, prompt: CompiledPrompt, tone: str) -> None:
    """Paint everything outside the copy box and the logo's clear space in ``tone`` (the imagery around the copy)."""
    layout = prompt.layout
    keep = [b for b in (layout.copy_box, layout.logo_clear_box) if b is not None]
    mask = Image.new("L", image.size, 255)
    draw = ImageDraw.Draw(mask)
    for box in keep:
        draw.rectangle((box.x0, box.y0, box.x1 - 1, box.y1 - 1), fill=0)
    image.paste(Image.new("RGB", image.size, tone), (0, 0), mask)


def wrong_copy(image: Image.Image, prompt: CompiledPrompt) -> None:
    box = prompt.layout.copy_box
    ImageDraw.Draw(image).rectangle((box.x0, box.y0, box.x1 - 1, box.y1 - 1), fill="#7A9E7E")
    ImageDraw.Draw(image).text((box.x0 + 10, box.y0 + 20), "Slow mornigs, brigth roasts", font=font(56), fill="#1E1B18")
    _surround(image, prompt, "#FFFFFF")


def unreadable_copy(image: Image.Image, prompt: CompiledPrompt) -> None:
    layout = prompt.layout
    for box in (layout.copy_box, layout.disclaimer_box):
        if box is not None:  # the copy, over-painted in a tone close to the panel's
            ImageDraw.Draw(image).rectangle((box.x0, box.y0, box.x1 - 1, box.y1 - 1), fill="#7A9E7E")
    y = layout.copy_box.y0 + 10
    for text, size in (("Slow mornings, bright roasts", 56), ("Fresh beans daily", 32), ("Order now", 32)):
        ImageDraw.Draw(image).text((layout.copy_box.x0 + 10, y), text, font=font(size), fill="#8FB093")
        y += size + 30
    if layout.disclaimer_box is not None:
        d = layout.disclaimer_box
        ImageDraw.Draw(image).text((d.x0, d.y0), "Offer valid at participating cafés.", font=font(22), fill="#8FB093")
    _surround(image, prompt, "#FFFFFF")


def missing_logo(image: Image.Image, prompt: CompiledPrompt) -> None:
    clear = prompt.layout.logo_clear_box
    assert clear is not None
    ImageDraw.Draw(image).rectangle((clear.x0, clear.y0, clear.x1 - 1, clear.y1 - 1), fill="#505050")


class SpoilingRenderer(LocalRenderer):
    """The local renderer, then a spoiler applied to each image; counts render calls."""

    def __init__(self, spec: BrandSpec, spoil: Spoiler) -> None:
        super().__init__(spec)
        self.spoil = spoil
        self.calls = 0

    def render(self, call: RenderCall) -> RenderResult:
        self.calls += 1
        result = super().render(call)
        image = load_image(result.images[0].data).convert("RGB")
        self.spoil(image, call.prompt)
        data = encode_image(image, "png")
        spoiled = RenderedImage(data=data, output_format="png", width=image.width, height=image.height)
        return result.model_copy(update={"images": [spoiled]})

    async def arender(self, call: RenderCall) -> RenderResult:
        return await asyncio.to_thread(self.render, call)


def spoiled_kit(
    spec: BrandSpec, resources: KitResources, spoil: Spoiler, checks: list[Check]
) -> tuple[brandkit.BrandKit, SpoilingRenderer]:
    """A kit over a :class:`SpoilingRenderer` (no moderator, no signer) running ``checks``, and that renderer."""
    provider = SpoilingRenderer(spec, spoil)
    kit = brandkit.BrandKit(spec, resources=resources, provider=provider, moderator=None, checks=checks, signer=None)
    return kit, provider


@pytest.mark.parametrize(
    ("spoil", "failing", "zone"),
    [(wrong_copy, "text", "text"), (unreadable_copy, "contrast", "text"), (missing_logo, "logo", "logo")],
    ids=["text-fix", "contrast-fix", "logo-fix"],
)
def test_every_fix_action_passes_its_own_check(
    kit_resources: KitResources, spoil: Spoiler, failing: str, zone: str
) -> None:
    spec = brandkit.load_spec("brand_specs/northwind")
    kit, provider = spoiled_kit(spec, kit_resources, spoil, [TextCheck(), LogoCheck(), ContrastCheck()])
    request = AssetRequest(
        brief="a cup of coffee on a table",
        headline="Slow mornings, bright roasts",
        subhead="Fresh beans daily",
        cta="Order now",
        format="landscape",
        text="render",
        logo="reference",
        policies={"text": "fix", "logo": "fix", "contrast": "fix"},
    )
    asset = kit.generate(request)
    assert provider.calls == 1  # fixed, not regenerated
    attempt = asset.attempts[-1]
    before = attempt.report_before_fix
    assert before is not None and before.checks[failing].status is not CheckStatus.passed
    assert f"fix:{zone}" in attempt.fixes
    after = asset.report.checks[failing]
    assert after.status is CheckStatus.passed, (after.hint, after.details.get("lines"))
    assert asset.report.passed
    if failing == "contrast":
        lines = after.details["lines"]
        assert lines and all(line["within"] in ("layout copy area", "CTA pill") for line in lines)
        assert after.score is not None and after.score >= spec.typography.min_contrast
