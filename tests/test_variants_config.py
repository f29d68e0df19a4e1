"""The variant runner's typed seams (issue 14): :class:`RunConfig`, the engines, progress as a sink.

``arun_variants``' keywords build an immutable :class:`RunConfig` (bad values are RequestErrors naming the
field); the engine is an object (:class:`LiveEngine` / :class:`BatchEngine`) the runner asks instead of
testing the engine's name; the library reports progress to a sink and the CLI draws the bar.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from brandkit.checks.technical import TechnicalCheck
from brandkit.errors import RequestError
from brandkit.provider.pricing import DEFAULT_PRICES
from brandkit.variants import RunConfig, arun, arun_variants, dry_run
from brandkit.variants.engines import BatchEngine, LiveEngine, engine_for
from brandkit.variants.expand import variant_count
from brandkit.variants.plan import expand_plan, load_plan

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = str(ROOT / "brand_specs" / "northwind")


def _plan(folder: Path, headlines: int = 2) -> Path:
    data: dict[str, Any] = {
        "name": "config",
        "spec": NORTHWIND,
        "base": {"brief": "A ceramic cup on an oak table", "cta": "Order"},
        "axes": {"headline": [f"Slow mornings {i}" for i in range(headlines)], "format": ["square"]},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


class Sink:
    """A progress sink recording what the run told it."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def start(self, total: int, done: int, failed: int) -> None:
        self.calls.append(("start", total, done, failed))

    def update(self, done: int, failed: int, spent_usd: float) -> None:
        self.calls.append(("update", done, failed, spent_usd))

    def stop(self) -> None:
        self.calls.append(("stop",))


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"budget_usd": -1.0}, "budget"),
        ({"engine": "carrier-pigeon"}, "engine"),
        ({"engine": "openai-batch", "provider": "local"}, "engine"),
        ({"progress": True}, "progress"),
        ({"batch_options": {"poll_interval_s": 1.0}}, "batch_options"),
    ],
)
def test_a_bad_setting_is_a_request_error_naming_its_field(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestError) as caught:
        RunConfig(**settings)
    assert caught.value.field == field


def test_the_keyword_form_refuses_the_same_before_touching_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(RequestError, match="progress"):
        asyncio.run(arun_variants(_plan(tmp_path / "plans"), out, provider="local", progress=True))
    assert not out.exists()


def test_the_config_is_immutable_and_its_repr_hides_provider_options() -> None:
    config = RunConfig(provider="openai", provider_options={"api_key": "sk-test-do-not-show-0123456789"})
    with pytest.raises(pydantic.ValidationError):
        config.concurrency = 9  # type: ignore[misc]
    assert "sk-test" not in repr(config) and "provider_options" not in repr(config)
    assert config.concurrency == 4 and config.chosen_provider == "openai"


def test_engines_are_chosen_by_name_and_answer_for_themselves() -> None:
    live = engine_for("live", "local")
    batch = engine_for("openai-batch", "openai", {"poll_interval_s": 2.0})
    assert isinstance(live, LiveEngine) and isinstance(batch, BatchEngine)
    assert batch.options == {"poll_interval_s": 2.0}
    assert (live.price_factor(DEFAULT_PRICES), batch.price_factor(DEFAULT_PRICES)) == (1.0, DEFAULT_PRICES.batch_factor)
    assert batch.price_factor(DEFAULT_PRICES) < 1.0
    assert live.workers(todo=50, concurrency=4) == 8  # two variants in progress per request slot
    assert batch.workers(todo=50, concurrency=4) == 50  # every request waits to go into the same batch
    assert (live.label("openai"), batch.label("openai")) == ("openai", "openai-batch")
    assert live.favours_renders and not batch.favours_renders


def test_arun_with_a_config_makes_the_same_run_as_the_keywords(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "plans")
    sink = Sink()
    config = RunConfig(provider="local", concurrency=2, progress=sink, checks=[TechnicalCheck()])  # no OCR: fast
    by_config = asyncio.run(arun(plan, tmp_path / "a", config))
    by_keywords = asyncio.run(
        arun_variants(plan, tmp_path / "b", provider="local", concurrency=2, progress=False, checks=[TechnicalCheck()])
    )
    assert by_config.summary["total"] == by_keywords.summary["total"] == 2
    assert by_config.summary["succeeded"] == by_keywords.summary["succeeded"] == 2
    keys_a = sorted(v["key"] for v in by_config.variants)
    keys_b = sorted(v["key"] for v in by_keywords.variants)
    assert keys_a == keys_b  # the same variants, by their stable keys
    assert sink.calls[0] == ("start", 2, 0, 0) and sink.calls[-1] == ("stop",)
    updates = [c for c in sink.calls if c[0] == "update"]
    assert len(updates) == 2 and updates[-1][1] + updates[-1][2] == 2
    started = json.loads((tmp_path / "a" / "journal.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert started["event"] == "run_started" and started["provider"] == "local" and started["concurrency"] == 2


def test_variant_count_before_expansion_matches_the_expansion(tmp_path: Path) -> None:
    plan = load_plan(_plan(tmp_path / "plans", headlines=3))
    assert variant_count(plan) == len(expand_plan(plan).variants) == 3
    assert dry_run(plan, provider="local").count == 3
