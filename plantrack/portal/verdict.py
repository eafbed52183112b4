"""What the steward sees of a verdict: problems grouped by cause, and the sheet drawn as a grid.

Made once from ``check_file``'s verdict when the file is uploaded and kept (as
JSON) with the upload, so the page she comes back to shows exactly what she was
told, and a fix-it workbook can be written from the same issues without reading
the file again. The grid is drawn from the submission's cells frame (every
non-empty cell with its address), capped so that a hostile sheet with a cell at
XFD1048576 draws a few hundred rows, not a million.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from plantrack.fixit import group_issues
from plantrack.issues import SEVERITY_LABEL, Issue, Severity
from plantrack.workbook_contract import DATA_SHEET, IDENTITY_SHEET, MILESTONE_SHEET

if TYPE_CHECKING:
    from plantrack.validate import FileVerdict

MAX_GRID_ROWS = 400
MAX_GRID_COLUMNS = 26
MAX_CELL_TEXT = 200


def _position(cell: str) -> tuple[int, int] | None:
    """(row, column number) of an address such as E12, or None."""
    try:
        letters, row = coordinate_from_string(cell)
        return row, column_index_from_string(letters)
    except ValueError:
        return None


@dataclass
class Verdict:
    issues: list[Issue]
    sheets: list[dict] = field(default_factory=list)
    unit: str | None = None  # the unit the file says it is from
    quarter: str | None = None
    unreadable: bool = False  # the reader refused the file: nothing of it is kept

    @property
    def errors(self) -> int:
        return sum(i.is_error for i in self.issues)

    @property
    def warnings(self) -> int:
        return len(self.issues) - self.errors

    def to_json(self) -> str:
        return json.dumps(
            {
                "issues": [i.to_dict() for i in self.issues],
                "sheets": self.sheets,
                "unit": self.unit,
                "quarter": self.quarter,
                "unreadable": self.unreadable,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Verdict:
        data = json.loads(text)
        known = {f.name for f in fields(Issue)}  # an upload kept from before the model grew a field
        issues = [
            Issue(
                **{k: v for k, v in d.items() if k in known and k != "severity"},
                severity=Severity(d["severity"]),
            )
            for d in data["issues"]
        ]
        return cls(issues, data["sheets"], data["unit"], data["quarter"], data.get("unreadable", False))

    def groups(self) -> list[dict]:
        """Problems of one cause together (errors first), each with its cells and messages."""
        index = {id(i): n for n, i in enumerate(self.issues)}
        out = []
        for g in group_issues(self.issues):
            first = g.first
            out.append(
                {
                    "title": g.title(),
                    "severity": str(first.severity),
                    "label": SEVERITY_LABEL[first.severity],
                    "hint": first.hint,
                    "items": [
                        {
                            "n": index[id(i)],
                            "sheet": i.sheet,
                            "cell": i.cell,
                            "anchor": anchor(i.sheet, i.cell) if i.cell else "",
                            "indicator": i.indicator_id,
                            "message": i.message,
                            "found": i.found,
                            "expected": i.expected,
                        }
                        for i in g.issues
                    ],
                }
            )
        return out


def anchor(sheet: str, cell: str) -> str:
    return f"cell-{sheet}-{cell}"


def make_verdict(verdict: FileVerdict) -> Verdict:
    sub = verdict.submission
    issues = verdict.issues
    if sub is None:
        return Verdict(issues, unreadable=verdict.unreadable is not None)
    return Verdict(
        issues,
        draw_sheets(sub.cells, issues),
        sub.identity.unit,
        sub.identity.quarter.code if sub.identity.quarter else None,
    )


def _sheet_order(name: str) -> tuple[int, str]:
    return ({DATA_SHEET: 0, MILESTONE_SHEET: 1}.get(name, 2), name)


def draw_sheets(cells, issues: list[Issue]) -> list[dict]:
    """Each sheet read (not the hidden identity sheet) as rows of cells, problems marked."""
    by_sheet: dict[str, dict[tuple[int, int], str]] = {}
    for sheet, row, col, text in cells.select("sheet", "row_number", "column_number", "raw_text").iter_rows():
        if sheet != IDENTITY_SHEET:
            by_sheet.setdefault(sheet, {})[(row, col)] = text
    marks: dict[str, dict[tuple[int, int], list[int]]] = {}
    for n, issue in enumerate(issues):
        pos = _position(issue.cell) if issue.cell and issue.sheet else None
        if pos is not None:
            marks.setdefault(issue.sheet, {}).setdefault(pos, []).append(n)
            by_sheet.setdefault(issue.sheet, {})
    return [
        _draw(name, by_sheet[name], marks.get(name, {}), issues)
        for name in sorted(by_sheet, key=_sheet_order)
    ]


def _draw(
    name: str, texts: dict[tuple[int, int], str], marks: dict[tuple[int, int], list[int]], issues: list[Issue]
) -> dict:
    positions = set(texts) | set(marks)
    rows = sorted({r for r, _ in positions})
    max_col = max((c for _, c in positions), default=0)
    columns = min(max_col, MAX_GRID_COLUMNS)
    truncated = len(rows) > MAX_GRID_ROWS or max_col > MAX_GRID_COLUMNS
    drawn, previous = [], None
    for r in rows[:MAX_GRID_ROWS]:
        cells, notes = [], []
        for c in range(1, columns + 1):
            found = marks.get((r, c), [])
            severity = ""
            if found:
                severity = "error" if any(issues[n].is_error for n in found) else "warning"
                notes += found
            text = texts.get((r, c)) or ""
            cells.append(
                {
                    "text": text[:MAX_CELL_TEXT] + ("…" if len(text) > MAX_CELL_TEXT else ""),
                    "cell": f"{get_column_letter(c)}{r}",
                    "mark": severity,
                }
            )
        drawn.append(
            {"number": r, "gap": previous is not None and r > previous + 1, "cells": cells, "notes": notes}
        )
        previous = r
    return {
        "name": name,
        "columns": [get_column_letter(c) for c in range(1, columns + 1)],
        "rows": drawn,
        "truncated": truncated,
    }
