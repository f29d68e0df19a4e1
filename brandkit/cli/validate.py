"""``brandkit validate FILE...``: every check on existing images, one result per file as it finishes.

The files are checked by :func:`brandkit.validate_many.validate_files` (``--jobs`` worker processes, each with its
own kit); the loop in :func:`validate_cmd` is the one place each file's result is handled — kept, recorded in the
registry, streamed. Registered by :func:`brandkit.cli.register_commands`.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from brandkit.cli.common import (
    EXIT_CHECKS,
    EXIT_OK,
    EXIT_USAGE,
    Cta,
    Disclaimer,
    Headline,
    JsonOpt,
    ModeOpt,
    SpecOpt,
    Subhead,
    esc,
    load_spec_arg,
    make_console,
    map_errors,
    print_audit_summary,
    report_rows,
    stderr_line,
    visible,
)
from brandkit.cli.recording import DbOpt, report_recording, validate_recorder
from brandkit.cli.request_options import asset_request

if TYPE_CHECKING:  # rich is imported when a console is made: a --json run never needs it
    from rich.console import Console

__all__ = ["register", "validate_cmd"]

_TABLES_UP_TO = 20  # files; above it each file is one line (with the failed checks) and the summary follows


def register(app: typer.Typer) -> None:
    """Add ``validate`` to ``app``."""
    app.command("validate")(validate_cmd)


def validate_cmd(
    spec: SpecOpt,
    images: Annotated[
        list[str],
        typer.Argument(
            help="Images, folders (searched recursively for image files) or glob patterns (quote them: 'a/**/*.png').",
            show_default=False,
            metavar="IMAGE|DIR|GLOB",
        ),
    ],
    headline: Headline = None,
    subhead: Subhead = None,
    cta: Cta = None,
    disclaimer: Disclaimer = None,
    mode: ModeOpt = None,
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
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--out",
            "-o",
            help="Append one JSON line per file (fsynced as each finishes), then the summary, to this JSONL file.",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Skip the files --out already holds with the same content (sha256), checked against this spec "
            "and expected copy by this version's checks.",
        ),
    ] = False,
    shard: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--shard", help="Check only shard I of N (I/N, e.g. 2/8): a stable share of the files."),
    ] = None,
    warm: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option(
            "--warm/--no-warm",
            help="Build the palette's figures table and the logo features in the warm cache before checking "
            "(default: from 200 files on; the table costs ~5-10 s and 144 MiB once per palette).",
        ),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    report: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--report",
            help="Also write a verification report with evidence (heat map, OCR boxes, logo, contrast, score): "
            "a .html page or .json file (one image), or a folder: <stem>.html and <stem>.json per image.",
        ),
    ] = None,
    report_format: Annotated[
        str, typer.Option("--report-format", help="native, or adcp (an AdCP get_creative_features response, JSON).")
    ] = "native",
) -> None:
    """Run every check on existing images (recorded in the registry: --db, $BRANDKIT_DB or one beside them).

    The expected copy is --headline/--subhead/--cta/--disclaimer when given, else the copy recorded in each
    image's embedded provenance. A malformed or foreign record is reported ("provenance unreadable: …"), never
    fatal. Each file is reported by name as it finishes (progress and time left on stderr); a file that cannot
    be read is reported and the others go on. Folders and patterns audit a whole library: --out keeps the results
    (--resume continues an interrupted audit), --shard splits it across machines, and a summary ends the run
    (pass rate per check, worst offenders). Exit 0 all passed · 1 some failed checks · 2 some file could not be
    read (or a usage/spec error).
    """
    from brandkit.audit import audit, extension_summary
    from brandkit.cli.ordered_json import OrderedEntries, emit_json_with_list
    from brandkit.evidence.files import ReportWriter
    from brandkit.variants.eta import EtaEstimator, format_eta

    as_json = json_out or jsonl
    with map_errors(as_json), contextlib.ExitStack() as stack:
        loaded = load_spec_arg(spec, mode)
        expected = None
        if headline or subhead or cta or disclaimer:  # the caller's copy, checked once for every image
            expected = asset_request(
                None,
                brief="validate an existing image",
                headline=headline,
                subhead=subhead,
                cta=cta,
                format="-",
                disclaimers=disclaimer,
            )
        run = audit(
            loaded,
            images,
            spec_source=spec,
            jobs=jobs,
            out=out,
            resume=resume,
            shard=shard,
            expected=expected,
            fmt=fmt,
            warm=warm,
        )
        todo = [item.path for item in run.todo]
        reports = None  # --report: one verification report per image (brandkit/evidence/files.py)
        if report is not None:
            reports = ReportWriter(report, todo, report_format, expected=expected, spec_format=fmt)
        recorder = validate_recorder(db, [item.path for item in run.files], loaded)
        # --json: each file's entry kept on disk as it finishes, printed in the order given (flat memory)
        entries = stack.enter_context(OrderedEntries(len(todo))) if json_out else None
        console = None if json_out or jsonl else make_console()  # --json / --jsonl: no rich at all
        total = len(run.files)
        if run.resumed:
            stderr_line(f"resumed: {run.resumed} of {total} file(s) already in {out}")
        if run.skipped:
            count = len(run.skipped)
            stderr_line(
                f"left out: {count} macOS metadata file(s) (AppleDouble ._name, not images): {_first(run.skipped)}"
            )
        if run.other:
            kinds = extension_summary(run.other)
            stderr_line(
                f"left out: {len(run.other)} other file(s), not images brandkit reads ({kinds}): {_first(run.other)}"
            )
        if run.rechecked:
            stderr_line(
                f"checked again: {run.rechecked} file(s) in {out} were checked against another version of the spec, "
                "other expected copy, or by an older brandkit whose figures meant something else"
            )
        eta = EtaEstimator()
        eta.start(total, settled=run.resumed)
        for done, item in enumerate(run, start=run.resumed + 1):
            # the one place each file's result is handled: kept, recorded, streamed
            result = item.result
            if recorder is not None and result.report is not None:
                recorder.judged(result.report, result.path, result.sha256)
            written: list[Path] = []
            if reports is not None and result.report is not None:
                written = reports.write(loaded, result.index, result.path, result.report)
                for file in written:
                    stderr_line(f"report: {visible(file)}")
            if entries is not None:
                entries.put(result.index, _file_entry(result, written))
            eta.update(done)
            stderr_line(
                f"[{done}/{total}] {item.record.state}: {visible(result.path)} · {format_eta(eta.remaining_s())}"
            )
            if jsonl:
                sys.stdout.write(json.dumps(_file_entry(result, written), ensure_ascii=False, default=str) + "\n")
                sys.stdout.flush()
            elif console is not None:
                _print_file_result(console, result, table=total <= _TABLES_UP_TO)
        registry = report_recording(recorder, as_json)
        summary = run.summary
        code = EXIT_USAGE if summary.unreadable else EXIT_CHECKS if summary.failed else EXIT_OK
        counts = {"ok": code == EXIT_OK, "exit_code": code, "files": summary.files, "failed": summary.failed}
        counts["unreadable"] = summary.unreadable
        audit_summary = summary.model_dump(mode="json")
        if jsonl:
            line = {"summary": True, **counts, "audit": audit_summary, **registry}
            sys.stdout.write(json.dumps(line, default=str) + "\n")
        elif entries is not None:
            emit_json_with_list({**counts, "images": None, "audit": audit_summary, **registry}, "images", entries)
        elif console is not None:
            print_audit_summary(console, summary)
        if code != EXIT_OK:
            raise typer.Exit(code)


def _file_entry(result: Any, report_files: Sequence[Path]) -> dict[str, Any]:
    """One file's JSON record: its path and report, or its path and the error that made it unreadable; and
    ``report_files``, the verification reports ``--report`` wrote for it (paths; empty without ``--report``)."""
    files = [str(file) for file in report_files]
    if result.report is None:
        return {"path": str(result.path), "error": result.error, "report_files": files}
    return {"path": str(result.path), **result.report.model_dump_report(), "report_files": files}


def _print_file_result(console: Console, result: Any, table: bool = True) -> None:
    """One file's result: its line, and (``table``) its provenance note and every check's row."""
    report = result.report
    if report is None:
        console.print(f"[bold red]✗ unreadable[/] {esc(visible(result.path))}: {esc(str(result.error))}")
        return
    mark = "[bold green]✓ passed[/]" if report.passed else "[bold red]✗ failed[/]"
    if not table:  # an audit of many files: one line each (the JSON forms and --out keep every check)
        failed = ", ".join(check.name for check in report.failures)
        console.print(f"{mark} {esc(visible(result.path))}" + (f": {esc(failed)}" if failed else ""))
        return
    console.print(f"{mark} {esc(visible(result.path))}")
    if report.provenance is not None and report.provenance.status == "unreadable":
        console.print(f"[yellow]{esc(report.provenance.message)}[/]")
    for note in (report.provenance.reduced, report.provenance.layout) if report.provenance is not None else ():
        if note:
            console.print(f"note: {esc(note)}")
    console.print(report_rows(report))


def _first(paths: list[Path]) -> str:
    """The first three of ``paths`` as shown (``visible``), then "…" when there are more."""
    return ", ".join(visible(path) for path in paths[:3]) + (", …" if len(paths) > 3 else "")
