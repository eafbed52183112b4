"""Whose submission it is and for which quarter: from the workbook, its header, its name.

The template's hidden identity sheet is trusted first, then the 填报单位：and
报告期： labels above or below the table, then the file name. A source that
disagrees with the identity found is a warning, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from plantrack.catalog import Unit
from plantrack.issues import Issue, Severity
from plantrack.periods import Quarter, find_quarter, parse_quarter
from plantrack.reader.books import Book
from plantrack.reader.cells import SheetCells
from plantrack.reader.grid import Grid
from plantrack.reader.tables import HEADER_SCAN_ROWS, Header
from plantrack.workbook_contract import IDENTITY_SHEET
from transforms.cleaning import normalize_text


@dataclass
class Identity:
    unit: str | None = None
    quarter: Quarter | None = None
    source: str | None = None  # workbook | header | filename
    template_version: str | None = None
    catalog_version: str | None = None


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
        lowered = t.lower()
        best = [u for u in units.values() if _code_pattern(u.code).search(lowered)]
    return best[0].code if len(best) == 1 else None


@lru_cache(maxsize=256)
def _code_pattern(code: str) -> re.Pattern:
    """A unit code as a word of its own in a file name (huancui, not huancuixyz)."""
    return re.compile(rf"(?<![a-z]){re.escape(code)}(?![a-z])")


def _label_value(rows: list[tuple[int, dict[int, str]]], labels: tuple[str, ...]) -> str | None:
    """The value beside a label such as 填报单位：, in the same cell or the next one."""
    for _, cells in rows[:HEADER_SCAN_ROWS]:
        items = [cells[c] for c in sorted(cells)]
        for i, text in enumerate(items):
            t = normalize_text(text)
            for label in labels:
                if t.startswith(label):
                    rest = t[len(label) :].lstrip(":：").strip()
                    if rest:
                        return rest
                    if i + 1 < len(items):
                        return normalize_text(items[i + 1])
    return None


def _workbook_identity(book: Book) -> dict[str, str]:
    if IDENTITY_SHEET not in book.sheet_names:
        return {}
    grid = book.grid(IDENTITY_SHEET)
    return {normalize_text(c.get(0)): normalize_text(c.get(1)) for _, c in grid.rows if c.get(0)}


_SOURCE_LABEL = {"workbook": "工作簿标识", "header": "表头", "filename": "文件名"}


def rows_outside_table(grid: Grid, header: Header, cells: SheetCells) -> list[tuple[int, dict]]:
    """The rows outside the table, where 填报单位：… and 报告期：… are written."""
    return [
        (n, row)
        for n, row in grid.rows
        if n < header.first_row or (n > header.last_row and n not in cells.records)
    ]


def read_identity(
    book: Book, label_rows: list, sheet: str, name: str, units, issues: list[Issue]
) -> Identity:
    """The identity of the file ``name``; a source that disagrees adds a warning to ``issues``."""
    meta = _workbook_identity(book)
    candidates: list[tuple[str, str | None, Quarter | None]] = []
    if meta:
        try:
            quarter = parse_quarter(meta.get("quarter", ""))
        except ValueError:
            quarter = None
        candidates.append(("workbook", meta.get("unit") if meta.get("unit") in units else None, quarter))
    header_unit_code = match_unit(_label_value(label_rows, ("填报单位",)), units)
    period_text = _label_value(label_rows, ("报告期", "报告期间", "填报期间", "统计期间"))
    candidates.append(("header", header_unit_code, find_quarter(period_text or "")))
    stem = Path(name).stem
    candidates.append(("filename", match_unit(stem, units), find_quarter(stem)))

    ident = Identity(
        template_version=meta.get("template_version") or None,
        catalog_version=meta.get("catalog_version") or None,
    )
    for source, unit, quarter in candidates:
        if ident.unit is None and unit:
            ident.unit, ident.source = unit, ident.source or source
        if ident.quarter is None and quarter:
            ident.quarter = quarter
            ident.source = ident.source or source
    for source, unit, quarter in candidates:
        issues += _mismatches(source, unit, quarter, ident, units, name, sheet)
    return ident


def _mismatches(source, unit, quarter, ident: Identity, units, name: str, sheet: str) -> list[Issue]:
    label = _SOURCE_LABEL[source]
    where = {"file": name, "sheet": sheet if source == "header" else ""}
    issues = []
    if unit and ident.unit and unit != ident.unit:
        issues.append(
            Issue(
                "identity_mismatch",
                Severity.WARNING,
                f"{label}中的填报单位（{units[unit].name}）与识别结果（{units[ident.unit].name}）不一致",
                "请确认本文件是哪个单位的报表，改正表头“填报单位”或文件名后重新报送。",
                found=units[unit].name,
                expected=units[ident.unit].name,
                **where,
            )
        )
    if quarter and ident.quarter and quarter != ident.quarter:
        issues.append(
            Issue(
                "identity_mismatch",
                Severity.WARNING,
                f"{label}中的报告期（{quarter.label}）与识别结果（{ident.quarter.label}）不一致",
                "请确认报告期，改正表头“报告期”或文件名后重新报送。",
                found=quarter.label,
                expected=ident.quarter.label,
                **where,
            )
        )
    return issues
