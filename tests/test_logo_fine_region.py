"""The fine template search and its polish share one region per place (issue 21, tenth pass).

``_fine_match`` tries 11 widths around a coarse candidate and ``_polish`` up to 18 sizes around the best hit; each
size used to transform its own window in three ``matchTemplate`` calls. Now the windows of one place share a
:class:`~brandkit.checks.logo.matching.Region` (the scene's spectra computed once, three spectrum products per
size): the same best place and size, the score to float32 rounding — on a real photograph with the logo, on the
same photograph without it (where the logo-absent search spends its time), and for a dark scene. The kernels'
spectra of these one-off sizes are not kept on the logo (they would push the recurring sizes out of its table).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance

import brandkit
import brandkit.checks.logo.template as template_module
from brandkit.checks.base import CheckResources
from brandkit.checks.logo.constants import FINE_SCALE_STEPS, NEAR_ASPECTS
from brandkit.checks.logo.features_cache import prepared_for_spec
from brandkit.checks.logo.prepare import PreparedLogo, grey_scene
from brandkit.checks.logo.template import Candidate, _fine_match, _polish
from brandkit.checks.logo.verify import both_roundings
from brandkit.compose import logo_image
from brandkit.imageio import load_image
from brandkit.layout import resize_logo
from tests.support.gate_corpus import load_cases, render_all

ROOT = Path(__file__).resolve().parents[1]
PHOTO = "northwind-coffee-cup-square-bare-photo"
AT = (610, 90)


@pytest.fixture(scope="module")
def photo() -> tuple[brandkit.BrandSpec, Image.Image]:
    case = next(c for c in load_cases() if c.id == PHOTO)
    data = render_all([case])[case.id].read_bytes()
    return brandkit.load_spec(ROOT / "brand_specs" / case.brand), load_image(data).convert("RGB")


def _scene(spec: brandkit.BrandSpec, photo: Image.Image, px: int | None, dark: bool) -> np.ndarray:
    image = photo.copy()
    if px is not None:
        logo = resize_logo(logo_image(spec, spec.logo("primary")), px)
        image.paste(logo, AT, logo)
    if dark:
        image = ImageEnhance.Brightness(image).enhance(0.15)
    return grey_scene(image, 255)


def _alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every size matched in its own window (what the search did before the shared region)."""
    monkeypatch.setattr(template_module, "shared_region", lambda scene, windows, keep=True: None)


def _same(shared: tuple[float, ...], alone: tuple[float, ...]) -> None:
    assert shared[1:] == alone[1:]  # place, size and aspect: exactly
    assert shared[0] == pytest.approx(alone[0], abs=1e-5)


def _spectra_kept(logo: PreparedLogo) -> int:
    return sum(1 for key in logo.sized._items if len(key) == 4)


@pytest.mark.parametrize(("px", "dark"), [(240, False), (180, True), (None, False)])
def test_the_fine_search_reads_the_same_with_one_region_per_place(
    photo: tuple[brandkit.BrandSpec, Image.Image], monkeypatch: pytest.MonkeyPatch, px: int | None, dark: bool
) -> None:
    spec, image = photo
    scene = _scene(spec, image, px, dark)
    logo = prepared_for_spec(spec, CheckResources(), spec.logo("primary"), 255)
    width = 240.0 if px is None else px / logo.trim_scale * 1.04  # a coarse candidate 4 % off the logo's width
    cand = Candidate(0.9, AT[0] - 6.0, AT[1] + 3.0, width, width * logo.aspect)
    spectra_before = _spectra_kept(logo)
    shared = [_fine_match(scene, 1.0, logo, cand, (1.0,), FINE_SCALE_STEPS)]
    shared.append(_fine_match(scene, 1.0, logo, cand, NEAR_ASPECTS, 7))
    shared.append(_polish(scene, logo, shared[0]))
    assert _spectra_kept(logo) == spectra_before  # one-off sizes: their spectra not kept
    _alone(monkeypatch)
    alone = [_fine_match(scene, 1.0, logo, cand, (1.0,), FINE_SCALE_STEPS)]
    alone.append(_fine_match(scene, 1.0, logo, cand, NEAR_ASPECTS, 7))
    alone.append(_polish(scene, logo, alone[0]))
    for ours, theirs in zip(shared, alone, strict=True):
        _same(ours, theirs)
    if px is not None:  # the logo is found, at its place, polished to a pass
        assert shared[2][0] >= 0.85 and abs(shared[2][1] - AT[0]) <= 3 and abs(shared[2][2] - AT[1]) <= 3
    else:  # the photograph alone: nothing near a pass
        assert shared[2][0] < 0.85


def test_both_roundings_of_a_height() -> None:
    assert both_roundings(12.3) == [12, 13]
    assert both_roundings(12.0) == [12]  # a whole height: tried once
    assert both_roundings(0.5) == [0, 1]  # callers drop heights too small to match
