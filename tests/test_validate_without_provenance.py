"""Validating a file without provenance says what it could not know (issue 13, item 6).

The file is a real asset made by the local renderer whose embedded provenance was lost the way copies lose it
(decoded and saved again). Without provenance the ordered copy, logo variant and layout are unknown: the logo
check searches the whole image for every variant of the spec and judges what it finds (never ``skipped``), and
the text check verifies what the spec itself demands and names the copy it could not verify.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

import brandkit
from brandkit.checks.logo import LogoCheck
from brandkit.checks.text import TextCheck
from brandkit.models import AssetRequest, CheckStatus
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec


def _strip(data: bytes, paint: tuple[int, int, int, int] | None = None) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    if paint is not None:
        ImageDraw.Draw(image).rectangle(paint, fill=(243, 233, 220))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def spec() -> BrandSpec:
    base = brandkit.load_spec("brand_specs/northwind")
    required = base.required.model_copy(update={"disclaimers": ["Offer valid at participating cafés."]})
    return base.model_copy(update={"required": required})


@pytest.fixture(scope="module")
def asset(kit_resources: KitResources, spec: BrandSpec) -> brandkit.Asset:
    kit = brandkit.BrandKit(
        spec, resources=kit_resources, provider="local", moderator=None, checks=["technical"], signer=None
    )
    request = AssetRequest(
        brief="a cup of coffee", headline="Slow mornings, bright roasts", cta="Order now", format="landscape"
    )
    return kit.generate(request)


@pytest.fixture(scope="module")
def kit(kit_resources: KitResources, spec: BrandSpec) -> brandkit.BrandKit:
    """One kit for the module: its OCR engine and logo templates load once."""
    return brandkit.BrandKit(
        spec, resources=kit_resources, provider="local", moderator=None, checks=[TextCheck(), LogoCheck()], signer=None
    )


def test_logo_is_searched_for_and_copy_named_as_unverified(
    spec: BrandSpec, kit: brandkit.BrandKit, asset: brandkit.Asset
) -> None:
    report = kit.validate(_strip(asset.data))
    assert report.provenance is not None and report.provenance.status == "absent"
    logo = report.checks["logo"]
    assert logo.status is CheckStatus.passed, logo.hint  # found by the search and within the spec's rules
    assert logo.details["provenance"] == "none" and logo.details["found"] is True
    assert logo.details["searched_variants"] == [v.variant for v in spec.logos]
    assert logo.details["variant"] == spec.logos[0].variant
    assert "the expected logo variant and placement are unknown" in logo.details["reason"]
    text = report.checks["text"]
    assert text.status is CheckStatus.passed  # the spec's required disclaimer is there, nothing forbidden
    assert set(text.details["strings"]) == {"required[0]"}
    assert text.details["unverified_copy"] == ["headline", "subhead", "cta", "disclaimers"]
    assert "no provenance" in text.details["note"]


def test_a_missing_logo_fails_even_without_provenance(kit: brandkit.BrandKit, asset: brandkit.Asset) -> None:
    box = asset.prompt.layout.logo_clear_box
    assert box is not None
    report = kit.validate(_strip(asset.data, paint=(box.x0, box.y0, box.x1, box.y1)))
    logo = report.checks["logo"]
    assert logo.status is CheckStatus.failed  # was `skipped` before issue 13
    assert logo.details["provenance"] == "none"
    assert not report.passed
    # how near each variant's search came: its own notes (the best coarse score, and the fine search's if it ran)
    searches = logo.details["searches"]
    assert set(searches) == set(logo.details["searched_variants"])
    for notes in searches.values():
        assert -1.0 <= notes["coarse_best_score"] <= 1.0
        assert "template_best_score" in notes or "early_exit" in notes


def test_a_missing_required_disclaimer_fails_without_provenance(kit: brandkit.BrandKit, asset: brandkit.Asset) -> None:
    box = asset.prompt.layout.disclaimer_box
    assert box is not None
    report = kit.validate(_strip(asset.data, paint=(box.x0, box.y0, box.x1, box.y1)))
    text = report.checks["text"]
    assert text.status is CheckStatus.failed
    assert text.details["strings"]["required[0]"]["found"] is False


def test_nothing_to_verify_is_not_checked_never_skipped(kit_resources: KitResources, asset: brandkit.Asset) -> None:
    bare = brandkit.load_spec("brand_specs/northwind")
    bare = bare.model_copy(
        update={
            "forbidden": bare.forbidden.model_copy(update={"terms": [], "competitors": [], "patterns": []}),
            "required": bare.required.model_copy(update={"disclaimers": []}),
        }
    )
    bare_kit = brandkit.BrandKit(
        bare, resources=kit_resources, provider="local", moderator=None, checks=[TextCheck()], signer=None
    )
    text = bare_kit.validate(_strip(asset.data)).checks["text"]
    assert text.status is CheckStatus.not_checked
    assert "no provenance" in text.details["reason"]
    # with the copy given, it is verified
    request = AssetRequest(brief="x", headline="Slow mornings, bright roasts", cta="Order now", format="landscape")
    given = bare_kit.validate(_strip(asset.data), request=request).checks["text"]
    assert given.status is CheckStatus.passed and given.details["strings"]["headline"]["exact"] is True


def test_a_request_of_another_size_says_its_layout_is_scaled(kit: brandkit.BrandKit, asset: brandkit.Asset) -> None:
    """The copy of a file of another size is expected in the request format's layout scaled to it — said in the
    report (before: silently), and the copy still read where it is."""
    small = Image.open(io.BytesIO(_strip(asset.data))).resize((768, 512))
    out = io.BytesIO()
    small.save(out, "PNG")
    request = AssetRequest(
        brief="a cup of coffee", headline="Slow mornings, bright roasts", cta="Order now", format="landscape"
    )
    report = kit.validate(out.getvalue(), request=request)
    assert report.provenance is not None and report.provenance.layout == (
        "the copy and logo expected in the landscape layout (1536x1024) scaled to the image's 768x512"
    )
    assert report.checks["text"].status == CheckStatus.passed
    same = kit.validate(_strip(asset.data), request=request)
    assert same.provenance is not None and same.provenance.layout is None
