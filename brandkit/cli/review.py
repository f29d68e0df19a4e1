"""``brandkit review list|show|approve|reject|request-changes|record|export`` (and ``brandkit report``, in
:mod:`brandkit.cli.report`; ``review serve`` in :mod:`brandkit.cli.serve`).

``review_app`` is the Typer group. Every command takes ``--db`` (default ``$BRANDKIT_DB``, else
``out/brandkit.db``); the registry helpers are in :mod:`brandkit.cli.recording`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from brandkit.cli.common import JsonOpt, esc
from brandkit.cli.recording import DbOpt, open_registry

__all__ = ["register", "review_app"]

review_app = typer.Typer(no_args_is_help=True, help="Review recorded assets: list, show, decide, export.")


def register(app: typer.Typer) -> None:
    """Add ``review`` and ``report`` to the ``brandkit`` app (idempotent)."""
    if any(group.name == "review" for group in app.registered_groups):
        return
    from brandkit.cli.report import report_cmd
    from brandkit.cli.serve import register as register_serve

    app.add_typer(review_app, name="review")
    app.command("report")(report_cmd)
    register_serve(review_app)


# --- the review commands ---------------------------------------------------------------------------------------

ReviewerOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--reviewer", help="Who decides (default: $BRANDKIT_REVIEWER, else the login name)."),
]
ReasonOpt = Annotated[Optional[str], typer.Option("--reason", "-r", help="Why (free text).")]  # noqa: UP045
CheckOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--check", help="Take the reason from this failing check of the asset (name and its hint)."),
]
IdsArg = Annotated[list[int], typer.Argument(help="Asset id(s), as `brandkit review list` shows them.")]


def _reviewer(reviewer: str | None) -> str:
    import getpass

    if reviewer:
        return reviewer
    if os.environ.get("BRANDKIT_REVIEWER"):
        return os.environ["BRANDKIT_REVIEWER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers): say who with --reviewer
        return ""


def _reason(reg: Any, asset_id: int, reason: str | None, check: str | None) -> str | None:
    """``--reason``, or the failing check's reason with ``--check`` (which must fail on this asset)."""
    from brandkit.errors import ReviewStateError

    if check is None:
        return reason
    row = reg.get_asset(asset_id).row
    found: list[str] = [r for r in row.failing_reasons if r.split(":", 1)[0] == check]
    if not found:
        failing = ", ".join(r.split(":", 1)[0] for r in row.failing_reasons) or "none"
        raise ReviewStateError(f"asset {asset_id}: check {check!r} does not fail on it (failing: {failing})")
    return found[0] + (f" — {reason}" if reason else "")


def _row_json(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = row.model_dump(mode="json")
    return data


@review_app.command("list")
def review_list(
    db: DbOpt = None,
    run: Annotated[Optional[str], typer.Option("--run", help="Only this run id.")] = None,  # noqa: UP045
    spec: Annotated[Optional[str], typer.Option("--spec", help="Only this spec name.")] = None,  # noqa: UP045
    state: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--state",
            help="pending, approved, rejected, changes_requested or superseded (an undecided variant made again: "
            "the later row is the one to review).",
        ),
    ] = None,
    check_failed: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--check-failed", help="Only assets on which this check blocks."),
    ] = None,
    gates: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--gates", help="passed or failed: only assets whose final report passed (or failed) the gates."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="At most this many rows.")] = 200,
    before: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--before", min=1, help="Only assets recorded before this id: the next page (see the end line)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """List recorded assets, newest first, with their review state; a page at a time (--limit, --before): the
    end line says how many match and how to get the next page (--json: total, next_before)."""
    from rich.table import Table

    from brandkit.cli.common import emit_json, make_console, map_errors
    from brandkit.errors import ReviewStateError
    from brandkit.registry.models import AssetFilter, ReviewState, gates_named

    with map_errors(json_out):
        if state is not None and state not in {s.value for s in ReviewState}:
            allowed = ", ".join(s.value for s in ReviewState)
            raise ReviewStateError(f"--state {state!r}: use one of {allowed}")
        try:
            narrowed = gates_named(gates)
        except ValueError as exc:
            raise ReviewStateError(f"--gates: {exc}") from None
        with open_registry(db) as reg:
            chosen = ReviewState(state) if state is not None else None
            wanted = AssetFilter(
                run=run,
                spec=spec,
                state=chosen,
                check_failed=check_failed,
                gates=narrowed,
                limit=limit,
                before=before,
            )
            page = reg.page_assets(wanted)
        rows, next_before = page.rows, page.next_before
        if json_out:
            emit_json(
                {"ok": True, "total": page.total, "next_before": next_before, "assets": [_row_json(r) for r in rows]}
            )
            return
        table = Table("id", "state", "kind", "gates", "spec", "format", "tries", "$", "file", box=None)
        for column in table.columns[:4]:
            column.no_wrap = True
        table.columns[-1].overflow = "fold"
        colors = {
            "approved": "green",
            "rejected": "red",
            "changes_requested": "yellow",
            "pending": "white",
            "superseded": "bright_black",
        }
        for r in rows:
            table.add_row(
                str(r.id),
                f"[{colors[r.state.value]}]{r.state.value}[/]",
                r.kind,
                "passed" if r.passed else "[red]failed[/]",
                esc(f"{r.spec_name} {r.spec_version or ''}".strip()),
                esc("/".join(x for x in (r.format, r.locale) if x)),
                str(r.attempts),
                f"{r.spend_usd:.3f}",
                esc(Path(r.path).name),
            )
        console = make_console()
        if not console.is_terminal:  # piped: one line per asset, whatever the width
            console.width = 200
        console.print(table)
        if next_before is None and before is None:
            console.print(f"{len(rows)} asset(s)")
        else:  # a page: never a silent cut
            follow = f"; the next page: --before {next_before}" if next_before is not None else "; the last page"
            console.print(f"{len(rows)} of {page.total} asset(s){follow}")


@review_app.command("show")
def review_show(
    asset_id: Annotated[int, typer.Argument(help="Asset id.")], db: DbOpt = None, json_out: JsonOpt = False
) -> None:
    """Everything about one asset: checks per attempt, review history, lineage, the spec's rules."""
    from brandkit.cli.common import emit_json, make_console, map_errors

    with map_errors(json_out):
        with open_registry(db) as reg:
            detail = reg.get_asset(asset_id)
        if json_out:
            emit_json({"ok": True, **detail.model_dump(mode="json")})
            return
        row = detail.row
        console = make_console()
        console.rule(f"asset {row.id} · {row.state.value} · {row.kind}")
        console.print(f"file      {row.path}", markup=False)
        console.print(f"spec      {row.spec_name} {row.spec_version or ''} ({row.spec_fingerprint[:12]})", markup=False)
        console.print(
            f"made by   {row.provider}/{row.model}, run {row.run_id}, {row.created_at:%Y-%m-%d %H:%M}Z", markup=False
        )
        console.print(
            f"gates     {'passed' if row.passed else 'failed'}, {row.attempts} attempt(s), ${row.spend_usd:.4f}"
        )
        for reason in row.failing_reasons:
            console.print(f"  ✗ {reason}", markup=False)
        if row.superseded_by is not None:
            console.print(f"superseded by asset {row.superseded_by}: the same variant made again in this folder")
        for attempt in detail.attempts:
            statuses = ", ".join(  # a failure that did not block (warn policy) says so, as on the review page
                f"{c.name} {c.status}{' (warn)' if c.warned else ''}" for c in attempt.checks
            )
            console.print(
                f"attempt {attempt.index}: {'passed' if attempt.passed else 'failed'} — {statuses}", markup=False
            )
            for note in attempt.feedback:
                console.print(f"  feedback: {note}", markup=False)
        for event in detail.events:
            why = f": {event.reason}" if event.reason else ""
            console.print(
                f"review    {event.at:%Y-%m-%d %H:%M} {event.reviewer} → {event.state.value}{why}", markup=False
            )
        for ancestor in detail.ancestors:
            console.print(f"parent    {ancestor.id} ({ancestor.kind}) {ancestor.path}", markup=False)
        for child in detail.children:
            console.print(f"child     {child.id} ({child.kind}) {child.path}", markup=False)
        for rule in detail.spec_rules:
            console.print(f"rule      {rule}", markup=False)


def _decide(
    ids: list[int],
    state: str,
    reason: str | None,
    check: str | None,
    reviewer: str | None,
    db: Path | None,
    json_out: bool,
) -> None:
    from brandkit.cli.common import emit_json, make_console, map_errors
    from brandkit.errors import RegistryError, ReviewStateError

    with map_errors(json_out):
        with open_registry(db) as reg:
            who = _reviewer(reviewer)
            decisions: list[tuple[int, str | None]] = []
            refused: list[str] = []
            for i in dict.fromkeys(ids):  # every asset checked first: one refusal records none of them
                try:
                    why = _reason(reg, i, reason, check)
                    reg.check_decision(i, state, why, who)
                    decisions.append((i, why))
                except RegistryError as exc:
                    refused.append(str(exc))
            if refused:
                raise ReviewStateError("nothing recorded: " + "; ".join(dict.fromkeys(refused)))
            events = [reg.decide(i, state, why, who) for i, why in decisions]
        if json_out:
            emit_json({"ok": True, "events": [e.model_dump(mode="json") for e in events]})
            return
        for event in events:
            why = f": {event.reason}" if event.reason else ""
            make_console().print(f"asset {event.asset_id} → {event.state.value} by {event.reviewer}{why}", markup=False)


@review_app.command("approve")
def review_approve(
    ids: IdsArg, reason: ReasonOpt = None, reviewer: ReviewerOpt = None, db: DbOpt = None, json_out: JsonOpt = False
) -> None:
    """Approve assets (a new review event; earlier decisions stay in the history). An asset whose checks failed is
    approved only with --reason: the approval overrides them, and the history says why."""
    _decide(ids, "approved", reason, None, reviewer, db, json_out)


@review_app.command("reject")
def review_reject(
    ids: IdsArg,
    reason: ReasonOpt = None,
    check: CheckOpt = None,
    reviewer: ReviewerOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Reject assets, with a reason (free text, or a failing check with --check)."""
    _decide(ids, "rejected", reason, check, reviewer, db, json_out)


@review_app.command("request-changes")
def review_request_changes(
    asset_id: Annotated[int, typer.Argument(help="Asset id.")],
    reason: ReasonOpt = None,
    check: CheckOpt = None,
    reviewer: ReviewerOpt = None,
    provider: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--provider", "-p", help="local or openai (default: the provider that made the asset)."),
    ] = None,
    regenerate: Annotated[
        bool, typer.Option("--regenerate/--no-regenerate", help="Make a new attempt with the note as feedback.")
    ] = True,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Send an asset back with a reason; by default regenerate it with the reason as feedback (linked as child)."""
    from brandkit.cli.common import emit_json, make_console, map_errors

    if not regenerate:
        _decide([asset_id], "changes_requested", reason, check, reviewer, db, json_out)
        return
    from brandkit.registry.regenerate import request_changes

    with map_errors(json_out):
        with open_registry(db) as reg:
            note = _reason(reg, asset_id, reason, check)
            new = request_changes(reg, asset_id, note or "", _reviewer(reviewer), provider=provider)
        notes = _provider_notes(new.path)
        if json_out:
            emit_json({"ok": True, "asset": _row_json(new), "notes": notes})
            return
        result = "passed its checks" if new.passed else "failed its checks: " + "; ".join(new.failing_reasons)
        console = make_console()
        console.print(
            f"asset {asset_id} → changes_requested; new attempt: asset {new.id} {new.path} ({result})", markup=False
        )
        for note in notes:
            console.print(f"  note: {note}", markup=False)


def _provider_notes(path: str) -> list[str]:
    """What the provider said about a new asset's attempts (the local renderer: the reviewer's request not
    followed), from its sidecar; a sidecar that cannot be read says so."""
    from brandkit.asset_sidecar import read_sidecar
    from brandkit.cli.saving import provider_notes
    from brandkit.errors import SidecarError

    try:
        return provider_notes(read_sidecar(path).attempts)
    except SidecarError as exc:
        return [f"the new asset's sidecar could not be read: {exc}"]


@review_app.command("record")
def review_record(
    images: Annotated[list[Path], typer.Argument(help="Saved images (each with its sidecar IMAGE.json).")],
    kind: Annotated[str, typer.Option("--kind", help="generate, edit, variant or regenerate.")] = "generate",
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record saved assets from their sidecars (e.g. made while the registry could not be written)."""
    from brandkit.cli.common import emit_json, make_console, map_errors
    from brandkit.errors import RequestError
    from brandkit.registry.recorder import RegistryRecorder
    from brandkit.registry.store import default_db_path

    with map_errors(json_out):
        if kind not in ("generate", "edit", "variant", "regenerate"):
            raise RequestError(f"--kind {kind!r}: use generate, edit, variant or regenerate", field="kind", value=kind)
        with RegistryRecorder(db or default_db_path(Path("out")), "record", kind=kind) as recorder:
            rows = [row for row in (recorder.record_file(image) for image in images) if row is not None]
        if json_out:
            emit_json({"ok": not recorder.unrecorded, "assets": [_row_json(r) for r in rows], **recorder.summary()})
        else:
            for row in rows:
                make_console().print(f"recorded asset {row.id}: {row.path}", markup=False)
            for warning in recorder.warnings:
                make_console(stderr=True).print(f"[bold red]error:[/] {esc(warning)}", markup=True)
        if recorder.unrecorded:
            raise typer.Exit(2)


@review_app.command("export")
def review_export(
    out: Annotated[Path, typer.Argument(help="Folder to publish from.")],
    run: Annotated[Optional[str], typer.Option("--run", help="Only this run id.")] = None,  # noqa: UP045
    spec: Annotated[Optional[str], typer.Option("--spec", help="Only this spec name.")] = None,  # noqa: UP045
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace different files of the same name.")] = False,
    sign: Annotated[
        bool,
        typer.Option(
            "--sign",
            help="Re-sign each image with its review decision (Content Credentials; signer from "
            "BRANDKIT_C2PA_CERT / BRANDKIT_C2PA_KEY).",
        ),
    ] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Copy the approved assets (unchanged since approval) with their sidecars into OUT, atomically."""
    from brandkit.cli.common import emit_json, make_console, map_errors
    from brandkit.registry.export import export_approved

    with map_errors(json_out):
        signer = None
        if sign:
            from brandkit.credentials import CredentialSigner
            from brandkit.errors import ConfigurationError

            signer = CredentialSigner.from_env()
            if signer is None:
                raise ConfigurationError(
                    "--sign needs a signer: set BRANDKIT_C2PA_CERT and BRANDKIT_C2PA_KEY "
                    "(`brandkit provenance make-test-signer DIR` makes a test one)",
                    setting="BRANDKIT_C2PA_CERT",
                )
        with open_registry(db) as reg:
            result = export_approved(reg, out, run=run, spec=spec, overwrite=overwrite, signer=signer)
        if json_out:
            emit_json({"ok": True, **result.as_dict()})
            return
        console = make_console()
        console.print(
            f"exported {len(result.written)} asset(s) to {out} ({len(result.unchanged)} already there)", markup=False
        )
        for refused in result.refused:
            console.print(
                f"[yellow]not exported[/] asset {refused['id']} {esc(refused['path'])}: {esc(refused['reason'])}"
            )
