"""The kit finds the variants runner through the ``brandkit.apps`` entry points (it never imports the variants
application, which imports the kit): ``BrandKit.variants`` / ``AsyncBrandKit.variants`` still work, and a missing
entry point is a typed error naming it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import brandkit
import brandkit.app_entry
from brandkit.app_entry import async_variants_runner, variants_runner
from brandkit.checks.technical import TechnicalCheck
from brandkit.errors import ConfigurationError
from brandkit.resources import KitResources
from brandkit.variants import arun_variants, run_variants
from tests.test_variants_run import write_plan


def test_entry_points_name_the_runners() -> None:
    assert variants_runner() is run_variants
    assert async_variants_runner() is arun_variants


def test_kit_variants_runs_a_plan_through_the_entry_point(
    kit_resources: KitResources, northwind: brandkit.BrandSpec, tmp_path: Path
) -> None:
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local", checks=[TechnicalCheck()])
    run = kit.variants(write_plan(tmp_path, headlines=1), tmp_path / "out", progress=False)
    assert run.ok and len(run.variants) == 1
    assert (tmp_path / "out" / "manifest.json").is_file()

    akit = brandkit.AsyncBrandKit(northwind, resources=kit_resources, provider="local", checks=[TechnicalCheck()])
    again = asyncio.run(akit.variants(write_plan(tmp_path / "b", headlines=1), tmp_path / "out-b", progress=False))
    assert again.ok and len(again.variants) == 1


def test_a_missing_entry_point_is_a_configuration_error(
    kit_resources: KitResources, northwind: brandkit.BrandSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def none_installed(**_: Any) -> list[Any]:
        return []

    monkeypatch.setattr(brandkit.app_entry, "entry_points", none_installed)
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local", checks=[TechnicalCheck()])
    with pytest.raises(ConfigurationError, match=r"brandkit\.apps:variants missing") as info:
        kit.variants(write_plan(tmp_path), tmp_path / "out")
    assert info.value.setting == "brandkit.apps:variants"
    assert not (tmp_path / "out").exists()
