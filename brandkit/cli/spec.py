"""``brandkit spec check|schema|calibrate|import|export``: the ``spec`` command group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from brandkit.cli.common import JsonOpt, emit_json, esc, load_spec_arg, make_console, map_errors

__all__ = ["register"]


def register(spec_app: typer.Typer) -> None:
    """Add ``check``, ``schema``, ``calibrate``, ``import`` and ``export`` to the ``spec`` group."""
    spec_app.command("check")(spec_check)
    spec_app.command("schema")(spec_schema)
    from brandkit.cli.spec_calibrate import register as register_calibrate
    from brandkit.cli.spec_import import register as register_import

    register_calibrate(spec_app)
    register_import(spec_app)


def spec_check(path: Annotated[Path, typer.Argument(help="Spec folder or file.")], json_out: JsonOpt = False) -> None:
    """Validate a brand spec and check that every asset is usable (decoded, drawn, as compile needs it)."""
    with map_errors(json_out):
        spec = load_spec_arg(path)
        summary = {
            "ok": True,
            "name": spec.name,
            "version": spec.version,
            "source": spec.source,
            "fingerprint": spec.fingerprint,
            "colors": [c.hex for c in spec.palette.colors],
            "modes": {mode: [c.hex for c in spec.palette.for_mode(mode).colors] for mode in spec.palette.modes},
            "logos": [logo.variant for logo in spec.logos],
            "formats": {k: v.size for k, v in spec.formats.items()},
            "forbidden_terms": len(spec.forbidden.terms),
            "required_disclaimers": spec.required.disclaimers,
            "model": spec.generation.model,
            "warnings": _spec_warnings(spec),
        }
        if json_out:
            emit_json(summary)
            return
        console = make_console()
        console.print(f"[bold green]✓[/] {esc(spec.name)} {esc(spec.version)} — {esc(spec.source)}")
        table = Table(show_header=False, box=None)
        keys = ("fingerprint", "colors", *(["modes"] if summary["modes"] else []), "logos")
        for key in (*keys, "formats", "forbidden_terms", "required_disclaimers", "model"):
            table.add_row(key, str(summary[key]))
        console.print(table)
        for warning in summary["warnings"]:
            console.print(f"[bold yellow]warning:[/] {esc(warning)}")


def _spec_warnings(spec: Any) -> list[str]:
    """Spec check warnings: rules that load but are weak (e.g. a palette covering much of colour space, a check
    turned off or made a warning where it blocks by default)."""
    from brandkit.check_catalog import default_policies
    from brandkit.spec.assets import logo_ground_warnings, with_each_mode
    from brandkit.spec.palette_warnings import palette_warnings

    warnings = with_each_mode(spec, lambda s: palette_warnings(s.palette))  # each palette mode's colours too
    warnings += logo_ground_warnings(spec)
    defaults = default_policies()
    off = [name for name in defaults if name in spec.checks and not spec.checks[name].enabled]
    if len(off) == len(defaults):
        warnings.append("every check is disabled (checks.*.enabled: false): every image passes unchecked")
    else:
        warnings += [f"checks.{name}.enabled: false — no image is checked for {name}" for name in off]
    warnings += [
        f"checks.{name}.policy: warn — a failed {name} check never blocks an image (its default is {default})"
        for name, default in defaults.items()
        if name in spec.checks and spec.checks[name].enabled and spec.checks[name].policy == "warn" != default
    ]
    return warnings


def spec_schema(
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the schema to this file.")] = None,  # noqa: UP045
    of: Annotated[
        str,
        typer.Option(
            "--of",
            help="Which document: brand-spec (default), asset-request, edit-request, validation-report, asset-sidecar.",
        ),
    ] = "brand-spec",
    json_out: JsonOpt = False,
) -> None:
    """Print (or write) a JSON Schema generated from the models: the brand spec, or a request or report document."""
    from brandkit.schema import SCHEMA_NAMES, schema_json

    with map_errors(json_out):
        if of not in SCHEMA_NAMES:
            from brandkit.errors import RequestError
            from brandkit.field_errors import suggestion

            raise RequestError(
                f"--of {of!r}: no such schema{suggestion(of, SCHEMA_NAMES)} (the schemas: {', '.join(SCHEMA_NAMES)})",
                field="of",
                value=of,
            )
    text = schema_json(of)
    if out is None:
        sys.stdout.write(text)
        return
    with map_errors(json_out):
        from brandkit.atomic import atomic_write

        atomic_write(out, text.encode("utf-8"))
        if json_out:
            emit_json({"ok": True, "written": str(out)})
        else:
            make_console().print(f"wrote {out}", markup=False)
