"""The submission workbook: pre-filled, protected, validated, self-identifying."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from plantrack.cli import main
from plantrack.periods import Quarter
from plantrack.template import (
    DATA_HEADER_ROW,
    DATA_HEADERS,
    DATA_SHEET,
    HELP_SHEET,
    IDENTITY_SHEET,
    MILESTONE_HEADER_ROW,
    MILESTONE_HEADERS,
    MILESTONE_SHEET,
    MILESTONE_STATUSES,
    TEMPLATE_VERSION,
    template_filename,
    write_template,
)

Q2 = Quarter(2021, 2)
PINNED = datetime(2021, 7, 1, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def workbooks(catalog, tmp_path_factory):
    out = tmp_path_factory.mktemp("templates")
    books = {}
    for unit in catalog.reporting_units():
        path = write_template(catalog, unit, Q2, out / template_filename(unit, Q2), generated_at=PINNED)
        books[unit.code] = load_workbook(path)
    return books


def validation_cells(ws) -> dict[str, set[str]]:
    """Validation kind → the cells it covers."""
    out: dict[str, set[str]] = {}
    for dv in ws.data_validations.dataValidation:
        key = f"{dv.type}:{dv.operator or ''}:{dv.formula1}"
        out.setdefault(key, set()).update(str(dv.sqref).split())
    return out


def test_every_unit_gets_its_indicators_and_targets(workbooks, catalog):
    for code, wb in workbooks.items():
        assert wb.sheetnames == [DATA_SHEET, MILESTONE_SHEET, HELP_SHEET, IDENTITY_SHEET]
        ws = wb[DATA_SHEET]
        assert [c.value for c in ws[DATA_HEADER_ROW]] == list(DATA_HEADERS)
        assert (ws["A2"].value, ws["B2"].value, ws["E2"].value) == (
            "填报单位：",
            catalog.units[code].name,
            "2021年第二季度",
        )
        indicators = catalog.indicators_for(code)
        for row, ind in enumerate(indicators, start=DATA_HEADER_ROW + 1):
            target, stretch = catalog.unit_target(ind, code)
            got = [ws.cell(row=row, column=c).value for c in range(1, 9)]
            assert got == [
                ind.id,
                ind.name,
                ind.unit,
                target,
                None,
                None,
                stretch,
                "期末总量" if ind.cumulative else "年内累计新增",
            ]
            assert ind.text in ws.cell(row=row, column=2).comment.text
        assert ws.max_row == DATA_HEADER_ROW + len(indicators)  # nothing below the table


def test_every_unit_gets_its_milestones(workbooks, catalog):
    for code, wb in workbooks.items():
        ws = wb[MILESTONE_SHEET]
        assert [c.value for c in ws[MILESTONE_HEADER_ROW]] == list(MILESTONE_HEADERS)
        ids = [ws.cell(row=r, column=1).value for r in range(MILESTONE_HEADER_ROW + 1, ws.max_row + 1)]
        assert ids == [m.id for m in catalog.milestones_for(code)]


def test_only_input_cells_are_editable(workbooks):
    for wb in workbooks.values():
        data, tasks = wb[DATA_SHEET], wb[MILESTONE_SHEET]
        assert data.protection.sheet and tasks.protection.sheet
        for row in range(DATA_HEADER_ROW + 1, data.max_row + 1):
            unlocked = [c for c in range(1, 9) if not data.cell(row=row, column=c).protection.locked]
            assert unlocked == [5, 6]  # 累计完成, 说明
        for row in range(MILESTONE_HEADER_ROW + 1, tasks.max_row + 1):
            unlocked = [c for c in range(1, 6) if not tasks.cell(row=row, column=c).protection.locked]
            assert unlocked == [3, 4, 5]  # 进展状态, 进展说明, 佐证材料


def test_value_cells_accept_numbers_only(workbooks, catalog):
    for code, wb in workbooks.items():
        rules = validation_cells(wb[DATA_SHEET])
        rows = {ind.id: r for r, ind in enumerate(catalog.indicators_for(code), start=DATA_HEADER_ROW + 1)}
        relative = {f"E{rows[i.id]}" for i in catalog.indicators_for(code) if i.is_relative}
        assert rules.get("decimal:greaterThanOrEqual:0", set()) == {f"E{r}" for r in rows.values()} - relative
        assert rules.get("decimal:between:-1E+15", set()) == relative
    assert any(i.is_relative for i in catalog.indicators_for("bureau"))


def test_milestone_status_is_a_dropdown(workbooks):
    for wb in workbooks.values():
        ws = wb[MILESTONE_SHEET]
        rules = validation_cells(ws)
        statuses = '"' + ",".join(MILESTONE_STATUSES) + '"'
        assert rules[f"list::{statuses}"] == {
            f"C{r}" for r in range(MILESTONE_HEADER_ROW + 1, ws.max_row + 1)
        }


def test_identity_is_machine_readable_and_hidden(workbooks, catalog):
    for code, wb in workbooks.items():
        ws = wb[IDENTITY_SHEET]
        assert ws.sheet_state == "veryHidden"
        identity = {
            ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(1, ws.max_row + 1)
        }
        assert identity == {
            "format": "plantrack-submission",
            "unit": code,
            "unit_name": catalog.units[code].name,
            "quarter": "2021Q2",
            "template_version": TEMPLATE_VERSION,
            "catalog_version": catalog.version,
            "generated_at": "2021-07-01T08:30:00Z",
        }


def test_instructions_are_in_chinese(workbooks):
    text = "\n".join(c.value for c in workbooks["huancui"][HELP_SHEET]["A"] if c.value)
    for words in ("只在黄色单元格中填写", "累计完成", "未启动、推进中、已完成", "不要带单位"):
        assert words in text


def test_template_all_writes_one_workbook_per_reporting_unit(catalog, tmp_path, home, capsys):
    assert main(["template", "--quarter", "2021Q3", "--all", "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().out.split()
    expected = [
        u
        for u in catalog.reporting_units()
        if catalog.indicators_for(u.code) or catalog.milestones_for(u.code)
    ]
    assert sorted(written) == sorted(str(tmp_path / template_filename(u, Quarter(2021, 3))) for u in expected)
    wb = load_workbook(written[0])
    assert wb[IDENTITY_SHEET]["B4"].value == "2021Q3"
