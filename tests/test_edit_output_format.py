"""An edit keeps the edited asset's file format (png, jpeg, webp): an edit of a JPEG ad came back as the spec's PNG
without a word. ``EditRequest.output_format`` (None: kept from the asset's provenance, else the spec's) reaches the
edit's API parameters; the edit report says what was kept or changed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import brandkit
from brandkit.cli import app
from brandkit.edit_inherit import inherit_edit
from brandkit.resources import KitResources
from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY
from tests.support.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
CHECKS = ["technical", "text"]
COPY = {"brief": "A ceramic cup of coffee on an oak table", "headline": "Slow mornings, bright roasts"}


@pytest.fixture(scope="module")
def kit(kit_resources: KitResources) -> brandkit.BrandKit:
    return brandkit.BrandKit(NORTHWIND, resources=kit_resources, provider="local", checks=CHECKS)


@pytest.fixture(scope="module")
def jpeg_ad(kit: brandkit.BrandKit) -> brandkit.Asset:
    made = kit.generate({**COPY, "output_format": "jpeg", "seed": 3})
    assert made.data[:3] == b"\xff\xd8\xff"
    return made


def test_an_edit_of_a_jpeg_asset_is_a_jpeg_and_says_so(kit: brandkit.BrandKit, jpeg_ad: brandkit.Asset) -> None:
    edited = kit.edit(jpeg_ad.data, "Change the headline", headline="Bright roasts, slow mornings")
    assert edited.prompt.params["output_format"] == "jpeg" and edited.output_format == "jpeg"
    assert edited.data[:3] == b"\xff\xd8\xff"  # the file itself, not only its label
    assert "kept output_format: 'jpeg'" in edited.edit.lines()  # type: ignore[union-attr]
    assert edited.report.passed, edited.report.summary()


def test_an_edit_may_change_the_format_and_a_png_asset_stays_png(
    kit: brandkit.BrandKit, jpeg_ad: brandkit.Asset
) -> None:
    webp = kit.edit(jpeg_ad.data, "Change the headline", headline="Bright roasts", output_format="webp")
    assert webp.data[8:12] == b"WEBP" and "changed output_format: 'jpeg' → 'webp'" in webp.edit.lines()  # type: ignore[union-attr]
    png_ad = kit.generate({**COPY, "seed": 3})
    again = kit.edit(png_ad.data, "Change the headline", headline="Bright roasts")
    assert again.data[:8] == b"\x89PNG\r\n\x1a\n" and "kept output_format: 'png'" in again.edit.lines()  # type: ignore[union-attr]


def test_a_transparent_edit_of_a_jpeg_is_not_kept_as_jpeg(kit: brandkit.BrandKit, jpeg_ad: brandkit.Asset) -> None:
    spec = kit.spec
    merged = inherit_edit(spec, brandkit.EditRequest(instruction="Cut it out", transparent=True), jpeg_ad.data)
    assert merged.request.output_format is None  # the spec's (PNG), not a JPEG that cannot be transparent
    assert "output_format" not in merged.report.kept
    assert any("transparent background" in note for note in merged.report.notes)
    without = inherit_edit(spec, brandkit.EditRequest(instruction="Recolour"), b"")  # no provenance: the spec's
    assert without.request.output_format is None and "output_format" not in without.report.kept


def test_a_bad_output_format_is_refused_naming_the_field(kit: brandkit.BrandKit, jpeg_ad: brandkit.Asset) -> None:
    with pytest.raises(brandkit.RequestError) as raised:
        kit.edit(jpeg_ad.data, "Recolour", output_format="gif")
    assert raised.value.field == "output_format" and "gif" in str(raised.value)


def test_cli_edit_keeps_the_format_and_out_names_another(jpeg_ad: brandkit.Asset, tmp_path: Path) -> None:
    source = jpeg_ad.save(tmp_path / "ad.jpg")
    base = ["edit", "-s", str(NORTHWIND), str(source), "-i", "Change the headline", "--headline", "Bright roasts"]
    base += ["-p", "local", "--json"]
    kept = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "out")])
    assert kept.exit_code in (0, 1), kept.stdout
    path = Path(json.loads(kept.stdout)["assets"][0]["path"])
    assert path.name == "ad-edited.jpg" and path.read_bytes()[:3] == b"\xff\xd8\xff"
    named = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "edited.webp")])
    assert named.exit_code in (0, 1), named.stdout
    assert (tmp_path / "edited.webp").read_bytes()[8:12] == b"WEBP"
    assert json.loads((tmp_path / "edited.webp.json").read_text())["request"]["output_format"] == "webp"
    # a transparent edit named as a JPEG: refused before anything is made, naming the field
    refused = CliRunner().invoke(app, [*base, "--transparent", "-o", str(tmp_path / "cut.jpg")])
    assert refused.exit_code == 2, refused.stdout
    error = json.loads(refused.stdout)  # --json carries the typed error's field and value
    assert (error["field"], error["value"]) == ("output_format", "jpeg") and "output_format 'jpeg'" in error["error"]
    assert not (tmp_path / "cut.jpg").exists()


def test_the_openai_edit_of_a_jpeg_asset_asks_for_a_jpeg(openai_server: OpenAIServer, jpeg_ad: brandkit.Asset) -> None:
    """Over the loopback server (each request checked against the OpenAI contract): the kept format is sent."""

    def same_image(width: int, height: int, fmt: str, transparent: bool, params: Mapping[str, Any]) -> bytes:
        assert fmt == "jpeg"  # the server is asked for a JPEG and returns one
        return jpeg_ad.data

    openai_server.image_factory = same_image
    kit = brandkit.BrandKit(
        NORTHWIND, provider="openai", api_key=FAKE_API_KEY, base_url=openai_server.url, retry=FAST_RETRY, checks=CHECKS
    )
    edited = kit.edit(jpeg_ad.data, "Keep it as it is", headline=COPY["headline"])
    (record,) = openai_server.records("/images/edits")
    assert record.fields["output_format"] == "jpeg"
    assert edited.output_format == "jpeg" and edited.data[:3] == b"\xff\xd8\xff"
