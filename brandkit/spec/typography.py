"""The spec's typography: fonts per role, fallback fonts per script, and how exactly copy is matched
(re-exported by :mod:`brandkit.spec.models`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from brandkit.spec.strict import StrictModel

__all__ = ["CopyMatch", "FallbackFont", "FontRef", "FontRole", "Typography"]


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
