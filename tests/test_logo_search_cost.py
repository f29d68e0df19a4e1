"""The logo search's cheaper paths decide as the full search does: fast masked correlation, early exit, warm cache.

* The masked correlation is computed in three plain correlations; it must equal OpenCV's masked
  ``matchTemplate`` on real scenes (the example brand's logo on its posters).
* The early exit (best coarse score under ``COARSE_EXIT_SCORE``) must give the decision the full search gives
  with the exit disabled, and say in the details that it ended the search.
* A logo's prepared features come from the warm disk cache in a new process (here: new resources), are the same
  arrays, and a changed logo file or a corrupt entry is prepared again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

import brandkit.checks.logo.detection as detection_module
import brandkit.checks.logo.features_cache as features_module
from benchmarks.bench_checks import make_poster
from brandkit import load_spec
from brandkit.checks.base import CheckContext, CheckResources
from brandkit.checks.logo import LogoCheck, prepare_logo
from brandkit.checks.logo.constants import COARSE_EXIT_SCORE
from brandkit.checks.logo.features_cache import CACHE_KIND, features_key, prepared_from_file
from brandkit.checks.logo.matching import SceneStats, masked_score, resized
from brandkit.checks.logo.prepare import grey_scene
from brandkit.imageio import detect_format, load_image
from brandkit.models import CheckStatus
from brandkit.pipeline import expectation_from_provenance
from brandkit.spec.models import BrandSpec
from brandkit.warm_cache import RESOURCE_KEY, WarmCache
from tests.support.gate_corpus import load_cases, render_all
from tests.support.logo_checks import count_logo_preparations, run_logo_check


def _logo_check(spec: BrandSpec, image: Image.Image, resources: CheckResources) -> tuple[CheckStatus, dict]:
    res = run_logo_check(spec, image, resources)
    return res.status, res.details


@pytest.mark.parametrize("seed", [0, 2])
def test_fast_masked_correlation_equals_opencvs_masked_match(northwind: BrandSpec, seed: int) -> None:
    logo = prepare_logo(load_image(northwind.asset_path(northwind.logo("primary").file)), "primary", 255)
    assert logo.masked  # the wordmark has transparent gaps: the masked path is the one measured
    scene = grey_scene(make_poster(northwind, 640, 640, logo_px=200 if seed == 0 else None, seed=seed), 255)
    for width in (60, 120, 200):
        templ, mask = resized(logo, width, round(width * logo.aspect))
        ours = masked_score(scene, templ, mask, True)
        with_stats = masked_score(scene, templ, mask, True, SceneStats(scene))
        theirs = np.array(cv2.matchTemplate(scene, templ, cv2.TM_CCOEFF_NORMED, mask=mask), dtype=np.float32)
        usable = ours > -1.0  # flat windows are discarded by both paths' callers
        assert usable.mean() > 0.3
        assert np.abs(ours[usable] - theirs[usable]).max() < 1e-3  # float32 rounding in near-flat windows
        strong = usable & (theirs > 0.3)
        assert np.abs(ours[strong] - theirs[strong]).max() < 1e-4
        assert np.array_equal(ours, with_stats)
        assert np.unravel_index(ours.argmax(), ours.shape) == np.unravel_index(
            np.where(usable, theirs, -1).argmax(), theirs.shape
        )


def test_early_exit_gives_the_full_searchs_decision(northwind: BrandSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = make_poster(northwind, 1024, 1024, logo_px=None, seed=2)
    status, details = _logo_check(northwind, missing, CheckResources())
    info = details["detection"]
    assert status is CheckStatus.failed and details["found"] is False
    assert info["coarse_best_score"] < COARSE_EXIT_SCORE and "early_exit" in info
    assert "template_best_score" not in info  # the fine search did not run

    monkeypatch.setattr(detection_module, "COARSE_EXIT_SCORE", -2.0)  # the full search
    full_status, full_details = _logo_check(northwind, missing, CheckResources())
    assert full_status is status and full_details["found"] is False
    assert "early_exit" not in full_details["detection"] and "template_best_score" in full_details["detection"]


@pytest.mark.parametrize(
    "case_id", ["lumen-health-launch-evening-square-jpeg-copy", "lumen-health-daily-clock-landscape-resized-copy"]
)
def test_a_logo_only_the_template_search_finds_never_exits_early(case_id: str) -> None:
    """Foreign copies (JPEG, resized) of the gate corpus whose logo ORB at 1× misses: the search past the early
    exit (upsampled ORB around the coarse candidates, else the fine template search) finds it."""
    case = next(c for c in load_cases() if c.id == case_id)
    data = render_all([case])[case.id].read_bytes()
    spec = load_spec(Path(__file__).resolve().parents[1] / "brand_specs" / case.brand)
    exp = expectation_from_provenance(data, detect_format(data) or "png")
    ctx = CheckContext(spec=spec, image=load_image(data), data=data, expectation=exp, resources=CheckResources())
    details = LogoCheck().run(ctx).details
    assert details["found"] is True and details["method"] in ("orb", "orb-upsampled", "template"), details
    assert details["detection"]["orb"].startswith("x1: no match")
    assert details["method"] == "template" or "candidate" in details["detection"]["orb"]  # past the whole scene
    assert details["detection"]["coarse_best_score"] >= COARSE_EXIT_SCORE
    assert "early_exit" not in details["detection"]


def test_a_small_logo_passes_the_early_exit_and_is_found_by_upsampled_orb(northwind: BrandSpec) -> None:
    small = make_poster(northwind, 1024, 1024, logo_px=110, seed=1)  # ORB at 1× misses it
    status, details = _logo_check(northwind, small, CheckResources())
    assert details["found"] is True and details["method"] == "orb-upsampled"
    assert details["detection"]["coarse_best_score"] >= COARSE_EXIT_SCORE and "early_exit" not in details["detection"]
    assert status is CheckStatus.failed and details["failed_rules"] == ["too_small"]


def _same(a: object, b: object) -> None:
    for name in ("grey", "mask", "alpha", "keypoints", "descriptors"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in ("aspect", "source_size", "trim_scale", "masked", "variant"):
        assert getattr(a, name) == getattr(b, name), name


def test_prepared_features_come_from_the_warm_cache(
    northwind: BrandSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = northwind.asset_path(northwind.logo("primary").file)
    cache = WarmCache(tmp_path / "cache")
    real = features_module.prepare_logo
    calls = count_logo_preparations(monkeypatch)
    first = prepared_from_file(path, "primary", 255, cache)
    again = prepared_from_file(path, "primary", 255, cache)  # another process: same folder, nothing in memory
    assert calls == [1]
    _same(first, again)
    _same(first, real(load_image(path), "primary", 255))
    dark = prepared_from_file(path, "primary", 0, cache)  # another backdrop is another entry
    assert calls == [1, 1] and not np.array_equal(dark.grey, first.grey)

    changed = tmp_path / "logo.png"
    image = load_image(path).convert("RGBA")
    image.crop((0, 0, image.width // 2, image.height)).save(changed)
    prepared_from_file(changed, "primary", 255, cache)
    assert calls == [1, 1, 1]  # a changed file is a new key: never the stale entry

    entry = cache.path_for(CACHE_KIND, features_key(__import__("hashlib").sha256(path.read_bytes()).hexdigest(), 255))
    assert entry is not None and entry.exists()
    entry.write_bytes(b"truncated")
    _same(prepared_from_file(path, "primary", 255, cache), first)  # corrupt: prepared again and stored
    assert calls == [1, 1, 1, 1]
    prepared_from_file(path, "primary", 255, cache)
    assert calls == [1, 1, 1, 1]


def test_the_logo_check_uses_the_kits_warm_cache(northwind: BrandSpec, tmp_path: Path) -> None:
    image = make_poster(northwind, 1024, 1024, logo_px=246)
    resources = CheckResources()
    resources.put(RESOURCE_KEY, WarmCache(tmp_path / "kit-cache"))
    status, _ = _logo_check(northwind, image, resources)
    assert status is CheckStatus.passed
    assert list((tmp_path / "kit-cache" / CACHE_KIND).glob("*.npz"))  # stored for the next process


@pytest.mark.parametrize("px", [246, 300])
def test_orb_readings_share_their_correlations_and_read_the_same(
    northwind: BrandSpec, px: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ORB's two verifications (the homography's shape and the undistorted logo, same centre) share the sizes
    they both try: each size is correlated once, and the detection is exactly the one two independent
    verifications give."""
    import brandkit.checks.logo.orb as orb_module
    import brandkit.checks.logo.verify as verify_module

    logo = prepare_logo(load_image(northwind.asset_path(northwind.logo("primary").file)), "primary", 255)
    scene = grey_scene(make_poster(northwind, 1024, 1024, logo_px=px), 255)
    calls: list[tuple[float, float, int, int]] = []
    real_match_near = verify_module.match_near

    def counting(*args: Any) -> Any:
        calls.append((args[2], args[3], args[4], args[5]))
        return real_match_near(*args)

    monkeypatch.setattr(verify_module, "match_near", counting)
    shared = orb_module.orb_detect(scene, logo)
    assert shared is not None and shared.method == "orb"
    assert len(calls) > 9  # one verification tries at most 9 sizes: both readings ran (the case this is about)
    assert len(calls) == len(set(calls)), "a size was correlated twice at the same centre"
    shared_calls = len(calls)

    calls.clear()
    real_verify = verify_module.verify
    monkeypatch.setattr(orb_module, "verify", lambda *args, seen=None: real_verify(*args[:6]))  # no sharing
    independent = orb_module.orb_detect(scene, logo)
    assert independent == shared  # box, size, score, aspect, rotation, skew, inliers: identical
    assert len(calls) > shared_calls
