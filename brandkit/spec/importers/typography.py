"""The ``typography`` section of an imported spec: each role's font found — the brand's files, a fonts folder, the
system, a stand-in of a system-UI stack, a download — copied into the spec with its licence, every decision in the
draft's report (:func:`typography_section`, which :func:`brandkit.spec.importers.build.build_spec` calls)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from brandkit.errors import SpecError
from brandkit.spec.importers.draft import BrandDraft, DraftFont
from brandkit.spec.importers.font_download import FontDownloadError, FontFetcher
from brandkit.spec.importers.fonts import FontFace, FontNotFoundError, resolve_font

_LICENSE_NAMES = re.compile(r"^(ofl|license|licence|copying)([._-].*)?$|\.license(\.txt)?$", re.IGNORECASE)


def typography_section(
    draft: BrandDraft, files: dict[str, bytes], fonts_dir: Path | None, fetcher: FontFetcher
) -> dict[str, Any]:
    """The spec's ``typography`` entries for headline, body and CTA; their font (and licence) files added to
    ``files``. Raises :class:`~brandkit.errors.SpecError` subclasses naming the family and where it was looked for."""
    report = draft.report
    if "headline" not in draft.fonts:
        raise SpecError(
            f"{report.source}: the {report.format} file names no font family brandkit can use for headlines; "
            "add one, or pass --headline-font FAMILY"
        )
    typography: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="brandkit-fonts-") as downloads:  # what is downloaded, until copied
        folder = Path(downloads)
        for role in ("headline", "body", "cta"):
            font = draft.fonts.get(role)
            if font is not None:
                face, fetched_from, family = _find_font(font, fonts_dir, fetcher, folder)
                typography[role] = _font_entry(draft, role, family, font.weight, face, fetched_from, files)
    return typography


def _find_font(
    font: DraftFont, fonts_dir: Path | None, fetcher: FontFetcher, folder: Path
) -> tuple[FontFace, str, str]:
    """The face that draws ``font``, the URL it was downloaded from ("" when found here) and its family: the family
    on this machine, else a stand-in of its stack on this machine, else the first of them the fetcher downloads."""
    candidates = [font, *(replace(font, family=name, files=[], stand_ins=()) for name in font.stand_ins)]
    searched: list[str] = []
    for candidate in candidates:
        try:
            return resolve_font(candidate, fonts_dir), "", candidate.family
        except FontNotFoundError as exc:
            searched = searched or exc.searched
    failed: list[FontDownloadError] = []
    for candidate in (candidate for candidate in candidates if fetcher.wants(candidate)):
        try:
            face, url = fetcher.fetch(candidate, folder)
            return face, url, candidate.family
        except FontDownloadError as exc:
            failed.append(exc)
    if len(failed) > 1:  # a stack's families, each refused: say why for each
        why = "; ".join(f"{exc.family}: {exc.reason}" for exc in failed)
        raise FontDownloadError(
            font.family, font.source, failed[0].url, f"each family of its stack was refused ({why})"
        )
    if failed:
        raise failed[0]
    stack = f", nor any family of its stack ({', '.join(font.stand_ins)})" if font.stand_ins else ""
    raise FontNotFoundError(font.family, font.source, searched, stack + fetcher.hint(font))


def _font_entry(
    draft: BrandDraft, role: str, family: str, weight: int, face: FontFace, fetched_from: str, files: dict[str, bytes]
) -> dict[str, Any]:
    """The spec's entry for one font role, its file (and licence) added to ``files``, the decision reported."""
    report = draft.report
    font = draft.fonts[role]
    name = f"fonts/{face.path.name}"
    files[name] = face.path.read_bytes()
    entry: dict[str, Any] = {"file": name, "family": family, "weight": weight}
    licence = _licence_beside(face.path) if not fetched_from else None
    if licence is not None:
        lic_name = f"fonts/{licence.name}"
        files[lic_name] = licence.read_bytes()
        entry["license"] = lic_name
    elif fetched_from:
        page = f"https://fonts.google.com/specimen/{family.strip().replace(' ', '+')}/license"
        report.decide(
            f"typography.{role}.license",
            f"{face.path.name} was downloaded from Google Fonts, whose families are under the SIL Open Font "
            f"License, Apache 2.0 or the Ubuntu Font Licence: add its licence file ({page})",
        )
    else:
        report.decide(f"typography.{role}.license", f"no licence file found beside {face.path.name}: add one")
    weight_note = (
        f" (weight {face.weight_min}–{face.weight_max}, asked {weight})"
        if not face.weight_min <= weight <= face.weight_max
        else ""
    )
    target = f"typography.{role} = {name}"
    how = f"downloaded from Google Fonts ({fetched_from})" if fetched_from else f"resolved to {face.path}"
    if family != font.family:
        how += f", standing in for {font.family!r} (not found): the stack asks for the platform's UI font"
    if weight_note or family != font.family:
        report.approximated(font.source, target, f"family {family!r} {how}{weight_note}")
    else:
        report.mapped(font.source, target, f"family {family!r} {how}")
    return entry


def _licence_beside(font: Path) -> Path | None:
    for candidate in sorted(font.parent.iterdir()) if font.parent.is_dir() else []:
        if candidate.is_file() and _LICENSE_NAMES.search(candidate.name) and candidate.stat().st_size < 1 << 20:
            return candidate
    return None
