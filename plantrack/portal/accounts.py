"""The account pages: login, one-time link (set a password), logout."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from plantrack.portal import auth
from plantrack.portal.db import Account

log = logging.getLogger("plantrack.portal")


class AccountPages:
    """Logging in with a one-time link or a password, and out."""

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
            return self.render(
                request,
                "login.html",
                caller,
                status=429,
                next=target,
                login=login,
                error=f"登录失败次数过多，请{self.limit.minutes}分钟后再试。",
            )
        account = self.db.account_by_login(login)
        ok = await run_in_threadpool(
            auth.verify_password, account.password_hash if account else None, password
        )
        if not ok or account is None or not account.active:
            self.limit.failed(self.db, login, client)
            self.db.audit("login_failed", account if account else None, login=login, client=client)
            return self.render(
                request,
                "login.html",
                caller,
                status=401,
                next=target,
                login=login,
                error=f"登录名或密码不正确。首次登录请使用{self.contact}发给您的一次性链接。",
            )
        self.limit.succeeded(self.db, login)
        self.db.audit("login", account, client=client)
        return self.start_session(request, account, target)

    def start_session(self, request: Request, account: Account, target: str) -> Response:
        sid = self.db.create_session(account.id)
        self.db.logged_in(account.id)
        response = RedirectResponse(target, 303)
        self.set_cookie(request, response, auth.SESSION_COOKIE, self.signer.sign(sid), max_age=10 * 3600)
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
            return self.render(
                request,
                "error.html",
                caller,
                status=404,
                heading="链接已失效",
                message=f"此登录链接已使用过或已过期。请联系{self.contact}重新生成登录链接。",
            )
        unit = self.unit(account)
        if request.method == "GET":
            return self.render(request, "welcome.html", caller, account=account, unit=unit)
        fields = await self.form(request, caller)
        problem = auth.password_problem(fields.get("password", ""), fields.get("repeat", ""), account.login)
        if problem:
            return self.render(
                request, "welcome.html", caller, status=400, account=account, unit=unit, error=problem
            )
        if not self.db.use_token(token):
            return self.render(
                request,
                "error.html",
                caller,
                status=404,
                heading="链接已失效",
                message=f"此登录链接刚刚已被使用。请直接登录，或联系{self.contact}重新生成链接。",
            )
        self.db.set_password(account.id, await run_in_threadpool(auth.hash_password, fields["password"]))
        self.db.audit("password_set", account, client=self.client(request))
        return self.start_session(request, account, "/")
