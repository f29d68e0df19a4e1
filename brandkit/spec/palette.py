"""The spec's ``palette:`` section: brand colours and the rules images are held to.

Re-exported from :mod:`brandkit.spec.models`. How the rules are measured is in
:mod:`brandkit.checks.palette` and ``docs/checks.md``; in short, with the default
``measure: regions``:

* **brand zones** (the areas brandkit's layout owns — copy panel, bands, logo plate,
  disclaimer — or, for an image without a layout, its flat graphic areas) must be on
  palette pixel by pixel: ``min_coverage`` of their pixels within ``tolerance``;
* **photographic content** is judged by its colour character (``photo``): its dominant
  colours must be near the palette or inside an allowed hue/chroma/lightness range, its
  colour temperature inside a range, and none of them near a forbidden colour;
* **presence and limits** stay exact per pixel: each colour's ``min_share`` /
  ``max_share`` (over the area named by its ``where``), forbidden colours everywhere;
* **neutrals** (greys, black, white) are limited by ``neutrals.max_share``.

``measure: all-pixels`` keeps the previous rule: ``min_coverage`` over every pixel.
"""

from __future__ import annotations

import re
from collections import Counter
from enum import StrEnum
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, StringConstraints, field_validator, model_validator

from brandkit.color import ciede2000, hex_chroma, hex_to_rgb, rgb_to_hex, srgb_to_lab
from brandkit.spec.strict import StrictModel
from brandkit.wcag import tone_of

HEX_PATTERN = r"^#[0-9A-Fa-f]{6}$"
HexColor = Annotated[
    str, StringConstraints(to_upper=True), Field(pattern=HEX_PATTERN, description="sRGB colour as #RRGGBB")
]
"""``#RRGGBB``, kept in upper case (by pydantic's core: a Python validator per colour cost ~1.4 µs, a 20,000-colour
palette's load was 6.7× a 5,000-colour one's)."""
Share = Annotated[float, Field(ge=0.0, le=1.0)]

#: Above this share of the sRGB cube (colours within ``tolerance`` of a palette colour or an allowed neutral)
#: the coverage rule is nearly vacuous; ``brandkit spec check`` and the palette check's report warn.
PALETTE_SPACE_WARN_SHARE = 0.15


class ColorRole(StrEnum):
    """What a palette colour is for."""

    primary = "primary"
    secondary = "secondary"
    accent = "accent"
    neutral = "neutral"
    background = "background"
    text = "text"


Where = Literal["image", "brand_zones", "photo"]


class PaletteColor(StrictModel):
    """One named brand colour."""

    name: str = Field(min_length=1, max_length=80, description="Colour name used in prompts and reports.")
    hex: HexColor
    role: ColorRole = Field(description="primary, secondary, accent, neutral, background or text.")
    min_share: Share | None = Field(
        default=None, description="Minimum share of the area named by `where` this colour must cover (0–1)."
    )
    max_share: Share | None = Field(default=None, description="Maximum share of the area named by `where` (0–1).")
    where: Where = Field(
        default="image",
        description="Area min_share/max_share are measured over: 'image' (every opaque pixel), 'brand_zones' "
        "or 'photo'.",
    )
    alpha: Share = Field(
        default=1.0,
        description="Opacity the brand uses this colour at (1: opaque; e.g. 0.5 for an #RRGGBB80 tint). Kept for "
        "prompts and export; the palette check matches the colour itself.",
    )

    @model_validator(mode="after")
    def _shares(self) -> PaletteColor:
        if self.min_share is not None and self.max_share is not None and self.min_share > self.max_share:
            raise ValueError(f"min_share {self.min_share} is larger than max_share {self.max_share}")
        return self


class ForbiddenColor(StrictModel):
    """A colour the brand must not show (e.g. a competitor's red): limited everywhere, photo included."""

    name: str = Field(min_length=1, max_length=80, description="Name shown in reports and prompts.")
    hex: HexColor
    max_share: Share = Field(default=0.01, description="Largest share of the area allowed within tolerance.")
    tolerance: float = Field(default=8.0, gt=0, le=50, description="ΔE2000 radius that counts as this colour.")


class ColorRange(StrictModel):
    """A colour character allowed in photographs, as ranges of CIE LCh(ab) (D65).

    Example, "warm, low-saturation": ``{name: warm muted, hue: [20, 100], chroma: [0, 40]}``.
    """

    name: str = Field(min_length=1, max_length=80, description="Name shown in reports, e.g. 'warm muted'.")
    hue: tuple[float, float] | None = Field(
        default=None,
        description="Hue angle range in degrees [from, to], counter-clockwise from +a* (0 red, 90 yellow, "
        "180 green, 270 blue); wraps when from > to, e.g. [330, 40]. None: any hue.",
    )
    chroma: tuple[float, float] = Field(default=(0.0, 200.0), description="Chroma C*ab range [min, max].")
    lightness: tuple[float, float] = Field(default=(0.0, 100.0), description="Lightness L* range [min, max].")

    @field_validator("hue")
    @classmethod
    def _hue(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not all(0.0 <= v <= 360.0 for v in value):
            raise ValueError(f"hue angles must be within 0..360 degrees, got {list(value)}")
        return value

    @field_validator("chroma", "lightness")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1] or value[0] < 0:
            raise ValueError(f"range must be [min, max] with 0 <= min <= max, got {list(value)}")
        return value


class ColorTemperature(StrictModel):
    """Allowed correlated colour temperature of a photograph (grey-world estimate, McCamy's formula)."""

    min_kelvin: float = Field(default=1500.0, ge=1000, le=25000, description="Lowest CCT allowed (warmer).")
    max_kelvin: float = Field(default=25000.0, ge=1000, le=25000, description="Highest CCT allowed (cooler).")

    @model_validator(mode="after")
    def _order(self) -> ColorTemperature:
        if self.min_kelvin > self.max_kelvin:
            raise ValueError(f"min_kelvin {self.min_kelvin} is larger than max_kelvin {self.max_kelvin}")
        return self


class PhotoRule(StrictModel):
    """How photographic content is judged: by its dominant colours, not by pixel coverage."""

    clusters: int = Field(default=8, ge=2, le=16, description="Colour clusters (k-means in Lab) found in the photo.")
    min_share: Share = Field(
        default=0.08, description="A cluster covering at least this share of the photo is a dominant colour."
    )
    max_delta_e: float = Field(
        default=20.0,
        gt=0,
        le=100,
        description="A dominant colour within this ΔE2000 of a palette colour (or an allowed neutral) is on brand.",
    )
    ranges: list[ColorRange] = Field(
        default_factory=list, description="Colour characters a dominant colour may also fall in."
    )
    max_off_share: Share = Field(
        default=0.15,
        description="Largest share of the photo its off-brand dominant colours may cover together (0: none).",
    )
    competitor_delta_e: float = Field(
        default=8.0,
        gt=0,
        le=100,
        description="A photo colour (cluster of ≥ 2 % of the photo) within this ΔE2000 of a forbidden colour, and "
        "nearer to it than to any palette colour, fails whatever its share.",
    )
    max_dark_share: Share = Field(
        default=0.7, description="Largest share of the photo that may be near-black (L* below dark_lightness)."
    )
    dark_lightness: float = Field(default=20.0, ge=1, le=60, description="L* below which a photo pixel is dark.")
    temperature: ColorTemperature | None = Field(default=None, description="Allowed colour temperature.")


class NeutralRule(StrictModel):
    """How much of the image may be neutral (grey, black, white): neutrals are not a free pass."""

    chroma: float = Field(
        default=8.0, ge=0, le=30, description="A pixel whose chroma C*ab is at most this counts as neutral."
    )
    max_share: Share = Field(
        default=0.9, description="Largest share of the image's pixels that may be neutral (brand neutrals included)."
    )


class AllowedColor(StrictModel):
    """An on-palette colour that is not a brand colour (a tint, a data-viz ramp step): matched, never asked for.

    It counts as on-palette in the coverage rule, has no role and is never asked for in prompts. Keep the list
    short: every allowed colour widens what the palette check accepts (``brandkit spec check`` warns when the
    palette covers too much of colour space)."""

    name: str = Field(min_length=1, max_length=80, description="Name shown in reports.")
    hex: HexColor
    alpha: Share = Field(default=1.0, description="Opacity the brand uses this colour at (1: opaque).")


class Palette(StrictModel):
    """Brand colours and how strictly outputs must keep to them."""

    colors: list[PaletteColor] = Field(min_length=1, description="The brand colours, at least one.")
    tolerance: float = Field(
        default=10.0,
        gt=0,
        le=50,
        description="ΔE2000 distance within which a pixel counts as on-palette. 10 suits generated "
        "imagery; use ≤5 for flat graphics.",
    )
    measure: Literal["regions", "all-pixels"] = Field(
        default="regions",
        description="'regions': min_coverage over the brand zones, photographs judged by colour character; "
        "'all-pixels': min_coverage over every opaque pixel (the rule before brandkit 0.x; for flat graphics).",
    )
    min_brand_zone_share: Share = Field(
        default=0.0,
        description="With 'regions': the share of the image that must be brand zones (flat brand areas); a bare "
        "photograph without them fails. 0: not required.",
    )
    min_coverage: Share = Field(
        default=0.85,
        description="Share of pixels that must be on-palette: of the brand zones ('regions') or of every opaque "
        "pixel ('all-pixels').",
    )
    allow_neutrals: bool = Field(
        default=True, description="Treat black, white and greys as on-palette in addition to the colours."
    )
    neutral_steps: int = Field(default=9, ge=2, le=64, description="Number of greys from black to white allowed.")
    neutrals: NeutralRule = Field(default_factory=NeutralRule, description="Limit on neutral pixels.")
    photo: PhotoRule = Field(default_factory=PhotoRule, description="Colour character of photographic content.")
    forbidden_colors: list[ForbiddenColor] = Field(
        default_factory=list, description="Colours that must not appear beyond a small share."
    )
    allowed: list[AllowedColor] = Field(
        default_factory=list,
        description="Further on-palette colours without a role (tints, data-viz ramps): matched like the colours "
        "by the coverage rule, never asked for in prompts.",
    )
    roles: dict[str, str] = Field(
        default_factory=dict,
        description="Semantic roles beyond the six (success, warning, danger, info, link, …) → the name of the "
        "palette colour that plays it.",
    )
    modes: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Colour variants per mode (e.g. dark): mode → {colour name, role or semantic role → hex}. "
        "The spec's colours are the default mode (the name 'default' is reserved for them); see Palette.for_mode.",
    )

    @field_validator("modes")
    @classmethod
    def _mode_hexes(cls, modes: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for mode, overrides in modes.items():
            if mode.casefold() == "default":  # spec/modes.py::DEFAULT_MODE (that module imports this one)
                raise ValueError("palette.modes: 'default' is reserved: it names the spec's own colours")
            for key, value in overrides.items():
                if not re.fullmatch(HEX_PATTERN, value):
                    raise ValueError(f"palette.modes.{mode}.{key}: {value!r} is not an sRGB colour #RRGGBB")
        return {mode: {k: v.upper() for k, v in o.items()} for mode, o in modes.items()}

    @model_validator(mode="after")
    def _unique(self) -> Palette:
        counts = Counter(c.name.casefold() for c in self.all_colors())
        dupes = sorted(n for n, k in counts.items() if k > 1)
        if dupes:
            raise ValueError(f"palette colour names must be unique (colours and allowed); repeated: {dupes}")
        refs = len(self.colors) + len(self.allowed) + (self.neutral_steps if self.allow_neutrals else 0)
        if refs > 127:
            raise ValueError(
                f"palette has {refs} reference colours ({len(self.colors)} colours + {len(self.allowed)} allowed + "
                "neutral steps); at most 127"
            )
        names = {c.name.casefold() for c in self.colors}
        bad_roles = sorted(r for r, n in self.roles.items() if n.casefold() not in names)
        if bad_roles:
            known = [c.name for c in self.colors]
            raise ValueError(f"palette.roles {bad_roles} name no palette colour; known: {known}")
        for mode, overrides in self.modes.items():
            unknown = sorted(k for k in overrides if self._mode_target(k) is None)
            if unknown:
                raise ValueError(
                    f"palette.modes.{mode}: {unknown} are neither palette colour names, roles nor palette.roles"
                )
        return self

    def all_colors(self) -> list[PaletteColor | AllowedColor]:
        """The palette colours, then the allowed colours."""
        return [*self.colors, *self.allowed]

    def _mode_target(self, key: str) -> int | None:
        """Index of the colour a ``modes`` key names: a colour name, a role, or a key of ``roles``."""
        folded = key.casefold()
        for i, color in enumerate(self.colors):
            if color.name.casefold() == folded:
                return i
        for role, name in self.roles.items():
            if role.casefold() == folded:
                return self._mode_target(name)
        for i, color in enumerate(self.colors):
            if color.role.value == folded:
                return i
        return None

    def for_mode(self, mode: str) -> Palette:
        """This palette with the colours of ``mode`` (a key of ``modes``) in place of the default ones."""
        if mode not in self.modes:
            raise KeyError(f"no palette mode {mode!r}; known: {sorted(self.modes)}")
        colors = list(self.colors)
        for key, hex_value in self.modes[mode].items():
            index = self._mode_target(key)
            if index is not None:
                colors[index] = colors[index].model_copy(update={"hex": hex_value.upper()})
        return self.model_copy(update={"colors": colors, "modes": {}})

    def reference_colors(self) -> tuple[list[tuple[int, int, int]], list[str]]:
        """The colours a pixel may match: the palette colours, the allowed colours and, with
        ``allow_neutrals``, black, white and ``neutral_steps`` greys — with a display name for each."""
        colors = [hex_to_rgb(c.hex) for c in self.all_colors()]
        names = [f"{c.name} {c.hex}" for c in self.all_colors()]
        if self.allow_neutrals:
            steps = self.neutral_steps
            for i in range(steps):
                v = round(255 * i / (steps - 1))
                colors.append((v, v, v))
                names.append("black" if v == 0 else "white" if v == 255 else f"grey {rgb_to_hex((v, v, v))}")
        return colors, names

    def by_role(self, role: ColorRole) -> list[PaletteColor]:
        """Colours with ``role``, in spec order."""
        return [c for c in self.colors if c.role == role]

    def background_rgb(self, tone: Literal["light", "dark"]) -> tuple[int, int, int]:
        """The flat background the brand uses for a ``light`` or ``dark`` canvas: the first light background
        colour (else white); for dark, the first dark background colour (a dark mode's, :meth:`for_mode`), else the
        first dark primary, text or secondary colour (else near-black)."""
        if tone == "dark":
            for role in (ColorRole.background, ColorRole.primary, ColorRole.text, ColorRole.secondary):
                for color in self.by_role(role):
                    rgb = hex_to_rgb(color.hex)
                    if tone_of(rgb) == "dark":
                        return rgb
            return (20, 20, 20)
        for color in self.by_role(ColorRole.background):
            rgb = hex_to_rgb(color.hex)
            if tone_of(rgb) == "light":
                return rgb
        return (255, 255, 255)

    def canvas_tone(self) -> Literal["light", "dark"]:
        """The tone of the brand's own canvas: that of its first background colour (dark in a dark mode whose
        ``Background`` is near-black); light when the palette has no background colour."""
        for color in self.by_role(ColorRole.background):
            return tone_of(hex_to_rgb(color.hex))
        return "light"

    def find(self, name_or_hex: str) -> PaletteColor | None:
        """Colour by name (case-insensitive) or hex."""
        key = name_or_hex.casefold()
        for color in self.colors:
            if color.name.casefold() == key or color.hex.casefold() == key:
                return color
        return None


def palette_space(palette: Palette, levels: int = 32) -> float:
    """Share of sRGB colour space within ``palette.tolerance`` of a palette colour or allowed neutral.

    Estimated on a ``levels``³ grid (the centres of equal RGB cells; exact ΔE00 at each), which takes
    milliseconds where the exact 2²⁴ count (:func:`brandkit.color_stats.palette_space_share`, used in the palette
    check's report where the matcher's table exists anyway) needs the table built. The two agree to about a point.
    """
    colors, _ = palette.reference_colors()
    step = 256 / levels
    axis = (np.arange(levels) + 0.5) * step - 0.5
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
    ref_lab = srgb_to_lab(np.asarray(colors, dtype=np.uint8))
    lab = srgb_to_lab(grid)
    within = np.zeros(grid.shape[0], dtype=bool)
    for ref in ref_lab:
        within |= ciede2000(lab, ref[None, :]) <= palette.tolerance
    return float(within.mean())


def chromatic_colors(palette: Palette) -> list[PaletteColor]:
    """The brand colours that are not neutral (C*ab above ``neutrals.chroma``) — what brings colour into an image the
    neutral rule finds too grey —, primary, secondary and accent first, then in the palette's order."""
    chroma = hex_chroma([c.hex for c in palette.colors])
    found = [c for c, value in zip(palette.colors, chroma, strict=True) if value > palette.neutrals.chroma]
    order = ("primary", "secondary", "accent")
    return sorted(found, key=lambda c: order.index(c.role.value) if c.role.value in order else len(order))


def monochrome(palette: Palette) -> bool:
    """Every brand colour is neutral (black, white, greys — a monochrome brand): an image in the brand's own colours
    is all neutral pixels, so ``neutrals.max_share`` under 1 fails it."""
    return not chromatic_colors(palette)
