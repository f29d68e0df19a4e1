"""OCR benchmark: layout-guided reading against the whole-image read, per image size, CPU and wall, plus accuracy.

Run from the project root::

    python -m benchmarks.bench_ocr            # 5 timed reads per image after a warm-up
    python -m benchmarks.bench_ocr --quick    # 2 timed reads per image, a quarter of the accuracy corpus

Four configurations, each in its own worker process (so one's spinning threads never bill another's CPU time),
measured in the same run:

* ``before`` — the previous implementation: the whole-image read (``RapidOcrEngine.read``) with onnxruntime's
  default thread pools, which spin between reads (``quiet_threads=False``, intra/inter-op threads left to
  onnxruntime).
* ``head`` — the code at ``HEAD_REV`` (80ef6b4, before the onnxruntime-only engine), run from a read-only git
  worktree (``--head-tree``, made with ``git worktree add --detach`` when missing; ``PYTHONPATH`` points at it):
  layout-guided reading with rapidocr's engine.
* ``full`` — the whole-image read as it is today, the fallback when no layout is known: 2 intra-op threads,
  1 inter-op thread, no spinning (:mod:`brandkit.ocr_rapid`), on the onnxruntime-only engine
  (:mod:`brandkit.ocr_onnx`).
* ``layout`` — the default when the layout is known: the copy areas at the scale their lines need plus one
  cheap sweep of the whole image (:mod:`brandkit.ocr_regions`), same quiet engine.

Images: the local renderer's outputs for both example brands in every format (real fonts, real photographs of
the brand's library, the layout's copy areas as ``expectation_for`` gives them). Timing: per brand × format one
image (headline, subhead, CTA, disclaimer), a warm-up read then ``--runs`` reads; the median CPU time
(``time.process_time``, every thread of the worker) and wall time per read, grouped by image size. Idle CPU: CPU
time the worker burns in the 0.5 s after its last read (spinning threads). Accuracy: the OCR corpus of
``tests/test_ocr_corpus.py`` (both brands, every format, 8 headlines, half the grid) read by the text check in
each configuration — exact headline and CTA rate — and whether ``layout`` read the same lines as ``full``.
Engine load: CPU and wall time of importing the OCR module and loading the engine, first thing in the worker.

The machine's load average is printed at the start and the end; on a shared machine CPU time is the figure to
trust (wall time waits for other processes). Target: layout OCR ≤ 150 ms at 1024² (CPU time, median).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
BRANDS = ("northwind", "lumen-health")
HEADLINES = [
    "Slow mornings, bright roasts",
    "Fresh roast Friday",
    "Your café, your rhythm",
    "Brewed for 7 a.m. people",
    "Small steps, every day",
    "Sleep better in 2 weeks",
    "Meet your new morning",
    "Calm starts here",
]
CONFIGS = ("before", "head", "full", "layout")


def corpus_cases(formats: dict[str, list[str]], quick: bool = False) -> list[tuple[str, str, str]]:
    """The OCR corpus (``tests/test_ocr_corpus.py`` reads the same one): ``(brand, format, headline)`` over half the
    grid of every brand's formats × :data:`HEADLINES` (a quarter with ``quick``)."""
    return [
        (brand, fmt, headline)
        for brand, names in formats.items()
        for i, fmt in enumerate(names)
        for j, headline in enumerate(HEADLINES)
        if (i + j) % 2 == 0 and not (quick and (i + j) % 4 != 0)
    ]


HEAD_REV = "80ef6b4"
TARGET_MS = 150.0


def full_copy_request(brief: str, headline: str, fmt: str) -> Any:
    """The timed images' request (also the OCR tests'): headline, subhead, CTA and a disclaimer in ``fmt``, the copy
    rendered with the image (the layout's copy areas known, no font sizes), the logo as a reference image."""
    from brandkit.models import AssetRequest

    return AssetRequest(
        brief=brief,
        headline=headline,
        subhead="Single-origin beans, roasted this morning",
        cta="Learn more",
        disclaimers=["Offer valid at participating cafés."],
        format=fmt,
        text="render",
        logo="reference",
    )


def _engine(config: str) -> Any:
    from brandkit.ocr import RapidOcrEngine

    if config == "before":
        previous = {
            "EngineConfig.onnxruntime.intra_op_num_threads": -1,
            "EngineConfig.onnxruntime.inter_op_num_threads": -1,
        }
        return RapidOcrEngine(previous, quiet_threads=False)
    from brandkit.ocr import default_ocr_engine

    return default_ocr_engine()


def _context(spec: Any, prompt: Any, image: Any, resources: Any) -> Any:
    from brandkit.checks.base import CheckContext
    from brandkit.imageio import encode_image
    from brandkit.pipeline import expectation_for

    return CheckContext(
        spec=spec,
        image=image,
        data=encode_image(image, "png"),
        expectation=expectation_for(prompt),
        resources=resources,
    )


def _detector_mpx(reading: Any, width: int, height: int) -> float:
    """Pixels the detector is given per read (megapixels, before its rounding to multiples of 32 and padding)."""
    layout = reading.extra.get("layout")
    if layout is None:
        scale = min(1.0, 960 / max(width, height))
        return width * height * scale * scale / 1e6
    total = width * height * layout["sweep_scale"] ** 2
    for area in layout["areas"]:
        x0, y0, x1, y1 = area["box"]
        total += (x1 - x0) * (y1 - y0) * area["scale"] ** 2
    return total / 1e6


def _read(ctx: Any) -> Any:
    from brandkit.checks.ocr_reading import ocr_for_context

    return ocr_for_context(ctx)


def worker(config: str, runs: int, quick: bool) -> dict[str, Any]:
    """One configuration's figures (run in its own process)."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    engine = _engine(config)
    engine.load()
    load_ms = (time.perf_counter() - wall0) * 1000.0
    load_cpu_ms = (time.process_time() - cpu0) * 1000.0

    import brandkit
    from brandkit.checks.base import CheckResources
    from brandkit.checks.ocr_reading import OCR_MODE_RESOURCE_KEY
    from brandkit.checks.text import TextCheck
    from brandkit.models import AssetRequest
    from brandkit.provider.local import LocalRenderer

    resources = CheckResources()
    resources.put("ocr", engine)
    resources.put(OCR_MODE_RESOURCE_KEY, "full" if config in ("before", "full") else "layout")
    specs = {b: brandkit.load_spec(ROOT / "brand_specs" / b) for b in BRANDS}

    timing: list[dict[str, Any]] = []
    for brand, spec in specs.items():
        for fmt in spec.formats:
            request = full_copy_request("bench", HEADLINES[0], fmt)
            prompt = brandkit.compile(spec, request)
            image = LocalRenderer(spec).draw(prompt, seed=1)
            _read(_context(spec, prompt, image, resources))  # warm-up
            cpu, wall = [], []
            for _ in range(runs):
                ctx = _context(spec, prompt, image, resources)
                c0, w0 = time.process_time(), time.perf_counter()
                reading = _read(ctx)
                cpu.append((time.process_time() - c0) * 1000.0)
                wall.append((time.perf_counter() - w0) * 1000.0)
            timing.append(
                {
                    "brand": brand,
                    "format": fmt,
                    "size": f"{image.width}×{image.height}",
                    "cpu_ms": statistics.median(cpu),
                    "wall_ms": statistics.median(wall),
                    "mode": reading.mode,
                    "det_mpx": _detector_mpx(reading, image.width, image.height),
                    "steps_cpu_ms": {k: v for k, v in reading.extra.get("timings_ms", {}).items() if "cpu" in k},
                    "lines": [line.text for line in reading.lines or []],
                }
            )
    c0 = time.process_time()
    time.sleep(0.5)
    idle_cpu_ms = (time.process_time() - c0) * 1000.0

    accuracy: list[dict[str, Any]] = []
    check = TextCheck()
    for brand, fmt, headline in corpus_cases({b: list(spec.formats) for b, spec in specs.items()}, quick):
        spec = specs[brand]
        request = AssetRequest(
            brief="corpus", headline=headline, cta="Learn more", format=fmt, text="render", logo="reference"
        )
        prompt = brandkit.compile(spec, request)
        image = LocalRenderer(spec).draw(prompt, seed=len(accuracy))
        outcome = check.run(_context(spec, prompt, image, resources))
        strings = outcome.details.get("strings", {})
        accuracy.append(
            {
                "case": f"{brand}/{fmt}/{headline}",
                "headline": bool(strings.get("headline", {}).get("exact")),
                "cta": bool(strings.get("cta", {}).get("exact")),
                "lines": [line["text"] for line in outcome.details.get("ocr_lines", [])],
                "mode": outcome.details.get("ocr_mode"),
            }
        )
    return {
        "config": config,
        "load_ms": load_ms,
        "load_cpu_ms": load_cpu_ms,
        "engine": type(engine).__name__,
        "spinning": engine.spinning,
        "timing": timing,
        "idle_cpu_ms": idle_cpu_ms,
        "accuracy": accuracy,
    }


def _head_tree(path: Path) -> Path:
    """The read-only worktree of :data:`HEAD_REV` (made with ``git worktree add --detach`` when missing)."""
    if not (path / "brandkit").is_dir():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(path), HEAD_REV], cwd=ROOT, check=True, capture_output=True
        )
    return path


def _run_worker(config: str, runs: int, quick: bool, head_tree: Path) -> tuple[dict[str, Any], float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OPENAI_API_KEY")}
    if config == "head":  # this file as a script (the project root must not shadow PYTHONPATH), HEAD's code
        args = [sys.executable, str(Path(__file__).resolve()), "--worker", config, "--runs", str(runs)]
        env["PYTHONPATH"] = str(_head_tree(head_tree))
        cwd = head_tree
    else:
        args = [sys.executable, "-m", "benchmarks.bench_ocr", "--worker", config, "--runs", str(runs)]
        cwd = ROOT
    proc = subprocess.run(
        [*args, *(["--quick"] if quick else [])], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"worker {config} failed:\n{proc.stderr[-4000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(proc.stdout.strip().splitlines()[-1]), child_cpu


def _by_size(result: dict[str, Any]) -> dict[str, tuple[float, float, int, float]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in result["timing"]:
        groups.setdefault(row["size"], []).append(row)
    return {
        size: (
            statistics.median(r["cpu_ms"] for r in rows),
            statistics.median(r["wall_ms"] for r in rows),
            len(rows),
            statistics.mean(r["det_mpx"] for r in rows),
        )
        for size, rows in groups.items()
    }


def main() -> None:
    """Run the three workers and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None, help="timed reads per image (default 5, --quick 2)")
    parser.add_argument("--quick", action="store_true", help="fewer runs and a quarter of the accuracy corpus")
    parser.add_argument("--worker", choices=CONFIGS, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument(
        "--head-tree", type=Path, default=Path(f"/tmp/bk-ocr-head-{HEAD_REV}"), help="worktree of HEAD_REV"
    )
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)
    if args.worker:
        print(json.dumps(worker(args.worker, runs, args.quick)))
        return
    console = Console()
    load_start = os.getloadavg()
    results: dict[str, dict[str, Any]] = {}
    child_cpu: dict[str, float] = {}
    for config in CONFIGS:
        console.print(f"[dim]running {config}…[/dim]")
        results[config], child_cpu[config] = _run_worker(config, runs, args.quick, args.head_tree)
    load_end = os.getloadavg()

    sizes = {c: _by_size(results[c]) for c in CONFIGS}
    table = Table(title=f"OCR per read, median of {runs} reads per image (CPU = all threads of the worker)")
    for col in (
        "size",
        "images",
        "before CPU / wall ms",
        f"{HEAD_REV} CPU / wall ms",
        "full CPU / wall ms",
        "layout CPU / wall ms",
        "layout ÷ before (CPU)",
        f"layout ÷ {HEAD_REV} (CPU)",
        "layout ÷ full (CPU)",
        "detector Mpx full → layout",
    ):
        table.add_column(col, justify="right" if col != "size" else "left")
    for size in sizes["layout"]:
        b, h, f, lay = sizes["before"][size], sizes["head"][size], sizes["full"][size], sizes["layout"][size]
        table.add_row(
            size,
            str(lay[2]),
            f"{b[0]:.0f} / {b[1]:.0f}",
            f"{h[0]:.0f} / {h[1]:.0f}",
            f"{f[0]:.0f} / {f[1]:.0f}",
            f"{lay[0]:.0f} / {lay[1]:.0f}",
            f"{lay[0] / b[0]:.2f}",
            f"{lay[0] / h[0]:.2f}",
            f"{lay[0] / f[0]:.2f}",
            f"{f[3]:.2f} → {lay[3]:.2f}",
        )
    console.print(table)
    for config in ("head", "layout"):
        steps: dict[str, list[float]] = {}
        for row in results[config]["timing"]:
            if row["size"] == "1024×1024":
                for key, value in row["steps_cpu_ms"].items():
                    steps.setdefault(key, []).append(value)
        if steps:
            parts = ", ".join(f"{k.removesuffix('_cpu_ms')} {statistics.mean(v):.0f} ms" for k, v in steps.items())
            console.print(f"{config} (layout mode) at 1024², CPU per step (last timed read): {parts}")

    acc = Table(title="Accuracy on the OCR corpus (text check, exact match) and engine facts")
    for col in (
        "config",
        "images",
        "headline exact",
        "CTA exact",
        "same lines as full",
        "idle CPU 0.5 s after a read",
        "engine",
        "engine load CPU / wall",
        "worker CPU (rusage)",
    ):
        acc.add_column(col, justify="right" if col != "config" else "left")
    full_lines = {row["case"]: row["lines"] for row in results["full"]["accuracy"]}
    for config in CONFIGS:
        rows = results[config]["accuracy"]
        same = sum(1 for row in rows if row["lines"] == full_lines.get(row["case"]))
        acc.add_row(
            config,
            str(len(rows)),
            f"{sum(r['headline'] for r in rows) / len(rows):.1%}",
            f"{sum(r['cta'] for r in rows) / len(rows):.1%}",
            f"{same}/{len(rows)}",
            f"{results[config]['idle_cpu_ms']:.1f} ms",
            results[config]["engine"],
            f"{results[config]['load_cpu_ms']:.0f} / {results[config]['load_ms']:.0f} ms",
            f"{child_cpu[config]:.1f} s",
        )
    console.print(acc)
    for row in results["layout"]["accuracy"]:
        if row["lines"] != full_lines.get(row["case"]):
            console.print(
                f"[yellow]layout ≠ full[/yellow] {row['case']}: {row['lines']} vs {full_lines.get(row['case'])}"
            )
    for config in ("before", "head", "layout"):
        for row in results[config]["accuracy"]:
            if not (row["headline"] and row["cta"]):
                console.print(f"[yellow]{config} miss[/yellow] {row['case']}: {row['lines']}")

    square = sizes["layout"].get("1024×1024")
    if square is not None:
        verdict = "PASS" if square[0] <= TARGET_MS else "FAIL"
        console.print(
            f"target: layout OCR ≤ {TARGET_MS:.0f} ms at 1024² (CPU time): {square[0]:.0f} ms CPU, {square[1]:.0f} ms "
            f"wall → {verdict} (before: {sizes['before']['1024×1024'][0]:.0f} ms CPU, {HEAD_REV}: "
            f"{sizes['head']['1024×1024'][0]:.0f} ms CPU)"
        )
    console.print(
        f"load average (1/5/15 min) at start {load_start[0]:.2f}/{load_start[1]:.2f}/{load_start[2]:.2f}, "
        f"at end {load_end[0]:.2f}/{load_end[1]:.2f}/{load_end[2]:.2f}; {os.cpu_count()} CPUs"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"results": results, "load_start": load_start, "load_end": load_end}, ensure_ascii=False)
        )


if __name__ == "__main__":
    main()
