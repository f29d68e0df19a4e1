"""The review web page: a Starlette app over one registry database (see ``docs/review.md``).

Pages (all behind :class:`~brandkit.review_web.security.AccessMiddleware`):

* ``GET /`` — the queue: a grid of assets (filters ``state``, ``run``, ``spec``, ``check``), thumbnails, check
  badges, palette swatches, failure reasons and attempt history; keyboard ``j``/``k`` to move, ``a``/``r``/``c``
  to decide.
* ``GET /asset/{id}`` — one asset: the image large, its attempts, the spec rules it was held to, the lineage and
  the review history.
* ``GET /asset/{id}/image`` and ``/asset/{id}/thumb`` — the image (only a file the registry recorded, inside its
  asset folders, holding the bytes that were checked) and its cached thumbnail. There is no route that takes a
  path.
* ``POST /asset/{id}/decide`` — approve / reject / request changes (CSRF token required); request changes
  regenerates in a worker thread via :func:`brandkit.registry.regenerate.request_changes`.
* ``GET /report`` — the metrics as inline SVG charts and as a table.

Each request opens its own :class:`~brandkit.registry.Registry` in a worker thread (one connection per thread).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from brandkit.errors import AssetNotFoundError, BrandkitError, ReviewStateError, redact
from brandkit.registry.files import file_hint, recorded_file
from brandkit.registry.models import AssetDetail, AssetFilter, AssetPage, GroupBy, Metrics, ReviewState, gates_named
from brandkit.registry.store import Registry
from brandkit.review_web import charts
from brandkit.review_web.files import MEDIA_TYPES, cached_thumbnail, checked_image, thumbnail, thumbnail_folder
from brandkit.review_web.security import (
    AccessMiddleware,
    AccessPolicy,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    plain_response,
)

T = TypeVar("T")
_log = logging.getLogger("brandkit.review_web")
DECISIONS = {"approve": ReviewState.approved, "reject": ReviewState.rejected, "changes": ReviewState.changes_requested}
GROUPS: tuple[GroupBy, ...] = ("spec", "run", "check", "format", "locale")
REVIEWER_COOKIE = "brandkit_reviewer"
QUEUE_LIMIT = 120
"""The queue shows the newest 120 assets that match its filters."""


@dataclass(frozen=True)
class ReviewConfig:
    """What one review server serves: the registry database, its access policy, and the provider used when a
    reviewer requests changes (``None``: each asset's own provider)."""

    db_path: Path
    policy: AccessPolicy
    provider: str | None = None


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("brandkit.review_web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = charts.pct
    return Jinja2Templates(env=env)


def _config(request: Request) -> ReviewConfig:
    config: ReviewConfig = request.app.state.config
    return config


async def _with_registry(request: Request, work: Callable[[Registry], T]) -> T:
    """Run ``work`` with a registry opened (and closed) in a worker thread."""
    db_path = _config(request).db_path

    def run() -> T:
        with Registry.open(db_path) as registry:
            return work(registry)

    return await run_in_threadpool(run)


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    nonce = secrets.token_urlsafe(12)
    sid = request.state.session if "session" in request.scope.get("state", {}) else None
    full = {
        "nonce": nonce,
        "csrf": _config(request).policy.csrf_token(sid) if sid else "",
        "reviewer": request.cookies.get(REVIEWER_COOKIE, ""),
        "notice": None,
        "approvable": True,
        **context,
    }
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, full, status_code=status)
    response.headers["content-security-policy"] = (
        f"default-src 'none'; img-src 'self'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["x-frame-options"] = "DENY"
    response.headers["referrer-policy"] = "same-origin"  # "no-referrer" would make Chromium send "Origin: null"
    response.headers["cache-control"] = "no-store"
    return response


def _error(request: Request, status: int, message: str) -> Response:
    return _page(request, "error.html", {"status": status, "message": message}, status)


def _filter_from(request: Request) -> tuple[AssetFilter, dict[str, str]]:
    q = request.query_params
    state = q.get("state", "pending")
    chosen = {k: q.get(k, "") for k in ("run", "spec", "check", "gates")}
    chosen["state"] = state
    if state not in ("all", *(s.value for s in ReviewState)):
        raise ReviewStateError(f"state {state!r} is not one of all, {', '.join(s.value for s in ReviewState)}")
    try:
        gates = gates_named(chosen["gates"])
    except ValueError as exc:
        raise ReviewStateError(f"gates: {exc}") from None
    before = q.get("before", "")
    if before and not (before.isdigit() and int(before) >= 1):
        raise ReviewStateError(f"before {before!r} is not an asset id (a whole number from 1)")
    f = AssetFilter(
        state=None if state == "all" else ReviewState(state),
        run=chosen["run"] or None,
        spec=chosen["spec"] or None,
        check_failed=chosen["check"] or None,
        gates=gates,
        limit=QUEUE_LIMIT,
        before=int(before) if before else None,
    )
    return f, chosen


async def queue(request: Request) -> Response:
    """The queue grid."""
    f, chosen = _filter_from(request)

    def work(registry: Registry) -> tuple[list[Any], dict[int, str], AssetPage]:
        page = registry.page_assets(f)
        hints = {row.id: hint for row in page.rows if (hint := file_hint(row)) is not None}  # a stat each, no read
        return [registry.get_asset(row.id) for row in page.rows], hints, page

    details, hints, page = await _with_registry(request, work)
    notice = _notice(request)
    filters = {key: value for key, value in chosen.items() if value}
    context = {
        "items": details,
        "file_hints": hints,
        "chosen": chosen,
        "states": list(ReviewState),
        "limit": QUEUE_LIMIT,
        "total": page.total,
        "paged": f.before is not None,
        # keyset pages (newest first): the next page starts after this page's last asset, whatever was recorded or
        # decided meanwhile; the first page is the filters alone
        "older": "/?" + urlencode({**filters, "before": page.next_before}) if page.next_before else None,
        "newest": "/?" + urlencode(filters) if f.before is not None else None,
        "notice": notice,
    }
    return _page(request, "queue.html", {**context, "path": request.url.path + _query(request)})


def _query(request: Request) -> str:
    return f"?{request.url.query}" if request.url.query else ""


def _notice(request: Request) -> str | None:
    q = request.query_params
    decided, made = q.get("decided", ""), q.get("made", "")
    if decided.isdigit() and made.isdigit():
        return f"changes requested on asset {decided}: new attempt is asset {made}"
    if decided.isdigit():
        return f"decision recorded on asset {decided}"
    return None


def _asset_id(request: Request) -> int:
    value: int = request.path_params["asset_id"]
    return value


async def detail(request: Request) -> Response:
    """One asset, large; a notice when its file is no longer the one that was checked (approval is then refused)."""
    asset_id = _asset_id(request)

    def work(registry: Registry) -> tuple[AssetDetail, str | None]:
        item = registry.get_asset(asset_id)
        now = recorded_file(item.row)
        return item, None if now.unchanged else now.describe(asset_id)

    item, file_notice = await _with_registry(request, work)
    context = {
        "item": item,
        "notice": _notice(request),
        "file_notice": file_notice,
        "approvable": file_notice is None,
        "path": request.url.path,
    }
    return _page(request, "detail.html", context)


async def image(request: Request) -> Response:
    """The asset's image: the checked bytes, from the registry's asset folders only."""
    asset_id = _asset_id(request)

    def work(registry: Registry) -> tuple[Path, bytes]:
        return checked_image(registry.get_asset(asset_id).row, registry.asset_folders())

    path, data = await _with_registry(request, work)
    return Response(data, media_type=MEDIA_TYPES[path.suffix.lower()], headers={"cache-control": "no-store"})


async def thumb(request: Request) -> Response:
    """The asset's thumbnail (made once from the checked bytes, cached on disk beside the database)."""
    asset_id = _asset_id(request)
    cache = thumbnail_folder(_config(request).db_path)

    def work(registry: Registry) -> Path:
        row = registry.get_asset(asset_id).row
        made = cached_thumbnail(cache, row.content_hash)
        if made is not None:  # made from bytes with this hash: it shows what was checked, wherever the file is now
            return made
        _, data = checked_image(row, registry.asset_folders())
        return thumbnail(data, cache, row.content_hash)

    path = await _with_registry(request, work)
    return FileResponse(path, media_type="image/png", headers={"cache-control": "private, max-age=3600"})


def _safe_next(value: str) -> str:
    """Only a local path (no scheme, no ``//host``) is a redirect target."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _with_param(target: str, **params: int) -> str:
    """``target`` with ``params`` set in its query (earlier notices ``decided``/``made`` dropped)."""
    base, _, query = target.partition("?")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("decided", "made", *params)]
    return f"{base}?{urlencode([*kept, *((k, str(v)) for k, v in params.items())])}"


async def decide(request: Request) -> Response:
    """Record a decision; ``changes`` also regenerates. Refused without the session's CSRF token."""
    asset_id = _asset_id(request)
    form = await request.form()
    config = _config(request)
    sid = request.state.session if "session" in request.scope.get("state", {}) else None
    if not config.policy.check_csrf(sid, str(form.get("csrf", ""))):
        return _error(request, 403, "missing or wrong CSRF token: reload the page and try again")
    decision = str(form.get("decision", ""))
    if decision not in DECISIONS:
        return _error(request, 400, f"decision {decision!r} is not one of approve, reject, changes")
    reviewer = str(form.get("reviewer", "")).strip() or request.cookies.get(REVIEWER_COOKIE, "").strip()
    if not reviewer:
        return _error(request, 400, "reviewer: enter your name at the top of the page before deciding")
    choice, text = str(form.get("reason_choice", "")).strip(), str(form.get("reason", "")).strip()
    reason = f"{choice}: {text}" if choice and text else (choice or text or None)
    state = DECISIONS[decision]
    target = _safe_next(str(form.get("next", "/")))
    if state is ReviewState.changes_requested:
        if not reason:
            return _error(request, 400, "reason: say what should change (choose a failing check or write a note)")
        from brandkit.registry.regenerate import request_changes

        made = await _with_registry(
            request, lambda r: request_changes(r, asset_id, reason, reviewer, provider=config.provider)
        )
        location = _with_param(target, decided=asset_id, made=made.id)
    else:
        await _with_registry(request, lambda r: r.decide(asset_id, state, reason, reviewer))
        location = _with_param(target, decided=asset_id)
    response = RedirectResponse(location, status_code=303)
    response.set_cookie(REVIEWER_COOKIE, reviewer, httponly=True, samesite="strict", max_age=30 * 86400)
    return response


async def report(request: Request) -> Response:
    """The metrics as charts and as a table; ``?by=spec|run|check|format|locale`` adds a per-group table."""
    since = request.query_params.get("since") or None
    until = request.query_params.get("until") or None
    by_value = request.query_params.get("by") or None
    by = next((g for g in GROUPS if g == by_value), None)
    if by_value and by is None:
        return _error(request, 400, f"by {by_value!r} is not one of {', '.join(GROUPS)}")

    def work(registry: Registry) -> tuple[Metrics, dict[str, Metrics]]:
        overall = registry.metrics(since=since, until=until)
        grouped = registry.metrics(since=since, until=until, by=by) if by else {}
        assert isinstance(overall, Metrics) and isinstance(grouped, dict)
        return overall, grouped

    overall, grouped = await _with_registry(request, work)
    return _page(
        request,
        "report.html",
        {
            "m": overall,
            "groups": grouped,
            "by": by or "",
            "since": since or "",
            "until": until or "",
            "all_groups": GROUPS,
            "rate_bars": charts.rate_bars(overall),
            "check_bars": charts.count_bars(overall.top_rework_checks),
            "reason_bars": charts.count_bars(overall.top_rework_reasons),
            "trend": charts.trend_chart(overall.trend),
            "series": charts.RATE_SERIES,
            "geometry": {"view": charts.BAR_VIEW_WIDTH, "x": charts.BAR_X, "max": charts.BAR_MAX},
        },
    )


async def favicon(request: Request) -> Response:
    """No icon (answering keeps the browser's console free of 404s)."""
    return Response(status_code=204)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(request, 404, str(exc))


async def _bad_request(request: Request, exc: Exception) -> Response:
    return _error(request, 400, str(exc))


class ContainErrors:
    """ASGI middleware: an unexpected exception becomes a plain 500 answer and one log line naming its type, never
    a traceback in the terminal of the person running ``brandkit review serve``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            _log.error(
                "review page: unexpected %s on %s %s: %s",
                type(exc).__name__,
                scope.get("method", ""),
                scope.get("path", ""),
                redact(str(exc))[:300],
            )
            if not started:
                await plain_response(send, 500, f"unexpected error ({type(exc).__name__}); see the server's log")


def create_app(config: ReviewConfig) -> Starlette:
    """The review app for ``config`` (wrapped in the token/CSRF middleware)."""
    routes = [
        Route("/", queue),
        Route("/asset/{asset_id:int}", detail),
        Route("/asset/{asset_id:int}/image", image),
        Route("/asset/{asset_id:int}/thumb", thumb),
        Route("/asset/{asset_id:int}/decide", decide, methods=["POST"]),
        Route("/report", report),
        Route("/favicon.ico", favicon),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(AccessMiddleware, policy=config.policy), Middleware(ContainErrors)],
        exception_handlers={AssetNotFoundError: _not_found, BrandkitError: _bad_request},
    )
    app.state.config = config
    app.state.templates = _templates()
    return app
