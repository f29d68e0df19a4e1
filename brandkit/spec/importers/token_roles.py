"""The role a colour token's name gives it: ``color.primary``, a stylesheet's ``--primary-color``, Tailwind's
``--color-brand``, and a scale named for a role (``--color-brand-50`` … ``--color-brand-950``).

Design token files and stylesheets mark roles by name only. Names put the role first or last
(``color.primary`` / ``primary.color``), add a default step (``brand.DEFAULT``, ``primary.base``), or give a role a
whole scale of steps and no single colour: Tailwind's, Material's and Radix's palettes. A scale's colour for its
role is the step where its hue is purest (the highest CIELAB chroma): Tailwind's 500–600, Material's 500, Radix's 9,
Carbon's 60 — read from the colours, not from a convention about step numbers that differs between systems.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from brandkit.color import hex_chroma
from brandkit.spec.importers.draft import CORE_ROLES, ROLE_FALLBACK
from brandkit.spec.importers.report import MappingReport

ROLE_WORDS = set(CORE_ROLES) | set(ROLE_FALLBACK)
_DEFAULT_WORDS = {"default", "base", "main", "root", "$root"}
_COLOUR_WORDS = {"color", "colour", "colors", "colours"}
_SHADE_WORDS = {"light", "dark"}
_RANK_WORDS = {"primary", "secondary", "tertiary"}
_DAISY_ROLES = {("base", "100"): "background", ("base", "content"): "text"}
"""DaisyUI's names for a theme's page background and text (``--color-base-100``, ``base-content``)."""
MIN_SCALE_STEPS = 3
"""A group of at least this many numbered colours is a scale (two are a pair: ``primary.1`` / ``primary.2``)."""
SCALE_ROLES = {"primary", "secondary", "accent", "brand"}
"""The roles a scale gives a step to: the brand's own colours. A grey ramp (``neutral.50`` …) has no purest step,
and status scales (``danger.100`` …, ``success``) are the interface's, not colours an image should bring in."""


def _words(path: str) -> list[str]:
    """The name's words without the default step and the word "colour" at its end (``primary.color.default``)."""
    parts = [p.casefold().replace("-", "_") for p in path.split(".")]
    while len(parts) > 1 and (parts[-1] in _DEFAULT_WORDS or parts[-1] in _COLOUR_WORDS):
        parts.pop()
    return parts


def _structural(word: str) -> bool:
    """A role word for a page's structure — text, background, border and their synonyms — not a brand colour's."""
    core = word if word in CORE_ROLES else ROLE_FALLBACK.get(word)
    return core in ("text", "background", "neutral") and word not in _SHADE_WORDS


def role_of(path: str) -> str | None:
    """The semantic role a colour token's name says it plays, if any. ``light`` / ``dark`` are roles on their
    own (``color.light``) and a shade of another colour after a name (``primary.light``, ``brand.dark``: none).
    A rank after a structural word is that word's rank, not the brand's colour: ``text.primary`` is the main text
    colour (role text), ``background.secondary`` a background."""
    words = _words(path)
    last = words[-1] if words else ""
    if tuple(words[-2:]) in _DAISY_ROLES:
        return _DAISY_ROLES[(words[-2], words[-1])]
    if last in _SHADE_WORDS and len(words) > 1 and words[-2] not in _COLOUR_WORDS:
        return None
    if last in _RANK_WORDS:
        structural = next((word for word in reversed(words[:-1]) if _structural(word)), None)
        if structural is not None:
            return structural
    return last if last in ROLE_WORDS else None


def scale_of(path: str) -> tuple[str, str] | None:
    """``(the scale's path, the step)`` when ``path`` is a numbered step of a group named for one of
    :data:`SCALE_ROLES` (``color.brand.500`` → ``("color.brand", "500")``), else None."""
    head, _, step = path.rpartition(".")
    if not head or not step.isdigit() or role_of(head) not in SCALE_ROLES:
        return None
    return head, step


def scale_roles(
    steps: Iterable[tuple[str, str, str, str]], roles: dict[str, str], report: MappingReport
) -> dict[str, str]:
    """Roles taken from scales: ``steps`` are ``(scale path, step, colour name, hex)``; a scale whose role no colour
    plays yet (``roles``: role → colour name) gives it its most chromatic step. Returns the roles added."""
    scales: dict[str, list[tuple[str, str, str]]] = {}
    for scale, step, name, hex_value in steps:
        scales.setdefault(scale, []).append((step, name, hex_value))
    added: dict[str, str] = {}
    for scale, members in scales.items():
        role = role_of(scale)
        if role is None or role in roles or role in added or len(members) < MIN_SCALE_STEPS:
            continue
        chroma = hex_chroma([h for _, _, h in members])
        best = int(np.argmax(chroma))
        step, name, _ = members[best]
        numbers = sorted(int(s) for s, _, _ in members)
        added[role] = name
        report.approximated(
            scale,
            f"{name}: the {role} colour",
            f"a scale of {len(members)} steps ({numbers[0]}–{numbers[-1]}) named for a role and no single colour: "
            f"its most saturated step, {step} (CIELAB chroma {chroma[best]:.0f}), plays the role; the other steps "
            "are allowed colours",
        )
    return added


def settle_brand(roles: dict[str, str], report: MappingReport) -> dict[str, str]:
    """``roles`` without ``brand`` when the file also marks a ``primary`` (another colour): one primary, the brand
    colour left an allowed colour, reported. ``brand`` alone plays primary (:data:`ROLE_FALLBACK`)."""
    if "brand" in roles and "primary" in roles and roles["brand"] != roles["primary"]:
        report.approximated(
            roles["brand"], "an allowed colour", "named brand, but the file marks another colour primary: that one is"
        )
        return {role: name for role, name in roles.items() if role != "brand"}
    return roles
