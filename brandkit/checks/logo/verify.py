"""The logo verified near a place: its masked correlation at a few sizes around a centre (a homography's corners,
the layout's box, a coarse candidate), both roundings of a fractional height, and the same logo stretched or
squashed where it was found (:func:`distorted_in_place`). Built on :mod:`~brandkit.checks.logo.matching`'s scores
and :class:`~brandkit.checks.logo.matching.Region` (the windows of every size around one place share its
spectra); a :data:`Hits` map keeps what one scene already computed."""

from __future__ import annotations

import math

import numpy as np

from brandkit.checks.logo.constants import BOX_DISTORTED_ASPECTS, BOX_DISTORTED_REFINE, DISTORTION_MARGIN
from brandkit.checks.logo.matching import Region, masked_score, min_max, shared_region
from brandkit.checks.logo.prepare import PreparedLogo
from brandkit.checks.logo.sized import sized
from brandkit.geometry import PixelBox

__all__ = [
    "Hits",
    "both_roundings",
    "distorted_in_place",
    "match_near",
    "near_window",
    "verify",
    "verify_sizes",
    "window_best",
]


def both_roundings(exact: float) -> list[int]:
    """The template heights to try for an ``exact`` (fractional) height: rounded down and up, ascending (one when
    ``exact`` is whole). A thin logo loses much of its score to one pixel of height, so every reading that sizes
    the logo from a width tries both."""
    return sorted({math.floor(exact), math.ceil(exact)})


Hits = dict[tuple[float, float, int, int], tuple[float, int, int] | None]
"""Masked correlations already computed on one scene: (cx, cy, width, height) → :func:`match_near`'s result."""


def verify(
    scene: np.ndarray,
    logo: PreparedLogo,
    cx: float,
    cy: float,
    w: float,
    h: float,
    seen: Hits | None = None,
) -> tuple[float, PixelBox]:
    """Best masked correlation of the logo sized about ``w``×``h`` near centre (``cx``, ``cy``).

    Searches ±5% of the width and ±15% of the height around the centre; widths
    ×0.97/1/1.03 first, then ±1% and both roundings of the height around the
    best, which absorbs the localisation and scale error of a homography (thin
    wordmarks lose much of their score at 3% scale error). Returns (score, box);
    score -1 when the logo does not fit in the scene. ``seen``: the correlations of earlier calls on the same
    scene (filled in; a size already tried at the same centre is not computed again — the same numbers).
    """
    seen = {} if seen is None else seen
    ratio = h / max(w, 1e-6)
    coarse = [(round(w * k), round(w * k * ratio)) for k in (0.97, 1.0, 1.03)]
    best = verify_sizes(scene, logo, cx, cy, coarse, seen)
    if best[0] <= -1.0:
        return best
    bw = best[1][2] - best[1][0]
    fine: set[tuple[int, int]] = set()
    for tw in {round(bw * 0.99), bw, round(bw * 1.01)}:
        exact = tw * ratio
        fine.update((tw, th) for th in both_roundings(exact))
    fine -= set(coarse)
    refined = verify_sizes(scene, logo, cx, cy, sorted(fine), seen)
    return refined if refined[0] > best[0] else best


def distorted_in_place(
    scene: np.ndarray,
    logo: PreparedLogo,
    found: PixelBox,
    score: float,
    seen: Hits | None = None,
) -> tuple[float, PixelBox] | None:
    """A found logo stretched or squashed in place: the logo at ``found``'s width and centre with its height ×
    :data:`BOX_DISTORTED_ASPECTS` — the undistorted logo's exact height at that width × the aspect, both
    roundings (a thin logo loses the margin to one pixel of height) — then × :data:`BOX_DISTORTED_REFINE` on the
    better side. Returns the best distorted reading ``(score, box)`` when it fits better than ``score`` (the
    undistorted reading at ``found``) by more than :data:`DISTORTION_MARGIN`, else ``None``: the logo is read
    undistorted."""
    fw = found[2] - found[0]
    cx, cy = (found[0] + found[2]) / 2, (found[1] + found[3]) / 2

    def heights(aspects: tuple[float, ...]) -> list[tuple[int, int]]:
        exact = [fw * logo.aspect * a for a in aspects]
        return sorted({(fw, h) for e in exact for h in both_roundings(e) if h >= 5})

    best_aspect, best = 1.0, (-1.0, found)
    for aspect in BOX_DISTORTED_ASPECTS:
        reading = verify_sizes(scene, logo, cx, cy, heights((aspect,)), seen)
        if reading[0] > best[0]:
            best_aspect, best = aspect, reading
    if best[0] <= score + DISTORTION_MARGIN:
        return None
    refined = verify_sizes(scene, logo, cx, cy, heights(BOX_DISTORTED_REFINE.get(best_aspect, ())), seen)
    return refined if refined[0] > best[0] else best


def verify_sizes(
    scene: np.ndarray,
    logo: PreparedLogo,
    cx: float,
    cy: float,
    sizes: list[tuple[int, int]],
    seen: Hits | None = None,
) -> tuple[float, PixelBox]:
    """Best masked correlation of the logo at each of ``sizes`` (width, height) near (``cx``, ``cy``), with
    ±5% of the width and ±15% of the height of play: (score, box), score -1 when none fits. The windows of all the
    sizes share one :class:`SceneStats` (views of it: the same numbers as each window's own)."""
    best: tuple[float, PixelBox] = (-1.0, (0, 0, 0, 0))
    todo = [(tw, th) for tw, th in sizes if tw >= 8 and th >= 4 and (seen is None or (cx, cy, tw, th) not in seen)]
    windows = [w for w in (near_window(scene, cx, cy, tw, th, 0.05, 0.15) for tw, th in todo) if w is not None]
    region = shared_region(scene, windows)
    for tw, th in sizes:
        if tw < 8 or th < 4:
            continue
        key = (cx, cy, tw, th)
        if seen is None or key not in seen:
            hit = match_near(scene, logo, cx, cy, tw, th, 0.05, 0.15, region)
            if seen is not None:
                seen[key] = hit
        else:
            hit = seen[key]
        if hit is not None and hit[0] > best[0]:
            score, x, y = hit
            best = (score, (x, y, x + tw, y + th))
    return best


def near_window(
    scene: np.ndarray, cx: float, cy: float, tw: int, th: int, margin_w: float, margin_h: float
) -> PixelBox | None:
    """The part of ``scene`` (x0, y0, x1, y1) :func:`match_near` searches, or ``None`` when the template does not
    fit in it."""
    sh, sw = scene.shape[:2]
    if tw > sw or th > sh:
        return None
    mx, my = max(3, round(margin_w * tw)), max(3, round(margin_h * th))
    x0, y0 = max(0, round(cx - tw / 2) - mx), max(0, round(cy - th / 2) - my)
    x1, y1 = min(sw, round(cx + tw / 2) + mx + 1), min(sh, round(cy + th / 2) + my + 1)
    if y1 - y0 < th or x1 - x0 < tw:
        return None
    return x0, y0, x1, y1


def match_near(
    scene: np.ndarray,
    logo: PreparedLogo,
    cx: float,
    cy: float,
    tw: int,
    th: int,
    margin_w: float,
    margin_h: float,
    region: Region | None = None,
) -> tuple[float, int, int] | None:
    """Best masked correlation of the logo resized to ``tw``×``th`` in a window around (``cx``, ``cy``) that
    leaves ``margin_w``×width and ``margin_h``×height of play (at least 3 px); returns (score, x, y) or ``None``
    when the template does not fit. ``region``: a :class:`Region` of ``scene`` holding the window, when several
    windows share it."""
    window = near_window(scene, cx, cy, tw, th, margin_w, margin_h)
    if window is None:
        return None
    return window_best(scene, logo, tw, th, window, region)


def window_best(
    scene: np.ndarray,
    logo: PreparedLogo,
    tw: int,
    th: int,
    window: PixelBox,
    region: Region | None = None,
) -> tuple[float, int, int]:
    """Best masked correlation of the logo resized to ``tw``×``th`` in the scene's ``window`` (x0, y0, x1, y1; the
    template fits in it): (score, x, y) in scene pixels. ``region``: a :class:`Region` holding the window (its
    spectra shared with the other sizes tried there), else the window is matched alone."""
    x0, y0, x1, y1 = window
    entry = sized(logo, tw, th)
    if region is not None:
        res = region.masked_score(window, logo, entry)
    else:
        kernels = entry.kernels if logo.masked else None
        res = masked_score(scene[y0:y1, x0:x1], entry.templ, entry.mask, logo.masked, kernels=kernels)
    score, (x, y) = min_max(res)
    return score, x0 + x, y0 + y
