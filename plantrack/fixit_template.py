"""The steward's values as read, carried into her unit's template for the quarter.

A fix-it workbook starts from the template (``build_template``): its widths,
borders, input colours, drop-downs, validation, protection and the very
hidden identity sheet are the template's, whatever format she sent (.xlsx,
.xls, .ods, .csv) and whatever her client kept of them. Into it go the values
the reader read from her file: a number as a number, a percentage as the
fraction with a percent format (6% stays 6% and is read back as 6), text as
text, an error as an error cell; her notes and task progress; her own extra
columns beside the table and her own extra sheets, by value. Every cell that
moved (her table may have started lower, or in other columns) is remembered,
so that each issue points at the cell in the fix-it workbook.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Protection
from openpyxl.utils import get_column_letter

from plantrack.catalog import Catalog, Unit
from plantrack.issues import Issue
from plantrack.periods import Quarter
from plantrack.reader import Submission, UnreadableFile, read_submission
from plantrack.reader.books import open_book
from plantrack.template import (
    DATA_HEADER_ROW,
    DATA_HEADERS,
    DATA_SHEET,
    HELP_SHEET,
    IDENTITY_SHEET,
    MILESTONE_HEADER_ROW,
    MILESTONE_HEADERS,
    MILESTONE_SHEET,
    build_template,
    data_rows,
    milestone_rows,
)

# template columns (1-based) of the reader's keys
DATA_COLUMNS = {"indicator_id": 1, "name": 2, "uom": 3, "target": 4, "actual": 5, "note": 6, "stretch": 7}
MILESTONE_COLUMNS = {"milestone_id": 1, "task": 2, "status": 3, "note": 4, "evidence": 5}
OWN_SHEETS = (DATA_SHEET, MILESTONE_SHEET, HELP_SHEET, IDENTITY_SHEET, "问题清单")
_UNLOCKED = Protection(locked=False)
_PLAIN = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def put_text(cell, text: str) -> None:
    """Write ``text`` so that a spreadsheet shows it and never evaluates it."""
    cell.value = text
    cell.data_type = "s"  # openpyxl turns a str starting with = into a formula; undo that
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True  # the leading apostrophe: stays text when edited


@dataclass
class Refilled:
    """The template with her values, and where each of her cells went: (sheet, cell) → same."""

    workbook: Workbook
    moved: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def relocate(self, issue: Issue) -> Issue:
        """The issue at its cell in the fix-it workbook (or, unplaced, saying where it was)."""
        if not issue.cell:
            if issue.sheet and issue.sheet not in self.workbook.sheetnames:
                return dataclasses.replace(issue, sheet=DATA_SHEET)
            return issue
        target = self.moved.get((issue.sheet, issue.cell))
        if target is not None:
            return dataclasses.replace(issue, sheet=target[0], cell=target[1])
        return dataclasses.replace(
            issue, message=f"{issue.message}（原文件 {issue.sheet} 工作表 {issue.cell} 单元格）", cell=""
        )


def refill(
    path: Path,
    catalog: Catalog,
    unit: Unit,
    quarter: Quarter,
    file_name: str | None = None,
    generated_at: datetime | None = None,
) -> Refilled | None:
    """Her file read and carried into the template (``generated_at``: its identity
    timestamp, ``build_template``); None when it cannot be read at all."""
    try:
        sub = read_submission(
            path,
            catalog.units,
            display_name=file_name,
            indicator_units={i.id: i.unit for i in catalog.indicators},
        )
    except UnreadableFile:
        return None
    done = Refilled(build_template(catalog, unit, quarter, generated_at))
    _data_values(done, sub, catalog, unit)
    _milestone_values(done, sub, catalog, unit)
    _extra_sheets(done, path, sub, file_name)
    return done


def blank(catalog: Catalog, unit: Unit, quarter: Quarter, generated_at: datetime | None = None) -> Refilled:
    """The unit's template with nothing of hers: what a file that cannot be read gets back."""
    return Refilled(build_template(catalog, unit, quarter, generated_at))


def put_value(cell, kind: str | None, value: float | None, raw: str | None, code: str | None = None) -> None:
    """One value as read: numbers as numbers, percentages with a percent format, errors as errors.

    A plain number read from text (every field of a CSV is text) is a number again;
    text that needed reading (“12家”, code number_as_text) stays as she typed it.
    """
    if kind == "text" and value is not None and code is None and raw and _PLAIN.match(raw.strip()):
        kind = "number"
    if kind == "number" and value is not None:
        cell.value = int(value) if value.is_integer() and abs(value) < 1e15 else value
    elif kind == "percent" and value is not None:
        cell.value = value / 100
        decimals = len(f"{value:.10g}".partition(".")[2])
        cell.number_format = "0." + "0" * decimals + "%" if decimals else "0%"
    elif kind == "error" and raw:
        cell.value = raw
        cell.data_type = "e"
    elif kind in ("empty", "formula_no_value") or raw is None:
        return  # nothing she typed is kept as a value: the comment says what was there
    else:
        put_text(cell, raw)


def _record_cells(sub: Submission, sheet: str) -> pl.DataFrame:
    cells = sub.cells
    return cells.filter((pl.col("sheet") == sheet) & pl.col("record_key").is_not_null())


def _data_values(done: Refilled, sub: Submission, catalog: Catalog, unit: Unit) -> None:
    ws = done.workbook[DATA_SHEET]
    rows = data_rows(catalog, unit)
    staged = sub.rows
    if staged.height == 0:
        return
    her_sheet = staged["sheet"][0]
    next_row = DATA_HEADER_ROW + 1 + len(rows)
    for r in staged.iter_rows(named=True):
        row = rows.get(r["indicator_id"] or "")
        if row is None:  # an indicator the template does not have: kept below the table
            row = rows[r["indicator_id"] or f"row{r['row_number']}"] = next_row
            next_row += 1
            for col, key in ((1, "indicator_id"), (2, "name"), (3, "uom")):
                if r[key]:
                    put_text(ws.cell(row=row, column=col), str(r[key]))
        put_value(
            ws.cell(row=row, column=5), r["actual_kind"], r["actual_value"], r["actual_raw"], r["actual_code"]
        )
        done.moved[(her_sheet, r["actual_cell"])] = (DATA_SHEET, f"E{row}")  # even when empty
        if r["note"]:
            put_text(ws.cell(row=row, column=6), r["note"])
    _map_table(done, sub, her_sheet, DATA_SHEET, rows, DATA_COLUMNS, DATA_HEADERS, DATA_HEADER_ROW)


def _milestone_values(done: Refilled, sub: Submission, catalog: Catalog, unit: Unit) -> None:
    ws = done.workbook[MILESTONE_SHEET]
    rows = milestone_rows(catalog, unit)
    for m in sub.milestones.iter_rows(named=True):
        row = rows.get(m["milestone_id"] or "")
        if row is None:
            continue
        for col, key in ((3, "status"), (4, "note"), (5, "evidence")):
            if m[key]:
                put_text(ws.cell(row=row, column=col), m[key])
        done.moved[(m["sheet"], m["status_cell"])] = (MILESTONE_SHEET, f"C{row}")
    if sub.milestones.height:
        _map_table(
            done,
            sub,
            MILESTONE_SHEET,
            MILESTONE_SHEET,
            rows,
            MILESTONE_COLUMNS,
            MILESTONE_HEADERS,
            MILESTONE_HEADER_ROW,
        )


def _map_table(
    done: Refilled,
    sub: Submission,
    her_sheet: str,
    sheet: str,
    rows: dict[str, int],
    columns: dict[str, int],
    titles: tuple[str, ...],
    header_row: int,
) -> None:
    """Remember where each of her table's cells went; copy her own extra columns."""
    ws = done.workbook[sheet]
    cells = _record_cells(sub, her_sheet)
    if cells.height == 0:
        return
    her_header = int(cells["row_number"].min()) - 1
    header_texts = {
        c["column_number"]: c["raw_text"]
        for c in sub.cells.filter(
            (pl.col("sheet") == her_sheet) & (pl.col("row_number") == her_header)
        ).iter_rows(named=True)
    }
    extra: dict[int, int] = {}  # her column → template column
    for c in cells.iter_rows(named=True):
        row = rows.get(c["record_key"])
        if row is None:
            continue
        col = columns.get(c["header"] or "")
        title = header_texts.get(c["column_number"])
        if col is None and title in titles:
            col = titles.index(title) + 1
        if col is None:  # her own column beside the table: kept, by value
            col = extra.get(c["column_number"])
            if col is None:
                col = extra[c["column_number"]] = len(titles) + 1 + len(extra)
                head = ws.cell(row=header_row, column=col)
                head.value = title
                head.protection = _UNLOCKED
                ws.column_dimensions[get_column_letter(col)].width = 14
            target = ws.cell(row=row, column=col)
            put_value(target, c["value_kind"], c["parsed_value"], c["raw_text"], c["parse_code"])
            target.protection = _UNLOCKED
        done.moved[(her_sheet, c["cell"])] = (sheet, f"{get_column_letter(col)}{row}")


def _extra_sheets(done: Refilled, path: Path, sub: Submission, file_name: str | None) -> None:
    """Her own sheets, by value (too large or unreadable ones are left out)."""
    data_sheet = sub.rows["sheet"][0] if sub.rows.height else DATA_SHEET
    try:
        book = open_book(path, file_name)
    except UnreadableFile:
        return
    for name in book.sheet_names:
        if name in OWN_SHEETS or name == data_sheet:
            continue
        try:
            grid = book.grid(name)
        except UnreadableFile:
            continue
        ws = done.workbook.create_sheet(name[:31])
        for row, cells in grid.rows:
            for col, text in cells.items():
                kind = grid.kind(row, col)
                value = float(text) if kind == "number" else None
                target = ws.cell(row=row, column=col + 1)
                if kind == "number" or kind == "error":
                    put_value(target, kind, value, text)
                else:
                    put_text(target, text)
                done.moved[(name, target.coordinate)] = (ws.title, target.coordinate)
