"""The portal's own small database (SQLite, WAL): accounts, links, sessions, uploads, audit log.

It lives at ``$PLANTRACK_HOME/portal/portal.sqlite3``, apart from the DuckDB
warehouse, so that a steward logging in or uploading never waits for the
quarterly run's writer and never holds it up. Each call opens its own short
connection: the web server's worker threads never share one.

Tokens and session ids are random; only their SHA-256 is stored, so a copy of
the database (a backup) cannot be used to log in.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCHEMA = Path(__file__).resolve().parent / "schema.sql"
LOGIN_LINK_DAYS = 3
SESSION_HOURS = 10  # a working day; then she logs in again


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountError(ValueError):
    """An account command that cannot be done; the message is for the operator (Chinese)."""


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    name: str
    unit: str
    is_admin: bool
    password_hash: str | None
    created_at: datetime
    disabled_at: datetime | None
    last_login_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Account:
        return cls(
            row["id"],
            row["login"],
            row["name"],
            row["unit"],
            bool(row["is_admin"]),
            row["password_hash"],
            parse_stamp(row["created_at"]),
            parse_stamp(row["disabled_at"]),
            parse_stamp(row["last_login_at"]),
        )


@dataclass(frozen=True)
class Upload:
    id: str
    account_id: int
    unit: str
    quarter: str
    original_name: str
    inbox_name: str
    stored_path: Path
    file_hash: str
    size_bytes: int
    uploaded_at: datetime
    errors: int
    warnings: int
    verdict_json: str
    check_seconds: float
    submitted_at: datetime | None
    submitted_by: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Upload:
        return cls(
            row["id"],
            row["account_id"],
            row["unit"],
            row["quarter"],
            row["original_name"],
            row["inbox_name"],
            Path(row["stored_path"]),
            row["file_hash"],
            row["size_bytes"],
            parse_stamp(row["uploaded_at"]),
            row["errors"],
            row["warnings"],
            row["verdict_json"],
            row["check_seconds"],
            parse_stamp(row["submitted_at"]),
            row["submitted_by"],
        )


class PortalDB:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            con.execute("pragma journal_mode = wal")
            con.executescript(SCHEMA.read_text(encoding="utf-8"))

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """One short transaction: committed on success, rolled back on any error."""
        with closing(sqlite3.connect(self.path, timeout=10)) as con:
            con.row_factory = sqlite3.Row
            con.execute("pragma foreign_keys = on")
            con.execute("pragma busy_timeout = 10000")
            with con:
                yield con

    # -- accounts --------------------------------------------------------------------

    def add_account(self, login: str, name: str, unit: str, is_admin: bool = False) -> Account:
        try:
            with self.connect() as con:
                cur = con.execute(
                    "insert into accounts (login, name, unit, is_admin, created_at) values (?, ?, ?, ?, ?)",
                    (login, name, unit, int(is_admin), stamp(utc_now())),
                )
        except sqlite3.IntegrityError as exc:
            raise AccountError(f"登录名“{login}”已被使用，请用 --login 另取一个") from exc
        return self.account(cur.lastrowid)

    def account(self, account_id: int) -> Account | None:
        with self.connect() as con:
            row = con.execute("select * from accounts where id = ?", (account_id,)).fetchone()
        return Account.from_row(row) if row else None

    def account_by_login(self, login: str) -> Account | None:
        with self.connect() as con:
            row = con.execute("select * from accounts where login = ?", (login,)).fetchone()
        return Account.from_row(row) if row else None

    def accounts(self) -> list[Account]:
        with self.connect() as con:
            rows = con.execute("select * from accounts order by unit, login").fetchall()
        return [Account.from_row(r) for r in rows]

    def logins_like(self, prefix: str) -> set[str]:
        with self.connect() as con:
            rows = con.execute(
                "select login from accounts where login like ? escape '\\'",
                (prefix.replace("%", "\\%").replace("_", "\\_") + "%",),
            ).fetchall()
        return {r[0] for r in rows}

    def disable(self, account_id: int) -> None:
        """No more logins; every open session and unused link ends now."""
        now = stamp(utc_now())
        with self.connect() as con:
            con.execute(
                "update accounts set disabled_at = coalesce(disabled_at, ?) where id = ?", (now, account_id)
            )
            con.execute("delete from sessions where account_id = ?", (account_id,))
            con.execute(
                "update login_tokens set used_at = ? where account_id = ? and used_at is null",
                (now, account_id),
            )

    def set_password(self, account_id: int, password_hash: str) -> None:
        with self.connect() as con:
            con.execute("update accounts set password_hash = ? where id = ?", (password_hash, account_id))

    def logged_in(self, account_id: int) -> None:
        with self.connect() as con:
            con.execute("update accounts set last_login_at = ? where id = ?", (stamp(utc_now()), account_id))

    # -- one-time links ------------------------------------------------------------------

    def issue_token(self, account_id: int, days: float = LOGIN_LINK_DAYS) -> str:
        """A new one-time link token; earlier unused links of the account stop working."""
        token = secrets.token_urlsafe(32)
        now = utc_now()
        with self.connect() as con:
            con.execute(
                "update login_tokens set used_at = ? where account_id = ? and used_at is null",
                (stamp(now), account_id),
            )
            con.execute(
                "insert into login_tokens values (?, ?, ?, ?, null)",
                (digest(token), account_id, stamp(now), stamp(now + timedelta(days=days))),
            )
        return token

    def token_account(self, token: str) -> Account | None:
        """The active account a link belongs to, while the link is unused and not expired."""
        with self.connect() as con:
            row = con.execute(
                "select a.* from login_tokens t join accounts a on a.id = t.account_id "
                "where t.token_hash = ? and t.used_at is null and t.expires_at > ? "
                "and a.disabled_at is null",
                (digest(token), stamp(utc_now())),
            ).fetchone()
        return Account.from_row(row) if row else None

    def use_token(self, token: str) -> bool:
        """Mark a link used; False when someone used it first (two tabs, a replay)."""
        with self.connect() as con:
            cur = con.execute(
                "update login_tokens set used_at = ? where token_hash = ? and used_at is null",
                (stamp(utc_now()), digest(token)),
            )
        return cur.rowcount == 1

    # -- sessions ------------------------------------------------------------------------

    def create_session(self, account_id: int, hours: float = SESSION_HOURS) -> str:
        sid = secrets.token_urlsafe(32)
        now = utc_now()
        with self.connect() as con:
            con.execute("delete from sessions where expires_at <= ?", (stamp(now),))
            con.execute(
                "insert into sessions values (?, ?, ?, ?, ?)",
                (digest(sid), account_id, stamp(now), stamp(now + timedelta(hours=hours)), stamp(now)),
            )
        return sid

    def session_account(self, sid: str) -> Account | None:
        with self.connect() as con:
            row = con.execute(
                "select a.* from sessions s join accounts a on a.id = s.account_id "
                "where s.id_hash = ? and s.expires_at > ? and a.disabled_at is null",
                (digest(sid), stamp(utc_now())),
            ).fetchone()
        return Account.from_row(row) if row else None

    def end_session(self, sid: str) -> None:
        with self.connect() as con:
            con.execute("delete from sessions where id_hash = ?", (digest(sid),))

    # -- login attempts ------------------------------------------------------------------

    def record_failure(self, *keys: str) -> None:
        now = stamp(utc_now())
        with self.connect() as con:
            con.executemany("insert into login_failures values (?, ?)", [(k, now) for k in keys])

    def failures_since(self, key: str, since: datetime) -> int:
        with self.connect() as con:
            con.execute("delete from login_failures where at < ?", (stamp(utc_now() - timedelta(days=1)),))
            return con.execute(
                "select count(*) from login_failures where key = ? and at > ?", (key, stamp(since))
            ).fetchone()[0]

    def clear_failures(self, key: str) -> None:
        with self.connect() as con:
            con.execute("delete from login_failures where key = ?", (key,))

    # -- uploads -------------------------------------------------------------------------

    def add_upload(self, upload: Upload) -> None:
        with self.connect() as con:
            con.execute(
                "insert into uploads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null)",
                (
                    upload.id,
                    upload.account_id,
                    upload.unit,
                    upload.quarter,
                    upload.original_name,
                    upload.inbox_name,
                    str(upload.stored_path),
                    upload.file_hash,
                    upload.size_bytes,
                    stamp(upload.uploaded_at),
                    upload.errors,
                    upload.warnings,
                    upload.verdict_json,
                    upload.check_seconds,
                ),
            )

    def upload(self, upload_id: str) -> Upload | None:
        with self.connect() as con:
            row = con.execute("select * from uploads where id = ?", (upload_id,)).fetchone()
        return Upload.from_row(row) if row else None

    def uploads(self, quarter: str, unit: str | None = None) -> list[Upload]:
        """Newest first; every unit's when ``unit`` is None (the bureau's page)."""
        with self.connect() as con:
            rows = con.execute(
                "select * from uploads where quarter = ? and (? is null or unit = ?) "
                "order by uploaded_at desc",
                (quarter, unit, unit),
            ).fetchall()
        return [Upload.from_row(r) for r in rows]

    def mark_submitted(self, upload_id: str, account_id: int, at: datetime) -> bool:
        """Record the receipt; False when the upload was submitted already."""
        with self.connect() as con:
            cur = con.execute(
                "update uploads set submitted_at = ?, submitted_by = ? where id = ? and submitted_at is null",
                (stamp(at), account_id, upload_id),
            )
        return cur.rowcount == 1

    def unmark_submitted(self, upload_id: str) -> None:
        with self.connect() as con:
            con.execute(
                "update uploads set submitted_at = null, submitted_by = null where id = ?", (upload_id,)
            )

    # -- audit log -----------------------------------------------------------------------

    def audit(
        self,
        action: str,
        account: Account | None = None,
        *,
        quarter: str = "",
        target: str = "",
        detail: str = "",
        client: str = "",
        at: datetime | None = None,
        login: str = "",
    ) -> None:
        with self.connect() as con:
            con.execute(
                "insert into audit_log (at, account_id, login, unit, action, quarter, target, detail, "
                "client) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stamp(at or utc_now()),
                    account.id if account else None,
                    account.login if account else (login or None),
                    account.unit if account else None,
                    action,
                    quarter or None,
                    target or None,
                    detail or None,
                    client or None,
                ),
            )

    def audit_entries(self, unit: str | None = None, limit: int = 200) -> list[sqlite3.Row]:
        with self.connect() as con:
            return con.execute(
                "select * from audit_log where (? is null or unit = ?) order by id desc limit ?",
                (unit, unit, limit),
            ).fetchall()
