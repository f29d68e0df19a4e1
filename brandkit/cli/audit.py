"""``brandkit audit summary FILE...``: one summary of an audit split into shards (:mod:`brandkit.audit.combine`),
printed as ``brandkit validate`` prints an audit's (``cli/common.py::print_audit_summary``).

An audit runs as ``brandkit validate DIR --shard I/N --out audit-I.jsonl`` on N machines; this command reads the N
JSONL files back and prints what one run over the whole library would have printed — counts, each check's pass
rate, the worst offenders — after saying which shards it holds. A missing shard or a run that did not finish makes
it exit 2 (``--allow-partial``: summarise what is there and exit as for complete results). ``--db`` (with
``--spec``) records the combined results in one registry (:func:`brandkit.audit.recording.record_combined`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from brandkit.cli.common import (
    EXIT_CHECKS,
    EXIT_OK,
    EXIT_USAGE,
    JsonOpt,
    emit_json,
    esc,
    load_spec_arg,
    make_console,
    map_errors,
    print_audit_summary,
    visible,
)
from brandkit.errors import RequestError

__all__ = ["register"]

audit_app = typer.Typer(
    help="Audits of asset libraries (run with brandkit validate DIR --out): combine the shards' results.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``audit`` group (``summary``)."""
    app.add_typer(audit_app, name="audit")


@audit_app.command("summary")
def summary_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="The audit JSONL files (brandkit validate --out), e.g. one per shard; quoted glob patterns too.",
            show_default=False,
            metavar="AUDIT.jsonl",
        ),
    ],
    worst: Annotated[int, typer.Option("--worst", min=1, help="How many worst offenders to list.")] = 10,
    allow_partial: Annotated[
        bool,
        typer.Option(
            "--allow-partial", help="Summarise even when a shard is missing or a run did not finish (else exit 2)."
        ),
    ] = False,
    db: Annotated[
        Optional[Path],  # noqa: UP045 - typer needs Optional
        typer.Option(
            "--db",
            help="Also record every file's latest result in this registry (SQLite; created if needed), one run: "
            "the shards' results in one review queue. Needs --spec. Nothing is recorded from an incomplete "
            "combination unless --allow-partial.",
        ),
    ] = None,
    spec: Annotated[
        Optional[Path],  # noqa: UP045 - typer needs Optional
        typer.Option("--spec", "-s", help="With --db: the brand spec the audits were made against (checked)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """One summary of several audit files: the shards of brandkit validate DIR --shard I/N --out.

    A file checked in several runs keeps its latest result. Files audited against different versions of the brand
    (spec fingerprints), or shards of different splits, are refused. --db records the combined results in one
    registry (paths as the audits found them: run it where they ran, or where the library sits at the same paths).
    Exit 0 all passed · 1 some file failed its checks · 2 some file could not be read, a shard is missing or a run
    did not finish (unless --allow-partial), or --db could not record a file.
    """
    from brandkit.audit import combine_audits

    with map_errors(json_out):
        if (db is None) != (spec is None):
            raise RequestError(
                "--db needs --spec: the brand spec the audits were made against (the registry keeps its rules)"
                if spec is None
                else "--spec is read with --db only (the summary needs no spec: the audits name theirs)",
                field="spec" if spec is None else "db",
                value=None if spec is None else str(spec),
            )
        loaded = load_spec_arg(spec) if spec is not None else None
        combined = combine_audits(files, worst=worst)
        summary = combined.summary
        problems = combined.problems()
        if problems and not allow_partial:
            code = EXIT_USAGE
        else:
            code = EXIT_USAGE if summary.unreadable else EXIT_CHECKS if summary.failed else EXIT_OK
        registry: dict[str, Any] = {}
        if db is not None and loaded is not None:
            if problems and not allow_partial:
                registry = {"registry": None}
                make_console(stderr=True).print(
                    f"note: not recorded in {db}: the combination is incomplete (--allow-partial records what is "
                    "there)",
                    markup=False,
                )
            else:
                from brandkit.audit.recording import record_combined

                recorded = record_combined(combined, db, loaded).model_dump(mode="json")
                registry = {"registry": recorded}
                _print_recording(recorded, json_out)
                if recorded["unrecorded"]:  # what --db was asked for did not happen: a script must not read success
                    code = EXIT_USAGE
        if json_out:
            emit_json(
                {
                    "ok": code == EXIT_OK,
                    "exit_code": code,
                    "complete": combined.complete,
                    "problems": problems,
                    **combined.model_dump(mode="json"),
                    **registry,
                }
            )
        else:
            console = make_console()
            for source in combined.sources:
                shard = f"shard {source.shard}" if source.shard else "no shard"
                state = "finished" if source.finished else "did not finish"
                console.print(f"{visible(source.path)}: {shard}, {source.files} file(s), {state}", markup=False)
            if combined.repeated:
                console.print(
                    f"{len(combined.repeated)} file(s) checked in several runs: the latest result kept", markup=False
                )
            print_audit_summary(console, summary)
            for problem in problems:
                make_console(stderr=True).print(f"[bold yellow]incomplete:[/] {esc(problem)}", markup=True)
        if code != EXIT_OK:
            raise typer.Exit(code)


def _print_recording(recorded: dict[str, Any], json_out: bool) -> None:
    """What ``--db`` recorded, on stderr (its warnings always; the counts unless ``--json`` carries them)."""
    console = make_console(stderr=True)
    for warning in recorded["warnings"]:
        console.print(f"[bold yellow]warning:[/] {esc(warning)}", markup=True)
    if json_out:
        return
    line = (
        f"registry {recorded['db']}: recorded {recorded['recorded']} file(s) (run {recorded['run_id']}), "
        f"{recorded['already']} already there, {recorded['unreadable']} unreadable (not recorded)"
    )
    if recorded["unrecorded"]:
        line += f", {recorded['unrecorded']} not recorded (registry failure)"
    console.print(line, markup=False)
    if recorded["not_here"] or recorded["changed"]:
        console.print(
            f"note: of the files recorded, {recorded['not_here']} are not at their audited path on this machine and "
            f"{recorded['changed']} hold other bytes than those checked: the review page shows no image (or another "
            "one) for them; record from where the library sits at the audited paths",
            markup=False,
        )
