"""Token documents merged set over set, and split into modes by name — what the DTCG reader (token files, resolver
sets, modes) and the reader of Tokens Studio / Style Dictionary files (token sets, themes) both do."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MODE_WORDS", "merge_tokens", "mode_of", "split_modes"]


def merge_tokens(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``: groups merged key by key, a token (an object with ``$value``) replaced whole."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "$value" not in value:
            out[key] = merge_tokens(out[key], value)
        else:
            out[key] = value
    return out


MODE_WORDS = ("light", "dark")
"""Words in a token file's or set's name that make it a mode's tokens rather than the base's."""


def mode_of(name: str) -> str | None:
    """``"light"`` / ``"dark"`` when ``name`` (a file or token set: ``colors.dark.tokens.json``, ``brand-dark``)
    has that word, else None."""
    words = re.split(r"[^a-z]+", name.casefold())
    return next((word for word in MODE_WORDS if word in words), None)


def split_modes(named: Iterable[tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Documents in order, by name (:func:`mode_of`) → the default document (the base ones merged, then the light
    ones: light is the default mode) and each other mode's (the base merged with that mode's)."""
    base: dict[str, Any] = {}
    modes: dict[str, dict[str, Any]] = {}
    for name, doc in named:
        mode = mode_of(name)
        if mode is None:
            base = merge_tokens(base, doc)
        else:
            modes[mode] = merge_tokens(modes.get(mode, {}), doc)
    default = merge_tokens(base, modes.pop("light")) if "light" in modes else base
    return default, {mode: merge_tokens(base, doc) for mode, doc in modes.items()}
