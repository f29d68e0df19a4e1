"""Palette tables with the forbidden colours folded in, and their disk cache (brandkit.color.table_store)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import brandkit.color.table_store as table_store
from brandkit import BrandSpec
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.palette import PaletteCheck
from brandkit.color import PaletteMatcher, ciede2000, srgb_to_lab
from brandkit.color.table_build import CodeTableBuilder
from brandkit.imageio import encode_image, load_image
from brandkit.warm_cache import RESOURCE_KEY, WarmCache

PALETTE = [(0x1F, 0x3A, 0x5F), (0xE8, 0x6A, 0x33), (0xF4, 0xF1, 0xEA), (0x2B, 0x2B, 0x2B)]
FORBIDDEN = [((0xD6, 0x1F, 0x26), 10.0), ((0x00, 0xA1, 0x4B), 6.0)]
TOLERANCE = 8.0


def _pixels(seed: int = 7) -> np.ndarray:
    """Random colours plus colours scattered around every reference and forbidden colour (both sides of each
    radius), as an image."""
    rng = np.random.default_rng(seed)
    near = [
        np.clip(np.array(c)[None, :] + rng.integers(-14, 15, size=(3000, 3)), 0, 255)
        for c in [*PALETTE, *(rgb for rgb, _ in FORBIDDEN)]
    ]
    px = np.concatenate([rng.integers(0, 256, size=(20000, 3)), *near]).astype(np.uint8)
    return px.reshape(-1, 50, 3)


def _exact_within(px: np.ndarray, rgb: tuple[int, int, int], radius: float) -> np.ndarray:
    de = ciede2000(srgb_to_lab(px.reshape(-1, 3)), srgb_to_lab(np.array([rgb], dtype=np.uint8))[0])
    return (de <= radius).reshape(px.shape[:-1])


def test_folded_table_answers_palette_and_forbidden_in_one_match() -> None:
    px = _pixels()
    folded = PaletteMatcher(PALETTE, forbidden=FORBIDDEN).match(px, TOLERANCE)
    plain = PaletteMatcher(PALETTE).match(px, TOLERANCE)
    np.testing.assert_array_equal(folded.codes, plain.codes)  # the palette answer is unchanged
    np.testing.assert_array_equal(folded.stats.within_counts, plain.stats.within_counts)
    assert folded.forbidden is not None and plain.forbidden is None
    counts = folded.forbidden_counts()
    for i, (rgb, radius) in enumerate(FORBIDDEN):
        exact = _exact_within(px, rgb, radius)
        assert exact.any() and not exact.all()  # the test pixels straddle the radius
        np.testing.assert_array_equal((folded.forbidden >> i) & 1 == 1, exact)
        # the previous implementation: one matcher per forbidden colour, its own pass
        assert counts[i] == PaletteMatcher([rgb]).coverage(px, radius).within_count == int(exact.sum())
    mask = np.zeros(px.shape[:-1], dtype=bool)
    mask[::2] = True
    assert folded.forbidden_counts(mask)[0] == int(_exact_within(px, *FORBIDDEN[0])[mask].sum())


def test_more_than_eight_forbidden_colours_use_a_wider_table() -> None:
    rng = np.random.default_rng(3)
    forbidden = [((int(r), int(g), int(b)), 4.0) for r, g, b in rng.integers(0, 256, size=(9, 3))]
    px = _pixels(11)
    px[0, :9] = np.array([rgb for rgb, _ in forbidden], dtype=np.uint8)  # each forbidden colour itself
    match = PaletteMatcher(PALETTE[:1], forbidden=forbidden).match(px, TOLERANCE)
    assert match.forbidden is not None and match.forbidden.dtype == np.uint32
    for i, (rgb, radius) in enumerate(forbidden):
        np.testing.assert_array_equal((match.forbidden >> i) & 1 == 1, _exact_within(px, rgb, radius))


def test_too_many_forbidden_colours_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 24"):
        PaletteMatcher(PALETTE, forbidden=[((1, 2, 3), 5.0)] * 25)


def _no_build(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record every table build (and let it run)."""
    calls: list[float] = []
    real = CodeTableBuilder.build

    def recording(self: CodeTableBuilder, tol: float) -> np.ndarray:
        calls.append(tol)
        return real(self, tol)

    monkeypatch.setattr(CodeTableBuilder, "build", recording)
    return calls


def test_second_matcher_loads_the_tables_from_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = WarmCache(tmp_path)
    builds = _no_build(monkeypatch)
    px = _pixels()
    first = PaletteMatcher(PALETTE, forbidden=FORBIDDEN, warm_cache=cache).match(px, TOLERANCE)
    assert len(builds) == 1 + len(FORBIDDEN)  # the palette table and one radius per forbidden colour
    files = list((tmp_path / table_store.TABLE_KIND).glob("*.npz"))
    assert len(files) == 1
    second = PaletteMatcher(PALETTE, forbidden=FORBIDDEN, warm_cache=cache).match(px, TOLERANCE)
    assert len(builds) == 1 + len(FORBIDDEN)  # loaded, not built
    np.testing.assert_array_equal(first.codes, second.codes)
    assert first.forbidden is not None and second.forbidden is not None
    np.testing.assert_array_equal(first.forbidden, second.forbidden)
    # other inputs are other entries: another tolerance, another forbidden radius, no forbidden colours
    PaletteMatcher(PALETTE, forbidden=FORBIDDEN, warm_cache=cache).prepare(TOLERANCE + 1)
    PaletteMatcher(PALETTE, forbidden=[(FORBIDDEN[0][0], 9.0)], warm_cache=cache).prepare(TOLERANCE)
    PaletteMatcher(PALETTE, warm_cache=cache).prepare(TOLERANCE)
    assert len(list((tmp_path / table_store.TABLE_KIND).glob("*.npz"))) == 4


def test_corrupt_table_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = WarmCache(tmp_path)
    px = _pixels()
    expected = PaletteMatcher(PALETTE, warm_cache=cache).match(px, TOLERANCE).codes
    (path,) = (tmp_path / table_store.TABLE_KIND).glob("*.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])  # a torn copy (not one brandkit's atomic writes can leave)
    builds = _no_build(monkeypatch)
    np.testing.assert_array_equal(PaletteMatcher(PALETTE, warm_cache=cache).match(px, TOLERANCE).codes, expected)
    assert builds == [TOLERANCE]
    assert len(path.read_bytes()) > len(data) // 3  # stored again, whole (the next matcher loads it)
    builds.clear()
    PaletteMatcher(PALETTE, warm_cache=cache).prepare(TOLERANCE)
    assert builds == []


def test_table_of_wrong_shape_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = WarmCache(tmp_path)
    key = table_store.table_key(PALETTE, (), TOLERANCE, 0.25)
    cache.store_arrays(table_store.TABLE_KIND, key, {"table": np.zeros(10, np.uint8), "cells": np.zeros(3, np.uint8)})
    builds = _no_build(monkeypatch)
    PaletteMatcher(PALETTE, warm_cache=cache).prepare(TOLERANCE)
    assert builds == [TOLERANCE]


def test_format_version_bump_ignores_old_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = WarmCache(tmp_path)
    PaletteMatcher(PALETTE, warm_cache=cache).prepare(TOLERANCE)
    monkeypatch.setattr(table_store, "TABLE_FORMAT_VERSION", table_store.TABLE_FORMAT_VERSION + 1)
    builds = _no_build(monkeypatch)
    PaletteMatcher(PALETTE, warm_cache=cache).prepare(TOLERANCE)
    assert builds == [TOLERANCE]
    assert len(list((tmp_path / table_store.TABLE_KIND).glob("*.npz"))) == 2


def test_two_processes_building_the_same_tables_at_once(tmp_path: Path) -> None:
    """Processes that miss the same entry at once (``validate --jobs``): one builds, the others wait and load."""
    script = textwrap.dedent(
        f"""
        import numpy as np
        from pathlib import Path
        from brandkit.color import PaletteMatcher
        from brandkit.color.table_build import CodeTableBuilder
        from brandkit.warm_cache import WarmCache
        builds = []
        real = CodeTableBuilder.build
        CodeTableBuilder.build = lambda self, tol: builds.append(tol) or real(self, tol)
        m = PaletteMatcher({PALETTE!r}, forbidden={FORBIDDEN!r}, warm_cache=WarmCache(Path({str(tmp_path)!r})))
        m.prepare({TOLERANCE!r})
        print("built" if builds else "loaded")
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = sorted(p.communicate(timeout=180)[0].strip() for p in procs)
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert outcomes == ["built", "loaded", "loaded"]
    files = list((tmp_path / table_store.TABLE_KIND).iterdir())
    assert sorted(f.suffix for f in files) == [".lock", ".npz"]  # one entry (and its lock), no temp file left
    px = _pixels()
    loaded = PaletteMatcher(PALETTE, forbidden=FORBIDDEN, warm_cache=WarmCache(tmp_path)).match(px, TOLERANCE)
    built = PaletteMatcher(PALETTE, forbidden=FORBIDDEN).match(px, TOLERANCE)
    np.testing.assert_array_equal(loaded.codes, built.codes)
    assert loaded.forbidden is not None and built.forbidden is not None
    np.testing.assert_array_equal(loaded.forbidden, built.forbidden)


def test_palette_check_measures_forbidden_shares_over_opaque_pixels_with_the_disk_tables(
    northwind: BrandSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check's forbidden shares come from the folded table (exact, transparent pixels left out); a second kit
    with the same cache folder loads the tables instead of building them."""
    rng = np.random.default_rng(5)
    rgba = np.zeros((120, 160, 4), dtype=np.uint8)
    rgba[..., :3] = rng.integers(0, 256, size=(120, 160, 3))
    rgba[..., 3] = 255
    green = np.array([0x00, 0x70, 0x4A])  # Northwind's forbidden "Rival green"
    rgba[:40, :, :3] = np.clip(green + rng.integers(-6, 7, size=(40, 160, 3)), 0, 255)
    rgba[:10, :, 3] = 0  # a transparent part of the green band: not counted
    data = encode_image(Image.fromarray(rgba, "RGBA"), "png")
    opaque = rgba[..., 3] >= 128
    results = []
    for _ in range(2):
        resources = CheckResources()
        resources.put(RESOURCE_KEY, WarmCache(tmp_path))
        ctx = CheckContext(
            spec=northwind, image=load_image(data), data=data, expectation=Expectation(), resources=resources
        )
        results.append(PaletteCheck().run(ctx))
        monkeypatch.setattr(CodeTableBuilder, "build", _refuse_build)  # the second kit must load
    first, second = (r.details["forbidden_colors"] for r in results)
    assert first == second
    for fcolor, entry in zip(northwind.palette.forbidden_colors, first, strict=True):
        exact = _exact_within(
            rgba[..., :3],
            (int(fcolor.hex[1:3], 16), int(fcolor.hex[3:5], 16), int(fcolor.hex[5:7], 16)),
            fcolor.tolerance,
        )
        assert entry["share"] == round(float(exact[opaque].sum() / opaque.sum()), 5)
    rival = next(e for e in first if e["name"] == "Rival green")
    assert rival["share"] > 0.2 and not rival["ok"]


def _refuse_build(self: CodeTableBuilder, tol: float) -> np.ndarray:
    raise AssertionError("the table should have been loaded from the disk cache")
