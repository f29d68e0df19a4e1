"""What every command module of the CLI shares: exit codes, option types, output helpers and the error mapping.

Exit codes: 0 ok · 1 checks failed · 2 usage or spec error (an unusable output folder too: nothing was spent) ·
3 provider error · 4 output failed (paid results could not be written: saved / kept / lost are reported).
Command modules import these public names; no command module imports another's private helpers.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer

from brandkit.check_catalog import CheckDetails
from brandkit.errors import (
    BrandkitError,
    BrandViolationError,
    OutputFailedError,
    OutputFolderError,
    ProviderError,
    RequestError,
    RequestValidationError,
    SpecError,
)

if TYPE_CHECKING:  # rich is imported when a console or table is made: a --json run never needs it (~35 ms CPU)
    from rich.console import Console
    from rich.table import Table

    from brandkit.audit import AuditSummary

__all__ = [
    "EXIT_CHECKS",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_PROVIDER",
    "EXIT_USAGE",
    "Cta",
    "Disclaimer",
    "Headline",
    "JsonOpt",
    "ModeOpt",
    "Overwrite",
    "Provider",
    "SpecOpt",
    "Subhead",
    "emit_json",
    "error_fields",
    "esc",
    "exit_code_of",
    "fail",
    "load_spec_arg",
    "make_console",
    "map_errors",
    "print_audit_summary",
    "report_rows",
    "resolve_provider",
    "warn_unsent_seed",
]

EXIT_OK, EXIT_CHECKS, EXIT_USAGE, EXIT_PROVIDER = 0, 1, 2, 3
EXIT_OUTPUT = 4

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
SpecOpt = Annotated[Path, typer.Option("--spec", "-s", help="Brand spec folder or brand.yaml/.json file.")]
ModeOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--mode",
        help="A palette mode of the spec (palette.modes, e.g. dark): its colours for generation and the checks.",
    ),
]


def make_console(stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr) that never guesses markup colours."""
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=True, highlight=False)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escaped(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]  # "\x1b", "\n", "\x9b"


def visible(value: object) -> str:
    """``value`` (a file name, a path) as a terminal shows it: every control character written as its escape
    (``\x1b``, ``\n``…). A name from a folder of unknown origin cannot then move the cursor, recolour, erase or
    split the lines around it — making a failed file look passed."""
    return _CONTROL.sub(_escaped, str(value))


def terminal_safe(text: str) -> str:
    """``text`` with its control characters but newlines and tabs written as escapes (see :func:`visible`)."""
    return _CONTROL_BUT_LINES.sub(_escaped, text)


def stderr_line(text: str) -> None:
    """One line of plain text on stderr, flushed (progress beside a ``--json`` document: no rich, no markup);
    control characters in it are written as escapes (:func:`terminal_safe`)."""
    sys.stderr.write(terminal_safe(text) + "\n")
    sys.stderr.flush()


def esc(value: object) -> str:
    """``value`` as text for a rich markup string: its own brackets (a path ``[draft]/x.png``, a provider's
    ``[status=429, request_id=…]``) print as they are instead of being read as markup tags (and dropped, or failing
    on a stray ``[/]``); its control characters but newlines and tabs as escapes (:func:`terminal_safe`)."""
    from rich.markup import escape

    return escape(terminal_safe(str(value)))


def emit_json(data: Any) -> None:
    """Print ``data`` as the command's one JSON document."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def fail(code: int, message: str, as_json: bool, extra: dict[str, Any] | None = None) -> NoReturn:
    """Print ``message`` (as JSON or on stderr) and exit with ``code``."""
    if as_json:
        emit_json({"ok": False, "exit_code": code, "error": message, **(extra or {})})
    else:
        make_console(stderr=True).print(f"[bold red]error:[/] {esc(message)}", markup=True)
    raise typer.Exit(code)


def exit_code_of(error: BaseException) -> int:
    """The exit code of a brandkit error (see the module docstring): 1 checks failed, 3 provider, 4 output
    failed, 2 anything else (usage, spec, input)."""
    if isinstance(error, BrandViolationError):
        return EXIT_CHECKS
    if isinstance(error, ProviderError):
        return EXIT_PROVIDER
    if isinstance(error, OutputFailedError):
        return EXIT_OUTPUT
    return EXIT_USAGE


def error_fields(exc: BrandkitError) -> dict[str, Any]:
    """What ``--json`` adds about ``exc`` beside its message: the report, the request id, the spec issues…"""
    if isinstance(exc, BrandViolationError):
        return {"report": exc.report.model_dump_report() if exc.report else None, "attempts": len(exc.attempts)}
    if isinstance(exc, ProviderError):
        return {"request_id": exc.request_id, "status_code": exc.status_code, "code": exc.code}
    if isinstance(exc, SpecError):
        return {"issues": [i.as_dict() for i in exc.issues]}
    if isinstance(exc, OutputFolderError):
        return {"path": exc.path, "problem": exc.problem}
    if isinstance(exc, OutputFailedError):
        counts = {"saved": exc.saved, "kept": exc.kept, "lost": exc.lost, "kept_at": exc.kept_at}
        return {**counts, "cost_usd": round(exc.cost_usd, 6)}
    if isinstance(exc, RequestError):
        fields: dict[str, Any] = {"field": exc.field, "value": _json_value(exc.value)}
        if isinstance(exc, RequestValidationError):
            fields["problems"] = [{**p, "value": _json_value(p.get("value"))} for p in exc.problems]
        return fields
    return {}


def _json_value(value: Any, limit: int = 200) -> Any:
    """``value`` as JSON can hold it: scalars and lists of them, long strings cut at ``limit`` characters; anything
    else (bytes, objects) as a short description."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "…"
    if isinstance(value, list | tuple):
        return [_json_value(item, limit) for item in value[:20]]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return f"<{type(value).__name__}>"


@contextmanager
def map_errors(as_json: bool) -> Iterator[None]:
    """Map brandkit errors to exit codes (:func:`exit_code_of`) and clear messages (with ``--json``, the error's
    own fields too)."""
    try:
        yield
    except typer.Exit:
        raise
    except BrandkitError as exc:
        named = not isinstance(exc, BrandViolationError | SpecError)  # those two messages say what they are
        fail(exit_code_of(exc), f"{type(exc).__name__}: {exc}" if named else str(exc), as_json, error_fields(exc))


def load_spec_arg(spec: Path, mode: str | None = None) -> Any:
    """Load the spec a command was given, in palette mode ``mode`` when one is named (a bad spec raises
    :class:`SpecError`, an unknown mode :class:`RequestError`: both mapped to exit 2)."""
    from brandkit.spec.loader import load_spec

    return load_spec(spec).for_mode(mode)


Headline = Annotated[Optional[str], typer.Option("--headline", help="Exact headline.")]  # noqa: UP045
Subhead = Annotated[Optional[str], typer.Option("--subhead", help="Exact subheading.")]  # noqa: UP045
Cta = Annotated[Optional[str], typer.Option("--cta", help="Exact button label.")]  # noqa: UP045
Disclaimer = Annotated[Optional[list[str]], typer.Option("--disclaimer", help="Extra legal line (repeatable).")]  # noqa: UP045
Provider = Annotated[Optional[str], typer.Option("--provider", "-p", help="local (offline) or openai.")]  # noqa: UP045
Overwrite = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace files of the same name in the output folder (default: never; a taken name gets -2, -3, …).",
    ),
]


def resolve_provider(provider: str | None, as_json: bool) -> str:
    """The provider to use: ``--provider`` if given (``local`` or ``openai``), else openai when a key is set."""
    if provider is None:
        if not os.environ.get("OPENAI_API_KEY"):
            fail(
                EXIT_USAGE,
                "no OpenAI API key: set OPENAI_API_KEY to use the OpenAI provider, or run offline "
                "with the built-in renderer: --provider local",
                as_json,
            )
        return "openai"
    if provider not in ("local", "openai"):
        fail(EXIT_USAGE, f"unknown provider {provider!r}: use --provider local or --provider openai", as_json)
    if provider == "openai" and not os.environ.get("OPENAI_API_KEY"):
        fail(EXIT_USAGE, "--provider openai needs OPENAI_API_KEY; to run offline use --provider local", as_json)
    return provider


def warn_unsent_seed(seed: int | None, provider: str, as_json: bool) -> None:
    """Say, on stderr, that ``--seed`` does not make OpenAI's output repeatable (the Images API takes no seed)."""
    if seed is not None and provider == "openai" and not as_json:
        make_console(stderr=True).print(
            "warning: --seed is not sent to OpenAI (the Images API takes no seed): the images are not repeatable; "
            "it still numbers the variants",
            markup=False,
        )


def report_rows(report: Any) -> Table:
    """A table of a validation report's checks: each one's whole hint (or reason), wrapped, never cut, and never
    read as markup."""
    from rich.table import Table

    table = Table("check", "status", "score", "policy", "note")
    colors = {"passed": "green", "failed": "red", "not_checked": "yellow", "skipped": "dim"}
    for name, res in report.checks.items():
        note = res.hint or CheckDetails.of(res.details).reason or ""
        score = "" if res.score is None else f"{res.score:.3f}"
        color = colors.get(res.status.value, "white")
        if res.status.value == "failed" and res.policy == "warn":  # reported, never blocking: not a red failure
            color = "yellow"
        status = f"[{color}]{res.status.value}[/]"
        table.add_row(name, status, score, res.policy, esc(note))
    return table


def print_audit_summary(console: Console, summary: AuditSummary) -> None:
    """An audit's end (:class:`brandkit.audit.AuditSummary`): counts, each check's pass rate, the worst offenders
    (``brandkit validate`` of a library, ``brandkit audit summary``)."""
    from rich.table import Table

    resumed = f" ({summary.resumed} from the earlier run)" if summary.resumed else ""
    console.print(
        f"{summary.files} file(s){resumed}: {summary.passed} passed, {summary.failed} failed, "
        f"{summary.unreadable} unreadable",
        markup=False,
    )
    said = [
        (summary.read_reduced, "of more than 16,588,800 pixels checked reduced (provenance.reduced)"),
        (summary.layout_scaled, "checked in a format's layout scaled to their size (provenance.layout)"),
    ]
    for count, what in said:  # one line per file does not show these notes: the run says how many
        if count:
            console.print(f"note: {count} file(s) {what}", markup=False)
    if summary.files < 2:
        return
    table = Table("check", "passed", "failed", "not checked", "skipped", "pass rate", title="pass rate per check")
    for name, tally in summary.checks.items():
        rate = "-" if tally.pass_rate is None else f"{tally.pass_rate:.1%}"
        label = name  # failures under the warn policy did not fail a file: said for all of them, or counted
        if tally.warned:
            every = tally.warned == tally.failed + tally.not_checked
            label = f"{name} (warn)" if every else f"{name} ({tally.warned} warn)"
        table.add_row(
            esc(label), str(tally.passed), str(tally.failed), str(tally.not_checked), str(tally.skipped), rate
        )
    console.print(table)
    if any(tally.warned for tally in summary.checks.values()):
        console.print("(warn): failed under the check's warn policy — shown, not failing the file", markup=False)
    worst = (("lowest scores", summary.worst_by_score), ("most off-brand colour", summary.worst_by_off_palette))
    for title, offenders in worst:
        if offenders:
            console.print(f"worst offenders, {title}:", markup=False)
            for offender in offenders[:5]:
                figures = [] if offender.score is None else [f"score {offender.score:.2f}"]
                if offender.off_brand_share is not None:
                    figures.append(f"off-brand {offender.off_brand_share:.1%} of the image")
                if offender.off_palette_share:
                    figures.append(f"off-palette {offender.off_palette_share:.1%} of the judged pixels")
                failed = ", ".join(n for n in offender.failed_checks if n not in offender.not_checked) or "none"
                figures.append(f"failed: {failed}")
                if offender.not_checked:
                    figures.append(f"not checked: {', '.join(offender.not_checked)}")
                console.print(f"  {visible(offender.path)}  {'  '.join(figures)}", markup=False)
    for line in summary.unreadable_files[:5]:
        console.print(f"  unreadable: {visible(line)}", markup=False)
