"""The variant run's progress bar (rich, on stderr): the CLI draws what :mod:`brandkit.variants.progress`
reports. Moved here from ``brandkit.variants.runner`` (issue 14): the library reports, the CLI renders."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from brandkit.variants.eta import EtaEstimator, eta_column

__all__ = ["RichProgress"]


class RichProgress:
    """A rich progress bar on stderr: done / failed / spend / ETA (:class:`~brandkit.variants.eta.EtaEstimator`:
    from the session's throughput since it started, counted down between settlements)."""

    def __init__(self, description: str = "variants", clock: Callable[[], float] = time.monotonic) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.eta = EtaEstimator(clock)
        """The estimate the bar shows."""

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"),
            TextColumn("${task.fields[spent]:.2f}"),
            TimeElapsedColumn(),
            eta_column(self.eta),
            console=Console(stderr=True),
            transient=False,
        )
        self._description = description
        self._task: Any = None

    def start(self, total: int, done: int, failed: int) -> None:
        """Show the bar."""
        self._progress.start()
        self.eta.start(total, done + failed)
        self._task = self._progress.add_task(
            self._description, total=total, completed=done + failed, failed=failed, spent=0.0
        )

    def update(self, done: int, failed: int, spent_usd: float) -> None:
        """Advance the bar."""
        self.eta.update(done + failed)
        if self._task is not None:
            self._progress.update(self._task, completed=done + failed, failed=failed, spent=spent_usd)

    def stop(self) -> None:
        """Remove the live display (the last state stays printed)."""
        self._progress.stop()
