"""ORB + ratio test + RANSAC homography: the fast detection path, verified by masked correlation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brandkit.checks.logo.constants import (
    DISTORTION_MARGIN,
    MAX_ASPECT_CHANGE,
    MAX_ROTATION_DEG,
    ORB_MIN_INLIERS,
    ORB_RATIO,
    ORB_SCENE_FEATURES,
    RANSAC_FIND_CONFIDENCE,
    RANSAC_MAX_ITERS,
    RANSAC_MIN_ITERS,
)
from brandkit.checks.logo.matching import downscaled, masked_score, min_max
from brandkit.checks.logo.prepare import LogoDetection, PreparedLogo
from brandkit.checks.logo.scene import LogoScene
from brandkit.checks.logo.verify import Hits, distorted_in_place, verify


def _verify_warped(scene: np.ndarray, logo: PreparedLogo, homography: np.ndarray) -> float:
    """Masked correlation in the logo's own frame: the scene warped back through ``homography``."""
    import cv2

    th, tw = logo.grey.shape[:2]
    mx, my = max(3, round(0.05 * tw)), max(3, round(0.15 * th))
    shift = np.array([[1.0, 0.0, mx], [0.0, 1.0, my], [0.0, 0.0, 1.0]])
    back = shift @ np.linalg.inv(homography)
    warped = cv2.warpPerspective(scene, back, (tw + 2 * mx, th + 2 * my), flags=cv2.INTER_LINEAR)
    score, _ = min_max(masked_score(np.asarray(warped), logo.grey, logo.mask, logo.masked))
    return score


def ransac_iterations(matches: int) -> int:
    """RANSAC samples to draw on ``matches`` ratio-test survivors: enough to find a homography with
    :data:`ORB_MIN_INLIERS` inliers, if there is one, with probability :data:`RANSAC_FIND_CONFIDENCE`.

    A homography with fewer inliers is rejected anyway, so OpenCV's own stopping rule (samples until a model
    with the inlier share found so far is found with 0.995 confidence) applied to the smallest share that can be
    accepted, ``ORB_MIN_INLIERS / matches``, bounds the useful samples. Without the cap, RANSAC on a scene without
    the logo (~20 survivors, ~6 agreeing by chance) drew ~650–2,000 samples looking for a better model that could
    never be accepted (~6 ms of the logo-absent case). Once a model with at least ``ORB_MIN_INLIERS`` inliers is
    found, OpenCV's own rule stops sooner than the cap: the same homography and inliers as without it (checked on
    300 random scenes with a planted homography and on the gate corpus); only readings that are rejected anyway
    (fewer inliers) can differ.
    """
    share = min(1.0, ORB_MIN_INLIERS / max(matches, 1))
    if share >= 1.0:
        return RANSAC_MIN_ITERS
    needed = math.log(1.0 - RANSAC_FIND_CONFIDENCE) / math.log(1.0 - share**4)
    return int(min(RANSAC_MAX_ITERS, max(RANSAC_MIN_ITERS, math.ceil(needed))))


def orb_detect(
    scene: np.ndarray,
    logo: PreparedLogo,
    factor: float = 1.0,
    features: int = ORB_SCENE_FEATURES,
    shared: LogoScene | None = None,
) -> LogoDetection | None:
    """ORB + ratio test + RANSAC homography on the scene resized by ``factor`` (>1 upsamples), keeping at most
    ``features`` scene keypoints (the strongest). ``shared``: the :class:`LogoScene` whose whole grey scene
    ``scene`` is — its keypoints are computed once for every logo variant."""
    import cv2

    if logo.descriptors is None or len(logo.descriptors) < ORB_MIN_INLIERS:
        return None
    h, w = scene.shape[:2]

    def scene_features() -> tuple[Any, Any]:
        if factor > 1.0:
            size = (round(w * factor), round(h * factor))
            work = np.asarray(cv2.resize(scene, size, interpolation=cv2.INTER_LINEAR))
        else:
            work = downscaled(scene, factor)
        orb = cv2.ORB.create(nfeatures=features, fastThreshold=10)
        return orb.detectAndCompute(work, None)

    kps, desc = scene_features() if shared is None else shared.features(factor, features, scene_features)
    if desc is None or len(kps) < ORB_MIN_INLIERS:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(logo.descriptors, desc, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < ORB_RATIO * p[1].distance]
    if len(good) < ORB_MIN_INLIERS:
        return None
    src = np.array([logo.keypoints[m.queryIdx] for m in good], dtype=np.float32).reshape(-1, 1, 2)
    dst = np.array([kps[m.trainIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2) / factor
    homography, inlier_mask = cv2.findHomography(
        src, dst, cv2.RANSAC, 5.0 / factor, maxIters=ransac_iterations(len(good))
    )
    if homography is None or inlier_mask is None:
        return None
    inliers = int(inlier_mask.sum())
    if inliers < ORB_MIN_INLIERS:
        return None
    th, tw = logo.grey.shape[:2]
    corners = np.array([[0, 0], [tw, 0], [tw, th], [0, th]], dtype=np.float32).reshape(-1, 1, 2)
    quad = cv2.perspectiveTransform(corners, homography).reshape(4, 2).astype(np.float64)
    if not np.all(np.isfinite(quad)) or not cv2.isContourConvex(quad.astype(np.float32)):
        return None
    top, bottom = quad[1] - quad[0], quad[2] - quad[3]
    left, right = quad[3] - quad[0], quad[2] - quad[1]
    width = float(np.linalg.norm(top) + np.linalg.norm(bottom)) / 2.0
    height = float(np.linalg.norm(left) + np.linalg.norm(right)) / 2.0
    if width < 4 or height < 2:
        return None
    # Reject wild homographies (perspective blow-ups) that are not a logo pasted flat.
    edges = (float(np.linalg.norm(top)), float(np.linalg.norm(bottom)))
    if max(edges) > 1.5 * min(edges):
        return None
    rotation = math.degrees(math.atan2(top[1] + bottom[1], top[0] + bottom[0]))
    skew_cos = float(np.dot(top, left) / (np.linalg.norm(top) * np.linalg.norm(left)))
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
    box = (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1)))
    aspect_change = (height / width) / logo.aspect - 1.0
    if abs(rotation) <= MAX_ROTATION_DEG:
        cx, cy = quad.mean(axis=0)
        seen: Hits = {}  # the two readings below share most sizes at the same centre: each computed once
        score, refined = verify(scene, logo, float(cx), float(cy), float(width), float(height), seen)
        if score > 0:
            box = refined
        # Homographies of small or thin logos are imprecise: is the undistorted logo just as good a fit?
        uniform_h = float(width) * logo.aspect
        u_score, u_box = (
            verify(scene, logo, float(cx), float(cy), float(width), uniform_h, seen)
            if abs(aspect_change) > 0.01
            else (score, box)
        )
        distorted = abs(aspect_change) > MAX_ASPECT_CHANGE or abs(skew_cos) > math.sin(math.radians(MAX_ROTATION_DEG))
        if not distorted and u_score > score:
            score, box = u_score, u_box
        elif distorted and u_score >= score - DISTORTION_MARGIN:
            score, box, height, aspect_change, skew_cos = u_score, u_box, uniform_h, 0.0, 0.0
            distorted = False
        # ...and the other way round: the homography of a thin logo can miss a stretch the pixels show (a Lumen
        # wordmark stretched 10 % read undistorted at 0.83 against 0.92 as drawn): the found logo is tried
        # stretched and squashed in place, as at the layout's box
        in_place = None if distorted or score <= 0 else distorted_in_place(scene, logo, box, score, seen)
        if in_place is not None:
            score, box = in_place
            width, height = float(box[2] - box[0]), float(box[3] - box[1])
            aspect_change = (height / width) / logo.aspect - 1.0
    else:
        score = _verify_warped(scene, logo, homography)
    return LogoDetection(
        box=box,
        width=float(width),
        height=float(height),
        score=score,
        method="orb",
        aspect_change=float(aspect_change),
        rotation_deg=rotation,
        skew=abs(skew_cos),
        inliers=inliers,
    )
