"""The portal in a real browser: the system Chromium, driven by Playwright, against a real server.

The server is ``plantrack portal`` itself, started once for the module in a
subprocess on a free port of 127.0.0.1, with its own PLANTRACK_HOME; accounts
are made with ``plantrack portal user add`` as the operator makes them. No
browser is downloaded: Playwright drives /usr/bin/chromium (scripts/bootstrap
installs it). Set PORTAL_SCREENSHOTS=docs/img to refresh the documentation's
screenshots.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import sync_playwright

from plantrack.pipeline import discover
from plantrack.settings import load_settings
from tests.conftest import FIXTURES, REPO
from tests.test_portal import PASSWORD, PLANTED, corrected_workbook, planted_workbook

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():  # a clear failure, not a skip: CI must have the browser
    raise RuntimeError("Chromium is missing: run scripts/bootstrap (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``plantrack portal`` for 2021Q2 on a free port; yields (base URL, PLANTRACK_HOME)."""
    home = tmp_path_factory.mktemp("browser-home")
    port = _free_port()
    env = {**os.environ, "PLANTRACK_HOME": str(home), "PLANTRACK_PORTAL_URL": f"http://127.0.0.1:{port}"}
    log = (home / "portal.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "plantrack.cli", "portal", "--port", str(port), "--quarter", "2021Q2"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("portal did not start:\n" + (home / "portal.log").read_text())
        time.sleep(0.5)
    try:
        yield base, home, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: Playwright's sync API keeps an event loop running in the
    # main thread while it is open, and later tests call asyncio.run there.
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield b
        b.close()


def invite(server, unit: str, name: str, admin: bool = False) -> str:
    """The one-time link ``plantrack portal user add`` prints."""
    _, _, env = server
    args = [
        sys.executable,
        "-m",
        "plantrack.cli",
        "portal",
        "user",
        "add",
        "--unit",
        unit,
        "--name",
        name,
    ] + (["--admin"] if admin else [])
    out = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def steward_page(browser, server, unit: str, name: str, admin: bool = False):
    """A new browser context, logged in through a fresh one-time link with a new password."""
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.goto(invite(server, unit, name, admin))
    assert page.locator("h1").inner_text() == f"欢迎，{name}"
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=repeat]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def shot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)
    assert (folder / name).stat().st_size > 10_000


def upload_file(page, path: Path) -> None:
    page.set_input_files("#upload-form input[type=file]", str(path))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")


def stored(home: Path) -> set[Path]:
    return {p for p in (home / "portal" / "uploads").rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def first_steward(browser, server, catalog, tmp_path_factory):
    """环翠区's steward, after uploading a workbook with planted mistakes: (page, verdict URL)."""
    page = steward_page(browser, server, "huancui", "张丽")
    path = planted_workbook(catalog, tmp_path_factory.mktemp("files") / "环翠区2021年二季度.xlsx")
    upload_file(page, path)
    return page, page.url


def test_a_steward_checks_fixes_and_submits_in_the_browser(first_steward, server, catalog, tmp_path):
    base, home, _ = server
    page, verdict_url = first_steward
    assert "未通过：发现错误 3 处" in page.locator("#verdict").inner_text()
    problems = page.locator("#problems").inner_text()
    for sheet, cell, _ in PLANTED:
        assert f"{sheet}!{cell}" in problems
    e14 = page.locator("li.problem[data-cell=E14]").inner_text()
    assert "待统计" in e14 and "数字" in e14
    grid_cell = page.locator('[id="cell-填报-E14"]')
    assert grid_cell.inner_text() == "待统计" and "error" in grid_cell.get_attribute("class")
    row_note = page.locator("table.grid tr.has-problem", has=grid_cell).locator("td.notes").inner_text()
    assert row_note.startswith("E14：")
    shot(page, tmp_path, "portal-verdict.png")

    with page.expect_download() as download:
        page.click("#fixit-link")
    fixit = tmp_path / "fixit.xlsx"
    download.value.save_as(fixit)
    wb = load_workbook(fixit)
    assert wb.sheetnames[0] == "问题清单" and wb["填报"]["E14"].comment is not None

    page.goto(f"{base}/q/2021Q2")
    with page.expect_download() as download:
        page.click("#template-link")
    assert download.value.suggested_filename == "2021Q2_huancui_环翠区_季度填报表.xlsx"

    upload_file(page, corrected_workbook(catalog, tmp_path / "环翠区2021年二季度（改）.xlsx"))
    assert "通过：没有发现问题" in page.locator("#verdict").inner_text()
    with page.expect_navigation():
        page.click("#submit-form button")
    assert "已报送：收到时间" in page.locator("#submitted").inner_text()

    inbox = load_settings({"PLANTRACK_HOME": str(home)}).quarter_inbox("2021Q2")
    files = discover(inbox)  # what the next quarterly run reads
    assert len(files) == 1 and files[0].name.startswith("2021Q2_huancui_环翠区_网上报送_")
    assert files[0].read_bytes() == (tmp_path / "环翠区2021年二季度（改）.xlsx").read_bytes()

    page.goto(f"{base}/q/2021Q2")
    uploads = page.locator("#uploads").inner_text()
    assert "已报送" in uploads and "逾期" in uploads  # 2021Q2 closed long ago: late, as the run says
    shot(page, tmp_path, "portal-steward.png")


def test_another_units_steward_gets_nothing_of_the_first(first_steward, browser, server):
    base, _, _ = server
    _, verdict_url = first_steward
    other = steward_page(browser, server, "wendeng", "李明")
    for url in (verdict_url, verdict_url + "/fixit"):
        assert other.goto(url).status == 404
        assert "未找到" in other.locator("h1").inner_text()
    assert other.goto(f"{base}/admin").status == 403
    forged = other.request.post(verdict_url + "/submit", form={"csrf_token": "0" * 64})
    assert forged.status in (403, 404)
    other.goto(f"{base}/q/2021Q2")
    assert "环翠区" not in other.locator("h1").inner_text()
    other.context.close()


def test_a_form_without_its_csrf_token_is_refused(browser, server, catalog, tmp_path):
    _, home, _ = server
    page = steward_page(browser, server, "rushan", "赵红")
    before = stored(home)
    page.evaluate("document.querySelector('#upload-form input[name=csrf_token]').remove()")
    upload_file(page, corrected_workbook(catalog, tmp_path / "乳山.xlsx", unit="rushan"))
    assert "安全校验码" in page.locator("#upload-error").inner_text()
    assert stored(home) == before
    page.context.close()


def test_a_50_mb_upload_and_a_zip_bomb_are_refused_in_chinese(browser, server, tmp_path):
    _, home, _ = server
    page = steward_page(browser, server, "gaoqu", "孙伟")
    before = stored(home)
    big = tmp_path / "大文件.xlsx"
    with big.open("wb") as fh:
        fh.truncate(50 * 2**20)
    upload_file(page, big)
    assert "文件超过 20 MB 的上限，未被接收" in page.locator("#upload-error").inner_text()
    upload_file(page, FIXTURES / "submissions" / "zip_bomb.xlsx")
    refusal = page.locator("#upload-error").inner_text()
    assert "疑似压缩炸弹" in refusal and "文件未被保存" in refusal
    assert stored(home) == before
    assert not list((home / "portal" / "uploads" / ".incoming").glob(".upload-*"))
    page.context.close()


HOLD_WAREHOUSE = """
import sys, time
from pathlib import Path
from warehouse.db import connect
from warehouse.lock import writer_lock
path = Path(sys.argv[1])
with writer_lock(path):
    con = connect(path)  # open for writing, as the quarterly run holds it
    con.execute("create table if not exists busy (x integer)")
    print("holding", flush=True)
    time.sleep(120)
"""


def test_the_portal_keeps_serving_while_the_warehouse_is_held_for_writing(browser, server, catalog, tmp_path):
    base, home, env = server
    warehouse = load_settings({"PLANTRACK_HOME": str(home)}).warehouse_path
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WAREHOUSE, str(warehouse)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        page = steward_page(browser, server, "jingqu", "周杰")
        started = time.perf_counter()
        page.goto(f"{base}/q/2021Q2")
        assert time.perf_counter() - started < 5
        assert "季度流程正在运行" in page.locator("#warehouse-note").inner_text()
        upload_file(page, corrected_workbook(catalog, tmp_path / "经区.xlsx", unit="jingqu"))
        assert "通过" in page.locator("#verdict").inner_text()
        page.context.close()
    finally:
        holder.kill()
        holder.wait()


def test_the_bureau_sees_every_unit(first_steward, browser, server, tmp_path):
    base, _, _ = server
    admin = steward_page(browser, server, "bureau", "王局", admin=True)
    assert admin.url == f"{base}/admin"
    rows = admin.locator("#units tbody tr")
    assert rows.count() >= 10
    assert admin.locator("tr[data-unit=nanhai]").get_attribute("data-state") == "missing"
    shot(admin, tmp_path, "portal-admin.png")
    admin.context.close()
