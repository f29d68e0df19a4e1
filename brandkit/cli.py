"""The ``brandkit`` command line (typer + rich). ``--json`` on every command prints one JSON document.

Exit codes: 0 ok · 1 checks failed · 2 usage or spec error (an unusable output folder too: nothing was spent) ·
3 provider error · 4 output failed (paid results could not be written: saved / kept / lost are reported).
A new command is a function here decorated with ``@app.command()`` (or on a sub-app); it calls the SDK,
never the pipeline internals.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.console import Console
from rich.table import Table

from brandkit.cli_review import DbOpt, output_recorder, report_recording
from brandkit.errors import (
    BrandkitError,
    BrandViolationError,
    ImageInputError,
    OutputError,
    OutputFailedError,
    OutputFolderError,
    ProviderError,
    RequestError,
    SpecError,
)

EXIT_OK, EXIT_CHECKS, EXIT_USAGE, EXIT_PROVIDER = 0, 1, 2, 3
EXIT_OUTPUT = 4

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Brand-safe AI image generation: specs, prompts, generation and validation.",
)
spec_app = typer.Typer(no_args_is_help=True, help="Brand spec tools.")
app.add_typer(spec_app, name="spec")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
SpecOpt = Annotated[Path, typer.Option("--spec", "-s", help="Brand spec folder or brand.yaml/.json file.")]


def _print_version(value: bool) -> None:
    if value:
        from brandkit import __version__

        sys.stdout.write(f"brandkit {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Brand-safe AI image generation: specs, prompts, generation and validation."""


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, soft_wrap=True, highlight=False)


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _fail(code: int, message: str, as_json: bool, extra: dict[str, Any] | None = None) -> NoReturn:
    if as_json:
        _emit_json({"ok": False, "exit_code": code, "error": message, **(extra or {})})
    else:
        _console(stderr=True).print(f"[bold red]error:[/] {message}", markup=True)
    raise typer.Exit(code)


@contextmanager
def _errors(as_json: bool) -> Iterator[None]:
    """Map brandkit errors to exit codes and clear messages."""
    try:
        yield
    except typer.Exit:
        raise
    except BrandViolationError as exc:
        extra = {"report": exc.report.model_dump_report() if exc.report else None, "attempts": len(exc.attempts)}
        _fail(EXIT_CHECKS, str(exc), as_json, extra)
    except ProviderError as exc:
        _fail(
            EXIT_PROVIDER,
            f"{type(exc).__name__}: {exc}",
            as_json,
            {"request_id": exc.request_id, "status_code": exc.status_code, "code": exc.code},
        )
    except SpecError as exc:
        _fail(EXIT_USAGE, str(exc), as_json, {"issues": [i.as_dict() for i in exc.issues]})
    except OutputFolderError as exc:
        _fail(EXIT_USAGE, f"{type(exc).__name__}: {exc}", as_json, {"path": exc.path, "problem": exc.problem})
    except OutputFailedError as exc:
        counts: dict[str, Any] = {"saved": exc.saved, "kept": exc.kept, "lost": exc.lost, "kept_at": exc.kept_at}
        _fail(EXIT_OUTPUT, f"{type(exc).__name__}: {exc}", as_json, {**counts, "cost_usd": round(exc.cost_usd, 6)})
    except (RequestError, ImageInputError, OutputError) as exc:
        _fail(EXIT_USAGE, f"{type(exc).__name__}: {exc}", as_json)
    except BrandkitError as exc:
        _fail(EXIT_USAGE, f"{type(exc).__name__}: {exc}", as_json)


def _load(spec: Path) -> Any:
    from brandkit.spec.loader import load_spec

    return load_spec(spec)


# --- spec ----------------------------------------------------------------------------------------------------


@spec_app.command("check")
def spec_check(path: Annotated[Path, typer.Argument(help="Spec folder or file.")], json_out: JsonOpt = False) -> None:
    """Validate a brand spec and check that every asset is usable (decoded, drawn, as compile needs it)."""
    with _errors(json_out):
        spec = _load(path)
        summary = {
            "ok": True,
            "name": spec.name,
            "version": spec.version,
            "source": spec.source,
            "fingerprint": spec.fingerprint,
            "colors": [c.hex for c in spec.palette.colors],
            "logos": [logo.variant for logo in spec.logos],
            "formats": {k: v.size for k, v in spec.formats.items()},
            "forbidden_terms": len(spec.forbidden.terms),
            "required_disclaimers": spec.required.disclaimers,
            "model": spec.generation.model,
            "warnings": _spec_warnings(spec),
        }
        if json_out:
            _emit_json(summary)
            return
        console = _console()
        console.print(f"[bold green]✓[/] {spec.name} {spec.version} — {spec.source}")
        table = Table(show_header=False, box=None)
        for key in ("fingerprint", "colors", "logos", "formats", "forbidden_terms", "required_disclaimers", "model"):
            table.add_row(key, str(summary[key]))
        console.print(table)
        for warning in summary["warnings"]:
            console.print(f"[bold yellow]warning:[/] {warning}")


def _spec_warnings(spec: Any) -> list[str]:
    """Spec check warnings: rules that load but are weak (e.g. a palette covering much of colour space)."""
    from brandkit.spec.palette import palette_warnings

    return palette_warnings(spec.palette)


@spec_app.command("schema")
def spec_schema(
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the schema to this file.")] = None,  # noqa: UP045
    json_out: JsonOpt = False,
) -> None:
    """Print (or write) the JSON Schema of the brand spec, generated from the models."""
    from brandkit.schema import spec_schema_json

    text = spec_schema_json()
    if out is None:
        sys.stdout.write(text)
        return
    with _errors(json_out):
        from brandkit.asset import atomic_write

        atomic_write(out, text.encode("utf-8"))
        if json_out:
            _emit_json({"ok": True, "written": str(out)})
        else:
            _console().print(f"wrote {out}")


# --- compile / generate / edit / validate --------------------------------------------------------------------


def _request(
    brief: str,
    headline: str | None,
    subhead: str | None,
    cta: str | None,
    fmt: str,
    seed: int | None,
    n: int,
    disclaimer: list[str] | None,
    background: str,
) -> Any:
    from brandkit.models import AssetRequest

    return AssetRequest(  # a bad value raises RequestValidationError naming the field (exit 2)
        brief=brief,
        headline=headline,
        subhead=subhead,
        cta=cta,
        format=fmt,
        seed=seed,
        n=n,
        disclaimers=disclaimer or [],
        background=background,
    )


Brief = Annotated[str, typer.Option("--brief", "-b", help="What the image should show.")]
Headline = Annotated[Optional[str], typer.Option("--headline", help="Exact headline.")]  # noqa: UP045
Subhead = Annotated[Optional[str], typer.Option("--subhead", help="Exact subheading.")]  # noqa: UP045
Cta = Annotated[Optional[str], typer.Option("--cta", help="Exact button label.")]  # noqa: UP045
Fmt = Annotated[str, typer.Option("--format", "-f", help="Format name from the spec.")]
Disclaimer = Annotated[Optional[list[str]], typer.Option("--disclaimer", help="Extra legal line (repeatable).")]  # noqa: UP045
Background = Annotated[str, typer.Option("--background", help="light, dark or auto.")]
Provider = Annotated[Optional[str], typer.Option("--provider", "-p", help="local (offline) or openai.")]  # noqa: UP045
Overwrite = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace files of the same name in the output folder (default: never; a taken name gets -2, -3, …).",
    ),
]


@app.command("compile")
def compile_cmd(
    spec: SpecOpt,
    brief: Brief,
    headline: Headline = None,
    subhead: Subhead = None,
    cta: Cta = None,
    fmt: Fmt = "square",
    disclaimer: Disclaimer = None,
    background: Background = "auto",
    json_out: JsonOpt = False,
) -> None:
    """Dry run: show the compiled prompt, parameters and reference images. Spends nothing."""
    from brandkit.compile import compile_prompt

    with _errors(json_out):
        loaded = _load(spec)
        prompt = compile_prompt(loaded, _request(brief, headline, subhead, cta, fmt, None, 1, disclaimer, background))
        refs = [
            {"index": r.index, "role": r.role, "name": r.name, "mime": r.mime, "bytes": len(r.data), "sha256": r.sha256}
            for r in prompt.references
        ]
        if json_out:
            data = prompt.model_dump(mode="json", exclude={"layout"})
            data.update(
                ok=True,
                references=refs,
                prompt_hash=prompt.prompt_hash,
                endpoint=f"/v1/images/{'edits' if prompt.operation == 'edit' else 'generations'}",
            )
            _emit_json(data)
            return
        console = _console()
        console.rule(f"{loaded.name} · {prompt.format_name} {prompt.size} · {prompt.operation}")
        console.print(prompt.text, markup=False)
        console.rule("parameters")
        console.print_json(json.dumps(prompt.params))
        for ref in refs:
            console.print(f"Image {ref['index']}: {ref['role']} — {ref['name']} ({ref['mime']}, {ref['bytes']} bytes)")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "asset"


def _resolve_provider(provider: str | None, as_json: bool) -> str:
    if provider is None:
        if not os.environ.get("OPENAI_API_KEY"):
            _fail(
                EXIT_USAGE,
                "no OpenAI API key: set OPENAI_API_KEY to use the OpenAI provider, or run offline "
                "with the built-in renderer: --provider local",
                as_json,
            )
        return "openai"
    if provider not in ("local", "openai"):
        _fail(EXIT_USAGE, f"unknown provider {provider!r}: use --provider local or --provider openai", as_json)
    if provider == "openai" and not os.environ.get("OPENAI_API_KEY"):
        _fail(EXIT_USAGE, "--provider openai needs OPENAI_API_KEY; to run offline use --provider local", as_json)
    return provider


def _report_rows(report: Any) -> Table:
    table = Table("check", "status", "score", "policy", "note")
    colors = {"passed": "green", "failed": "red", "not_checked": "yellow", "skipped": "dim"}
    for name, res in report.checks.items():
        note = res.hint or res.details.get("reason") or ""
        score = "" if res.score is None else f"{res.score:.3f}"
        table.add_row(
            name, f"[{colors.get(res.status.value, 'white')}]{res.status.value}[/]", score, res.policy, str(note)[:80]
        )
    return table


def _asset_summary(asset: Any, path: Path) -> dict[str, Any]:
    return {
        "path": str(path),
        "sidecar": str(path) + ".json",
        "passed": asset.report.passed,
        "attempt": asset.attempt_number,
        "attempts": len(asset.attempts),
        "provider": asset.provider,
        "model": asset.model,
        "cost_usd": round(asset.cost_usd, 6),
        "fixes": asset.fixes,
        "checks": asset.report.summary(),
        **({"edit": asset.edit.model_dump(mode="json")} if asset.edit is not None else {}),
    }


def _save_new(asset: Any, out: Path, name: str, overwrite: bool) -> Path:
    """Save ``asset`` as ``out/name`` — or, unless ``overwrite``, under the first free name ``name-2``,
    ``name-3``… (the check and the write are one atomic step in :meth:`Asset.save`, so runs racing for a
    name never replace each other's paid assets)."""
    from brandkit.errors import OutputExistsError

    if overwrite:
        return Path(asset.save(out / name, overwrite=True))
    for k in range(1, 10_000):
        try:
            return Path(asset.save(out / (name if k == 1 else f"{name}-{k}")))
        except OutputExistsError:
            continue
    raise OutputError(f"{out}: no free name for {name!r} after 9999 tries", path=str(out))


def _run_assets(
    make: Callable[[], list[Any]],
    out: Path,
    stem: str,
    json_out: bool,
    prompt: Any = None,
    count: int = 1,
    overwrite: bool = False,
    recorder: Any = None,
) -> None:
    """Pre-flight ``out`` for ``count`` images like ``prompt`` (nothing spent if it is unusable or too small),
    make the assets, save them (never over an existing file unless ``overwrite``); a save that fails raises
    OutputFailedError (exit 4) saying what was kept."""
    from brandkit.outputs import estimate_output_bytes, keep_elsewhere, preflight

    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: output folder is a file", path=str(out))
    images = []
    if prompt is not None:
        transparent = prompt.params.get("background") == "transparent"
        images = [(prompt.width, prompt.height, str(prompt.params.get("output_format", "png")), transparent)] * count
    preflight(out, estimate_output_bytes(images))
    assets = make()
    written: list[dict[str, Any]] = []
    unsaved: list[tuple[Any, str, OutputError]] = []
    for i, asset in enumerate(assets):
        name = f"{stem}{'' if len(assets) == 1 else f'-{i + 1}'}"
        try:
            path = _save_new(asset, out, name, overwrite)
        except OutputError as exc:
            unsaved.append((asset, name, exc))
            continue
        written.append(_asset_summary(asset, path))
        if recorder is not None:  # after the files are safe; a registry failure is a warning (cli_review)
            recorder.add(asset, path)
    registry = {} if recorder is None else report_recording(recorder, json_out)
    if unsaved:  # paid for, not saved: keep them elsewhere if possible, then say what happened (exit 4)
        items = [(name, asset.cost_usd, asset.save) for asset, name, _ in unsaved]
        raise keep_elsewhere(items, len(written), out, unsaved[0][2])
    if json_out:
        _emit_json({"ok": True, "assets": written, **registry})
        return
    console = _console()
    for asset, info in zip(assets, written, strict=True):
        fixes = f", fixes: {', '.join(info['fixes'])}" if info["fixes"] else ""
        console.print(
            f"[bold green]✓[/] {info['path']}  (attempt {info['attempt']}, {info['provider']}/"
            f"{info['model']}, ${info['cost_usd']:.4f}{fixes})"
        )
        for line in asset.edit.lines() if asset.edit is not None else []:
            console.print(f"  {line}", markup=False)
        console.print(_report_rows(asset.report))


@app.command("generate")
def generate_cmd(
    spec: SpecOpt,
    brief: Brief,
    headline: Headline = None,
    subhead: Subhead = None,
    cta: Cta = None,
    fmt: Fmt = "square",
    provider: Provider = None,
    n: Annotated[int, typer.Option("--n", min=1, max=10, help="Number of assets.")] = 1,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for repeatable output.")] = None,  # noqa: UP045
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    disclaimer: Disclaimer = None,
    background: Background = "auto",
    overwrite: Overwrite = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Generate validated on-brand assets; writes each image and its sidecar JSON.

    An existing file is never replaced: a taken name gets the next free suffix (-2, -3, …) unless --overwrite.
    """
    from brandkit.kit import BrandKit

    chosen = _resolve_provider(provider, json_out)
    with _errors(json_out):
        loaded = _load(spec)
        request = _request(brief, headline, subhead, cta, fmt, seed, n, disclaimer, background)
        kit = BrandKit(loaded, provider=chosen)
        stem = f"{_slug(loaded.name)}-{fmt}"
        recorder = output_recorder(db, "generate", out, loaded)
        _run_assets(
            lambda: kit.generate_many(request), out, stem, json_out, kit.compile(request), n, overwrite, recorder
        )


@app.command("edit")
def edit_cmd(
    spec: SpecOpt,
    image: Annotated[Path, typer.Argument(help="Image to edit.")],
    instruction: Annotated[str, typer.Option("--instruction", "-i", help="What to change.")],
    headline: Headline = None,
    subhead: Subhead = None,
    cta: Cta = None,
    keep: Annotated[Optional[list[str]], typer.Option("--keep", help="What must stay (repeatable).")] = None,  # noqa: UP045
    disclaimer: Disclaimer = None,
    locale: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--locale", help="Locale of the edited asset (its required legal lines come from the spec)."),
    ] = None,
    remove: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--remove", help="Copy to take off: headline, subhead, cta or disclaimers (repeatable)."),
    ] = None,
    provider: Provider = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    overwrite: Overwrite = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Brand-safe edit: change only what is asked (e.g. localize the headline), keep the rest, check again.

    Copy, legal lines, logo and format not given are kept from the image's provenance; the output lists
    what was kept, changed and removed.
    """
    from brandkit.compile import compile_edit
    from brandkit.edit_inherit import inherit_edit
    from brandkit.imageio import read_bytes
    from brandkit.kit import BrandKit
    from brandkit.models import EditRequest

    chosen = _resolve_provider(provider, json_out)
    with _errors(json_out):
        loaded = _load(spec)
        fields: dict[str, Any] = {"headline": headline, "subhead": subhead, "cta": cta, "locale": locale}
        if disclaimer:
            fields["disclaimers"] = disclaimer
        request = EditRequest(instruction=instruction, keep=keep or [], remove=remove or [], **fields)
        kit = BrandKit(loaded, provider=chosen)
        data = read_bytes(image)
        merged = inherit_edit(loaded, request, data).request
        prompt = compile_edit(loaded, merged, data)  # the size the edit will have; sends nothing
        recorder = output_recorder(db, "edit", out, loaded)
        recorder.parent_path = image  # the edit's lineage: its parent is the recorded asset it started from
        _run_assets(
            lambda: [kit.edit(data, request=request)],
            out,
            f"{image.stem}-edited",
            json_out,
            prompt,
            1,
            overwrite,
            recorder,
        )


def _register_extra_commands() -> None:
    from brandkit.cli_validate import register as register_validate

    register_validate(app)
    from brandkit.cli_calibrate import register as register_calibrate
    from brandkit.cli_variants import register

    register(app)
    register_calibrate(spec_app)
    from brandkit.cli_spec_import import register as register_spec_import

    register_spec_import(spec_app)
    from brandkit.cli_review import register as register_review

    register_review(app)
    from brandkit.cli_review import review_app
    from brandkit.cli_review_web import register as register_review_web

    register_review_web(review_app)
    from brandkit.cli_provenance import register as register_provenance

    register_provenance(app)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    # `python -m brandkit.cli`: this file runs as `__main__`, a second copy of the module. The command modules
    # import `brandkit.cli`, so run that one (it registers them) rather than registering from this copy, which
    # would import them while they import it.
    from brandkit.cli import main as run_main

    run_main()
else:
    _register_extra_commands()
