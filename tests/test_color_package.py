"""Tests for the layout of the brandkit.color package: no tables at import, tables owned by objects."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np

import brandkit.color as bc
from brandkit.color import PaletteMatcher, ciede2000, srgb_to_lab
from brandkit.color.bounds import HueRangeTables, box_lab_ranges, de00_bounds, rect_chroma


def _color_modules() -> list[object]:
    return [bc] + [importlib.import_module(f"brandkit.color.{m.name}") for m in pkgutil.iter_modules(bc.__path__)]


def test_no_module_holds_a_table() -> None:
    # Constant matrices (3×3, 3) are allowed; lookup tables built at import (the old 256-entry
    # linearisation table, the 53,248-entry hue range tables) are not.
    modules = _color_modules()
    assert len(modules) >= 6
    for mod in modules:
        for name, value in vars(mod).items():
            if isinstance(value, np.ndarray):
                assert value.size <= 9, f"{mod.__name__}.{name} is a {value.size}-entry table built at import"
                assert not value.flags.writeable, f"{mod.__name__}.{name} is a writable module-level array"


def test_single_colours_convert_exactly_like_a_large_batch() -> None:
    # Small uint8 inputs skip the linearisation table; the result must be bit-identical.
    v = np.arange(256, dtype=np.uint8)
    rgb = np.stack([v, v[::-1], np.roll(v, 91)], axis=1)
    batch = srgb_to_lab(rgb)
    for i in range(256):
        assert np.array_equal(srgb_to_lab(rgb[i]), batch[i]), rgb[i]
    assert np.array_equal(srgb_to_lab(rgb[:200]), batch[:200])


def test_hue_tables_are_read_only_and_reusable() -> None:
    tables = HueRangeTables.build()
    for arr in (tables.t_min, tables.t_max, tables.s_min, tables.s_max):
        assert not arr.flags.writeable
    rng = np.random.default_rng(5)
    lo = rng.integers(0, 256 - 7, (500, 3)).astype(np.int32)
    lab_lo, lab_hi = box_lab_ranges(lo, 8)
    chroma = rect_chroma(lab_lo[:, 1], lab_hi[:, 1], lab_lo[:, 2], lab_hi[:, 2])
    ref = srgb_to_lab(np.array([200, 30, 40], dtype=np.uint8))
    shared = de00_bounds(lab_lo, lab_hi, chroma, ref, tables)
    fresh = de00_bounds(lab_lo, lab_hi, chroma, ref)
    assert np.array_equal(shared[0], fresh[0]) and np.array_equal(shared[1], fresh[1])
    # The bounds hold for the box corners, so the shared tables are the real ones.
    de = ciede2000(srgb_to_lab(lo.astype(np.uint8)), ref)
    assert np.all(shared[0] <= de) and np.all(de <= shared[1])


def test_matchers_own_their_tables() -> None:
    a = PaletteMatcher([(0, 0, 0), (255, 255, 255)])
    b = PaletteMatcher([(0, 0, 0), (255, 255, 255)])
    assert a.build_seconds(3.0) is None
    ta = a.code_table(3.0)
    assert b.build_seconds(3.0) is None  # building a's table built nothing for b
    tb = b.code_table(3.0)
    assert ta is not tb and np.array_equal(ta, tb)
    assert not ta.flags.writeable
