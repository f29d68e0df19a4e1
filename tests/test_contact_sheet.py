"""The contact sheet renders offline in a real browser (headless Chromium): one card per variant, grouped
by spec and axis, check badges, palette swatches, failure reasons and the run summary.

The run is the demo plan's 24 variants with a journal written through the real :class:`Journal` API
(20 accepted, 3 rejected, 1 cut short by a crash) and small real images, so no generation is needed.
Chromium comes from Debian (``scripts/install-system-deps``).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from brandkit.models import CheckResult, CheckStatus, ValidationReport
from brandkit.variants import Journal, expand_plan, read_journal, replay, write_reports
from brandkit.variants.report import report_summary
from brandkit.variants.thumbnails import make_thumbnail

ROOT = Path(__file__).resolve().parents[1]
THUMB_RGB = (0, 170, 120)
REASON = "palette: keep to the brand palette: only 61% of the image is within ΔE 10 of it (needs 85%)"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        pytest.fail("headless Chromium is missing: run scripts/install-system-deps (apt-get install chromium)")
    return found


def _browser(tmp_path: Path, page: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *mode,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=True)


def _report(passed: bool) -> ValidationReport:
    palette = CheckResult(
        name="palette",
        status=CheckStatus.passed if passed else CheckStatus.failed,
        score=0.97 if passed else 0.61,
        details={
            "coverage": 0.97 if passed else 0.61,
            "min_coverage": 0.85,
            "colors": [
                {"name": "Roast Brown", "hex": "#4B2E2A", "share": 0.05},
                {"name": "Crema", "hex": "#F3E9DC", "share": 0.8},
                {"name": "Ember Orange", "hex": "#E07A2E", "share": 0.12},
            ],
            "dominant": [{"hex": "#F3E9DC", "share": 0.8, "on_palette": True}],
        },
        hint=None if passed else REASON.removeprefix("palette: "),
        policy="regenerate",
    )
    text = CheckResult(name="text", status=CheckStatus.passed)
    return ValidationReport(checks={"palette": palette, "text": text})


def _fake_run(out: Path) -> dict[str, Any]:
    plan = expand_plan(ROOT / "plans" / "demo-24.yaml")
    with Journal(out / "journal.jsonl") as journal:
        journal.append("run_started", plan=plan.plan.name, variants=len(plan))
        journal.append_many({"ts": time.time(), "event": "planned", "key": v.key} for v in plan.variants)
        for i, variant in enumerate(plan.variants):
            journal.append("started", key=variant.key)
            if i == 23:
                continue  # the process died here
            image = Image.new("RGB", (96, 96), THUMB_RGB)
            rel = f"{variant.name}.png"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            image.save(out / rel)
            thumb = f"thumbs/{variant.key[:16]}.jpg"
            make_thumbnail((out / rel).read_bytes(), out / thumb)
            if i in (5, 11, 17):
                journal.append(
                    "failed",
                    key=variant.key,
                    kind="checks",
                    reason=REASON,
                    cost_usd=0.1,
                    attempts=3,
                    files={"rejected": rel, "thumb": thumb},
                    report=report_summary(_report(False)),
                )
            else:
                journal.append(
                    "succeeded",
                    key=variant.key,
                    files={"image": rel, "sidecar": rel + ".json", "thumb": thumb},
                    cost_usd=0.05,
                    attempts=1 + (i % 2),
                    attempt=1 + (i % 2),
                    report=report_summary(_report(True)),
                )
    records, skipped = read_journal(out / "journal.jsonl")
    return write_reports(plan, out, replay(records, skipped), provider="openai")


class _Dom(HTMLParser):
    """Collects elements by class, the text of each stat, and every resource URL."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: dict[str, int] = {}
        self.stats: dict[str, str] = {}
        self.reasons: list[str] = []
        self.urls: list[str] = []
        self.cards: list[dict[str, str]] = []
        self._stat: str | None = None
        self._in_reason = False
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        for name in attributes.get("class", "").split():
            self.classes[name] = self.classes.get(name, 0) + 1
        if "data-stat" in attributes:
            self._stat = attributes["data-stat"]
        if tag == "b" and self._stat:
            self.stats[self._stat] = ""
        if tag == "p" and "reason" in attributes.get("class", ""):
            self._in_reason = True
            self.reasons.append("")
        if tag == "figure":
            self.cards.append(attributes)
        for key in ("src", "href"):
            if key in attributes:
                self.urls.append(attributes[key])

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self._stat = None
        if tag == "p":
            self._in_reason = False

    def handle_data(self, data: str) -> None:
        if self._stat and self._stat in self.stats and not self.stats[self._stat]:
            self.stats[self._stat] = data.strip()
        if self._in_reason:
            self.reasons[-1] += data


def test_contact_sheet_renders_offline_in_chromium(tmp_path: Path) -> None:
    out = tmp_path / "run"
    manifest = _fake_run(out)
    summary = manifest["summary"]
    assert (summary["succeeded"], summary["failed"], summary["not_made"]) == (20, 3, 1)
    page = out / "index.html"

    dom = _Dom()
    dom.feed(_browser(tmp_path, page, "--dump-dom").stdout)
    assert len(dom.cards) == 24
    assert dom.classes["card"] == 24 and dom.classes["succeeded"] >= 20
    assert sum(1 for c in dom.cards if c["data-status"] == "failed") == 3
    assert sum(1 for c in dom.cards if c["data-status"] == "interrupted") == 1
    assert dom.stats["pass-rate"] == "87.0%"  # 20 accepted of 23 attempted
    assert dom.stats["accepted"] == "20/24"
    # accepted: 12 at the first attempt, 8 at the second; rejected: 3 × 3 attempts
    assert dom.stats["attempts-per-accepted"] == f"{(12 * 1 + 8 * 2 + 3 * 3) / 20:.2f}" == "1.85"
    assert dom.stats["spend"] == "$1.30"
    assert sum(REASON in text for text in dom.reasons) == 3
    assert dom.classes["spec"] == 2 and dom.classes["group"] == 6  # 2 brands × 3 headlines
    assert dom.classes["badge"] == 2 * 23 and dom.classes["swatches"] == 23
    assert dom.classes["sw"] == 3 * 23
    # offline: no script, no stylesheet link, every resource is a relative file that exists
    assert "script" not in dom.tags and "link" not in dom.tags
    for url in dom.urls:
        assert "://" not in url and not url.startswith("//"), url
        assert (out / url).is_file(), url

    shot = tmp_path / "sheet.png"
    _browser(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,1400", "--hide-scrollbars")
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    thumb_pixels = int(np.count_nonzero(np.all(np.abs(pixels - np.array(THUMB_RGB)) <= 12, axis=-1)))
    assert thumb_pixels > 50_000, "the thumbnails did not load from disk"


def test_a_thumbnail_shows_transparency_as_a_checkerboard_and_keeps_the_colour_profile(tmp_path: Path) -> None:
    """Converted to RGB, a cut-out's transparent pixels showed whatever colour was hidden under them (here magenta),
    so the sheet could not tell a cut-out from an opaque ad; and the thumbnail dropped the image's ICC profile."""
    import io

    from tests.support.icc import display_p3

    pixels = np.zeros((400, 400, 4), np.uint8)
    pixels[..., :3] = (255, 0, 255)  # hidden under alpha 0
    pixels[100:300, 100:300] = (0, 170, 120, 255)
    source = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(source, "PNG", icc_profile=display_p3())
    make_thumbnail(source.getvalue(), tmp_path / "t.jpg", size=200)
    with Image.open(tmp_path / "t.jpg") as thumb:
        assert thumb.size == (200, 200) and thumb.info.get("icc_profile") == display_p3()
        seen = np.asarray(thumb.convert("RGB")).astype(int)
    corner = seen[:40, :40]
    assert not ((corner[..., 0] > 200) & (corner[..., 1] < 80)).any()  # no magenta
    assert {int(v) for v in np.unique(corner[..., 1] // 20)} >= {10, 12}  # two greys: the board (214, 255)
    assert abs(seen[100, 100] - (0, 170, 120)).max() < 12  # the opaque middle as it is
