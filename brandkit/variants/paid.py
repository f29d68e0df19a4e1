"""Paid means recorded: every render a variant run pays for is kept and journaled the moment it arrives.

:class:`PaidLedger` (one per session) puts a per-variant wrapper in front of each kit's provider
(:meth:`PaidLedger.provider_for`). For every render it

1. serves a result an earlier session already paid for (same variant, same attempt, same call — prompt,
   parameters, seed, input images — and intact bytes) instead of sending the request again: a resumed run
   re-checks paid results, it does not pay for them twice;
2. otherwise reserves the call's worst-case cost against the run budget (:class:`~brandkit.budget.SpendBudget`,
   ``budget_usd``): a call that could pass it is not sent (:class:`~brandkit.budget.BudgetExceededError`);
3. on the answer, before any check runs, writes its image bytes into the spool (``DIR/spool/paid/<key>/``,
   atomically, fsynced) and then the journal's ``paid`` line (cost, request id, usage, call digest, file
   names and sha256), then turns the reservation into the actual cost.

The ``paid`` lines are the run's spend: :func:`~brandkit.variants.journal.replay` adds them up per variant,
and a variant's settling line (``succeeded``/``failed``, ``billing: "paid"``) no longer counts its cost a
second time. A variant's paid files are removed at the end of the session once it is settled for good
(succeeded, or failed in a way a resume does not retry); the next session sweeps those a kill left behind.
After a failed write no render bytes go into the spool (the room left is the output guard's, for the results
in progress), and a ``paid`` line that cannot be written leaves that spend unattributed, not lost.

The one window no record can cover is between the provider's answer reaching the process and the ``paid``
line's fsync (milliseconds): a kill there loses the record of one paid render, which the resumed run pays
again. ``docs/reliability.md`` lists the crash windows the tests kill the runner in.

Test hook (not API): when the environment variable :data:`CRASH_ENV` is ``<point>:<n>``, the process kills
itself with SIGKILL the ``n``-th time it reaches ``<point>`` (``answered``, ``recorded``, ``checked``,
``saved``; see :meth:`PaidLedger.crash_point`). Only the kill/resume tests set it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from brandkit.atomic import atomic_write_all
from brandkit.budget import Reservation, SpendBudget
from brandkit.errors import BrandkitError, OutputError
from brandkit.jsonl import Journal
from brandkit.models import RenderCall, RenderedImage, RenderResult
from brandkit.outputs import FILE_EXTENSIONS
from brandkit.provider.base import ImageProvider, worst_case_cost_of

__all__ = ["CRASH_ENV", "PAID_DIR", "PaidLedger", "call_digest"]

_log = logging.getLogger("brandkit.variants.paid")

PAID_DIR = "paid"
"""Sub-folder of the spool (``DIR/spool/paid/<key>/``) holding the bytes of paid renders."""
CRASH_ENV = "BRANDKIT_TEST_CRASH_AT"
"""Test-only: ``<point>:<n>`` makes the runner kill itself at the ``n``-th ``<point>`` (see the module)."""
CRASH_POINTS = ("answered", "recorded", "checked", "saved")


def call_digest(call: RenderCall) -> str:
    """sha256 of what makes a render request what it is: prompt text, parameters, reference images, seed,
    ``n``, attempt, the image to edit and the mask. A paid result is replayed only for the same digest."""
    digest = hashlib.sha256()
    digest.update(call.prompt.prompt_hash.encode("utf-8"))  # text, parameters, reference images
    digest.update(call.prompt.spec_fingerprint.encode("utf-8"))
    digest.update(call.prompt.text.encode("utf-8"))
    digest.update(json.dumps(call.prompt.params, sort_keys=True, default=str).encode("utf-8"))
    digest.update(f"|{call.seed}|{call.n}|{call.attempt}|".encode())
    for blob in (call.base_image, call.mask):
        digest.update(hashlib.sha256(blob).digest() if blob is not None else b"-")
    return digest.hexdigest()


class PaidLedger:
    """One session's record of paid renders and its run budget (see the module docstring)."""

    def __init__(
        self,
        out: Path,
        journal: Journal,
        budget: SpendBudget,
        pending: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
        spool_dir: str = "spool",
    ) -> None:
        self.out = out
        self.folder = out / spool_dir / PAID_DIR
        self.journal = journal
        self.budget = budget
        self.recorded_usd = 0.0
        """Spend journaled as ``paid`` lines in this session."""
        self.replayed = 0
        """Renders served from an earlier session's record (not paid again)."""
        self.paid_keys: set[str] = set()
        """Variants with a render paid for in this session."""
        self._pending: dict[tuple[str, int], dict[str, Any]] = {}
        for key, records in (pending or {}).items():
            for record in records:
                self._pending[(key, int(record.get("attempt") or 0))] = dict(record)
        self._points: dict[str, int] = {}
        self._settled: set[str] = set()
        self.storage_stopped: Callable[[], bool] = lambda: False
        """True once the run's writes failed: no render bytes go into the spool then (the room left, the output
        guard's reserve, is for the results in progress)."""
        self.write_failure: BaseException | None = None
        """The first failed write of a paid render (bytes or ``paid`` line): after it no more render bytes go
        into the spool (the room left, the output guard's reserve included, is for results and journal lines).
        The run is stopped by the output guard at its own next failed write, as before this ledger existed."""
        self.unrecorded_usd = 0.0
        """Spend of answers whose ``paid`` line could not be written (the journal failed: disk full …)."""

    # -- what a variant's provider does ------------------------------------------------------

    def provider_for(self, key: str, inner: ImageProvider) -> ImageProvider:
        """``inner`` for variant ``key``: replays, reserves, records (see the module docstring)."""
        return _PaidProvider(inner, self, key)

    def has_replay(self, key: str) -> bool:
        """Whether an earlier session left paid renders of ``key`` to re-check."""
        return any(k == key for k, _ in self._pending)

    def replay(self, key: str, call: RenderCall) -> RenderResult | None:
        """The earlier session's result for this call of ``key``, or ``None`` (no record, another call, or
        bytes missing or changed: then the record is dropped and the render is made again)."""
        record = self._pending.pop((key, call.attempt), None)
        if record is None:
            return None
        why = self._unusable(key, call, record)
        if why is not None:
            _log.warning(
                "variant %s attempt %d: the render paid for in an earlier session (request id %s) cannot be "
                "re-checked (%s): it is requested again",
                key[:12],
                call.attempt,
                record.get("request_id"),
                why,
            )
            return None
        images: list[RenderedImage] = []
        for meta in record["images"]:
            data = (self.folder / key / str(meta["file"])).read_bytes()
            fields = {k: v for k, v in meta.items() if k not in ("file", "sha256")}
            images.append(RenderedImage.model_validate({**fields, "data": data}))
        self.replayed += 1
        note = (
            f"replayed: paid in an earlier session (request id {record.get('request_id')}, "
            f"${float(record.get('cost_usd') or 0.0):.6f}); re-checked, not paid again"
        )
        return RenderResult(
            images=images,
            provider=str(record.get("provider") or "unknown"),
            model=str(record.get("model") or "unknown"),
            usage=record.get("usage"),
            cost_usd=float(record.get("cost_usd") or 0.0),
            request_id=record.get("request_id"),
            notes=[*list(record.get("notes") or []), note],
        )

    def _unusable(self, key: str, call: RenderCall, record: Mapping[str, Any]) -> str | None:
        """Why ``record`` cannot stand in for ``call`` (``None``: it can)."""
        if record.get("call") != call_digest(call):
            return "the request changed since (prompt, parameters, seed or input images)"
        metas = record.get("images")
        if not isinstance(metas, list) or not metas:
            return "its bytes were not kept (a write failed)"
        try:
            for meta in metas:
                data = (self.folder / key / str(meta["file"])).read_bytes()
                if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                    return f"{meta['file']} changed on disk"
                RenderedImage.model_validate(
                    {**{k: v for k, v in meta.items() if k not in ("file", "sha256")}, "data": b""}
                )
        except OSError as exc:
            return f"its bytes cannot be read ({exc.strerror or exc})"
        except (KeyError, TypeError, ValueError) as exc:
            return f"its record is unreadable ({type(exc).__name__})"
        return None

    def reserve(self, key: str, call: RenderCall, provider: ImageProvider) -> Reservation | None:
        """Hold the call's worst case on the run budget (``None`` without a budget). Raises
        :class:`~brandkit.budget.BudgetExceededError` when it could pass the budget: nothing is sent."""
        if self.budget.limit_usd is None:
            return None
        worst = worst_case_cost_of(provider, call)
        return self.budget.reserve(worst or 0.0, f"the next render (variant {key[:12]}, attempt {call.attempt})")

    def files_of(self, key: str, call: RenderCall, result: RenderResult) -> list[tuple[Path, bytes]]:
        """Where the result's images go in the spool."""
        return [
            (self.folder / key / f"a{call.attempt}-{i}{FILE_EXTENSIONS.get(image.output_format, '.img')}", image.data)
            for i, image in enumerate(result.images)
        ]

    def record(self, key: str, call: RenderCall, result: RenderResult, written: bool) -> None:
        """Journal the ``paid`` line of ``result`` (its bytes are in the spool when ``written``)."""
        images = [
            {
                "file": f"a{call.attempt}-{i}{FILE_EXTENSIONS.get(image.output_format, '.img')}",
                "sha256": hashlib.sha256(image.data).hexdigest(),
                **image.model_dump(mode="json", exclude={"data"}),
            }
            for i, image in enumerate(result.images)
        ]
        self.journal.append(
            "paid",
            key=key,
            attempt=call.attempt,
            call=call_digest(call),
            cost_usd=round(result.cost_usd, 8),
            request_id=result.request_id,
            provider=result.provider,
            model=result.model,
            usage=result.usage.model_dump(mode="json") if result.usage is not None else None,
            notes=list(result.notes),
            images=images if written else [],
            kept=written,
        )
        self.recorded_usd += result.cost_usd
        self.paid_keys.add(key)

    def discard(self, key: str) -> None:
        """``key`` is settled for good: its paid files go at the end of the session (:meth:`close`; freeing
        space mid-run would hand a full disk's room to whichever write comes next, not to the output guard)."""
        self._settled.add(key)
        for pending in [k for k in self._pending if k[0] == key]:
            del self._pending[pending]

    def sweep(self) -> None:
        """Remove the paid files of every variant with nothing left to re-check (settled for good before a
        kill removed them); the session holds the run lock."""
        keep = {key for key, _ in self._pending}
        with contextlib.suppress(OSError):
            for entry in self.folder.iterdir():
                if entry.name not in keep:
                    shutil.rmtree(entry, ignore_errors=True)

    def close(self) -> None:
        """End of session: remove the paid files of the variants settled for good, and the paid folder when
        nothing is left in it."""
        for key in sorted(self._settled):
            with contextlib.suppress(OSError):
                shutil.rmtree(self.folder / key)
        with contextlib.suppress(OSError):
            self.folder.rmdir()

    # -- test hook ----------------------------------------------------------------------------

    def crash_point(self, name: str) -> None:
        """Test-only (see :data:`CRASH_ENV`): SIGKILL this process at the configured point and count."""
        wanted = os.environ.get(CRASH_ENV)
        if not wanted:
            return
        point, _, count = wanted.partition(":")
        if point != name:
            return
        self._points[name] = self._points.get(name, 0) + 1
        if self._points[name] == int(count or 1):
            os.kill(os.getpid(), signal.SIGKILL)


class _PaidProvider:
    """A variant's provider: replay, reserve, send, record (sync and async share every step)."""

    def __init__(self, inner: ImageProvider, ledger: PaidLedger, key: str) -> None:
        self.inner = inner
        self.ledger = ledger
        self.key = key
        self.name = inner.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r}, key={self.key[:12]})"

    def worst_case_cost(self, call: RenderCall) -> float | None:
        """The wrapped provider's bound (``None`` when it states none)."""
        return worst_case_cost_of(self.inner, call)

    def _write(self, call: RenderCall, result: RenderResult) -> bool:
        """The result's bytes into the spool; False when they could not be written, or after a failed write
        (the paid line says so)."""
        if self.ledger.write_failure is not None or self.ledger.storage_stopped():
            return False
        try:
            atomic_write_all(self.ledger.files_of(self.key, call, result))
        except (BrandkitError, OSError) as exc:
            # no more render bytes into the spool; the run is not stopped for this: the result goes on to be
            # saved, and the output guard notices a storage failure at that write (its reserve is for it)
            if self.ledger.write_failure is None:
                self.ledger.write_failure = exc
            return False
        return True

    def _finish(self, call: RenderCall, result: RenderResult, reservation: Reservation | None, written: bool) -> None:
        try:
            self.ledger.record(self.key, call, result, written)
        except OutputError as exc:
            # the journal cannot be written (disk full …): the render is paid, so it goes on to be checked and
            # saved — or kept in the spool by the output guard, which notices the failure at that write and
            # stops the run paying. Its spend shows as unattributed on run_finished.
            self.ledger.unrecorded_usd += result.cost_usd
            if self.ledger.write_failure is None:
                self.ledger.write_failure = exc
        if reservation is not None:
            self.ledger.budget.settle(reservation, result.cost_usd)
        else:
            self.ledger.budget.spent_usd += result.cost_usd
        self.ledger.crash_point("recorded")

    def render(self, call: RenderCall) -> RenderResult:
        """Replay, or reserve, render and record (blocking)."""
        replayed = self.ledger.replay(self.key, call)
        if replayed is not None:
            return replayed
        reservation = self.ledger.reserve(self.key, call, self.inner)
        try:
            result = self.inner.render(call)
        except BaseException:
            if reservation is not None:
                self.ledger.budget.release(reservation)
            raise
        self.ledger.crash_point("answered")
        self._finish(call, result, reservation, self._write(call, result))
        return result

    async def arender(self, call: RenderCall) -> RenderResult:
        """Replay, or reserve, render and record (the bytes are written in a worker thread)."""
        replayed = self.ledger.replay(self.key, call)
        if replayed is not None:
            return replayed
        reservation = self.ledger.reserve(self.key, call, self.inner)
        try:
            result = await self.inner.arender(call)
        except BaseException:
            if reservation is not None:
                self.ledger.budget.release(reservation)
            raise
        self.ledger.crash_point("answered")
        written = await asyncio.to_thread(self._write, call, result)
        self._finish(call, result, reservation, written)
        return result
