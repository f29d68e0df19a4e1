"""The canvas tone reaches the logo check: recorded in the provenance, else the tone the variant is made for.

An inverse logo (light strokes, made for dark canvases) composited over white for matching loses its strokes' edges:
``brandkit validate`` of a dark ad that ``generate`` had passed used to fail the logo (the gate corpus's two
Northwind ``composed-dark`` false rejects)."""

from __future__ import annotations

import pytest

import brandkit
from brandkit.checks.base import CheckContext, CheckResources
from brandkit.checks.logo import LogoCheck
from brandkit.checks.technical import TechnicalCheck
from brandkit.flows.validate import expectation_from_record
from brandkit.imageio import load_image
from brandkit.provenance import read_provenance_record
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec, LogoVariant

REQUEST = brandkit.AssetRequest(
    brief="A ceramic cup of pour-over coffee on an oak table", headline="Sunday, slow", cta="Find a café", seed=5
)


def test_a_variant_s_tone_comes_from_its_backgrounds(northwind: BrandSpec) -> None:
    assert northwind.logo_tone("primary") == "light"  # [light, Crema]
    assert northwind.logo_tone("inverse") == "dark"  # [dark, Roast Brown, Espresso Ink]: Roast Brown is dark

    def with_backgrounds(backgrounds: list[str]) -> BrandSpec:
        logo = LogoVariant.model_validate({**northwind.logo("primary").model_dump(), "backgrounds": backgrounds})
        return northwind.model_copy(update={"logos": [logo]})

    assert with_backgrounds(["Roast Brown"]).logo_tone("primary") == "dark"
    assert with_backgrounds(["any"]).logo_tone("primary") is None
    assert with_backgrounds(["light", "Espresso Ink"]).logo_tone("primary") is None  # they disagree
    assert with_backgrounds(["Sunset Purple"]).logo_tone("primary") is None  # no such palette colour
    with pytest.raises(KeyError, match="inverse"):
        with_backgrounds(["light"]).logo_tone("inverse")


@pytest.fixture(scope="module")
def dark_ad(northwind: BrandSpec, kit_resources: KitResources) -> bytes:
    kit = brandkit.BrandKit(northwind, provider="local", resources=kit_resources, checks=[TechnicalCheck()])
    asset = kit.generate(REQUEST.model_copy(update={"background": "dark"}))
    assert asset.prompt.logo_variant == "inverse"
    return asset.data


def test_the_provenance_records_the_tone_and_validate_reads_it(
    northwind: BrandSpec, kit_resources: KitResources, dark_ad: bytes
) -> None:
    record = read_provenance_record(dark_ad).record
    assert record is not None and record.background_tone == "dark"
    assert expectation_from_record(record, "png").background_tone == "dark"
    kit = brandkit.BrandKit(northwind, provider="local", resources=kit_resources, checks=[LogoCheck()])
    logo = kit.validate(dark_ad).checks["logo"]
    assert logo.status is brandkit.CheckStatus.passed, logo.details
    assert logo.details["variant"] == "inverse" and logo.details["method"] == "expected-box"


def test_without_a_recorded_tone_the_variant_s_own_tone_is_used(northwind: BrandSpec, dark_ad: bytes) -> None:
    """A file written before the tone was recorded: the inverse variant is matched over a dark backdrop, as it
    is made to sit on one, and found where the layout put it."""
    record = read_provenance_record(dark_ad).record
    assert record is not None
    expectation = expectation_from_record(record.model_copy(update={"background_tone": None}), "png")
    assert expectation.background_tone is None
    resources = CheckResources()

    def logo_with(tone: str | None) -> brandkit.CheckResult:
        exp = expectation.model_copy(update={"background_tone": tone})
        image = load_image(dark_ad)
        return LogoCheck().run(
            CheckContext(spec=northwind, image=image, data=dark_ad, expectation=exp, resources=resources)
        )

    result = logo_with(None)
    assert result.status is brandkit.CheckStatus.passed, result.details
    assert result.details["method"] == "expected-box" and (result.score or 0.0) >= 0.85
    # the layout's tone, when recorded, wins over the variant's: over white the same logo is not seen at its box
    assert logo_with("light").details["detection"]["expected_box"].startswith("not there")
