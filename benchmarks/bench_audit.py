"""Audit benchmark: images per second of ``brandkit validate DIR --jobs N`` on a mixed library, 1 vs 2 processes.

Run from the project root::

    python -m benchmarks.bench_audit            # 1,000 images, --jobs 1 then --jobs 2 (tens of minutes on 2 cores)
    python -m benchmarks.bench_audit --quick    # 100 images (a smoke run, a few minutes)
    python -m benchmarks.bench_audit --count 300 --jobs 2

The library is made once into a cache folder (``--cache``, default ``<tmp>/brandkit-bench-audit-N``) and reused:
renders of the example brands by the local renderer (Northwind and Lumen Health, three formats, with their
embedded provenance), the brands' photographs (``brand_specs/*/photos``) and the gate corpus's foreign
photographs (scikit-image's data folder, ``tests/data/gate_corpus.yaml``), resized variants of both (384–1024 px
on the long side; PNG, JPEG and WebP) and about 2 % broken files (truncated or not images). Every image is
audited against Northwind, so the other brand's renders and the photographs fail: a realistic mix of passes,
failures and unreadable files.

Each row is one :func:`brandkit.audit.audit` over the whole library (JSONL written and fsynced, as the CLI does):
worker start-up, spec load and engine load are inside the figure, like a real audit. The warm disk cache
(``BRANDKIT_CACHE_DIR`` inside the cache folder) is filled by a warm-up on a few images first, so every row
starts warm. Figures (``benchmarks/_measure.py``): wall time, CPU time of this process plus its joined worker
processes, the load average at start and end. **images/s** = files ÷ wall; **CPU ms/image** = CPU ÷ files (the
cost, nearly independent of the machine's load); **scaling** = wall(jobs 1) ÷ wall(jobs 2) (2.0 is perfect on 2
cores; on a machine others are using it is bounded by the cores left to us — read the CPU share column).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._measure import Span, load_average, load_note, measure

ROOT = Path(__file__).resolve().parents[1]
LIBRARY_VERSION = "2"  # bump when the recipe changes: a cached library of another version is rebuilt
GATE_PHOTOS = ("astronaut.png", "hubble_deep_field.jpg", "retina.jpg", "motorcycle_left.png")
SIZES = (384, 512, 640, 768, 1024)
FORMATS = ("png", "jpeg", "webp")


def _sources() -> list[tuple[str, Any]]:
    """The base images: (name, PIL image or bytes of a render with provenance)."""
    from PIL import Image

    import brandkit
    from brandkit.checks.technical import TechnicalCheck

    bases: list[tuple[str, Any]] = []
    briefs = ("A ceramic cup on an oak table", "Morning light over a city street", "A calm waiting room")
    for brand in ("northwind", "lumen-health"):
        spec = brandkit.load_spec(ROOT / "brand_specs" / brand)
        kit = brandkit.BrandKit(spec, provider="local", checks=[TechnicalCheck()])
        for number, fmt in enumerate(("square", "portrait", "landscape")):
            request = brandkit.AssetRequest(
                brief=briefs[number], format=fmt, seed=number, headline="Fresh every morning", cta="Order ahead"
            )
            asset = kit.generate(request)
            bases.append((f"{brand}-{fmt}", asset))
    for photo in sorted((ROOT / "brand_specs").glob("*/photos/*.jpg")):
        with Image.open(photo) as opened:
            bases.append((f"photo-{photo.parent.parent.name}-{photo.stem}", opened.convert("RGB")))
    for photo in _gate_corpus_photos():
        with Image.open(photo) as opened:
            bases.append((f"photo-skimage-{photo.stem}", opened.convert("RGB")))
    return bases


def _gate_corpus_photos() -> list[Path]:
    """The gate corpus's foreign photographs (``tests/data/gate_corpus.yaml``: scikit-image's data folder)."""
    import importlib.util

    found = importlib.util.find_spec("skimage")
    if found is None or found.origin is None:
        raise SystemExit("scikit-image is needed for the audit library's foreign photographs: pip install -e .[bench]")
    folder = Path(found.origin).parent / "data"
    return [folder / name for name in GATE_PHOTOS]


def build_library(folder: Path, count: int) -> list[Path]:
    """``count`` mixed images in ``folder`` (made once; a marker file says the library is complete)."""
    marker = folder / f".complete-v{LIBRARY_VERSION}-{count}"
    if marker.is_file():
        from brandkit.audit import expand_sources

        return [item.path for item in expand_sources([folder])]
    import shutil

    from PIL import Image

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    bases = _sources()
    made: list[Path] = []
    for i in range(count):
        name, base = bases[i % len(bases)]
        sub = folder / f"batch{i // 100:02d}"
        sub.mkdir(exist_ok=True)
        if i % 50 == 7:  # broken: a truncated PNG or text with an image name
            path = sub / f"{i:04d}-broken.png"
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(64) if i % 100 == 7 else b"not an image at all")
        elif hasattr(base, "save") and i < len(bases) * 2 and not isinstance(base, Image.Image):
            path = sub / f"{i:04d}-{name}.png"  # the render as generated, with its provenance
            base.save(path, overwrite=True)
        else:
            image = base.image if not isinstance(base, Image.Image) else base
            long_side = SIZES[(i // len(bases)) % len(SIZES)]
            scale = long_side / max(image.size)
            resized = image.convert("RGB").resize(
                (max(16, round(image.width * scale)), max(16, round(image.height * scale))), Image.Resampling.LANCZOS
            )
            fmt = FORMATS[i % len(FORMATS)]
            path = sub / f"{i:04d}-{name}-{long_side}.{'jpg' if fmt == 'jpeg' else fmt}"
            resized.save(path, format=fmt.upper(), **({"quality": 88} if fmt != "png" else {}))
        made.append(path)
    marker.write_text(json.dumps({"count": count, "version": LIBRARY_VERSION}))
    return sorted(made)


def run_audit(folder: Path, jobs: int, out: Path) -> tuple[Span, dict[str, int]]:
    """One whole audit of ``folder``; its span and the states counted."""
    import brandkit
    from brandkit.audit import audit

    out.unlink(missing_ok=True)
    states = {"passed": 0, "failed": 0, "unreadable": 0}
    with measure() as span:
        spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
        for item in audit(spec, [folder], jobs=jobs, out=out):
            states[item.record.state] += 1
    return span, states


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the library, audit it with each ``--jobs``, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 images")
    parser.add_argument("--count", type=int, default=None, help="images in the library (default 1000)")
    parser.add_argument("--jobs", default="1,2", help="comma-separated process counts to measure (default 1,2)")
    parser.add_argument("--cache", type=Path, default=None, help="where the library is made once")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    count = args.count or (100 if args.quick else 1000)
    jobs_list = [int(j) for j in args.jobs.split(",") if j.strip()]
    cache = args.cache or Path(tempfile.gettempdir()) / f"brandkit-bench-audit-{count}"
    os.environ.setdefault("BRANDKIT_CACHE_DIR", str(cache / "warm-cache"))
    load_start = load_average()
    with measure() as made:
        files = build_library(cache / "library", count)
    print(f"library: {len(files)} files in {cache / 'library'} (made or checked in {made.wall_s:.1f} s)")
    warm = cache / "warm"
    warm.mkdir(exist_ok=True)
    for path in files[:3]:  # the warm-up: the disk caches (palette tables, logo features) filled once
        target = warm / path.name
        if not target.exists():
            target.write_bytes(path.read_bytes())
    run_audit(warm, 1, cache / "warm.jsonl")
    rows: dict[int, tuple[Span, dict[str, int]]] = {}
    for jobs in jobs_list:
        rows[jobs] = run_audit(cache / "library", jobs, cache / f"audit-j{jobs}.jsonl")
        span, states = rows[jobs]
        print(f"--jobs {jobs}: {len(files) / span.wall_s:.2f} images/s · {span.row()} · {states}", flush=True)
    _print_table(rows, len(files))
    print(load_note(load_start, load_average()))
    if args.json:
        figures = {str(j): {**span.as_dict(), "states": states} for j, (span, states) in rows.items()}
        print(json.dumps({"files": len(files), "runs": figures}, indent=2))
    return 0


def _print_table(rows: dict[int, tuple[Span, dict[str, int]]], files: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"audit of {files} mixed images against Northwind")
    for column in ("jobs", "images/s", "wall s", "CPU s", "CPU ms/image", "CPU share", "load start→end"):
        table.add_column(column, justify="right")
    for jobs, (span, _states) in rows.items():
        table.add_row(
            str(jobs),
            f"{files / span.wall_s:.2f}",
            f"{span.wall_s:.1f}",
            f"{span.cpu_s:.1f}",
            f"{1000 * span.cpu_s / files:.0f}",
            f"{span.cpu_share():.2f}",
            f"{span.load_start[0]:.2f}→{span.load_end[0]:.2f}",
        )
    Console().print(table)
    if 1 in rows and 2 in rows:
        (one, _), (two, _) = rows[1], rows[2]
        print(
            f"scaling 1→2 processes: wall {one.wall_s / two.wall_s:.2f}× (2.00 is perfect), "
            f"CPU per image {two.cpu_s / one.cpu_s:.2f}× of one process's (start-up paid twice, shared cores)"
        )


if __name__ == "__main__":
    sys.exit(main())
