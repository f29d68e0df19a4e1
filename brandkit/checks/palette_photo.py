"""The palette check's photographic rule: colour character, not pixel coverage.

The photo's dominant colours (weighted k-means in CIELAB over the photo's colour histogram — every pixel, from the
distinct colours the palette check has already counted: :func:`brandkit.color.character.dominant_colors_of`)
are judged one by one: a cluster covering at least ``palette.photo.min_share`` of the photo
is *on brand* when it is within ``photo.max_delta_e`` ΔE00 of a palette colour (or an
allowed neutral) or inside one of ``photo.ranges`` (hue / chroma / lightness). The rule
fails when the off-brand dominant colours together cover more than ``photo.max_off_share``
of the photo, when any cluster (whatever its share, above 2 %) is within
``photo.competitor_delta_e`` of a forbidden colour and nearer to it than to every palette
colour, when more than ``photo.max_dark_share`` of the photo is near-black, or when the
grey-world colour temperature is outside ``photo.temperature``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from brandkit.checks.base import limit_pct
from brandkit.color import ciede2000, rgb_to_hex
from brandkit.color.character import (
    color_temperature_of,
    dark_share_of_colors,
    describe_color,
    dominant_colors_of,
    in_lch_range,
)
from brandkit.spec.palette import Palette

#: clusters below this share of the photo are noise, even for the competitor test
MIN_COMPETITOR_CLUSTER = 0.02


@dataclass
class PhotoVerdict:
    """What the photographic rule found: details for the report, problems and hints if it failed."""

    details: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


def _needed_delta_e(entries: list[dict[str, Any]], max_off_share: float) -> float:
    """The smallest ``max_delta_e`` with which the off-brand dominant colours would cover ≤ ``max_off_share``
    (the other settings unchanged): what calibration proposes for the dominant-colour distance."""
    candidates = sorted((e for e in entries if e["dominant"] and not e["in_ranges"]), key=lambda e: -e["delta_e"])
    covered = 0.0
    for entry in candidates:
        if covered + entry["share"] > max_off_share + 1e-12:
            return float(entry["delta_e"])
        covered += entry["share"]
    return 0.0


def judge_photo(
    colors: npt.NDArray[np.uint8],
    counts: npt.NDArray[np.int64],
    palette: Palette,
    ref_lab: npt.NDArray[np.float64],
    ref_names: list[str],
    forbidden_lab: npt.NDArray[np.float64],
) -> PhotoVerdict:
    """Judge the photograph against ``palette.photo``, from its pixels counted per distinct colour (``colors``
    (N, 3) uint8, ``counts`` (N,): the photo's pixels of each colour, zeros allowed — every pixel is counted, none
    is sampled).

    ``ref_lab`` / ``ref_names`` are the palette colours plus allowed neutrals; ``forbidden_lab``
    the forbidden colours (same order as ``palette.forbidden_colors``).
    """
    rule = palette.photo
    clusters = dominant_colors_of(colors, counts, rule.clusters)
    entries: list[dict[str, Any]] = []
    off_share = 0.0
    off_entries: list[dict[str, Any]] = []
    competitor: list[dict[str, Any]] = []
    labs = np.asarray([cl.lab for cl in clusters], dtype=np.float64).reshape(-1, 3)
    de_all = ciede2000(labs[:, None, :], ref_lab[None, :, :])  # every cluster against every reference at once
    fde_all = ciede2000(labs[:, None, :], forbidden_lab[None, :, :]) if len(forbidden_lab) else None
    for i, cl in enumerate(clusters):
        de = de_all[i]
        j = int(np.argmin(de))
        ranges = [r.name for r in rule.ranges if in_lch_range(cl.lab, r.hue, r.chroma, r.lightness)]
        dominant = cl.share >= rule.min_share
        on_brand = bool(de[j] <= rule.max_delta_e) or bool(ranges)
        entry: dict[str, Any] = {
            "hex": rgb_to_hex(cl.rgb),
            "share": round(cl.share, 4),
            "looks": describe_color(cl.lab),
            "nearest": ref_names[j],
            "delta_e": round(float(de[j]), 2),
            "in_ranges": ranges,
            "dominant": dominant,
            "on_brand": on_brand,
        }
        if fde_all is not None and cl.share >= MIN_COMPETITOR_CLUSTER:
            fde = fde_all[i]
            k = int(np.argmin(fde))
            entry["nearest_forbidden"] = palette.forbidden_colors[k].name
            entry["forbidden_delta_e"] = round(float(fde[k]), 2)
            if fde[k] <= rule.competitor_delta_e and fde[k] < de[j]:  # nearer the forbidden colour than the brand
                competitor.append(entry)
        if dominant and not on_brand:
            off_share += cl.share
            off_entries.append(entry)
        entries.append(entry)
    verdict = PhotoVerdict(
        details={
            "clusters": entries,
            "off_brand_share": round(off_share, 4),
            "needed_max_delta_e": round(_needed_delta_e(entries, rule.max_off_share), 2),
            "nearest_forbidden_delta_e": min(
                (e["forbidden_delta_e"] for e in entries if "forbidden_delta_e" in e), default=None
            ),
            "max_off_share": rule.max_off_share,
            "max_delta_e": rule.max_delta_e,
            "ranges": [r.name for r in rule.ranges],
        }
    )
    brand_names = ", ".join(f"{c.name} {c.hex}" for c in palette.colors[:4])
    character = f" or {' / '.join(repr(r.name) for r in rule.ranges)} tones" if rule.ranges else ""
    for entry in competitor:
        verdict.problems.append(
            f"the photo shows {entry['nearest_forbidden']} ({entry['hex']}, {entry['share']:.0%} of the photo)"
        )
        verdict.hints.append(
            f"remove the {entry['looks']} {entry['hex']} from the photograph: it reads as the forbidden "
            f"{entry['nearest_forbidden']} (ΔE {entry['forbidden_delta_e']}, {entry['share']:.0%} of the photo)"
        )
    if off_share > rule.max_off_share:
        worst = max(off_entries, key=lambda e: e["share"])
        verdict.problems.append(
            f"off-brand colours cover {off_share:.0%} of the photo (allowed ≤ {limit_pct(rule.max_off_share)})"
        )
        verdict.hints.append(
            f"the photograph's colours are off-brand: {worst['looks']} {worst['hex']} covers {worst['share']:.0%} "
            f"of it (ΔE {worst['delta_e']} from the nearest brand colour, {worst['nearest']}); choose or grade a "
            f"photo in the brand's colours ({brand_names}){character}"
        )
    dark = dark_share_of_colors(colors, counts, rule.dark_lightness)
    verdict.details["dark_share"] = round(dark, 4)
    if dark > rule.max_dark_share:
        verdict.problems.append(
            f"{dark:.0%} of the photo is near-black (L* < {rule.dark_lightness:g}; "
            f"allowed ≤ {limit_pct(rule.max_dark_share)})"
        )
        verdict.hints.append(
            f"the photograph is too dark: {dark:.0%} of it is near-black "
            f"(at most {limit_pct(rule.max_dark_share)}); use a "
            f"brighter photo or lift the exposure"
        )
    if rule.temperature is not None:
        cct = color_temperature_of(colors, counts)
        verdict.details["color_temperature_k"] = round(cct) if cct is not None else None
        verdict.details["temperature_range_k"] = [rule.temperature.min_kelvin, rule.temperature.max_kelvin]
        if cct is not None and not rule.temperature.min_kelvin <= cct <= rule.temperature.max_kelvin:
            warmer = cct > rule.temperature.max_kelvin
            wanted = f"{rule.temperature.min_kelvin:.0f}–{rule.temperature.max_kelvin:.0f} K"
            verdict.problems.append(f"photo colour temperature ≈{cct:.0f} K is outside {wanted}")
            if _grey_share(colors, counts) >= MONOCHROME_SHARE:  # a grey image's grey-world white is the display's
                verdict.details["monochrome"] = True
                verdict.hints.append(
                    f"the photograph is black and white (neutral greys read as about {cct:.0f} K, the display's "
                    f"white); the brand wants colour graded {'warm' if warmer else 'cool'} ({wanted})"
                )
            else:
                verdict.hints.append(
                    f"the photograph looks too {'cool (blue)' if warmer else 'warm (orange)'} at about {cct:.0f} K; "
                    f"use a {'warmer' if warmer else 'cooler'} light or grade (the brand wants {wanted})"
                )
    return verdict


MONOCHROME_SHARE = 0.99
"""The share of a photo's pixels that must be grey (:func:`_grey_share`) for it to be called black and white."""


def _grey_share(colors: npt.NDArray[np.uint8], counts: npt.NDArray[np.int64]) -> float:
    """The pixel-weighted share of ``colors`` whose channels are within 2 of each other (greys, JPEG noise
    included; a sepia or blue-toned print is not grey)."""
    rgb = np.asarray(colors, dtype=np.int16).reshape(-1, 3)
    weights = np.asarray(counts, dtype=np.float64).reshape(-1)
    total = float(weights.sum())
    if total <= 0:
        return 0.0
    spread = rgb.max(axis=1) - rgb.min(axis=1)
    return float(weights[spread <= 2].sum()) / total
