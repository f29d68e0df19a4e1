"""Line-break opportunities for copy in any script, with the basic CJK rules (kinsoku shori).

Text is broken at whitespace (the whitespace is dropped at the break and drawn as one U+0020 otherwise) and, in
scripts written without spaces (Han, Hiragana, Katakana, Bopomofo and their full-width punctuation), between
any two characters, except:

* never before a character in :data:`NO_LINE_START` (closing brackets and quotes, 、。，．・：；！？, the long
  vowel mark ー, iteration marks, small kana such as ゃ っ ァ);
* never after a character in :data:`NO_LINE_END` (opening brackets and quotes);
* never before a combining mark or a default-ignorable character (ZWJ, variation selectors).

Korean (Hangul) is written with spaces and is broken at spaces only (like CSS ``word-break: keep-all``).
Latin, Cyrillic, Greek, Arabic, Devanagari, … words are never broken inside. The text check uses
:func:`split_unspaced` so that a line break inside CJK text (where no space is drawn) compares equal to the
unbroken text.
"""

from __future__ import annotations

import unicodedata

from fontTools import unicodedata as ucd

from brandkit.glyphs import is_default_ignorable

__all__ = ["NO_LINE_END", "NO_LINE_START", "is_unspaced", "segments", "split_unspaced"]

UNSPACED_SCRIPTS = frozenset({"Hani", "Hira", "Kana", "Bopo"})
"""Scripts written without spaces between words: a line may break between any two of their characters."""

NO_LINE_START = frozenset(
    "、。，．,.:;!?）)]｝〕〉》」』】〙〗〟’”｠»"
    "・：；！？‐゠–〜～ー…‥ゝゞヽヾ々〻"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    "％%‰℃°′″"
)
"""Characters a line must not start with (JIS X 4051 basics)."""

NO_LINE_END = frozenset("（([｛〔〈《「『【〘〖〝‘“｟«￥＄$£＃#")
"""Characters a line must not end with (opening brackets and quotes, currency prefixes)."""


def is_unspaced(ch: str) -> bool:
    """True for characters of scripts written without spaces (and their full-width punctuation)."""
    if ucd.script(ch) in UNSPACED_SCRIPTS or UNSPACED_SCRIPTS & set(ucd.script_extension(ch)):
        return True
    cp = ord(ch)
    return 0x3000 <= cp <= 0x303F or (0xFF00 <= cp <= 0xFFEF and unicodedata.east_asian_width(ch) in "FW")


def _may_break(before: str, after: str) -> bool:
    if not (is_unspaced(before) or is_unspaced(after)):
        return False
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    return not (unicodedata.combining(after) or is_default_ignorable(after))


def segments(text: str) -> list[tuple[str, bool]]:
    """The unbreakable pieces of ``text`` in order, each with whether a space separates it from the previous one.

    Joining the pieces (with U+0020 where the flag is set) gives the text with its whitespace runs collapsed to
    single spaces; a line may break before any piece.
    """
    out: list[tuple[str, bool]] = []
    for w, word in enumerate(text.split()):
        start = 0
        for i in range(1, len(word)):
            if _may_break(word[i - 1], word[i]):
                out.append((word[start:i], w > 0 and start == 0))
                start = i
        out.append((word[start:], w > 0 and start == 0))
    return out


def split_unspaced(token: str) -> list[str]:
    """``token`` split so that every character of an unspaced script stands alone (other runs stay whole)."""
    if token.isascii():  # no ASCII character is unspaced, combining or default-ignorable: one run (or none)
        return [token] if token else []
    out: list[str] = []
    run = ""
    for ch in token:
        if is_unspaced(ch) and not unicodedata.combining(ch):
            if run:
                out.append(run)
                run = ""
            out.append(ch)
        elif unicodedata.combining(ch) or is_default_ignorable(ch):
            if run:
                run += ch
            elif out:
                out[-1] += ch
            else:
                run = ch
        else:
            run += ch
    if run:
        out.append(run)
    return out
