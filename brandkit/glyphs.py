"""Glyph coverage: does a font (or a chain of fallback fonts) hold every character of the copy?

Used before anything is sent or drawn (the compiler raises a :class:`~brandkit.errors.RequestError` naming the
missing characters, the field and the font) and by the typesetter, which splits each line into runs of one font
(:func:`font_runs`) so that characters the main font lacks are drawn with the brand's fallback font for their
script.

Rules (documented in ``docs/spec.md``, "Fallback fonts"):

* Text is checked after **NFC** (``e`` + U+0301 is checked as ``é``); a combining mark left after NFC must be in
  the font of the character it sits on.
* **Whitespace** is drawn as U+0020 by the wrapper (every run of whitespace is a break opportunity), so any
  whitespace needs the font's U+0020, not its own glyph.
* **Default-ignorable** characters (ZWJ, ZWNJ, variation selectors, soft hyphen, word joiner, bidi controls,
  BOM, tag characters) need no glyph: the shaper (Pillow with raqm) hides them, and they stay in the run of the
  character before them so that emoji and Indic joining sequences are shaped as one.
* **Scripts** come from the Unicode ``Script`` and ``Script_Extensions`` properties (``fontTools.unicodedata``).
  A character of a real script that the main font lacks goes to the first fallback naming one of its scripts.
  A character shared by scripts (``Zyyy``, e.g. digits, ``!``, ``、`` and ``「」``) stays in the current run's font
  when that font has it, else the main font, else the first fallback that has it.

The cmap of a font file is read once per file version (path, size, mtime) with fontTools and kept in a small
bounded cache, like the decoded fonts in :mod:`brandkit.layout`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from fontTools import unicodedata as ucd
from fontTools.ttLib import TTFont, TTLibError

from brandkit.memo import memoized

__all__ = [
    "FontChain",
    "FontCoverage",
    "GlyphProblem",
    "Run",
    "font_coverage",
    "font_runs",
    "glyph_problems",
    "is_default_ignorable",
    "script_of",
]

_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip
"""Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode 15), as ranges."""

_SHARED = frozenset({"Zyyy", "Zinh", "Zzzz"})


def is_default_ignorable(ch: str) -> bool:
    """True for characters that are invisible by default and need no glyph (ZWJ, variation selectors, …)."""
    cp = ord(ch)
    if cp < _IGNORABLE_RANGES[0][0]:  # below the first range (ASCII and most Latin): not ignorable
        return False
    return any(lo <= cp <= hi for lo, hi in _IGNORABLE_RANGES)


def script_of(ch: str) -> str:
    """ISO 15924 code of ``ch``'s Unicode ``Script`` property (``Latn``, ``Hani``, ``Zyyy`` for common, …)."""
    return str(ucd.script(ch))


def _scripts_of(ch: str) -> frozenset[str]:
    return frozenset(ucd.script_extension(ch))


@dataclass(frozen=True)
class FontCoverage:
    """The code points a font file maps to glyphs (its best cmap), and the weight it is drawn at: ``weight`` sets a
    variable font's ``wght`` axis (None: its default instance; a static font ignores it)."""

    path: str
    codepoints: frozenset[int]
    weight: int | None = None

    def has(self, ch: str) -> bool:
        """True when the font has a glyph for ``ch``."""
        return ord(ch) in self.codepoints


@memoized("glyphs.coverage", 32)
def _coverage(path: str, size: int, mtime_ns: int, index: int) -> FontCoverage:
    del size, mtime_ns  # part of the key only: a changed file is read again
    try:
        with TTFont(path, lazy=True, fontNumber=index) as font:
            cmap = font.getBestCmap() or {}
    except (TTLibError, OSError, AssertionError, KeyError, ValueError) as exc:
        raise ValueError(f"cannot read the character map of font {path!r}: {exc}") from exc
    return FontCoverage(path, frozenset(cmap))


@memoized("glyphs.axes", 32)
def variation_axes(path: str) -> tuple[tuple[str, float, float, float], ...]:
    """A variable font's axes in its ``fvar`` order — (tag, minimum, default, maximum), the order FreeType takes
    their values in —; empty for a static font."""
    with TTFont(path, lazy=True) as font:
        if "fvar" not in font:
            return ()
        return tuple((a.axisTag, a.minValue, a.defaultValue, a.maxValue) for a in font["fvar"].axes)


def font_coverage(path: Path | str, index: int = 0) -> FontCoverage:
    """The coverage of the font at ``path`` (face ``index`` of a collection); read once per file version.

    Raises ``ValueError`` when the file is not a font fontTools can read.
    """
    stat = Path(path).stat()
    return _coverage(str(path), stat.st_size, stat.st_mtime_ns, index)


@dataclass(frozen=True)
class FontChain:
    """A role's main font and the fallbacks it may use, each with the scripts it is named for."""

    primary: FontCoverage
    fallbacks: tuple[tuple[FontCoverage, frozenset[str]], ...] = ()

    @classmethod
    def of(
        cls, primary: Path | str, fallbacks: Sequence[tuple[Path | str, Sequence[str]]] = (), weight: int | None = None
    ) -> FontChain:
        """A chain from font paths: ``fallbacks`` as (path, ISO 15924 script codes), in the order tried; ``weight``
        (the role's CSS weight) is what its variable fonts are drawn at."""

        def face(path: Path | str) -> FontCoverage:
            coverage = font_coverage(path)
            return coverage if weight is None else replace(coverage, weight=weight)

        return cls(face(primary), tuple((face(path), frozenset(scripts)) for path, scripts in fallbacks))

    @property
    def paths(self) -> tuple[str, ...]:
        """Every font file of the chain, main font first."""
        return (self.primary.path, *(fb.path for fb, _ in self.fallbacks))

    def font_for(self, ch: str, current: FontCoverage | None = None) -> FontCoverage | None:
        """The font that draws ``ch`` after a run in ``current`` (``None``: no font of the chain has it)."""
        scripts = _scripts_of(ch)
        shared = script_of(ch) in _SHARED
        if ch.isspace():
            ch = " "
        if current is not None and (shared or ch == " ") and current.has(ch):
            return current
        if self.primary.has(ch):
            return self.primary
        for font, named in self.fallbacks:
            if (shared or ch == " " or named & scripts) and font.has(ch):
                return font
        return None


@dataclass(frozen=True)
class Run:
    """A stretch of text drawn in one font (``font`` is ``None`` for characters no font of the chain has)."""

    text: str
    font: FontCoverage | None


@memoized("glyphs.font_runs", 4096)
def font_runs(text: str, chain: FontChain) -> tuple[Run, ...]:
    """Split NFC ``text`` into runs of one font each (see the module docstring for the rules).

    Memoized in the active store: fitting copy measures the same words at many sizes, and the runs do not depend
    on the size."""
    text = unicodedata.normalize("NFC", text)
    runs: list[Run] = []
    current: FontCoverage | None = None
    pieces: list[str] = []
    started = False
    for ch in text:
        if started and is_default_ignorable(ch):
            pieces.append(ch)  # stays with the character before it
            continue
        if started and unicodedata.combining(ch) and current is not None:
            font = current if current.has(ch) else None  # a mark must be in its base's font
        else:
            font = chain.font_for(ch, current)
            if font is None and is_default_ignorable(ch):
                font = chain.primary
        if started and font is current:
            pieces.append(ch)
            continue
        if started:
            runs.append(Run("".join(pieces), current))
        current, pieces, started = font, [ch], True
    if started:
        runs.append(Run("".join(pieces), current))
    return tuple(runs)


@dataclass(frozen=True)
class GlyphProblem:
    """Characters of one copy field that no font of its chain can draw."""

    field: str
    text: str
    missing: tuple[str, ...]
    fonts: tuple[str, ...]

    def describe(self) -> str:
        """``'中' U+4E2D (Han script)`` for each character, comma-separated."""
        parts = []
        for ch in self.missing[:12]:
            script = script_of(ch)
            name = ucd.script_name(script) if script not in _SHARED else "shared punctuation/symbol"
            shown = f"'\u25cc{ch}'" if unicodedata.combining(ch) else repr(ch)  # a mark on a dotted circle
            parts.append(f"{shown} U+{ord(ch):04X} ({name.replace('_', ' ')}, {script})")
        more = len(self.missing) - 12
        return ", ".join(parts) + (f" and {more} more" if more > 0 else "")

    @property
    def scripts(self) -> tuple[str, ...]:
        """ISO 15924 codes of the missing characters (those of a real script), in order of appearance."""
        return tuple(dict.fromkeys(s for s in (script_of(ch) for ch in self.missing) if s not in _SHARED))


def glyph_problems(fields: Sequence[tuple[str, str, FontChain]]) -> list[GlyphProblem]:
    """For each (field, text, chain), the characters no font of the chain has (empty list: all drawable)."""
    out: list[GlyphProblem] = []
    for field, text, chain in fields:
        missing = [ch for run in font_runs(text, chain) if run.font is None for ch in run.text if not ch.isspace()]
        if missing:
            out.append(GlyphProblem(field, text, tuple(dict.fromkeys(missing)), chain.paths))
    return out
