"""``import_brand``: detect the format, read it, build the spec, write the folder, keep the report."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from brandkit.documents import read_document
from brandkit.errors import OutputFolderError, SpecError
from brandkit.spec.formats import (
    FORMAT_TITLES,
    MAX_DETECT_BYTES,
    QUARTO_FILES,
    FormatName,
    detect_data,
    detect_path,
    quarto_inline_brand,
)
from brandkit.spec.importers.aco import read_aco
from brandkit.spec.importers.adcp import read_adcp
from brandkit.spec.importers.ase import read_ase
from brandkit.spec.importers.brand_yml import read_brand_yml
from brandkit.spec.importers.build import build_spec
from brandkit.spec.importers.css_vars import read_css
from brandkit.spec.importers.draft import DraftFont
from brandkit.spec.importers.dtcg import read_dtcg
from brandkit.spec.importers.font_download import FontDownload, FontFetcher
from brandkit.spec.importers.fonts import weight_of
from brandkit.spec.importers.report import MappingReport
from brandkit.spec.importers.tailwind_config import read_tailwind_config
from brandkit.spec.importers.writer import write_spec_folder
from brandkit.spec.models import BrandSpec

__all__ = ["ImportResult", "MappingReport", "import_brand"]


@dataclass
class ImportResult:
    """One imported brand: its report, the folder written and the spec loaded back from it."""

    report: MappingReport
    out: Path
    spec: BrandSpec


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "brand"


def _refuse_replacing_inputs(out: Path, source: Path, fonts_dir: Path | None) -> None:
    """An ``out`` that is, or holds, the brand being imported (or the fonts folder) is refused: writing the spec
    replaces ``out`` whole (with ``--force``), which would delete the files being read."""
    real_out = out.resolve()
    for what, given in (("the brand being imported", source), ("the fonts folder", fonts_dir)):
        if given is None:
            continue
        real = given.resolve()
        if real == real_out or real_out in real.parents:
            raise OutputFolderError(
                f"{out}: it holds {what} ({given}); writing the spec there replaces the folder and would delete "
                "it: choose another --out",
                str(out),
                "holds_source",
            )


def import_brand(
    path: Path,
    out: Path,
    fmt: str = "auto",
    *,
    fonts_dir: Path | None = None,
    headline_font: str | None = None,
    force: bool = False,
    download_fonts: FontDownload = "declared",
    fonts_url: str | None = None,
) -> list[ImportResult]:
    """Import the brand file or folder at ``path`` into a spec folder at ``out``.

    ``fmt`` is ``auto`` (detected; the report says from what), ``brand-yml``, ``dtcg`` or ``adcp``. An AdCP house
    file with several brands writes one folder per brand under ``out`` (``out/<brand id>``). Fonts named by family
    are looked up in the brand's own files, ``fonts_dir`` (default: a ``fonts`` folder beside the source) and the
    system; one found nowhere is downloaded from Google Fonts when ``download_fonts`` allows it (``declared``: the
    families the source says come from there; ``always``: any; ``never``) — from ``fonts_url`` (a mirror of the
    Google Fonts CSS API; default ``$BRANDKIT_GOOGLE_FONTS_URL``, else Google's) — and written into the spec folder.
    Raises :class:`~brandkit.errors.SpecError` subclasses naming the file, field or family.
    """
    if download_fonts not in ("declared", "always", "never"):
        raise SpecError(f"download_fonts {download_fonts!r}: expected declared, always or never")
    fetcher = FontFetcher(download_fonts, fonts_url) if fonts_url else FontFetcher(download_fonts)
    _refuse_replacing_inputs(out, path, fonts_dir)
    if fmt == "auto":
        detected, why, file = detect_path(path)
    elif fmt in FORMAT_TITLES:
        detected, why, file = fmt, "--format", path  # type: ignore[assignment]
        if (path.is_dir() or path.name in QUARTO_FILES) and fmt != "dtcg":
            detected, _, file = detect_path(path)
            if detected != fmt:
                raise SpecError(f"{path}: the brand file found is {FORMAT_TITLES[detected]}, not {FORMAT_TITLES[fmt]}")
    else:
        raise SpecError(f"--format {fmt!r}: expected auto, {', '.join(FORMAT_TITLES)}")
    chosen: FormatName = detected

    def new_report() -> MappingReport:
        return MappingReport(format=FORMAT_TITLES[chosen], source=str(file), detected_by=why)

    if chosen == "dtcg":
        drafts = [read_dtcg(file, new_report())]
    elif chosen == "ase":
        drafts = [read_ase(file, new_report())]
    elif chosen == "aco":
        drafts = [read_aco(file, new_report())]
    elif chosen == "css":
        drafts = [read_css(file, new_report(), project=path if path.is_dir() else None)]
    elif chosen == "tailwind":
        drafts = [read_tailwind_config(file, new_report())]
    else:
        inline = quarto_inline_brand(file) if file.name in QUARTO_FILES else None
        data = inline[0] if inline else read_document(file, max_bytes=MAX_DETECT_BYTES, what="brand file", json5=True)
        seen = detect_data(data)
        if fmt != "auto" and seen is not None and seen[0] != chosen:
            raise SpecError(f"{file}: this is {FORMAT_TITLES[seen[0]]} ({seen[1]}), not {FORMAT_TITLES[chosen]}")
        if chosen == "brand-yml":
            report = new_report()
            if inline and inline[1]:  # brand: {light: {…}, dark: {…}}
                report.approximated("brand", f"brand.{inline[1]}", "a Quarto brand with themes: this one is read")
            if inline and inline[2]:
                report.dropped(f"brand.{inline[2]}", "brandkit reads one theme of a brand: the light one")
            drafts = [read_brand_yml(data, file, report)]
        else:
            drafts = read_adcp(data, file, new_report)
    results: list[ImportResult] = []
    several = len(drafts) > 1
    for i, draft in enumerate(drafts):
        if headline_font and "headline" not in draft.fonts:
            draft.fonts["headline"] = DraftFont(headline_font, weight_of(None, 700), "--headline-font")
        elif "headline" not in draft.fonts and draft.default_font is not None:
            draft.fonts["headline"] = replace(draft.default_font, weight=700)
            draft.fonts["body"] = draft.default_font
            draft.report.approximated("typography", "typography.headline, typography.body", draft.default_font_note)
        base_fonts = fonts_dir or (draft.base_dir / "fonts" if (draft.base_dir / "fonts").is_dir() else None)
        built = build_spec(draft, base_fonts, fetcher)
        target = out / _slug(draft.name) if several else out
        if several:
            draft.report.mapped(f"brands[{i}]", str(target), "a house file: one spec folder per brand")
        spec = write_spec_folder(built, draft.report, target, force=force)
        draft.report.out = str(target)
        results.append(ImportResult(draft.report, target, spec))
    return results
