"""Faults under load: 500 variants through the async variant runner against the loopback OpenAI server while
20 % of the image requests fail (429 with retry-after-ms, 500, 503, timeouts, connection resets, malformed
JSON, truncated base64), plus 1 % that cannot be retried (400 bad request, moderation block).

Checked:

* **nothing lost** — the manifest lists all 500 variants, each ``succeeded`` (image and sidecar on disk) or
  ``failed`` with a kind and a reason; the journal has exactly one terminal event per variant;
* **nobody paid twice** — every image request carries its variant's ``safety_identifier``; per variant there
  is at most one *accepted* image response (HTTP 200, no fault), and exactly one for each succeeded variant;
  responses the client never received (the server answered after the client's timeout) are counted apart;
* **memory flat** — resident memory when 100 variants have settled vs when all 500 have (a progress sink
  samples psutil RSS);
* the first 100 variants run with the server validating every request and response against the OpenAPI
  description; then validation is switched off for speed.

``BRANDKIT_LOAD_VARIANTS`` changes the count (default 500); the figures are printed (``-s``) for
docs/reliability.md.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import gc
import io
import json
import logging
import os
import random
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from PIL import Image, ImageDraw

import brandkit
from brandkit.checks.moderation import ModerationCheck
from brandkit.checks.palette import PaletteCheck
from brandkit.checks.technical import TechnicalCheck
from brandkit.provider.retry import RetryPolicy
from brandkit.spec.models import ColorRole
from brandkit.variants import arun_variants, read_journal
from tests.support.openai_plugin import FAKE_API_KEY
from tests.support.openai_server import OpenAIServer, _Fault

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
VARIANTS = int(os.environ.get("BRANDKIT_LOAD_VARIANTS", "500"))
VALIDATED_SLICE = 100
FIRST_MARK = min(100, max(1, VARIANTS // 5))
FAULT_RATE = 0.20
FATAL_RATE = 0.01
RETRYABLE = ("rate_limit", "server_error", "overloaded", "slow", "reset", "malformed_json", "truncated_b64")
FATAL = ("bad_request", "moderation_blocked")
CLIENT_TIMEOUT_S = 5.0
SLOW_DELAY_S = 6.5
RETRY = RetryPolicy(max_attempts=5, max_total_s=60.0, base_s=0.01, max_wait_s=0.3, jitter=True)
GENERATIONS = "/images/generations"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


class FaultSchedule:
    """Replaces the server's fault queue: each image request fails with probability ``FAULT_RATE`` (seeded)."""

    def __init__(self, seed: int = 20260) -> None:
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.injected: collections.Counter[str] = collections.Counter()
        self.requests = 0

    def take(self, endpoint: str, template: str = "") -> _Fault | None:
        if endpoint != GENERATIONS:
            return None
        with self.lock:
            self.requests += 1
            roll = self.rng.random()
            if roll < FATAL_RATE:
                kind = self.rng.choice(FATAL)
            elif roll < FATAL_RATE + FAULT_RATE:
                kind = self.rng.choice(RETRYABLE)
            else:
                return None
            self.injected[kind] += 1
        opts: dict[str, Any] = {}
        if kind == "rate_limit":
            opts = {"retry_after_ms": 20}
        elif kind == "slow":
            opts = {"delay_s": SLOW_DELAY_S}
        elif kind == "bad_request":
            opts = {"message": "Invalid value for 'quality'.", "param": "quality"}
        return _Fault(kind, 1, None, opts)


def cached_painter(spec: brandkit.BrandSpec) -> Any:
    """The on-brand 'model' of tests/test_openai_kit.py (flat brand background, palette subject), cached per size."""
    bg = spec.palette.by_role(ColorRole.background)[0].hex
    accent = spec.palette.by_role(ColorRole.accent)[0].hex
    primary = spec.palette.by_role(ColorRole.primary)[0].hex
    cache: dict[tuple[int, int, str], bytes] = {}
    lock = threading.Lock()

    def paint(width: int, height: int, fmt: str, transparent: bool, params: Mapping[str, Any]) -> bytes:
        with lock:
            if (width, height, fmt) not in cache:
                image = Image.new("RGB", (width, height), bg)
                draw = ImageDraw.Draw(image)
                draw.rectangle((int(width * 0.6), int(height * 0.56), int(width * 0.95), int(height * 0.9)), primary)
                draw.ellipse((int(width * 0.62), int(height * 0.55), int(width * 0.92), int(height * 0.85)), accent)
                out = io.BytesIO()
                image.save(out, {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt], compress_level=1)
                cache[(width, height, fmt)] = out.getvalue()
            return cache[(width, height, fmt)]

    return paint


def _trimmed_rss(process: psutil.Process) -> int:
    """RSS after a full collection and ``malloc_trim(0)``: memory still held, not freed memory glibc caches."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return int(process.memory_info().rss)


class Probe:
    """Progress sink: samples RSS at 100 settled and at the end; switches server validation off after the slice."""

    def __init__(self, server: OpenAIServer) -> None:
        self.server = server
        self.process = psutil.Process()
        self.rss: dict[int, int] = {}
        self.started = time.perf_counter()
        self.times: dict[int, float] = {}

    def start(self, total: int, done: int, failed: int) -> None:
        self.rss[0] = _trimmed_rss(self.process)

    def update(self, done: int, failed: int, spent_usd: float) -> None:
        settled = done + failed
        if settled >= VALIDATED_SLICE and self.server.validate_requests:
            self.server.validate_requests = False
            self.server.validate_responses = False
        for mark in (FIRST_MARK, VARIANTS // 2, VARIANTS):
            if settled >= mark and mark not in self.rss:
                self.rss[mark] = _trimmed_rss(self.process)
                self.times[mark] = time.perf_counter() - self.started

    def stop(self) -> None:
        pass


def write_plan(folder: Path) -> Path:
    plan = {
        "name": "load-faults",
        "spec": str(NORTHWIND),
        "base": {
            "brief": "A ceramic cup of coffee on an oak table",
            "headline": "Slow mornings",
            "cta": "Order ahead",
            "text": "overlay",
            "logo": "overlay",
            "quality": "low",
        },
        "axes": {"safety_identifier": [f"load-{i:04d}" for i in range(VARIANTS)]},
    }
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def report_capture_at_warning(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep pytest's own per-test log capture (the report section and ``caplog``) to warnings for this test.

    Those handlers keep every record of the test in memory, some 25 per request at DEBUG (httpcore, openai):
    tens of MB over 500 variants, which the RSS samples would count as the runner's growth. The root logger
    stays at DEBUG, so the secret-scan plugin still scans every record.
    """
    plugin = request.config.pluginmanager.get_plugin("logging-plugin")
    for name in ("report_handler", "caplog_handler"):
        handler = getattr(plugin, name, None)
        if handler is not None:
            monkeypatch.setattr(handler, "level", logging.WARNING)


@pytest.mark.usefixtures("report_capture_at_warning")
async def test_500_variants_with_20_percent_faults(
    tmp_path: Path, openai_server: OpenAIServer, northwind: brandkit.BrandSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule = FaultSchedule()
    monkeypatch.setattr(openai_server, "_take_fault", schedule.take)
    openai_server.image_factory = cached_painter(northwind)
    openai_server.validate_requests = True
    openai_server.validate_responses = True
    probe = Probe(openai_server)
    out = tmp_path / "run"
    started = time.perf_counter()
    run = await arun_variants(
        write_plan(tmp_path),
        out,
        provider="openai",
        api_key=FAKE_API_KEY,
        base_url=openai_server.url,
        retry=RETRY,
        timeout=CLIENT_TIMEOUT_S,
        concurrency=16,
        rate_window_s=1.0,
        progress=probe,
        checks=[PaletteCheck(), TechnicalCheck(), ModerationCheck()],
        max_attempts=2,
    )
    wall = time.perf_counter() - started
    variants = run.variants
    statuses = collections.Counter(v["status"] for v in variants)
    failed_kinds = collections.Counter(v["kind"] for v in variants if v["status"] == "failed")
    image_records = openai_server.records(GENERATIONS)
    accepted: collections.Counter[str] = collections.Counter()
    unseen: collections.Counter[str] = collections.Counter()
    for record in image_records:
        ident = str(record.fields.get("safety_identifier"))
        if record.status == 200 and record.fault is None:
            accepted[ident] += 1
        elif record.status == 200 and record.fault == "slow":
            unseen[ident] += 1  # answered after the client's timeout (delivered only if the client was late)
    # Steady state: growth over the second half of the run. The first half includes one-off warm-up (lookup
    # tables, connection pools, one malloc arena per worker thread) that shows as a bump at the midpoint in
    # isolation too; a leak of anything per variant (images, reports) grows in both halves and is caught here.
    mid_mark = probe.rss.get(VARIANTS // 2, 0)
    growth_mb = (probe.rss.get(VARIANTS, 0) - mid_mark) / 2**20
    figures = {
        "variants": VARIANTS,
        "wall_s": round(wall, 1),
        "image_requests": len(image_records),
        "moderation_requests": openai_server.count("/moderations"),
        "faults_injected": dict(schedule.injected),
        "faults_total": sum(schedule.injected.values()),
        "fault_share": round(sum(schedule.injected.values()) / max(1, schedule.requests), 3),
        "statuses": dict(statuses),
        "failed_kinds": dict(failed_kinds),
        "failed_reasons": [v["reason"][:120] for v in variants if v["status"] == "failed"],
        "accepted_image_responses": sum(accepted.values()),
        "answered_after_client_timeout": sum(unseen.values()),
        "rss_mb": {mark: round(value / 2**20, 1) for mark, value in sorted(probe.rss.items())},
        "rss_growth_mid_to_end_mb": round(growth_mb, 1),
        "seconds_at": {mark: round(t, 1) for mark, t in sorted(probe.times.items())},
        "limiter": repr(run.limiter),
    }
    print("LOAD FIGURES " + json.dumps(figures))

    # --- nothing lost -------------------------------------------------------------------------------------------
    assert len(variants) == VARIANTS and len({v["key"] for v in variants}) == VARIANTS
    assert set(statuses) <= {"succeeded", "failed"}, statuses
    by_id: dict[str, dict[str, Any]] = {}
    for item in variants:
        if item["status"] == "succeeded":
            sidecar_path = out / item["files"]["sidecar"]
            assert (out / item["files"]["image"]).is_file() and sidecar_path.is_file()
            sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
            assert sidecar["report"]["passed"] is True
            by_id[sidecar["request"]["safety_identifier"]] = item
        else:
            assert item["kind"] and item["reason"], item
    records, skipped = read_journal(out / "journal.jsonl")
    assert skipped == 0
    terminal = collections.Counter(r["key"] for r in records if r["event"] in ("succeeded", "failed"))
    assert set(terminal) == {v["key"] for v in variants} and set(terminal.values()) == {1}

    # --- nobody paid twice ------------------------------------------------------------------------------------
    # The image response a variant used is named by the request id its sidecar recorded for each attempt.
    status_of = {r.request_id: r for r in image_records}
    used: dict[str, list[str]] = {}
    for ident, item in by_id.items():
        sidecar = json.loads((out / item["files"]["sidecar"]).read_text(encoding="utf-8"))
        ids = [a["request_id"] for a in sidecar["attempts"]]
        assert all(rid in status_of and status_of[rid].status == 200 for rid in ids), (ident, ids)
        assert all(str(status_of[rid].fields.get("safety_identifier")) == ident for rid in ids)
        used[ident] = ids
    assert all(len(ids) == 1 for ids in used.values()), {k: v for k, v in used.items() if len(v) != 1}
    accepted_ids = {rid for ids in used.values() for rid in ids}
    discarded_clean = [
        (str(r.fields.get("safety_identifier")), r.request_id)
        for r in image_records
        if r.status == 200
        and r.fault is None
        and r.request_id not in accepted_ids
        and str(r.fields.get("safety_identifier")) in by_id
    ]
    assert not discarded_clean, f"clean image answers that were paid for and thrown away: {discarded_clean}"
    assert len(by_id) == statuses["succeeded"]
    fatal_hits = sum(schedule.injected[k] for k in FATAL)
    assert statuses["failed"] <= fatal_hits + 5, (failed_kinds, schedule.injected)
    assert set(failed_kinds) <= {"provider", "blocked"}, failed_kinds

    # --- memory flat ------------------------------------------------------------------------------------------
    assert growth_mb < 64, probe.rss

    # --- validation slice -------------------------------------------------------------------------------------
    assert openai_server.invalid_requests() == []
    assert sum(schedule.injected.values()) >= 0.15 * VARIANTS
