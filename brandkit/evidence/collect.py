"""Evidence of each check, read from its result's typed details (``CheckInfo.details(result)``).

Every built-in check declares a details model (``brandkit/checks/*_details.py``, ``TechnicalDetails``,
``CredentialsDetails``); a result is read through it, never through string keys. A result whose details do not
match its model yields no evidence for that check (its status, reason and hint are still reported).
"""

from __future__ import annotations

from collections.abc import Sequence

from brandkit.check_catalog import CheckDetails
from brandkit.checks.contrast_details import ContrastDetails
from brandkit.checks.copy_text import normalize_tokens
from brandkit.checks.credentials import CredentialsDetails
from brandkit.checks.logo.details import LogoDetails
from brandkit.checks.moderation_details import ModerationDetails
from brandkit.checks.registry import check_infos
from brandkit.checks.technical import TechnicalDetails
from brandkit.checks.text_details import TextDetails
from brandkit.evidence.models import (
    ContrastMeasurement,
    ExpectedString,
    LogoEvidence,
    Measurement,
    OcrBox,
    TextEvidence,
)
from brandkit.geometry import PixelBox
from brandkit.models import CheckResult


def typed_details(outcome: CheckResult) -> CheckDetails | None:
    """``outcome.details`` through its check's declared model; ``None`` for an unknown check or malformed details."""
    info = check_infos().get(outcome.name)
    if info is None:
        return None
    try:
        return info.details(outcome)
    except ValueError:
        return None


def _loose(text: str) -> str:
    """``text`` as the copy matcher compares it loosely (case folded, edge punctuation stripped, one space)."""
    return " ".join(normalize_tokens(text))


def _box(values: Sequence[float] | None) -> PixelBox | None:
    if values is None or len(values) != 4:
        return None
    x0, y0, x1, y1 = (round(float(v)) for v in values)
    return (x0, y0, x1, y1)


def text_evidence(details: TextDetails, contrast: ContrastDetails | None = None) -> TextEvidence:
    """OCR lines with the expected string each renders, and each expected string with the lines that hold it.

    A line holds a string when the contrast check located that string on it (its ``roles``), else when the
    string as read appears in the line's text (loosely normalised: case, accents and spacing aside).
    """
    roles_by_line: dict[PixelBox, list[str]] = {}
    for measured in contrast.lines if contrast is not None else []:
        box = _box(measured.box)
        if box is not None and measured.roles:
            roles_by_line.setdefault(box, []).extend(r for r in measured.roles.split(",") if r)
    lines: list[OcrBox] = []
    boxes_of: dict[str, list[PixelBox]] = {role: [] for role in details.strings}
    for read in details.ocr_lines:
        box = _box(read.box)
        if box is None:
            continue
        roles = roles_by_line.get(box) or [
            role
            for role, s in details.strings.items()
            if s.rendered and _loose(s.rendered) and _loose(s.rendered) in _loose(read.text)
        ]
        for role in roles:
            if role in boxes_of:
                boxes_of[role].append(box)
        first = details.strings.get(roles[0]) if roles else None
        lines.append(
            OcrBox(
                box=box,
                read=read.text,
                confidence=read.confidence,
                role=",".join(roles) or None,
                expected=first.expected if first is not None else None,
                matched=None if first is None else bool(first.found),
            )
        )
    unexpected = {(_box(u.box), u.text) for u in details.unexpected_text}
    for u_box, u_text in sorted(unexpected, key=lambda item: (item[0] or (0, 0, 0, 0), item[1])):
        if u_box is not None:
            lines.append(OcrBox(box=u_box, read=u_text, unexpected=True))
    strings = [
        ExpectedString(
            role=role,
            expected=s.expected,
            read=s.rendered,
            found=bool(s.found),
            difference=s.difference,
            rule=s.rule or None,
            boxes=boxes_of.get(role, []),
        )
        for role, s in details.strings.items()
    ]
    return TextEvidence(
        lines=lines,
        strings=strings,
        forbidden=[f"{hit.kind} '{hit.rule}': read '{hit.found}'" for hit in details.forbidden],
        repeated_copy=[f"'{r.text}' repeats the {r.repeats}" for r in details.repeated_copy],
        old_copy=[f"'{o.read}', the old {o.role} ('{o.old}')" for o in details.old_copy],
        unverified_copy=list(details.unverified_copy or []),
    )


def logo_evidence(details: LogoDetails, size: tuple[int, int], expected_box: PixelBox | None) -> LogoEvidence:
    """The logo found and its clear-space zone (the band the check measured, or the rule's band)."""
    box = _box(details.box) if details.found else None
    ground = details.ground or {}  # the ground rule's reading (checks/logo/ground.py)
    clear_box: PixelBox | None = None
    clear_px: float | None = None
    crowded: list[str] = []
    if box is not None:
        band = details.clear_space or {}
        outer = band.get("measured_to_px")
        if isinstance(outer, int | float):
            clear_px = float(outer)
        elif details.rules is not None:
            clear_px = details.rules.clear_space * (box[3] - box[1])
        sides = band.get("sides")
        limit = band.get("max_edge_density")
        if isinstance(sides, dict) and isinstance(limit, int | float):
            crowded = sorted(str(s) for s, d in sides.items() if isinstance(d, int | float) and d > limit)
        if clear_px is not None:
            m = round(clear_px)
            w, h = size
            clear_box = (max(0, box[0] - m), max(0, box[1] - m), min(w, box[2] + m), min(h, box[3] + m))
    return LogoEvidence(
        variant=details.variant,
        found=bool(details.found),
        box=box,
        expected_box=expected_box,
        clear_space_box=clear_box,
        clear_space_px=None if clear_px is None else round(clear_px, 1),
        crowded_sides=crowded,
        placement=details.placement,
        allowed_placements=list(details.rules.placements) if details.rules is not None else [],
        failed_rules=list(details.failed_rules or []),
        ground=ground.get("colour"),
        ground_tone=ground.get("tone"),
        made_for=ground.get("made_for"),
        rendered_width_px=details.rendered_width_px,
    )


def contrast_evidence(details: ContrastDetails) -> list[ContrastMeasurement]:
    """Each measured line: its ratio against the required one, at its box."""
    required = details.min_contrast or 0.0
    out: list[ContrastMeasurement] = []
    for line in details.lines:
        box, measured = _box(line.box), _box(line.measured_box)
        if box is None or measured is None:
            continue
        out.append(
            ContrastMeasurement(
                text=line.text,
                box=box,
                measured_box=measured,
                ratio=line.ratio,
                required=required,
                passed=line.passed,
                text_color=line.text_color,
                background_color=line.background_color,
            )
        )
    return out


def measurements(details: CheckDetails) -> list[Measurement]:
    """The measured values of the moderation, technical and credentials checks."""
    if isinstance(details, ModerationDetails):
        rows = [
            Measurement(name=v.category, value=v.score, expected=f"<= {v.threshold:g}", ok=None)
            if v.status == "not_checked"
            else Measurement(name=v.category, value=v.score, expected=f"<= {v.threshold:g}", ok=v.status == "passed")
            for v in details.coverage
        ]
        if details.source:
            rows.insert(0, Measurement(name="source", value=details.source))
        return rows
    if isinstance(details, TechnicalDetails):
        return [
            Measurement(name=name, value=s.actual, expected=s.expected, ok=s.ok) for name, s in details.checks.items()
        ]
    if isinstance(details, CredentialsDetails):
        ok = details.state in ("valid", "trusted", "signed_on_return") if details.state is not None else None
        rows = [Measurement(name="state", value=details.state, expected="valid or trusted", ok=ok)]
        named = {
            "signer": details.signer,
            "issuer": details.issuer,
            "claim_generator": details.claim_generator,
            "digital_source_type": details.digital_source_type,
        }
        rows += [Measurement(name=name, value=value) for name, value in named.items() if value is not None]
        if details.codes:
            rows.append(Measurement(name="codes", value=list(details.codes)))
        return rows
    return []


__all__ = ["contrast_evidence", "logo_evidence", "measurements", "text_evidence", "typed_details"]
