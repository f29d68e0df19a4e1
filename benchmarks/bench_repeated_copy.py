"""The text check's rule for copy read a second time, measured on real-photo ads edited into other formats.

Run from the project root::

    python -m benchmarks.bench_repeated_copy            # every on-brand composed ad of the gate corpus (~2 min)
    python -m benchmarks.bench_repeated_copy --json out.json

Each on-brand ad of the gate corpus (``tests/data/gate_corpus.yaml``: the brands' real photographs composed by
brandkit, with provenance) — with its copy (headline, subhead, CTA) and again made with a headline and CTA only
(the same brief, photograph and format) — is edited into every other format of its brand, two ways:

* **leftover copy** (labelled off-brand): the whole ad fitted to the new canvas (resized, or cover-cropped at its
  centre) and the copy drawn again over the new layout's copy panel — what the local renderer did before it
  recomposed such edits, and what a model's edit into a new format can leave: pieces of the old headline, CTA or
  legal line beside the new ones;
* **recomposed** (labelled on-brand): ``BrandKit.edit(…, format=…)`` with the local renderer as it is now (the
  ad's photograph the hero of the new layout, copy and logo drawn again).

Every image is checked as ``brandkit validate`` checks a file: a leftover image (no provenance) with the copy and
format given (``--headline … --format …``), a recomposed one from its provenance. A leftover image is judged as a
file, without the pipeline's fixes (in an edit, the logo fix repaints the logo's zone, so the logo check no longer
sees the misplaced one). The text check decides; the **previous rule** is the same check's
result without the repeated-copy rule (a string not found, a forbidden term). Printed: false-reject rate
(recomposed images blocked) and false-accept rate (leftover images passed), now and with the previous rule, and
the leftover cases the rule missed; and every check's decision (``validate``'s). The gate corpus's own text-check
figures (``bench_gates --checks text``) are the false-reject rate on unedited ads, foreign copies and bare
photographs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import brandkit
from brandkit.compile import compile_edit
from brandkit.compose import draw_copy, zone_color
from brandkit.edit_mask import fitted
from brandkit.imageio import encode_image, load_image
from brandkit.models import AssetRequest, CheckResult, EditRequest
from tests.support.gate_corpus import GateCase, load_cases, render_all
from tests.support.old_copy import KeepsOldHeadline


def leftover(spec: brandkit.BrandSpec, data: bytes, wanted: AssetRequest) -> bytes:
    """``data`` (an ad) fitted whole into ``wanted``'s format with its copy drawn again over the copy panel only."""
    edit = EditRequest(
        instruction="the same ad in another format",
        format=wanted.format,
        headline=wanted.headline,
        subhead=wanted.subhead,
        cta=wanted.cta,
    )
    prompt = compile_edit(spec, edit, data)
    image = fitted(load_image(data).convert("RGB"), (prompt.width, prompt.height))
    layout = prompt.layout
    draw_copy(image, spec, layout, prompt.copy_block, repaint=zone_color(image, spec, layout.copy_box))
    return encode_image(image, "png", None)


def copy_edits(cases: Sequence[GateCase], files: dict[str, Path]) -> list[dict[str, Any]]:
    """Each ad's headline changed by an edit: the local renderer's (labelled on-brand: the copy area repainted)
    and one that keeps the old headline (labelled off); the text check of the edit flow decides (no repair)."""
    rows: list[dict[str, Any]] = []
    for case in cases:
        spec = brandkit.load_spec(Path("brand_specs") / case.brand)
        data = files[case.id].read_bytes()
        made = brandkit.BrandKit(spec, provider="local", checks=["text"])
        source = made.validate(data).checks["text"]
        box = next(
            (line["box"] for line in source.details.get("ocr_lines", []) if case.headline.startswith(line["text"])),
            None,
        )
        if box is None:
            continue
        for label, provider in (("on", "local"), ("off", KeepsOldHeadline(spec, data, tuple(box)))):
            kit = brandkit.BrandKit(spec, provider=provider, checks=["text"], max_attempts=1)
            try:
                text = kit.edit(data, "a new headline", headline="A brand new headline").report.checks["text"]
            except brandkit.BrandViolationError as failed:
                assert failed.report is not None
                text = failed.report.checks["text"]
            rows.append(
                {
                    "case": case.id,
                    "label": label,
                    "now": "reject" if text.status.value in ("failed", "not_checked") else "accept",
                    "previous": "reject" if previous_blocks(text) else "accept",
                    "old_copy": text.details.get("old_copy", []),
                }
            )
    return rows


def previous_blocks(result: CheckResult) -> bool:
    """The text check's decision without the repeated-copy rule: a string not found, a forbidden term, no OCR."""
    if result.status.value == "not_checked":
        return True
    details = result.details
    missing = any(s.get("found") is False for s in details.get("strings", {}).values())
    return missing or bool(details.get("forbidden"))


def request_of(case: GateCase, subhead: bool, fmt: str) -> AssetRequest:
    """The case's request in ``fmt``: its copy, or (``subhead=False``) its headline and CTA only."""
    return AssetRequest(
        brief=case.brief,
        headline=case.headline,
        subhead=(case.subhead or None) if subhead else None,
        cta=case.cta or None,
        format=fmt,
        seed=case.seed,
        background=case.background,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, help="also write every image's decision here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    cases = [c for c in load_cases() if c.label == "on" and c.kind == "composed" and c.has_layout]
    files = render_all(cases)
    rows: list[dict[str, Any]] = []
    kits: dict[str, brandkit.BrandKit] = {}
    editors: dict[str, brandkit.BrandKit] = {}  # the edits are made checking the text only: every check judges after
    for case in cases:
        if case.brand not in kits:
            spec = brandkit.load_spec(Path("brand_specs") / case.brand)
            kits[case.brand] = brandkit.BrandKit(spec, provider="local")
            editors[case.brand] = brandkit.BrandKit(spec, provider="local", checks=["text"])
        kit = kits[case.brand]
        ads = {"full copy": files[case.id].read_bytes()}
        ads["headline and CTA"] = kit.generate(request_of(case, False, case.format)).data
        for copy, data in ads.items():
            for target in kit.spec.formats:
                if target == case.format:
                    continue
                wanted = request_of(case, copy == "full copy", target)
                for label, image in (
                    ("off", leftover(kit.spec, data, wanted)),
                    ("on", editors[case.brand].edit(data, "the same ad in another format", format=target).data),
                ):
                    # a leftover file (no provenance) as `validate --headline … --format …` checks it; a recomposed
                    # asset from its provenance, as `validate` checks brandkit's own files
                    report = kit.validate(image, request=wanted) if label == "off" else kit.validate(image)
                    result = report.checks["text"]
                    rows.append(
                        {
                            "case": case.id,
                            "copy": copy,
                            "format": target,
                            "label": label,
                            "now": "reject" if result.status.value in ("failed", "not_checked") else "accept",
                            "previous": "reject" if previous_blocks(result) else "accept",
                            "all checks": "accept" if report.passed else "reject",
                            "failed": [r.name for r in report.failures],
                            "repeated_copy": result.details.get("repeated_copy", []),
                            "hint": result.hint,
                        }
                    )
        print(f"  {len(rows)} images checked ({time.monotonic() - started:.0f} s)", file=sys.stderr)

    def rate(label: str, rule: str, wrong: str, copy: str | None) -> str:
        mine = [r for r in rows if r["label"] == label and copy in (None, r["copy"])]
        bad = sum(1 for r in mine if r[rule] == wrong)
        return f"{bad}/{len(mine)} = {bad / len(mine):.1%}" if mine else "-"

    print("\n### The text check on ads edited into another format (real photographs, every brand)\n")
    print("| copy | rule | false reject (recomposed blocked) | false accept (leftover passed) |")
    print("|---|---|---|---|")
    for copy in ("full copy", "headline and CTA", None):
        rules = (
            ("now", "text, now (repeated copy fails)"),
            ("previous", "text, previous (missing copy only)"),
            ("all checks", "every check, now"),
        )
        for rule, name in rules:
            on, off = rate("on", rule, "reject", copy), rate("off", rule, "accept", copy)
            print(f"| {copy or 'all'} | {name} | {on} | {off} |")
    missed = [r for r in rows if r["label"] == "off" and r["now"] == "accept"]
    if missed:
        print("\nLeftover copy the rule let through:")
        for r in missed:
            print(f"  {r['case']} ({r['copy']}) → {r['format']}")
    blocked = [r for r in rows if r["label"] == "on" and r["all checks"] == "reject"]
    for r in blocked:
        print(f"  recomposed, blocked: {r['case']} ({r['copy']}) → {r['format']}: {', '.join(r['failed'])}")
    edits = copy_edits(cases, files)
    print("\n### The text check on headline edits that keep the old headline (the same ads)\n")
    print("| rule | false reject (local edit blocked) | false accept (old headline kept, passed) |")
    print("|---|---|---|")
    for rule, name in (("now", "text, now (old copy fails)"), ("previous", "text, previous")):
        on = [r for r in edits if r["label"] == "on"]
        off = [r for r in edits if r["label"] == "off"]
        fr = sum(1 for r in on if r[rule] == "reject")
        fa = sum(1 for r in off if r[rule] == "accept")
        print(f"| {name} | {fr}/{len(on)} | {fa}/{len(off)} |")
    print(f"\n{len(rows) + len(edits)} images, {time.monotonic() - started:.0f} s")
    if args.json:
        document = {"formats": rows, "copy_edits": edits}
        args.json.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
