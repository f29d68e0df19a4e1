"""Logo check: is the expected logo there, large enough, in place, undistorted and given room?

**Detection** (OpenCV, offline; see ``offline-components.md`` §5):

1. *ORB + ratio test + RANSAC homography.* ORB features of the logo (alpha-trimmed,
   composited over the ordered background tone, resized to
   :data:`TEMPLATE_WORK_WIDTH` px) are matched against ORB features of the scene
   (Lowe ratio 0.75). A homography with at least :data:`ORB_MIN_INLIERS` RANSAC
   inliers whose projected outline is a sane convex quadrilateral is accepted,
   then verified with a masked correlation of the logo against the scene at the
   found box; a homography whose verification score is below :data:`ORB_VERIFY_MIN`
   is rejected (the brand name set in the same font elsewhere produces such
   false matches). ORB is fast (~20 ms) and finds logos of about 128 px and larger;
   when the smallest allowed logo is under :data:`ORB_SMALL_LOGO_PX` px it is run a
   second time on the scene upsampled up to 2× (at most
   :data:`ORB_MAX_UPSCALED_PIXELS` pixels), which recovers many logos of 90–130 px.
   Every reading is verified at full resolution (widths ±4%, both roundings of
   the height) and compared with the undistorted logo at the same place.
2. *Masked multi-scale template matching* when ORB finds nothing
   (``TM_CCOEFF_NORMED`` with the logo's alpha as mask), coarse to fine. Coarse:
   a pyramid of the grey scene, each logo width matched on the smallest level at
   which the template stays ≥ :data:`COARSE_MIN_TEMPLATE` px wide and
   :data:`COARSE_MIN_TEMPLATE_HEIGHT` px tall, scene and template
   both blurred (σ = 1 px, which makes the correlation peak tolerant to a few %
   of scale error), logo widths in 10% steps from 0.6 × ``min_width_px`` to
   1.5 × ``max_width_share`` × image width; the best two places per scale give up
   to :data:`COARSE_CANDIDATES` distinct candidates. Fine: around each candidate,
   on the scene downscaled to at most :data:`TEMPLATE_SCENE_SIDE` px and not
   blurred, widths ±10% in 2% steps, then a full-resolution polish (±2% in 0.5%
   steps, both roundings of the height: thin-stroked wordmarks lose ~0.2 of
   score at 3–5% scale error). A score of at least :data:`TEMPLATE_THRESHOLD`
   is a detection. Near-flat windows are ignored (masked correlation is unstable
   there, see :func:`_masked_score`). If no undistorted match reaches the
   threshold, squashed and stretched versions (height × 0.6–1.67) are tried at the
   best :data:`DISTORTED_CANDIDATES` candidates; a hit there that beats the
   undistorted logo by :data:`DISTORTION_MARGIN` is reported as a *distorted* logo.

Measured on 80 synthetic 1024² scenes (random colour fields, noise σ=4, random
rectangles, the brand name set as text as a distractor, JPEG q60–90): the drawn
test logo 26/26 found at 60–330 px, the Northwind wordmark logo 23/26 at 100–330 px
(misses: thin wordmark under ~250 px on busy backgrounds → reported missing, which
fails closed), 0 false positives on 28 logo-free scenes (best negative score 0.80
and 0.43 against the 0.85 threshold).

**Rules** (measured on the visible logo, i.e. its alpha bounding box, except the
width, which is reported in widths of the whole logo file — the visible width ×
file width / visible width in the file — because that is what the spec's
``min_width_px`` and the compose stage size):

* *Distortion*: the aspect ratio (height/width) of the detected logo differs from
  the file's by more than :data:`MAX_ASPECT_CHANGE` (5%), or it is rotated or
  skewed by more than :data:`MAX_ROTATION_DEG` degrees. A distorted reading is
  only kept when the distorted template fits the pixels better than the
  undistorted one by :data:`DISTORTION_MARGIN` (homographies of small logos are
  imprecise).
* *Size*: rendered width ≥ ``min_width_px`` and ≤ ``max_width_share`` × image width,
  each with a :data:`WIDTH_TOLERANCE` (3%) allowance for measurement error.
* *Placement*: the image is cut into a 3×3 grid of equal thirds; the centre of the
  logo box must lie in the cell of one of the allowed placements:
  ``top-left`` / ``top-center`` / ``top-right`` = top row, left / middle / right
  column; ``bottom-left`` / ``bottom-center`` / ``bottom-right`` = bottom row;
  ``center`` = the middle cell. (The middle-left and middle-right cells match no
  placement.)
* *Clear space*: the band of width ``clear_space`` × logo height around the box
  must be free of other content. Measured from :data:`CLEAR_SPACE_GAP` × logo
  height (anti-aliasing and localisation error next to the logo) to the band's
  width minus a slack of :data:`CLEAR_SPACE_OUTER_SLACK` (≥ 2 px; an edge lying
  on the boundary, like a backing panel, is not an intrusion). Canny edges
  (thresholds 60/160 after a 3×3 Gaussian blur) may cover at most
  :data:`CLEAR_SPACE_MAX_EDGE_DENSITY` (2%) of any chunk of the band; each side
  is cut into chunks twice as long as the band is thick, so one intruding word is
  not diluted by a long empty band. Flat colour and smooth gradients have no
  edges; text, shapes and busy photographic texture do.
  With ``require_edge_margin`` (default) the band must also fit inside the image:
  the logo may not be closer to the image edge than its clear space.

Details report the box, rendered width, scale, match score, method, the rules'
measurements; each failure adds a precise repair hint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from brandkit.checks.base import CheckContext, result
from brandkit.models import CheckResult, CheckStatus, Measure
from brandkit.spec.models import LogoVariant

__all__ = [
    "CLEAR_SPACE_MAX_EDGE_DENSITY",
    "PLACEMENT_CELLS",
    "LogoCheck",
    "LogoDetection",
    "PreparedLogo",
    "detect_logo",
    "placement_of",
    "prepare_logo",
]

TEMPLATE_WORK_WIDTH = 320
ORB_MIN_INLIERS = 12
ORB_RATIO = 0.75
ORB_VERIFY_MIN = 0.6
ORB_SCENE_FEATURES = 3000
ORB_MAX_SCENE_SIDE = 2048
ORB_SMALL_LOGO_PX = 200
ORB_MAX_UPSCALE = 2.0
ORB_MAX_UPSCALED_PIXELS = 6_000_000
TEMPLATE_SCENE_SIDE = 1024
TEMPLATE_THRESHOLD = 0.85
COARSE_MIN_SIDE = 200
COARSE_MIN_TEMPLATE = 24
COARSE_MIN_TEMPLATE_HEIGHT = 10
COARSE_BLUR = 1.0
COARSE_STEP = 1.1
COARSE_CANDIDATES = 4
FINE_SCALE_RANGE = 0.1
FINE_SCALE_STEPS = 11
NEAR_ASPECTS = (0.92, 1.08)
DISTORTED_ASPECTS = (0.6, 0.7, 0.8, 1.25, 1.43, 1.67)
DISTORTED_CANDIDATES = 2
SEARCH_MIN_WIDTH_SHARE = 0.6
SEARCH_MAX_WIDTH_SHARE = 1.5
MAX_ASPECT_CHANGE = 0.05
DISTORTION_MARGIN = 0.02
WIDTH_TOLERANCE = 0.03
MASK_ALPHA = 128
MIN_WINDOW_STD = 6.0
MAX_ROTATION_DEG = 3.0
CLEAR_SPACE_GAP = 0.06
CLEAR_SPACE_MAX_EDGE_DENSITY = 0.02
CLEAR_SPACE_OUTER_SLACK = 0.1

PLACEMENT_CELLS: dict[str, tuple[int, int]] = {
    "top-left": (0, 0),
    "top-center": (1, 0),
    "top-right": (2, 0),
    "center": (1, 1),
    "bottom-left": (0, 2),
    "bottom-center": (1, 2),
    "bottom-right": (2, 2),
}
"""Placement name → (column, row) in the 3×3 grid of image thirds."""

_CELL_NAMES = {cell: name for name, cell in PLACEMENT_CELLS.items()}
_CELL_NAMES[(0, 1)] = "middle-left"
_CELL_NAMES[(2, 1)] = "middle-right"


def placement_of(cx: float, cy: float, width: int, height: int) -> str:
    """Name of the 3×3 grid cell holding the point (``cx``, ``cy``) of a ``width``×``height`` image."""
    col = min(2, max(0, int(3 * cx / max(1, width))))
    row = min(2, max(0, int(3 * cy / max(1, height))))
    return _CELL_NAMES[(col, row)]


@dataclass
class PreparedLogo:
    """A logo variant ready for detection (cached per spec fingerprint, variant and backdrop)."""

    variant: str
    grey: np.ndarray  # template at work width, composited over the backdrop, uint8
    mask: np.ndarray  # 255 where the logo is opaque, uint8, same shape
    alpha: np.ndarray  # alpha channel at work size, uint8
    aspect: float  # visible height / width of the logo file
    source_size: tuple[int, int]  # visible (alpha-trimmed) width, height in the file
    trim_scale: float  # file width / visible width (>= 1 when the file has transparent padding)
    keypoints: np.ndarray  # N×2 float32 coordinates in ``grey``
    descriptors: np.ndarray | None
    masked: bool  # whether template matching uses the alpha mask


def prepare_logo(rgba: Image.Image, variant: str, backdrop: int = 255) -> PreparedLogo:
    """Trim ``rgba`` to its visible pixels, build the template and its ORB features."""
    import cv2

    image = rgba.convert("RGBA")
    alpha = np.asarray(image.getchannel("A"))
    ys, xs = np.nonzero(alpha > 8)
    if xs.size == 0:
        raise ValueError("the logo file is fully transparent")
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    file_w = image.width
    image = image.crop(box)
    vis_w, vis_h = image.size
    work_w = TEMPLATE_WORK_WIDTH
    work_h = max(8, round(work_w * vis_h / vis_w))
    image = image.resize((work_w, work_h), Image.Resampling.LANCZOS)
    arr = np.asarray(image, dtype=np.float32)
    a = arr[..., 3:4] / 255.0
    rgb = arr[..., :3] * a + backdrop * (1.0 - a)
    grey = cv2.cvtColor(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    alpha_u8 = np.clip(np.rint(arr[..., 3]), 0, 255).astype(np.uint8)
    mask = np.where(alpha_u8 > 127, 255, 0).astype(np.uint8)
    masked = bool(mask.min() == 0) and float(grey[mask > 0].std()) >= 2.0
    if float(grey[mask > 0].std()) < 2.0:
        mask = np.full_like(mask, 255)  # single-colour silhouette: match its outline against the backdrop
    # ORB needs a border: pad with the backdrop so features near the logo's edge survive.
    pad = 32
    padded = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=int(backdrop))
    orb = cv2.ORB.create(nfeatures=1500, fastThreshold=10)
    kps, desc = orb.detectAndCompute(padded, None)
    points = np.array([kp.pt for kp in kps], dtype=np.float32).reshape(-1, 2) - pad
    return PreparedLogo(
        variant=variant,
        grey=grey,
        mask=mask,
        alpha=alpha_u8,
        aspect=vis_h / vis_w,
        source_size=(vis_w, vis_h),
        trim_scale=file_w / vis_w,
        keypoints=points,
        descriptors=desc,
        masked=masked,
    )


@dataclass
class LogoDetection:
    """Where the logo was found (original image pixels)."""

    box: tuple[int, int, int, int]
    width: float  # rendered width along the logo's own axis, px
    height: float
    score: float
    method: str
    aspect_change: float  # (detected aspect / file aspect) - 1
    rotation_deg: float = 0.0
    skew: float = 0.0
    inliers: int | None = None

    def as_details(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        out: dict[str, Any] = {
            "box": list(self.box),
            "visible_width_px": round(self.width, 1),
            "visible_height_px": round(self.height, 1),
            "match_score": round(self.score, 4),
            "method": self.method,
            "aspect_change": round(self.aspect_change, 4),
            "rotation_deg": round(self.rotation_deg, 2),
        }
        if self.inliers is not None:
            out["inliers"] = self.inliers
        return out


def _masked_score(scene: np.ndarray, templ: np.ndarray, mask: np.ndarray, masked: bool) -> np.ndarray:
    """``TM_CCOEFF_NORMED`` map (masked when ``masked``), with degenerate places set to -1.

    Masked normalised correlation is numerically unstable where the scene is
    (nearly) flat: such windows can score close to 1. Windows whose standard
    deviation is below :data:`MIN_WINDOW_STD` grey levels, and non-finite or
    out-of-range values, are therefore discarded.
    """
    import cv2

    if masked:
        res = cv2.matchTemplate(scene, templ, cv2.TM_CCOEFF_NORMED, mask=mask)
    else:
        res = cv2.matchTemplate(scene, templ, cv2.TM_CCOEFF_NORMED)
    res = np.array(res, dtype=np.float32)
    res[~np.isfinite(res) | (res > 1.0001)] = -1.0
    th, tw = templ.shape[:2]
    sums, sqsums = cv2.integral2(scene, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)
    n = float(th * tw)
    total = sums[th:, tw:] - sums[:-th, tw:] - sums[th:, :-tw] + sums[:-th, :-tw]
    squares = sqsums[th:, tw:] - sqsums[:-th, tw:] - sqsums[th:, :-tw] + sqsums[:-th, :-tw]
    variance = squares / n - (total / n) ** 2
    res[variance[: res.shape[0], : res.shape[1]] < MIN_WINDOW_STD**2] = -1.0
    return res


def _resized(logo: PreparedLogo, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    interp = cv2.INTER_AREA if width < logo.grey.shape[1] else cv2.INTER_LINEAR
    templ = cv2.resize(logo.grey, (width, height), interpolation=interp)
    if not logo.masked:
        return templ, np.full((height, width), 255, dtype=np.uint8)
    # Only (nearly) fully opaque pixels: anti-aliased edges blend with the scene's
    # background in the image but with the backdrop in the template.
    alpha = cv2.resize(logo.alpha, (width, height), interpolation=cv2.INTER_AREA)
    mask = np.where(alpha >= MASK_ALPHA, 255, 0).astype(np.uint8)
    if np.count_nonzero(mask) < 0.05 * mask.size:
        mask = np.where(alpha >= 128, 255, 0).astype(np.uint8)
    return templ, mask


def _verify(
    scene: np.ndarray, logo: PreparedLogo, cx: float, cy: float, w: float, h: float
) -> tuple[float, tuple[int, int, int, int]]:
    """Best masked correlation of the logo sized about ``w``×``h`` near centre (``cx``, ``cy``).

    Searches ±5% of the width and ±15% of the height around the centre; widths
    ×0.97/1/1.03 first, then ±1% and both roundings of the height around the
    best, which absorbs the localisation and scale error of a homography (thin
    wordmarks lose much of their score at 3% scale error). Returns (score, box);
    score -1 when the logo does not fit in the scene.
    """
    ratio = h / max(w, 1e-6)
    coarse = [(round(w * k), round(w * k * ratio)) for k in (0.97, 1.0, 1.03)]
    best = _verify_sizes(scene, logo, cx, cy, coarse)
    if best[0] <= -1.0:
        return best
    bw = best[1][2] - best[1][0]
    fine: set[tuple[int, int]] = set()
    for tw in {round(bw * 0.99), bw, round(bw * 1.01)}:
        exact = tw * ratio
        fine.update({(tw, math.floor(exact)), (tw, math.ceil(exact))})
    fine -= set(coarse)
    refined = _verify_sizes(scene, logo, cx, cy, sorted(fine))
    return refined if refined[0] > best[0] else best


def _verify_sizes(
    scene: np.ndarray, logo: PreparedLogo, cx: float, cy: float, sizes: list[tuple[int, int]]
) -> tuple[float, tuple[int, int, int, int]]:
    best: tuple[float, tuple[int, int, int, int]] = (-1.0, (0, 0, 0, 0))
    for tw, th in sizes:
        if tw < 8 or th < 4:
            continue
        hit = _match_near(scene, logo, cx, cy, tw, th, 0.05, 0.15)
        if hit is not None and hit[0] > best[0]:
            score, x, y = hit
            best = (score, (x, y, x + tw, y + th))
    return best


def _match_near(
    scene: np.ndarray, logo: PreparedLogo, cx: float, cy: float, tw: int, th: int, margin_w: float, margin_h: float
) -> tuple[float, int, int] | None:
    """Best masked correlation of the logo resized to ``tw``×``th`` in a window around (``cx``, ``cy``) that
    leaves ``margin_w``×width and ``margin_h``×height of play (at least 3 px); returns (score, x, y) or ``None``
    when the template does not fit."""
    sh, sw = scene.shape[:2]
    if tw > sw or th > sh:
        return None
    mx, my = max(3, round(margin_w * tw)), max(3, round(margin_h * th))
    x0, y0 = max(0, round(cx - tw / 2) - mx), max(0, round(cy - th / 2) - my)
    x1, y1 = min(sw, round(cx + tw / 2) + mx + 1), min(sh, round(cy + th / 2) + my + 1)
    roi = scene[y0:y1, x0:x1]
    if roi.shape[0] < th or roi.shape[1] < tw:
        return None
    templ, mask = _resized(logo, tw, th)
    score, (x, y) = _min_max(_masked_score(roi, templ, mask, logo.masked))
    return score, x0 + x, y0 + y


def _verify_warped(scene: np.ndarray, logo: PreparedLogo, homography: np.ndarray) -> float:
    """Masked correlation in the logo's own frame: the scene warped back through ``homography``."""
    import cv2

    th, tw = logo.grey.shape[:2]
    mx, my = max(3, round(0.05 * tw)), max(3, round(0.15 * th))
    shift = np.array([[1.0, 0.0, mx], [0.0, 1.0, my], [0.0, 0.0, 1.0]])
    back = shift @ np.linalg.inv(homography)
    warped = cv2.warpPerspective(scene, back, (tw + 2 * mx, th + 2 * my), flags=cv2.INTER_LINEAR)
    score, _ = _min_max(_masked_score(np.asarray(warped), logo.grey, logo.mask, logo.masked))
    return score


def _orb_detect(scene: np.ndarray, logo: PreparedLogo, factor: float = 1.0) -> LogoDetection | None:
    """ORB + ratio test + RANSAC homography on the scene resized by ``factor`` (>1 upsamples)."""
    import cv2

    if logo.descriptors is None or len(logo.descriptors) < ORB_MIN_INLIERS:
        return None
    h, w = scene.shape[:2]
    if factor > 1.0:
        size = (round(w * factor), round(h * factor))
        work = np.asarray(cv2.resize(scene, size, interpolation=cv2.INTER_LINEAR))
    else:
        work = _downscaled(scene, factor)
    orb = cv2.ORB.create(nfeatures=ORB_SCENE_FEATURES, fastThreshold=10)
    kps, desc = orb.detectAndCompute(work, None)
    if desc is None or len(kps) < ORB_MIN_INLIERS:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(logo.descriptors, desc, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < ORB_RATIO * p[1].distance]
    if len(good) < ORB_MIN_INLIERS:
        return None
    src = np.array([logo.keypoints[m.queryIdx] for m in good], dtype=np.float32).reshape(-1, 1, 2)
    dst = np.array([kps[m.trainIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2) / factor
    homography, inlier_mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0 / factor)
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
        score, refined = _verify(scene, logo, float(cx), float(cy), float(width), float(height))
        if score > 0:
            box = refined
        # Homographies of small or thin logos are imprecise: is the undistorted logo just as good a fit?
        uniform_h = float(width) * logo.aspect
        u_score, u_box = (
            _verify(scene, logo, float(cx), float(cy), float(width), uniform_h)
            if abs(aspect_change) > 0.01
            else (score, box)
        )
        distorted = abs(aspect_change) > MAX_ASPECT_CHANGE or abs(skew_cos) > math.sin(math.radians(MAX_ROTATION_DEG))
        if not distorted and u_score > score:
            score, box = u_score, u_box
        elif distorted and u_score >= score - DISTORTION_MARGIN:
            score, box, height, aspect_change, skew_cos = u_score, u_box, uniform_h, 0.0, 0.0
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


def _min_max(res: np.ndarray) -> tuple[float, tuple[int, int]]:
    import cv2

    _, hi, _, hi_loc = cv2.minMaxLoc(res)
    return float(hi), (int(hi_loc[0]), int(hi_loc[1]))


def _downscaled(scene: np.ndarray, factor: float) -> np.ndarray:
    import cv2

    if factor >= 1.0:
        return scene
    h, w = scene.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(cv2.resize(scene, size, interpolation=cv2.INTER_AREA))


@dataclass(frozen=True)
class _Candidate:
    score: float
    x: float  # top-left and size in original image pixels
    y: float
    w: float
    h: float


def _coarse_candidates(scene: np.ndarray, logo: PreparedLogo, min_width: float, max_width: float) -> list[_Candidate]:
    """Blurred multi-scale masked search on a pyramid of small copies of the scene; the best few places.

    Each logo width is searched on the smallest pyramid level (halving from the
    level the smallest width needs) at which the template is still at least
    :data:`COARSE_MIN_TEMPLATE` × :data:`COARSE_MIN_TEMPLATE_HEIGHT` px, so large
    widths cost a quarter, a sixteenth… of the small ones.
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
    levels: dict[int, np.ndarray] = {}

    def level(k: int) -> np.ndarray:
        if k not in levels:
            levels[k] = np.asarray(cv2.GaussianBlur(_downscaled(scene, top / 2**k), (0, 0), COARSE_BLUR))
        return levels[k]

    ratio = max_width / min_width
    steps = max(2, math.ceil(math.log(ratio) / math.log(COARSE_STEP)) + 1) if ratio > 1 else 1
    found: list[_Candidate] = []
    for width in np.geomspace(min_width, max(min_width, max_width), steps):
        k = 0
        while top / 2 ** (k + 1) >= needed(float(width)):
            k += 1
        factor = top / 2**k
        small = level(k)
        sh, sw = small.shape[:2]
        tw = round(float(width) * factor)
        th = round(tw * logo.aspect)
        if tw < 8 or th < 5 or tw > sw or th > sh:
            continue
        templ, mask = _resized(logo, tw, th)
        templ = cv2.GaussianBlur(templ, (0, 0), COARSE_BLUR)
        res = _masked_score(small, templ, mask, logo.masked)
        for _ in range(2):  # the best two places at this scale
            score, (x, y) = _min_max(res)
            if score <= 0:
                break
            found.append(_Candidate(score, x / factor, y / factor, tw / factor, th / factor))
            rx, ry = max(1, tw // 2), max(1, th // 2)
            res[max(0, y - ry) : y + ry + 1, max(0, x - rx) : x + rx + 1] = -1.0
    found.sort(key=lambda c: -c.score)
    distinct: list[_Candidate] = []
    for cand in found:
        cx, cy = cand.x + cand.w / 2, cand.y + cand.h / 2
        if all(abs(cx - (o.x + o.w / 2)) > o.w / 3 or abs(cy - (o.y + o.h / 2)) > o.h / 2 for o in distinct):
            distinct.append(cand)
        if len(distinct) >= COARSE_CANDIDATES:
            break
    return distinct


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
    cand: _Candidate,
    aspects: tuple[float, ...],
    steps: int,
    scale_range: float = FINE_SCALE_RANGE,
) -> tuple[float, float, float, float, float, float]:
    """Best (score, x, y, w, h, aspect) near ``cand`` on the fine scene (coordinates in original pixels)."""
    sh, sw = scene.shape[:2]
    best = (-1.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    cx, cy = (cand.x + cand.w / 2) * factor, (cand.y + cand.h / 2) * factor
    for aspect in aspects:
        for k in _fine_scales(aspect, steps, scale_range):
            tw = round(cand.w * factor * float(k))
            th = round(tw * logo.aspect * aspect)
            if tw < 8 or th < 5 or tw > sw or th > sh:
                continue
            mx, my = max(4, round(0.2 * tw)), max(4, round(0.35 * cand.h * factor))
            rx0, ry0 = max(0, round(cx - tw / 2) - mx), max(0, round(cy - th / 2) - my)
            rx1, ry1 = min(sw, round(cx + tw / 2) + mx + 1), min(sh, round(cy + th / 2) + my + 1)
            roi = scene[ry0:ry1, rx0:rx1]
            if roi.shape[0] < th or roi.shape[1] < tw:
                continue
            templ, mask = _resized(logo, tw, th)
            score, (x, y) = _min_max(_masked_score(roi, templ, mask, logo.masked))
            if score > best[0]:
                best = (score, (rx0 + x) / factor, (ry0 + y) / factor, tw / factor, th / factor, aspect)
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
    for tw in widths:
        exact = tw * logo.aspect * aspect
        for th in sorted({math.floor(exact), math.ceil(exact)}):
            if tw < 8 or th < 5:
                continue
            near = _match_near(scene, logo, cx, cy, tw, th, 0.03, 0.1)
            if near is not None and near[0] > best[0]:
                best = (near[0], float(near[1]), float(near[2]), float(tw), float(th), aspect)
    return best


def _template_detect(
    scene: np.ndarray, logo: PreparedLogo, min_width: float, max_width: float
) -> tuple[LogoDetection | None, dict[str, Any]]:
    """Masked multi-scale template matching, coarse to fine (see the module docstring)."""
    info: dict[str, Any] = {}
    h, w = scene.shape[:2]
    candidates = _coarse_candidates(scene, logo, min_width, max_width)
    info["template_candidates"] = len(candidates)
    if not candidates:
        return None, info
    factor = min(1.0, TEMPLATE_SCENE_SIDE / max(h, w))
    fine_scene = _downscaled(scene, factor)
    best_uniform: tuple[float, float, float, float, float, float] = (-1.0, 0, 0, 0, 0, 1.0)
    best_cand = candidates[0]
    for cand in candidates:
        hit = _fine_match(fine_scene, factor, logo, cand, (1.0,), FINE_SCALE_STEPS)
        if hit[0] > best_uniform[0]:
            best_uniform = hit
            best_cand = cand
    best_uniform = max(best_uniform, _polish(scene, logo, best_uniform))
    info["template_best_score"] = round(best_uniform[0], 4)
    method = "template"
    best = best_uniform
    if best_uniform[0] >= TEMPLATE_THRESHOLD:
        # Slightly squashed or stretched? Only accept another aspect if it is clearly better.
        near = _fine_match(fine_scene, factor, logo, best_cand, NEAR_ASPECTS, 7)
        if near[0] > best_uniform[0] + DISTORTION_MARGIN:
            best = max(near, _polish(scene, logo, near))
    else:
        # Not there undistorted: is it there squashed or stretched?
        best_distorted: tuple[float, float, float, float, float, float] = (-1.0, 0, 0, 0, 0, 1.0)
        for cand in candidates[:DISTORTED_CANDIDATES]:
            hit = _fine_match(fine_scene, factor, logo, cand, DISTORTED_ASPECTS, 9)
            if hit[0] > best_distorted[0]:
                best_distorted = hit
        best_distorted = max(best_distorted, _polish(scene, logo, best_distorted))
        info["distorted_best_score"] = round(best_distorted[0], 4)
        if best_distorted[0] < TEMPLATE_THRESHOLD or best_distorted[0] < best_uniform[0] + DISTORTION_MARGIN:
            return None, info
        best, method = best_distorted, "template-distorted"
    score, x, y, tw, th, aspect = best
    box = (max(0, round(x)), max(0, round(y)), min(w, round(x + tw)), min(h, round(y + th)))
    detection = LogoDetection(box=box, width=tw, height=th, score=score, method=method, aspect_change=aspect - 1.0)
    return detection, info


def _at_expected_box(scene: np.ndarray, logo: PreparedLogo, box: tuple[int, int, int, int]) -> LogoDetection | None:
    """The logo verified where the layout put the logo file (a masked correlation at that size), or ``None``."""
    x0, y0, x1, y1 = box
    visible_w = (x1 - x0) / max(logo.trim_scale, 1e-6)
    if visible_w < 8:
        return None
    visible_h = visible_w * logo.aspect
    score, found = _verify(scene, logo, (x0 + x1) / 2, (y0 + y1) / 2, visible_w, visible_h)
    if score < TEMPLATE_THRESHOLD:
        return None
    fw, fh = found[2] - found[0], found[3] - found[1]
    return LogoDetection(
        box=found,
        width=float(fw),
        height=float(fh),
        score=float(score),
        method="expected-box",
        aspect_change=(fh / max(fw, 1)) / logo.aspect - 1.0,
    )


def detect_logo(
    scene: np.ndarray,
    logo: PreparedLogo,
    min_width: float | None = None,
    max_width: float | None = None,
    expected_box: tuple[int, int, int, int] | None = None,
) -> tuple[LogoDetection | None, dict[str, Any]]:
    """Find ``logo`` in the grey uint8 ``scene``: at ``expected_box`` first (where the layout puts the logo
    file, when known), then ORB, then masked template matching as fallback.

    ``min_width``/``max_width`` bound the template search (rendered width in pixels);
    by default 3%–60% of the scene width.
    """
    info: dict[str, Any] = {}
    if expected_box is not None:
        at_box = _at_expected_box(scene, logo, expected_box)
        if at_box is not None:
            info["expected_box"] = "found"
            return at_box, info
        info["expected_box"] = "not there; searched the whole image"
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
    notes: list[str] = []
    for factor in factors:
        found = _orb_detect(scene, logo, factor)
        label = f"x{factor:.2g}"
        if found is not None and found.score >= ORB_VERIFY_MIN:
            notes.append(f"{label}: found")
            info["orb"] = "; ".join(notes)
            if factor > 1.0:
                found.method = "orb-upsampled"
            return found, info
        if found is not None:
            # Features agree but the pixels do not (e.g. the brand name set as text near a
            # different mark): not the logo.
            notes.append(f"{label}: rejected (verification score {found.score:.2f} < {ORB_VERIFY_MIN})")
        else:
            notes.append(f"{label}: no match")
    info["orb"] = "; ".join(notes)
    found, extra = _template_detect(scene, logo, lo, max(lo, hi))
    info.update(extra)
    return found, info


def _clear_space(scene: np.ndarray, box: tuple[int, int, int, int], margin: float, gap: float) -> dict[str, Any]:
    """Edge density in the clear-space band around ``box`` (see the module docstring).

    The band runs from ``gap`` to ``margin`` minus a small slack (so an edge lying
    exactly on the clear-space boundary, such as a backing panel, is not counted).
    Each side is cut into chunks about twice as long as the band is thick, and
    the side's density is its densest chunk, so one intruding word is not
    diluted by a long empty band.
    """
    import cv2

    h, w = scene.shape[:2]
    x0, y0, x1, y1 = box
    m = max(1, round(margin))
    outer = max(1, m - max(2, round(CLEAR_SPACE_OUTER_SLACK * m)))
    g = max(0, min(round(gap), outer - 1))
    pad = 3
    rx0, ry0 = max(0, x0 - outer - pad), max(0, y0 - outer - pad)
    rx1, ry1 = min(w, x1 + outer + pad), min(h, y1 + outer + pad)
    region = scene[ry0:ry1, rx0:rx1]
    clipped = {"top": y0 - outer < 0, "bottom": y1 + outer > h, "left": x0 - outer < 0, "right": x1 + outer > w}
    result_base: dict[str, Any] = {
        "band_px": m,
        "measured_from_px": g,
        "measured_to_px": outer,
        "clipped_sides": [k for k, v in clipped.items() if v],
    }
    if region.size == 0:
        return {**result_base, "sides": {}, "max_density": 0.0}
    edges = cv2.Canny(cv2.GaussianBlur(region, (3, 3), 0), 60, 160) > 0
    rh, rw = edges.shape

    def clamp(v: int, hi: int) -> int:
        return max(0, min(hi, v))

    ox0, oy0 = clamp(x0 - outer - rx0, rw), clamp(y0 - outer - ry0, rh)
    ox1, oy1 = clamp(x1 + outer - rx0, rw), clamp(y1 + outer - ry0, rh)
    ix0, iy0 = clamp(x0 - g - rx0, rw), clamp(y0 - g - ry0, rh)
    ix1, iy1 = clamp(x1 + g - rx0, rw), clamp(y1 + g - ry0, rh)
    strips = {
        "top": (edges[oy0:iy0, ox0:ox1], 1),
        "bottom": (edges[iy1:oy1, ox0:ox1], 1),
        "left": (edges[iy0:iy1, ox0:ix0], 0),
        "right": (edges[iy0:iy1, ix1:ox1], 0),
    }
    chunk = max(8, 2 * outer)
    sides: dict[str, float] = {}
    for name, (strip, axis) in strips.items():
        if strip.size < 16 or min(strip.shape) == 0:
            continue
        length = strip.shape[axis]
        densest = 0.0
        for start in range(0, length, chunk):
            part = strip[:, start : start + chunk] if axis == 1 else strip[start : start + chunk, :]
            if part.size >= 16:
                densest = max(densest, float(part.mean()))
        sides[name] = round(densest, 5)
    return {
        **result_base,
        "sides": sides,
        "max_density": max(sides.values()) if sides else 0.0,
        "luminance_mean": round(float(region.mean()), 1),
    }


def _grey_scene(image: Image.Image, backdrop: int) -> np.ndarray:
    import cv2

    if image.mode == "RGBA":
        arr = np.asarray(image, dtype=np.float32)
        a = arr[..., 3:4] / 255.0
        rgb = np.clip(np.rint(arr[..., :3] * a + backdrop * (1.0 - a)), 0, 255).astype(np.uint8)
    else:
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    grey: np.ndarray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return grey


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


class LogoCheck:
    """Find the expected logo variant and enforce the spec's logo rules (see the module docstring).

    ``require_edge_margin``: the clear-space band must also fit inside the image.
    """

    name = "logo"

    def __init__(self, *, require_edge_margin: bool = True) -> None:
        self.require_edge_margin = require_edge_margin

    def _prepared(self, ctx: CheckContext, logo: LogoVariant, backdrop: int) -> PreparedLogo:
        path = ctx.spec.asset_path(logo.file)
        ident = ctx.spec.fingerprint
        if not ident:
            stat = path.stat()
            ident = f"{path.resolve()}:{stat.st_mtime_ns}:{stat.st_size}"
        key = f"logo:{ident}:{logo.variant}:{logo.file}:{backdrop}"

        def factory() -> PreparedLogo:
            from brandkit.imageio import load_image

            return prepare_logo(load_image(path), logo.variant, backdrop)

        prepared: PreparedLogo = ctx.resources.get(key, factory)
        return prepared

    def run(self, ctx: CheckContext) -> CheckResult:
        """Detect the logo in ``ctx.image`` and check size, placement, distortion and clear space.

        A file with no provenance and no request (``expectation.copy_source == "none"``) of a brand that has
        logos is searched for every variant anywhere (see :meth:`_search_anywhere`): never ``skipped``.
        """
        variant = ctx.expectation.logo_variant
        if variant is None:
            if ctx.expectation.copy_source == "none" and ctx.spec.logos:
                return self._search_anywhere(ctx)
            return result(self.name, CheckStatus.skipped, details={"reason": "no logo variant expected"})
        return self._check_variant(ctx, variant)

    def _search_anywhere(self, ctx: CheckContext) -> CheckResult:
        """No provenance: which variant was ordered and where the layout put it are unknown.

        Every variant of the spec is searched for on the whole image; the best one found is judged by the spec's
        rules (size, allowed placements, distortion, clear space). None found: ``failed`` (the spec demands a
        logo). The details say what could not be known.
        """
        unknown = "no provenance: the expected logo variant and placement are unknown"
        outcomes: list[CheckResult] = []
        for logo in ctx.spec.logos:  # in the spec's order; the first variant found within the rules ends it
            outcomes.append(self._check_variant(ctx, logo.variant))
            if outcomes[-1].status is CheckStatus.passed:
                break
        found = [o for o in outcomes if o.details.get("found")]
        searched = [logo.variant for logo in ctx.spec.logos]
        if not found:
            worst = next((o for o in outcomes if o.status is CheckStatus.not_checked), None)
            if worst is not None:  # an engine or file problem: say so rather than claim absence
                worst.details.update(provenance="none", searched_variants=searched)
                return worst
            variants = " or ".join(f"'{v}'" for v in searched)
            return result(
                self.name,
                CheckStatus.failed,
                score=0.0,
                threshold=TEMPLATE_THRESHOLD,
                details={
                    "found": False,
                    "provenance": "none",
                    "searched_variants": searched,
                    "reason": f"{unknown}; searched the whole image for every variant and found none",
                },
                hint=f"the brand's logo ({variants}) must appear on the image; none was found anywhere",
            )
        best = max(found, key=lambda o: (o.status is CheckStatus.passed, o.score or 0.0))
        best.details.update(
            provenance="none",
            searched_variants=searched,
            reason=f"{unknown}; searched the whole image, found '{best.details.get('variant')}' and judged it by "
            "the spec's rules",
        )
        return best

    def _check_variant(self, ctx: CheckContext, variant: str) -> CheckResult:
        """Detect logo ``variant`` and judge it (the body of :meth:`run`)."""
        try:
            logo = ctx.spec.logo(variant)
        except KeyError as exc:
            return result(self.name, CheckStatus.not_checked, details={"reason": str(exc.args[0]), "variant": variant})
        try:
            import cv2  # noqa: F401 - availability probe
        except ImportError as exc:
            return result(
                self.name,
                CheckStatus.not_checked,
                details={"reason": f"OpenCV unavailable: {exc}", "variant": variant},
            )
        backdrop = 0 if ctx.expectation.background_tone == "dark" else 255
        try:
            prepared = self._prepared(ctx, logo, backdrop)
        except Exception as exc:  # unreadable logo file: cannot check, fail closed
            return result(
                self.name,
                CheckStatus.not_checked,
                details={"reason": f"logo file {logo.file!r} unusable: {type(exc).__name__}: {exc}"},
            )

        width, height = ctx.image.size
        scene = _grey_scene(ctx.image, backdrop)
        search_min = SEARCH_MIN_WIDTH_SHARE * logo.min_width_px / prepared.trim_scale
        search_max = max(search_min, min(0.95 * width, SEARCH_MAX_WIDTH_SHARE * logo.max_width_share * width))
        detection, info = detect_logo(scene, prepared, search_min, search_max, ctx.expectation.logo_box)
        placements = ", ".join(logo.placements)
        wanted = (
            f"the logo '{variant}' must appear {' or '.join(logo.placements)} "
            f"at ≥ {logo.min_width_px} px wide with clear space of {_pct(logo.clear_space)} of its height"
        )
        rules: dict[str, Any] = {
            "min_width_px": logo.min_width_px,
            "max_width_share": logo.max_width_share,
            "clear_space": logo.clear_space,
            "placements": list(logo.placements),
        }
        details: dict[str, Any] = {"variant": variant, "rules": rules, "detection": info}
        if detection is None:
            details["found"] = False
            return result(
                self.name,
                CheckStatus.failed,
                score=0.0,
                threshold=TEMPLATE_THRESHOLD,
                details=details,
                hint=f"{wanted}; it was not found on the last attempt",
            )

        details["found"] = True
        details.update(detection.as_details())
        problems: list[str] = []
        failed: list[str] = []

        # distortion
        distorted = (
            abs(detection.aspect_change) > MAX_ASPECT_CHANGE
            or abs(detection.rotation_deg) > MAX_ROTATION_DEG
            or detection.skew > math.sin(math.radians(MAX_ROTATION_DEG))
            or detection.method == "template-distorted"
        )
        details["distorted"] = distorted
        if distorted:
            failed.append("distorted")
            ratio = 1.0 + detection.aspect_change
            what = []
            if abs(detection.aspect_change) > MAX_ASPECT_CHANGE:
                what.append(f"its height-to-width ratio was {_pct(ratio)} of the original")
            if abs(detection.rotation_deg) > MAX_ROTATION_DEG:
                what.append(f"it was rotated by {detection.rotation_deg:.0f}°")
            if detection.skew > math.sin(math.radians(MAX_ROTATION_DEG)):
                what.append("it was skewed")
            problems.append(
                f"the logo '{variant}' must keep its original proportions (no stretching, squashing, "
                f"rotation or skew); {', '.join(what) or 'it was distorted'}"
            )

        # size: in widths of the whole logo file, as the compose stage sizes it
        rendered = detection.width * prepared.trim_scale
        max_width = logo.max_width_share * width
        details["rendered_width_px"] = round(rendered, 1)
        details["scale"] = round(rendered / (prepared.source_size[0] * prepared.trim_scale), 4)
        details["max_width_px"] = round(max_width, 1)
        index = ctx.spec.logos.index(logo)
        measures = [
            Measure(
                setting=f"logos[{index}].min_width_px",
                label=f"rendered width of the logo '{variant}' (px)",
                value=round(rendered, 1),
                threshold=logo.min_width_px,
                bound="min",
                step=4,
                lower=8,
            ),
            Measure(
                setting=f"logos[{index}].max_width_share",
                label=f"width of the logo '{variant}' as a share of the image width",
                value=round(rendered / width, 4),
                threshold=logo.max_width_share,
                bound="max",
                step=0.01,
                lower=0.01,
                upper=1.0,
            ),
        ]
        if rendered < logo.min_width_px * (1.0 - WIDTH_TOLERANCE):
            failed.append("too_small")
            problems.append(
                f"the logo '{variant}' must be at least {logo.min_width_px} px wide; "
                f"it was {rendered:.0f} px on the last attempt"
            )
        if rendered > max_width * (1.0 + WIDTH_TOLERANCE):
            failed.append("too_large")
            problems.append(
                f"the logo '{variant}' may be at most {_pct(logo.max_width_share)} of the image width "
                f"({max_width:.0f} px); it was {rendered:.0f} px"
            )

        # placement
        x0, y0, x1, y1 = detection.box
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        where = placement_of(cx, cy, width, height)
        details["placement"] = where
        details["center"] = [round(cx, 1), round(cy, 1)]
        if where not in logo.placements:
            failed.append("misplaced")
            problems.append(f"the logo '{variant}' must be placed {placements}; it was found {where}")

        # clear space
        logo_h = detection.height
        margin = logo.clear_space * logo_h
        if margin >= 1.0:
            band = _clear_space(scene, detection.box, margin, CLEAR_SPACE_GAP * logo_h)
            details["clear_space"] = band
            crowded_sides = [s for s, d in band["sides"].items() if d > CLEAR_SPACE_MAX_EDGE_DENSITY]
            edge_sides = band["clipped_sides"] if self.require_edge_margin else []
            band["max_edge_density"] = CLEAR_SPACE_MAX_EDGE_DENSITY
            if crowded_sides or edge_sides:
                failed.append("crowded")
                parts = []
                if crowded_sides:
                    parts.append(f"other content intrudes on its {', '.join(crowded_sides)} side(s)")
                if edge_sides:
                    parts.append(f"it is closer than that to the image edge on its {', '.join(edge_sides)} side(s)")
                problems.append(
                    f"keep a clear space of {_pct(logo.clear_space)} of the logo height ({margin:.0f} px) "
                    f"around the logo '{variant}' free of text and other elements; on the last attempt "
                    + " and ".join(parts)
                )
        details["failed_rules"] = failed
        if problems:
            return result(
                self.name,
                CheckStatus.failed,
                score=round(detection.score, 4),
                threshold=TEMPLATE_THRESHOLD,
                details=details,
                hint="; ".join(problems),
                measures=measures,
            )
        return result(
            self.name,
            CheckStatus.passed,
            score=round(detection.score, 4),
            threshold=TEMPLATE_THRESHOLD,
            details=details,
            measures=measures,
        )
