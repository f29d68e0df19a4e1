"""The text check's I/l rule, measured on the shipped brands' photo ads: false rejects of correct copy, false accepts
of copy with a typo.

Run from the project root::

    python -m benchmarks.bench_text_alike              # 3 brands × 2 formats: 84 correct ads, 60 with a typo (~1 min)
    python -m benchmarks.bench_text_alike --json out.json

Each ad is made by the local renderer (the brand's own photograph for the brief, the copy drawn in the brand font),
one attempt, and judged by the text check as ``brandkit validate`` judges a file with ``--headline``:

* **correct copy** (labelled on-brand): headlines with a capital I or a lowercase l beside others ("Built with
  AI", "IT support that listens", "Local milk only", "Slow mornings, bright roasts"); a rejection is a false reject;
* **typos** (labelled off-brand): the ad drawn with a headline one edit off the ordered one — a missing, changed or
  extra letter, a digit for a letter, a dropped word — and judged against the ordered one; an acceptance is a false
  accept. Apart from them, **I/l swaps** ("Al" drawn for "AI"): accepted by the rule, by design — in sans-serif
  type the two are one vertical stroke, and no reader sees a difference; counted on their own line.

The **previous rule** is the same check's decision without the I/l rule (a string that passed only as ``alike``
is counted as failed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import brandkit
from brandkit.errors import BrandViolationError
from brandkit.kit_args import UncheckedWarning

BRANDS = ("northwind", "lumen-health", "ubuntu")
FORMATS = ("square", "landscape")
CORRECT = (
    "AI helps, people decide", "Built with AI", "Meet AI Studio", "Your AI coach", "IT support that listens",
    "Iced latte season", "Illustrated by our team", "I love mornings", "Slow mornings, bright roasts",
    "All day long", "Local milk only", "Lila loves lilies", "Hello world", "Fill it up",
)  # fmt: skip
TYPOS = (  # (ordered, drawn): one edit off — never an I/l swap
    ("Built with AI", "Built with A1"), ("Your AI coach", "Your A coach"), ("Meet AI Studio", "Meet AI Stuido"),
    ("Slow mornings, bright roasts", "Slow mornings, bright roast"), ("Iced latte season", "Iced late season"),
    ("All day long", "Al day long"), ("Local milk only", "Lokal milk only"), ("Hello world", "Hello wor1d"),
    ("Fill it up", "Fil it up"), ("I love mornings", "I love morning"),
)  # fmt: skip
SWAPS = (("Built with AI", "Built with Al"), ("Your AI coach", "Your Al coach"), ("Fill it up", "FiIl it up"))
BRIEF = "A person at work, seen in the brand's own photography"


def _text(report: brandkit.ValidationReport) -> tuple[bool, bool]:
    """(passed now, passed under the previous rule) of a report's text check."""
    result = report.checks["text"]
    strings = result.details.get("strings", {})
    alike = any(s.get("alike") for s in strings.values() if isinstance(s, dict))
    passed = result.status.value == "passed"
    return passed, passed and not alike


def _drawn(kit: brandkit.BrandKit, headline: str, fmt: str) -> bytes:
    try:
        return kit.generate({"brief": BRIEF, "headline": headline, "format": fmt}).data
    except BrandViolationError as exc:  # the drawing is what is judged, whatever the checks said of it
        assert exc.asset is not None
        return exc.asset.data


def run() -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for brand in BRANDS:
        with warnings.catch_warnings():  # the maker draws only: checks=[] is meant
            warnings.simplefilter("ignore", UncheckedWarning)
            maker = brandkit.BrandKit(f"brand_specs/{brand}", provider="local", checks=[], max_attempts=1)
        judge = brandkit.BrandKit(f"brand_specs/{brand}", provider="local", checks=["text"])
        for fmt in FORMATS:
            cases = [("correct", h, h) for h in CORRECT] + [("typo", o, d) for o, d in TYPOS]
            cases += [("swap", o, d) for o, d in SWAPS]
            for kind, ordered, drawn in cases:
                image = _drawn(maker, drawn, fmt)
                now, before = _text(judge.validate(image, {"brief": BRIEF, "headline": ordered, "format": fmt}))
                rows.append({"brand": brand, "format": fmt, "kind": kind, "ordered": ordered, "drawn": drawn,
                             "passed": now, "passed_previous_rule": before})  # fmt: skip
    return {"rows": rows, "seconds": round(time.perf_counter() - started, 1)}


def _rate(rows: list[dict[str, Any]], kind: str, key: str, want: bool) -> str:
    cases = [r for r in rows if r["kind"] == kind]
    wrong = sum(1 for r in cases if r[key] is not want)
    return f"{wrong}/{len(cases)} = {wrong / len(cases):.1%}" if cases else "—"


def table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    lines = [
        "| | now | previous rule |",
        "|---|---|---|",
        f"| false reject (correct copy rejected) | {_rate(rows, 'correct', 'passed', True)} | "
        f"{_rate(rows, 'correct', 'passed_previous_rule', True)} |",
        f"| false accept (a typo accepted) | {_rate(rows, 'typo', 'passed', False)} | "
        f"{_rate(rows, 'typo', 'passed_previous_rule', False)} |",
        f"| I/l swaps accepted (by design) | {_rate(rows, 'swap', 'passed', False)} | "
        f"{_rate(rows, 'swap', 'passed_previous_rule', False)} |",
    ]
    missed = [r for r in rows if r["kind"] == "correct" and not r["passed"]]
    missed += [r for r in rows if r["kind"] == "typo" and r["passed"]]
    for r in missed:
        lines.append(
            f"\n- wrong now: {r['brand']} {r['format']} {r['kind']}: ordered {r['ordered']!r}, drawn {r['drawn']!r}"
        )
    lines.append(f"\n{len(rows)} ads, {result['seconds']} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_text_alike", description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    result = run()
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
