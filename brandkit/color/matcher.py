"""Fast palette matching: nearest reference colour and exact "within ΔE00 tolerance" for every pixel.

:class:`PaletteMatcher` owns its per-tolerance code tables (built lazily by a
:class:`~brandkit.color.table_build.CodeTableBuilder`), the approximate 64³ minimum-ΔE grid and the lock that
guards them; nothing is shared between matchers or computed at import.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from brandkit.color.bounds import HueRangeTables
from brandkit.color.codes import OUTSIDE, CodeArray, ColorMatch, CoverageStats, IntArray
from brandkit.color.convert import FloatArray, rgb_to_hex, srgb_to_lab
from brandkit.color.gather import as_pixels, gather_codes, gather_folded, packed_colors
from brandkit.color.table_build import (
    BUILD_CHUNK,
    MAX_FORBIDDEN,
    CodeTableBuilder,
    dense_cells,
    exact_delta_e,
    expand_cells,
    fold_forbidden,
    forbidden_flags,
)
from brandkit.color.table_store import TABLE_KIND, Tables, load_tables, store_tables, table_key
from brandkit.warm_cache import WarmCache

__all__ = ["PaletteMatcher"]

_APPROX_BITS: Final = 6  # min-ΔE estimate grid: 64³ cells of 4×4×4 colours


class PaletteMatcher:
    """Nearest reference colour and minimum CIEDE2000 for every pixel of an image.

    Build one per palette (brand colours plus allowed neutrals) and keep it: tables
    are built lazily and cached on the object.

    **Fast path** (:meth:`match`, :meth:`coverage`, :meth:`within`): for a tolerance,
    a 2²⁴-entry table (16 MiB) holds one code byte per sRGB colour, and a cell table
    one code per 4×4×4 cell where all 64 colours agree, so an image costs one gather
    per pixel from a cache-resident table, plus a second gather for the few percent of
    pixels in mixed cells. The table is built (≈0.2–1 s, depending on the
    tolerance, on one idle core; once per tolerance, the last ``cache_size`` are kept) by
    subdividing the RGB cube into boxes, bounding ΔE00 over each box rigorously with
    interval arithmetic, and evaluating ΔE00 exactly for every colour of the boxes
    whose classification the bounds cannot settle. Hence:

    * *within tolerance* is **exact** — identical to ``exact_min_delta_e(p)[0] <= tol``;
    * the nearest index of a pixel *within* tolerance agrees with the exact nearest
      index wherever the exact gap between the two smallest ΔE00 exceeds
      ``nearest_slack`` (with ``nearest_slack=0``: everywhere but exact ties, at some
      build cost);
    * the nearest index of a pixel *outside* tolerance is the exact nearest of the
      middle colour of its 4×4×4 cell — an estimate that can only be wrong near a
      boundary between two reference colours' regions (>99 % agreement on test images
      where the gap exceeds 0.5), not a guarantee.

    :meth:`min_delta_e` returns an approximate minimum ΔE00 (for statistics) and
    :meth:`exact_min_delta_e` the exact values (the oracle; slow on large images).

    **Forbidden colours** (``forbidden=[(rgb, radius), ...]``, up to 24) are folded into the same table: each
    entry also carries one bit per forbidden colour, set where the colour is within that colour's ΔE00 radius
    (exact, like the tolerance test), so one gather per pixel answers both (:attr:`ColorMatch.forbidden`). The
    table is then uint16 (≤ 8 forbidden colours) or uint32.

    **Disk cache**: with a ``warm_cache`` (:class:`~brandkit.warm_cache.WarmCache`), a table is loaded from disk
    when an earlier process built it for the same colours, forbidden colours, tolerance and format version
    (:mod:`brandkit.color.table_store`), and stored after it is built.

    Thread-safe: tables are built under a lock and never mutated afterwards.
    """

    MAX_COLORS: Final = 127

    def __init__(
        self,
        colors: Sequence[tuple[int, int, int]],
        *,
        forbidden: Sequence[tuple[tuple[int, int, int], float]] = (),
        nearest_slack: float = 0.25,
        cache_size: int = 4,
        warm_cache: WarmCache | None = None,
    ) -> None:
        """Create a matcher for reference colours given as ``(r, g, b)`` ints 0..255.

        Args:
            colors: the reference colours (1 to 127 of them; duplicates allowed).
            forbidden: forbidden colours ``((r, g, b), radius)`` folded into the tables (at most 24).
            nearest_slack: ΔE00 gap below which the nearest index of a within-tolerance
                pixel may differ from the exact one (must be >= 0).
            cache_size: number of per-tolerance tables kept (about 20 MiB each; 40 with forbidden colours).
            warm_cache: disk cache to load built tables from and store them in (``None``: build in memory only).

        Raises:
            ValueError: on an empty or too long palette, a malformed colour, a negative
                slack or a cache size below 1.
        """
        if not 1 <= len(colors) <= self.MAX_COLORS:
            raise ValueError(f"need 1..{self.MAX_COLORS} reference colours, got {len(colors)}")
        for c in colors:
            if len(c) != 3 or not all(isinstance(v, int | np.integer) and 0 <= int(v) <= 255 for v in c):
                raise ValueError(f"invalid reference colour {c!r}: expected three ints in 0..255")
        if not nearest_slack >= 0.0:
            raise ValueError(f"nearest_slack must be >= 0, got {nearest_slack!r}")
        if cache_size < 1:
            raise ValueError(f"cache_size must be >= 1, got {cache_size!r}")
        if len(forbidden) > MAX_FORBIDDEN:
            raise ValueError(f"at most {MAX_FORBIDDEN} forbidden colours, got {len(forbidden)}")
        for c, radius in forbidden:
            if len(c) != 3 or not all(isinstance(v, int | np.integer) and 0 <= int(v) <= 255 for v in c):
                raise ValueError(f"invalid forbidden colour {c!r}: expected three ints in 0..255")
            if not (math.isfinite(float(radius)) and float(radius) >= 0.0):
                raise ValueError(f"forbidden colour radius must be a finite number >= 0, got {radius!r}")
        self._forbidden: tuple[tuple[tuple[int, int, int], float], ...] = tuple(
            ((int(c[0]), int(c[1]), int(c[2])), float(radius)) for c, radius in forbidden
        )
        self._warm = warm_cache
        rgb = np.array([[int(v) for v in c] for c in colors], dtype=np.uint8)
        rgb.setflags(write=False)
        lab = srgb_to_lab(rgb)
        lab.setflags(write=False)
        self._rgb = rgb
        self._lab = lab
        self._slack = float(nearest_slack)
        self._cache_size = cache_size
        self._tables: OrderedDict[float, Tables] = OrderedDict()
        self._build_seconds: dict[float, float] = {}
        self._approx: tuple[npt.NDArray[np.float32], CodeArray] | None = None
        self._builder: CodeTableBuilder | None = None  # created with the first table
        self._lock = threading.Lock()

    # -- properties --------------------------------------------------------------------

    @property
    def colors(self) -> tuple[tuple[int, int, int], ...]:
        """The reference colours, in index order."""
        return tuple((int(r), int(g), int(b)) for r, g, b in self._rgb)

    @property
    def lab(self) -> FloatArray:
        """(K, 3) CIELAB of the reference colours (read-only)."""
        return self._lab

    @property
    def forbidden(self) -> tuple[tuple[tuple[int, int, int], float], ...]:
        """The folded forbidden colours ``((r, g, b), radius)``, in bit order."""
        return self._forbidden

    def __len__(self) -> int:
        """Number of reference colours."""
        return int(self._rgb.shape[0])

    def __repr__(self) -> str:
        """Short description with the colours as hex."""
        return f"PaletteMatcher([{', '.join(rgb_to_hex(c) for c in self.colors)}])"

    def build_seconds(self, tolerance: float) -> float | None:
        """Wall time the table for ``tolerance`` took to build or load from disk, or None if never prepared."""
        return self._build_seconds.get(float(tolerance))

    # -- tables ------------------------------------------------------------------------

    def code_table(self, tolerance: float) -> CodeArray:
        """The (2²⁴,) code table for ``tolerance``, built on first use (read-only).

        Index ``r | g << 8 | b << 16``; value as in :attr:`ColorMatch.codes` (the palette code byte; with
        forbidden colours, the low byte of the folded table, as a new array).
        """
        table = self._tables_for(tolerance)[0]
        if table.dtype == np.uint8:
            return table
        codes = (table & 0xFF).astype(np.uint8)
        codes.setflags(write=False)
        return codes

    def _tables_for(self, tolerance: float) -> Tables:
        """``(code table, cell table)`` for ``tolerance``, built on first use.

        The cell table is indexed ``r >> 2 | (g >> 2) << 8 | (b >> 2) << 16`` (a sparse
        4 MiB address space of which 256 KiB is ever read, so it stays in L2) and holds
        the code shared by all 64 colours of a 4×4×4 cell, or 0xFF if they differ.
        """
        tol = float(tolerance)
        if not math.isfinite(tol) or tol < 0.0:
            raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
        tables = self._tables.get(tol)
        if tables is not None:
            with self._lock:
                if tol in self._tables:
                    self._tables.move_to_end(tol)
            return tables
        with self._lock:
            tables = self._tables.get(tol)
            if tables is None:
                t0 = time.perf_counter()
                table, cells = self._load_or_build(tol)
                table.setflags(write=False)
                cells.setflags(write=False)
                tables = (table, cells)
                self._build_seconds[tol] = time.perf_counter() - t0
                self._tables[tol] = tables
                while len(self._tables) > self._cache_size:
                    self._tables.popitem(last=False)
            return tables

    def _load_or_build(self, tol: float) -> Tables:
        """The tables for ``tol`` from the disk cache, else built (and stored there). Called under the lock."""
        key = table_key(self.colors, self._forbidden, tol, self._slack)
        if self._warm is None:
            return self._build(tol, None, key)
        loaded = load_tables(self._warm, key, len(self._forbidden))
        if loaded is not None:
            return loaded
        with self._warm.building(TABLE_KIND, key):  # another process building it: wait, then load its file
            loaded = load_tables(self._warm, key, len(self._forbidden))
            return loaded if loaded is not None else self._build(tol, self._warm, key)

    def _build(self, tol: float, warm: WarmCache | None, key: str) -> Tables:
        """Build the tables for ``tol`` (and store them in ``warm``)."""
        if self._builder is None:
            self._builder = CodeTableBuilder(self._lab, self._slack)
        table: npt.NDArray[np.unsignedinteger] = self._builder.build(tol)
        if self._forbidden:
            hue = HueRangeTables.build()
            flags = [
                forbidden_flags(srgb_to_lab(np.asarray(rgb, dtype=np.uint8)), radius, hue)
                for rgb, radius in self._forbidden
            ]
            table = fold_forbidden(table, flags)
        dense = dense_cells(table)
        if warm is not None:
            store_tables(warm, key, table, dense)
        return table, expand_cells(dense)

    def prepare(self, tolerance: float) -> float:
        """Build (if needed) the table for ``tolerance``; return its build time in seconds."""
        self.code_table(tolerance)
        return self._build_seconds[float(tolerance)]

    def _stats(self, counts: npt.NDArray[np.int64], tolerance: float, n_px: int) -> CoverageStats:
        k_total = len(self)
        return CoverageStats(
            tolerance=float(tolerance),
            n_pixels=n_px,
            within_counts=counts[:k_total].copy(),
            outside_counts=counts[OUTSIDE : OUTSIDE + k_total].copy(),
        )

    def match(self, pixels: npt.ArrayLike, tolerance: float) -> ColorMatch:
        """Per-pixel codes (exact within-tolerance flag + nearest index) and statistics.

        Args:
            pixels: uint8 array of shape ``(..., 3)`` (e.g. ``(N, 3)`` or ``(H, W, 3)``).
            tolerance: ΔE00 tolerance (``>= 0``).

        Returns:
            A :class:`ColorMatch` whose arrays have shape ``pixels.shape[:-1]``.
        """
        px = as_pixels(pixels)
        tables = self._tables_for(tolerance)
        if tables[0].dtype != np.uint8:
            return self._match_folded(px, tables, tolerance)
        codes = np.empty(px.shape[:-1], dtype=np.uint8)
        counts = gather_codes(px, tables, codes.reshape(-1))
        return ColorMatch(codes=codes, stats=self._stats(counts, tolerance, codes.size))

    def _match_folded(self, px: npt.NDArray[np.uint8], tables: Tables, tolerance: float) -> ColorMatch:
        """One gather of the folded table: palette codes and forbidden bits of every pixel."""
        folded = np.empty(px.shape[:-1], dtype=tables[0].dtype)
        gather_folded(px, tables, folded.reshape(-1))
        codes = np.empty(folded.shape, dtype=np.uint8)
        np.bitwise_and(folded, 0xFF, out=codes, casting="unsafe")
        bits_dtype = np.uint8 if len(self._forbidden) <= 8 else np.uint32
        bits: npt.NDArray[np.unsignedinteger] = np.right_shift(folded, 8).astype(bits_dtype)
        counts = np.bincount(codes.reshape(-1), minlength=256).astype(np.int64)
        return ColorMatch(
            codes=codes,
            stats=self._stats(counts, tolerance, codes.size),
            forbidden=bits,
            n_forbidden=len(self._forbidden),
        )

    def lookup(self, packed: npt.ArrayLike, tolerance: float) -> npt.NDArray[np.unsignedinteger]:
        """The table entry of each colour ``r | g << 8 | b << 16`` (e.g. an image's distinct colours): the code
        byte (:attr:`ColorMatch.codes`) in the low 8 bits and, with forbidden colours, their bits above it — the
        value :meth:`match` gives every pixel of that colour."""
        table = self._tables_for(tolerance)[0]
        idx = np.asarray(packed)
        if idx.size and (idx.min() < 0 or idx.max() >= table.size):
            raise ValueError("packed colours must be 24-bit values r | g << 8 | b << 16")
        out: npt.NDArray[np.unsignedinteger] = table[idx.astype(np.intp, copy=False)]
        return out

    def coverage(self, pixels: npt.ArrayLike, tolerance: float) -> CoverageStats:
        """Coverage statistics only (no per-pixel output; the fastest call)."""
        px = as_pixels(pixels)
        tables = self._tables_for(tolerance)
        if tables[0].dtype != np.uint8:
            return self._match_folded(px, tables, tolerance).stats
        counts = gather_codes(px, tables, None)
        return self._stats(counts, tolerance, px.size // 3)

    def within(self, pixels: npt.ArrayLike, tolerance: float) -> npt.NDArray[np.bool_]:
        """Per-pixel ``min ΔE00 <= tolerance``, exact; shape ``pixels.shape[:-1]``."""
        return self.match(pixels, tolerance).within

    def min_delta_e(self, pixels: npt.ArrayLike) -> tuple[npt.NDArray[np.float32], IntArray]:
        """Approximate minimum ΔE00 and nearest reference index per pixel (for statistics).

        Values come from a 64³ grid: the exact minimum ΔE00 (and its argmin) at the
        centre of each 4×4×4 cell of sRGB colours, built on first use (≈0.5 s). The error
        is the variation of ΔE00 within a cell: typically below 1, larger next to the
        neutral axis. Use :meth:`exact_min_delta_e` for exact values, :meth:`match` for an
        exact tolerance test.

        Returns:
            ``(min_de float32, nearest intp)``, each of shape ``pixels.shape[:-1]``.
        """
        px = as_pixels(pixels)
        de_grid, idx_grid = self._approx_grid()
        flat = px.reshape(-1, 3)
        cell = (
            ((flat[:, 0] >> 2).astype(np.intp) << (2 * _APPROX_BITS))
            | ((flat[:, 1] >> 2).astype(np.intp) << _APPROX_BITS)
            | (flat[:, 2] >> 2).astype(np.intp)
        )
        shape = px.shape[:-1]
        return np.take(de_grid, cell).reshape(shape), np.take(idx_grid, cell).astype(np.intp).reshape(shape)

    def _approx_grid(self) -> tuple[npt.NDArray[np.float32], CodeArray]:
        approx = self._approx
        if approx is not None:
            return approx
        with self._lock:
            if self._approx is None:
                n = 1 << _APPROX_BITS
                step = 256 // n
                c = np.arange(n, dtype=np.float64) * step + (step - 1) / 2.0
                centres = np.stack(np.meshgrid(c, c, c, indexing="ij"), axis=-1).reshape(-1, 3)
                de = np.empty(centres.shape[0], dtype=np.float32)
                idx = np.empty(centres.shape[0], dtype=np.uint8)
                for s in range(0, centres.shape[0], BUILD_CHUNK):
                    d = exact_delta_e(srgb_to_lab(centres[s : s + BUILD_CHUNK]), self._lab)
                    best = d.argmin(axis=1)
                    idx[s : s + BUILD_CHUNK] = best
                    de[s : s + BUILD_CHUNK] = d[np.arange(d.shape[0]), best]
                de.setflags(write=False)
                idx.setflags(write=False)
                self._approx = (de, idx)
            return self._approx

    def exact_min_delta_e(self, pixels: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
        """Exact minimum ΔE00 and nearest reference index per pixel (the oracle).

        Evaluates CIEDE2000 for every distinct colour against every reference colour
        (ties go to the lower index). Cost grows with the number of distinct colours:
        fine for small inputs, seconds for a large photo.

        Returns:
            ``(min_de float64, nearest intp)``, each of shape ``pixels.shape[:-1]``.
        """
        px = as_pixels(pixels)
        shape = px.shape[:-1]
        packed = packed_colors(px)
        uniq, inverse = np.unique(packed, return_inverse=True)
        de_u = np.empty(uniq.shape[0], dtype=np.float64)
        idx_u = np.empty(uniq.shape[0], dtype=np.intp)
        for s in range(0, uniq.shape[0], BUILD_CHUNK):
            u = uniq[s : s + BUILD_CHUNK]
            rgb = np.stack([u & 0xFF, (u >> 8) & 0xFF, (u >> 16) & 0xFF], axis=1).astype(np.uint8)
            d = exact_delta_e(srgb_to_lab(rgb), self._lab)
            best = d.argmin(axis=1)
            idx_u[s : s + BUILD_CHUNK] = best
            de_u[s : s + BUILD_CHUNK] = d[np.arange(d.shape[0]), best]
        inverse = inverse.reshape(-1)
        return de_u[inverse].reshape(shape), idx_u[inverse].reshape(shape)
