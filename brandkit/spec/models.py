"""The brand spec: typed pydantic models (``extra="forbid"`` everywhere).

A spec is written by a brand team as ``brand.yaml`` (or JSON) and loaded with
:func:`brandkit.load_spec`. The JSON Schema in ``schemas/brand-spec.schema.json``
is generated from these models (``brandkit spec schema``).

The ``BrandSpec`` model and its sections, declarations and validators, and ``BrandSpec.for_mode`` (the spec in a
palette mode); the palette's models are in ``palette.py``, the typography's in ``typography.py``, sizes in
``sizes.py``, photos in ``photos.py``; the schema's shape reads top to bottom here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, PrivateAttr, field_validator, model_validator

# the palette and typography models live in spec/palette.py and spec/typography.py (their base in spec/strict.py);
# re-exported here so existing imports keep working
from brandkit.check_catalog import CheckPolicy as CheckPolicy
from brandkit.check_catalog import check_names, default_policies
from brandkit.color import hex_to_rgb
from brandkit.errors import RequestError
from brandkit.spec.modes import DEFAULT_MODE, grounds_in_mode
from brandkit.spec.modes import mode_fingerprint as mode_fingerprint
from brandkit.spec.palette import HEX_PATTERN as HEX_PATTERN
from brandkit.spec.palette import AllowedColor as AllowedColor
from brandkit.spec.palette import ColorRange as ColorRange
from brandkit.spec.palette import ColorRole as ColorRole
from brandkit.spec.palette import ColorTemperature as ColorTemperature
from brandkit.spec.palette import ForbiddenColor as ForbiddenColor
from brandkit.spec.palette import HexColor as HexColor
from brandkit.spec.palette import NeutralRule as NeutralRule
from brandkit.spec.palette import Palette as Palette
from brandkit.spec.palette import PaletteColor as PaletteColor
from brandkit.spec.palette import PhotoRule as PhotoRule
from brandkit.spec.palette import Share as Share
from brandkit.spec.photos import PhotoLibrary, photo_format_problems
from brandkit.spec.sizes import rules_for
from brandkit.spec.strict import StrictModel as StrictModel
from brandkit.spec.typography import CopyMatch as CopyMatch
from brandkit.spec.typography import FallbackFont as FallbackFont
from brandkit.spec.typography import FontRef as FontRef
from brandkit.spec.typography import FontRole as FontRole
from brandkit.spec.typography import Typography as Typography
from brandkit.wcag import Tone, tone_of

Placement = Literal["top-left", "top-right", "bottom-left", "bottom-right", "top-center", "bottom-center", "center"]


class LogoVariant(StrictModel):
    """One logo file and the rules for using it."""

    variant: str = Field(min_length=1, max_length=40, description="primary, mono, inverse, …")
    file: str = Field(description="Image file inside the spec folder (PNG/WebP with alpha recommended).")
    source: str | None = Field(
        default=None,
        description="Vector source of the logo inside the spec folder (an .svg), kept beside the raster `file` "
        "drawn and sent (brandkit spec import rasterises it at the size the formats need).",
    )
    min_width_px: int = Field(default=96, ge=8, le=4096, description="Smallest allowed rendered width.")
    max_width_share: Share = Field(default=0.3, description="Largest rendered width as a share of image width.")
    clear_space: float = Field(
        default=0.25, ge=0, le=2, description="Free margin around the logo as a fraction of its height."
    )
    placements: list[Placement] = Field(
        default_factory=lambda: list[Placement](["top-left"]),
        min_length=1,
        description="Allowed positions, preferred first.",
    )
    backgrounds: list[str] = Field(
        default_factory=lambda: ["light"],
        min_length=1,
        description="Backgrounds it is for: 'light', 'dark', 'any' or palette colour names. A new image's ground is "
        "one a variant is made for: 'auto' takes dark when only dark is, and a tone none is made for is refused.",
    )


class Forbidden(StrictModel):
    """What the brand never shows or says."""

    terms: list[str] = Field(default_factory=list, description="Words and phrases (whole word, robust match).")
    patterns: list[str] = Field(default_factory=list, description="Regular expressions (case-insensitive).")
    competitors: list[str] = Field(default_factory=list, description="Competitor names (matched like terms).")
    imagery: list[str] = Field(default_factory=list, description="Imagery to exclude, e.g. 'people', 'alcohol'.")
    moderation_thresholds: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict,
        description="Per moderation category (e.g. 'sexual', 'violence'), the highest score allowed.",
    )
    moderation_unjudged: Literal["block", "allow"] = Field(
        default="allow",
        description="Moderation categories the moderator cannot judge (the offline classifier judges only "
        "'sexual') are reported not_checked per category; 'block' makes the moderation check not_checked then "
        "(the asset is blocked unless the check's policy is warn), 'allow' lets it pass on the categories judged.",
    )

    @field_validator("patterns")
    @classmethod
    def _compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
        return patterns


class Required(StrictModel):
    """Copy that must appear on every asset."""

    disclaimers: list[str] = Field(default_factory=list, description="Legal lines drawn on every asset.")
    locales: dict[str, list[str]] = Field(
        default_factory=dict,
        description="The legal lines in other languages: locale code ('de', 'fr-CA') → lines that replace "
        "`disclaimers` on assets of that locale (a request's `locale`; 'de-AT' falls back to 'de').",
    )

    def locale_key(self, locale: str | None) -> str | None:
        """The key of ``locales`` that applies to ``locale`` (exact code, then its language), or ``None``."""
        if not locale:
            return None
        by_lower = {code.lower(): code for code in self.locales}
        wanted = locale.lower().replace("_", "-")
        return by_lower.get(wanted) or by_lower.get(wanted.split("-", 1)[0])

    def disclaimers_for(self, locale: str | None) -> list[str]:
        """The required legal lines of an asset in ``locale``: its entry in ``locales``, else ``disclaimers``."""
        key = self.locale_key(locale)
        return list(self.locales[key]) if key is not None else list(self.disclaimers)


class Voice(StrictModel):
    """Tone of voice for copy."""

    tone: list[str] = Field(default_factory=list, description="Tone words, added to prompts.")
    do: list[str] = Field(default_factory=list, description="Copy guidance: do.")
    dont: list[str] = Field(default_factory=list, description="Copy guidance: don't.")


class Style(StrictModel):
    """Visual style of generated imagery."""

    medium: Literal["photography", "illustration", "3d", "flat-graphic", "mixed"] = Field(
        default="photography", description="Visual medium."
    )
    description: str = Field(default="", description="Style in a sentence (materials, textures, look).")
    lighting: str = Field(default="", description="Lighting notes.")
    mood: str = Field(default="", description="Mood words.")
    composition: str = Field(default="", description="Composition notes.")


class Format(StrictModel):
    """A named output size."""

    width: int = Field(ge=16, le=8192, description="Width in pixels (checked against the model's size rules).")
    height: int = Field(ge=16, le=8192, description="Height in pixels.")
    description: str = Field(default="", description="Where the format is used.")

    @property
    def size(self) -> str:
        """``WIDTHxHEIGHT`` as the API expects it."""
        return f"{self.width}x{self.height}"


Quality = Literal["low", "medium", "high", "auto"]
OutputFormat = Literal["png", "jpeg", "webp"]
Background = Literal["transparent", "opaque", "auto"]


class Generation(StrictModel):
    """Defaults for generation requests."""

    model: str = Field(default="gpt-image-2", description="Image model.")
    quality: Quality = Field(default="medium", description="low, medium, high or auto.")
    output_format: OutputFormat = Field(default="png", description="png, jpeg or webp.")
    output_compression: int | None = Field(default=None, ge=0, le=100, description="0–100, jpeg/webp only.")
    background: Background = Field(default="opaque", description="transparent needs png or webp.")
    moderation: Literal["auto", "low"] = Field(default="auto", description="Provider-side moderation level.")
    text: Literal["render", "overlay"] = Field(
        default="render", description="'render': the model draws the copy; 'overlay': brandkit draws it exactly."
    )
    logo: Literal["reference", "overlay"] = Field(
        default="reference", description="'reference': logo sent as an edit input; 'overlay': composited exactly."
    )

    @model_validator(mode="after")
    def _combos(self) -> Generation:
        if self.output_compression is not None and self.output_format == "png":
            raise ValueError("output_compression only applies to jpeg or webp output")
        if self.background == "transparent" and self.output_format == "jpeg":
            raise ValueError("a transparent background needs png or webp output, not jpeg")
        rules = rules_for(self.model)
        if self.background == "transparent" and not rules.transparent_background:
            raise ValueError(f"model {self.model} does not support a transparent background")
        return self


class CheckSettings(StrictModel):
    """Policy of one check: what happens when it fails."""

    policy: CheckPolicy = Field(default="regenerate", description="regenerate, fix, warn or raise.")
    enabled: bool = Field(default=True, description="Run this check at all.")


def _default_checks() -> dict[str, CheckSettings]:
    """Default settings of every built-in check, from its declaration in ``brandkit/check_catalog.py``."""
    return {name: CheckSettings(policy=policy) for name, policy in default_policies().items()}


MAX_ATTEMPTS = 10
"""The most generations per asset a spec's ``repair`` (or a kit's ``max_attempts``) may allow."""


class Repair(StrictModel):
    """Budget of the repair loop."""

    max_attempts: int = Field(default=3, ge=1, le=MAX_ATTEMPTS, description="Generations per asset, first included.")
    max_spend_usd: float | None = Field(default=None, ge=0, description="Stop repairing once this much is spent.")


DEFAULT_FORMATS: dict[str, Format] = {
    "square": Format(width=1024, height=1024, description="Feed post"),
    "portrait": Format(width=1024, height=1536, description="Story / poster"),
    "landscape": Format(width=1536, height=1024, description="Display ad"),
    "banner": Format(width=1536, height=512, description="Web banner (3:1)"),
}


class BrandSpec(StrictModel):
    """A complete brand spec. Load one with :func:`brandkit.load_spec`."""

    schema_version: Literal[1] = Field(default=1, description="Version of this spec format.")
    name: str = Field(min_length=1, max_length=120, description="Brand name, used in prompts.")
    version: str = Field(default="1.0.0", min_length=1, max_length=40, description="The spec's own version.")
    description: str = Field(default="", description="What the brand is, in a sentence or two (goes in prompts).")
    voice: Voice = Field(default_factory=Voice, description="Tone of voice.")
    palette: Palette = Field(description="Brand colours and adherence rules.")
    logos: list[LogoVariant] = Field(default_factory=list, description="Logo variants.")
    typography: Typography = Field(description="Fonts and copy rules.")
    forbidden: Forbidden = Field(default_factory=Forbidden, description="What the brand never says or shows.")
    required: Required = Field(default_factory=Required, description="Copy that must appear.")
    style: Style = Field(default_factory=Style, description="Visual style of imagery.")
    formats: dict[str, Format] = Field(
        default_factory=lambda: dict(DEFAULT_FORMATS),
        description="Named output sizes (default: square, portrait, landscape, banner).",
    )
    generation: Generation = Field(default_factory=Generation, description="Generation defaults.")
    checks: dict[str, CheckSettings] = Field(
        default_factory=_default_checks,
        description=f"Per-check policy: {', '.join(check_names())}.",
    )
    repair: Repair = Field(default_factory=Repair, description="Repair loop budget.")
    photos: PhotoLibrary = Field(
        default_factory=list, description="The brand's own photographs (used by the local renderer)."
    )

    _root: Path | None = PrivateAttr(default=None)
    _fingerprint: str = PrivateAttr(default="")
    _source: str = PrivateAttr(default="<memory>")
    _mode: str | None = PrivateAttr(default=None)
    _base: BrandSpec | None = PrivateAttr(default=None)  # a mode's spec: the loaded one it was made from
    _moded: dict[str, BrandSpec] = PrivateAttr(default_factory=dict)  # this spec's modes, made once each

    @model_validator(mode="after")
    def _cross_checks(self) -> BrandSpec:
        rules = rules_for(self.generation.model)
        for name, fmt in self.formats.items():
            problem = rules.size_problem(fmt.width, fmt.height)
            if problem:
                raise ValueError(f"format {name!r}: {problem} (model {self.generation.model})")
        counts = Counter(logo.variant for logo in self.logos)
        dupes = sorted(v for v, k in counts.items() if k > 1)
        if dupes:
            raise ValueError(f"logo variants must be unique; repeated: {dupes}")
        known = {"light", "dark", "any"} | {c.name.casefold() for c in self.palette.colors}
        for logo in self.logos:
            for bg in logo.backgrounds:
                if bg.casefold() not in known:
                    raise ValueError(
                        f"logo {logo.variant!r}: background {bg!r} is neither light/dark/any nor a palette colour"
                    )
        photo_problems = photo_format_problems(self.photos, self.formats)
        if photo_problems:
            raise ValueError("; ".join(photo_problems))
        known_checks = set(check_names())
        unknown = sorted(set(self.checks) - known_checks)
        if unknown:
            raise ValueError(f"unknown checks {unknown}")
        return self

    @property
    def fingerprint(self) -> str:
        """sha256 over the canonical spec and the bytes of every referenced asset (set by the loader)."""
        return self._fingerprint

    def __copy__(self) -> Self:
        """A shallow copy (``model_copy``) with a memo of modes of its own: made from the copy, not from this spec."""
        copied = super().__copy__()
        copied._moded = {}
        return copied

    @property
    def mode(self) -> str | None:
        """The palette mode this spec is in (:meth:`for_mode`); ``None`` for the spec's own, default colours."""
        return self._mode

    def for_mode(self, mode: str | None, *, field: str = "mode") -> BrandSpec:
        """This spec with the colours of palette mode ``mode`` (a key of ``palette.modes``, e.g. ``dark``) in place of
        the default ones — what generation, the checks and the repair loop then use. ``None`` is the spec itself;
        ``"default"`` (:data:`~brandkit.spec.modes.DEFAULT_MODE`) the spec's own colours, from a spec in a mode too.

        Its ``palette.modes`` stay as loaded (what records made in another mode name). A logo made for a palette
        colour (``backgrounds: [Cloud]``) whose tone the mode turns (a light Cloud that is dark in the dark mode)
        is made for the colour's default tone instead (``light``): the logo drawn for the light Cloud is not put on
        the dark one. The mode's spec has a fingerprint of its own (:func:`mode_fingerprint`), so warm caches,
        audits and provenance tell the modes apart; its ``mode`` names the mode. A spec in a mode asked for another
        gives the loaded spec in that one. Each mode's spec is made once per spec object. An unknown mode raises
        :class:`~brandkit.RequestError` naming it, the spec's modes and ``field`` (where the mode was given).
        """
        if mode is None or mode == self._mode:
            return self
        if self._base is not None:  # the loaded spec's, never a mode over a mode
            return self._base.for_mode(mode, field=field)
        if mode == DEFAULT_MODE:
            return self
        if mode not in self.palette.modes:
            known = f"{DEFAULT_MODE!r} (its own colours)" + (
                "".join(f", {m!r}" for m in sorted(self.palette.modes)) or "; palette.modes is empty"
            )
            raise RequestError(
                f"{field}: {mode!r} is not a palette mode of {self.name!r}; its modes: {known}", field=field, value=mode
            )
        made = self._moded.get(mode)
        if made is None or made._base is not self:  # a copy of this spec shares the dict: made from it or anew
            palette = self.palette.for_mode(mode).model_copy(update={"modes": self.palette.modes})  # names kept
            logos = [
                logo.model_copy(update={"backgrounds": grounds_in_mode(logo.backgrounds, self.palette, palette)})
                for logo in self.logos
            ]
            moded = self.model_copy(update={"palette": palette, "logos": logos})
            moded._mode, moded._base, moded._moded = mode, self, {}
            moded._fingerprint = mode_fingerprint(self._fingerprint, mode) if self._fingerprint else ""
            self._moded[mode] = made = moded
        return made

    def in_mode_of(self, fingerprint: str) -> BrandSpec:
        """The loaded spec, or it in the palette mode, whose fingerprint is ``fingerprint`` (what a record of an asset
        made in a mode holds); this spec itself when none is (another spec's, an older version's)."""
        base = self._base if self._base is not None else self
        if not base._fingerprint or fingerprint == self._fingerprint:
            return self
        if fingerprint == base._fingerprint:
            return base
        for mode in base.palette.modes:
            if mode_fingerprint(base._fingerprint, mode) == fingerprint:
                return base.for_mode(mode)
        return self

    @property
    def root(self) -> Path | None:
        """Folder the asset paths are relative to (``None`` for an in-memory spec)."""
        return self._root

    @property
    def source(self) -> str:
        """Where the spec was loaded from."""
        return self._source

    def asset_path(self, relative: str) -> Path:
        """Absolute path of an asset named in the spec (already checked by the loader to stay inside the folder)."""
        if self._root is None:
            raise KeyError(f"spec {self.name!r} was not loaded from a folder; cannot resolve {relative!r}")
        return self._root / relative

    def policy(self, check: str) -> CheckSettings:
        """Settings of ``check`` (defaults when the spec does not name it)."""
        return self.checks.get(check) or _default_checks().get(check, CheckSettings())

    def logo(self, variant: str) -> LogoVariant:
        """Logo variant by name; raises ``KeyError`` naming the known variants."""
        for logo in self.logos:
            if logo.variant == variant:
                return logo
        raise KeyError(f"no logo variant {variant!r}; known: {[logo.variant for logo in self.logos]}")

    def logo_tone(self, variant: str) -> Tone | None:
        """The background tone logo ``variant`` is made for, from its ``backgrounds``: ``light`` / ``dark`` as named,
        a palette colour by its luminance (:func:`brandkit.wcag.tone_of`). ``None`` when they disagree or one is
        ``any`` or not a palette colour's name. Raises ``KeyError`` naming the known variants for an unknown one."""
        colours = {c.name.casefold(): c.hex for c in self.palette.colors}
        tones: set[Tone] = set()
        for name in self.logo(variant).backgrounds:
            key = name.casefold()
            if key == "light" or key == "dark":
                tones.add("light" if key == "light" else "dark")
            elif key in colours:
                tones.add(tone_of(hex_to_rgb(colours[key])))
            else:
                return None
        return tones.pop() if len(tones) == 1 else None
