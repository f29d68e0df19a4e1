"""The logo check on large files without provenance: the gate corpus's on-brand ads enlarged, as an audit reads them.

Run from the project root::

    python -m benchmarks.bench_logo_scale                   # 1×, 2×, 3× (≈ 4 min on a 2-core machine)
    python -m benchmarks.bench_logo_scale --scales 1,2,3,4 --json out.json
    PYTHONPATH=/path/to/other/tree python -m benchmarks.bench_logo_scale   # another tree's code, same images

An audit reads other tools' exports as they are: no provenance record, no layout, and often two or three times
the size brandkit generates (a print export, a 4,608-px banner). Every on-brand case of the gate corpus
(``tests/support/gate_corpus.py``: real photographs composed by brandkit, their JPEG and resized copies, tonal
variations — each carries the brand's logo where its rules allow) is checked here with its pixels only (the record
dropped), as it is and enlarged K× (Lanczos), by ``BrandKit.validate`` with the logo check alone: every variant
searched for anywhere, the one found judged by the spec's rules. An on-brand ad the check rejects is a **false
reject**; the off-brand side (a logo removed, distorted, too small, misplaced) is ``bench_logo_rules --scale``.

Printed per scale: the image sizes, false rejects (and which), and the CPU ms of ``validate`` per image (decode and
the logo check; median · 90th percentile · max) with its ratio to the 1× median measured in the same run.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def run(scales: Sequence[float], cache: Path | None) -> list[dict[str, Any]]:
    """Every on-brand case at every scale, its row (status, CPU ms, what was found)."""
    from brandkit import BrandKit, load_spec
    from brandkit.resources import KitResources
    from tests.support.gate_corpus import load_cases, render_all

    cases = [c for c in load_cases() if c.label == "on"]
    paths = render_all(cases, cache)
    resources = KitResources()
    kits = {
        brand: BrandKit(
            load_spec(ROOT / "brand_specs" / brand),
            checks=["logo"],
            resources=resources,
            provider="local",
            moderator=None,
            signer=None,
        )
        for brand in sorted({c.brand for c in cases})
    }
    rows: list[dict[str, Any]] = []
    for case in cases:
        with Image.open(paths[case.id]) as opened:
            pixels = opened.convert("RGB")  # the pixels only: no provenance record, no layout
        for scale in scales:
            size = (round(pixels.width * scale), round(pixels.height * scale))
            image = pixels if size == pixels.size else pixels.resize(size, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            image.save(out, "PNG", compress_level=1)
            c0 = time.process_time()
            result = kits[case.brand].validate(out.getvalue()).checks["logo"]
            cpu = (time.process_time() - c0) * 1000.0
            rows.append(
                {
                    "id": case.id,
                    "brand": case.brand,
                    "kind": case.kind,
                    "scale": scale,
                    "size": list(size),
                    "status": result.status.value,
                    "variant": result.details.get("variant"),
                    "method": result.details.get("method"),
                    "failed_rules": result.details.get("failed_rules"),
                    "cpu_ms": round(cpu, 1),
                }
            )
    return rows


def report(rows: Sequence[dict[str, Any]]) -> None:
    """The table: per scale, sizes, false rejects, CPU ms and its ratio to 1×."""
    scales = list(dict.fromkeys(r["scale"] for r in rows))
    base = [r["cpu_ms"] for r in rows if r["scale"] == 1.0]
    base_median = statistics.median(base) if base else None
    print("| scale | image sizes (long side) | cases | false reject | CPU ms median · p90 · max | median vs 1× |")
    print("|---|---|---|---|---|---|")
    for scale in scales:
        group = [r for r in rows if r["scale"] == scale]
        wrong = [r for r in group if r["status"] != "passed"]
        sides = sorted({max(r["size"]) for r in group})
        cpu = sorted(r["cpu_ms"] for r in group)
        p90 = cpu[min(len(cpu) - 1, round(0.9 * (len(cpu) - 1)))]
        median = statistics.median(cpu)
        ratio = f"{median / base_median:.2f}×" if base_median else "—"
        print(
            f"| {scale:g}× | {sides[0]}–{sides[-1]} px | {len(group)} | {len(wrong)}/{len(group)} = "
            f"{len(wrong) / len(group):.1%} | {median:.0f} · {p90:.0f} · {cpu[-1]:.0f} | {ratio} |"
        )
    for scale in scales:
        wrong = [r for r in rows if r["scale"] == scale and r["status"] != "passed"]
        if wrong:
            said = ", ".join(f"{r['id']} ({r['failed_rules'] or 'not found'})" for r in wrong)
            print(f"\nfalse rejects at {scale:g}×: {said}")


def main(argv: Sequence[str] | None = None) -> int:
    """Check every case at every scale, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_logo_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,2,3", help="comma-separated enlargements (default 1,2,3)")
    parser.add_argument("--cache", type=Path, default=None, help="folder of the rendered gate corpus")
    parser.add_argument("--json", type=Path, default=None, help="write every case here")
    args = parser.parse_args(argv)
    scales = [float(v) for v in args.scales.split(",") if v.strip()]
    if not scales or any(s <= 0 for s in scales):
        parser.error(f"--scales: positive numbers, comma-separated (got {args.scales!r})")
    from benchmarks._measure import code_from_pythonpath, measure

    code_from_pythonpath(ROOT)  # another tree's code when PYTHONPATH names one
    import brandkit

    with measure() as span:
        rows = run(scales, args.cache)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"tree {Path(brandkit.__file__).resolve().parents[1]} · {len(rows)} checks · {span.row()}")
    print()
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
