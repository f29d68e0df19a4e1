"""Copy changes said in a turn's words: ``change the headline to "Fly higher"``, ``remove the subhead`` (and three
settings: the palette mode, ``dark mode``; the background tone, ``a dark background``; the format, ``make it
landscape``).

A conversation's copy is exact — the text check holds the image to the request's ``headline`` / ``subhead`` /
``cta`` — so an instruction that rewords the copy must change the request, not only ask the model: otherwise the
model draws the new words, the check expects the old ones, and the repair puts the old ones back. This module reads
the unambiguous forms deterministically, for every provider:

* a copy element named with its new text **in quotes** (straight or typographic: ``"…"``, ``'…'``, ``“…”``,
  ``‘…’``, ``«…»``, ``„…“``), e.g. ``change the headline to "Fly higher"``, ``make the button say 'Book now'``,
  ``subhead: “Roasted today”``;
* ``remove`` / ``drop`` / ``delete`` / ``no`` / ``without`` + a copy element ending the clause (``remove the subhead``,
  ``no cta, darker``; not ``no headline changes``, not after ``don't`` / ``not`` / ``never``): that element is removed.

* a palette mode of the brand (``palette.modes``) named as one: ``dark mode``, ``switch to the dark theme``, ``in
  the dark palette``, ``dark colours``; ``light mode`` / ``the default colours`` for the spec's own colours when
  ``light`` is not a mode's name: the request's ``palette_mode`` — every colour of that mode, checked against it.
  A brand without modes reads ``dark mode`` / ``dark theme`` as the background tone (below).
* ``a dark background`` / ``light background`` / ``switch to the dark version`` / ``make the background dark``
  (not ``a dark green background``): the request's ``background`` (``dark`` / ``light``) — the brand's background
  of that tone and the logo variant made for it, chosen by the compile step, not a colour the model guesses.
* one of the brand's formats named as the image's shape: ``make it landscape``, ``switch to the banner``, ``as a
  portrait``, ``the square version``, ``landscape format`` (not ``a portrait of the barista``, not ``a square
  table``): the request's ``format`` — its size and layout, which only the request can change.

Names: ``headline`` (``title``, ``heading``), ``subhead`` (``subheading``, ``subtitle``, ``sub-headline``,
``tagline``), ``cta`` (``button``, ``button text``, ``call to action``). What is read is taken out of the
instruction the provider gets (the turn's message states the new copy exactly); an element named with words that
are not quoted (``make the headline say something warmer``) is left to the model, with a note that the exact copy
did not change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["CopyEdits", "copy_edits"]

_FIELDS = {
    "headline": "headline",
    "title": "headline",
    "heading": "headline",
    "subhead": "subhead",
    "subheading": "subhead",
    "subtitle": "subhead",
    "sub-headline": "subhead",
    "subheadline": "subhead",
    "tagline": "subhead",
    "cta": "cta",
    "button": "cta",
    "button text": "cta",
    "button label": "cta",
    "call to action": "cta",
    "call-to-action": "cta",
}
_NAME = r"(?P<name>" + "|".join(sorted((re.escape(k) for k in _FIELDS), key=len, reverse=True)) + r")"
_QUOTED = (
    r"(?:\"(?P<q1>[^\"]+)\"|“(?P<q2>[^”]+)”|„(?P<q3>[^“”]+)[“”]|«\s?(?P<q4>[^»]+?)\s?»|‘(?P<q5>[^’]+)’"
    r"|(?<![\w])'(?P<q6>[^']+)'(?![\w]))"
)
_SET = re.compile(
    r"(?:\b(?:change|set|make|update|replace|rewrite|use)\s+)?(?:\bthe\s+)?\b"
    + _NAME
    + r"\b\s*(?:text\s+)?(?:(?:to|say|says|read|reads|as|with|into)\b\s*|[:=]\s*)?"
    + _QUOTED,
    re.IGNORECASE,
)
_REMOVE = re.compile(
    r"(?<!n't )(?<!not )(?<!never )\b(?:remove|drop|delete|no|without)\s+(?:the\s+)?"
    + _NAME
    + r"\b(?=\s*(?:$|[,;.!]|\band\b|\bthen\b))",  # the clause ends there: "no headline changes" is not a removal
    re.IGNORECASE,
)
_SETTINGS = ("palette_mode", "background", "format")
_END = r"(?=\s*(?:$|[,;.!]|\band\b|\bthen\b|\bplease\b))"
_TONE = re.compile(
    r"(?:\b(?:switch|change|go|move)\s+(?:it\s+)?to\s+)?(?:\b(?:use|make\s+it|give\s+it)\s+)?(?:\b(?:an?|the)\s+)?"
    r"\b(?P<tone1>dark|light)\s+(?:background|mode|theme|version)\b"
    + _END
    + r"|(?:\b(?:make|set|change|switch)\s+)?(?:\bthe\s+)?\bbackground\s+(?:to\s+)?(?P<tone2>dark|light)\b"
    + _END,
    re.IGNORECASE,
)
_LEAD = (
    r"(?:\b(?:make|turn|switch|change|convert|resize|reframe|redo)\s+(?:it\s+|this\s+|the\s+(?:image|ad|picture)\s+)?"
    r"(?:in)?to\s+|\bmake\s+it\s+|\b(?:as|in)\s+)"
)
_SHAPE = r"(?:format|version|size|layout|crop)"


def _mode_pattern(modes: Sequence[str]) -> re.Pattern[str] | None:
    """The phrases of the brand's palette ``modes`` and of its own colours (None when it has no mode)."""
    names = sorted((re.escape(name) for name in modes if name), key=len, reverse=True)
    if not names:
        return None
    own = "default|light" if not any(m.casefold() == "light" for m in modes) else "default"
    return re.compile(
        r"(?:\b(?:switch|change|go|move|turn)\s+(?:it\s+)?(?:back\s+)?(?:in)?to\s+|\bback\s+to\s+"
        r"|\b(?:use|make\s+it|give\s+it|in)\s+)?"
        rf"(?:\b(?:an?|the|its)\s+)?\b(?:(?P<mode>{'|'.join(names)})|(?P<own>{own}))\s+"
        r"(?:mode|theme|palette|colou?rs|colou?r\s+scheme)\b" + _END,
        re.IGNORECASE,
    )


def _format_pattern(formats: Sequence[str]) -> re.Pattern[str] | None:
    """The format phrases of the brand's ``formats`` (None when it has none)."""
    names = sorted((re.escape(name) for name in formats if name), key=len, reverse=True)
    if not names:
        return None
    group = "|".join(names)
    return re.compile(
        _LEAD + rf"(?:an?\s+|the\s+)?(?P<fmt1>{group})(?:\s+(?:{_SHAPE}|one))?\b" + _END
        + rf"|\b(?:an?\s+|the\s+)?(?P<fmt2>{group})\s+{_SHAPE}\b" + _END,
        re.IGNORECASE,
    )  # fmt: skip


_MENTION = re.compile(r"\b" + _NAME + r"\b.*\b(?:to|say|says|read|reads)\b", re.IGNORECASE)
_LEFTOVER = re.compile(r"^[\s,;.!]*(?:and|then|please)?[\s,;.!]*$", re.IGNORECASE)


@dataclass(frozen=True)
class CopyEdits:
    """What a turn's words change in the copy (``None``: removed), the rest of the instruction, and notes."""

    changes: dict[str, str | None] = field(default_factory=dict)
    rest: str = ""
    notes: list[str] = field(default_factory=list)


def copy_edits(
    instruction: str,
    formats: Sequence[str] = (),
    current: Mapping[str, object] | None = None,
    modes: Sequence[str] = (),
) -> CopyEdits:
    """The copy changes ``instruction`` states unambiguously, and the settings (see the module docstring);
    ``formats``: the brand's format names, the only ones a turn's words can switch to; ``current``: the request
    so far (its copy), so that removing copy the image does not have is said, not reported as done; ``modes``:
    the brand's palette modes (``palette.modes``), the only ones a turn's words can switch to."""
    changes: dict[str, str | None] = {}
    spans: list[tuple[int, int]] = []
    for match in _SET.finditer(instruction):
        name = _FIELDS[match.group("name").lower()]
        text = next(g for g in (match.group(f"q{i}") for i in range(1, 7)) if g is not None).strip()
        changes[name] = text
        spans.append(match.span())
    for match in _REMOVE.finditer(instruction):
        if any(a <= match.start() < b for a, b in spans):
            continue
        changes[_FIELDS[match.group("name").lower()]] = None
        spans.append(match.span())
    moded = _mode_pattern(modes)
    for match in moded.finditer(instruction) if moded is not None else ():
        if any(a <= match.start() < b for a, b in spans):
            continue
        said = match.group("mode")
        changes["palette_mode"] = (
            "default" if said is None else next(m for m in modes if m.casefold() == said.casefold())
        )
        spans.append(match.span())
    for match in _TONE.finditer(instruction):
        if any(a <= match.start() < b for a, b in spans):
            continue
        changes["background"] = (match.group("tone1") or match.group("tone2")).lower()
        spans.append(match.span())
    pattern = _format_pattern(formats)
    for match in pattern.finditer(instruction) if pattern is not None else ():
        if any(a <= match.start() < b for a, b in spans):
            continue
        said = (match.group("fmt1") or match.group("fmt2")).casefold()
        changes["format"] = next(name for name in formats if name.casefold() == said)
        spans.append(match.span())
    rest = instruction
    for start, end in sorted(spans, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    rest = _tidy(rest)
    notes = [
        f"{'setting' if name in _SETTINGS else 'copy'} from the instruction: {name} → {value!r}"
        if value is not None
        else f"copy from the instruction: no {name} to remove (the image has none)"
        if current is not None and not current.get(name)
        else f"copy from the instruction: {name} removed"
        for name, value in changes.items()
    ]
    mention = _MENTION.search(rest)
    if mention is not None:
        name = _FIELDS[mention.group("name").lower()]
        notes.append(
            f"the {name} was named without its new text in quotes: the exact copy did not change (quote it, "
            f'e.g. change the {name} to "…", or give {name}= / /{name})'
        )
    return CopyEdits(changes, rest, notes)


def _tidy(text: str) -> str:
    """The instruction without the removed clauses: empty pieces and dangling joiners dropped."""
    pieces = [p.strip() for p in re.split(r"(?<=[,;.!])|\b(?=and\b|then\b)", text) if p is not None]
    kept = [p for p in pieces if p and not _LEFTOVER.match(p)]
    out = " ".join(kept)
    out = re.sub(r"^(?:and|then)\b\s*", "", out, flags=re.IGNORECASE)
    out = re.sub(r"\s*(?:,|\band\b|\bthen\b)\s*$", "", out, flags=re.IGNORECASE)
    return re.sub(r"\s{2,}", " ", out).strip(" ,;")
