"""API keys that cannot be sent: refused when the client is configured, never echoed.

An API key travels in the ``Authorization`` HTTP header. A key with a character that a header cannot carry
(a typographic quote ``’`` pasted from a document, a control character, a line break) would otherwise fail
deep inside the HTTP library with a ``UnicodeEncodeError`` on every request — once per variant in a run.
:func:`check_api_key` refuses such a key up front with a :class:`~brandkit.errors.ConfigurationError` that
names the position and the code point of the first bad character, never the key or any part of it.

Surrounding whitespace (a trailing newline or ``\\r`` from a ``.env`` file) is refused too, not stripped:
a key is used exactly as given, or not at all.
"""

from __future__ import annotations

import unicodedata

from brandkit.errors import ConfigurationError

__all__ = ["api_key_problem", "check_api_key"]

_HINTS = {
    "\u2018": "a typographic quote",
    "\u2019": "a typographic quote",
    "\u201c": "a typographic quote",
    "\u201d": "a typographic quote",
    "\u00a0": "a non-breaking space",
    "\u200b": "a zero-width space",
    "\ufeff": "a byte-order mark",
}


def _sendable(char: str) -> bool:
    """True for the characters an API key may hold: printable ASCII without space (0x21–0x7E)."""
    return "\x21" <= char <= "\x7e"


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    if not name and (ord(char) < 0x20 or char == "\x7f"):
        name = "a control character"
    hint = _HINTS.get(char) or ("whitespace" if char.isspace() else "")
    label = " ".join(part for part in (name, f"({hint})" if hint else "") if part)
    return f"{code} {label}".strip()


def api_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be sent in an HTTP header (position and code point only), or ``None`` when it can."""
    bad = [position for position, char in enumerate(key) if not _sendable(char)]
    if not bad:
        return None
    first = bad[0]
    problem = f"character {first + 1} of {len(key)} is {_describe(key[first])}"
    if len(bad) > 1:
        problem += f"; {len(bad) - 1} more character(s) cannot be sent either (positions {_positions(bad[1:])})"
    return problem


def _positions(positions: list[int]) -> str:
    shown = ", ".join(str(p + 1) for p in positions[:8])
    return shown + (", …" if len(positions) > 8 else "")


def check_api_key(key: str | None, source: str) -> None:
    """Raise :class:`ConfigurationError` when ``key`` (from ``source``, e.g. ``OPENAI_API_KEY``) cannot be sent.

    ``None`` and the empty string pass (a missing key is reported when a request needs one). The error names
    ``source``, the position and the code point of the first bad character; it has no cause or context that
    could hold the key.
    """
    if not key:
        return
    problem = api_key_problem(key)
    if problem is None:
        return
    raise ConfigurationError(
        f"the OpenAI API key from {source} cannot be sent in an HTTP header: {problem}. API keys contain only "
        "ASCII letters, digits, '-' and '_'; copy the key again as plain text (no quotes, spaces or line breaks). "
        "Nothing was sent.",
        setting=source,
    )
