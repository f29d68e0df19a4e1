"""Forbidden-term matching that survives Unicode tricks.

Text is normalized before matching: NFKC (fullwidth and compatibility
forms), zero-width / joiner / bidi control characters removed, case folded,
accents and other combining marks dropped, confusable letters from other
scripts (Cyrillic, Greek, …) mapped to Latin, and leetspeak digits and
symbols read as letters. Matching is by whole words, but a term also matches
when its letters are split by inserted spaces or punctuation
(``f r e e``, ``f.r.e.e``, ``fr-ee``), because adjacent tokens are joined
when their concatenation spells the term.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Invisible characters that can be slipped between letters.
_INVISIBLE = dict.fromkeys(
    [
        0x00AD,  # soft hyphen
        0x034F,  # combining grapheme joiner
        0x061C,  # arabic letter mark
        0x115F,
        0x1160,
        0x17B4,
        0x17B5,
        0x180E,
        0x200B,  # zero width space
        0x200C,  # zero width non-joiner
        0x200D,  # zero width joiner
        0x200E,
        0x200F,
        0x202A,
        0x202B,
        0x202C,
        0x202D,
        0x202E,
        0x2060,  # word joiner
        0x2061,
        0x2062,
        0x2063,
        0x2064,
        0x2066,
        0x2067,
        0x2068,
        0x2069,
        0x3164,
        0xFE00,
        0xFE0F,
        0xFEFF,  # zero width no-break space / BOM
        0xFFA0,
    ]
)

# Letters from other scripts that look like Latin letters (after case folding).
_CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "т": "t", "у": "y",
    "х": "x", "ԝ": "w", "ӏ": "l", "ɡ": "g", "ո": "n", "ս": "u", "г": "r", "п": "n", "ь": "b",
    "ѵ": "v", "з": "3", "ч": "4", "б": "6",
    # Greek
    "α": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k",
    "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
    "μ": "u", "ϲ": "c", "ϳ": "j", "ԁ": "d", "ԍ": "g", "օ": "o", "ց": "g",
    "զ": "q", "հ": "h", "ւ": "l", "ᴦ": "r",
    # Latin look-alikes and others
    "ı": "i", "ȷ": "j", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ƅ": "b", "ɑ": "a",
    "ɩ": "i", "ʟ": "l", "ɴ": "n", "ʀ": "r", "ꜱ": "s", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d",
    "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ᴍ": "m", "ᴏ": "o", "ᴘ": "p",
    "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ꜰ": "f", "ꞯ": "q",
    "ß": "ss", "æ": "ae", "œ": "oe",
}  # fmt: skip

# Capital letters of other scripts that look like Latin capitals: mapped before case folding, because folding
# turns some of them into letters with a different look-alike (Greek Μ → μ, which resembles u).
_CAPITALS: dict[str, str] = {
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H",
    "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ԁ": "D", "Ԍ": "G",
    "ς": "c", "ϲ": "c", "Ϲ": "C",
}  # fmt: skip

# Enclosed and squared letters (🅰 🄰 🅐 …) that NFKC leaves alone: three blocks of A–Z.
_ENCLOSED = {start + i: chr(ord("a") + i) for start in (0x1F130, 0x1F150, 0x1F170) for i in range(26)}

_RLO, _PDF = "\u202e", "\u202c"

# Leetspeak readings. Digits are read as letters only in the "leet" view, so
# plain numbers ("40% off") still match number terms in the plain view.
_LEET_VIEWS: tuple[dict[str, str], ...] = (
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s",
     "!": "i", "|": "l", "+": "t", "€": "e", "£": "l", "¥": "y"},
    {"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s",
     "!": "l", "|": "i", "+": "t", "€": "e", "£": "l", "¥": "y"},
)  # fmt: skip

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def _unreverse(text: str) -> str:
    """Text inside a right-to-left override is displayed reversed: put it in display order."""
    if _RLO not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == _RLO:
            end = text.find(_PDF, i + 1)
            end = len(text) if end < 0 else end
            out.append(text[i + 1 : end][::-1])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def normalize(text: str) -> str:
    """Normalize ``text`` for matching: bidi overrides resolved, NFKC, invisibles out, look-alike capitals
    mapped, casefold, marks out, confusables mapped."""
    text = unicodedata.normalize("NFKC", _unreverse(text)).translate(_INVISIBLE).translate(_ENCLOSED)
    text = "".join(_CAPITALS.get(ch, ch) for ch in text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(_CONFUSABLES.get(ch, ch) for ch in unicodedata.normalize("NFC", stripped))


_TRAILING_OK = frozenset("!|")  # read as letters only inside a word, never as end punctuation


def _leet(text: str, view: dict[str, str]) -> str:
    out = []
    for i, ch in enumerate(text):
        if ch in _TRAILING_OK and not (i + 1 < len(text) and text[i + 1].isalnum()):
            out.append(ch)
        else:
            out.append(view.get(ch, ch))
    return "".join(out)


def tokens(text: str) -> list[str]:
    """Whole-word tokens of already normalized text."""
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class ForbiddenMatch:
    """One forbidden item found in a piece of text."""

    kind: str  # "term", "competitor" or "pattern"
    rule: str  # the term or pattern as written in the spec
    found: str  # the text that matched, as it appears after normalization

    def __str__(self) -> str:
        return f"{self.kind} {self.rule!r} (matched {self.found!r})"


def _term_key(term: str) -> tuple[str, ...]:
    return tuple(tokens(normalize(term)))


def _span_matches(words: Sequence[str], key: tuple[str, ...]) -> str | None:
    """Find ``key`` as whole words in ``words``, also when its letters were split across tokens."""
    if not key:
        return None
    n = len(key)
    joined_key = "".join(key)
    for i in range(len(words)):
        if tuple(words[i : i + n]) == key:
            return " ".join(words[i : i + n])
        acc = ""
        for j in range(i, len(words)):
            acc += words[j]
            if len(acc) >= len(joined_key):
                if acc == joined_key:  # also a multi-word term glued into one token (#riskfree)
                    return " ".join(words[i : j + 1])
                break
    return None


class ForbiddenMatcher:
    """Matches terms, competitor names and regex patterns against text, robust to evasion."""

    def __init__(
        self,
        terms: Iterable[str] = (),
        competitors: Iterable[str] = (),
        patterns: Iterable[str] = (),
    ) -> None:
        self._items: list[tuple[str, str, tuple[str, ...]]] = []
        for kind, source in (("term", terms), ("competitor", competitors)):
            for term in source:
                key = _term_key(term)
                if key:
                    self._items.append((kind, term, key))
        self._patterns = [(p, re.compile(p, re.IGNORECASE)) for p in patterns]

    def find(self, text: str) -> list[ForbiddenMatch]:
        """Every forbidden item in ``text`` (empty list when clean)."""
        if not text:
            return []
        norm = normalize(text)
        leet_texts = [_leet(norm, view) for view in _LEET_VIEWS]
        views = [tokens(norm)] + [tokens(t) for t in leet_texts]
        found: list[ForbiddenMatch] = []
        for kind, rule, key in self._items:
            for words in views:
                hit = _span_matches(words, key)
                if hit is not None:
                    found.append(ForbiddenMatch(kind, rule, hit))
                    break
        for raw, pattern in self._patterns:
            match = next((m for m in (pattern.search(t) for t in (text, norm, *leet_texts)) if m), None)
            if match is not None:
                found.append(ForbiddenMatch("pattern", raw, match.group(0)))
        return found
