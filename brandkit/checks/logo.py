"""Logo check: is the expected logo there, large enough, in place, undistorted and given room?

**Detection** (OpenCV, offline; see ``offline-components.md`` §5):

1. *ORB + ratio test + RANSAC homography.* ORB features of the logo (alpha-trimmed,
   composited over the ordered background tone, resized to
   :data:`TEMPLATE_WORK_WIDTH` px) are matched against ORB features of the scene
   (Lowe ratio 0.75). A homography with at least :data:`ORB_MIN_INLIERS` RANSAC
   inliers whose projected outline is a sane convex quadrilateral is accepted,
   then verified with a masked correlation of the logo against the scene at the
   found box. ORB is fast (~20 ms) and finds logos of about 128 px and larger.
2. *Masked multi-scale template matching* when ORB finds nothing: the scene in
   grey, downscaled so its long side is at most :data:`TEMPLATE_SCENE_SIDE` px,
   is matched (``TM_CCOEFF_NORMED`` with the logo's alpha as mask) against the
   logo at :data:`TEMPLATE_SCALES` widths from 3% to 60% of the scene width; the
   best hit is refined on a finer scale grid around it. A score of at least
   :data:`TEMPLATE_THRESHOLD` is a detection. If no undistorted match reaches it,
   squashed and stretched versions of the logo (height × 0.6–1.5) are tried on a
   coarser scene; a hit there is reported as a *distorted* logo.

**Rules** (measured on the visible logo, i.e. its alpha bounding box):

* *Distortion*: the aspect ratio (height/width) of the detected logo differs from
  the file's by more than :data:`MAX_ASPECT_CHANGE` (5%), or it is rotated or
  skewed by more than :data:`MAX_ROTATION_DEG` degrees.
* *Size*: rendered width ≥ ``min_width_px`` and ≤ ``max_width_share`` × image width.
* *Placement*: the image is cut into a 3×3 grid of equal thirds; the centre of the
  logo box must lie in the cell of one of the allowed placements:
  ``top-left`` / ``top-center`` / ``top-right`` = top row, left / middle / right
  column; ``bottom-left`` / ``bottom-center`` / ``bottom-right`` = bottom row;
  ``center`` = the middle cell. (The middle-left and middle-right cells match no
  placement.)
* *Clear space*: the band of width ``clear_space`` × logo height around the box
  (a gap of :data:`CLEAR_SPACE_GAP` × logo height next to the box is ignored, for
  anti-aliasing and localisation error) must be free of other content: Canny edges
  (thresholds 60/160 after a 3×3 Gaussian blur) may cover at most
  :data:`CLEAR_SPACE_MAX_EDGE_DENSITY` of the band on each side (top, bottom,
  left, right, measured separately so that a small intrusion is not diluted). Flat
  colour and smooth gradients have no edges; text, shapes and busy texture do.
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
from brandkit.models import CheckResult, CheckStatus
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
ORB_SCENE_FEATURES = 5000
ORB_MAX_SCENE_SIDE = 1600
TEMPLATE_SCENE_SIDE = 800
TEMPLATE_SCALES = 18
TEMPLATE_THRESHOLD = 0.85
DISTORTED_SCENE_SIDE = 480
DISTORTED_ASPECTS = (0.6, 0.7, 0.8, 1.25, 1.43, 1.5)
MAX_ASPECT_CHANGE = 0.05
MAX_ROTATION_DEG = 3.0
CLEAR_SPACE_GAP = 0.06
CLEAR_SPACE_MAX_EDGE_DENSITY = 0.01

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
    aspect: float  # visible height / width of the logo file
    source_size: tuple[int, int]  # visible (alpha-trimmed) width, height in the file
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
    image = image.crop(box)
    vis_w, vis_h = image.size
    work_w = TEMPLATE_WORK_WIDTH
    work_h = max(8, round(work_w * vis_h / vis_w))
    image = image.resize((work_w, work_h), Image.Resampling.LANCZOS)
    arr = np.asarray(image, dtype=np.float32)
    a = arr[..., 3:4] / 255.0
    rgb = arr[..., :3] * a + backdrop * (1.0 - a)
    grey = cv2.cvtColor(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    mask = np.where(arr[..., 3] > 127, 255, 0).astype(np.uint8)
    masked = bool(mask.min() == 0) and float(grey[mask > 0].std()) >= 2.0
    if float(grey[mask > 0].std()) < 2.0:
        mask = np.full_like(mask, 255)  # single-colour silhouette: match its outline against the backdrop
    # ORB needs a border: pad with the backdrop so features near the logo's edge survive.
    pad = 32
    padded = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=int(backdrop))
    orb = cv2.ORB_create(nfeatures=1500, fastThreshold=10)
    kps, desc = orb.detectAndCompute(padded, None)
    points = np.array([kp.pt for kp in kps], dtype=np.float32).reshape(-1, 2) - pad
    return PreparedLogo(
        variant=variant,
        grey=grey,
        mask=mask,
        aspect=vis_h / vis_w,
        source_size=(vis_w, vis_h),
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

    @property
    def scale(self) -> float:
        """Rendered width in pixels (alias kept for reports)."""
        return self.width

    def as_details(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        out: dict[str, Any] = {
            "box": list(self.box),
            "rendered_width_px": round(self.width, 1),
            "rendered_height_px": round(self.height, 1),
            "match_score": round(self.score, 4),
            "method": self.method,
            "aspect_change": round(self.aspect_change, 4),
            "rotation_deg": round(self.rotation_deg, 2),
        }
        if self.inliers is not None:
            out["inliers"] = self.inliers
        return out


def _masked_score(scene: np.ndarray, templ: np.ndarray, mask: np.ndarray, masked: bool) -> np.ndarray:
    import cv2

    if masked:
        res = cv2.matchTemplate(scene, templ, cv2.TM_CCOEFF_NORMED, mask=mask)
    else:
        res = cv2.matchTemplate(scene, templ, cv2.TM_CCOEFF_NORMED)
    res = np.asarray(res, dtype=np.float32)
    res[~np.isfinite(res) | (res > 1.0001)] = -1.0
    return res


def _resized(logo: PreparedLogo, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    interp = cv2.INTER_AREA if width < logo.grey.shape[1] else cv2.INTER_LINEAR
    templ = cv2.resize(logo.grey, (width, height), interpolation=interp)
    mask = cv2.resize(logo.mask, (width, height), interpolation=cv2.INTER_NEAREST)
    return templ, mask


def _verify(scene: np.ndarray, logo: PreparedLogo, box: tuple[int, int, int, int]) -> float:
    """Masked correlation of the logo resized to ``box`` against the scene there (-1 when impossible)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if w < 8 or h < 4 or x0 < 0 or y0 < 0 or x1 > scene.shape[1] or y1 > scene.shape[0]:
        return -1.0
    templ, mask = _resized(logo, w, h)
    res = _masked_score(scene[y0:y1, x0:x1], templ, mask, logo.masked)
    return float(res.max()) if res.size else -1.0


def _orb_detect(scene: np.ndarray, logo: PreparedLogo) -> LogoDetection | None:
    import cv2

    if logo.descriptors is None or len(logo.descriptors) < ORB_MIN_INLIERS:
        return None
    h, w = scene.shape[:2]
    factor = min(1.0, ORB_MAX_SCENE_SIDE / max(h, w))
    work = scene if factor >= 1.0 else cv2.resize(scene, (round(w * factor), round(h * factor)), cv2.INTER_AREA)
    orb = cv2.ORB_create(nfeatures=ORB_SCENE_FEATURES, fastThreshold=10)
    kps, desc = orb.detectAndCompute(work, None)
    if desc is None or len(kps) < ORB_MIN_INLIERS:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(logo.descriptors, desc, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < ORB_RATIO * p[1].distance]
    if len(good) < ORB_MIN_INLIERS:
        return None
    src = np.float32([logo.keypoints[m.queryIdx] for m in good]).reshape(-1, 1, 2)
    dst = np.float32([kps[m.trainIdx].pt for m in good]).reshape(-1, 1, 2) / factor
    homography, inlier_mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0 / factor)
    if homography is None or inlier_mask is None:
        return None
    inliers = int(inlier_mask.sum())
    if inliers < ORB_MIN_INLIERS:
        return None
    th, tw = logo.grey.shape[:2]
    corners = np.float32([[0, 0], [tw, 0], [tw, th], [0, th]]).reshape(-1, 1, 2)
    quad = cv2.perspectiveTransform(corners, homography).reshape(4, 2).astype(np.float64)
    if not np.all(np.isfinite(quad)) or not cv2.isContourConvex(quad.astype(np.float32)):
        return None
    top, bottom = quad[1] - quad[0], quad[2] - quad[3]
    left, right = quad[3] - quad[0], quad[2] - quad[1]
    width = (np.linalg.norm(top) + np.linalg.norm(bottom)) / 2.0
    height = (np.linalg.norm(left) + np.linalg.norm(right)) / 2.0
    if width < 4 or height < 2:
        return None
    # Reject wild homographies (perspective blow-ups) that are not a logo pasted flat.
    if max(np.linalg.norm(top), np.linalg.norm(bottom)) > 1.5 * min(np.linalg.norm(top), np.linalg.norm(bottom)):
        return None
    rotation = math.degrees(math.atan2(top[1] + bottom[1], top[0] + bottom[0]))
    skew_cos = float(np.dot(top, left) / (np.linalg.norm(top) * np.linalg.norm(left)))
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
    box = (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1)))
    aspect_change = (height / width) / logo.aspect - 1.0
    score = _verify(scene, logo, box)
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


def _search(
    scene: np.ndarray, logo: PreparedLogo, widths: np.ndarray, aspect_factor: float
) -> tuple[float, int, int, int, int]:
    """Best (score, x, y, w, h) over template ``widths`` at ``aspect_factor`` × the logo's aspect."""
    best = (-1.0, 0, 0, 0, 0)
    sh, sw = scene.shape[:2]
    for width in widths:
        tw = round(float(width))
        th = round(tw * logo.aspect * aspect_factor)
        if tw < 8 or th < 6 or tw > sw or th > sh:
            continue
        templ, mask = _resized(logo, tw, th)
        res = _masked_score(scene, templ, mask, logo.masked)
        _, score, _, loc = _min_max(res)
        if score > best[0]:
            best = (score, int(loc[0]), int(loc[1]), tw, th)
    return best


def _min_max(res: np.ndarray) -> tuple[float, float, tuple[int, int], tuple[int, int]]:
    import cv2

    lo, hi, lo_loc, hi_loc = cv2.minMaxLoc(res)
    return float(lo), float(hi), (int(lo_loc[0]), int(lo_loc[1])), (int(hi_loc[0]), int(hi_loc[1]))


def _downscaled(scene: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    import cv2

    h, w = scene.shape[:2]
    factor = min(1.0, side / max(h, w))
    if factor >= 1.0:
        return scene, 1.0
    return cv2.resize(scene, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA), factor


def _refine(
    scene: np.ndarray, logo: PreparedLogo, hit: tuple[float, int, int, int, int], aspects: tuple[float, ...]
) -> tuple[float, int, int, int, int, float]:
    """Refine scale (±12%, 7 steps) and aspect around ``hit`` inside a local window."""
    score, x, y, tw, th = hit
    best = (score, x, y, tw, th, 1.0)
    sh, sw = scene.shape[:2]
    for aspect in aspects:
        for k in np.linspace(0.88, 1.12, 7):
            w2 = round(tw * k)
            h2 = round(w2 * logo.aspect * aspect)
            if w2 < 8 or h2 < 6:
                continue
            mx, my = max(4, w2 // 5), max(4, h2 // 5)
            rx0, ry0 = max(0, x - mx), max(0, y - my)
            rx1, ry1 = min(sw, x + mx + w2), min(sh, y + my + h2)
            roi = scene[ry0:ry1, rx0:rx1]
            if roi.shape[0] < h2 or roi.shape[1] < w2:
                continue
            templ, mask = _resized(logo, w2, h2)
            res = _masked_score(roi, templ, mask, logo.masked)
            _, s, _, loc = _min_max(res)
            if s > best[0] + (0.0 if aspect == 1.0 else 0.02):
                best = (s, rx0 + loc[0], ry0 + loc[1], w2, h2, aspect)
    return best


def _template_detect(scene: np.ndarray, logo: PreparedLogo) -> tuple[LogoDetection | None, dict[str, Any]]:
    info: dict[str, Any] = {}
    small, factor = _downscaled(scene, TEMPLATE_SCENE_SIDE)
    sw = small.shape[1]
    widths = np.geomspace(max(12.0, 0.03 * sw), 0.6 * sw, TEMPLATE_SCALES)
    hit = _search(small, logo, widths, 1.0)
    info["template_best_score"] = round(hit[0], 4)
    if hit[0] >= TEMPLATE_THRESHOLD - 0.1:
        score, x, y, tw, th, aspect = _refine(small, logo, hit, (1.0, 0.93, 1.07))
        info["template_best_score"] = round(score, 4)
        if score >= TEMPLATE_THRESHOLD:
            box = (round(x / factor), round(y / factor), round((x + tw) / factor), round((y + th) / factor))
            return (
                LogoDetection(
                    box=box,
                    width=tw / factor,
                    height=th / factor,
                    score=score,
                    method="template",
                    aspect_change=aspect - 1.0,
                ),
                info,
            )
    # Nothing undistorted: is it there squashed or stretched?
    tiny, tfactor = _downscaled(scene, DISTORTED_SCENE_SIDE)
    tw_ = tiny.shape[1]
    widths = np.geomspace(max(12.0, 0.03 * tw_), 0.6 * tw_, 12)
    best: tuple[float, int, int, int, int, float] = (-1.0, 0, 0, 0, 0, 1.0)
    for aspect in DISTORTED_ASPECTS:
        s, x, y, tw, th = _search(tiny, logo, widths, aspect)
        if s > best[0]:
            best = (s, x, y, tw, th, aspect)
    info["distorted_best_score"] = round(best[0], 4)
    if best[0] >= TEMPLATE_THRESHOLD - 0.1:
        s, x, y, tw, th, aspect = best
        # refine at the finer scale around the coarse hit
        ratio = factor / tfactor
        seed = (s, round(x * ratio), round(y * ratio), round(tw * ratio), round(th * ratio))
        fine = _refine(small, logo, seed, (aspect, aspect * 0.93, aspect * 1.07))
        s, x, y, tw, th, aspect = fine
        info["distorted_best_score"] = round(s, 4)
        if s >= TEMPLATE_THRESHOLD:
            box = (round(x / factor), round(y / factor), round((x + tw) / factor), round((y + th) / factor))
            return (
                LogoDetection(
                    box=box,
                    width=tw / factor,
                    height=th / factor,
                    score=s,
                    method="template-distorted",
                    aspect_change=aspect - 1.0,
                ),
                info,
            )
    return None, info


def detect_logo(scene: np.ndarray, logo: PreparedLogo) -> tuple[LogoDetection | None, dict[str, Any]]:
    """Find ``logo`` in the grey uint8 ``scene``: ORB first, masked template matching as fallback."""
    info: dict[str, Any] = {}
    found = _orb_detect(scene, logo)
    if found is not None:
        info["orb"] = "found"
        return found, info
    info["orb"] = "no match"
    found, extra = _template_detect(scene, logo)
    info.update(extra)
    return found, info


def _clear_space(
    scene: np.ndarray, box: tuple[int, int, int, int], margin: float, gap: float
) -> dict[str, Any]:
    """Edge density of the clear-space band on each side of ``box`` (see the module docstring)."""
    import cv2

    h, w = scene.shape[:2]
    x0, y0, x1, y1 = box
    m, g = max(1, round(margin)), min(round(gap), max(0, round(margin) - 1))
    ox0, oy0, ox1, oy1 = x0 - m, y0 - m, x1 + m, y1 + m
    cx0, cy0, cx1, cy1 = max(0, ox0), max(0, oy0), min(w, ox1), min(h, oy1)
    region = scene[cy0:cy1, cx0:cx1]
    if region.size == 0:
        return {"sides": {}, "max_density": 0.0, "clipped": True}
    edges = cv2.Canny(cv2.GaussianBlur(region, (3, 3), 0), 60, 160) > 0
    # inner rectangle (box grown by the gap), in region coordinates
    ix0, iy0, ix1, iy1 = x0 - g - cx0, y0 - g - cy0, x1 + g - cx0, y1 + g - cy0
    rh, rw = region.shape
    sides = {
        "top": (slice(0, max(0, iy0)), slice(0, rw)),
        "bottom": (slice(min(rh, iy1), rh), slice(0, rw)),
        "left": (slice(max(0, iy0), min(rh, iy1)), slice(0, max(0, ix0))),
        "right": (slice(max(0, iy0), min(rh, iy1)), slice(min(rw, ix1), rw)),
    }
    out: dict[str, float] = {}
    for name, (ys, xs) in sides.items():
        part = edges[ys, xs]
        if part.size >= max(16, m):
            out[name] = round(float(part.mean()), 5)
    clipped = {
        "top": oy0 < 0,
        "bottom": oy1 > h,
        "left": ox0 < 0,
        "right": ox1 > w,
    }
    return {
        "sides": out,
        "max_density": max(out.values()) if out else 0.0,
        "clipped_sides": [k for k, v in clipped.items() if v],
        "band_px": m,
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
        """Detect the logo in ``ctx.image`` and check size, placement, distortion and clear space."""
        variant = ctx.expectation.logo_variant
        if variant is None:
            return result(self.name, CheckStatus.skipped, details={"reason": "no logo variant expected"})
        try:
            logo = ctx.spec.logo(variant)
        except KeyError as exc:
            return result(
                self.name, CheckStatus.not_checked, details={"reason": str(exc.args[0]), "variant": variant}
            )
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
        detection, info = detect_logo(scene, prepared)
        placements = ", ".join(logo.placements)
        wanted = (
            f"the logo '{variant}' must appear {' or '.join(logo.placements)} at ≥ {logo.min_width_px} px wide "
            f"with clear space of {_pct(logo.clear_space)} of its height"
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

        # size
        rendered = detection.width
        max_width = logo.max_width_share * width
        details["max_width_px"] = round(max_width, 1)
        if rendered < logo.min_width_px:
            failed.append("too_small")
            problems.append(
                f"the logo '{variant}' must be at least {logo.min_width_px} px wide; "
                f"it was {rendered:.0f} px on the last attempt"
            )
        if rendered > max_width:
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
                    f"keep a clear space of {_pct(logo.clear_space)} of the logo height ({margin:.0f} px) around "
                    f"the logo '{variant}' free of text and other elements; on the last attempt "
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
            )
        return result(
            self.name, CheckStatus.passed, score=round(detection.score, 4), threshold=TEMPLATE_THRESHOLD, details=details
        )
