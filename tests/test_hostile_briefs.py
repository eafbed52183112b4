"""20,000 rejected rows are a few lines of the city brief (counts per unit and cause, with
examples), not one line each; a unit's brief lists its first problems and counts the rest."""

from __future__ import annotations

from datetime import date

import duckdb

from plantrack import progress, report
from plantrack.issues.registry import REGISTRY
from plantrack.periods import Quarter
from plantrack.report.render import render_html
from tests.fixtures.progress.warehouse_builder import build_warehouse, fixture_catalog
from transforms.models import run_models

Q2 = Quarter(2021, 2)
ROWS = 20_000


def _flooded(tmp_path):
    path = build_warehouse(tmp_path / "w.duckdb")
    con = duckdb.connect(str(path))
    run_id, sid, unit = con.execute(
        "select r.run_id, s.submission_id, s.unit from int_latest_submissions as s, stg_runs as r "
        "where s.quarter = ? and r.quarter = ? order by s.unit limit 1",
        [Q2.code, Q2.code],
    ).fetchone()
    con.execute(
        "insert into quarantine_rows (run_id, submission_id, unit, quarter, indicator_id, "
        "row_number, raw_value, reasons, reason_codes) "
        "select ?, ?, ?, ?, null, 100 + i, '第' || i || '行的文字', "
        "'“累计完成”应填写数字', case when i % 4 = 0 then ['negative_value'] "
        "else ['value_not_number'] end from range(?) as t(i)",
        [run_id, sid, unit, Q2.code, ROWS],
    )
    con.execute(
        "insert into submission_issues (run_id, submission_id, unit, code, severity, file, sheet, "
        "cell, indicator_id, found, expected, message, hint) "
        "select ?, ?, ?, 'value_not_number', 'error', 'f.xlsx', '填报', 'E' || (100 + i), null, "
        "'x', '数字', '第' || i || '处问题', '请填写数字' from range(?) as t(i)",
        [run_id, sid, unit, ROWS],
    )
    run_models(con)
    return con, unit


def test_rejected_rows_are_summarised_per_unit_and_cause(tmp_path):
    con, unit = _flooded(tmp_path)
    groups = progress.quarantined_values(con, Q2.code)
    flooded = [g for g in groups if g["rows"] >= ROWS // 4]
    assert sorted(g["rows"] for g in flooded) == [ROWS // 4, ROWS - ROWS // 4]
    assert {g["cause"] for g in flooded} == {
        REGISTRY["value_not_number"].cause,
        REGISTRY["negative_value"].cause,
    }
    assert all(len(g["examples"]) == 3 for g in flooded)
    assert flooded[0]["examples"][0]["row_number"] == 100

    city = report.city_brief(con, fixture_catalog(), Q2, "测试市科学技术局")
    html = render_html(city, [], date(2021, 7, 10))
    assert html.count("<tr>") < 200  # one row per unit and cause, not per rejected row
    assert f"另有{ROWS - ROWS // 4 - 3}行" in html
    con.close()


def test_a_unit_brief_lists_the_first_problems_and_counts_all(tmp_path):
    con, unit = _flooded(tmp_path)
    brief = report.unit_brief(con, fixture_catalog(), Q2, unit, "测试市科学技术局")
    assert len(brief.issues) == progress.ISSUES_LISTED
    assert brief.issues[0]["total"] >= ROWS
    html = render_html(brief, [], date(2021, 7, 10))
    assert f"共{brief.issues[0]['total']}处问题" in html
    assert html.count("<tr>") < 300
    con.close()
