"""Read a submission workbook into cells and staged rows, never executing anything.

The fast path is calamine (through fastexcel, as polars uses it): it reads the
cached values of formulas, never evaluates them and never follows external
links. Every non-empty cell is kept with its address, so that any figure can be
traced back to the cell it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from plantrack.catalog import Unit
from plantrack.issues import Issue, Severity
from plantrack.periods import Quarter, find_quarter, parse_quarter
from plantrack.template import DATA_SHEET, IDENTITY_SHEET, MILESTONE_SHEET
from transforms.cleaning import (
    DATA_HEADER_SYNONYMS,
    MILESTONE_HEADER_SYNONYMS,
    column_letter,
    is_trailing_row,
    match_header,
    normalize_text,
)

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
HEADER_SCAN_ROWS = 30

CELL_SCHEMA = {
    "sheet": pl.String, "row_number": pl.Int32, "column_letter": pl.String, "cell": pl.String,
    "header": pl.String, "record_key": pl.String, "raw_text": pl.String,
}


class UnreadableFile(Exception):
    """The file cannot be read as a submission at all; the message is for the steward."""


@dataclass
class Identity:
    unit: str | None = None
    quarter: Quarter | None = None
    source: str | None = None  # workbook | header | filename


@dataclass
class Submission:
    path: Path
    identity: Identity
    cells: pl.DataFrame  # every non-empty cell of the data sheets
    rows: pl.DataFrame  # one staged row per indicator row of 填报
    milestones: pl.DataFrame  # one row per task row of 重点任务
    issues: list[Issue] = field(default_factory=list)


def _sheet_rows(reader: fastexcel.ExcelReader, sheet: str) -> list[tuple[int, dict[str, str]]]:
    """Rows of a sheet as (1-based row number, {column letter: text}), empty cells left out."""
    data = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
    letters = [column_letter(c.absolute_index) for c in data.available_columns()]
    frame = data.to_polars()
    rows = []
    for idx, values in enumerate(frame.iter_rows()):
        cells = {
            letters[i]: v for i, v in enumerate(values) if v is not None and str(v).strip() != ""
        }
        if cells:
            rows.append((idx + 1, cells))
    return rows


def _find_header(rows, synonyms, required: tuple[str, ...]):
    """The first row whose cells name the required columns: (row number, {key: letter})."""
    for row_number, cells in rows[:HEADER_SCAN_ROWS]:
        mapping: dict[str, str] = {}
        for letter, text in cells.items():
            key = match_header(text, synonyms)
            if key and key not in mapping:
                mapping[key] = letter
        if all(k in mapping for k in required):
            return row_number, mapping
    return None, {}


def _label_value(rows, labels: tuple[str, ...]) -> str | None:
    """The value beside a label such as 填报单位：, in the same cell or the next one."""
    for _, cells in rows[:HEADER_SCAN_ROWS]:
        items = list(cells.items())
        for i, (_, text) in enumerate(items):
            t = normalize_text(text)
            for label in labels:
                if t.startswith(label):
                    rest = t[len(label):].lstrip(":：").strip()
                    if rest:
                        return rest
                    if i + 1 < len(items):
                        return normalize_text(items[i + 1][1])
    return None


def match_unit(text: str | None, units: dict[str, Unit]) -> str | None:
    """A unit code from a unit's code, name or office appearing in ``text``."""
    t = normalize_text(text)
    if not t:
        return None
    for u in units.values():
        if t in (u.code, u.name, u.office):
            return u.code
    best = [u for u in units.values() if u.name in t or u.office in t]
    if not best:
        best = [u for u in units.values() if re.search(rf"(?<![a-z]){u.code}(?![a-z])", t.lower())]
    return best[0].code if len(best) == 1 else None


def _identity(reader, sheets, rows, path: Path, units, issues: list[Issue]) -> Identity:
    candidates: list[tuple[str, str | None, Quarter | None]] = []
    if IDENTITY_SHEET in sheets:
        meta = {c.get("A"): c.get("B") for _, c in _sheet_rows(reader, IDENTITY_SHEET)}
        quarter = None
        if meta.get("quarter"):
            try:
                quarter = parse_quarter(meta["quarter"])
            except ValueError:
                quarter = None
        candidates.append(("workbook", meta.get("unit") if meta.get("unit") in units else None,
                           quarter))
    header_unit = match_unit(_label_value(rows, ("填报单位",)), units)
    period_text = _label_value(rows, ("报告期", "报告期间", "填报期间"))
    candidates.append(("header", header_unit, find_quarter(period_text or "")))
    candidates.append(("filename", match_unit(path.stem, units), find_quarter(path.stem)))

    ident = Identity()
    for source, unit, quarter in candidates:
        if ident.unit is None and unit:
            ident.unit, ident.source = unit, ident.source or source
        if ident.quarter is None and quarter:
            ident.quarter = quarter
            ident.source = ident.source or source
    for source, unit, quarter in candidates:
        label = {"workbook": "工作簿标识", "header": "表头", "filename": "文件名"}[source]
        if unit and ident.unit and unit != ident.unit:
            issues.append(Issue(
                "identity_mismatch", Severity.WARNING,
                f"{label}中的填报单位（{units[unit].name}）与识别结果（{units[ident.unit].name}）不一致",
                "请确认本文件是哪个单位的报表，改正表头“填报单位”或文件名后重新报送。",
                file=path.name, found=units[unit].name, expected=units[ident.unit].name,
            ))
        if quarter and ident.quarter and quarter != ident.quarter:
            issues.append(Issue(
                "identity_mismatch", Severity.WARNING,
                f"{label}中的报告期（{quarter.label}）与识别结果（{ident.quarter.label}）不一致",
                "请确认报告期，改正表头“报告期”或文件名后重新报送。",
                file=path.name, found=quarter.label, expected=ident.quarter.label,
            ))
    return ident


def _table(rows, header_row: int, mapping: dict[str, str], sheet: str, id_key: str):
    """Cells and per-record dicts below a header row, stopping at totals or notes."""
    cells, records = [], []
    header_of = {letter: key for key, letter in mapping.items()}
    for row_number, row in rows:
        if row_number <= header_row:
            continue
        key_text = normalize_text(row.get(mapping[id_key]))
        if not key_text and is_trailing_row(list(row.values())):
            break
        record = {"row_number": row_number}
        for key, letter in mapping.items():
            record[key] = row.get(letter)
            record[f"{key}_cell"] = f"{letter}{row_number}"
        records.append(record)
        for letter, text in row.items():
            cells.append((sheet, row_number, letter, f"{letter}{row_number}",
                           header_of.get(letter), key_text or None, str(text)))
    return cells, records


def _header_cells(rows, header_row: int, sheet: str):
    return [
        (sheet, n, letter, f"{letter}{n}", None, None, str(text))
        for n, row in rows if n <= header_row for letter, text in row.items()
    ]


def open_workbook(path: Path) -> fastexcel.ExcelReader:
    if not path.is_file():
        raise UnreadableFile("找不到文件或不是普通文件")
    if path.stat().st_size == 0:
        raise UnreadableFile("文件为空（0字节）")
    try:
        return fastexcel.read_excel(path)
    except Exception as exc:  # calamine reports corrupt, encrypted and non-Excel files alike
        raise UnreadableFile(_describe_read_error(exc)) from exc


def _describe_read_error(exc: Exception) -> str:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text or "cfb" in text:
        return "文件已加密或设置了打开密码，无法读取；请取消密码后重新报送"
    if "zip" in text or "invalid" in text or "could not" in text or "xml" in text:
        return "文件已损坏或不是 Excel 工作簿，无法读取；请用 Excel 打开确认后另存为 .xlsx 重新报送"
    return f"无法读取该文件（{exc.__class__.__name__}）；请另存为 .xlsx 后重新报送"


def read_submission(path: Path, units: dict[str, Unit]) -> Submission:
    """Read one submission; raise UnreadableFile when nothing can be read from it."""
    reader = open_workbook(path)
    sheets = reader.sheet_names
    issues: list[Issue] = []
    data_sheet = DATA_SHEET if DATA_SHEET in sheets else _guess_sheet(reader, sheets)
    if data_sheet is None:
        raise UnreadableFile(f"找不到“{DATA_SHEET}”工作表，也没有任何工作表含有“指标编号”“累计完成”表头")
    try:
        data_rows = _sheet_rows(reader, data_sheet)
    except Exception as exc:
        raise UnreadableFile(_describe_read_error(exc)) from exc
    header_row, mapping = _find_header(data_rows, DATA_HEADER_SYNONYMS, ("indicator_id", "actual"))
    if header_row is None:
        raise UnreadableFile(
            f"工作表“{data_sheet}”中找不到表头行（应含“指标编号”和“累计完成”两列）"
        )
    identity = _identity(reader, sheets, data_rows, path, units, issues)
    cells = _header_cells(data_rows, header_row, data_sheet)
    data_cells, records = _table(data_rows, header_row, mapping, data_sheet, "indicator_id")
    cells += data_cells
    milestones: list[dict] = []
    if MILESTONE_SHEET in sheets:
        m_rows = _sheet_rows(reader, MILESTONE_SHEET)
        m_header, m_map = _find_header(m_rows, MILESTONE_HEADER_SYNONYMS, ("milestone_id", "status"))
        if m_header is not None:
            m_cells, milestones = _table(m_rows, m_header, m_map, MILESTONE_SHEET, "milestone_id")
            cells += _header_cells(m_rows, m_header, MILESTONE_SHEET) + m_cells
    return Submission(
        path=path, identity=identity,
        cells=pl.DataFrame(cells, schema=CELL_SCHEMA, orient="row"),
        rows=_staged_rows(records, data_sheet),
        milestones=_milestone_frame(milestones),
        issues=issues,
    )


def _guess_sheet(reader, sheets: list[str]) -> str | None:
    for name in sheets:
        if name == IDENTITY_SHEET:
            continue
        rows = _sheet_rows(reader, name)
        if _find_header(rows, DATA_HEADER_SYNONYMS, ("indicator_id", "actual"))[0] is not None:
            return name
    return None


STAGED_SCHEMA = {
    "sheet": pl.String, "row_number": pl.Int32, "indicator_id": pl.String,
    "indicator_id_cell": pl.String, "name": pl.String, "uom": pl.String,
    "actual_raw": pl.String, "actual_cell": pl.String, "note": pl.String,
}


def _staged_rows(records: list[dict], sheet: str) -> pl.DataFrame:
    rows = [
        {
            "sheet": sheet, "row_number": r["row_number"],
            "indicator_id": normalize_text(r.get("indicator_id")) or None,
            "indicator_id_cell": r.get("indicator_id_cell"),
            "name": r.get("name"), "uom": r.get("uom"),
            "actual_raw": r.get("actual"), "actual_cell": r.get("actual_cell"),
            "note": r.get("note"),
        }
        for r in records
    ]
    return pl.DataFrame(rows, schema=STAGED_SCHEMA)


MILESTONE_SCHEMA = {
    "row_number": pl.Int32, "milestone_id": pl.String, "status": pl.String,
    "status_cell": pl.String, "note": pl.String, "evidence": pl.String,
}


def _milestone_frame(records: list[dict]) -> pl.DataFrame:
    rows = [
        {
            "row_number": r["row_number"],
            "milestone_id": normalize_text(r.get("milestone_id")) or None,
            "status": normalize_text(r.get("status")) or None,
            "status_cell": r.get("status_cell"),
            "note": r.get("note"), "evidence": r.get("evidence"),
        }
        for r in records
    ]
    return pl.DataFrame(rows, schema=MILESTONE_SCHEMA)
