"""An asyncio event loop on virtual time, for tests of timing logic without wall-clock assertions.

``loop.time()`` starts at 0 and only moves when the loop would otherwise sleep: then it jumps straight to
the next timer. So ``await asyncio.sleep(5)`` returns at once with ``loop.time() == 5.0``, a limiter that
waits for a window waits exactly that long in virtual seconds, and a test can assert the exact schedule
whatever the machine's load. Only for code that waits on the loop's timers (``asyncio.sleep``,
``wait_for``, events): real I/O and threads do not belong on it.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


class _InstantSelector(selectors.DefaultSelector):
    """Polls without blocking; a wait with a timeout advances the loop's virtual clock instead."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = super().select(0)
        if not events and timeout is not None and timeout > 0 and self.loop is not None:
            self.loop.advance(timeout)
        return events


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """See the module docstring."""

    def __init__(self) -> None:
        selector = _InstantSelector()
        super().__init__(selector=selector)
        selector.loop = self
        self._virtual_now = 0.0

    def time(self) -> float:
        """Virtual seconds since the loop was made."""
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        """Move the clock forward (the loop does this itself when it would sleep)."""
        self._virtual_now += seconds


def run_virtual(main: Awaitable[T]) -> T:
    """Run ``main`` on a fresh :class:`VirtualTimeLoop` and close it."""
    loop = VirtualTimeLoop()
    try:
        result: Any = loop.run_until_complete(main)
        return result  # type: ignore[no-any-return]
    finally:
        loop.close()
