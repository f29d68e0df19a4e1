"""Copy that should not be there: words of a required string the OCR read again outside the window where that
string was found — the pieces of an old layout left beside the new copy, or a model drawing a line twice —, and
(:func:`old_copy_read`) the copy an edit replaced or removed, still on the edited image.

The text check (``brandkit/checks/text.py``) fails on them: the exact copy is found, and yet the image shows
part of it again (a half headline at the edge, a second disclaimer), which no brand ships. Only strings that were
found count (an unfound string's garbled rendering is already its own failure), only runs of at least
:data:`MIN_WORDS` consecutive words with :data:`MIN_LETTERS` letters between them (two short words such as "of
the" on a sign in a photograph are no repeat), and words are compared as the OCR misreads them: equal in the loose
form, equal without accents, or one letter apart in words of :data:`FUZZY_MIN_LETTERS` letters or more.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from brandkit.checks.copy_match import line_tokens
from brandkit.checks.copy_text import edit_distance, normalize_tokens
from brandkit.ocr import OcrLine

__all__ = [
    "FUZZY_MIN_LETTERS",
    "MIN_LETTERS",
    "MIN_WORDS",
    "OldCopy",
    "RepeatedCopy",
    "old_copy_read",
    "repeated_copy",
]

MIN_WORDS = 2
"""The fewest consecutive words of a required string that make a repeat."""
MIN_LETTERS = 8
"""The fewest letters (and digits) those words hold together."""
FUZZY_MIN_LETTERS = 5
"""Words this long match with one letter wrong, missing or extra (an OCR slip)."""


@dataclass(frozen=True)
class RepeatedCopy:
    """A run of words on one OCR line that repeats part of a found string: its text, the line's box, the role."""

    text: str
    box: tuple[int, int, int, int]
    role: str


def repeated_copy(
    lines: Sequence[OcrLine],
    consumed: Collection[tuple[int, int]],
    ignored: Collection[str],
    found: Mapping[str, str],
) -> list[RepeatedCopy]:
    """The repeats of the ``found`` strings (role → text) among the words of ``lines`` that no string's window
    ``consumed`` (``(line, position)`` keys) and that are not ``ignored`` (loose forms: the brand name's words,
    allowed text): per line, each unconsumed run's longest repeat, if any."""
    expected = {role: [tok.norm for tok in line_tokens(0, text)] for role, text in found.items()}
    out: list[RepeatedCopy] = []
    for index, line in enumerate(lines):
        run: list[tuple[str, str]] = []  # (loose form, as read)
        for tok in [*line_tokens(index, line.text), None]:
            if tok is not None and (tok.line, tok.pos) not in consumed and tok.norm not in ignored:
                run.append((tok.norm, tok.raw))
                continue
            repeat = _longest_repeat(run, expected)
            if repeat is not None:
                role, words = repeat
                x0, y0, x1, y1 = (int(v) for v in line.box)
                out.append(RepeatedCopy(" ".join(words), (x0, y0, x1, y1), role))
            run = []
    return out


def _longest_repeat(run: Sequence[tuple[str, str]], expected: Mapping[str, list[str]]) -> tuple[str, list[str]] | None:
    """The longest stretch of ``run`` that is a stretch of one expected string (role, the words as read)."""
    best: tuple[str, list[str]] | None = None
    for role, words in expected.items():
        for i in range(len(run)):
            for j in range(len(words)):
                k = 0
                while i + k < len(run) and j + k < len(words) and _same_word(run[i + k][0], words[j + k]):
                    k += 1
                stretch = run[i : i + k]
                letters = sum(sum(ch.isalnum() for ch in norm) for norm, _ in stretch)
                if k >= MIN_WORDS and letters >= MIN_LETTERS and (best is None or k > len(best[1])):
                    best = (role, [raw for _, raw in stretch])
    return best


def _same_word(read: str, word: str) -> bool:
    if read == word:
        return True
    bare_read, bare_word = _unaccented(read), _unaccented(word)
    if bare_read == bare_word:
        return True
    return min(len(bare_read), len(bare_word)) >= FUZZY_MIN_LETTERS and edit_distance(bare_read, bare_word) <= 1


def _unaccented(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch))


@dataclass(frozen=True)
class OldCopy:
    """Copy an edit replaced or removed, still read on the edited image: its role, old text and what was read."""

    role: str
    old: str
    read: str


def old_copy_read(
    lines: Sequence[OcrLine],
    consumed: Collection[tuple[int, int]],
    ignored: Collection[str],
    replaced: Mapping[str, str],
    current: Collection[str],
) -> list[OldCopy]:
    """The ``replaced`` copy (role → old text) read among the words of ``lines`` that the current strings'
    windows did not consume, by the repeat rule of :func:`repeated_copy` (two words, eight letters, OCR slips);
    an old text that is still ordered (``current``: moved to another field) is none."""
    ordered = {" ".join(normalize_tokens(text)) for text in current}
    stale = {role: old for role, old in replaced.items() if " ".join(normalize_tokens(old)) not in ordered}
    return [OldCopy(r.role, stale[r.role], r.text) for r in repeated_copy(lines, consumed, ignored, stale)]
