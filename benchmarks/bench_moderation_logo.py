"""Moderation (local NudeNet) and logo check at 1024²: this tree against two earlier trees, in one run.

Run from the project root::

    python -m benchmarks.bench_moderation_logo                 # original = b3f7802, before = 80ef6b4 (worktrees)
    python -m benchmarks.bench_moderation_logo --base /path --head /path   # other checkouts of those two
    python -m benchmarks.bench_moderation_logo --runs 15

The main process draws the images (``benchmarks.bench_checks.make_poster``: the Northwind brand's poster with its
logo at 246 px — found by ORB —, at 110 px — found by upsampled ORB after the coarse search —, and without logo)
and writes them as PNG files. It then runs this file as a worker three times, in subprocesses: with the original
implementation first on ``sys.path`` (``git worktree add <tmp> b3f7802``, made when missing; read-only use of
git), with the code before the second pass of issue 21 (80ef6b4, likewise) and with this tree. Each worker times
every row on the same files and reports the median **CPU time** (``time.process_time``, all threads of the
process) and the median wall time per call. The machine's load average is printed at the start and the end: wall
times under load are inflated, CPU time is the primary figure.

Rows:

* ``moderation (bytes)`` — ``NudeNetModerator.moderate`` on the PNG bytes (decodes them), the previous path;
  ``moderation (decoded)`` — ``moderate_image`` on the decoded image, what the pipeline calls now.
* ``next check after moderation`` — the logo check (logo present) timed right after a moderation call: the
  previous onnxruntime session's threads kept spinning and slowed what came next.
* ``logo, present`` / ``logo, small`` / ``logo, missing`` — the logo check on a fresh context per run with the
  prepared logo shared (as a kit does), the expected box unknown (whole-image search). The ``now`` column notes
  each tree's outcome (status, method): the three trees must agree.
  ``logo, missing (full search)`` — this tree with the early exit disabled: what a logo-free image that resembles
  the logo somewhere (coarse score ≥ the exit bar) costs.
* ``logo, present / small / missing, layout's box known`` — the same images with ``expectation.logo_box`` set to
  where the poster pasted the logo file (for ``missing``: where it would have been), as the pipeline and
  ``validate`` of a brandkit image pass it (the layout's logo box from the provenance): the check's common case.
  Only for trees whose ``Expectation`` has ``logo_box`` (a feature probe; the original has it too).
* ``moderation model load`` — ``NudeNetModerator().load()`` (the original's ``_load()``: it had no public one)
  in a fresh process (its modules imported first, untimed: the onnxruntime — or nudenet — import and the session
  are timed), medians of 5 processes; ``… (warm cache)`` — this
  tree with its :class:`~brandkit.warm_cache.WarmCache` already holding the model's optimised graph
  (:mod:`brandkit.provider.nudity_session`), what every process after the first loads.
* ``logo preparation`` — preparing the logo's template and ORB features (first check of a process), and with this
  tree from a warm disk cache (:mod:`brandkit.checks.logo.features_cache`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASE_COMMIT = "b3f7802"
HEAD_COMMIT = "80ef6b4"
TARGET_MS = 40.0
TARGET_ABSENT_MS = 100.0
TARGET_PRESENT_MS = 15.0  # the aim for the common case: the logo where the layout put it


def _timed(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    fn()  # warm-up
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(runs):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append((time.process_time() - c) * 1000.0)
        wall.append((time.perf_counter() - w) * 1000.0)
    return {"cpu_ms": statistics.median(cpu), "wall_ms": statistics.median(wall)}


def worker(images: Path, runs: int) -> dict[str, Any]:
    """Time every row with whatever ``brandkit`` is first on ``sys.path`` (run in a subprocess)."""
    import brandkit
    from brandkit.checks.base import CheckContext, CheckResources, Expectation
    from brandkit.checks.logo import LogoCheck
    from brandkit.imageio import load_image
    from brandkit.models import CopyBlock
    from brandkit.provider.local_moderation import NudeNetModerator
    from brandkit.spec.loader import load_spec

    tree = Path(brandkit.__file__).resolve().parents[1]
    spec = load_spec(tree / "brand_specs" / "northwind")
    resources = CheckResources()
    copy = CopyBlock(headline="Fresh Roast Friday", subhead="", cta="Order now", disclaimers=[])
    exp = Expectation(
        width=1024,
        height=1024,
        output_format="png",
        transparent=False,
        copy_block=copy,
        logo_variant="primary",
        background_tone="light",
    )
    rows: dict[str, Any] = {"tree": str(tree)}
    files = {name: (images / f"{name}.png").read_bytes() for name in ("present", "small", "missing")}
    decoded = {name: load_image(data) for name, data in files.items()}
    boxes: dict[str, list[int]] = json.loads((images / "boxes.json").read_text(encoding="utf-8"))
    has_box = "logo_box" in Expectation.model_fields  # a feature probe of the tree under test

    def logo(name: str, layout_box: bool = False) -> Callable[[], Any]:
        expectation = exp.model_copy(update={"logo_box": tuple(boxes[name])}) if layout_box else exp

        def run() -> Any:
            ctx = CheckContext(
                spec=spec, image=decoded[name], data=files[name], expectation=expectation, resources=resources
            )
            return LogoCheck().run(ctx)

        return run

    moderator = NudeNetModerator()
    rows["moderation (bytes)"] = _timed(lambda: moderator.moderate(files["present"], "image/png", ""), runs)
    if hasattr(moderator, "moderate_image"):  # this tree only (a feature probe of the tree under test)
        rows["moderation (decoded)"] = _timed(lambda: moderator.moderate_image(decoded["present"], ""), runs)

    def after_moderation() -> None:
        moderator.moderate(files["present"], "image/png", "")

    present = logo("present")
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(runs):
        after_moderation()
        c, w = time.process_time(), time.perf_counter()
        present()
        cpu.append((time.process_time() - c) * 1000.0)
        wall.append((time.perf_counter() - w) * 1000.0)
    rows["next check after moderation (logo, present)"] = {
        "cpu_ms": statistics.median(cpu),
        "wall_ms": statistics.median(wall),
    }
    for name in ("present", "small", "missing"):
        rows[f"logo, {name}"] = _timed(logo(name), runs)
        res = logo(name)()
        rows[f"logo, {name}"]["note"] = f"{res.status.value}, {res.details.get('method') or 'not found'}"
    for name in ("present", "small", "missing") if has_box else ():
        row = f"logo, {name}, layout's box known"
        rows[row] = _timed(logo(name, layout_box=True), runs)
        res = logo(name, layout_box=True)()
        at_box = res.details.get("detection", {}).get("expected_box", "")
        rows[row]["note"] = f"{res.status.value}, {res.details.get('method') or 'not found'} (box: {at_box})"
    try:
        import brandkit.checks.logo.detection as detection

        if hasattr(detection, "COARSE_EXIT_SCORE"):
            bar = detection.COARSE_EXIT_SCORE
            detection.COARSE_EXIT_SCORE = -2.0  # the full search, for the row below (this process only)
            rows["logo, missing (full search)"] = _timed(logo("missing"), runs)
            detection.COARSE_EXIT_SCORE = bar
    except ImportError:
        pass

    from brandkit.checks.logo import prepare_logo

    logo_file = spec.asset_path(spec.logo("primary").file)
    rows["logo preparation"] = _timed(lambda: prepare_logo(load_image(logo_file), "primary", 255), runs)
    try:
        from brandkit.checks.logo.features_cache import prepared_from_file
        from brandkit.warm_cache import WarmCache
    except ImportError:
        pass
    else:
        with tempfile.TemporaryDirectory() as folder:
            cache = WarmCache(Path(folder))
            prepared_from_file(logo_file, "primary", 255, cache)
            rows["logo preparation (warm disk cache)"] = _timed(
                lambda: prepared_from_file(logo_file, "primary", 255, cache), runs
            )
    return rows


def _layout_boxes(spec: Any, sizes: dict[str, int]) -> dict[str, list[int]]:
    """Where ``make_poster`` pastes the logo file of each width (top-left at its margin, 1024²): the layout's box."""
    from brandkit.imageio import load_image

    file_w, file_h = load_image(spec.asset_path(spec.logo("primary").file)).size
    margin = round(0.055 * 1024)
    return {name: [margin, margin, margin + px, margin + round(px * file_h / file_w)] for name, px in sizes.items()}


def _tree_at(commit: str, requested: str | None) -> Path:
    if requested:
        return Path(requested)
    tree = Path(tempfile.gettempdir()) / f"bk-base-{commit}"
    if not (tree / "brandkit").is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit], check=True)
    return tree


_LOAD_SNIPPET = """
import json, sys, time
import numpy, cv2, PIL.Image
from brandkit.provider.local_moderation import NudeNetModerator
options = {}
if sys.argv[1] != "-":
    from pathlib import Path
    from brandkit.warm_cache import WarmCache
    options["warm_cache"] = WarmCache(Path(sys.argv[1]))
moderator = NudeNetModerator(**options)
c, w = time.process_time(), time.perf_counter()
(moderator.load if hasattr(moderator, "load") else moderator._load)()  # the original: _load()
print(json.dumps([(time.process_time() - c) * 1000.0, (time.perf_counter() - w) * 1000.0]))
"""


def _model_load(tree: Path, cache: Path | None, processes: int = 5) -> dict[str, float]:
    """Median CPU and wall ms of the local moderator's model load in fresh processes (``cache``: a warm cache
    folder, filled by a first untimed process)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [sys.executable, "-c", _LOAD_SNIPPET, str(cache) if cache is not None else "-"]
    runs = [
        json.loads(subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
        for _ in range(processes + (cache is not None))
    ][cache is not None :]
    return {
        "cpu_ms": statistics.median(cpu for cpu, _ in runs),
        "wall_ms": statistics.median(wall for _, wall in runs),
    }


def _run_worker(tree: Path, images: Path, runs: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", str(images), "--runs", str(runs)],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    """Draw the images, time both trees, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--base", help=f"checkout of the original implementation (default: worktree of {BASE_COMMIT})")
    parser.add_argument("--head", help=f"checkout of the code before this pass (default: worktree of {HEAD_COMMIT})")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(Path(args.worker), args.runs)))
        return 0

    from benchmarks.bench_checks import make_poster
    from brandkit.imageio import encode_image
    from brandkit.spec.loader import load_spec

    load_start = os.getloadavg()
    started = time.perf_counter()
    spec = load_spec(ROOT / "brand_specs" / "northwind")
    with tempfile.TemporaryDirectory() as folder:
        images = Path(folder)
        sizes = {"present": 246, "small": 110, "missing": 246}
        posters = {
            "present": make_poster(spec, 1024, 1024, logo_px=246),
            "small": make_poster(spec, 1024, 1024, logo_px=110, seed=1),
            "missing": make_poster(spec, 1024, 1024, logo_px=None, seed=2),
        }
        for name, image in posters.items():
            (images / f"{name}.png").write_bytes(encode_image(image, "png"))
        (images / "boxes.json").write_text(json.dumps(_layout_boxes(spec, sizes)), encoding="utf-8")
        trees = (_tree_at(BASE_COMMIT, args.base), _tree_at(HEAD_COMMIT, args.head), ROOT)
        original, before, after = (_run_worker(tree, images, args.runs) for tree in trees)
        for tree, rows in zip(trees, (original, before, after), strict=True):
            rows["moderation model load"] = _model_load(tree, None)
        after["moderation model load (warm cache)"] = _model_load(ROOT, images / "warm-cache")
    load_end = os.getloadavg()
    print(
        f"load average at start {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f} (1/5/15 min), "
        f"at end {load_end[0]:.2f} / {load_end[1]:.2f} / {load_end[2]:.2f}; {os.cpu_count()} CPUs; "
        f"{args.runs} runs per row, medians; run took {time.perf_counter() - started:.0f} s"
    )
    print(f"original: {original['tree']} ({BASE_COMMIT}); before: {before['tree']} ({HEAD_COMMIT}); ", end="")
    print(f"now: {after['tree']}\n")
    print(
        "| row (1024²) | original CPU ms | original wall ms | before CPU ms | before wall ms | now CPU ms "
        "| now wall ms | CPU ratio original/now | CPU ratio before/now | outcome original / before / now |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    pairs = [
        ("moderation (bytes)", "moderation (decoded)"),
        ("moderation (bytes)", "moderation (bytes)"),
        ("next check after moderation (logo, present)", "next check after moderation (logo, present)"),
        ("moderation model load", "moderation model load"),
        ("moderation model load", "moderation model load (warm cache)"),
        ("logo, present", "logo, present"),
        ("logo, small", "logo, small"),
        ("logo, missing", "logo, missing"),
        ("logo, missing", "logo, missing (full search)"),
        ("logo, present, layout's box known", "logo, present, layout's box known"),
        ("logo, small, layout's box known", "logo, small, layout's box known"),
        ("logo, missing, layout's box known", "logo, missing, layout's box known"),
        ("logo preparation", "logo preparation"),
        ("logo preparation", "logo preparation (warm disk cache)"),
    ]
    for old, new in pairs:
        if old not in original or new not in after:
            continue
        o, a = original[old], after[new]
        b = before.get(new, before[old])  # the 80ef6b4 tree has every row this tree has, save new ones
        label = new if old == new else f"{new} (original: {old})"
        notes = " / ".join(str(row.get("note", "")) for row in (o, b, a)) if "note" in a else ""
        print(
            f"| {label} | {o['cpu_ms']:.1f} | {o['wall_ms']:.1f} | {b['cpu_ms']:.1f} | {b['wall_ms']:.1f} | "
            f"{a['cpu_ms']:.1f} | {a['wall_ms']:.1f} | {o['cpu_ms'] / max(a['cpu_ms'], 1e-9):.2f}× | "
            f"{b['cpu_ms'] / max(a['cpu_ms'], 1e-9):.2f}× | {notes} |"
        )
    checks = [
        ("moderation (decoded)", TARGET_MS),
        ("logo, present", TARGET_MS),
        ("logo, present, layout's box known", TARGET_PRESENT_MS),
        ("logo, missing", TARGET_ABSENT_MS),
        ("logo, small", original["logo, small"]["cpu_ms"]),  # no regression against the original
    ]
    print()
    for row, target in checks:
        cpu = after[row]["cpu_ms"]
        print(f"target {row} ≤ {target:.0f} ms CPU: {'PASS' if cpu <= target else 'FAIL'} ({cpu:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
