"""``brandkit spec import`` and ``brandkit spec export``: bring a brand in from posit brand.yml, W3C design
tokens or AdCP brand.json (with a mapping report), and write a spec back out as DTCG or brand.yml.

Registered on the ``spec`` sub-app by :func:`brandkit.cli._register_extra_commands`; the work is in
:mod:`brandkit.spec.importers`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer


def _print_report(report: Any) -> None:
    from brandkit.cli.common import esc, make_console

    console = make_console()
    console.print(
        f"[bold]{esc(report.brand)}[/]: recognised {report.format} ({esc(report.detected_by)}) in {esc(report.source)}"
    )
    labels = {
        "mapped": "[green]mapped[/]",
        "approximated": "[yellow]approximated[/]",
        "dropped": "[red]dropped[/]",
        "decide": "[cyan]to decide[/]",
    }
    for kind, label in labels.items():
        entries = report.of(kind)
        if not entries:
            continue
        console.print(f"{label} ({len(entries)})")  # our own markup: the label is coloured, nothing else is read
        for e in entries:
            arrow = f" → {e.target}" if e.target else ""
            note = f": {e.note}" if e.note else ""
            console.print(f"  {e.source}{arrow}{note}", markup=False)
    if report.palette_space_share is not None:
        console.print(f"palette covers {report.palette_space_share:.1%} of sRGB colours within its tolerance")
    for note in report.not_used_yet:
        console.print(f"[cyan]not used yet:[/] {esc(note)}", markup=True)
    for warning in report.warnings:
        console.print(f"[bold yellow]warning:[/] {esc(warning)}")
    console.print(f"[bold green]✓[/] wrote {esc(report.out)}")


def register(spec_app: typer.Typer) -> None:
    """Add ``import`` and ``export`` to the ``spec`` sub-app."""

    @spec_app.command("import")
    def import_cmd(
        source: Annotated[
            Path,
            typer.Argument(
                help="Brand file or folder: _brand.yml, *.tokens.json, *.json5, brand.json, *.ase, *.aco, *.css, "
                "tailwind.config.js."
            ),
        ],
        out: Annotated[Path, typer.Option("--out", "-o", help="Spec folder to write (e.g. brand_specs/NAME).")],
        fmt: Annotated[
            str,
            typer.Option(
                "--format", "-f", help="auto, brand-yml, dtcg, adcp, ase, aco, css or tailwind (default: detected)."
            ),
        ] = "auto",
        fonts: Annotated[
            Optional[Path],  # noqa: UP045
            typer.Option("--fonts", help="Folder of TTF/OTF files for families the system lacks (licensed fonts)."),
        ] = None,
        headline_font: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--headline-font", help="Font family for headlines when the source names none."),
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace a non-empty --out folder.")] = False,
        download_fonts: Annotated[
            Optional[bool],  # noqa: UP045
            typer.Option(
                "--download-fonts/--no-download-fonts",
                help="Fonts found nowhere on this machine: by default those the brand file says come from Google "
                "Fonts are downloaded (into the spec folder); --download-fonts tries Google Fonts for any family, "
                "--no-download-fonts none (offline). $BRANDKIT_GOOGLE_FONTS_URL names a mirror of its CSS API.",
            ),
        ] = None,
        json_out: Annotated[
            bool, typer.Option("--json", help="Print the mapping report as one JSON document.")
        ] = False,
    ) -> None:
        """Import a posit brand.yml, W3C design tokens (DTCG; Tokens Studio and Style Dictionary files too), AdCP
        brand.json, an Adobe swatch file (.ase, Photoshop's .aco) or a stylesheet's variables (.css/.scss/.less)
        into a spec folder and print the mapping report: mapped, approximated (how), dropped (why), and what is
        still to decide."""
        from brandkit.cli.common import emit_json, map_errors
        from brandkit.spec.importers.font_download import FontDownload
        from brandkit.spec.importers.importer import import_brand

        with map_errors(json_out):
            downloads: FontDownload = "declared" if download_fonts is None else "always" if download_fonts else "never"
            results = import_brand(
                source, out, fmt, fonts_dir=fonts, headline_font=headline_font, force=force, download_fonts=downloads
            )
            if json_out:
                emit_json({"ok": True, "brands": [r.report.as_dict() for r in results]})
                return
            for result in results:
                _print_report(result.report)

    @spec_app.command("export")
    def export_cmd(
        spec: Annotated[Path, typer.Argument(help="Spec folder or brand.yaml.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the exported brand into.")],
        fmt: Annotated[str, typer.Option("--format", "-f", help="dtcg or brand-yml.")] = "dtcg",
        force: Annotated[
            bool, typer.Option("--force", help="Replace files already in --out that have other contents.")
        ] = False,
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Write a brandkit spec out as W3C design tokens (DTCG) or posit brand.yml, with its logos and fonts (a
        file already there with other contents is refused without --force)."""
        from brandkit.cli.common import emit_json, esc, load_spec_arg, make_console, map_errors
        from brandkit.spec.importers.export import export_spec

        with map_errors(json_out):
            written = export_spec(load_spec_arg(spec), out, fmt, force=force)
            if json_out:
                emit_json({"ok": True, "format": fmt, "files": [str(p) for p in written]})
                return
            make_console().print(f"[bold green]✓[/] wrote {len(written)} file(s) into {esc(out)}")
