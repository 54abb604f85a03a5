"""The console's Starlette application: routes, roles, sessions and security headers.

Auditors see the exchange log, traces and exports; operators see runs, dead letters and
reports; both see the overview. Nothing here changes the store but what the log must record
(sign-ins, their failures, trace queries) and the accounts' failure counters. Pages carry no
script: the overview refreshes itself with a ``<meta>`` refresh, charts are SVG drawn here.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from gateway.audit import SearchFilter
from gateway.audit.export import ExportFormat
from gateway.audit.query import parse_moment
from gateway.audit.settings import audit_key
from gateway.audit.verify import VerifyReport
from gateway.clock import parse_iso
from gateway.codes.idnumber import is_valid_id_number
from gateway.config import GatewayConfig
from gateway.console import views
from gateway.console.auth import Outcome, Role, Sessions, User, get_user, sign_in
from gateway.console.charts import bars
from gateway.console.i18n import DEFAULT, LANGUAGES, translator
from gateway.errors import ConfigError, GatewayError
from gateway.logging import get_logger
from gateway.masking import scrub_text
from gateway.store import Store, dlq
from gateway.store.engine import RUN_COUNTERS

log = get_logger("gateway.console")
HERE = Path(__file__).parent
LANG_COOKIE = "gateway_console_lang"
AUDITOR, OPERATOR = frozenset({Role.AUDITOR}), frozenset({Role.OPERATOR})
BOTH = AUDITOR | OPERATOR
SECURITY_HEADERS = {
    # No script at all, nothing from elsewhere, never framed.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Same-origin: nothing leaves for elsewhere, and form posts keep their Origin header.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NAV = (
    ("overview", "/", BOTH),
    ("runs", "/runs", OPERATOR),
    ("dead_letters", "/dlq", OPERATOR),
    ("reports", "/reports", OPERATOR),
    ("log", "/log", AUDITOR),
    ("trace", "/trace", AUDITOR),
    ("exports", "/exports", AUDITOR),
)
EXPORT_FORMATS: dict[str, ExportFormat] = {"jsonl": "jsonl", "csv": "csv"}
Endpoint = Callable[[Request], Awaitable[Response]]


def _finalize(value: Any) -> Any:
    """Every value a template prints passes the free-text net of the masking policy too (a
    macro's output is made of values that passed it already)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return scrub_text(value)
    return value


class Console:
    """The application's state: configuration, store, sessions and verifications run."""

    def __init__(self, config: GatewayConfig, store: Store) -> None:
        if config.audit.key is None:
            raise ConfigError(
                "the web console needs audit.key (it digests trace queries and signs sessions)"
            )
        self.config = config
        self.store = store
        self.sessions = Sessions(audit_key(config), config.console.session_hours)
        self.zone = ZoneInfo(config.display.timezone)
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["local"] = self.local
        self.templates.filters["num"] = _number
        self.templates.globals["bars"] = bars
        self.templates.globals["counters"] = RUN_COUNTERS
        self._verifier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-verify")
        self._verifications: dict[str, tuple[datetime, Future[VerifyReport]]] = {}
        self._lock = threading.Lock()

    def local(self, value: str | datetime | None) -> str:
        """A stored UTC time in the display zone with its offset: ``2022-11-30 16:41:00 +08:00``."""
        if not value:
            return ""
        moment = parse_iso(value) if isinstance(value, str) else value
        shown = moment.astimezone(self.zone)
        offset = shown.strftime("%z")
        return f"{shown:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"

    # Verifications run in the background, one at a time; the newest result stays shown.
    def start_verification(self) -> str:
        token = uuid.uuid4().hex
        with self._lock:
            running = [t for t, (_at, f) in self._verifications.items() if not f.done()]
            if running:
                return running[0]
            future = self._verifier.submit(views.verify, self.config, self.store)
            self._verifications[token] = (datetime.now(self.zone), future)
        return token

    def verification(self, token: str) -> tuple[datetime, Future[VerifyReport]] | None:
        with self._lock:
            return self._verifications.get(token)

    def latest_verification(self) -> tuple[datetime, VerifyReport] | None:
        with self._lock:
            done = [(at, f) for at, f in self._verifications.values() if f.done()]
        for at, future in sorted(done, key=lambda pair: pair[0], reverse=True):
            if future.exception() is None:
                return at, future.result()
        return None

    def close(self) -> None:
        self._verifier.shutdown(wait=False, cancel_futures=True)

    # Requests.
    def lang(self, request: Request) -> str:
        chosen = request.cookies.get(LANG_COOKIE, DEFAULT)
        return chosen if chosen in LANGUAGES else DEFAULT

    def user(self, request: Request) -> User | None:
        name = self.sessions.read(request.cookies.get(Sessions.COOKIE))
        return get_user(self.store, name) if name else None

    def page(
        self, request: Request, template: str, user: User | None, code: int = 200, **values: Any
    ) -> HTMLResponse:
        lang = self.lang(request)
        t = translator(lang)
        nav = [(t(word), href) for word, href, roles in NAV if user and user.role in roles]
        body = self.templates.get_template(template).render(
            t=t,
            lang=lang,
            user=user,
            nav=nav,
            path=request.url.path,
            here=quote(request.url.path),
            zone=self.config.display.timezone,
            **values,
        )
        return HTMLResponse(body, status_code=code)


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def guarded(console: Console, roles: frozenset[Role], view: Callable[..., Response]) -> Endpoint:
    """The page for signed-in users of ``roles``: others are sent to sign in or refused (403).
    The view runs in a worker thread: it reads the store synchronously."""

    async def endpoint(request: Request) -> Response:
        user = await run_in_threadpool(console.user, request)
        if user is None:
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        if user.role not in roles:
            return console.page(request, "forbidden.html", user, code=403)
        form = await request.form() if request.method == "POST" else None
        try:
            return await run_in_threadpool(view, request, user, form)
        except GatewayError as exc:
            return console.page(request, "error.html", user, code=400, message=scrub_text(str(exc)))

    return endpoint


def _query(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


def _moment(text: str | None) -> datetime | None:
    return parse_moment(text) if text else None


def build_app(config: GatewayConfig, store: Store) -> Starlette:
    console = Console(config, store)

    def overview(request: Request, user: User, _form: Any) -> Response:
        data = views.overview(config, store)
        return console.page(request, "overview.html", user, refresh=30, **data)

    def runs(request: Request, user: User, _form: Any) -> Response:
        job = _query(request, "job")
        return console.page(
            request,
            "runs.html",
            user,
            runs=views.runs(store, job),
            job=job,
            jobs=sorted(config.jobs),
        )

    def run(request: Request, user: User, _form: Any) -> Response:
        found, entries = views.run_detail(store, request.path_params["run_id"])
        if found is None:
            return console.page(request, "error.html", user, code=404, message="")
        return console.page(request, "run.html", user, run=found, entries=entries)

    def letters(request: Request, user: User, _form: Any) -> Response:
        status = _query(request, "status")
        if status is not None and status not in dlq.STATUSES:
            raise ConfigError("status must be one of " + ", ".join(dlq.STATUSES))
        job, reason = _query(request, "job"), _query(request, "reason")
        found, total = views.letters(store, job, reason, status)
        return console.page(
            request,
            "letters.html",
            user,
            letters=found,
            total=total,
            job=job,
            reason=reason,
            status=status,
            jobs=sorted(config.jobs),
            statuses=dlq.STATUSES,
        )

    def letter(request: Request, user: User, _form: Any) -> Response:
        detail = views.letter_detail(config, store, int(request.path_params["letter_id"]))
        return console.page(request, "letter.html", user, letter=detail)

    def log_page(request: Request, user: User, _form: Any) -> Response:
        values = {
            name: _query(request, name)
            for name in ("job", "platform", "direction", "outcome", "kind", "since", "until")
        }
        where = SearchFilter(
            job=values["job"],
            platform=values["platform"],
            direction=values["direction"],
            outcome=values["outcome"],
            kind=values["kind"],
            since=_moment(values["since"]),
            until=_moment(values["until"]),
        )
        return console.page(
            request,
            "log.html",
            user,
            entries=views.log_entries(store, where),
            filters=values,
            limit=views.LOG_PAGE,
            chain=views.chain_state(config, store),
            verified=console.latest_verification(),
            jobs=sorted(config.jobs),
            platforms=sorted(config.platforms),
        )

    def entry(request: Request, user: User, _form: Any) -> Response:
        found = views.log_entry(store, int(request.path_params["seq"]))
        if found is None:
            return console.page(request, "error.html", user, code=404, message="")
        return console.page(request, "entry.html", user, entry=found)

    def verify_start(request: Request, user: User, _form: Any) -> Response:
        return RedirectResponse(f"/log/verify/{console.start_verification()}", status_code=303)

    def verify_result(request: Request, user: User, _form: Any) -> Response:
        found = console.verification(request.path_params["token"])
        if found is None:
            return RedirectResponse("/log", status_code=303)
        at, future = found
        if not future.done():
            return console.page(request, "verify.html", user, refresh=2, at=at, report=None)
        failure = future.exception()
        if failure is not None:
            # The check itself broke (the store unreadable, a bug): one masked line, not a 500.
            log.error("console verification failed", error=type(failure).__name__)
            message = (
                scrub_text(str(failure))
                if isinstance(failure, GatewayError)
                else "校验未能完成，见网关日志 / the verification could not run: see the log"
            )
            return console.page(request, "error.html", user, code=500, message=message)
        return console.page(request, "verify.html", user, at=at, report=future.result())

    def trace_page(request: Request, user: User, form: Any) -> Response:
        if form is None:
            return console.page(request, "trace.html", user, answer=None)
        label = str(form.get("kind", "id"))
        value = str(form.get("value", "")).strip()
        if label not in ("id", "uscc", "key") or not value:
            return console.page(request, "trace.html", user, answer=None, empty=True)
        answer = views.trace_value(config, store, user.name, label, value)
        return console.page(
            request,
            "trace.html",
            user,
            code=429 if answer.refused else 200,
            answer=answer,
            limit=config.console.traces_per_minute,
            invalid_id=label == "id" and not _valid_id(value),
        )

    def exports(request: Request, user: User, _form: Any) -> Response:
        return console.page(request, "exports.html", user)

    def download(request: Request, user: User, _form: Any) -> Response:
        fmt = EXPORT_FORMATS.get(_query(request, "format") or "jsonl")
        if fmt is None:
            raise ConfigError("the format is csv or jsonl")
        name, body = views.export_zip(
            config, store, fmt, _moment(_query(request, "since")), _moment(_query(request, "until"))
        )
        headers = {"Content-Disposition": f'attachment; filename="{name}.zip"'}
        return Response(body, media_type="application/zip", headers=headers)

    def reports(request: Request, user: User, _form: Any) -> Response:
        return console.page(request, "reports.html", user, names=list(views.report_viewers()))

    def report(request: Request, user: User, _form: Any) -> Response:
        name = request.path_params["name"]
        shown = views.report(config, store, name)
        if shown is None:
            return console.page(request, "error.html", user, code=404, message="")
        return console.page(
            request,
            "report.html",
            user,
            name=name,
            report=shown,
            names=list(views.report_viewers()),
        )

    async def login(request: Request) -> Response:
        target = _local_path(request.query_params.get("next", "/"))
        if request.method != "POST":
            return console.page(request, "login.html", None, target=target)
        form = await request.form()
        name, password = str(form.get("user", "")).strip(), str(form.get("password", ""))
        outcome, user = await run_in_threadpool(sign_in, store, config.console, name, password)
        await run_in_threadpool(
            views.audit_sign_in, config, store, name, outcome.value, _client(request)
        )
        if user is None:
            message = "locked" if outcome is Outcome.LOCKED else "bad_sign_in"
            log.warning("console sign-in refused", outcome=outcome.value)
            return console.page(
                request, "login.html", None, code=401, target=target, message=message
            )
        log.info("console sign-in", user=user.name, role=user.role.value)
        response = RedirectResponse(target, status_code=303)
        _set_cookie(request, response, Sessions.COOKIE, console.sessions.issue(user),
                    console.sessions.max_age)  # fmt: skip
        return response

    async def logout(request: Request) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(Sessions.COOKIE, path="/")
        return response

    async def language(request: Request) -> Response:
        code = request.path_params["code"]
        response = RedirectResponse(_local_path(request.query_params.get("next", "/")), 303)
        if code in LANGUAGES:
            _set_cookie(request, response, LANG_COOKIE, code, 365 * 86400)
        return response

    def route(path: str, view: Callable[..., Response], roles: frozenset[Role],
              methods: tuple[str, ...] = ("GET",)) -> Route:  # fmt: skip
        return Route(path, guarded(console, roles, view), methods=list(methods))

    routes = [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/lang/{code}", language),
        route("/", overview, BOTH),
        route("/runs", runs, OPERATOR),
        route("/runs/{run_id}", run, OPERATOR),
        route("/dlq", letters, OPERATOR),
        route("/dlq/{letter_id:int}", letter, OPERATOR),
        route("/reports", reports, OPERATOR),
        route("/reports/{name}", report, OPERATOR),
        route("/log", log_page, AUDITOR),
        route("/log/verify", verify_start, AUDITOR),
        route("/log/verify/{token}", verify_result, AUDITOR),
        route("/log/{seq:int}", entry, AUDITOR),
        route("/trace", trace_page, AUDITOR, ("GET", "POST")),
        route("/exports", exports, AUDITOR),
        route("/exports/download", download, AUDITOR),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        console.close()

    headers = Middleware(_SecurityHeaders, public_origin=config.console.public_origin)
    app = Starlette(routes=routes, middleware=[headers], lifespan=lifespan)
    app.state.console = console
    return app


def _valid_id(value: str) -> bool:
    return is_valid_id_number(value.upper())


def _local_path(target: str) -> str:
    """Only a path on this site: never a redirect elsewhere."""
    url = URL(target)
    if url.scheme or url.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


class _SecurityHeaders(BaseHTTPMiddleware):
    """The headers above on every answer; a form posted from another site is refused (the
    session cookie is SameSite=Strict already; this covers the sign-in form too). A form's
    Origin is the console's own when it names the host the request was sent to, or the
    configured ``console.public_origin`` (a reverse proxy may pass on a Host of its own)."""

    def __init__(self, app: ASGIApp, public_origin: str | None = None) -> None:
        super().__init__(app)
        self.public_origin = public_origin

    def _own(self, origin: str, request: Request) -> bool:
        if self.public_origin is not None and origin.lower().rstrip("/") == self.public_origin:
            return True
        return URL(origin).netloc == request.url.netloc

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        origin = request.headers.get("origin")
        if request.method == "POST" and origin and not self._own(origin, request):
            response: Response = Response("cross-site form refused", status_code=403)
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response
