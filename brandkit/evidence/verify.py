"""Build a :class:`~brandkit.evidence.models.VerificationReport` from an image, its spec and its validation report.

:func:`verify` validates the image with a kit (or takes a report already computed) and adds, per check, the
evidence a person can see; :func:`build_verification` does the second half for a report in hand. The layout the
image was made with — where the photograph, the logo and the copy were meant to go — comes from the caller's
request or the image's provenance record; without either (a file brandkit did not make) the checks ran on the
whole image and the report says so.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from brandkit.check_catalog import CheckDetails
from brandkit.checks.base import CheckResources
from brandkit.checks.contrast_details import ContrastDetails
from brandkit.checks.logo.details import LogoDetails
from brandkit.checks.palette_details import PaletteDetails
from brandkit.checks.text_details import TextDetails
from brandkit.compile import compile_prompt
from brandkit.errors import RequestError
from brandkit.evidence.collect import contrast_evidence, logo_evidence, measurements, text_evidence, typed_details
from brandkit.evidence.heatmap import palette_evidence, palette_matcher
from brandkit.evidence.models import CheckEvidence, Finding, ImageInfo, VerificationReport
from brandkit.evidence.scoring import SEVERITY_ORDER, outcome_severity, rule_weight, score, verdict
from brandkit.geometry import PixelBox, scaled_box
from brandkit.imageio import detect_format, load_image_reduced, read_bytes
from brandkit.kit import BrandKit
from brandkit.kit_args import ImageInput, as_asset_request, named_image_errors
from brandkit.models import AssetRequest, CheckResult, ValidationReport
from brandkit.provenance import follows_layout, read_provenance_record
from brandkit.spec.models import BrandSpec

_NO_LAYOUT = (
    "no provenance and no request: the layout and the copy ordered are unknown, so the checks ran on the whole "
    "image (palette zones by segmentation, the logo searched everywhere, every line of text measured)"
)


@dataclass(frozen=True)
class Layout:
    """Where the image's layout put things (in ``size`` pixels), and where that came from."""

    source: str  # "request", "read" (the provenance record), "absent", "unreadable"
    size: tuple[int, int] | None = None
    photo_box: PixelBox | None = None
    logo_box: PixelBox | None = None


def layout_of(spec: BrandSpec, data: bytes, request: AssetRequest | None) -> Layout:
    """The layout from ``request`` (compiled, nothing sent) or from the provenance embedded in ``data``."""
    reading = read_provenance_record(data).against(spec.name, [logo.variant for logo in spec.logos])
    record = reading.record
    if request is not None:
        prompt = compile_prompt(spec, request)
        layout = prompt.layout
        hero = prompt.photo_area if follows_layout(record) else None  # as the validate flow judges it
        logo = layout.logo_box.as_tuple() if layout.logo_box is not None else None
        return Layout("request", (prompt.width, prompt.height), hero, logo)
    if record is None:
        return Layout(reading.status)
    size = (record.width, record.height) if record.width and record.height else None
    return Layout("read", size, _as_box(record.photo_box), _as_box(record.logo_box))


def _as_box(values: Sequence[int] | None) -> PixelBox | None:
    return None if values is None else (values[0], values[1], values[2], values[3])


def _finding_messages(outcome: CheckResult, details: CheckDetails | None) -> list[str]:
    """What is wrong, one message per problem where the details list them, else the hint or the reason."""
    if outcome.status.value == "not_checked":
        why = details.why() if details is not None else ""
        return [f"could not be verified: {why}" if why else "could not be verified"]
    messages: list[str] = []
    if isinstance(details, PaletteDetails):
        messages = list(details.problems)
    elif isinstance(details, TextDetails):
        for role, s in details.strings.items():
            if s.found is False:
                read = f"read '{s.rendered}' ({s.difference})" if s.rendered else "not found"
                messages.append(f"{role}: expected '{s.expected}', {read}")
        messages += [
            f"forbidden {hit.kind} '{hit.rule}' on the image (read '{hit.found}')" for hit in details.forbidden
        ]
    elif isinstance(details, ContrastDetails):
        messages = [
            f"'{line.text}' measures {line.ratio:.2f}:1, needs {details.min_contrast or 0:g}:1"
            for line in details.lines
            if not line.passed
        ]
    if not messages:
        messages = [outcome.hint or (details.why() if details is not None else "") or "failed"]
    return messages


def _check_evidence(
    outcome: CheckResult,
    image: Image.Image,
    spec: BrandSpec,
    layout: Layout,
    contrast: ContrastDetails | None,
    resources: CheckResources | None,
) -> CheckEvidence:
    details = typed_details(outcome)
    status = outcome.status.value
    policy = str(outcome.policy)
    severity = outcome_severity(status, policy)
    findings: list[Finding] = []
    if status in ("failed", "not_checked"):
        findings = [
            Finding(check=outcome.name, severity=severity, status=status, message=m)
            for m in _finding_messages(outcome, details)
        ]
    extra: dict[str, Any] = {}
    size = image.size
    if outcome.name == "palette" and status != "skipped":
        matcher = palette_matcher(spec.palette, resources)
        extra["palette"] = palette_evidence(
            image, spec.palette, photo_box=layout.photo_box, layout_size=layout.size, matcher=matcher
        )
    elif isinstance(details, TextDetails):
        extra["text"] = text_evidence(details, contrast)
    elif isinstance(details, LogoDetails) and status != "skipped":
        expected = None if layout.logo_box is None else scaled_box(layout.logo_box, layout.size, size)
        extra["logo"] = logo_evidence(details, size, expected)
    elif isinstance(details, ContrastDetails):
        extra["contrast"] = contrast_evidence(details)
    elif details is not None:
        extra["measurements"] = measurements(details)
    return CheckEvidence(
        name=outcome.name,
        status=status,
        policy=policy,
        severity=severity,
        weight=rule_weight(status, policy),
        reason=(details.why() or None) if details is not None and status in ("skipped", "not_checked") else None,
        hint=outcome.hint,
        findings=findings,
        **extra,
    )


def build_verification(
    spec: BrandSpec,
    data: bytes,
    report: ValidationReport,
    *,
    request: AssetRequest | Mapping[str, Any] | None = None,
    source: str | None = None,
    resources: CheckResources | None = None,
) -> VerificationReport:
    """The verification report of the image ``data`` (encoded bytes) whose validation gave ``report``.

    ``request``: what was ordered, when the caller knows (else the image's provenance, else nothing). ``source``:
    the file name shown in the report. ``resources``: a kit's check resources (``kit.resources.checks``) to keep
    the heat map's palette tables in between reports (else they are built for this report only). Raises
    :class:`~brandkit.ImageInputError` for bytes that do not decode and :class:`~brandkit.RequestError`
    (``field="report"``) for a report of another spec.
    """
    if report.spec_name and report.spec_name != spec.name:
        raise RequestError(
            f"the validation report is of spec {report.spec_name!r}, not {spec.name!r}: validate the image with "
            "this spec first",
            field="report",
            value=report.spec_name,
        )
    image, file_size = load_image_reduced(data)  # as the checks read it: a large file reduced
    layout = layout_of(spec, data, as_asset_request(request) if request is not None else None)
    contrast_result = report.checks.get("contrast")
    contrast_details = typed_details(contrast_result) if contrast_result is not None else None
    contrast = contrast_details if isinstance(contrast_details, ContrastDetails) else None
    checks = {
        name: _check_evidence(outcome, image, spec, layout, contrast, resources)
        for name, outcome in report.checks.items()
    }
    findings = sorted((f for c in checks.values() for f in c.findings), key=lambda f: SEVERITY_ORDER.index(f.severity))
    if layout.source == "request":
        note = "checked against the caller's request: its copy and layout"
    elif layout.source == "read":
        note = "checked against the image's provenance record: the copy and layout it was made with"
    else:
        note = _NO_LAYOUT + (" (the provenance record was unreadable)" if layout.source == "unreadable" else "")
    return VerificationReport(
        spec_name=spec.name,
        spec_fingerprint=spec.fingerprint or "",
        image=ImageInfo(
            source=source,
            width=image.width,
            height=image.height,
            file_size=file_size,
            format=detect_format(data),
            sha256=hashlib.sha256(data).hexdigest(),
        ),
        provenance=layout.source,
        scope_note=note,
        verdict=verdict(checks.values()),
        passed=report.passed,
        score=score(checks.values()),
        findings=findings,
        checks=checks,
    )


def verify(
    kit: BrandKit,
    image: ImageInput,
    *,
    request: AssetRequest | Mapping[str, Any] | None = None,
    report: ValidationReport | None = None,
) -> VerificationReport:
    """Validate ``image`` (a path or encoded bytes) with ``kit`` and report every check with its evidence.

    ``request``: the copy and format ordered (else the image's provenance, else none: whole-image checks).
    ``report``: a validation report already computed for this image with this kit (not recomputed).
    Raises :class:`~brandkit.ImageInputError` naming the file when it cannot be read.
    """
    name = None if isinstance(image, bytes) else os.fspath(image)
    with named_image_errors(image):  # an unreadable file is named, not shown as "<N bytes>"
        data = image if isinstance(image, bytes) else read_bytes(image)
        if report is None:
            report = kit.validate(data, request=request)
        return build_verification(kit.spec, data, report, request=request, source=name, resources=kit.resources.checks)


__all__ = ["Layout", "build_verification", "layout_of", "verify"]
