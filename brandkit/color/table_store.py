"""Palette code tables on disk: a second process loads what the first one built (:mod:`brandkit.warm_cache`).

An entry is keyed by everything its table is derived from — the reference colours, the forbidden colours with
their radii, the tolerance, the nearest-index slack and :data:`TABLE_FORMAT_VERSION` (bumped whenever the
table layout or the way it is built changes) — so a stale table is never read. The full code table is stored
with the dense 64³ part of its cell table (the sparse gather layout is rebuilt on load). A loaded entry is checked
for shape and dtype; anything else is a miss and the caller rebuilds (and stores) it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from brandkit.color.table_build import expand_cells
from brandkit.warm_cache import WarmCache

__all__ = ["TABLE_FORMAT_VERSION", "TABLE_KIND", "load_tables", "store_tables", "table_key"]

TABLE_FORMAT_VERSION: Final = 2
"""Version of the stored palette tables (1 was the in-memory uint8 table; 2 folds the forbidden colours)."""
TABLE_KIND: Final = "palette-tables"

Tables = tuple[npt.NDArray[np.unsignedinteger], npt.NDArray[np.unsignedinteger]]


def table_key(
    colors: Sequence[tuple[int, int, int]],
    forbidden: Sequence[tuple[tuple[int, int, int], float]],
    tolerance: float,
    nearest_slack: float,
) -> str:
    """The cache key of one table: every input it depends on, and the format version."""
    return json.dumps(
        {
            "version": TABLE_FORMAT_VERSION,
            "colors": [list(c) for c in colors],
            "forbidden": [[list(rgb), float(tol).hex()] for rgb, tol in forbidden],
            "tolerance": float(tolerance).hex(),
            "slack": float(nearest_slack).hex(),
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def _dtype_for(n_forbidden: int) -> type[np.unsignedinteger]:
    if n_forbidden == 0:
        return np.uint8
    return np.uint16 if n_forbidden <= 8 else np.uint32


def load_tables(cache: WarmCache, key: str, n_forbidden: int) -> Tables | None:
    """``(code table, sparse cell table)`` stored under ``key``, or ``None`` (miss, corrupt or malformed)."""
    arrays = cache.load_arrays(TABLE_KIND, key)
    if arrays is None:
        return None
    table, dense = arrays.get("table"), arrays.get("cells")
    dtype = _dtype_for(n_forbidden)
    if (
        table is None
        or dense is None
        or table.shape != (1 << 24,)
        or dense.shape != (64, 64, 64)
        or table.dtype != dtype
        or dense.dtype != dtype
    ):
        return None
    return table, expand_cells(dense)


def store_tables(
    cache: WarmCache, key: str, table: npt.NDArray[np.unsignedinteger], dense: npt.NDArray[np.unsignedinteger]
) -> None:
    """Store a built table and its dense cell table (never raises for the disk; see :class:`WarmCache`)."""
    cache.store_arrays(TABLE_KIND, key, {"table": table, "cells": dense})
