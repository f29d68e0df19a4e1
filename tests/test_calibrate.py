"""`brandkit spec calibrate`: rates per check, proposals from typed measures, write-back into the YAML spec."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

import brandkit
from brandkit.calibrate import calibrate, write_proposals
from brandkit.errors import ImageInputError, SpecError
from brandkit.models import CheckResult, CheckStatus, Measure, ValidationReport
from brandkit.resources import KitResources
from brandkit.spec.edit import SettingEdit, edit_settings, parse_setting


def _contrast(value: float, threshold: float = 4.5, lower: float = 1.0) -> Measure:
    return Measure(
        setting="typography.min_contrast",
        label="lowest contrast",
        value=value,
        threshold=threshold,
        bound="min",
        step=0.1,
        lower=lower,
        upper=21.0,
    )


def _share(value: float, threshold: float = 0.01) -> Measure:
    return Measure(
        setting="palette.forbidden_colors[0].max_share",
        label="share of Rival green",
        value=value,
        threshold=threshold,
        bound="max",
        step=0.005,
        lower=0.0,
        upper=1.0,
    )


def _report(*results: CheckResult) -> ValidationReport:
    return ValidationReport(checks={r.name: r for r in results})


def _result(name: str, measures: list[Measure], other_failure: bool = False) -> CheckResult:
    bad = other_failure or any(
        (m.value < m.threshold) if m.bound == "min" else (m.value > m.threshold) for m in measures
    )
    return CheckResult(name=name, status=CheckStatus.failed if bad else CheckStatus.passed, measures=measures)


def _folder(tmp_path: Path, name: str, count: int) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for i in range(count):
        Image.new("RGB", (8, 8), (i, i, i)).save(folder / f"{i:02d}.png")
    return folder


def _fixture_reports(tmp_path: Path) -> tuple[Path, Path, dict[str, ValidationReport]]:
    approved = _folder(tmp_path, "approved", 4)
    rejected = _folder(tmp_path, "rejected", 3)
    contrast_ok = [5.2, 3.96, 7.0, 4.8]  # one approved image at 3.96:1 fails today's 4.5
    shares_ok = [0.0, 0.0, 0.004, 0.012]  # another approved image at 1.2 % fails today's 1 %
    reports: dict[str, ValidationReport] = {}
    for i in range(4):
        reports[str(approved / f"{i:02d}.png")] = _report(
            _result("contrast", [_contrast(contrast_ok[i])]), _result("palette", [_share(shares_ok[i])])
        )
    # rejected: low contrast; a large competitor field; a text failure no measure explains
    reports[str(rejected / "00.png")] = _report(
        _result("contrast", [_contrast(2.1)]), _result("palette", [_share(0.0)])
    )
    reports[str(rejected / "01.png")] = _report(
        _result("contrast", [_contrast(6.0)]), _result("palette", [_share(0.30)])
    )
    reports[str(rejected / "02.png")] = _report(
        _result("contrast", [_contrast(6.0)]),
        _result("palette", [_share(0.0)]),
        CheckResult(name="text", status=CheckStatus.failed),
    )
    return approved, rejected, reports


def test_rates_and_proposals_from_measures(tmp_path: Path, northwind: brandkit.BrandSpec) -> None:
    approved, rejected, reports = _fixture_reports(tmp_path)
    seen: list[tuple[int, int]] = []
    report = calibrate(
        northwind,
        approved,
        rejected,
        validate=lambda p: reports[str(p)],
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (7, 7) and len(seen) == 7
    rates = {c.check: c for c in report.checks}
    assert (rates["contrast"].false_rejects, rates["contrast"].approved) == (1, 4)
    assert rates["contrast"].false_reject_rate == pytest.approx(0.25)
    assert (rates["contrast"].false_accepts, rates["contrast"].rejected) == (2, 3)
    assert (rates["palette"].false_rejects, rates["palette"].false_accepts) == (1, 2)
    assert report.overall.false_rejects == 2  # two different approved images fail one check each
    assert report.overall.false_accepts == 0  # every rejected image fails something
    props = {p.setting: p for p in report.proposals}
    contrast = props["typography.min_contrast"]
    assert contrast.approved_extreme == pytest.approx(3.96)
    assert contrast.proposed == pytest.approx(3.8)  # 3.96 rounded down to 3.9, less one step of 0.1
    assert (contrast.approved_failing_now, contrast.approved_failing_after) == (1, 0)
    assert (contrast.rejected_caught_now, contrast.rejected_caught_after) == (1, 1)  # 2.1:1 is still caught
    share = props["palette.forbidden_colors[0].max_share"]
    assert share.proposed == pytest.approx(0.02)  # 0.012 rounded up to 0.015, plus one step of 0.005
    assert share.rejected_caught_after == 1  # the 30 % competitor field stays caught
    after = {c.check: c for c in report.estimated_after}
    assert after["contrast"].false_rejects == 0 and after["palette"].false_rejects == 0
    assert after["contrast"].false_accepts == 2  # the proposal still rejects the low-contrast image
    text = {c.check: c for c in report.checks}["text"]
    assert (text.approved, text.rejected, text.false_accepts) == (0, 1, 0)  # only images with a text result count


def test_margin_and_limits(tmp_path: Path, northwind: brandkit.BrandSpec) -> None:
    approved = _folder(tmp_path, "approved", 2)
    reports = {
        str(approved / "00.png"): _report(_result("contrast", [_contrast(1.15)])),
        str(approved / "01.png"): _report(_result("contrast", [_contrast(9.0)])),
    }
    report = calibrate(northwind, approved, validate=lambda p: reports[str(p)], margin_steps=5)
    (proposal,) = report.proposals
    assert proposal.proposed == pytest.approx(1.0)  # 1.1 − 0.5 is clamped at the setting's lower limit 1.0
    assert proposal.approved_failing_after == 0
    with pytest.raises(SpecError, match="margin_steps"):
        calibrate(northwind, approved, validate=lambda p: reports[str(p)], margin_steps=-1)


def test_unreadable_images_are_reported_not_counted(
    kit_resources: KitResources, tmp_path: Path, northwind: brandkit.BrandSpec
) -> None:
    approved = _folder(tmp_path, "approved", 2)
    (approved / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (approved / "._0.png").write_bytes(b"\x00\x05\x16\x07" + bytes(60))  # a Mac's metadata: not an image, left out
    kit = brandkit.BrandKit(northwind, resources=kit_resources, provider="local")
    report = calibrate(northwind, approved, validate=kit.validate)
    broken = [i for i in report.images if i.passed is None]
    assert [Path(i.path).name for i in broken] == ["broken.png"]
    assert broken[0].error
    assert report.overall.approved == 2


def test_folder_errors(tmp_path: Path, northwind: brandkit.BrandSpec) -> None:
    with pytest.raises(ImageInputError, match="not a folder"):
        calibrate(northwind, tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageInputError, match="no images found"):
        calibrate(northwind, tmp_path / "empty")
    (tmp_path / "empty" / "._a.png").write_bytes(b"\x00\x05\x16\x07" + bytes(60))  # metadata only: still none
    with pytest.raises(ImageInputError, match="no images found"):
        calibrate(northwind, tmp_path / "empty")


def test_parse_setting() -> None:
    assert parse_setting("palette.colors[0].min_share") == ["palette", "colors", 0, "min_share"]
    assert parse_setting("typography.min_contrast") == ["typography", "min_contrast"]
    with pytest.raises(SpecError):
        parse_setting("palette..x")


def test_write_back_keeps_comments_and_says_where_values_came_from(tmp_path: Path, root: Path) -> None:
    folder = tmp_path / "northwind"
    shutil.copytree(root / "brand_specs" / "northwind", folder)
    spec = brandkit.load_spec(folder)
    approved, rejected, reports = _fixture_reports(tmp_path)
    report = calibrate(spec, approved, rejected, validate=lambda p: reports[str(p)])
    before = (folder / "brand.yaml").read_text(encoding="utf-8")
    written = write_proposals(folder / "brand.yaml", report)
    assert {p.setting for p in written} == {"typography.min_contrast", "palette.forbidden_colors[0].max_share"}
    after = (folder / "brand.yaml").read_text(encoding="utf-8")
    assert "# Northwind Coffee Roasters" in after  # the file's own comments survive
    assert "calibrated" in after and "4 approved / 3 rejected images" in after and "was 4.5" in after
    reloaded = brandkit.load_spec(folder)
    assert reloaded.typography.min_contrast == pytest.approx(3.8)
    assert reloaded.palette.forbidden_colors[0].max_share == pytest.approx(0.02)
    assert reloaded.palette.forbidden_colors[1].max_share == spec.palette.forbidden_colors[1].max_share
    assert len(after.splitlines()) == len(before.splitlines())  # values changed in place, nothing else moved


def test_write_back_refuses_json_and_invalid_results(tmp_path: Path, root: Path) -> None:
    folder = tmp_path / "northwind"
    shutil.copytree(root / "brand_specs" / "northwind", folder)
    spec = brandkit.load_spec(folder)
    approved, rejected, reports = _fixture_reports(tmp_path)
    report = calibrate(spec, approved, rejected, validate=lambda p: reports[str(p)])
    with pytest.raises(SpecError, match="YAML"):
        write_proposals(folder / "brand.json", report)
    bad = report.model_copy(deep=True)
    bad.proposals[0].proposed = -3.0  # outside the field's limits: the trial load refuses it
    before = (folder / "brand.yaml").read_bytes()
    with pytest.raises(SpecError):
        write_proposals(folder / "brand.yaml", bad)
    assert (folder / "brand.yaml").read_bytes() == before  # nothing half-written
    assert not list(folder.glob(".*edited*"))


def test_edit_settings_inserts_defaults_and_edits_flow_mappings(tmp_path: Path, root: Path) -> None:
    folder = tmp_path / "northwind"
    shutil.copytree(root / "brand_specs" / "northwind", folder)
    spec_file = folder / "brand.yaml"
    text = spec_file.read_text(encoding="utf-8").replace("  min_contrast: 4.5\n", "")
    spec_file.write_text(text, encoding="utf-8")
    assert brandkit.load_spec(folder).typography.min_contrast == 4.5  # left to the default
    edit_settings(
        spec_file,
        [
            SettingEdit(setting="typography.min_contrast", value=3.8, comment="calibrated: test"),
            SettingEdit(setting="palette.forbidden_colors[1].tolerance", value=6, comment="calibrated: test"),
            SettingEdit(setting="palette.colors[2].min_share", value=0.01, comment="calibrated: test"),
        ],
    )
    spec = brandkit.load_spec(folder)
    assert spec.typography.min_contrast == pytest.approx(3.8)
    assert spec.palette.forbidden_colors[1].tolerance == 6
    assert spec.palette.colors[2].min_share == pytest.approx(0.01)
    assert spec.palette.colors[2].max_share == pytest.approx(0.35)  # the rest of the flow mapping is kept
    edited = spec_file.read_text(encoding="utf-8")
    assert edited.count("# calibrated: test") == 3
    assert 'hex: "#FF671F"' in edited  # quoting kept; the '#' inside quotes is not a comment
    with pytest.raises(SpecError, match="not in the spec|does not exist"):
        edit_settings(spec_file, [SettingEdit(setting="logos[9].min_width_px", value=100)])


def test_no_tightening_without_a_catch_and_no_contrast_below_wcag(
    tmp_path: Path, northwind: brandkit.BrandSpec
) -> None:
    approved = _folder(tmp_path, "approved", 2)
    rejected = _folder(tmp_path, "rejected", 1)
    reports = {
        str(approved / "00.png"): _report(_result("contrast", [_contrast(9.0)]), _result("palette", [_share(0.0)])),
        str(approved / "01.png"): _report(_result("contrast", [_contrast(8.0)]), _result("palette", [_share(0.0)])),
        # the rejected image's contrast is higher than every approved one's: no contrast threshold can catch it;
        # its competitor share is caught once the share rule is tightened below 0.008
        str(rejected / "00.png"): _report(_result("contrast", [_contrast(8.5)]), _result("palette", [_share(0.008)])),
    }
    report = calibrate(northwind, approved, rejected, validate=lambda p: reports[str(p)])
    props = {p.setting: p for p in report.proposals}
    contrast = props["typography.min_contrast"]
    assert contrast.proposed == 4.5 and not contrast.changed and "kept 4.5" in contrast.reason
    share = props["palette.forbidden_colors[0].max_share"]
    assert share.proposed == pytest.approx(0.005) and share.rejected_caught_after == 1  # tightened: it catches one
    low = {str(p): _report(_result("contrast", [_contrast(3.2, lower=4.5)])) for p in approved.iterdir()}
    (only,) = calibrate(northwind, approved, validate=lambda p: low[str(p)]).proposals
    assert only.proposed == 4.5 and only.approved_failing_after == 2  # never below the limit; the report says so
    assert "limits keep 2 approved" in only.reason


def test_the_contrast_check_never_lets_calibration_go_below_wcag_aa(
    kit_resources: KitResources, northwind: brandkit.BrandSpec
) -> None:
    request = brandkit.AssetRequest(
        brief="A ceramic cup of coffee", headline="Slow mornings, bright roasts", cta="Order ahead", seed=3
    )
    asset = brandkit.BrandKit(northwind, resources=kit_resources, provider="local").generate(request)
    (measure,) = asset.report.checks["contrast"].measures
    assert measure.setting == "typography.min_contrast" and measure.lower == 4.5 and measure.value >= 4.5
