"""The palette check's typed ``details`` (the part that reports and the contact sheet read).

Kept apart from ``palette.py`` so readers (``variants/report.py``) need not import the check's
colour machinery. Every key the check sets is declared (``tests/test_check_details.py``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from brandkit.check_catalog import CheckDetails


class PaletteColorShare(BaseModel):
    """One brand (or forbidden) colour's share of its area, and whether its rule held."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str | None = None
    hex: str | None = None
    share: float | None = None
    ok: bool = True
    role: str | None = None
    where: str | None = Field(default=None, description="The area the share is of: image, brand_zones or photo.")
    area_pixels: int | None = None
    present: bool | None = None
    max_share: float | None = Field(default=None, description="Forbidden colours: the most allowed.")


class DominantColor(BaseModel):
    """One of the image's most common colours and whether it is within tolerance of the palette."""

    model_config = ConfigDict(extra="allow", frozen=True)

    hex: str | None = None
    share: float | None = None
    on_palette: bool | None = None
    nearest: str | None = None
    delta_e: float | None = None


class PaletteDetails(CheckDetails):
    """``details`` of the palette check: coverage against its bound, the brand colours, the dominant colours."""

    coverage: float | None = None
    min_coverage: float | None = None
    colors: list[PaletteColorShare] = Field(default_factory=list)
    dominant: list[DominantColor] = Field(default_factory=list)
    measure: str | None = Field(default=None, description="'regions' or 'all-pixels'.")
    regions: dict[str, Any] | None = Field(default=None, description="Brand-zone and photo shares, their source.")
    coverage_scope: str | None = None
    tolerance: float | None = None
    pixels: int | None = None
    off_palette_share: float | None = Field(
        default=None,
        description="Share of the judged pixels (coverage_scope) beyond the tolerance: 1 - coverage; None when "
        "nothing was judged (no brand zones).",
    )
    far_off_palette_share: float | None = Field(default=None, description="Share of every pixel with ΔE00 > 20.")
    mean_delta_e: float | None = None
    p95_delta_e: float | None = None
    exact_coverage_all_pixels: float | None = None
    brand_zones: dict[str, Any] | None = None
    neutral_share: float | None = None
    neutral_max_share: float | None = None
    palette_space_share: float | None = None
    forbidden_colors: list[PaletteColorShare] = Field(default_factory=list)
    photo: dict[str, Any] | None = Field(default=None, description="The photographic rule's findings.")
    figures_path: str | None = Field(
        default=None,
        description="How the exact figures were computed: 'gamut-table' (looked up in the palette's table of every "
        "sRGB colour, built by `brandkit cache warm`) or 'per-image' (CIEDE2000 per distinct colour); the same "
        "values either way.",
    )
    problems: list[str] = Field(default_factory=list)
    warning: str | None = None

    def image_off_brand_share(self) -> float | None:
        """Share of the whole image in colour the check found off-brand, comparable between an ad and a bare
        photograph: the brand zones' off-palette pixels (``off_palette_share`` × their share of the image) plus the
        photo area its off-brand dominant colours cover (``photo.off_brand_share`` × the photo's share); with
        ``measure: all-pixels``, ``off_palette_share`` itself. None when the details say neither (nothing judged)."""
        if self.measure != "regions" or not self.regions:
            return self.off_palette_share
        zones = _share(self.regions.get("brand_zone_share"))
        photo_area = _share(self.regions.get("photo_share"))
        photo_off = _share((self.photo or {}).get("off_brand_share"))
        parts = []
        if zones is not None and self.off_palette_share is not None:
            parts.append(zones * self.off_palette_share)
        if photo_area is not None and photo_off is not None:
            parts.append(photo_area * photo_off)
        return round(sum(parts), 6) if parts else None


def _share(value: Any) -> float | None:
    """``value`` when it is a share (a number, not a boolean), else None."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


__all__ = ["DominantColor", "PaletteColorShare", "PaletteDetails"]
