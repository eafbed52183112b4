"""Each check on a real workbook: one mistake yields exactly its issue, at its cell, and nothing else.

The fixtures are in tests/fixtures/validation, made from the real template by
make_fixtures.py; each is named after its one mistake.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import xlrd
from openpyxl import load_workbook

from plantrack.landing import archive_file, load_verdicts
from plantrack.periods import Quarter
from plantrack.quality import store_validation_details
from plantrack.validate import FileVerdict, check_file
from tests.conftest import SUITES_2021
from tests.fixtures.validation.make_fixtures import main as make_fixtures
from warehouse.db import connect

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "validation"
Q2 = Quarter(2021, 2)
DATA, TASKS = "填报", "重点任务"

# fixture → [(code, severity, sheet, cell, indicator or task id)]
EXPECTED = {
    "clean.xlsx": [],
    "clean_bureau.xlsx": [],
    "city_total_mismatch_bureau.xlsx": [],  # alone it is fine; see test_validate_cross_file.py
    "missing_column_unit.xlsx": [("missing_column", "error", DATA, "A4", "")],
    "missing_column_note.xlsx": [("missing_column", "warning", DATA, "A4", "")],
    "missing_indicator.xlsx": [("missing_indicator", "error", DATA, "", "I05-1-3")],
    "duplicate_indicator.xlsx": [
        ("duplicate_indicator", "error", DATA, "A10", "I06-1-1"),
        ("duplicate_indicator", "error", DATA, "A40", "I06-1-1"),
    ],
    "unknown_indicator.xlsx": [("unknown_indicator", "error", DATA, "A40", "I03-1-1")],
    "missing_indicator_id.xlsx": [("missing_indicator_id", "error", DATA, "A40", "")],
    "uom_mismatch.xlsx": [("uom_mismatch", "error", DATA, "C9", "I05-3-1")],
    "value_not_number.xlsx": [("value_not_number", "error", DATA, "E14", "I07-3-1")],
    "value_not_number.xls": [("value_not_number", "error", DATA, "E14", "I07-3-1")],
    "value_empty.xlsx": [("value_empty", "error", DATA, "E20", "I08-2-2")],
    "excel_error.xlsx": [("excel_error", "error", DATA, "E24", "I09-2-2")],
    "wrong_unit.xlsx": [("wrong_unit", "error", DATA, "E10", "I06-1-1")],
    "number_as_text.xlsx": [("number_as_text", "warning", DATA, "E19", "I08-2-1")],
    "unit_converted.xlsx": [("unit_converted", "warning", DATA, "E30", "I10-1-6")],
    "negative_value.xlsx": [("negative_value", "error", DATA, "E31", "I11-1-1")],
    "percent_out_of_range.xlsx": [("percent_out_of_range", "error", DATA, "E23", "I10-3-1")],
    "implausible_value.xlsx": [("implausible_value", "warning", DATA, "E34", "I13-1-1")],
    "invalid_status.xlsx": [("invalid_status", "error", TASKS, "C5", "M08-1")],
    "unknown_milestone.xlsx": [("unknown_milestone", "error", TASKS, "A9", "M99-9")],
    "duplicate_milestone.xlsx": [
        ("duplicate_milestone", "error", TASKS, "A7", "M14-2"),
        ("duplicate_milestone", "error", TASKS, "A9", "M14-2"),
    ],
    "completed_without_evidence.xlsx": [("completed_without_evidence", "warning", TASKS, "D6", "M08-3b")],
    "unit_mismatch.xlsx": [("unit_mismatch", "error", DATA, "B2", "")],
    "period_mismatch.xlsx": [("period_mismatch", "error", DATA, "E2", "")],
    "unknown_unit.xlsx": [("unknown_unit", "error", DATA, "B2", "")],
    "period_missing.xlsx": [("period_missing", "warning", DATA, "E2", "")],
    "wrong_quarter.xlsx": [("wrong_quarter", "error", DATA, "E2", "")],
    "filename_mismatch_文登区.xlsx": [("filename_mismatch", "warning", DATA, "", "")],
    "formula_text_in_value.xlsx": [("value_not_number", "error", DATA, "E13", "I07-1-1")],
}
REFUSED = {
    "missing_column_unit.xlsx",
    "unit_mismatch.xlsx",
    "period_mismatch.xlsx",
    "unknown_unit.xlsx",
    "wrong_quarter.xlsx",
}
_cache: dict[tuple[str, Quarter | None], FileVerdict] = {}


def verdict(catalog, name: str, quarter: Quarter | None = Q2) -> FileVerdict:
    """Each fixture is judged once per quarter for the whole module (GX takes ~0.2 s a file)."""
    if (name, quarter) not in _cache:
        _cache[(name, quarter)] = check_file(FIXTURES / name, catalog, quarter, SUITES_2021)
    return _cache[(name, quarter)]


def flat(v: FileVerdict) -> list[tuple]:
    return [(i.code, str(i.severity), i.sheet, i.cell, i.indicator_id) for i in v.issues]


def test_every_fixture_is_listed_with_what_it_should_yield():
    on_disk = {p.name for p in FIXTURES.iterdir() if p.suffix in (".xlsx", ".xls", ".csv")}
    assert set(EXPECTED) | {"value_not_number_gbk.csv"} == on_disk


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_one_mistake_yields_exactly_its_issue_at_its_cell(catalog, name):
    assert flat(verdict(catalog, name)) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e))
def test_every_issue_tells_the_steward_what_and_how_in_chinese(catalog, name):
    for issue in verdict(catalog, name).issues:
        assert re.search(r"[\u4e00-\u9fff]", issue.message), issue
        assert re.search(r"[\u4e00-\u9fff]", issue.hint), issue
        assert issue.file == name and issue.unit in ("huancui", "bureau", "")
        assert issue.expected or issue.code in ("missing_indicator_id",), issue


@pytest.mark.parametrize(
    "name",
    sorted(
        n for n, e in EXPECTED.items() if any(s == "error" and c for _, s, _, c, _ in e) and n not in REFUSED
    ),
)
def test_an_error_rejects_its_row_and_the_rest_loads(catalog, name):
    v = verdict(catalog, name).validation
    bad_rows = {int(re.sub(r"\D", "", i.cell)) for i in v.issues if i.is_error and i.sheet == DATA}
    if bad_rows:
        assert set(v.quarantined["row_number"]) == bad_rows
        assert all(r for r in v.quarantined["reasons"])
        assert not set(v.accepted["row_number"]) & bad_rows
        assert v.accepted.height == v.staged.height - len(bad_rows)
    bad_tasks = {int(re.sub(r"\D", "", i.cell)) for i in v.issues if i.is_error and i.sheet == TASKS}
    if bad_tasks:
        assert set(v.milestones_quarantined["row_number"]) == bad_tasks
        assert not set(v.milestones["row_number"]) & bad_tasks


def test_a_quarantined_row_keeps_every_reason_in_chinese(catalog):
    v = verdict(catalog, "value_not_number.xlsx").validation
    [row] = v.quarantined.iter_rows(named=True)
    assert row["indicator_id"] == "I07-3-1" and row["actual_raw"] == "待统计"
    assert row["reasons"] == "“累计完成”应为数字，但填写的是“待统计”"


def test_a_quarantined_row_keeps_the_codes_of_its_reasons_beside_their_text(catalog):
    [row] = verdict(catalog, "value_not_number.xlsx").validation.quarantined.iter_rows(named=True)
    assert row["reason_codes"] == ["value_not_number"]
    tasks = verdict(catalog, "invalid_status.xlsx").validation.milestones_quarantined
    assert tasks["reason_codes"].to_list() == [["invalid_status"]]
    refused = verdict(catalog, "unit_mismatch.xlsx").validation.quarantined
    assert refused.height > 1
    assert refused["reason_codes"].to_list() == [["unit_mismatch"]] * refused.height


def test_the_warehouse_stores_the_reason_codes_of_every_quarantined_row(catalog, tmp_path):
    con = connect(":memory:")
    for name in ("value_not_number.xlsx", "invalid_status.xlsx"):
        received = archive_file(FIXTURES / name, tmp_path)
        v = verdict(catalog, name).validation
        load_verdicts(con, "run-1", Q2.code, [(received, v)])
        store_validation_details(con, "run-1", Q2.code, [(received.submission_id, v)])
    assert con.execute("select indicator_id, reasons, reason_codes from quarantine_rows").fetchall() == [
        ("I07-3-1", "“累计完成”应为数字，但填写的是“待统计”", ["value_not_number"])
    ]
    assert con.execute("select milestone_id, reason_codes from quarantined_milestones").fetchall() == [
        ("M08-1", ["invalid_status"])
    ]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_an_error_about_the_whole_file_refuses_every_row_but_keeps_them(catalog, name):
    v = verdict(catalog, name).validation
    staged = verdict(catalog, name).submission.rows.height
    assert v.rejected and v.accepted is None and v.milestones is None
    assert v.quarantined.height == staged > 0
    assert all(v.issues[0].message in r for r in v.quarantined["reasons"])


@pytest.mark.parametrize(
    "name",
    [
        "number_as_text.xlsx",
        "unit_converted.xlsx",
        "implausible_value.xlsx",
        "completed_without_evidence.xlsx",
        "missing_column_note.xlsx",
    ],
)
def test_a_warning_loads_the_row_as_read(catalog, name):
    v = verdict(catalog, name).validation
    clean = verdict(catalog, "clean.xlsx").validation
    assert not v.rejected and v.quarantined.height == 0
    assert v.accepted.height == clean.accepted.height
    assert v.milestones.height == clean.milestones.height


def test_text_numbers_load_as_the_number_a_person_reads(catalog):
    accepted = verdict(catalog, "number_as_text.xlsx").validation.accepted
    assert accepted.filter(accepted["indicator_id"] == "I08-2-1")["actual"].to_list() == [24.0]
    converted = verdict(catalog, "unit_converted.xlsx").validation.accepted
    assert converted.filter(converted["indicator_id"] == "I10-1-6")["actual"].to_list() == [0.8]


def test_the_file_is_judged_for_its_own_period_unless_a_quarter_is_given(catalog):
    assert flat(verdict(catalog, "wrong_quarter.xlsx", quarter=None)) == []
    [issue] = verdict(catalog, "wrong_quarter.xlsx").issues
    assert (issue.found, issue.expected) == ("2021年第一季度", "2021年第二季度")


def test_a_clean_submission_loads_every_row_and_task(catalog):
    v = verdict(catalog, "clean.xlsx").validation
    assert v.accepted.height == len(catalog.indicators_for("huancui"))
    assert v.milestones.height == len(catalog.milestones_for("huancui"))
    assert v.quarantined.height == 0 and v.milestones_quarantined.height == 0
    assert {r["suite"] for r in v.expectation_results} == {"submission_huancui", "milestones"}
    assert all(r["success"] for r in v.expectation_results)
    assert len(v.gx_results) == 2


def test_check_results_count_the_rows_each_rule_rejected(catalog):
    results = verdict(catalog, "duplicate_indicator.xlsx").validation.expectation_results
    [dup] = [r for r in results if r["code"] == "duplicate_indicator"]
    assert (dup["success"], dup["unexpected_count"], dup["severity"]) == (False, 2, "error")
    assert all(r["success"] for r in results if r["code"] != "duplicate_indicator")


def test_a_city_total_row_is_checked_but_not_loaded_as_the_bureaus_own_figure(catalog):
    v = verdict(catalog, "city_total_mismatch_bureau.xlsx").validation
    assert v.city_totals["indicator_id"].to_list() == ["I09-1-1"]
    assert v.city_totals["actual"].to_list() == [1000.0]
    assert "I09-1-1" not in v.accepted["indicator_id"].to_list()


def test_an_unreadable_file_is_one_error_naming_the_file(catalog, tmp_path):
    path = tmp_path / "2021Q2_环翠区.xlsx"
    path.write_text("这不是工作簿", encoding="utf-8")
    v = check_file(path, catalog, Q2, SUITES_2021)
    assert v.validation is None and v.submission is None
    assert [(i.code, i.file, i.unit) for i in v.issues] == [
        ("not_a_spreadsheet", "2021Q2_环翠区.xlsx", "huancui")
    ]


def test_the_fixtures_are_what_make_fixtures_writes(tmp_path):
    def content(path: Path):
        if path.suffix == ".csv":
            return path.read_bytes()
        if path.suffix == ".xls":
            book = xlrd.open_workbook(str(path))
            return {s.name: [s.row_values(r) for r in range(s.nrows)] for s in book.sheets()}
        wb = load_workbook(path)
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}

    written = make_fixtures(tmp_path)
    assert {p.name for p in written} == set(EXPECTED) | {"value_not_number_gbk.csv"}
    for path in written:
        assert content(path) == content(FIXTURES / path.name), f"regenerate {path.name}"


def test_a_missing_suite_stops_the_check_instead_of_passing_the_file(catalog, tmp_path):
    with pytest.raises(FileNotFoundError):
        check_file(FIXTURES / "clean.xlsx", catalog, Q2, tmp_path)
