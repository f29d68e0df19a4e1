"""Old import path of :mod:`brandkit.color.stats` (exact palette statistics per distinct colour); re-exports only."""

from __future__ import annotations

from brandkit.color.stats import DistinctColors, RegionStats, palette_space_share

__all__ = ["DistinctColors", "RegionStats", "palette_space_share"]
