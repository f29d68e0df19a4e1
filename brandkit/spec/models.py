"""The brand spec: typed pydantic models (``extra="forbid"`` everywhere).

A spec is written by a brand team as ``brand.yaml`` (or JSON) and loaded with
:func:`brandkit.load_spec`. The JSON Schema in ``schemas/brand-spec.schema.json``
is generated from these models (``brandkit spec schema``).

About 410 lines, on purpose: the ``BrandSpec`` model and its sections, declarations and validators only (the
palette's models are in ``palette.py``, sizes in ``sizes.py``, photos in ``photos.py``); the schema's shape reads
top to bottom here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

# the palette models live in spec/palette.py; re-exported here so existing imports keep working
from brandkit.check_catalog import CheckPolicy as CheckPolicy
from brandkit.check_catalog import check_names, default_policies
from brandkit.color import hex_to_rgb
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
from brandkit.wcag import Tone, tone_of


class StrictModel(BaseModel):
    """Base of every spec model: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, defer_build=True)


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


class FontRef(StrictModel):
    """A font file inside the spec folder."""

    file: str = Field(description="TTF or OTF file inside the spec folder.")
    license: str | None = Field(default=None, description="License file inside the spec folder.")
    family: str | None = Field(
        default=None,
        description="Font family name the brand uses (e.g. from an imported brand file); the `file` is what draws.",
    )
    weight: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="CSS weight of the family (e.g. 700); a variable font file is drawn at it (its wght axis).",
    )


FontRole = Literal["headline", "body", "cta"]
_ALL_ROLES: tuple[FontRole, ...] = ("headline", "body", "cta")


class FallbackFont(StrictModel):
    """A font used for the characters of some scripts that a role's own font lacks.

    Scripts are ISO 15924 codes as in the Unicode ``Script`` property (``Hani`` Han ideographs, ``Hira``
    hiragana, ``Kana`` katakana, ``Hang`` Hangul, ``Arab``, ``Deva``, ``Cyrl``, ``Grek``, ``Latn``, …).
    Punctuation and symbols shared by scripts (``Zyyy``, e.g. 「」、。, digits, emoji) use the font of the run
    they sit in when it has them, else the main font, else the first fallback that has them (name ``Zyyy`` for a
    font meant only for symbols).
    """

    scripts: list[str] = Field(min_length=1, description="ISO 15924 script codes this font covers, e.g. [Hani, Hira].")
    file: str = Field(description="TTF or OTF file inside the spec folder.")
    license: str | None = Field(default=None, description="License file inside the spec folder.")
    roles: list[FontRole] = Field(
        default_factory=lambda: list(_ALL_ROLES),
        min_length=1,
        description="Roles (headline, body, cta) whose copy may use this fallback (default: all).",
    )

    @field_validator("scripts")
    @classmethod
    def _known_scripts(cls, scripts: list[str]) -> list[str]:
        from fontTools.unicodedata import Scripts

        for code in scripts:
            if code not in Scripts.NAMES or code == "Zzzz":
                raise ValueError(
                    f"{code!r} is not an ISO 15924 script code (e.g. Latn, Cyrl, Grek, Hani, Hira, Kana, Hang, "
                    "Arab, Hebr, Deva, Thai; Zyyy for a symbols/emoji font)"
                )
        return scripts


class CopyMatch(StrictModel):
    """How exactly the text check compares the copy read on an image with the copy ordered (docs/checks.md)."""

    case: Literal["exact", "ignore"] = Field(
        default="exact",
        description="'exact': letter case must match the ordered copy (after headline_case); 'ignore': case may "
        "differ (a design that sets copy in capitals).",
    )
    disclaimer_min_chars: int = Field(
        default=20, ge=10, le=1000, description="Disclaimers at least this long get the OCR slip allowance."
    )
    disclaimer_max_ned: float = Field(
        default=0.05,
        ge=0,
        le=0.1,
        description="Allowance for long disclaimers: at most this share of their characters may differ, one "
        "character per word, never in a number, never a missing or extra word. Headline, subhead and CTA "
        "always match exactly.",
    )


class Typography(StrictModel):
    """Fonts per role and the rules for copy set in them."""

    headline: FontRef = Field(description="Font for headlines.")
    body: FontRef | None = Field(default=None, description="Font for subheads and legal lines (else headline).")
    cta: FontRef | None = Field(default=None, description="Font for the call-to-action button (else body).")
    fallbacks: list[FallbackFont] = Field(
        default_factory=list,
        description="Fonts for scripts the role fonts lack, tried in order per character (see docs/spec.md).",
    )
    headline_case: Literal["as-written", "upper", "title", "sentence"] = Field(
        default="as-written", description="Casing applied to headlines."
    )
    max_headline_words: int = Field(default=8, ge=1, le=40, description="Longer headlines are rejected.")
    max_headline_lines: int = Field(default=2, ge=1, le=6, description="Lines a headline may wrap to.")
    min_contrast: float = Field(default=4.5, ge=1, le=21, description="Minimum WCAG contrast ratio for text.")
    copy_match: CopyMatch = Field(
        default_factory=CopyMatch, description="How exactly the text check compares rendered copy (per field)."
    )

    def fallbacks_for(self, role: FontRole) -> list[FallbackFont]:
        """The fallback fonts ``role``'s copy may use, in the order they are tried."""
        return [f for f in self.fallbacks if role in f.roles]

    def font_for(self, role: Literal["headline", "body", "cta"]) -> FontRef:
        """Font for ``role``, falling back to body then headline."""
        if role == "cta":
            return self.cta or self.body or self.headline
        if role == "body":
            return self.body or self.headline
        return self.headline


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
