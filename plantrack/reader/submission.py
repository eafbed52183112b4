"""One submission read: its identity, every cell, the staged indicator rows and task rows.

``read_submission`` opens the file (``books``), finds the indicator table on
填报 (or the first sheet that has one) and the task table on 重点任务, and
reads each value cell once: its kind, the number read from it and why it could
not be read. A number shown with a percent format (0.023 shown as 2.30%) in a
% or 个百分点 row is read as the percentage a person sees (2.3); a bare 0.023 in a General
cell, or in a CSV, is kept as 0.023: the reader does not guess from magnitudes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from plantrack.catalog import Unit
from plantrack.issues import Issue, Severity
from plantrack.reader.books import Book, open_book
from plantrack.reader.cells import (
    CELL_SCHEMA,
    CellRow,
    SheetCells,
    cell_rows,
    cells_frame,
    frame_from_rows,
    plain_cells,
    sheet_cells,
)
from plantrack.reader.errors import UnreadableFile
from plantrack.reader.grid import PLAIN_DECIMAL_RE, Grid
from plantrack.reader.guards import DEFAULT_LIMITS, ReadLimits
from plantrack.reader.identity import Identity, read_identity, rows_outside_table
from plantrack.reader.tables import Header, TableRow, find_header, table_rows
from plantrack.workbook_contract import DATA_SHEET, HELP_SHEET, IDENTITY_SHEET, MILESTONE_SHEET
from transforms.cleaning import (
    DATA_HEADER_SYNONYMS,
    DATA_LOOSE_RULES,
    MILESTONE_HEADER_SYNONYMS,
    MILESTONE_LOOSE_RULES,
    header_unit,
    normalize_text,
    parse_number,
)

log = logging.getLogger(__name__)

# rows where a number shown with a percent format (0.06 shown 6%) is read as shown (6)
PERCENT_UNITS = ("%", "个百分点")

STAGED_SCHEMA = {
    "sheet": pl.String,
    "row_number": pl.Int32,
    "indicator_id": pl.String,
    "indicator_id_cell": pl.String,
    "name": pl.String,
    "uom": pl.String,
    "actual_raw": pl.String,
    "actual_cell": pl.String,
    "note": pl.String,
    # added by the reader: the kind of the value cell and the number read from it
    "actual_kind": pl.String,
    "actual_value": pl.Float64,
    "actual_code": pl.String,
    "actual_detail": pl.String,
    "expected_unit": pl.String,
}
MILESTONE_SCHEMA = {
    "row_number": pl.Int32,
    "milestone_id": pl.String,
    "status": pl.String,
    "status_cell": pl.String,
    "note": pl.String,
    "evidence": pl.String,
    "sheet": pl.String,
    "milestone_id_cell": pl.String,
    "task": pl.String,
}


class RowTuples(list):
    """Rows of a frame not built yet: tuples in the order of the frame's schema."""


class CellParts(list):
    """The SheetCells of one submission, before a frame is made of them."""


class _Frame:
    """A frame attribute built from ``RowTuples`` on first use.

    Landing builds one frame for a whole batch of files (``cells_frame``), so a
    submission that is landed and never validated never pays for its own frames.
    """

    def __init__(self, schema: dict):
        self.schema = schema

    def __set_name__(self, owner, name: str) -> None:
        self.name = f"_{name}"

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name]
        if isinstance(value, RowTuples):
            value = obj.__dict__[self.name] = frame_from_rows(value, self.schema)
        elif isinstance(value, CellParts):
            value = obj.__dict__[self.name] = cells_frame([(None, value)])
        return value

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.name] = value


class Submission:
    """What was read from one file: its identity, every cell, the staged rows and tasks."""

    cells = _Frame(CELL_SCHEMA)  # every non-empty cell of the sheets read, with provenance
    rows = _Frame(STAGED_SCHEMA)  # one staged row per indicator row of 填报
    milestones = _Frame(MILESTONE_SCHEMA)  # one row per task row of 重点任务

    def __init__(
        self,
        path: Path,
        identity: Identity,
        cells,
        rows,
        milestones,
        issues: list[Issue] | None = None,
        file_format: str = "",
        encoding: str | None = None,
    ):
        self.path, self.identity = path, identity
        self.cells, self.rows, self.milestones = cells, rows, milestones
        self.issues = issues if issues is not None else []
        self.file_format = file_format  # xlsx | xls | xlsb | ods | csv
        self.encoding = encoding  # for CSV: the encoding it was decoded with

    def cells_of(self, sheet: str) -> list[CellRow]:
        """The cells of ``sheet`` as tuples, in the frame's order (``reader.cells.cell_rows``),
        from the cells as read when no frame has been built: the checks never pay for one."""
        by_sheet = self.__dict__.get("_cells_by_sheet")
        if by_sheet is None:
            by_sheet = self.__dict__["_cells_by_sheet"] = cell_rows(self.cell_parts())
        return by_sheet.get(sheet, [])

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_cells_by_sheet", None)  # a reading of the cells, made again on use
        return state

    def cell_parts(self) -> CellParts | pl.DataFrame:
        """The cells as read (SheetCells), or the frame if one was given or built already."""
        return self.__dict__["_cells"]

    def __repr__(self) -> str:
        return (
            f"Submission(path={self.path!r}, identity={self.identity!r}, "
            f"file_format={self.file_format!r}, issues={len(self.issues)})"
        )


def read_submission(
    path: Path,
    units: dict[str, Unit],
    *,
    indicator_units: Mapping[str, str] | None = None,
    display_name: str | None = None,
    data: bytes | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Submission:
    """Read one submission; raise UnreadableFile when nothing can be read from it.

    ``indicator_units`` (indicator id → unit of measure, from the catalog) is the
    unit a typed figure is converted to; without it the row's 单位 cell is used.
    ``display_name`` is the name shown in messages and used to identify the
    unit (e.g. the received name when ``path`` is the archived copy). ``data``:
    the file's bytes when the caller has read them already (to archive them).
    """
    name = display_name or Path(path).name
    try:
        return _read(Path(path), units, indicator_units or {}, name, data, limits)
    except UnreadableFile:
        raise
    except Exception as exc:  # a file no rule foresaw must not stop the run: say so, keep going
        log.exception("unexpected error reading %s", name)
        raise UnreadableFile(
            f"读取时出现意外错误（{type(exc).__name__}），文件可能已损坏或格式特殊",
            code="unexpected",
            file=name,
            found=type(exc).__name__,
        ) from exc


def _read(
    path: Path,
    units: dict[str, Unit],
    indicator_units: Mapping[str, str],
    name: str,
    data: bytes | None,
    limits: ReadLimits,
) -> Submission:
    book = open_book(path, name, limits, data)
    issues: list[Issue] = []
    grid, header = _data_sheet(book, name)
    rows, data_cells = _data_table(book, grid, header, indicator_units, name, issues)
    identity = read_identity(
        book, rows_outside_table(grid, header, data_cells), grid.sheet, name, units, issues
    )
    milestones, milestone_cells = _milestone_table(book, name, issues)
    parts = [data_cells, *milestone_cells, *plain_cells(book, IDENTITY_SHEET)]
    if book.external_links:
        issues.append(
            Issue(
                "external_links",
                Severity.WARNING,
                "工作簿含有外部链接（引用了其他文件的数据）；已按文件中保存的数值读取，没有打开或更新被引用的文件",
                "请把引用外部文件的公式改为数值（复制后“选择性粘贴 → 数值”）后重新报送，以免数据随外部文件变化。",
                file=name,
                found="外部链接",
                expected="不含外部链接的工作簿",
            )
        )
    return Submission(
        path=path,
        identity=identity,
        cells=CellParts(parts),
        rows=RowTuples(rows),
        milestones=RowTuples(milestones),
        issues=issues,
        file_format=book.file_format,
        encoding=book.encoding,
    )


def _data_sheet(book: Book, name: str) -> tuple[Grid, Header]:
    """The sheet with the indicator table: 填报 when it has one, else the first that does."""
    order = [DATA_SHEET] if DATA_SHEET in book.sheet_names else []
    order += [
        s for s in book.sheet_names if s not in (DATA_SHEET, IDENTITY_SHEET, HELP_SHEET, MILESTONE_SHEET)
    ]
    for sheet in order:
        grid = book.grid(sheet, exact=True)
        header = find_header(grid, DATA_HEADER_SYNONYMS, DATA_LOOSE_RULES, ("indicator_id", "actual"))
        if header is not None:
            return grid, header
    if DATA_SHEET in book.sheet_names or book.file_format == "csv":
        raise UnreadableFile(
            "找不到表头行：应有一行同时含有“指标编号”和“累计完成”（或“本年累计”等同义标题）",
            code="no_header",
            file=name,
            sheet=DATA_SHEET,
            found="没有可识别的表头",
            expected="含“指标编号”“累计完成”两列的表头行",
            hint="请使用系统下发的模板填报，不要删除或改写表头行。",
        )
    raise UnreadableFile(
        f"找不到“{DATA_SHEET}”工作表，也没有任何工作表含有“指标编号”“累计完成”表头",
        code="no_data_sheet",
        file=name,
        found="、".join(book.sheet_names) or "没有工作表",
        expected=f"名为“{DATA_SHEET}”的工作表",
        hint="请使用系统下发的模板填报，不要删除或改名“填报”工作表。",
    )


def _expected_unit(row: TableRow, indicator_units: Mapping[str, str], header: Header) -> str:
    return (
        indicator_units.get(row.key)
        or normalize_text(row.values.get("uom"))
        or header_unit(header.titles.get("actual"))
    )


def _data_table(
    book: Book, grid: Grid, header: Header, indicator_units: Mapping[str, str], name: str, issues: list[Issue]
) -> tuple[list[tuple], SheetCells]:
    table = table_rows(grid, header, "indicator_id", ("actual",))
    units = {r.row_number: _expected_unit(r, indicator_units, header) for r in table}
    col = header.columns["actual"]
    percent = book.percent_cells(
        grid.sheet,
        {
            r.cell("actual")
            for r in table
            if units[r.row_number] in PERCENT_UNITS and grid.kind(r.row_number, col) == "number"
        },
    )
    empty = {r.cell("actual") for r in table if r.values.get("actual") is None}
    formulas = book.formulas_without_value(grid.sheet, empty) if empty else {}
    cells = sheet_cells(grid, header, table, units)
    staged = []
    for r in table:
        n, ref, text = r.row_number, r.cell("actual"), r.values.get("actual")
        if ref in formulas:
            issues.append(_formula_issue(name, grid.sheet, ref, formulas[ref]))
            grid.add(n, col, f"={formulas[ref]}", "formula_no_value", None)
            read = ("formula_no_value", None, "empty", "公式没有保存计算结果")
        else:
            read = _read_value(grid, n, col, text, units[n], ref in percent)
        kind, value, code, detail = read
        if code is not None or kind not in ("number", "text"):
            cells.overrides[(n, col)] = (kind, value, code)
        staged.append(
            (
                grid.sheet,
                n,
                r.key or None,
                r.cell("indicator_id"),
                r.values.get("name"),
                r.values.get("uom"),
                text,
                ref,
                r.values.get("note"),
                kind,
                value,
                code,
                detail,
                units[n] or None,
            )
        )
    return staged, cells


def _read_value(
    grid: Grid, row: int, col: int, text: str | None, unit: str, percent: bool
) -> tuple[str, float | None, str | None, str]:
    """(kind, number, parse code, detail) of one value cell."""
    if text is None:
        return "empty", None, "empty", ""
    special = grid.special.get((row, col))
    if special is not None and special[0] != "number":
        parsed = parse_number(text, unit)  # an error cell: its text is the error
        return special[0], parsed.value, parsed.code, parsed.detail
    if special is not None or (grid.numeric_text and PLAIN_DECIMAL_RE.match(text)):
        number = special[1] if special is not None else float(text)
        if percent:
            return "percent", round(number * 100, 10), None, "百分比格式"
        return "number", number, None, ""
    parsed = parse_number(text, unit)
    return "text", parsed.value, parsed.code, parsed.detail


def _formula_issue(name: str, sheet: str, cell: str, formula: str) -> Issue:
    shown = f"={formula}" if formula else "公式"
    return Issue(
        "formula_without_value",
        Severity.WARNING,
        f"单元格是公式（{shown}），但文件中没有保存计算结果，按空值处理",
        "请在 Excel 中打开该文件、确认公式算出结果后保存，或直接填写数值，再重新报送。",
        file=name,
        sheet=sheet,
        cell=cell,
        found=shown,
        expected="数值或带计算结果的公式",
    )


def _milestone_table(book: Book, name: str, issues: list[Issue]) -> tuple[list[tuple], list[SheetCells]]:
    sheet = MILESTONE_SHEET
    if sheet not in book.sheet_names:
        issues.append(
            Issue(
                "missing_milestone_sheet",
                Severity.WARNING,
                f"文件中没有“{MILESTONE_SHEET}”工作表（或其中找不到“任务编号”“进展状态”表头），本次未读取重点任务进展",
                f"如需报送重点任务进展，请使用系统下发的模板，在“{MILESTONE_SHEET}”工作表中填写。",
                file=name,
                found="没有重点任务表",
                expected=f"“{MILESTONE_SHEET}”工作表",
            )
        )
        return [], []
    grid = book.grid(sheet)
    header = find_header(grid, MILESTONE_HEADER_SYNONYMS, MILESTONE_LOOSE_RULES, ("milestone_id", "status"))
    if header is None:
        return [], plain_cells(book, sheet)
    table = table_rows(grid, header, "milestone_id", ("status", "note", "evidence"))
    rows = [
        (
            r.row_number,
            r.key or None,
            normalize_text(r.values.get("status")) or None,
            r.cell("status"),
            r.values.get("note"),
            r.values.get("evidence"),
            sheet,
            r.cell("milestone_id"),
            r.values.get("task"),
        )
        for r in table
    ]
    return rows, [sheet_cells(grid, header, table, {})]
