"""The adaptive limiter's bookkeeping: arrival estimates, when a slot comes back, who gets it first.

A fake clock drives the limiter; nothing here measures time.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from brandkit.checks.technical import TechnicalCheck
from brandkit.rate_limits import RateLimitInfo
from brandkit.variants import AdaptiveRateLimiter, arun_variants
from tests.test_variants_run import write_plan


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _request(limiter: AdaptiveRateLimiter, clock: Clock, kind: str, took: float, answered: bool = True) -> None:
    """One request of ``kind`` that starts now (its slot must be free) and ends ``took`` seconds later."""
    ticket = await asyncio.wait_for(limiter.acquire(kind), 1.0)
    clock.now += took
    limiter.release(ticket, answered=answered)
    limiter.observe(None, kind)  # no rate-limit headers (it ends the probe)


async def test_the_arrival_lag_comes_from_the_quickest_kind_not_from_long_generations() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(window_s=60.0, arrival_lag_s=0.1, clock=clock)
    for _ in range(10):  # image generations: most of the round trips, each mostly the generation
        await _request(limiter, clock, "render", 2.0)
    for _ in range(4):
        await _request(limiter, clock, "moderate", 0.03)
    assert limiter.arrival_lag() == pytest.approx(0.1)  # twice 0.03, at least the floor; not 2 × 2 s
    for _ in range(8):
        await _request(limiter, clock, "moderate", 0.2)
    assert limiter.arrival_lag() == pytest.approx(0.4)  # the faster half of the 12 moderation calls ends at 0.2 s


async def test_a_slot_comes_back_one_window_after_the_latest_possible_arrival() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(window_s=60.0, limit=1, margin_s=0.05, arrival_lag_s=0.1, clock=clock)
    start = clock.now
    await _request(limiter, clock, "render", 2.0)  # the first of its kind: counted by its answer, no margin
    assert limiter.next_start() == pytest.approx(start + 2.0 + 60.0)

    clock.now = start = limiter.next_start()
    await _request(limiter, clock, "render", 2.0)  # as fast as the fastest: arrived within the transit bound
    assert limiter.next_start() == pytest.approx(start + 0.1 + 60.0 + 0.05)

    clock.now = start = limiter.next_start()
    await _request(limiter, clock, "render", 2.5)  # 0.5 s slower than the fastest: it may have arrived late
    assert limiter.next_start() == pytest.approx(start + 0.5 + 0.1 + 60.0 + 0.05)

    clock.now = start = limiter.next_start()
    await _request(limiter, clock, "render", 0.4, answered=False)  # failed: it may still reach the server
    assert limiter.next_start() == pytest.approx(start + 0.4 + 60.0 + 0.05)

    clock.now = start = limiter.next_start()
    await _request(limiter, clock, "render", 2.0)  # the failure was not a sample: 2.0 s is still the fastest
    assert limiter.next_start() == pytest.approx(start + 0.1 + 60.0 + 0.05)


async def test_waiting_requests_go_in_arrival_order_or_the_favoured_kind_first() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(window_s=60.0, limit=1, margin_s=0.0, arrival_lag_s=0.1, clock=clock)
    first = await limiter.acquire("render")
    clock.now += 0.5
    limiter.release(first)
    order: list[str] = []

    async def wait(name: str, kind: str) -> None:
        ticket = await limiter.acquire(kind)
        order.append(name)
        clock.now += 0.01
        limiter.release(ticket)

    tasks = []
    for name, kind in (("m1", "moderate"), ("r1", "render"), ("m2", "moderate"), ("r2", "render")):
        tasks.append(asyncio.create_task(wait(name, kind)))
        await asyncio.sleep(0)  # arrival order
    await asyncio.sleep(0.05)
    assert order == []  # the window is full
    limiter.favour("render")
    for expected in (["r1"], ["r1", "r2"]):
        clock.now = limiter.next_start()
        limiter.favour("render")  # (wakes the waiters: the fake clock moved)
        await asyncio.sleep(0.05)
        assert order == expected
    limiter.favour(None)
    for expected in (["r1", "r2", "m1"], ["r1", "r2", "m1", "m2"]):
        clock.now = limiter.next_start()
        limiter.favour(None)
        await asyncio.sleep(0.05)
        assert order == expected
    await asyncio.gather(*tasks)
    assert limiter.stats.favoured is None


async def test_a_request_never_waits_behind_one_that_waits_for_another_kinds_window() -> None:
    class Info:
        def __init__(self, limit: int, remaining: int) -> None:
            self.observed_at = 0.0
            self.limit_requests, self.remaining_requests = limit, remaining
            self.reset_requests_s, self.retry_after_s, self.status_code = 1.0, None, 200

    limiter = AdaptiveRateLimiter(window_s=60.0, arrival_lag_s=0.0)
    for i in range(2):
        limiter.release(await limiter.acquire("render"))
        limiter.observe(Info(3, 2 - i), "render")
    limiter.release(await limiter.acquire("moderate"))
    limiter.observe(Info(1000, 999), "moderate")  # separate limits
    assert not limiter.stats.shared
    limiter.release(await asyncio.wait_for(limiter.acquire("render"), 1.0))  # the renders' window is full now
    blocked = asyncio.create_task(limiter.acquire("render"))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    limiter.release(await asyncio.wait_for(limiter.acquire("moderate"), 1.0))  # not queued behind the render
    blocked.cancel()


def test_a_run_favours_renders_for_its_last_variants(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, headlines=4, formats=("square", "landscape"))  # 8 variants, 2 workers
    run = asyncio.run(
        arun_variants(
            plan, tmp_path / "out", provider="local", concurrency=1, progress=False, checks=[TechnicalCheck()]
        )
    )
    assert run.ok and run.limiter is not None
    assert run.limiter.favoured == "render"


class _Answer:
    """A rate-limit record as a provider keeps it (see ``RateLimitInfo``): read now, ``processing_s`` at the server."""

    def __init__(self, processing_s: float | None, request_id: str = "req_1") -> None:
        self.processing_s, self.request_id = processing_s, request_id
        self.observed_at = time.time()
        self.limit_requests = self.remaining_requests = self.reset_requests_s = self.retry_after_s = None
        self.status_code = 200


async def test_the_servers_processing_time_dates_when_it_counted_the_request() -> None:
    clock = Clock()
    limiter = AdaptiveRateLimiter(window_s=60.0, limit=1, margin_s=0.05, arrival_lag_s=0.1, clock=clock)

    async def request(took: float, info: _Answer | None, answered: bool = True) -> float:
        clock.now = start = limiter.next_start()
        ticket = await asyncio.wait_for(limiter.acquire("render"), 1.0)
        clock.now += took
        limiter.release(ticket, answered=answered, info=info)
        limiter.observe(None, "render")
        return start

    # counted at the latest 0.1 s after its start, not at its answer; proven by the answer, so no margin
    start = await request(2.0, _Answer(1.9))
    assert limiter.next_start() == pytest.approx(start + 0.1 + 60.0)
    start = await request(2.5, _Answer(2.45))  # slow, but the server says it was busy with it for 2.45 s
    assert limiter.next_start() == pytest.approx(start + 0.05 + 60.0)  # the estimate alone: +0.5 +0.1 +0.05
    start = await request(2.5, None)  # no record: the estimate from the round trips
    assert limiter.next_start() == pytest.approx(start + 0.5 + 0.1 + 60.0 + 0.05)
    start = await request(2.0, _Answer(0.5))  # processing shorter than the estimate allows: the estimate wins
    assert limiter.next_start() == pytest.approx(start + 0.1 + 60.0 + 0.05)
    start = await request(2.0, _Answer(9.0))  # more than the round trip (a clock step): never before its start
    assert limiter.next_start() == pytest.approx(start + 60.0)
    start = await request(0.4, _Answer(0.39), answered=False)  # failed: it may still reach the server
    assert limiter.next_start() == pytest.approx(start + 0.4 + 60.0 + 0.05)


def _record(processing_s: float, request_id: str = "req_1") -> RateLimitInfo:
    """A typed rate-limit record as the OpenAI provider attaches it to its answer: read now."""
    return RateLimitInfo(processing_s=processing_s, request_id=request_id, status_code=200, observed_at=time.time())


async def test_a_slot_is_dated_from_this_requests_own_record_never_another_concurrent_ones() -> None:
    """The wrapper dates a request from the record its own answer carries (``RenderResult.rate_limit``); the
    provider's latest record may be another request's, whose processing time says nothing about this one."""
    from brandkit.models import RenderedImage, RenderResult
    from brandkit.variants.ratelimit import wrap

    clock = Clock()

    class Provider:
        name = "fake"

        def __init__(self, own: RateLimitInfo | None) -> None:
            self.own = own
            self.last_rate_limit = _record(1.99, "req_other")  # another image request answered last

        def rate_limit_of(self, request_id: str | None) -> RateLimitInfo | None:
            return self.own if self.own is not None and request_id == self.own.request_id else None

        def render(self, call: Any) -> RenderResult:
            raise NotImplementedError

        async def arender(self, call: Any) -> RenderResult:
            clock.now += 2.0
            image = RenderedImage(data=b"png", output_format="png", width=1, height=1)
            return RenderResult(images=[image], provider="fake", model="x", request_id="req_1", rate_limit=self.own)

    for processing, freed_after in ((1.95, 0.05), (None, 2.0)):
        limiter = AdaptiveRateLimiter(window_s=60.0, limit=1, margin_s=0.05, clock=clock)
        start = clock.now = limiter.next_start()
        read = time.time()
        own = None if processing is None else _record(processing)
        await wrap(Provider(own), limiter).arender(None)  # type: ignore[arg-type]
        # the record is dated by the real time since it was read (its age): the fake clock stands still meanwhile,
        # so the answer is placed up to that much earlier — on a loaded machine a few milliseconds, more than
        # pytest.approx's default tolerance
        age = time.time() - read if own is not None else 0.0
        # with its own record: counted 0.05 s after its start; without: at its answer (the first of its kind),
        # not 0.01 s after its start as the other request's processing time would claim
        expected = start + freed_after + 60.0
        assert expected - age - 1e-6 <= limiter.next_start() <= expected + 1e-6


async def test_a_probe_cancelled_before_it_was_sent_hands_the_probe_to_the_next_request() -> None:
    """Every other request waits for the probe's answer; a probe cancelled while it waits for its slot never
    answers, so the next waiting request becomes the probe (and the rest wait for that one)."""
    clock = Clock()
    limiter = AdaptiveRateLimiter(window_s=60.0, clock=clock)
    limiter.rate_limited(5.0)  # paused before the first request: the probe waits for its slot
    probe = asyncio.create_task(limiter.acquire("render"))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(limiter.acquire("render"))
    await asyncio.sleep(0.01)
    assert not probe.done() and not second.done()
    clock.now += 5.0  # the pause is over, but the probe is cancelled first
    probe.cancel()
    ticket = await asyncio.wait_for(second, 1.0)  # it probes instead
    third = asyncio.create_task(limiter.acquire("render"))
    await asyncio.sleep(0.01)
    assert not third.done()  # waits for the new probe's answer
    limiter.release(ticket)
    limiter.observe(None, "render")
    limiter.release(await asyncio.wait_for(third, 1.0))
