"""Writing a verification report file: ``.html`` (the standalone page) or ``.json`` (native or AdCP), atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from brandkit.atomic import atomic_write
from brandkit.errors import RequestError
from brandkit.evidence.adcp import to_adcp
from brandkit.evidence.html import render_html
from brandkit.evidence.models import VerificationReport

ReportFormat = Literal["native", "adcp"]
REPORT_FORMATS: tuple[str, ...] = ("native", "adcp")


def report_kind(path: str | os.PathLike[str]) -> Literal["html", "json"]:
    """``html`` or ``json`` from the file's suffix; :class:`~brandkit.RequestError` for any other."""
    suffix = Path(path).suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".json":
        return "json"
    raise RequestError(
        f"--report {os.fspath(path)!r}: the report file must end in .html or .json (got {suffix or 'no suffix'!r})",
        field="report",
        value=os.fspath(path),
    )


def check_report_options(path: str | os.PathLike[str], fmt: str) -> Literal["html", "json"]:
    """The kind of report ``path`` asks for, refusing a format the kind cannot carry (before any work is done)."""
    kind = report_kind(path)
    if fmt not in REPORT_FORMATS:
        raise RequestError(
            f"unknown report format {fmt!r}; choose one of {', '.join(REPORT_FORMATS)}",
            field="report_format",
            value=fmt,
        )
    if fmt == "adcp" and kind == "html":
        raise RequestError(
            "the adcp report format is JSON (an AdCP get_creative_features response): give a .json report path",
            field="report_format",
            value=fmt,
        )
    return kind


def report_text(report: VerificationReport, kind: Literal["html", "json"], fmt: str, image: bytes) -> str:
    """The report file's text: the HTML page (``image``: the checked file's bytes), or the native / AdCP JSON."""
    if kind == "html":
        return render_html(report, image)
    body = to_adcp(report) if fmt == "adcp" else report.model_dump(mode="json")
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def write_report(
    report: VerificationReport, path: str | os.PathLike[str], image: bytes, *, fmt: str = "native"
) -> Path:
    """Write ``report`` to ``path`` atomically (kind from the suffix, see :func:`check_report_options`)."""
    kind = check_report_options(path, fmt)
    target = Path(path)
    atomic_write(target, report_text(report, kind, fmt, image).encode("utf-8"))
    return target


__all__ = ["REPORT_FORMATS", "ReportFormat", "check_report_options", "report_kind", "report_text", "write_report"]
