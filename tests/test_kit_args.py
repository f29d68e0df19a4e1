"""What a kit is built from and what its methods are given, checked up front: a typed error naming the argument
(never an AttributeError or TypeError at the first generate, never an option ignored without a word)."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

import pytest

import brandkit
from brandkit.checks.palette import PaletteCheck
from brandkit.checks.technical import TechnicalCheck
from brandkit.errors import ImageInputError, RequestError, SpecError
from brandkit.variants.plan import PlanError, load_plan

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
KEY = "sk-test-kit-args-0123456789"


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"provider": "local", "timeot": 5}, "timeot", "the local renderer takes no options: timeot would be ignored"),
        ({"provider": "local", "api_key": KEY}, "api_key", "the local renderer takes no options: api_key"),
        ({"provider": "openai", "api_key": KEY, "timeot": 5}, "timeot", "did you mean 'timeout'?"),
        ({"max_attempts": 0}, "max_attempts", "from 1 to 10"),
        ({"max_attempts": 11}, "max_attempts", "got 11"),
        ({"max_attempts": 2.5}, "max_attempts", "got 2.5"),
        ({"max_spend_usd": -1}, "max_spend_usd", "at least 0"),
        ({"max_spend_usd": float("nan")}, "max_spend_usd", "got nan"),
        ({"checks": ["palete"]}, "checks[0]", "did you mean 'palette'?"),
        ({"checks": [TechnicalCheck, "text"]}, "checks[0]", "TechnicalCheck is a class; give an instance"),
        ({"checks": ["text", 42]}, "checks[1]", "expected a check"),
        ({"checks": ["palette", PaletteCheck()]}, "checks", "palette given twice"),
        ({"checks": "palette"}, "checks", "expected a list of checks or check names, got str"),
    ],
)
def test_a_kit_refuses_what_it_would_misuse_or_ignore(
    northwind: brandkit.BrandSpec, options: dict[str, Any], field: str, message: str
) -> None:
    options = {"provider": "local", **options}
    with pytest.raises(RequestError) as caught:
        brandkit.BrandKit(northwind, **options)
    assert caught.value.field == field and message in str(caught.value)
    assert KEY not in str(caught.value)  # an option's value is never shown: it may be a key


def test_a_provider_object_takes_no_options(northwind: brandkit.BrandSpec) -> None:
    from brandkit.provider.local import LocalRenderer

    with pytest.raises(RequestError, match="already configured: base_url would be ignored"):
        brandkit.BrandKit(northwind, provider=LocalRenderer(northwind), base_url="http://127.0.0.1:9/v1")


def test_a_spec_path_is_loaded_and_anything_else_is_named(northwind: brandkit.BrandSpec) -> None:
    kit = brandkit.BrandKit(str(NORTHWIND), provider="local", checks=["technical"])
    assert kit.spec == northwind and [c.name for c in kit._ctx.checks] == ["technical"]
    assert brandkit.AsyncBrandKit(NORTHWIND, provider="local").spec.name == northwind.name
    with pytest.raises(SpecError, match="nope: no such file or folder"):
        brandkit.BrandKit("nope", provider="local")
    with pytest.raises(RequestError, match="spec: expected a BrandSpec or the path of one") as caught:
        brandkit.BrandKit(123, provider="local")  # type: ignore[arg-type]
    assert caught.value.field == "spec"


def test_check_names_make_the_built_in_checks_in_the_given_order(northwind: brandkit.BrandSpec) -> None:
    kit = brandkit.BrandKit(northwind, provider="local", checks=["technical", "palette"])
    report = kit.validate(kit.generate({"brief": "A cup of coffee", "headline": "Slow mornings"}).data)
    assert list(report.checks) == ["technical", "palette"]


def test_a_kit_with_no_check_says_its_reports_pass_unchecked(northwind: brandkit.BrandSpec) -> None:
    from brandkit.kit_args import UncheckedWarning

    with pytest.warns(UncheckedWarning, match="every image it makes or validates passes unchecked") as caught:
        kit = brandkit.AsyncBrandKit(northwind, provider="local", checks=[])
    assert caught[0].filename == __file__  # pointed at the caller's line, not brandkit's
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one check, or the defaults: no warning
        one = brandkit.BrandKit(northwind, provider="local", checks=["technical"])
    report = asyncio.run(kit.validate(one.generate({"brief": "A cup of coffee", "headline": "Slow mornings"}).data))
    assert report.checks == {} and report.passed  # what the warning is about: a pass with nothing checked


def test_wrong_argument_types_are_typed_errors(northwind: brandkit.BrandSpec, tmp_path: Path) -> None:
    kit = brandkit.BrandKit(northwind, provider="local", checks=["technical"])
    for bad in (123, None, 4.5):
        with pytest.raises(
            ImageInputError, match=f"image: expected a file path or the image's bytes, got {type(bad).__name__}"
        ):
            kit.validate(bad)  # type: ignore[arg-type]
    with pytest.raises(ImageInputError, match="got NoneType"):
        kit.edit(None, "warmer")  # type: ignore[arg-type]
    asset = kit.generate({"brief": "A cup of coffee", "headline": "Slow mornings"})
    assert kit.validate(bytearray(asset.data)).checks["technical"].status == "passed"
    with pytest.raises(SpecError, match="spec path: expected a folder or file path, got int"):
        brandkit.load_spec(123)  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="plan: expected a plan file's path"):
        load_plan(123)  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="plan: expected a plan file's path"):
        kit.variants(123, tmp_path / "runs")  # type: ignore[arg-type]


def test_a_variant_run_refuses_options_the_local_renderer_would_ignore(tmp_path: Path) -> None:
    from brandkit.variants import run_variants

    with pytest.raises(RequestError, match="the local renderer takes no options: api_key would be ignored"):
        run_variants(ROOT / "plans" / "demo-24.yaml", tmp_path / "run", provider="local", api_key=KEY, progress=False)
    assert not list((tmp_path / "run").glob("*.png"))


def test_a_misspelt_run_option_is_named_as_one(tmp_path: Path) -> None:
    from brandkit.variants import run_variants

    with pytest.raises(RequestError, match="run_variants has no option 'concurency'; did you mean 'concurrency'"):
        run_variants(ROOT / "plans" / "demo-24.yaml", tmp_path / "run", provider="local", concurency=2)
    with pytest.raises(RequestError, match="the OpenAI provider has no option 'timeot'"):
        run_variants(ROOT / "plans" / "demo-24.yaml", tmp_path / "run", api_key=KEY, timeot=5, progress=False)


def test_policies_name_real_checks_and_real_policies(northwind: brandkit.BrandSpec) -> None:
    kit = brandkit.BrandKit(northwind, provider="local", checks=["technical", "palette"])
    data = kit.generate({"brief": "A cup of coffee", "headline": "Slow mornings"}).data
    refused = {
        "policies.palete: no check is named 'palete'; did you mean 'palette'?": {"palete": "warn"},
        "policies.palette: 'wrn' is not a policy; did you mean 'warn'?": {"palette": "wrn"},
    }
    for message, policies in refused.items():
        with pytest.raises(RequestError, match=message.replace("?", r"\?")) as caught:
            kit.validate(data, policies=policies)  # type: ignore[arg-type]
        assert caught.value.field == message.split(":")[0]
        with pytest.raises(RequestError, match=message.split(":")[0]):  # a bad value: the request model's own error
            kit.generate({"brief": "A cup of coffee", "policies": policies})
    assert kit.validate(data, policies={"palette": "warn"}).checks["palette"].policy == "warn"
    report = kit.validate(data, policies={"logo": "warn"})  # a built-in check this kit does not run: no effect
    assert list(report.checks) == ["technical", "palette"]


def test_validate_hints_speak_of_the_image_not_of_an_attempt(
    northwind: brandkit.BrandSpec,
) -> None:
    kit = brandkit.BrandKit(northwind, provider="local", checks=["text", "technical"])
    data = kit.generate({"brief": "A cup of coffee", "headline": "Slow mornings"}).data
    report = kit.validate(data, request={"brief": "A cup of coffee", "headline": "Fast evenings", "format": "wide"})
    text, technical = report.checks["text"].hint or "", report.checks["technical"].hint or ""
    assert "the headline must read exactly 'Fast evenings'" in text and "in the image" in text
    assert "the image is 1024x1024" in technical
    assert "last attempt" not in text + technical


def test_edit_refuses_keywords_beside_a_request_they_would_be_dropped_from(northwind: brandkit.BrandSpec) -> None:
    kit = brandkit.BrandKit(northwind, provider="local", checks=["technical"])
    data = kit.generate({"brief": "A cup of coffee", "headline": "Slow mornings"}).data
    with pytest.raises(RequestError, match="headline given beside request=, which would be ignored") as caught:
        kit.edit(data, request={"instruction": "Warmer"}, headline="Bright evenings")
    assert caught.value.field == "headline"
    with pytest.raises(RequestError, match="instruction, keep given beside request="):
        kit.edit(data, "Warmer", ["the cup"], request={"instruction": "Warmer"})
    edited = kit.edit(data, request={"instruction": "Warmer", "headline": "Bright evenings"})
    assert edited.request is not None and edited.request.headline == "Bright evenings"
