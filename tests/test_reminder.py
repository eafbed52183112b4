"""The reminder: who has not submitted, whose latest submission has errors, what waits."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows.reminder import reminder_run
from plantrack.catalog_tables import refresh_catalog_tables
from plantrack.landing import sha256_file
from plantrack.periods import parse_quarter
from plantrack.reminder import (
    INVALID,
    MISSING,
    OK,
    PENDING,
    latest_submissions,
    pending_files,
    reminder_mails,
    reminder_text,
    unit_reminders,
)
from plantrack.settings import Smtp
from plantrack.template import template_filename, write_template
from transforms.models import run_models
from warehouse.db import connect

Q1, Q2 = parse_quarter("2021Q1"), parse_quarter("2021Q2")
SHANGHAI = ZoneInfo("Asia/Shanghai")

RUNS = [("2021Q2-a", "2021Q2", "2021-07-01 10:00:00"), ("2021Q2-b", "2021Q2", "2021-07-03 10:00:00")]
# submission_id, unit, quarter, received_at, file, readable, read_error
SUBMISSIONS = [
    ("hc1", "huancui", "2021Q2", "2021-07-01 09:00:00", "环翠区_初版.xlsx", True, None),
    ("hc2", "huancui", "2021Q2", "2021-07-02 09:00:00", "环翠区_更正版.xlsx", True, None),
    ("wd1", "wendeng", "2021Q2", "2021-07-01 09:00:00", "文登区.xlsx", True, None),
    (
        "rc1",
        "rongcheng",
        "2021Q2",
        "2021-07-01 09:00:00",
        "荣成市.xlsx",
        False,
        "文件已损坏或不是 Excel 工作簿，无法读取",
    ),
    ("rs1", "rushan", "2021Q2", "2021-07-01 09:00:00", "乳山市.xlsx", True, None),
    ("gq1", "gaoqu", "2021Q1", "2021-04-01 09:00:00", "高区_一季度.xlsx", True, None),
    ("jq1", "jingqu", "2021Q2", "2021-07-01 09:00:00", "经区.xlsx", True, None),
]
# run_id, submission_id, unit, severity, sheet, cell, message, hint
ISSUES = [
    ("2021Q2-a", "hc1", "huancui", "error", "填报", "E12", "数值为负数", "请填写非负数"),
    ("2021Q2-a", "wd1", "wendeng", "error", "填报", "E9", "“12家”不是数字", "只填数字"),
    ("2021Q2-a", "wd1", "wendeng", "error", "重点任务", "C5", "进展状态“完成”不在列表中", "从下拉列表中选择"),
    # the same file judged again in a later run: still two errors, not four
    ("2021Q2-b", "wd1", "wendeng", "error", "填报", "E9", "“12家”不是数字", "只填数字"),
    ("2021Q2-b", "wd1", "wendeng", "error", "重点任务", "C5", "进展状态“完成”不在列表中", "从下拉列表中选择"),
    ("2021Q2-a", "rs1", "rushan", "warning", "填报", "E7", "超过年度目标5倍", ""),
    # jingqu's file had an error under an older catalog; the latest run found only a warning
    ("2021Q2-a", "jq1", "jingqu", "error", "填报", "E8", "旧规则下的错误", ""),
    ("2021Q2-b", "jq1", "jingqu", "warning", "填报", "E8", "数值偏大", ""),
]


def seed(con, catalog) -> None:
    con.executemany(
        "insert into runs (run_id, quarter, started_at, state) values (?, ?, ?, 'completed')", RUNS
    )
    con.executemany(
        "insert into raw_submissions (submission_id, file_hash, unit, quarter, received_at, "
        "source_path, identity_from, readable, read_error) "
        "values (?, ?, ?, ?, ?, ?, 'workbook', ?, ?)",
        [
            (sid, sid, unit, q, at, f"/inbox/{q}/{name}", readable, err)
            for sid, unit, q, at, name, readable, err in SUBMISSIONS
        ],
    )
    con.executemany(
        "insert into submission_issues (run_id, submission_id, unit, code, severity, sheet, "
        "cell, message, hint) values (?, ?, ?, 'code', ?, ?, ?, ?, ?)",
        ISSUES,
    )
    refresh_catalog_tables(con, catalog, 1.0, 0.5)


@pytest.fixture
def warehouse(catalog):
    con = connect(":memory:")
    seed(con, catalog)
    run_models(con)
    yield con
    con.close()


def test_latest_submission_per_unit_with_its_errors(warehouse):
    latest = latest_submissions(warehouse, Q2)

    assert {u: (s.file, s.readable, s.errors) for u, s in latest.items()} == {
        "huancui": ("环翠区_更正版.xlsx", True, 0),
        "wendeng": ("文登区.xlsx", True, 2),
        "rongcheng": ("荣成市.xlsx", False, 0),
        "rushan": ("乳山市.xlsx", True, 0),
        "jingqu": ("经区.xlsx", True, 0),
    }
    assert latest["wendeng"].problems == (
        "“填报”工作表E9单元格：“12家”不是数字 修改方法：只填数字",
        "“重点任务”工作表C5单元格：进展状态“完成”不在列表中 修改方法：从下拉列表中选择",
    )
    assert set(latest_submissions(warehouse, Q1)) == {"gaoqu"}


def test_every_reporting_unit_gets_a_state(warehouse, catalog):
    latest = latest_submissions(warehouse, Q2)
    pending = [
        (Path("/inbox/2021Q2/文登区_更正.xlsx"), "wendeng"),
        (Path("/inbox/2021Q2/临港区.xlsx"), "lingang"),
        (Path("/inbox/2021Q2/新建 Microsoft Excel 工作表.xlsx"), None),
    ]

    reminders = unit_reminders(catalog.reporting_units(), latest, pending)

    assert [(r.unit.code, r.state, r.file, r.errors) for r in reminders] == [
        ("huancui", OK, "环翠区_更正版.xlsx", 0),
        ("wendeng", PENDING, "文登区_更正.xlsx", 0),  # the resubmission waits for the run
        ("rongcheng", INVALID, "荣成市.xlsx", 1),
        ("rushan", OK, "乳山市.xlsx", 0),
        ("gaoqu", MISSING, "", 0),  # only a Q1 file
        ("jingqu", OK, "经区.xlsx", 0),
        ("lingang", PENDING, "临港区.xlsx", 0),
        ("zongbao", MISSING, "", 0),
        ("nanhai", MISSING, "", 0),
        ("haigaoyuan", MISSING, "", 0),
        ("bureau", MISSING, "", 0),
    ]
    assert reminders[2].problems == ("文件已损坏或不是 Excel 工作簿，无法读取",)


def test_pending_files_skip_what_was_landed_and_name_their_unit(tmp_path, catalog):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    landed = write_template(
        catalog, catalog.units["huancui"], Q2, inbox / template_filename(catalog.units["huancui"], Q2)
    )
    fresh = write_template(catalog, catalog.units["wendeng"], Q2, inbox / "随便起的名字.xlsx")
    (inbox / "2021Q2_临港区_季度填报表.xlsx").write_bytes(b"not a workbook")
    (inbox / "新建文件.xlsx").write_bytes(b"not a workbook either")
    (inbox / "~$随便起的名字.xlsx").write_bytes(b"excel lock file")

    pending = pending_files(inbox, {sha256_file(landed)}, catalog.units)

    assert sorted((p.name, unit) for p, unit in pending) == sorted(
        [
            (fresh.name, "wendeng"),  # known from the workbook's identity, not its name
            ("2021Q2_临港区_季度填报表.xlsx", "lingang"),  # unreadable: its name still tells
            ("新建文件.xlsx", None),
        ]
    )


def _reminders(warehouse, catalog):
    latest = latest_submissions(warehouse, Q2)
    return unit_reminders(catalog.reporting_units(), latest, [(Path("临港区.xlsx"), "lingang")])


def test_reminder_text_lists_who_must_act(warehouse, catalog):
    deadline = datetime(2021, 7, 10, 6, 0, tzinfo=SHANGHAI)
    written = datetime(2021, 7, 5, 9, 0, tzinfo=SHANGHAI)

    text = reminder_text(catalog, Q2, _reminders(warehouse, catalog), ["新建文件.xlsx"], deadline, written)

    assert text.splitlines()[:6] == [
        "威海市科学技术局",
        "《2021年全市科技工作要点》2021年第二季度填报提醒",
        "",
        "生成时间：2021年7月5日 09:00",
        "季度流程将于 2021年7月10日 06:00 自动运行，请在此之前报送或更正。",
        "",
    ]
    assert "一、尚未报送（5个单位）" in text
    assert "  1. 高区（火炬高技术产业开发区科技创新局）" in text
    assert "二、已报送但数据有误，需更正后重新报送（2个单位）" in text
    assert "  1. 文登区（文登区科技局）：文件“文登区.xlsx”，2处错误" in text
    assert "     - “填报”工作表E9单元格：“12家”不是数字 修改方法：只填数字" in text
    assert "  2. 荣成市（荣成市科技局）：文件“荣成市.xlsx”，1处错误" in text
    assert "三、已收到、待季度流程处理的文件（2个）" in text
    assert "  - 新建文件.xlsx（无法识别填报单位，请核实）" in text
    assert "四、已报送且未发现错误：3个单位（环翠区、乳山市、经区）" in text


def test_reminder_mails_go_only_to_units_that_must_act(warehouse, catalog):
    smtp = Smtp(
        host="127.0.0.1",
        unit_recipients={
            "wendeng": ("wd@x.example",),
            "gaoqu": ("gq@x.example",),
            "huancui": ("hc@x.example",),
        },
    )
    deadline = datetime(2021, 7, 10, 6, 0, tzinfo=SHANGHAI)

    mails, not_mailed = reminder_mails(catalog, Q2, _reminders(warehouse, catalog), smtp, deadline)

    assert [(m.to, m.subject) for m in mails] == [
        (("wd@x.example",), "【报送提醒】文登区2021年第二季度填报表有误，请于2021年7月10日 06:00前更正"),
        (("gq@x.example",), "【报送提醒】请于2021年7月10日 06:00前报送2021年第二季度填报表"),
    ]
    assert "- “重点任务”工作表C5单元格：进展状态“完成”不在列表中" in mails[0].body
    assert not_mailed == [
        "荣成市未发送提醒：未配置收件人（[smtp.units] rongcheng）",
        "综保区未发送提醒：未配置收件人（[smtp.units] zongbao）",
        "南海新区未发送提醒：未配置收件人（[smtp.units] nanhai）",
        "海高园未发送提醒：未配置收件人（[smtp.units] haigaoyuan）",
        "市科技局未发送提醒：未配置收件人（[smtp.units] bureau）",
    ]


# -- the flow function, end to end on a warehouse file and a loopback SMTP server -----


def test_reminder_flow_writes_the_list_and_mails_each_unit(home, settings, catalog, smtp_server):
    controller, handler = smtp_server
    (home / "plantrack.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\n'
        'sender = "plantrack@kjj.example"\n'
        '[smtp.units]\nwendeng = ["wd@x.example"]\nzongbao = ["zb@x.example"]\n',
        encoding="utf-8",
    )
    con = connect(settings.warehouse_path)
    seed(con, catalog)
    con.close()
    inbox = settings.quarter_inbox("2021Q2")
    inbox.mkdir(parents=True)
    write_template(catalog, catalog.units["nanhai"], Q2, inbox / "南海新区.xlsx")

    state = reminder_run.fn(quarter="2021Q2")

    assert state.is_completed(), state.message
    result = state.data
    written = sorted((settings.quarter_out("2021Q2")).glob("reminder_*.txt"))
    assert written == [result.path]
    text = result.path.read_text(encoding="utf-8")
    assert "一、尚未报送（5个单位）" in text and "  - 南海新区.xlsx（南海新区）" in text
    assert {u.unit.code: u.state for u in result.units}["nanhai"] == PENDING
    received = [
        (tos, message_from_bytes(raw, policy=policy.default)["Subject"]) for _, tos, raw in handler.received
    ]
    assert [tos for tos, _ in received] == [["wd@x.example"], ["zb@x.example"]]
    assert received[0][1].startswith("【报送提醒】文登区2021年第二季度填报表有误")
    assert [d.ok for d in result.deliveries] == [True, True]
    assert "5 units not submitted, 2 with errors, 1 files waiting" in state.message


def test_no_reminder_for_a_quarter_of_a_year_without_a_plan(home, settings):
    state = reminder_run.fn(quarter="2022Q1")
    assert state.is_failed()
    assert "没有2022年的计划" in state.message and "plantrack plan init" in state.message
    assert not settings.quarter_out("2022Q1").exists()
