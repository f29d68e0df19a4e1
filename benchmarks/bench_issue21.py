"""Issue 21, before and after in one run: every item against the previous implementation, under the same load.

Run from the project root::

    python -m benchmarks.bench_issue21                  # the full run (≈ 25 min on a quiet 2-core machine)
    python -m benchmarks.bench_issue21 --quick          # fewer runs, a 100-image audit (≤ 5 min)
    python -m benchmarks.bench_issue21 --base REV --json out.json

"Before" is ``--base`` (default ``b3f7802``, the commit before issue 21's work), checked out read-only with
``git worktree add --detach /tmp/bk-issue21-base-<rev>`` (reused when present; the main tree is never checked
out); "now" is whatever this working tree holds. Both trees are byte-compiled first (``compileall``), as an
installed package is. Each item runs in a fresh subprocess per tree
(``PYTHONPATH=<tree>``, this venv's python; ``benchmarks/_issue21_worker.py`` for the in-process items),
before and now interleaved item by item so both see the same load; each tree has its own warm cache folder
(``BRANDKIT_CACHE_DIR``), filled by the warm-ups, so "warm" means the same for both. Figures are medians of the
timed runs after a warm-up: **CPU** (``time.process_time`` in the worker; ``os.wait4`` of the child for whole
processes) beside **wall**; the ratio and the targets are judged on CPU (the machine is shared by other work;
wall is an upper bound). The load average at the start and the end is printed under the table.

Items (1024² unless said): OCR of a composed ad with provenance (before: the full read, its only mode; now:
layout-guided), of the same ad with the copy brandkit drew itself (``text="overlay"``: today's provenance also
records each copy area's font size, read at the detector size it needs; the old tree ignores the sizes) and with no
layout known (the full read in both); moderation (local detector + check); logo present / small (110 px) / missing;
palette on the ad (layout known) and on a photograph (no layout); every check but OCR, moderation in (on the ad and
on a poster without layout; target ≤ 40 ms), also as the pipeline runs them since the sixth pass (the moderator on
its own thread beside the checks that do not read its scores: the old tree has no ``Gather`` and shows none), and
with moderation by OpenAI's endpoint — the official SDK, real HTTP to a loopback server this driver starts in its
own process (``tests/support/openai_server.py``, every request checked against the OpenAPI contract): the provider
path's local CPU —; a whole in-process ``validate``, also with a moderation service that answers in 200 ms
(simulated: a sleep, the old tree waits for it before the checks, today's runs them meanwhile); ``import brandkit``;
``brandkit --help``; a one-shot ``brandkit generate --provider local`` with a cold and a warm cache (wall, CPU, peak
RSS); the palette check's one-off cost per example brand (cold: built; warm: loaded from the disk cache where the
tree has one); ``brandkit validate FILES --jobs 2 --jsonl`` on the same files in both trees; and the audit of a
mixed library (``benchmarks/bench_audit.py``'s, 1,000 images, 100 with ``--quick``) with ``brandkit validate DIR
--jobs N --out FILE.jsonl`` at ``--jobs 1`` and ``2``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks._issue21_table import Cell, Row, markdown
from benchmarks._measure import ChildRun, cores, load_average, run_child, worktree

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "benchmarks" / "_issue21_worker.py"
INPUTS_VERSION = "2"
PY = sys.executable
NORTHWIND = str(ROOT / "brand_specs" / "northwind")
GENERATE = ["generate", "-s", NORTHWIND, "-b", "a cup of coffee on a wooden table", "--headline", "Fresh roast"]
GENERATE += ["-p", "local", "--seed", "1", "--overwrite", "--json"]


def _pooled(answers: Sequence[dict[str, Any]], key: str) -> list[float]:
    """The timed runs of every process of one side, pooled."""
    return [value for answer in answers for value in answer[key]]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (``--quick``, ``--base``, ``--json``, ``--work``, ``--skip-audit``, ``--items``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_issue21", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and a 100-image audit (≤ 5 min)")
    parser.add_argument("--base", default="b3f7802", help="the previous implementation's revision (default b3f7802)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures and the table here")
    parser.add_argument("--work", type=Path, default=None, help="inputs, caches, audit library (default: a tmp dir)")
    parser.add_argument("--skip-audit", action="store_true", help="leave the audit rows out")
    parser.add_argument("--items", default="", help="comma-separated worker items only (default: all)")
    args = parser.parse_args(argv)
    args.runs, args.warmup, args.rounds, args.repeats = (3, 1, 1, 1) if args.quick else (5, 2, 2, 3)
    args.audit_count = 100 if args.quick else 1000
    args.compare_count = 30 if args.quick else 100
    return args


def base_tree(rev: str) -> Path:
    """The read-only worktree of ``rev`` (:func:`benchmarks._measure.worktree`)."""
    return worktree(ROOT, rev, f"bk-issue21-base-{rev}")


def now_label() -> str:
    """``<short HEAD>`` and whether the working tree has uncommitted changes (what is measured)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return f"{head.strip()}{' + uncommitted changes' if dirty.strip() else ''} (working tree)"


def env_for(tree: Path, cache: Path | str) -> dict[str, str]:
    """A child's environment: ``tree`` first on ``PYTHONPATH``, its own warm cache, no API key."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OPENAI_API_KEY")}
    env.update(PYTHONPATH=str(tree), BRANDKIT_CACHE_DIR=str(cache))
    return env


def compile_bytecode(tree: Path) -> None:
    """Byte-compile ``tree``'s package first, as an installed package is: otherwise a child started with
    ``PYTHONDONTWRITEBYTECODE`` (or on a fresh worktree) compiles every changed module from source at each start
    (~90 ms CPU of a one-shot ``generate``), which a user's install never does."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([PY, "-m", "compileall", "-q", str(tree / "brandkit")], env=env, check=True, capture_output=True)


def make_inputs(folder: Path) -> None:
    """The files every worker reads (made once with today's code; see ``_issue21_worker.py``)."""
    marker = folder / f".complete-v{INPUTS_VERSION}"
    if marker.is_file():
        return
    from PIL import Image

    import brandkit
    from benchmarks.bench_checks import make_poster
    from brandkit.checks.technical import TechnicalCheck

    folder.mkdir(parents=True, exist_ok=True)
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    kit = brandkit.BrandKit(spec, provider="local", checks=[TechnicalCheck()])
    request = brandkit.AssetRequest(
        brief="A ceramic cup of pour-over coffee on an oak table by a window",
        format="square",
        seed=1,
        headline="Slow mornings, bright roasts",
        subhead="Single-origin Ethiopia, roasted this week.",
        cta="Order ahead",
    )
    kit.generate(request).save(folder / "ad.png", overwrite=True)
    # the same ad with the copy brandkit draws itself: its provenance also records each copy area's font size
    kit.generate(request.model_copy(update={"text": "overlay"})).save(folder / "ad-overlay.png", overwrite=True)
    with Image.open(ROOT / "brand_specs" / "northwind" / "photos" / "coffee.jpg") as photo:
        side = min(photo.size)
        box = ((photo.width - side) // 2, (photo.height - side) // 2)
        square = photo.convert("RGB").crop((*box, box[0] + side, box[1] + side))
        square.resize((1024, 1024), Image.Resampling.LANCZOS).save(folder / "photo.png")
    make_poster(spec, 1024, 1024, logo_px=round(0.24 * 1024)).save(folder / "poster-logo.png")
    make_poster(spec, 1024, 1024, logo_px=110, seed=1).save(folder / "poster-small.png")
    make_poster(spec, 1024, 1024, logo_px=None, seed=2).save(folder / "poster-missing.png")
    marker.write_text(INPUTS_VERSION)


def worker(item: str, tree: Path, cache: Path, inputs: Path, runs: int, warmup: int, *extra: str) -> dict[str, Any]:
    """One fresh worker process on ``tree``: its JSON answer (checked to come from ``tree``)."""
    args = [PY, str(WORKER), item, "--inputs", str(inputs), "--runs", str(runs), "--warmup", str(warmup), *extra]
    child = run_child(args, env_for(tree, cache), cwd=tree)
    answer: dict[str, Any] = json.loads(child.stdout.rsplit("@@", 1)[1])
    if Path(answer["tree"]) != tree.resolve():
        raise RuntimeError(f"the worker imported brandkit from {answer['tree']}, not {tree}")
    return answer


ITEMS: tuple[tuple[str, str, float | None, str], ...] = (
    ("ocr-layout", "OCR, composed ad with provenance (before: full read; now: layout-guided)", 150.0, "≤ 150 ms"),
    (
        "ocr-layout-sized",
        "OCR, the same ad with the copy brandkit composed (`text=overlay`: font sizes in the provenance)",
        150.0,
        "≤ 150 ms",
    ),
    ("ocr-full", "OCR, the same ad with no layout known (full read)", None, ""),
    ("moderation", "moderation (local detector + check)", None, "(in the 40 ms)"),
    ("logo-present", "logo present (≈ 24 % of the side)", None, ""),
    ("logo-small", "logo small (110 px)", None, ""),
    ("logo-missing", "logo missing (worst case)", 100.0, "≤ 100 ms"),
    ("palette-layout", "palette, composed ad (layout known)", None, "(in the 40 ms)"),
    ("palette-photo", "palette, photograph (no layout)", None, ""),
    ("palette-layout-warmed", "palette, composed ad, after `brandkit cache warm` (gamut table)", None, ""),
    ("palette-photo-warmed", "palette, photograph, after `brandkit cache warm` (gamut table)", None, ""),
    ("all-but-ocr-ad", "**all checks but OCR, moderation in** — composed ad", 40.0, "≤ 40 ms"),
    ("all-but-ocr-poster", "**all checks but OCR, moderation in** — poster, no layout", 40.0, "≤ 40 ms"),
    (
        "all-but-ocr-ad-warmed",
        "**all checks but OCR, moderation in** — composed ad, after `cache warm`",
        40.0,
        "≤ 40 ms",
    ),
    (
        "all-but-ocr-poster-warmed",
        "**all checks but OCR, moderation in** — poster, no layout, after `cache warm`",
        40.0,
        "≤ 40 ms",
    ),
    (
        "all-but-ocr-ad-gathered",
        "**all checks but OCR, moderation in** — composed ad, the moderator beside the checks (as the pipeline runs "
        "them now)",
        40.0,
        "≤ 40 ms",
    ),
    (
        "all-but-ocr-poster-gathered",
        "**all checks but OCR, moderation in** — poster, no layout, the moderator beside the checks",
        40.0,
        "≤ 40 ms",
    ),
    (
        "all-but-ocr-ad-openai",
        "all checks but OCR — composed ad, moderation by OpenAI's endpoint (official SDK, real HTTP to a loopback "
        "server), one after the other",
        40.0,
        "(≤ 40 ms)",
    ),
    (
        "all-but-ocr-ad-openai-gathered",
        "all checks but OCR — composed ad, moderation by OpenAI's endpoint beside the checks (the provider path)",
        40.0,
        "(≤ 40 ms)",
    ),
    ("validate", "whole `validate` of the ad, in-process", None, ""),
    (
        "validate-remote-moderation",
        "whole `validate` of the ad, moderation by a service answering in 200 ms (simulated)",
        None,
        "",
    ),
)


def worker_rows(args: argparse.Namespace, trees: dict[str, Path], caches: dict[str, Path], inputs: Path) -> list[Row]:
    """The in-process items, before and now interleaved, ``rounds`` fresh processes per tree."""
    wanted = {i for i in args.items.split(",") if i}
    rows = []
    with openai_loopback():
        for key, label, target, target_text in ITEMS:
            if wanted and key not in wanted:
                continue
            rows.append(worker_row(args, trees, caches, inputs, key, label, target, target_text))
    return rows


@contextlib.contextmanager
def openai_loopback() -> Iterator[str]:
    """The loopback OpenAI server of the ``…-openai`` items, in this process (its CPU is not the workers'), its URL
    in the workers' environment (``_issue21_worker.OPENAI_URL_ENV``); it checks every request against the
    project's OpenAPI contract, as the tests' server does."""
    from benchmarks._issue21_worker import OPENAI_URL_ENV
    from tests.support.openai_server import OpenAIServer

    server = OpenAIServer(validate_responses=False).start()
    previous = os.environ.get(OPENAI_URL_ENV)
    os.environ[OPENAI_URL_ENV] = server.url
    try:
        yield server.url
    finally:
        server.stop()
        if previous is None:
            os.environ.pop(OPENAI_URL_ENV, None)
        else:
            os.environ[OPENAI_URL_ENV] = previous


def worker_row(
    args: argparse.Namespace,
    trees: dict[str, Path],
    caches: dict[str, Path],
    inputs: Path,
    key: str,
    label: str,
    target: float | None,
    target_text: str,
) -> Row:
    """One in-process item: ``rounds`` fresh processes per tree, before and now interleaved."""
    cells: dict[str, Cell] = {}
    answers: dict[str, list[dict[str, Any]]] = {"before": [], "now": []}
    for _ in range(args.rounds):
        for side in ("before", "now"):
            answers[side].append(worker(key, trees[side], caches[side], inputs, args.runs, args.warmup))
    for side, got in answers.items():
        if "unsupported" in got[0]:
            cells[side] = Cell(missing=got[0]["unsupported"])
            continue
        parts = {k: statistics.median(a["parts"][k] for a in got) for k in got[0]["parts"]}
        note = got[0]["note"] + ("; CPU ms " + ", ".join(f"{k} {v:.0f}" for k, v in parts.items()) if parts else "")
        cells[side] = Cell.of(_pooled(got, "cpu_ms"), _pooled(got, "wall_ms"), note)
    row = Row(key, label, cells["before"], cells["now"], target, target_text)
    print(f"  {label}: before {cells['before'].text()} · now {cells['now'].text()}", flush=True)
    return row


def process_cell(runs: Sequence[ChildRun], note: str = "") -> Cell:
    """Whole-process figures: the medians, and the peak RSS of the median-CPU run."""
    ordered = sorted(runs, key=lambda r: r.cpu_s)
    rss = ordered[len(ordered) // 2].rss_mib
    return Cell.of([r.cpu_s * 1000 for r in runs], [r.wall_s * 1000 for r in runs], note, rss_mib=rss)


def process_rows(args: argparse.Namespace, trees: dict[str, Path], caches: dict[str, Path], work: Path) -> list[Row]:
    """``import brandkit``, ``--help``, one-shot ``generate`` cold and warm, palette one-offs per brand."""
    rows: list[Row] = []
    light = max(3, 2 * args.repeats + 1)
    for key, label, code, target in (
        ("import", "`import brandkit` (whole process)", ["-c", "import brandkit"], 150.0),
        ("help", "`brandkit --help` (whole process)", ["-m", "brandkit.cli", "--help"], 150.0),
    ):
        got: dict[str, list[ChildRun]] = {"before": [], "now": []}
        for _ in range(light):
            for side in got:
                got[side].append(run_child([PY, *code], env_for(trees[side], "off"), cwd=trees[side]))
        rows.append(
            Row(key, label, process_cell(got["before"]), process_cell(got["now"]), target, f"≤ {target:.0f} ms")
        )
    for warm in (False, True):
        gen: dict[str, list[ChildRun]] = {"before": [], "now": []}
        for i in range(args.repeats):
            for side in gen:
                cache = caches[side] if warm else work / f"cold-{side}-{i}"
                if not warm:
                    shutil.rmtree(cache, ignore_errors=True)
                cmd = [PY, "-m", "brandkit.cli", *GENERATE, "-o", str(work / f"gen-{side}")]
                if warm and i == 0:  # the tree's warm cache, filled by one generate first
                    run_child(cmd, env_for(trees[side], cache), cwd=trees[side])
                gen[side].append(run_child(cmd, env_for(trees[side], cache), cwd=trees[side]))
        label = f"one-shot `generate --provider local`, {'warm' if warm else 'cold'} cache (whole process)"
        cells = {
            s: process_cell(r, f"peak RSS {statistics.median(x.rss_mib for x in r):.0f} MiB") for s, r in gen.items()
        }
        gen_target = 1500.0 if warm else None
        rows.append(
            Row(
                f"generate-{'warm' if warm else 'cold'}",
                label,
                cells["before"],
                cells["now"],
                gen_target,
                "≤ 1,500 ms" if warm else "",
            )
        )
    brands = sorted(p.name for p in (ROOT / "brand_specs").iterdir() if (p / "brand.yaml").is_file())
    for brand in brands:
        for warm in (False, True):
            got_ms: dict[str, list[dict[str, Any]]] = {"before": [], "now": []}
            for i in range(args.repeats):
                for side in got_ms:
                    cache = work / f"palette-{side}-{brand}" if warm else work / f"palette-cold-{side}-{i}"
                    if not warm:
                        shutil.rmtree(cache, ignore_errors=True)
                    elif i == 0:  # fill it once
                        worker("palette-one-off", trees[side], cache, work, 1, 0, "--brand", brand)
                    got_ms[side].append(worker("palette-one-off", trees[side], cache, work, 1, 0, "--brand", brand))
            cells = {s: Cell.of(_pooled(v, "cpu_ms"), _pooled(v, "wall_ms")) for s, v in got_ms.items()}
            what = "warm cache (loaded where the tree caches it)" if warm else "cold cache (built)"
            rows.append(
                Row(
                    f"palette-one-off-{brand}-{'warm' if warm else 'cold'}",
                    f"palette one-off, {brand}, {what}",
                    cells["before"],
                    cells["now"],
                )
            )
    for row in rows:
        print(f"  {row.label}: before {row.before.text()} · now {row.now.text()}", flush=True)
    return rows


def _validate(tree: Path, cache: Path, files: Sequence[str], jobs: int, work: Path, tag: str, *extra: str) -> ChildRun:
    db = work / f"registry-{tag}.db"
    db.unlink(missing_ok=True)
    cmd = [PY, "-m", "brandkit.cli", "validate", "-s", NORTHWIND, *files, "--jobs", str(jobs), "--jsonl"]
    return run_child([*cmd, "--db", str(db), *extra], env_for(tree, cache), cwd=tree, ok_codes=(0, 1, 2))


def _per_image(run: ChildRun, count: int, note: str = "") -> Cell:
    rate = count / run.wall_s
    return Cell(
        1000 * run.cpu_s / count,
        1000 * run.wall_s / count,
        f"{rate:.2f} images/s{note}",
        runs=1,
        extra={"images_per_s": rate, "wall_s": run.wall_s, "cpu_s": run.cpu_s, "files": count},
    )


def audit_rows(args: argparse.Namespace, trees: dict[str, Path], caches: dict[str, Path], work: Path) -> list[Row]:
    """The same files through ``validate --jobs 2`` in both trees, then the library audit (now only)."""
    library = work / f"audit-library-{args.audit_count}"
    make = "from pathlib import Path; from benchmarks.bench_audit import build_library; "
    make += f"build_library(Path({str(library)!r}), {args.audit_count})"
    run_child([PY, "-c", make], env_for(ROOT, caches["now"]), cwd=ROOT)
    files = library_images(library)
    sample = files[: args.compare_count]
    same: dict[str, Cell] = {}
    for side in ("before", "now"):
        run = _validate(trees[side], caches[side], sample, 2, work, f"compare-{side}")
        same[side] = _per_image(run, len(sample))
    rows = [
        Row(
            "validate-files",
            f"`validate FILES --jobs 2 --jsonl`, the same {len(sample)} library files, per image",
            same["before"],
            same["now"],
        )
    ]
    why = "no folder audit before: `validate` took listed files only (no DIR/GLOB, --out, --resume, --shard)"
    spans: dict[int, Cell] = {}
    for jobs in (1, 2):
        out = work / f"audit-j{jobs}.jsonl"
        out.unlink(missing_ok=True)
        run = _validate(trees["now"], caches["now"], [str(library)], jobs, work, f"audit-j{jobs}", "--out", str(out))
        states = audit_states(out)
        spans[jobs] = _per_image(run, len(files), f", {states}")
        label = f"audit `validate DIR --jobs {jobs} --out FILE.jsonl`, {len(files):,} mixed images, per image"
        rows.append(Row(f"audit-j{jobs}", label, Cell(missing=why), spans[jobs]))
        print(f"  {label}: now {spans[jobs].text()} ({spans[jobs].note})", flush=True)
    one, two = spans[1].extra, spans[2].extra
    rows[-1].now.note += (
        f"; scaling 1→2 processes: {two['images_per_s'] / one['images_per_s']:.2f}× images/s (2.00 is perfect), "
        f"CPU per image {two['cpu_s'] / one['cpu_s']:.2f}× of one process's"
    )
    return rows


def library_images(folder: Path) -> list[str]:
    """The library's image files, sorted (not the renders' sidecar JSON, not the completion marker)."""
    suffixes = (".png", ".jpg", ".jpeg", ".webp")
    return sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() in suffixes and not p.name.startswith("."))


def audit_states(out: Path) -> str:
    """``passed N failed N unreadable N`` from the audit's JSONL (one ``file`` event per file)."""
    counts: dict[str, int] = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("event") == "file":
            counts[record["state"]] = counts.get(record["state"], 0) + 1
    return " ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def main(argv: Sequence[str] | None = None) -> int:
    """Run everything, print the markdown table, write ``--json``."""
    args = parse_args(argv)
    load_start = load_average()
    work = args.work or Path(tempfile.gettempdir()) / "brandkit-bench-issue21"
    work.mkdir(parents=True, exist_ok=True)
    trees = {"before": base_tree(args.base), "now": ROOT}
    caches = {side: work / f"warm-cache-{side}" for side in trees}
    for tree in trees.values():
        compile_bytecode(tree)
    inputs = work / "inputs"
    make = "from pathlib import Path; from benchmarks.bench_issue21 import make_inputs; "
    make += f"make_inputs(Path({str(inputs)!r}))"
    run_child([PY, "-c", make], env_for(ROOT, caches["now"]), cwd=ROOT)
    now = now_label()  # at the start: what the figures measure (HEAD may move during a long run)
    print(f"before {args.base} at {trees['before']}; now {now}; work folder {work}", flush=True)
    rows = worker_rows(args, trees, caches, inputs)
    if not args.items:
        rows += process_rows(args, trees, caches, work)
        if not args.skip_audit:
            rows += audit_rows(args, trees, caches, work)
    meta = {
        "base": args.base,
        "base_tree": str(trees["before"]),
        "now": now,
        "quick": args.quick,
        "runs": args.runs,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "load_start": list(load_start),
        "load_end": list(load_average()),
        "cores": cores(),
    }
    table = markdown(rows, meta)
    print()
    print(table)
    if args.json:
        payload = {"meta": meta, "rows": [asdict(r) | {"ratio": r.ratio(), "verdict": r.verdict()} for r in rows]}
        args.json.write_text(json.dumps({**payload, "markdown": table}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
