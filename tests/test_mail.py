"""The mail path against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from plantrack.mail import Mail, build_message, send_all
from plantrack.settings import Smtp
from tests.smtp_support import REFUSED, RecordingHandler, free_port


@pytest.fixture
def attachments(tmp_path) -> tuple[Path, Path]:
    pdf = tmp_path / "2021Q2_全市科技工作要点落实情况简报.pdf"
    pdf.write_bytes(b"%PDF-1.7 city brief")
    xlsx = tmp_path / "2021Q2_环翠区_问题标注.xlsx"
    xlsx.write_bytes(b"PK\x03\x04 fix-it workbook")
    return pdf, xlsx


def _parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def _attachment_names(msg) -> list[str]:
    return [part.get_filename() for part in msg.iter_attachments()]


def test_messages_arrive_with_chinese_subjects_and_rfc2231_attachment_names(smtp_server, attachments):
    controller, handler = smtp_server
    pdf, xlsx = attachments
    smtp = Smtp(host="127.0.0.1", port=controller.port, sender="plantrack@kjj.example")
    mails = [
        Mail(
            ("leader1@kjj.example", "leader2@kjj.example"),
            "2021年第二季度全市简报",
            "各位领导：附件为简报。",
            (pdf,),
        ),
        Mail(
            ("steward@huancui.example",),
            "【请更正后重新报送】环翠区填报表问题清单",
            "请按批注修改。",
            (xlsx,),
        ),
    ]

    deliveries = send_all(smtp, mails, timeout=10)

    assert [(d.recipient, d.ok, d.code) for d in deliveries] == [
        ("leader1@kjj.example", True, "sent"),
        ("leader2@kjj.example", True, "sent"),
        ("steward@huancui.example", True, "sent"),
    ]
    assert [(frm, tos) for frm, tos, _ in handler.received] == [
        ("plantrack@kjj.example", ["leader1@kjj.example", "leader2@kjj.example"]),
        ("plantrack@kjj.example", ["steward@huancui.example"]),
    ]
    first, second = (_parsed(raw) for _, _, raw in handler.received)
    assert first["Subject"] == "2021年第二季度全市简报"
    assert second["Subject"] == "【请更正后重新报送】环翠区填报表问题清单"
    assert first.get_body(("plain",)).get_content().strip() == "各位领导：附件为简报。"
    assert _attachment_names(first) == [pdf.name]
    assert _attachment_names(second) == [xlsx.name]
    assert next(first.iter_attachments()).get_content() == pdf.read_bytes()
    assert next(second.iter_attachments()).get_content_type() == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    raw_first = handler.received[0][2]
    assert b"filename*" in raw_first and b"utf-8''" in raw_first  # RFC 2231, not raw bytes
    assert "全市".encode() not in raw_first


def test_a_refused_recipient_does_not_stop_the_others(smtp_server, attachments):
    controller, handler = smtp_server
    smtp = Smtp(host="127.0.0.1", port=controller.port)
    mails = [
        Mail(("steward@wendeng.example", REFUSED), "文登区简报", "正文", (attachments[0],)),
        Mail((REFUSED,), "环翠区提醒", "正文"),  # every recipient refused
        Mail(("steward@rushan.example",), "乳山市简报", "正文"),
    ]

    deliveries = send_all(smtp, mails, timeout=10)

    assert [(d.recipient, d.subject, d.ok, d.code) for d in deliveries] == [
        ("steward@wendeng.example", "文登区简报", True, "sent"),
        (REFUSED, "文登区简报", False, "refused"),
        (REFUSED, "环翠区提醒", False, "refused"),
        ("steward@rushan.example", "乳山市简报", True, "sent"),
    ]
    failed = deliveries[1]
    assert REFUSED in failed.error and "550" in failed.error and "被邮件服务器拒绝" in failed.error
    assert [tos for _, tos, _ in handler.received] == [
        ["steward@wendeng.example"],
        ["steward@rushan.example"],
    ]


def test_an_unreachable_server_fails_every_recipient_with_a_clear_message():
    port = free_port()  # nothing listens here
    smtp = Smtp(host="127.0.0.1", port=port)
    mails = [Mail(("a@x.example", "b@x.example"), "主题一", "正文"), Mail(("c@x.example",), "主题二", "正文")]

    deliveries = send_all(smtp, mails, timeout=5)

    assert [(d.recipient, d.ok, d.code) for d in deliveries] == [
        ("a@x.example", False, "connect"),
        ("b@x.example", False, "connect"),
        ("c@x.example", False, "connect"),
    ]
    assert all(f"无法连接邮件服务器 127.0.0.1:{port}" in d.error for d in deliveries)


def test_a_missing_attachment_fails_only_its_own_message(smtp_server, tmp_path):
    controller, handler = smtp_server
    smtp = Smtp(host="127.0.0.1", port=controller.port)
    mails = [
        Mail(("a@x.example",), "缺附件", "正文", (tmp_path / "不存在.pdf",)),
        Mail(("b@x.example",), "正常", "正文"),
    ]

    deliveries = send_all(smtp, mails, timeout=10)

    assert [(d.recipient, d.ok, d.code) for d in deliveries] == [
        ("a@x.example", False, "rejected"),
        ("b@x.example", True, "sent"),
    ]
    assert "无法读取附件" in deliveries[0].error
    assert len(handler.received) == 1


# -- STARTTLS and login -------------------------------------------------------


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"plantrack"
        and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok, handled=False)  # let the server answer 535 on failure


# STARTTLS upgrades a plain connection; SMTPS (use_ssl, port 465 in the wild) is TLS from
# the first byte. aiosmtpd only counts STARTTLS as TLS when deciding to offer AUTH, so the
# SMTPS server lifts that requirement (the client cannot tell) and warns that it did.
MODES = {  # client settings, the failure a bad certificate gives, the setting it names
    "starttls": ({"use_tls": True}, "STARTTLS 加密连接失败", "use_tls"),
    "smtps": ({"use_ssl": True}, "SSL 加密连接失败", "use_ssl"),
}


def _server_options(mode: str, ctx: ssl.SSLContext) -> dict:
    if mode == "starttls":
        return {"tls_context": ctx, "require_starttls": True}
    return {"ssl_context": ctx, "auth_require_tls": False}


@pytest.fixture(params=list(MODES))
def tls_server(request, tmp_path):
    """A server that requires login over TLS; yields it, its recorder, a client context
    that trusts its certificate, and the Smtp settings for the mode."""
    client_mode = MODES[request.param][0]
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    handler = RecordingHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=_authenticator,
        auth_required=True,
        **_server_options(request.param, server_ctx),
    )
    controller.start()
    try:
        yield (
            controller,
            handler,
            ssl.create_default_context(cafile=str(cert)),
            {"host": "127.0.0.1", "port": controller.port, **client_mode},
            request.param,
        )
    finally:
        controller.stop()


SMTPS_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@SMTPS_AUTH
def test_encrypted_login_when_configured(tls_server):
    controller, handler, client_ctx, where, _ = tls_server
    smtp = Smtp(**where, username="plantrack", password="s3cret")

    deliveries = send_all(
        smtp, [Mail(("leader@kjj.example",), "加密发送", "正文")], timeout=10, ssl_context=client_ctx
    )

    assert [(d.recipient, d.ok) for d in deliveries] == [("leader@kjj.example", True)]
    assert [tos for _, tos, _ in handler.received] == [["leader@kjj.example"]]


@SMTPS_AUTH
def test_a_wrong_password_is_reported_for_every_recipient(tls_server):
    controller, handler, client_ctx, where, _ = tls_server
    smtp = Smtp(**where, username="plantrack", password="wrong")

    deliveries = send_all(
        smtp, [Mail(("a@x.example", "b@x.example"), "主题", "正文")], timeout=10, ssl_context=client_ctx
    )

    assert [(d.recipient, d.ok, d.code) for d in deliveries] == [
        ("a@x.example", False, "auth"),
        ("b@x.example", False, "auth"),
    ]
    assert "拒绝登录" in deliveries[0].error and "plantrack" in deliveries[0].error
    assert handler.received == []


@SMTPS_AUTH
def test_an_untrusted_certificate_is_refused_not_ignored(tls_server):
    controller, handler, _, where, mode = tls_server
    _, failure, setting = MODES[mode]
    smtp = Smtp(**where, username="plantrack", password="s3cret")

    deliveries = send_all(smtp, [Mail(("a@x.example", "b@x.example"), "主题", "正文")], timeout=10)

    assert [(d.ok, d.code) for d in deliveries] == [(False, "tls"), (False, "tls")]
    assert failure in deliveries[0].error and setting in deliveries[0].error
    assert handler.received == []


def test_build_message_headers():
    msg = build_message(Mail(("a@x.example", "b@x.example"), "季度提醒", "正文"), "plantrack@kjj.example")
    parsed = _parsed(msg.as_bytes())
    assert parsed["To"] == "a@x.example, b@x.example"
    assert parsed["Subject"] == "季度提醒"
    assert parsed["Message-ID"].endswith("@kjj.example>")
    assert list(parsed.iter_attachments()) == []
