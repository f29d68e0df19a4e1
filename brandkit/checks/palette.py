"""Palette adherence, region-aware: brand zones pixel by pixel, photographs by colour character.

With ``palette.measure: regions`` (the default) the image is split into **brand zones** and
a **photographic region**: from the layout (``Expectation.photo_box``, the layout's hero box;
from the request or the file's provenance) or, for an image without a layout, from a
segmentation of flat graphic areas vs photographic content (:mod:`brandkit.segment`).

Pass/fail rules (all exact):

* brand zones: share of their pixels within ``palette.tolerance`` ΔE00 of a palette colour
  or an allowed neutral ≥ ``min_coverage`` — one table gather per pixel
  (:class:`~brandkit.color.PaletteMatcher`, built once per palette, kept in the kit's
  :class:`CheckResources`);
* photographic region: colour character (:mod:`brandkit.checks.palette_photo`);
* each colour's ``min_share`` / ``max_share`` over the area its ``where`` names;
* each forbidden colour's share of every opaque pixel ≤ its ``max_share``;
* neutral pixels (chroma ≤ ``neutrals.chroma``) ≤ ``neutrals.max_share`` of the image.

``measure: all-pixels`` is the previous rule: ``min_coverage`` over every opaque pixel, shares
and forbidden colours, no photo or neutral rule.

Descriptive figures (the off-palette share — beyond the tolerance, over the pixels the coverage judged:
``1 − coverage``, the evidence report's figure —, the far-off share ΔE > 20, mean and p95 ΔE, neutral share) are exact,
computed per distinct colour (:class:`~brandkit.color.stats.DistinctColors`): looked up in the palette's
gamut table (:mod:`brandkit.color.gamut_table`, every sRGB colour's exact minimum ΔE00, built by
:func:`warm_palette` / ``brandkit cache warm``) when it is in the warm cache, else evaluated per image — the
same values; ``details.figures_path`` names the path taken. Transparent pixels (alpha < 128) are ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from PIL import Image

from brandkit.checks.base import CheckContext, CheckInfo, CheckResources, limit_pct, result
from brandkit.checks.palette_details import PaletteDetails
from brandkit.checks.palette_photo import judge_photo
from brandkit.checks.palette_rules import RegionCounts, forbidden_rule, palette_measures, share_rules, zone_rule
from brandkit.color import PaletteMatcher, hex_to_rgb, rgb_to_hex, srgb_to_lab
from brandkit.color.gamut_table import GAMUT_KIND, GamutTable, build_gamut_table, gamut_key
from brandkit.color.nearest_cells import MAX_REFERENCES, NearestCells
from brandkit.color.stats import DistinctColors, palette_space_share
from brandkit.models import CheckResult, CheckStatus
from brandkit.segment import box_mask, photo_mask
from brandkit.spec.models import BrandSpec
from brandkit.spec.palette import PALETTE_SPACE_WARN_SHARE, Palette, chromatic_colors
from brandkit.warm_cache import WarmCache

_log = logging.getLogger(__name__)

OFF_PALETTE_DE = 20.0
DOMINANT_COLORS = 6
#: a region smaller than this share of the image is not judged on its own
MIN_REGION_SHARE = 0.01


def reference_colors(palette: Palette) -> tuple[list[tuple[int, int, int]], list[str]]:
    """Palette colours plus allowed neutrals, with a display name for each (:meth:`Palette.reference_colors`)."""
    return palette.reference_colors()


def _palette_key(palette: Palette) -> str:
    """What the matchers depend on (colours, neutrals, tolerance, forbidden colours) — not the other rules, so
    trying other photo or share settings (calibration) reuses the tables."""
    key = {
        "colors": [c.hex for c in palette.colors],
        "allowed": [c.hex for c in palette.allowed],
        "neutrals": [palette.allow_neutrals, palette.neutral_steps],
        "tolerance": palette.tolerance,
        "forbidden": [[f.name, f.hex, f.tolerance] for f in palette.forbidden_colors],
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


class _Matchers:
    """The palette matcher, with the forbidden colours folded into its table (one gather answers both), built
    once per palette — or loaded from the kit's warm disk cache."""

    def __init__(self, palette: Palette, warm_cache: WarmCache) -> None:
        colors, self.names = reference_colors(palette)
        forbidden = [(hex_to_rgb(f.hex), f.tolerance) for f in palette.forbidden_colors]
        self.palette = PaletteMatcher(colors, forbidden=forbidden, warm_cache=warm_cache)
        self.n_brand = len(palette.colors)
        self.ref_lab = srgb_to_lab(np.asarray(colors, dtype=np.uint8))
        self.forbidden_lab = srgb_to_lab(
            np.asarray([hex_to_rgb(f.hex) for f in palette.forbidden_colors], dtype=np.uint8).reshape(-1, 3)
        )
        self._space: float | None = None
        self._tolerance = palette.tolerance
        self._warm_cache = warm_cache
        self._cells: NearestCells | None = None
        self._gamut: dict[float, GamutTable] = {}

    def cells(self) -> NearestCells | None:
        """The candidate nearest references per sRGB cell (built or loaded once; None above
        :data:`~brandkit.color.nearest_cells.MAX_REFERENCES` references: every reference is evaluated)."""
        if self._cells is None and len(self.ref_lab) <= MAX_REFERENCES:
            self._cells = NearestCells(self.ref_lab, self._warm_cache)
        return self._cells

    def gamut(self, neutral_chroma: float) -> GamutTable | None:
        """The exact min-ΔE00 table of every sRGB colour for these references, if one was built into the warm
        cache (:func:`warm_palette`); looked for on disk again while it is missing (a file open)."""
        table = self._gamut.get(neutral_chroma)
        if table is None and len(self.ref_lab) <= MAX_REFERENCES:
            table = GamutTable.load(self.ref_lab, neutral_chroma, self._warm_cache)
            if table is not None:
                self._gamut[neutral_chroma] = table
        return table

    def build_gamut(self, neutral_chroma: float) -> GamutTable | None:
        """Load or build (~4–6 s CPU, 144 MiB on disk, once per palette) the gamut table (None above
        :data:`~brandkit.color.nearest_cells.MAX_REFERENCES` references)."""
        table = self.gamut(neutral_chroma)
        cells = self.cells()
        if table is not None or cells is None:
            return table
        # another process building it: wait, then load its file
        with self._warm_cache.building(GAMUT_KIND, gamut_key(self.ref_lab, neutral_chroma)):
            table = GamutTable.load(self.ref_lab, neutral_chroma, self._warm_cache)
            if table is None:
                table = build_gamut_table(cells, neutral_chroma, self._warm_cache)
        self._gamut[neutral_chroma] = table
        return table

    def space_share(self) -> float:
        """Share of the sRGB cube within tolerance of the palette (computed once)."""
        if self._space is None:
            self._space = palette_space_share(self.palette, self._tolerance)
        return self._space


def image_pixels(image: Image.Image) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_] | None]:
    """``(rgb (H, W, 3) uint8, opaque mask (H, W) or None when every pixel is opaque)``; alpha ≥ 128 is opaque."""
    if image.mode == "RGB":
        return np.asarray(image, dtype=np.uint8), None
    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
    alpha = rgba[..., 3]
    rgb = np.ascontiguousarray(rgba[..., :3])
    return (rgb, None) if bool(alpha.min() >= 128) else (rgb, alpha >= 128)


def _photo_region(ctx: CheckContext, rgb: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.bool_], str]:
    """Mask of the photographic pixels and where it came from ('layout' or 'segmentation')."""
    h, w = rgb.shape[:2]
    exp = ctx.expectation
    if exp.photo_box is not None:  # the layout scaled to the image
        return box_mask(h, w, exp.in_image(exp.photo_box, (w, h))), "layout"
    return photo_mask(rgb), "segmentation"


def _dominant(distinct: DistinctColors, counts: npt.NDArray[np.int64], names: list[str], tol: float) -> list[Any]:
    """The most common colours (4-bit bins, each reported by its most common exact colour), exact ΔE to the palette."""
    total = int(counts.sum())
    if total == 0:
        return []
    packed = distinct.packed  # r | g << 8 | b << 16: the bin (r >> 4) << 8 | (g >> 4) << 4 | b >> 4
    bins = ((((packed >> 4) & 0xF) << 8) | (((packed >> 12) & 0xF) << 4) | (packed >> 20)).astype(np.intp)
    bin_counts = np.bincount(bins, weights=counts, minlength=4096)
    top_bins = np.argsort(-bin_counts, kind="stable")[:DOMINANT_COLORS]
    chosen = np.zeros(4096, dtype=bool)
    chosen[top_bins] = True
    candidates = np.flatnonzero(chosen[bins])  # the colours of the top bins, in order (one pass over the colours)
    out = []
    for b in top_bins:
        if bin_counts[b] <= 0:
            break
        members = candidates[bins[candidates] == b]
        top = members[int(np.argmax(counts[members]))]
        out.append(
            {
                "hex": rgb_to_hex(tuple(int(v) for v in distinct.rgb[top])),
                "share": round(float(bin_counts[b] / total), 5),
                "nearest": names[int(distinct.nearest[top])],
                "delta_e": round(float(distinct.min_de[top]), 2),
                "on_palette": bool(distinct.min_de[top] <= tol),
            }
        )
    return out


def _matchers_for(palette: Palette, resources: CheckResources) -> _Matchers:
    """The kit's shared :class:`_Matchers` for ``palette`` (created on first use, from ``resources``' warm cache)."""
    matchers: _Matchers = resources.get(
        f"palette:{_palette_key(palette)}", lambda: _Matchers(palette, WarmCache.of(resources))
    )
    return matchers


def warm_palette(spec: BrandSpec, resources: CheckResources, *, figures_table: bool = True) -> None:
    """Build or load everything the palette check needs for ``spec`` into ``resources`` and its warm disk cache.

    The folded palette/forbidden code table for the spec's tolerance, the nearest-reference cells of the exact
    figures and the palette's share of the sRGB cube — the same objects, by the same path
    (``resources.get("palette:<key>")``), the check itself uses, so a later ``run`` on this kit pays no one-off
    cost and other processes sharing the warm cache load the tables instead of building them. Idempotent.

    With ``figures_table`` (the default) it also builds the palette's gamut table
    (:mod:`brandkit.color.gamut_table`: every sRGB colour's exact minimum ΔE00, ~5–10 s of CPU and 144 MiB on
    disk once per palette, announced by a one-line warning on the ``brandkit.checks.palette`` logger), which makes
    every later image's exact figures a look-up; ``figures_table=False`` prepares only the rest (the check then
    computes the figures per image, the same values).
    """
    m = _matchers_for(spec.palette, resources)
    m.palette.prepare(spec.palette.tolerance)
    m.cells()
    m.space_share()
    if figures_table and m.gamut(spec.palette.neutrals.chroma) is None and m.cells() is not None:
        _log.warning(  # the one-line notice the build deserves (never silent)
            "brandkit: building the palette figures table of %r (once per palette: ~5 s, 144 MiB in the warm cache)",
            spec.name,
        )
        m.build_gamut(spec.palette.neutrals.chroma)


def code_counts(
    matcher: PaletteMatcher,
    rgb: npt.NDArray[np.uint8],
    opaque: npt.NDArray[np.bool_] | None,
    photo: npt.NDArray[np.bool_],
    tolerance: float,
    distinct: DistinctColors,
    image_counts: npt.NDArray[np.int64],
    zone_counts: npt.NDArray[np.int64],
) -> tuple[RegionCounts, npt.NDArray[np.int64], Callable[[], npt.NDArray[np.uint8]]]:
    """The matcher's code histograms per region, the pixels within each forbidden colour's radius, and the
    per-pixel codes on demand — from the image's distinct colours: a colour's code (and forbidden bits) is the
    table entry every pixel of that colour gathers, so looking up each distinct colour once and weighting it by
    its pixel counts gives the same integers as a gather per pixel (``rgb``, ``opaque`` and ``photo`` are only
    read for the per-pixel codes, which the zone rule asks for when coverage fails)."""
    folded = matcher.lookup(distinct.packed, tolerance)
    codes = (folded & 0xFF).astype(np.intp)
    counts = RegionCounts.from_colors(codes, image_counts, zone_counts)
    hit = np.flatnonzero(folded >> 8)  # the few colours within some forbidden colour's radius
    bits = (folded[hit] >> 8).astype(np.int64)
    near = image_counts[hit]
    in_forbidden = np.array(
        [int(near[(bits >> i) & 1 == 1].sum()) for i in range(len(matcher.forbidden))], dtype=np.int64
    )
    return counts, in_forbidden, lambda: matcher.match(rgb, tolerance).codes


class PaletteCheck:
    """The ``palette`` check (see module docstring)."""

    info: ClassVar[CheckInfo] = CheckInfo.builtin("palette", PaletteDetails)
    name = info.name

    def _matchers(self, ctx: CheckContext) -> _Matchers:
        return _matchers_for(ctx.spec.palette, ctx.resources)

    def run(self, ctx: CheckContext) -> CheckResult:
        """Measure palette adherence of ``ctx.image``."""
        palette = ctx.spec.palette
        m = self._matchers(ctx)
        rgb, opaque = image_pixels(ctx.image)
        image_mask = np.ones(rgb.shape[:2], dtype=bool) if opaque is None else opaque
        total = int(np.count_nonzero(image_mask))
        if total == 0:
            return result(self.name, CheckStatus.skipped, details={"reason": "the image has no opaque pixels"})
        regions = palette.measure == "regions"
        if regions:
            photo, source = _photo_region(ctx, rgb)
            photo &= image_mask
            if np.count_nonzero(photo) < MIN_REGION_SHARE * total:  # a sliver is not a photo
                photo[:] = False
            elif np.count_nonzero(photo) > (1.0 - MIN_REGION_SHARE) * total:  # nor a sliver a brand zone
                photo = image_mask.copy()
            zones = image_mask & ~photo
        else:
            photo, source = np.zeros_like(image_mask), "whole image"
            zones = image_mask
        gamut = m.gamut(palette.neutrals.chroma)
        # one grouping of every pixel, the brand zones' colours apart from the rest's
        distinct = DistinctColors(rgb, m.ref_lab, None if gamut is not None else m.cells(), gamut, split=zones)
        zone_counts, rest_counts = distinct.split_counts()
        all_counts = zone_counts + rest_counts if opaque is None else distinct.counts(image_mask)
        # photo ⊂ image_mask, zones = image_mask & ~photo
        counts, in_forbidden, pixel_codes = code_counts(
            m.palette, rgb, opaque, photo, palette.tolerance, distinct, all_counts, zone_counts
        )
        stats = distinct.stats(all_counts, palette.tolerance, OFF_PALETTE_DE, palette.neutrals.chroma)
        zone_stats = distinct.stats(zone_counts, palette.tolerance, OFF_PALETTE_DE, palette.neutrals.chroma)
        problems: list[str] = []
        hints: list[str] = []
        zone_share = counts.total("brand_zones") / total
        if regions and zone_share < palette.min_brand_zone_share:
            problems.append(
                f"brand zones cover {zone_share:.0%} of the image (needs ≥ {limit_pct(palette.min_brand_zone_share)})"
            )
            hints.append(
                f"the image has {'no' if zone_share == 0 else 'too little'} brand zones ({zone_share:.0%}; at least "
                f"{limit_pct(palette.min_brand_zone_share)}): lay the photograph out with the brand's flat areas (copy "
                f"panel, band, CTA, logo plate) in its colours"
            )
        coverage = None
        if zone_share > 0 or not regions:
            offending = lambda: rgb[zones & (pixel_codes() >= 128)]  # noqa: E731 - only read when coverage fails
            coverage = zone_rule(palette, counts, offending, m.ref_lab, m.names, regions, problems, hints)
        shares = [(f, int(n) / total) for f, n in zip(palette.forbidden_colors, in_forbidden, strict=True)]
        forbidden = forbidden_rule(shares, problems, hints)
        photo_details: dict[str, Any] | None = None
        photo_share = counts.total("photo") / total
        if regions and photo_share > 0:
            photo_counts = all_counts - zone_counts  # photo ⊂ image_mask
            verdict = judge_photo(distinct.rgb, photo_counts, palette, m.ref_lab, m.names, m.forbidden_lab)
            photo_details = verdict.details
            problems += verdict.problems
            hints += verdict.hints
        if regions and stats.neutral_share > palette.neutrals.max_share:
            problems.append(
                f"neutral greys/black/white cover {stats.neutral_share:.0%} "
                f"(allowed ≤ {limit_pct(palette.neutrals.max_share)})"
            )
            hints.append(
                f"the image is mostly grey, black or white ({stats.neutral_share:.0%}; at most "
                f"{limit_pct(palette.neutrals.max_share)} allowed): bring in the brand colours "
                + ", ".join(f"{c.name} {c.hex}" for c in chromatic_colors(palette)[:3])
            )
        zones_said = regions and zone_share == 0 < palette.min_brand_zone_share  # the hint above said "no brand zones"
        colors = share_rules(palette, counts, problems, hints, zones_said=zones_said)
        space = m.space_share()
        details: dict[str, Any] = {
            "measure": palette.measure,
            "regions": {
                "source": source,
                "brand_zone_share": round(zone_share, 5),
                "photo_share": round(photo_share, 5),
                "photo_box": list(ctx.expectation.photo_box) if ctx.expectation.photo_box is not None else None,
            },
            "coverage": round(coverage, 5) if coverage is not None else None,
            "coverage_scope": "brand_zones" if regions else "image",
            "min_coverage": palette.min_coverage,
            "tolerance": palette.tolerance,
            "pixels": total,
            # beyond the tolerance, over the pixels the coverage judged (what the evidence report's heat map
            # counts); far off (ΔE > 20) over every pixel
            "off_palette_share": round(1.0 - coverage, 5) if coverage is not None else None,
            "far_off_palette_share": round(stats.off_share, 5),
            "mean_delta_e": round(stats.mean_delta_e, 3),
            "p95_delta_e": round(stats.p95_delta_e, 3),
            "exact_coverage_all_pixels": round(stats.within_share, 5),
            "brand_zones": {
                "far_off_palette_share": round(zone_stats.off_share, 5),
                "mean_delta_e": round(zone_stats.mean_delta_e, 3),
            },
            "neutral_share": round(stats.neutral_share, 5),
            "neutral_max_share": palette.neutrals.max_share if regions else None,
            "palette_space_share": round(space, 5),
            "colors": colors,
            "forbidden_colors": forbidden,
            "photo": photo_details,
            "dominant": _dominant(distinct, all_counts, m.names, palette.tolerance),
            "figures_path": "gamut-table" if gamut is not None else "per-image",
            "problems": problems,
        }
        if space > PALETTE_SPACE_WARN_SHARE:
            details["warning"] = (
                f"the palette with its tolerance covers {space:.0%} of all sRGB colours (warning above "
                f"{PALETTE_SPACE_WARN_SHARE:.0%}): the coverage rule accepts almost anything"
            )
        status = CheckStatus.failed if problems else CheckStatus.passed
        return result(
            self.name,
            status,
            score=round(coverage, 5) if coverage is not None else None,
            threshold=palette.min_coverage,
            details=details,
            hint="; ".join(hints) if hints else None,
            measures=palette_measures(palette, details),
        )
