"""The verification report with evidence (``brandkit.evidence``): heat map, OCR boxes, logo, score, AdCP, errors.

Real images throughout: synthetic ones with a known off-palette patch, a real photograph of the Northwind photo
library, and an ad made by the local renderer (real OCR, real logo detection). The AdCP form is validated against
the published AdCP schemas vendored in ``tests/data/adcp/`` (version 3.1.19, Apache-2.0).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
from PIL import Image, ImageDraw
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from typer.testing import CliRunner

import brandkit
from brandkit.checks.base import CheckResources
from brandkit.checks.contrast import ContrastCheck
from brandkit.checks.logo import LogoCheck
from brandkit.checks.palette import PaletteCheck
from brandkit.checks.technical import TechnicalCheck
from brandkit.checks.text import TextCheck
from brandkit.cli import EXIT_USAGE, app
from brandkit.color import PaletteMatcher
from brandkit.errors import ImageInputError, RequestError
from brandkit.evidence import approval_status, build_verification, to_adcp, verify, write_report
from brandkit.evidence.files import plan_reports
from brandkit.evidence.heatmap import heat_map, palette_evidence
from brandkit.evidence.schema import report_schema_json
from brandkit.models import AssetRequest, CheckResult, CheckStatus, ValidationReport
from brandkit.spec.models import BrandSpec

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"
ADCP = ROOT / "tests" / "data" / "adcp" / "schemas" / "3.1.19"
CREMA = (243, 233, 220)
OFF = (20, 200, 40)  # a saturated green: far from every Northwind colour and neutral
PATCH = (40, 30, 80, 70)  # x0, y0, x1, y1


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _patched(size: tuple[int, int] = (200, 120), patch: tuple[int, int, int, int] = PATCH) -> Image.Image:
    image = Image.new("RGB", size, CREMA)
    ImageDraw.Draw(image).rectangle((patch[0], patch[1], patch[2] - 1, patch[3] - 1), fill=OFF)
    return image


@pytest.fixture(scope="module")
def spec() -> BrandSpec:
    return brandkit.load_spec(NORTHWIND)


@pytest.fixture(scope="module")
def all_pixels(spec: BrandSpec) -> BrandSpec:
    return spec.model_copy(update={"palette": spec.palette.model_copy(update={"measure": "all-pixels"})})


@pytest.fixture(scope="module")
def matcher(spec: BrandSpec) -> PaletteMatcher:
    return PaletteMatcher(spec.palette.reference_colors()[0])


@pytest.fixture(scope="module")
def resources() -> CheckResources:
    """Check resources shared by the module's reports: the heat map's palette tables are built once."""
    return CheckResources()


# --- the heat map -------------------------------------------------------------------------------------------------


def test_heat_map_flags_exactly_the_off_palette_patch(all_pixels: BrandSpec, matcher: PaletteMatcher) -> None:
    image = _patched()
    heat = heat_map(image, all_pixels.palette, matcher=matcher)
    expected = np.zeros((120, 200), dtype=bool)
    expected[PATCH[1] : PATCH[3], PATCH[0] : PATCH[2]] = True
    assert np.array_equal(heat.off_palette, expected)
    assert heat.judged.all()

    evidence = palette_evidence(image, all_pixels.palette, matcher=matcher)
    assert evidence.scope == "image"
    assert evidence.off_palette_pixels == 40 * 40
    assert evidence.off_palette_share == pytest.approx(1600 / (200 * 120), abs=1e-5)
    assert [r.box for r in evidence.worst_regions] == [PATCH]
    assert evidence.worst_regions[0].pixels == 1600
    assert evidence.worst_regions[0].mean_delta_e > all_pixels.palette.tolerance
    overlay = np.asarray(Image.open(io.BytesIO(evidence.png())))
    assert overlay.shape == (120, 200, 4)
    assert np.array_equal(overlay[..., 3] > 0, expected)  # transparent everywhere but the patch
    assert (overlay[expected][:, 0] == 255).all()  # red there


def test_transparent_pixels_are_never_judged(all_pixels: BrandSpec, matcher: PaletteMatcher) -> None:
    image = _patched().convert("RGBA")
    ImageDraw.Draw(image).rectangle((120, 30, 159, 69), fill=(*OFF, 0))  # off-palette colour, fully transparent
    evidence = palette_evidence(image, all_pixels.palette, matcher=matcher)
    assert evidence.judged_pixels == 200 * 120 - 40 * 40
    assert [r.box for r in evidence.worst_regions] == [PATCH]  # only the opaque patch
    overlay = np.asarray(Image.open(io.BytesIO(evidence.png())))
    assert not overlay[30:70, 120:160, 3].any()


def test_heat_map_leaves_the_photo_region_to_the_colour_character_rule(
    spec: BrandSpec, matcher: PaletteMatcher
) -> None:
    """measure: regions — a patch inside the layout's photo box is not judged pixel by pixel; one outside is."""
    image = _patched((200, 120), PATCH)
    ImageDraw.Draw(image).rectangle((140, 40, 159, 59), fill=OFF)  # inside the photo box below
    photo_box = (120, 0, 200, 120)
    evidence = palette_evidence(image, spec.palette, photo_box=photo_box, matcher=matcher)
    assert evidence.scope == "brand_zones"
    assert evidence.region_source == "layout"
    assert evidence.photo_box == photo_box
    assert evidence.judged_pixels == 120 * 120
    assert evidence.off_palette_pixels == 1600
    assert [r.box for r in evidence.worst_regions] == [PATCH]
    # the layout's box is scaled when the file was resized: the same image at half the layout's size
    small = image.resize((100, 60), Image.Resampling.NEAREST)
    scaled = palette_evidence(small, spec.palette, photo_box=photo_box, layout_size=(200, 120), matcher=matcher)
    assert scaled.photo_box == (60, 0, 100, 60)


def test_heat_map_of_a_real_photograph_holds_the_exact_threshold(
    all_pixels: BrandSpec, matcher: PaletteMatcher
) -> None:
    photo = Image.open(NORTHWIND / "photos" / "coffee.jpg").convert("RGB")
    photo.thumbnail((480, 480))
    heat = heat_map(photo, all_pixels.palette, matcher=matcher)
    rgb = np.asarray(photo, dtype=np.uint8)
    exact, _ = matcher.exact_min_delta_e(rgb)
    tol = all_pixels.palette.tolerance
    assert np.array_equal(heat.off_palette, exact > tol)  # the flag is the exact ΔE00 test, pixel for pixel
    assert 0.05 < heat.off_palette.mean() < 0.999  # a real photo: some pixels on palette, many off
    # the map's ΔE values are the grid estimate: close to the exact ones
    assert float(np.median(np.abs(heat.delta_e - exact))) < 1.0
    evidence = palette_evidence(photo, all_pixels.palette, matcher=matcher)
    overlay = np.asarray(Image.open(io.BytesIO(evidence.png())))
    assert np.array_equal(overlay[..., 3] > 0, exact > tol)
    assert evidence.off_palette_share == pytest.approx(float((exact > tol).mean()), abs=1e-5)
    assert evidence.worst_regions and all(r.mean_delta_e > tol - 1.0 for r in evidence.worst_regions)
    pixels = [r.pixels * r.mean_delta_e for r in evidence.worst_regions]
    assert pixels == sorted(pixels, reverse=True)


# --- score, severities, verdict, AdCP ------------------------------------------------------------------------------


def _result(name: str, status: CheckStatus, policy: str, **details: Any) -> CheckResult:
    outcome = CheckResult(
        name=name, status=status, details=details, hint=f"{name} hint" if status.value == "failed" else None
    )
    outcome.policy = policy  # type: ignore[assignment]
    return outcome


def _report(spec: BrandSpec, *results: CheckResult) -> ValidationReport:
    return ValidationReport(checks={r.name: r for r in results}, spec_name=spec.name)


def test_score_severities_and_verdict_arithmetic(spec: BrandSpec, resources: CheckResources) -> None:
    report = _report(
        spec,
        _result("palette", CheckStatus.passed, "regenerate"),  # major rule, passed: 3 of 3
        _result("text", CheckStatus.failed, "fix"),  # major rule, failed: 0 of 3
        _result("logo", CheckStatus.skipped, "fix", reason="no logo variant expected"),  # not counted
        _result("technical", CheckStatus.passed, "raise"),  # blocker rule, passed: 5 of 5
        _result("moderation", CheckStatus.not_checked, "raise", reason="no moderator"),  # 0 of 5
        _result("credentials", CheckStatus.failed, "warn"),  # minor rule: 0 of 1
    )
    verification = build_verification(spec, _png(_patched()), report, resources=resources)
    checks = verification.checks
    assert {n: (c.severity, c.weight) for n, c in checks.items()} == {
        "palette": ("info", 3),
        "text": ("major", 3),
        "logo": ("info", 0),
        "technical": ("info", 5),
        "moderation": ("blocker", 5),
        "credentials": ("minor", 1),
    }
    assert (verification.score.passed_weight, verification.score.total_weight) == (8, 17)
    assert verification.score.value == pytest.approx(8 / 17, abs=1e-4)
    assert verification.verdict == "fail" and verification.passed is False
    assert [f.severity for f in verification.findings] == ["blocker", "major", "minor"]
    assert verification.findings[0].message == "could not be verified: no moderator"
    assert checks["logo"].reason == "no logo variant expected"
    assert approval_status(verification) == "rejected"  # a major rule failed


def test_verdicts_map_to_the_adcp_approval_vocabulary(spec: BrandSpec) -> None:
    image = _png(_patched())
    minor_only = build_verification(
        spec,
        image,
        _report(
            spec, _result("technical", CheckStatus.passed, "raise"), _result("credentials", CheckStatus.failed, "warn")
        ),
    )
    assert minor_only.verdict == "pass_with_warnings" and minor_only.passed
    assert minor_only.score.value == pytest.approx(5 / 6, abs=1e-4)
    assert approval_status(minor_only) == "approved"
    unverified = build_verification(
        spec, image, _report(spec, _result("moderation", CheckStatus.not_checked, "raise", reason="no moderator"))
    )
    assert unverified.verdict == "fail" and approval_status(unverified) == "pending_review"
    assert unverified.score.value == 0.0
    nothing = build_verification(spec, image, _report(spec, _result("logo", CheckStatus.skipped, "fix")))
    assert nothing.score.value is None and nothing.verdict == "pass"


def _adcp_validator(name: str) -> jsonschema.Draft7Validator:
    resources = []
    for path in ADCP.rglob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents, default_specification=DRAFT7)))
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((ADCP / name).read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, registry=registry)


def test_adcp_form_validates_against_the_published_schemas(spec: BrandSpec, resources: CheckResources) -> None:
    report = _report(
        spec,
        _result("palette", CheckStatus.passed, "regenerate"),
        _result("text", CheckStatus.failed, "fix"),
        _result("credentials", CheckStatus.failed, "warn"),
    )
    verification = build_verification(spec, _png(_patched()), report, resources=resources)
    body = to_adcp(verification)
    _adcp_validator("creative/get-creative-features-response.json").validate(body)
    feature = _adcp_validator("creative/creative-feature-result.json")
    for result in body["results"]:
        feature.validate(result)
    ext = body["ext"]["brandkit"]
    _adcp_validator("enums/creative-approval-status.json").validate(ext["approval_status"])
    assert ext["approval_status"] == "rejected"
    assert "text hint" in ext["rejection_reason"] and "credentials" not in ext["rejection_reason"]  # minor left out
    by_id = {r["feature_id"]: r for r in body["results"]}
    assert by_id["brand_consistency"]["value"] == pytest.approx(100 * 3 / 7, abs=0.01)
    assert by_id["brand_consistency"]["unit"] == "percentage"
    assert by_id["brandkit_text"]["value"] == "failed"
    assert by_id["brandkit_text"]["details"]["severity"] == "major"
    assert (
        by_id["brandkit_palette"]["details"]["off_palette_share"]
        == verification.checks["palette"].palette.off_palette_share
    )  # type: ignore[union-attr]
    with pytest.raises(jsonschema.ValidationError):  # the validator is not vacuous
        feature.validate({"feature_id": "x", "value": [1]})


# --- whole images: an ad brandkit made, a file it did not make --------------------------------------------------


@pytest.fixture(scope="module")
def kit(spec: BrandSpec) -> brandkit.BrandKit:
    checks = [PaletteCheck(), TextCheck(), LogoCheck(), ContrastCheck(), TechnicalCheck()]
    return brandkit.BrandKit(spec, provider="local", moderator=None, checks=checks, signer=None)


@pytest.fixture(scope="module")
def ad(spec: BrandSpec) -> bytes:
    maker = brandkit.BrandKit(spec, provider="local", moderator=None, checks=["technical"], signer=None)
    request = AssetRequest(
        brief="a cup of coffee", headline="Slow mornings, bright roasts", cta="Order now", format="landscape"
    )
    return maker.generate(request).data


@pytest.mark.slow  # real OCR, logo detection and palette tables on full-size ads: ~15-25 s on 2 busy cores
def test_an_ad_brandkit_made_shows_ocr_boxes_logo_and_contrast(
    kit: brandkit.BrandKit, ad: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "ad.png"
    path.write_bytes(ad)
    verification = verify(kit, path)
    assert verification.provenance == "read" and verification.image.source == str(path)
    assert verification.verdict == "pass" and verification.score.value == 1.0
    text = verification.checks["text"].text
    assert text is not None
    headline = next(s for s in text.strings if s.role == "headline")
    assert headline.found and headline.read == "Slow mornings, bright roasts" and headline.boxes
    cta = next(s for s in text.strings if s.role == "cta")
    assert cta.found and len(cta.boxes) == 1
    line = next(line for line in text.lines if line.box == cta.boxes[0])
    assert line.read == "Order now" and line.expected == "Order now" and line.matched is True
    logo = verification.checks["logo"].logo
    assert logo is not None and logo.found and logo.box is not None and logo.expected_box is not None
    x0, y0, x1, y1 = logo.box
    e0, f0, e1, f1 = logo.expected_box
    inter = max(0, min(x1, e1) - max(x0, e0)) * max(0, min(y1, f1) - max(y0, f0))
    assert inter / ((e1 - e0) * (f1 - f0)) > 0.8  # found where the layout put it
    clear = logo.clear_space_box
    assert clear is not None and clear[0] < x0 and clear[1] < y0 and clear[2] > x1 and clear[3] > y1
    assert logo.ground is not None and logo.ground_tone == logo.made_for == "light"  # the ground rule's reading
    contrast = verification.checks["contrast"].contrast
    assert contrast and all(m.ratio >= m.required == 4.5 and m.passed for m in contrast)
    assert {m.text for m in contrast} >= {"Order now"}
    palette = verification.checks["palette"].palette
    assert palette is not None and palette.region_source == "layout" and palette.photo_box is not None


def test_wrong_copy_is_a_major_finding_with_what_was_read(kit: brandkit.BrandKit, ad: bytes) -> None:
    request = AssetRequest(brief="-", headline="Slow mornings, dark roasts", cta="Order now", format="landscape")
    verification = verify(kit, ad, request=request)
    assert verification.provenance == "request" and verification.image.source is None
    text = verification.checks["text"]
    assert text.status == "failed" and text.severity == "major"
    messages = [f.message for f in text.findings]
    assert any("headline: expected 'Slow mornings, dark roasts'" in m for m in messages), messages
    assert verification.verdict == "fail" and approval_status(verification) == "rejected"


def test_a_file_brandkit_did_not_make(kit: brandkit.BrandKit, tmp_path: Path) -> None:
    path = tmp_path / "foreign.png"
    path.write_bytes(_png(_patched((400, 240), (80, 60, 160, 140))))
    verification = verify(kit, path)
    assert verification.provenance == "absent"
    assert "no provenance" in verification.scope_note
    text = verification.checks["text"]
    assert text.text is not None and "headline" in text.text.unverified_copy  # the ordered copy is unknown
    # what the spec itself demands is still verified: its required disclaimer is missing from the image
    assert text.status == "failed" and any(f.message.startswith("required[") for f in text.findings)
    logo = verification.checks["logo"]
    assert logo.status == "failed" and logo.logo is not None and not logo.logo.found
    palette = verification.checks["palette"].palette
    assert palette is not None and palette.judged_pixels > 0
    assert [r.box for r in palette.worst_regions][:1] == [(80, 60, 160, 140)]


# --- bad input -----------------------------------------------------------------------------------------------------


def test_bad_inputs_raise_typed_errors_naming_what_is_wrong(
    kit: brandkit.BrandKit, spec: BrandSpec, tmp_path: Path
) -> None:
    not_image = tmp_path / "notes.png"
    not_image.write_bytes(b"this is not an image")
    with pytest.raises(ImageInputError, match="notes.png"):
        verify(kit, not_image)
    with pytest.raises(ImageInputError, match="missing.png"):
        verify(kit, tmp_path / "missing.png")
    other = ValidationReport(checks={}, spec_name="Somebody Else")
    with pytest.raises(RequestError, match="Somebody Else") as caught:
        build_verification(spec, _png(_patched()), other)
    assert caught.value.field == "report"
    verification = build_verification(spec, _png(_patched()), _report(spec))
    with pytest.raises(RequestError, match=r"\.html or \.json") as bad_suffix:
        write_report(verification, tmp_path / "out.txt", b"")
    assert bad_suffix.value.field == "report"
    with pytest.raises(RequestError, match="adcp") as adcp_html:
        write_report(verification, tmp_path / "out.html", b"", fmt="adcp")
    assert adcp_html.value.field == "report_format"
    assert not (tmp_path / "out.txt").exists() and not (tmp_path / "out.html").exists()
    with pytest.raises(RequestError, match="x.png") as same_stem:  # two reports would overwrite each other
        plan_reports(tmp_path / "reports", [tmp_path / "a" / "x.png", tmp_path / "b" / "x.png"], "native")
    assert same_stem.value.field == "report"
    with pytest.raises(RequestError, match="unknown report format"):
        plan_reports(tmp_path / "r.json", [tmp_path / "x.png"], "xml")
    # a folder works for one image too (a script's --report reports/ whatever the number of files)
    one = [tmp_path / "a" / "x.png"]
    assert plan_reports(tmp_path / "reports", one, "native") == [
        [tmp_path / "reports" / "x.html", tmp_path / "reports" / "x.json"]
    ]
    assert plan_reports(tmp_path / "reports", one, "adcp") == [[tmp_path / "reports" / "x.adcp.json"]]
    assert plan_reports(tmp_path / "r.html", one, "native") == [[tmp_path / "r.html"]]
    with pytest.raises(RequestError, match=r"\.html or \.json \(got '\.txt'\)"):
        plan_reports(tmp_path / "r.txt", one, "native")


# --- the JSON form and its schema ---------------------------------------------------------------------------------


def test_report_schema_file_matches_the_models_and_validates_a_dump(
    spec: BrandSpec, resources: CheckResources, tmp_path: Path
) -> None:
    on_disk = (ROOT / "schemas" / "verification-report.schema.json").read_text(encoding="utf-8")
    assert on_disk == report_schema_json(), (
        "schemas/verification-report.schema.json drifted: run "
        "`python -m brandkit.evidence.schema -o schemas/verification-report.schema.json`"
    )
    image = _png(_patched())
    palette_failed = _report(spec, _result("palette", CheckStatus.failed, "regenerate"))
    verification = build_verification(spec, image, palette_failed, resources=resources)
    out = write_report(verification, tmp_path / "r.json", image)
    dumped = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(on_disk)).validate(dumped)
    assert type(verification).model_validate(dumped) == verification  # the JSON form reads back


# --- the CLI ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow  # real OCR, logo detection and palette tables on full-size ads: ~15-25 s on 2 busy cores
def test_cli_validate_writes_reports_and_refuses_bad_report_paths(tmp_path: Path) -> None:
    one = tmp_path / "one.png"
    two = tmp_path / "two.png"
    one.write_bytes(_png(_patched((400, 240), (80, 60, 160, 140))))
    two.write_bytes(_png(Image.new("RGB", (400, 240), CREMA)))
    base = ["validate", "--spec", str(NORTHWIND), "--jobs", "1", "--db", str(tmp_path / "reg.db")]
    runner = CliRunner()

    bad = runner.invoke(app, [*base, str(one), "--report", str(tmp_path / "r.txt")])
    assert bad.exit_code == EXIT_USAGE and "Traceback" not in bad.output
    assert ".html or .json" in bad.output
    several = runner.invoke(app, [*base, str(one), str(two), "--report", str(tmp_path / "r.html")])
    assert several.exit_code == EXIT_USAGE and "folder" in several.output

    adcp = tmp_path / "one.adcp.json"
    done = runner.invoke(app, [*base, str(one), "--report", str(adcp), "--report-format", "adcp"])
    assert done.exit_code in (0, 1), done.output
    body = json.loads(adcp.read_text(encoding="utf-8"))
    _adcp_validator("creative/get-creative-features-response.json").validate(body)
    assert body["ext"]["brandkit"]["approval_status"] in ("rejected", "pending_review")

    folder = tmp_path / "reports"
    done = runner.invoke(app, [*base, str(one), str(two), "--report", str(folder)])
    assert done.exit_code in (0, 1), done.output
    assert sorted(p.name for p in folder.iterdir()) == ["one.html", "one.json", "two.html", "two.json"]
    native = json.loads((folder / "one.json").read_text(encoding="utf-8"))
    assert native["image"]["source"] == str(one) and native["provenance"] == "absent"
    assert "data:image/png;base64," in (folder / "two.html").read_text(encoding="utf-8")
