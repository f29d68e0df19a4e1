"""Palette adherence: per-pixel minimum CIEDE2000 distance to the brand palette.

Every opaque pixel is compared with the palette colours plus the allowed
neutrals (black, white and ``neutral_steps`` greys). Reported: coverage
(share within ``palette.tolerance``), off-palette share (ΔE > 20), the
dominant colours each with its nearest brand colour and ΔE, presence and
share of each palette colour (``min_share`` / ``max_share``), and the share
of each forbidden colour. Transparent pixels (alpha < 128) are ignored.

The per-image cost is a table look-up per pixel: the :class:`PaletteMatcher`
for a spec is built once and kept in the kit's :class:`CheckResources`,
keyed by the palette's content.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
from PIL import Image

from brandkit.checks.base import CheckContext, result
from brandkit.color import PaletteMatcher, ciede2000, hex_to_rgb, rgb_to_hex, srgb_to_lab
from brandkit.models import CheckResult, CheckStatus
from brandkit.spec.models import Palette

OFF_PALETTE_DE = 20.0
DOMINANT_COLORS = 6


def reference_colors(palette: Palette) -> tuple[list[tuple[int, int, int]], list[str]]:
    """Palette colours plus allowed neutrals, with a display name for each."""
    colors = [hex_to_rgb(c.hex) for c in palette.colors]
    names = [f"{c.name} {c.hex}" for c in palette.colors]
    if palette.allow_neutrals:
        steps = palette.neutral_steps
        for i in range(steps):
            v = round(255 * i / (steps - 1))
            colors.append((v, v, v))
            names.append("black" if v == 0 else "white" if v == 255 else f"grey {rgb_to_hex((v, v, v))}")
    return colors, names


def _palette_key(palette: Palette) -> str:
    return hashlib.sha256(json.dumps(palette.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]


class _Matchers:
    """The palette matcher and one matcher per forbidden colour, built once per palette."""

    def __init__(self, palette: Palette) -> None:
        colors, self.names = reference_colors(palette)
        self.palette = PaletteMatcher(colors)
        self.n_brand = len(palette.colors)
        self.forbidden = [(f, PaletteMatcher([hex_to_rgb(f.hex)])) for f in palette.forbidden_colors]
        self.ref_lab = srgb_to_lab(np.asarray(colors, dtype=np.uint8))


def image_pixels(image: Image.Image) -> np.ndarray:
    """The pixels to measure: (H, W, 3) uint8 for an opaque image (no copy beyond Pillow's), else (N, 3) of
    the pixels with alpha ≥ 128."""
    if image.mode == "RGB":
        return np.asarray(image, dtype=np.uint8)
    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
    alpha = rgba[..., 3]
    if bool(alpha.min() >= 128):
        return np.ascontiguousarray(rgba[..., :3])
    return np.ascontiguousarray(rgba[..., :3][alpha >= 128])


def dominant_colors(pixels: np.ndarray, k: int = DOMINANT_COLORS) -> list[tuple[tuple[int, int, int], float]]:
    """The ``k`` most common colours (4-bit bins, each reported as its mean colour) with their shares."""
    if len(pixels) == 0:
        return []
    q = (pixels >> 4).astype(np.int32)
    index = (q[:, 0] << 8) | (q[:, 1] << 4) | q[:, 2]
    counts = np.bincount(index, minlength=4096)
    top = np.argsort(counts)[::-1][:k]
    top = top[counts[top] > 0]
    sums = [np.bincount(index, weights=pixels[:, c].astype(np.float64), minlength=4096)[top] for c in range(3)]
    out = []
    for j, b in enumerate(top):
        mean = tuple(round(float(sums[c][j] / counts[b])) for c in range(3))
        out.append(((mean[0], mean[1], mean[2]), float(counts[b] / len(pixels))))
    return out


class PaletteCheck:
    """The ``palette`` check (see module docstring)."""

    name = "palette"

    def _matchers(self, ctx: CheckContext) -> _Matchers:
        palette = ctx.spec.palette
        matchers: _Matchers = ctx.resources.get(f"palette:{_palette_key(palette)}", lambda: _Matchers(palette))
        return matchers

    def run(self, ctx: CheckContext) -> CheckResult:
        """Measure palette adherence of ``ctx.image``."""
        palette = ctx.spec.palette
        m = self._matchers(ctx)
        pixels = image_pixels(ctx.image)
        total = int(pixels.size // 3)
        if total == 0:
            return result(self.name, CheckStatus.skipped, details={"reason": "the image has no opaque pixels"})
        # exact within-tolerance decision and per-colour counts over every opaque pixel: one table gather
        stats = m.palette.coverage(pixels, palette.tolerance)
        coverage = stats.coverage
        per_ref = stats.within_counts / total
        # descriptive statistics (approximate distances, dominant colours) on a regular 1-in-16 sample
        sample = pixels[::4, ::4] if pixels.ndim == 3 else pixels[::16]
        sample = sample.reshape(-1, 3)
        de, _ = m.palette.min_delta_e(sample)
        off = float(np.count_nonzero(de > OFF_PALETTE_DE) / max(1, len(de)))
        problems: list[str] = []
        hints: list[str] = []
        colors: list[dict[str, Any]] = []
        for i, color in enumerate(palette.colors):
            share = float(per_ref[i])
            entry: dict[str, Any] = {
                "name": color.name,
                "hex": color.hex,
                "role": color.role.value,
                "share": round(share, 5),
                "present": share > 0.001,
            }
            if color.min_share is not None and share < color.min_share:
                problems.append(f"{color.name} covers {share:.1%} (needs ≥ {color.min_share:.0%})")
                hints.append(
                    f"use more {color.name} {color.hex} (now {share:.1%} of the area, needs at least "
                    f"{color.min_share:.0%})"
                )
                entry["ok"] = False
            elif color.max_share is not None and share > color.max_share:
                problems.append(f"{color.name} covers {share:.1%} (allowed ≤ {color.max_share:.0%})")
                hints.append(
                    f"reduce {color.name} {color.hex} to at most {color.max_share:.0%} of the area (now {share:.1%})"
                )
                entry["ok"] = False
            colors.append(entry)
        forbidden: list[dict[str, Any]] = []
        for fcolor, matcher in m.forbidden:
            share = matcher.coverage(pixels, fcolor.tolerance).coverage
            ok = share <= fcolor.max_share
            forbidden.append(
                {
                    "name": fcolor.name,
                    "hex": fcolor.hex,
                    "share": round(share, 5),
                    "max_share": fcolor.max_share,
                    "ok": ok,
                }
            )
            if not ok:
                problems.append(f"forbidden colour {fcolor.name} covers {share:.1%} (allowed ≤ {fcolor.max_share:.1%})")
                hints.append(
                    f"remove {fcolor.name} {fcolor.hex} ({share:.1%} of the area; at most "
                    f"{fcolor.max_share:.1%} allowed)"
                )
        dominant = []
        doms = dominant_colors(sample)
        if doms:
            lab = srgb_to_lab(np.asarray([c for c, _ in doms], dtype=np.uint8))
            dist = ciede2000(lab[:, None, :], m.ref_lab[None, :, :])
            for (rgb, share), row in zip(doms, dist, strict=True):
                j = int(np.argmin(row))
                dominant.append(
                    {
                        "hex": rgb_to_hex(rgb),
                        "share": round(share, 5),
                        "nearest": m.names[j],
                        "delta_e": round(float(row[j]), 2),
                        "on_palette": bool(row[j] <= palette.tolerance),
                    }
                )
        if coverage < palette.min_coverage:
            problems.insert(0, f"coverage {coverage:.1%} is below {palette.min_coverage:.0%}")
            worst = next((d for d in dominant if not d["on_palette"]), None)
            note = (
                (
                    f"; the largest off-palette colour is {worst['hex']} ({worst['share']:.0%} of the area, nearest "
                    f"{worst['nearest']} at ΔE {worst['delta_e']})"
                )
                if worst
                else ""
            )
            hints.insert(
                0,
                f"keep to the brand palette: only {coverage:.0%} of the image is within ΔE "
                f"{palette.tolerance:g} of it (needs {palette.min_coverage:.0%}){note}",
            )
        details = {
            "coverage": round(coverage, 5),
            "min_coverage": palette.min_coverage,
            "tolerance": palette.tolerance,
            "off_palette_share_approx": round(off, 4),
            "pixels": total,
            "mean_delta_e_approx": round(float(de.mean()), 2),
            "p95_delta_e_approx": round(float(np.percentile(de, 95)), 2),
            "colors": colors,
            "forbidden_colors": forbidden,
            "dominant": dominant,
            "problems": problems,
        }
        status = CheckStatus.failed if problems else CheckStatus.passed
        return result(
            self.name,
            status,
            score=round(coverage, 5),
            threshold=palette.min_coverage,
            details=details,
            hint="; ".join(hints) if hints else None,
        )
