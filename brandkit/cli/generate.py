"""``brandkit compile``, ``generate`` and ``edit``: one request through the SDK, the assets saved and reported."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer

from brandkit.cli.common import (
    EXIT_USAGE,
    Cta,
    Disclaimer,
    Headline,
    JsonOpt,
    Overwrite,
    Provider,
    SpecOpt,
    Subhead,
    emit_json,
    esc,
    exit_code_of,
    fail,
    load_spec_arg,
    make_console,
    map_errors,
    report_rows,
    resolve_provider,
    warn_unsent_seed,
)
from brandkit.cli.output_target import OutputTarget, output_target
from brandkit.cli.recording import DbOpt, EditDbOpt, edit_recorder, output_recorder, report_recording
from brandkit.cli.request_options import RequestOptions, edit_request, with_request_options
from brandkit.errors import BrandViolationError, OutputError, PartialGenerationError

__all__ = ["compile_cmd", "edit_cmd", "generate_cmd", "register"]


OUT_HELP = (
    "Output folder, or the image's file name (.png, .jpg, .webp: the extension chooses the format; more variants "
    "get -2, -3…)."
)


def register(app: typer.Typer) -> None:
    """Add ``compile``, ``generate`` and ``edit`` to ``app``."""
    app.command("compile")(compile_cmd)
    app.command("generate")(generate_cmd)
    app.command("edit")(edit_cmd)


@with_request_options
def compile_cmd(spec: SpecOpt, options: RequestOptions, json_out: JsonOpt = False) -> None:
    """Dry run: show the compiled prompt, parameters and reference images. Spends nothing.

    Takes the request as generate does (--request FILE and the options).
    """
    from brandkit.compile import compile_prompt

    with map_errors(json_out):
        loaded = load_spec_arg(spec)
        prompt = compile_prompt(loaded, options.request())
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
            emit_json(data)
            return
        console = make_console()
        console.rule(f"{loaded.name} · {prompt.format_name} {prompt.size} · {prompt.operation}")
        console.print(prompt.text, markup=False)
        console.rule("parameters")
        console.print_json(json.dumps(prompt.params))
        for ref in refs:
            console.print(
                f"Image {ref['index']}: {ref['role']} — {ref['name']} ({ref['mime']}, {ref['bytes']} bytes)",
                markup=False,
            )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "asset"


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
        "notes": _provider_notes(asset),
        **({"edit": asset.edit.model_dump(mode="json")} if asset.edit is not None else {}),
    }


def _provider_notes(asset: Any) -> list[str]:
    """What the provider said about the call across the asset's attempts (a reference image not applied, a parameter
    left out), each once."""
    notes: list[str] = []
    for attempt in asset.attempts:
        notes += [note for note in attempt.notes if note not in notes]
    return notes


def _save_new(asset: Any, out: Path, stem: str, suffix: str, overwrite: bool) -> Path:
    """Save ``asset`` as ``out/stem+suffix`` — or, unless ``overwrite``, under the first free name ``stem-2``,
    ``stem-3``… (the check and the write are one atomic step in :meth:`Asset.save`, so runs racing for a
    name never replace each other's paid assets). ``suffix`` is always given, so a stem with a dot —
    ``photo.v2-edited`` — is never read as an extension."""
    from brandkit.errors import OutputExistsError

    if overwrite:
        return Path(asset.save(out / f"{stem}{suffix}", overwrite=True))
    for k in range(1, 10_000):
        try:
            return Path(asset.save(out / f"{stem if k == 1 else f'{stem}-{k}'}{suffix}"))
        except OutputExistsError:
            continue
    raise OutputError(f"{out}: no free name for {stem + suffix!r} after 9999 tries", path=str(out))


def _run_assets(
    make: Callable[[Callable[[int, Any], None]], object],
    target: OutputTarget,
    stem: str,
    json_out: bool,
    prompt: Any = None,
    count: int = 1,
    overwrite: bool = False,
    recorder: Any = None,
) -> None:
    """Pre-flight ``target``'s folder for ``count`` images like ``prompt`` (nothing spent if it is unusable or too
    small, or if the file ``--out`` names has another format's extension), make the assets — ``make(save)``
    hands ``save(index, asset)`` each one as soon as it is made, so an
    interruption later loses nothing finished —, save them (never over an existing file unless ``overwrite``); a
    save that fails raises OutputFailedError (exit 4) saying what was kept."""
    from brandkit.outputs import estimate_output_bytes, image_extension, keep_elsewhere, preflight

    out = target.folder
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: output folder is a file", path=str(out))
    images = []
    if prompt is not None:
        target.check_format(str(prompt.params.get("output_format", "png")))
        transparent = prompt.params.get("background") == "transparent"
        images = [(prompt.width, prompt.height, str(prompt.params.get("output_format", "png")), transparent)] * count
    preflight(out, estimate_output_bytes(images))
    written: list[dict[str, Any]] = []
    unsaved: list[tuple[Any, str, OutputError]] = []

    def save(index: int, asset: Any) -> None:
        name, suffix = target.name(stem, index, count)
        suffix = suffix or image_extension(asset.output_format)
        try:
            path = _save_new(asset, out, name, suffix, overwrite)
        except OutputError as exc:
            unsaved.append((asset, name + suffix, exc))
            return
        written.append(_asset_summary(asset, path))
        if recorder is not None:  # after the files are safe; a registry failure is a warning (cli/recording.py)
            recorder.add(asset, path)
        if not json_out:  # said as it is saved: a long run shows each variant as it comes
            _print_saved(asset, written[-1])

    partial: PartialGenerationError[Any] | None = None
    try:
        make(save)
    except PartialGenerationError as exc:  # some variants made (and saved): fail with the first error's code
        partial = exc
    registry = {} if recorder is None else report_recording(recorder, json_out)
    if unsaved:  # paid for, not saved: keep them elsewhere if possible, then say what happened (exit 4)
        items = [(name, asset.cost_usd, asset.save) for asset, name, _ in unsaved]
        raise keep_elsewhere(items, len(written), out, unsaved[0][2])
    if partial is not None:
        _fail_partial(partial, written, registry, json_out)
    if json_out:
        emit_json({"ok": True, "assets": written, **registry})


def _print_saved(asset: Any, info: dict[str, Any]) -> None:
    """One saved asset: its path and cost line (``info``: its ``--json`` summary), what an edit kept, its checks."""
    console = make_console()
    fixes = f", fixes: {', '.join(info['fixes'])}" if info["fixes"] else ""
    console.print(
        f"[bold green]✓[/] {esc(info['path'])}  (attempt {info['attempt']}, {esc(info['provider'])}/"
        f"{esc(info['model'])}, ${info['cost_usd']:.4f}{esc(fixes)})"
    )
    for line in asset.edit.lines() if asset.edit is not None else []:
        console.print(f"  {line}", markup=False)
    for note in info["notes"]:
        console.print(f"  note: {note}", markup=False)
    console.print(report_rows(asset.report))


def _fail_partial(
    partial: PartialGenerationError[Any], written: list[dict[str, Any]], registry: dict[str, Any], json_out: bool
) -> NoReturn:
    """Some of ``n`` variants were made (saved, and printed as they were): say which, and which were not, and exit
    with the code of the first variant error (1 checks failed, 3 provider error, …)."""
    failed = [
        {
            "variant": failure.index + 1,
            "seed": failure.seed,
            "error": None if failure.error is None else f"{type(failure.error).__name__}: {failure.error}",
            "attempted": failure.error is not None,
            # a variant whose checks failed: its best attempt's report, as a lone failed generate prints it
            **(
                {"report": failure.error.report.model_dump_report()}
                if isinstance(failure.error, BrandViolationError) and failure.error.report is not None
                else {}
            ),
        }
        for failure in partial.failures
    ]
    first = partial.first_error
    code = exit_code_of(first) if first is not None else EXIT_USAGE
    paths = ", ".join(str(info["path"]) for info in written) or "none"
    if json_out:
        fail(code, str(partial), True, {"assets": written, "failed": failed, **registry})
    fail(code, f"{partial} — saved: {paths}", False)


@with_request_options
def generate_cmd(
    spec: SpecOpt,
    options: RequestOptions,
    provider: Provider = None,
    n: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--n", min=1, max=10, help="Number of assets (default 1)."),
    ] = None,
    seed: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--seed", help="Seed: repeatable output of the local renderer (not sent to OpenAI)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help=OUT_HELP)] = Path("out"),
    transparent: Annotated[
        bool,
        typer.Option("--transparent", help="A transparent background (png or webp output; the model must allow it)."),
    ] = False,
    overwrite: Overwrite = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Generate validated on-brand assets; writes each image and its sidecar JSON.

    The request comes from the options, or from --request FILE (JSON or YAML: every field the SDK takes), whose
    fields the options given replace. An existing file is never replaced: a taken name gets the next free suffix
    (-2, -3, …) unless --overwrite.
    """
    from brandkit.kit import BrandKit

    chosen = resolve_provider(provider, json_out)
    with map_errors(json_out):
        loaded = load_spec_arg(spec)
        target = output_target(out)
        request = options.request(
            seed=seed,
            n=n,
            output_format=target.image_format,  # -o banner.jpg: a JPEG
            transparent=True if transparent else None,  # checked at compile: png or webp, a model that allows it
        )
        warn_unsent_seed(request.seed, chosen, json_out)
        kit = BrandKit(loaded, provider=chosen)
        stem = f"{_slug(loaded.name)}-{request.format}"
        recorder = output_recorder(db, "generate", target.folder, loaded)
        _run_assets(
            lambda save: kit.generate_many(request, on_asset=save),
            target,
            stem,
            json_out,
            kit.compile(request),
            request.n,
            overwrite,
            recorder,
        )


def edit_cmd(
    spec: SpecOpt,
    image: Annotated[Path, typer.Argument(help="Image to edit.")],
    instruction: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--instruction", "-i", help="What to change (required unless --request gives it)."),
    ] = None,
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
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--format",
            "-f",
            help="Spec format of the edited asset (default: from the image's provenance, else its size): an image "
            "of any other size — a phone photo — is edited into this format.",
        ),
    ] = None,
    mask: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--mask",
            help="PNG with alpha, the image's size: fully transparent where the image may change (the rest stays).",
        ),
    ] = None,
    transparent: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option(
            "--transparent/--opaque",
            help="The edit's background (default: kept — transparent when the edited image's is).",
        ),
    ] = None,
    provider: Provider = None,
    out: Annotated[Path, typer.Option("--out", "-o", help=OUT_HELP)] = Path("out"),
    request_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--request",
            help="An edit request as JSON or YAML (every SDK field; schema: brandkit spec schema --of "
            "edit-request); options given replace its fields.",
        ),
    ] = None,
    overwrite: Overwrite = False,
    db: EditDbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Brand-safe edit: change only what is asked (e.g. localize the headline), keep the rest, check again.

    Copy, legal lines, logo, format, file format and a transparent background not given are kept from the image's
    provenance; the output lists what was kept, changed and removed.
    """
    from brandkit.compile import compile_edit
    from brandkit.edit_inherit import inherit_edit
    from brandkit.edit_mask import check_mask
    from brandkit.imageio import read_bytes
    from brandkit.kit import BrandKit

    chosen = resolve_provider(provider, json_out)
    with map_errors(json_out):
        loaded = load_spec_arg(spec)
        target = output_target(out)
        request = edit_request(
            request_file,
            instruction=instruction,
            keep=keep,
            remove=remove,
            headline=headline,
            subhead=subhead,
            cta=cta,
            locale=locale,
            format=fmt,
            disclaimers=disclaimer,
            transparent=transparent,
            output_format=target.image_format,  # -o edited.jpg: a JPEG (None: kept from the asset)
        )
        kit = BrandKit(loaded, provider=chosen)
        data = read_bytes(image)
        mask_data = None if mask is None else read_bytes(mask)
        if mask_data is not None:
            check_mask(mask_data, data)  # a mask that does not fit: exit 2 before the output folder is touched
        merged = inherit_edit(loaded, request, data).request
        prompt = compile_edit(loaded, merged, data)  # the size the edit will have; sends nothing
        recorder = edit_recorder(db, target.folder, loaded, image)  # its parent's registry: the lineage kept
        _run_assets(
            lambda save: save(0, kit.edit(data, mask=mask_data, request=request)),
            target,
            f"{image.stem}-edited",
            json_out,
            prompt,
            1,
            overwrite,
            recorder,
        )
