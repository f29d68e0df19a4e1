"""The exact minimum ΔE00 and nearest reference of every sRGB colour, as a memory-mapped table on disk.

The palette check's descriptive figures (:class:`~brandkit.color.stats.DistinctColors`) need, for each distinct
colour of an image, the exact minimum CIEDE2000 to the reference colours and the first nearest reference. Per
image that costs ~100 ns per colour (one or two ΔE00 evaluations through
:class:`~brandkit.color.nearest_cells.NearestCells`) plus the CIELAB conversion — 35–120 ms for a 1024² photograph
with 80k–300k distinct colours. :class:`GamutTable` holds the same values for all 2²⁴ colours, computed once per
set of reference colours by **the same function on the same numbers** (:func:`~brandkit.color.convert.srgb_to_lab`
then :func:`~brandkit.color.nearest_cells.exact_nearest`, element-wise, so bit for bit what the per-image path
returns), so an image then pays one gather per distinct colour.

Layout (one file in the warm cache folder, ``<kind>/<digest>.gamut``): a 4 KiB header (magic, the key as JSON),
then ``min_de`` (2²⁴ float64, 128 MiB), then ``nearest`` (2²⁴ uint8, 16 MiB: the nearest index in bits 0–6 and
bit 7 set where the colour's chroma ≤ the neutral chroma the table was built for). It is memory-mapped read-only
(``numpy.memmap``): no load time, pages are read on first touch and shared through the page cache by every
process (``validate --jobs``). Written atomically (temp file, rename) after the build; a file whose header names
another key, or of the wrong size, is a miss. Building costs ~4–6 s of CPU and 144 MiB of disk per palette:
:func:`build_gamut_table` is called only when the caller asks (``brandkit.checks.palette.warm_palette``, i.e.
``brandkit cache warm``), never implicitly — without the file the palette check uses the per-image path and says
so in its details (``figures_path``).

A foundation module (NumPy, :mod:`brandkit.atomic`, :mod:`brandkit.warm_cache`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from brandkit.atomic import atomic_write
from brandkit.color.convert import srgb_to_lab
from brandkit.color.nearest_cells import CELLS_FORMAT_VERSION, NearestCells, exact_nearest
from brandkit.errors import OutputError
from brandkit.warm_cache import WarmCache

__all__ = ["GAMUT_FORMAT_VERSION", "GAMUT_KIND", "NEUTRAL_BIT", "GamutTable", "build_gamut_table", "gamut_key"]

GAMUT_FORMAT_VERSION: Final = 1
GAMUT_KIND: Final = "palette-gamut"
NEUTRAL_BIT: Final = 0x80
_MAGIC: Final = b"BRANDKIT-GAMUT\n"
_HEADER: Final = 4096
_N: Final = 1 << 24
_BUILD_CHUNK: Final = 1 << 20

FloatArray = npt.NDArray[np.float64]

_log = logging.getLogger(__name__)


def gamut_key(ref_lab: FloatArray, neutral_chroma: float) -> str:
    """The cache key: the references' exact CIELAB values, the neutral chroma, both format versions."""
    return json.dumps(
        {
            "version": GAMUT_FORMAT_VERSION,
            "cells_version": CELLS_FORMAT_VERSION,
            "lab": [[float(v).hex() for v in row] for row in np.asarray(ref_lab, dtype=np.float64).reshape(-1, 3)],
            "neutral_chroma": float(neutral_chroma).hex(),
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def _path(cache: WarmCache, key: str) -> Path | None:
    npz = cache.path_for(GAMUT_KIND, key)
    return None if npz is None else npz.with_suffix(".gamut")


def _header(key: str) -> bytes:
    head = _MAGIC + key.encode() + b"\n"
    if len(head) > _HEADER:
        raise ValueError("gamut table key too long for the header")
    return head + b"\0" * (_HEADER - len(head))


class GamutTable:
    """``min_de[c]`` (float64) and ``nearest[c]`` (uint8, :data:`NEUTRAL_BIT` = neutral) of every sRGB colour
    ``c = r | g << 8 | b << 16``, read-only (usually memory-mapped; see the module docstring)."""

    def __init__(self, ref_lab: FloatArray, neutral_chroma: float, min_de: FloatArray, nearest: npt.NDArray[np.uint8]):
        if min_de.shape != (_N,) or nearest.shape != (_N,):
            raise ValueError("a gamut table holds 2**24 entries")
        self.ref_lab = np.ascontiguousarray(ref_lab, dtype=np.float64).reshape(-1, 3)
        self.neutral_chroma = float(neutral_chroma)
        self.min_de = min_de
        self.nearest = nearest

    @classmethod
    def load(cls, ref_lab: FloatArray, neutral_chroma: float, cache: WarmCache) -> GamutTable | None:
        """The table stored in ``cache`` for these references and neutral chroma (memory-mapped), or None."""
        key = gamut_key(ref_lab, neutral_chroma)
        path = _path(cache, key)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                head = handle.read(_HEADER)
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        except OSError as exc:
            _log.info("warm cache: cannot read %s (%s)", path, exc.strerror)
            return None
        if head != _header(key) or size != _HEADER + 9 * _N:
            _log.info("warm cache: %s holds another or a truncated gamut table; ignored", path)
            return None
        try:
            min_de = np.memmap(path, dtype="<f8", mode="r", offset=_HEADER, shape=(_N,))
            nearest = np.memmap(path, dtype=np.uint8, mode="r", offset=_HEADER + 8 * _N, shape=(_N,))
        except (OSError, ValueError) as exc:
            _log.info("warm cache: cannot map %s (%s)", path, exc)
            return None
        return cls(ref_lab, neutral_chroma, min_de, nearest)

    def lookup(self, packed: npt.NDArray[np.integer]) -> tuple[FloatArray, npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """``(min ΔE00, nearest index, chroma ≤ neutral chroma)`` of packed colours (fastest when sorted)."""
        idx = np.asarray(packed).astype(np.intp, copy=False)
        code = self.nearest[idx]
        min_de: FloatArray = np.asarray(self.min_de[idx], dtype=np.float64)
        return min_de, (code & 0x7F).astype(np.intp), (code & NEUTRAL_BIT) != 0


def build_gamut_table(cells: NearestCells, neutral_chroma: float, cache: WarmCache) -> GamutTable:
    """Compute the table for ``cells.ref_lab`` (all 2²⁴ colours, exact; ~4–6 s CPU), store it in ``cache`` (a
    disabled cache or a failed write: in memory only, 144 MiB) and return it (memory-mapped when stored)."""
    ref_lab = cells.ref_lab
    if ref_lab.shape[0] > 0x7F:
        raise ValueError("a gamut table holds at most 127 reference colours")
    min_de = np.empty(_N, dtype=np.float64)
    nearest = np.empty(_N, dtype=np.uint8)
    limit = float(neutral_chroma)
    for s in range(0, _N, _BUILD_CHUNK):
        packed = np.arange(s, s + _BUILD_CHUNK, dtype=np.uint32)
        rgb = np.stack([packed & 0xFF, (packed >> 8) & 0xFF, (packed >> 16) & 0xFF], axis=1).astype(np.uint8)
        lab = srgb_to_lab(rgb)
        de, near = exact_nearest(lab, rgb, cells)
        min_de[s : s + _BUILD_CHUNK] = de
        neutral = np.hypot(lab[:, 1], lab[:, 2]) <= limit
        nearest[s : s + _BUILD_CHUNK] = near.astype(np.uint8) | np.where(neutral, NEUTRAL_BIT, 0).astype(np.uint8)
    key = gamut_key(ref_lab, limit)
    path = _path(cache, key)
    if path is not None:
        try:
            atomic_write(path, _header(key) + min_de.astype("<f8", copy=False).tobytes() + nearest.tobytes())
        except (OutputError, OSError) as exc:
            _log.warning("warm cache: cannot write the gamut table %s (%s); kept in memory only", path, exc)
        else:
            loaded = GamutTable.load(ref_lab, limit, cache)
            if loaded is not None:
                return loaded
    min_de.setflags(write=False)
    nearest.setflags(write=False)
    return GamutTable(ref_lab, limit, min_de, nearest)
