"""Text check: is the exact copy on the image, and nothing forbidden?

The image is read once with OCR (shared with the contrast check through
``ctx.memo``). Every required string of the expected copy (headline, subhead,
CTA, disclaimers, plus the spec's required disclaimers) is looked up in the
OCR text:

* **Normalization** (both sides): NFKC, invisible characters removed, curly
  quotes made straight, case folded, split on whitespace, punctuation
  stripped from the edges of each token (``"Friday!"`` → ``friday``), empty
  tokens dropped. In scripts written without spaces (Han, kana) every
  character is a token (:func:`brandkit.linebreak.split_unspaced`), so a
  CJK line break, where no space is drawn, matches exactly; their
  punctuation (、。「」) is dropped. Comparison is on the tokens joined by
  single spaces, with no space next to a CJK token (:func:`join_tokens`).
* **Best window**: the expected token sequence is first searched exactly in
  the OCR tokens (in reading order and in the engine's own order, because
  OCR engines sometimes reorder boxes; line breaks are ignored, so a headline
  wrapped over two lines still matches). If it is not there, an approximate
  substring alignment (Sellers' edit-distance DP, vectorised) finds the
  closest stretch of OCR text, which is snapped to whole tokens and then
  widened/narrowed by a token at either end to the lowest edit distance.
* **Metrics per string**: ``exact`` (normalized token sequences equal),
  ``ned`` (Levenshtein distance / longer length of the window and the
  expected text, 0 = identical), ``rendered`` (the OCR text of that window
  as read), ``spacing_only`` (the window equals the expected text once all
  spaces are removed: OCR engines do not see word gaps reliably).
* **Pass rule**: a string is found when it is ``exact`` or ``spacing_only``;
  strings of **20 or more characters** (normalized; long lines such as
  disclaimers, where OCR slips on one character are common) also pass at
  ``ned <= 0.05``. Shorter strings (headlines, CTAs) must match exactly.
  Score = share of strings matched exactly.

Forbidden terms, competitor names and patterns are searched in the whole OCR
text with :class:`~brandkit.spec.forbidden.ForbiddenMatcher`; any hit fails
the check. OCR text that belongs to no expected string is reported as
``unexpected_text`` (words of the brand name, e.g. a wordmark, and any
``allowed_text`` are ignored); it fails the check only when the check is
built with ``flag_unexpected=True``.

Scripts: a required string with a letter of a script the engine does not
read reliably (``readable_scripts``, default
:data:`brandkit.ocr.RAPIDOCR_READABLE_SCRIPTS`: Latin, Han, kana — measured,
see ``docs/checks.md``), mixed strings included, is not compared: it is
reported with ``status: not_checked`` and the reason. The check then fails on
the readable strings and forbidden terms as usual, and is otherwise
``not_checked`` — never ``failed`` for correct copy the engine cannot read.

Status: OCR unavailable or failing → ``not_checked``. No copy expected →
``skipped``, unless the spec forbids terms (or ``flag_unexpected`` is set):
then the scan runs anyway and passes/fails on it, with
``copy_expected: false`` in the details.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brandkit.checks.base import CheckContext, result
from brandkit.checks.ocr_reading import ocr_for_context
from brandkit.linebreak import is_unspaced, split_unspaced
from brandkit.models import CheckResult, CheckStatus
from brandkit.ocr import RAPIDOCR_READABLE_SCRIPTS, OcrLine, reading_order, unreadable_scripts
from brandkit.spec.forbidden import ForbiddenMatcher

__all__ = [
    "LONG_STRING_CHARS",
    "LONG_STRING_MAX_NED",
    "StringMatch",
    "TextCheck",
    "copy_matches_for_context",
    "edit_distance",
    "match_copy",
    "match_string",
    "normalize_tokens",
    "required_copy",
]

LONG_STRING_CHARS = 20
"""Strings at least this long (normalized) may pass on NED instead of an exact match."""

LONG_STRING_MAX_NED = 0.05
"""Largest normalized edit distance that still passes for long strings."""

LOCATED_MAX_NED = 0.5
"""A best window closer than this is where the string was rendered (used by contrast, unexpected text)."""

_INVISIBLE = dict.fromkeys([0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF])
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "′": "'"})


def _strip_edges(token: str) -> str:
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(token[end - 1]).startswith("P"):
        end -= 1
    return token[start:end]


def _normalize_token(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).translate(_INVISIBLE).translate(_QUOTES).casefold()
    return _strip_edges(text)


def _pieces(text: str) -> list[str]:
    """Whitespace-separated words, each character of a CJK (unspaced) script standing alone."""
    return [piece for word in text.split() for piece in split_unspaced(word)]


def normalize_tokens(text: str) -> list[str]:
    """Normalized word tokens of ``text`` (NFKC, casefold, edge punctuation stripped, empties dropped).

    In scripts written without spaces (Han, kana) every character is a token, so a line break or a space the
    OCR engine sees (or misses) between two of them changes nothing; their punctuation (、。「」) is dropped
    like the edge punctuation of a Latin word.
    """
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    out: list[str] = []
    for raw in _pieces(text):
        token = _normalize_token(raw)
        if token:
            out.append(token)
    return out


def _sep(previous: str, token: str) -> str:
    return "" if is_unspaced(previous[-1]) or is_unspaced(token[0]) else " "


def join_tokens(tokens: Sequence[str]) -> str:
    """Tokens joined by single spaces, but with no space next to a CJK (unspaced) token."""
    out: list[str] = []
    for i, token in enumerate(tokens):
        if i:
            out.append(_sep(tokens[i - 1], token))
        out.append(token)
    return "".join(out)


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


def _ned(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    return edit_distance(a, b) / longest if longest else 0.0


@dataclass(frozen=True)
class _Token:
    norm: str
    raw: str
    line: int
    pos: int  # position among the non-empty tokens of its line


def _line_tokens(index: int, text: str) -> list[_Token]:
    out: list[_Token] = []
    for raw in _pieces(unicodedata.normalize("NFKC", text).translate(_INVISIBLE)):
        norm = _normalize_token(raw)
        if norm:
            out.append(_Token(norm, raw, index, len(out)))
    return out


def _tokens_of(lines: Sequence[OcrLine], order: Sequence[int]) -> list[_Token]:
    return [tok for index in order for tok in _line_tokens(index, lines[index].text)]


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


@dataclass
class StringMatch:
    """Where one required string was found in the OCR text, and how well it matched."""

    role: str
    expected: str
    normalized: str
    exact: bool = False
    spacing_only: bool = False
    ned: float = 1.0
    rendered: str | None = None
    lines: list[int] = field(default_factory=list)
    token_keys: list[tuple[int, int]] = field(default_factory=list)

    @property
    def long(self) -> bool:
        """True when the NED rule applies (≥ :data:`LONG_STRING_CHARS` characters)."""
        return len(self.normalized) >= LONG_STRING_CHARS

    @property
    def found(self) -> bool:
        """Pass rule: exact, spacing-only, or a long string within :data:`LONG_STRING_MAX_NED`."""
        return self.exact or self.spacing_only or (self.long and self.ned <= LONG_STRING_MAX_NED)

    @property
    def located(self) -> bool:
        """True when the best window is close enough to be this string's rendering."""
        return self.rendered is not None and self.ned <= LOCATED_MAX_NED

    def as_details(self) -> dict[str, Any]:
        """JSON-friendly summary for the check details."""
        return {
            "expected": self.expected,
            "found": self.found,
            "exact": self.exact,
            "spacing_only": self.spacing_only,
            "ned": round(self.ned, 4),
            "rendered": self.rendered,
            "rule": f"exact or ned<={LONG_STRING_MAX_NED}" if self.long else "exact",
        }


def _match_in(tokens: Sequence[_Token], expected: list[str]) -> tuple[float, bool, int, int]:
    """(ned, exact, start, stop) of the best window of ``tokens`` for ``expected``."""
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
        pos += len(_sep(norms[i - 1], norm)) if i else 0
        starts.append(pos)
        pos += len(norm)
    _, c0, c1 = _best_substring(target, text)
    first = max(0, int(np.searchsorted(starts, c0, side="right")) - 1)
    last = max(first, int(np.searchsorted(starts, max(c0, c1 - 1), side="right")) - 1)
    best = (_ned(join_tokens(norms[first : last + 1]), target), first, last + 1)
    for d0 in (-1, 0, 1):
        for d1 in (-1, 0, 1):
            a, b = first + d0, last + 1 + d1
            if 0 <= a < b <= len(norms):
                score = _ned(join_tokens(norms[a:b]), target)
                if score < best[0]:
                    best = (score, a, b)
    return best[0], False, best[1], best[2]


def match_string(
    role: str, expected: str, lines: Sequence[OcrLine], exclude: frozenset[tuple[int, int]] = frozenset()
) -> StringMatch:
    """Find ``expected`` in the OCR ``lines`` (see the module docstring for the method).

    ``exclude`` holds ``(line, position)`` keys of tokens already claimed by another string.
    """
    exp_tokens = normalize_tokens(expected)
    match = StringMatch(role=role, expected=expected, normalized=join_tokens(exp_tokens))
    if not exp_tokens:
        match.exact = True
        match.ned = 0.0
        match.rendered = ""
        return match
    engine_order = list(range(len(lines)))
    index_of = {id(line): i for i, line in enumerate(lines)}
    sorted_order = [index_of[id(line)] for line in reading_order(list(lines))]
    orders = [engine_order] if sorted_order == engine_order else [engine_order, sorted_order]
    best: tuple[float, bool, list[_Token]] | None = None
    for order in orders:
        tokens = [tok for tok in _tokens_of(lines, order) if (tok.line, tok.pos) not in exclude]
        ned, exact, start, stop = _match_in(tokens, exp_tokens)
        window = tokens[start:stop]
        if best is None or (exact and not best[1]) or (ned < best[0] and not best[1]):
            best = (ned, exact, window)
        if exact:
            break
    assert best is not None
    ned, exact, window = best
    if not window:
        return match
    match.exact = exact
    match.ned = ned
    match.rendered = join_tokens([tok.raw for tok in window])
    joined = "".join(tok.norm for tok in window)
    match.spacing_only = not exact and joined == "".join(exp_tokens)
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
    for i, line in enumerate(ctx.spec.required.disclaimers):
        norm = " ".join(normalize_tokens(line))
        if norm and norm not in present:
            strings[f"required[{i}]"] = line
            present.add(norm)
    return {role: s for role, s in strings.items() if normalize_tokens(s)}


def match_copy(strings: dict[str, str], lines: Sequence[OcrLine]) -> dict[str, StringMatch]:
    """Match every required string; each rendered word belongs to at most one string.

    Strings found exactly claim their words first; the others are then matched
    against the remaining words, best first, so that a near miss does not borrow
    a word from the neighbouring line of another string (e.g. the CTA below it).
    """
    first = {role: match_string(role, text, lines) for role, text in strings.items()}
    claimed: set[tuple[int, int]] = set()
    for match in first.values():
        if match.exact:
            claimed.update(match.token_keys)
    out: dict[str, StringMatch] = {}
    pending = sorted((m for m in first.values() if not m.exact), key=lambda m: m.ned)
    for match in pending:
        again = match_string(match.role, match.expected, lines, frozenset(claimed)) if claimed else match
        if again.located:
            claimed.update(again.token_keys)
        out[match.role] = again
    return {role: out.get(role, first[role]) for role in strings}


def copy_matches_for_context(ctx: CheckContext, lines: Sequence[OcrLine]) -> dict[str, StringMatch]:
    """Matches of every required string against ``lines`` (OCR of ``ctx.image``), computed once per image."""

    def compute() -> dict[str, StringMatch]:
        return match_copy(required_copy(ctx), lines)

    matches: dict[str, StringMatch] = ctx.memo("text:matches", compute)
    return matches


def _script_names(scripts: Sequence[str]) -> str:
    from fontTools.unicodedata import script_name

    return ", ".join(f"{script_name(code).replace('_', ' ')} ({code})" for code in scripts)


def _role_label(role: str) -> str:
    if role.startswith("disclaimer["):
        return "the disclaimer"
    if role.startswith("required["):
        return "the required disclaimer"
    return {"cta": "the call to action"}.get(role, f"the {role}")


def _string_hint(match: StringMatch) -> str:
    label = _role_label(match.role)
    if match.located:
        return f"{label} must read exactly '{match.expected}'; the last attempt rendered '{match.rendered}'"
    return f"{label} must read exactly '{match.expected}'; it was not found on the last attempt"


class TextCheck:
    """OCR the image; verify every required string and scan for forbidden terms.

    ``flag_unexpected``: fail when the image shows text that belongs to no
    expected string (default: only reported). ``allowed_text``: extra words
    that are never unexpected (the brand name's words always are allowed).
    """

    name = "text"

    def __init__(
        self,
        *,
        flag_unexpected: bool = False,
        allowed_text: Sequence[str] = (),
        readable_scripts: frozenset[str] = RAPIDOCR_READABLE_SCRIPTS,
    ) -> None:
        self.flag_unexpected = flag_unexpected
        self.allowed_text = list(allowed_text)
        self.readable_scripts = readable_scripts

    def _unexpected(
        self, ctx: CheckContext, lines: Sequence[OcrLine], consumed: set[tuple[int, int]]
    ) -> list[dict[str, Any]]:
        allowed = set(normalize_tokens(ctx.spec.name))
        for text in self.allowed_text:
            allowed.update(normalize_tokens(text))
        out: list[dict[str, Any]] = []
        for index, line in enumerate(lines):
            words = [
                tok.raw
                for tok in _line_tokens(index, line.text)
                if (tok.line, tok.pos) not in consumed and tok.norm not in allowed
            ]
            if words:
                out.append({"text": join_tokens(words), "box": list(line.box), "confidence": round(line.confidence, 3)})
        return out

    def run(self, ctx: CheckContext) -> CheckResult:
        """OCR ``ctx.image`` and compare it with the expected copy (see the module docstring)."""
        strings = required_copy(ctx)
        forbidden = ctx.spec.forbidden
        has_forbidden = bool(forbidden.terms or forbidden.competitors or forbidden.patterns)
        if not strings and not has_forbidden and not self.flag_unexpected:
            return result(
                self.name,
                CheckStatus.skipped,
                details={"reason": "no copy expected", "copy_expected": False},
            )
        reading = ocr_for_context(ctx)
        if reading.lines is None:
            return result(
                self.name,
                CheckStatus.not_checked,
                details={
                    "reason": "OCR unavailable: the rendered text could not be read",
                    "engine": reading.engine,
                    "error": reading.error,
                    "copy_expected": bool(strings),
                },
            )
        lines = reading.lines
        matches = copy_matches_for_context(ctx, lines)
        matcher = ForbiddenMatcher(forbidden.terms, forbidden.competitors, forbidden.patterns)
        hits = matcher.find(reading.full_text)
        consumed: set[tuple[int, int]] = set()
        for match in matches.values():
            if match.located:
                consumed.update(match.token_keys)
        unexpected = self._unexpected(ctx, lines, consumed)

        unreadable = {
            role: scripts
            for role, text in strings.items()
            if (scripts := unreadable_scripts(text, self.readable_scripts))
        }
        per_string = {role: m.as_details() for role, m in matches.items()}
        for role, scripts in unreadable.items():
            per_string[role].update(
                status="not_checked",
                found=None,
                reason=f"the OCR engine does not read {_script_names(scripts)} reliably; this string was not checked",
            )
        details: dict[str, Any] = {
            "engine": reading.engine,
            "ocr_ms": reading.elapsed_ms,
            "copy_expected": bool(strings),
            "strings": per_string,
            "forbidden": [{"kind": h.kind, "rule": h.rule, "found": h.found} for h in hits],
            "unexpected_text": unexpected,
            "flag_unexpected": self.flag_unexpected,
            "ocr_lines": [
                {"text": ln.text, "box": list(ln.box), "confidence": round(ln.confidence, 3)} for ln in lines
            ],
        }
        if not strings:
            details["note"] = "no copy expected; scanned the rendered text for forbidden terms only"

        problems: list[str] = []
        for role, match in matches.items():
            if not match.found and role not in unreadable:
                problems.append(_string_hint(match))
        for hit in hits:
            problems.append(f"remove the forbidden {hit.kind} '{hit.rule}' from the image (OCR read '{hit.found}')")
        if unexpected and self.flag_unexpected and not unreadable:
            extra = "; ".join(f"'{item['text']}'" for item in unexpected[:5])
            problems.append(f"render no text besides the required copy; the last attempt also showed {extra}")

        checked = [m for role, m in matches.items() if role not in unreadable]
        score = (sum(1 for m in checked if m.exact) / len(checked)) if checked else None
        if problems:
            hint = "; ".join(problems)
            return result(self.name, CheckStatus.failed, score=score, details=details, hint=hint)
        if unreadable:
            details["reason"] = (
                "not every string could be checked: "
                + "; ".join(f"{_role_label(r)} is in {_script_names(sc)}" for r, sc in unreadable.items())
                + f", which {reading.engine} does not read reliably (the other strings matched)"
            )
            return result(self.name, CheckStatus.not_checked, score=score, details=details)
        return result(self.name, CheckStatus.passed, score=score, details=details)
