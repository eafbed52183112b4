"""Data quality per run: check results stored, the page from the warehouse, GX Data Docs."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from plantrack.data_docs import STAMP, built_from
from plantrack.fixit import write_fixit
from plantrack.landing import archive_file, land_raw, load_validation, record_unreadable
from plantrack.periods import Quarter
from plantrack.quality import (
    QualityReport,
    UnitQuality,
    build_data_docs,
    fixit_href,
    quality_report,
    render_quality_page,
    store_validation_detail,
    submission_deadline,
    write_quality_page,
)
from plantrack.validate import check_file
from tests.conftest import SUITES_2021
from transforms.models import run_models
from warehouse.db import connect

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "validation"
Q2 = Quarter(2021, 2)
DEADLINE = datetime(2021, 7, 10, 0, 0)  # the bureau's local time


def receive(inbox: Path, source: str | Path, name: str, when: str) -> Path:
    """Put a fixture (or a file) into the inbox as ``name``, received at ``when`` (UTC+8)."""
    path = inbox / name
    shutil.copyfile(FIXTURES / source, path)
    stamp = datetime.fromisoformat(when + "+08:00").timestamp()
    os.utime(path, (stamp, stamp))
    return path


def run(con, run_id: str, files: list[Path], catalog, archive: Path) -> dict:
    """A quarterly run's load, as the pipeline does it; returns each file's verdict."""
    con.execute("insert into runs (run_id, quarter, started_at) values (?, ?, now())", [run_id, Q2.code])
    verdicts = {}
    for path in files:
        received = archive_file(path, archive)
        verdict = check_file(path, catalog, Q2, SUITES_2021)
        land_raw(
            con,
            received,
            verdict.submission,
            Q2.code,
            unit=None,
            read_error=verdict.unreadable.message if verdict.unreadable else None,
        )
        if verdict.unreadable:
            record_unreadable(con, run_id, received, verdict.unreadable)
        else:
            load_validation(con, run_id, received, Q2.code, verdict.validation)
            store_validation_detail(con, run_id, received.submission_id, Q2.code, verdict.validation)
        verdicts[path.name] = verdict
    return verdicts


@pytest.fixture(scope="module")
def warehouse(catalog, tmp_path_factory):
    """Two runs: in the first 环翠区 has an error and 市科技局 is late; then 环翠区 resubmits
    its corrected fix-it workbook and the second run accepts it."""
    root = tmp_path_factory.mktemp("quality")
    inbox, archive = root / "inbox", root / "archive"
    inbox.mkdir()
    con = connect(root / "w.duckdb")
    run_models(con)  # as the load does; the page reads the models
    first = [
        receive(inbox, "value_not_number.xlsx", "2021Q2_环翠区.xlsx", "2021-07-05T10:00"),
        receive(inbox, "percent_out_of_range.xlsx", "2021Q2_市科技局.xlsx", "2021-07-12T09:30"),
        receive(inbox, "unknown_unit.xlsx", "季度报表.xlsx", "2021-07-06T08:00"),
    ]
    verdicts = run(con, "run-1", first, catalog, archive)
    report_1 = quality_report(con, catalog, Q2, DEADLINE, fixit_links={"huancui": fixit_href("huancui")})
    fixit = write_fixit(first[0], verdicts["2021Q2_环翠区.xlsx"].issues, root / "fixit" / "huancui.xlsx")
    wb = load_workbook(fixit)
    wb["填报"]["E14"] = 3
    wb.save(fixit)
    corrected = receive(inbox, fixit, "2021Q2_环翠区_修改后.xlsx", "2021-07-11T15:00")
    run(con, "run-2", [*first, corrected], catalog, archive)
    report_2 = quality_report(con, catalog, Q2, DEADLINE)
    yield con, report_1, report_2
    con.close()


def unit_row(report: QualityReport, unit: str) -> UnitQuality:
    return next(u for u in report.units if u.unit == unit)


def test_the_first_run_shows_who_must_fix_what_and_who_was_late(warehouse):
    _, report, _ = warehouse
    huancui, bureau, wendeng = (unit_row(report, u) for u in ("huancui", "bureau", "wendeng"))
    assert (huancui.status, huancui.errors, huancui.on_time, huancui.receipts) == ("部分采用", 1, True, 1)
    assert (huancui.rows_accepted, huancui.rows_quarantined) == (34, 1)
    assert huancui.fixit_href == "fixit/huancui.xlsx"
    assert huancui.first_received == "2021-07-05 10:00"
    assert (bureau.status, bureau.on_time) == ("部分采用", False)
    assert (wendeng.status, wendeng.submitted, wendeng.on_time) == ("未报送", False, None)
    assert report.run_id == "run-1" and report.deadline == "2021-07-10 00:00"
    assert report.unidentified == [
        {"file": "季度报表.xlsx", "received": "2021-07-06 08:00", "reason": "无法识别填报单位"}
    ]


def test_after_the_fix_the_next_run_shows_the_unit_resubmitted_and_valid(warehouse):
    _, _, report = warehouse
    huancui = unit_row(report, "huancui")
    assert report.run_id == "run-2"
    assert (huancui.status, huancui.valid, huancui.resubmitted) == ("通过", True, True)
    assert (huancui.errors, huancui.receipts, huancui.on_time) == (0, 2, True)  # first receipt counts
    assert huancui.file_name == "2021Q2_环翠区_修改后.xlsx"
    assert huancui.rows_accepted == 35 and huancui.rows_quarantined == 0
    assert report.counts == {
        "expected": 11,
        "submitted": 2,
        "on_time": 1,
        "valid": 1,
        "to_fix": 1,
        "resubmitted": 1,
    }
    html = render_quality_page(report)
    row = html.split("<td>环翠区</td>")[1].split("</tr>")[0]
    assert "通过" in row and "已重新报送" in row and "按时" in row


def test_problem_counts_cover_the_submissions_that_count(warehouse):
    _, report_1, report_2 = warehouse
    assert [(p.code, p.cause, p.severity, p.count, p.units) for p in report_1.problems] == [
        ("percent_out_of_range", "超出百分比的合理范围", "错误", 1, 1),
        ("value_not_number", "不是数字", "错误", 1, 1),
    ]
    assert [(p.code, p.count) for p in report_2.problems] == [("percent_out_of_range", 1)]


@pytest.fixture
def bureau_judged(catalog, tmp_path):
    """A warehouse where run-1 judged 市科技局's file (one error): (con, inbox, archive, file)."""
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    con = connect(tmp_path / "w.duckdb")
    run_models(con)
    bureau = receive(inbox, "percent_out_of_range.xlsx", "2021Q2_市科技局.xlsx", "2021-07-05T09:30")
    run(con, "run-1", [bureau], catalog, archive)
    yield con, inbox, archive, bureau
    con.close()


def test_a_file_the_run_did_not_see_keeps_the_errors_it_had(catalog, bureau_judged):
    """市科技局's file left the inbox after the first run: the second run's page shows it
    with its first verdict (an error, partly accepted), not as passed for want of one."""
    con, inbox, archive, bureau = bureau_judged
    bureau.unlink()
    huancui = receive(inbox, "value_not_number.xlsx", "2021Q2_环翠区.xlsx", "2021-07-06T10:00")
    run(con, "run-2", [huancui], catalog, archive)
    report = quality_report(con, catalog, Q2, DEADLINE)
    assert report.run_id == "run-2"
    row = unit_row(report, "bureau")
    assert (row.status, row.errors, row.valid) == ("部分采用", 1, False)
    assert unit_row(report, "huancui").errors == 1
    assert [(p.code, p.count, p.units) for p in report.problems] == [
        ("percent_out_of_range", 1, 1),
        ("value_not_number", 1, 1),
    ]
    assert report.counts["valid"] == 0 and report.counts["to_fix"] == 2


def test_a_file_judged_clean_by_a_later_run_has_no_latest_issues(catalog, bureau_judged):
    """A later run that judged the file and found nothing (a corrected rule) is its latest
    verdict; the issues of the run before are history, not what the marts show."""
    con, *_ = bureau_judged
    [sid] = [r[0] for r in con.execute("select distinct submission_id from submission_issues").fetchall()]
    latest = "select count(*) from int_latest_issues where submission_id = ?"
    assert con.execute(latest, [sid]).fetchone()[0] == 1
    # run-2 judges the same file under rules that no longer object: checks, no issue
    con.execute("insert into runs (run_id, quarter, started_at) values ('run-2', ?, now())", [Q2.code])
    con.execute(
        "insert into check_results (run_id, submission_id, unit, quarter, suite, expectation, code, "
        "severity, success) values ('run-2', ?, 'bureau', ?, 'plantrack', 'plantrack.x', 'x', "
        "'error', true)",
        [sid, Q2.code],
    )
    assert con.execute(latest, [sid]).fetchone()[0] == 0
    # and the quality page of run-2 shows the file passed (int_run_verdicts agrees)
    row = unit_row(quality_report(con, catalog, Q2, DEADLINE), "bureau")
    assert (row.status, row.errors) == ("通过", 0)


def test_check_results_are_queryable_per_run_submission_and_check(warehouse):
    con, _, _ = warehouse
    rows = con.execute("""
        select run_id, code, unexpected_count from check_results
        where unit = 'huancui' and not success order by run_id""").fetchall()
    # run-2 judged the old file again (it is still in the inbox) and the corrected one
    assert rows == [("run-1", "value_not_number", 1), ("run-2", "value_not_number", 1)]
    per_run = con.execute("""
        select run_id, count(distinct submission_id), count(*) filter (where suite = 'milestones')
        from check_results group by run_id order by run_id""").fetchall()
    assert per_run[0][1] == 2 and per_run[1][1] == 3 and per_run[0][2] > 0


def test_rejected_task_rows_are_kept_with_their_reasons(catalog):
    verdict = check_file(FIXTURES / "invalid_status.xlsx", catalog, Q2, SUITES_2021)
    con = connect(":memory:")
    for _ in range(2):  # storing again replaces, never duplicates
        store_validation_detail(con, "run-1", "sid", Q2.code, verdict.validation)
    assert con.execute(
        "select milestone_id, row_number, status, reasons from quarantined_milestones"
    ).fetchall() == [("M08-1", 5, "完成", "进展状态“完成”不是可选值")]
    assert con.execute(
        "select count(*), count(*) filter (where not success) from check_results"
    ).fetchone() == (len(verdict.validation.expectation_results), 1)


def test_the_page_is_self_contained_and_escapes_every_text(tmp_path):
    evil = "<script>alert(1)</script>"
    report = QualityReport(
        quarter="2021年第二季度",
        run_id="<b>r</b>",
        deadline="2021-07-10 00:00",
        generated_at="now",
        units=[
            UnitQuality(
                "huancui",
                "环翠区",
                receipts=1,
                file_name=evil,
                on_time=True,
                errors=1,
                read_error="<img src=x onerror=alert(2)>",
                fixit_href=fixit_href("huancui"),
            )
        ],
        unidentified=[{"file": evil, "received": "", "reason": '"><svg onload=alert(3)>'}],
    )
    html = write_quality_page(report, tmp_path / "quality.html").read_text(encoding="utf-8")
    for raw in ("<script>alert", "<img src=x", "<svg", "<b>r</b>"):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="fixit/huancui.xlsx">' in html
    assert "http" not in html.replace("http-equiv", "")  # nothing to fetch


def test_the_default_deadline_is_before_the_run_on_the_tenth():
    deadline = submission_deadline(Q2)
    assert (deadline.isoformat()) == "2021-07-10T00:00:00+08:00"


def test_data_docs_render_the_runs_results_with_untrusted_text_escaped(catalog, tmp_path):
    source = tmp_path / "evil.xlsx"
    wb = load_workbook(FIXTURES / "clean.xlsx")
    wb["填报"]["A40"] = "<img src=x onerror=alert(1)>"
    wb["填报"]["E40"] = 1
    wb.save(source)
    verdict = check_file(source, catalog, Q2, SUITES_2021)
    assert [i.code for i in verdict.issues] == ["unknown_indicator"]
    index = build_data_docs({"abc123": verdict.validation}, SUITES_2021, tmp_path / "docs", "2021Q2-run")
    assert index.exists()
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert {p.parent.parent.parent.name for p in pages} == {"submission_huancui", "milestones"}
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_data_docs_built_from_the_same_verdicts_are_kept_and_rebuilt_when_one_changes(catalog, tmp_path):
    clean = check_file(FIXTURES / "clean.xlsx", catalog, Q2, SUITES_2021).validation
    negative = check_file(FIXTURES / "negative_value.xlsx", catalog, Q2, SUITES_2021).validation
    docs = tmp_path / "docs"
    index = build_data_docs({"a": clean}, SUITES_2021, docs, "run-1")
    built = {p: p.stat().st_mtime_ns for p in docs.rglob("*.html")}
    assert build_data_docs({"a": clean}, SUITES_2021, docs, "run-2") == index
    assert {p: p.stat().st_mtime_ns for p in docs.rglob("*.html")} == built  # nothing redrawn
    assert "run-2" not in index.read_text(encoding="utf-8")  # they name the run that built them

    build_data_docs({"a": negative}, SUITES_2021, docs, "run-3")  # another verdict: built again
    assert "run-3" in index.read_text(encoding="utf-8")
    assert (docs / STAMP).read_text(encoding="ascii").strip() == built_from({"a": negative}, SUITES_2021)
    assert built_from({"a": negative}, SUITES_2021) != built_from({"a": clean}, SUITES_2021)
