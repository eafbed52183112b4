"""The stewards' portal through Starlette's TestClient: accounts, verdicts, submission, limits.

One portal per module (its start-up warms the validation machinery); each test
makes its own accounts, so tests do not depend on each other's state. The
browser tests (test_portal_browser.py) drive the same pages in Chromium.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from plantrack.periods import Quarter
from plantrack.pipeline import discover
from plantrack.portal.app import Portal, portal_db_path
from plantrack.portal.auth import LoginLimit
from plantrack.portal.db import PortalDB
from plantrack.portal.quarters import build_calendar
from plantrack.portal.uploads import deliver_to_inbox, inbox_name, shown_name
from plantrack.settings import load_settings
from plantrack.validate import check_file
from tests.conftest import FIXTURES, SUITES_2021
from tests.fixtures.validation.make_fixtures import STATUS, filled

Q2 = Quarter(2021, 2)
BEFORE_DEADLINE = datetime(2021, 7, 5, 1, 0, tzinfo=UTC)  # 09:00 in Weihai, five days early
AFTER_DEADLINE = datetime(2021, 7, 9, 17, 30, tzinfo=UTC)  # 01:30 on 10 July: late
PASSWORD = "qingdao-haibin-2021"
# (sheet, cell, code) of the mistakes planted in planted_workbook
PLANTED = [
    ("填报", "E14", "value_not_number"),
    ("填报", "E31", "negative_value"),
    ("重点任务", "C5", "invalid_status"),
]


# -- helpers the browser tests share -------------------------------------------------


def planted_workbook(catalog, path: Path, unit: str = "huancui") -> Path:
    """环翠区's real template, filled, with three typical mistakes (PLANTED)."""
    sheet = filled(catalog, unit, Q2, path)
    sheet.value_cell("I07-3-1").value = "待统计"
    sheet.value_cell("I11-1-1").value = -5
    sheet.milestones.cell(row=sheet.tasks["M08-1"], column=STATUS, value="差不多了")
    sheet.wb.save(path)
    return path


def corrected_workbook(catalog, path: Path, unit: str = "huancui") -> Path:
    sheet = filled(catalog, unit, Q2, path)
    sheet.wb.save(path)
    return path


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)


def welcome_path(portal: Portal, login: str, unit: str, admin: bool = False) -> str:
    account = portal.db.add_account(login, f"测试{login}", unit, is_admin=admin)
    return f"/welcome/{portal.db.issue_token(account.id)}"


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal(tmp_path_factory, catalog) -> Portal:
    settings = load_settings({"PLANTRACK_HOME": str(tmp_path_factory.mktemp("portal-home"))})
    clock = Clock(BEFORE_DEADLINE)
    calendar = build_calendar(settings.schedule, BEFORE_DEADLINE)
    p = Portal(
        settings,
        catalog,
        calendar,
        clock=clock,
        max_upload_bytes=2 * 2**20,
        limit=LoginLimit(per_login=3, per_client=50),
    )
    p.warm()
    return p


@pytest.fixture
def clock(portal):
    portal.clock.now = BEFORE_DEADLINE
    yield portal.clock
    portal.clock.now = BEFORE_DEADLINE


@pytest.fixture(scope="module")
def app(portal):
    return portal.app()


_logins = iter(range(1, 10_000))


def logged_in(app, portal, unit: str = "huancui", admin: bool = False) -> TestClient:
    client = TestClient(app)
    login = f"{unit}-t{next(_logins)}"
    path = welcome_path(portal, login, unit, admin)
    page = client.get(path)
    assert page.status_code == 200 and login in page.text
    done = client.post(
        path,
        data={"csrf_token": csrf_of(page.text), "password": PASSWORD, "repeat": PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303
    client.login = login
    return client


def upload(
    client: TestClient, path: Path, name: str | None = None, quarter: str = "2021Q2", token: str | None = None
):
    page = client.get(f"/q/{quarter}")
    data = {"csrf_token": token if token is not None else csrf_of(page.text)}
    with path.open("rb") as fh:
        return client.post(
            f"/q/{quarter}/upload", data=data, files={"file": (name or path.name, fh)}, follow_redirects=False
        )


def stored_files(portal: Portal) -> set[Path]:
    return {p for p in portal.uploads_dir.rglob("*") if p.is_file()}


# -- accounts and sessions ----------------------------------------------------------------------


def test_one_time_link_sets_a_password_once_and_then_the_password_logs_in(app, portal):
    client = TestClient(app)
    path = welcome_path(portal, "zhangli", "huancui")
    page = client.get(path)
    assert "环翠区" in page.text and "zhangli" in page.text
    weak = client.post(path, data={"csrf_token": csrf_of(page.text), "password": "short", "repeat": "short"})
    assert weak.status_code == 400 and "至少需要10个字符" in weak.text
    done = client.post(
        path,
        data={"csrf_token": csrf_of(page.text), "password": PASSWORD, "repeat": PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert client.get("/", follow_redirects=False).headers["location"] == "/q/2021Q2"
    assert "环翠区 · 2021年第二季度填报" in client.get("/q/2021Q2").text

    assert "链接已失效" in TestClient(app).get(path).text  # used: never again
    account = portal.db.account_by_login("zhangli")
    assert account.password_hash.startswith("$argon2id$")

    fresh = TestClient(app)
    form = fresh.get("/login")
    ok = fresh.post(
        "/login",
        data={"csrf_token": csrf_of(form.text), "login": "zhangli", "password": PASSWORD},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert fresh.get("/q/2021Q2").status_code == 200
    actions = [e["action"] for e in portal.db.audit_entries("huancui")]
    assert {"password_set", "login"} <= set(actions)


def test_a_steward_is_told_to_ask_the_plans_own_bureau(tmp_path, catalog):
    """Another bureau's portal names that bureau wherever a steward is sent for help."""
    import dataclasses

    other = dataclasses.replace(catalog, issuer="临川区工业和信息化局")
    settings = load_settings({"PLANTRACK_HOME": str(tmp_path)})
    portal = Portal(
        settings, other, build_calendar(settings.schedule, BEFORE_DEADLINE), clock=Clock(BEFORE_DEADLINE)
    )
    client = TestClient(portal.app())
    login = client.get("/login").text
    bad_link = client.get("/welcome/not-a-token").text
    refused = client.post(
        "/login", data={"csrf_token": csrf_of(login), "login": "nobody", "password": "guess"}
    ).text
    for page in (login, bad_link, refused):
        assert "临川区工业和信息化局" in page and "科技局" not in page


def test_logins_are_rate_limited_per_name(app, portal):
    logged_in(app, portal)  # an account whose name the attacker guesses below
    client = TestClient(app)
    login = f"huancui-t{next(_logins) - 1}"
    form = csrf_of(client.get("/login").text)
    for _ in range(3):
        bad = client.post("/login", data={"csrf_token": form, "login": login, "password": "guess"})
        assert bad.status_code == 401 and "登录名或密码不正确" in bad.text
    refused = client.post("/login", data={"csrf_token": form, "login": login, "password": PASSWORD})
    assert refused.status_code == 429 and "登录失败次数过多" in refused.text


def test_pages_need_a_login_and_disabling_an_account_ends_its_session(app, portal):
    anonymous = TestClient(app)
    assert anonymous.get("/q/2021Q2", follow_redirects=False).headers["location"].startswith("/login")
    client = logged_in(app, portal)
    assert client.get("/q/2021Q2").status_code == 200
    portal.db.disable(portal.db.account_by_login(client.login).id)
    assert client.get("/q/2021Q2", follow_redirects=False).status_code == 303


def test_forms_without_their_csrf_token_are_refused(app, portal, catalog, tmp_path):
    client = logged_in(app, portal)
    assert client.post("/logout", data={}).status_code == 403
    forged = client.post("/login", data={"login": "x", "password": "y"})
    assert forged.status_code == 403 and "安全校验码" in forged.text
    before = stored_files(portal)
    refused = upload(client, corrected_workbook(catalog, tmp_path / "ok.xlsx"), token="0" * 64)
    assert refused.status_code == 403 and "安全校验码" in refused.text
    assert stored_files(portal) == before
    page = upload(client, corrected_workbook(catalog, tmp_path / "ok.xlsx"))
    upload_id = page.headers["location"].rsplit("/", 1)[1]
    assert client.post(f"/uploads/{upload_id}/submit", data={}).status_code == 403
    assert portal.db.upload(upload_id).submitted_at is None


# -- the verdict -----------------------------------------------------------------------------------


def test_a_workbook_with_planted_mistakes_shows_each_cell_with_its_message(app, portal, catalog, tmp_path):
    client = logged_in(app, portal)
    answer = upload(client, planted_workbook(catalog, tmp_path / "环翠区二季度.xlsx"))
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    html = page.text
    assert "未通过：发现错误 3 处" in html
    expected = check_file(tmp_path / "环翠区二季度.xlsx", catalog, Q2, SUITES_2021)
    assert sorted((i.sheet, i.cell, i.code) for i in expected.issues) == sorted(PLANTED)
    for issue in expected.issues:
        assert f"{issue.sheet}!{issue.cell}</a>" in html
        assert issue.message in html
        assert f'id="cell-{issue.sheet}-{issue.cell}"' in html  # the grid marks the cell
    assert re.search(r'<td class="error" id="cell-填报-E14"[^>]*>待统计</td>', html)

    fixit = client.get(answer.headers["location"] + "/fixit")
    assert fixit.status_code == 200
    assert "环翠区_2021年第二季度填报表_问题标注.xlsx" in unquote(fixit.headers["content-disposition"])
    wb = load_workbook(io.BytesIO(fixit.content))
    assert wb.sheetnames[0] == "问题清单"
    assert wb["填报"]["E14"].comment is not None and wb["填报"]["E14"].value == "待统计"


def test_a_corrected_file_is_valid_and_its_submission_lands_in_the_inbox(
    app, portal, catalog, tmp_path, clock
):
    client = logged_in(app, portal)
    answer = upload(client, corrected_workbook(catalog, tmp_path / "改好了.xlsx"))
    page = client.get(answer.headers["location"])
    assert "通过：没有发现问题" in page.text and 'id="submit-form"' in page.text
    upload_id = answer.headers["location"].rsplit("/", 1)[1]
    clock.now = datetime(2021, 7, 6, 2, 15, 30, tzinfo=UTC)
    done = client.post(
        f"/uploads/{upload_id}/submit", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    shown = client.get(f"/uploads/{upload_id}").text
    assert "已报送：收到时间 2021年7月6日 10:15（按时）" in shown

    inbox = portal.settings.quarter_inbox("2021Q2")
    record = portal.db.upload(upload_id)
    delivered = inbox / record.inbox_name
    assert delivered in discover(inbox)  # what the quarterly run picks up
    assert not list(inbox.glob(".*"))  # no partial file left behind
    assert delivered.read_bytes() == (tmp_path / "改好了.xlsx").read_bytes()
    assert delivered.stat().st_mtime == clock.now.timestamp()  # the run's received_at
    assert delivered.name.startswith("2021Q2_huancui_环翠区_网上报送_")
    run_verdict = check_file(delivered, catalog, Q2, SUITES_2021)
    assert run_verdict.validation.unit == "huancui" and not run_verdict.issues

    again = client.post(
        f"/uploads/{upload_id}/submit", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert again.status_code == 303 and discover(inbox).count(delivered) == 1
    audit = [e for e in portal.db.audit_entries("huancui") if e["action"] == "submit"]
    assert audit[0]["target"] == upload_id and "按时" in audit[0]["detail"]


def test_a_file_of_another_unit_cannot_be_submitted_in_her_name(app, portal, catalog, tmp_path):
    client = logged_in(app, portal)
    answer = upload(client, corrected_workbook(catalog, tmp_path / "文登.xlsx", unit="wendeng"))
    page = client.get(answer.headers["location"])
    assert "这份文件是“文登区”的填报表" in page.text and 'id="submit-form"' not in page.text
    upload_id = answer.headers["location"].rsplit("/", 1)[1]
    refused = client.post(f"/uploads/{upload_id}/submit", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 409


def test_submitted_text_is_escaped(app, portal, catalog, tmp_path):
    client = logged_in(app, portal)
    answer = upload(
        client, corrected_workbook(catalog, tmp_path / "x.xlsx"), name="<img src=x onerror=alert(1)>.xlsx"
    )
    html = client.get(answer.headers["location"]).text
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.xlsx" in html


# -- what one unit may reach of another --------------------------------------------------------------


def test_another_units_steward_reaches_nothing_of_the_first_unit(app, portal, catalog, tmp_path):
    first = logged_in(app, portal, "huancui")
    answer = upload(first, planted_workbook(catalog, tmp_path / "p.xlsx"))
    target = answer.headers["location"]
    other = logged_in(app, portal, "wendeng")
    for path in (target, target + "/fixit"):
        assert other.get(path).status_code == 404
    token = csrf_of(other.get("/q/2021Q2").text)
    assert other.post(target + "/submit", data={"csrf_token": token}).status_code == 404
    assert other.get("/admin").status_code == 403
    assert other.get("/admin/units/huancui").status_code == 403
    assert "p.xlsx" not in other.get("/q/2021Q2").text
    assert other.get("/q/2021Q3").status_code == 404  # not open for submission


def test_the_template_is_the_units_own(app, portal):
    client = logged_in(app, portal, "rushan")
    answer = client.get("/q/2021Q2/template")
    assert answer.status_code == 200
    wb = load_workbook(io.BytesIO(answer.content))
    identity = {r[0].value: r[1].value for r in wb["_plantrack"].iter_rows(max_col=2)}
    assert identity["unit"] == "rushan" and identity["quarter"] == "2021Q2"
    assert "filename*=UTF-8''2021Q2_rushan_" in answer.headers["content-disposition"]


# -- limits and hostile files ---------------------------------------------------------------------------


def test_a_file_above_the_limit_is_refused_and_nothing_is_stored(app, portal, tmp_path):
    client = logged_in(app, portal)
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"\0" * (3 * 2**20))
    before, rows = stored_files(portal), len(portal.db.uploads("2021Q2"))
    answer = upload(client, big)
    assert answer.status_code == 413 and "文件超过 2 MB 的上限，未被接收" in answer.text
    assert stored_files(portal) == before and len(portal.db.uploads("2021Q2")) == rows
    assert not list(portal.scratch.iterdir())  # the partial file is gone too


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("zip_bomb.xlsx", "疑似压缩炸弹"),
        ("password_protected.xlsx", "已加密"),
        ("pdf_renamed.xlsx", "不是电子表格"),
    ],
)
def test_unreadable_files_are_refused_by_the_readers_guards_and_not_kept(app, portal, fixture, message):
    client = logged_in(app, portal, "haigaoyuan")
    before = stored_files(portal)
    answer = upload(client, FIXTURES / "submissions" / fixture)
    assert answer.status_code == 422 and message in answer.text and "文件未被保存" in answer.text
    assert stored_files(portal) == before
    assert portal.db.uploads("2021Q2", "haigaoyuan") == []


def test_only_spreadsheet_suffixes_are_taken(app, portal, tmp_path):
    client = logged_in(app, portal)
    doc = tmp_path / "报告.pdf"
    doc.write_bytes(b"%PDF-1.4")
    answer = upload(client, doc)
    assert answer.status_code == 415 and "不支持的文件类型“.pdf”" in answer.text


def test_names_are_shown_safely_and_the_inbox_name_is_the_servers():
    assert shown_name("C:\\Users\\张\\Desktop\\表.xlsx") == "表.xlsx"
    assert shown_name("../../etc/passwd") == "passwd"
    assert shown_name("a\x00b\n.xlsx") == "ab.xlsx"
    from plantrack.catalog import Unit

    name = inbox_name(Q2, Unit("x", "南海/新区", "o", "zone"), "abc", ".xlsx")
    assert name == "2021Q2_x_南海_新区_网上报送_abc.xlsx" and "/" not in name


def test_delivery_refuses_names_that_could_leave_the_inbox(tmp_path):
    source = tmp_path / "f.xlsx"
    source.write_bytes(b"x")
    for bad in ("../f.xlsx", ".hidden.xlsx", "a/b.xlsx"):
        with pytest.raises(ValueError):
            deliver_to_inbox(source, tmp_path / "inbox", bad, BEFORE_DEADLINE)


# -- the warehouse, the bureau's page, reminders --------------------------------------------------------


def test_the_portal_keeps_serving_while_a_run_holds_the_warehouse(app, portal, catalog, tmp_path):
    from warehouse.db import connect
    from warehouse.lock import writer_lock

    connect(portal.settings.warehouse_path).close()  # a warehouse exists
    portal.warehouse.forget()
    client = logged_in(app, portal)
    with writer_lock(portal.settings.warehouse_path):
        page = client.get("/q/2021Q2")
        assert page.status_code == 200 and "季度流程正在运行" in page.text
        answer = upload(client, corrected_workbook(catalog, tmp_path / "during.xlsx"))
        assert answer.status_code == 303
    portal.warehouse.forget()
    assert "季度流程正在运行" not in client.get("/q/2021Q2").text


def test_the_bureau_sees_every_units_state_and_lateness(app, portal, catalog, tmp_path, clock):
    steward = logged_in(app, portal, "rongcheng")
    answer = upload(steward, planted_workbook(catalog, tmp_path / "r.xlsx", unit="rongcheng"))
    page = steward.get(answer.headers["location"])
    clock.now = AFTER_DEADLINE
    steward.post(answer.headers["location"] + "/submit", data={"csrf_token": csrf_of(page.text)})
    assert "（<strong>逾期</strong>）" in steward.get(answer.headers["location"]).text

    admin = logged_in(app, portal, "bureau", admin=True)
    html = admin.get("/admin").text
    row = re.search(r'<tr data-unit="rongcheng" data-state="(\w+)">(.*?)</tr>', html, re.S)
    assert row.group(1) == "errors" and "逾期" in row.group(2) and "r.xlsx" in row.group(2)
    assert re.search(r'<tr data-unit="jingqu" data-state="missing">.*?逾期未报送', html, re.S)
    assert admin.get(answer.headers["location"]).status_code == 200  # the bureau sees every unit
    detail = admin.get("/admin/units/rongcheng?quarter=2021Q2").text
    assert "r.xlsx" in detail and "submit" in detail


def test_the_reminder_button_runs_the_reminder_flow(app, portal, monkeypatch):
    monkeypatch.setenv("PLANTRACK_HOME", str(portal.settings.home))  # the flow reads the settings
    admin = logged_in(app, portal, "bureau", admin=True)
    token = csrf_of(admin.get("/admin").text)
    answer = admin.post("/admin/remind?quarter=2021Q2", data={"csrf_token": token})
    assert answer.status_code == 200 and "已生成2021年第二季度报送提醒" in answer.text
    written = list(portal.settings.quarter_out("2021Q2").glob("reminder_*.txt"))
    assert written and "尚未报送" in written[0].read_text(encoding="utf-8")


def test_the_database_is_the_portals_own_and_in_wal_mode(portal):
    assert portal.db.path == portal_db_path(portal.settings)
    assert portal.db.path.parent == portal.settings.home / "portal"
    with PortalDB(portal.db.path).connect() as con:
        assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert not portal.settings.warehouse_path.with_suffix(".sqlite3").exists()


def test_a_published_brief_is_her_units_alone(app, portal):
    outbox = portal.settings.home / "outbox" / "2021Q2"
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / "2021Q2_lingang_临港区_科技工作要点落实情况简报.pdf").write_bytes(b"%PDF-1.7 lingang")
    (outbox / "2021Q2_全市科技工作要点落实情况简报.pdf").write_bytes(b"%PDF-1.7 city")
    own = logged_in(app, portal, "lingang")
    assert 'href="/briefs/2021Q2"' in own.get("/q/2021Q2").text
    brief = own.get("/briefs/2021Q2")
    assert brief.status_code == 200 and brief.content == b"%PDF-1.7 lingang"
    other = logged_in(app, portal, "zongbao")
    assert other.get("/briefs/2021Q2").status_code == 404
    assert other.get("/briefs/..%2F..%2Fportal").status_code == 404


def test_the_run_status_of_a_submitted_file_comes_from_the_warehouse():
    from plantrack.portal.status import WarehouseView, receipt_status

    at = datetime(2021, 7, 8)
    view = WarehouseView(
        True,
        receipts={
            "h1": [
                {
                    "submission_id": "s1",
                    "unit": "huancui",
                    "received_at": at,
                    "readable": True,
                    "read_error": None,
                }
            ]
        },
        units={
            "huancui": {
                "submission_id": "s1",
                "received_at": at,
                "rows_accepted": 38,
                "rows_quarantined": 1,
                "errors": 1,
                "warnings": 0,
            }
        },
    )
    assert receipt_status(view, "h1", "huancui") == (
        "已入库并采用：入库38行，1行因错误未入库（错误1处，警告0处）。"
    )
    assert receipt_status(view, "h2", "huancui") == "已收到，等待季度流程处理。"
    busy = WarehouseView(False, "季度流程正在运行")
    assert receipt_status(busy, "h1", "huancui") == "季度流程正在运行"


def test_the_operator_makes_lists_and_disables_accounts(home, capsys):
    import json

    from plantrack.cli import main

    assert (
        main(
            [
                "portal",
                "user",
                "add",
                "--unit",
                "环翠区",
                "--name",
                "张丽",
                "--base-url",
                "https://tianbao.example/",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    assert re.fullmatch(r"https://tianbao\.example/welcome/[\w-]{40,}\n", out.out)
    assert "登录名：huancui" in out.err
    assert main(["portal", "user", "add", "--unit", "huancui", "--name", "李四"]) == 0
    assert "登录名：huancui2" in capsys.readouterr().err
    assert main(["portal", "user", "add", "--unit", "火星", "--name", "x"]) == 2
    assert main(["portal", "user", "disable", "huancui2"]) == 0
    capsys.readouterr()
    assert main(["portal", "user", "list", "--json"]) == 0
    listed = {a["login"]: a["state"] for a in json.loads(capsys.readouterr().out)}
    assert listed == {"huancui": "invited", "huancui2": "disabled"}
    assert main(["portal", "user", "link", "huancui2"]) == 2
    db = PortalDB(portal_db_path(load_settings()))
    assert [e["action"] for e in db.audit_entries()][:1] == ["account_disabled"]
