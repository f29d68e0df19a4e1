"""What an importer reads from a foreign brand file, before it becomes a brandkit spec (:mod:`.build`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brandkit.errors import SpecError
from brandkit.paths import confined_file
from brandkit.spec.importers.logos import ink_tone
from brandkit.spec.importers.report import MappingReport

#: brandkit's six palette roles, and where the other semantic roles of brand formats go (kept in palette.roles)
CORE_ROLES = ("primary", "secondary", "accent", "neutral", "background", "text")
STATUS_ROLES = frozenset({"success", "info", "warning", "danger", "error", "destructive", "critical", "focus"})
"""Roles of an interface's states: given the accent role, never guessed as the brand's primary."""
ROLE_FALLBACK = {
    "brand": "primary",  # Tailwind's --color-brand, a token file's color.brand: the brand's own colour
    "foreground": "text",
    "fg": "text",
    "heading": "text",
    "body": "text",
    "label": "text",
    "tertiary": "accent",
    "success": "accent",
    "info": "accent",
    "warning": "accent",
    "danger": "accent",
    "error": "accent",
    "link": "accent",
    "highlight": "accent",
    "light": "neutral",
    "dark": "neutral",
    "border": "neutral",
    "divider": "neutral",
    "muted": "neutral",  # shadcn/ui's muted surface
    "surface": "background",
    "surface_1": "background",
    "surface_2": "background",
    "bg": "background",
}


@dataclass
class DraftColor:
    """A named colour of the source file (``#RRGGBB`` + alpha) with where it came from."""

    name: str
    hex: str
    alpha: float
    source: str


@dataclass
class DraftLogo:
    """A logo file (local path) with its variant name and the backgrounds it is for."""

    variant: str
    path: Path
    backgrounds: list[str]
    source: str
    alt: str = ""
    placements: list[str] | None = None
    clear_space: float | None = None
    min_width_px: int | None = None
    max_width_share: float | None = None


@dataclass
class DraftFont:
    """A font by family (and weight), with candidate files the source names (local paths)."""

    family: str
    weight: int
    source: str
    files: list[Path] = field(default_factory=list)
    origin: str = ""  # e.g. "google", "system", "file"
    stand_ins: tuple[str, ...] = ()
    """Families that may stand in for ``family``: the other named families of a font stack that asks for the
    platform's UI font (``-apple-system, 'Segoe UI', Roboto, sans-serif``), tried in order when it is not found."""


@dataclass
class BrandDraft:
    """A brand read from a foreign file, format-independent; :func:`brandkit.spec.importers.build.build_spec`
    turns it into a spec. Every field is optional except the name; the report records every decision."""

    name: str
    report: MappingReport
    base_dir: Path
    description: str = ""
    colors: list[DraftColor] = field(default_factory=list)
    #: semantic role (primary, success, link, …) → colour name in ``colors``, in the source's order
    roles: dict[str, str] = field(default_factory=dict)
    #: mode (e.g. dark) → semantic role or colour name → (hex, alpha)
    modes: dict[str, dict[str, str]] = field(default_factory=dict)
    logos: list[DraftLogo] = field(default_factory=list)
    fonts: dict[str, DraftFont] = field(default_factory=dict)  # headline / body / cta
    tone: list[str] = field(default_factory=list)
    do: list[str] = field(default_factory=list)
    dont: list[str] = field(default_factory=list)
    disclaimers: list[str] = field(default_factory=list)
    imagery_forbidden: list[str] = field(default_factory=list)
    style: dict[str, str] = field(default_factory=dict)
    logo_placement: str | None = None
    logo_clear_space: float | None = None
    #: brandkit-only settings carried by an export's extension (forbidden, formats, generation, checks, repair,
    #: palette and typography rules), merged into the spec as they are
    settings: dict[str, Any] = field(default_factory=dict)
    #: the font the format's own renderer sets the brand in when the file names none (brand.yml: Quarto's Bootstrap
    #: default stack) — used for headlines and body unless ``--headline-font`` names one; reported when used
    default_font: DraftFont | None = None
    default_font_note: str = ""

    def color(self, name: str) -> DraftColor | None:
        """Colour by name (case-insensitive)."""
        folded = name.casefold()
        return next((c for c in self.colors if c.name.casefold() == folded), None)

    def add_color(self, color: DraftColor) -> DraftColor:
        """Add ``color`` unless a colour of that name exists; returns the colour kept."""
        existing = self.color(color.name)
        if existing is not None:
            return existing
        self.colors.append(color)
        return color


def local_file(ref: str, base: Path, what: str, where: str, source: str, project: Path | None = None) -> Path:
    """The file ``ref`` (relative to the brand file's folder ``base``) names, confined to that folder like a spec's
    assets: no absolute paths, no ``..``, no symlinks leading out. Raises :class:`SpecError` naming ``where``.

    Inside a Quarto project (``project``: the folder holding ``_quarto.yml``, see :func:`quarto_project`) paths
    are read as Quarto reads them: ``/assets/logo.svg`` from the project's folder, ``../logos/logo.png`` from the
    brand file's folder — and confined to the project instead."""
    try:
        if project is None:
            return confined_file(ref, base, relative_only=True, what=what, folder="the brand file's folder")
        text = ref.replace("\\", "/")
        if text.startswith("/"):
            text, base = text.lstrip("/"), project
        if not text or Path(text).expanduser().is_absolute() or (len(text) > 1 and text[1] == ":"):
            raise SpecError(f"{what} path {ref!r} must be relative to the brand file's folder or start with '/'")
        folder = f"the Quarto project ({project})"
        return confined_file(text, base, allowed=(project,), what=what, folder=folder, allow_option="")
    except SpecError as exc:
        raise SpecError(f"{source}: {where}: {exc.message}") from None


def quarto_project(folder: Path) -> Path | None:
    """The Quarto project ``folder`` is in: the nearest folder at or above it holding ``_quarto.yml`` (or
    ``_quarto.yaml``), else None."""
    real = folder.resolve()
    for candidate in (real, *real.parents):
        if (candidate / "_quarto.yml").is_file() or (candidate / "_quarto.yaml").is_file():
            return candidate
    return None


def logo_folder(draft: BrandDraft, base_dir: Path, carrier: str, beside: str) -> None:
    """The SVG/PNG/WebP files of a ``logos/`` folder beside a source that carries no logo (design tokens, a swatch
    file) as logo variants, for dark backgrounds when the name says so (``dark``, ``inverse``, ``white``…);
    ``carrier`` / ``beside`` word the report ("design tokens carry" … "the tokens")."""
    folder = base_dir / "logos"
    if not folder.is_dir():
        draft.report.decide("logos", f"{carrier} no logo; put SVG/PNG files in a logos/ folder beside them")
        return
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() not in (".svg", ".png", ".webp"):
            continue
        words = set(re.split(r"[^a-z]+", file.stem.casefold()))
        named = "dark" if words & {"dark", "inverse", "reversed", "white", "negative"} else "light"
        if not file.is_file() or file.is_symlink():
            draft.report.dropped(f"logos/{file.name}", "not a regular file")
            continue
        # the ink decides: 'logo-dark' is a dark-ink logo in some brand kits and the dark-mode (light-ink) one in others
        measured = ink_tone(file)
        tone = measured or named
        why = f"its ink is {'light' if tone == 'dark' else 'dark'}"
        if measured is None:  # an opaque file, or a mid-tone ink
            why = "from its name" if named == "dark" else "the default: its ink is not clearly light or dark"
        if measured is not None and measured != named and words & {"dark", "light", "white", "black"}:
            why += ", whatever its name says"
        draft.logos.append(DraftLogo(file.stem, file, [tone], f"logos/{file.name}"))
        draft.report.approximated(
            f"logos/{file.name}", f"logos[{file.stem}]", f"a logo beside {beside}; for {tone} backgrounds ({why})"
        )


def humanize(path: str) -> str:
    """``color.brand.blue-600`` → ``Brand Blue 600`` (drops a leading ``color``/``colors``/``palette``)."""
    parts = [p for p in path.replace("_", " ").replace("-", " ").replace(".", " ").split() if p]
    while len(parts) > 1 and parts[0].casefold() in ("color", "colors", "colour", "colours", "palette"):
        parts = parts[1:]
    return " ".join(p if p.isdigit() else p[:1].upper() + p[1:] for p in parts)[:80] or path[:80]
