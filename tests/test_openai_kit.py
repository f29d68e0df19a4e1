"""The whole SDK over real HTTP against the loopback OpenAI server: generate, edit with logo references,
moderation, the repair loop and the CLI — sync and async."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

import brandkit
from brandkit.models import CheckStatus
from brandkit.spec.models import ColorRole
from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY
from tests.support.openai_server import OpenAIServer

REQ = dict(
    brief="A ceramic cup of coffee on an oak table",
    headline="Slow mornings, bright roasts",
    subhead="Roasted this week in small batches.",
    cta="Order ahead",
)


def brand_imagery(spec: brandkit.BrandSpec, off_palette_first: int = 0) -> Any:
    """An image painter for the server: a well-behaved model's imagery (flat brand background, palette subject
    on the lower/right side, no text, no logo). The first ``off_palette_first`` images are off-palette green."""
    calls = {"n": 0}
    bg = spec.palette.by_role(ColorRole.background)[0].hex
    accent = spec.palette.by_role(ColorRole.accent)[0].hex
    primary = spec.palette.by_role(ColorRole.primary)[0].hex

    def paint(width: int, height: int, fmt: str, transparent: bool, params: Mapping[str, Any]) -> bytes:
        calls["n"] += 1
        fill = "#3FA34D" if calls["n"] <= off_palette_first else bg
        image = Image.new("RGB", (width, height), fill)
        box = (int(width * 0.62), int(height * 0.55), int(width * 0.92), int(height * 0.85))
        draw = ImageDraw.Draw(image)
        draw.rectangle((int(width * 0.6), int(height * 0.56), int(width * 0.95), int(height * 0.9)), fill=primary)
        draw.ellipse(box, fill=accent)
        out = io.BytesIO()
        image.save(out, {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt])
        return out.getvalue()

    return paint


def _kit(spec: brandkit.BrandSpec, server: OpenAIServer, cls: Any = brandkit.BrandKit) -> Any:
    return cls(spec, provider="openai", api_key=FAKE_API_KEY, base_url=server.url, retry=FAST_RETRY)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_generate_with_overlay_uses_generations(
    lumen: brandkit.BrandSpec, openai_server: OpenAIServer, mode: str
) -> None:
    openai_server.image_factory = brand_imagery(lumen)
    req = brandkit.AssetRequest(**{**REQ, "headline": "Small steps, every day"}, seed=1)  # type: ignore[arg-type]
    if mode == "sync":
        asset = _kit(lumen, openai_server).generate(req)
    else:
        asset = asyncio.run(_kit(lumen, openai_server, brandkit.AsyncBrandKit).generate(req))
    assert asset.report.passed, asset.report.model_dump_report()
    assert asset.provider == "openai" and asset.model == "gpt-image-2" and asset.cost_usd > 0
    assert openai_server.count("/images/generations") == 1 and openai_server.count("/moderations") == 1
    assert asset.report.checks["moderation"].status == CheckStatus.passed
    assert "openai:omni-moderation-latest" in json.dumps(asset.report.checks["moderation"].details)
    assert openai_server.invalid_requests() == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_reference_mode_sends_logo_to_edits_and_fixes_copy(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer, mode: str
) -> None:
    """Northwind asks the model to render copy and logo (logo as reference image 1). The server's 'model' draws
    neither, so the text and logo checks fail and their fix policy composites the exact copy and real logo."""
    openai_server.image_factory = brand_imagery(northwind)
    req = brandkit.AssetRequest(**REQ, seed=1)  # type: ignore[arg-type]
    if mode == "sync":
        asset = _kit(northwind, openai_server).generate(req)
    else:
        asset = asyncio.run(_kit(northwind, openai_server, brandkit.AsyncBrandKit).generate(req))
    assert asset.report.passed and {"fix:logo", "fix:text"} <= set(asset.fixes)
    (edit,) = openai_server.records("/images/edits")
    assert edit.fields.get("model") == "gpt-image-2" and "input_fidelity" not in edit.fields
    assert "moderation" not in edit.fields
    # the spec's moderation is the API default ('auto'), so nothing was left out and nothing is noted
    assert asset.attempts[0].notes == [] and asset.sidecar()["attempts"][0]["notes"] == []
    assert [f["filename"] for f in edit.image_files] == ["logos/northwind-primary.png"] or len(edit.image_files) == 1
    assert openai_server.invalid_requests() == []
    before = asset.attempts[0].report_before_fix
    assert before is not None and before.checks["text"].status == CheckStatus.failed  # the model rendered nothing
    assert before.checks["logo"].status == CheckStatus.failed


def test_repair_loop_regenerates_off_palette_imagery(lumen: brandkit.BrandSpec, openai_server: OpenAIServer) -> None:
    openai_server.image_factory = brand_imagery(lumen, off_palette_first=1)
    asset = _kit(lumen, openai_server).generate(brandkit.AssetRequest(**REQ, seed=2))  # type: ignore[arg-type]
    assert asset.report.passed and asset.attempt_number == 2
    assert openai_server.count("/images/generations") == 2
    first = asset.attempts[0].report.checks["palette"]
    assert first.status == CheckStatus.failed and "#3F" in (first.hint or "").upper()
    second_prompt = openai_server.records("/images/generations")[1]
    assert "CORRECTIONS FROM THE PREVIOUS ATTEMPT" in str(second_prompt.fields.get("prompt"))


def test_moderation_scores_above_threshold_fail(lumen: brandkit.BrandSpec, openai_server: OpenAIServer) -> None:
    openai_server.image_factory = brand_imagery(lumen)
    openai_server.moderation_scores = {"violence": 0.9}
    with pytest.raises(brandkit.BrandViolationError) as info:
        _kit(lumen, openai_server).generate(brandkit.AssetRequest(**REQ, seed=3))  # type: ignore[arg-type]
    report = info.value.report
    assert report is not None and report.checks["moderation"].status == CheckStatus.failed
    assert openai_server.count("/images/generations") == 1  # policy raise: no second paid attempt


def test_moderation_service_down_is_not_checked(lumen: brandkit.BrandSpec, openai_server: OpenAIServer) -> None:
    openai_server.image_factory = brand_imagery(lumen)
    openai_server.inject("server_error", times=20, path="/moderations")
    with pytest.raises(brandkit.BrandViolationError) as info:
        _kit(lumen, openai_server).generate(brandkit.AssetRequest(**REQ, seed=3))  # type: ignore[arg-type]
    result = info.value.report.checks["moderation"]  # type: ignore[union-attr]
    assert result.status == CheckStatus.not_checked


def test_edit_sends_master_and_logo(northwind: brandkit.BrandSpec, openai_server: OpenAIServer, tmp_path: Path) -> None:
    local = brandkit.BrandKit(northwind, provider="local")
    master = local.generate(brandkit.AssetRequest(**REQ, seed=4)).save(tmp_path / "m.png")  # type: ignore[arg-type]

    def same_image(width: int, height: int, fmt: str, transparent: bool, params: Mapping[str, Any]) -> bytes:
        return master.read_bytes()  # a 'model' that changed nothing

    openai_server.image_factory = same_image
    kit = _kit(northwind, openai_server)
    edited = kit.edit(
        master,
        "Translate the headline to German",
        headline="Langsame Morgen, helle Röstungen",
        subhead=REQ["subhead"],
        cta=REQ["cta"],
    )
    # the model did not change the headline: the text check failed and the fix composited the German copy
    assert edited.report.passed and "fix:text" in edited.fixes
    (record,) = openai_server.records("/images/edits")
    files = record.image_files
    assert len(files) == 2 and files[0]["field"] == "image[]"
    assert files[0]["sha256"] == __import__("hashlib").sha256(master.read_bytes()).hexdigest()  # the master first


def test_cli_generate_with_openai_base_url(openai_server: OpenAIServer, tmp_path: Path, root: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(OPENAI_API_KEY=FAKE_API_KEY, OPENAI_BASE_URL=openai_server.url)
    lumen = brandkit.load_spec(root / "brand_specs" / "lumen-health")
    openai_server.image_factory = brand_imagery(lumen)
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "brandkit.cli",
            "generate",
            "--spec",
            str(root / "brand_specs" / "lumen-health"),
            "--brief",
            "A calm morning stretch",
            "--headline",
            "Small steps, every day",
            "--provider",
            "openai",
            "--seed",
            "1",
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    result = json.loads(proc.stdout)
    assert result["ok"] and result["assets"][0]["provider"] == "openai"
    assert Path(result["assets"][0]["path"]).is_file()
    assert openai_server.count("/images/generations") == 1
    assert FAKE_API_KEY not in proc.stdout + proc.stderr
    sidecar = Path(result["assets"][0]["sidecar"]).read_text()
    assert FAKE_API_KEY not in sidecar


def test_cli_without_key_points_to_local(tmp_path: Path, root: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "brandkit.cli",
            "generate",
            "--spec",
            str(root / "brand_specs" / "northwind"),
            "--brief",
            "x",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2 and "--provider local" in proc.stderr
    assert not any(tmp_path.iterdir())


def test_a_kit_closes_the_clients_it_made_and_only_those(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer
) -> None:
    from openai import OpenAI

    openai_server.image_factory = brand_imagery(northwind)
    with _kit(northwind, openai_server) as kit:
        assert kit.generate(REQ).report.passed
        made = kit.provider._clients.sync()  # the SDK client brandkit made for this kit
        assert not made.is_closed()
    assert made.is_closed()
    mine = OpenAI(api_key=FAKE_API_KEY, base_url=openai_server.url)
    with brandkit.BrandKit(northwind, provider="openai", client=mine, retry=FAST_RETRY) as kit:
        kit.generate(REQ)
    assert not mine.is_closed()  # a client you pass in is yours to close
    mine.close()
    local = brandkit.BrandKit(northwind, provider="local")
    local.close()  # nothing to close: no error
    assert local.generate(REQ).report.passed  # and still usable


def test_an_async_kit_closes_its_clients(northwind: brandkit.BrandSpec, openai_server: OpenAIServer) -> None:
    openai_server.image_factory = brand_imagery(northwind)

    async def run() -> Any:
        async with _kit(northwind, openai_server, brandkit.AsyncBrandKit) as kit:
            assert (await kit.generate(REQ)).report.passed
            made = kit.provider._clients.async_()
            assert not made.is_closed()
        return made

    assert asyncio.run(run()).is_closed()


def test_an_async_kit_works_from_one_asyncio_run_to_the_next(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer
) -> None:
    """A script or a task queue calling ``asyncio.run`` per job with one module-level kit: the second run reused
    the first loop's connections and failed with ``RuntimeError: Event loop is closed``."""
    openai_server.image_factory = brand_imagery(northwind)
    kit = _kit(northwind, openai_server, brandkit.AsyncBrandKit)
    first = asyncio.run(kit.generate(REQ))
    second = asyncio.run(kit.generate(REQ))
    assert first.report.passed and second.report.passed
    assert openai_server.count("/images/edits") + openai_server.count("/images/generations") == 2


def test_a_re_theme_edit_asks_for_the_new_colours_and_sends_the_variant_made_for_them(
    lumen: brandkit.BrandSpec, openai_server: OpenAIServer
) -> None:
    """An edit of a light asset with ``palette_mode="dark"`` over real HTTP: the prompt asks the model to re-colour
    (and no longer to keep the brand colours), Image 2 is the inverse logo, and the result is checked dark."""
    import hashlib

    local = brandkit.BrandKit(lumen, provider="local")
    light = local.generate(brandkit.AssetRequest(**REQ, seed=5))  # type: ignore[arg-type]
    dark = local.generate(light.request.model_copy(update={"palette_mode": "dark"}))  # what a model that re-coloured

    def recoloured(width: int, height: int, fmt: str, transparent: bool, params: Mapping[str, Any]) -> bytes:
        return dark.data  # the same photograph, copy and layout in the dark colours

    openai_server.image_factory = recoloured
    edited = _kit(lumen, openai_server).edit(light.data, "The dark version", palette_mode="dark")
    assert edited.report.passed, edited.report.model_dump_report()
    assert edited.report.spec_mode == "dark" and edited.prompt.logo_variant == "inverse"
    assert edited.edit is not None and edited.edit.retheme and edited.edit.changed["mode"].after == "dark"
    (record,) = openai_server.records("/images/edits")
    prompt = str(record.fields.get("prompt"))
    assert "Re-colour the image into the brand's palette mode dark" in prompt
    assert "the brand colours and their proportions" not in prompt and "#0E1A2B" in prompt
    logo = (lumen.root / "logos" / "lumen-inverse.png").read_bytes()  # type: ignore[operator]
    assert [f["sha256"] for f in record.image_files][1] == hashlib.sha256(logo).hexdigest()
    assert openai_server.invalid_requests() == []
