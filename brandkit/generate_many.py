"""``generate_many``: ``n`` independent variants of one request, where no variant's failure loses another's asset.

Shared by :class:`~brandkit.BrandKit` and :class:`~brandkit.AsyncBrandKit` (the sync kit makes the variants one
after the other, the async one concurrently); both end in :func:`collect`, which decides what is returned or raised:

* every variant made → the assets, in order;
* none made → the first variant's own error, unchanged (so ``except BrandViolationError`` keeps working for
  ``n = 1`` and for a request every variant fails);
* some made → :class:`~brandkit.errors.PartialGenerationError` carrying the finished assets (paid for and
  validated) and each failure, the first chained as ``__cause__``.

The sync kit goes on past a variant whose checks failed (:class:`~brandkit.errors.BrandViolationError` is about that
image: the next seed may pass) and stops at any other error (a provider refusal, an exhausted quota, a bad key repeat
for every variant: the rest are reported "not attempted" rather than paid for again).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from brandkit.errors import BrandViolationError, PartialGenerationError, VariantFailure
from brandkit.models import AssetRequest

T = TypeVar("T")

SEED_STRIDE = 1000
"""Variant ``i`` gets seed ``seed + SEED_STRIDE * i`` (``seed`` 0 when the request has none)."""


def variant_requests(request: AssetRequest) -> list[AssetRequest]:
    """The ``request.n`` single-image requests of ``request``: ``n = 1`` and seeds ``seed``, ``seed+1000``, …"""
    base = request.seed if request.seed is not None else 0
    return [request.model_copy(update={"n": 1, "seed": base + SEED_STRIDE * i}) for i in range(request.n)]


def goes_on_after(error: Exception) -> bool:
    """Whether the sync kit tries the next variant after ``error``: only after failed checks (that image's)."""
    return isinstance(error, BrandViolationError)


OnAsset = Callable[[int, T], None]
"""Told each variant as soon as it is made: its 0-based index and the asset (the CLI saves it there, so an
interruption later loses nothing finished). An exception it raises propagates."""

OnRejected = Callable[[int, BrandViolationError[Any, Any, Any]], None]
"""Told each variant whose checks failed on every attempt, as soon as it failed: its 0-based index and the error,
whose ``asset`` is the best attempt (the CLI keeps it as ``…-rejected``: paid for, never thrown away). An exception
it raises propagates, as :data:`OnAsset`'s."""


def run_in_turn(
    make: Callable[[AssetRequest], T],
    requests: Sequence[AssetRequest],
    on_asset: OnAsset[T] | None = None,
    on_rejected: OnRejected | None = None,
) -> list[T]:
    """Make each variant with ``make`` in order (stopping at an error other than failed checks), telling
    ``on_asset`` of each one made and ``on_rejected`` of each one whose checks failed; :func:`collect`."""
    outcomes: list[T | Exception | None] = []
    stopped = False
    for index, request in enumerate(requests):
        if stopped:
            outcomes.append(None)
            continue
        try:
            asset = make(request)
        except Exception as exc:  # every variant error is kept: collect() raises it or reports it
            outcomes.append(exc)
            stopped = not goes_on_after(exc)
            if on_rejected is not None and isinstance(exc, BrandViolationError):
                on_rejected(index, exc)
            continue
        outcomes.append(asset)
        if on_asset is not None:
            on_asset(index, asset)
    return collect(requests, outcomes)


class _TellingFailed(Exception):
    """Internal: ``on_asset`` raised (carried through ``asyncio.gather`` as an outcome; :func:`collect` raises the
    caller's own exception, as the sync kit lets it propagate)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


async def made_then_told(
    index: int, asset: Awaitable[T], on_asset: OnAsset[T] | None, on_rejected: OnRejected | None = None
) -> T:
    """Await one variant and tell ``on_asset`` of it, or ``on_rejected`` when its checks failed (the async kit's form
    of :func:`run_in_turn`'s calls)."""
    try:
        made = await asset
    except BrandViolationError as exc:
        if on_rejected is not None:
            try:
                on_rejected(index, exc)
            except Exception as told:
                raise _TellingFailed(told) from told
        raise
    if on_asset is not None:
        try:
            on_asset(index, made)
        except Exception as exc:
            raise _TellingFailed(exc) from exc
    return made


def collect(requests: Sequence[AssetRequest], outcomes: Sequence[T | BaseException | None]) -> list[T]:
    """The assets of ``outcomes`` (one per request: an asset, the error it raised, or ``None`` = not attempted),
    or the error to raise (see the module docstring). An interruption (``KeyboardInterrupt``, a cancellation)
    among the outcomes is raised as it is."""
    for outcome in outcomes:
        if isinstance(outcome, _TellingFailed):
            raise outcome.error  # the caller's on_asset failed: its own exception, not a variant's failure
    assets: list[T] = []
    indices: list[int] = []
    failures: list[VariantFailure] = []
    for index, (request, outcome) in enumerate(zip(requests, outcomes, strict=True)):
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome
        if outcome is None or isinstance(outcome, Exception):
            failures.append(VariantFailure(index=index, seed=request.seed, error=outcome))
        else:
            assets.append(outcome)
            indices.append(index)
    if not failures:
        return assets
    first = next(failure.error for failure in failures if failure.error is not None)
    if not assets:
        raise first
    raise PartialGenerationError(assets, indices, failures, requested=len(requests)) from first
