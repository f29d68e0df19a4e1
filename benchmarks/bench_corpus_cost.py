"""What the checks cost on images like the ones users get: every check but OCR, moderation in, on the gate corpus.

Run from the project root::

    python -m benchmarks.bench_corpus_cost                 # the 1024² images of the corpus (~2 min)
    python -m benchmarks.bench_corpus_cost --all-sizes     # every image (1536², 2048×1152 ... too)
    PYTHONPATH=/path/to/other/tree python -m benchmarks.bench_corpus_cost   # another tree's code, same images

The issue-21 items (``bench_issue21``) time one composed ad and one synthetic poster; this benchmark times the
**gate corpus** (``tests/data/gate_corpus.yaml``: real photographs composed into ads, their tonal variants, the
off-brand edits and the copies that lost their provenance — JPEG re-encodes, resized copies, bare photos), each
image checked the way ``brandkit validate`` checks a file: the expectation from its embedded provenance, the
palette tables warm (``warm_palette``), the OCR reading made beforehand and memoised (OCR has its own figures),
then the pipeline's own step — the kit's offline moderator on one thread *beside* the checks that do not read
its scores (``Gather``), then the moderation check (``flows/steps.py::moderated_check_step``). Each image: one
untimed run, then ``--runs`` timed runs (median). Per check, its CPU alone (sequential, no moderator) is reported
too, so a slow row says which check made it slow.

Printed: per group (provenance with a layout / no provenance) the median, 90th percentile and maximum of CPU and
wall ms per image, each check's median CPU, and the slowest images with their per-check CPU; the load average at
start and end (``benchmarks/_measure.py``). ``--json FILE`` writes every image's figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _image_figures(image: Any, data: bytes, spec: Any, resources: Any, moderator: Any, runs: int) -> dict[str, Any]:
    """One image: its CPU / wall ms for every check but OCR, moderation beside (median of ``runs``), each check's
    CPU alone, the statuses and whether its expectation came from provenance."""
    from brandkit.checks import default_checks
    from brandkit.checks.base import CheckContext, combine_reports, run_checks, split_checks
    from brandkit.checks.ocr_reading import ocr_for_context
    from brandkit.imageio import detect_format
    from brandkit.ocr import OCR_MEMO_KEY
    from brandkit.pipeline import Compute, Gather, KitContext, Moderate, expectation_from_provenance, run_sync
    from brandkit.provider.local import LocalRenderer

    expectation = expectation_from_provenance(data, detect_format(data) or "png")
    checks = [c for c in default_checks() if c.name != "ocr"]
    reading = ocr_for_context(
        CheckContext(spec=spec, image=image, data=data, expectation=expectation, resources=resources)
    )
    before, after = split_checks(checks)
    kit = KitContext(spec=spec, provider=LocalRenderer(spec), moderator=moderator, checks=checks)

    def context(scores: Any = None) -> Any:
        ctx = CheckContext(
            spec=spec, image=image, data=data, expectation=expectation, resources=resources, moderation=scores
        )
        ctx.memo(OCR_MEMO_KEY, lambda: reading)
        return ctx

    def flow() -> Any:
        scores, early = yield Gather(
            (Moderate(data, "image/png", "", image), Compute(lambda: run_checks(context(), before)))
        )
        late = yield Compute(lambda: run_checks(context(scores.get()), after))
        return combine_reports(checks, early.get(), late)

    report = run_sync(flow(), kit)  # untimed: the sizes' templates and the tables this image needs
    cpu, wall = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        run_sync(flow(), kit)
        wall.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
    parts: dict[str, float] = {}
    for check in checks:  # each check alone, no moderator beside it
        c0 = time.process_time()
        check.run(context())
        parts[check.name] = (time.process_time() - c0) * 1000.0
    return {
        "provenance": expectation.copy_source == "provenance",
        "cpu_ms": statistics.median(cpu),
        "wall_ms": statistics.median(wall),
        "parts_cpu_ms": parts,
        "status": {name: r.status.value for name, r in report.checks.items()},
    }


def measure_corpus(runs: int, all_sizes: bool, cache: Path | None) -> list[dict[str, Any]]:
    """Every selected corpus image's CPU / wall ms for all checks but OCR (moderation beside) and per check."""
    from brandkit import load_spec
    from brandkit.checks.base import CheckResources
    from brandkit.checks.palette import warm_palette
    from brandkit.imageio import load_image
    from brandkit.provider.local_moderation import NudeNetModerator
    from tests.support.gate_corpus import load_cases, render_all

    cases = load_cases()
    paths = render_all(cases, cache)
    specs = {b: load_spec(ROOT / "brand_specs" / b) for b in sorted({c.brand for c in cases})}
    resources = CheckResources()
    for spec in specs.values():
        warm_palette(spec, resources)
    moderator = NudeNetModerator(threads=1)  # the kit's offline classifier, as KitResources builds it
    rows: list[dict[str, Any]] = []
    for case in cases:
        data = paths[case.id].read_bytes()
        image = load_image(data)
        if not all_sizes and image.size != (1024, 1024):
            continue
        figures = _image_figures(image, data, specs[case.brand], resources, moderator, runs)
        rows.append({"id": case.id, "kind": case.kind, "label": case.label, "size": list(image.size), **figures})
    return rows


def report(rows: Sequence[dict[str, Any]], slowest: int) -> None:
    """The tables (markdown) on stdout."""
    print("| group | images | CPU ms median · p90 · max | wall ms median · p90 · max | median CPU ms per check |")
    print("|---|---|---|---|---|")
    for label, group in (
        ("provenance (layout known)", [r for r in rows if r["provenance"]]),
        ("no provenance (copies, bare photos)", [r for r in rows if not r["provenance"]]),
        ("all", list(rows)),
    ):
        if not group:
            continue
        cpu = [r["cpu_ms"] for r in group]
        wall = [r["wall_ms"] for r in group]
        names = list(group[0]["parts_cpu_ms"])
        per = ", ".join(f"{n} {statistics.median(r['parts_cpu_ms'][n] for r in group):.0f}" for n in names)
        print(
            f"| {label} | {len(group)} | {statistics.median(cpu):.0f} · {_quantile(cpu, 0.9):.0f} · {max(cpu):.0f} | "
            f"{statistics.median(wall):.0f} · {_quantile(wall, 0.9):.0f} · {max(wall):.0f} | {per} |"
        )
    print()
    print(f"Slowest {slowest} (CPU ms; per check alone):")
    print()
    for r in sorted(rows, key=lambda r: -r["cpu_ms"])[:slowest]:
        parts = ", ".join(f"{n} {v:.0f}" for n, v in r["parts_cpu_ms"].items() if v >= 1.0)
        print(f"- `{r['id']}` ({r['size'][0]}×{r['size'][1]}): {r['cpu_ms']:.0f} · {r['wall_ms']:.0f} wall — {parts}")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_corpus_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per image (the median is reported)")
    parser.add_argument("--all-sizes", action="store_true", help="every corpus image, not only the 1024² ones")
    parser.add_argument("--cache", type=Path, default=None, help="folder of the rendered corpus")
    parser.add_argument("--slowest", type=int, default=8)
    parser.add_argument("--json", type=Path, default=None, help="write every image's figures here")
    args = parser.parse_args(argv)
    from benchmarks._measure import code_from_pythonpath, measure

    code_from_pythonpath(ROOT)  # another tree's code when PYTHONPATH names one (see its docstring)
    import brandkit

    with measure() as span:
        rows = measure_corpus(args.runs, args.all_sizes, args.cache)
    print(f"tree {Path(brandkit.__file__).resolve().parents[1]} · {len(rows)} images · {span.row()}")
    print()
    report(rows, args.slowest)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
