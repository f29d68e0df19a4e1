"""The adaptive limiter's bookkeeping: arrival estimates and when a slot comes back.

A fake clock drives the limiter; nothing here measures time.
"""

from __future__ import annotations

import asyncio

import pytest

from brandkit.variants import AdaptiveRateLimiter


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
