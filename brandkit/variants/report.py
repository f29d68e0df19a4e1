"""What a variant run leaves for people: ``DIR/manifest.json`` and the contact sheet ``DIR/index.html``.

Both are built from the plan and the journal alone (:func:`write_reports`), so they are the same whether
the run went straight through or was killed and resumed. The manifest lists every variant of the plan —
key, axis values, status, files, checks summary, palette, attempts, cost, failure reason — and the run
summary a team measures itself by: pass rate, attempts per accepted asset (the revision rate), spend and
wall time. The contact sheet is one self-contained HTML file (inline CSS, no script, no external asset;
thumbnails are small JPEG files under ``DIR/thumbs/``) that works offline.

About 410 lines: the manifest rows and the contact sheet are the two views of the same rows (they share the row
builders and the summary); the page itself is a jinja2 template, not code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from brandkit.atomic import atomic_write
from brandkit.check_catalog import CheckDetails
from brandkit.checks.palette import PaletteCheck
from brandkit.checks.palette_details import PaletteDetails
from brandkit.models import CheckResult, ValidationReport
from brandkit.variants.journal import JournalState
from brandkit.variants.plan import ExpandedPlan, Variant
from brandkit.variants.thumbnails import make_thumbnail

__all__ = [
    "MANIFEST_SCHEMA",
    "build_manifest",
    "contact_sheet_html",
    "report_summary",
    "write_reports",
]

MANIFEST_SCHEMA = "brandkit-variant-manifest/1"
_PALETTE_COLORS = 8
_DOMINANT = 6


def _reason(result: CheckResult) -> str:
    return CheckDetails.of(result.details).reason or ""


def report_summary(report: ValidationReport | None) -> dict[str, Any] | None:
    """A compact, JSON-friendly summary of a report for the journal and the manifest.

    ``checks`` maps check → status; ``failures`` the blocking checks with their hints; ``palette`` the
    coverage, the brand colours with their share and the dominant colours (from the palette check).
    """
    if report is None:
        return None
    palette: dict[str, Any] | None = None
    result = report.checks.get("palette")
    details = PaletteCheck.info.details(result) if result is not None else None
    if isinstance(details, PaletteDetails) and details.coverage is not None:
        palette = {
            "coverage": details.coverage,
            "min_coverage": details.min_coverage,
            "colors": [
                {"name": c.name, "hex": c.hex, "share": c.share, "ok": c.ok} for c in details.colors[:_PALETTE_COLORS]
            ],
            "dominant": [
                {"hex": d.hex, "share": d.share, "on_palette": d.on_palette} for d in details.dominant[:_DOMINANT]
            ],
        }
    return {
        "passed": report.passed,
        "checks": report.summary(),
        "failures": [
            {"name": r.name, "status": r.status.value, "hint": (r.hint or _reason(r))[:300]} for r in report.failures
        ],
        "warnings": [r.name for r in report.checks.values() if r.warned],
        "palette": palette,
    }


def _ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def _variant_entry(variant: Variant, state: JournalState, stopped: str | None) -> dict[str, Any]:
    record = state.state(variant.key)
    last = record.last
    request = variant.request
    status = record.status
    reason = last.get("reason") if status == "failed" else None
    kind = record.kind
    if status in ("planned", "started"):
        if stopped == "budget":
            status, reason = "skipped", "not made: the budget would have been exceeded"
        elif stopped:
            status, reason = "skipped", f"not made: the run stopped ({stopped})"
        else:
            status, reason = ("interrupted", "started but not finished") if status == "started" else ("pending", None)
    report = last.get("report") if isinstance(last.get("report"), dict) else None
    return {
        "key": variant.key,
        "name": variant.name,
        "spec": variant.spec_id,
        "axes": dict(variant.axes),
        "operation": variant.operation,
        "master": variant.master_key,
        "status": status,
        "kind": kind,
        "reason": reason,
        "files": record.files,
        "checks": (report or {}).get("checks", {}),
        "failures": (report or {}).get("failures", []),
        "warnings": (report or {}).get("warnings", []),
        "palette": (report or {}).get("palette"),
        "attempts": record.attempts,
        "attempt": last.get("attempt"),
        "cost_usd": round(record.cost_usd, 6),
        "runs": record.starts,
        "copy": {
            "headline": request.headline,
            "subhead": request.subhead,
            "cta": request.cta,
            "format": request.format,
            "locale": request.locale,
        },
    }


def build_manifest(
    plan: ExpandedPlan,
    state: JournalState,
    *,
    session_started: float | None = None,
    stopped: str | None = None,
    provider: str | None = None,
) -> dict[str, Any]:
    """The manifest: every variant of ``plan`` with its journaled status, and the run summary."""
    variants = [_variant_entry(v, state, stopped) for v in plan.variants]
    succeeded = [v for v in variants if v["status"] == "succeeded"]
    failed = [v for v in variants if v["status"] == "failed"]
    by_kind: dict[str, int] = {}
    for item in failed:
        by_kind[item["kind"] or "error"] = by_kind.get(item["kind"] or "error", 0) + 1
    attempts = sum(v["attempts"] for v in variants)
    spend = sum(v["cost_usd"] for v in variants) + sum(s.unattributed_usd for s in state.sessions)
    now = time.time()
    wall_total = sum(s.wall_s for s in state.sessions)
    summary = {
        "total": len(variants),
        "succeeded": len(succeeded),
        "failed": len(failed),
        "not_made": len(variants) - len(succeeded) - len(failed),
        "by_kind": by_kind,
        "pass_rate": _ratio(len(succeeded), len(succeeded) + len(failed)),
        "first_pass_rate": _ratio(sum(1 for v in succeeded if v["attempt"] == 1), len(succeeded)),
        "attempts": attempts,
        "attempts_per_accepted": _ratio(attempts, len(succeeded), 3),
        "spend_usd": round(spend, 6),
        "cost_per_accepted_usd": _ratio(spend, len(succeeded), 6),
        "wall_s": round(now - session_started, 3) if session_started else None,
        "wall_total_s": round(wall_total, 3),
        "sessions": len(state.sessions),
        "stopped": stopped,
        "journal_lines_skipped": state.skipped_lines,
    }
    return {
        "schema": MANIFEST_SCHEMA,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "plan": {
            "name": plan.plan.name,
            "description": plan.plan.description,
            "source": plan.plan.source,
            "hash": plan.plan_hash,
            "axes": list(plan.axes),
            "group_by": plan.group_by,
            "specs": {sid: {"name": s.name, "fingerprint": s.fingerprint} for sid, s in plan.specs.items()},
        },
        "provider": provider,
        "summary": summary,
        "variants": variants,
    }


# --------------------------------------------------------------------------------------------
# The contact sheet
# --------------------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    """The contact sheet's template environment (built per page: no module-level state; autoescape on)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("brandkit.variants", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _swatches(palette: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not palette:
        return None
    colors = [c for c in palette.get("colors") or [] if c.get("hex")]
    shares = [max(0.0, float(c.get("share") or 0.0)) for c in colors]
    total = sum(shares) or 1.0
    spans = [
        {"hex": c["hex"], "grow": f"{share / total:.4f}", "title": f"{_text(c.get('name'))} {c['hex']}: {_pct(share)}"}
        for c, share in zip(colors, shares, strict=True)
        if share > 0
    ]
    dominant = [
        {
            "hex": d["hex"],
            "off": not d.get("on_palette", True),
            "title": f"{d['hex']}: {_pct(d.get('share'))}{'' if d.get('on_palette', True) else ' — off palette'}",
        }
        for d in (palette.get("dominant") or [])
        if d.get("hex")
    ]
    return {"spans": spans, "dominant": dominant, "coverage": _pct(palette.get("coverage"))}


def _badges(item: Mapping[str, Any]) -> list[dict[str, str]]:
    warnings = set(item.get("warnings") or [])
    hints = {f.get("name"): f.get("hint") for f in item.get("failures") or []}
    return [
        {
            "css": _text("warn" if name in warnings else status),
            "title": f"{name}: {status}" + (f" — {hints[name]}" if hints.get(name) else ""),
            "name": _text(name),
        }
        for name, status in (item.get("checks") or {}).items()
    ]


def _card(item: Mapping[str, Any], group_axis: str) -> dict[str, Any]:
    files = item.get("files") or {}
    status = item["status"]
    copy = item.get("copy") or {}
    meta = f"{item.get('attempts') or 0} attempt(s) · ${float(item.get('cost_usd') or 0):.4f}"
    if item.get("operation") == "edit":
        meta += " · adapted from the master"
    return {
        "status": status,
        "key": item["key"],
        "label": {"succeeded": "accepted", "failed": "rejected"}.get(status, status),
        "image": files.get("image") or files.get("rejected"),
        "thumb": files.get("thumb"),
        "alt": f"{item['spec']} · " + " · ".join(f"{k} {v}" for k, v in item["axes"].items() if k != "spec"),
        "locale": _text(copy.get("locale")),
        "headline": copy.get("headline") or copy.get("cta") or "",
        "chips": [(k, _text(v)) for k, v in item["axes"].items() if k not in ("spec", group_axis)],
        "badges": _badges(item),
        "palette": _swatches(item.get("palette")),
        "meta": meta,
        "reason": item.get("reason") or None,
    }


def _stats(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    per = summary["attempts_per_accepted"]
    stats = [
        (f"{summary['succeeded']}/{summary['total']}", "accepted", "accepted"),
        (_pct(summary["pass_rate"]), "pass rate", "pass-rate"),
        ("–" if per is None else f"{per:.2f}", "attempts per accepted asset", "attempts-per-accepted"),
        (f"${summary['spend_usd']:.2f}", "spend", "spend"),
        (_duration(summary.get("wall_total_s")), "wall time", "wall-time"),
    ]
    if summary["failed"]:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary["by_kind"].items()))
        stats.append((str(summary["failed"]), f"rejected ({kinds})", "failed"))
    if summary["not_made"]:
        stats.append((str(summary["not_made"]), "not made", "not-made"))
    return [{"value": value, "label": label, "name": name} for value, label, name in stats]


def _sections(manifest: Mapping[str, Any], group_axis: str) -> list[dict[str, Any]]:
    plan = manifest["plan"]
    specs: dict[str, list[Mapping[str, Any]]] = {}
    for item in manifest["variants"]:
        specs.setdefault(item["spec"], []).append(item)
    sections = []
    for spec_id, items in specs.items():
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for item in items:
            groups.setdefault(str(item["axes"].get(group_axis, "other")), []).append(item)
        sections.append(
            {
                "id": spec_id,
                "name": plan.get("specs", {}).get(spec_id, {}).get("name", spec_id),
                "accepted": sum(1 for i in items if i["status"] == "succeeded"),
                "count": len(items),
                "groups": [
                    {
                        "title": f"{group_axis}: {value}" if group_axis != "spec" else value,
                        "cards": [_card(m, group_axis) for m in members],
                    }
                    for value, members in groups.items()
                ],
            }
        )
    return sections


def contact_sheet_html(manifest: Mapping[str, Any]) -> str:
    """The offline contact sheet for a manifest: summary, then thumbnails by spec and by the group axis.

    Rendered from ``templates/contact_sheet.html`` with jinja2 autoescape: every value is escaped as data.
    """
    plan = manifest["plan"]
    summary = manifest["summary"]
    group_axis = plan.get("group_by") or "spec"
    return (
        _environment()
        .get_template("contact_sheet.html")
        .render(
            name=plan["name"],
            description=_text(plan.get("description")),
            stats=_stats(summary),
            stopped=summary.get("stopped") or None,
            specs=_sections(manifest, group_axis),
            generated_at=manifest["generated_at"],
            provider=_text(manifest.get("provider")),
            spend=f"{summary['spend_usd']:.4f}",
            attempts=summary["attempts"],
            sessions=summary["sessions"],
            plan_hash=plan["hash"][:12],
        )
    )


def _repair_thumbnails(out: Path, variants: Sequence[Mapping[str, Any]]) -> None:
    """Recreate a thumbnail that a crash left missing (the image itself is on disk)."""
    for item in variants:
        files = item.get("files") or {}
        thumb, image = files.get("thumb"), files.get("image") or files.get("rejected")
        if thumb and image and not (out / thumb).is_file() and (out / image).is_file():
            try:
                make_thumbnail((out / image).read_bytes(), out / thumb)
            except Exception:
                files.pop("thumb", None)


def write_reports(
    plan: ExpandedPlan,
    out: Path,
    state: JournalState,
    *,
    session_started: float | None = None,
    stopped: str | None = None,
    provider: str | None = None,
) -> dict[str, Any]:
    """Write ``out/manifest.json`` and ``out/index.html`` (atomically) and return the manifest."""
    manifest = build_manifest(plan, state, session_started=session_started, stopped=stopped, provider=provider)
    _repair_thumbnails(out, manifest["variants"])
    text = json.dumps(manifest, indent=2, ensure_ascii=False)
    atomic_write(out / "manifest.json", text.encode("utf-8"))
    atomic_write(out / "index.html", contact_sheet_html(manifest).encode("utf-8"))
    return manifest
