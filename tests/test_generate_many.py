"""``generate_many`` (sync and async) and ``brandkit generate --n``: a variant that fails never loses a finished one.

Over real HTTP against the loopback OpenAI server: a quota exhausted after the first variant, a variant whose checks
fail on every attempt; and the policy itself (go on past failed checks, stop at other errors) on plain callables.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import brandkit
from brandkit.cli import app
from brandkit.errors import BrandViolationError, PartialGenerationError, QuotaExceededError, RequestError
from brandkit.generate_many import collect, run_in_turn, variant_requests
from brandkit.models import AssetRequest
from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY
from tests.support.openai_server import OpenAIServer
from tests.test_openai_kit import REQ, brand_imagery

IMAGE_PATHS = ("/images/edits", "/images/generations")


def _kit(spec: brandkit.BrandSpec, server: OpenAIServer, cls: Any = brandkit.BrandKit) -> Any:
    return cls(spec, provider="openai", api_key=FAKE_API_KEY, base_url=server.url, retry=FAST_RETRY)


def _quota_after(server: OpenAIServer, spec: brandkit.BrandSpec, images: int) -> Callable[..., bytes]:
    """On-brand imagery whose ``images``-th image is the last: every image request after it is refused with
    ``insufficient_quota`` (the quota ran out mid-run)."""
    paint = brand_imagery(spec)
    calls = {"n": 0}

    def factory(width: int, height: int, fmt: str, transparent: bool, params: Mapping[str, Any]) -> bytes:
        calls["n"] += 1
        if calls["n"] == images:
            for path in IMAGE_PATHS:
                server.inject("insufficient_quota", times=20, path=path)
        return paint(width, height, fmt, transparent, params)

    return factory


def _image_requests(server: OpenAIServer) -> list[int | None]:
    return [r.status for r in server.records() if r.path.endswith(IMAGE_PATHS)]


def test_a_quota_error_after_the_first_variant_keeps_it_and_stops(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer
) -> None:
    openai_server.image_factory = _quota_after(openai_server, northwind, images=1)
    kit = _kit(northwind, openai_server)
    with pytest.raises(PartialGenerationError) as caught:
        kit.generate_many({**REQ, "n": 3, "seed": 7})
    err = caught.value
    assert err.requested == 3
    assert [a.report.passed for a in err.assets] == [True]
    assert err.asset_indices == [0]
    assert err.assets[0].request.seed == 7
    assert [(f.index, f.seed) for f in err.failures] == [(1, 1007), (2, 2007)]
    assert isinstance(err.failures[0].error, QuotaExceededError)
    assert err.failures[1].error is None  # not attempted: nothing more was paid for
    assert err.__cause__ is err.failures[0].error
    assert err.first_error is err.failures[0].error
    assert "1 of 3 assets made" in str(err) and "variant 3 (seed 2007): not attempted" in str(err)
    assert _image_requests(openai_server) == [200, 429]  # the third variant sent nothing
    assert FAKE_API_KEY not in str(err)


def test_when_no_variant_is_made_the_first_error_is_raised_unchanged(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer
) -> None:
    for path in IMAGE_PATHS:
        openai_server.inject("insufficient_quota", times=20, path=path)
    with pytest.raises(QuotaExceededError):
        _kit(northwind, openai_server).generate_many({**REQ, "n": 2})
    assert _image_requests(openai_server) == [429]


def test_a_variant_whose_checks_fail_does_not_stop_the_next(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer
) -> None:
    attempts = northwind.repair.max_attempts
    openai_server.image_factory = brand_imagery(northwind, off_palette_first=attempts)  # variant 1: every attempt
    with pytest.raises(PartialGenerationError) as caught:
        _kit(northwind, openai_server).generate_many({**REQ, "n": 2})
    err = caught.value
    assert err.asset_indices == [1] and err.assets[0].report.passed
    (failure,) = err.failures
    assert failure.index == 0 and isinstance(failure.error, BrandViolationError)
    assert len(failure.error.attempts) == attempts  # the failed variant's attempts are kept on its error
    assert "palette" in str(err)


def test_async_variants_run_to_their_end_and_none_is_lost(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer
) -> None:
    openai_server.image_factory = brand_imagery(northwind)
    for path in IMAGE_PATHS:  # one of the two concurrent variants is refused, whichever asks first
        openai_server.inject("insufficient_quota", times=1, path=path)

    async def run() -> Any:
        kit = _kit(northwind, openai_server, brandkit.AsyncBrandKit)
        with pytest.raises(PartialGenerationError) as caught:
            await kit.generate_many({**REQ, "n": 2})
        return caught.value

    err = asyncio.run(run())
    assert len(err.assets) == 1 and err.assets[0].report.passed
    (failure,) = err.failures
    assert isinstance(failure.error, QuotaExceededError)
    assert sorted([failure.index, *err.asset_indices]) == [0, 1]


def test_generate_refuses_n_above_one(northwind: brandkit.BrandSpec) -> None:
    kit = brandkit.BrandKit(northwind, provider="local")
    with pytest.raises(RequestError) as caught:
        kit.generate({**REQ, "n": 3})
    assert caught.value.field == "n" and "generate_many" in str(caught.value)


def test_the_policy_goes_on_past_failed_checks_and_stops_at_other_errors() -> None:
    requests = variant_requests(AssetRequest(brief="x", n=4, seed=1))
    assert [r.seed for r in requests] == [1, 1001, 2001, 3001] and {r.n for r in requests} == {1}
    made: list[int | None] = []

    def make(request: AssetRequest) -> str:
        made.append(request.seed)
        if request.seed == 1:
            raise BrandViolationError("checks failed")
        if request.seed == 2001:
            raise QuotaExceededError("quota", provider="openai")
        return f"asset-{request.seed}"

    with pytest.raises(PartialGenerationError) as caught:
        run_in_turn(make, requests)
    assert made == [1, 1001, 2001]  # past the failed checks, stopped at the quota
    assert caught.value.assets == ["asset-1001"] and caught.value.asset_indices == [1]
    assert [f.error is None for f in caught.value.failures] == [False, False, True]
    assert run_in_turn(lambda r: r.seed, requests[:2]) == [1, 1001]


def test_an_interruption_among_the_outcomes_is_raised_as_it_is() -> None:
    requests = variant_requests(AssetRequest(brief="x", n=2))
    with pytest.raises(KeyboardInterrupt):
        collect(requests, ["asset", KeyboardInterrupt()])


@pytest.fixture
def quota_cli(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    """``run(out, *extra)``: ``brandkit generate --n 2`` against the loopback server, whose quota runs out after
    the first image."""
    openai_server.image_factory = _quota_after(openai_server, northwind, images=1)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)

    def run(out: Path, *extra: str) -> Any:
        args = ["generate", "--spec", "brand_specs/northwind", "--brief", REQ["brief"], "--headline", REQ["headline"]]
        return CliRunner().invoke(app, [*args, "--n", "2", "--out", str(out), "--db", str(out.parent / "r.db"), *extra])

    return run


def test_cli_generate_n_saves_the_variants_made_and_exits_with_the_errors_code(
    quota_cli: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = quota_cli(out, "--json")
    assert result.exit_code == 3, result.output  # a provider error's code
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["exit_code"] == 3
    (saved,) = doc["assets"]
    assert Path(saved["path"]).name == "northwind-coffee-square-1.png" and Path(saved["path"]).is_file()
    assert doc["failed"] == [
        {"variant": 2, "seed": 1000, "error": doc["failed"][0]["error"], "attempted": True},
    ]
    assert doc["failed"][0]["error"].startswith("QuotaExceededError")
    assert doc["registry"]["recorded"] == 1
    assert sorted(p.name for p in out.iterdir()) == [
        "northwind-coffee-square-1.png",
        "northwind-coffee-square-1.png.json",
    ]


def test_cli_generate_n_without_json_lists_the_saved_file_and_the_provider_error_whole(
    quota_cli: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = quota_cli(out)
    assert result.exit_code == 3, result.output
    saved = out / "northwind-coffee-square-1.png"
    assert saved.is_file() and f"✓ {saved}" in result.stdout
    error = " ".join(result.stderr.split())  # the console wraps long lines
    assert "1 of 2 assets made" in error and f"saved: {saved}" in error
    assert "[status=429, code=insufficient_quota, request_id=req_" in error  # brackets printed, not read as markup


def test_seed_with_openai_is_said_not_to_be_sent(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    openai_server.image_factory = brand_imagery(northwind)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    args = ["generate", "--spec", "brand_specs/northwind", "--brief", REQ["brief"], "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, [*args, "--seed", "7", "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 0, result.output
    assert "--seed is not sent to OpenAI" in result.stderr
    assert all("seed" not in record.fields for record in openai_server.records() if record.path.endswith(IMAGE_PATHS))
    local = CliRunner().invoke(app, [*args, "--seed", "7", "--provider", "local", "--db", str(tmp_path / "r.db")])
    assert local.exit_code == 0 and "--seed is not sent" not in local.stderr


def test_on_asset_is_told_of_each_variant_as_it_is_made(northwind: brandkit.BrandSpec) -> None:
    kit = brandkit.BrandKit(northwind, provider="local", checks=["technical"])
    told: list[tuple[int, int | None]] = []
    assets = kit.generate_many({**REQ, "n": 3, "seed": 5}, on_asset=lambda i, a: told.append((i, a.request.seed)))
    assert told == [(0, 5), (1, 1005), (2, 2005)] and [a.request.seed for a in assets] == [5, 1005, 2005]

    async def run() -> list[int]:
        seen: list[int] = []
        akit = brandkit.AsyncBrandKit(northwind, provider="local", checks=["technical"])
        await akit.generate_many({**REQ, "n": 2}, on_asset=lambda i, a: seen.append(i))
        return sorted(seen)

    assert asyncio.run(run()) == [0, 1]


def test_an_interrupted_cli_run_keeps_the_variants_already_made(
    northwind: brandkit.BrandSpec, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Ctrl-C during the third of three variants: the two finished ones are on disk (they were saved as they came,
    not at the end)."""
    real = brandkit.BrandKit.generate
    calls = {"n": 0}

    def interrupted(self: Any, request: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, request, **kwargs)

    monkeypatch.setattr(brandkit.BrandKit, "generate", interrupted)
    out = tmp_path / "out"
    args = ["generate", "--spec", "brand_specs/northwind", "--brief", REQ["brief"], "--provider", "local"]
    result = CliRunner().invoke(app, [*args, "--n", "3", "--out", str(out), "--db", str(tmp_path / "r.db")])
    assert result.exit_code != 0  # interrupted
    assert sorted(p.name for p in out.glob("*.png")) == [
        "northwind-coffee-square-1.png",
        "northwind-coffee-square-2.png",
    ]
    assert all((out / f"{p.name}.json").is_file() for p in out.glob("*.png"))


def test_cli_json_gives_a_failed_variants_report(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    openai_server.image_factory = brand_imagery(northwind, off_palette_first=northwind.repair.max_attempts)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    args = ["generate", "--spec", "brand_specs/northwind", "--brief", REQ["brief"], "--headline", REQ["headline"]]
    result = CliRunner().invoke(
        app, [*args, "--n", "2", "--out", str(tmp_path / "o"), "--json", "--db", str(tmp_path / "r.db")]
    )
    doc = json.loads(result.stdout)
    assert result.exit_code == 1 and doc["exit_code"] == 1, result.output  # the first failure: checks (1)
    (failed,) = doc["failed"]
    assert failed["variant"] == 1 and failed["error"].startswith("BrandViolationError")
    assert failed["report"]["passed"] is False and failed["report"]["checks"]["palette"]["status"] == "failed"
    assert [Path(a["path"]).name for a in doc["assets"]] == ["northwind-coffee-square-2.png"]
    # the failed variant's best attempt is kept beside the made one, with its failing report
    assert Path(failed["rejected"]["path"]).name == "northwind-coffee-square-1-rejected.png"
    assert failed["rejected"]["passed"] is False and Path(failed["rejected"]["sidecar"]).is_file()


def test_an_on_asset_error_propagates_as_the_callers_own(northwind: brandkit.BrandSpec) -> None:
    def refuse(index: int, asset: Any) -> None:
        raise OSError(f"disk full while keeping variant {index + 1}")

    kit = brandkit.BrandKit(northwind, provider="local", checks=["technical"])
    with pytest.raises(OSError, match="variant 1"):
        kit.generate_many({**REQ, "n": 2}, on_asset=refuse)

    async def run() -> None:
        akit = brandkit.AsyncBrandKit(northwind, provider="local", checks=["technical"])
        await akit.generate_many({**REQ, "n": 2}, on_asset=refuse)

    with pytest.raises(OSError, match="disk full"):  # not a PartialGenerationError: no variant failed
        asyncio.run(run())


def test_compile_shows_what_each_call_sends_for_several_variants(northwind: brandkit.BrandSpec) -> None:
    """``n = 3`` is three calls of one image each: the dry run said ``params.n: 3``."""
    kit = brandkit.BrandKit(northwind, provider="local")
    assert kit.compile({**REQ, "n": 3}).params["n"] == 1
