"""The review web page in a real browser: Debian's Chromium driven by Playwright, against a real uvicorn server
on a free loopback port and a registry filled by a real offline run (see ``test_review_web.py``).

Covers: the queue renders the run's assets (thumbnails decoded by the browser, badges, swatches, reasons),
approve and reject with the keyboard and with the mouse, request changes making a linked new attempt, a browser
without the token refused, forged cross-site POSTs refused. With ``BRANDKIT_SCREENSHOTS=1`` the queue and report
screenshots are copied into ``docs/img/`` (otherwise they stay in the test's temporary folder, so a read-only
clone passes).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from brandkit.atomic import atomic_write
from brandkit.registry.models import AssetRow, Metrics, ReviewState
from brandkit.registry.store import Registry
from brandkit.review_web import charts
from tests.test_review_web import Running, events_of, made, served

__all__ = ["made", "served"]  # fixtures shared with the HTTP tests

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS_ENV = "BRANDKIT_SCREENSHOTS"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: run scripts/install-system-deps"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


def open_page(browser: Browser, srv: Running, path: str = "", reviewer: str | None = None) -> Page:
    """A fresh browser context signed in with the start URL, on ``path``."""
    page = browser.new_context(viewport={"width": 1360, "height": 960}).new_page()
    page.set_default_timeout(60_000)
    response = page.goto(srv.start_url)
    assert response is not None and response.ok
    assert "token=" not in page.url
    if path:
        page.goto(srv.base + path.lstrip("/"))
    if reviewer is not None:
        page.fill("#reviewer", reviewer)
        page.evaluate("document.activeElement.blur()")
    return page


def wait_for_images(page: Page) -> None:
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")


def selected_id(page: Page) -> int:
    return int(page.get_attribute(".decidable.selected", "data-id") or "0")


def keep_screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """Screenshot into the test's folder; copied to ``docs/img/`` when ``BRANDKIT_SCREENSHOTS=1``."""
    shot = tmp_path / name
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(shot), full_page=True)
    with Image.open(shot) as image:
        assert image.width >= 1000 and image.height >= 600
    if os.environ.get(SCREENSHOTS_ENV) == "1":
        atomic_write(ROOT / "docs" / "img" / name, shot.read_bytes())
    return shot


def test_the_queue_renders_the_run_s_real_assets(browser: Browser, served: tuple[Running, list[AssetRow]]) -> None:
    srv, rows = served
    page = open_page(browser, srv)
    wait_for_images(page)
    cards = page.locator("article.card")
    assert cards.count() == len(rows)
    assert [int(cards.nth(i).get_attribute("data-id") or 0) for i in range(cards.count())] == [
        r.id for r in reversed(rows)
    ]
    for row in rows:
        card = page.locator(f"#asset-{row.id}")
        size = card.locator("img.thumb").evaluate("i => [i.naturalWidth, i.naturalHeight]")
        assert max(size) == 360
        badges = card.locator("ul.badges li").all_inner_texts()
        assert badges == [  # a failure that did not block (warn policy) says so
            f"{name}: {status}{' (warn)' if status == 'failed' and name not in row.blocking else ''}"
            for name, status in row.checks.items()
        ]
        assert card.locator("svg.swatches rect").count() == len(row.palette) > 0
    off = rows[-1]
    reasons = page.locator(f"#asset-{off.id} ul.reasons li")
    assert reasons.evaluate_all("ls => ls.map(l => l.textContent)") == off.failing_reasons
    assert reasons.evaluate_all("ls => ls.map(l => l.title)") == off.failing_reasons
    assert "✗ failed" in page.locator(f"#asset-{off.id} ol.attempts").inner_text()
    page.context.close()


def test_approve_and_reject_with_the_keyboard(browser: Browser, served: tuple[Running, list[AssetRow]]) -> None:
    srv, rows = served
    page = open_page(browser, srv, reviewer="Ana")
    newest_first = [r.id for r in reversed(rows)]
    assert selected_id(page) == newest_first[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert selected_id(page) == newest_first[1]
    page.keyboard.press("a")
    page.wait_for_url("**decided=*")
    assert events_of(srv.db, newest_first[1]) == [("Ana", "approved", None)]
    assert f"decision recorded on asset {newest_first[1]}" in page.inner_text(".notice")
    assert page.locator(f"#asset-{newest_first[1]}").count() == 0  # it left the pending queue
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert selected_id(page) == newest_first[0]
    page.keyboard.press("r")
    reason = page.locator(f"#asset-{newest_first[0]} details.reject input[name=reason]")
    assert reason.is_visible()
    page.keyboard.type("palette is off brand")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**decided={newest_first[0]}*")
    assert events_of(srv.db, newest_first[0]) == [("Ana", "rejected", "palette is off brand")]
    assert events_of(srv.db, newest_first[2]) == []
    page.context.close()


def test_approve_and_reject_with_the_mouse_and_a_second_reviewer(
    browser: Browser, served: tuple[Running, list[AssetRow]]
) -> None:
    srv, rows = served
    off, first = rows[-1], rows[0]
    page = open_page(browser, srv, reviewer="Ben")
    page.click(f"#asset-{first.id} button.approve")
    page.wait_for_url(f"**decided={first.id}*")
    assert events_of(srv.db, first.id) == [("Ben", "approved", None)]
    card = page.locator(f"#asset-{off.id}")
    card.locator("details.reject summary").click()
    choice = off.failing_reasons[0]
    card.locator("details.reject select[name=reason_choice]").select_option(label=choice)
    card.locator("details.reject input[name=reason]").fill("and the cup is missing")
    card.locator("details.reject button.reject").click()
    page.wait_for_url(f"**decided={off.id}*")
    assert events_of(srv.db, off.id) == [("Ben", "rejected", f"{choice}: and the cup is missing")]
    # a second reviewer overrules on the detail page: a new event, the first one kept; its checks failed, so the
    # approval overrides them and needs the reason ("Approve anyway": the key opens it, an empty reason is not sent)
    other = open_page(browser, srv, f"/asset/{off.id}", reviewer="Cleo")
    assert other.locator("section.decidable form.approve button.approve").is_hidden()
    other.keyboard.press("a")
    override = other.locator("section.decidable details.approve")
    assert override.get_attribute("open") is not None and override.locator("input[name=reason]").is_visible()
    override.locator("button.approve").click()  # no reason: the browser keeps the form (required)
    assert [e[:2] for e in events_of(srv.db, off.id)] == [("Ben", "rejected")]
    override.locator("input[name=reason]").fill("the green is the client's own product")
    override.locator("button.approve").click()
    other.wait_for_url(f"**/asset/{off.id}?decided={off.id}")
    history = other.locator(".panel table").nth(1).inner_text()
    assert "Ben" in history and "Cleo" in history and "and the cup is missing" in history
    assert "the green is the client's own product" in history
    assert [e[:2] for e in events_of(srv.db, off.id)] == [("Ben", "rejected"), ("Cleo", "approved")]
    with Registry.open(srv.db) as registry:
        assert registry.get_asset(off.id).row.state is ReviewState.approved
    page.context.close()
    other.context.close()


@pytest.mark.slow
def test_request_changes_regenerates_a_linked_attempt_that_joins_the_queue(
    browser: Browser, served: tuple[Running, list[AssetRow]], tmp_path: Path
) -> None:
    srv, rows = served
    parent = rows[0]
    page = open_page(browser, srv, f"/asset/{parent.id}", reviewer="Dana")
    wait_for_images(page)
    page.keyboard.press("c")
    page.keyboard.type("warmer light, more steam")
    page.keyboard.press("Enter")
    page.wait_for_url("**made=*", timeout=180_000)
    assert events_of(srv.db, parent.id) == [("Dana", "changes_requested", "warmer light, more steam")]
    with Registry.open(srv.db) as registry:
        children = registry.get_asset(parent.id).children
        assert len(children) == 1
        child = registry.get_asset(children[0].id)
    assert child.row.parent_id == parent.id and child.row.kind == "regenerate"
    assert child.row.state is ReviewState.pending and child.row.content_hash != parent.content_hash
    assert Path(child.row.path).parent == Path(parent.path).parent
    assert any("warmer light, more steam" in f for f in child.attempts[0].feedback)
    assert f"new attempt is asset {child.row.id}" in page.inner_text(".notice")
    page.goto(srv.base)
    wait_for_images(page)
    card = page.locator(f"#asset-{child.row.id}")
    assert card.count() == 1 and f"from #{parent.id}" in card.locator(".meta").inner_text()
    assert page.locator(f"#asset-{parent.id}").count() == 0  # sent back: no longer pending
    page.goto(f"{srv.base}asset/{child.row.id}")
    assert f"#{parent.id}" in page.inner_text(".lineage")
    with Registry.open(srv.db) as registry:  # give the documentation screenshot every state
        registry.decide(rows[1].id, ReviewState.approved, None, "Dana")
        registry.decide(rows[-1].id, ReviewState.rejected, rows[-1].failing_reasons[0], "Dana")
    page.goto(f"{srv.base}?state=all")
    wait_for_images(page)
    keep_screenshot(page, tmp_path, "review-queue.png")
    page.context.close()


def test_a_browser_without_the_token_is_refused(browser: Browser, served: tuple[Running, list[AssetRow]]) -> None:
    srv, rows = served
    page = browser.new_context().new_page()
    for path in ("", "report", f"asset/{rows[0].id}", f"asset/{rows[0].id}/image"):
        response = page.goto(srv.base + path)
        assert response is not None and response.status == 403
        assert "token is required" in page.inner_text("body")
    response = page.goto(srv.base + "?token=guess")
    assert response is not None and response.status == 403
    assert page.context.cookies() == []
    page.context.close()


def test_forged_cross_site_posts_are_refused(browser: Browser, served: tuple[Running, list[AssetRow]]) -> None:
    """A signed-in reviewer visits a hostile page that auto-submits a decision to the review server: once from
    another port of the same host (same-site: the cookie goes along; Origin and Sec-Fetch-Site give it away) and
    once from another site (the SameSite=Strict cookie stays home)."""
    srv, rows = served
    page = open_page(browser, srv)
    target = f"{srv.base}asset/{rows[0].id}/decide"
    forged = (
        f'<form id="f" method="post" action="{target}"><input name="decision" value="approve">'
        '<input name="reviewer" value="mallory"><input name="csrf" value="guess"></form>'
        '<script>document.getElementById("f").submit()</script>'
    )
    for origin in ("http://127.0.0.1:9/", "http://attacker.example/"):
        page.route(origin + "evil.html", lambda route: route.fulfill(status=200, content_type="text/html", body=forged))
        with page.expect_response(lambda r: r.url == target) as answer:
            page.goto(origin + "evil.html")
        assert answer.value.status == 403, origin
    assert events_of(srv.db, rows[0].id) == []
    page.context.close()


def test_the_report_page_draws_the_metrics(
    browser: Browser, served: tuple[Running, list[AssetRow]], tmp_path: Path
) -> None:
    srv, rows = served
    with Registry.open(srv.db) as registry:
        registry.decide(rows[0].id, ReviewState.approved, None, "Ana")
        registry.decide(rows[1].id, ReviewState.changes_requested, "warmer light", "Ana")
        registry.decide(rows[2].id, ReviewState.approved, None, "Ben")
        registry.decide(rows[-1].id, ReviewState.rejected, rows[-1].failing_reasons[0], "Ana")
        metrics = registry.metrics()
    assert isinstance(metrics, Metrics)
    page = open_page(browser, srv, "/report")
    kpis = page.locator("#kpis .kpi b").all_inner_texts()
    assert kpis[0] == charts.pct(metrics.first_pass_yield) and kpis[2] == charts.pct(metrics.approval_rate)
    assert kpis[3] == charts.pct(metrics.revision_rate)
    bar_widths = (
        page.locator(".charts section")
        .first.locator("svg.bars rect")
        .evaluate_all("rs => rs.map(r => r.getBBox().width)")
    )
    expected = [b.fraction * charts.BAR_MAX for b in charts.rate_bars(metrics)]
    assert bar_widths == pytest.approx(expected, abs=0.1)
    assert page.locator("polyline").count() >= 1
    assert "warmer light" in page.inner_text(".charts")
    rows_text = page.locator("#figures").inner_text()
    assert f"{metrics.approved} approved of {metrics.reviewed} reviewed" in rows_text
    keep_screenshot(page, tmp_path, "review-report.png")
    page.context.close()


def test_a_file_changed_after_its_check_is_flagged_and_cannot_be_approved_in_the_browser(
    browser: Browser, served: tuple[Running, list[AssetRow]], tmp_path: Path
) -> None:
    srv, rows = served
    row = rows[0]
    page = open_page(browser, srv, reviewer="Eve")
    wait_for_images(page)  # the queue's thumbnails are made now, from the checked bytes
    Path(row.path).write_bytes(Path(rows[1].path).read_bytes())  # another picture in its place
    page.goto(f"{srv.base}asset/{row.id}")
    warning = page.locator("p.warning")
    assert warning.is_visible() and "changed since it was checked" in warning.inner_text()
    wait_for_images(page)
    shown = page.locator("img.large").evaluate("i => [i.src, i.naturalWidth]")
    assert shown[0].endswith(f"/asset/{row.id}/thumb") and shown[1] == 360  # the checked image, not the file
    keep_screenshot(page, tmp_path, "review-changed-file.png")
    assert page.locator("section.decidable button.approve").is_disabled()
    page.keyboard.press("a")  # the shortcut does nothing either
    page.wait_for_timeout(300)
    assert "decided=" not in page.url and events_of(srv.db, row.id) == []
    page.goto(srv.base)
    wait_for_images(page)  # the queue still shows the checked image's thumbnail
    page.context.close()


def test_images_hug_their_pixels_over_a_checkerboard_so_a_cut_out_shows_as_one(
    browser: Browser, served: tuple[Running, list[AssetRow]]
) -> None:
    """A transparent asset showed over the card's flat grey, which read as its own background. Each image now hugs
    its pixels (no letterbox inside the element) over a checkerboard that an opaque image covers."""
    import io

    srv, rows = served
    page = open_page(browser, srv)
    wait_for_images(page)
    for row in rows:
        image = page.locator(f"#asset-{row.id} img.thumb")
        natural = image.evaluate("i => i.naturalWidth / i.naturalHeight")
        box = image.bounding_box()
        assert box is not None and abs(box["width"] / box["height"] - natural) < 0.02  # no letterbox
        assert "conic-gradient" in image.evaluate("i => getComputedStyle(i).backgroundImage")
    cut_out = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    cut_out.paste((31, 90, 166, 255), (60, 60, 140, 140))
    encoded = io.BytesIO()
    cut_out.save(encoded, "PNG")
    first = rows[0].id  # its thumbnail answered with a cut-out, under the page's own markup, style and CSP
    page.route(
        f"**/asset/{first}/thumb", lambda route: route.fulfill(body=encoded.getvalue(), content_type="image/png")
    )
    page.reload()
    wait_for_images(page)
    shot = Image.open(io.BytesIO(page.locator(f"#asset-{first} img.thumb").screenshot())).convert("RGB")
    corner = {shot.getpixel((x, y)) for x in range(0, 40, 2) for y in range(0, 40, 2)}
    assert {(215, 217, 222), (255, 255, 255)} <= corner  # both squares of the board where the asset is transparent
    middle = shot.getpixel((shot.width // 2, shot.height // 2))
    assert isinstance(middle, tuple) and max(abs(a - b) for a, b in zip(middle, (31, 90, 166), strict=True)) < 4
    page.goto(srv.base + f"asset/{rows[0].id}")
    wait_for_images(page)
    large = page.locator("img.large")
    natural = large.evaluate("i => i.naturalWidth / i.naturalHeight")
    box = large.bounding_box()
    assert box is not None and abs(box["width"] / box["height"] - natural) < 0.02
    page.context.close()
