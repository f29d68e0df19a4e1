"""Writing an imported spec folder atomically: everything goes into a temporary folder beside the target, the
spec is loaded back from it (every asset checked, as ``brandkit spec check`` does), and only then is the folder
renamed into place. An existing non-empty target is refused unless ``force``; it is then swapped out whole."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import yaml

from brandkit.errors import OutputFolderError, SpecError
from brandkit.spec.importers.build import BuiltSpec
from brandkit.spec.importers.report import MappingReport
from brandkit.spec.loader import load_spec
from brandkit.spec.models import BrandSpec


def spec_yaml(built: BuiltSpec, report: MappingReport) -> str:
    """The text of ``brand.yaml``: a comment naming the source, then the spec."""
    header = (
        f"# Imported by `brandkit spec import` from {report.format} ({report.source}).\n"
        "# The mapping report lists what was approximated, dropped, and what is still to decide.\n"
    )
    return header + yaml.safe_dump(built.data, sort_keys=False, allow_unicode=True, width=100)


def write_spec_folder(built: BuiltSpec, report: MappingReport, out: Path, *, force: bool = False) -> BrandSpec:
    """Write the spec folder at ``out`` and return the spec loaded back from it."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise OutputFolderError(f"{out}: exists and is not empty (pass --force to replace it)", str(out), "not_empty")
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=parent))
    except OSError as exc:
        raise OutputFolderError(f"{out}: cannot create it ({exc.strerror or exc})", str(out), "not_writable") from None
    try:
        for relative, data in {"brand.yaml": spec_yaml(built, report).encode("utf-8"), **built.files}.items():
            target = temp / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        load_spec(temp)  # every asset decoded and checked before the folder is published
        old = None
        if out.exists():
            old = parent / f".{out.name}.replaced-{os.getpid()}"
            os.replace(out, old)
        os.replace(temp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except SpecError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise SpecError(exc.message.replace(str(temp), str(out)), exc.issues) from None
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise OutputFolderError(f"{out}: cannot write it ({exc.strerror or exc})", str(out), "not_writable") from None
    return load_spec(out)
