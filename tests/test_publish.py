"""Publishing: the outbox copy, and who gets which file by mail (SMTP on loopback)."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from plantrack.periods import parse_quarter
from plantrack.publish import publish
from plantrack.settings import Smtp
from tests.smtp_support import REFUSED

Q2 = parse_quarter("2021Q2")
HC, WD, RS = (
    f"2021Q2_{unit}_科技工作要点落实情况简报.pdf"
    for unit in ("huancui_环翠区", "wendeng_文登区", "rushan_乳山市")
)


def _write(path: Path, content: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return str(path)


@pytest.fixture
def run_outputs(tmp_path) -> tuple[Path, dict[str, list[str]]]:
    """What a run of 2021Q2 wrote to its output folder, as RunSummary.outputs lists it."""
    out = tmp_path / "out" / "2021Q2"
    outputs = {
        "briefs": [
            _write(out / "2021Q2_全市科技工作要点落实情况简报.pdf", b"%PDF city"),
            _write(out / "2021Q2_全市科技工作要点落实情况简报.html", b"<html>"),
        ],
        "unit_briefs": [
            _write(out / "units" / HC, b"%PDF hc"),
            _write(out / "units" / WD, b"%PDF wd"),
            _write(out / "units" / RS, b"%PDF rs"),
        ],
        "fixit": [
            _write(out / "fixit" / "huancui.xlsx", b"PK hc"),
            _write(out / "fixit" / "季度报表(最终版)_问题标注.xlsx", b"PK ??"),
        ],
        "summary": [_write(out / "run_2021Q2-x.json", b"{}")],  # not for people: not published
    }
    return out, outputs


def test_without_smtp_every_brief_and_workbook_lands_in_the_outbox(tmp_path, run_outputs, catalog):
    out, outputs = run_outputs
    outbox = tmp_path / "outbox" / "2021Q2"

    result = publish(outputs, out, outbox, catalog, Smtp(), Q2)

    landed = sorted(str(p.relative_to(outbox)) for p in outbox.rglob("*") if p.is_file())
    assert landed == sorted(
        [
            "2021Q2_全市科技工作要点落实情况简报.pdf",
            "2021Q2_全市科技工作要点落实情况简报.html",
            f"units/{HC}",
            f"units/{WD}",
            f"units/{RS}",
            "fixit/huancui.xlsx",
            "fixit/季度报表(最终版)_问题标注.xlsx",
        ]
    )
    assert (outbox / "units" / WD).read_bytes() == b"%PDF wd"
    assert [(p.kind, p.unit) for p in result.publications] == [
        ("briefs", None),
        ("briefs", None),
        ("unit_briefs", "huancui"),
        ("unit_briefs", "wendeng"),
        ("unit_briefs", "rushan"),
        ("fixit", "huancui"),
        ("fixit", None),
    ]
    assert not result.mail_enabled and result.deliveries == [] and result.not_mailed == []


def test_a_second_run_replaces_the_outbox_copy(tmp_path, run_outputs, catalog):
    out, outputs = run_outputs
    outbox = tmp_path / "outbox" / "2021Q2"
    publish(outputs, out, outbox, catalog, Smtp(), Q2)
    Path(outputs["briefs"][0]).write_bytes(b"%PDF city, second run")

    publish(outputs, out, outbox, catalog, Smtp(), Q2)

    assert (outbox / "2021Q2_全市科技工作要点落实情况简报.pdf").read_bytes() == (b"%PDF city, second run")
    assert list(outbox.rglob("*.part")) == []


def test_each_file_is_mailed_to_its_own_readers(tmp_path, run_outputs, catalog, smtp_server):
    controller, handler = smtp_server
    out, outputs = run_outputs
    outbox = tmp_path / "outbox" / "2021Q2"
    smtp = Smtp(
        host="127.0.0.1",
        port=controller.port,
        sender="plantrack@kjj.example",
        leadership=("juzhang@kjj.example", "fujuzhang@kjj.example"),
        unit_recipients={
            "huancui": ("steward@huancui.example",),
            "wendeng": (REFUSED, "steward@wendeng.example"),
        },
    )

    result = publish(outputs, out, outbox, catalog, smtp, Q2)

    received = []
    for _, rcpt_tos, raw in handler.received:
        msg = message_from_bytes(raw, policy=policy.default)
        received.append((rcpt_tos, msg["Subject"], [part.get_filename() for part in msg.iter_attachments()]))
    assert received == [
        (
            ["juzhang@kjj.example", "fujuzhang@kjj.example"],
            "【工作要点落实情况】2021年第二季度全市简报",
            ["2021Q2_全市科技工作要点落实情况简报.pdf"],
        ),
        (["steward@huancui.example"], "【工作要点落实情况】2021年第二季度环翠区简报", [HC]),
        (["steward@wendeng.example"], "【工作要点落实情况】2021年第二季度文登区简报", [WD]),
        (
            ["steward@huancui.example"],
            "【请更正后重新报送】环翠区2021年第二季度填报表问题清单",
            ["环翠区_2021年第二季度填报表_问题标注.xlsx"],
        ),
    ]
    assert [(d.recipient, d.code) for d in result.failed] == [(REFUSED, "refused")]
    assert len(result.sent) == 5
    assert result.not_mailed == [
        f"{RS} 未发送：未配置乳山市的收件人（[smtp.units] rushan）",
        "季度报表(最终版)_问题标注.xlsx 未发送：无法从文件名确定所属单位",
    ]
    assert result.to_dict()["failed"][0]["recipient"] == REFUSED


def test_the_city_brief_waits_for_a_leadership_list(tmp_path, run_outputs, catalog, smtp_server):
    controller, handler = smtp_server
    out, outputs = run_outputs
    smtp = Smtp(host="127.0.0.1", port=controller.port)

    result = publish({"briefs": outputs["briefs"]}, out, tmp_path / "outbox", catalog, smtp, Q2)

    assert result.not_mailed == ["全市简报未发送：未配置局领导收件人（[smtp] leadership）"]
    assert handler.received == [] and result.deliveries == []
