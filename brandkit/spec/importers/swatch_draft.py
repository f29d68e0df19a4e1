"""A palette read from a swatch file (Adobe's ``.ase``, Photoshop's ``.aco``) → :class:`BrandDraft`.

The readers of the two formats differ only in their bytes and colour models; what they do with the colours is
the same, and lives here: each colour becomes a colour of its name (or its hex when it has none), reported as
read exactly, approximated (how) or dropped (why); its role comes from a word of its name, else of its group's,
that is a role (as in DTCG: ``Primary``, ``Brand Blue`` in a group ``Accent``…), the first colour per role taking
it and the others staying allowed colours. A swatch file carries no brand name (named after the file), no font
and no logo (a ``logos/`` folder beside it, else they are to decide).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from brandkit.errors import SpecError
from brandkit.spec.importers.colorspace import ParsedColor, from_components
from brandkit.spec.importers.draft import CORE_ROLES, ROLE_FALLBACK, BrandDraft, DraftColor, humanize, logo_folder
from brandkit.spec.importers.report import MappingReport

__all__ = ["MAX_SWATCH_BYTES", "SwatchColour", "cmyk_without_profile", "read_swatch_bytes", "swatch_draft"]

MAX_SWATCH_BYTES = 4 * 1024 * 1024
"""The largest swatch file read (Photoshop's and Illustrator's own libraries are a few kB to a few hundred)."""


@dataclass(frozen=True)
class SwatchColour:
    """One colour of a swatch file as its reader saw it."""

    name: str
    """Its name in the file (``""``: none, as in a Photoshop version 1 palette)."""
    group: str
    """The group it is in (``""``: none)."""
    colour: ParsedColor | None
    """The sRGB colour it reads as; ``None``: dropped, ``dropped`` says why."""
    read_as: str = ""
    """What the report says of a colour read exactly (its model and kind, e.g. ``RGB (global)``)."""
    approximated: str = ""
    """How the colour was approximated (``""``: read exactly)."""
    dropped: str = ""
    """Why the colour is not imported (with ``colour`` ``None``)."""

    @property
    def where(self) -> str:
        """The colour as the report names it: ``group/name``, its name, else its hex."""
        label = self.name or (self.colour.hex if self.colour is not None else "(unnamed)")
        return f"{self.group}/{label}" if self.group else label


def read_swatch_bytes(path: Path, error: type[SpecError]) -> bytes:
    """The bytes of the swatch file ``path``; one over :data:`MAX_SWATCH_BYTES` raises ``error`` naming it."""
    size = path.stat().st_size
    if size > MAX_SWATCH_BYTES:
        raise error(f"{path}: {size:,} bytes is larger than the {MAX_SWATCH_BYTES:,}-byte limit for a swatch file")
    return path.read_bytes()


def cmyk_without_profile(inks: tuple[float, float, float, float], where: str) -> tuple[ParsedColor, str]:
    """The sRGB colour of CMYK ink coverages (0–1) converted **without a print profile** — ``(1 − c)(1 − k)``…:
    no exact sRGB value exists for ink — and the report's note saying so."""
    cyan, magenta, yellow, black = inks
    rgb = [(1 - cyan) * (1 - black), (1 - magenta) * (1 - black), (1 - yellow) * (1 - black)]
    parsed = from_components("srgb", rgb, 1.0, where)
    shown = " ".join(f"{round(v * 100)}" for v in inks)
    return parsed, (
        f"CMYK {shown} converted to {parsed.hex} without a print profile (no exact sRGB value exists for ink): "
        "compare it with the RGB/HEX value of the brand guide"
    )


def _role(swatch: SwatchColour) -> str | None:
    roles = (set(CORE_ROLES) | set(ROLE_FALLBACK)) - {"brand"}  # a group "Brand colours" names every swatch
    for text in (swatch.name, swatch.group):
        for word in re.split(r"[^a-z0-9_]+", text.casefold()):
            if word in roles:
                return word
    return None


def swatch_draft(
    path: Path, report: MappingReport, colours: Iterable[SwatchColour], error: type[SpecError]
) -> BrandDraft:
    """A draft of the palette of the swatch file ``path`` (the module docstring); a file without a colour raises
    ``error`` naming it."""
    name = humanize(path.stem) or "Imported brand"
    report.decide("name", f"a swatch file carries no brand name; named {name!r} after the file")
    draft = BrandDraft(name=name, report=report, base_dir=path.parent)
    for swatch in colours:
        if swatch.colour is None:
            report.dropped(swatch.where, swatch.dropped)
            continue
        parsed = swatch.colour
        colour = draft.add_color(DraftColor(swatch.name or parsed.hex, parsed.hex, 1.0, swatch.where))
        if swatch.approximated:
            report.approximated(swatch.where, f"colour {colour.name}", swatch.approximated)
        else:
            report.mapped(swatch.where, f"colour {colour.name} {parsed.hex}", swatch.read_as)
        role = _role(swatch)
        if role is not None and role not in draft.roles:
            draft.roles[role] = colour.name
    if not draft.colors:
        raise error(f"{path}: the swatch file holds no colour")
    logo_folder(draft, path.parent, "a swatch file carries", "the swatch file")
    report.brand = draft.name
    return draft
