"""The portal's web application (Starlette): pages, forms and downloads.

``Portal`` holds what every request needs — settings, the catalog, the open
quarters, the portal database, the signing key — and its methods are the
routes. A steward's pages never take a unit from the URL: her unit is her
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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from plantrack.catalog import Catalog, Unit
from plantrack.periods import Quarter, parse_quarter
from plantrack.portal import auth
from plantrack.portal.db import Account, PortalDB, Upload, utc_now
from plantrack.portal.overview import STATE_LABEL, InboxHashes, local, unit_states
from plantrack.portal.quarters import Calendar, Window
from plantrack.portal.status import WarehouseReader, receipt_status
from plantrack.portal.uploads import (
    MAX_UPLOAD_BYTES,
    UploadRefused,
    deliver_to_inbox,
    drain,
    inbox_name,
    new_upload_id,
    shown_name,
    suffix_of,
)
from plantrack.portal.verdict import Verdict, make_verdict
from plantrack.settings import Settings

log = logging.getLogger("plantrack.portal")
HERE = Path(__file__).resolve().parent
CHECKS_AT_ONCE = 2  # verdicts computed in parallel; more would only share the same two cores
CSRF_REFUSED = "表单已过期或来源不明（缺少安全校验码），未被处理。请刷新页面后重试。"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def portal_home(settings: Settings) -> Path:
    return settings.home / "portal"


def portal_db_path(settings: Settings) -> Path:
    return portal_home(settings) / "portal.sqlite3"


def attachment(name: str, fallback: str) -> str:
    """Content-Disposition for a download with a Chinese name (RFC 6266 / 5987); ``fallback``
    is the plain-ASCII name for the rare client that cannot read the other."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def shown_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


@dataclass
class Caller:
    """Who is asking: the account and session, or nobody (with the pre-login nonce)."""

    account: Account | None
    sid: str | None
    prelogin: str | None

    @property
    def csrf_scope(self) -> str | None:
        if self.sid:
            return f"session:{self.sid}"
        return f"pre:{self.prelogin}" if self.prelogin else None


class Portal:
    def __init__(self, settings: Settings, catalog: Catalog, calendar: Calendar, *,
                 max_upload_bytes: int = MAX_UPLOAD_BYTES,
                 clock: Callable[[], datetime] = utc_now,
                 limit: auth.LoginLimit | None = None):
        self.settings, self.catalog, self.calendar = settings, catalog, calendar
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
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.globals.update(issuer=catalog.issuer, title=catalog.title, shown_time=shown_time,
                                state_label=STATE_LABEL)
        self.scratch.mkdir(parents=True, exist_ok=True)
        for stale in self.scratch.glob(".upload-*.part"):  # a server stopped mid-upload
            stale.unlink(missing_ok=True)

    # -- start-up --------------------------------------------------------------------

    def warm(self) -> float:
        """Read and judge one real template now, so no steward pays for the first imports."""
        from plantrack.template import write_template
        from plantrack.validate import check_file

        started = time.perf_counter()
        window = self.calendar.main(self.clock())
        unit = next(u for u in self.catalog.reporting_units() if self.catalog.indicators_for(u.code))
        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            path = write_template(self.catalog, unit, window.quarter, Path(folder) / "warm.xlsx")
            make_verdict(check_file(path, self.catalog, window.quarter, self.settings.suites_dir))
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

    def render(self, request: Request, name: str, caller: Caller | None = None, status: int = 200,
               **context) -> HTMLResponse:
        caller = caller or self.caller(request)
        scope = caller.csrf_scope
        new_nonce = None
        if scope is None:  # a first visit: a pre-login nonce so the login form has a token
            new_nonce = secrets.token_urlsafe(16)
            scope = f"pre:{new_nonce}"
        html = self.env.get_template(name).render(
            request=request, me=caller.account, csrf=self.signer.csrf_token(scope), **context)
        response = HTMLResponse(html, status_code=status)
        if new_nonce:
            self.set_cookie(request, response, auth.PRELOGIN_COOKIE, self.signer.sign(new_nonce),
                            max_age=3600)
        return response

    def set_cookie(self, request: Request, response: Response, name: str, value: str,
                   max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")

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
            raise HTTPException(403, "此页面仅供市科技局管理员使用。")
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
        return self.render(request, "error.html", status=exc.status_code,
                           heading=titles.get(exc.status_code, "出错了"),
                           message=detail or "无法完成请求。")

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

    async def login(self, request: Request) -> Response:
        caller = self.caller(request)
        target = request.query_params.get("next", "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        if request.method == "GET":
            return self.render(request, "login.html", caller, next=target)
        fields = await self.form(request, caller)
        login = fields.get("login", "").strip()[:64]
        password = fields.get("password", "")
        client = self.client(request)
        if self.limit.refused(self.db, login, client):
            self.db.audit("login_refused", login=login, client=client, detail="rate limit")
            return self.render(request, "login.html", caller, status=429, next=target, login=login,
                               error=f"登录失败次数过多，请{self.limit.minutes}分钟后再试。")
        account = self.db.account_by_login(login)
        ok = await run_in_threadpool(auth.verify_password,
                                     account.password_hash if account else None, password)
        if not ok or account is None or not account.active:
            self.limit.failed(self.db, login, client)
            self.db.audit("login_failed", account if account else None, login=login, client=client)
            return self.render(request, "login.html", caller, status=401, next=target, login=login,
                               error="登录名或密码不正确。首次登录请使用市科技局发给您的一次性链接。")
        self.limit.succeeded(self.db, login)
        self.db.audit("login", account, client=client)
        return self.start_session(request, account, target)

    def start_session(self, request: Request, account: Account, target: str) -> Response:
        sid = self.db.create_session(account.id)
        self.db.logged_in(account.id)
        response = RedirectResponse(target, 303)
        self.set_cookie(request, response, auth.SESSION_COOKIE, self.signer.sign(sid),
                        max_age=10 * 3600)
        response.delete_cookie(auth.PRELOGIN_COOKIE, path="/")
        return response

    async def logout(self, request: Request) -> Response:
        caller = self.caller(request)
        await self.form(request, caller)
        if caller.sid:
            self.db.end_session(caller.sid)
            self.db.audit("logout", caller.account, client=self.client(request))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(auth.SESSION_COOKIE, path="/")
        return response

    async def welcome(self, request: Request) -> Response:
        """The one-time link: she sets her password, and is logged in."""
        token = request.path_params["token"][:100]
        caller = self.caller(request)
        account = self.db.token_account(token)
        if account is None:
            return self.render(request, "error.html", caller, status=404, heading="链接已失效",
                               message="此登录链接已使用过或已过期。请联系市科技局重新生成登录链接。")
        unit = self.unit(account)
        if request.method == "GET":
            return self.render(request, "welcome.html", caller, account=account, unit=unit)
        fields = await self.form(request, caller)
        problem = auth.password_problem(fields.get("password", ""), fields.get("repeat", ""),
                                        account.login)
        if problem:
            return self.render(request, "welcome.html", caller, status=400, account=account,
                               unit=unit, error=problem)
        if not self.db.use_token(token):
            return self.render(request, "error.html", caller, status=404, heading="链接已失效",
                               message="此登录链接刚刚已被使用。请直接登录，或联系市科技局重新生成链接。")
        self.db.set_password(account.id, await run_in_threadpool(auth.hash_password,
                                                                 fields["password"]))
        self.db.audit("password_set", account, client=self.client(request))
        return self.start_session(request, account, "/")

    # -- pages: the steward's quarter -------------------------------------------------------

    async def steward_page(self, request: Request) -> Response:
        caller = self.steward(request)
        window = self.window(request.path_params["quarter"])
        return await self.quarter_page(request, caller, window)

    async def quarter_page(self, request: Request, caller: Caller, window: Window, *,
                           status: int = 200, error: str = "", hint: str = "") -> Response:
        account = caller.account
        uploads = self.db.uploads(window.quarter.code, account.unit)
        view = await run_in_threadpool(self.warehouse.quarter, window.quarter.code)
        rows = [self.upload_row(u, view, window) for u in uploads]
        return self.render(
            request, "steward.html", caller, status=status, window=window, unit=self.unit(account),
            windows=self.calendar.open_windows(self.now()), rows=rows, warehouse_note=view.note,
            deadline=shown_time(window.deadline), overdue=local(self.now(), self.zone) > window.deadline,
            briefs=self.briefs(account.unit), max_mb=self.max_upload_bytes // 2**20,
            error=error, hint=hint)

    def upload_row(self, u: Upload, view, window: Window) -> dict:
        received = local(u.submitted_at, self.zone) if u.submitted_at else None
        return {"upload": u, "verdict_label": _verdict_label(u),
                "uploaded": shown_time(local(u.uploaded_at, self.zone)),
                "received": shown_time(received), "late": bool(received and received > window.deadline),
                "run_status": receipt_status(view, u.file_hash, u.unit) if received else ""}

    async def template_download(self, request: Request) -> Response:
        from plantrack.template import template_filename, write_template

        caller = self.steward(request)
        window = self.window(request.path_params["quarter"])
        unit = self.unit(caller.account)
        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            path = await run_in_threadpool(write_template, self.catalog, unit, window.quarter,
                                           Path(folder) / "template.xlsx")
            data = path.read_bytes()
        name = template_filename(unit, window.quarter)
        self.db.audit("template_download", caller.account, quarter=window.quarter.code, target=name,
                      client=self.client(request))
        return Response(data, media_type=XLSX, headers={
            "Content-Disposition": attachment(name, f"{window.quarter.code}_{unit.code}_template.xlsx")})

    async def upload(self, request: Request) -> Response:
        caller = self.steward(request)
        window = self.window(request.path_params["quarter"])
        account, unit = caller.account, self.unit(caller.account)
        client = self.client(request)

        def before_file(fields: dict[str, str], file_name: str) -> None:
            if not self.signer.csrf_ok(caller.csrf_scope, fields.get("csrf_token")):
                raise UploadRefused(CSRF_REFUSED, 403)
            suffix_of(shown_name(file_name))

        from plantrack.portal.uploads import receive_form

        chunks = _body(request)
        try:
            form = await receive_form(request.headers, chunks, self.scratch, self.max_upload_bytes,
                                      before_file)
        except UploadRefused as exc:
            await drain(chunks)
            self.db.audit("upload_refused", account, quarter=window.quarter.code,
                          detail=exc.message, client=client)
            return await self.quarter_page(request, caller, window, status=exc.status,
                                           error=exc.message)
        if form.file_path is None or not form.size:
            form.discard()
            if form.file_path is None and not self.signer.csrf_ok(caller.csrf_scope,
                                                                  form.fields.get("csrf_token")):
                raise HTTPException(403, CSRF_REFUSED)
            return await self.quarter_page(request, caller, window, status=400,
                                           error="没有收到文件（或文件为空），请先选择填报表再上传。")
        original = shown_name(form.file_name)
        suffix = suffix_of(original)
        upload_id = new_upload_id()
        name = inbox_name(window.quarter, unit, upload_id, suffix)
        stored = self.uploads_dir / account.unit / f"{upload_id}{suffix}"
        stored.parent.mkdir(parents=True, exist_ok=True)
        form.file_path.replace(stored)
        started = time.perf_counter()
        verdict = await run_in_threadpool(self.check, stored, window.quarter, name)
        seconds = time.perf_counter() - started
        if verdict.unreadable:
            stored.unlink(missing_ok=True)  # an unreadable file is refused, never kept
            refusal = verdict.issues[0]
            self.db.audit("upload_refused", account, quarter=window.quarter.code, target=original,
                          detail=refusal.message, client=client)
            return await self.quarter_page(request, caller, window, status=422,
                                           error=f"“{original}”{refusal.message}", hint=refusal.hint)
        upload = Upload(upload_id, account.id, account.unit, window.quarter.code, original, name,
                        stored, form.sha256, form.size, self.now(), verdict.errors, verdict.warnings,
                        verdict.to_json(), seconds, None, None)
        self.db.add_upload(upload)
        self.db.audit("upload_checked", account, quarter=window.quarter.code, target=upload_id,
                      detail=f"{original}：错误{verdict.errors}处，警告{verdict.warnings}处，"
                             f"校验用时{seconds:.2f}秒", client=client)
        return RedirectResponse(f"/uploads/{upload_id}", 303)

    def check(self, path: Path, quarter: Quarter, display_name: str) -> Verdict:
        from plantrack.validate import check_file

        with self.checks:
            return make_verdict(check_file(path, self.catalog, quarter, self.settings.suites_dir,
                                           display_name=display_name))

    async def upload_page(self, request: Request) -> Response:
        caller = self.steward(request)
        upload = self.own_upload(caller, request.path_params["upload_id"])
        verdict = Verdict.from_json(upload.verdict_json)
        window = self.calendar.window(upload.quarter, self.now())
        view = await run_in_threadpool(self.warehouse.quarter, upload.quarter)
        return self.render(
            request, "upload.html", caller, upload=upload, verdict=verdict, groups=verdict.groups(),
            uploaded=local(upload.uploaded_at, self.zone),
            unit=self.catalog.units[upload.unit], quarter=parse_quarter(upload.quarter), window=window,
            refusal=self.submit_refusal(upload, verdict, window),
            received=shown_time(local(upload.submitted_at, self.zone)) if upload.submitted_at else "",
            late=bool(window and upload.submitted_at
                      and local(upload.submitted_at, self.zone) > window.deadline),
            run_status=receipt_status(view, upload.file_hash, upload.unit) if upload.submitted_at else "")

    def submit_refusal(self, upload: Upload, verdict: Verdict, window: Window | None) -> str:
        """Why this upload cannot be submitted (Chinese), or ""."""
        if upload.submitted_at is not None:
            return ""
        if window is None:
            return f"{parse_quarter(upload.quarter).label}已不在报送期内，不能再报送此文件。"
        if verdict.unit and verdict.unit != upload.unit:
            other = getattr(self.catalog.units.get(verdict.unit), "name", verdict.unit)
            return (f"这份文件是“{other}”的填报表，不能以{self.catalog.units[upload.unit].name}的名义报送。"
                    "请下载本单位的模板填写。")
        if verdict.quarter and verdict.quarter != upload.quarter:
            return (f"这份文件填报的是{parse_quarter(verdict.quarter).label}，"
                    f"不是{window.quarter.label}，请使用本季度的模板。")
        return ""

    async def fixit_download(self, request: Request) -> Response:
        from plantrack.fixit import write_fixit

        caller = self.steward(request)
        upload = self.own_upload(caller, request.path_params["upload_id"])
        verdict = Verdict.from_json(upload.verdict_json)
        if not verdict.issues:
            raise HTTPException(404, "这份文件没有发现问题，无需问题标注工作簿。")
        unit = self.catalog.units[upload.unit]
        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            path = await run_in_threadpool(write_fixit, upload.stored_path, verdict.issues,
                                           Path(folder) / "fixit.xlsx", upload.original_name)
            data = path.read_bytes()
        name = f"{unit.name}_{parse_quarter(upload.quarter).label}填报表_问题标注.xlsx"
        self.db.audit("fixit_download", caller.account, quarter=upload.quarter, target=upload.id,
                      client=self.client(request))
        return Response(data, media_type=XLSX, headers={
            "Content-Disposition": attachment(name, f"{upload.quarter}_{upload.unit}_fixit.xlsx")})

    async def submit(self, request: Request) -> Response:
        caller = self.steward(request)
        await self.form(request, caller)
        upload = self.own_upload(caller, request.path_params["upload_id"])
        if upload.unit != caller.account.unit:
            raise HTTPException(403, "只能报送本单位的文件。")
        verdict = Verdict.from_json(upload.verdict_json)
        window = self.calendar.window(upload.quarter, self.now())
        refusal = self.submit_refusal(upload, verdict, window)
        if refusal:
            raise HTTPException(409 if window else 404, refusal)
        received_at = self.now()
        if not self.db.mark_submitted(upload.id, caller.account.id, received_at):
            return RedirectResponse(f"/uploads/{upload.id}", 303)  # submitted already (a double click)
        inbox = self.settings.quarter_inbox(upload.quarter)
        try:
            path = await run_in_threadpool(deliver_to_inbox, upload.stored_path, inbox,
                                           upload.inbox_name, received_at)
        except OSError:
            self.db.unmark_submitted(upload.id)
            log.exception("could not deliver %s to %s", upload.id, inbox)
            raise HTTPException(500, "报送失败：文件未能写入收件箱，请稍后重试或联系市科技局。") from None
        late = local(received_at, self.zone) > window.deadline
        self.db.audit("submit", caller.account, quarter=upload.quarter, target=upload.id,
                      detail=f"{upload.original_name} → {path.name}；{'逾期' if late else '按时'}",
                      client=self.client(request), at=received_at)
        self.warehouse.forget()
        return RedirectResponse(f"/uploads/{upload.id}", 303)

    # -- briefs ------------------------------------------------------------------------------

    def briefs(self, unit: str) -> list[dict]:
        """The unit's published briefs (PDF in the outbox), newest quarter first."""
        outbox = self.settings.home / "outbox"
        found = []
        if outbox.is_dir():
            for folder in sorted(outbox.iterdir(), reverse=True):
                try:
                    quarter = parse_quarter(folder.name)
                except ValueError:
                    continue
                path = self.brief_path(quarter, unit)
                if path is not None:
                    found.append({"quarter": quarter, "name": path.name})
        return found

    def brief_path(self, quarter: Quarter, unit: str) -> Path | None:
        folder = self.settings.home / "outbox" / quarter.code
        if not folder.is_dir():
            return None
        prefix = f"{quarter.code}_{unit}_"
        matches = sorted(p for p in folder.iterdir()
                         if p.is_file() and p.suffix.lower() == ".pdf" and p.name.startswith(prefix))
        return matches[-1] if matches else None

    async def brief_download(self, request: Request) -> Response:
        caller = self.steward(request)
        try:
            quarter = parse_quarter(request.path_params["quarter"])
        except ValueError:
            raise HTTPException(404, "未找到该简报。") from None
        path = self.brief_path(quarter, caller.account.unit)
        if path is None:
            raise HTTPException(404, f"本单位{quarter.label}的简报尚未发布。")
        self.db.audit("brief_download", caller.account, quarter=quarter.code, target=path.name,
                      client=self.client(request))
        disposition = attachment(path.name, f"{quarter.code}_brief.pdf")
        return FileResponse(path, media_type="application/pdf",
                            headers={"Content-Disposition": disposition})

    # -- the bureau's pages ---------------------------------------------------------------------

    def admin_window(self, request: Request) -> Window:
        code = request.query_params.get("quarter")
        if not code:
            return self.calendar.main(self.now())
        window = self.calendar.window(code, self.now())
        if window is not None:
            return window
        try:
            quarter = parse_quarter(code)
        except ValueError:
            raise HTTPException(404, "无法识别的报告期。") from None
        if self.catalog.outside_plan(quarter):
            raise HTTPException(404, self.catalog.outside_plan(quarter))
        return Window(quarter, None)

    async def admin_page(self, request: Request, notice: str = "", status: int = 200) -> Response:
        caller = self.admin(request)
        window = self.admin_window(request)
        view = await run_in_threadpool(self.warehouse.quarter, window.quarter.code)
        states = await run_in_threadpool(
            unit_states, self.catalog, window, view, self.db.uploads(window.quarter.code),
            self.settings.quarter_inbox(window.quarter.code), self.inbox_hashes, self.now(), self.zone)
        counts = {key: sum(1 for s in states if s.state == key) for key in STATE_LABEL}
        return self.render(request, "admin.html", caller, status=status, window=window, states=states,
                           counts=counts, late=sum(s.late for s in states),
                           windows=self.calendar.open_windows(self.now()),
                           deadline=shown_time(window.deadline), warehouse_note=view.note,
                           notice=notice)

    async def admin_unit_page(self, request: Request) -> Response:
        caller = self.admin(request)
        code = request.path_params["unit"]
        if code not in self.catalog.units:
            raise HTTPException(404, "未知的填报单位。")
        window = self.admin_window(request)
        view = await run_in_threadpool(self.warehouse.quarter, window.quarter.code)
        uploads = self.db.uploads(window.quarter.code, code)
        rows = [self.upload_row(u, view, window) for u in uploads]
        return self.render(request, "admin_unit.html", caller, window=window,
                           unit=self.catalog.units[code], rows=rows,
                           accounts=[a for a in self.db.accounts() if a.unit == code],
                           audit=self.db.audit_entries(code, 100), local=lambda t: local(t, self.zone))

    async def remind(self, request: Request) -> Response:
        caller = self.admin(request)
        await self.form(request, caller)
        window = self.admin_window(request)
        try:
            message = await run_in_threadpool(send_reminders, window.quarter)
        except Exception as exc:  # mail down, a broken catalog: say so on the page
            log.exception("reminder failed")
            message = f"发送提醒失败：{exc}"
        self.db.audit("reminder", caller.account, quarter=window.quarter.code, detail=message,
                      client=self.client(request))
        return await self.admin_page(request, notice=message)


def _verdict_label(upload: Upload) -> str:
    if upload.errors:
        return f"未通过：错误{upload.errors}处" + (f"，警告{upload.warnings}处" if upload.warnings else "")
    if upload.warnings:
        return f"通过（警告{upload.warnings}处）"
    return "通过"


def send_reminders(quarter: Quarter) -> str:
    """The reminder flow's own code, for one quarter, run now (Chinese summary)."""
    from flows.reminder import reminder_run
    from plantrack.reminder import INVALID, MISSING, PENDING

    state = reminder_run.fn(quarter=quarter.code)
    result = state.data if hasattr(state, "data") else None
    if result is None:
        return f"提醒未生成：{getattr(state, 'message', state)}"
    sent = sum(1 for d in result.deliveries if d.ok)
    text = (f"已生成{quarter.label}报送提醒：未报送{result.count(MISSING)}个单位，"
            f"有错误{result.count(INVALID)}个单位，待处理{result.count(PENDING)}个。")
    if result.deliveries or result.not_mailed:
        text += f"已发送邮件{sent}封"
        failed = len(result.deliveries) - sent
        text += f"，失败{failed}封。" if failed else "。"
        if result.not_mailed:
            text += "；".join(result.not_mailed) + "。"
    else:
        text += "未配置邮件服务器，提醒清单已写入文件。"
    return text + f"清单：{result.path}"


class LoginRequired(HTTPException):
    def __init__(self, path: str):
        super().__init__(401)
        self.path = path


async def _body(request: Request):
    """The request body as it arrives, straight from ASGI (resumable after a refusal)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return
        body = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            return


class SecurityHeaders:
    """Headers every answer carries: no framing, no sniffing, no outside scripts or styles."""

    HEADERS = [
        (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                     b"script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                     b"base-uri 'none'"),
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
                    (k, v) for k, v in self.HEADERS if k not in present]
            await send(message)

        return await self.app(scope, receive, with_headers)


def create_app(settings: Settings, catalog: Catalog, calendar: Calendar, *, warm: bool = True,
               **options) -> tuple[Starlette, Portal]:
    portal = Portal(settings, catalog, calendar, **options)
    if warm:
        seconds = portal.warm()
        log.info("portal warmed in %.1f s", seconds)
    return portal.app(), portal

