"""What the local conversation renderer understands of a turn's instruction, parsed deterministically.

An instruction is split into clauses (at ``,`` ``;`` ``.`` ``!`` and the words ``and`` / ``then``); each clause
is matched against the list below and changes a :class:`LocalEdits` (the state a local conversation carries from
turn to turn). A clause that matches nothing is returned as *not understood* — the caller reports it in the
turn's notes, never drops it silently. Understood:

* ``warmer`` / ``cooler`` (``colder``): the hero area's colour temperature, one step each (``much`` /
  ``a lot``: two), within ±3 steps;
* ``brighter`` (``lighter``) / ``darker`` (``dimmer``): the hero area's brightness, ±3 steps;
* ``move the product left|right|up|down`` (also ``cup``, ``hero``, ``image``, ``photo``, ``subject``; ``move``,
  ``shift``, ``nudge``): the hero content moves by 8 % of the hero area per step, ±3 steps;
* ``bigger`` / ``larger`` / ``zoom in`` and ``smaller`` / ``zoom out`` (of the product, not the headline): the
  hero content scales by 15 % per step, ±2 steps;
* ``background <brand colour name | #RRGGBB | a colour word>`` (``make the background …``): the flat
  background colour; ``brand background`` / ``reset the background`` restores the brand's;
* ``the German version`` (French, Spanish, Italian, Dutch, Portuguese, Japanese, English): the locale — the
  local renderer cannot translate, so the turn must give the copy in that language (``headline=…``);
* ``reset`` / ``start over``: every edit undone.

Asked but not applied, with a note saying why: moving the logo (the brand layout fixes its placement) and a
bigger or smaller headline (the layout fits the type to its zone).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = ["LANGUAGES", "LocalEdits", "ParsedInstruction", "parse_instruction"]

LANGUAGES = {
    "german": "de",
    "deutsch": "de",
    "french": "fr",
    "spanish": "es",
    "italian": "it",
    "dutch": "nl",
    "portuguese": "pt",
    "japanese": "ja",
    "english": "en",
}
"""Language names a local turn understands → locale codes."""

COLOR_WORDS = {
    "neon green": "#39FF14",
    "green": "#2E8B57",
    "blue": "#1E5AFF",
    "red": "#D0021B",
    "pink": "#FF69B4",
    "purple": "#7B2FBE",
    "yellow": "#FFD400",
    "black": "#000000",
    "white": "#FFFFFF",
}
"""Colour words the background instruction understands besides the brand's colour names and hex codes."""

_SPLIT = re.compile(r"[,;.!]|\band\b|\bthen\b", re.IGNORECASE)
_FILLER = re.compile(r"\b(please|now|a bit|a little|slightly|make it|make|it|the|thanks?|thank you)\b")
_TWICE = re.compile(r"\b(much|a lot|way|lots)\b")
_DIRECTIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
_HEX = re.compile(r"#[0-9a-fA-F]{6}\b")
_LIMITS = {"warmth": 3, "brightness": 3, "shift_x": 3, "shift_y": 3, "scale": 2}


def _clamp(value: int, name: str) -> int:
    bound = _LIMITS[name]
    return max(-bound, min(bound, value))


@dataclass(frozen=True)
class LocalEdits:
    """The edits a local conversation has accumulated (each turn starts from the previous accepted one's)."""

    warmth: int = 0
    brightness: int = 0
    shift_x: int = 0
    shift_y: int = 0
    scale: int = 0
    background: str | None = None  # '#RRGGBB' over the brand background; None: the brand's
    locale: str | None = None

    def bump(self, name: str, steps: int) -> LocalEdits:
        """These edits with ``name`` moved by ``steps`` (within its bounds)."""
        values: dict[str, Any] = asdict(self)
        values[name] = _clamp(int(values[name]) + steps, name)
        return LocalEdits(**values)

    def describe(self) -> list[str]:
        """The edits in force, in words (empty: none)."""
        out = []
        for label, value in (("warmth", self.warmth), ("brightness", self.brightness), ("product size", self.scale)):
            if value:
                out.append(f"{label} {value:+d}")
        if self.shift_x or self.shift_y:
            out.append(f"product moved ({self.shift_x:+d}, {self.shift_y:+d})")
        if self.background is not None:
            out.append(f"background {self.background}")
        if self.locale is not None:
            out.append(f"locale {self.locale}")
        return out


@dataclass
class ParsedInstruction:
    """The edits after one instruction, what it changed, what was not understood and what was not applied."""

    edits: LocalEdits
    applied: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)
    language: str | None = None  # a language asked for in this turn ("German"), its code in edits.locale


def _background(clause: str, palette: dict[str, str]) -> str | bool | None:
    """The background colour a clause asks for: a hex, ``None`` (the brand's), or ``False`` (none understood)."""
    if re.search(r"\b(brand|original|default|reset)\b", clause):
        return None
    found = _HEX.search(clause)
    if found:
        return found.group(0).upper()
    for name, hex_ in sorted(palette.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(name)}\b", clause):
            return hex_.upper()
    for word, hex_ in COLOR_WORDS.items():
        if re.search(rf"\b{word}\b", clause):
            return hex_
    return False


def _clause(clause: str, edits: LocalEdits, palette: dict[str, str], out: ParsedInstruction) -> LocalEdits:
    raw = clause.strip()
    text = " ".join(raw.lower().split())
    steps = 2 if _TWICE.search(text) else 1
    bare = " ".join(_FILLER.sub(" ", _TWICE.sub(" ", text)).split())
    if not bare:
        return edits
    if re.fullmatch(r"(reset|start over|undo everything|undo all)", bare):
        out.applied.append("every edit undone")
        return LocalEdits()
    if re.search(r"\blogo\b", bare):
        out.not_applied.append(f"{raw!r}: the logo stays where the brand layout places it")
        return edits
    if re.search(r"\b(headline|title|text|copy)\b", bare) and re.search(r"\b(bigger|larger|smaller|size)\b", bare):
        out.not_applied.append(f"{raw!r}: the layout fits the type to its zone; the headline size is not changed")
        return edits
    if re.search(r"\b(background|backdrop)\b", bare):
        color = _background(bare, palette)
        if color is not False:
            out.applied.append(f"background {color or 'of the brand'}")
            return replace(edits, background=color if isinstance(color, str) else None)
    for word, code in LANGUAGES.items():
        if re.search(rf"\b{word}\b", bare):
            out.applied.append(f"locale {code}")
            out.language = word.capitalize()
            return replace(edits, locale=code)
    if re.fullmatch(r"(warmer|warm up|warm|warmer light|warmer tones?|warmer colou?rs?)", bare):
        out.applied.append(f"warmer ×{steps}")
        return edits.bump("warmth", steps)
    if re.fullmatch(r"(cooler|colder|cool down|cooler light|cooler tones?|cooler colou?rs?)", bare):
        out.applied.append(f"cooler ×{steps}")
        return edits.bump("warmth", -steps)
    if re.fullmatch(r"(brighter|lighter|brighter light|more light)", bare):
        out.applied.append(f"brighter ×{steps}")
        return edits.bump("brightness", steps)
    if re.fullmatch(r"(darker|dimmer|less light|darker light)", bare):
        out.applied.append(f"darker ×{steps}")
        return edits.bump("brightness", -steps)
    moved = re.fullmatch(
        r"(move|shift|nudge|put)( (product|cup|hero|image|photo|picture|subject))?( to)?( left| right| up| down)"
        r"( side)?",
        bare,
    )
    if moved:
        direction = moved.group(5).strip()
        dx, dy = _DIRECTIONS[direction]
        out.applied.append(f"product moved {direction} ×{steps}")
        return edits.bump("shift_x", dx * steps).bump("shift_y", dy * steps)
    zoom = re.fullmatch(r"((product|cup|hero|subject) )?(bigger|larger|smaller)( (product|cup|hero|subject))?", bare)
    if zoom or bare in ("zoom in", "zoom out"):
        grow = bare == "zoom in" or (zoom is not None and zoom.group(3) in ("bigger", "larger"))
        out.applied.append(f"product {'bigger' if grow else 'smaller'} ×{steps}")
        return edits.bump("scale", steps if grow else -steps)
    out.not_understood.append(raw)
    return edits


def parse_instruction(instruction: str, edits: LocalEdits, palette: dict[str, str]) -> ParsedInstruction:
    """Apply ``instruction`` to ``edits``; ``palette``: the brand's colour names (lower case) → hex."""
    out = ParsedInstruction(edits=edits)
    current = edits
    for clause in _SPLIT.split(instruction):
        if clause.strip():
            current = _clause(clause, current, palette, out)
    out.edits = current
    return out
