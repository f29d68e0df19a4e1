"""Masked multi-scale template matching, coarse to fine, with squashed/stretched variants (distortion)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from brandkit.checks.logo.constants import (
    COARSE_BLUR,
    COARSE_CANDIDATES,
    COARSE_LEVEL_RATIO,
    COARSE_MIN_SIDE,
    COARSE_MIN_TEMPLATE,
    COARSE_MIN_TEMPLATE_HEIGHT,
    COARSE_SIZE_SLACK,
    COARSE_SIZED_CANDIDATES,
    COARSE_STEP,
    DISTORTION_MARGIN,
    FINE_SCALE_RANGE,
    FINE_SCALE_STEPS,
    LARGE_COARSE_CANDIDATES,
    LARGE_COARSE_SIZED_CANDIDATES,
    LARGE_FINE_SCALE_RANGE,
    LARGE_FINE_SCALE_STEPS,
    LARGE_SCENE_SIDE,
    NEAR_ASPECTS,
    TEMPLATE_SCENE_SIDE,
    TEMPLATE_THRESHOLD,
)
from brandkit.checks.logo.matching import SceneStats, downscaled, raw_score, shared_region, valid_peak
from brandkit.checks.logo.parts import part_scores, parts_agree
from brandkit.checks.logo.prepare import LogoDetection, PreparedLogo
from brandkit.checks.logo.scene import LogoScene
from brandkit.checks.logo.sized import resized
from brandkit.checks.logo.verify import both_roundings, near_window, window_best
from brandkit.geometry import PixelBox


@dataclass(frozen=True)
class Candidate:
    """A place found by the coarse search: its blurred correlation and box in original image pixels."""

    score: float
    x: float  # top-left and size in original image pixels
    y: float
    w: float
    h: float
    evidence: float = 0.0
    """How unlikely ``score`` is by chance over the template's pixels (:func:`evidence_of`)."""


def evidence_of(score: float, pixels: int) -> float:
    """Fisher's z of a correlation ``score`` over ``pixels`` samples, ``atanh(r)·√(n − 3)``: 0.92 over the ~150
    pixels of a small template at its pyramid level is weaker evidence than 0.89 over ~400 (a photograph's texture
    matches a small, blob-like template by chance far more often than a larger one)."""
    r = min(max(score, -0.999999), 0.999999)
    return math.atanh(r) * math.sqrt(max(pixels - 3, 1))


def coarse_candidates(
    scene: np.ndarray,
    logo: PreparedLogo,
    min_width: float,
    max_width: float,
    shared: LogoScene | None = None,
    sized: tuple[float, float] | None = None,
    centres: Sequence[PixelBox] | None = None,
) -> list[Candidate]:
    """Blurred multi-scale masked search on a pyramid of small copies of the scene; the best few places.

    Each logo width is searched on the smallest pyramid level (levels :data:`COARSE_LEVEL_RATIO` = √2 apart from
    the level the smallest width needs) at which the template is still at least
    :data:`COARSE_MIN_TEMPLATE` × :data:`COARSE_MIN_TEMPLATE_HEIGHT` px, so large
    widths cost a half, a quarter… of the small ones. The top level is at most :data:`TEMPLATE_SCENE_SIDE` px on its
    long side; on a larger image (a print export, a large banner) a width whose template would fall under the
    minimum there is searched on a level above it, up to the image itself: a smaller template is a blob that
    matches a photograph's texture by chance (0.95–0.99) and crowded the real logo out of the candidates.
    Near-flat windows are discarded at the two peaks kept per width
    (:func:`~brandkit.checks.logo.matching.valid_peak`), not over the whole map. ``shared``: the
    :class:`LogoScene` whose whole scene ``scene`` is — its levels (and their window sums per mask) are shared by
    the logo variants.

    ``sized``: the visible widths (min, max) a logo may have and pass the size rule. Of the
    :data:`COARSE_CANDIDATES` places kept (:data:`LARGE_COARSE_CANDIDATES` on an image larger than
    :data:`LARGE_SCENE_SIDE`), at least :data:`COARSE_SIZED_CANDIDATES` (:data:`LARGE_COARSE_SIZED_CANDIDATES`)
    are of such a width when there
    are any, chosen by :func:`evidence_of` (a correlation weighed by the template's pixels): on a photograph the
    best coarse scores go to the smallest widths searched (a blob-like template matches texture by chance), and a
    logo that could pass must not be crowded out by places that could only fail the size rule, nor by texture at
    the smallest allowed width. The best place of all is kept first (a window of texture of an allowed width must
    not hide a better match of another width at the same place: a logo too small is still reported as such), the
    others are the best places of any width by score.

    ``centres``: the boxes of the scene (pixels) where a logo's centre must lie to pass the placement rule; only
    windows centred there are scored (each box's crop of the level, the template's half size around it), and the
    best two places per width are the best two over the boxes. ``None``: anywhere.
    """
    import cv2

    h, w = scene.shape[:2]
    long_side = max(h, w)
    floor = min(1.0, COARSE_MIN_SIDE / long_side)

    def needed(width: float) -> float:
        return float(
            max(
                COARSE_MIN_TEMPLATE / max(width, 1.0),
                COARSE_MIN_TEMPLATE_HEIGHT / max(width * logo.aspect, 1.0),
                floor,
            )
        )

    top = min(1.0, TEMPLATE_SCENE_SIDE / long_side, needed(min_width))
    levels: dict[int, SceneStats] = {}

    def factor_at(k: int) -> float:  # level k's scale; negative k: above the top level, at most the image itself
        return float(min(1.0, top / COARSE_LEVEL_RATIO**k))

    def level(k: int) -> SceneStats:
        if k not in levels:
            factor = factor_at(k)

            def blurred() -> np.ndarray:
                return np.asarray(cv2.GaussianBlur(downscaled(scene, factor), (0, 0), COARSE_BLUR))

            levels[k] = SceneStats(blurred()) if shared is None else shared.level(factor, blurred)
        return levels[k]

    ratio = max_width / min_width
    steps = max(2, math.ceil(math.log(ratio) / math.log(COARSE_STEP)) + 1) if ratio > 1 else 1
    found: list[Candidate] = []
    for width in np.geomspace(min_width, max(min_width, max_width), steps):
        k = 0
        while top / COARSE_LEVEL_RATIO ** (k + 1) >= needed(float(width)):
            k += 1
        # a width too small for its template to keep the minimum size at the top level (a large image): a level
        # above it, at most the image itself — a template under the minimum matches texture by chance
        while factor_at(k) < min(1.0, needed(float(width))):
            k -= 1
        factor = factor_at(k)
        stats = level(k)
        sh, sw = stats.scene.shape[:2]
        tw = round(float(width) * factor)
        th = round(tw * logo.aspect)
        if tw < 8 or th < 5 or tw > sw or th > sh:
            continue
        templ, mask = resized(logo, tw, th)
        templ = cv2.GaussianBlur(templ, (0, 0), COARSE_BLUR)
        pixels = int(np.count_nonzero(mask)) if logo.masked else tw * th
        peaks: list[tuple[float, int, int]] = []
        for ox, oy, part in _crops(stats, centres, factor, tw, th):
            res = raw_score(part.scene, templ, mask, logo.masked, part)
            for _ in range(2):  # the best two places at this scale (near-flat windows discarded at the peaks)
                score, (x, y) = valid_peak(res, part, th, tw)
                if score <= 0:
                    break
                peaks.append((score, x + ox, y + oy))
                rx, ry = max(1, tw // 2), max(1, th // 2)
                res[max(0, y - ry) : y + ry + 1, max(0, x - rx) : x + rx + 1] = -1.0
        for score, x, y in sorted(peaks, key=lambda p: -p[0])[:2]:
            found.append(Candidate(score, x / factor, y / factor, tw / factor, th / factor, evidence_of(score, pixels)))
    found.sort(key=lambda c: -c.score)
    distinct: list[Candidate] = []
    large = long_side > LARGE_SCENE_SIDE  # more places refined on a large image (see LARGE_SCENE_SIDE)
    wanted = LARGE_COARSE_CANDIDATES if large else COARSE_CANDIDATES
    sized_wanted = LARGE_COARSE_SIZED_CANDIDATES if large else COARSE_SIZED_CANDIDATES

    def take(cand: Candidate) -> None:
        cx, cy = cand.x + cand.w / 2, cand.y + cand.h / 2
        if all(abs(cx - (o.x + o.w / 2)) > o.w / 3 or abs(cy - (o.y + o.h / 2)) > o.h / 2 for o in distinct):
            distinct.append(cand)

    if found:  # the best place of all first: a window of texture kept for the size rule must not hide it
        take(found[0])
    if sized is not None:
        low, high = sized[0] / COARSE_SIZE_SLACK, sized[1] * COARSE_SIZE_SLACK
        for cand in sorted((c for c in found if low <= c.w <= high), key=lambda c: -c.evidence):
            if sum(1 for o in distinct if low <= o.w <= high) >= sized_wanted:
                break
            take(cand)
    for cand in found:  # one already taken is not distinct from itself: take skips it
        if len(distinct) >= wanted:
            break
        take(cand)
    distinct.sort(key=lambda c: -c.score)
    return distinct


def _crops(
    stats: SceneStats, centres: Sequence[PixelBox] | None, factor: float, tw: int, th: int
) -> list[tuple[int, int, SceneStats]]:
    """``(x, y, stats)`` of each part of a coarse level to score a ``tw``×``th`` template on: the whole level, or
    per box of ``centres`` (scene pixels, scaled by ``factor``) the crop holding every window centred in it."""
    if centres is None:
        return [(0, 0, stats)]
    sh, sw = stats.scene.shape[:2]
    out = []
    for bx0, by0, bx1, by1 in centres:
        x0, y0 = max(0, math.floor(bx0 * factor - tw / 2)), max(0, math.floor(by0 * factor - th / 2))
        x1, y1 = min(sw, math.ceil(bx1 * factor + tw / 2)), min(sh, math.ceil(by1 * factor + th / 2))
        if x1 - x0 >= tw and y1 - y0 >= th:
            out.append((x0, y0, stats.view(x0, y0, x1, y1)))
    return out


def _fine_scales(aspect: float, steps: int, scale_range: float = FINE_SCALE_RANGE) -> np.ndarray:
    """Width factors to try around a candidate found with the undistorted template.

    A logo squashed to ``aspect`` × its height is best matched by the undistorted
    template at a width between its true width and ``aspect`` × that, so the range
    is widened towards ``1 / aspect``.
    """
    if aspect == 1.0 or scale_range < FINE_SCALE_RANGE:
        return np.linspace(1.0 - scale_range, 1.0 + scale_range, steps)
    lo = min(1.0, 1.0 / aspect) * (1.0 - scale_range)
    hi = max(1.0, 1.0 / aspect) * (1.0 + scale_range)
    return np.geomspace(lo, hi, steps)


def _fine_match(
    scene: np.ndarray,
    factor: float,
    logo: PreparedLogo,
    cand: Candidate,
    aspects: tuple[float, ...],
    steps: int,
    scale_range: float = FINE_SCALE_RANGE,
) -> tuple[float, float, float, float, float, float]:
    """Best (score, x, y, w, h, aspect) near ``cand`` on the fine scene (coordinates in original pixels). The
    windows of every size share one :class:`Region` (:func:`~brandkit.checks.logo.matching.shared_region`; the
    kernels' spectra of these one-off sizes not kept)."""
    sh, sw = scene.shape[:2]
    best = (-1.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    cx, cy = (cand.x + cand.w / 2) * factor, (cand.y + cand.h / 2) * factor
    tries: list[tuple[float, int, int, PixelBox]] = []
    for aspect in aspects:
        for k in _fine_scales(aspect, steps, scale_range):
            tw = round(cand.w * factor * float(k))
            th = round(tw * logo.aspect * aspect)
            if tw < 8 or th < 5 or tw > sw or th > sh:
                continue
            mx, my = max(4, round(0.2 * tw)), max(4, round(0.35 * cand.h * factor))
            rx0, ry0 = max(0, round(cx - tw / 2) - mx), max(0, round(cy - th / 2) - my)
            rx1, ry1 = min(sw, round(cx + tw / 2) + mx + 1), min(sh, round(cy + th / 2) + my + 1)
            if ry1 - ry0 < th or rx1 - rx0 < tw:
                continue
            tries.append((aspect, tw, th, (rx0, ry0, rx1, ry1)))
    region = shared_region(scene, [box for *_, box in tries], keep=False)
    for aspect, tw, th, window in tries:
        score, x, y = window_best(scene, logo, tw, th, window, region)
        if score > best[0]:
            best = (score, x / factor, y / factor, tw / factor, th / factor, aspect)
    return best


def _polish(
    scene: np.ndarray, logo: PreparedLogo, hit: tuple[float, float, float, float, float, float]
) -> tuple[float, float, float, float, float, float]:
    """Full-resolution polish of a hit: widths ±2% and both roundings of the height.

    Thin logos lose much of their score when the template is one pixel too
    short or too tall, so the height is tried rounded down and up.
    """
    _, x, y, w, h, aspect = hit
    best = (-1.0, 0.0, 0.0, 0.0, 0.0, aspect)
    widths = sorted({round(w * k) for k in np.linspace(0.98, 1.02, 9)})
    cx, cy = x + w / 2, y + h / 2
    sizes: list[tuple[int, int]] = []
    for tw in widths:
        exact = tw * logo.aspect * aspect
        sizes.extend((tw, th) for th in both_roundings(exact) if tw >= 8 and th >= 5)
    windows = [near_window(scene, cx, cy, tw, th, 0.03, 0.1) for tw, th in sizes]
    region = shared_region(scene, [box for box in windows if box is not None], keep=False)
    for (tw, th), window in zip(sizes, windows, strict=True):
        if window is None:  # the template does not fit there (match_near's None)
            continue
        score, bx, by = window_best(scene, logo, tw, th, window, region)
        if score > best[0]:
            best = (score, float(bx), float(by), float(tw), float(th), aspect)
    return best


def template_detect(
    scene: np.ndarray,
    logo: PreparedLogo,
    min_width: float,
    max_width: float,
    candidates: list[Candidate] | None = None,
) -> tuple[LogoDetection | None, dict[str, Any]]:
    """Masked multi-scale template matching, coarse to fine (see the module docstring); ``candidates``: the
    coarse search's result when already computed for these widths."""
    info: dict[str, Any] = {}
    h, w = scene.shape[:2]
    if candidates is None:
        candidates = coarse_candidates(scene, logo, min_width, max_width)
    info["template_candidates"] = len(candidates)
    if not candidates:
        return None, info
    factor = min(1.0, TEMPLATE_SCENE_SIDE / max(h, w))
    fine_scene = downscaled(scene, factor)
    # a large image's coarse widths are read on small levels, where the logo's own place can score best at a width
    # two steps off (see LARGE_FINE_SCALE_RANGE): its widths are refined over a wider range
    large = max(h, w) > LARGE_SCENE_SIDE
    span, steps = (LARGE_FINE_SCALE_RANGE, LARGE_FINE_SCALE_STEPS) if large else (FINE_SCALE_RANGE, FINE_SCALE_STEPS)
    hits = [(_fine_match(fine_scene, factor, logo, cand, (1.0,), steps, span), cand) for cand in candidates]
    hits.sort(key=lambda hit: -hit[0][0])  # the best first (stable: the coarse order among equals)
    refused: list[dict[str, Any]] = []
    found: tuple[tuple[float, float, float, float, float, float], list[float]] | None = None
    for hit, cand in hits:
        best_uniform = max(hit, _polish(scene, logo, hit))
        info.setdefault("template_best_score", round(best_uniform[0], 4))
        if best_uniform[0] < TEMPLATE_THRESHOLD:
            # Not there undistorted: not found (the other places score lower still). A squashed or stretched logo is
            # read by ORB, whose homography measures the distortion; the distorted template search that ran here
            # named none of 792 edited real-photo ads — benchmarks/bench_logo_rules.py — for a fifth of every
            # logo-free search's cost, and never changed a decision: a distorted logo fails either way.
            break
        best = best_uniform
        # Slightly squashed or stretched? Only accept another aspect if it is clearly better.
        near = _fine_match(fine_scene, factor, logo, cand, NEAR_ASPECTS, 7)
        if near[0] > best_uniform[0] + DISTORTION_MARGIN:
            best = max(near, _polish(scene, logo, near))
        parts = part_scores(scene, logo, round(best[1]), round(best[2]), round(best[3]), round(best[4]))
        if parts_agree(parts):
            found = best, parts
            break
        # the score of a blob matching the logo's heaviest part, the rest of the window flat: not the logo
        refused.append({"score": round(best[0], 4), "box": _box(best), "parts": [round(p, 3) for p in parts]})
    if refused:
        info["template_parts_refused"] = refused
    if found is None:
        return None, info
    best, parts = found
    info["template_parts"] = [round(p, 3) for p in parts]
    score, x, y, tw, th, aspect = best
    box = (max(0, round(x)), max(0, round(y)), min(w, round(x + tw)), min(h, round(y + th)))
    detection = LogoDetection(box=box, width=tw, height=th, score=score, method="template", aspect_change=aspect - 1.0)
    return detection, info


def _box(hit: tuple[float, float, float, float, float, float]) -> list[int]:
    """A reading's box ``[x0, y0, x1, y1]`` (pixels) for the notes."""
    _, x, y, w, h, _ = hit
    return [round(x), round(y), round(x + w), round(y + h)]
