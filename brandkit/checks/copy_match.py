"""Where each required string of copy is on the image, and whether it reads exactly right.

Shared by the text check (is the copy right?) and the contrast check (where is the copy?) through
:func:`copy_matches_for_context` (computed once per image in ``ctx.memo``), so neither check imports the other.

Two normalizations (:mod:`brandkit.checks.copy_text`), for two jobs:

* **Locating** (loose, both sides): NFKC, invisible characters removed, curly quotes made straight, case
  folded, split on whitespace, punctuation stripped from the edges of each token, empty tokens dropped; in
  scripts written without spaces (Han, kana) every character is a token
  (:func:`brandkit.linebreak.split_unspaced`). The expected token sequence is searched exactly in the OCR tokens
  (engine order and reading order; line breaks ignored), else by approximate substring alignment (Sellers'
  edit-distance DP), snapped to whole tokens and widened/narrowed by a token at either end.
* **Judging** (strict, :func:`strict_form`): the located window is cut from the OCR lines as read (from its first
  word to its last, punctuation between them included) and compared with the ordered string after a
  normalization that cannot hide a wrong word: NFKC (ligatures, full-width forms), invisible characters removed,
  curly quotes straightened, whitespace and line breaks collapsed (no space next to a CJK character, CJK
  punctuation dropped). **Case, accents and punctuation count** ('Cafe' is not 'Café'), unless the spec's
  ``typography.copy_match.case`` is ``ignore``.

Pass rule per field (:class:`StringMatch.found`): headline, subhead and CTA pass only when **exact** (strict forms
equal) or **spacing-only** (equal once every space is removed: OCR engines do not see word gaps reliably).
Disclaimers (``disclaimer[i]``, ``required[i]``) of at least ``copy_match.disclaimer_min_chars`` characters also
pass within a bounded allowance for OCR slips: the same number of words, each differing word off by exactly one
character and containing no digit on either side, and at most ``floor(disclaimer_max_ned × length)`` differing
characters in all.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brandkit.checks.base import CheckContext
from brandkit.checks.copy_text import (
    INVISIBLE,
    OCR_ALIKE,
    alike_form,
    difference,
    edit_distance,
    join_tokens,
    ned,
    normalize_token,
    normalize_tokens,
    pieces,
    sep,
    strict_form,
)
from brandkit.ocr import OcrLine, reading_order
from brandkit.spec.models import CopyMatch

__all__ = [
    "LOCATED_MAX_NED",
    "StringMatch",
    "copy_matches_for_context",
    "edit_distance",
    "is_disclaimer_role",
    "join_tokens",
    "line_tokens",
    "match_copy",
    "match_string",
    "normalize_tokens",
    "required_copy",
    "strict_form",
]

LOCATED_MAX_NED = 0.5
"""A best window closer than this (loose forms) is where the string was rendered (used by contrast, unexpected
text)."""


@dataclass(frozen=True)
class _Token:
    norm: str
    raw: str
    line: int
    pos: int  # position among the non-empty tokens of its line
    start: int  # character span in the line's cleaned text
    end: int


def line_tokens(index: int, text: str) -> list[_Token]:
    """The located tokens of OCR line ``index`` (loose form, raw form, position and character span)."""
    cleaned = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    out: list[_Token] = []
    cursor = 0
    for raw in pieces(cleaned):
        start = cleaned.find(raw, cursor)
        start = cursor if start < 0 else start
        cursor = start + len(raw)
        norm = normalize_token(raw)
        if norm:
            out.append(_Token(norm, raw, index, len(out), start, cursor))
    return out


def _tokens_of(lines: Sequence[OcrLine], order: Sequence[int]) -> list[_Token]:
    return [tok for index in order for tok in line_tokens(index, lines[index].text)]


def _best_substring(pattern: str, text: str) -> tuple[int, int, int]:
    """Sellers' approximate substring match: (cost, start, end) of the best-matching ``text[start:end]``."""
    m, n = len(pattern), len(text)
    p = np.frombuffer(pattern.encode("utf-32-le"), dtype=np.uint32)
    t = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    rows = np.empty((m + 1, n + 1), dtype=np.int32)
    rows[0, :] = 0  # free start anywhere in the text
    offsets = np.arange(n + 1, dtype=np.int32)
    for i in range(1, m + 1):
        prev = rows[i - 1]
        cost = (t != p[i - 1]).astype(np.int32)
        a = np.empty(n + 1, dtype=np.int32)
        a[0] = i
        a[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        # insertion chain: row[j] = min_k<=j (a[k] + j - k)
        rows[i] = np.minimum.accumulate(a - offsets) + offsets
    end = int(np.argmin(rows[m]))
    best = int(rows[m, end])
    i, j = m, end
    while i > 0 and j > 0:
        here = rows[i, j]
        if here == rows[i - 1, j - 1] + (text[j - 1] != pattern[i - 1]):
            i, j = i - 1, j - 1
        elif here == rows[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return best, j, end


def is_disclaimer_role(role: str) -> bool:
    """True for the roles that may use the disclaimer allowance (``disclaimer[i]``, ``required[i]``)."""
    return role.startswith(("disclaimer[", "required["))


@dataclass
class StringMatch:
    """Where one required string was found in the OCR text, and how well it matched.

    ``exact``: strict forms equal (:func:`strict_form`); ``spacing_only``: equal once spaces are removed; ``alike``:
    equal once I and l are one letter too (:func:`~brandkit.checks.copy_text.alike_form`: the OCR confuses them);
    ``ned``: normalized edit distance of the strict forms; ``slips``: characters the disclaimer allowance
    forgave (``None`` when it was not used); ``difference``: what kind of difference there is.
    """

    role: str
    expected: str
    normalized: str
    rules: CopyMatch = field(default_factory=CopyMatch)
    exact: bool = False
    spacing_only: bool = False
    alike: bool = False
    ned: float = 1.0
    loose_ned: float = 1.0
    rendered: str | None = None
    difference: str = "not found"
    slips: int | None = None
    lines: list[int] = field(default_factory=list)
    token_keys: list[tuple[int, int]] = field(default_factory=list)

    @property
    def allowance(self) -> int:
        """Differing characters the disclaimer allowance forgives for this string (0 for other fields)."""
        strict = strict_form(self.expected, self.rules.case)
        if not is_disclaimer_role(self.role) or len(strict) < self.rules.disclaimer_min_chars:
            return 0
        return math.floor(self.rules.disclaimer_max_ned * len(strict) + 1e-9)

    @property
    def found(self) -> bool:
        """Pass rule: exact, spacing-only, alike (I read for l or l for I), or a long disclaimer within its allowance
        (module docstring)."""
        return self.exact or self.spacing_only or self.alike or self.slips is not None

    @property
    def located(self) -> bool:
        """True when the best window is close enough to be this string's rendering."""
        return self.rendered is not None and self.loose_ned <= LOCATED_MAX_NED

    @property
    def rule(self) -> str:
        """The pass rule that applies to this string, in words."""
        allowance = self.allowance
        if allowance:
            return f"exact, or up to {allowance} one-letter slips in words without digits (disclaimer allowance)"
        return "exact (whitespace, line breaks and I/l aside)" + (
            ", case ignored" if self.rules.case == "ignore" else ""
        )

    def as_details(self) -> dict[str, Any]:
        """JSON-friendly summary for the check details."""
        out: dict[str, Any] = {
            "expected": self.expected,
            "found": self.found,
            "exact": self.exact,
            "spacing_only": self.spacing_only,
            "alike": self.alike,
            "ned": round(self.ned, 4),
            "rendered": self.rendered,
            "difference": self.difference,
            "rule": self.rule,
        }
        if self.slips is not None:
            out["slips"] = self.slips
        return out


def _slips(expected: str, rendered: str, budget: int) -> int | None:
    """Characters forgiven by the disclaimer allowance, or ``None`` when it does not apply.

    Same word count; each differing word differs by exactly one character (a misread letter) and holds no
    digit on either side; at most ``budget`` such words.
    """
    if budget <= 0:
        return None
    want, got = expected.split(" "), rendered.split(" ")
    if len(want) != len(got):
        return None
    slips = 0
    for a, b in zip(want, got, strict=True):
        if a == b:
            continue
        if any(ch.isdigit() for ch in a + b) or edit_distance(a, b) != 1:
            return None
        slips += 1
    return slips if 0 < slips <= budget else None


def _match_in(tokens: Sequence[_Token], expected: list[str]) -> tuple[float, bool, int, int]:
    """(ned, exact, start, stop) of the best window of ``tokens`` for ``expected`` (loose forms)."""
    n = len(expected)
    norms = [t.norm for t in tokens]
    for i in range(len(norms) - n + 1):
        if norms[i : i + n] == expected:
            return 0.0, True, i, i + n
    if not norms:
        return 1.0, False, 0, 0
    target = join_tokens(expected)
    text = join_tokens(norms)
    starts: list[int] = []
    pos = 0
    for i, norm in enumerate(norms):
        pos += len(sep(norms[i - 1], norm)) if i else 0
        starts.append(pos)
        pos += len(norm)
    _, c0, c1 = _best_substring(target, text)
    first = max(0, int(np.searchsorted(starts, c0, side="right")) - 1)
    last = max(first, int(np.searchsorted(starts, max(c0, c1 - 1), side="right")) - 1)
    best = (ned(join_tokens(norms[first : last + 1]), target), first, last + 1)
    for d0 in (-1, 0, 1):
        for d1 in (-1, 0, 1):
            a, b = first + d0, last + 1 + d1
            if 0 <= a < b <= len(norms):
                score = ned(join_tokens(norms[a:b]), target)
                if score < best[0]:
                    best = (score, a, b)
    return best[0], False, best[1], best[2]


def _window_text(lines: Sequence[OcrLine], window: Sequence[_Token]) -> str:
    """The OCR text of ``window`` as read: per line, from its first word to its last (punctuation included)."""
    parts: list[str] = []
    i = 0
    while i < len(window):
        j = i
        while j + 1 < len(window) and window[j + 1].line == window[i].line and window[j + 1].pos > window[j].pos:
            j += 1
        cleaned = unicodedata.normalize("NFKC", lines[window[i].line].text).translate(INVISIBLE)
        parts.append(cleaned[window[i].start : window[j].end])
        i = j + 1
    return " ".join(parts)


def match_string(
    role: str,
    expected: str,
    lines: Sequence[OcrLine],
    exclude: frozenset[tuple[int, int]] = frozenset(),
    rules: CopyMatch | None = None,
) -> StringMatch:
    """Find ``expected`` in the OCR ``lines`` and judge it (see the module docstring for the method).

    ``exclude`` holds ``(line, position)`` keys of tokens already claimed by another string; ``rules`` is the
    spec's ``typography.copy_match`` (default settings when ``None``).
    """
    rules = rules or CopyMatch()
    exp_tokens = normalize_tokens(expected)
    match = StringMatch(role=role, expected=expected, normalized=join_tokens(exp_tokens), rules=rules)
    if not exp_tokens:
        match.exact, match.ned, match.loose_ned, match.rendered, match.difference = True, 0.0, 0.0, "", "none"
        return match
    engine_order = list(range(len(lines)))
    index_of = {id(line): i for i, line in enumerate(lines)}
    sorted_order = [index_of[id(line)] for line in reading_order(list(lines))]
    orders = [engine_order] if sorted_order == engine_order else [engine_order, sorted_order]
    best: tuple[float, bool, list[_Token]] | None = None
    for order in orders:
        tokens = [tok for tok in _tokens_of(lines, order) if (tok.line, tok.pos) not in exclude]
        distance, exact, start, stop = _match_in(tokens, exp_tokens)
        window = tokens[start:stop]
        if best is None or (exact and not best[1]) or (distance < best[0] and not best[1]):
            best = (distance, exact, window)
        if exact:
            break
    assert best is not None
    loose_ned, _, window = best
    if not window:
        return match
    read = _window_text(lines, window)
    as_written = strict_form(expected), strict_form(read)
    fold = rules.case == "ignore"
    want, got = (form.casefold() if fold else form for form in as_written)
    match.loose_ned = loose_ned
    match.rendered = join_tokens(pieces(read))
    match.exact = want == got
    match.spacing_only = not match.exact and want.replace(" ", "") == got.replace(" ", "")
    if not (match.exact or match.spacing_only):  # I and l made one letter before any case folding ("AI" / "al")
        alike = [alike_form(form) for form in as_written]
        match.alike = len({form.casefold() if fold else form for form in alike}) == 1
    match.ned = ned(want, got)
    match.difference = difference(want, got)
    if not (match.exact or match.spacing_only or match.alike):  # an I read for an l is no slip either
        match.slips = _slips(want.translate(OCR_ALIKE), got.translate(OCR_ALIKE), match.allowance)
    match.lines = sorted({tok.line for tok in window})
    match.token_keys = [(tok.line, tok.pos) for tok in window]
    return match


def required_copy(ctx: CheckContext) -> dict[str, str]:
    """Every string that must be on the image, by role.

    The expected copy block's strings, plus the spec's required disclaimers
    not already among them (they must be on every asset), as
    ``required[i]``.
    """
    block = ctx.expectation.copy_block
    strings = dict(block.required_strings()) if block is not None else {}
    present = {" ".join(normalize_tokens(s)) for s in strings.values()}
    for i, line in enumerate(_required_lines(ctx, present)):
        norm = " ".join(normalize_tokens(line))
        if norm and norm not in present:
            strings[f"required[{i}]"] = line
            present.add(norm)
    return {role: s for role, s in strings.items() if normalize_tokens(s)}


def _required_lines(ctx: CheckContext, present: set[str]) -> list[str]:
    """The spec's required legal lines for this image: those of a locale (``required.locales``) whose every
    line the expected copy carries (the compiler put that locale's lines there), else the default ones."""
    required = ctx.spec.required
    for lines in required.locales.values():
        if lines and all(" ".join(normalize_tokens(line)) in present for line in lines):
            return list(lines)
    return list(required.disclaimers)


def match_copy(
    strings: dict[str, str], lines: Sequence[OcrLine], rules: CopyMatch | None = None
) -> dict[str, StringMatch]:
    """Match every required string; each rendered word belongs to at most one string.

    Strings located exactly (loose forms) claim their words first; the others are then matched against the
    remaining words, best first, so that a near miss does not borrow a word from the neighbouring line of
    another string (e.g. the CTA below it).
    """
    first = {role: match_string(role, text, lines, rules=rules) for role, text in strings.items()}
    claimed: set[tuple[int, int]] = set()
    for match in first.values():
        if match.loose_ned == 0.0:
            claimed.update(match.token_keys)
    out: dict[str, StringMatch] = {}
    pending = sorted((m for m in first.values() if m.loose_ned != 0.0), key=lambda m: m.loose_ned)
    for match in pending:
        again = match_string(match.role, match.expected, lines, frozenset(claimed), rules=rules) if claimed else match
        if again.located:
            claimed.update(again.token_keys)
        out[match.role] = again
    return {role: out.get(role, first[role]) for role in strings}


def copy_matches_for_context(ctx: CheckContext, lines: Sequence[OcrLine]) -> dict[str, StringMatch]:
    """Matches of every required string against ``lines`` (an OCR reading of ``ctx.image``), computed once per
    image and reading: the fast OCR read's acceptance test and the checks that later judge the same lines share
    one computation; other lines (the reference models' reading) get their own."""
    computed: dict[tuple[OcrLine, ...], dict[str, StringMatch]] = ctx.memo("copy:matches", dict)
    key = tuple(lines)
    if key not in computed:
        computed[key] = match_copy(required_copy(ctx), lines, ctx.spec.typography.copy_match)
    return computed[key]
