"""``detect_logo``: at the layout's box first, then ORB, then template matching (see the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from brandkit.checks.logo.constants import (
    COARSE_EXIT_SCORE,
    ORB_CROP_MARGIN,
    ORB_MAX_SCENE_SIDE,
    ORB_MAX_UPSCALE,
    ORB_MAX_UPSCALED_PIXELS,
    ORB_MIN_CROP_FEATURES,
    ORB_PATCH_BORDER,
    ORB_SCENE_FEATURES,
    ORB_SMALL_LOGO_PX,
    ORB_VERIFY_MIN,
)
from brandkit.checks.logo.expected_box import at_expected_box
from brandkit.checks.logo.orb import orb_detect
from brandkit.checks.logo.prepare import LogoDetection, PreparedLogo
from brandkit.checks.logo.scene import LogoScene
from brandkit.checks.logo.template import Candidate, coarse_candidates, template_detect
from brandkit.geometry import PixelBox


def detect_logo(
    scene: np.ndarray,
    logo: PreparedLogo,
    min_width: float | None = None,
    max_width: float | None = None,
    expected_box: PixelBox | None = None,
    shared: LogoScene | None = None,
    fast_only: bool = False,
    sized: tuple[float, float] | None = None,
    centres: Sequence[PixelBox] | None = None,
    box_only: bool = False,
) -> tuple[LogoDetection | None, dict[str, Any]]:
    """Find ``logo`` in the grey uint8 ``scene``: at ``expected_box`` first (where the layout puts the logo
    file, when known), then ORB, then masked template matching as fallback.

    ``min_width``/``max_width`` bound the template search (rendered width in pixels);
    by default 3%–60% of the scene width. ``shared``: the image's :class:`LogoScene` (``scene`` is its grey
    scene), whose work the variants of one image share — the same answers. ``fast_only``: stop after ORB on the
    whole scene (the fast pass over every variant of a file without provenance; ``info["fast_pass"]`` says so).
    ``sized``: the visible widths (min, max) that can pass the size rule (see
    :func:`~brandkit.checks.logo.template.coarse_candidates`). ``centres``: the boxes where the logo's centre must
    lie to pass the placement rule (``rules.placement_regions``): ORB on the whole scene still looks anywhere (a
    logo plain to see in the wrong place is named misplaced), the coarse-to-fine search only at windows centred
    in them (a logo it would find elsewhere fails the placement rule either way); ``None``: anywhere. ``box_only``:
    look at ``expected_box`` only (another variant read where one was found: ``LogoCheck``'s variant fit).
    """
    info: dict[str, Any] = {}
    if expected_box is not None:
        at_box, how = at_expected_box(scene, logo, expected_box)
        if at_box is not None:
            info["expected_box"] = f"found ({how})"
            return at_box, info
        if box_only:
            info["expected_box"] = f"not there ({how})"
            return None, info
        info["expected_box"] = f"not there ({how}); searched the whole image" + (
            "" if centres is None else " by ORB, the allowed placements by template"
        )
    width = scene.shape[1]
    lo = min_width if min_width is not None else 0.03 * width
    hi = max_width if max_width is not None else 0.6 * width
    long_side = max(scene.shape[:2])
    factors = [min(1.0, ORB_MAX_SCENE_SIDE / long_side)]
    # Small logos have too few corners at their rendered size: try again on an upsampled scene.
    pixels = float(scene.shape[0] * scene.shape[1])
    up = min(ORB_MAX_UPSCALE, ORB_SMALL_LOGO_PX / max(lo, 1.0), math.sqrt(ORB_MAX_UPSCALED_PIXELS / pixels))
    if up >= 1.25:
        factors.append(up)
    if shared is None:  # a scene of this search's own: the same calls, nothing kept beyond it
        shared = LogoScene(scene, share=False)

    def read() -> tuple[LogoDetection | None, list[str]]:
        said: list[str] = []
        return _orb_attempt(scene, logo, factors[0], said, shared=shared), said

    found, notes = shared.orb_reading(logo.variant, factors[0], read)
    if found is not None:
        info["orb"] = "; ".join(notes)
        return found, info
    if fast_only:
        info["orb"] = "; ".join(notes)
        info["fast_pass"] = "ORB on the whole scene only"
        return None, info
    # Early exit: the coarse template search (low resolution) finds where anything resembles the logo at an
    # allowed size; when nothing comes near, neither upsampled ORB nor the fine search can succeed. Otherwise
    # its candidates are reused by the fine search.
    candidates = coarse_candidates(scene, logo, lo, max(lo, hi), shared, sized, centres)
    best = candidates[0].score if candidates else -1.0
    info["coarse_best_score"] = round(best, 4)
    if best < COARSE_EXIT_SCORE:
        info["orb"] = "; ".join(notes)
        info["template_candidates"] = len(candidates)
        info["early_exit"] = (
            f"nothing resembles the logo at any allowed size (best coarse score {best:.2f} < "
            f"{COARSE_EXIT_SCORE}): upsampled ORB and the fine template search skipped"
        )
        return None, info
    for factor in factors[1:]:
        found = _orb_near_candidates(scene, logo, factor, candidates, notes)
        if found is not None:
            info["orb"] = "; ".join(notes)
            return found, info
    info["orb"] = "; ".join(notes)
    found, extra = template_detect(scene, logo, lo, max(lo, hi), candidates)
    info.update(extra)
    return found, info


def _orb_near_candidates(
    scene: np.ndarray, logo: PreparedLogo, factor: float, candidates: list[Candidate], notes: list[str]
) -> LogoDetection | None:
    """Upsampled ORB around each coarse candidate (best first) instead of on the whole upsampled scene: the
    coarse search already says where anything resembles the logo, and a crop costs a fraction of the scene.

    Each crop is the candidate's box widened by :data:`ORB_CROP_MARGIN` × its size on every side (plus the ORB
    patch border), so the verification around the found box stays inside the crop; the detection's box is moved
    back to scene pixels."""
    sh, sw = scene.shape[:2]
    for index, cand in enumerate(candidates):
        # upsampled for a small candidate only: a candidate as wide as ORB_SMALL_LOGO_PX is read at its own scale,
        # where its corners already are (the crop frees them from the rest of the image's keypoints)
        scale = factor if cand.w < ORB_SMALL_LOGO_PX else 1.0
        border = math.ceil(ORB_PATCH_BORDER / scale)
        mx, my = ORB_CROP_MARGIN * cand.w + border, ORB_CROP_MARGIN * max(cand.h, 0.25 * cand.w) + border
        x0, y0 = max(0, math.floor(cand.x - mx)), max(0, math.floor(cand.y - my))
        x1, y1 = min(sw, math.ceil(cand.x + cand.w + mx)), min(sh, math.ceil(cand.y + cand.h + my))
        # as many keypoints per pixel as ORB keeps on the whole upsampled scene: the same density of features
        share = (x1 - x0) * (y1 - y0) / float(sw * sh)
        features = max(ORB_MIN_CROP_FEATURES, round(ORB_SCENE_FEATURES * share))
        found = _orb_attempt(scene[y0:y1, x0:x1], logo, scale, notes, f"candidate {index + 1}", features)
        if found is not None:
            bx0, by0, bx1, by1 = found.box
            found.box = (bx0 + x0, by0 + y0, bx1 + x0, by1 + y0)
            return found
    return None


def _orb_attempt(
    scene: np.ndarray,
    logo: PreparedLogo,
    factor: float,
    notes: list[str],
    where: str = "",
    features: int = ORB_SCENE_FEATURES,
    shared: LogoScene | None = None,
) -> LogoDetection | None:
    """ORB on the scene resized by ``factor``: the verified detection, or ``None`` (``notes`` says why).
    ``shared``: the :class:`LogoScene` of the whole scene (its keypoints computed once for every variant)."""
    found = orb_detect(scene, logo, factor, features, shared)
    label = f"x{factor:.2g}" + (f" {where}" if where else "")
    if found is not None and found.score >= ORB_VERIFY_MIN:
        notes.append(f"{label}: found")
        if factor > 1.0:
            found.method = "orb-upsampled"
        return found
    if found is not None:
        # Features agree but the pixels do not (e.g. the brand name set as text near a
        # different mark): not the logo.
        notes.append(f"{label}: rejected (verification score {found.score:.2f} < {ORB_VERIFY_MIN})")
    else:
        notes.append(f"{label}: no match")
    return None
