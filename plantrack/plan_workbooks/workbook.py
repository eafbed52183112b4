"""What the two plan workbooks share: the hidden sheet naming the plan and the workbook's
kind, the title-note-header layout with yellow cells to fill, and reading a filled cell
back as a plan value (``plantrack.issues`` issues for what is wrong)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from plantrack.catalog import Indicator
from plantrack.issues import Issue, make_issue

IDENTITY_SHEET = "_plantrack"
KIND_TEXT = {"allocation": "目标分解表", "baselines": "年初基数表"}
FIRST_ROW = 4  # rows 1-2: title and note; row 3: headers
FIXED = ("指标编号", "指标名称", "计量单位")
INPUT_FILL, CHECK_FILL = "FFF2CC", "E2EFDA"


# -- writing --------------------------------------------------------------------------


def add_identity(wb, kind: str, year: int) -> None:
    """The hidden sheet that says which plan and which kind of workbook this is."""
    ws = wb.create_sheet(IDENTITY_SHEET)
    ws.append(["kind", kind])
    ws.append(["year", year])
    ws.sheet_state = "veryHidden"


def new_sheet(wb, title: str, heading: str, note: str, headers: list[str]):
    """The workbook's first sheet: title, note, headers in row 3, panes frozen below them."""
    from openpyxl.styles import Alignment, Font

    ws = wb.active
    ws.title = title
    ws.cell(1, 1, heading).font = Font(bold=True, size=14)
    ws.cell(2, 1, note)
    for col, text in enumerate(headers, start=1):
        c = ws.cell(3, col, text)
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, horizontal="center")
    ws.column_dimensions["A"].width = 11
    ws.column_dimensions["B"].width = 30
    ws.freeze_panes = ws.cell(FIRST_ROW, 4)
    return ws


def input_cell(cell, value=None) -> None:
    """A cell to fill: unlocked in the protected sheet and yellow, pre-filled when known."""
    from openpyxl.styles import PatternFill, Protection

    if value is not None:
        cell.value = value
    cell.protection = Protection(locked=False)
    cell.fill = PatternFill("solid", fgColor=INPUT_FILL)


# -- reading --------------------------------------------------------------------------


@dataclass
class WorkbookResult:
    issues: list[Issue] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]


def read_rows(path: Path, sheet: str, kind: str, year: int) -> tuple[dict, list[Issue]]:
    """The sheet's rows (row → {col: text}) once the hidden identity says it is this
    plan's workbook of this kind; UnreadableFile when the file is not a workbook at all."""
    from plantrack.reader.books import open_book

    book = open_book(path)
    expected = f"{year}年计划的{KIND_TEXT[kind]}"
    ident: dict[str, str] = {}
    if IDENTITY_SHEET in book.sheet_names:
        ident = {cells.get(0, ""): cells.get(1, "") for _, cells in book.grid(IDENTITY_SHEET).rows}
    found_year = ident.get("year", "").split(".")[0]
    if ident.get("kind") != kind or found_year != str(year) or sheet not in book.sheet_names:
        what = (
            f"{found_year}年计划的{KIND_TEXT.get(ident.get('kind', ''), '工作簿')}"
            if ident
            else "不是由 plantrack 生成的工作簿"
        )
        return {}, [make_issue("plan_workbook_mismatch", file=path.name, found=what, expected=expected)]
    return dict(book.grid(sheet).rows), []


def _number(text: str | None) -> float | None:
    try:
        return float(str(text).replace(",", "").strip())
    except (TypeError, ValueError):
        return None


def read_value(
    cells: dict, col: int, ind: Indicator, unit_name: str, where: dict, issues: list[Issue], required: bool
) -> float | None:
    """The plan value in column ``col``, or None with the problem appended to ``issues``."""
    from openpyxl.utils import get_column_letter

    text = (cells.get(col) or "").strip()
    cell = f"{get_column_letter(col + 1)}{where['row']}"
    at = {
        "name": ind.name,
        "details": {"unit_name": unit_name},
        "cell": cell,
        "indicator_id": ind.id,
        **where["fields"],
    }
    if not text:
        if required:
            issues.append(make_issue("plan_value_missing", **at))
        return None
    value = _number(text)
    if value is None:
        issues.append(make_issue("plan_value_not_number", found=text, **at))
    elif value < 0:
        issues.append(make_issue("plan_value_negative", found=f"{value:g}", **at))
        return None
    return value
