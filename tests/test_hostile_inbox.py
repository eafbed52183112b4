"""What other people put in the inbox: links, special files, lock files, names that are
not UTF-8. Nothing there is followed, opened blindly or skipped without a word, and one
odd name never stops the other units' load nor the reminder."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from plantrack import pipeline
from plantrack.demo import make_demo_submissions
from plantrack.inbox import display_name, name_bytes_hex, scan_inbox
from plantrack.periods import Quarter
from plantrack.reminder import write_reminder_list
from tests.conftest import SUITES_2021
from warehouse.db import connect

Q2 = Quarter(2021, 2)
SECRET = b"root:$6$very-secret-hash:19000:0:99999:7:::\nPLANTRACK_SMTP_PASSWORD=hunter2\n"
GBK_NAME = os.fsdecode("环翠区_2021Q2_填报.xlsx".encode("gbk"))  # as a Windows share gives it


@pytest.fixture
def hostile_inbox(home, catalog, tmp_path) -> Path:
    inbox = home / "inbox" / Q2.code
    files, _ = make_demo_submissions(catalog, Q2, inbox)
    huancui = next(f for f in files if "huancui" in f.name)
    huancui.rename(inbox / GBK_NAME)
    secret = tmp_path / "shadow"
    secret.write_bytes(SECRET)
    (inbox / "环翠区_补充.xlsx").symlink_to(secret)
    (inbox / "dangling.xlsx").symlink_to(tmp_path / "gone.xlsx")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "文登区.xlsx").write_bytes(SECRET)
    (inbox / "linked_folder").symlink_to(outside, target_is_directory=True)
    os.mkfifo(inbox / "pipe.xlsx")
    (inbox / "~$乳山市.xlsx").write_bytes(b"lock")
    (inbox / ".hidden.xlsx").write_bytes(SECRET)
    return inbox


def test_links_special_and_hidden_files_are_listed_with_why_never_read(hostile_inbox):
    scan = scan_inbox(hostile_inbox)
    assert all(p.is_file() and not p.is_symlink() for p in scan.files)
    assert len(scan.files) == 10 and hostile_inbox / GBK_NAME in scan.files
    why = {i.name: (i.refused, i.reason) for i in scan.ignored}
    assert set(why) == {
        "环翠区_补充.xlsx",
        "dangling.xlsx",
        "linked_folder",
        "pipe.xlsx",
        "~$乳山市.xlsx",
        ".hidden.xlsx",
    }
    assert why["环翠区_补充.xlsx"][0] and "符号链接" in why["环翠区_补充.xlsx"][1]
    assert "不存在" in why["dangling.xlsx"][1]
    assert why["linked_folder"][0] and "符号链接" in why["linked_folder"][1]
    assert why["pipe.xlsx"][0] and "不是普通文件" in why["pipe.xlsx"][1]
    assert "锁定文件" in why["~$乳山市.xlsx"][1] and not why["~$乳山市.xlsx"][0]
    assert "隐藏文件" in why[".hidden.xlsx"][1]


def test_a_gbk_name_is_shown_decoded_and_kept_as_bytes():
    assert display_name(GBK_NAME) == "环翠区_2021Q2_填报.xlsx"
    assert bytes.fromhex(name_bytes_hex(GBK_NAME)) == "环翠区_2021Q2_填报.xlsx".encode("gbk")
    assert name_bytes_hex("环翠区.xlsx") is None
    mangled = os.fsdecode(b"\xff\xfe\xfa.xlsx")  # no encoding at all
    assert display_name(mangled).endswith(".xlsx") and "\ufffd" in display_name(mangled)
    assert name_bytes_hex(mangled) == "fffefa2e786c7378"


def test_every_unit_loads_the_secret_never_reaches_the_archive(hostile_inbox, settings, catalog, tmp_path):
    outcomes = [
        pipeline.ingest_file(p, catalog, Q2, settings.archive, SUITES_2021)
        for p in pipeline.discover(hostile_inbox)
    ]
    con = connect(settings.warehouse_path)
    checked = pipeline.load(con, "hostile-run", Q2, catalog, outcomes, settings)
    units = {r[0] for r in con.execute("select distinct unit from accepted_values").fetchall()}
    assert "huancui" in units and len(units) == 10
    name, hex_bytes, archived = con.execute(
        "select original_name, original_name_hex, archived_path from raw_files "
        "where original_name_hex is not null"
    ).fetchone()
    sources = [r[0] for r in con.execute("select source_path from raw_submissions").fetchall()]
    con.close()
    assert name == "环翠区_2021Q2_填报.xlsx"
    assert bytes.fromhex(hex_bytes) == os.fsencode(GBK_NAME)
    assert Path(archived).read_bytes() == (hostile_inbox / GBK_NAME).read_bytes()
    assert any(s.endswith("环翠区_2021Q2_填报.xlsx") for s in sources)
    for f in settings.archive.rglob("*"):
        assert not f.is_file() or SECRET not in f.read_bytes()

    # the run's other outputs take the name as well
    fixits = pipeline.write_fixits(checked, tmp_path / "fixit")
    assert all(p.is_file() for p in fixits.values())
    summary = pipeline.RunSummary("hostile-run", Q2.code, checked, ignored=scan_inbox(hostile_inbox).ignored)
    document = json.loads(json.dumps(summary.to_dict(), ensure_ascii=False))
    assert {i["file"] for i in document["files_ignored"]} >= {"环翠区_补充.xlsx", "pipe.xlsx"}


def test_the_batched_ingest_the_run_uses_names_and_loads_a_gbk_file_too(hostile_inbox, settings, catalog):
    paths = pipeline.discover(hostile_inbox)
    outcomes = pipeline.ingest_batch(paths, catalog, Q2, settings.archive, SUITES_2021)
    huancui = next(o for o in outcomes if o.received.path.name == GBK_NAME)
    assert huancui.validation is not None and huancui.validation.unit == "huancui"
    assert all(i.file == "环翠区_2021Q2_填报.xlsx" for i in huancui.validation.issues if i.file)
    con = connect(settings.warehouse_path)
    pipeline.load(con, "hostile-batch", Q2, catalog, outcomes, settings)
    (name,) = con.execute(
        "select original_name from raw_files where original_name_hex is not null"
    ).fetchone()
    units = {r[0] for r in con.execute("select distinct unit from accepted_values").fetchall()}
    con.close()
    assert name == "环翠区_2021Q2_填报.xlsx" and "huancui" in units and len(units) == 10


def test_the_reminder_lists_a_gbk_named_file(hostile_inbox, settings, catalog, tmp_path):
    shutil.move(hostile_inbox / "linked_folder", tmp_path / "moved_link")
    result = write_reminder_list(
        catalog,
        Q2,
        settings.warehouse_path,
        hostile_inbox,
        tmp_path / "out",
        datetime(2021, 7, 10, 6),
        datetime(2021, 7, 5, 9),
    )
    text = result.path.read_text(encoding="utf-8")
    assert "环翠区_2021Q2_填报.xlsx" in text
    assert "hunter2" not in text


def test_an_encrypted_file_in_a_run_gets_the_blank_template_as_its_fixit(settings, catalog, tmp_path):
    from openpyxl import load_workbook

    from tests.fixtures.libreoffice.make_fixtures import HERE as LIBREOFFICE

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(LIBREOFFICE / "huancui_password.ods", inbox / "环翠区_2021Q2.ods")
    outcomes = pipeline.ingest_batch(pipeline.discover(inbox), catalog, Q2, settings.archive, SUITES_2021)
    assert outcomes[0].unreadable is not None and outcomes[0].unit == "huancui"
    written = pipeline.write_fixits(outcomes, tmp_path / "fixit", catalog, Q2)
    wb = load_workbook(written["huancui"])
    assert wb.sheetnames[:3] == ["问题清单", "填报", "重点任务"]
    assert wb["_plantrack"].sheet_state == "veryHidden"
