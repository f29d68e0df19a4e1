"""Text check: is the exact copy on the image, and nothing forbidden?

The image is read once with OCR (shared with the contrast check through
``ctx.memo``): where the layout put copy plus a cheap sweep of the whole
image when the layout is known, else the whole image — ``details.ocr_mode``
says which (:mod:`brandkit.checks.ocr_reading`). Every required string of the expected copy (headline, subhead,
CTA, disclaimers, plus the spec's required disclaimers) is looked up in the
OCR text:

* **Locating and judging** (:mod:`brandkit.checks.copy_match`, shared with the
  contrast check): each string is located in the OCR words with a loose
  normalization (case folded, edge punctuation stripped; line breaks and
  reordered boxes handled), then the window *as read* is judged against the
  ordered string with a strict one: only whitespace and line breaks are
  normalized — **case, accents and punctuation count** ('Cafe' is not
  'Café') unless ``typography.copy_match.case`` is ``ignore``.
* **Pass rule per field**: headline, subhead and CTA must be ``exact`` (or
  ``spacing_only``: equal once spaces are removed, as OCR engines do not see
  word gaps reliably; or ``alike``: equal once capital I and lowercase l are
  one letter, which the OCR reads one for the other — 'AI' read 'Al'). Only disclaimers of at least
  ``copy_match.disclaimer_min_chars`` characters get a bounded allowance for
  OCR slips (``copy_match.disclaimer_max_ned``: one character per word, never
  in a number, never a missing or extra word). Reported per string:
  ``exact``, ``ned``, ``rendered``, ``difference`` (letter case, accents,
  punctuation, letters or words), ``rule``. Score = share of strings matched
  exactly.

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
``copy_expected: false`` in the details. A file with no provenance and no
request (``expectation.copy_source == "none"``): the ordered copy is unknown;
the check verifies what the spec itself demands (required disclaimers,
forbidden terms) and lists the rest in ``details.unverified_copy`` with the
reason; with nothing the spec demands to verify it is ``not_checked``, never
``skipped``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from brandkit.checks.base import CheckContext, CheckInfo, Expectation, in_the_image, result, said, the_image
from brandkit.checks.copy_match import (
    StringMatch,
    copy_matches_for_context,
    edit_distance,
    join_tokens,
    line_tokens,
    match_copy,
    match_string,
    normalize_tokens,
    required_copy,
    strict_form,
)
from brandkit.checks.copy_repeats import old_copy_read, repeated_copy
from brandkit.checks.ocr_reading import ocr_for_context, ocr_mode_details
from brandkit.checks.text_details import TextDetails
from brandkit.models import CheckResult, CheckStatus
from brandkit.ocr import RAPIDOCR_READABLE_SCRIPTS, OcrLine, unreadable_scripts
from brandkit.spec.forbidden import ForbiddenMatcher

__all__ = [
    "StringMatch",
    "TextCheck",
    "copy_matches_for_context",
    "edit_distance",
    "match_copy",
    "match_string",
    "normalize_tokens",
    "required_copy",
    "strict_form",
]


def _script_names(scripts: Sequence[str]) -> str:
    from fontTools.unicodedata import script_name

    return ", ".join(f"{script_name(code).replace('_', ' ')} ({code})" for code in scripts)


def _role_label(role: str) -> str:
    if role.startswith("disclaimer["):
        return "the disclaimer"
    if role.startswith("required["):
        return "the required disclaimer"
    return {"cta": "the call to action"}.get(role, f"the {role}")


_ORDERED_ROLES = ("headline", "subhead", "cta", "disclaimers")
_UNKNOWN_COPY = (
    "no provenance: the copy ordered for this image (headline, subhead, CTA, disclaimers) is unknown and was not "
    "verified; pass it (brandkit validate --headline/--subhead/--cta/--disclaimer, or an AssetRequest) to verify it"
)

_DIFFERENCE_WORDS = {
    "letter case": "the letter case differs",
    "accents": "accents differ",
    "punctuation": "the punctuation differs",
    "letters or words": "letters or words differ",
}


def _string_hint(match: StringMatch, expectation: Expectation) -> str:
    label = _role_label(match.role)
    if match.located:
        return (
            f"{label} must read exactly '{match.expected}'; {the_image(expectation)} "
            f"{said(expectation, 'rendered', 'reads')} '{match.rendered}' "
            f"({_DIFFERENCE_WORDS.get(match.difference, match.difference)})"
        )
    return f"{label} must read exactly '{match.expected}'; it was not found {in_the_image(expectation)}"


class TextCheck:
    """OCR the image; verify every required string and scan for forbidden terms.

    ``flag_unexpected``: fail when the image shows text that belongs to no
    expected string (default: only reported). ``allowed_text``: extra words
    that are never unexpected (the brand name's words always are allowed).
    """

    info: ClassVar[CheckInfo] = CheckInfo.builtin("text", TextDetails)
    name = info.name

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

    def _allowed(self, ctx: CheckContext) -> set[str]:
        """The loose words that are never unexpected: the brand name's and ``allowed_text``'s."""
        allowed = set(normalize_tokens(ctx.spec.name))
        for text in self.allowed_text:
            allowed.update(normalize_tokens(text))
        return allowed

    @staticmethod
    def _unexpected(
        lines: Sequence[OcrLine], consumed: set[tuple[int, int]], allowed: set[str]
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for index, line in enumerate(lines):
            words = [
                tok.raw
                for tok in line_tokens(index, line.text)
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
        unknown_copy = ctx.expectation.copy_source == "none"
        if not strings and not has_forbidden and not self.flag_unexpected:
            if unknown_copy:
                return result(
                    self.name,
                    CheckStatus.not_checked,
                    details={"reason": _UNKNOWN_COPY, "unverified_copy": list(_ORDERED_ROLES), "copy_expected": None},
                )
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
        allowed = self._allowed(ctx)
        unexpected = self._unexpected(lines, consumed, allowed)

        unreadable = {
            role: scripts
            for role, text in strings.items()
            if (scripts := unreadable_scripts(text, self.readable_scripts))
        }
        found = {role: strings[role] for role, m in matches.items() if m.found and role not in unreadable}
        repeats = repeated_copy(lines, consumed, allowed, found)
        replaced = {
            role: text
            for role, text in ctx.expectation.replaced_copy.items()
            if not unreadable_scripts(text, self.readable_scripts)
        }
        old = old_copy_read(lines, consumed, allowed, replaced, strings.values())
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
            **ocr_mode_details(reading),
            "copy_expected": bool(strings),
            "strings": per_string,
            "forbidden": [{"kind": h.kind, "rule": h.rule, "found": h.found} for h in hits],
            "unexpected_text": unexpected,
            "repeated_copy": [{"text": r.text, "box": list(r.box), "repeats": r.role} for r in repeats],
            "old_copy": [{"role": o.role, "old": o.old, "read": o.read} for o in old],
            "flag_unexpected": self.flag_unexpected,
            "ocr_lines": [
                {"text": ln.text, "box": list(ln.box), "confidence": round(ln.confidence, 3)} for ln in lines
            ],
        }
        if unknown_copy:
            details["unverified_copy"] = list(_ORDERED_ROLES)
            details["note"] = _UNKNOWN_COPY + (
                "; checked the spec's required disclaimers and forbidden terms only"
                if strings
                else "; scanned the rendered text for forbidden terms only"
            )
        elif not strings:
            details["note"] = "no copy expected; scanned the rendered text for forbidden terms only"

        problems: list[str] = []
        for role, match in matches.items():
            if not match.found and role not in unreadable:
                problems.append(_string_hint(match, ctx.expectation))
        for repeat in repeats:
            shown = said(ctx.expectation, "showed", "shows")
            problems.append(
                f"render each line of copy once: {the_image(ctx.expectation)} {shown} '{repeat.text}' again, part of "
                f"the {repeat.role} outside where it is set (a piece of an earlier layout, or the copy drawn twice)"
            )
        for stale in old:
            shown = said(ctx.expectation, "still showed", "still shows")
            problems.append(
                f"take the old {stale.role} off: the edit replaces '{stale.old}', and {the_image(ctx.expectation)} "
                f"{shown} it ('{stale.read}')"
            )
        for hit in hits:
            problems.append(f"remove the forbidden {hit.kind} '{hit.rule}' from the image (OCR read '{hit.found}')")
        if unexpected and self.flag_unexpected and not unreadable:
            extra = "; ".join(f"'{item['text']}'" for item in unexpected[:5])
            shown = said(ctx.expectation, "also showed", "also shows")
            problems.append(f"render no text besides the required copy; {the_image(ctx.expectation)} {shown} {extra}")

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
