"""Mail under trouble: why a message failed is said, a run where every message failed
exits non-zero, a quarter run again mails only what changed, and a server that hangs is
given up on after one timeout, not one per message."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from plantrack.commands.run import exit_code, print_run_summary
from plantrack.mail import Mail, send_all
from plantrack.periods import parse_quarter
from plantrack.publish import publish
from plantrack.run_record import RunSummary
from plantrack.settings import Smtp
from tests.smtp_support import REFUSED
from tests.test_publish import run_outputs  # noqa: F401  (fixture)

Q2 = parse_quarter("2021Q2")


def _smtp(port: int) -> Smtp:
    return Smtp(
        host="127.0.0.1",
        port=port,
        sender="plantrack@kjj.example",
        leadership=("juzhang@kjj.example",),
        unit_recipients={
            "huancui": ("steward@huancui.example",),
            "wendeng": (REFUSED, "steward@wendeng.example"),
        },
    )


def test_a_quarter_run_again_mails_only_what_changed(
    tmp_path,
    run_outputs,  # noqa: F811  (the fixture imported above)
    catalog,
    smtp_server,
):
    controller, handler = smtp_server
    out, outputs = run_outputs
    log = tmp_path / "home" / "mail" / "sent.jsonl"
    first = publish(outputs, out, tmp_path / "outbox", catalog, _smtp(controller.port), Q2, log)
    assert len(handler.received) == 4 and len(first.sent) == 4
    # the refused one is said with the server's reason, and is tried again next time
    assert [(d.recipient, "550" in d.error) for d in first.failed] == [(REFUSED, True)]

    again = publish(outputs, out, tmp_path / "outbox", catalog, _smtp(controller.port), Q2, log)
    assert len(handler.received) == 4  # nothing accepted twice: only the refused one retried
    assert [d.recipient for d in again.deliveries] == [REFUSED]
    assert sum("未重发" in note for note in again.not_mailed) == 4

    Path(outputs["unit_briefs"][0]).write_bytes(b"%PDF hc, corrected figures")
    third = publish(outputs, out, tmp_path / "outbox", catalog, _smtp(controller.port), Q2, log)
    assert sorted(d.recipient for d in third.sent) == ["steward@huancui.example"]
    assert "环翠区简报" in third.sent[0].subject


def test_every_message_failing_is_said_and_exits_non_zero(
    tmp_path,
    run_outputs,  # noqa: F811  (the fixture imported above)
    catalog,
    capsys,
):
    out, outputs = run_outputs
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = publish(outputs, out, tmp_path / "outbox", catalog, _smtp(port), Q2)
    assert result.deliveries and not result.sent
    summary = {**RunSummary("run", Q2.code).to_dict(), "mail": result.to_dict()}
    print_run_summary("done", summary, time.monotonic())
    assert exit_code(summary) == 1
    printed = capsys.readouterr()
    assert "发送失败：juzhang@kjj.example" in printed.out and "无法连接邮件服务器" in printed.out
    assert "所有邮件均发送失败" in printed.err
    assert exit_code({**summary, "mail": {**result.to_dict(), "sent": [{"x": 1}]}}) == 0


def test_a_hanging_server_is_given_up_on_after_one_timeout(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held = []
    stop = threading.Event()

    def accept_and_say_nothing():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_say_nothing, daemon=True)
    thread.start()
    try:
        attachment = tmp_path / "a.pdf"
        attachment.write_bytes(b"%PDF")
        mails = [Mail((f"u{n}@example",), f"简报{n}", "正文", (attachment,)) for n in range(5)]
        started = time.monotonic()
        deliveries = send_all(_smtp(server.getsockname()[1]), mails, timeout=1.0)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
    assert elapsed < 4  # one timeout, not one per message
    assert [d.code for d in deliveries] == ["timeout"] * 5
    assert "无响应" in deliveries[0].error
