"""Calibration from a brand's own assets: ``brandkit spec calibrate SPEC --approved DIR [--rejected DIR]``.

Every check runs (offline, through :meth:`BrandKit.validate`) over images the brand already approved and,
optionally, rejected. The report gives each check's false-reject rate (approved images it fails) and
false-accept rate (rejected images it passes), and proposes the thresholds that accept the approved set with a
margin. It reads only typed :class:`~brandkit.models.Measure` records (a check says which spec setting bounds
which measured value), never a check's ``details``; so a new check becomes calibratable by emitting measures.

The proposal for a lower bound (``bound="min"``, e.g. ``typography.min_contrast``) is the lowest approved value
rounded down to the measure's ``step``, less ``margin_steps`` steps; for an upper bound it is the highest approved
value rounded up, plus the margin; both stay within the setting's limits (the contrast measure's lower limit
is WCAG AA's 4.5:1). A value in force that already accepts every approved image is kept unless tightening it
catches more rejected images: tightening for nothing only adds false rejects. The effect of each proposal on the
rejected set is counted from the same measures, and the rates under all proposals are estimated per check (a
check that failed for a reason no measure records keeps failing). :func:`write_proposals` writes the proposals
back into a YAML spec with a comment on each changed line saying where the value came from, then re-loads the
spec to prove it is still valid.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from brandkit.audit.sources import IMAGE_EXTENSIONS, expand_library
from brandkit.errors import ImageInputError, RequestError, SpecError
from brandkit.models import CheckStatus, Measure, ValidationReport
from brandkit.spec.models import BrandSpec

IMAGE_SUFFIXES = IMAGE_EXTENSIONS
"""The image files a folder is searched for (the audit's list: :data:`brandkit.audit.sources.IMAGE_EXTENSIONS`)."""
Label = Literal["approved", "rejected"]
Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each image."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImageOutcome(_Model):
    """What the checks decided on one labelled image."""

    path: str
    label: Label
    passed: bool | None = Field(description="None when the image could not be read.")
    failed_checks: list[str] = Field(default_factory=list, description="Blocking checks (failed or not_checked).")
    error: str | None = None


class CheckRates(_Model):
    """False-reject rate on the approved set and false-accept rate on the rejected set, for one check."""

    check: str
    approved: int = Field(description="Approved images the check judged (readable images).")
    false_rejects: int
    rejected: int
    false_accepts: int
    not_checked: int = Field(default=0, description="Images where the check could not run (counts as a reject).")

    @property
    def false_reject_rate(self) -> float | None:
        """Share of approved images the check blocks (None without approved images)."""
        return self.false_rejects / self.approved if self.approved else None

    @property
    def false_accept_rate(self) -> float | None:
        """Share of rejected images the check lets through (None without rejected images)."""
        return self.false_accepts / self.rejected if self.rejected else None

    def as_dict(self) -> dict[str, Any]:
        """JSON form with the two rates."""
        data = self.model_dump()
        data["false_reject_rate"] = self.false_reject_rate
        data["false_accept_rate"] = self.false_accept_rate
        return data


class Proposal(_Model):
    """A threshold proposed for one spec setting, with what it does to both sets."""

    setting: str
    check: str
    label: str
    bound: Literal["min", "max"]
    step: float
    current: float
    proposed: float
    approved_extreme: float = Field(description="Lowest (min bound) or highest (max bound) approved value.")
    approved_failing_now: int
    approved_failing_after: int
    rejected_caught_now: int = Field(description="Rejected images this rule rejects with the current value.")
    rejected_caught_after: int
    reason: str

    @property
    def changed(self) -> bool:
        """True when the proposal differs from the value in force."""
        return not math.isclose(self.proposed, self.current, rel_tol=0, abs_tol=1e-12)


class CalibrationReport(_Model):
    """Everything ``spec calibrate`` found; ``as_dict()`` is its ``--json`` form."""

    spec_name: str
    spec_source: str
    approved_dir: str
    rejected_dir: str | None
    margin_steps: float
    images: list[ImageOutcome]
    checks: list[CheckRates]
    overall: CheckRates
    estimated_after: list[CheckRates] = Field(description="Per-check rates estimated under all proposals.")
    proposals: list[Proposal]

    def as_dict(self) -> dict[str, Any]:
        """JSON form (rates included)."""
        data = self.model_dump(mode="json", exclude={"checks", "overall", "estimated_after", "proposals"})
        data["checks"] = [c.as_dict() for c in self.checks]
        data["overall"] = self.overall.as_dict()
        data["estimated_after"] = [c.as_dict() for c in self.estimated_after]
        data["proposals"] = [{**p.model_dump(), "changed": p.changed} for p in self.proposals]
        return data


def list_images(folder: str | os.PathLike[str]) -> list[Path]:
    """Image files under ``folder`` (recursively, sorted), found as an audit finds them (a Mac's AppleDouble
    ``._name`` files left out: metadata, not images); a clear error when it is not a folder or holds none."""
    root = Path(folder)
    if not root.is_dir():
        raise ImageInputError(f"{root}: not a folder of images")
    try:
        found = expand_library([root]).files
    except RequestError:  # a folder without an image file
        found = []
    if not found:
        raise ImageInputError(f"{root}: no images found (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return sorted(item.path for item in found)


class _Judged:
    """One readable image's report, with its measures indexed by setting."""

    def __init__(self, label: Label, report: ValidationReport) -> None:
        self.label = label
        self.report = report
        self.measures: dict[str, tuple[str, Measure]] = {}
        for name, res in report.checks.items():
            for measure in res.measures:
                known = self.measures.get(measure.setting)
                if known is None or _tighter(measure, known[1]):
                    self.measures[measure.setting] = (name, measure)


def _tighter(a: Measure, b: Measure) -> bool:
    """True when ``a`` is the binding one of two measures of the same setting."""
    return a.value < b.value if a.bound == "min" else a.value > b.value


def _violates(measure: Measure, threshold: float) -> bool:
    return measure.value < threshold if measure.bound == "min" else measure.value > threshold


def calibrate(
    spec: BrandSpec,
    approved: str | os.PathLike[str],
    rejected: str | os.PathLike[str] | None = None,
    *,
    validate: Callable[[Path], ValidationReport] | None = None,
    margin_steps: float = 1.0,
    progress: Progress | None = None,
) -> CalibrationReport:
    """Run every check over the ``approved`` (and ``rejected``) images and propose thresholds.

    ``validate`` judges one image (default: an offline :class:`~brandkit.BrandKit` for ``spec`` with the local
    provider, so nothing is sent anywhere). ``margin_steps`` is the margin, in each measure's ``step``.
    """
    if margin_steps < 0 or not math.isfinite(margin_steps):
        raise SpecError(f"margin_steps must be a finite number ≥ 0, got {margin_steps!r}")
    if validate is None:
        from brandkit.kit import BrandKit

        kit = BrandKit(spec, provider="local")
        validate = kit.validate
    labelled: list[tuple[Label, Path]] = [("approved", p) for p in list_images(approved)]
    if rejected is not None:
        labelled += [("rejected", p) for p in list_images(rejected)]
    outcomes: list[ImageOutcome] = []
    judged: list[_Judged] = []
    for done, (label, path) in enumerate(labelled, start=1):
        try:
            report = validate(path)
        except ImageInputError as exc:
            outcomes.append(ImageOutcome(path=str(path), label=label, passed=None, error=str(exc)))
        else:
            outcomes.append(
                ImageOutcome(
                    path=str(path),
                    label=label,
                    passed=report.passed,
                    failed_checks=[r.name for r in report.failures],
                )
            )
            judged.append(_Judged(label, report))
        if progress is not None:
            progress(done, len(labelled))
    names = _check_names(judged)
    checks = [_rates(name, judged, _blocker(name)) for name in names]
    overall = _rates("overall", judged, lambda j: not j.report.passed)
    proposals = _proposals(judged, margin_steps)
    estimated = _estimate(names, judged, proposals)
    return CalibrationReport(
        spec_name=spec.name,
        spec_source=spec.source,
        approved_dir=str(approved),
        rejected_dir=None if rejected is None else str(rejected),
        margin_steps=margin_steps,
        images=outcomes,
        checks=checks,
        overall=overall,
        estimated_after=estimated,
        proposals=proposals,
    )


def _check_names(judged: Sequence[_Judged]) -> list[str]:
    names: list[str] = []
    for j in judged:
        for name in j.report.checks:
            if name not in names:
                names.append(name)
    return names


def _blocker(name: str) -> Callable[[_Judged], bool]:
    def blocks(j: _Judged) -> bool:
        res = j.report.checks.get(name)
        return res is not None and res.blocking

    return blocks


def _rates(name: str, judged: Sequence[_Judged], blocked: Callable[[_Judged], bool]) -> CheckRates:
    if name != "overall":  # a check counts only on the images it judged
        judged = [j for j in judged if name in j.report.checks]
    approved = [j for j in judged if j.label == "approved"]
    rejected = [j for j in judged if j.label == "rejected"]
    not_checked = 0
    if name != "overall":
        not_checked = sum(
            1 for j in judged if (r := j.report.checks.get(name)) is not None and r.status == CheckStatus.not_checked
        )
    return CheckRates(
        check=name,
        approved=len(approved),
        false_rejects=sum(1 for j in approved if blocked(j)),
        rejected=len(rejected),
        false_accepts=sum(1 for j in rejected if not blocked(j)),
        not_checked=not_checked,
    )


def _round_to(value: float, step: float, up: bool) -> float:
    digits = max(0, -math.floor(math.log10(step))) + 2
    scaled = value / step
    n = math.ceil(scaled - 1e-9) if up else math.floor(scaled + 1e-9)
    return round(n * step, digits)


def _proposals(judged: Sequence[_Judged], margin_steps: float) -> list[Proposal]:
    settings: dict[str, list[tuple[Label, str, Measure]]] = {}
    for j in judged:
        for setting, (check, measure) in j.measures.items():
            settings.setdefault(setting, []).append((j.label, check, measure))
    out: list[Proposal] = []
    for setting, rows in sorted(settings.items()):
        approved = [m for label, _, m in rows if label == "approved"]
        rejected = [m for label, _, m in rows if label == "rejected"]
        first = rows[0][2]
        current = first.threshold
        if not approved:
            continue
        if first.bound == "min":
            extreme = min(m.value for m in approved)
            proposed = _round_to(extreme, first.step, up=False) - margin_steps * first.step
        else:
            extreme = max(m.value for m in approved)
            proposed = _round_to(extreme, first.step, up=True) + margin_steps * first.step
        if first.lower is not None:
            proposed = max(proposed, first.lower)
        if first.upper is not None:
            proposed = min(proposed, first.upper)
        proposed = _round_to(proposed, first.step, up=first.bound == "max")
        failing_now = sum(1 for m in approved if _violates(m, current))
        caught_now = sum(1 for m in rejected if _violates(m, current))
        side = "lowest" if first.bound == "min" else "highest"
        reason = (
            f"{side} of {len(approved)} approved value(s) is {extreme:g}; "
            f"{'less' if first.bound == 'min' else 'plus'} a margin of {margin_steps:g} × {first.step:g}"
        )
        tighter = proposed > current if first.bound == "min" else proposed < current
        if tighter and failing_now == 0 and sum(1 for m in rejected if _violates(m, proposed)) <= caught_now:
            # the value in force accepts every approved image: tightening would only add risk, no catch
            reason += f"; kept {current:g}: tightening to {proposed:g} would catch no more rejected images"
            proposed = current
        after = sum(1 for m in approved if _violates(m, proposed))
        caught_after = sum(1 for m in rejected if _violates(m, proposed))
        if after:
            reason += f"; the setting's limits keep {after} approved image(s) failing"
        if rejected and caught_after < sum(1 for m in rejected if _violates(m, current)):
            reason += "; approved and rejected values overlap: the proposal lets some rejected images through"
        out.append(
            Proposal(
                setting=setting,
                check=rows[0][1],
                label=first.label,
                bound=first.bound,
                step=first.step,
                current=current,
                proposed=proposed,
                approved_extreme=extreme,
                approved_failing_now=failing_now,
                approved_failing_after=after,
                rejected_caught_now=caught_now,
                rejected_caught_after=caught_after,
                reason=reason,
            )
        )
    return out


def _estimate(names: Sequence[str], judged: Sequence[_Judged], proposals: Sequence[Proposal]) -> list[CheckRates]:
    """Per-check rates if every proposal were applied (a failure no measure explains stays a failure)."""
    proposed = {p.setting: p.proposed for p in proposals}

    def blocked_after(name: str) -> Callable[[_Judged], bool]:
        def blocked(j: _Judged) -> bool:
            res = j.report.checks.get(name)
            if res is None:
                return False
            mine = [m for check, m in j.measures.values() if check == name]
            if not mine or res.status == CheckStatus.not_checked:
                return res.blocking
            if res.status == CheckStatus.failed and not any(_violates(m, m.threshold) for m in mine):
                return res.blocking  # failed for a reason no measure records
            return res.policy != "warn" and any(_violates(m, proposed.get(m.setting, m.threshold)) for m in mine)

        return blocked

    return [_rates(name, judged, blocked_after(name)) for name in names]


def write_proposals(
    spec_file: str | os.PathLike[str], report: CalibrationReport, *, today: _dt.date | None = None
) -> list[Proposal]:
    """Write the changed proposals into the YAML spec at ``spec_file``, each with a comment saying where it came
    from; returns what was written. The edited spec is loaded before it replaces the old one (atomically)."""
    from brandkit.spec.edit import SettingEdit, edit_settings

    changed = [p for p in report.proposals if p.changed]
    when = (today or _dt.date.today()).isoformat()
    sets = f"{sum(1 for i in report.images if i.label == 'approved')} approved"
    if report.rejected_dir is not None:
        sets += f" / {sum(1 for i in report.images if i.label == 'rejected')} rejected"
    edits = []
    for p in changed:
        whole = float(p.step).is_integer() and float(p.proposed).is_integer()
        key = p.setting.rsplit(".", 1)[-1]
        edits.append(
            SettingEdit(
                setting=p.setting,
                value=int(p.proposed) if whole else p.proposed,
                comment=f"{key} was {p.current:g}",
                note=f"calibrated {when} from {sets} images ({report.approved_dir})",
            )
        )
    edit_settings(spec_file, edits)
    return changed
