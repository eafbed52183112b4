"""Outgoing mail: Chinese messages with attachments, sent over SMTP.

Built on the standard library only (``email`` and ``smtplib``). Attachment
names are Chinese file names, written in RFC 2231 form so that mail clients
show them as sent. One failed recipient never stops the others: every
recipient of every message gets a ``Delivery`` saying what happened, with a
clear Chinese error for the operator when it failed.
"""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from plantrack.settings import Smtp

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Mail:
    """One message to send: recipients, Chinese subject and body, files to attach."""

    to: tuple[str, ...]
    subject: str
    body: str
    attachments: tuple[Path, ...] = ()
    names: tuple[str, ...] = ()  # the name each attachment shows, in order; () for their own

    def attachment_names(self) -> tuple[str, ...]:
        return self.names or tuple(path.name for path in self.attachments)


@dataclass(frozen=True)
class Delivery:
    """What became of one message for one recipient."""

    recipient: str
    subject: str
    ok: bool
    code: str = "sent"  # sent | refused | rejected | auth | connect | tls | timeout
    error: str = ""  # Chinese, for the operator

    def to_dict(self) -> dict:
        return asdict(self)


class _ServerUnusable(Exception):
    """The server could not be reached or would not let us in: every message fails alike."""

    def __init__(self, code: str, error: str):
        super().__init__(error)
        self.code = code
        self.error = error


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """A MIME message; the SMTP policy encodes Chinese headers and file names (RFC 2047/2231)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(mail.to)
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg.set_content(mail.body, charset="utf-8")
    for path, name in zip(mail.attachments, mail.attachment_names(), strict=True):
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=name)
    return msg


def send_all(
    smtp: Smtp,
    mails: Sequence[Mail],
    timeout: float = DEFAULT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> list[Delivery]:
    """Send every message over one connection; one Delivery per recipient of each message."""
    deliveries: list[Delivery] = []
    client: smtplib.SMTP | None = None
    unusable: _ServerUnusable | None = None
    try:
        for mail in mails:
            if unusable is None and client is None:
                try:
                    client = _open(smtp, timeout, ssl_context)
                except _ServerUnusable as exc:
                    unusable = exc  # don't wait out the timeout again for every message
            if unusable is not None:
                deliveries += _all_failed(mail, unusable.code, unusable.error)
                continue
            result, disconnected = _send_one(client, mail, smtp.sender)
            deliveries += result
            if result and result[0].code == "timeout":  # a server that hangs: give up on it
                unusable = _ServerUnusable("timeout", result[0].error)
            if disconnected:
                client.close()  # no QUIT: a server that hung would be waited for again
                client = None  # reconnect for the next message
    finally:
        if client is not None:
            _quit(client)
    return deliveries


def _open(smtp: Smtp, timeout: float, ssl_context: ssl.SSLContext | None) -> smtplib.SMTP:
    where = f"{smtp.host}:{smtp.port}"
    try:
        if smtp.use_ssl:  # SMTPS: TLS from the first byte, the certificate verified
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=timeout, context=ssl_context or ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    except ssl.SSLError as exc:
        raise _ServerUnusable(
            "tls",
            f"邮件服务器 {where} 的 SSL 加密连接失败：{exc}（请检查 [smtp] use_ssl 设置、端口和服务器证书）",
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        if _timed_out(exc):
            raise _ServerUnusable(
                "timeout", f"邮件服务器 {where} 无响应（等待超过 {timeout} 秒）：{exc}"
            ) from exc
        raise _ServerUnusable("connect", f"无法连接邮件服务器 {where}：{exc}") from exc
    try:
        client.ehlo()
        if smtp.use_tls:
            _starttls(client, where, ssl_context)
        if smtp.username:
            _login(client, smtp, where)
    except _ServerUnusable:
        _quit(client)
        raise
    except (OSError, smtplib.SMTPException) as exc:
        client.close()
        if _timed_out(exc):
            raise _ServerUnusable(
                "timeout", f"邮件服务器 {where} 无响应（等待超过 {timeout} 秒）：{exc}"
            ) from exc
        raise _ServerUnusable("connect", f"邮件服务器 {where} 通信出错：{exc}") from exc
    except BaseException:
        _quit(client)
        raise
    return client


def _starttls(client: smtplib.SMTP, where: str, ssl_context: ssl.SSLContext | None) -> None:
    try:
        client.starttls(context=ssl_context or ssl.create_default_context())
        client.ehlo()
    except (OSError, smtplib.SMTPException) as exc:
        raise _ServerUnusable(
            "tls",
            f"邮件服务器 {where} 的 STARTTLS 加密连接失败：{exc}（请检查 [smtp] use_tls 设置和服务器证书）",
        ) from exc


def _login(client: smtplib.SMTP, smtp: Smtp, where: str) -> None:
    try:
        client.login(smtp.username, smtp.password)
    except smtplib.SMTPAuthenticationError as exc:
        raise _ServerUnusable(
            "auth",
            f"邮件服务器 {where} 拒绝登录（用户 {smtp.username}）："
            f"{exc.smtp_code} {_text(exc.smtp_error)}（请检查用户名和密码）",
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise _ServerUnusable("auth", f"登录邮件服务器 {where} 失败：{exc}") from exc


def _send_one(client: smtplib.SMTP, mail: Mail, sender: str) -> tuple[list[Delivery], bool]:
    """Deliveries for one message, and whether the connection was lost."""
    try:
        message = build_message(mail, sender)
    except OSError as exc:  # an attachment vanished or cannot be read
        return _all_failed(mail, "rejected", f"无法读取附件：{exc}"), False
    try:
        refused = client.send_message(message, from_addr=sender, to_addrs=list(mail.to))
    except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused
        refused = exc.recipients
    except (TimeoutError, smtplib.SMTPServerDisconnected) as exc:
        if _timed_out(exc):
            return _all_failed(
                mail, "timeout", f"邮件服务器无响应（等待超过 {client.timeout} 秒）：{exc}"
            ), True
        return _all_failed(mail, "connect", f"邮件服务器断开了连接：{exc}"), True
    except smtplib.SMTPResponseException as exc:
        return _all_failed(
            mail, "rejected", f"邮件服务器拒收该邮件：{exc.smtp_code} {_text(exc.smtp_error)}"
        ), False
    except (OSError, smtplib.SMTPException) as exc:
        return _all_failed(mail, "connect", f"发送时出错：{exc}"), True
    return [_delivery(r, mail.subject, refused.get(r)) for r in mail.to], False


def _delivery(recipient: str, subject: str, refusal: tuple[int, bytes] | None) -> Delivery:
    if refusal is None:
        return Delivery(recipient, subject, True)
    code, text = refusal
    return Delivery(
        recipient,
        subject,
        False,
        "refused",
        f"收件人 {recipient} 被邮件服务器拒绝：{code} {_text(text)}（请核对该地址是否正确）",
    )


def _all_failed(mail: Mail, code: str, error: str) -> list[Delivery]:
    return [Delivery(r, mail.subject, False, code, error) for r in mail.to]


def _timed_out(exc: BaseException) -> bool:
    """A timeout, also when smtplib reports it as a lost connection ("timed out")."""
    return (
        isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError) or "timed out" in str(exc)
    )


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()
