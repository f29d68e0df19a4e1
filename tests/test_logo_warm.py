"""``warm_logo`` fills the warm disk cache through the logo check's own path, so a new process prepares nothing.

* After ``warm_logo(spec, kit resources)`` a fresh kit (new resources, same cache folder: another process) runs the
  logo check on a light and on a dark poster without calling ``prepare_logo`` once, with the same result as
  without the cache.
* A logo file that cannot be read raises ``ImageInputError`` naming the file (``cache warm`` reports it), and a
  spec without logos warms nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import brandkit.checks.logo.features_cache as features_module
from benchmarks.bench_checks import make_poster
from brandkit import load_spec
from brandkit.checks.base import CheckResources
from brandkit.checks.logo import warm_logo
from brandkit.errors import ImageInputError
from brandkit.resources import KitResources
from brandkit.spec.models import BrandSpec
from brandkit.warm_cache import RESOURCE_KEY, WarmCache
from tests.support.logo_checks import count_logo_preparations, run_logo_check

ROOT = Path(__file__).resolve().parent.parent


def test_warm_logo_prepares_every_variant_and_backdrop_once_for_later_processes(
    northwind: BrandSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = make_poster(northwind, 768, 768, logo_px=200)
    cold = KitResources(warm_cache=WarmCache(None)).for_kit()  # reference: no disk cache at all
    expected = {tone: run_logo_check(northwind, image, cold, tone=tone) for tone in ("light", "dark")}

    calls = count_logo_preparations(monkeypatch)
    warm_logo(northwind, KitResources(warm_cache=WarmCache(tmp_path / "cache")).for_kit())
    assert len(calls) == 2 * len(northwind.logos)  # each variant over the light and the dark backdrop
    cached = list((tmp_path / "cache" / features_module.CACHE_KIND).glob("*.npz"))
    assert len(cached) == 2 * len(northwind.logos)

    later = KitResources(warm_cache=WarmCache(tmp_path / "cache")).for_kit()  # another process, same folder
    before = len(calls)
    for tone, reference in expected.items():
        got = run_logo_check(northwind, image, later, tone=tone)
        assert (got.status, got.score, got.details.get("box")) == (
            reference.status,
            reference.score,
            reference.details.get("box"),
        )
    assert len(calls) == before  # nothing prepared again: both backdrops came from the disk cache


def test_warm_logo_names_an_unreadable_logo_file(tmp_path: Path) -> None:
    root = tmp_path / "brand"
    shutil.copytree(ROOT / "brand_specs" / "northwind", root)
    spec = load_spec(root)
    broken = spec.asset_path(spec.logos[0].file)
    broken.write_bytes(b"not a png at all")
    resources = CheckResources()
    resources.put(RESOURCE_KEY, WarmCache(tmp_path / "cache"))
    with pytest.raises(ImageInputError) as info:
        warm_logo(spec, resources)
    assert str(broken) in str(info.value) and info.value.source == str(broken)


def test_warm_logo_without_logos_stores_nothing(northwind: BrandSpec, tmp_path: Path) -> None:
    no_logos = northwind.model_copy(update={"logos": []})
    resources = CheckResources()
    resources.put(RESOURCE_KEY, WarmCache(tmp_path / "cache"))
    warm_logo(no_logos, resources)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.npz"))
