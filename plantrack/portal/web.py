"""What every page of the portal shares: constants, the caller, download names, the raw body."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request

from plantrack.portal.db import Account
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
