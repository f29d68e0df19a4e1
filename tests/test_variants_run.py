"""The variant runner: outputs, journal, resume, failures, budget, rate limiting and localization by edit.

Most runs talk to the loopback OpenAI server (tests/support) with a light check set (palette,
technical, moderation): these tests are about the runner, and the checks'
OCR costs seconds per image. The edit-mode test runs every check, OCR included, with the local renderer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from brandkit.checks.base import Check
from brandkit.checks.moderation import ModerationCheck
from brandkit.checks.palette import PaletteCheck
from brandkit.checks.technical import TechnicalCheck
from brandkit.errors import OutputError
from brandkit.provider.retry import RetryPolicy
from brandkit.variants import AdaptiveRateLimiter, Journal, arun_variants, read_journal, replay, run_variants
from brandkit.variants.plan import expand_plan
from tests.support.openai_plugin import FAKE_API_KEY
from tests.support.openai_server import OpenAIServer
from tests.support.variants import FAST, openai_options
from tests.support.virtual_time import run_virtual

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = str(ROOT / "brand_specs" / "northwind")
# Loopback images are a blue box on grey: the copy and logo are composited (overlay) and the palette
# check only warns, so a variant passes unless a test asks for the palette check to block.
LENIENT = {"text": "overlay", "logo": "overlay", "policies": {"palette": "warn"}}


def minimal_checks() -> list[Check]:
    """For tests about scheduling only."""
    return [TechnicalCheck(), ModerationCheck()]


def write_plan(folder: Path, headlines: int = 2, formats: tuple[str, ...] = ("square",), **extra: Any) -> Path:
    data: dict[str, Any] = {
        "name": "run-test",
        "spec": NORTHWIND,
        "base": {"brief": "A ceramic cup of coffee on an oak table", "cta": "Order ahead", **LENIENT},
        "axes": {
            "headline": ["Slow mornings", "Roasted this week", "Meet the roasters", "Fresh every day"][:headlines],
            "format": list(formats),
        },
    }
    data.update(extra)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def events(out: Path) -> list[dict[str, Any]]:
    records, skipped = read_journal(out / "journal.jsonl")
    assert skipped == 0
    return records


def generations(server: OpenAIServer) -> int:
    return sum(1 for r in server.records("/images/generations") if r.status == 200)


class RecordingProgress:
    """A ProgressSink that remembers every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def start(self, total: int, done: int, failed: int) -> None:
        self.calls.append(("start", total, done, failed))

    def update(self, done: int, failed: int, spent_usd: float) -> None:
        self.calls.append(("update", done, failed, spent_usd))

    def stop(self) -> None:
        self.calls.append(("stop",))


# --- journal and limiter (units) --------------------------------------------------------------------------------


def test_journal_lines_are_durable_and_a_torn_tail_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal(path) as journal:
        journal.append("planned", key="a", name="x")
        journal.append_many([{"ts": 1.0, "event": "started", "key": "a"}, {"ts": 2.0, "event": "started", "key": "b"}])
    with path.open("ab") as handle:
        handle.write(b'{"ts": 3.0, "event": "succeeded", "key": "a", "fi')  # a kill -9 mid-line
    records, skipped = read_journal(path)
    assert [r["event"] for r in records] == ["planned", "started", "started"] and skipped == 1
    with Journal(path) as journal:  # appending after a torn line starts a new line
        journal.append("succeeded", key="b", files={"image": "b.png"}, cost_usd=0.5, attempts=2)
    records, skipped = read_journal(path)
    assert skipped == 1 and records[-1]["event"] == "succeeded"
    state = replay(records, skipped)
    assert state.state("a").status == "started" and state.state("b").status == "succeeded"
    assert state.state("b").files == {"image": "b.png"} and state.state("b").cost_usd == 0.5
    assert state.state("zzz").status == "planned"
    with pytest.raises(OutputError):
        Journal(path).append("x")  # not open


# The limiter tests run on virtual time (tests/support/virtual_time.py): the loop's clock jumps to the next
# timer instead of sleeping, so the schedule is asserted exactly and no assertion depends on the machine's load.


def test_limiter_paces_starts_within_the_window() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        limiter = AdaptiveRateLimiter(window_s=0.4, limit=3, margin_s=0.0, clock=loop.time)
        stamps = []
        for _ in range(7):
            ticket = await limiter.acquire()
            stamps.append(loop.time())
            limiter.release(ticket)  # answered at once: the slot is busy for one window from now
        return stamps

    stamps = run_virtual(main())
    assert stamps[:3] == [0.0, 0.0, 0.0]  # the first window's worth at once
    assert 0.4 <= stamps[3] < 0.6 and 0.8 <= stamps[6] < 1.1
    for i in range(len(stamps) - 3):
        assert stamps[i + 3] - stamps[i] >= 0.4 - 1e-9  # never more than 3 starts in any 0.4 s


def test_limiter_learns_the_limit_and_pauses_on_429_and_exhaustion() -> None:
    run_virtual(_learns_the_limit_and_pauses())


async def _learns_the_limit_and_pauses() -> None:
    loop = asyncio.get_running_loop()

    class Info:
        def __init__(self, **fields: Any) -> None:
            self.observed_at = time.time()
            self.limit_requests = fields.get("limit")
            self.remaining_requests = fields.get("remaining")
            self.reset_requests_s = fields.get("reset")
            self.retry_after_s = fields.get("retry_after")
            self.status_code = fields.get("status", 200)

    limiter = AdaptiveRateLimiter(window_s=60.0, clock=loop.time)
    probe = await limiter.acquire()  # the probe: the next caller waits for its answer
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.05)
    assert not second.done()
    limiter.release(probe)
    limiter.observe(Info(limit=50, remaining=49, reset=1.2))
    limiter.release(await asyncio.wait_for(second, 1.0))
    assert limiter.effective_limit() == 50
    limiter.observe(Info(limit=50, remaining=0, reset=0.3))  # someone else used the quota up
    started = loop.time()
    limiter.release(await limiter.acquire())
    assert loop.time() - started >= 0.25
    limiter.rate_limited(0.3)
    assert limiter.effective_limit() == 45 and limiter.stats.rate_limited == 1
    started = loop.time()
    limiter.release(await limiter.acquire())
    assert loop.time() - started >= 0.25


class _Info:
    def __init__(self, limit: int, remaining: int) -> None:
        self.observed_at = time.time()
        self.limit_requests, self.remaining_requests = limit, remaining
        self.reset_requests_s, self.retry_after_s, self.status_code = 1.0, None, 200


async def test_kinds_share_one_window_until_the_headers_show_separate_limits() -> None:
    limiter = AdaptiveRateLimiter(window_s=60.0, arrival_lag_s=0.0)
    for i in range(10):
        limiter.release(await limiter.acquire("render"))
        limiter.observe(_Info(20, 19 - i), "render")
    limiter.release(await limiter.acquire("moderate"))
    limiter.observe(_Info(20, 9), "moderate")  # the server counted the renders too: one window for all
    assert limiter.stats.shared and limiter.effective_limit("moderate") == 20
    for _ in range(9):  # 11 counted + 9 = 20: the window is full for every kind
        limiter.release(await limiter.acquire("render"))
    blocked = asyncio.create_task(limiter.acquire("moderate"))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    blocked.cancel()

    openai = AdaptiveRateLimiter(window_s=60.0, arrival_lag_s=0.0)
    for i in range(10):
        openai.release(await openai.acquire("render"))
        openai.observe(_Info(20, 19 - i), "render")
    openai.release(await openai.acquire("moderate"))
    openai.observe(_Info(1000, 999), "moderate")  # OpenAI: moderation has its own, larger limit
    assert not openai.stats.shared
    assert (openai.effective_limit("render"), openai.effective_limit("moderate")) == (20, 1000)
    for _ in range(10):
        openai.release(await openai.acquire("moderate"))  # does not eat into the renders' window
    openai.release(await asyncio.wait_for(openai.acquire("render"), 0.5))

    now = [1000.0]
    same_value = AdaptiveRateLimiter(window_s=60.0, clock=lambda: now[0])
    for i in range(10):
        same_value.release(await same_value.acquire("render"))
        same_value.observe(_Info(20, 19 - i), "render")
    now[0] += 20.0  # the renders surely reached the server by now, and are still in its window
    same_value.release(await same_value.acquire("moderate"))
    same_value.observe(_Info(20, 19), "moderate")  # same limit, but the renders were not counted
    assert not same_value.stats.shared


def test_a_slot_is_held_until_the_server_has_surely_counted_the_request() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        limiter = AdaptiveRateLimiter(window_s=0.8, limit=2, margin_s=0.0, arrival_lag_s=0.2, clock=loop.time)
        first = await limiter.acquire()
        await limiter.acquire()  # a long request: it counts until start + arrival lag + window at most
        third = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0.1)
        limiter.release(first)  # answered after 0.1 s: its slot comes back one window later
        answered = loop.time()
        await asyncio.wait_for(third, 2.0)
        third_after = loop.time() - answered
        started = loop.time()
        await limiter.acquire()  # the long one never answered: its slot is back 0.2 s + 0.8 s after its start
        return third_after, loop.time() - started

    third_after, fourth_after = run_virtual(main())
    assert 0.75 <= third_after < 0.95
    assert 0.05 <= fourth_after < 0.4


# --- runs against the loopback server -------------------------------------------------------------------------


async def test_run_writes_images_sidecars_manifest_and_journal_then_resume_redoes_nothing(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    plan = write_plan(tmp_path, headlines=2, formats=("square", "landscape"))
    out = tmp_path / "out"
    progress = RecordingProgress()
    run = await arun_variants(plan, out, concurrency=4, **openai_options(openai_server, progress=progress))
    assert run.ok and run.exit_code == 0 and run.summary["succeeded"] == 4
    assert progress.calls[0] == ("start", 4, 0, 0) and progress.calls[-1] == ("stop",)
    updates = [c for c in progress.calls if c[0] == "update"]
    assert [u[1] for u in updates] == [1, 2, 3, 4] and updates[-1][3] == pytest.approx(run.summary["spend_usd"])
    assert generations(openai_server) == 4 and openai_server.count("/moderations") == 4
    costs = 0.0
    for item in run.variants:
        files = item["files"]
        assert (out / files["image"]).is_file() and (out / files["thumb"]).is_file()
        sidecar = json.loads((out / files["sidecar"]).read_text(encoding="utf-8"))
        assert sidecar["provider"] == "openai" and sidecar["request"]["headline"] == item["copy"]["headline"]
        assert item["cost_usd"] == pytest.approx(sidecar["cost_usd"]) and item["cost_usd"] > 0
        assert item["checks"] == {k: v["status"] for k, v in sidecar["report"]["checks"].items()}
        assert item["attempts"] == 1 and item["palette"]["coverage"] is not None
        costs += item["cost_usd"]
    assert run.summary["spend_usd"] == pytest.approx(costs)
    assert run.summary["pass_rate"] == 1.0 and run.summary["attempts_per_accepted"] == 1.0
    manifest = json.loads(run.manifest_path.read_text(encoding="utf-8"))
    assert {v["key"] for v in manifest["variants"]} == {v.key for v in expand_plan(plan).variants}
    assert (out / "index.html").is_file()
    kinds = Counter(e["event"] for e in events(out))
    assert kinds["planned"] == 4 and kinds["started"] == 4 and kinds["succeeded"] == 4 and kinds["run_finished"] == 1

    with pytest.raises(OutputError, match="--resume"):
        await arun_variants(plan, out, **openai_options(openai_server))
    again = await arun_variants(plan, out, resume=True, **openai_options(openai_server))
    assert again.ok and generations(openai_server) == 4
    kinds = Counter(e["event"] for e in events(out))
    assert kinds["started"] == 4 and kinds["planned"] == 4 and kinds["run_started"] == 2
    assert again.summary["sessions"] == 2 and again.summary["spend_usd"] == pytest.approx(costs)


async def test_the_rate_limit_is_learned_and_never_tripped(tmp_path: Path, openai_server: OpenAIServer) -> None:
    openai_server.rate_limit_rpm = 4
    openai_server.rate_limit_window_s = 1.0
    plan = write_plan(tmp_path, headlines=3, formats=("square", "landscape"))  # 6 variants = 12 requests
    run = await arun_variants(
        tmp_path / "plan.yaml", tmp_path / "out", concurrency=6, rate_window_s=1.0, **openai_options(openai_server)
    )
    assert run.ok, run.variants
    assert [r.status for r in openai_server.records() if r.status == 429] == []
    assert run.limiter is not None and run.limiter.limit == 4 and run.limiter.waits > 0
    assert run.limiter.shared  # the loopback server counts images and moderations in one window
    assert run.limiter.requests == 12  # 12 requests through a 4-per-window limit, and the server never said 429
    assert plan.exists()


async def test_429s_slow_the_run_down_and_never_crash_it(tmp_path: Path, openai_server: OpenAIServer) -> None:
    plan = write_plan(tmp_path, headlines=1)
    openai_server.inject("rate_limit", times=3, path="/images/generations", retry_after_ms=200)
    retry = RetryPolicy(max_attempts=2, max_total_s=10.0, base_s=0.01, max_wait_s=1.0)
    run = await arun_variants(
        plan, tmp_path / "out", **openai_options(openai_server, retry=retry, checks=minimal_checks())
    )
    assert run.ok
    statuses = [r.status for r in openai_server.records("/images/generations")]
    assert statuses == [429, 429, 429, 200]
    assert run.limiter is not None and run.limiter.rate_limited >= 1
    kinds = Counter(e["event"] for e in events(tmp_path / "out"))
    assert kinds["requeued"] == 1 and kinds["succeeded"] == 1  # two attempts, back in the queue, then done


async def test_a_failed_variant_keeps_its_reason_and_never_touches_a_finished_one(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    plan = write_plan(
        tmp_path,
        headlines=1,
        axes={
            "headline": ["Slow mornings"],
            "strictness": [
                {"id": "lenient", "set": {"policies": {"palette": "warn"}}},
                {"id": "strict", "set": {"policies": {"palette": "regenerate"}}},
            ],
        },
    )
    out = tmp_path / "out"
    options = openai_options(openai_server, checks=[PaletteCheck(), TechnicalCheck()], max_attempts=2)
    run = await arun_variants(plan, out, **options)
    by_axis = {v["axes"]["strictness"]: v for v in run.variants}
    ok, bad = by_axis["lenient"], by_axis["strict"]
    assert ok["status"] == "succeeded" and bad["status"] == "failed" and bad["kind"] == "checks"
    assert bad["reason"].startswith("palette: keep to the brand palette") and "needs 85%" in bad["reason"]
    assert bad["attempts"] == 2 and bad["cost_usd"] > 0 and (out / bad["files"]["rejected"]).is_file()
    assert run.exit_code == 1 and run.summary["pass_rate"] == 0.5 and run.summary["attempts_per_accepted"] == 3.0
    finished = out / ok["files"]["image"]
    before = (finished.read_bytes(), finished.stat().st_mtime_ns)
    requests = generations(openai_server)
    # a resume keeps a check failure (it was paid for); --retry-failed tries it again, and only it
    await arun_variants(plan, out, resume=True, **options)
    assert generations(openai_server) == requests
    again = await arun_variants(plan, out, resume=True, retry_failed=True, **options)
    assert generations(openai_server) == requests + 2
    assert (finished.read_bytes(), finished.stat().st_mtime_ns) == before
    assert {v["axes"]["strictness"]: v["status"] for v in again.variants} == {
        "lenient": "succeeded",
        "strict": "failed",
    }
    assert again.summary["attempts"] == 5  # 1 + 2 + 2 over the sessions


async def test_budget_stops_before_spending_past_it_and_resume_finishes(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    plan = write_plan(tmp_path, headlines=4)
    out = tmp_path / "out"
    # each call reserves its worst case (gpt-image-2 medium 1024²: $0.053 output, plus every prompt byte as a
    # text token) and is billed ~$0.034 by the loopback server: $0.10 holds two calls, not a third
    options = openai_options(openai_server, checks=minimal_checks())
    run = await arun_variants(plan, out, concurrency=1, budget_usd=0.10, **options)
    assert run.stopped == "budget" and run.exit_code == 1
    made = run.summary["succeeded"]
    assert 1 <= made < 4 and run.summary["spend_usd"] <= 0.10
    assert generations(openai_server) == made  # nothing sent that was not kept
    assert {v["status"] for v in run.variants} == {"succeeded", "skipped"}
    stop = next(e for e in events(out) if e["event"] == "budget_stop")
    assert stop["spent_usd"] + stop["reserved_usd"] + stop["needed_usd"] > 0.10 >= stop["spent_usd"]
    assert stop["spent_usd"] <= run.summary["spend_usd"]  # (another variant's call may still have been in flight)
    done = await arun_variants(plan, out, resume=True, **options)
    assert done.ok and generations(openai_server) == 4


async def test_a_kits_provider_and_settings_are_used(tmp_path: Path, openai_server: OpenAIServer) -> None:
    from brandkit import AsyncBrandKit, load_spec
    from brandkit.provider.openai import OpenAIProvider

    provider = OpenAIProvider(api_key=FAKE_API_KEY, base_url=openai_server.url, retry=FAST)
    kit = AsyncBrandKit(load_spec(NORTHWIND), provider=provider)
    try:
        run = await arun_variants(
            write_plan(tmp_path, headlines=1), tmp_path / "out", kit=kit, checks=minimal_checks(), progress=False
        )
    finally:
        await provider.aclose()
    assert run.ok and generations(openai_server) == 1
    assert run.limiter is not None and run.limiter.limit == 5000  # learned from the kit's provider


def test_sync_entry_point_refuses_a_running_loop(tmp_path: Path) -> None:
    async def inside() -> None:
        with pytest.raises(RuntimeError, match="arun_variants"):
            run_variants(write_plan(tmp_path), tmp_path / "out", provider="local")

    asyncio.run(inside())
    assert not (tmp_path / "out").exists()


# --- localization by edit, checked by OCR -------------------------------------------------------------------------


def test_edit_mode_adapts_the_master_per_locale_and_ocr_checks_the_new_copy(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path,
        base={"brief": "A ceramic cup of coffee on an oak table", "cta": "Order ahead", "seed": 3},
        axes={"headline": ["Slow mornings, bright roasts"], "locale": ["en", "de"]},
        locales={
            "de": {
                "language": "German",
                "headline": {"Slow mornings, bright roasts": "Langsame Morgen, helle Röstungen"},
                "cta": "Jetzt vorbestellen",
            }
        },
        mode="edit",
    )
    out = tmp_path / "out"
    run = run_variants(plan, out, provider="local", progress=False)  # every check, OCR included
    assert run.ok, run.variants
    master, german = run.variants
    assert master["operation"] == "generate" and german["operation"] == "edit" and german["master"] == master["key"]
    sidecar = json.loads((out / german["files"]["sidecar"]).read_text(encoding="utf-8"))
    assert sidecar["request"]["instruction"].startswith("Replace only the text with the German copy")
    found = sidecar["report"]["checks"]["text"]["details"]["strings"]
    assert found["headline"]["expected"] == "Langsame Morgen, helle Röstungen" and found["headline"]["found"]
    assert found["cta"]["expected"] == "Jetzt vorbestellen" and found["cta"]["found"]
    assert sidecar["report"]["checks"]["logo"]["status"] == "passed"
    assert (out / master["files"]["image"]).read_bytes() != (out / german["files"]["image"]).read_bytes()


# --- the command line ----------------------------------------------------------------------------------------------


def _cli() -> Any:
    from brandkit.cli import app
    from brandkit.cli_variants import register

    register(app)
    register(app)  # idempotent
    return app


def test_cli_dry_run_and_usage_errors(tmp_path: Path) -> None:
    app = _cli()
    runner = CliRunner()
    result = runner.invoke(app, ["variants", str(ROOT / "plans" / "demo-24.yaml"), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["count"] == 24 and data["estimated_cost_usd"] > 0 and len(data["variants"]) == 24
    result = runner.invoke(app, ["variants", str(ROOT / "plans" / "demo-24.yaml"), "--dry-run"])
    assert result.exit_code == 0 and "24 variant(s)" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump({"name": "x", "spec": NORTHWIND, "axes": {"format": ["huge"]}, "base": {"brief": "b"}}),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["variants", str(bad), "--provider", "local", "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert error["issues"][0]["location"] == "axes.format[0]" and error["issues"][0]["value"] == "'huge'"
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "journal.jsonl").write_text("", encoding="utf-8")
    result = runner.invoke(
        app, ["variants", str(write_plan(tmp_path)), "--provider", "local", "--out", str(tmp_path / "busy"), "--json"]
    )
    assert result.exit_code == 2 and "--resume" in json.loads(result.stdout)["error"]
    result = runner.invoke(app, ["variants", str(bad), "--retry-failed", "--json"])
    assert result.exit_code == 2
