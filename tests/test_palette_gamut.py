"""Issue 21: the palette's gamut table (exact min ΔE00 / nearest reference of every sRGB colour, memory-mapped).

The table must hold, bit for bit, what the per-image path computes (so the check's report is the same whichever
path it takes — only ``details.figures_path`` says which), be built only when asked (``warm_palette``, with a
notice), be loaded by a later kit from the warm cache without rebuilding, and never be read when the file is
another palette's or truncated.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

import brandkit
from brandkit.checks import palette as palette_module
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.palette import PaletteCheck, warm_palette
from brandkit.color import ciede2000, srgb_to_lab
from brandkit.color.gamut_table import GAMUT_KIND, NEUTRAL_BIT, GamutTable
from brandkit.imageio import encode_image, load_image
from brandkit.warm_cache import RESOURCE_KEY, WarmCache
from tests.test_palette_exact_speed import _images, _photo

pytestmark = pytest.mark.slow  # the module builds one gamut table (all 2²⁴ colours, ~6–10 s of CPU) once


def _resources(cache: WarmCache) -> CheckResources:
    resources = CheckResources()
    resources.put(RESOURCE_KEY, cache)
    return resources


@pytest.fixture(scope="module")
def warmed(tmp_path_factory: pytest.TempPathFactory, northwind: brandkit.BrandSpec) -> tuple[Path, CheckResources]:
    """A warm cache folder into which ``warm_palette`` built every Northwind palette table (once per module)."""
    root = tmp_path_factory.mktemp("gamut-cache")
    resources = _resources(WarmCache(root))
    warm_palette(northwind, resources)
    return root, resources


def _run(spec: brandkit.BrandSpec, resources: CheckResources, image: object, box: object) -> dict[str, object]:
    data = encode_image(image, "png")  # type: ignore[arg-type]
    ctx = CheckContext(
        spec=spec,
        image=load_image(data),
        data=data,
        expectation=Expectation(photo_box=box, width=image.width, height=image.height),  # type: ignore[attr-defined]
        resources=resources,
    )
    dumped: dict[str, object] = PaletteCheck().run(ctx).model_dump(mode="json")
    return dumped


def test_the_gamut_table_holds_the_exact_minimum_and_first_nearest(
    warmed: tuple[Path, CheckResources], northwind: brandkit.BrandSpec
) -> None:
    root, _ = warmed
    colors, _ = northwind.palette.reference_colors()
    ref_lab = srgb_to_lab(np.asarray(colors, dtype=np.uint8))
    table = GamutTable.load(ref_lab, northwind.palette.neutrals.chroma, WarmCache(root))
    assert table is not None
    assert isinstance(table.min_de, np.memmap)  # mapped, not read into memory
    rng = np.random.default_rng(11)
    rgb = np.concatenate(
        [
            rng.integers(0, 256, (150_000, 3), dtype=np.uint8),
            np.asarray(colors, dtype=np.uint8),  # ΔE 0 and ties between equal references
            np.asarray(_photo("chelsea", (300, 200))).reshape(-1, 3),
            np.array([[0, 0, 0], [255, 255, 255], [128, 128, 128]], dtype=np.uint8),
        ]
    )
    packed = rgb[:, 0].astype(np.uint32) | (rgb[:, 1].astype(np.uint32) << 8) | (rgb[:, 2].astype(np.uint32) << 16)
    lab = srgb_to_lab(rgb)
    full = ciede2000(lab[:, None, :], ref_lab[None, :, :])
    de, nearest, neutral = table.lookup(packed)
    assert np.array_equal(de, full.min(axis=1))  # bit for bit
    assert np.array_equal(nearest, full.argmin(axis=1))
    assert np.array_equal(neutral, np.hypot(lab[:, 1], lab[:, 2]) <= northwind.palette.neutrals.chroma)
    assert neutral.any() and not neutral.all()


def test_the_report_is_the_same_with_and_without_the_gamut_table(
    warmed: tuple[Path, CheckResources], northwind: brandkit.BrandSpec, tmp_path: Path
) -> None:
    _, resources = warmed
    per_image = _resources(WarmCache(tmp_path))  # a cache without the gamut table: the per-image path
    statuses = set()
    for name, image, box in _images():
        fast = _run(northwind, resources, image, box)
        slow = _run(northwind, per_image, image, box)
        fast_details, slow_details = fast["details"], slow["details"]
        assert isinstance(fast_details, dict) and isinstance(slow_details, dict)
        assert fast_details.pop("figures_path") == "gamut-table", name
        assert slow_details.pop("figures_path") == "per-image", name
        assert fast == slow, name
        assert fast_details["mean_delta_e"] > 0, name
        statuses.add(fast["status"])
    assert statuses == {"passed", "failed"}


def test_a_later_kit_loads_the_table_without_building_it(
    warmed: tuple[Path, CheckResources], northwind: brandkit.BrandSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = warmed

    def refuse(*args: object) -> None:
        raise AssertionError("the gamut table was rebuilt")

    monkeypatch.setattr(palette_module, "build_gamut_table", refuse)
    fresh = _resources(WarmCache(root))
    warm_palette(northwind, fresh)  # loads (memory-mapped) instead of building
    image, box = _images()[0][1:]
    assert _run(northwind, fresh, image, box)["details"]["figures_path"] == "gamut-table"  # type: ignore[index]


def test_warm_palette_says_it_builds_the_table(
    tmp_path: Path, northwind: brandkit.BrandSpec, warmed: tuple[Path, CheckResources], caplog: pytest.LogCaptureFixture
) -> None:
    root, _ = warmed
    built: list[float] = []

    def fake_build(cells: object, neutral_chroma: float, cache: WarmCache) -> GamutTable:
        built.append(neutral_chroma)
        table = GamutTable.load(cells.ref_lab, neutral_chroma, WarmCache(root))  # type: ignore[attr-defined]
        assert table is not None
        return table

    with pytest.MonkeyPatch.context() as m, caplog.at_level(logging.WARNING, logger="brandkit.checks.palette"):
        m.setattr(palette_module, "build_gamut_table", fake_build)
        warm_palette(northwind, _resources(WarmCache(tmp_path)))  # a cold cache: build, with a notice
        assert built == [northwind.palette.neutrals.chroma]
        assert any("building the palette figures table" in r.getMessage() for r in caplog.records)
        caplog.clear()
        warm_palette(northwind, _resources(WarmCache(root)))  # already built: silent, no build
        assert built == [northwind.palette.neutrals.chroma]
        assert not caplog.records


def test_a_gamut_file_of_another_palette_or_truncated_is_a_miss(
    tmp_path: Path, warmed: tuple[Path, CheckResources], northwind: brandkit.BrandSpec
) -> None:
    root, _ = warmed
    colors, _ = northwind.palette.reference_colors()
    ref_lab = srgb_to_lab(np.asarray(colors, dtype=np.uint8))
    chroma = northwind.palette.neutrals.chroma
    (source,) = (root / GAMUT_KIND).glob("*.gamut")
    cache = WarmCache(tmp_path)
    target = tmp_path / GAMUT_KIND / source.name
    target.parent.mkdir()
    with source.open("rb") as handle:
        target.write_bytes(handle.read(4096 + 1000))  # truncated
    assert GamutTable.load(ref_lab, chroma, cache) is None
    target.unlink()
    target.symlink_to(source)
    assert GamutTable.load(ref_lab, chroma, cache) is not None  # the whole file: found
    assert GamutTable.load(ref_lab, chroma + 1.0, cache) is None  # another neutral chroma: another key, a miss
    assert GamutTable.load(ref_lab[::-1].copy(), chroma, cache) is None  # other references: a miss
    # a file renamed to another palette's name is refused by its header
    other = ref_lab[::-1].copy()
    other_path = cache.path_for(GAMUT_KIND, palette_module.gamut_key(other, chroma))
    assert other_path is not None
    other_path.with_suffix(".gamut").symlink_to(source)
    assert GamutTable.load(other, chroma, cache) is None
    assert NEUTRAL_BIT == 0x80
