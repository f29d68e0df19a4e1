"""A logo variant prepared for detection (trimmed template, mask, ORB features), detections, the grey scene."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from PIL import Image

from brandkit.checks.logo.colour import logo_colours
from brandkit.checks.logo.constants import OPAQUE_ALPHA, SIZED_TEMPLATES_BYTES, TEMPLATE_WORK_WIDTH
from brandkit.geometry import PixelBox

T = TypeVar("T")

LOGO_ORB_FEATURES = 1500
LOGO_ORB_FAST_THRESHOLD = 10
LOGO_ORB_PAD = 32
"""ORB on the logo template: at most this many features, FAST threshold, backdrop padding (px) around it."""
SINGLE_COLOUR_STD = 2.0
"""A logo whose fully opaque pixels (alpha ≥ :data:`OPAQUE_ALPHA`, in the file at its own size) vary less than this
(grey levels, standard deviation) is one colour: matched as a silhouette against the backdrop (the whole box), not
through its alpha mask. Judged on the resized template instead, the anti-aliased edges (blended with the backdrop
by the resize) passed for a second tone: the Northwind mono wordmark (0.5 in its file, 22 on the template) was
matched on its edges' anti-aliasing alone and scored 0.76 drawn exactly where the layout put it, under the 0.85 bar."""


class SizedTemplates:
    """What one prepared logo derives per template size (resized template, mask, correlation kernels), kept by
    (width, height) up to ``budget`` bytes, the least recently used dropped first. Owned by its
    :class:`PreparedLogo` (so once per kit, in the kit's resources; no global state); thread-safe."""

    def __init__(self, budget: int = SIZED_TEMPLATES_BYTES) -> None:
        self._items: OrderedDict[tuple[int, ...], tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._budget = budget
        self._lock = threading.Lock()
        self.made = 0
        """How many entries were computed (not found): what a test counts."""

    def __len__(self) -> int:
        return len(self._items)

    def get(self, size: tuple[int, ...], make: Callable[[], T], nbytes: Callable[[T], int]) -> T:
        """The entry for ``size``: kept, or ``make()`` now and kept (weighing ``nbytes`` of it)."""
        with self._lock:
            kept = self._items.get(size)
            if kept is not None:
                self._items.move_to_end(size)
                found: T = kept[0]
                return found
        value = make()  # outside the lock: two threads may both make it, the same value
        weight = nbytes(value)
        with self._lock:
            self.made += 1
            if size not in self._items and weight <= self._budget:
                self._items[size] = (value, weight)
                self._bytes += weight
                while self._bytes > self._budget:
                    _, (_, dropped) = self._items.popitem(last=False)
                    self._bytes -= dropped
        return value


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
    colour_labels: np.ndarray  # uint8, same shape as ``grey``: k in the file's k-th colour area, 0 elsewhere
    colours: np.ndarray  # K×3 uint8 sRGB: each area's colour (:func:`~brandkit.checks.logo.colour.logo_colours`)
    sized: SizedTemplates = field(default_factory=SizedTemplates, repr=False, compare=False)
    """The template at each size matched recently (see :func:`~brandkit.checks.logo.matching.sized`)."""


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
    single_colour = _single_colour(image)
    vis_w, vis_h = image.size
    work_w = TEMPLATE_WORK_WIDTH
    work_h = max(8, round(work_w * vis_h / vis_w))
    image = image.resize((work_w, work_h), Image.Resampling.LANCZOS)
    colour_labels, colours = logo_colours(np.asarray(image, dtype=np.uint8))
    arr = np.asarray(image, dtype=np.float32)
    a = arr[..., 3:4] / 255.0
    rgb = arr[..., :3] * a + backdrop * (1.0 - a)
    grey = cv2.cvtColor(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    alpha_u8 = np.clip(np.rint(arr[..., 3]), 0, 255).astype(np.uint8)
    mask = np.where(alpha_u8 > 127, 255, 0).astype(np.uint8)
    masked = bool(mask.min() == 0) and not single_colour
    if single_colour:
        mask = np.full_like(mask, 255)  # single-colour silhouette: match its outline against the backdrop
    # ORB needs a border: pad with the backdrop so features near the logo's edge survive.
    pad = LOGO_ORB_PAD
    padded = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=int(backdrop))
    orb = cv2.ORB.create(nfeatures=LOGO_ORB_FEATURES, fastThreshold=LOGO_ORB_FAST_THRESHOLD)
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
        colour_labels=colour_labels,
        colours=colours,
    )


def _single_colour(image: Image.Image) -> bool:
    """Whether the trimmed RGBA logo ``image`` (the file's own pixels) is one colour: its fully opaque pixels' grey
    levels vary less than :data:`SINGLE_COLOUR_STD` (the pixels over alpha 127 when none is fully opaque)."""
    alpha = np.asarray(image.getchannel("A"))
    opaque = alpha >= OPAQUE_ALPHA
    if not opaque.any():
        opaque = alpha > 127
    if not opaque.any():
        return True  # a faint logo: its outline is all there is to match
    grey = np.asarray(image.convert("RGB").convert("L"))[opaque]
    return float(grey.std()) < SINGLE_COLOUR_STD


@dataclass
class LogoDetection:
    """Where the logo was found (original image pixels)."""

    box: PixelBox
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


def backdrop_shows(image: Image.Image) -> bool:
    """Whether :func:`grey_scene` of ``image`` depends on its backdrop: an RGBA image with at least one pixel not
    fully opaque. (Other modes are read without their transparency, as :func:`grey_scene` reads them.)"""
    if image.mode != "RGBA":
        return False
    extrema = image.getchannel("A").getextrema()  # (lowest, highest) of the one band
    return isinstance(extrema[0], (int, float)) and extrema[0] < 255


def grey_scene(image: Image.Image, backdrop: int) -> np.ndarray:
    """The image in grey, transparent pixels composited over ``backdrop``."""
    import cv2

    if image.mode == "RGBA":
        arr = np.asarray(image, dtype=np.float32)
        a = arr[..., 3:4] / 255.0
        rgb = np.clip(np.rint(arr[..., :3] * a + backdrop * (1.0 - a)), 0, 255).astype(np.uint8)
    elif image.mode == "RGB":  # no converted copy (~2 ms at 1024²)
        rgb = np.asarray(image, dtype=np.uint8)
    else:
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    grey: np.ndarray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return grey
