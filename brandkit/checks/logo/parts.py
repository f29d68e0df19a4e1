"""Every part of the logo is there: the template's correlation part by part at a reading's place.

The masked correlation of the whole template is one number over every pixel; a blob that matches the logo's
heaviest part — the dot of an "i" against the Northwind mark, a round button against a round emblem — can reach
the score bar on its own while the rest of the window is flat ground (``bench_logo_rules --scale 2.7 --edits
removed``: 0.89 on seven ads whose logo was taken out). :func:`part_scores` splits the template into
:data:`~brandkit.checks.logo.constants.TEMPLATE_PARTS` parts along its long side, each holding the same share of
its contrast, and correlates each part with the window on its own; :func:`parts_agree` asks that none falls under
:data:`~brandkit.checks.logo.constants.TEMPLATE_PART_MIN`.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from brandkit.checks.logo.constants import TEMPLATE_PART_MIN, TEMPLATE_PARTS
from brandkit.checks.logo.prepare import PreparedLogo
from brandkit.checks.logo.sized import resized

MIN_PART_PIXELS = 4
"""A part with fewer template pixels (under the mask) is not judged."""


def part_scores(
    scene: np.ndarray, logo: PreparedLogo, x: int, y: int, width: int, height: int, parts: int = TEMPLATE_PARTS
) -> list[float]:
    """The correlation of each of ``parts`` parts of ``logo``'s template, ``width``×``height`` at ``(x, y)`` of the
    grey ``scene``, with the scene's pixels under it (the template's mask when it has one).

    The parts are bands across the template's long side (columns of a wide logo, rows of a tall one), cut where
    the template's contrast (its squared deviation from the mean under the mask) reaches each ``1/parts`` share:
    a mark and a wordmark, or a word's letters, each weigh what they show. A part of the window that is flat
    scores 0 (nothing there); a part whose template is flat, or under :data:`MIN_PART_PIXELS`, is left out. An
    empty list — nothing to judge: the reading's window does not lie inside the scene, or the template has no
    pixel under its mask or no contrast.
    """
    if x < 0 or y < 0 or width < 1 or height < 1 or y + height > scene.shape[0] or x + width > scene.shape[1]:
        return []
    templ, mask = resized(logo, width, height)
    t = templ.astype(np.float64)
    w = scene[y : y + height, x : x + width].astype(np.float64)
    inside = mask > 0
    if not inside.any():
        return []
    tall = height > width
    deviation = np.where(inside, t - float(t[inside].mean()), 0.0)
    energy = np.cumsum((deviation**2).sum(axis=1 if tall else 0))
    total = float(energy[-1])
    if total <= 0.0:
        return []
    length = height if tall else width
    cuts = [0, *(int(np.searchsorted(energy, total * k / parts)) + 1 for k in range(1, parts)), length]
    scores: list[float] = []
    for start, stop in pairwise(cuts):
        if stop <= start:
            continue
        band = (slice(start, stop), slice(None)) if tall else (slice(None), slice(start, stop))
        keep = inside[band]
        tp, wp = t[band][keep], w[band][keep]
        if tp.size < MIN_PART_PIXELS:
            continue
        tp = tp - tp.mean()
        wp = wp - wp.mean()
        spread = float(np.dot(tp, tp))
        if spread <= 0.0:
            continue
        flat = float(np.dot(wp, wp))
        scores.append(float(np.dot(tp, wp) / np.sqrt(spread * flat)) if flat > 0.0 else 0.0)
    return scores


def parts_agree(scores: list[float]) -> bool:
    """Whether no part of a reading scores under :data:`~brandkit.checks.logo.constants.TEMPLATE_PART_MIN` (an
    empty list — nothing to judge — agrees)."""
    return all(score >= TEMPLATE_PART_MIN for score in scores)


__all__ = ["MIN_PART_PIXELS", "part_scores", "parts_agree"]
