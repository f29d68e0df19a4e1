"""The palette check's exact pixel rules: brand-zone coverage, per-colour shares, forbidden colours.

Each rule reads the matcher's per-pixel codes (exact within-tolerance flag + nearest reference
colour, :class:`brandkit.color.ColorMatch`) counted per region, appends a problem and a hint
when it fails, and returns what goes in the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from brandkit.checks.base import limit_pct, measured_pct
from brandkit.color import ciede2000, rgb_to_hex
from brandkit.color.character import describe_color, dominant_colors
from brandkit.models import Measure
from brandkit.spec.palette import ForbiddenColor, Palette

_OUTSIDE = 128  # bit 7 of a matcher code: outside the tolerance


@dataclass(frozen=True)
class RegionCounts:
    """Histogram of matcher codes (256 bins) per named region."""

    bins: dict[str, npt.NDArray[np.int64]]

    @classmethod
    def of(cls, codes: npt.NDArray[np.uint8], masks: dict[str, npt.NDArray[np.bool_]]) -> RegionCounts:
        """Count ``codes`` inside each mask."""
        return cls({name: np.bincount(codes[mask], minlength=256).astype(np.int64) for name, mask in masks.items()})

    @classmethod
    def split(
        cls, codes: npt.NDArray[np.uint8], image: npt.NDArray[np.bool_] | None, photo: npt.NDArray[np.bool_]
    ) -> RegionCounts:
        """Counts of ``image`` (None: every pixel), ``photo`` (inside it) and ``brand_zones`` (the rest of the
        image): the same integers as :meth:`of` with those three masks, from two counting passes instead of three."""
        whole = np.bincount((codes if image is None else codes[image]).reshape(-1), minlength=256).astype(np.int64)
        in_photo = np.bincount(codes[photo], minlength=256).astype(np.int64)
        return cls({"image": whole, "brand_zones": whole - in_photo, "photo": in_photo})

    @classmethod
    def from_colors(
        cls, codes: npt.NDArray[np.intp], image: npt.NDArray[np.int64], zones: npt.NDArray[np.int64]
    ) -> RegionCounts:
        """Counts of ``image``, ``brand_zones`` and ``photo`` (the image less its zones) from each distinct colour's
        code and its pixel counts in the image and in the brand zones: the same integers as :meth:`split`."""
        whole = np.bincount(codes, weights=image, minlength=256).astype(np.int64)  # sums of integers: exact
        in_zones = np.bincount(codes, weights=zones, minlength=256).astype(np.int64)
        return cls({"image": whole, "brand_zones": in_zones, "photo": whole - in_zones})

    def total(self, region: str) -> int:
        """Pixels in ``region``."""
        return int(self.bins[region].sum())

    def within(self, region: str) -> int:
        """Pixels of ``region`` within tolerance of some reference colour."""
        return int(self.bins[region][:_OUTSIDE].sum())

    def within_of(self, region: str, index: int) -> int:
        """Pixels of ``region`` within tolerance whose nearest reference colour is ``index``."""
        return int(self.bins[region][index])


def zone_rule(
    palette: Palette,
    counts: RegionCounts,
    offending: Callable[[], npt.NDArray[np.uint8]],
    ref_lab: npt.NDArray[np.float64],
    ref_names: list[str],
    regions: bool,
    problems: list[str],
    hints: list[str],
) -> float:
    """Coverage of the brand zones (or of the whole image with ``measure: all-pixels``); fails under ``min_coverage``.

    ``offending`` gives the off-palette pixels of that area (only called when the rule fails): their largest colour
    cluster names the change to make.
    """
    region = "brand_zones" if regions else "image"
    total = counts.total(region)
    coverage = counts.within(region) / total if total else 1.0
    if coverage >= palette.min_coverage:
        return coverage
    where = " in the brand zones (copy panel, bands, logo plate)" if regions else ""
    problems.insert(
        0, f"{'brand-zone ' if regions else ''}coverage {coverage:.1%} is below {limit_pct(palette.min_coverage)}"
    )
    note = ""
    off = offending()
    clusters = dominant_colors(off, 4)
    if clusters:
        worst = clusters[0]
        de = ciede2000(np.asarray(worst.lab)[None, :], ref_lab)
        j = int(np.argmin(de))
        share = worst.share * len(off) / total
        nearest = ref_names[j]
        if de[j] <= 2 * palette.tolerance:
            change = f"it is close to {nearest} (ΔE {de[j]:.1f}): use exactly {nearest}"
        else:
            change = f"replace it with a brand colour (the nearest is {nearest}, ΔE {de[j]:.0f})"
        looks = f"{describe_color(worst.lab)} {rgb_to_hex(worst.rgb)}"
        note = f"; the largest off-palette colour there is {looks} ({share:.0%}): {change}"
    hints.insert(
        0,
        f"keep to the brand palette{where}: only {coverage:.0%} of {'their' if regions else 'the'} pixels are "
        f"within ΔE {palette.tolerance:g} of it (needs {limit_pct(palette.min_coverage)}){note}",
    )
    return coverage


def share_rules(
    palette: Palette, counts: RegionCounts, problems: list[str], hints: list[str], *, zones_said: bool = False
) -> list[dict[str, Any]]:
    """Each colour's share of the area its ``where`` names, against its ``min_share`` / ``max_share``.
    ``zones_said``: a hint already says the image has no brand zones and how to lay them out; a colour wanted
    there then only adds its own name (the advice is not given twice)."""
    out: list[dict[str, Any]] = []
    for i, color in enumerate(palette.colors):
        region = "image" if palette.measure == "all-pixels" else color.where
        total = counts.total(region)
        share = counts.within_of(region, i) / total if total else 0.0  # an empty area holds none of the colour
        area = {"image": "the image", "brand_zones": "the brand zones", "photo": "the photo"}[region]
        entry: dict[str, Any] = {
            "name": color.name,
            "hex": color.hex,
            "role": color.role.value,
            "where": region,
            "area_pixels": total,
            "share": round(share, 5),
            "present": share > 0.001,
        }
        if color.min_share is not None and share < color.min_share and total == 0:
            problems.append(f"{color.name} is missing: the image has no {area[4:]}")
            if zones_said and region == "brand_zones":
                hints.append(f"use {color.name} {color.hex} in the brand zones (at least {limit_pct(color.min_share)})")
            else:
                hints.append(
                    f"the image has no {area[4:]} (flat brand areas: copy panel, band, CTA, logo plate): lay it out "
                    f"with them and use {color.name} {color.hex} there (at least {limit_pct(color.min_share)})"
                )
            entry["ok"] = False
        elif color.min_share is not None and share < color.min_share:
            now, bound = measured_pct(share, color.min_share), limit_pct(color.min_share)
            problems.append(f"{color.name} covers {now} of {area} (needs ≥ {bound})")
            hints.append(f"use more {color.name} {color.hex} (now {now} of {area}, needs at least {bound})")
            entry["ok"] = False
        elif color.max_share is not None and share > color.max_share:
            now, bound = measured_pct(share, color.max_share), limit_pct(color.max_share)
            problems.append(f"{color.name} covers {now} of {area} (allowed ≤ {bound})")
            hints.append(f"reduce {color.name} {color.hex} to at most {bound} of {area} (now {now})")
            entry["ok"] = False
        out.append(entry)
    return out


def forbidden_rule(
    shares: list[tuple[ForbiddenColor, float]],
    problems: list[str],
    hints: list[str],
) -> list[dict[str, Any]]:
    """Each forbidden colour's exact share of every opaque pixel (brand zones and photo) against its limit
    (``shares``: measured by the palette matcher's folded table, :attr:`brandkit.color.ColorMatch.forbidden`)."""
    out: list[dict[str, Any]] = []
    for fcolor, share in shares:
        ok = share <= fcolor.max_share
        out.append(
            {"name": fcolor.name, "hex": fcolor.hex, "share": round(share, 5), "max_share": fcolor.max_share, "ok": ok}
        )
        if not ok:
            now, bound = measured_pct(share, fcolor.max_share), limit_pct(fcolor.max_share)
            problems.insert(0, f"forbidden colour {fcolor.name} covers {now} (allowed ≤ {bound})")
            hints.insert(0, f"remove {fcolor.name} {fcolor.hex} ({now} of the area; at most {bound} allowed)")
    return out


def _share(setting: str, label: str, value: float, threshold: float, bound: str) -> Measure:
    return Measure(
        setting=setting,
        label=label,
        value=round(value, 5),
        threshold=threshold,
        bound=bound,
        step=0.01,
        lower=0.0,
        upper=1.0,
    )


def palette_measures(palette: Palette, details: dict[str, Any]) -> list[Measure]:
    """The values the palette settings bound, for ``brandkit spec calibrate`` (from the check's details)."""
    out: list[Measure] = []
    if details["coverage"] is not None:
        scope = "brand-zone" if details["coverage_scope"] == "brand_zones" else "image"
        out.append(
            _share(
                "palette.min_coverage", f"{scope} pixels on palette", details["coverage"], palette.min_coverage, "min"
            )
        )
    for i, (color, entry) in enumerate(zip(palette.colors, details["colors"], strict=True)):
        if color.min_share is not None:
            out.append(
                _share(f"palette.colors[{i}].min_share", f"{color.name} share", entry["share"], color.min_share, "min")
            )
        if color.max_share is not None:
            out.append(
                _share(f"palette.colors[{i}].max_share", f"{color.name} share", entry["share"], color.max_share, "max")
            )
    for i, (fcolor, entry) in enumerate(zip(palette.forbidden_colors, details["forbidden_colors"], strict=True)):
        out.append(
            _share(
                f"palette.forbidden_colors[{i}].max_share",
                f"{fcolor.name} share",
                entry["share"],
                fcolor.max_share,
                "max",
            )
        )
    if details["measure"] == "regions":
        zone = details["regions"]["brand_zone_share"]
        out.append(
            _share("palette.min_brand_zone_share", "brand-zone share", zone, palette.min_brand_zone_share, "min")
        )
    if details["neutral_max_share"] is not None:
        out.append(
            _share(
                "palette.neutrals.max_share",
                "neutral pixels",
                details["neutral_share"],
                palette.neutrals.max_share,
                "max",
            )
        )
    photo = details["photo"]
    if photo is not None:
        rule = palette.photo
        out.append(
            _share(
                "palette.photo.max_off_share",
                "photo covered by off-brand dominant colours",
                photo["off_brand_share"],
                rule.max_off_share,
                "max",
            )
        )
        out.append(
            Measure(
                setting="palette.photo.max_delta_e",
                label="ΔE00 the photo's dominant colours need to pass",
                value=photo["needed_max_delta_e"],
                threshold=rule.max_delta_e,
                bound="max",
                step=1.0,
                lower=1.0,
                upper=100.0,
            )
        )
        out.append(
            _share(
                "palette.photo.max_dark_share",
                "near-black share of the photo",
                photo["dark_share"],
                rule.max_dark_share,
                "max",
            )
        )
        if rule.temperature is not None and photo.get("color_temperature_k") is not None:
            cct = float(photo["color_temperature_k"])
            temp = rule.temperature
            for key, bound, limit in (("min_kelvin", "min", temp.min_kelvin), ("max_kelvin", "max", temp.max_kelvin)):
                out.append(
                    Measure(
                        setting=f"palette.photo.temperature.{key}",
                        label="photo colour temperature (K)",
                        value=cct,
                        threshold=limit,
                        bound=bound,
                        step=100.0,
                        lower=1000.0,
                        upper=25000.0,
                    )
                )
    return out
