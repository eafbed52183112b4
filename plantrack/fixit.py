"""Fix-it workbooks: the steward's own file back, with every problem marked and explained.

The unit's workbook where each problem cell is filled red (error: the row was
not accepted) or orange (warning: accepted, please check; the template's input
cells are pale yellow) and carries a comment saying what was found, what was expected
and how to fix it; plus a first sheet, 问题清单, listing every problem with a
link to its cell, problems of one cause grouped (“E列37个单元格为文本型数字”).
The steward corrects the cells, saves, and sends the same file back.

With the catalog, the workbook is the unit's own template for the quarter
(widths, input colours, drop-downs, validation, protection, the hidden
identity) carrying her values as read, whatever format she sent
(``fixit_template``); her extra sheets and columns are kept by value.
A file that cannot be read at all gets the blank template with the reason; without the
catalog, it is a copy of her file.

Nothing in a fix-it workbook can run: formulas of the original are replaced by
the values last computed (the values plantrack read and checked), external
links and macros are dropped, and every text plantrack writes that starts
like a formula (= + - @) is stored as text with the quote prefix.
.xls, .ods, .csv and other formats are copied value by value into a new .xlsx.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from plantrack.atomic import replacing
from plantrack.catalog import Catalog
from plantrack.fixit_template import blank, put_text, refill
from plantrack.issues import SEVERITY_LABEL, Issue, Severity
from plantrack.periods import Quarter
from plantrack.template import DATA_SHEET, save_reproducibly
from plantrack.validate import CHECKS, cell_position

LIST_SHEET = "问题清单"
ERROR_COLOR, WARNING_COLOR = "FF8080", "F4B084"  # red and orange, never the input yellow
ERROR_FILL = PatternFill("solid", fgColor=ERROR_COLOR)
WARNING_FILL = PatternFill("solid", fgColor=WARNING_COLOR)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
LIST_HEADERS = ("序号", "级别", "工作表", "位置", "指标/任务", "问题", "填写内容", "应为", "修改方法")
LIST_WIDTHS = (7, 7, 10, 14, 12, 48, 24, 24, 52)
_PLAIN_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")
GUIDE = (
    "点击“位置”可跳转到对应单元格。问题单元格已标色：红色为错误（该行数据未被采用，必须修改），"
    "橙色为警告（数据已采用，请核实）；浅黄色是本来就需要填写的单元格。鼠标移到单元格上可查看批注。"
    "可用 Excel、WPS 或 LibreOffice 修改，改正后保存本文件（.xlsx，也可另存为 .xls 或 .ods）并重新报送即可，"
    "本工作表不影响读取。如需修改受保护的单元格，请撤销工作表保护（无密码）：Excel/WPS 在“审阅”选项卡，"
    "LibreOffice 在“工具 → 保护工作表”。"
)


def put(cell, value) -> None:
    if isinstance(value, str):
        put_text(cell, value)
    else:
        cell.value = value


# -- the copy ------------------------------------------------------------------


def open_copy(path: Path) -> Workbook:
    """The workbook as a new openpyxl Workbook: values only where a value is all that is safe."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            # data_only: cached values instead of formulas; keep_links=False: no external links
            return load_workbook(path, data_only=True, keep_links=False, keep_vba=False)
        except Exception:  # a file calamine reads but openpyxl does not: copy its values
            return _values_copy(_fastexcel_sheets(path))
    if suffix == ".xls":
        return _values_copy(_xls_sheets(path))
    if suffix in (".csv", ".txt"):
        return _values_copy({DATA_SHEET: _csv_rows(path)})
    return _values_copy(_fastexcel_sheets(path))


def _values_copy(sheets: dict[str, list[list]]) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None and value != "":
                    put(ws.cell(row=r, column=c), value)
    return wb


def _number_or_text(text: str):
    """As Excel opens a CSV: a plain decimal becomes a number, anything else stays text."""
    stripped = text.strip()
    if _PLAIN_NUMBER.match(stripped):
        number = float(stripped)
        return int(number) if number.is_integer() and "." not in stripped else number
    return text


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16", "gb18030"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("gb18030", errors="replace")


def _csv_rows(path: Path) -> list[list]:
    text = _decode(path.read_bytes())
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    delimiter = max((",", "\t", ";"), key=lambda d: sum(line.count(d) for line in lines))
    return [
        [_number_or_text(v) for v in record]
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    ]


def _xls_sheets(path: Path) -> dict[str, list[list]]:
    import xlrd

    book = xlrd.open_workbook(str(path), on_demand=True)
    sheets = {}
    for ws in book.sheets():
        sheets[ws.name] = [[_xls_value(book, cell) for cell in ws.row(r)] for r in range(ws.nrows)]
    return sheets


def _xls_value(book, cell):
    import xlrd

    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return int(cell.value) if float(cell.value).is_integer() else cell.value
    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate_as_datetime(cell.value, book.datemode)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value or None


def _fastexcel_sheets(path: Path) -> dict[str, list[list]]:
    import fastexcel

    reader = fastexcel.read_excel(path)
    sheets = {}
    for name in reader.sheet_names:
        frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
        sheets[name] = [[None if v is None else _number_or_text(v) for v in row] for row in frame.iter_rows()]
    return sheets


# -- marking the cells --------------------------------------------------------------


def _comment_text(issues: list[Issue]) -> str:
    parts = []
    for i in issues:
        lines = [f"【{SEVERITY_LABEL[i.severity]}】{i.message}"]
        if i.found:
            lines.append(f"填写内容：{i.found}")
        if i.expected:
            lines.append(f"应为：{i.expected}")
        if i.hint:
            lines.append(f"修改方法：{i.hint}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _mark(ws, cell: str, issues: list[Issue]) -> None:
    target = ws[cell]
    target.fill = ERROR_FILL if any(i.is_error for i in issues) else WARNING_FILL
    text = _comment_text(issues)
    if target.comment is not None and target.comment.author != "plantrack":
        text += f"\n\n（原批注）{target.comment.text}"
    lines = sum(max(1, len(line) // 22 + 1) for line in text.splitlines())
    target.comment = Comment(text, "plantrack", height=min(600, 20 * lines + 20), width=360)


def _located(issues: Iterable[Issue], wb: Workbook) -> dict[tuple[str, str], list[Issue]]:
    by_cell: dict[tuple[str, str], list[Issue]] = {}
    for i in issues:
        if i.cell and i.sheet in wb.sheetnames and cell_position(i.cell)[0]:
            by_cell.setdefault((i.sheet, i.cell), []).append(i)
    return by_cell


# -- 问题清单 -----------------------------------------------------------------------


@dataclass
class Group:
    """Problems of one cause: one code, one severity, one column of one sheet."""

    issues: list[Issue]

    @property
    def first(self) -> Issue:
        return self.issues[0]

    @property
    def column(self) -> str:
        return cell_position(self.first.cell)[1]

    def title(self) -> str:
        check = CHECKS.get(self.first.code)
        if len(self.issues) == 1 or check is None:
            return self.first.message
        if self.column:
            return f"{self.column}列{len(self.issues)}个单元格{check.cause}"
        return f"{check.cause}（共{len(self.issues)}处）"


def group_issues(issues: list[Issue]) -> list[Group]:
    """Errors first; within a severity, by sheet and position, one group per cause and column."""
    groups: dict[tuple, Group] = {}
    for i in issues:
        key = (i.severity != Severity.ERROR, i.code, i.sheet, cell_position(i.cell)[1])
        groups.setdefault(key, Group([])).issues.append(i)
    return sorted(
        groups.values(),
        key=lambda g: (not g.first.is_error, g.first.sheet, cell_position(g.first.cell), g.first.code),
    )


def _link(cell, sheet: str, address: str, bold: bool = False) -> None:
    quoted = sheet.replace("'", "''")
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{quoted}'!{address}")
    cell.font = Font(color="0563C1", underline="single", bold=bold)


def _list_row(
    ws, row: int, number: str, issue: Issue, wb: Workbook, title: str | None = None, where: str | None = None
) -> None:
    """One line of the list; a group's line (``title``) is bold and links to its first cell."""
    values = (
        number,
        SEVERITY_LABEL[issue.severity],
        issue.sheet,
        where or issue.cell or "整个文件",
        issue.indicator_id,
        title or issue.message,
        issue.found,
        issue.expected,
        issue.hint,
    )
    if title is not None:
        values = (*values[:4], "", title, "", "", issue.hint)
    for col, value in enumerate(values, start=1):
        c = ws.cell(row=row, column=col)
        put(c, value or "")
        c.alignment = Alignment(wrap_text=True, vertical="top")
        c.font = Font(bold=title is not None)
    ws.cell(row=row, column=2).fill = ERROR_FILL if issue.is_error else WARNING_FILL
    if issue.cell and issue.sheet in wb.sheetnames:
        _link(ws.cell(row=row, column=4), issue.sheet, issue.cell, bold=title is not None)


def _list_sheet(wb: Workbook, issues: list[Issue], file_name: str) -> None:
    ws = wb.create_sheet(LIST_SHEET, 0)
    errors = sum(i.is_error for i in issues)
    put_text(ws["A1"], f"问题清单：{file_name}")
    ws["A1"].font = Font(bold=True, size=14)
    put_text(ws["A2"], f"共 {len(issues)} 处问题：错误 {errors} 处，警告 {len(issues) - errors} 处。")
    put_text(ws["A3"], GUIDE)
    ws["A3"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A3:I3")
    ws.row_dimensions[3].height = 48
    for col, (title, width) in enumerate(zip(LIST_HEADERS, LIST_WIDTHS, strict=True), start=1):
        c = ws.cell(row=5, column=col, value=title)
        c.font, c.fill = Font(bold=True), HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    row = 5
    for n, group in enumerate(group_issues(issues), start=1):
        row += 1
        if len(group.issues) == 1:
            _list_row(ws, row, str(n), group.first, wb)
            continue
        where = f"{group.column}列（{len(group.issues)}处）" if group.column else f"{len(group.issues)}处"
        _list_row(ws, row, str(n), group.first, wb, title=group.title(), where=where)
        for k, issue in enumerate(group.issues, start=1):
            row += 1
            _list_row(ws, row, f"{n}.{k}", issue, wb)
    ws.freeze_panes = "A6"
    ws.auto_filter.ref = f"A5:I{max(row, 6)}"
    wb.active = 0
    ws.sheet_view.tabSelected = True


def write_fixit(
    original_path: Path,
    issues: list[Issue],
    target_path: Path,
    file_name: str | None = None,
    *,
    catalog: Catalog | None = None,
    quarter: Quarter | None = None,
    unit: str | None = None,
    saved_at: datetime | None = None,
) -> Path:
    """Write the fix-it workbook for one submission to ``target_path`` (always .xlsx).

    ``file_name``: the name the steward sent, when ``original_path`` is the archived copy.
    With ``catalog`` (and the ``unit`` and ``quarter``, or those the file names itself),
    the workbook is the unit's template for the quarter carrying her values as read
    (``fixit_template``), or the blank template when nothing of her file can be read;
    without them, a copy of her file (only the list of problems when it cannot be opened).
    ``saved_at`` (the run gives the file's receipt time): the workbook's times, so that
    the same file with the same problems gives the same bytes in every run, and is not
    mailed to her again (``template.save_reproducibly``); without it, the time of saving.
    """
    wb, issues = _fixit_book(original_path, issues, file_name, catalog, quarter, unit, saved_at)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = False  # only 问题清单 opens selected
    for (sheet, cell), found in _located(issues, wb).items():
        _mark(wb[sheet], cell, found)
    _list_sheet(wb, issues, file_name or original_path.name)
    with replacing(target_path) as tmp:  # a reader never sees half a workbook
        if saved_at is None:
            wb.save(tmp)
        else:
            save_reproducibly(wb, tmp, saved_at)
    return target_path


def _fixit_book(
    path: Path,
    issues: list[Issue],
    file_name: str | None,
    catalog: Catalog | None,
    quarter: Quarter | None,
    unit: str | None,
    saved_at: datetime | None = None,
) -> tuple[Workbook, list[Issue]]:
    if catalog is not None:
        from plantrack.reader import read_submission
        from plantrack.reader.errors import UnreadableFile

        if unit is None or quarter is None:
            try:
                ident = read_submission(path, catalog.units, display_name=file_name).identity
                unit, quarter = unit or ident.unit, quarter or ident.quarter
            except UnreadableFile:  # the unit its issues name (from the file name), if any
                unit = unit or next((i.unit for i in issues if i.unit), None)
        if unit in catalog.units and quarter is not None:
            done = refill(path, catalog, catalog.units[unit], quarter, file_name, saved_at)
            if done is None:  # nothing of hers can be read: the blank template to fill again
                done = blank(catalog, catalog.units[unit], quarter, saved_at)
            return done.workbook, [done.relocate(i) for i in issues]
    try:
        return open_copy(path), issues
    except Exception:  # encrypted, corrupt, not a spreadsheet: only the list of problems
        return _values_copy({}), issues
