"""``brandkit cache warm|info|clear``: the warm disk cache of prepared tables (:mod:`brandkit.warm_cache`).

``warm`` prepares, for each brand given, what its checks need (``BrandKit.warm()``: the palette tables and the
logo's features — stored in the cache for every later process — and the OCR and moderation engines, loaded once
here to prove they load); ``info`` shows the cache folder and its entries by kind; ``clear`` removes them (safe
beside running processes: a removed entry is rebuilt by whoever needs it next).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from brandkit.cli.common import EXIT_USAGE, JsonOpt, emit_json, esc, fail, load_spec_arg, make_console, map_errors

__all__ = ["register"]

cache_app = typer.Typer(
    help="The warm disk cache of prepared tables (palette tables, logo features): warm it for brands, show it, "
    "clear it.",
    no_args_is_help=True,
)

SpecsOpt = Annotated[
    Optional[list[Path]],  # noqa: UP045 - typer reads the annotation at runtime
    typer.Option("--spec", "-s", help="Brand spec folder or brand.yaml/.json file (repeatable)."),
]


def register(app: typer.Typer) -> None:
    """Add the ``cache`` group (``warm``, ``info``, ``clear``)."""
    app.add_typer(cache_app, name="cache")


def _folder() -> Any:
    from brandkit.warm_cache import WarmCache

    return WarmCache.default()


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover - the loop always returns


@cache_app.command("warm")
def cache_warm(specs: SpecsOpt = None, json_out: JsonOpt = False) -> None:
    """Prepare the palette tables and logo features of each brand (and of each of its palette modes) into the
    cache, and load the OCR and moderation engines once (any that cannot load is reported)."""
    if not specs:
        fail(EXIT_USAGE, "cache warm: give at least one --spec (a brand spec folder or file)", json_out)
    with map_errors(json_out):
        from brandkit.kit import BrandKit
        from brandkit.resources import KitResources

        cache = _folder()
        resources = KitResources(warm_cache=cache)  # one set of engines for every brand
        brands: list[dict[str, Any]] = []
        for path in specs:
            loaded = load_spec_arg(path)
            for spec in [loaded, *(loaded.for_mode(mode) for mode in loaded.palette.modes)]:
                kit = BrandKit(spec, provider="local", resources=resources, signer=None)
                warmed = kit.warm()
                brands.append(
                    {
                        "spec": str(path),
                        "name": spec.name,
                        "mode": spec.mode,
                        "seconds": warmed.seconds,
                        "unavailable": warmed.unavailable,
                    }
                )
        ok = not any(brand["unavailable"] for brand in brands)
        result = {"ok": ok, "cache": str(cache.root) if cache.enabled else None, "brands": brands}
        if json_out:
            emit_json(result)
        else:
            console = make_console()
            if not cache.enabled:
                console.print("[bold yellow]warning:[/] the warm cache is disabled: nothing was stored", markup=True)
            for brand in brands:
                parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in brand["seconds"].items())
                named = brand["name"] + (f" ({brand['mode']} mode)" if brand["mode"] else "")
                console.print(f"[bold green]✓[/] {esc(named)}: {esc(parts or 'nothing to prepare')}", markup=True)
                for name, why in brand["unavailable"].items():
                    console.print(f"  [bold red]✗[/] {esc(name)} unavailable: {esc(why)}", markup=True)
            if cache.enabled:
                console.print(f"cache: {cache.root}", markup=False)
        if not ok:
            raise typer.Exit(EXIT_USAGE)


@cache_app.command("info")
def cache_info(json_out: JsonOpt = False) -> None:
    """Show the cache folder ($BRANDKIT_CACHE_DIR, else $XDG_CACHE_HOME/brandkit, else ~/.cache/brandkit) and its
    entries by kind."""
    with map_errors(json_out):
        cache = _folder()
        usage = cache.usage()
        kinds = {kind: {"entries": u.entries, "bytes": u.bytes} for kind, u in sorted(usage.items())}
        total = {"entries": sum(u.entries for u in usage.values()), "bytes": sum(u.bytes for u in usage.values())}
        if json_out:
            document = {"ok": True, "cache": str(cache.root) if cache.enabled else None, "disabled": cache.disabled}
            emit_json({**document, "kinds": kinds, "total": total})
            return
        console = make_console()
        if not cache.enabled:
            console.print(f"warm cache: disabled ({cache.disabled})", markup=False)
            return
        console.print(f"warm cache: {cache.root}", markup=False)
        from rich.table import Table

        table = Table("kind", "entries", "size")
        for kind, row in kinds.items():
            table.add_row(kind, str(row["entries"]), _size(row["bytes"]))
        table.add_row("total", str(total["entries"]), _size(total["bytes"]))
        console.print(table)


@cache_app.command("clear")
def cache_clear(json_out: JsonOpt = False) -> None:
    """Remove every entry of the cache (processes using it meanwhile rebuild what they miss)."""
    with map_errors(json_out):
        cache = _folder()
        removed = cache.clear()
        result = {
            "ok": True,
            "cache": str(cache.root) if cache.enabled else None,
            "removed": {"entries": removed.entries, "bytes": removed.bytes},
        }
        if json_out:
            emit_json(result)
        elif not cache.enabled:
            make_console().print(f"warm cache: disabled ({cache.disabled}); nothing to clear", markup=False)
        else:
            make_console().print(
                f"removed {removed.entries} entries ({_size(removed.bytes)}) from {cache.root}", markup=False
            )
