"""What a variant run leaves for people: ``DIR/manifest.json`` and the contact sheet ``DIR/index.html``.

Both are built from the plan and the journal alone (:func:`write_reports`), so they are the same whether
the run went straight through or was killed and resumed. The manifest lists every variant of the plan —
key, axis values, status, files, checks summary, palette, attempts, cost, failure reason — and the run
summary a team measures itself by: pass rate, attempts per accepted asset (the revision rate), spend and
wall time. The contact sheet is one self-contained HTML file (inline CSS, no script, no external asset;
thumbnails are small JPEG files under ``DIR/thumbs/``) that works offline.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from brandkit.asset import atomic_write
from brandkit.models import ValidationReport
from brandkit.variants.journal import JournalState
from brandkit.variants.plan import ExpandedPlan, Variant

__all__ = [
    "MANIFEST_SCHEMA",
    "build_manifest",
    "contact_sheet_html",
    "make_thumbnail",
    "report_summary",
    "write_reports",
]

MANIFEST_SCHEMA = "brandkit-variant-manifest/1"
_PALETTE_COLORS = 8
_DOMINANT = 6


def report_summary(report: ValidationReport | None) -> dict[str, Any] | None:
    """A compact, JSON-friendly summary of a report for the journal and the manifest.

    ``checks`` maps check → status; ``failures`` the blocking checks with their hints; ``palette`` the
    coverage, the brand colours with their share and the dominant colours (from the palette check).
    """
    if report is None:
        return None
    palette: dict[str, Any] | None = None
    result = report.checks.get("palette")
    if result is not None and result.details.get("coverage") is not None:
        details = result.details
        palette = {
            "coverage": details.get("coverage"),
            "min_coverage": details.get("min_coverage"),
            "colors": [
                {"name": c.get("name"), "hex": c.get("hex"), "share": c.get("share"), "ok": c.get("ok", True)}
                for c in (details.get("colors") or [])[:_PALETTE_COLORS]
                if isinstance(c, dict)
            ],
            "dominant": [
                {"hex": d.get("hex"), "share": d.get("share"), "on_palette": d.get("on_palette")}
                for d in (details.get("dominant") or [])[:_DOMINANT]
                if isinstance(d, dict)
            ],
        }
    return {
        "passed": report.passed,
        "checks": report.summary(),
        "failures": [
            {"name": r.name, "status": r.status.value, "hint": (r.hint or str(r.details.get("reason") or ""))[:300]}
            for r in report.failures
        ],
        "warnings": [r.name for r in report.checks.values() if r.status.value == "failed" and not r.blocking],
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

_CSS = """
:root{--ok:#1b7f3b;--bad:#b42318;--warn:#b54708;--muted:#667085;--line:#e4e7ec;--bg:#f7f7f5}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#101828;background:var(--bg)}
header{padding:20px 28px;background:#fff;border-bottom:1px solid var(--line)}
h1{margin:0 0 4px;font-size:22px} h2{margin:28px 0 8px;font-size:18px} h3{margin:18px 0 8px;font-size:14px;
color:var(--muted);font-weight:600;text-transform:none}
main{padding:0 28px 40px}
.desc{color:var(--muted);margin:0 0 14px}
.stats{display:flex;flex-wrap:wrap;gap:10px}
.stat{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:130px}
.stat b{display:block;font-size:20px}
.stat span{color:var(--muted);font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:14px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;overflow:hidden;margin:0;
display:flex;flex-direction:column}
.card.failed{border-color:#f5b5ad}.card.pending,.card.skipped,.card.interrupted{opacity:.7}
.thumb{display:flex;align-items:center;justify-content:center;height:190px;background:#eaecf0}
.thumb img{max-width:100%;max-height:190px;display:block}
.thumb .none{color:var(--muted);font-size:12px}
figcaption{padding:8px 10px;display:flex;flex-direction:column;gap:6px}
.status{font-weight:700;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.status.succeeded{color:var(--ok)}.status.failed{color:var(--bad)}.status.pending,.status.skipped,
.status.interrupted{color:var(--muted)}
.copy{font-weight:600}
.chips,.badges{display:flex;flex-wrap:wrap;gap:4px}
.chip{background:#f2f4f7;border-radius:10px;padding:1px 8px;font-size:11px;color:#344054}
.badge{border-radius:4px;padding:1px 6px;font-size:11px;color:#fff;background:var(--muted)}
.badge.passed{background:var(--ok)}.badge.failed{background:var(--bad)}.badge.not_checked{background:var(--warn)}
.badge.warn{background:var(--warn)}.badge.skipped{background:#98a2b3}
.swatches{display:flex;height:14px;border-radius:3px;overflow:hidden;border:1px solid var(--line)}
.sw{display:block;height:100%;min-width:2px}
.palette{font-size:11px;color:var(--muted);display:flex;align-items:center;gap:6px;flex-wrap:wrap}
.doms{display:inline-flex;gap:3px}
.dom{display:inline-block;width:12px;height:12px;border-radius:2px;border:1px solid var(--line)}
.dom.off{outline:2px solid var(--bad);outline-offset:1px}
.meta{font-size:11px;color:var(--muted)}
.reason{margin:0;font-size:12px;color:var(--bad);background:#fef3f2;border-radius:6px;padding:6px 8px}
footer{padding:16px 28px;color:var(--muted);font-size:12px}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


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


def _stat(value: str, label: str, name: str) -> str:
    return f'<div class="stat" data-stat="{_e(name)}"><b>{_e(value)}</b><span>{_e(label)}</span></div>'


def _swatches(palette: Mapping[str, Any] | None) -> str:
    if not palette:
        return ""
    colors = [c for c in palette.get("colors") or [] if c.get("hex")]
    shares = [max(0.0, float(c.get("share") or 0.0)) for c in colors]
    total = sum(shares) or 1.0
    spans = "".join(
        f'<span class="sw" style="background:{_e(c["hex"])};flex-grow:{share / total:.4f}" '
        f'title="{_e(c.get("name"))} {_e(c["hex"])}: {_pct(share)}"></span>'
        for c, share in zip(colors, shares, strict=True)
        if share > 0
    )
    dominant = "".join(
        f'<span class="dom{"" if d.get("on_palette", True) else " off"}" style="background:{_e(d["hex"])}" '
        f'title="{_e(d["hex"])}: {_pct(d.get("share"))}{"" if d.get("on_palette", True) else " — off palette"}">'
        "</span>"
        for d in (palette.get("dominant") or [])
        if d.get("hex")
    )
    return (
        f'<div class="swatches" title="brand colours by share of the image">{spans}</div>'
        f'<div class="palette">palette coverage <b class="coverage">{_pct(palette.get("coverage"))}</b>'
        f'<span class="doms" title="dominant colours of the image">{dominant}</span></div>'
    )


def _badges(item: Mapping[str, Any]) -> str:
    warnings = set(item.get("warnings") or [])
    hints = {f.get("name"): f.get("hint") for f in item.get("failures") or []}
    out = []
    for name, status in (item.get("checks") or {}).items():
        css = "warn" if name in warnings else status
        title = f"{name}: {status}" + (f" — {hints[name]}" if hints.get(name) else "")
        out.append(f'<span class="badge {_e(css)}" title="{_e(title)}">{_e(name)}</span>')
    return f'<div class="badges">{"".join(out)}</div>' if out else ""


def _card(item: Mapping[str, Any], group_axis: str) -> str:
    files = item.get("files") or {}
    status = item["status"]
    image = files.get("image") or files.get("rejected")
    thumb = files.get("thumb")
    copy = item.get("copy") or {}
    alt = f"{item['spec']} · " + " · ".join(f"{k} {v}" for k, v in item["axes"].items() if k != "spec")
    if thumb:
        picture = f'<img src="{_e(thumb)}" alt="{_e(alt)}" loading="lazy">'
        picture = f'<a href="{_e(image)}">{picture}</a>' if image else picture
    else:
        picture = '<span class="none">no image</span>'
    chips = "".join(
        f'<span class="chip" title="{_e(k)}">{_e(k)}: {_e(v)}</span>'
        for k, v in item["axes"].items()
        if k not in ("spec", group_axis)
    )
    label = {"succeeded": "accepted", "failed": "rejected"}.get(status, status)
    meta = f"{item.get('attempts') or 0} attempt(s) · ${float(item.get('cost_usd') or 0):.4f}"
    if item.get("operation") == "edit":
        meta += " · adapted from the master"
    reason = f'<p class="reason">{_e(item.get("reason"))}</p>' if item.get("reason") else ""
    headline = copy.get("headline") or copy.get("cta") or ""
    return (
        f'<figure class="card {_e(status)}" data-key="{_e(item["key"])}" data-status="{_e(status)}">'
        f'<div class="thumb">{picture}</div><figcaption>'
        f'<span class="status {_e(status)}">{_e(label)}</span>'
        f'<span class="copy" lang="{_e(copy.get("locale") or "")}">{_e(headline)}</span>'
        f'<div class="chips">{chips}</div>{_badges(item)}{_swatches(item.get("palette"))}'
        f'<span class="meta">{_e(meta)}</span>{reason}</figcaption></figure>'
    )


def contact_sheet_html(manifest: Mapping[str, Any]) -> str:
    """The offline contact sheet for a manifest: summary, then thumbnails by spec and by the group axis."""
    plan = manifest["plan"]
    summary = manifest["summary"]
    group_axis = plan.get("group_by") or "spec"
    stats = [
        _stat(f"{summary['succeeded']}/{summary['total']}", "accepted", "accepted"),
        _stat(_pct(summary["pass_rate"]), "pass rate", "pass-rate"),
        _stat(
            "–" if summary["attempts_per_accepted"] is None else f"{summary['attempts_per_accepted']:.2f}",
            "attempts per accepted asset",
            "attempts-per-accepted",
        ),
        _stat(f"${summary['spend_usd']:.2f}", "spend", "spend"),
        _stat(_duration(summary.get("wall_total_s")), "wall time", "wall-time"),
    ]
    if summary["failed"]:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary["by_kind"].items()))
        stats.append(_stat(str(summary["failed"]), f"rejected ({kinds})", "failed"))
    if summary["not_made"]:
        stats.append(_stat(str(summary["not_made"]), "not made", "not-made"))
    sections: list[str] = []
    specs: dict[str, list[Mapping[str, Any]]] = {}
    for item in manifest["variants"]:
        specs.setdefault(item["spec"], []).append(item)
    for spec_id, items in specs.items():
        spec_name = plan.get("specs", {}).get(spec_id, {}).get("name", spec_id)
        accepted = sum(1 for i in items if i["status"] == "succeeded")
        sections.append(
            f'<section class="spec" data-spec="{_e(spec_id)}"><h2>{_e(spec_name)} '
            f'<small class="meta">({accepted}/{len(items)} accepted)</small></h2>'
        )
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for item in items:
            groups.setdefault(str(item["axes"].get(group_axis, "other")), []).append(item)
        for value, members in groups.items():
            title = f"{group_axis}: {value}" if group_axis != "spec" else value
            cards = "".join(_card(m, group_axis) for m in members)
            sections.append(f'<h3 class="group">{_e(title)}</h3><div class="grid">{cards}</div>')
        sections.append("</section>")
    stopped = summary.get("stopped")
    banner = f'<p class="reason">The last session stopped early: {_e(stopped)}</p>' if stopped else ""
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{_e(plan['name'])} — variants</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(plan['name'])}</h1>"
        f'<p class="desc">{_e(plan.get("description"))}</p>'
        f'<div class="stats">{"".join(stats)}</div>{banner}</header>'
        f"<main>{''.join(sections)}</main>"
        f"<footer>Generated {_e(manifest['generated_at'])} by brandkit · provider {_e(manifest.get('provider'))}"
        f" · spend ${summary['spend_usd']:.4f} · {summary['attempts']} attempts over {summary['sessions']}"
        f" session(s) · plan hash {_e(plan['hash'][:12])}</footer></body></html>\n"
    )


THUMB_PX = 320


_REDUCIBLE = frozenset({"L", "RGB"})  # shrunk before conversion (RGBA: converting first is quicker)


def make_thumbnail(data: bytes, path: Path, size: int = THUMB_PX) -> None:
    """Write a small JPEG of the image ``data`` to ``path`` (atomically), at most ``size`` pixels a side.

    ``data`` is an image brandkit already decoded safely (an accepted asset or a rejected attempt).
    """
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as source:
        source.draft("RGB", (size, size))  # JPEG: decode at a reduced scale
        source.load()
        image: Image.Image = source
        factor = min(image.width, image.height) // size
        if factor > 1 and image.mode in _REDUCIBLE:  # shrink before any conversion: a conversion copies
            image, factor = image.reduce(factor), 1
        if image.mode != "RGB":
            image = image.convert("RGB")
    if factor > 1:
        image = image.reduce(factor)
    image.thumbnail((size, size))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    atomic_write(path, buffer.getvalue())


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
