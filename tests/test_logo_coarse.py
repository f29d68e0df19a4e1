"""The logo search's cheaper coarse stage decides as before (issue 21, second pass).

* Near-flat windows are discarded at the peaks only (:func:`valid_peak` on a :func:`raw_score` map): the best
  places must be exactly those of the fully masked map (:func:`masked_score`), including when the highest raw
  peak is a near-flat window (a low-contrast copy of the logo) and when the one-by-one check gives up and masks
  the whole map.
* Upsampled ORB runs on crops around the coarse candidates instead of the whole upsampled scene: it finds the
  small logo where the whole-scene run finds it.
"""

from __future__ import annotations

import numpy as np
import pytest

import brandkit.checks.logo.matching as matching_module
from benchmarks.bench_checks import make_poster
from brandkit.checks.logo import prepare_logo
from brandkit.checks.logo.detection import detect_logo
from brandkit.checks.logo.matching import SceneStats, masked_score, min_max, raw_score, resized, valid_peak
from brandkit.checks.logo.orb import orb_detect
from brandkit.checks.logo.prepare import PreparedLogo, grey_scene
from brandkit.imageio import load_image
from brandkit.spec.models import BrandSpec


def _logo(spec: BrandSpec) -> PreparedLogo:
    return prepare_logo(load_image(spec.asset_path(spec.logo("primary").file)), "primary", 255)


def _two_peaks(res: np.ndarray, th: int, tw: int, pick: object) -> list[tuple[float, tuple[int, int]]]:
    """The coarse search's two best places: best, then best outside the first one's neighbourhood."""
    out = []
    for _ in range(2):
        score, (x, y) = pick(res)  # type: ignore[operator]
        out.append((score, (x, y)))
        rx, ry = max(1, tw // 2), max(1, th // 2)
        res[max(0, y - ry) : y + ry + 1, max(0, x - rx) : x + rx + 1] = -1.0
    return out


def _scene_with_a_faint_copy(logo: PreparedLogo, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A noisy scene holding the logo twice: at full contrast (with noise) and as a faint copy (±2 grey levels)
    whose raw masked correlation is higher but whose window is near-flat (std < MIN_WINDOW_STD)."""
    rng = np.random.default_rng(7)
    templ, mask = resized(logo, width, round(width * logo.aspect))
    th, tw = templ.shape
    scene = rng.normal(128, 20, (360, 480)).clip(0, 255)
    scene[20 : 20 + 3 * th, 20 : 20 + 2 * tw] = 128.0  # a flat field for the faint copy
    faint = 128.0 + (templ.astype(np.float64) - templ.mean()) / max(np.ptp(templ), 1) * 4.0
    scene[30 : 30 + th, 40 : 40 + tw] = faint
    strong = templ.astype(np.float64) + rng.normal(0, 25, templ.shape)
    scene[200 : 200 + th, 250 : 250 + tw] = strong.clip(0, 255)
    return np.rint(scene).astype(np.uint8), templ, mask


def test_peaks_checked_lazily_are_those_of_the_fully_masked_map(
    northwind: BrandSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    logo = _logo(northwind)
    scene, templ, mask = _scene_with_a_faint_copy(logo, 120)
    th, tw = templ.shape
    stats = SceneStats(scene)
    raw = raw_score(scene, templ, mask, logo.masked, stats)
    faint_score, faint_at = min_max(raw.copy())
    assert faint_at == (40, 30) and faint_score > 0.9  # the raw map's best place is the near-flat faint copy

    expected = _two_peaks(masked_score(scene, templ, mask, logo.masked, stats), th, tw, min_max)
    assert expected[0][1] == (250, 200)  # the fully masked map discards it: the strong copy wins
    lazy = _two_peaks(raw.copy(), th, tw, lambda res: valid_peak(res, stats, th, tw))
    assert lazy == expected

    monkeypatch.setattr(matching_module, "FLAT_PEAKS_BEFORE_FULL_MASK", 0)  # give up at once: mask the map
    assert _two_peaks(raw.copy(), th, tw, lambda res: valid_peak(res, stats, th, tw)) == expected


@pytest.mark.parametrize("seed", [0, 2])
def test_lazy_peaks_equal_the_masked_maps_on_the_posters(northwind: BrandSpec, seed: int) -> None:
    logo = _logo(northwind)
    scene = grey_scene(make_poster(northwind, 640, 640, logo_px=200 if seed == 0 else None, seed=seed), 255)
    stats = SceneStats(scene)
    for width in (60, 120, 200):
        templ, mask = resized(logo, width, round(width * logo.aspect))
        th, tw = templ.shape
        expected = _two_peaks(masked_score(scene, templ, mask, logo.masked, stats), th, tw, min_max)
        raw = raw_score(scene, templ, mask, logo.masked, stats)
        lazy = _two_peaks(raw, th, tw, lambda res, th=th, tw=tw: valid_peak(res, stats, th, tw))
        assert lazy == expected


def test_upsampled_orb_on_the_candidates_finds_the_small_logo_where_the_whole_scene_does(
    northwind: BrandSpec,
) -> None:
    logo = _logo(northwind)
    scene = grey_scene(make_poster(northwind, 1024, 1024, logo_px=110, seed=1), 255)
    whole = orb_detect(scene, logo, 2.0)  # what the previous code ran: ORB on the whole upsampled scene
    assert whole is not None
    found, info = detect_logo(scene, logo, 0.6 * 160 / logo.trim_scale, 0.45 * 1024)
    assert found is not None and found.method == "orb-upsampled", info
    assert "candidate" in info["orb"]  # found on a candidate's crop, not on the whole scene
    assert max(abs(a - b) for a, b in zip(found.box, whole.box, strict=True)) <= 2
    assert found.width == pytest.approx(whole.width, rel=0.03)
