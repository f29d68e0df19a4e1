"""Palette modes (``palette.modes``: a dark mode's colours) as far as the spec's own models go: the reserved name of
the default colours, a mode's fingerprint and what a mode does to a logo's grounds. :meth:`BrandSpec.for_mode
<brandkit.spec.models.BrandSpec.for_mode>` uses them; a request names its mode in ``palette_mode``."""

from __future__ import annotations

import hashlib

from brandkit.color import hex_to_rgb
from brandkit.spec.palette import Palette
from brandkit.wcag import tone_of

__all__ = ["DEFAULT_MODE", "grounds_in_mode", "mode_fingerprint", "mode_words"]

DEFAULT_MODE = "default"
"""The name of a spec's own colours where a palette mode is asked for (``AssetRequest.palette_mode``, a plan's
``palette_mode`` axis, ``--mode``): reserved, no ``palette.modes`` key may take it."""


def mode_fingerprint(fingerprint: str, mode: str) -> str:
    """The fingerprint of the spec of ``fingerprint`` in palette mode ``mode`` (:meth:`BrandSpec.for_mode`): an
    audit tells a file checked in a mode of the spec from one checked against another spec."""
    return hashlib.sha256(f"mode\0{mode}\0{fingerprint}".encode()).hexdigest()


def grounds_in_mode(backgrounds: list[str], default: Palette, moded: Palette) -> list[str]:
    """A logo's ``backgrounds`` in a palette mode: a colour the mode turns to the other tone becomes the tone it
    has in the default colours (see :meth:`BrandSpec.for_mode`)."""
    before = {c.name.casefold(): tone_of(hex_to_rgb(c.hex)) for c in default.colors}
    after = {c.name.casefold(): tone_of(hex_to_rgb(c.hex)) for c in moded.colors}
    grounds: list[str] = []
    for ground in backgrounds:
        key = ground.casefold()
        turned = key in before and before[key] != after[key]
        grounds.append(before[key] if turned else ground)
    return list(dict.fromkeys(grounds))


def mode_words(mode: str | None) -> str:
    """A palette mode in words, for reports and notes: ``palette mode 'dark'``, or ``the default colours``."""
    return "the default colours" if mode is None else f"palette mode {mode!r}"
