"""One item of ``benchmarks/bench_issue21.py``, measured in this fresh process against whichever brandkit is first on
``PYTHONPATH`` (the previous implementation's worktree or today's code).

Run as a *script* (never ``-m``: the project root must not shadow ``PYTHONPATH``)::

    PYTHONPATH=<tree> python benchmarks/_issue21_worker.py ITEM --inputs DIR [--runs N] [--warmup W] [--brand B]

It prints one line ``@@{json}``: ``cpu_ms`` and ``wall_ms`` per timed run (``time.process_time`` — every thread
of this process — and ``time.perf_counter``), a ``note`` (what was read or found: a check's status, the OCR mode),
``parts`` (CPU ms per part, medians, where an item has parts) and ``tree`` (the ``brandkit`` imported). An item
this tree cannot do prints ``unsupported`` with the reason instead of figures.

Only entry points that exist in both trees are used: ``brandkit.load_spec``, ``BrandKit``, the check classes,
``CheckContext``, ``CheckResources``, ``ocr_for_context``, ``expectation_from_provenance``, ``load_image`` and
the local moderator (``moderate_image`` on the decoded image where the tree has it, else ``moderate`` on the
encoded bytes — the previous implementation decoded the image again, which is part of its cost).

The inputs (``--inputs``) are made once by the driver with today's code, so both trees read the same files:
``ad.png`` (a composed Northwind square ad with its provenance: copy areas, hero box, logo box), ``photo.png``
(a photograph at 1024², no provenance), ``poster-logo.png`` / ``poster-small.png`` / ``poster-missing.png``
(synthetic posters without a layout, the logo at ≈ 24 % of the side / 110 px / absent). A record field newer than
the tree (``background_tone`` to the previous implementation, whose strict reader would refuse the whole record and
see no layout) is left out of the bytes that tree's checks get — the same pixels; the item's note names it.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

SPECS = Path(__file__).resolve().parents[1] / "brand_specs"
COPY = {
    "headline": "Fresh Roast Friday",
    "subhead": "Single-origin beans, roasted this morning",
    "cta": "Order now",
    "disclaimers": ["Offer valid at participating cafés."],
}


def _spec(brand: str = "northwind") -> Any:
    from brandkit import load_spec

    return load_spec(SPECS / brand)


NEWER_RECORD_FIELDS: set[str] = set()
"""Provenance record fields this tree does not know, left out of the inputs' records (see :func:`_read`)."""


def _read(inputs: Path, name: str) -> tuple[Any, bytes]:
    """The decoded input and the bytes this tree's checks get: the file itself, or — when its provenance record has
    top-level fields this tree's strict reader does not know (records gained fields after the previous
    implementation: ``background_tone``), which would make it refuse the whole record and see no layout — the same
    pixels with those fields left out (named in the item's note)."""
    from brandkit.imageio import encode_image, load_image, read_provenance
    from brandkit.provenance import ProvenanceRecord

    data = (inputs / name).read_bytes()
    image = load_image(data)
    text = read_provenance(data)
    if text is None:
        return image, data
    record = json.loads(text)
    known = {field.alias or key for key, field in ProvenanceRecord.model_fields.items()}
    newer = set(record) - known
    if not newer:
        return image, data
    NEWER_RECORD_FIELDS.update(newer)
    kept = {key: value for key, value in record.items() if key in known}
    return image, encode_image(image, "png", pnginfo={"brandkit": json.dumps(kept, ensure_ascii=False)})


def _provenance_expectation(data: bytes) -> Any:
    from brandkit.pipeline import expectation_from_provenance

    return expectation_from_provenance(data, "png")


def _poster_expectation(width: int, height: int) -> Any:
    from brandkit.checks.base import Expectation
    from brandkit.models import CopyBlock

    return Expectation(
        width=width,
        height=height,
        output_format="png",
        transparent=False,
        copy_block=CopyBlock(**COPY),
        logo_variant="primary",
        background_tone="light",
    )


class Bench:
    """One item's shared state: the spec, one ``CheckResources`` (engines loaded once), the timed runs."""

    def __init__(self, inputs: Path) -> None:
        from brandkit.checks.base import CheckResources

        self.inputs = inputs
        self.spec = _spec()
        self.resources = CheckResources()
        self.parts: dict[str, list[float]] = {}
        self.note = ""

    def context(self, image: Any, data: bytes, expectation: Any, moderation: Any = None) -> Any:
        """A fresh per-image context on the shared resources (nothing memoised from an earlier run)."""
        from brandkit.checks.base import CheckContext

        return CheckContext(
            spec=self.spec,
            image=image,
            data=data,
            expectation=expectation,
            resources=self.resources,
            moderation=moderation,
        )

    def part(self, name: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn``, adding its CPU ms to part ``name``."""
        c0 = time.process_time()
        out = fn()
        self.parts.setdefault(name, []).append((time.process_time() - c0) * 1000.0)
        return out


OPENAI_URL_ENV = "BRANDKIT_BENCH_OPENAI_URL"
"""The loopback OpenAI server the driver starts for the ``…-openai`` items (its ``/v1`` base URL)."""


def _moderator(remote: bool = False) -> Any:
    """The local detector, or (``remote``) OpenAI's moderation endpoint through the official SDK, served by the
    driver's loopback server (real HTTP; the server runs in the driver's process: its CPU is not this item's)."""
    if remote:
        import os

        url = os.environ.get(OPENAI_URL_ENV)
        if not url:
            raise Unsupported(f"needs the loopback OpenAI server (${OPENAI_URL_ENV}; bench_issue21 starts it)")
        from brandkit.provider.openai import OpenAIProvider

        return OpenAIProvider(api_key="sk-bench-loopback-0000000000", base_url=url)
    from brandkit.provider.local_moderation import NudeNetModerator

    try:  # as the tree's kit makes it (KitResources.local_moderator): one intra-op thread today
        from brandkit.resources import MODERATOR_THREADS
    except ImportError:  # the previous implementation's kit: onnxruntime's default threads
        return NudeNetModerator()
    return NudeNetModerator(threads=MODERATOR_THREADS)


def _moderate(moderator: Any, image: Any, data: bytes) -> Any:
    if hasattr(moderator, "moderate_image"):  # today: the decoded image
        return moderator.moderate_image(image, "")
    return moderator.moderate(data, "image/png", "")  # before: the encoded bytes, decoded again inside


def _ocr(b: Bench, image: Any, data: bytes, expectation: Any) -> Callable[[], Any]:
    from brandkit.checks.ocr_reading import ocr_for_context
    from brandkit.checks.text import TextCheck

    def once() -> Any:
        return ocr_for_context(b.context(image, data, expectation))

    reading = once()  # loads the engine
    ctx = b.context(image, data, expectation)
    status = TextCheck().run(ctx).status.value
    mode = getattr(reading, "mode", None) or "full (the only mode)"
    b.note = f"{len(reading.lines or [])} lines, mode {mode}, text check {status}"
    if reading.error:
        raise RuntimeError(f"OCR failed: {reading.error}")
    return once


def item_ocr_layout(b: Bench) -> Callable[[], Any]:
    """OCR of the composed ad, its copy areas known from the provenance (today: layout-guided; before: full)."""
    image, data = _read(b.inputs, "ad.png")
    return _ocr(b, image, data, _provenance_expectation(data))


class Unsupported(Exception):
    """What this tree cannot do for an item: its cell gets the reason, never a number."""


def item_ocr_layout_sized(b: Bench) -> Callable[[], Any]:
    """OCR of the same ad with the copy brandkit composed itself (``text="overlay"``): the provenance also records
    each copy area's font size, which today's layout-guided read detects at the size it needs."""
    image, data = _read(b.inputs, "ad-overlay.png")
    try:
        expectation = _provenance_expectation(data)
    except Exception as exc:  # a tree whose provenance record has no font sizes refuses the fields
        raise Unsupported(f"no font sizes in this tree's provenance ({type(exc).__name__})") from exc
    knows_sizes = "copy_font_px" in type(expectation).model_fields
    if knows_sizes and not expectation.copy_font_px:
        raise RuntimeError("ad-overlay.png's provenance records no font sizes: remake the inputs")
    once = _ocr(b, image, data, expectation)
    b.note += "; font sizes " + (str(expectation.copy_font_px) if knows_sizes else "unknown to this tree")
    return once


def item_ocr_full(b: Bench) -> Callable[[], Any]:
    """OCR of the same ad with no layout known: the whole-image read (since the eleventh pass, the tiny detector's
    lines read by the reference recogniser, the reference models again when in doubt)."""
    image, data = _read(b.inputs, "ad.png")
    expectation = _provenance_expectation(data).model_copy(update={"copy_boxes": []})
    return _ocr(b, image, data, expectation)


def item_moderation(b: Bench) -> Callable[[], Any]:
    """The local moderator on the ad plus the moderation check judging its scores."""
    from brandkit.checks.moderation import ModerationCheck

    image, data = _read(b.inputs, "ad.png")
    expectation = _provenance_expectation(data)
    moderator = _moderator()
    check = ModerationCheck()
    b.note = "decoded image" if hasattr(moderator, "moderate_image") else "encoded bytes (decoded again)"

    def once() -> Any:
        scores = b.part("moderator", lambda: _moderate(moderator, image, data))
        return b.part("check", lambda: check.run(b.context(image, data, expectation, scores)))

    b.note += f", check {once().status.value}"
    return once


def _logo(name: str) -> Callable[[Bench], Callable[[], Any]]:
    def item(b: Bench) -> Callable[[], Any]:
        from brandkit.checks.logo import LogoCheck

        image, data = _read(b.inputs, name)
        expectation = _poster_expectation(*image.size)
        check = LogoCheck()

        def once() -> Any:
            return check.run(b.context(image, data, expectation))

        res = once()  # prepares the logo (kept in the resources)
        b.note = f"{res.status.value}, {res.details.get('method') or 'not found'}"
        return once

    item.__doc__ = f"The logo check on {name}."
    return item


def _warmed(b: Bench) -> None:
    """What ``brandkit cache warm`` prepares for the palette check (its gamut table included), untimed; a tree
    without ``warm_palette`` raises ImportError (the item is then unsupported there)."""
    from brandkit.checks.palette import warm_palette

    warm_palette(b.spec, b.resources)


def _palette(name: str, warmed: bool = False) -> Callable[[Bench], Callable[[], Any]]:
    def item(b: Bench) -> Callable[[], Any]:
        from brandkit.checks.palette import PaletteCheck

        if warmed:
            _warmed(b)
        image, data = _read(b.inputs, name)
        expectation = _provenance_expectation(data)
        check = PaletteCheck()

        def once() -> Any:
            return check.run(b.context(image, data, expectation))

        result = once()
        b.note = f"{result.status.value}, layout {'known' if expectation.photo_box else 'unknown'}"
        path = result.details.get("figures_path") if isinstance(result.details, dict) else None
        if path:
            b.note += f", figures {path}"
        return once

    item.__doc__ = f"The palette check on {name} (its tables loaded once, in the warm-up)."
    return item


def _all_but_ocr(name: str, warmed: bool = False, remote: bool = False) -> Callable[[Bench], Callable[[], Any]]:
    def item(b: Bench) -> Callable[[], Any]:
        from brandkit.checks.contrast import ContrastCheck
        from brandkit.checks.logo import LogoCheck
        from brandkit.checks.moderation import ModerationCheck
        from brandkit.checks.ocr_reading import ocr_for_context
        from brandkit.checks.palette import PaletteCheck
        from brandkit.checks.technical import TechnicalCheck
        from brandkit.checks.text import TextCheck
        from brandkit.ocr import OCR_MEMO_KEY

        if warmed:
            _warmed(b)
        image, data = _read(b.inputs, name)
        expectation = _provenance_expectation(data)
        if not expectation.copy_boxes:  # a poster without provenance: the copy and logo it carries
            expectation = _poster_expectation(*image.size)
        reading = ocr_for_context(b.context(image, data, expectation))  # OCR outside the figure
        moderator = _moderator(remote)
        checks: list[Any] = [TechnicalCheck(), PaletteCheck(), LogoCheck(), TextCheck(), ContrastCheck()]
        checks.append(ModerationCheck())

        def once() -> Any:
            scores = b.part("moderator", lambda: _moderate(moderator, image, data))
            ctx = b.context(image, data, expectation, scores)
            ctx.memo(OCR_MEMO_KEY, lambda: reading)
            return [b.part(c.name, partial(c.run, ctx)).status.value for c in checks]

        b.note = ", ".join(f"{c.name} {s}" for c, s in zip(checks, once(), strict=True))
        return once

    by = "OpenAI's moderation endpoint (loopback)" if remote else "detector"
    item.__doc__ = f"Every check but OCR on {name}, moderation ({by} + check) in, the OCR reading memoised."
    return item


def _all_but_ocr_gathered(name: str, remote: bool = False) -> Callable[[Bench], Callable[[], Any]]:
    def item(b: Bench) -> Callable[[], Any]:
        from brandkit.checks.base import combine_reports, run_checks, split_checks
        from brandkit.checks.contrast import ContrastCheck
        from brandkit.checks.logo import LogoCheck
        from brandkit.checks.moderation import ModerationCheck
        from brandkit.checks.ocr_reading import ocr_for_context
        from brandkit.checks.palette import PaletteCheck
        from brandkit.checks.technical import TechnicalCheck
        from brandkit.checks.text import TextCheck
        from brandkit.ocr import OCR_MEMO_KEY
        from brandkit.pipeline import Compute, Gather, KitContext, Moderate, run_sync
        from brandkit.provider.local import LocalRenderer

        image, data = _read(b.inputs, name)
        expectation = _provenance_expectation(data)
        if not expectation.copy_boxes:
            expectation = _poster_expectation(*image.size)
        reading = ocr_for_context(b.context(image, data, expectation))  # OCR outside the figure
        checks: list[Any] = [TechnicalCheck(), PaletteCheck(), LogoCheck(), TextCheck(), ContrastCheck()]
        checks.append(ModerationCheck())
        before, after = split_checks(checks)
        # the kit's local moderator (one intra-op thread) or the OpenAI endpoint, beside the checks on the calling
        # thread
        moderator = _moderator(remote)
        kit = KitContext(spec=b.spec, provider=LocalRenderer(b.spec), moderator=moderator, checks=checks)

        def flow() -> Any:
            def first() -> Any:
                ctx = b.context(image, data, expectation)
                ctx.memo(OCR_MEMO_KEY, lambda: reading)
                return run_checks(ctx, before)

            scores, early = yield Gather((Moderate(data, "image/png", "", image), Compute(first)))
            late = yield Compute(lambda: run_checks(b.context(image, data, expectation, scores.get()), after))
            return combine_reports(checks, early.get(), late)

        def once() -> Any:
            return run_sync(flow(), kit)

        b.note = ", ".join(f"{n} {r.status.value}" for n, r in once().checks.items())
        return once

    item.__doc__ = (
        f"Every check but OCR on {name}, moderation in, as the pipeline runs them: the moderator (one thread) "
        "beside the checks that do not read its scores (``Gather``), then the moderation check."
    )
    return item


def item_validate(b: Bench) -> Callable[[], Any]:
    """A whole ``BrandKit.validate`` of the ad (provenance read, moderation, every check), in-process."""
    from brandkit import BrandKit

    kit = BrandKit(b.spec, provider="local")
    path = b.inputs / "ad.png"

    def once() -> Any:
        return kit.validate(path)

    report = once()
    failing = [name for name, res in report.checks.items() if res.status.value not in ("passed", "skipped")]
    b.note = f"{len(report.checks)} checks, not passing: {', '.join(failing) or 'none'}"
    return once


REMOTE_ROUND_TRIP_S = 0.2
"""The simulated moderation service's answer time (OpenAI's moderation endpoint: a few hundred ms)."""


class RemoteModerator:
    """A remote-style moderator (encoded bytes, no decoded path) that answers after a network round trip."""

    name = "remote:simulated"

    def moderate(self, image: bytes, mime: str, text: str) -> Any:
        from brandkit.moderation_scores import ModerationScores

        time.sleep(REMOTE_ROUND_TRIP_S)
        return ModerationScores(source=self.name, scores={"sexual": 0.0}, flagged=False)

    async def amoderate(self, image: bytes, mime: str, text: str) -> Any:
        return self.moderate(image, mime, text)


def item_validate_remote(b: Bench) -> Callable[[], Any]:
    """A whole ``BrandKit.validate`` of the ad with a moderation service answering in 200 ms (simulated)."""
    from brandkit import BrandKit

    kit = BrandKit(b.spec, provider="local", moderator=RemoteModerator())  # type: ignore[arg-type]
    path = b.inputs / "ad.png"

    def once() -> Any:
        return kit.validate(path)

    report = once()
    b.note = (
        f"moderation {report.checks['moderation'].status.value}, service round trip {REMOTE_ROUND_TRIP_S * 1000:.0f} ms"
    )
    return once


def item_technical(b: Bench) -> Callable[[], Any]:
    """The technical check on ``ad.png`` (the smallest item: the driver's self-test)."""
    from brandkit.checks.technical import TechnicalCheck

    image, data = _read(b.inputs, "ad.png")
    expectation = _provenance_expectation(data)

    def once() -> Any:
        return TechnicalCheck().run(b.context(image, data, expectation))

    b.note = once().status.value
    return once


ITEMS: dict[str, Callable[[Bench], Callable[[], Any]]] = {
    "ocr-layout": item_ocr_layout,
    "ocr-layout-sized": item_ocr_layout_sized,
    "ocr-full": item_ocr_full,
    "moderation": item_moderation,
    "logo-present": _logo("poster-logo.png"),
    "logo-small": _logo("poster-small.png"),
    "logo-missing": _logo("poster-missing.png"),
    "palette-layout": _palette("ad.png"),
    "palette-photo": _palette("photo.png"),
    "palette-layout-warmed": _palette("ad.png", warmed=True),
    "palette-photo-warmed": _palette("photo.png", warmed=True),
    "all-but-ocr-ad": _all_but_ocr("ad.png"),
    "all-but-ocr-poster": _all_but_ocr("poster-logo.png"),
    "all-but-ocr-ad-warmed": _all_but_ocr("ad.png", warmed=True),
    "all-but-ocr-poster-warmed": _all_but_ocr("poster-logo.png", warmed=True),
    "all-but-ocr-ad-gathered": _all_but_ocr_gathered("ad.png"),
    "all-but-ocr-poster-gathered": _all_but_ocr_gathered("poster-logo.png"),
    "all-but-ocr-ad-openai": _all_but_ocr("ad.png", remote=True),
    "all-but-ocr-ad-openai-gathered": _all_but_ocr_gathered("ad.png", remote=True),
    "validate": item_validate,
    "validate-remote-moderation": item_validate_remote,
    "technical": item_technical,
}


def palette_one_off(brand: str) -> dict[str, Any]:
    """The first palette check of a fresh process for ``brand`` (tables built, or loaded from the warm cache)."""
    from PIL import Image

    from brandkit.checks.base import CheckContext, CheckResources, Expectation
    from brandkit.checks.palette import PaletteCheck

    spec = _spec(brand)
    image = Image.new("RGB", (64, 64), (128, 128, 128))
    ctx = CheckContext(
        spec=spec, image=image, data=b"", expectation=Expectation(copy_source="none"), resources=CheckResources()
    )
    c0, t0 = time.process_time(), time.perf_counter()
    PaletteCheck().run(ctx)
    return {"cpu_ms": [(time.process_time() - c0) * 1000.0], "wall_ms": [(time.perf_counter() - t0) * 1000.0]}


def measure(item: str, inputs: Path, runs: int, warmup: int) -> dict[str, Any]:
    """Set ``item`` up (untimed), ``warmup`` untimed calls, then ``runs`` timed calls."""
    b = Bench(inputs)
    once = ITEMS[item](b)
    for _ in range(warmup):
        once()
    b.parts.clear()
    cpu, wall = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        once()
        wall.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
    parts = {name: statistics.median(values) for name, values in b.parts.items()}
    note = b.note
    if NEWER_RECORD_FIELDS:
        note += f"; record read without {', '.join(sorted(NEWER_RECORD_FIELDS))} (newer than this tree)"
    return {"cpu_ms": cpu, "wall_ms": wall, "note": note, "parts": parts}


def _inside(module: Any, tree: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is None or Path(file).resolve().is_relative_to(tree)


def main(argv: list[str] | None = None) -> int:
    """Measure one item and print ``@@{json}``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("item", choices=[*ITEMS, "palette-one-off"])
    parser.add_argument("--inputs", type=Path, default=Path("."))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--brand", default="northwind")
    args = parser.parse_args(argv)
    # the venv's editable install of today's tree would answer for a module the tree on PYTHONPATH lacks: drop it
    sys.meta_path[:] = [f for f in sys.meta_path if not str(getattr(f, "__module__", "")).startswith("__editable__")]
    import brandkit

    tree = Path(brandkit.__file__).resolve().parents[1]
    try:
        if args.item == "palette-one-off":
            out = palette_one_off(args.brand)
        else:
            out = measure(args.item, args.inputs, args.runs, args.warmup)
    except ImportError as exc:  # an entry point this tree does not have
        out = {"unsupported": "not in this tree: " + re.sub(r" \([^()]*\)$", "", str(exc))}  # the path dropped
    except Unsupported as exc:
        out = {"unsupported": str(exc)}
    leaked = sorted(m for m, mod in sys.modules.items() if m.startswith("brandkit") and not _inside(mod, tree))
    if leaked:  # never a figure of mixed code
        out = {"unsupported": f"modules imported from outside {tree}: {', '.join(leaked)}"}
    out["tree"] = str(tree)
    sys.stdout.write("@@" + json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
