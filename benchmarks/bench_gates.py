"""Measured error rates of brandkit's gates on the labelled corpus of real photographs composed into ads.

Run from the project root::

    python -m benchmarks.bench_gates                       # every check, both halves (several minutes: OCR)
    python -m benchmarks.bench_gates --checks palette      # the palette rules only (about a minute)
    python -m benchmarks.bench_gates --json out.json       # also write every case's decision and figures
    python -m benchmarks.bench_gates --enlarge             # each image as a large master too (see below)

The corpus is ``tests/data/gate_corpus.yaml`` rendered by ``tests/support/gate_corpus.py`` (cached in
``<tmp>/brandkit-gate-corpus``). Each image is checked the way ``brandkit validate`` checks a file: the
expectation (copy, logo, the layout's photo box) comes from its embedded provenance, and foreign copies (JPEG
re-encodes, resized copies, bare photos) have none, so the palette check segments them itself.

Printed per check and overall: the **false-reject rate** (on-brand images the check blocks) and the
**false-accept rate** (off-brand images it lets through), on the calibration half, the held-out half and all
cases, and for the palette check per brand and per violation kind. A check "blocks" when it fails or cannot run
(``not_checked``: fail closed); ``skipped`` accepts. The **previous rule** (every opaque pixel within the
tolerance ≥ 85 %, shares over the whole image, forbidden colours; ``palette.measure: all-pixels``) runs on the
same images side by side.

``--enlarge`` checks each case as a **large master** too: the image enlarged (Lanczos) to 17.6 MP (``MASTER_PIXELS``,
over the 16,588,800 pixels brandkit decodes) in its own format, its provenance record carried over, and read as
``validate`` reads such a file (``load_image_reduced``: at most 8,294,400 pixels, ``Expectation.source_size`` set);
and, to tell the reduction from the enlargement, the same image enlarged directly to the size that reading gives
(read as it is). Printed: the decisions each step changes — enlarged vs as is, reduced vs enlarged directly — and
the error rates of the three readings, in one run (the technical check is left out: it reports the file's size,
which is not the one ordered, by design).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from brandkit import load_spec
from brandkit.checks import default_checks
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.palette import PaletteCheck
from brandkit.imageio import detect_format, load_image, load_image_reduced, read_provenance
from brandkit.models import CheckResult, CheckStatus
from brandkit.pipeline import expectation_from_provenance
from brandkit.spec.models import BrandSpec
from tests.support.gate_corpus import GateCase, load_cases, render_all

CHECKS = ("palette", "technical", "logo", "contrast", "text")
PREVIOUS = "palette (previous rule)"
GOAL = 0.05


def source_photo(case: GateCase) -> str:
    """The photograph a case is made from (a foreign photo pasted in counts as its own)."""
    for op in case.ops:
        if op.get("op") == "foreign_photo":
            return f"skimage:{op['file']}"
    return case.photo


def split_of(cases: Sequence[GateCase]) -> dict[str, str]:
    """Case id → 'calibration' or 'held-out' (by photo, per brand; see the module docstring)."""
    photos: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        photos[case.brand].add(source_photo(case))
    half = {
        (brand, photo): ("calibration" if i % 2 == 0 else "held-out")
        for brand, names in photos.items()
        for i, photo in enumerate(sorted(names))
    }
    return {case.id: half[(case.brand, source_photo(case))] for case in cases}


def previous_rule(spec: BrandSpec) -> BrandSpec:
    """``spec`` with the palette rule brandkit used before region-aware rules (all pixels, ≥ 85 %)."""
    palette = spec.palette.model_copy(
        update={
            "measure": "all-pixels",
            "min_coverage": 0.85,
            "colors": [c.model_copy(update={"where": "image"}) for c in spec.palette.colors],
        }
    )
    return spec.model_copy(update={"palette": palette})


def blocks(res: CheckResult | None) -> bool:
    """True when a check's result would stop the image (failed or not_checked); a missing result accepts."""
    return res is not None and res.status in (CheckStatus.failed, CheckStatus.not_checked)


MASTER_PIXELS = 17_600_000
"""How many pixels ``--enlarge`` makes each case's large master (over the 16,588,800 brandkit decodes)."""


def enlarged(data: bytes, pixels: int) -> bytes:
    """``data`` enlarged (Lanczos) to about ``pixels`` pixels, in its own format, its provenance record kept."""
    import io

    from PIL import Image, PngImagePlugin

    record = read_provenance(data)
    with Image.open(io.BytesIO(data)) as image:
        fmt = (image.format or "PNG").upper()
        scale = (pixels / (image.width * image.height)) ** 0.5
        size = (round(image.width * scale), round(image.height * scale))
        big = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if fmt == "JPEG":
        big.save(out, "JPEG", quality=92, comment=(record or "").encode("utf-8"))
    else:
        info = PngImagePlugin.PngInfo()
        if record is not None:
            info.add_itxt("brandkit", record)
        big.save(out, "PNG", pnginfo=info, compress_level=1)
    return out.getvalue()


def run_case(
    case: GateCase,
    data: bytes,
    spec: BrandSpec,
    old: BrandSpec,
    resources: CheckResources,
    names: Sequence[str],
    reduced: bool = False,
) -> dict[str, Any]:
    """Every selected check on one case, as ``validate`` would run it (``reduced``: as it reads a file over the
    decode limit)."""
    fmt = detect_format(data) or "png"
    expectation: Expectation = expectation_from_provenance(data, fmt)
    if reduced:
        image, expectation.source_size = load_image_reduced(data)
    else:
        image = load_image(data)
    out: dict[str, Any] = {"id": case.id, "brand": case.brand, "label": case.label, "kind": case.kind}
    results: dict[str, CheckResult] = {}
    # one context for the case's checks, as run_checks gives them: what one check reads of the image (OCR, the
    # logo's location) the next one shares
    ctx = CheckContext(spec=spec, image=image, data=data, expectation=expectation, resources=resources)
    for check in default_checks():
        if check.name not in names:
            continue
        try:
            results[check.name] = check.run(ctx)
        except Exception as exc:  # fail closed, as run_checks does
            results[check.name] = CheckResult(name=check.name, status=CheckStatus.not_checked, hint=str(exc))
    if "palette" in names:
        ctx = CheckContext(spec=old, image=image, data=data, expectation=expectation, resources=resources)
        results[PREVIOUS] = PaletteCheck().run(ctx)
    out["decisions"] = {name: ("reject" if blocks(res) else "accept") for name, res in results.items()}
    out["status"] = {name: res.status.value for name, res in results.items()}
    palette = results.get("palette")
    if palette is not None:
        out["palette_problems"] = palette.details.get("problems", [])
        out["palette_hint"] = palette.hint
        out["measures"] = {m.setting: m.value for m in palette.measures}
    return out


def rates(rows: Sequence[dict[str, Any]], check: str) -> tuple[str, str, int, int]:
    """(false-reject 'k/n = x%', false-accept 'k/n = x%', n_on, n_off) of ``check`` over ``rows``."""
    on = [r for r in rows if r["label"] == "on" and check in r["decisions"]]
    off = [r for r in rows if r["label"] == "off" and check in r["decisions"]]
    fr = sum(r["decisions"][check] == "reject" for r in on)
    fa = sum(r["decisions"][check] == "accept" for r in off)

    def fmt(k: int, n: int) -> str:
        return f"{k}/{n} = {k / n:.1%}" if n else "–"

    return fmt(fr, len(on)), fmt(fa, len(off)), len(on), len(off)


def overall(row: dict[str, Any], names: Sequence[str]) -> str:
    """The report's decision: reject when any selected check blocks."""
    return "reject" if any(row["decisions"].get(n) == "reject" for n in names) else "accept"


def thresholds(specs: dict[str, BrandSpec]) -> list[str]:
    """The palette thresholds in use, per brand."""
    lines = []
    for brand, spec in specs.items():
        p = spec.palette
        photo = p.photo
        ranges = ", ".join(
            f"{r.name} (h {list(r.hue) if r.hue else 'any'}, C {list(r.chroma)}, L {list(r.lightness)})"
            for r in photo.ranges
        )
        temp = f", CCT {photo.temperature.min_kelvin:g}–{photo.temperature.max_kelvin:g} K" if photo.temperature else ""
        primary = "; ".join(
            f"{c.name} ≥ {c.min_share * 100:g}% of {c.where}" for c in p.colors if c.min_share is not None
        )
        lines.append(
            f"- {brand}: tolerance {p.tolerance:g}, brand zones ≥ {p.min_brand_zone_share:.0%} of the image, "
            f"brand-zone min_coverage {p.min_coverage:.0%}, {primary}; "
            f"neutrals ≤ {p.neutrals.max_share:.0%} (C* ≤ {p.neutrals.chroma:g}); photo: dominant ≥ "
            f"{photo.min_share:.0%}, within ΔE {photo.max_delta_e:g} of the palette or in [{ranges}], off-brand ≤ "
            f"{photo.max_off_share:.0%}, dark (L* < 20) ≤ {photo.max_dark_share:.0%}, competitor ΔE ≤ "
            f"{photo.competitor_delta_e:g}{temp}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Render the corpus (cached), run the checks, print the tables."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_gates", description=__doc__.split("\n")[0])
    parser.add_argument("--checks", default=",".join(CHECKS), help=f"comma-separated, from {','.join(CHECKS)}")
    parser.add_argument("--cache", type=Path, default=None, help="folder for the rendered corpus")
    parser.add_argument("--json", type=Path, default=None, help="write every case's decisions here")
    parser.add_argument("--only", choices=("calibration", "held-out", "all"), default="all")
    parser.add_argument("--enlarge", action="store_true", help="check each case as a large master too")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.checks.split(",") if n.strip()]
    unknown = sorted(set(names) - set(CHECKS))
    if unknown:
        parser.error(f"unknown checks {unknown}; known: {list(CHECKS)}")
    t0 = time.perf_counter()
    cases = load_cases()
    split = split_of(cases)
    if args.only != "all":
        cases = [c for c in cases if split[c.id] == args.only]
    paths = render_all(cases, args.cache)
    print(f"corpus: {len(cases)} cases rendered/cached in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    specs = {b: load_spec(Path("brand_specs") / b) for b in sorted({c.brand for c in cases})}
    olds = {b: previous_rule(s) for b, s in specs.items()}
    resources = CheckResources()
    rows = []
    for i, case in enumerate(cases, 1):
        row = run_case(case, paths[case.id].read_bytes(), specs[case.brand], olds[case.brand], resources, names)
        row["split"] = split[case.id]
        row["decisions"]["overall"] = overall(row, names)
        rows.append(row)
        if i % 20 == 0:
            print(f"  {i}/{len(cases)} checked ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    report(rows, names, specs)
    if args.enlarge:
        rows = large_masters(cases, paths, specs, olds, resources, [n for n in names if n != "technical"], rows)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


def large_masters(
    cases: Sequence[GateCase],
    paths: dict[str, Path],
    specs: dict[str, BrandSpec],
    olds: dict[str, BrandSpec],
    resources: CheckResources,
    names: Sequence[str],
    rows: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each case again as a large master read reduced, and enlarged directly to the size that reading gives; prints
    the decisions each step changed and the error rates; returns the rows with both readings' decisions."""
    from brandkit.imageio import REDUCED_PIXELS, fitted_size, verify_image

    t0 = time.perf_counter()
    readings: dict[str, list[dict[str, Any]]] = {"enlarged directly": [], "large master, read reduced": []}
    changed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for i, (case, row) in enumerate(zip(cases, rows, strict=True), 1):
        data = paths[case.id].read_bytes()
        master = enlarged(data, MASTER_PIXELS)
        _, width, height = verify_image(master, 10 * MASTER_PIXELS)
        target = fitted_size((width, height), REDUCED_PIXELS)
        direct = enlarged(data, target[0] * target[1])
        spec, old = specs[case.brand], olds[case.brand]
        made = {
            "enlarged directly": run_case(case, direct, spec, old, resources, names),
            "large master, read reduced": run_case(case, master, spec, old, resources, names, reduced=True),
        }
        before = row
        for name, made_row in made.items():
            made_row["split"] = row["split"]
            readings[name].append(made_row)
            row[name] = {"decisions": made_row["decisions"], "status": made_row["status"]}
            for check in names:
                if made_row["decisions"].get(check) != before["decisions"].get(check):
                    was, now = before["status"].get(check), made_row["status"].get(check)
                    changed[(name, check)].append(f"{case.id} ({row['label']}): {was} → {now}")
            before = made_row
        if i % 20 == 0:
            print(f"  {i}/{len(cases)} large masters checked ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    print(f"\n### The same cases as large masters ({MASTER_PIXELS:,} px, read reduced to ≤ {REDUCED_PIXELS:,} px)\n")
    print(
        "| check | changed by the enlargement | changed by the reduction | false reject (as is → enlarged → "
        "reduced) | false accept (as is → enlarged → reduced) |"
    )
    print("|---|---|---|---|---|")
    for check in names:
        steps = [rates(part, check) for part in (rows, *readings.values())]
        fr = " → ".join(step[0] for step in steps)
        fa = " → ".join(step[1] for step in steps)
        counts = [len(changed[(name, check)]) for name in readings]
        print(f"| {check} | {counts[0]} of {len(rows)} | {counts[1]} of {len(rows)} | {fr} | {fa} |")
    for (name, check), which in changed.items():
        if which:  # the counts above read every pair, changed or not
            print(f"\n{check}, {name}: " + "; ".join(which))
    return rows


def report(rows: list[dict[str, Any]], names: Sequence[str], specs: dict[str, BrandSpec]) -> None:
    """Print the markdown tables."""
    halves = {
        "calibration": [r for r in rows if r["split"] == "calibration"],
        "held-out": [r for r in rows if r["split"] == "held-out"],
        "all": rows,
    }
    columns = [*names, *([PREVIOUS] if "palette" in names else []), "overall"]
    print("\n### Error rates per check (false reject = on-brand blocked; false accept = off-brand passed)\n")
    print("| check | " + " | ".join(f"{h}: false reject | {h}: false accept" for h in halves) + " |")
    print("|---|" + "---|---|" * len(halves))
    for check in columns:
        cells = []
        for part in halves.values():
            fr, fa, _, _ = rates(part, check)
            cells += [fr, fa]
        print(f"| {check} | " + " | ".join(cells) + " |")
    if "palette" in names:
        print("\n### Palette per brand (all cases; held-out in brackets)\n")
        print(
            "| brand | on / off cases | new rule: false reject | new rule: false accept "
            "| previous rule: false reject | previous rule: false accept |"
        )
        print("|---|---|---|---|---|---|")
        for brand in specs:
            mine = [r for r in rows if r["brand"] == brand]
            held = [r for r in mine if r["split"] == "held-out"]
            fr, fa, n_on, n_off = rates(mine, "palette")
            hfr, hfa, _, _ = rates(held, "palette")
            pfr, pfa, _, _ = rates(mine, PREVIOUS)
            print(f"| {brand} | {n_on} / {n_off} | {fr} ({hfr}) | {fa} ({hfa}) | {pfr} | {pfa} |")
        print("\n### Palette per violation kind (all cases)\n")
        print("| kind | label | cases | new rule: wrong | previous rule: wrong |")
        print("|---|---|---|---|---|")
        kinds = sorted({(r["kind"], r["label"]) for r in rows})
        for kind, label in kinds:
            mine = [r for r in rows if r["kind"] == kind and r["label"] == label]
            wrong = "reject" if label == "on" else "accept"
            new = sum(r["decisions"]["palette"] == wrong for r in mine)
            old = sum(r["decisions"][PREVIOUS] == wrong for r in mine)
            print(f"| {kind} | {label} | {len(mine)} | {new} | {old} |")
        forbidden = [r for r in rows if r["kind"] in ("forbidden_color", "competitor_field")]
        accepted = [r["id"] for r in forbidden if r["decisions"]["palette"] == "accept"]
        print(
            f"\nforbidden / competitor colours accepted by the palette check: {len(accepted)} of {len(forbidden)}"
            + (f" ({', '.join(accepted)})" if accepted else "")
        )
        print("\nThresholds in use (shipped specs):\n")
        print("\n".join(thresholds(specs)))


if __name__ == "__main__":
    raise SystemExit(main())
