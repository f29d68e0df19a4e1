"""Adaptive client-side rate limiting for a variant run.

:class:`AdaptiveRateLimiter` paces request starts so a run uses the provider's request limit fully
without tripping it:

* the first request is a probe: the others wait for its answer, so no burst goes out before the limit
  is known (a probe cancelled before it was sent hands the probe to the next request);
* the limit is learned from the ``x-ratelimit-limit-requests`` header the provider reports
  (the typed record each answer carries: :attr:`brandkit.models.RenderResult.rate_limit`,
  :attr:`brandkit.moderation_scores.ModerationScores.rate_limit`, :attr:`brandkit.errors.ProviderError.rate_limit`;
  never read from the provider object or from global state) and enforced as a sliding window of
  ``window_s`` seconds (OpenAI's request limits are per minute: 60 s). The server counts a request when
  it has received it, somewhere between our start and its answer; so each request holds a slot until
  ``window_s`` after the earlier of its
  answer and the latest time it can have arrived (+ ``margin_s``, for that estimate). That never frees
  a slot before the server does, and a long image generation does not hold its slot for its whole
  duration. The latest arrival is ``start + arrival lag`` until the answer, then ``start + arrival
  lag + (its round trip − the fastest recent round trip of its kind)``: a request that waited before
  the server counted it (a slow upload, a busy event loop, a server queueing request bodies) took that
  much longer than the fastest one. The arrival lag is the transit bound: twice the longest round trip
  of the faster half of the last 64 answers of the quickest kind (moderation calls, in a variant run —
  a quick request's whole round trip bounds the time a request takes to reach the server; an image
  request's round trip is mostly the generation, which says nothing about its arrival), at least
  ``arrival_lag_s``, at most a quarter window; before its answer, a request of a kind whose round trips
  vary is assumed to arrive later by that spread. When the answer's record carries the server's own
  processing time (``openai-processing-ms``), the request was counted no later than its answer minus
  that time, and the slot comes back one window after it (see :meth:`AdaptiveRateLimiter.release`);
* requests waiting for the same window get slots in arrival order, or the favoured kind first
  (:meth:`AdaptiveRateLimiter.favour`: a variant run favours renders in its last round, so that its
  last images are not queued behind moderation calls); a request never waits behind one that waits
  for another kind's window;
* every kind of request (image renders, moderation) first counts against one shared window, with the
  smallest limit seen; as soon as the headers show that the server keeps separate limits (OpenAI's
  are per model: a different limit for another kind, or a ``remaining`` that ignores requests the
  server surely received), each kind gets its own window and limit;
* ``x-ratelimit-remaining-requests: 0`` pauses new starts until ``x-ratelimit-reset-requests`` has
  passed (someone else is using the same key);
* a 429 pauses every start for its ``retry-after``, lowers the effective limit by 10 % and doubles the
  safety margin and the minimum arrival lag (multiplicative decrease); each window without a 429 gives
  one request back.

The wrapper that sends every request of a run through it is :mod:`brandkit.variants.ratelimit`. (About
440 lines: one class whose methods share the window bookkeeping; the long docstring above is its design.)
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from brandkit.rate_limits import RateLimitInfo

__all__ = ["AdaptiveRateLimiter", "LimiterStats"]


@dataclass
class LimiterStats:
    """What the limiter did during a run."""

    requests: int = 0
    waits: int = 0
    waited_s: float = 0.0
    rate_limited: int = 0
    """429 answers seen (each burst also lowers the effective limit)."""
    limit: int | None = None
    """The request limit learned from the headers (the smallest, when kinds have their own)."""
    limits: dict[str, int] = field(default_factory=dict)
    """The limit learned for each kind of request (``render``, ``moderate``)."""
    shared: bool = True
    """False once the headers showed that each kind of request has its own limit."""
    favoured: str | None = None
    """The kind of request that gets free slots first (see :meth:`AdaptiveRateLimiter.favour`)."""


@dataclass
class _Bucket:
    """The limit and pacing state of one kind of request (or of all, once the limit is found shared)."""

    limit: int | None = None
    factor: float = 1.0
    paused_until: float = 0.0
    last_decrease: float = -math.inf
    probing: bool = False
    probed: asyncio.Event = field(default_factory=asyncio.Event)
    turn: asyncio.Event = field(default_factory=asyncio.Event)  # set when a probe ends or is given up

    def end_probe(self) -> None:
        """The probe answered (or no probe is needed): requests go by the window from now on."""
        self.probed.set()
        self.turn.set()

    def abandon_probe(self) -> None:
        """The probe gave up before it was sent (cancelled while waiting): the next request probes instead."""
        self.probing = False
        turn, self.turn = self.turn, asyncio.Event()
        turn.set()

    @property
    def effective(self) -> int | None:
        return None if self.limit is None else max(1, math.floor(self.limit * self.factor))


Ticket = tuple[float, int, str]
"""(expiry, sequence number, kind) of one counted request."""


@dataclass(eq=False)
class _Waiter:
    """A request waiting for a slot."""

    kind: str
    arrival: int

    def rank(self, favoured: str | None) -> tuple[bool, int]:
        return (self.kind != favoured, self.arrival)


class AdaptiveRateLimiter:
    """Sliding-window pacing of request starts, adapted from rate-limit headers and 429s (see module doc).

    Kinds of request (``render``, ``moderate``) share one window until the headers show separate limits
    (see the module docstring). ``limit`` fixes the limit up front instead (one shared window);
    ``window_s`` is the limit's window. Every :meth:`acquire` returns a
    ticket to hand back to :meth:`release`. One limiter belongs to one run and one API key.
    """

    SHARED = "*"

    def __init__(
        self,
        *,
        window_s: float = 60.0,
        limit: int | None = None,
        margin_s: float = 0.05,
        arrival_lag_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be positive, got {window_s}")
        self.window_s = float(window_s)
        self.margin_s = float(margin_s)
        self.arrival_lag_s = min(float(arrival_lag_s), self.window_s / 4)
        self._round_trips: dict[str, collections.deque[float]] = {}  # per kind: the last 64 round trips
        self._clock = clock
        self._fixed = limit
        self._buckets: dict[str, _Bucket] = {}
        self._shared: _Bucket | None = _Bucket(limit=limit)
        if limit is not None:
            self._shared.end_probe()
        self._tickets: list[Ticket] = []  # sorted by expiry
        self._starts: dict[int, float] = {}  # sequence number -> start, while the ticket counts
        self._seq = 0
        self._changed = asyncio.Event()
        self._last_observed: dict[str, float] = {}
        self._waiting: list[_Waiter] = []  # requests waiting for a slot, in arrival order
        self._arrivals = 0
        self._favoured: str | None = None
        self.stats = LimiterStats(limit=limit)

    def __repr__(self) -> str:
        return f"AdaptiveRateLimiter(limits={self.stats.limits}, shared={self.stats.shared}, window_s={self.window_s})"

    def _bucket(self, kind: str) -> _Bucket:
        if self._shared is not None:
            return self._shared
        bucket = self._buckets.get(kind)
        if bucket is None:  # a kind first seen after the split: probe its own limit
            bucket = self._buckets[kind] = _Bucket(limit=self.stats.limits.get(kind))
            if bucket.limit is not None:
                bucket.end_probe()
        return bucket

    def effective_limit(self, kind: str = "render") -> int | None:
        """Requests of ``kind`` allowed per window now (``None``: no limit known yet)."""
        return self._bucket(kind).effective

    def _expire(self, now: float) -> None:
        tickets = self._tickets
        drop = bisect.bisect_right(tickets, (now, math.inf, ""))
        for _, seq, _ in tickets[:drop]:
            self._starts.pop(seq, None)
        del tickets[:drop]

    def _counted(self, kind: str) -> list[Ticket]:
        if self._shared is not None:
            return self._tickets
        return [t for t in self._tickets if t[2] == kind]

    def _delay(self, kind: str, now: float) -> float:
        """Seconds to wait before one more request of ``kind`` may start (0: now)."""
        bucket = self._bucket(kind)
        wait = max(0.0, bucket.paused_until - now)
        self._expire(now)
        limit = bucket.effective
        if limit is not None:
            counted = self._counted(kind)
            if len(counted) >= limit:
                wait = max(wait, counted[len(counted) - limit][0] - now)
        return wait

    def next_start(self, kind: str = "render") -> float:
        """When (on the limiter's clock) a request of ``kind`` may start, were it first in line."""
        now = self._clock()
        return now + self._delay(kind, now)

    def favour(self, kind: str | None) -> None:
        """Grant waiting requests of ``kind`` a slot before those of other kinds that share their window
        (``None``: arrival order again). A variant run favours renders once its last variants have
        started: a render delayed then costs its whole generation time at the end of the run, a moderation
        call waiting next to nothing."""
        self._favoured = self.stats.favoured = kind
        self._changed.set()

    def _first_in_line(self, waiter: _Waiter) -> bool:
        """True when no earlier (or favoured) request waits for the same window as ``waiter``."""
        bucket = self._bucket(waiter.kind)
        rank = waiter.rank(self._favoured)
        return not any(
            other is not waiter and other.rank(self._favoured) < rank and self._bucket(other.kind) is bucket
            for other in self._waiting
        )

    async def acquire(self, kind: str = "render") -> Ticket:
        """Wait until a request of ``kind`` may start; returns its ticket (pass it to :meth:`release`).

        Requests that wait for the same window get their slots in arrival order (favoured kind first, see
        :meth:`favour`); a request never waits behind one that waits for another kind's window.
        """
        probe: _Bucket | None = None
        while True:
            bucket = self._bucket(kind)
            if bucket.probed.is_set():
                break
            if not bucket.probing:  # the first request of a kind is a probe; the others wait for its answer
                bucket.probing = True
                probe = bucket
                break
            started = self._clock()
            await bucket.turn.wait()  # the probe answered, or gave up before it was sent (then one of us probes)
            self.stats.waits += 1
            self.stats.waited_s += self._clock() - started
        try:
            return await self._take_slot(kind)
        except BaseException:
            if probe is not None:
                probe.abandon_probe()
            raise

    async def _take_slot(self, kind: str) -> Ticket:
        self._arrivals += 1
        waiter = _Waiter(kind, self._arrivals)
        self._waiting.append(waiter)
        waited = 0.0
        try:
            while True:
                now = self._clock()
                delay: float | None = None
                if self._first_in_line(waiter):
                    delay = self._delay(kind, now)
                    if delay <= 0:
                        break
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), delay)
                waited += self._clock() - now
        finally:
            self._waiting.remove(waiter)
            self._changed.set()  # the next in line may go (or check again)
        self._seq += 1
        ticket = (now + self._expected_lag(kind) + self.window_s + self.margin_s, self._seq, kind)
        bisect.insort(self._tickets, ticket)
        self._starts[self._seq] = now
        self.stats.requests += 1
        if waited > 0:
            self.stats.waits += 1
            self.stats.waited_s += waited
        return ticket

    def arrival_lag(self) -> float:
        """How long a request may take to reach the server (see the module docstring)."""
        if sum(len(trips) for trips in self._round_trips.values()) < 4:
            return self.arrival_lag_s
        # the longest round trip of the faster half, for the quickest kind (its round trip is mostly transit)
        quickest = min(sorted(trips)[max(1, len(trips) // 2) - 1] for trips in self._round_trips.values() if trips)
        return min(self.window_s / 4, max(self.arrival_lag_s, 2 * quickest))

    def _expected_lag(self, kind: str) -> float:
        """The arrival lag assumed for a request of ``kind`` until it answers: the transit bound plus the
        spread of the kind's recent round trips (time a request of that kind may have spent queueing
        before the server counted it)."""
        trips = self._round_trips.get(kind)
        spread = max(trips) - min(trips) if trips else 0.0
        return min(self.window_s / 4, self.arrival_lag() + spread)

    def release(self, ticket: Ticket, *, answered: bool = True, info: RateLimitInfo | None = None) -> None:
        """The request of ``ticket`` is over: it counts until one window after the server counted it.

        When it ``answered`` (not an error or a 429), the server counted it before its answer (now): the
        slot is back one window from now at the latest, with no margin (the answer proves it). Its round
        trip is a sample, and the time it took beyond the fastest recent answer of its kind, plus the
        transit bound, is the longest it can have spent reaching the server: the slot is back one window
        (+ ``margin_s``) after that when it is earlier. The ticket moves there, later than the guess made
        at :meth:`acquire` too, when the request was slow to arrive. A failed request holds its slot until
        one window (+ ``margin_s``) from now: it may still reach the server.

        ``info`` (optional) is the answer's rate-limit record. When it carries the server's processing time
        (``processing_s``, from ``openai-processing-ms``) and the time the answer was read (``observed_at``),
        the server counted the request no later than that time minus its processing: the slot is back one
        window after that (no margin: the answer proves it, as above) when it is earlier — for an image
        request, whose processing is the whole generation, much earlier than the estimate above. (A server
        whose processing time started after it counted the request would answer some request with a 429,
        and the limiter would back off as for any 429.)
        """
        now = self._clock()
        expiry, seq, kind = ticket
        started = self._starts.get(seq)
        until = now + self.window_s + self.margin_s
        if started is not None and answered:
            trip = now - started
            until = now + self.window_s
            trips = self._round_trips.get(kind)
            if trips is None:
                trips = self._round_trips[kind] = collections.deque(maxlen=64)
            elif trips:
                arrived = started + trip - min(min(trips), trip) + self.arrival_lag()
                until = min(until, arrived + self.window_s + self.margin_s)
            trips.append(trip)
            counted = _counted_by(info, now)
            if counted is not None:  # proven by the answer, like `now` above: no margin
                until = min(until, max(started, counted) + self.window_s)
        if until != expiry:
            index = bisect.bisect_left(self._tickets, ticket)
            if index < len(self._tickets) and self._tickets[index] == ticket:
                del self._tickets[index]
                bisect.insort(self._tickets, (until, seq, kind))
                if until < expiry:
                    self._changed.set()

    def observe(self, info: RateLimitInfo | None, kind: str = "render") -> None:
        """Learn from the rate-limit record of the answer to a request of ``kind``.

        ``info`` is the answer's :class:`~brandkit.rate_limits.RateLimitInfo`. Call it after every request,
        with ``None`` when the provider reports nothing: it also ends the probe of that kind.
        """
        bucket = self._bucket(kind)
        bucket.end_probe()
        if info is None:
            return
        observed = float(info.observed_at or 0.0)
        if observed and observed <= self._last_observed.get(kind, 0.0):
            return  # already seen (the provider keeps its last record)
        self._last_observed[kind] = observed
        now = self._clock()
        age = max(0.0, time.time() - observed) if observed else 0.0
        limit = info.limit_requests
        remaining = info.remaining_requests
        if isinstance(limit, int) and limit > 0 and self._fixed is None:
            self.stats.limits[kind] = limit
            bucket.limit = min(self.stats.limits.values()) if self._shared is not None else limit
            self.stats.limit = min(self.stats.limits.values())
            if self._shared is not None:
                self._detect_split(kind, limit, remaining, answered=now - age)
                bucket = self._bucket(kind)
        reset = info.reset_requests_s
        if remaining == 0 and isinstance(reset, int | float) and reset > 0:
            bucket.paused_until = max(bucket.paused_until, now - age + float(reset))
        retry_after = info.retry_after_s
        if info.status_code == 429 and isinstance(retry_after, int | float):
            self.rate_limited(float(retry_after), kind, now=now - age)
        elif now - bucket.last_decrease >= self.window_s and bucket.factor < 1.0:
            bucket.factor = min(1.0, bucket.factor + 1.0 / max(1, bucket.limit or 1))
            bucket.last_decrease = now

    def _detect_split(self, kind: str, limit: int, remaining: Any, answered: float) -> None:
        """Give each kind its own window once the headers show the server keeps separate limits.

        Proof is a different limit for another kind, or a ``remaining`` that leaves out requests the server
        surely received and still counts (started more than a quarter window — at least 1 s — before this
        answer, and less than a window ago).
        """
        separate = len(set(self.stats.limits.values())) > 1
        if not separate and isinstance(remaining, int):
            surely = max(1.0, self.window_s / 4)  # a generous arrival time: a wrong split would trip the limit
            received = sum(
                1
                for _, seq, _ in self._tickets
                if answered - self.window_s < self._starts.get(seq, math.inf) <= answered - surely
            )
            separate = limit - remaining < received - max(2, limit // 20)
        if not separate:
            return
        shared, self._shared = self._shared, None
        assert shared is not None
        for name, value in self.stats.limits.items():
            bucket = self._buckets[name] = _Bucket(limit=value, factor=shared.factor)
            bucket.paused_until = shared.paused_until
            bucket.end_probe()
        shared.end_probe()  # wake anyone waiting on the shared probe
        self.stats.shared = False
        self._changed.set()

    def rate_limited(self, retry_after: float | None, kind: str = "render", *, now: float | None = None) -> None:
        """A 429 for ``kind``: pause it for ``retry_after``, lower its limit by 10 %, widen the margin."""
        bucket = self._bucket(kind)
        at = self._clock() if now is None else now
        wait = retry_after if retry_after is not None and retry_after >= 0 else 1.0
        until = at + wait
        if until > bucket.paused_until:
            bucket.paused_until = until
            self._changed.set()
        if at - bucket.last_decrease > min(1.0, self.window_s / 10):  # one decrease per burst of 429s
            bucket.factor = max(0.1, bucket.factor * 0.9)
            self.margin_s = min(self.window_s / 10, self.margin_s * 2)
            self.arrival_lag_s = min(self.window_s / 4, self.arrival_lag_s * 2)
            bucket.last_decrease = at
            self.stats.rate_limited += 1


def _counted_by(info: RateLimitInfo | None, now: float) -> float | None:
    """When (on the limiter's clock, whose present is ``now``) the server counted the request answered with
    ``info`` at the latest: the answer's reading time minus the server's processing time; ``None`` when
    ``info`` does not tell."""
    if info is None:
        return None
    processing = info.processing_s
    observed = info.observed_at
    if not isinstance(processing, int | float) or not isinstance(observed, int | float) or observed <= 0:
        return None
    if not math.isfinite(processing) or processing < 0:
        return None
    age = max(0.0, time.time() - float(observed))
    return now - age - float(processing)
