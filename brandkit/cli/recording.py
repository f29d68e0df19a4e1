"""The asset registry as the commands use it: ``--db``, the recorders of ``generate`` / ``edit`` / ``validate`` /
``variants`` (:func:`output_recorder`, :func:`variants_recorder`, :func:`validate_recorder`), how a command reports
what was recorded (:func:`report_recording`) and the registry the review commands open (:func:`open_registry`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from brandkit.registry.recorder import RegistryRecorder
    from brandkit.spec.models import BrandSpec

DbOpt = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional
    typer.Option("--db", help="Asset registry (SQLite). Default: $BRANDKIT_DB, else brandkit.db in the output folder."),
]
EditDbOpt = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional
    typer.Option(
        "--db",
        help="Asset registry (SQLite). Default: $BRANDKIT_DB, else the brandkit.db beside the edited image (its "
        "parent's), else brandkit.db in the output folder.",
    ),
]


# --- recording from generate / edit / validate ----------------------------------------------------------------


def output_recorder(db: Path | None, command: str, out: Path, spec: BrandSpec) -> RegistryRecorder:
    """The recorder of a command that writes into ``out``: ``--db``, else ``$BRANDKIT_DB``, else ``out/brandkit.db``."""
    from brandkit.registry.recorder import RegistryRecorder
    from brandkit.registry.store import default_db_path

    return RegistryRecorder(db or default_db_path(out), command, out, spec=spec)


def edit_recorder(db: Path | None, out: Path, spec: BrandSpec, image: Path) -> RegistryRecorder:
    """The recorder of ``edit``: ``--db``, else ``$BRANDKIT_DB``, else the registry beside the edited image when
    there is one (its parent's: the edit joins its lineage and review queue), else ``out/brandkit.db``."""
    from brandkit.registry.recorder import RegistryRecorder
    from brandkit.registry.store import DB_NAME

    chosen = _given_or_beside(db, [image]) or out / DB_NAME
    return RegistryRecorder(chosen, "edit", out, spec=spec, parent_path=image)


def variants_recorder(db: Path | None, out: Path) -> RegistryRecorder:
    """The recorder of a variants run into ``out`` (each variant's spec comes with it)."""
    from brandkit.registry.recorder import RegistryRecorder
    from brandkit.registry.store import default_db_path

    return RegistryRecorder(db or default_db_path(out), "variants", out, kind="variant")


def validate_recorder(db: Path | None, images: list[Path], spec: BrandSpec) -> RegistryRecorder | None:
    """The recorder of ``validate``: ``--db``, else ``$BRANDKIT_DB``, else an existing ``brandkit.db`` beside the
    images (the output folder they were generated into); ``None`` when there is none (said in the output)."""
    from brandkit.registry.recorder import RegistryRecorder

    chosen = _given_or_beside(db, images)
    if chosen is None:
        return None
    return RegistryRecorder(chosen, "validate", None, spec=spec, kind="validate")


def _given_or_beside(db: Path | None, images: list[Path]) -> Path | None:
    """``--db``, else ``$BRANDKIT_DB``, else the first existing ``brandkit.db`` beside one of ``images`` (the
    registry they were recorded in); ``None`` when there is none."""
    from brandkit.registry.store import DB_ENV, DB_NAME

    chosen = db or (Path(os.environ[DB_ENV]) if os.environ.get(DB_ENV) else None)
    if chosen is None:
        chosen = next((image.parent / DB_NAME for image in images if (image.parent / DB_NAME).is_file()), None)
    return chosen


def report_recording(recorder: RegistryRecorder | None, json_out: bool) -> dict[str, Any]:
    """Close ``recorder``, print its warnings (stderr; the exit code is unchanged) and return the ``registry`` field
    for ``--json`` output (``None`` when nothing was recorded anywhere)."""
    from brandkit.cli.common import esc, make_console

    if recorder is None:
        if not json_out:
            make_console(stderr=True).print("note: not recorded (no registry: give --db or set BRANDKIT_DB)")
        return {"registry": None}
    recorder.close()
    if not recorder.warnings and not (recorder.unrecorded and not json_out):
        return {"registry": recorder.summary()}  # nothing to say: no console (nor rich) made
    console = make_console(stderr=True)
    for warning in recorder.warnings:
        console.print(f"[bold yellow]warning:[/] {esc(warning)}", markup=True)
    if recorder.unrecorded and not json_out:
        console.print(
            f"[bold yellow]warning:[/] {recorder.unrecorded} saved asset(s) are not in the registry "
            "(the files and sidecars are complete; they are not in the review queue)",
            markup=True,
        )
    return {"registry": recorder.summary()}


def open_registry(db: Path | None) -> Any:
    """The registry to review: ``--db``, else ``$BRANDKIT_DB``, else ``out/brandkit.db``; it must exist."""
    from brandkit.errors import RegistryError
    from brandkit.registry.store import Registry, default_db_path

    path = db or default_db_path(Path("out"))
    if not path.is_file():
        raise RegistryError(
            f"{path}: no registry there (generate, edit, validate or variants create one; name it with --db)",
            path=str(path),
        )
    return Registry.open(path)
