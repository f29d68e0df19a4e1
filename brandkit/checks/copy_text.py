"""Text normalization and distances for the copy checks (see :mod:`brandkit.checks.copy_match`).

Two forms: :func:`normalize_tokens` (loose: case folded, edge punctuation stripped — used only to *locate* a
string among the OCR words) and :func:`strict_form` (only whitespace, line breaks and CJK punctuation normalized —
used to *judge* it: case, accents and punctuation count). Also :func:`edit_distance` and :func:`difference`,
which names the kind of difference between two strict forms.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import numpy as np

from brandkit.linebreak import is_unspaced, split_unspaced

__all__ = [
    "INVISIBLE",
    "OCR_ALIKE",
    "alike_form",
    "clean",
    "difference",
    "edit_distance",
    "join_tokens",
    "ned",
    "normalize_token",
    "normalize_tokens",
    "part_of_copy",
    "pieces",
    "sep",
    "strict_form",
]

INVISIBLE = dict.fromkeys([0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF])
"""Invisible characters removed before any comparison (soft hyphen, zero-width spaces and joiners, BOM)."""
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "′": "'"})


def _strip_edges(token: str) -> str:
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(token[end - 1]).startswith("P"):
        end -= 1
    return token[start:end]


def clean(text: str) -> str:
    """NFKC, invisible characters removed, curly quotes straightened (case and accents kept)."""
    return unicodedata.normalize("NFKC", text).translate(INVISIBLE).translate(_QUOTES)


def normalize_token(raw: str) -> str:
    """One token in the loose form (cleaned, case folded, edge punctuation stripped)."""
    return _strip_edges(clean(raw).casefold())


def pieces(text: str) -> list[str]:
    """Whitespace-separated words, each character of a CJK (unspaced) script standing alone."""
    return [piece for word in text.split() for piece in split_unspaced(word)]


def normalize_tokens(text: str) -> list[str]:
    """Loose word tokens of ``text`` used to *locate* copy (NFKC, casefold, edge punctuation stripped).

    In scripts written without spaces (Han, kana) every character is a token, so a line break or a space the
    OCR engine sees (or misses) between two of them changes nothing; their punctuation (、。「」) is dropped
    like the edge punctuation of a Latin word.
    """
    out: list[str] = []
    for raw in pieces(unicodedata.normalize("NFKC", text).translate(INVISIBLE)):
        token = normalize_token(raw)
        if token:
            out.append(token)
    return out


def sep(previous: str, token: str) -> str:
    """The separator between two tokens: none next to a CJK (unspaced) character, else one space."""
    return "" if is_unspaced(previous[-1]) or is_unspaced(token[0]) else " "


def join_tokens(tokens: Sequence[str]) -> str:
    """Tokens joined by single spaces, but with no space next to a CJK (unspaced) token."""
    out: list[str] = []
    for i, token in enumerate(tokens):
        if i:
            out.append(sep(tokens[i - 1], token))
        out.append(token)
    return "".join(out)


def _without_cjk_punctuation(pieces: list[str]) -> list[str]:
    """``pieces`` minus punctuation-only pieces that are CJK or stand next to a CJK character (、。，「」)."""

    def punct(piece: str) -> bool:
        return all(unicodedata.category(ch).startswith("P") for ch in piece)

    out: list[str] = []
    for i, piece in enumerate(pieces):
        before = pieces[i - 1][-1] if i else " "
        after = pieces[i + 1][0] if i + 1 < len(pieces) else " "
        if punct(piece) and (is_unspaced(piece[0]) or is_unspaced(before) or is_unspaced(after)):
            continue
        out.append(piece)
    return out


def strict_form(text: str, case: str = "exact") -> str:
    """The form copy is *judged* in: only whitespace (and CJK punctuation) normalized away.

    NFKC, invisible characters removed, curly quotes straightened, whitespace runs and line breaks collapsed to
    one space (none next to a CJK character). Case, accents and punctuation are kept; ``case="ignore"`` folds
    case.
    """
    joined = join_tokens(_without_cjk_punctuation(pieces(clean(text))))
    return joined.casefold() if case == "ignore" else joined


OCR_ALIKE = str.maketrans({"l": "I"})
"""Capital I and lowercase l: one shape in most sans-serif type (a vertical stroke), and the OCR reads one for the
other — 'AI' read 'Al' in 17 of 24 local ads of the shipped brands whose headline held it, no other letter pair
confused in 84 (``docs/checks.md``). The copy checks take them as one letter (:func:`alike_form`)."""


def alike_form(strict: str) -> str:
    """A strict form with I and l made one letter (:data:`OCR_ALIKE`) and spaces removed: two renderings with the
    same alike form differ only where the OCR cannot see a difference."""
    return strict.replace(" ", "").translate(OCR_ALIKE)


def part_of_copy(strings: Sequence[str], case: str = "exact") -> Callable[[str], bool]:
    """A test of one OCR line: is its strict form a whole-word part of one of ``strings``' strict forms?

    What the fast OCR read (:mod:`brandkit.checks.ocr_reading`) keeps without reading the line again: the line
    can only be a piece of the expected copy, cut at word boundaries (a line break of the layout), exactly as it
    will be judged (:func:`strict_form` with I and l one letter, :data:`OCR_ALIKE`; case folded only when
    ``case="ignore"``). Anything else — another word, a slip, extra text, a spacing difference — is not confirmed.
    An empty line never is.
    """

    def form(text: str) -> str:
        alike = strict_form(text).translate(OCR_ALIKE)
        return alike.casefold() if case == "ignore" else alike

    forms = [f" {form(text)} " for text in strings]

    def confirm(line: str) -> bool:
        read = form(line)
        return bool(read) and any(f" {read} " in full for full in forms)

    return confirm


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between ``a`` and ``b`` (unit costs)."""
    if a == b:
        return 0
    if not a:
        return len(b)
    if not b:
        return len(a)
    if len(a) < len(b):
        a, b = b, a
    if len(b) > 24:
        return _edit_distance_np(a, b)
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _edit_distance_np(a: str, b: str) -> int:
    """Levenshtein distance, one vectorised row per character of ``a``."""
    av = np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32)
    bv = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    n = len(bv)
    offsets = np.arange(n + 1, dtype=np.int32)
    row = offsets.copy()
    for i in range(1, len(av) + 1):
        cand = np.empty(n + 1, dtype=np.int32)
        cand[0] = i
        cand[1:] = np.minimum(row[1:] + 1, row[:-1] + (bv != av[i - 1]))
        row = np.minimum.accumulate(cand - offsets) + offsets
    return int(row[-1])


def ned(a: str, b: str) -> float:
    """Normalized edit distance: Levenshtein distance / the longer length (0 = identical)."""
    longest = max(len(a), len(b))
    return edit_distance(a, b) / longest if longest else 0.0


def difference(expected: str, rendered: str) -> str:
    """What kind of difference separates two strict forms (for reports and hints)."""
    if expected == rendered:
        return "none"
    expected, rendered = expected.replace(" ", ""), rendered.replace(" ", "")
    if expected == rendered:
        return "spacing"
    if expected.casefold() == rendered.casefold():
        return "letter case"

    def bare(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))

    if bare(expected) == bare(rendered):
        return "accents"

    def letters(text: str) -> str:
        return "".join(c for c in text if not unicodedata.category(c).startswith("P"))

    if letters(expected) == letters(rendered):
        return "punctuation"
    return "letters or words"
