"""Verification report with evidence: what each check found on an image, where, and how much it matters.

An application layer on top of the SDK (no stage imports it). :func:`verify` validates an image with a kit —
or takes a :class:`~brandkit.models.ValidationReport` already computed — and returns a typed
:class:`VerificationReport`: per check its findings with a severity (blocker / major / minor / info), the
evidence a person can see (the off-palette heat map, OCR boxes with what was read vs expected, the logo box and
its clear-space zone, each contrast measurement at its box, the measured moderation / technical / credentials
values), an overall score and a verdict. :func:`render_html` makes the standalone HTML page, :func:`to_adcp`
the AdCP ``get_creative_features`` form. See ``docs/verification.md``.

Modules: ``models.py`` (the report), ``heatmap.py`` (ΔE00 per pixel, vectorised), ``collect.py`` (evidence from
each check's typed details), ``scoring.py`` (severities, score, verdict), ``verify.py`` (ties them together),
``adcp.py``, ``html.py`` (+ ``templates/``), ``schema.py`` (``schemas/verification-report.schema.json``),
``output.py`` (writing a report file atomically).
"""

from __future__ import annotations

from brandkit.evidence.adcp import ADCP_SCHEMA_VERSION, approval_status, to_adcp
from brandkit.evidence.html import render_html
from brandkit.evidence.models import (
    CheckEvidence,
    ContrastMeasurement,
    ExpectedString,
    Finding,
    ImageInfo,
    LogoEvidence,
    Measurement,
    OcrBox,
    OffPaletteRegion,
    PaletteEvidence,
    Score,
    Severity,
    TextEvidence,
    Verdict,
    VerificationReport,
)
from brandkit.evidence.output import ReportFormat, report_text, write_report
from brandkit.evidence.verify import build_verification, verify

__all__ = [
    "ADCP_SCHEMA_VERSION",
    "CheckEvidence",
    "ContrastMeasurement",
    "ExpectedString",
    "Finding",
    "ImageInfo",
    "LogoEvidence",
    "Measurement",
    "OcrBox",
    "OffPaletteRegion",
    "PaletteEvidence",
    "ReportFormat",
    "Score",
    "Severity",
    "TextEvidence",
    "Verdict",
    "VerificationReport",
    "approval_status",
    "build_verification",
    "render_html",
    "report_text",
    "to_adcp",
    "verify",
    "write_report",
]
