"""The logo check's CPU savings of issue 21's third pass decide as before.

* OpenCV runs single-threaded while a logo check runs (its pool's workers spin between the check's many small
  calls: CPU without wall-time gain) and the process's previous thread count is restored afterwards — also when
  the check raises, and only when the last of several overlapping checks of the kit leaves.
* RANSAC draws only the samples that can find an acceptable homography (``ransac_iterations``): where one with
  ``ORB_MIN_INLIERS`` inliers exists it returns OpenCV's uncapped homography and inliers, and ORB reads the
  posters as before.
* The coarse search's peak check sums its window directly instead of building integral images: the same numbers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

import brandkit.checks.logo.check as check_module
import brandkit.checks.logo.orb as orb_module
from benchmarks.bench_checks import make_poster
from brandkit.checks.base import CheckResources
from brandkit.checks.logo import prepare_logo
from brandkit.checks.logo.constants import ORB_MIN_INLIERS, RANSAC_MAX_ITERS
from brandkit.checks.logo.matching import SceneStats
from brandkit.checks.logo.orb import orb_detect, ransac_iterations
from brandkit.checks.logo.prepare import PreparedLogo, grey_scene
from brandkit.checks.opencv_threads import OpenCvThreads
from brandkit.imageio import load_image
from brandkit.models import CheckStatus
from brandkit.spec.models import BrandSpec
from tests.support.logo_checks import run_logo_check


@pytest.fixture
def three_threads() -> Iterator[None]:
    """OpenCV set to 3 threads (a value the check never picks itself) for the test, put back afterwards."""
    before = cv2.getNumThreads()
    cv2.setNumThreads(3)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def _logo(spec: BrandSpec) -> PreparedLogo:
    return prepare_logo(load_image(spec.asset_path(spec.logo("primary").file)), "primary", 255)


def test_opencv_is_single_threaded_during_the_check_and_restored_after(
    northwind: BrandSpec, monkeypatch: pytest.MonkeyPatch, three_threads: None
) -> None:
    seen: list[int] = []
    real = check_module.detect_logo

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(cv2.getNumThreads())
        return real(*args, **kwargs)

    monkeypatch.setattr(check_module, "detect_logo", spy)
    poster = make_poster(northwind, 640, 640, logo_px=200, seed=0)
    res = run_logo_check(northwind, poster, CheckResources())
    assert res.status is CheckStatus.passed and res.details["found"] is True
    assert seen == [1]  # the detection ran on one OpenCV thread
    assert cv2.getNumThreads() == 3  # the process's setting is back


def test_the_thread_count_is_restored_when_the_check_raises(
    northwind: BrandSpec, monkeypatch: pytest.MonkeyPatch, three_threads: None
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("detector broke")

    monkeypatch.setattr(check_module, "detect_logo", broken)
    resources = CheckResources()
    with pytest.raises(RuntimeError, match="detector broke"):
        run_logo_check(northwind, make_poster(northwind, 320, 320, logo_px=None, seed=0), resources)
    assert cv2.getNumThreads() == 3
    assert OpenCvThreads.of(resources).users == 0


def test_overlapping_checks_restore_the_count_when_the_last_one_leaves(three_threads: None) -> None:
    resources = CheckResources()
    threads = OpenCvThreads.of(resources)
    assert OpenCvThreads.of(resources) is threads  # one counter per kit
    first, second = threads.single(), threads.single()
    first.__enter__()
    assert cv2.getNumThreads() == 1
    second.__enter__()  # a second check of the same kit starts in another thread
    first.__exit__(None, None, None)  # the first one ends while the second still runs
    assert cv2.getNumThreads() == 1 and threads.users == 1
    second.__exit__(None, None, None)
    assert cv2.getNumThreads() == 3 and threads.users == 0


def _planted(rng: np.random.Generator, matches: int, inliers: int) -> tuple[np.ndarray, np.ndarray]:
    """``matches`` point pairs of which ``inliers`` follow one homography (with 1.5 px noise), the rest random."""
    h = np.array(
        [
            [0.8 + 0.4 * rng.random(), 0.05 * rng.random(), 500 * rng.random()],
            [0.05 * rng.random(), 0.8 + 0.4 * rng.random(), 500 * rng.random()],
            [0.0, 0.0, 1.0],
        ]
    )
    src = (rng.random((matches, 1, 2)) * 300).astype(np.float32)
    dst = cv2.perspectiveTransform(src.astype(np.float64), h).astype(np.float32)
    dst += rng.normal(0, 1.5, dst.shape).astype(np.float32)
    dst[inliers:] = (rng.random((matches - inliers, 1, 2)) * 1000).astype(np.float32)
    return src, dst


def test_ransac_samples_fewer_but_finds_every_acceptable_homography_as_before() -> None:
    assert ransac_iterations(20) < 200  # ~20 survivors on a logo-free scene: OpenCV alone draws up to 2,000
    assert ransac_iterations(ORB_MIN_INLIERS) >= 1 and ransac_iterations(10_000) == RANSAC_MAX_ITERS
    rng = np.random.default_rng(11)
    for _ in range(60):
        matches = int(rng.integers(16, 90))
        inliers = int(rng.integers(ORB_MIN_INLIERS + 1, min(matches, 40)))
        src, dst = _planted(rng, matches, inliers)
        full, full_mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0)
        capped, capped_mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0, maxIters=ransac_iterations(matches))
        assert int(full_mask.sum()) >= ORB_MIN_INLIERS  # an acceptable homography exists and OpenCV finds it
        assert np.array_equal(full_mask, capped_mask) and np.array_equal(full, capped)


@pytest.mark.parametrize(("px", "seed"), [(None, 2), (246, 0), (300, 3)])
def test_orb_reads_the_posters_as_with_opencvs_uncapped_ransac(
    northwind: BrandSpec, monkeypatch: pytest.MonkeyPatch, px: int | None, seed: int
) -> None:
    logo = _logo(northwind)
    scene = grey_scene(make_poster(northwind, 1024, 1024, logo_px=px, seed=seed), 255)
    capped = orb_detect(scene, logo, 1.0)
    monkeypatch.setattr(orb_module, "ransac_iterations", lambda matches: RANSAC_MAX_ITERS)
    uncapped = orb_detect(scene, logo, 1.0)
    assert capped == uncapped
    assert (capped is None) == (px is None)


def test_peak_windows_summed_directly_equal_the_integral_images() -> None:
    rng = np.random.default_rng(5)
    scene = rng.integers(0, 256, (97, 131), dtype=np.uint8)
    stats = SceneStats(scene)
    for _ in range(50):
        th, tw = int(rng.integers(1, 40)), int(rng.integers(1, 60))
        y, x = int(rng.integers(0, 97 - th + 1)), int(rng.integers(0, 131 - tw + 1))
        total, squares = stats.window_moments(x, y, tw, th)
        s, q = stats.sums, stats.sqsums
        assert total == s[y + th, x + tw] - s[y, x + tw] - s[y + th, x] + s[y, x]
        assert squares == q[y + th, x + tw] - q[y, x + tw] - q[y + th, x] + q[y, x]


def test_grey_scene_of_an_rgb_image_equals_the_converted_copys(northwind: BrandSpec) -> None:
    poster = make_poster(northwind, 300, 200, logo_px=None, seed=1)
    assert poster.mode == "RGB"
    expected = cv2.cvtColor(np.asarray(poster.convert("RGB"), dtype=np.uint8), cv2.COLOR_RGB2GRAY)
    assert np.array_equal(grey_scene(poster, 255), expected)


def test_the_ocr_read_runs_opencv_single_threaded_and_shares_the_kits_counter(
    northwind: BrandSpec, three_threads: None
) -> None:
    """The OCR read's resizes and warps are small too: one OpenCV thread while it reads (the same counter as the
    logo check's, in the kit's resources), the process's setting back after — also when the engine raises."""
    from brandkit.checks.ocr_reading import ocr_for_context
    from tests.checks_support import FakeOcr, context, resources_with

    seen: list[int] = []

    class Spy(FakeOcr):
        def read(self, image: Any) -> Any:
            seen.append(cv2.getNumThreads())
            return super().read(image)

    image = make_poster(northwind, 320, 320, logo_px=None, seed=0)
    resources = resources_with(Spy())
    reading = ocr_for_context(context(northwind, image, resources))
    assert reading.error is None and seen == [1]
    assert cv2.getNumThreads() == 3 and OpenCvThreads.of(resources).users == 0
    broken = resources_with(FakeOcr(error=RuntimeError("engine broke")))
    failed = ocr_for_context(context(northwind, image, broken))
    assert failed.error is not None and "engine broke" in failed.error  # fails closed, says why
    assert cv2.getNumThreads() == 3 and OpenCvThreads.of(broken).users == 0


def test_the_contrast_check_measures_its_patches_on_one_opencv_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, three_threads: None
) -> None:
    """The contrast patches' connected components are small: one OpenCV thread while the lines are measured (the
    kit's counter), the process's setting back after — the same measurements."""
    import brandkit.checks.contrast as contrast_module
    from brandkit.ocr import OcrLine
    from tests.checks_support import FakeOcr, Poster, Text, context, make_spec, resources_with

    spec = make_spec(tmp_path)  # no copy required: every line read is measured
    seen: list[int] = []
    real = contrast_module._measure_patch

    def spy(patch: Any) -> Any:
        seen.append(cv2.getNumThreads())
        return real(patch)

    image = Poster(texts=[Text("Dark line", (64, 100), 48), Text("Pale line", (64, 300), 48, fill="#E8E2D8")]).render()
    lines = [OcrLine("Dark line", (60, 100, 300, 150), 0.9), OcrLine("Pale line", (60, 300, 300, 350), 0.9)]
    with monkeypatch.context() as patch:  # the reference: the patches measured on the process's 3 threads
        patch.setattr(contrast_module.OpenCvThreads, "single", lambda self: contextlib.nullcontext())
        patch.setattr(contrast_module, "_measure_patch", spy)
        unscoped = contrast_module.ContrastCheck().run(context(spec, image, resources_with(FakeOcr(lines))))
    assert seen == [3, 3]
    seen.clear()
    monkeypatch.setattr(contrast_module, "_measure_patch", spy)
    resources = resources_with(FakeOcr(lines))
    res = contrast_module.ContrastCheck().run(context(spec, image, resources))
    assert seen == [1, 1]  # both lines measured on one OpenCV thread
    assert cv2.getNumThreads() == 3 and OpenCvThreads.of(resources).users == 0
    assert res.details["lines"] == unscoped.details["lines"] and res.status is unscoped.status
