"""What the registry stores for an asset, built from brandkit's own objects (pure: no I/O, no database).

:class:`AssetRecord` is one row of ``assets`` with its attempts; :func:`from_asset` and :func:`from_report` build
it from a saved :class:`~brandkit.asset.Asset` (a passing one, or the best attempt of a request whose checks failed:
``BrandViolationError.asset``, its report failed) or from a ``validate`` report. :func:`spec_summary` is the spec's
row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brandkit.check_catalog import CheckDetails
from brandkit.models import AssetRequest, Attempt, CheckStatus, EditRequest, ValidationReport

if TYPE_CHECKING:
    from brandkit.asset import Asset
    from brandkit.asset_sidecar import AssetSidecar
    from brandkit.spec.models import BrandSpec


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt as stored."""

    number: int
    passed: bool
    checks: list[dict[str, Any]]
    spend_usd: float
    prompt_hash: str | None
    feedback: list[str]
    fixes: list[str]
    elapsed_s: float | None


@dataclass(frozen=True)
class SpecRecord:
    """A spec as stored (keyed by fingerprint)."""

    fingerprint: str
    name: str
    version: str | None
    source: str | None
    palette: list[str]
    rules: list[str]


@dataclass(frozen=True)
class AssetRecord:
    """One asset as stored, before it has an id."""

    kind: str
    content_hash: str
    key: str
    path: str
    sidecar_path: str | None
    spec_name: str
    spec_fingerprint: str
    passed: bool
    spend_usd: float
    checks: dict[str, str]
    failing: list[dict[str, str]]
    request: dict[str, Any] | None = None
    prompt_hash: str | None = None
    provider: str | None = None
    model: str | None = None
    format: str | None = None
    locale: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    attempts: list[AttemptRecord] = field(default_factory=list)

    def request_json(self) -> str | None:
        """The request as JSON text (``None`` when there is none)."""
        return None if self.request is None else json.dumps(self.request, ensure_ascii=False, sort_keys=True)


def content_hash(data: bytes) -> str:
    """sha256 of the file's bytes, hex."""
    return hashlib.sha256(data).hexdigest()


def failing_of(report: ValidationReport) -> list[dict[str, str]]:
    """The blocking checks of ``report``: name and why (hint, reason or status)."""
    out = []
    for result in report.failures:
        why = result.hint or CheckDetails.of(result.details).reason or result.status.value
        out.append({"name": result.name, "reason": why[:500]})
    return out


def _checks_of(report: ValidationReport) -> list[dict[str, Any]]:
    return [
        {"name": r.name, "status": r.status.value, "score": r.score, "hint": r.hint, "blocking": r.blocking}
        for r in report.checks.values()
    ]


def attempt_record(attempt: Attempt) -> AttemptRecord:
    """One :class:`~brandkit.models.Attempt` as stored."""
    return AttemptRecord(
        number=attempt.number,
        passed=attempt.report.passed,
        checks=_checks_of(attempt.report),
        spend_usd=attempt.cost_usd,
        prompt_hash=attempt.prompt.prompt_hash,
        feedback=list(attempt.prompt.feedback),
        fixes=list(attempt.fixes),
        elapsed_s=attempt.elapsed_s,
    )


def _request_fields(request: AssetRequest | EditRequest | None) -> tuple[dict[str, Any] | None, str | None, str | None]:
    if request is None:
        return None, None, None
    data = request.model_dump(mode="json", exclude_none=True)
    return data, data.get("format"), data.get("locale")


def _sidecar_of(path: Path) -> str:
    return str(path.with_suffix(path.suffix + ".json"))


def _record(
    made: Asset | AssetSidecar,
    data: bytes,
    path: Path,
    request: AssetRequest | EditRequest | None,
    attempts: Sequence[AttemptRecord],
    *,
    kind: str,
    key: str | None,
    passed: bool,
    spend_usd: float,
    sidecar_path: str | None,
    timings: dict[str, float],
) -> AssetRecord:
    """The record of ``made`` (the delivered asset — or the best attempt of a rejected request, as an asset — or a
    saved asset's sidecar) saved at ``path``."""
    req, fmt, locale = _request_fields(request)
    digest = content_hash(data)
    return AssetRecord(
        kind=kind,
        content_hash=digest,
        key=key or digest,
        path=str(path),
        sidecar_path=sidecar_path,
        spec_name=made.prompt.spec_name,
        spec_fingerprint=made.prompt.spec_fingerprint,
        passed=passed,
        spend_usd=spend_usd,
        checks=made.report.summary(),
        failing=failing_of(made.report),
        request=req,
        prompt_hash=made.prompt.prompt_hash,
        provider=made.provider,
        model=made.model,
        format=fmt or made.prompt.format_name,
        locale=locale,
        timings=timings,
        attempts=list(attempts),
    )


def from_asset(asset: Asset, path: Path, *, kind: str, key: str | None = None) -> AssetRecord:
    """The record of a saved asset (image at ``path``, its sidecar beside it)."""
    return _record(
        asset,
        asset.data,
        path,
        asset.request,
        [attempt_record(a) for a in asset.attempts],
        kind=kind,
        key=key,
        passed=asset.report.passed,
        spend_usd=asset.cost_usd,
        sidecar_path=_sidecar_of(path),
        timings=dict(asset.timings),
    )


def from_report(report: ValidationReport, digest: str, path: Path, spec: BrandSpec) -> AssetRecord:
    """The record of an existing image judged by ``validate`` (one attempt: the checks it was given); ``digest``:
    the sha256 of the bytes checked (:func:`content_hash`)."""
    checks = _checks_of(report)
    return AssetRecord(
        kind="validate",
        content_hash=digest,
        key=digest,
        path=str(path),
        sidecar_path=_sidecar_of(path) if Path(_sidecar_of(path)).is_file() else None,
        spec_name=report.spec_name or spec.name,
        spec_fingerprint=report.spec_fingerprint or spec.fingerprint,
        passed=report.passed,
        spend_usd=0.0,
        checks=report.summary(),
        failing=failing_of(report),
        attempts=[AttemptRecord(1, report.passed, checks, 0.0, None, [], [], report.elapsed_ms / 1000.0)],
    )


def spec_summary(spec: BrandSpec) -> SpecRecord:
    """The spec's row: its palette swatches and its rules, one line each (what a reviewer holds an asset to)."""
    mode = f" in palette mode {spec.mode!r}" if spec.mode is not None else ""  # a mode's colours, said
    rules = [
        f"palette{mode}: " + ", ".join(f"{c.name} {c.hex}" for c in spec.palette.colors),
        f"typography: min contrast {spec.typography.min_contrast}:1, headline ≤ "
        f"{spec.typography.max_headline_words} words / {spec.typography.max_headline_lines} lines",
    ]
    rules += [
        f"logo {logo.variant}: ≥ {logo.min_width_px}px wide, ≤ {logo.max_width_share:.0%} of the width"
        for logo in spec.logos
    ]
    if spec.required.disclaimers:
        rules.append("required: " + " · ".join(spec.required.disclaimers))
    forbidden = spec.forbidden
    if forbidden.terms or forbidden.competitors or forbidden.imagery:
        rules.append(
            f"forbidden: {len(forbidden.terms)} terms, {len(forbidden.competitors)} competitors"
            + (f", imagery: {', '.join(forbidden.imagery)}" if forbidden.imagery else "")
        )
    rules += [
        f"check {name}: {settings.policy}" + ("" if settings.enabled else " (disabled)")
        for name, settings in spec.checks.items()
    ]
    return SpecRecord(
        fingerprint=spec.fingerprint,
        name=spec.name,
        version=spec.version,
        source=None if spec.source.startswith("<") else str(Path(spec.source).resolve()),
        palette=[c.hex for c in spec.palette.colors],
        rules=rules,
    )


def from_sidecar(sidecar: AssetSidecar, data: bytes, path: Path, *, kind: str, key: str | None = None) -> AssetRecord:
    """The record of a saved asset rebuilt from its sidecar (:func:`~brandkit.asset_sidecar.read_sidecar`;
    ``data``: the image file's bytes).

    Used when an asset was saved but not recorded (a run killed between the two, resumed later).
    """
    report = sidecar.report
    policies = {name: check.policy for name, check in report.checks.items()}
    attempts = [
        AttemptRecord(
            number=a.number,
            passed=a.passed,
            checks=[
                {
                    "name": name,
                    "status": status.value,
                    "score": None,
                    "hint": None,
                    "blocking": status in (CheckStatus.failed, CheckStatus.not_checked)
                    and policies.get(name, "raise") != "warn",
                }
                for name, status in a.summary.items()
            ],
            spend_usd=a.cost_usd,
            prompt_hash=None,
            feedback=list(a.feedback),
            fixes=list(a.fixes),
            elapsed_s=None,
        )
        for a in sidecar.attempts
    ]
    return _record(
        sidecar,
        data,
        path,
        sidecar.request,
        attempts,
        kind=kind,
        key=key,
        passed=report.passed,
        spend_usd=sidecar.cost_usd,
        sidecar_path=_sidecar_of(path),
        timings=dict(sidecar.timings),
    )
