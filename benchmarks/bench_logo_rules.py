"""The logo check's error rates on real-photo ads whose logo was edited: removed, distorted, shrunk, moved.

Run from the project root::

    python -m benchmarks.bench_logo_rules                # every edit of every base ad (a few minutes)
    python -m benchmarks.bench_logo_rules --json out.json
    python -m benchmarks.bench_logo_rules --provenance both --scale 2   # the same ads enlarged 2×
    python -m benchmarks.bench_logo_rules --provenance both --variant mono   # every logo the one-colour variant
    PYTHONPATH=/path/to/other/tree python -m benchmarks.bench_logo_rules   # another tree's code, same images

The gate corpus (``bench_gates``) labels whole ads on or off brand; its off-brand ads break the palette, not the
logo, so it cannot say how often the logo check lets a bad logo through. This benchmark makes that labelled set
from the corpus's on-brand ads (real photographs composed by brandkit, with their provenance: the layout's logo
box and variant): each base ad's logo is taken out (the box filled with the colour around it) and put back
edited — **as drawn** (on brand: must pass), **removed**, **distorted** (height × 0.6 … 1.67), **too small**
(0.75 × the variant's ``min_width_px``), **misplaced** (moved to a cell of the 3×3 grid no placement of the
variant allows, the one that covers the least of the copy: :func:`misplaced_at`), **crowded** (drawn, with a word
of the brand's body font set in its clear space: :func:`crowding_word`), **recoloured** (its hues turned half way
round, or in grey: :func:`recoloured`; for a logo with a hue), **wrong ground** (the brand's variant made for the
other tone — its reversed mark on a light ground, its dark mark on a dark one — drawn at the logo's height in its
place: :func:`other_ground_variant`), **wrong ground (plate)** (the logo itself on a plate of the brand's background
of the other tone, reaching past its clear space: the layout's variant where the ground is not its own) — each
check reading the file's
provenance as ``brandkit validate`` does. A case is rejected when the check fails or cannot run (fail closed).
``--provenance stripped`` checks each edited file without its provenance instead — what an audit of an existing
library sees: no layout, no variant, every variant searched for anywhere and the one found judged by the spec's
rules (``both``: each case both ways).

``--edits "as drawn,crowded"`` checks only the edits named (by the start of their name): a quicker run when one
rule is being measured.

``--variant mono`` makes every edit with that logo variant instead of the layout's, on the ads whose layout chose
a variant for a light ground ("kept" reads it as the layout's variant): the corpus's ads all carry their brand's
primary or inverse logo, so the one-colour variants are measured only this way.

``--scale K`` enlarges every edited ad K times (Lanczos) before it is checked: the same designs as a print export
or a large banner (the too-small logo still 0.75 × ``min_width_px`` wide after the enlargement).

Printed per edit: cases, **false rejects** (on-brand rejected) or **false accepts** (off-brand passed), how many
rejections named the edit (``failed_rules`` — distorted / too_small / misplaced — or the logo not found for a
removed one), and the median and maximum CPU ms of the check; ``--json`` writes every case. A second table, the
**margins**, says how far the detection thresholds sit from what these photographs score: the lowest score of a logo
found unedited, per method, against the bar it cleared; the lowest coarse score among the cases whose logo was found
after the coarse search (its early exit skips everything below ``COARSE_EXIT_SCORE``: on an on-brand ad that is a
false reject, on an edited one the rejection says "not found" instead of naming the edit); the highest scores the
searches reached on the ads whose logo was removed (without provenance: the best over the variants searched); the
highest verification score of an ORB reading refused by it (features that agree on pixels that do not).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ASPECTS = (0.6, 0.7, 0.8, 0.9, 1.1, 1.25, 1.43, 1.67)
TOO_SMALL = 0.75
"""The shrunk logo's width as a share of the variant's ``min_width_px``."""
RECOLOURS = ("hue", "grey")
"""The recoloured edits: the logo's hues turned half way round, or the logo in grey (:func:`recoloured`)."""
CHROMATIC_SATURATION = 0.3
CHROMATIC_SHARE = 0.1
"""The recoloured edits are made for a logo with at least this share of its opaque pixels at an HSV saturation of
:data:`CHROMATIC_SATURATION` or more (not for a black or grey one-colour logo, whose hue turns to itself)."""
CROWDED_WORD = "Now open"
CROWDED_AT = 0.4
"""The crowding word's near edge lies this share of the clear space from the logo's box."""
CROWDED_HEIGHT = 0.5
"""The crowding word's font size as a share of the logo's height."""


Box = tuple[int, int, int, int]


def misplaced_at(
    size: tuple[int, int], logo: tuple[int, int], placements: Sequence[str] | None, avoid: Sequence[Box]
) -> tuple[int, int]:
    """Where the misplaced edit pastes a ``logo`` (width, height) on an image of ``size``: centred in a cell of the
    3×3 grid that no placement in ``placements`` allows, the one whose logo box covers the least of the ``avoid``
    boxes (the layout's copy and its logo box: a logo pasted over the copy is another fault, text hidden under a
    logo), the middle-left cell first among equals. ``placements=None``: the middle-left cell."""
    from brandkit.checks.logo.rules import placement_of

    w, h = size
    bw, bh = logo
    cells = [(0, 1), (1, 1), (2, 1), (1, 0), (1, 2), (0, 0), (2, 0), (0, 2), (2, 2)]
    best: tuple[int, tuple[int, int]] | None = None
    for col, row in cells if placements is not None else [(0, 1)]:
        left = min(max(0, round((col + 0.5) * w / 3 - bw / 2)), w - bw)
        top = min(max(0, round((row + 0.5) * h / 3 - bh / 2)), h - bh)
        if placements is not None and placement_of(left + bw / 2, top + bh / 2, w, h) in placements:
            continue
        covered = sum(
            max(0, min(left + bw, x1) - max(left, x0)) * max(0, min(top + bh, y1) - max(top, y0))
            for x0, y0, x1, y1 in avoid
        )
        if best is None or covered < best[0]:
            best = (covered, (left, top))
    if best is None:  # every cell allowed: no misplacement exists
        raise ValueError("misplaced_at: every cell of the grid is an allowed placement")
    return best[1]


def crowding_word(
    image: Image.Image, box: Box, clear_space: float, font: Path, ground: tuple[int, int, int]
) -> Image.Image:
    """``image`` with :data:`CROWDED_WORD` set in the clear space of the logo at ``box``: its font ``font`` at
    :data:`CROWDED_HEIGHT` × the logo's height, black or white (the one that stands out more from ``ground``, the
    colour around the logo), its near edge :data:`CROWDED_AT` × the clear space (``clear_space`` × the logo's
    height) from the box — on the right when it fits in the image, else on the left, else below (centred on the
    box's other axis). A designer's headline set too close to the logo: what the clear-space rule forbids."""
    from PIL import ImageDraw, ImageFont

    x0, y0, x1, y1 = box
    bh = y1 - y0
    face = ImageFont.truetype(str(font), max(8, round(CROWDED_HEIGHT * bh)))
    left, top, right, bottom = face.getbbox(CROWDED_WORD)
    ww, wh = right - left, bottom - top
    near = max(1, round(CROWDED_AT * clear_space * bh))
    if x1 + near + ww <= image.width:
        at = (x1 + near, (y0 + y1 - wh) // 2)
    elif x0 - near - ww >= 0:
        at = (x0 - near - ww, (y0 + y1 - wh) // 2)
    else:
        at = ((x0 + x1 - ww) // 2, y1 + near)
    luminance = 0.2126 * ground[0] + 0.7152 * ground[1] + 0.0722 * ground[2]
    colour = (255, 255, 255) if luminance < 128 else (17, 17, 17)
    out = image.copy()
    ImageDraw.Draw(out).text((at[0] - left, at[1] - top), CROWDED_WORD, font=face, fill=colour)
    return out


def edits(
    image: Image.Image,
    box: Box,
    logo_file: Image.Image,
    min_width_px: float,
    placements: Sequence[str] | None = None,
    avoid: Sequence[Box] = (),
    crowd: tuple[float, Path] | None = None,
    other: Image.Image | None = None,
    plate: tuple[int, int, int] | None = None,
) -> list[Any]:
    """``(name, label, expected reason, edited image)`` for one base ad whose logo the layout put at ``box``
    (``placements`` / ``avoid``: see :func:`misplaced_at`; ``crowd``: the variant's clear space and the font of
    the crowded edit, :func:`crowding_word` — none without it; ``other``: the file of the variant made for the other
    ground tone, drawn in the logo's place at its height — the wrong-ground edit, none without it; ``plate``: the
    brand background of the other tone, drawn behind the logo past its clear space — none without it)."""
    arr = np.asarray(image.convert("RGB")).copy()
    x0, y0, x1, y1 = box
    h, w = arr.shape[:2]
    ring = np.concatenate(
        [
            arr[max(0, y0 - 3), x0:x1],
            arr[min(h - 1, y1 + 2), x0:x1],
            arr[y0:y1, max(0, x0 - 3)],
            arr[y0:y1, min(w - 1, x1 + 2)],
        ]
    )
    clean = arr.copy()
    clean[max(0, y0 - 2) : y1 + 2, max(0, x0 - 2) : x1 + 2] = np.median(ring, axis=0).astype(np.uint8)
    bw, bh = x1 - x0, y1 - y0

    def pasted(width: int, height: int, left: int, top: int, drawn: Image.Image = logo_file) -> Image.Image:
        out = Image.fromarray(clean)
        logo = drawn.resize((width, height), Image.Resampling.LANCZOS)
        out.paste(logo, (left, top), logo)
        return out

    cy = (y0 + y1) // 2
    small_w = round(TOO_SMALL * min_width_px)
    small_h = round(small_w * bh / bw)
    out: list[Any] = [
        ("as drawn", "on", None, pasted(bw, bh, x0, y0)),
        ("removed", "off", "not found", Image.fromarray(clean)),
    ]
    for aspect in ASPECTS:
        dh = round(bh * aspect)
        out.append((f"distorted ×{aspect:g}", "off", "distorted", pasted(bw, dh, x0, cy - dh // 2)))
    out.append(("too small", "off", "too_small", pasted(small_w, small_h, x0, y0)))
    # a cell of the grid no placement allows, clear of the copy where it can be
    left, top = misplaced_at((w, h), (bw, bh), placements, avoid)
    out.append(("misplaced", "off", "misplaced", pasted(bw, bh, left, top)))
    if chromatic(logo_file):  # a one-colour grey or black logo has no hue to turn
        for how in RECOLOURS:
            out.append((f"recoloured ({how})", "off", "recoloured", pasted(bw, bh, x0, y0, recoloured(logo_file, how))))
    if other is not None:
        other_w = round(bh * other.width / other.height)
        out.append(("wrong ground", "off", "wrong_ground", pasted(other_w, bh, x0, y0, other)))
    if plate is not None:
        reach = round(bh * (crowd[0] if crowd is not None else 0.25)) + max(8, bh // 4)
        on_plate = Image.fromarray(clean)
        on_plate.paste(plate, (max(0, x0 - reach), max(0, y0 - reach), min(w, x1 + reach), min(h, y1 + reach)))
        logo = logo_file.resize((bw, bh), Image.Resampling.LANCZOS)
        on_plate.paste(logo, (x0, y0), logo)
        out.append(("wrong ground (plate)", "off", "wrong_ground", on_plate))
    if crowd is not None:
        ground = tuple(int(v) for v in np.median(ring, axis=0)[:3])
        word = crowding_word(pasted(bw, bh, x0, y0), box, crowd[0], crowd[1], (ground[0], ground[1], ground[2]))
        out.append(("crowded", "off", "crowded", word))
    return out


def other_ground_variant(spec: Any, variant: str) -> Any:
    """The first logo variant of ``spec`` made for the ground tone opposite to the one ``variant`` is made for
    (``BrandSpec.logo_tone``); ``None`` when ``variant``'s tone is not one or no variant is made for the other."""
    tone = spec.logo_tone(variant)
    if tone is None:
        return None
    return next((v for v in spec.logos if spec.logo_tone(v.variant) not in (None, tone)), None)


def chromatic(logo_file: Image.Image) -> bool:
    """Whether at least :data:`CHROMATIC_SHARE` of the logo file's opaque pixels have an HSV saturation of
    :data:`CHROMATIC_SATURATION` or more (a hue the recoloured edits can turn)."""
    arr = np.asarray(logo_file.convert("RGBA"))
    opaque = arr[..., 3] >= 250
    hsv = np.asarray(logo_file.convert("RGB").convert("HSV"))
    return bool(opaque.any() and (hsv[..., 1][opaque] >= CHROMATIC_SATURATION * 255).mean() >= CHROMATIC_SHARE)


def recoloured(logo_file: Image.Image, how: str) -> Image.Image:
    """The logo file recoloured, its alpha kept: ``hue`` — every hue turned half way round the colour wheel (HSV),
    the saturation and value kept; ``grey`` — every colour turned to its grey (ITU-R 601 luma)."""
    rgba = logo_file.convert("RGBA")
    if how == "grey":
        rgb = rgba.convert("L").convert("RGB")
    else:
        h, sat, val = rgba.convert("RGB").convert("HSV").split()
        h = h.point(lambda v: (v + 128) % 256)
        rgb = Image.merge("HSV", (h, sat, val)).convert("RGB")
    out = rgb.convert("RGBA")
    out.putalpha(rgba.getchannel("A"))
    return out


def run(
    json_out: Path | None,
    cache: Path | None,
    provenance: Sequence[str] = ("kept",),
    scale: float = 1.0,
    only: Sequence[str] = (),
    variant_name: str | None = None,
) -> list[dict[str, Any]]:
    """Every edit of every base ad, checked with its provenance ``kept`` and/or ``stripped``; the rows. ``scale``:
    each edited ad enlarged that many times (Lanczos) before it is checked — a print export or a large banner of
    the same design; the too-small edit's logo is made ``TOO_SMALL`` × ``min_width_px`` wide *after* the
    enlargement, and "kept" hands the check the base ad's layout, which it scales to the image. ``only``: the
    edits checked, by the start of their name (none: every edit). ``variant_name``: every edit made with this logo
    variant instead of the layout's, on the base ads whose layout chose a variant for a light ground (the ones
    a ``light`` variant such as ``mono`` is made for), "kept" reading it as the layout's variant — none of the
    corpus's ads uses the brands' one-colour variants otherwise."""
    from brandkit import load_spec
    from brandkit.checks.base import CheckResources
    from brandkit.imageio import detect_format, encode_image, load_image
    from brandkit.pipeline import expectation_from_provenance
    from tests.support.gate_corpus import load_cases, render_all

    cases = [c for c in load_cases() if c.label == "on" and c.kind in ("composed", "tonal_variation")]
    paths = render_all(cases, cache)
    specs = {b: load_spec(ROOT / "brand_specs" / b) for b in sorted({c.brand for c in cases})}
    resources = CheckResources()
    rows: list[dict[str, Any]] = []
    for case in cases:
        data = paths[case.id].read_bytes()
        expectation = expectation_from_provenance(data, detect_format(data) or "png")
        if expectation.logo_box is None or expectation.logo_variant is None:
            continue
        spec = specs[case.brand]
        variant = spec.logo(expectation.logo_variant)
        if variant_name is not None:
            if "light" not in variant.backgrounds or variant_name not in {v.variant for v in spec.logos}:
                continue  # a dark ground's ad, or a brand without that variant
            variant = spec.logo(variant_name)
            expectation = expectation.model_copy(update={"logo_variant": variant_name})
        logo_file = load_image(spec.asset_path(variant.file)).convert("RGBA")
        opposite = other_ground_variant(spec, variant.variant)
        other = None if opposite is None else load_image(spec.asset_path(opposite.file)).convert("RGBA")
        tone = spec.logo_tone(variant.variant)
        plate = None if tone is None else spec.palette.background_rgb("light" if tone == "dark" else "dark")
        base = load_image(data)
        made = edits(
            base,
            expectation.logo_box,
            logo_file,
            variant.min_width_px / scale,
            list(variant.placements),
            [*expectation.copy_boxes, expectation.logo_box],
            (variant.clear_space, spec.asset_path(spec.typography.font_for("body").file)),
            other,
            plate,
        )
        for name, label, reason, drawn in made:
            if only and not any(name.startswith(prefix) for prefix in only):
                continue
            image = drawn if scale == 1.0 else enlarged(drawn, scale)
            edited = encode_image(image, "png")  # carries no provenance: "kept" hands the check the base ad's
            for kept in provenance:
                seen = expectation if kept == "kept" else expectation_from_provenance(edited, "png")
                rows.append(_check(spec, image, edited, seen, resources, case, name, label, reason, kept))
    if json_out is not None:
        json_out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return rows


def enlarged(image: Image.Image, scale: float) -> Image.Image:
    """``image`` enlarged ``scale`` times (Lanczos), its mode kept."""
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.LANCZOS)


def _check(
    spec: Any,
    image: Image.Image,
    data: bytes,
    expectation: Any,
    resources: Any,
    case: Any,
    name: str,
    label: str,
    reason: str | None,
    provenance: str,
) -> dict[str, Any]:
    """One case checked (after an untimed run that sizes the templates): its row."""
    from brandkit.checks.base import CheckContext
    from brandkit.checks.logo import LogoCheck
    from brandkit.models import CheckStatus

    ctx_args = {"spec": spec, "data": data, "expectation": expectation}
    LogoCheck().run(CheckContext(image=image, resources=resources, **ctx_args))  # untimed: templates' sizes
    c0 = time.process_time()
    result = LogoCheck().run(CheckContext(image=image, resources=resources, **ctx_args))
    cpu = (time.process_time() - c0) * 1000.0
    rejected = result.status in (CheckStatus.failed, CheckStatus.not_checked)
    failed_rules = result.details.get("failed_rules") or []
    named = (reason == "not found" and result.details.get("found") is False) or reason in failed_rules
    detection = result.details.get("detection") or {}
    searches = result.details.get("searches") or {}  # without provenance, nothing found: each variant's search
    notes = list(searches.values()) if searches else [detection]
    if searches:
        detection = {
            key: max((d[key] for d in searches.values() if d.get(key) is not None), default=None)
            for key in ("coarse_best_score", "template_best_score")
        }
    # ORB readings whose features agreed but whose pixels did not ("rejected (verification score 0.42 < 0.6)")
    refused = [float(m) for d in notes for m in re.findall(r"verification score (-?[0-9.]+) <", str(d.get("orb", "")))]
    # template readings over the score bar refused because a part of the logo was not there (their weakest part)
    weakest = [min(r["parts"]) for d in notes for r in d.get("template_parts_refused") or () if r.get("parts")]
    parts = detection.get("template_parts") if result.details.get("method") == "template" else None
    return {
        "id": case.id,
        "brand": case.brand,
        "edit": name,
        "label": label,
        "provenance": provenance,
        "rejected": rejected,
        "named": bool(named) if reason else None,
        "status": result.status.value,
        "failed_rules": failed_rules,
        "found": result.details.get("found"),
        "variant": result.details.get("variant"),
        "method": result.details.get("method"),
        "score": result.details.get("match_score"),
        "coarse_best": detection.get("coarse_best_score"),
        "template_best": detection.get("template_best_score"),
        "orb_refused_best": max(refused, default=None),
        "weakest_part": min(parts) if parts else None,
        "parts_refused_best": max(weakest, default=None),
        "colour_worst": (result.details.get("colour") or {}).get("worst_delta_e"),
        "cpu_ms": round(cpu, 1),
    }


def report(rows: Sequence[dict[str, Any]]) -> None:
    """One markdown table: per provenance and edit, the error rate and how often the rejection named the edit."""
    print(
        "| provenance | edit | label | cases | false rejects / false accepts | rejection names the edit | "
        "CPU ms median · max |"
    )
    print("|---|---|---|---|---|---|---|")
    for kept in dict.fromkeys(r.get("provenance", "kept") for r in rows):
        mine = [r for r in rows if r.get("provenance", "kept") == kept]
        for edit in dict.fromkeys(r["edit"] for r in mine):
            group = [r for r in mine if r["edit"] == edit]
            label = group[0]["label"]
            wrong = sum(1 for r in group if r["rejected"] != (label == "off"))
            kind = "false reject" if label == "on" else "false accept"
            rejected = [r for r in group if r["rejected"]]
            named = f"{sum(1 for r in rejected if r['named'])}/{len(rejected)}" if label == "off" and rejected else "—"
            cpu = [r["cpu_ms"] for r in group]
            print(
                f"| {kept} | {edit} | {label} | {len(group)} | {kind} {wrong}/{len(group)} = {wrong / len(group):.1%} "
                f"| {named} | {statistics.median(cpu):.0f} · {max(cpu):.0f} |"
            )
        on = [r for r in mine if r["label"] == "on"]
        off = [r for r in mine if r["label"] == "off"]
        fr = sum(1 for r in on if r["rejected"])
        fa = sum(1 for r in off if not r["rejected"])
        print(f"| {kept} | **all** | | {len(mine)} | false reject {fr}/{len(on)}, false accept {fa}/{len(off)} | | |")


def margins(rows: Sequence[dict[str, Any]]) -> None:
    """How far the detection thresholds sit from what these photographs score, per provenance: the lowest score of
    a logo found where it was drawn unedited (on brand) by each method against the bar it had to clear, the lowest
    coarse score of any case whose logo was found (the early exit skips the search below ``COARSE_EXIT_SCORE``), and
    the best any search reached on the removed-logo ads (coarse, and the fine template search where it ran)."""
    from brandkit.checks.logo.constants import COARSE_EXIT_SCORE, ORB_VERIFY_MIN, TEMPLATE_THRESHOLD

    try:  # a tree from before the part test (PYTHONPATH): its rows carry no part scores
        from brandkit.checks.logo.constants import TEMPLATE_PART_MIN
    except ImportError:
        TEMPLATE_PART_MIN = 0.3
    try:  # a tree from before the recolour rule: its rows carry no colour reading
        from brandkit.checks.logo.constants import LOGO_RECOLOUR_DE
    except ImportError:
        LOGO_RECOLOUR_DE = 16.0

    bars = {"orb": ORB_VERIFY_MIN, "orb-upsampled": ORB_VERIFY_MIN}
    print()
    print("| provenance | reading | cases | lowest / highest score | bar | margin |")
    print("|---|---|---|---|---|---|")
    for kept in dict.fromkeys(r.get("provenance", "kept") for r in rows):
        mine = [r for r in rows if r.get("provenance", "kept") == kept]
        drawn = [r for r in mine if r["label"] == "on" and r.get("score") is not None]
        for method in sorted({str(r["method"]) for r in drawn}):
            scores = [float(r["score"]) for r in drawn if str(r["method"]) == method]
            bar = bars.get(method, TEMPLATE_THRESHOLD)
            low = min(scores)
            print(
                f"| {kept} | on brand, found by {method}: lowest | {len(scores)} | {low:.3f} | {bar} | "
                f"{low - bar:+.3f} |"
            )
        for label, what in (
            ("on", "on brand (an early exit: a false reject)"),
            ("off", "an edit (an early exit: named not found instead)"),
        ):
            found = [r for r in mine if r["label"] == label and r.get("found") and r.get("coarse_best") is not None]
            if found:
                low = min(float(r["coarse_best"]) for r in found)
                print(
                    f"| {kept} | logo found after the coarse search, {what}: lowest coarse score | {len(found)} | "
                    f"{low:.3f} | {COARSE_EXIT_SCORE} | {low - COARSE_EXIT_SCORE:+.3f} |"
                )
        for values, bar, lowest, what in (
            (
                [r.get("orb_refused_best") for r in mine],
                ORB_VERIFY_MIN,
                False,
                "an ORB reading refused by its verification (features agree, pixels do not): highest score",
            ),
            ([r.get("weakest_part") for r in drawn], TEMPLATE_PART_MIN, True, "on brand, found by template: lowest "
             "weakest part"),
            ([r.get("parts_refused_best") for r in mine], TEMPLATE_PART_MIN, False, "a template reading refused by "
             "its parts (a blob matching part of the logo): highest weakest part"),
            ([r.get("colour_worst") for r in mine if r["label"] == "on"], LOGO_RECOLOUR_DE, False, "on brand, found: "
             "highest colour ΔE00 (a colour's median or the whole logo's upper quartile)"),
            ([r.get("colour_worst") for r in mine if r["edit"].startswith("recoloured")], LOGO_RECOLOUR_DE, True,
             "recoloured, found: lowest colour ΔE00"),
        ):  # fmt: skip
            _bar_row(kept, what, [float(v) for v in values if v is not None], bar, lowest)
        removed = [r for r in mine if r["edit"] == "removed"]
        for key, bar, what in (
            ("coarse_best", COARSE_EXIT_SCORE, "coarse"),
            ("template_best", TEMPLATE_THRESHOLD, "fine template"),
        ):
            scores = [float(r[key]) for r in removed if r.get(key) is not None]
            if scores:
                high = max(scores)
                exits = sum(1 for value in scores if value < COARSE_EXIT_SCORE) if key == "coarse_best" else None
                said = f" ({exits} exit early)" if exits is not None else " (the part test decides after it)"
                # below the early exit's bar a removed logo's search ends sooner: a cost, not an error — no margin
                margin = "—" if key == "coarse_best" else f"{bar - high:+.3f}"
                print(
                    f"| {kept} | logo removed: highest {what} score{said} | {len(scores)} | {high:.3f} | {bar} | "
                    f"{margin} |"
                )


def _bar_row(kept: str, what: str, values: Sequence[float], bar: float, lowest: bool) -> None:
    """One margins row: the lowest (``lowest``) or highest of ``values`` against ``bar`` — none when empty."""
    if values:
        value = min(values) if lowest else max(values)
        margin = value - bar if lowest else bar - value
        print(f"| {kept} | {what} | {len(values)} | {value:.3f} | {bar} | {margin:+.3f} |")


def main(argv: Sequence[str] | None = None) -> int:
    """Build the edits, check them, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_logo_rules", description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=None, help="folder of the rendered gate corpus")
    parser.add_argument("--json", type=Path, default=None, help="write every case here")
    parser.add_argument(
        "--provenance",
        choices=("kept", "stripped", "both"),
        default="kept",
        help="check each edited file with its provenance (as generated ads are validated), without it (as an "
        "audit of an existing library reads files), or both",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="enlarge every edited ad this many times before checking it (a print export, a large banner)",
    )
    parser.add_argument(
        "--variant",
        default=None,
        help="make every edit with this logo variant instead of the layout's (e.g. 'mono'), on the ads whose layout "
        "chose a variant for a light ground",
    )
    parser.add_argument(
        "--edits",
        default="",
        help="comma-separated edits to check, by the start of their name (e.g. 'as drawn,crowded'; default: all)",
    )
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.edits.split(",") if name.strip()]
    from benchmarks._measure import code_from_pythonpath, measure

    code_from_pythonpath(ROOT)  # another tree's code when PYTHONPATH names one (see its docstring)
    import brandkit

    with measure() as span:
        kept = ("kept", "stripped") if args.provenance == "both" else (args.provenance,)
        rows = run(args.json, args.cache, kept, args.scale, only, args.variant)
    scaled = f" · every ad enlarged {args.scale:g}×" if args.scale != 1.0 else ""
    scaled += f" · every logo the {args.variant!r} variant" if args.variant else ""
    print(f"tree {Path(brandkit.__file__).resolve().parents[1]} · {len(rows)} cases{scaled} · {span.row()}")
    print()
    report(rows)
    margins(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
