"""The verification report in the Ad Context Protocol's creative-governance vocabulary (``--report-format adcp``).

AdCP (https://github.com/adcontextprotocol/adcp, schemas version :data:`ADCP_SCHEMA_VERSION`) has no
"verify a creative against a brand" task with its own result type; the nearest published fields are:

* ``creative/get-creative-features-response.json`` — what a creative governance agent returns for a creative:
  ``results``, a list of ``creative/creative-feature-result.json`` (``feature_id``, ``value`` boolean / number /
  string, ``unit``, ``confidence``, ``details``). brandkit returns one: the spec's documented quantitative
  feature ``brand_consistency`` (the score, ``unit: percentage``) and one agent-defined feature per check
  (``brandkit_<check>``, categorical value ``passed`` / ``failed`` / ``not_checked`` / ``skipped``, with its
  severity, policy, findings and measured figures in ``details``);
* ``enums/creative-approval-status.json`` — the creative review vocabulary (``approved``, ``rejected``,
  ``pending_review``, ``partially_approved``): the verdict mapped to it travels in ``ext.brandkit`` (the
  vendor-namespaced extension object, ``core/ext.json``), since the features response has no approval field.
  ``pass`` / ``pass_with_warnings`` → ``approved``; ``fail`` with a failed blocker or major rule → ``rejected``
  (its findings are the ``rejection_reason``); ``fail`` only because some blocker or major rule could not be
  verified (``not_checked``) → ``pending_review`` (a person must look). ``partially_approved`` is per
  placement scope and never used.

``tests/test_evidence.py`` validates the output against the vendored published schemas
(``tests/data/adcp/schemas/3.1.19/``, Apache-2.0, licence beside them).
"""

from __future__ import annotations

from typing import Any, Literal

from brandkit.evidence.models import CheckEvidence, VerificationReport

ADCP_SCHEMA_VERSION = "3.1.19"
ApprovalStatus = Literal["approved", "rejected", "pending_review"]


def approval_status(report: VerificationReport) -> ApprovalStatus:
    """The verdict in ``enums/creative-approval-status.json`` terms (module docstring)."""
    if report.verdict != "fail":
        return "approved"
    serious = [c for c in report.checks.values() if c.severity in ("blocker", "major")]
    return "rejected" if any(c.status == "failed" for c in serious) else "pending_review"


def _feature_details(check: CheckEvidence) -> dict[str, Any]:
    details: dict[str, Any] = {"severity": check.severity, "policy": check.policy}
    if check.findings:
        details["findings"] = [f.message for f in check.findings]
    if check.reason:
        details["reason"] = check.reason
    if check.hint:
        details["hint"] = check.hint
    if check.palette is not None:
        p = check.palette
        details["off_palette_share"] = p.off_palette_share
        details["tolerance_delta_e"] = p.tolerance
        details["worst_regions"] = [r.model_dump(mode="json") for r in p.worst_regions]
    if check.contrast:
        details["contrast"] = [
            {"text": m.text, "ratio": m.ratio, "required": m.required, "box": list(m.measured_box)}
            for m in check.contrast
        ]
    if check.logo is not None and check.logo.box is not None:
        details["logo_box"] = list(check.logo.box)
    if check.measurements:
        details["measurements"] = {m.name: m.value for m in check.measurements}
    return details


def to_adcp(report: VerificationReport) -> dict[str, Any]:
    """A ``get_creative_features`` response body for ``report`` (module docstring)."""
    results: list[dict[str, Any]] = []
    if report.score.value is not None:
        results.append(
            {
                "feature_id": "brand_consistency",
                "value": round(report.score.value * 100, 2),
                "unit": "percentage",
                "methodology_version": f"brandkit-verification-{report.report_version}",
                "details": {"passed_weight": report.score.passed_weight, "total_weight": report.score.total_weight},
            }
        )
    for check in report.checks.values():
        results.append(
            {
                "feature_id": f"brandkit_{check.name}",
                "value": check.status,
                "methodology_version": f"brandkit-verification-{report.report_version}",
                "details": _feature_details(check),
            }
        )
    status = approval_status(report)
    brandkit_ext: dict[str, Any] = {
        "approval_status": status,
        "verdict": report.verdict,
        "spec_name": report.spec_name,
        "image_sha256": report.image.sha256,
        "scope_note": report.scope_note,
        "adcp_schema_version": ADCP_SCHEMA_VERSION,
    }
    if status != "approved":
        brandkit_ext["rejection_reason"] = "; ".join(f.message for f in report.findings if f.severity != "minor")
    return {"status": "completed", "results": results, "ext": {"brandkit": brandkit_ext}}


__all__ = ["ADCP_SCHEMA_VERSION", "approval_status", "to_adcp"]
