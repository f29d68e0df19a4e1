"""An edit's mask: refused with a typed error naming it when it does not fit, honoured by the local renderer (only
the mask's fully transparent pixels change), sent by the OpenAI provider, and given on the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import brandkit
from brandkit.cli import app
from brandkit.edit_mask import check_mask
from brandkit.errors import RequestError
from brandkit.layout import Box
from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY
from tests.support.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parents[1]
REQ = {"brief": "A ceramic cup of pour-over coffee on an oak table", "headline": "Slow mornings", "seed": 3}


def _png(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def mask_over(size: tuple[int, int], box: Box | None) -> bytes:
    """A mask of ``size``: fully transparent inside ``box`` (may change), opaque elsewhere."""
    alpha = np.full((size[1], size[0]), 255, np.uint8)
    if box is not None:
        alpha[box.y0 : box.y1, box.x0 : box.x1] = 0
    rgba = np.dstack([np.zeros((size[1], size[0], 3), np.uint8), alpha])
    return _png(Image.fromarray(rgba, "RGBA"))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, bytes]:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    asset = brandkit.BrandKit(spec, provider="local").generate(REQ)
    return asset, asset.data


def test_a_mask_that_does_not_fit_is_refused_naming_it() -> None:
    image = _png(Image.new("RGB", (64, 48), "white"))
    good = mask_over((64, 48), Box(x0=0, y0=0, x1=10, y1=10))
    check_mask(good, image)
    cases = {
        "must be a PNG": _png(Image.new("RGB", (64, 48)), "JPEG"),
        "needs an alpha channel": _png(Image.new("RGB", (64, 48))),
        "64x40 is not the size of the image to edit (64x48)": mask_over((64, 40), Box(x0=0, y0=0, x1=5, y1=5)),
        "no pixel is fully transparent": mask_over((64, 48), None),
        "not a recognised image format": b"not an image at all",
        "empty file": b"",
    }
    for problem, mask in cases.items():
        with pytest.raises(RequestError) as caught:
            check_mask(mask, image)
        assert caught.value.field == "mask" and problem in str(caught.value), (problem, str(caught.value))


def test_the_local_renderer_changes_only_the_masked_pixels(made: tuple[Any, bytes]) -> None:
    asset, data = made
    kit = brandkit.BrandKit(brandkit.load_spec(ROOT / "brand_specs" / "northwind"), provider="local")
    copy_box = asset.prompt.layout.copy_box
    mask = mask_over((asset.prompt.width, asset.prompt.height), copy_box)
    edited = kit.edit(data, "Change the headline", mask=mask, headline="Bright evenings")
    assert edited.report.passed and edited.report.checks["text"].status == "passed"
    before = np.asarray(asset.image.convert("RGB"))
    after = np.asarray(edited.image.convert("RGB"))
    outside = np.ones(before.shape[:2], bool)
    outside[copy_box.y0 : copy_box.y1, copy_box.x0 : copy_box.x1] = False
    assert np.array_equal(before[outside], after[outside])  # not one pixel outside the mask moved
    inside = ~outside
    assert not np.array_equal(before[inside], after[inside])  # the headline did change


def test_a_mask_away_from_the_copy_leaves_the_new_headline_to_the_text_fix(made: tuple[Any, bytes]) -> None:
    """The renderer cannot change the copy outside its mask, so the text check fails and the deterministic text fix
    (the exact copy, composed where the layout puts it) sets the new headline: listed in ``fixes``; no other
    pixel outside the mask moves."""
    asset, data = made
    kit = brandkit.BrandKit(brandkit.load_spec(ROOT / "brand_specs" / "northwind"), provider="local")
    corner = Box(x0=0, y0=0, x1=40, y1=40)
    mask = mask_over((asset.prompt.width, asset.prompt.height), corner)
    edited = kit.edit(data, "Change the headline", mask=mask, headline="Bright evenings", text="render")
    assert edited.report.passed and "fix:text" in edited.fixes
    before_fix = edited.attempts[0].report_before_fix
    assert before_fix is not None and before_fix.checks["text"].status == "failed"  # what the masked render gave
    copy_box = asset.prompt.layout.copy_box
    untouched = np.ones((asset.prompt.height, asset.prompt.width), bool)
    for box in (corner, copy_box):
        untouched[box.y0 : box.y1, box.x0 : box.x1] = False
    before = np.asarray(asset.image.convert("RGB"))
    after = np.asarray(edited.image.convert("RGB"))
    assert np.array_equal(before[untouched], after[untouched])


def test_the_openai_provider_sends_the_mask(made: tuple[Any, bytes], openai_server: OpenAIServer) -> None:
    asset, data = made
    kit = brandkit.BrandKit(
        brandkit.load_spec(ROOT / "brand_specs" / "northwind"),
        provider="openai",
        api_key=FAKE_API_KEY,
        base_url=openai_server.url,
        retry=FAST_RETRY,
    )
    mask = mask_over((asset.prompt.width, asset.prompt.height), asset.prompt.layout.copy_box)
    with pytest.raises(brandkit.BrandViolationError):  # the server's flat test imagery fails the checks
        kit.edit(data, "Change the headline", mask=mask, headline="Bright evenings")
    (first, *_) = openai_server.records("/images/edits")
    assert [f["field"] for f in first.files].count("mask") == 1
    assert not first.validation_errors


def test_cli_edit_mask(made: tuple[Any, bytes], tmp_path: Path) -> None:
    asset, data = made
    image = tmp_path / "ad.png"
    image.write_bytes(data)
    good = tmp_path / "mask.png"
    good.write_bytes(mask_over((asset.prompt.width, asset.prompt.height), asset.prompt.layout.copy_box))
    small = tmp_path / "small.png"
    small.write_bytes(mask_over((100, 100), Box(x0=0, y0=0, x1=5, y1=5)))
    base = ["edit", "--spec", str(ROOT / "brand_specs" / "northwind"), str(image), "-i", "Change the headline"]
    refused = CliRunner().invoke(
        app, [*base, "--mask", str(small), "--provider", "local", "--out", str(tmp_path / "no")]
    )
    assert refused.exit_code == 2 and "mask: 100x100 is not the size of the image to edit" in refused.output
    assert not (tmp_path / "no").exists()  # refused before the output folder was touched
    out = tmp_path / "out"
    args = [*base, "--headline", "Bright evenings", "--mask", str(good), "--provider", "local", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--json", "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 0, result.output
    (saved,) = json.loads(result.stdout)["assets"]
    assert saved["passed"] and Path(saved["path"]).is_file()
