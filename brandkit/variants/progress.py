"""What a variant run tells the outside while it works: the progress model and the recording hook.

The runner only *reports* (:class:`ProgressSink`, :class:`VariantRecorder`); drawing a progress bar is the
CLI's (``brandkit.cli.progress.RichProgress``), so this package never imports a terminal library.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from brandkit.asset import Asset
from brandkit.spec.models import BrandSpec
from brandkit.variants.plan import Variant

__all__ = ["ProgressSink", "VariantRecorder"]


class VariantRecorder(Protocol):
    """Told about each variant once its files are written and journaled (e.g. the asset registry,
    :class:`brandkit.registry.recorder.RegistryRecorder`). Called in a worker thread; it must not raise:
    a recording failure is its own to report, never the run's (the files and the journal are already safe)."""

    def saved(self, variant: Variant, asset: Asset, path: Path, spec: BrandSpec) -> None:
        """``variant`` passed: ``asset`` is saved at ``path``."""

    def failed(self, variant: Variant, rejected: Asset, path: Path, spec: BrandSpec) -> None:
        """``variant`` failed its checks: ``rejected``, its best attempt (its report failed), is saved at ``path``."""


class ProgressSink(Protocol):
    """Receives progress of a run (the CLI's rich bar, or your own)."""

    def start(self, total: int, done: int, failed: int) -> None:
        """The run begins: ``total`` variants, ``done``/``failed`` already settled by earlier sessions."""
        ...

    def update(self, done: int, failed: int, spent_usd: float) -> None:
        """A variant settled."""
        ...

    def stop(self) -> None:
        """The run ended."""
        ...
