"""``brandkit spec calibrate``: measure every check on a brand's approved (and rejected) images, propose thresholds.

Registered on the ``spec`` sub-app by :func:`brandkit.cli._register_extra_commands`; the work is in
:mod:`brandkit.calibrate`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _print(report: Any, written: list[Any], dry_run: bool) -> None:
    from brandkit.cli.common import esc, make_console

    console = make_console()
    n_ok = sum(1 for i in report.images if i.label == "approved")
    n_bad = sum(1 for i in report.images if i.label == "rejected")
    unreadable = [i for i in report.images if i.passed is None]
    console.print(f"[bold]{esc(report.spec_name)}[/]: {n_ok} approved, {n_bad} rejected image(s)")
    table = Table("check", "false reject", "false accept", "not checked", "est. FR after", "est. FA after")
    after = {c.check: c for c in report.estimated_after}
    for rates in [*report.checks, report.overall]:
        est = after.get(rates.check)
        table.add_row(
            rates.check,
            f"{_pct(rates.false_reject_rate)} ({rates.false_rejects}/{rates.approved})",
            f"{_pct(rates.false_accept_rate)} ({rates.false_accepts}/{rates.rejected})",
            str(rates.not_checked) if rates.check != "overall" else "",
            _pct(est.false_reject_rate) if est else "",
            _pct(est.false_accept_rate) if est else "",
        )
    console.print(table)
    proposals = Table("setting", "now", "proposed", "approved fail now → after", "rejected caught now → after", "why")
    for p in report.proposals:
        proposals.add_row(
            p.setting,
            f"{p.current:g}",
            f"[bold]{p.proposed:g}[/]" if p.changed else f"{p.proposed:g} (kept)",
            f"{p.approved_failing_now} → {p.approved_failing_after}",
            f"{p.rejected_caught_now} → {p.rejected_caught_after}",
            esc(p.reason),
        )
    if report.proposals:
        console.print(proposals)
    else:
        console.print("no check reported a measured threshold for these images; nothing to propose")
    for image in unreadable:
        console.print(f"[yellow]unreadable[/] {esc(image.path)}: {esc(image.error)}")
    if written:
        console.print(f"[bold green]✓[/] wrote {len(written)} setting(s) into {esc(report.spec_source)}")
    elif dry_run and any(p.changed for p in report.proposals):
        console.print("dry run: the spec was not changed")


def register(spec_app: typer.Typer) -> None:
    """Add ``calibrate`` to the ``spec`` sub-app."""

    @spec_app.command("calibrate")
    def calibrate_cmd(
        spec: Annotated[Path, typer.Argument(help="Spec folder or brand.yaml.")],
        approved: Annotated[Path, typer.Option("--approved", help="Folder of images the brand approved.")],
        rejected: Annotated[
            Optional[Path],  # noqa: UP045
            typer.Option("--rejected", help="Folder of images the brand rejected."),
        ] = None,
        margin: Annotated[float, typer.Option("--margin", help="Margin in each setting's step (default 1).")] = 1.0,
        mode: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option(
                "--mode",
                help="A palette mode to check images without provenance in (those with it: their own mode); the "
                "thresholds written are the spec's, shared by its modes.",
            ),
        ] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Report proposals; do not write the spec.")] = False,
        progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")] = True,
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Run every check over approved (and rejected) images, report each check's false-reject and
        false-accept rates, and write the proposed thresholds into the spec with a comment (offline)."""
        from brandkit.calibrate import calibrate, write_proposals
        from brandkit.cli.common import emit_json, load_spec_arg, map_errors

        with map_errors(json_out):
            loaded = load_spec_arg(spec, mode)
            bar = _Bar() if progress and not json_out else None
            try:
                report = calibrate(loaded, approved, rejected, margin_steps=margin, progress=bar)
            finally:
                if bar is not None:
                    bar.stop()
            written = [] if dry_run else write_proposals(loaded.source, report)
            if json_out:
                emit_json({"ok": True, "written": [p.setting for p in written], **report.as_dict()})
            else:
                _print(report, written, dry_run)


class _Bar:
    """A rich progress bar on stderr, started on the first image."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "calibrate", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=Console(stderr=True)
        )
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._task is None:
            self._progress.start()
            self._task = self._progress.add_task("calibrate", total=total)
        self._progress.update(self._task, completed=done)

    def stop(self) -> None:
        """End the live display."""
        if self._task is not None:
            self._progress.stop()
