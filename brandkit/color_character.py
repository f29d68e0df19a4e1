"""Old import path of :mod:`brandkit.color.character` (dominant colours, LCh, colour temperature); re-exports."""

from __future__ import annotations

from brandkit.color.character import (
    MAX_CLUSTER_PIXELS,
    Cluster,
    correlated_color_temperature,
    dark_share,
    describe_color,
    dominant_colors,
    in_lch_range,
    lch,
)

__all__ = [
    "MAX_CLUSTER_PIXELS",
    "Cluster",
    "correlated_color_temperature",
    "dark_share",
    "describe_color",
    "dominant_colors",
    "in_lch_range",
    "lch",
]
