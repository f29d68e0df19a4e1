"""Photoshop's colour swatches (``.aco``) → :class:`BrandDraft`: the palette a designer saves from Photoshop.

The format (Adobe's *Photoshop File Formats Specification*, "Color Swatches"; big-endian 16-bit words): a palette
is a version word (1 or 2), a colour count, then per colour a colour space and four 16-bit values; a version 2
palette follows each colour with its name (a 32-bit count of UTF-16 code units, its terminating null included).
Photoshop 7 and later write a version 1 palette (for older releases) followed by the same colours as a version 2
palette, and read the version 2 palette when there is one; brandkit does the same. A file has no signature: it is
recognised by its ``.aco`` name and read strictly — a count that runs past the end, a name longer than the file,
a version other than 1 or 2 are refused naming the byte. How each colour space is read:

* RGB (0, values 0–65535; Photoshop writes an 8-bit value *v* as *v* × 257): exact (8-bit rounding);
* HSB (1, hue 0–65535 round the circle, saturation and brightness 0–65535): exact, through sRGB;
* Lab (7, L 0–10000, a and b signed −12800…12700, hundredths; D50): as CSS ``lab()`` (Bradford to sRGB's D65,
  gamut-mapped when outside sRGB) — reported;
* CMYK (2, 0 = 100 % ink) — converted **without a print profile**, approximated and reported;
* grey (8, 0–10000 of black ink, 0 white — Photoshop's K %, as GIMP reads it) — approximated: Photoshop shows it
  through its grey working space (Dot Gain 20 % by default), read here as sRGB 1 − K;
* a colour book's colour (3 Pantone, 4 Focoltone, 5 Trumatch, 6 Toyo 88, 10 HKS), and any other space: dropped,
  named (the file names the book colour, with no value brandkit can read without the book).

Names, roles and the report are :mod:`brandkit.spec.importers.swatch_draft`'s (shared with ``.ase``); a version 1
palette's colours have no name and are named by their hex.
"""

from __future__ import annotations

import colorsys
import struct
from dataclasses import dataclass
from pathlib import Path

from brandkit.errors import SpecError
from brandkit.spec.importers.colorspace import ColorParseError, ParsedColor, from_components
from brandkit.spec.importers.draft import BrandDraft
from brandkit.spec.importers.report import MappingReport
from brandkit.spec.importers.swatch_draft import SwatchColour, cmyk_without_profile, read_swatch_bytes, swatch_draft

__all__ = ["AcoPalette", "AcoSwatch", "aco_palette", "read_aco"]

_SPACES = {0: "RGB", 1: "HSB", 2: "CMYK", 7: "Lab", 8: "grey"}
_BOOKS = {3: "Pantone", 4: "Focoltone", 5: "Trumatch", 6: "Toyo 88", 10: "HKS"}
_FULL = 65535.0


class AcoError(SpecError):
    """A Photoshop swatch file that cannot be read; the message names the file and the byte where it went wrong."""


@dataclass(frozen=True)
class AcoSwatch:
    """One colour of a Photoshop swatch file: its name (``""`` in a version 1 palette), colour space and words."""

    name: str
    space: int
    values: tuple[int, int, int, int]


@dataclass(frozen=True)
class AcoPalette:
    """The palette read from a file: the colours, the version they came from, and what else the file held."""

    swatches: list[AcoSwatch]
    version: int
    """2 when a version 2 palette (named colours) was read, else 1."""
    unread: str = ""
    """What was left out, for the report (``""``: nothing): a version 1 palette unlike the version 2 one after it,
    bytes after the palette."""


def _palette(data: bytes, at: int, path: Path, named: bool) -> tuple[list[AcoSwatch], int]:
    """The palette whose header is at byte ``at`` and the byte after it."""
    version, count = struct.unpack_from(">HH", data, at)
    at += 4
    out: list[AcoSwatch] = []
    for i in range(count):
        if at + 10 > len(data):
            raise AcoError(
                f"{path}: the version {version} palette's colour {i + 1} of {count} runs past the end of the file "
                f"at byte {at}"
            )
        space, w, x, y, z = struct.unpack_from(">5H", data, at)
        at += 10
        name = ""
        if named:
            if at + 4 > len(data):
                raise AcoError(f"{path}: colour {i + 1}'s name runs past the end of the file at byte {at}")
            (units,) = struct.unpack_from(">I", data, at)
            stop = at + 4 + 2 * units
            if stop > len(data):
                raise AcoError(f"{path}: colour {i + 1}'s name of {units} characters at byte {at} runs past the end")
            name = data[at + 4 : stop].decode("utf-16-be", errors="replace").rstrip("\x00")
            at = stop
        out.append(AcoSwatch(name, space, (w, x, y, z)))
    return out, at


def _version(data: bytes, path: Path) -> int:
    """The version of the file's first palette (1 or 2); anything else is refused naming the file."""
    if len(data) < 4:
        raise AcoError(f"{path}: {len(data)} byte(s) is too short for a Photoshop swatch file (a 4-byte header)")
    version = int.from_bytes(data[:2], "big")
    if version not in (1, 2):
        raise AcoError(f"{path}: not a Photoshop swatch file: it starts with version {version} (a palette's is 1 or 2)")
    return version


def aco_palette(data: bytes, path: Path) -> AcoPalette:
    """The palette of the Photoshop swatch file ``data`` (read from ``path``, named in errors): its version 2
    palette when it has one, else its version 1 palette."""
    version = _version(data, path)
    first, at = _palette(data, 0, path, named=version == 2)
    unread: list[str] = []
    palette = AcoPalette(first, version)
    if version == 1 and at + 4 <= len(data) and struct.unpack_from(">H", data, at)[0] == 2:
        named, at = _palette(data, at, path, named=True)
        if [(s.space, s.values) for s in named] != [(s.space, s.values) for s in first]:
            unread.append(
                f"a version 1 palette of {len(first)} colour(s) unlike the version 2 palette after it: the version 2 "
                "palette (named) is read, as Photoshop does"
            )
        palette = AcoPalette(named, 2)
    if at < len(data):
        unread.append(f"{len(data) - at} byte(s) after the palette (from byte {at}), not part of the format")
    return AcoPalette(palette.swatches, palette.version, "; ".join(unread))


def _colour(swatch: AcoSwatch, where: str) -> tuple[ParsedColor, str]:
    """The sRGB colour of a swatch in a space of :data:`_SPACES` and how it was read (``""``: exactly)."""
    w, x, y, z = swatch.values
    if swatch.space == 0:
        return from_components("srgb", [w / _FULL, x / _FULL, y / _FULL], 1.0, where), ""
    if swatch.space == 1:
        rgb = colorsys.hsv_to_rgb(w / (_FULL + 1), x / _FULL, y / _FULL)
        return from_components("srgb", list(rgb), 1.0, where), ""
    if swatch.space == 7:
        a, b = (v - 65536 if v >= 32768 else v for v in (x, y))
        parsed = from_components("lab", [w / 100, a / 100, b / 100], 1.0, where)
        return parsed, parsed.note
    if swatch.space == 2:
        return cmyk_without_profile((1 - w / _FULL, 1 - x / _FULL, 1 - y / _FULL, 1 - z / _FULL), where)
    black = min(w, 10000) / 10000
    parsed = from_components("srgb", [1 - black] * 3, 1.0, where)
    return parsed, (
        f"grey {black * 100:g}% black read as {parsed.hex} (sRGB 1 − K): Photoshop shows it through its grey working "
        "space (Dot Gain 20% by default); compare it with the RGB/HEX value of the brand guide"
    )


def _read(swatch: AcoSwatch) -> SwatchColour:
    """What the palette takes of ``swatch`` (:class:`SwatchColour`)."""
    space = _SPACES.get(swatch.space)
    if space is None:
        book = _BOOKS.get(swatch.space)
        why = (
            f"a {book} colour: the file names it in its colour book, with no value brandkit can read — add its "
            "RGB/HEX from the brand guide"
            if book
            else f"colour space {swatch.space}, which brandkit does not read — add its RGB/HEX from the brand guide"
        )
        return SwatchColour(swatch.name or f"colour space {swatch.space}", "", None, dropped=why)
    try:
        parsed, how = _colour(swatch, swatch.name or space)
    except ColorParseError as exc:
        return SwatchColour(swatch.name, "", None, dropped=exc.message)
    return SwatchColour(swatch.name, "", parsed, space, approximated=how)


def read_aco(path: Path, report: MappingReport) -> BrandDraft:
    """A draft of the palette in the Photoshop swatch file ``path`` (colours only: see the module docstring)."""
    palette = aco_palette(read_swatch_bytes(path, AcoError), path)
    if palette.unread:
        report.dropped(path.name, palette.unread)
    if palette.version == 1:
        report.approximated("palette", "colour names", "a version 1 palette has no names: each is named by its hex")
    return swatch_draft(path, report, [_read(swatch) for swatch in palette.swatches], AcoError)
