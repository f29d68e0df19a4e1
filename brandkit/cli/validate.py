"""``brandkit validate FILE...``: every check on existing images, one result per file as it finishes.

The files are checked by :func:`brandkit.validate_many.validate_files` (``--jobs`` worker processes, each with its
own kit); the loop in :func:`validate_cmd` is the one place each file's result is handled — kept, recorded in the
registry, streamed. Registered by :func:`brandkit.cli.register_commands`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from brandkit.cli.common import (
    EXIT_CHECKS,
    EXIT_OK,
    EXIT_USAGE,
    Cta,
    Disclaimer,
    Headline,
    JsonOpt,
    SpecOpt,
    Subhead,
    build_request,
    emit_json,
    load_spec_arg,
    make_console,
    map_errors,
    report_rows,
)
from brandkit.cli.recording import DbOpt, report_recording, validate_recorder

__all__ = ["register", "validate_cmd"]


def register(app: typer.Typer) -> None:
    """Add ``validate`` to ``app``."""
    app.command("validate")(validate_cmd)


def validate_cmd(
    spec: SpecOpt,
    images: Annotated[list[Path], typer.Argument(help="Images to validate.")],
    headline: Headline = None,
    subhead: Subhead = None,
    cta: Cta = None,
    disclaimer: Disclaimer = None,
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", "-f", help="Spec format of the images (default: the one of their size)."),
    ] = None,
    jobs: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--jobs", "-j", min=1, help="Files checked in parallel, one process each (default: the cores)."),
    ] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Print one JSON line per file as it finishes, then a summary line.")
    ] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run every check on existing images (recorded in the registry: --db, $BRANDKIT_DB or one beside them).

    The expected copy is --headline/--subhead/--cta/--disclaimer when given, else the copy recorded in each
    image's embedded provenance. A malformed or foreign record is reported ("provenance unreadable: …"), never
    fatal. Each file is reported by name as it finishes (progress on stderr); a file that cannot be read is
    reported and the others go on. Exit 0 all passed · 1 some failed checks · 2 some file could not be read
    (or a usage/spec error).
    """
    from brandkit.validate_many import validate_files

    as_json = json_out or jsonl
    with map_errors(as_json):
        loaded = load_spec_arg(spec)
        expected = None
        if headline or subhead or cta or disclaimer:  # the caller's copy, checked once for every image
            expected = build_request(
                "validate an existing image", headline, subhead, cta, "-", None, 1, disclaimer, "auto"
            )
        recorder = validate_recorder(db, images, loaded)
        results: list[Any] = [None] * len(images)
        progress = make_console(stderr=True)
        console = make_console()
        finished = validate_files(loaded, spec, images, expected=expected, fmt=fmt, jobs=jobs)
        for done, result in enumerate(finished, start=1):
            # the one place each file's result is handled: kept, recorded, streamed
            results[result.index] = result
            if recorder is not None and result.report is not None:
                recorder.judged(result.report, result.path)
            state = "unreadable" if result.report is None else "passed" if result.passed else "failed"
            progress.print(f"[{done}/{len(images)}] {state}: {result.path}", markup=False)
            if jsonl:
                sys.stdout.write(json.dumps(_file_entry(result), ensure_ascii=False, default=str) + "\n")
                sys.stdout.flush()
            elif not json_out:
                _print_file_result(console, result)
        registry = report_recording(recorder, as_json)
        unreadable = sum(1 for r in results if r.report is None)
        failed = sum(1 for r in results if r.report is not None and not r.report.passed)
        code = EXIT_USAGE if unreadable else EXIT_CHECKS if failed else EXIT_OK
        summary = {"ok": code == EXIT_OK, "exit_code": code, "files": len(images), "failed": failed}
        summary["unreadable"] = unreadable
        if jsonl:
            sys.stdout.write(json.dumps({"summary": True, **summary, **registry}, default=str) + "\n")
        elif json_out:
            emit_json({**summary, "images": [_file_entry(r) for r in results], **registry})
        else:
            passed = len(images) - unreadable - failed
            console.print(f"{len(images)} file(s): {passed} passed, {failed} failed, {unreadable} unreadable")
        if code != EXIT_OK:
            raise typer.Exit(code)


def _file_entry(result: Any) -> dict[str, Any]:
    """One file's JSON record: its path and report, or its path and the error that made it unreadable."""
    if result.report is None:
        return {"path": str(result.path), "error": result.error}
    return {"path": str(result.path), **result.report.model_dump_report()}


def _print_file_result(console: Console, result: Any) -> None:
    report = result.report
    if report is None:
        console.print(f"[bold red]✗ unreadable[/] {escape(str(result.path))}: {escape(str(result.error))}")
        return
    mark = "[bold green]✓ passed[/]" if report.passed else "[bold red]✗ failed[/]"
    console.print(f"{mark} {escape(str(result.path))}")
    if report.provenance is not None and report.provenance.status == "unreadable":
        console.print(f"[yellow]{escape(report.provenance.message)}[/]")
    console.print(report_rows(report))
