"""The logo at the layout's box: verified where compose pasted the logo file, before any search (see the package
docstring's search order)."""

from __future__ import annotations

import numpy as np

from brandkit.checks.logo.constants import EXPECTED_BOX_WIDTHS, TEMPLATE_THRESHOLD
from brandkit.checks.logo.prepare import LogoDetection, PreparedLogo
from brandkit.checks.logo.verify import Hits, both_roundings, distorted_in_place, verify, verify_sizes
from brandkit.geometry import PixelBox


def at_expected_box(scene: np.ndarray, logo: PreparedLogo, box: PixelBox) -> tuple[LogoDetection | None, str]:
    """The logo verified where the layout put the logo file (masked correlation at that size), or ``None``; and
    which reading verified it (``"pixel grid"``, ``"±3%"``) or why not.

    Compose pastes the file resized to the box's width, so the visible logo's width is known to a pixel or two;
    thin wordmarks lose ~0.05 of score per pixel of width error (the Northwind wordmark at 242 px: 0.90 at the
    right width, 0.85 one pixel wider), which the ±3 % / ±1 % steps of :func:`verify` can step over. First every
    integer width from :data:`EXPECTED_BOX_WIDTHS` px around the expected one (both roundings of the height); when
    none reaches :data:`TEMPLATE_THRESHOLD`, the ±3 % reading of :func:`verify`. A logo found there is then tried
    stretched and squashed in place (:func:`~brandkit.checks.logo.verify.distorted_in_place`): a distorted
    height that fits better by :data:`DISTORTION_MARGIN` is the reading kept, for the distortion rule to judge.
    """
    x0, y0, x1, y1 = box
    visible_w = (x1 - x0) / max(logo.trim_scale, 1e-6)
    if visible_w < 8:
        return None, f"the layout's logo box is too small ({visible_w:.0f} px visible)"
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    base = round(visible_w)
    sizes: list[tuple[int, int]] = []
    for tw in range(base + EXPECTED_BOX_WIDTHS[0], base + EXPECTED_BOX_WIDTHS[1] + 1):
        exact = tw * logo.aspect
        sizes.extend((tw, th) for th in both_roundings(exact) if (tw, th) not in sizes)
    seen: Hits = {}  # the three readings below share sizes at the same centre: each computed once
    score, found = verify_sizes(scene, logo, cx, cy, sizes, seen)
    how = "pixel grid"
    if score < TEMPLATE_THRESHOLD:
        score, found = verify(scene, logo, cx, cy, visible_w, visible_w * logo.aspect, seen)
        how = "±3%"
    if score < TEMPLATE_THRESHOLD:
        return None, f"best score {score:.2f} < {TEMPLATE_THRESHOLD} at the layout's box"
    # stretched or squashed in place? A distorted height that fits clearly better is the reading kept: the
    # distortion rule then judges it
    distorted = distorted_in_place(scene, logo, found, score, seen)
    if distorted is not None:
        (score, found), how = distorted, f"{how}; distorted in place"
    fw, fh = found[2] - found[0], found[3] - found[1]
    detection = LogoDetection(
        box=found,
        width=float(fw),
        height=float(fh),
        score=float(score),
        method="expected-box",
        aspect_change=(fh / max(fw, 1)) / logo.aspect - 1.0,
    )
    return detection, how


__all__ = ["at_expected_box"]
