"""One place to add a check: the declarations (catalog row + the class's ``info``) drive registration,
spec defaults, repair's fix zones and the reading of ``details``; the example check in
docs/architecture.md works as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from brandkit.check_catalog import CATALOG, CheckDetails, check_names, fix_zone
from brandkit.checks import CHECK_NAMES, default_checks, run_checks
from brandkit.checks.base import CheckInfo, CheckResources, DeclaredCheck
from brandkit.checks.palette import PaletteCheck
from brandkit.checks.palette_details import PaletteDetails
from brandkit.checks.registry import check_classes, check_infos
from brandkit.checks.technical import TechnicalCheck
from brandkit.checks.text import TextCheck
from brandkit.models import CheckResult, CheckStatus, ValidationReport
from brandkit.repair import decide
from brandkit.spec.models import BrandSpec
from tests.checks_support import context

REPO = Path(__file__).resolve().parents[1]


def test_registry_classes_match_the_catalog_row_for_row() -> None:
    classes = check_classes()
    assert [cls.info.name for cls in classes] == [e.name for e in CATALOG] == list(CHECK_NAMES)
    for cls, entry in zip(classes, CATALOG, strict=True):
        assert isinstance(cls.info, CheckInfo)
        assert cls.name == cls.info.name == entry.name
        assert (cls.info.default_policy, cls.info.fix_zone) == (entry.default_policy, entry.fix_zone), entry.name
        assert issubclass(cls.info.details_model, CheckDetails)
    assert [type(c) for c in default_checks()] == classes
    assert all(isinstance(c, DeclaredCheck) for c in default_checks())
    assert list(check_infos()) == list(check_names())


def test_spec_defaults_and_known_names_come_from_the_catalog(northwind: BrandSpec) -> None:
    data = northwind.model_dump(mode="json", exclude={"checks"})
    spec = BrandSpec.model_validate(data)
    assert {name: s.policy for name, s in spec.checks.items()} == {e.name: e.default_policy for e in CATALOG}
    for entry in CATALOG:
        assert spec.policy(entry.name).policy == entry.default_policy
    with pytest.raises(ValueError, match=r"unknown checks \['flat'\]"):
        BrandSpec.model_validate({**data, "checks": {"flat": {"policy": "warn"}}})


def _report(*results: CheckResult) -> ValidationReport:
    return ValidationReport(checks={r.name: r for r in results}, spec_name="t", spec_fingerprint="f")


def _failed(name: str, policy: Any) -> CheckResult:
    return CheckResult(name=name, status=CheckStatus.failed, policy=policy, hint=f"{name} is off")


@pytest.mark.parametrize("entry", [e for e in CATALOG], ids=lambda e: e.name)
def test_repair_redraws_the_zone_each_check_declares(entry: Any) -> None:
    decision = decide(_report(_failed(entry.name, "fix")))
    if entry.fix_zone is None:
        # a "fix" policy on a check without a fix zone cannot be fixed: regenerate
        assert decision.action == "regenerate"
    else:
        assert decision.action == "fix"
        assert decision.fix == frozenset({entry.fix_zone})
    assert fix_zone(entry.name) == entry.fix_zone


def test_repair_unions_the_zones_of_several_fixes() -> None:
    decision = decide(_report(_failed("contrast", "fix"), _failed("logo", "fix"), _failed("text", "fix")))
    assert decision == decision.__class__("fix", frozenset({"text", "logo"}), decision.reason)
    assert "contrast failed" in decision.reason and "logo failed" in decision.reason


def test_not_checked_reason_is_read_through_the_details_model() -> None:
    r = CheckResult(name="logo", status=CheckStatus.not_checked, policy="fix", details={"error": "OSError: gone"})
    decision = decide(_report(r))
    assert decision.action == "stop"
    assert decision.reason == "logo could not run (OSError: gone)"
    assert CheckDetails.of({"reason": "no copy", "error": "x"}).why() == "no copy"


def _poster() -> Image.Image:
    image = Image.new("RGB", (320, 240), (245, 240, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 300, 110), fill=(30, 60, 120))
    return image


def test_palette_details_are_typed_on_a_real_image(northwind: BrandSpec) -> None:
    ctx = context(northwind, _poster(), CheckResources())
    report = run_checks(ctx, [PaletteCheck()])
    details = PaletteCheck.info.details(report.checks["palette"])
    assert isinstance(details, PaletteDetails)
    raw = report.checks["palette"].details
    assert details.coverage == raw["coverage"] and details.min_coverage == raw["min_coverage"]
    assert [c.hex for c in details.colors] == [c["hex"] for c in raw["colors"]]
    assert [d.share for d in details.dominant] == [d["share"] for d in raw["dominant"]]
    with pytest.raises(ValueError, match="'palette' result read as a 'text' result"):
        TextCheck.info.details(report.checks["palette"])


def _doc_example() -> dict[str, Any]:
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc[doc.index("- **A new check**") : doc.index("- **A new provider**")]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "docs/architecture.md 'A new check' should hold exactly one python example"
    code = "\n".join(line[2:] if line.startswith("  ") else line for line in blocks[0].splitlines())
    namespace: dict[str, Any] = {"__name__": "doc_example"}
    exec(compile(code, "docs/architecture.md", "exec"), namespace)
    return namespace


def test_the_example_check_in_the_architecture_doc_runs_through_run_checks(northwind: BrandSpec) -> None:
    example = _doc_example()
    flat_check = example["FlatCheck"]
    checks = [TechnicalCheck(), flat_check()]
    resources = CheckResources()

    flat = run_checks(context(northwind, Image.new("RGB", (200, 120), (12, 34, 56)), resources), checks)
    result = flat.checks["flat"]
    assert result.status == CheckStatus.failed and result.hint
    assert result.policy == "warn"  # its declared default: the spec does not name it
    details = flat_check.info.details(result)
    assert isinstance(details, example["FlatDetails"]) and details.grey_std == 0.0
    assert flat.checks["technical"].policy == "raise"  # ran beside a built-in check, with its catalog default

    drawn = run_checks(context(northwind, _poster(), resources), checks, policies={"flat": "raise"})
    assert drawn.checks["flat"].status == CheckStatus.passed
    assert drawn.checks["flat"].policy == "raise"
    assert flat_check.info.details(drawn.checks["flat"]).grey_std > 2.0


def _imported_modules(path: Path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_check_module_imports_another_check_module() -> None:
    modules = {cls.__module__.removesuffix(".check") for cls in check_classes()}
    assert "brandkit.checks.logo" in modules and "brandkit.checks.text" in modules
    for module in modules:
        base = REPO / Path(*module.split("."))
        files = sorted(base.glob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        assert files, module
        for file in files:
            imported = _imported_modules(file)
            others = {m for m in imported for other in modules - {module} if m == other or m.startswith(other + ".")}
            assert not others, f"{file.relative_to(REPO)} imports check module(s) {sorted(others)}"


def test_providers_do_not_import_checks() -> None:
    for file in sorted((REPO / "brandkit" / "provider").rglob("*.py")):
        imported = _imported_modules(file)
        assert not {m for m in imported if m == "brandkit.checks" or m.startswith("brandkit.checks.")}, file.name
