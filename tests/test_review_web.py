"""The review web page over HTTP: a real uvicorn server on a loopback port, a real registry filled by a real
offline run (local renderer, every default check), requests made with ``http.client``.

Covers the access rules (token, session cookie, Host, CSRF, Origin / Sec-Fetch-Site), what images may be served,
thumbnails on disk, append-only decisions, escaping, the report's numbers and the ``review serve`` command.
The browser tests are in ``test_review_web_browser.py`` and reuse the helpers here.
"""

from __future__ import annotations

import html
import http.client
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import markupsafe
import pytest
from PIL import Image, ImageDraw
from typer.testing import CliRunner

import brandkit
from brandkit.cli import app
from brandkit.errors import AssetNotFoundError, RegistryError, RequestError
from brandkit.registry.models import AssetRow, Metrics, ReviewState
from brandkit.registry.store import Registry
from brandkit.review_web import app as app_module
from brandkit.review_web import charts
from brandkit.review_web.app import ReviewConfig
from brandkit.review_web.files import confined_image, thumbnail_folder
from brandkit.review_web.security import AccessPolicy
from brandkit.review_web.server import bind, make_server, serve, url_of

ROOT = Path(__file__).resolve().parents[1]
NORTHWIND = ROOT / "brand_specs" / "northwind"


# --- a real offline run, made once -------------------------------------------------------------------------


@dataclass
class Made:
    """Assets from one real offline run: generated ones, and an off-brand image with its validation report."""

    spec: brandkit.BrandSpec
    assets: list[brandkit.Asset]
    off_brand: bytes
    off_brand_report: brandkit.ValidationReport


_MADE = pytest.StashKey[Made]()


@pytest.fixture(scope="session")
def made(request: pytest.FixtureRequest) -> Made:
    """Three assets generated with the local renderer and every default check, and one off-brand image
    judged by ``validate`` (it fails the palette and text gates: the queue has failure reasons to show).

    Made once per test session (kept in the session's stash: the browser tests import this fixture, and an
    imported fixture would otherwise run again for their module)."""
    if _MADE not in request.config.stash:
        request.config.stash[_MADE] = _make()
    return request.config.stash[_MADE]


def _make() -> Made:
    spec = brandkit.load_spec(NORTHWIND)
    kit = brandkit.BrandKit(spec, provider="local")
    requests = [
        brandkit.AssetRequest(
            brief="A ceramic cup of coffee on an oak table", headline="Slow mornings", format=f, seed=i
        )
        for i, f in enumerate(("square", "banner", "portrait"))
    ]
    assets = [kit.generate(r) for r in requests]
    picture = Image.new("RGB", (1024, 1024), (20, 160, 40))
    ImageDraw.Draw(picture).rectangle((100, 100, 900, 500), fill=(230, 0, 200))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    data = buffer.getvalue()
    return Made(spec=spec, assets=assets, off_brand=data, off_brand_report=kit.validate(data))


def fill_registry(made: Made, folder: Path) -> tuple[Path, list[AssetRow]]:
    """A fresh registry in ``folder`` with the run's assets saved there and recorded (oldest first)."""
    out = folder / "out"
    out.mkdir(parents=True)
    db = out / "brandkit.db"
    rows = []
    with Registry.open(db) as registry:
        run = registry.start_run("generate", out)
        for i, asset in enumerate(made.assets):
            path = asset.save(out / f"asset-{i}.png")
            rows.append(registry.record_asset(asset, path, run_id=run, kind="generate", spec=made.spec))
        off = out / "off-brand.png"
        off.write_bytes(made.off_brand)
        check_run = registry.start_run("validate", out)
        rows.append(
            registry.record_validation(made.off_brand_report, off, made.off_brand, run_id=check_run, spec=made.spec)
        )
    return db, rows


# --- a server in a thread ----------------------------------------------------------------------------------


@dataclass
class Running:
    """A review server under test: its base URL (no token), policy and database."""

    base: str
    policy: AccessPolicy
    db: Path

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc

    @property
    def start_url(self) -> str:
        return f"{self.base}?token={self.policy.token}"


@contextmanager
def running(db: Path, provider: str | None = None) -> Iterator[Running]:
    """Serve ``db`` on a free loopback port in a thread until the block ends."""
    sock = bind("127.0.0.1", 0)
    policy = AccessPolicy.create("127.0.0.1")
    server = make_server(ReviewConfig(db_path=db, policy=policy, provider=provider))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the review server did not start"
        time.sleep(0.02)
    try:
        yield Running(base=url_of(sock), policy=policy, db=db)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def fetch(
    srv: Running,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Answer:
    """One request to the server, redirects not followed."""
    conn = http.client.HTTPConnection(srv.host, timeout=60)
    body = urlencode(form).encode() if form is not None else None
    sent = {"Host": srv.host, **(headers or {})}
    if body is not None:
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    answer = Answer(response.status, response.headers, response.read())
    conn.close()
    return answer


def sign_in(srv: Running, *, need_csrf: bool = True) -> tuple[str, str]:
    """Open the start URL; returns the ``Cookie`` header value and the page's CSRF token (the decision forms carry
    it, so an empty queue has none: ``need_csrf=False`` then returns an empty token)."""
    first = fetch(srv, f"/?token={srv.policy.token}")
    assert first.status == 303
    cookie = first.headers["set-cookie"].split(";")[0]
    page = fetch(srv, "/", headers={"Cookie": cookie})
    assert page.status == 200
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    if not need_csrf:
        return cookie, match.group(1) if match else ""
    assert match, "the queue page has no CSRF field"
    return cookie, match.group(1)


def same_origin(srv: Running, cookie: str) -> dict[str, str]:
    """Headers a browser sends with a form POST from the page itself."""
    return {"Cookie": cookie, "Origin": f"http://{srv.host}", "Sec-Fetch-Site": "same-origin"}


def events_of(db: Path, asset_id: int) -> list[tuple[str, str, str | None]]:
    with Registry.open(db) as registry:
        return [(e.reviewer, e.state.value, e.reason) for e in registry.get_asset(asset_id).events]


@pytest.fixture
def served(made: Made, tmp_path: Path) -> Iterator[tuple[Running, list[AssetRow]]]:
    db, rows = fill_registry(made, tmp_path)
    with running(db) as srv:
        yield srv, rows


# --- access -----------------------------------------------------------------------------------------------


def test_every_page_refuses_a_request_without_the_token(served: tuple[Running, list[AssetRow]]) -> None:
    srv, rows = served
    for path in (
        "/",
        f"/asset/{rows[0].id}",
        f"/asset/{rows[0].id}/image",
        f"/asset/{rows[0].id}/thumb",
        "/report",
        "/nowhere",
    ):
        answer = fetch(srv, path)
        assert answer.status == 403, path
        assert "token is required" in answer.text and rows[0].key not in answer.text
    assert fetch(srv, "/?token=not-the-token").status == 403
    forged = fetch(srv, "/", headers={"Cookie": f"{srv.policy.cookie_name}=abc.def"})
    assert forged.status == 403
    posted = fetch(
        srv, f"/asset/{rows[0].id}/decide", method="POST", form={"decision": "approve", "reviewer": "mallory"}
    )
    assert posted.status == 403
    assert events_of(srv.db, rows[0].id) == []


def test_the_token_signs_in_once_then_a_strict_http_only_cookie_carries_the_session(
    served: tuple[Running, list[AssetRow]],
) -> None:
    srv, rows = served
    first = fetch(srv, f"/report?since=2000-01-01&token={srv.policy.token}")
    assert first.status == 303
    assert first.headers["location"] == "/report?since=2000-01-01"  # the token leaves the address bar
    cookie_line = first.headers["set-cookie"]
    assert cookie_line.startswith(srv.policy.cookie_name + "=")
    assert "HttpOnly" in cookie_line and "SameSite=Strict" in cookie_line
    assert srv.policy.token not in cookie_line
    cookie = cookie_line.split(";")[0]
    page = fetch(srv, "/?state=all", headers={"Cookie": cookie})
    assert page.status == 200
    for row in rows:
        assert f'id="asset-{row.id}"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'nonce-" in csp and "frame-ancestors 'none'" in csp
    assert srv.policy.token not in page.text


def test_a_foreign_host_header_is_refused(served: tuple[Running, list[AssetRow]]) -> None:
    """A DNS-rebinding page reaches the port under its own name: the Host header gives it away."""
    srv, _ = served
    port = urlsplit(srv.base).port
    answer = fetch(srv, f"/?token={srv.policy.token}", headers={"Host": f"attacker.example:{port}"})
    assert answer.status == 400 and "Host" in answer.text
    assert fetch(srv, f"/?token={srv.policy.token}", headers={"Host": f"localhost:{port}"}).status == 303


def test_state_changes_need_the_csrf_token_and_the_page_s_own_origin(
    served: tuple[Running, list[AssetRow]],
) -> None:
    srv, rows = served
    cookie, csrf = sign_in(srv)
    target = f"/asset/{rows[0].id}/decide"
    form = {"decision": "approve", "reviewer": "ana", "csrf": csrf, "next": "/"}
    no_csrf = fetch(srv, target, method="POST", headers=same_origin(srv, cookie), form={**form, "csrf": ""})
    assert no_csrf.status == 403 and "CSRF" in no_csrf.text
    wrong = fetch(srv, target, method="POST", headers=same_origin(srv, cookie), form={**form, "csrf": "0" * 64})
    assert wrong.status == 403
    other_site = {"Cookie": cookie, "Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"}
    assert fetch(srv, target, method="POST", headers=other_site, form=form).status == 403
    other_origin = {"Cookie": cookie, "Origin": "http://evil.example"}
    assert fetch(srv, target, method="POST", headers=other_origin, form=form).status == 403
    _, other_csrf = sign_in(srv)  # another session's token is not this session's
    assert (
        fetch(srv, target, method="POST", headers=same_origin(srv, cookie), form={**form, "csrf": other_csrf}).status
        == 403
    )
    assert events_of(srv.db, rows[0].id) == []
    ok = fetch(srv, target, method="POST", headers=same_origin(srv, cookie), form=form)
    assert ok.status == 303 and ok.headers["location"] == f"/?decided={rows[0].id}"
    assert events_of(srv.db, rows[0].id) == [("ana", "approved", None)]


def test_a_second_decision_is_a_new_event_and_redirects_stay_local(served: tuple[Running, list[AssetRow]]) -> None:
    srv, rows = served
    cookie, csrf = sign_in(srv)
    target = f"/asset/{rows[1].id}/decide"
    base = {"csrf": csrf}
    fetch(
        srv,
        target,
        method="POST",
        headers=same_origin(srv, cookie),
        form={**base, "decision": "approve", "reviewer": "ana", "next": "/"},
    )
    second = fetch(
        srv,
        target,
        method="POST",
        headers=same_origin(srv, cookie),
        form={
            **base,
            "decision": "reject",
            "reviewer": "ben",
            "reason_choice": "logo",
            "reason": "logo too small",
            "next": "//evil.example/x",
        },
    )
    assert second.status == 303 and second.headers["location"].startswith("/?")
    assert events_of(srv.db, rows[1].id) == [("ana", "approved", None), ("ben", "rejected", "logo: logo too small")]
    with Registry.open(srv.db) as registry:
        assert registry.get_asset(rows[1].id).row.state is ReviewState.rejected
    remembered = second.headers["set-cookie"].split(";")[0]
    assert remembered == "brandkit_reviewer=ben"
    nobody = fetch(
        srv,
        target,
        method="POST",
        headers=same_origin(srv, cookie),
        form={**base, "decision": "approve", "reviewer": ""},
    )
    assert nobody.status == 400 and "reviewer" in nobody.text
    nameless = fetch(
        srv,
        target,
        method="POST",
        headers=same_origin(srv, f"{cookie}; {remembered}"),
        form={**base, "decision": "approve", "reviewer": ""},
    )
    assert nameless.status == 303  # the reviewer cookie set by the last decision names "ben"
    assert events_of(srv.db, rows[1].id)[-1] == ("ben", "approved", None)
    bad = fetch(
        srv,
        target,
        method="POST",
        headers=same_origin(srv, cookie),
        form={**base, "decision": "publish", "reviewer": "ana"},
    )
    assert bad.status == 400 and "publish" in bad.text
    too_long = fetch(
        srv,
        target,
        method="POST",
        headers=same_origin(srv, cookie),
        form={**base, "decision": "approve", "reviewer": "x" * 500},
    )
    assert too_long.status == 400 and "reviewer" in too_long.text
    reasonless = fetch(
        srv,
        target,
        method="POST",
        headers=same_origin(srv, cookie),
        form={**base, "decision": "changes", "reviewer": "ana"},
    )
    assert reasonless.status == 400 and "reason" in reasonless.text
    assert len(events_of(srv.db, rows[1].id)) == 3


def test_what_a_reviewer_typed_is_shown_escaped(served: tuple[Running, list[AssetRow]]) -> None:
    srv, rows = served
    cookie, csrf = sign_in(srv)
    fetch(
        srv,
        f"/asset/{rows[0].id}/decide",
        method="POST",
        headers=same_origin(srv, cookie),
        form={"csrf": csrf, "decision": "reject", "reviewer": "<b>eve</b>", "reason": "<script>alert(1)</script>"},
    )
    page = fetch(srv, f"/asset/{rows[0].id}", headers={"Cookie": cookie})
    assert page.status == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;eve&lt;/b&gt;" in page.text


# --- images -------------------------------------------------------------------------------------------------


def test_images_come_only_from_the_registry_s_asset_folders(
    served: tuple[Running, list[AssetRow]], tmp_path: Path
) -> None:
    srv, rows = served
    cookie, _ = sign_in(srv)
    image = fetch(srv, f"/asset/{rows[0].id}/image", headers={"Cookie": cookie})
    assert image.status == 200 and image.headers["content-type"] == "image/png"
    assert image.body == Path(rows[0].path).read_bytes()
    assert fetch(srv, "/asset/9999/image", headers={"Cookie": cookie}).status == 404
    assert fetch(srv, "/asset/..%2F..%2Fetc%2Fpasswd/image", headers={"Cookie": cookie}).status == 404
    # the recorded file is swapped for a symlink that leads out of the asset folder
    secret = tmp_path / "outside" / "secret.png"
    secret.parent.mkdir()
    secret.write_bytes(Path(rows[1].path).read_bytes())
    Path(rows[1].path).unlink()
    Path(rows[1].path).symlink_to(secret)
    leaked = fetch(srv, f"/asset/{rows[1].id}/image", headers={"Cookie": cookie})
    assert leaked.status == 404 and "outside" in leaked.text
    assert fetch(srv, f"/asset/{rows[1].id}/thumb", headers={"Cookie": cookie}).status == 404
    with Registry.open(srv.db) as registry, pytest.raises(AssetNotFoundError, match="outside"):
        confined_image(rows[1].path, registry.asset_folders(), rows[1].id)


def test_thumbnails_are_made_with_pillow_and_cached_beside_the_database(
    served: tuple[Running, list[AssetRow]],
) -> None:
    srv, rows = served
    cookie, _ = sign_in(srv)
    first = fetch(srv, f"/asset/{rows[1].id}/thumb", headers={"Cookie": cookie})
    assert first.status == 200 and first.headers["content-type"] == "image/png"
    thumb = Image.open(io.BytesIO(first.body))
    original = Image.open(rows[1].path)
    assert max(thumb.size) == 360 and max(original.size) > 360
    assert abs(thumb.width / thumb.height - original.width / original.height) < 0.02
    cached = list(thumbnail_folder(srv.db).iterdir())
    assert [p.name for p in cached] == [f"{rows[1].content_hash}-360.checked.png"]
    stamp = cached[0].stat().st_mtime_ns
    second = fetch(srv, f"/asset/{rows[1].id}/thumb", headers={"Cookie": cookie})
    assert second.body == first.body and cached[0].stat().st_mtime_ns == stamp


def test_a_file_changed_after_it_was_checked_is_neither_shown_nor_approvable(
    served: tuple[Running, list[AssetRow]],
) -> None:
    srv, rows = served
    cookie, csrf = sign_in(srv)
    row = rows[0]
    before = fetch(srv, f"/asset/{row.id}/thumb", headers={"Cookie": cookie})
    assert before.status == 200
    checked = Path(row.path).read_bytes()
    picture = Image.open(io.BytesIO(checked)).convert("RGB")
    ImageDraw.Draw(picture).rectangle((0, 0, 200, 200), fill=(255, 0, 0))  # edited after it was checked
    picture.save(row.path, "PNG")
    image = fetch(srv, f"/asset/{row.id}/image", headers={"Cookie": cookie})
    assert image.status == 404
    assert "changed since it was checked" in image.text and row.content_hash[:12] in image.text
    # the thumbnail made earlier is of the checked bytes: it is still what the queue shows
    assert fetch(srv, f"/asset/{row.id}/thumb", headers={"Cookie": cookie}).body == before.body
    detail = fetch(srv, f"/asset/{row.id}", headers={"Cookie": cookie})
    assert detail.status == 200 and 'class="warning"' in detail.text and "changed since it was checked" in detail.text
    form = {"csrf": csrf, "decision": "approve", "reviewer": "ann", "next": "/"}
    refused = fetch(srv, f"/asset/{row.id}/decide", method="POST", headers=same_origin(srv, cookie), form=form)
    assert refused.status == 400 and "approve refused" in refused.text
    assert events_of(srv.db, row.id) == []
    rejected = {**form, "decision": "reject", "reason": "edited by hand after the check"}
    assert (
        fetch(srv, f"/asset/{row.id}/decide", method="POST", headers=same_origin(srv, cookie), form=rejected).status
        == 303
    )
    assert events_of(srv.db, row.id) == [("ann", "rejected", "edited by hand after the check")]
    # a second asset with no thumbnail yet: nothing is made from the changed bytes
    other = rows[1]
    Path(other.path).write_bytes(checked)  # another asset's (valid) picture in its place
    assert fetch(srv, f"/asset/{other.id}/thumb", headers={"Cookie": cookie}).status == 404
    assert not any(thumbnail_folder(srv.db).glob(f"{other.content_hash}-*"))
    fine = fetch(srv, f"/asset/{rows[2].id}", headers={"Cookie": cookie})
    assert fine.status == 200 and 'class="warning"' not in fine.text
    # the queue stats each card's file (no read): modified after its check, or missing (then no approve form)
    import os

    later = time.time() + 60
    os.utime(row.path, (later, later))  # as a later edit leaves it
    Path(rows[2].path).unlink()
    queue = fetch(srv, "/?state=all", headers={"Cookie": cookie}).text

    def card(asset_id: int) -> str:
        start = queue.index(f'id="asset-{asset_id}"')
        return queue[start : queue.index("</article>", start)]

    assert "file modified" in card(row.id) and "file missing" in card(rows[2].id)
    assert 'class="decision approve"' not in card(rows[2].id) and 'class="decision approve"' in card(row.id)
    assert "file-hint" not in card(rows[-1].id)


# --- pages ----------------------------------------------------------------------------------------------------


def test_queue_filters_and_detail_show_the_recorded_facts(served: tuple[Running, list[AssetRow]]) -> None:
    srv, rows = served
    cookie, _ = sign_in(srv)
    off = rows[-1]
    assert not off.passed and off.failing_reasons
    blocking = off.failing_reasons[0].split(":")[0]
    assert off.checks[blocking] == "failed"
    failed = fetch(srv, f"/?state=all&check={blocking}", headers={"Cookie": cookie})
    assert f'id="asset-{off.id}"' in failed.text
    assert f'id="asset-{rows[0].id}"' not in failed.text  # it passed every gate
    for reason in off.failing_reasons:
        assert str(markupsafe.escape(reason)) in failed.text
    assert f'<li class="badge s-failed">{blocking}: failed</li>' in failed.text
    wrong = fetch(srv, "/?state=bogus", headers={"Cookie": cookie})
    assert wrong.status == 400 and "bogus" in wrong.text
    gated = fetch(srv, "/?state=all&gates=failed", headers={"Cookie": cookie})  # the verdict, whatever the check
    assert f'id="asset-{off.id}"' in gated.text and f'id="asset-{rows[0].id}"' not in gated.text
    assert '<option value="failed" selected>' in gated.text
    passing = fetch(srv, "/?state=all&gates=passed", headers={"Cookie": cookie})
    assert f'id="asset-{off.id}"' not in passing.text and f'id="asset-{rows[0].id}"' in passing.text
    unknown = fetch(srv, "/?gates=maybe", headers={"Cookie": cookie})
    assert unknown.status == 400 and "maybe" in unknown.text
    # a check failed under its warn policy (no signer: credentials) did not block the gates: a warning, not red
    warned = [name for name, status in rows[0].checks.items() if status == "failed" and name not in rows[0].blocking]
    assert rows[0].passed and warned == ["credentials"]
    shown_cli = CliRunner().invoke(app, ["review", "show", str(rows[0].id), "--db", str(srv.db)]).stdout
    assert "credentials failed (warn)" in shown_cli and "passed (warn)" not in shown_cli  # `review show` alike
    for path in ("/?state=all", f"/asset/{rows[0].id}"):
        shown = fetch(srv, path, headers={"Cookie": cookie}).text
        assert 'class="badge s-warned"' in shown and "credentials: failed (warn)" in shown
        assert "credentials: failed</li>" not in shown
    page = fetch(srv, f"/asset/{rows[0].id}", headers={"Cookie": cookie})
    with Registry.open(srv.db) as registry:
        detail = registry.get_asset(rows[0].id)
    assert detail.spec_rules and all(rule.split(":")[0] in page.text for rule in detail.spec_rules)
    for hex_color in rows[0].palette:
        assert f'fill="{hex_color}"' in page.text
    assert fetch(srv, "/asset/9999", headers={"Cookie": cookie}).status == 404


def test_a_variant_made_again_leaves_the_queue_and_points_to_its_new_row(made: Made, tmp_path: Path) -> None:
    db, _ = fill_registry(made, tmp_path)
    out = db.parent
    with Registry.open(db) as registry:  # one variant, made in a run and made again (--retry-failed) in the next
        old, new = (
            registry.record_asset(
                made.assets[i],
                made.assets[i].save(out / f"variant-{i}.png"),
                kind="variant",
                key="k",
                run_id=registry.start_run("variants", out),
                spec=made.spec,
            )
            for i in (0, 1)
        )
    with running(db) as srv:
        cookie, _ = sign_in(srv)
        queue = fetch(srv, "/", headers={"Cookie": cookie}).text  # pending by default
        assert f'id="asset-{new.id}"' in queue and f'id="asset-{old.id}"' not in queue
        superseded = fetch(srv, "/?state=superseded", headers={"Cookie": cookie}).text
        assert f'id="asset-{old.id}"' in superseded and f'id="asset-{new.id}"' not in superseded
        assert f'made again: <a href="/asset/{new.id}">#{new.id}</a>' in superseded
        assert '<span class="badge st-superseded">superseded</span>' in superseded
        detail = fetch(srv, f"/asset/{old.id}", headers={"Cookie": cookie}).text
        assert f'review <a href="/asset/{new.id}">#{new.id}</a> instead' in detail
        report = fetch(srv, "/report", headers={"Cookie": cookie}).text
        assert re.search(r"<td>superseded</td><td class=\"num\">1</td>", report)


def test_the_queue_pages_through_a_library_larger_than_a_page(made: Made, tmp_path: Path) -> None:
    """An audit records hundreds of files: the queue shows a page at a time, says how many match, and its "older"
    link reaches every asset — a keyset page (before an asset id), unmoved by decisions made meanwhile."""
    from brandkit.review_web.app import QUEUE_LIMIT

    db, rows = fill_registry(made, tmp_path)
    with Registry.open(db) as registry:
        run = registry.start_run("validate", tmp_path / "out")
        for index in range(QUEUE_LIMIT + 7 - len(rows)):
            copy = tmp_path / "out" / f"library-{index}.png"
            copy.write_bytes(made.off_brand)
            registry.record_validation(made.off_brand_report, copy, made.off_brand, run_id=run, spec=made.spec)
        assert registry.count_assets() == QUEUE_LIMIT + 7
    ids = lambda page: [int(i) for i in re.findall(r'<article class="card[^"]*" data-id="(\d+)"', page)]  # noqa: E731
    with running(db) as srv:
        cookie, _ = sign_in(srv)
        first = fetch(srv, "/?state=all", headers={"Cookie": cookie}).text
        assert ids(first) == list(range(QUEUE_LIMIT + 7, 7, -1))  # the newest page
        assert f"{QUEUE_LIMIT} of {QUEUE_LIMIT + 7} asset(s), the newest" in first
        older = re.findall(r'<a class="page-link" href="([^"]+)">older →</a>', first)
        assert len(older) == 2 and {html.unescape(link) for link in older} == {"/?state=all&before=8"}  # top, bottom
        with Registry.open(db) as registry:  # meanwhile, a reviewer decides on the first page
            registry.decide(QUEUE_LIMIT + 7, ReviewState.rejected, "off brand", "Dana")
        second = fetch(srv, html.unescape(older[0]), headers={"Cookie": cookie}).text
        assert ids(second) == [7, 6, 5, 4, 3, 2, 1]  # the rest, none skipped or shown twice
        assert f"7 of {QUEUE_LIMIT + 7} asset(s), older ones" in second
        assert "older →" not in second and '<a class="page-link" href="/?state=all">newest</a>' in second
        pending = fetch(srv, "/", headers={"Cookie": cookie}).text  # the filters count too
        assert f"{QUEUE_LIMIT} of {QUEUE_LIMIT + 6} asset(s), the newest" in pending
        assert ids(pending)[0] == QUEUE_LIMIT + 6
        short = fetch(srv, "/?state=rejected", headers={"Cookie": cookie}).text  # one page: no pager
        assert ids(short) == [QUEUE_LIMIT + 7] and "1 asset(s)" in short and "page-link" not in short
        assert fetch(srv, "/?before=x", headers={"Cookie": cookie}).status == 400


def test_report_page_shows_the_registry_s_metrics_as_charts_and_table(
    served: tuple[Running, list[AssetRow]],
) -> None:
    srv, rows = served
    with Registry.open(srv.db) as registry:
        registry.decide(rows[0].id, ReviewState.approved, None, "ana")
        registry.decide(rows[1].id, ReviewState.changes_requested, "warmer light", "ana")
        metrics = registry.metrics()
    assert isinstance(metrics, Metrics)
    cookie, _ = sign_in(srv)
    page = fetch(srv, "/report", headers={"Cookie": cookie})
    assert page.status == 200
    table = page.text[page.text.index('id="figures"') :]
    assert f'<td class="num">{charts.pct(metrics.approval_rate)}</td>' in table
    assert f'<td class="num">{charts.pct(metrics.revision_rate)}</td>' in table
    assert f'<td class="num">{metrics.assets}</td>' in table
    assert page.text.count("<svg") >= 3 and "<polyline" in page.text
    assert "warmer light" in page.text  # the reasons chart
    grouped = fetch(srv, "/report?by=spec", headers={"Cookie": cookie})
    assert grouped.status == 200 and 'id="groups"' in grouped.text and made_spec_name(rows) in grouped.text
    assert fetch(srv, "/report?by=colour", headers={"Cookie": cookie}).status == 400


def made_spec_name(rows: list[AssetRow]) -> str:
    return rows[0].spec_name


def test_trend_chart_puts_rates_on_a_zero_to_one_scale() -> None:
    trend = [
        charts.TrendPoint(day="2026-01-01", assets=2, first_pass_yield=0.0, approval_rate=None),
        charts.TrendPoint(day="2026-01-02", assets=4, first_pass_yield=1.0, approval_rate=0.5),
    ]
    chart = charts.trend_chart(trend)
    fpy = next(s for s in chart.series if s.name == "first-pass yield")
    assert [p.y for p in fpy.points] == [chart.bottom, charts.PAD_TOP]
    assert [p.x for p in fpy.points] == [chart.left, chart.right]
    approval = next(s for s in chart.series if s.name == "approval rate")
    assert len(approval.points) == 1 and approval.points[0].y == pytest.approx((chart.bottom + charts.PAD_TOP) / 2)
    assert not any(s.name == "revision rate" for s in chart.series)
    bars = charts.count_bars([charts.CountRow(name="logo", count=4), charts.CountRow(name="text", count=1)])
    assert [b.fraction for b in bars] == [1.0, 0.25]


# --- the command ----------------------------------------------------------------------------------------------


def test_serve_refuses_a_non_loopback_host_without_the_flag_and_a_missing_registry(tmp_path: Path) -> None:
    db = tmp_path / "brandkit.db"
    with pytest.raises(RequestError, match="--allow-remote"):
        serve(db, host="0.0.0.0", port=0)
    with pytest.raises(RegistryError, match="no registry here"):
        serve(db, host="127.0.0.1", port=0)
    assert not db.exists()


@pytest.mark.parametrize("remote", [False, True], ids=["loopback", "allow-remote"])
def test_review_serve_prints_a_token_url_that_opens_the_queue(made: Made, tmp_path: Path, remote: bool) -> None:
    """The real command: it prints the token URL, the queue opens with it and not without, a non-loopback bind
    (only with --allow-remote) warns on stderr and accepts any Host name, and Ctrl-C stops it without a
    traceback."""
    db, rows = fill_registry(made, tmp_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "300"}
    extra = ["--host", "0.0.0.0", "--allow-remote"] if remote else []
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as sink:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from brandkit.cli import main; main()",
                "review",
                "serve",
                "--db",
                str(db),
                "--port",
                "0",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=sink,
            text=True,
            env=env,
            cwd=tmp_path,
        )
    try:
        assert proc.stdout is not None
        url = ""
        deadline = time.monotonic() + 60
        while not url and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, f"review serve exited: {errors.read_text()}"
            if line.startswith("open "):
                url = line.split()[1]
        parts = urlsplit(url)
        assert re.fullmatch(r"token=[A-Za-z0-9_\-]{20,}", parts.query)
        assert (parts.hostname != "127.0.0.1") if remote else (parts.hostname == "127.0.0.1")
        token = parts.query.removeprefix("token=")
        srv = Running(
            base=f"http://127.0.0.1:{parts.port}/", policy=AccessPolicy.create("127.0.0.1", token=token), db=db
        )
        assert fetch(srv, "/").status == 403
        renamed = fetch(srv, "/", headers={"Host": f"review.lan:{parts.port}"})
        assert renamed.status == (403 if remote else 400)
        cookie, _ = sign_in(srv)
        page = fetch(srv, "/", headers={"Cookie": cookie})
        assert all(f'id="asset-{r.id}"' in page.text for r in rows)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert proc.returncode in (0, 130, -signal.SIGINT)
    said = errors.read_text()
    assert ("warning: the review page listens on 0.0.0.0" in said) is remote
    assert "Traceback" not in said and token not in said


def test_an_unexpected_error_is_a_plain_500_and_one_log_line(
    served: tuple[Running, list[AssetRow]], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    srv, _ = served
    cookie, _ = sign_in(srv)

    def broken(self: Registry, f: object = None) -> list[AssetRow]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Registry, "list_assets", broken)
    with caplog.at_level("ERROR"):
        answer = fetch(srv, "/", headers={"Cookie": cookie})
    assert answer.status == 500 and "RuntimeError" in answer.text and "Traceback" not in answer.text
    records = [r for r in caplog.records if r.name == "brandkit.review_web"]
    assert len(records) == 1 and "disk on fire" in records[0].getMessage() and records[0].exc_info is None
    assert not any("Traceback" in r.getMessage() or r.exc_info for r in caplog.records)


def test_host_rules_and_redirect_targets() -> None:
    loopback = AccessPolicy.create("127.0.0.1")
    assert loopback.host_allowed("127.0.0.1:8765") and loopback.host_allowed("localhost:1")
    assert loopback.host_allowed("[::1]:8765") and not loopback.host_allowed("rebound.example:8765")
    exposed = AccessPolicy.create("0.0.0.0")
    assert exposed.host_allowed("192.168.1.5:8765") and exposed.host_allowed("review.lan")
    assert "token" not in repr(loopback) and loopback.token not in repr(loopback)
    assert app_module._with_param("/?state=all&decided=1&made=2", decided=3) == "/?state=all&decided=3"
    assert app_module._safe_next("//evil.example/") == "/" and app_module._safe_next("https://x/") == "/"
    assert app_module._safe_next("/asset/3?x=1") == "/asset/3?x=1"


@pytest.mark.slow
def test_the_page_reads_the_registry_while_a_variants_run_records_into_it(tmp_path: Path) -> None:
    """A real ``brandkit variants`` run (local renderer, light checks) records into its registry while the page
    is being read: every answer is a page, the queue only grows, and at the end it shows every variant."""
    from tests.support.variants import LIGHT_CHECKS_LAUNCHER

    launcher = tmp_path / "launch_brandkit.py"
    launcher.write_text(LIGHT_CHECKS_LAUNCHER, encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "schema_version: 1\nname: review-web\n"
        f"spec: {NORTHWIND}\n"
        "base:\n  brief: A ceramic cup of fresh coffee on an oak table\n  cta: Order ahead\n"
        "axes:\n  headline: [Slow mornings, Your ritual]\n  format: [square, banner, portrait]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    db = out / "brandkit.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("BRANDKIT_DB", None)
    log = tmp_path / "variants.log"
    with log.open("w") as sink:  # a file, not a pipe: nothing blocks the run if no one reads
        proc = subprocess.Popen(
            [
                sys.executable,
                str(launcher),
                "variants",
                str(plan),
                "--out",
                str(out),
                "--provider",
                "local",
                "--concurrency",
                "2",
                "--json",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
    counts: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not db.exists():
            assert proc.poll() is None, f"variants exited early: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "the run made no registry"
            time.sleep(0.05)
        with running(db) as srv:
            cookie, _ = sign_in(srv, need_csrf=False)  # the run may not have recorded a variant yet
            while True:
                finished = proc.poll() is not None
                page = fetch(srv, "/?state=all", headers={"Cookie": cookie})
                assert page.status == 200, page.text[:300]
                counts.append(page.text.count('<article class="card decidable"'))
                if finished:
                    break
                assert time.monotonic() < deadline, "the variants run did not finish"
                time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
    assert proc.returncode == 0, log.read_text()[-2000:]
    assert len(counts) >= 2 and counts == sorted(counts) and counts[-1] == 6  # read during the run, then after
    with Registry.open(db) as registry:
        assert {r.kind for r in registry.list_assets()} == {"variant"}
