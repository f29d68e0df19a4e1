"""Saving what ``brandkit generate`` and ``brandkit edit`` made: each asset under a free name as it is made, its
summary printed (or kept for ``--json``), recorded in the registry; a paid image that cannot be saved kept elsewhere
(exit 4); and the best attempt of a request whose checks failed on every attempt kept beside them as
``<name>-rejected.<ext>`` (with its sidecar, recorded as failed) — paid for, so never thrown away (exit 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol

from brandkit.cli.common import (
    EXIT_CHECKS,
    EXIT_USAGE,
    emit_json,
    error_fields,
    esc,
    exit_code_of,
    fail,
    make_console,
    report_rows,
)
from brandkit.cli.output_target import OutputTarget
from brandkit.cli.recording import report_recording
from brandkit.errors import BrandViolationError, OutputError, PartialGenerationError

__all__ = ["run_assets"]


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
        "notes": provider_notes(asset.attempts),
        **({"edit": asset.edit.model_dump(mode="json")} if asset.edit is not None else {}),
    }


class Noted(Protocol):
    """An attempt as the SDK returns it or as its sidecar records it: what the provider said about the call."""

    @property
    def notes(self) -> list[str]: ...


def provider_notes(attempts: Iterable[Noted]) -> list[str]:
    """What the provider said about the calls across an asset's attempts (a reference image not applied, a
    parameter left out, feedback the local renderer does not follow), each once."""
    notes: list[str] = []
    for attempt in attempts:
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


def run_assets(
    make: Callable[[Callable[[int, Any], None], Callable[[int, Any], None]], object],
    target: OutputTarget,
    stem: str,
    json_out: bool,
    prompt: Any = None,
    count: int = 1,
    overwrite: bool = False,
    recorder: Any = None,
) -> None:
    """Pre-flight ``target``'s folder for ``count`` images like ``prompt`` (nothing spent if it is unusable or too
    small, or if the file ``--out`` names has another format's extension), make the assets — ``make(save,
    rejected)`` hands ``save(index, asset)`` each one as soon as it is made, so an interruption later loses nothing
    finished, and ``rejected(index, error)`` each request whose checks failed on every attempt (its best attempt is
    kept) —, save them (never over an existing file unless ``overwrite``); a save that fails raises
    OutputFailedError (exit 4) saying what was kept."""
    from brandkit.outputs import estimate_output_bytes, image_extension, keep_elsewhere, preflight, prompt_output

    out = target.folder
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: output folder is a file", path=str(out))
    images = []
    if prompt is not None:
        images = [prompt_output(prompt)] * count
        target.check_format(images[0][2])
    preflight(out, estimate_output_bytes(images))
    written: list[dict[str, Any]] = []
    unsaved: list[tuple[Any, str, OutputError]] = []

    rejected: dict[int, dict[str, Any]] = {}  # variant index → its kept best attempt's summary
    not_kept: list[str] = []

    def file_name(index: int, asset: Any, tail: str = "") -> tuple[str, str]:
        name, suffix = target.name(stem, index, count)
        return name + tail, suffix or image_extension(asset.output_format)

    def keep(asset: Any, name: str, suffix: str) -> dict[str, Any]:
        """``asset`` saved (never over a file unless ``overwrite``; OutputError when it cannot be), recorded and
        printed: its ``--json`` summary."""
        path = _save_new(asset, out, name, suffix, overwrite)
        info = _asset_summary(asset, path)
        if recorder is not None:  # after the files are safe; a registry failure is a warning (cli/recording.py)
            recorder.add(asset, path)
        if not json_out:  # said as it is saved: a long run shows each variant as it comes
            _print_saved(asset, info)
        return info

    def save(index: int, asset: Any) -> None:
        name, suffix = file_name(index, asset)
        try:
            written.append(keep(asset, name, suffix))
        except OutputError as exc:
            unsaved.append((asset, name + suffix, exc))

    def keep_rejected(index: int, error: BaseException) -> None:
        """The best attempt of a variant whose checks failed on every attempt (paid for), kept as ``<name>-rejected``
        with its sidecar (its failing report), recorded as failed — the review queue shows it — and printed."""
        if not isinstance(error, BrandViolationError) or error.asset is None:
            return
        name, suffix = file_name(index, error.asset, "-rejected")
        try:
            rejected[index] = keep(error.asset, name, suffix)
        except OutputError as exc:
            not_kept.append(f"{name}{suffix}: {exc}")

    partial: PartialGenerationError[Any] | None = None
    violation: BrandViolationError[Any, Any, Any] | None = None
    try:
        make(save, keep_rejected)
    except PartialGenerationError as exc:  # some variants made (and saved): fail with the first error's code
        partial = exc
    except BrandViolationError as exc:  # none made (n = 1, or every variant's checks failed: the first one's)
        violation = exc
    registry = {} if recorder is None else report_recording(recorder, json_out)
    if unsaved:  # paid for, not saved: keep them elsewhere if possible, then say what happened (exit 4)
        items = [(name, asset.cost_usd, asset.save) for asset, name, _ in unsaved]
        raise keep_elsewhere(items, len(written), out, unsaved[0][2])
    kept = _Kept(rejected, not_kept)
    if partial is not None:
        _fail_partial(partial, written, kept, registry, json_out)
    if violation is not None:
        extra = {**error_fields(violation), "rejected": list(rejected.values()), **registry}
        fail(EXIT_CHECKS, f"{violation}{kept.said()}", json_out, extra)
    if json_out:
        emit_json({"ok": True, "assets": written, **registry})


@dataclass(frozen=True)
class _Kept:
    """The best attempts kept of the variants whose checks failed (by variant index), and those that could not be."""

    rejected: dict[int, dict[str, Any]]
    not_kept: list[str]

    def said(self) -> str:
        """The end of the failure message: where the rejected attempts are, or why they could not be kept."""
        paths = ", ".join(str(info["path"]) for info in self.rejected.values())
        text = f" — best attempt kept for review: {paths}" if paths else ""
        return text + (f" — not kept: {'; '.join(self.not_kept)}" if self.not_kept else "")


def _print_saved(asset: Any, info: dict[str, Any]) -> None:
    """One saved asset: its path and cost line (``info``: its ``--json`` summary), what an edit kept, its checks —
    a rejected one (its report failed) marked as such."""
    console = make_console()
    fixes = f", fixes: {', '.join(info['fixes'])}" if info["fixes"] else ""
    mark = "[bold green]✓[/]" if info["passed"] else "[bold red]✗ rejected, kept for review:[/]"
    attempt = f"attempt {info['attempt']}" + ("" if info["passed"] else f" of {info['attempts']}, the best")
    console.print(
        f"{mark} {esc(info['path'])}  ({attempt}, {esc(info['provider'])}/"
        f"{esc(info['model'])}, ${info['cost_usd']:.4f}{esc(fixes)})"
    )
    for line in asset.edit.lines() if asset.edit is not None else []:
        console.print(f"  {line}", markup=False)
    for note in info["notes"]:
        console.print(f"  note: {note}", markup=False)
    console.print(report_rows(asset.report))


def _fail_partial(
    partial: PartialGenerationError[Any],
    written: list[dict[str, Any]],
    kept: _Kept,
    registry: dict[str, Any],
    json_out: bool,
) -> NoReturn:
    """Some of ``n`` variants were made (saved, and printed as they were): say which, and which were not (and where
    the best attempts of those whose checks failed were kept), and exit with the code of the first variant error (1
    checks failed, 3 provider error, …)."""
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
            **({"rejected": kept.rejected[failure.index]} if failure.index in kept.rejected else {}),
        }
        for failure in partial.failures
    ]
    first = partial.first_error
    code = exit_code_of(first) if first is not None else EXIT_USAGE
    paths = ", ".join(str(info["path"]) for info in written) or "none"
    if json_out:
        fail(code, str(partial), True, {"assets": written, "failed": failed, **registry})
    fail(code, f"{partial} — saved: {paths}{kept.said()}", False)
