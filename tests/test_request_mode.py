"""A palette mode per request (``AssetRequest.palette_mode`` / ``EditRequest.palette_mode``): one kit makes light
and dark assets, an edit re-themes an asset into another mode's colours, validate checks in the mode asked, a
variant plan has a ``palette_mode`` axis, a conversation turn changes the mode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

import brandkit
from brandkit.compile import compile_edit
from brandkit.edit_inherit import inherit_edit
from brandkit.imageio import encode_image, load_image
from brandkit.models import AssetRequest, EditRequest
from brandkit.provenance import read_provenance_record
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec
from brandkit.variants.plan import PlanError, expand_plan
from tests.test_palette_modes import LUMEN, REQUEST

DARK_GROUND = (0x0E, 0x1A, 0x2B)  # lumen-health's palette.modes.dark Background
LIGHT_GROUND = (0xF5, 0xF8, 0xFC)  # its Cloud (the default background)


@pytest.fixture(scope="module")
def kit(lumen: BrandSpec, kit_resources: KitResources) -> brandkit.BrandKit:
    """A kit in the spec's default colours."""
    return brandkit.BrandKit(lumen, resources=kit_resources, provider="local")


@pytest.fixture(scope="module")
def dark_asset(kit: brandkit.BrandKit) -> brandkit.Asset:
    return kit.generate(REQUEST.model_copy(update={"palette_mode": "dark"}))


@pytest.fixture(scope="module")
def light_asset(kit: brandkit.BrandKit) -> brandkit.Asset:
    return kit.generate(REQUEST)


def _ground(data: bytes) -> tuple[int, ...]:
    """The image's most frequent colour: its canvas (over half the local renderer's square ad)."""
    rgb = np.asarray(load_image(data).convert("RGB")).reshape(-1, 3)
    colours, counts = np.unique(rgb, axis=0, return_counts=True)
    return tuple(int(v) for v in colours[int(np.argmax(counts))])


def test_one_kit_generates_in_the_mode_a_request_names(kit: brandkit.BrandKit, dark_asset: brandkit.Asset) -> None:
    assert dark_asset.report.passed, dark_asset.report.summary()
    assert dark_asset.prompt.spec_mode == "dark" and dark_asset.report.spec_mode == "dark"
    assert dark_asset.prompt.logo_variant == "inverse"  # the dark canvas takes the mark made for it
    assert _ground(dark_asset.data) == DARK_GROUND
    record = read_provenance_record(dark_asset.data).record
    assert record is not None and record.spec_mode == "dark"
    assert record.spec_fingerprint == kit.spec.for_mode("dark").fingerprint
    assert kit.spec.mode is None  # the kit itself is unchanged: its next request is in the default colours
    assert kit.compile(REQUEST).spec_mode is None and kit.compile(dark_asset.request).spec_mode == "dark"


def test_default_names_the_spec_own_colours_from_a_kit_in_a_mode(lumen: BrandSpec, kit_resources: KitResources) -> None:
    dark_kit = brandkit.BrandKit(lumen.for_mode("dark"), resources=kit_resources, provider="local")
    asset = dark_kit.generate(REQUEST.model_copy(update={"palette_mode": "default"}))
    assert asset.report.passed, asset.report.summary()
    assert asset.prompt.spec_mode is None and asset.report.spec_mode is None
    assert _ground(asset.data) == LIGHT_GROUND  # drawn by the dark kit's renderer, in the default colours
    record = read_provenance_record(asset.data).record
    assert record is not None and record.spec_mode is None and record.spec_fingerprint == lumen.fingerprint


def test_an_unknown_palette_mode_is_refused_naming_the_field(kit: brandkit.BrandKit, tmp_path: Path) -> None:
    asked = REQUEST.model_copy(update={"palette_mode": "sepia"})
    for call in (kit.compile, kit.generate):
        with pytest.raises(brandkit.RequestError, match=r"palette_mode: 'sepia' is not a palette mode.*'dark'") as e:
            call(asked)
        assert e.value.field == "palette_mode" and e.value.value == "sepia"


def test_an_edit_re_themes_a_dark_asset_into_the_default_colours(
    kit: brandkit.BrandKit, dark_asset: brandkit.Asset
) -> None:
    asset = kit.edit(
        dark_asset.data, request=EditRequest(instruction="Use the brand's light colours", palette_mode="default")
    )
    assert asset.report.passed, asset.report.summary()
    assert asset.edit is not None
    assert asset.edit.changed["mode"].before == "dark" and asset.edit.changed["mode"].after is None
    variant = asset.edit.changed["logo_variant"]
    assert (variant.before, variant.after) == ("inverse", "primary")  # the light-ground mark on the light canvas
    assert asset.edit.kept["headline"] == "Care that listens"  # what the edit does not change is kept
    assert _ground(asset.data) == LIGHT_GROUND and asset.prompt.spec_mode is None
    record = read_provenance_record(asset.data).record
    assert record is not None and record.spec_mode is None
    notes = [note for attempt in asset.attempts for note in attempt.notes]
    assert any(n.startswith("recomposed in the default colours (it was made in palette mode 'dark'):") for n in notes)


def test_an_edit_re_themes_a_light_asset_dark(kit: brandkit.BrandKit, light_asset: brandkit.Asset) -> None:
    assert light_asset.prompt.spec_mode is None and light_asset.prompt.logo_variant == "primary"
    asset = kit.edit(light_asset.data, "Dark mode", palette_mode="dark")
    assert asset.report.passed, asset.report.summary()
    assert asset.edit is not None and asset.edit.changed["mode"].after == "dark"
    assert asset.prompt.logo_variant == "inverse" and _ground(asset.data) == DARK_GROUND
    # an edit that names the asset's own mode keeps it (no re-theme)
    again = kit.edit(asset.data, "Shorter headline", headline="We listen", palette_mode="dark")
    assert again.edit is not None and again.edit.kept["mode"] == "dark" and "mode" not in again.edit.changed


def test_a_re_theme_prompt_asks_for_the_new_colours(lumen: BrandSpec, light_asset: brandkit.Asset) -> None:
    request = EditRequest(instruction="Dark mode", palette_mode="dark")
    plain = compile_edit(lumen, request, light_asset.data)
    rethemed = compile_edit(lumen, request, light_asset.data, retheme=True)
    assert "the brand colours and their proportions" in plain.text  # an edit in its own mode keeps the colours
    assert "the brand colours and their proportions" not in rethemed.text
    assert "Re-colour the image into the brand's palette mode dark" in rethemed.text
    assert "#0E1A2B" in rethemed.text  # the dark mode's Background among the listed colours
    assert plain.logo_variant == "primary" and rethemed.logo_variant == "inverse"  # chosen for the new canvas


def test_validate_checks_in_the_mode_the_request_names(kit: brandkit.BrandKit, dark_asset: brandkit.Asset) -> None:
    followed = kit.validate(dark_asset.data)  # no request: the provenance's mode
    assert followed.passed and followed.spec_mode == "dark"
    asked = kit.validate(dark_asset.data, request=REQUEST.model_copy(update={"palette_mode": "default"}))
    assert asked.spec_mode is None
    assert asked.checks["palette"].status.value == "failed"  # the dark ground is off the default palette


def test_a_plan_axis_of_palette_modes(tmp_path: Path) -> None:
    data = {
        "name": "light and dark",
        "spec": str(LUMEN),
        "base": {"brief": "A nurse listening", "headline": "Care that listens"},
        "axes": {"palette_mode": ["default", "dark"]},
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    plan = expand_plan(path)
    modes = sorted(v.request.palette_mode for v in plan.variants if isinstance(v.request, AssetRequest))
    assert modes == ["dark", "default"]
    assert len({v.key for v in plan.variants}) == 2
    data["axes"] = {"palette_mode": ["default", "drak"]}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(PlanError) as exc:
        expand_plan(path)
    (issue,) = exc.value.issues
    assert issue.location == "axes.palette_mode[1]" and "'drak' is not a mode" in issue.message
    assert "did you mean 'dark'" in issue.message


def test_a_conversation_turn_changes_the_palette_mode(kit: brandkit.BrandKit) -> None:
    from brandkit.provider.local_conversation import LocalConversationProvider
    from tests.test_conversation import CountingProvider

    provider = CountingProvider(LocalConversationProvider(kit.spec))
    with kit.conversation(REQUEST, provider=provider) as chat:
        first = chat.turn()
        turned = chat.turn("Dark mode, please")  # read from the words: the brand has a dark palette mode
    light_call, dark_call = provider.calls
    assert "#0E1A2B" not in light_call.instructions and "#0E1A2B" in dark_call.instructions  # compiled again
    assert "Re-colour the image into the brand's palette mode dark colours" in dark_call.input_text
    assert "palette_mode" not in dark_call.input_text  # said in words, not as a field name
    assert "setting from the instruction: palette_mode → 'dark'" in turned.notes
    assert first.asset.prompt.spec_mode is None and first.asset.report.passed
    assert turned.asset.prompt.spec_mode == "dark" and turned.asset.report.spec_mode == "dark"
    assert turned.asset.report.passed, turned.asset.report.summary()
    assert _ground(turned.asset.data) == DARK_GROUND


def test_cli_edit_mode_re_themes_the_image(dark_asset: brandkit.Asset, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from brandkit.cli import app

    source = dark_asset.save(tmp_path / "dark.png")
    runner = CliRunner()
    base = ["edit", str(source), "--spec", str(LUMEN), "--instruction", "Light version", "--provider", "local"]
    result = runner.invoke(app, [*base, "--mode", "default", "-o", str(tmp_path / "light.png"), "--json"])
    assert result.exit_code == 0, result.output
    sidecar = json.loads((tmp_path / "light.png.json").read_text())
    assert sidecar["spec"]["mode"] is None and sidecar["prompt"]["logo_variant"] == "primary"
    assert sidecar["edit"]["changed"]["mode"] == {"before": "dark", "after": None}
    assert _ground((tmp_path / "light.png").read_bytes()) == LIGHT_GROUND
    bad = runner.invoke(app, [*base, "--mode", "sepia", "-o", str(tmp_path / "x.png"), "--json"])
    assert bad.exit_code == 2 and json.loads(bad.stdout)["field"] == "palette_mode"
    assert not (tmp_path / "x.png").exists()


def test_a_re_theme_cannot_be_masked(kit: brandkit.BrandKit, dark_asset: brandkit.Asset) -> None:
    mask = Image.new("RGBA", (dark_asset.width, dark_asset.height), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 200, 200))  # only the top-left corner may change
    with pytest.raises(brandkit.RequestError, match="re-theme .* cannot be masked") as e:
        kit.edit(dark_asset.data, "Light version", mask=encode_image(mask, "png"), palette_mode="default")
    assert e.value.field == "mask"
    # the same mask without a re-theme is an ordinary masked edit
    kept = kit.edit(dark_asset.data, "Brighter sky", mask=encode_image(mask, "png"), palette_mode="dark")
    assert kept.edit is not None and kept.edit.kept["mode"] == "dark" and not kept.edit.retheme


def test_an_image_without_provenance_is_re_themed_when_its_ground_is_of_the_other_tone(
    lumen: BrandSpec, dark_asset: brandkit.Asset, light_asset: brandkit.Asset
) -> None:
    bare_dark = encode_image(load_image(dark_asset.data).convert("RGB"), "png")  # the pixels, no provenance
    bare_light = encode_image(load_image(light_asset.data).convert("RGB"), "png")
    to_default = inherit_edit(lumen, EditRequest(instruction="Light", palette_mode="default"), bare_dark)
    assert to_default.report.retheme and to_default.spec is lumen and "mode" not in to_default.report.changed
    assert any("no brandkit provenance and a dark ground" in note for note in to_default.report.notes)
    to_dark = inherit_edit(lumen, EditRequest(instruction="Dark", palette_mode="dark"), bare_dark)
    assert not to_dark.report.retheme and to_dark.spec.mode == "dark"  # already dark: edited as it is
    assert inherit_edit(lumen, EditRequest(instruction="Dark", palette_mode="dark"), bare_light).report.retheme
    plain = inherit_edit(lumen, EditRequest(instruction="Sharper"), bare_dark)  # no mode asked: no re-theme
    assert not plain.report.retheme and plain.spec is lumen
