"""Forbidden-term matching that survives disguises without refusing ordinary copy.

A text is read in three steps (the rules are in ``docs/reliability.md``, "Forbidden terms"):

1. **Cleaned**: HTML entities decoded, markup tags removed (``fr<b></b>ee``; block tags such as ``<p>`` and
   ``<br>`` become paragraph breaks), right-to-left overrides put in display order, NFKC (fullwidth,
   mathematical and circled letters), invisible and format characters removed, and every line or paragraph
   separator made a newline (a blank line, U+2029 or a block tag is a paragraph break).
2. **Segmented** by Unicode word and sentence segmentation (UAX #29, ICU's break iterators): a "word" is a
   segment with a letter or digit, split again at camel-case humps (``RiskFree``); its key is its letters and
   digits after the UTS #39 confusable skeleton (Unicode's published confusables data as shipped with ICU,
   ``icu.SpoofChecker``), case folding and mark stripping — so look-alike letters of any script read as the
   Latin letter they imitate — with ``l``/``I`` read as ``i`` and ``rn`` as ``m`` on both sides (the skeleton's
   own prototypes). A second, leetspeak view reads ``3 4 5 7 8 9 0 1 @ $ ! | + € £ ¥`` as letters in chunks
   that hold a letter (``fr33``; a trailing ``!`` stays punctuation).
3. **Matched**: a term matches when the keys of consecutive words, concatenated, equal the term's — so whole
   words only (``secure`` is not ``cure``), but letters split by spaces, punctuation, emoji or markup
   (``f r e e``, ``Star-bucks``, ``fr🙂ee``) and glued phrases (``#riskfree``) are found. A match never
   crosses a sentence boundary or clause punctuation followed by a space (``well. Now``, ``risk, free``).
   Competitor names are proper nouns: a name written in plain lower-case ASCII letters (``open the windows``,
   ``breathe calmly``, ``feel well now``) is read as the ordinary word it also is; any capital, other script,
   leetspeak or other disguise makes it the name.

Regex patterns run on the raw, the cleaned-and-mapped and the leetspeak texts. Deliberately not matched:
reversed text, encodings (base64, percent-encoding, ROT13), spelled-out letters and repeated letters — see
the reliability doc for why.

ICU is imported lazily and every table (the per-character keys) lives on the :class:`ForbiddenMatcher`, so
importing this module does no I/O and holds no state.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Characters that are invisible but not of category Cf (format), which is removed as a whole.
_INVISIBLE_EXTRA = frozenset({0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFFA0})
# Enclosed and squared letters (🅰 🄰 🅐 🅵 …) that NFKC leaves alone: four blocks of A–Z.
_ENCLOSED = {start + i: chr(ord("a") + i) for start in (0x1F130, 0x1F150, 0x1F170, 0x1F1E6) for i in range(26)}
_RLO, _PDF = "\u202e", "\u202c"
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\v": "\n", "\f": "\n\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n"}
_LINE_BREAK_RE = re.compile("|".join(re.escape(k) for k in _LINE_BREAKS))
_BLOCK_TAG = re.compile(r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|section|article|hr)\b[^<>]{0,200}>", re.I)
_INLINE_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]{0,30}(?:\s[^<>]{0,200})?/?>|<!--.{0,200}?-->", re.S)
_BBCODE = re.compile(r"\[/?(?:b|i|u|s|color|size|font|url|span|sup|sub)(?:=[^\]]{0,60})?\]", re.I)
_ANSI = re.compile(r"\x1b\[[0-9;]{0,20}[A-Za-z]")
# Clause punctuation followed by a space, a spaced dash, or a paragraph break: no match spans it.
_CLAUSE = re.compile(r"[,;:!?…。，；：！？、)\]]\s|\s[—–-]+\s|\n\s*\n")
_SMALL_CAPITAL = re.compile(r"^LATIN (?:LETTER SMALL CAPITAL|SMALL CAPITAL LETTER) ([A-Z])$")

# Leetspeak: read in chunks (between spaces) that hold a letter. One view: 'l' and 'i' are one letter in keys.
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s",
         "!": "i", "|": "i", "+": "t", "€": "e", "£": "l", "¥": "y"}  # fmt: skip
_TRAILING_OK = frozenset("!|")  # read as letters only inside a word, never as end punctuation
_CHUNK = re.compile(r"\S+")


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


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or ord(ch) in _INVISIBLE_EXTRA or 0xFE00 <= ord(ch) <= 0xFE0F


def clean(text: str, reader: _Reader | None = None) -> str:
    """Step 1: entities decoded, markup out, display order, NFKC, invisibles out, line breaks as ``\\n``.

    A letter that NFKC would turn into another script's letter but whose confusable skeleton is Latin (lunate
    sigma ``ϲ`` is NFKC ``σ``, skeleton ``c``) is read by its skeleton first. Other control characters become
    spaces when Python reads them as whitespace, and are removed otherwise.
    """
    reader = reader or _Reader()
    text = html.unescape(_ANSI.sub("", text))
    text = _BLOCK_TAG.sub("\n\n", text)
    text = _BBCODE.sub("", _INLINE_TAG.sub("", text))
    text = _LINE_BREAK_RE.sub(lambda m: _LINE_BREAKS[m.group(0)], _unreverse(text))
    text = "".join(reader.before_nfkc(ch) for ch in text)
    text = unicodedata.normalize("NFKC", text).translate(_ENCLOSED)
    out: list[str] = []
    for ch in text:
        if ch == "\n" or ch == "\t":
            out.append(ch)
        elif unicodedata.category(ch) == "Cc":
            if ch.isspace():
                out.append(" ")
        elif not _invisible(ch):
            out.append(ch)
    return "".join(out)


def _strip_marks(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def _leet(text: str, numbers: bool = False) -> str:
    """The leetspeak view of cleaned text (same length: offsets carry over).

    Only chunks (between spaces) that hold a letter are read, unless ``numbers`` (the third view, for
    all-digit words such as ``8357`` in ``8357 c0ff33``).
    """
    out = list(text)
    for chunk in _CHUNK.finditer(text):
        word = chunk.group(0)
        if not numbers and not any(ch.isalpha() for ch in word):
            continue  # "40%", "24/7": numbers stay numbers
        for i, ch in enumerate(word):
            if ch in _TRAILING_OK and not any(c.isalnum() for c in word[i + 1 :]):
                continue  # "fr33!!": end punctuation; "r!$k": a letter
            out[chunk.start() + i] = _LEET.get(ch, ch)
    return "".join(out)


def _key_merge(text: str) -> str:
    """Letters the confusables data treats as one prototype: ``l``/``I``→``i`` and ``rn``→``m``."""
    return text.replace("l", "i").replace("rn", "m")


@dataclass(frozen=True)
class ForbiddenMatch:
    """One forbidden item found in a piece of text."""

    kind: str  # "term", "competitor" or "pattern"
    rule: str  # the term or pattern as written in the spec
    found: str  # the text that matched, as it reads after cleaning

    def __str__(self) -> str:
        return f"{self.kind} {self.rule!r} (matched {self.found!r})"


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    key: str


class _Reader:
    """Per-matcher Unicode machinery: ICU's spoof checker and a table of character keys (filled lazily)."""

    def __init__(self) -> None:
        self._spoof: Any = None
        self._keys: dict[str, str] = {}
        self._pre: dict[str, str] = {}
        self._prototypes: dict[str, str] | None = None

    def before_nfkc(self, ch: str) -> str:
        """``ch``, or its Latin skeleton when NFKC would change this non-ASCII character or it is a symbol or
        punctuation mark that looks like a Latin letter (``℮``, ``⍺``): word segmentation would cut a word there."""
        if ch.isascii() or ch.isspace():
            return ch
        known = self._pre.get(ch)
        if known is None:
            known = ch
            if unicodedata.normalize("NFKC", ch) != ch or unicodedata.category(ch)[0] in "SP":
                skeleton = self._skeleton(ch)
                if skeleton.isascii() and skeleton.isalpha():
                    known = skeleton
            self._pre[ch] = known
        return known

    def _small_capitals(self) -> dict[str, str]:
        """Skeleton prototype → letter, for the Latin small capitals (``ᴋ`` has the prototype ``ĸ``, ``ᴍ`` ``ʍ``):
        Unicode lists other scripts' look-alikes (Cyrillic ``к``, ``м``) against these prototypes."""
        if self._prototypes is None:
            table: dict[str, str] = {}
            for block in ((0x0250, 0x02B0), (0x1D00, 0x1D80), (0xA720, 0xA800), (0x1DF00, 0x1E000)):
                for code in range(*block):
                    match = _SMALL_CAPITAL.match(unicodedata.name(chr(code), ""))
                    if match:
                        letter = match.group(1).lower()
                        table[chr(code)] = letter
                        prototype = self._skeleton(chr(code))
                        if len(prototype) == 1 and not prototype.isascii():
                            table.setdefault(prototype, letter)
            self._prototypes = table
        return self._prototypes

    def _skeleton(self, text: str) -> str:
        if self._spoof is None:
            import icu

            self._spoof = icu.SpoofChecker()
        return str(self._spoof.getSkeleton(0, text))

    def char(self, ch: str) -> str:
        """The letter(s) ``ch`` reads as: ASCII folded; others via the UTS #39 skeleton, folded, marks out."""
        known = self._keys.get(ch)
        if known is not None:
            return known
        if ch.isascii():
            value = ch.casefold()
        else:
            value = _strip_marks(self._skeleton(self._skeleton(ch).casefold()).casefold())
            prototypes = self._small_capitals()
            value = "".join(prototypes.get(c, c) for c in value)
            if ch.isupper() and value == "l":
                value = "i"  # capital I look-alikes (Ι, І, Ӏ) have the skeleton "l"
            elif value == "rn":
                value = "m"
        self._keys[ch] = value
        return value

    def mapped(self, text: str) -> str:
        """Cleaned text with every character read as the letters it looks like (for patterns and display)."""
        return "".join(self.char(ch) for ch in text)

    def key(self, text: str) -> str:
        """The match key of a word: its mapped letters and digits, ``l``→``i``, ``rn``→``m``."""
        return _key_merge("".join(c for c in self.mapped(text) if c.isalnum()))

    def words(self, text: str) -> list[_Word]:
        """UAX #29 words of ``text`` (segments with a letter or digit), split at camel-case humps."""
        import icu

        breaker = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
        breaker.setText(text)
        out: list[_Word] = []
        start = 0
        for end in breaker:
            segment = text[start:end]
            if any(ch.isalnum() for ch in segment):
                for s, e in _humps(segment):
                    key = self.key(segment[s:e])
                    if key:
                        out.append(_Word(start + s, start + e, key))
            start = end
        return out

    @staticmethod
    def boundaries(text: str) -> list[int]:
        """Offsets where no match may cross: UAX #29 sentence ends, clause punctuation, paragraph breaks.

        A single line break is not one (OCR and wrapped copy break lines mid-sentence).
        """
        import icu

        flat = re.sub(r"(?<!\n)\n(?!\n)", " ", text)
        breaker = icu.BreakIterator.createSentenceInstance(icu.Locale.getRoot())
        breaker.setText(flat)
        cuts = [int(end) for end in breaker]
        cuts += [m.start() + 1 for m in _CLAUSE.finditer(text)]
        return sorted(cuts)


def _humps(segment: str) -> list[tuple[int, int]]:
    """Spans of ``segment`` split where a lower-case letter is followed by an upper-case one."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(segment)):
        if segment[i].isupper() and segment[i - 1].islower():
            spans.append((start, i))
            start = i
    spans.append((start, len(segment)))
    return spans


def _find_key(words: Sequence[_Word], cuts: Sequence[int], key: str) -> list[tuple[int, int]]:
    """Spans of consecutive words, not crossing a cut, whose keys concatenate to ``key``."""
    found: list[tuple[int, int]] = []
    for i, first in enumerate(words):
        if not key.startswith(first.key):
            continue
        acc = first.key
        j = i
        while len(acc) < len(key) and j + 1 < len(words):
            nxt = words[j + 1]
            if words[j].end < nxt.start and any(words[j].end <= cut <= nxt.start for cut in cuts):
                break  # a cut between two segments (not between the humps of one: "Med!C0rp")
            acc += nxt.key
            j += 1
            if not key.startswith(acc):
                break
        if acc == key:
            found.append((first.start, words[j].end))
    return found


def _plain_lowercase(span: str) -> bool:
    """Only lower-case ASCII letters, spaces, hyphens and apostrophes: how an ordinary word is written."""
    return any(ch.isalpha() for ch in span) and all("a" <= ch <= "z" or ch in " -'’" for ch in span)


def _written_as_is(span: str, raw: str) -> bool:
    """``span`` stands in the caller's raw text as a whole word, letter for letter (no disguise undone)."""
    return re.search(rf"(?<![^\W_]){re.escape(span)}(?![^\W_])", raw) is not None


def normalize(text: str) -> str:
    """``text`` cleaned and with look-alike letters read as the letters they imitate (case folded)."""
    reader = _Reader()
    return reader.mapped(clean(text, reader))


def tokens(text: str) -> list[str]:
    """Whole-word match keys of ``text`` (UAX #29 words, camel-case humps split)."""
    reader = _Reader()
    return [w.key for w in reader.words(clean(text, reader))]


class ForbiddenMatcher:
    """Matches terms, competitor names and regex patterns against text, robust to evasion.

    Holds its own lazily built Unicode tables; build one per spec and reuse it (``find`` is safe to call
    from several threads: the tables only grow, and each call makes its own break iterators).
    """

    def __init__(
        self,
        terms: Iterable[str] = (),
        competitors: Iterable[str] = (),
        patterns: Iterable[str] = (),
    ) -> None:
        self._reader = _Reader()
        self._items: list[tuple[str, str, str]] = []
        for kind, source in (("term", terms), ("competitor", competitors)):
            for term in source:
                key = "".join(w.key for w in self._reader.words(clean(term, self._reader)))
                if key:
                    self._items.append((kind, term, key))
        self._patterns = [(p, re.compile(p, re.IGNORECASE)) for p in patterns]

    def find(self, text: str) -> list[ForbiddenMatch]:
        """Every forbidden item in ``text`` (empty list when clean)."""
        if not text or not text.strip():
            return []
        cleaned = clean(text, self._reader)
        leet = _leet(cleaned)
        cuts = self._reader.boundaries(cleaned)
        views = [(cleaned, self._reader.words(cleaned))]
        for view in dict.fromkeys((leet, _leet(cleaned, numbers=True))):
            if view != cleaned:
                views.append((view, self._reader.words(view)))
        found: list[ForbiddenMatch] = []
        for kind, rule, key in self._items:
            hit = self._first_hit(kind, key, text, cleaned, views, cuts)
            if hit is not None:
                found.append(ForbiddenMatch(kind, rule, hit))
        mapped = self._reader.mapped(cleaned)
        texts = (text, cleaned, mapped, self._reader.mapped(leet))
        for raw, pattern in self._patterns:
            match = next((m for m in (pattern.search(t) for t in texts) if m), None)
            if match is not None:
                found.append(ForbiddenMatch("pattern", raw, match.group(0)))
        return found

    @staticmethod
    def _first_hit(
        kind: str,
        key: str,
        raw: str,
        cleaned: str,
        views: Sequence[tuple[str, list[_Word]]],
        cuts: Sequence[int],
    ) -> str | None:
        for _view, words in views:
            for start, end in _find_key(words, cuts, key):
                span = cleaned[start:end]
                if kind == "competitor" and _plain_lowercase(span) and _written_as_is(span, raw):
                    continue  # "open the windows", "breathe calmly": the ordinary word, not the name
                return span
        return None
