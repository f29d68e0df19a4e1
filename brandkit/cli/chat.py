"""``brandkit chat``: an interactive conversation in a terminal (``BrandKit.conversation()``, docs/conversation.md).

Reads one line at a time from stdin (a terminal or a pipe): a line is a turn's instruction; ``/headline TEXT``,
``/subhead TEXT``, ``/cta TEXT``, ``/locale CODE``, ``/brief TEXT`` set a field for the next turn (without TEXT:
remove it), ``/format NAME`` (one of the brand's formats) and ``/background dark|light`` a setting, ``/go`` makes
a turn with no instruction, ``/help`` lists the commands, ``/quit`` ends the session. Each partial image is shown
as a progress line; each checked image is saved (atomically, with its sidecar) and its path and check summary
printed. A failed turn prints why and the session goes on.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from brandkit.cli.common import (
    EXIT_CHECKS,
    EXIT_OK,
    JsonOpt,
    ModeOpt,
    Provider,
    SpecOpt,
    emit_json,
    load_spec_arg,
    make_console,
    map_errors,
    resolve_provider,
    warn_unsent_seed,
)
from brandkit.cli.recording import DbOpt, output_recorder, report_recording
from brandkit.cli.request_options import RequestOptions, with_request_options
from brandkit.errors import BrandkitError, BrandViolationError

__all__ = ["chat_cmd", "register"]

FIELD_COMMANDS = ("headline", "subhead", "cta", "locale", "brief")
UNDO_WORDS = frozenset({"undo", "undo that", "undo it", "undo the last change", "go back", "revert", "revert that"})
"""A whole line saying only this is ``/undo`` (exact and free), not an instruction a model would pay to imitate."""
SETTING_COMMANDS = ("format", "background")
HELP = (
    "type an instruction (e.g. 'warmer light, move the cup left'); /headline TEXT, /subhead TEXT, /cta TEXT, "
    "/locale CODE, /brief TEXT set a field for the next turn (no TEXT: remove it); /format NAME (the brand's "
    "formats) and /background dark|light a setting; /go renders a turn with no instruction; /undo goes back to the "
    "image the current one refined, /back N to turn N (the next turn refines it; nothing is spent); /quit ends the "
    "session"
)


def register(app: typer.Typer) -> None:
    """Add ``chat`` to ``app``."""
    app.command("chat")(chat_cmd)


@with_request_options
def chat_cmd(
    spec: SpecOpt,
    options: RequestOptions,
    mode: ModeOpt = None,
    provider: Provider = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder the checked images are saved in.")] = Path("out"),
    partial_images: Annotated[
        int, typer.Option("--partial-images", min=0, max=3, help="Partial images streamed per turn (0–3).")
    ] = 2,
    budget: Annotated[
        Optional[float],  # noqa: UP045 - typer needs Optional
        typer.Option("--budget", min=0.0, help="Spend budget of the conversation in USD (checked before each turn)."),
    ] = None,
    seed: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--seed", help="Seed: repeatable output of the local renderer (not sent to OpenAI)."),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Refine one on-brand image over several turns, reading instructions from stdin (one per line).

    Every turn's image passes the same compose / checks / repair path as generate; each checked image is saved
    in --out with its sidecar and recorded in the registry with the previous turn's image as its parent. The first
    request is given as to generate (--request FILE and the options).
    """
    from brandkit.kit import BrandKit

    with map_errors(json_out):
        name = resolve_provider(provider, json_out)
        loaded = load_spec_arg(spec, mode)
        request = options.request(seed=seed)
        warn_unsent_seed(request.seed, name, json_out)
        kit = BrandKit(loaded, provider=name)
        recorder = output_recorder(db, "chat", out, loaded)
        conv = kit.conversation(
            request, provider=name, max_spend_usd=budget, partial_images=partial_images, out=out, recorder=recorder
        )
        session = _Chat(conv, partial_images, json_out)
        session.run()
        registry = report_recording(recorder, json_out)
    summary = session.summary()
    if json_out:
        emit_json({"ok": session.failed == 0, **summary, **registry})
    else:
        make_console().print(
            f"conversation {summary['conversation_id']}: {len(summary['turns'])} turn(s) saved, "
            f"{session.failed} failed, ${summary['spent_usd']:.4f} spent"
        )
    raise typer.Exit(EXIT_OK if session.failed == 0 or summary["turns"] else EXIT_CHECKS)


class _Chat:
    """The read–turn–print loop of one ``brandkit chat`` session."""

    def __init__(self, conv: Any, partial_images: int, json_out: bool) -> None:
        self.conv = conv
        self.partial_images = partial_images
        self.json_out = json_out
        self.console = make_console(stderr=json_out)  # --json: progress on stderr, one document on stdout
        self.errors = make_console(stderr=True)
        self.pending: dict[str, Any] = {}
        self.failed = 0
        self.rejected: list[dict[str, Any]] = []  # failed turns whose best attempt was kept (turn, path, checks)
        self.results: list[dict[str, Any]] = []

    def run(self) -> None:
        """Read lines until ``/quit`` or the end of the input."""
        interactive = sys.stdin.isatty()
        if interactive:
            self.console.print(HELP)
        while True:
            if interactive:
                self.console.print("> ", end="")
            line = sys.stdin.readline()
            if not line:
                return
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit"):
                return
            if text.startswith("/"):
                self._command(text)
            elif text.lower().rstrip(".!") in UNDO_WORDS:
                self.console.print(f"{text!r} read as /undo (no image is made for it)", markup=False)
                self._back("undo", "")
            else:
                self._turn(text)

    def _command(self, text: str) -> None:
        command, _, arg = text[1:].partition(" ")
        arg = arg.strip()
        if command in FIELD_COMMANDS:
            self.pending[command] = arg or None
            self.console.print(f"{command} {'set' if arg else 'removed'} for the next turn", markup=False)
        elif command in SETTING_COMMANDS and not arg:
            self.errors.print(f"/{command} needs a value: {HELP}", markup=False)
        elif command in SETTING_COMMANDS:
            self.pending[command] = arg  # checked with the turn's request (a typed error naming the field)
            self.console.print(f"{command} {arg} for the next turn", markup=False)
        elif command == "go":
            self._turn("")
        elif command in ("undo", "back"):
            self._back(command, arg)
        elif command == "help":
            self.console.print(HELP, markup=False)
        else:
            self.errors.print(f"unknown command /{command}: {HELP}", markup=False)

    def _back(self, command: str, arg: str) -> None:
        if command == "undo" and arg:
            self.errors.print(f"/undo takes no value (/back N goes to turn N): {HELP}", markup=False)
            return
        if command == "back" and not arg.isdigit():
            self.errors.print(f"/back needs a turn number, got {arg!r}: {HELP}", markup=False)
            return
        try:
            target = self.conv.back_to(int(arg) if arg else None)
        except BrandkitError as exc:
            self.errors.print(f"/{command}: {exc}", markup=False)
            return
        where = f" ({target.path})" if target.path is not None else ""
        self.console.print(f"back to turn {target.turn}{where}: the next turn refines it", markup=False)
        if self.pending:  # set for the next turn: still set
            self.console.print(f"still set for the next turn: {', '.join(sorted(self.pending))}", markup=False)

    def _partial(self, image: Any) -> None:
        self.console.print(
            f"  partial {image.index + 1}/{self.partial_images} ({len(image.data)} bytes, {image.output_format})",
            markup=False,
        )

    def _turn(self, instruction: str) -> None:
        changes, self.pending = self.pending, {}
        number = len(self.conv.turns) + 1
        self.console.print(f"turn {number}: {instruction or '(no instruction)'}", markup=False)
        try:
            outcome = self.conv.turn(instruction, on_partial=self._partial, **changes)
        except BrandViolationError as exc:
            self.failed += 1
            names = [r.name for r in exc.report.failures] if exc.report is not None else []
            failing = ", ".join(names) or "unknown"
            self.errors.print(f"turn {number} failed the brand checks ({failing}): {exc}", markup=False)
            if exc.kept_path is not None:
                self.errors.print(f"its best attempt is kept for review: {exc.kept_path}", markup=False)
                self.rejected.append({"turn": number, "path": str(exc.kept_path), "failed_checks": names})
            self.errors.print("the conversation stays at the current image", markup=False)
            return
        except BrandkitError as exc:
            self.failed += 1
            self.errors.print(f"turn {number} failed: {type(exc).__name__}: {exc}", markup=False)
            return
        checks = outcome.asset.report.summary()
        info = {
            "turn": outcome.turn,
            "refines": outcome.parent_turn,
            "path": str(outcome.path),
            "response_id": outcome.response_id,
            "attempts": outcome.attempts,
            "cost_usd": round(outcome.cost_usd, 6),
            "checks": checks,
            "notes": outcome.notes,
            "partial_images": outcome.partial_images,
        }
        self.results.append(info)
        branched = outcome.parent_turn is not None and outcome.parent_turn != outcome.turn - 1
        refines = f", refines turn {outcome.parent_turn}" if branched else ""
        self.console.print(
            f"✓ {outcome.path}  (turn {outcome.turn}{refines}, attempt {outcome.attempts}, ${outcome.cost_usd:.4f})",
            markup=False,
        )
        warned = {r.name for r in outcome.asset.report.checks.values() if r.warned}
        shown = [f"{name} {status}{' (warn)' if name in warned else ''}" for name, status in checks.items()]
        self.console.print("  checks: " + ", ".join(shown), markup=False)  # warn: a failure that did not block
        for note in outcome.notes:
            self.console.print(f"  note: {note}", markup=False)

    def summary(self) -> dict[str, Any]:
        """The session for ``--json`` and the closing line."""
        return {
            "conversation_id": self.conv.id,
            "turns": self.results,
            "failed": self.failed,
            "rejected": self.rejected,
            "spent_usd": round(self.conv.spent_usd, 6),
        }
