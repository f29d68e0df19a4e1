"""End to end through the SDK with the local renderer: both brands, every format, sync and async,
the repair loop, fail-closed behaviour, provenance and atomic saving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

import brandkit
from brandkit.asset import read_embedded_provenance
from brandkit.imageio import encode_image, load_image
from brandkit.models import CheckStatus, RenderCall, RenderResult
from brandkit.provider.local import LocalRenderer
from brandkit.resources import KitResources

REQ = dict(
    brief="A ceramic cup of coffee on an oak table",
    headline="Slow mornings, bright roasts",
    subhead="Roasted this week in small batches.",
    cta="Order ahead",
)


@pytest.fixture(scope="module")
def kits(kit_resources: KitResources) -> dict[str, brandkit.BrandKit]:
    root = Path(__file__).resolve().parents[1] / "brand_specs"
    return {
        name: brandkit.BrandKit(brandkit.load_spec(root / name), resources=kit_resources, provider="local")
        for name in ("northwind", "lumen-health")
    }


def _formats() -> list[tuple[str, str]]:
    root = Path(__file__).resolve().parents[1] / "brand_specs"
    return [(b, f) for b in ("northwind", "lumen-health") for f in brandkit.load_spec(root / b).formats]


@pytest.mark.parametrize("brand_name, fmt", _formats())
def test_every_brand_and_format_passes(
    kits: dict[str, brandkit.BrandKit], brand_name: str, fmt: str, tmp_path: Path
) -> None:
    kit = kits[brand_name]
    asset = kit.generate(brandkit.AssetRequest(**REQ, format=fmt, seed=3))  # type: ignore[arg-type]
    assert asset.report.passed, asset.report.model_dump_report()
    for name in ("palette", "text", "logo", "contrast", "technical"):
        assert asset.report.checks[name].status == CheckStatus.passed, name
    assert asset.report.checks["moderation"].status == CheckStatus.passed
    assert asset.report.checks["moderation"].details.get("covered_categories") == ["sexual"]
    assert (asset.width, asset.height) == (kit.spec.formats[fmt].width, kit.spec.formats[fmt].height)
    path = asset.save(tmp_path / "asset")
    assert path.suffix == ".png" and path.is_file()
    sidecar = json.loads(path.with_suffix(".png.json").read_text())
    assert sidecar["spec"]["fingerprint"] == kit.spec.fingerprint
    assert sidecar["report"]["passed"] is True and sidecar["provider"] == "local"
    assert sidecar["request"]["headline"] == REQ["headline"]
    assert sidecar["prompt"]["text"] == asset.prompt.text
    assert {"compile_s", "render_s", "checks_s", "total_s"} <= set(sidecar["timings"])


def test_provenance_is_embedded_and_validate_reads_it(kits: dict[str, brandkit.BrandKit], tmp_path: Path) -> None:
    kit = kits["lumen-health"]
    asset = kit.generate(brandkit.AssetRequest(**{**REQ, "headline": "Small steps, every day"}, seed=1))  # type: ignore[arg-type]
    path = asset.save(tmp_path / "a.png")
    record = read_embedded_provenance(path.read_bytes())
    assert record is not None
    assert record["spec_fingerprint"] == kit.spec.fingerprint and record["prompt_hash"] == asset.prompt.prompt_hash
    assert record["attempt"] == 1 and record["checks"]["text"] == "passed"
    assert record["copy"]["headline"] == "Small steps, every day"
    # the pixels are untouched by the embedding
    assert load_image(path.read_bytes()).tobytes() == load_image(asset.prompt and asset.data).tobytes()
    report = kit.validate(path)
    assert report.passed and report.checks["text"].details
    # the same image, re-saved without provenance, still validates palette/logo but cannot know the copy
    bare = tmp_path / "bare.png"
    Image.open(path).save(bare)
    bare_report = kit.validate(bare)
    assert bare_report.checks["palette"].status == CheckStatus.passed
    # issue 13: never `skipped` for the logo the spec demands: searched for anywhere and judged by the spec's rules
    bare_logo = bare_report.checks["logo"]
    assert bare_logo.status == CheckStatus.passed and bare_logo.details["provenance"] == "none"
    assert bare_report.checks["text"].details["unverified_copy"] == ["headline", "subhead", "cta", "disclaimers"]


def test_validate_with_request_catches_wrong_copy(kits: dict[str, brandkit.BrandKit], tmp_path: Path) -> None:
    kit = kits["northwind"]
    asset = kit.generate(brandkit.AssetRequest(**REQ, seed=2))  # type: ignore[arg-type]
    path = asset.save(tmp_path / "a.png")
    other = brandkit.AssetRequest(**{**REQ, "headline": "Fast mornings, dark roasts"})  # type: ignore[arg-type]
    report = kit.validate(path, request=other)
    assert not report.passed and report.checks["text"].status == CheckStatus.failed
    assert "Fast mornings, dark roasts" in (report.checks["text"].hint or "")


def test_deterministic_for_a_seed_and_async_is_identical(
    kit_resources: KitResources, kits: dict[str, brandkit.BrandKit]
) -> None:
    import asyncio

    kit = kits["northwind"]
    req = brandkit.AssetRequest(**REQ, format="banner", seed=11)  # type: ignore[arg-type]
    a, b = kit.generate(req), kit.generate(req)
    assert a.data == b.data
    akit = brandkit.AsyncBrandKit(kit.spec, resources=kit_resources, provider="local")
    c = asyncio.run(akit.generate(req))
    assert c.data == a.data and c.report.summary() == a.report.summary()
    other = kit.generate(req.model_copy(update={"seed": 12}))
    assert other.data != a.data


class _Misspeller:
    """Wraps the local renderer and corrupts the headline of the first ``bad`` attempts."""

    name = "misspeller"

    def __init__(self, spec: brandkit.BrandSpec, bad: int = 1, cost: float = 0.0) -> None:
        self.inner = LocalRenderer(spec)
        self.bad = bad
        self.calls: list[RenderCall] = []
        self.cost = cost

    def render(self, call: RenderCall) -> RenderResult:
        self.calls.append(call)
        if len(self.calls) > self.bad:
            return self.inner.render(call).model_copy(update={"cost_usd": self.cost})
        wrong = call.prompt.copy_block.model_copy(update={"headline": "Slow mornigs, brite roasts"})
        prompt = call.prompt.model_copy(update={"copy_block": wrong})
        image = self.inner.draw(prompt, call.seed)
        result = self.inner.render(call)
        result.images[0] = result.images[0].model_copy(update={"data": encode_image(image, "png")})
        return result.model_copy(update={"cost_usd": self.cost})

    async def arender(self, call: RenderCall) -> RenderResult:
        return self.render(call)


def test_fix_policy_composites_exact_copy(kit_resources: KitResources, northwind: brandkit.BrandSpec) -> None:
    provider = _Misspeller(northwind, bad=1)
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider=provider)
    asset = kit.generate(brandkit.AssetRequest(**REQ, seed=5, text="render"))  # type: ignore[arg-type]
    assert asset.report.passed and "fix:text" in asset.fixes
    assert len(provider.calls) == 1  # fixed deterministically, no second generation paid for
    assert asset.attempts[0].report.checks["text"].status == CheckStatus.passed
    before = asset.attempts[0].report_before_fix
    assert before is not None and before.checks["text"].status == CheckStatus.failed


def test_regenerate_policy_feeds_back_the_exact_copy(
    kit_resources: KitResources, northwind: brandkit.BrandSpec
) -> None:
    provider = _Misspeller(northwind, bad=1)
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider=provider)
    req = brandkit.AssetRequest(**REQ, seed=5, text="render", policies={"text": "regenerate"})  # type: ignore[arg-type]
    asset = kit.generate(req)
    assert asset.report.passed and asset.attempt_number == 2 and len(provider.calls) == 2
    first, second = asset.attempts
    assert not first.report.passed and first.report.checks["text"].status == CheckStatus.failed
    feedback = " ".join(second.prompt.feedback)
    assert "Slow mornings, bright roasts" in feedback and "CORRECTIONS FROM THE PREVIOUS ATTEMPT" in second.prompt.text
    assert provider.calls[1].prompt.text == second.prompt.text


def test_violation_keeps_every_attempt_and_the_best(kit_resources: KitResources, northwind: brandkit.BrandSpec) -> None:
    provider = _Misspeller(northwind, bad=99)
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider=provider)
    req = brandkit.AssetRequest(**REQ, seed=5, text="render", policies={"text": "regenerate"})  # type: ignore[arg-type]
    with pytest.raises(brandkit.BrandViolationError) as info:
        kit.generate(req)
    err = info.value
    assert len(err.attempts) == northwind.repair.max_attempts == len(provider.calls)
    assert err.best is not None and err.report is err.best.report and not err.report.passed
    # feedback comes from the previous attempt only, so the prompt does not grow with the attempts
    from brandkit.repair import MAX_FEEDBACK_NOTES, feedback_for

    for before, after in zip(err.attempts, err.attempts[1:], strict=False):
        assert after.prompt.feedback == feedback_for(before.report)
        assert len(after.prompt.feedback) <= MAX_FEEDBACK_NOTES


def test_spend_budget_stops_the_loop(kit_resources: KitResources, northwind: brandkit.BrandSpec) -> None:
    provider = _Misspeller(northwind, bad=99, cost=0.6)
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider=provider, max_spend_usd=1.0, max_attempts=5)
    req = brandkit.AssetRequest(**REQ, seed=5, text="render", policies={"text": "regenerate"})  # type: ignore[arg-type]
    with pytest.raises(brandkit.BrandViolationError, match="spend budget"):
        kit.generate(req)
    assert len(provider.calls) == 2


def test_raise_policy_stops_at_once(kit_resources: KitResources, northwind: brandkit.BrandSpec) -> None:
    provider = _Misspeller(northwind, bad=99)
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider=provider)
    req = brandkit.AssetRequest(**REQ, seed=5, text="render", policies={"text": "raise"})  # type: ignore[arg-type]
    with pytest.raises(brandkit.BrandViolationError, match="stopped"):
        kit.generate(req)
    assert len(provider.calls) == 1


def test_warn_policy_does_not_block(kit_resources: KitResources, northwind: brandkit.BrandSpec) -> None:
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider=_Misspeller(northwind, bad=99))
    req = brandkit.AssetRequest(**REQ, seed=5, text="render", policies={"text": "warn"})  # type: ignore[arg-type]
    asset = kit.generate(req)
    assert asset.report.passed and asset.report.checks["text"].status == CheckStatus.failed


def test_without_moderation_the_report_fails_closed(kit_resources: KitResources, northwind: brandkit.BrandSpec) -> None:
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local", moderator=None)
    with pytest.raises(brandkit.BrandViolationError) as info:
        kit.generate(brandkit.AssetRequest(**REQ, seed=1))  # type: ignore[arg-type]
    report = info.value.report
    assert report is not None and report.checks["moderation"].status == CheckStatus.not_checked
    warn = kit.generate(brandkit.AssetRequest(**REQ, seed=1, policies={"moderation": "warn"}))  # type: ignore[arg-type]
    assert warn.report.passed and warn.report.checks["moderation"].status == CheckStatus.not_checked


def test_a_crashing_check_is_not_checked_never_passed(
    kit_resources: KitResources, northwind: brandkit.BrandSpec
) -> None:
    class Broken:
        name = "text"

        def run(self, ctx: Any) -> Any:
            raise RuntimeError("OCR engine exploded")

    from brandkit.checks import default_checks

    checks = [c if c.name != "text" else Broken() for c in default_checks()]
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local", checks=checks)
    with pytest.raises(brandkit.BrandViolationError) as info:
        kit.generate(brandkit.AssetRequest(**REQ, seed=1))  # type: ignore[arg-type]
    result = info.value.report.checks["text"]  # type: ignore[union-attr]
    assert result.status == CheckStatus.not_checked and "exploded" in result.details["error"]


def test_edit_localizes_the_headline(kits: dict[str, brandkit.BrandKit], tmp_path: Path) -> None:
    kit = kits["northwind"]
    master = kit.generate(brandkit.AssetRequest(**REQ, seed=4)).save(tmp_path / "master.png")  # type: ignore[arg-type]
    edited = kit.edit(
        master,
        "Translate the headline to German",
        headline="Langsame Morgen, helle Röstungen",
        subhead=REQ["subhead"],
        cta=REQ["cta"],
    )
    assert edited.report.passed, edited.report.model_dump_report()
    assert edited.prompt.operation == "edit" and edited.prompt.references[0].role == "master"
    assert "Change only" in edited.prompt.text.replace("CHANGE ONLY", "Change only")
    assert "the logo exactly as it is" in edited.prompt.text
    text = edited.report.checks["text"].details
    assert "Langsame Morgen" in json.dumps(text, ensure_ascii=False)


def test_save_errors_are_typed_and_nothing_is_left_behind(kits: dict[str, brandkit.BrandKit], tmp_path: Path) -> None:
    asset = kits["northwind"].generate(brandkit.AssetRequest(**REQ, seed=1))  # type: ignore[arg-type]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(brandkit.OutputError, match="is a file"):
        asset.save(blocker / "a.png")
    with pytest.raises(brandkit.OutputError, match="does not match the image format"):
        asset.save(tmp_path / "a.jpg")
    (tmp_path / "folder").mkdir()
    for folder in (tmp_path / "folder", f"{tmp_path / 'new'}/"):  # not written as folder.png / new.png beside it
        with pytest.raises(brandkit.OutputError, match="is a folder; give the image's file name"):
            asset.save(folder)
    assert not (tmp_path / "folder.png").exists() and not (tmp_path / "new").exists()
    target = tmp_path / "keep.png"
    target.write_bytes(b"old")
    with pytest.raises(brandkit.OutputExistsError, match="keep.png: already exists"):
        asset.save(target)  # never replaced unless asked (issue 13)
    assert target.read_bytes() == b"old"
    asset.save(target, overwrite=True)
    assert target.read_bytes() == asset.data
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_transparent_webp_and_jpeg_outputs(kit_resources: KitResources, northwind: brandkit.BrandSpec) -> None:
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local")
    webp = kit.generate(brandkit.AssetRequest(**REQ, seed=1, output_format="webp", transparent=True))  # type: ignore[arg-type]
    assert webp.report.passed and webp.image.mode == "RGBA"
    assert read_embedded_provenance(webp.data) is not None
    jpeg = kit.generate(brandkit.AssetRequest(**REQ, seed=1, output_format="jpeg", output_compression=10))  # type: ignore[arg-type]
    assert jpeg.report.passed and jpeg.data[:2] == b"\xff\xd8"
    assert read_embedded_provenance(jpeg.data) is not None


def test_copy_and_logo_composited_onto_a_transparent_background_are_opaque(
    kits: dict[str, brandkit.BrandKit],
) -> None:
    """Lumen Health composites its copy and logo (``text: overlay``): onto a transparent image they were drawn with
    the image's alpha 0 kept — invisible, the text check could not find them and every attempt failed."""
    import numpy as np

    asset = kits["lumen-health"].generate(brandkit.AssetRequest(**REQ, seed=1, transparent=True))  # type: ignore[arg-type]
    assert asset.report.passed and asset.image.mode == "RGBA", asset.report.summary()
    assert "overlay:text" in asset.fixes and "overlay:logo" in asset.fixes
    alpha = np.asarray(asset.image.getchannel("A"))
    layout = asset.prompt.layout
    assert layout.copy_box is not None and layout.logo_box is not None
    for box in (layout.copy_box, layout.logo_box):  # what was drawn there is opaque; around it, transparent
        region = alpha[box.y0 : box.y1, box.x0 : box.x1]
        assert (region == 255).mean() > 0.05 and (region == 0).mean() > 0.2, box
    assert asset.report.checks["text"].status.value == "passed"


def test_overlay_draws_into_model_imagery(kit_resources: KitResources, lumen: brandkit.BrandSpec) -> None:
    """A provider that returns imagery with clear space: copy and logo are composited exactly."""

    class Imagery:
        name = "imagery"

        def render(self, call: RenderCall) -> RenderResult:
            image = Image.new("RGB", (call.prompt.width, call.prompt.height), call.prompt.background_hex)
            hero = call.prompt.layout.hero_box
            assert hero is not None
            ImageDraw.Draw(image).rectangle(hero.as_tuple(), fill="#1F5AA6")
            ImageDraw.Draw(image).ellipse(hero.as_tuple(), fill="#3CC5A0")
            data = encode_image(image, "png")
            from brandkit.models import RenderedImage

            return RenderResult(
                images=[RenderedImage(data=data, output_format="png", width=image.width, height=image.height)],
                provider="imagery",
                model="x",
            )

        async def arender(self, call: RenderCall) -> RenderResult:
            return self.render(call)

    kit = brandkit.BrandKit(lumen, resources=kit_resources, provider=Imagery())
    asset = kit.generate(brandkit.AssetRequest(**{**REQ, "headline": "Small steps, every day"}, seed=1))  # type: ignore[arg-type]
    assert asset.report.passed and asset.fixes == ["overlay:logo", "overlay:text"]


def _damaged_png(spec: brandkit.BrandSpec, call: RenderCall, *, keep_crcs: bool) -> bytes:
    """The local renderer's PNG for ``call`` with its compressed pixels damaged: cut short (``keep_crcs=False``,
    Pillow's structural check refuses it), or overwritten inside intact chunks (only a decode shows it)."""
    import struct
    import zlib

    data = LocalRenderer(spec).render(call).images[0].data
    if not keep_crcs:
        return data[: len(data) // 2]
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", data[start : start + 4])
    body = bytearray(data[start + 8 : start + 8 + length])
    body[2:] = bytes(b ^ 0x5A for b in body[2:])  # keep the zlib header, garble the stream
    chunk = struct.pack(">I", length) + b"IDAT" + bytes(body) + struct.pack(">I", zlib.crc32(b"IDAT" + bytes(body)))
    return data[:start] + chunk + data[start + 12 + length :]


@pytest.mark.parametrize("keep_crcs", [False, True], ids=["truncated", "garbled-inside-intact-chunks"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_undecodable_provider_image_is_a_provider_error(
    kit_resources: KitResources, northwind: brandkit.BrandSpec, keep_crcs: bool, mode: str
) -> None:
    """Before moderation the provider's image is only verified (no pixel decode); what the checks' decode
    finds after it is the same typed provider error. A structurally broken image costs no moderation call."""
    import asyncio

    from brandkit.checks.base import ModerationScores
    from brandkit.models import RenderedImage

    class Damaging:
        name = "damaging"

        def render(self, call: RenderCall) -> RenderResult:
            data = _damaged_png(northwind, call, keep_crcs=keep_crcs)
            size = (call.prompt.width, call.prompt.height)
            image = RenderedImage(data=data, output_format="png", width=size[0], height=size[1])
            return RenderResult(images=[image], provider="damaging", model="x", request_id="req_damaged")

        async def arender(self, call: RenderCall) -> RenderResult:
            return self.render(call)

    class Counting:
        calls = 0

        def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
            Counting.calls += 1
            return ModerationScores(source="counting", scores={"violence": 0.0}, covered_categories=["violence"])

        async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
            return self.moderate(image, mime, text)

    request = brandkit.AssetRequest(**REQ, seed=1)  # type: ignore[arg-type]
    with pytest.raises(brandkit.ProviderResponseError, match="undecodable image") as info:
        if mode == "sync":
            brandkit.BrandKit(northwind, resources=kit_resources, provider=Damaging(), moderator=Counting()).generate(
                request
            )
        else:
            kit = brandkit.AsyncBrandKit(northwind, resources=kit_resources, provider=Damaging(), moderator=Counting())
            asyncio.run(kit.generate(request))
    assert info.value.request_id == "req_damaged"
    assert isinstance(info.value.__cause__, brandkit.ImageInputError)
    assert Counting.calls == (1 if keep_crcs else 0)
