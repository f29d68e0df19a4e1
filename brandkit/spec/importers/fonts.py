"""Fonts named by family → a TTF/OTF file: the source's own files, a fonts folder, then the system's fonts
(fontconfig's ``fc-list`` when installed, else the usual font folders). Nothing is downloaded here: a family found
nowhere may be, by :mod:`.font_download`, when the import allows it.

A family is matched on the font's own name table (typographic family, else family), never on a file name,
and never replaced by a look-alike: a family that is not found raises :class:`FontNotFoundError` naming it.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from brandkit.errors import SpecError
from brandkit.spec.importers.draft import DraftFont

FONT_SUFFIXES = (".ttf", ".otf")
SYSTEM_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
_MAX_SCANNED = 5000

WEIGHT_NAMES = {
    "thin": 100, "hairline": 100, "extra-light": 200, "ultra-light": 200, "light": 300, "normal": 400,
    "regular": 400, "book": 400, "medium": 500, "semi-bold": 600, "demi-bold": 600, "bold": 700,
    "extra-bold": 800, "ultra-bold": 800, "black": 900, "heavy": 900, "extra-black": 950, "ultra-black": 950,
}  # fmt: skip
_SLANTS = ("italic", "oblique")


def font_stack(family: str) -> list[str]:
    """The families of a CSS ``font-family`` value (``"'Noto Sans', Aptos, sans-serif"`` → three), unquoted, in
    order; a plain family name is a stack of one."""
    names: list[str] = []
    for part in family.split(","):
        name = part.strip().strip("'\"").strip()
        if name:
            names.append(name)
    return names


SYSTEM_UI_FAMILIES = frozenset({"system-ui", "-apple-system", "blinkmacsystemfont", "ui-sans-serif", "ui-serif"})
"""Names a CSS font stack uses for the platform's own UI font: no font file answers to them."""
GENERIC_FAMILIES = SYSTEM_UI_FAMILIES | {
    "serif", "sans-serif", "monospace", "cursive", "fantasy", "math", "emoji", "fangsong", "ui-monospace", "ui-rounded",
}  # fmt: skip


def brand_family(stack: list[str]) -> tuple[str | None, tuple[str, ...]]:
    """The family a font stack names for the brand, and the families that may stand in for it.

    The first family that is not a CSS generic (``sans-serif``) or a name for the platform's UI font
    (``-apple-system``, ``system-ui``). A stack that *begins* with the platform's UI font asks for whatever UI font
    the platform has, not for one family: its other named families may stand in, in order (``-apple-system,
    'SF Pro', 'Segoe UI', Roboto, Arial, sans-serif`` → SF Pro, or Segoe UI, Roboto, Arial). Otherwise the first
    named family is the brand's and the rest are a browser's fallbacks, never used instead."""
    named = [family for family in stack if family.casefold() not in GENERIC_FAMILIES]
    if not named:
        return None, ()
    system_first = bool(stack) and stack[0].casefold() in SYSTEM_UI_FAMILIES
    return named[0], tuple(named[1:]) if system_first else ()


def stack_note(stack: list[str], family: str, stand_ins: tuple[str, ...]) -> str:
    """How the mapping report says what a font stack became."""
    if stand_ins:
        return (
            f"a CSS font stack that asks for the platform's UI font ({stack[0]}): {family!r}, or when this machine "
            f"has it not, the first of {list(stand_ins)} found"
        )
    others = [f for f in stack if f != family]
    return f"a CSS font stack: its first family is the brand's; the fallbacks {others} are for browsers"


class FontNotFoundError(SpecError):
    """A font family the brand names is neither in its files, the fonts folder nor installed on this system."""

    def __init__(self, family: str, source: str, searched: list[str], hint: str = "") -> None:
        self.family = family
        self.searched = list(searched)
        super().__init__(
            f"{source}: font family {family!r} not found{hint}; searched {', '.join(searched)}. It may be a "
            "licensed font: put its TTF/OTF files in a folder and pass --fonts DIR, or install it"
        )


def weight_of(value: object, default: int = 400) -> int:
    """A CSS weight (number or name) → 1–1000; ``default`` for None."""
    if value is None:
        return default
    if isinstance(value, bool):
        raise SpecError(f"font weight {value!r} is not a weight")
    if isinstance(value, int | float):
        return max(1, min(1000, int(value)))
    if isinstance(value, str):
        text = value.strip().casefold()
        if text.isdigit():
            return max(1, min(1000, int(text)))
        # a design tool's style name: "SemiBold", "Extra Light", "Bold Italic" (the slant is not a weight)
        key = "".join(word for word in text.replace("-", " ").replace("_", " ").split() if word not in _SLANTS)
        named = {name.replace("-", ""): weight for name, weight in WEIGHT_NAMES.items()}
        if key in named:
            return named[key]
        if not key and text:  # "Italic" alone: the regular weight
            return 400
    raise SpecError(f"font weight {value!r} is neither a number nor a CSS weight name")


@dataclass(frozen=True)
class FontFace:
    """What a font file says about itself."""

    path: Path
    family: str
    weight_min: int
    weight_max: int
    italic: bool


def _norm(name: str) -> str:
    return "".join(name.casefold().split())


def read_face(path: Path) -> FontFace | None:
    """The family, weight (range for a variable font) and slant of a font file; None when unreadable."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(str(path), lazy=True, fontNumber=0) as font:
            name = font["name"]
            family = name.getDebugName(16) or name.getDebugName(1) or ""
            os2 = font.get("OS/2")
            weight = int(os2.usWeightClass) if os2 is not None else 400
            italic = bool(os2 is not None and os2.fsSelection & 1) or "italic" in (name.getDebugName(2) or "").lower()
            low = high = weight
            if "fvar" in font:
                for axis in font["fvar"].axes:
                    if axis.axisTag == "wght":
                        low, high = int(axis.minValue), int(axis.maxValue)
    except (TTLibError, OSError, KeyError, ValueError, AssertionError, struct.error):
        return None
    return FontFace(path, family, low, high, italic) if family else None


def _folder_fonts(folder: Path) -> list[Path]:
    found: list[Path] = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in FONT_SUFFIXES and path.is_file():
            found.append(path)
            if len(found) >= _MAX_SCANNED:
                break
    return found


def system_font_files(family: str) -> tuple[list[Path], str]:
    """Font files of ``family`` installed on this system, and how they were looked up."""
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run(
                [fc_list, "--format", "%{file}\n", ":family=" + re.sub(r"([\\:,=\-])", r"\\\1", family)],
                capture_output=True, text=True, timeout=20, check=False,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            out = None
        if out is not None and out.returncode == 0:
            files = [Path(line) for line in out.stdout.splitlines() if line.strip()]
            usable = [f for f in files if f.suffix.lower() in FONT_SUFFIXES]
            others = sorted({f.suffix.lower() for f in files} - set(FONT_SUFFIXES))
            note = f"; installed only as {', '.join(others)}, which a spec cannot use" if others and not usable else ""
            return usable, f"the system fonts (fc-list{note})"
    files = []
    for folder in SYSTEM_FONT_DIRS:
        path = Path(folder).expanduser()
        if path.is_dir():
            files += _folder_fonts(path)
    return files, "the system font folders (" + ", ".join(SYSTEM_FONT_DIRS) + ")"


def _best(faces: list[FontFace], family: str, weight: int) -> FontFace | None:
    wanted = _norm(family)
    matching = [f for f in faces if _norm(f.family) == wanted]
    if not matching:
        return None

    def distance(face: FontFace) -> tuple[int, int, str]:
        off = (
            0
            if face.weight_min <= weight <= face.weight_max
            else min(abs(face.weight_min - weight), abs(face.weight_max - weight))
        )
        return (int(face.italic), off, str(face.path))

    return min(matching, key=distance)


def resolve_font(font: DraftFont, fonts_dir: Path | None) -> FontFace:
    """The font file that draws ``font``: its own files, then ``fonts_dir``, then the system.

    Raises :class:`FontNotFoundError` naming the family and every place searched.
    """
    searched: list[str] = []
    stages: list[tuple[str, list[Path]]] = []
    if font.files:
        stages.append(("the files the brand file lists", [f for f in font.files if f.is_file()]))
    if fonts_dir is not None:
        stages.append((f"the fonts folder {fonts_dir}", _folder_fonts(fonts_dir) if fonts_dir.is_dir() else []))
    system, how = system_font_files(font.family)
    stages.append((how, system))
    for label, files in stages:
        searched.append(label)
        faces = [face for face in (read_face(path) for path in files) if face is not None]
        best = _best(faces, font.family, font.weight)
        if best is not None:
            return best
    raise FontNotFoundError(font.family, font.source, searched)
