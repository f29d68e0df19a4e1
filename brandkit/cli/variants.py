"""``brandkit variants PLAN --out DIR``: ad variants at volume (see ``docs/variants.md``).

Registered on the main app by :func:`register` (:func:`brandkit.cli.register_commands` calls it); the shared
helpers come from :mod:`brandkit.cli.common` and :mod:`brandkit.cli.recording`.

Exit codes: 0 every variant accepted · 1 some variants rejected by the checks or not made (budget) ·
2 plan, usage or output-folder error (pre-flight: nothing was spent) · 3 provider error (run aborted, or
variants failed at the provider) · 4 output failed (a write failed mid-run: the run stopped paying; the
message says ``output failed: N saved, M kept for resume, K lost``).
"""

# No `from __future__ import annotations`: typer reads the annotations of the command defined inside
# register(), which use names imported there (JsonOpt).
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

__all__ = ["register"]


def _dry_run_output(result: Any, show_prompts: bool) -> None:
    from rich.table import Table

    from brandkit.cli.common import esc, make_console

    console = make_console()
    table = Table("#", "spec", "variant", "op", "status", "est. USD", title=f"{result.plan.plan.name} — dry run")
    for i, row in enumerate(result.variants, 1):
        axes = ", ".join(f"{k}={v}" for k, v in row.variant.axes.items() if k != "spec")
        estimate = "–" if row.estimate_usd is None else f"{row.estimate_usd:.4f}"
        table.add_row(str(i), esc(row.variant.spec_id), esc(axes), row.variant.operation, row.status, estimate)
    console.print(table)
    shown = result.variants if show_prompts else result.variants[:1]
    for row in shown:
        console.rule(f"{row.variant.name} · {row.params.get('size', '')} · {row.variant.operation}")
        console.print(row.prompt, markup=False)
    if not show_prompts and len(result.variants) > 1:
        console.print(f"[dim]… {len(result.variants) - 1} more prompt(s): --prompts shows them all, --json too[/]")
    console.print(
        f"[bold]{result.count}[/] variant(s), {result.todo} to make · provider {result.provider} · "
        f"estimated [bold]${result.estimated_cost_usd:.2f}[/] (one attempt each), "
        f"worst case ${result.worst_case_usd:.2f} (every repair attempt)"
    )
    for note in result.notes:
        console.print(f"[dim]note: {esc(note)}[/]")


def _run_output(run: Any) -> None:
    from rich.table import Table

    from brandkit.cli.common import esc, make_console

    console = make_console()
    summary = run.summary
    table = Table(show_header=False, box=None)
    rate = summary["pass_rate"]
    per = summary["attempts_per_accepted"]
    rows = [
        ("accepted", f"{summary['succeeded']}/{summary['total']}"),
        ("rejected", f"{summary['failed']} {summary['by_kind'] or ''}".strip()),
        ("not made", str(summary["not_made"])),
        ("pass rate", "–" if rate is None else f"{rate:.1%}"),
        ("attempts per accepted asset", "–" if per is None else f"{per:.2f}"),
        ("spend", f"${summary['spend_usd']:.4f}"),
        ("wall time", f"{summary['wall_s']:.1f} s (all sessions {summary['wall_total_s']:.1f} s)"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)
    for item in run.variants:
        if item["status"] == "failed":
            console.print(
                f"[red]✗[/] {esc(item['name'])}: [dim]{esc(item['kind'])}[/] {esc(item['reason'])}", markup=True
            )
    if run.output is not None:
        console.print(f"[bold red]{esc(run.output['message'])}[/] — {esc(run.output['reason'])}", markup=True)
        if run.output["kept"]:
            console.print("  the kept results are in the spool: free space, then --resume saves them without paying")
        for name in run.output["lost_variants"]:
            console.print(f"  [red]lost[/] (paid, could not be kept anywhere): {esc(name)}", markup=True)
    elif run.stopped:
        console.print(f"[yellow]stopped early:[/] {esc(run.stop_reason or run.stopped)} — continue with --resume")
    mark = "[bold green]✓[/]" if run.ok else "[bold yellow]![/]"
    console.print(f"{mark} contact sheet: {esc(run.index_path)}\n  manifest: {esc(run.manifest_path)}")


def _batch_status_printer() -> Any:
    """An ``on_status`` callback printing each batch's progress to stderr."""

    def show(status: Any) -> None:
        sys.stderr.write(
            f"batch {status.id}: {status.status} ({status.completed}/{status.total} done, {status.failed} failed)\n"
        )

    return show


def register(app: typer.Typer) -> None:
    """Add the ``variants`` command to ``app`` (:func:`brandkit.cli.register_commands` calls it); idempotent."""
    if any(command.name == "variants" for command in app.registered_commands):
        return
    from brandkit.cli.common import EXIT_USAGE, JsonOpt, emit_json, fail, map_errors, resolve_provider
    from brandkit.cli.recording import DbOpt, report_recording, variants_recorder

    @app.command("variants")
    def variants_cmd(
        plan: Annotated[Path, typer.Argument(help="Variant plan (YAML or JSON; see docs/variants.md).")],
        out: Annotated[
            Path, typer.Option("--out", "-o", help="Output folder: images, journal, manifest.json, index.html.")
        ] = Path("out/variants"),
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Count, compile and price the variants; send nothing.")
        ] = False,
        prompts: Annotated[bool, typer.Option("--prompts", help="Dry run: print every compiled prompt.")] = False,
        concurrency: Annotated[
            int, typer.Option("--concurrency", "-c", min=1, max=256, help="Variants made at the same time.")
        ] = 4,
        budget: Annotated[
            Optional[float],  # noqa: UP045 - typer needs Optional
            typer.Option("--budget", min=0.0, help="USD: stop before the spend could pass it (worst case)."),
        ] = None,
        resume: Annotated[
            bool, typer.Option("--resume", help="Continue the run in --out: finished variants are kept.")
        ] = False,
        retry_failed: Annotated[
            bool, typer.Option("--retry-failed", help="With --resume: also redo variants that failed checks.")
        ] = False,
        provider: Annotated[
            Optional[str],  # noqa: UP045 - typer needs Optional
            typer.Option("--provider", "-p", help="local (offline) or openai."),
        ] = None,
        rate_window: Annotated[
            float, typer.Option("--rate-window", min=0.1, help="Window of the provider's request limit, seconds.")
        ] = 60.0,
        engine: Annotated[
            str,
            typer.Option(
                "--engine",
                help="live (one request per image) or openai-batch (OpenAI Batch API: half price, within 24 h).",
            ),
        ] = "live",
        poll_interval: Annotated[
            float,
            typer.Option("--poll-interval", min=0.0, help="openai-batch: seconds between status polls (grows to 60)."),
        ] = 10.0,
        allow_path: Annotated[
            Optional[list[Path]],  # noqa: UP045 - typer needs Optional
            typer.Option(
                "--allow-path",
                help="Folder the plan's images may also come from (besides the plan's folder); repeatable.",
            ),
        ] = None,
        db: DbOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Make ad variants from a plan: matrix of headlines × formats × locales, exactly once, resumable."""
        from brandkit.cli.progress import RichProgress
        from brandkit.variants.engines import BATCH_ENGINES, ENGINES
        from brandkit.variants.plan import load_plan
        from brandkit.variants.runner import dry_run as make_dry_run
        from brandkit.variants.runner import run_variants

        if retry_failed and not resume:
            fail(EXIT_USAGE, "--retry-failed only applies with --resume", json_out)
        if engine not in ENGINES:
            fail(EXIT_USAGE, f"unknown --engine {engine!r}: use {' or '.join(ENGINES)}", json_out)
        if dry_run:
            with map_errors(json_out):
                result = make_dry_run(
                    load_plan(plan, allow_paths=allow_path or ()),
                    provider=provider or "openai",
                    out=out,
                    resume=resume,
                    retry_failed=retry_failed,
                    engine=engine,
                )
                if json_out:
                    emit_json({"ok": True, "dry_run": True, **result.as_dict()})
                else:
                    _dry_run_output(result, prompts)
            return
        chosen = resolve_provider(provider, json_out)
        batch_options: dict[str, Any] = {"poll_interval_s": poll_interval}
        if not json_out:
            batch_options["on_status"] = _batch_status_printer()
        recorder = variants_recorder(db, out)
        try:
            with map_errors(json_out):
                loaded = load_plan(plan, allow_paths=allow_path or ())
                bar = None if json_out or not sys.stderr.isatty() else RichProgress(loaded.name)
                run = run_variants(
                    loaded,
                    out,
                    provider=chosen,
                    concurrency=concurrency,
                    budget_usd=budget,
                    resume=resume,
                    retry_failed=retry_failed,
                    progress=bar,
                    rate_window_s=rate_window,
                    engine=engine,
                    batch_options=batch_options if engine in BATCH_ENGINES else None,
                    recorder=recorder,
                )
                recorder.reconcile(run.variants, run.out)  # saved by a killed session but not recorded: from sidecars
                registry = report_recording(recorder, json_out)
                if json_out:
                    emit_json(
                        {
                            "ok": run.ok,
                            "exit_code": run.exit_code,
                            "out": str(run.out),
                            "manifest": str(run.manifest_path),
                            "index": str(run.index_path),
                            "stopped": run.stopped,
                            "stop_reason": run.stop_reason,
                            "output": run.output,
                            "summary": run.summary,
                            **registry,
                            "failed": [
                                {"name": v["name"], "key": v["key"], "kind": v["kind"], "reason": v["reason"]}
                                for v in run.variants
                                if v["status"] == "failed"
                            ],
                        }
                    )
                else:
                    _run_output(run)
        except KeyboardInterrupt:
            message = f"interrupted: finished variants are kept; continue with --resume --out {out}"
            if json_out:
                sys.stdout.write(json.dumps({"ok": False, "exit_code": 130, "error": message}) + "\n")
            else:
                sys.stderr.write(message + "\n")
            raise typer.Exit(130) from None
        if run.exit_code:
            raise typer.Exit(run.exit_code)
