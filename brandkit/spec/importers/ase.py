"""Adobe Swatch Exchange (``.ase``) → :class:`BrandDraft`: the palette a brand guide ships for Adobe's apps.

The format (big-endian): ``ASEF``, a version (1.0), a block count, then blocks — ``0xC001`` a group starts (its
name), ``0xC002`` it ends, ``0x0001`` a colour: its name (UTF-16, null-terminated, the length counted in code
units), a model (``RGB ``, ``LAB ``, ``CMYK``, ``Gray``), float32 values (RGB and grey 0–1; Lab L 0–1, a and b
−128…127, D50) and a kind (global, spot, normal). How each is read:

* RGB, grey: exact (8-bit rounding); Lab: CIE Lab D50 as CSS ``lab()`` (Bradford to sRGB's D65, gamut-mapped
  when outside sRGB) — reported;
* CMYK (print, often a spot colour such as a Pantone): converted **without a print profile** — approximated and
  reported, to compare with the brand guide's RGB/HEX value;
* Illustrator's own swatches (``[Registration]``, ``[None]``) are dropped.

What the palette takes of the colours (names, roles from the names and groups, the report) is
:mod:`brandkit.spec.importers.swatch_draft`'s, shared with Photoshop's ``.aco``. A swatch file holds colours only: a
headline font comes from ``--headline-font``, logos from a ``logos/`` folder beside the file (else they are to
decide).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from brandkit.errors import SpecError
from brandkit.spec.importers.colorspace import ColorParseError, ParsedColor, from_components
from brandkit.spec.importers.draft import BrandDraft
from brandkit.spec.importers.report import MappingReport
from brandkit.spec.importers.swatch_draft import SwatchColour, cmyk_without_profile, read_swatch_bytes, swatch_draft

__all__ = ["ASE_MAGIC", "Swatch", "read_ase", "swatches"]

ASE_MAGIC = b"ASEF"
_COLOUR, _GROUP_START, _GROUP_END = 0x0001, 0xC001, 0xC002
_VALUES = {"RGB ": 3, "LAB ": 3, "CMYK": 4, "Gray": 1}
_KINDS = {0: "global", 1: "spot", 2: "normal"}


class AseError(SpecError):
    """A swatch file that cannot be read; the message names the file and the byte where it went wrong."""


@dataclass(frozen=True)
class Swatch:
    """One colour of a swatch file: its name, the group it is in (``""``: none), model, values and kind."""

    name: str
    group: str
    model: str
    values: tuple[float, ...]
    kind: str


def _name(data: bytes, at: int, end: int, path: Path) -> tuple[str, int]:
    if at + 2 > end:
        raise AseError(f"{path}: a name runs past its block at byte {at}")
    (units,) = struct.unpack_from(">H", data, at)
    stop = at + 2 + 2 * units
    if stop > end:
        raise AseError(f"{path}: a name of {units} characters runs past its block at byte {at}")
    return data[at + 2 : stop].decode("utf-16-be", errors="replace").rstrip("\x00"), stop


def swatches(data: bytes, path: Path) -> list[Swatch]:
    """Every colour of the swatch file ``data`` (read from ``path``, named in errors), in order."""
    if data[:4] != ASE_MAGIC or len(data) < 12:
        raise AseError(f"{path}: not an Adobe Swatch Exchange file (no ASEF signature)")
    major, _minor, count = struct.unpack_from(">HHI", data, 4)
    if major != 1:
        raise AseError(f"{path}: ASE version {major} (brandkit reads version 1)")
    out: list[Swatch] = []
    group = ""
    at = 12
    for _ in range(count):
        if at + 6 > len(data):
            raise AseError(f"{path}: the file ends at byte {at}, before its {count} blocks")
        kind, length = struct.unpack_from(">HI", data, at)
        start, end = at + 6, at + 6 + length
        if end > len(data):
            raise AseError(f"{path}: a block of {length} bytes at byte {at} runs past the end of the file")
        if kind == _GROUP_START:
            group = _name(data, start, end, path)[0]
        elif kind == _GROUP_END:
            group = ""
        elif kind == _COLOUR:
            name, pos = _name(data, start, end, path)
            model = data[pos : pos + 4].decode("ascii", errors="replace")
            size = _VALUES.get(model)
            if size is None:
                raise AseError(f"{path}: colour {name!r}: unknown colour model {model!r}")
            if pos + 4 + 4 * size + 2 > end:
                raise AseError(f"{path}: colour {name!r} runs past its block at byte {at}")
            values = struct.unpack_from(f">{size}f", data, pos + 4)
            (colour_kind,) = struct.unpack_from(">H", data, pos + 4 + 4 * size)
            out.append(Swatch(name, group, model.strip(), tuple(values), _KINDS.get(colour_kind, "normal")))
        at = end
    return out


def _colour(swatch: Swatch, where: str) -> tuple[ParsedColor, str]:
    """The sRGB colour of a swatch and how it was read (``""``: exactly)."""
    values = list(swatch.values)
    if swatch.model == "RGB":
        return from_components("srgb", values, 1.0, where), ""
    if swatch.model == "Gray":
        return from_components("srgb", values * 3, 1.0, where), ""
    if swatch.model == "LAB":
        parsed = from_components("lab", [values[0] * 100, values[1], values[2]], 1.0, where)
        return parsed, parsed.note
    cyan, magenta, yellow, black = values
    return cmyk_without_profile((cyan, magenta, yellow, black), where)


def _read(swatch: Swatch) -> SwatchColour:
    """What the palette takes of ``swatch`` (:class:`SwatchColour`)."""
    if swatch.name.startswith("[") and swatch.name.endswith("]"):
        return SwatchColour(swatch.name, swatch.group, None, dropped="an Illustrator swatch, not a brand colour")
    where = f"{swatch.group}/{swatch.name}" if swatch.group else swatch.name
    try:
        parsed, how = _colour(swatch, where)
    except ColorParseError as exc:
        return SwatchColour(swatch.name, swatch.group, None, dropped=exc.message)
    return SwatchColour(swatch.name, swatch.group, parsed, f"{swatch.model} ({swatch.kind})", approximated=how)


def read_ase(path: Path, report: MappingReport) -> BrandDraft:
    """A draft of the palette in the swatch file ``path`` (colours only: see the module docstring)."""
    found = swatches(read_swatch_bytes(path, AseError), path)
    return swatch_draft(path, report, [_read(swatch) for swatch in found], AseError)
