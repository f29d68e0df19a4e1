"""The standalone HTML verification report, in a real browser (Debian's Chromium driven by Playwright).

An ad made by the local renderer, with a deliberate off-palette patch painted into its copy panel, is verified
against its request; the page is opened from a file (no server, no network) and the heat map overlay must be
displayed, decode, and be red exactly where the patch is. With ``BRANDKIT_SCREENSHOTS=1`` the screenshot is
copied to ``docs/img/verification-report.png`` (otherwise it stays in the test's temporary folder):

    BRANDKIT_SCREENSHOTS=1 .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_evidence_html.py
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, sync_playwright

import brandkit
from brandkit.atomic import atomic_write
from brandkit.checks.contrast import ContrastCheck
from brandkit.checks.logo import LogoCheck
from brandkit.checks.palette import PaletteCheck
from brandkit.checks.text import TextCheck
from brandkit.evidence import VerificationReport, build_verification, render_html, verify, write_report
from brandkit.models import AssetRequest, CheckResult, CheckStatus, ValidationReport

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS_ENV = "BRANDKIT_SCREENSHOTS"
PATCH = (60, 615, 860, 895)  # in the copy panel of the landscape layout (a brand zone), between CTA and legal line
REQUEST = AssetRequest(
    brief="a cup of coffee", headline="Slow mornings, bright roasts", cta="Order now", format="landscape"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: run scripts/install-system-deps"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def patched() -> tuple[bytes, VerificationReport]:
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    maker = brandkit.BrandKit(spec, provider="local", moderator=None, checks=["technical"], signer=None)
    image = Image.open(io.BytesIO(maker.generate(REQUEST).data)).convert("RGB")
    ImageDraw.Draw(image).rectangle((PATCH[0], PATCH[1], PATCH[2] - 1, PATCH[3] - 1), fill=(20, 200, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    data = out.getvalue()
    checks = [PaletteCheck(), TextCheck(), LogoCheck(), ContrastCheck()]
    kit = brandkit.BrandKit(spec, provider="local", moderator=None, checks=checks, signer=None)
    return data, verify(kit, data, request=REQUEST)


_RED_PIXELS = """
([x0, y0, x1, y1]) => {
  const img = document.getElementById("overlay-heatmap");
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let inside = 0, outside = 0;
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      const i = 4 * (y * canvas.width + x);
      const red = data[i + 3] > 0 && data[i] > 200 && data[i + 2] < 60;
      if (!red) continue;
      if (x >= x0 && x < x1 && y >= y0 && y < y1) inside++; else outside++;
    }
  }
  return {inside, outside, width: img.naturalWidth, height: img.naturalHeight};
}
"""


def test_the_report_shows_the_heat_map_over_the_image(
    browser: Browser, patched: tuple[bytes, VerificationReport], tmp_path: Path
) -> None:
    data, report = patched
    palette = report.checks["palette"]
    assert palette.status == "failed" and palette.severity == "major"  # the patch breaks brand-zone coverage
    page_file = write_report(report, tmp_path / "report.html", data)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(page_file.as_uri())
        page.wait_for_function("() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        overlay = page.locator("#overlay-heatmap")
        assert overlay.is_visible()
        box = overlay.bounding_box()
        image_box = page.locator("#image").bounding_box()
        assert box is not None and image_box is not None
        assert abs(box["width"] - image_box["width"]) < 1 and abs(box["height"] - image_box["height"]) < 1
        counts = page.evaluate(_RED_PIXELS, list(PATCH))
        assert (counts["width"], counts["height"]) == (report.image.width, report.image.height)
        patch_area = (PATCH[2] - PATCH[0]) * (PATCH[3] - PATCH[1])
        assert counts["inside"] == patch_area  # every pixel of the patch is red on the overlay
        assert counts["outside"] < 0.05 * patch_area  # and very little else (anti-aliased glyph edges)

        toggle = page.locator("input[data-target='overlay-heatmap']")
        toggle.uncheck()
        assert not overlay.is_visible()
        toggle.check()
        assert overlay.is_visible()
        contrast_layer = page.locator("#layer-contrast")
        assert not contrast_layer.is_visible()
        page.locator("input[data-layer='layer-contrast']").check()
        assert page.locator(".contrast-box").count() >= 3

        assert page.locator(".ocr-box").count() >= 3
        assert page.locator("#logo-box").count() == 1 and page.locator("#logo-clear-space").count() == 1
        logo_text = page.locator("#logo-evidence").inner_text()
        assert "on a light ground #" in logo_text and "(made for light grounds)" in logo_text  # the ground read
        findings = page.locator("#findings").inner_text()
        assert "palette" in findings and "major" in findings
        assert page.locator("#verdict").inner_text().strip() == "fail"
        shown = page.locator("#score").inner_text().strip()
        assert report.score.value is not None and shown == f"{round(report.score.value * 100, 1)}%"

        # nothing wider than the window at the widths people read it at: the long notes wrap in their column
        for width in (1400, 1200, 1024):
            page.set_viewport_size({"width": width, "height": 1000})
            overflow = page.evaluate(
                """() => [document.documentElement.scrollWidth - window.innerWidth,
                    ...Array.from(document.querySelectorAll("section")).map(s => s.scrollWidth - s.clientWidth)]"""
            )
            assert max(overflow) <= 1, (width, overflow)
        page.set_viewport_size({"width": 1400, "height": 1000})

        shot = tmp_path / "verification-report.png"
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(shot), full_page=True)
        with Image.open(shot) as image:
            assert image.width >= 1000 and image.height >= 600
        if os.environ.get(SCREENSHOTS_ENV) == "1":
            atomic_write(ROOT / "docs" / "img" / "verification-report.png", shot.read_bytes())
    finally:
        page.close()


def test_the_page_is_standalone_and_escapes_what_the_image_says() -> None:
    """Every resource is a data URL (works offline), and OCR text is data, never markup."""
    spec = brandkit.load_spec(ROOT / "brand_specs" / "northwind")
    image = Image.new("RGB", (120, 80), (243, 233, 220))
    out = io.BytesIO()
    image.save(out, "PNG")
    hostile = '<script>alert("x")</script>'
    text = CheckResult(
        name="text",
        status=CheckStatus.failed,
        details={
            "ocr_lines": [{"text": hostile, "box": [1, 2, 60, 20], "confidence": 0.9}],
            "strings": {"headline": {"expected": "Hello", "found": False, "rendered": hostile, "difference": "words"}},
        },
        hint="the headline must read exactly 'Hello'",
    )
    report = ValidationReport(checks={"text": text}, spec_name=spec.name)
    html = render_html(build_verification(spec, out.getvalue(), report), out.getvalue())
    assert hostile not in html and "&lt;script&gt;alert(" in html
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', html)
    assert sources and all(s.startswith("data:") for s in sources)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)
