"""Passwords, session cookies, CSRF tokens and the login rate limit.

- Passwords are hashed with Argon2id (argon2-cffi's defaults: memory-hard, 64 MiB).
- The session cookie carries a random session id signed with the portal's secret
  key (itsdangerous); the database keeps only the id's hash, its account and its
  expiry. The cookie is HttpOnly, SameSite=Lax, and Secure when the request
  came over HTTPS (through the reverse proxy).
- Every form carries a CSRF token derived from the session (or, before login,
  from a signed pre-login cookie) with HMAC; a form without it is refused.
- Failed logins are counted per login name and per client address.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer

from plantrack.portal.db import PortalDB, utc_now

SESSION_COOKIE = "plantrack_session"
PRELOGIN_COOKIE = "plantrack_prelogin"
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# A hash to verify against when the login name is unknown, so that a wrong name
# takes as long as a wrong password and does not reveal which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, repeated: str, login: str) -> str | None:
    """Why a new password is not acceptable (Chinese), or None."""
    if password != repeated:
        return "两次输入的密码不一致，请重新输入。"
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要{MIN_PASSWORD_LENGTH}个字符。"
    if password.strip().lower() == login.lower() or len(set(password)) < 4:
        return "密码太简单，请换一个不易猜到的密码。"
    return None


def load_secret(path: Path) -> bytes:
    """The portal's signing key, made once (0600) and kept beside its database."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    return key


class Signer:
    """Signs cookie values and derives CSRF tokens from one secret key."""

    def __init__(self, secret: bytes):
        self.secret = secret
        self._cookies = URLSafeSerializer(secret, salt="plantrack-portal-cookie")

    def sign(self, value: str) -> str:
        return self._cookies.dumps(value)

    def unsign(self, signed: str | None) -> str | None:
        if not signed:
            return None
        try:
            value = self._cookies.loads(signed)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def csrf_token(self, scope: str) -> str:
        """The token for forms of one session (``session:<id>``) or pre-login visit."""
        return hmac.new(self.secret, f"csrf:{scope}".encode(), sha256).hexdigest()

    def csrf_ok(self, scope: str | None, token: str | None) -> bool:
        if not scope or not token:
            return False
        return hmac.compare_digest(self.csrf_token(scope), token)


@dataclass(frozen=True)
class LoginLimit:
    """At most ``per_login`` failures for one name and ``per_client`` from one address per window."""

    per_login: int = 5
    per_client: int = 20
    window: timedelta = timedelta(minutes=15)

    def refused(self, db: PortalDB, login: str, client: str) -> bool:
        since = utc_now() - self.window
        return (
            db.failures_since(f"login:{login.lower()}", since) >= self.per_login
            or db.failures_since(f"client:{client}", since) >= self.per_client
        )

    def failed(self, db: PortalDB, login: str, client: str) -> None:
        db.record_failure(f"login:{login.lower()}", f"client:{client}")

    def succeeded(self, db: PortalDB, login: str) -> None:
        db.clear_failures(f"login:{login.lower()}")

    @property
    def minutes(self) -> int:
        return int(self.window.total_seconds() // 60)
