"""``brandkit compile``, ``generate`` and ``edit``: one request through the SDK, the assets saved and reported."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from brandkit.cli.common import (
    Cta,
    Disclaimer,
    Headline,
    JsonOpt,
    ModeOpt,
    Overwrite,
    Provider,
    SpecOpt,
    Subhead,
    emit_json,
    load_spec_arg,
    make_console,
    map_errors,
    resolve_provider,
    warn_unsent_seed,
)
from brandkit.cli.output_target import output_target
from brandkit.cli.recording import DbOpt, EditDbOpt, edit_recorder, output_recorder
from brandkit.cli.request_options import RequestOptions, edit_request, with_request_options
from brandkit.cli.saving import run_assets
from brandkit.errors import BrandViolationError

if TYPE_CHECKING:
    from brandkit.kit import BrandKit
    from brandkit.models import EditRequest

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
def compile_cmd(spec: SpecOpt, options: RequestOptions, mode: ModeOpt = None, json_out: JsonOpt = False) -> None:
    """Dry run: show the compiled prompt, parameters and reference images. Spends nothing.

    Takes the request as generate does (--request FILE and the options).
    """
    from brandkit.compile import compile_prompt

    with map_errors(json_out):
        loaded = load_spec_arg(spec, mode)
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


def _edit_one(
    kit: BrandKit,
    data: bytes,
    mask: bytes | None,
    request: EditRequest,
    save: Callable[[int, Any], None],
    rejected: Callable[[int, Any], None],
) -> None:
    """Make the edit and hand it to ``save`` — or, when its checks failed on every attempt, hand the error (its best
    attempt) to ``rejected`` and raise it."""
    try:
        asset = kit.edit(data, mask=mask, request=request)
    except BrandViolationError as exc:
        rejected(0, exc)
        raise
    save(0, asset)


@with_request_options
def generate_cmd(
    spec: SpecOpt,
    options: RequestOptions,
    mode: ModeOpt = None,
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
        loaded = load_spec_arg(spec, mode)
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
        run_assets(
            lambda save, rejected: kit.generate_many(request, on_asset=save, on_rejected=rejected),
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
    mode: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--mode",
            help="The palette mode to edit into (palette.modes, e.g. dark, or default for the spec's own colours): a "
            "re-theme when the image was made in another (default: the one the image's provenance names).",
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
    from brandkit.edit_input import prepare_edit
    from brandkit.edit_mask import check_mask
    from brandkit.imageio import read_bytes
    from brandkit.kit import BrandKit
    from brandkit.kit_args import image_to_edit

    chosen = resolve_provider(provider, json_out)
    with map_errors(json_out):
        loaded = load_spec_arg(spec)
        target = output_target(out)
        request = edit_request(
            request_file,
            palette_mode=mode,  # the request's: checked against the spec's modes by inherit_edit below
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
        data = image_to_edit(image)  # a file that cannot be edited: refused naming it
        mask_data = None if mask is None else read_bytes(mask)
        with kit.resources.active():  # the kit's memo: its edit below reuses this reduction of a camera master
            sent = prepare_edit(data, mask_data)  # as the edit will send them: upright, a camera master reduced
        if sent.mask is not None:
            check_mask(sent.mask, sent.image)  # a mask that does not fit: exit 2 before the output folder is touched
        inherited = inherit_edit(loaded, request, sent.image)  # in the asset's palette mode when made in one
        retheme = inherited.report.retheme
        prompt = compile_edit(inherited.spec, inherited.request, sent.image, retheme=retheme)  # the edit's size
        recorder = edit_recorder(db, target.folder, loaded, image)  # its parent's registry: the lineage kept
        run_assets(
            lambda save, rejected: _edit_one(kit, data, mask_data, request, save, rejected),
            target,
            f"{image.stem}-edited",
            json_out,
            prompt,
            1,
            overwrite,
            recorder,
        )
