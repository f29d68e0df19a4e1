"""Contrast check: is the copy legible against what is behind it (WCAG 2.x)?

For each OCR line that belongs to the expected copy (every OCR line when no
copy is expected — but the text inside the logo the logo check found on the image, which WCAG 1.4.3 exempts as a
logotype: :mod:`brandkit.checks.logo_location`), the pixels of the line's box, widened by 15% of its
height on every side so that some background is always included, are split
in two with Otsu's threshold on luma. The smaller class is the text, the
larger the background. The text colour is the mean of the quarter of the text
pixels farthest from the threshold (anti-aliased edge pixels would otherwise
pull thin strokes toward the background: 16 px regular text in #767676 on white,
4.54:1, measures 4.27:1 with all text pixels, 4.47:1 with the quarter); the
background colour is the per-channel median of the background pixels (the mean was pulled toward the text by the
anti-aliased edge: white on Bootstrap's #0D6EFD, 4.50:1, measured 4.46:1 on a flat pill). The WCAG 2.x contrast
ratio of these two colours
(sRGB linearised, relative luminance, ``(L1 + 0.05) / (L2 + 0.05)``) must be
at least ``spec.typography.min_contrast`` for every line; one rule for all
sizes. Score = the smallest ratio. Transparent pixels are composited over
white (or black when a dark background was ordered) first.

:func:`relative_luminance` and :func:`contrast_ratio` (re-exported from
:mod:`brandkit.wcag`, the one implementation shared with the compose stage) take
8-bit sRGB colours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from brandkit.checks.base import CheckContext, CheckInfo, result
from brandkit.checks.contrast_details import ContrastDetails
from brandkit.checks.copy_match import copy_matches_for_context, required_copy
from brandkit.checks.logo_location import located_logo
from brandkit.checks.ocr_reading import copy_areas, ocr_for_context, ocr_mode_details
from brandkit.checks.opencv_threads import OpenCvThreads
from brandkit.geometry import PixelBox
from brandkit.models import CheckResult, CheckStatus, Measure
from brandkit.ocr import OcrLine
from brandkit.wcag import contrast_ratio, relative_luminance

__all__ = [
    "ContrastCheck",
    "LineContrast",
    "contrast_ratio",
    "copy_areas",
    "cta_pill",
    "measure_contrast",
    "measurement_box",
    "relative_luminance",
]

BOX_PADDING = 0.15
"""Share of the line height added around each OCR box before splitting text from background."""

MIN_TEXT_SHARE = 0.005
"""Below this share of the box, no text class is separable (ratio reported as 1:1)."""


def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{round(min(255.0, max(0.0, float(v)))):02X}" for v in rgb[:3])


def _otsu(values: np.ndarray) -> float:
    """Otsu threshold of uint8 ``values``: pixels ``> t`` form the upper class."""
    hist = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 127.0
    levels = np.arange(256, dtype=np.float64)
    w0 = np.cumsum(hist)
    w1 = total - w0
    m0 = np.cumsum(hist * levels)
    mt = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 / total - m0) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = -1.0
    best = float(between.max())
    if best <= 0:
        return float(values.max())  # one level only: everything is one class
    # centre of the plateau of maxima (robust for bimodal histograms with an empty gap)
    ties = np.flatnonzero(between >= best - 1e-9)
    return float((ties[0] + ties[-1]) // 2)


@dataclass(frozen=True)
class LineContrast:
    """Contrast measured in one text box."""

    ratio: float
    text_rgb: tuple[float, float, float]
    background_rgb: tuple[float, float, float]
    text_share: float
    separable: bool
    surround_share: float = 0.0  # share of the patch left out as the surround of the surface the line is set on

    def as_details(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        out: dict[str, Any] = {
            "ratio": round(self.ratio, 3),
            "text_color": _hex(self.text_rgb),
            "background_color": _hex(self.background_rgb),
            "text_share": round(self.text_share, 4),
            "separable": self.separable,
        }
        if self.surround_share > 0:
            out["surround_excluded"] = round(self.surround_share, 4)
        return out


def _padded(box: PixelBox, width: int, height: int, padding: float) -> PixelBox:
    x0, y0, x1, y1 = box
    pad = round(padding * max(1, y1 - y0))
    return max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad)


def _ratio(ratio: float, minimum: float) -> str:
    """A failed line's ratio as a reader can compare it with ``minimum``: one decimal, or two cut (not rounded)
    when one would read as the minimum itself (4.457 → "4.45", not "4.5" beside "at least 4.5")."""
    short = f"{ratio:.1f}"
    return short if float(short) < minimum else f"{math.floor(ratio * 100) / 100:.2f}"


def _luma(patch: np.ndarray) -> np.ndarray:
    """BT.601 luma of N×3 uint8 pixels in integer arithmetic (for Otsu only; the ratio uses WCAG luminance)."""
    weighted = patch[:, 0].astype(np.uint32) * 299 + patch[:, 1].astype(np.uint32) * 587
    weighted += patch[:, 2].astype(np.uint32) * 114 + 500
    luma: np.ndarray = (weighted // 1000).astype(np.uint8)
    return luma


def _smaller_class(luma: np.ndarray) -> tuple[float, np.ndarray]:
    """Otsu's threshold of ``luma`` and the mask of its smaller class (the text's candidate)."""
    threshold = _otsu(luma)
    upper = luma > threshold
    n_upper = int(np.count_nonzero(upper))
    return threshold, (upper if n_upper < upper.size - n_upper else ~upper)


def _surround(mask: np.ndarray) -> np.ndarray | None:
    """The pixels of the H×W class ``mask`` that surround a surface rather than draw glyphs: its 8-connected parts
    that touch the patch's edge, when they hold more than half of the class (``None`` otherwise). Glyphs sit
    inside the padded box; what reaches its edge in bulk is what lies around a pill or panel the line is set on."""
    import cv2

    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return None
    edge = np.unique(np.concatenate((labels[0], labels[-1], labels[:, 0], labels[:, -1])))
    edge = edge[edge > 0]
    if edge.size == 0:
        return None
    touching: np.ndarray = np.isin(labels, edge)
    return touching if 2 * int(np.count_nonzero(touching)) > int(np.count_nonzero(mask)) else None


def _measure_patch(patch_rgb: np.ndarray) -> LineContrast:
    """Split an H×W×3 uint8 patch into text and background and measure their contrast.

    Tall patches (large type, thick strokes) are sampled every ``height // 24``-th
    pixel in both directions: the colour statistics are unchanged, the cost is not.
    When the smaller class is mostly the patch's surround (:func:`_surround`: the page around a CTA pill the box
    reached past), those pixels are left out and the rest split again — text against the surface it is set on.
    """
    step = max(1, patch_rgb.shape[0] // 24)
    if step > 1:
        patch_rgb = patch_rgb[::step, ::step]
    height, width = patch_rgb.shape[:2]
    patch = np.ascontiguousarray(patch_rgb).reshape(-1, 3)
    if patch.shape[0] == 0:
        return LineContrast(1.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.0, False)
    luma = _luma(patch)
    threshold, text_mask = _smaller_class(luma)
    surround = _surround(text_mask.reshape(height, width)) if text_mask.any() else None
    surround_share = 0.0
    if surround is not None:
        inner = ~surround.reshape(-1)
        surround_share = 1.0 - float(np.count_nonzero(inner)) / inner.size
        patch, luma = patch[inner], luma[inner]
        threshold, text_mask = _smaller_class(luma)
    text_share = float(np.count_nonzero(text_mask)) / max(1, text_mask.size)
    if text_share < MIN_TEXT_SHARE:
        mean = patch.mean(axis=0)
        colour = (float(mean[0]), float(mean[1]), float(mean[2]))
        return LineContrast(1.0, colour, colour, text_share, False, surround_share)
    text_luma = luma[text_mask].astype(np.int16)
    distance = np.abs(text_luma - int(threshold))
    core = distance >= np.percentile(distance, 75)
    text_mean = patch[text_mask][core].mean(axis=0)
    bg_median = np.median(patch[~text_mask], axis=0)
    t = (float(text_mean[0]), float(text_mean[1]), float(text_mean[2]))
    b = (float(bg_median[0]), float(bg_median[1]), float(bg_median[2]))
    return LineContrast(contrast_ratio(t, b), t, b, text_share, True, surround_share)


def measure_contrast(rgb: np.ndarray, box: PixelBox, padding: float = BOX_PADDING) -> LineContrast:
    """Contrast between text and background inside ``box`` of the H×W×3 uint8 array ``rgb``.

    The box is widened by ``padding`` × its height on every side first.
    """
    height, width = rgb.shape[:2]
    x0, y0, x1, y1 = _padded(box, width, height, padding)
    return _measure_patch(np.ascontiguousarray(rgb[y0:y1, x0:x1, :3]))


def cta_pill(ctx: CheckContext) -> PixelBox | None:
    """The CTA's pill (``Expectation.cta_box``: known when brandkit drew it) in image pixels, scaled like
    :func:`copy_areas` when the file was resized; ``None`` when unknown."""
    return (
        None if ctx.expectation.cta_box is None else ctx.expectation.in_image(ctx.expectation.cta_box, ctx.image.size)
    )


def measurement_box(ctx: CheckContext, box: PixelBox) -> tuple[PixelBox, PixelBox | None]:
    """Where one OCR line's contrast is measured, and the area it was clipped to (``None``: no layout).

    The OCR box widened by :data:`BOX_PADDING`, then cut to the innermost area of the layout that holds the
    line's centre — the CTA's pill when brandkit drew one (:func:`cta_pill`), else the copy area: the pixels
    behind the glyphs are those of the surface the copy was drawn on, never the page or imagery around it (an
    OCR box a few pixels taller than the pill would otherwise measure the pill against the page).
    """
    image = ctx.image
    x0, y0, x1, y1 = _padded(box, image.width, image.height, BOX_PADDING)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    pill = cta_pill(ctx)
    for area in ([pill] if pill is not None else []) + copy_areas(ctx):
        if area[0] <= cx < area[2] and area[1] <= cy < area[3]:
            clipped = (max(x0, area[0]), max(y0, area[1]), min(x1, area[2]), min(y1, area[3]))
            if clipped[0] < clipped[2] and clipped[1] < clipped[3]:
                return clipped, area
    return (x0, y0, x1, y1), None


def _patch(ctx: CheckContext, region_box: PixelBox) -> np.ndarray:
    """``region_box`` of ``ctx.image`` as RGB uint8, transparent pixels composited over the backdrop."""
    region = ctx.image.crop(region_box)
    if region.mode == "RGB":
        rgb: np.ndarray = np.asarray(region, dtype=np.uint8)
        return rgb
    rgba = np.asarray(region.convert("RGBA"), dtype=np.float32)
    backdrop = 0.0 if ctx.expectation.background_tone == "dark" else 255.0
    alpha = rgba[..., 3:4] / 255.0
    flat: np.ndarray = np.clip(np.rint(rgba[..., :3] * alpha + backdrop * (1.0 - alpha)), 0, 255).astype(np.uint8)
    return flat


class ContrastCheck:
    """WCAG contrast of every line of copy against its background (see the module docstring)."""

    info: ClassVar[CheckInfo] = CheckInfo.builtin("contrast", ContrastDetails)
    name = info.name

    def run(self, ctx: CheckContext) -> CheckResult:
        """Measure each copy line's contrast and compare it with ``spec.typography.min_contrast``."""
        minimum = float(ctx.spec.typography.min_contrast)
        reading = ocr_for_context(ctx)
        if reading.lines is None:
            return result(
                self.name,
                CheckStatus.not_checked,
                threshold=minimum,
                details={
                    "reason": "OCR unavailable: the text could not be located",
                    "engine": reading.engine,
                    "error": reading.error,
                },
            )
        lines = reading.lines
        details: dict[str, Any] = {"engine": reading.engine, "min_contrast": minimum, **ocr_mode_details(reading)}
        selected: list[tuple[int, OcrLine, str | None]] = []
        if required_copy(ctx):
            matches = copy_matches_for_context(ctx, lines)
            roles_of: dict[int, list[str]] = {}
            for role, match in matches.items():
                if match.located:
                    for index in match.lines:
                        roles_of.setdefault(index, []).append(role)
            details["copy_not_located"] = [role for role, m in matches.items() if not m.located]
            if not roles_of:
                details["reason"] = (
                    "the expected copy was not located on the image (see the text check), "
                    "so its contrast could not be measured"
                )
                return result(self.name, CheckStatus.not_checked, threshold=minimum, details=details)
            selected = [(i, lines[i], ",".join(roles)) for i, roles in sorted(roles_of.items())]
            details["measured"] = "lines of the expected copy"
        else:
            if not lines:
                details["reason"] = "no copy expected and no text found on the image"
                return result(self.name, CheckStatus.skipped, threshold=minimum, details=details)
            logo = located_logo(ctx)
            inside = {i for i, line in enumerate(lines) if logo is not None and logo.holds(line.box)}
            selected = [(i, line, None) for i, line in enumerate(lines) if i not in inside]
            details["measured"] = "every OCR line (no copy expected)"
            if logo is not None and inside:
                details["logotype"] = {  # WCAG 1.4.3: text that is part of a logo has no contrast requirement
                    "logo_box": list(logo.box),
                    "variant": logo.variant,
                    "lines": sorted(inside),
                }
                details["measured"] = "every OCR line outside the logo (no copy expected)"
            if not selected:
                details["reason"] = "no copy expected and no text found on the image besides the logo's own"
                return result(self.name, CheckStatus.skipped, threshold=minimum, details=details)

        per_line: list[dict[str, Any]] = []
        low: list[tuple[OcrLine, LineContrast]] = []
        worst = float("inf")
        boxes = [measurement_box(ctx, line.box) for _, line, _ in selected]
        # OpenCV single-threaded for the patches' connected components: its pool's workers only spin on them
        # (measured on the composed ad: 2 ms CPU less an image, the same wall time)
        with OpenCvThreads.of(ctx.resources).single():
            patches = [_measure_patch(_patch(ctx, region_box)) for region_box, _ in boxes]
        for (index, line, roles), (region_box, area), measured in zip(selected, boxes, patches, strict=True):
            within = "padded OCR box (no layout known)"
            if area is not None:
                within = "CTA pill" if area == cta_pill(ctx) else "layout copy area"
            entry = {
                "line": index,
                "text": line.text,
                "box": list(line.box),
                "measured_box": list(region_box),
                "within": within,
                "height_px": line.height,
            }
            if roles:
                entry["roles"] = roles
            entry.update(measured.as_details())
            entry["passed"] = measured.ratio >= minimum
            per_line.append(entry)
            worst = min(worst, measured.ratio)
            if measured.ratio < minimum:
                low.append((line, measured))
        details["lines"] = per_line
        score = round(worst, 3)
        measures = [
            Measure(
                setting="typography.min_contrast",
                label="lowest contrast ratio of the copy lines",
                value=score,
                threshold=minimum,
                bound="min",
                step=0.1,
                lower=4.5,  # calibration never proposes less than WCAG AA for body text; set lower values by hand
                upper=21.0,
            )
        ]
        if low:
            parts = [
                f"'{line.text}' measured {_ratio(m.ratio, minimum)}:1 (text {_hex(m.text_rgb)} on "
                f"{_hex(m.background_rgb)})"
                for line, m in low[:5]
            ]
            hint = (
                f"raise the text contrast to at least {minimum:g}:1 (WCAG): "
                + "; ".join(parts)
                + "; use darker or lighter text, or a solid backing panel behind it"
            )
            return result(
                self.name,
                CheckStatus.failed,
                score=score,
                threshold=minimum,
                details=details,
                hint=hint,
                measures=measures,
            )
        return result(self.name, CheckStatus.passed, score=score, threshold=minimum, details=details, measures=measures)
