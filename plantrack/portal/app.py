"""The portal's web application (Starlette): pages, forms and downloads.

``Portal`` holds what every request needs — settings, the catalog, the open
quarters, the portal database, the signing key — and the routing; the pages are
its methods, grouped by who uses them: ``accounts`` (login, one-time links),
``steward`` (a unit's quarter, uploads, submission, briefs), ``admin`` (the bureau).
A steward's pages never take a unit from the URL: her unit is her
account's, and an upload of another unit answers 404 as if it did not exist.
The bureau's admin pages answer 403 to everyone else.

The validation machinery (readers, Great Expectations suites) is imported and
exercised once at start-up (``warm``), so the first steward of the morning gets
her verdict as fast as the hundredth.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from plantrack.catalog import Catalog, Unit
from plantrack.periods import Quarter
from plantrack.portal import auth
from plantrack.portal.accounts import AccountPages
from plantrack.portal.admin import AdminPages
from plantrack.portal.db import Account, PortalDB, Upload, utc_now
from plantrack.portal.overview import STATE_LABEL, InboxHashes
from plantrack.portal.quarters import Calendar, Window
from plantrack.portal.status import WarehouseReader
from plantrack.portal.steward import StewardPages
from plantrack.portal.uploads import MAX_UPLOAD_BYTES
from plantrack.portal.verdict import make_verdict
from plantrack.portal.web import (
    CHECKS_AT_ONCE,
    CSRF_REFUSED,
    HERE,
    Caller,
    LoginRequired,
    portal_db_path,
    portal_home,
    shown_time,
)
from plantrack.settings import Settings

log = logging.getLogger("plantrack.portal")


class Portal(AccountPages, StewardPages, AdminPages):
    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        calendar: Calendar,
        *,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        clock: Callable[[], datetime] = utc_now,
        limit: auth.LoginLimit | None = None,
    ):
        self.settings, self.catalog, self.calendar = settings, catalog, calendar
        self.plans: dict = {}  # year → its ready plan, looked up once
        self.max_upload_bytes = max_upload_bytes
        self.clock = clock
        self.limit = limit or auth.LoginLimit()
        self.home = portal_home(settings)
        self.uploads_dir = self.home / "uploads"
        self.scratch = self.uploads_dir / ".incoming"
        self.db = PortalDB(portal_db_path(settings))
        self.signer = auth.Signer(auth.load_secret(self.home / "secret.key"))
        self.warehouse = WarehouseReader(settings.warehouse_path)
        self.inbox_hashes = InboxHashes()
        self.checks = threading.BoundedSemaphore(CHECKS_AT_ONCE)
        self.zone = settings.schedule.timezone
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.contact = catalog.issuer or "主管部门"  # whom a steward asks: the plan's issuer
        self.env.globals.update(
            issuer=self.contact, title=catalog.title, shown_time=shown_time, state_label=STATE_LABEL
        )
        self.scratch.mkdir(parents=True, exist_ok=True)
        for stale in self.scratch.glob(".upload-*.part"):  # a server stopped mid-upload
            stale.unlink(missing_ok=True)

    def plan(self, quarter: Quarter):
        """The ready plan that judges ``quarter`` (its year's); PlanError when there is none."""
        from plantrack.plans import ready_plan

        if quarter.year not in self.plans:
            self.plans[quarter.year] = ready_plan(self.settings, quarter.year)
        return self.plans[quarter.year]

    # -- start-up --------------------------------------------------------------------

    def warm(self) -> float:
        """Read and judge one real template now, so no steward pays for the first imports."""
        from plantrack.template import write_template
        from plantrack.validate import check_file

        started = time.perf_counter()
        window = self.calendar.main(self.clock())
        plan = self.plan(window.quarter)
        catalog = plan.catalog
        unit = next(u for u in catalog.reporting_units() if catalog.indicators_for(u.code))
        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            path = write_template(catalog, unit, window.quarter, Path(folder) / "warm.xlsx")
            make_verdict(check_file(path, catalog, window.quarter, plan.suites_dir, data_docs=False))
        for name in self.env.list_templates():
            self.env.get_template(name)
        return time.perf_counter() - started

    def app(self) -> Starlette:
        routes = [
            Route("/", self.index),
            Route("/healthz", self.healthz),
            Route("/login", self.login, methods=["GET", "POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/welcome/{token}", self.welcome, methods=["GET", "POST"]),
            Route("/q/{quarter}", self.steward_page),
            Route("/q/{quarter}/template", self.template_download),
            Route("/q/{quarter}/upload", self.upload, methods=["POST"]),
            Route("/uploads/{upload_id}", self.upload_page),
            Route("/uploads/{upload_id}/fixit", self.fixit_download),
            Route("/uploads/{upload_id}/submit", self.submit, methods=["POST"]),
            Route("/briefs/{quarter}", self.brief_download),
            Route("/admin", self.admin_page),
            Route("/admin/units/{unit}", self.admin_unit_page),
            Route("/admin/remind", self.remind, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        app = Starlette(routes=routes, exception_handlers={HTTPException: self.http_error})
        app.add_middleware(SecurityHeaders)
        return app

    # -- helpers -----------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def caller(self, request: Request) -> Caller:
        sid = self.signer.unsign(request.cookies.get(auth.SESSION_COOKIE))
        account = self.db.session_account(sid) if sid else None
        prelogin = self.signer.unsign(request.cookies.get(auth.PRELOGIN_COOKIE))
        return Caller(account, sid if account else None, prelogin)

    def client(self, request: Request) -> str:
        return request.client.host if request.client else ""

    def render(
        self, request: Request, name: str, caller: Caller | None = None, status: int = 200, **context
    ) -> HTMLResponse:
        caller = caller or self.caller(request)
        scope = caller.csrf_scope
        new_nonce = None
        if scope is None:  # a first visit: a pre-login nonce so the login form has a token
            new_nonce = secrets.token_urlsafe(16)
            scope = f"pre:{new_nonce}"
        html = self.env.get_template(name).render(
            request=request, me=caller.account, csrf=self.signer.csrf_token(scope), **context
        )
        response = HTMLResponse(html, status_code=status)
        if new_nonce:
            self.set_cookie(
                request, response, auth.PRELOGIN_COOKIE, self.signer.sign(new_nonce), max_age=3600
            )
        return response

    def set_cookie(self, request: Request, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )

    async def form(self, request: Request, caller: Caller) -> dict[str, str]:
        """The posted form, after its CSRF token is checked (403 without a valid one)."""
        form = await request.form(max_files=0, max_fields=20)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not self.signer.csrf_ok(caller.csrf_scope, fields.get("csrf_token")):
            raise HTTPException(403, CSRF_REFUSED)
        return fields

    def steward(self, request: Request) -> Caller:
        caller = self.caller(request)
        if caller.account is None:
            raise LoginRequired(request.url.path)
        return caller

    def admin(self, request: Request) -> Caller:
        caller = self.steward(request)
        if not caller.account.is_admin:
            raise HTTPException(403, f"此页面仅供{self.contact}管理员使用。")
        return caller

    def window(self, code: str) -> Window:
        window = self.calendar.window(code, self.now())
        if window is None:
            raise HTTPException(404, f"{code} 目前不在报送期内。")
        return window

    def unit(self, account: Account) -> Unit:
        return self.catalog.units[account.unit]

    def own_upload(self, caller: Caller, upload_id: str) -> Upload:
        """The upload when it is the caller's unit's (any unit's for the bureau), else 404."""
        upload = self.db.upload(upload_id) if len(upload_id) <= 64 else None
        if upload is None or (upload.unit != caller.account.unit and not caller.account.is_admin):
            raise HTTPException(404, "未找到该文件。")
        return upload

    async def http_error(self, request: Request, exc: HTTPException) -> Response:
        if isinstance(exc, LoginRequired):
            target = exc.path if exc.path.startswith("/") and not exc.path.startswith("//") else "/"
            return RedirectResponse(f"/login?next={quote(target)}", 303)
        titles = {403: "无权访问", 404: "未找到", 405: "不支持的请求", 413: "文件过大", 429: "请稍后再试"}
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else ""
        return self.render(
            request,
            "error.html",
            status=exc.status_code,
            heading=titles.get(exc.status_code, "出错了"),
            message=detail or "无法完成请求。",
        )

    # -- pages: logging in ---------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def index(self, request: Request) -> Response:
        caller = self.caller(request)
        if caller.account is None:
            return RedirectResponse("/login", 303)
        if caller.account.is_admin:
            return RedirectResponse("/admin", 303)
        return RedirectResponse(f"/q/{self.calendar.main(self.now()).quarter.code}", 303)


class SecurityHeaders:
    """Headers every answer carries: no framing, no sniffing, no outside scripts or styles."""

    HEADERS = [
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
            b"script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
            b"base-uri 'none'",
        ),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cache-control", b"no-store"),
    ]

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self.HEADERS if k not in present
                ]
            await send(message)

        return await self.app(scope, receive, with_headers)


def create_app(
    settings: Settings, catalog: Catalog, calendar: Calendar, *, warm: bool = True, **options
) -> tuple[Starlette, Portal]:
    portal = Portal(settings, catalog, calendar, **options)
    if warm:
        seconds = portal.warm()
        log.info("portal warmed in %.1f s", seconds)
    return portal.app(), portal
