"""The 目标分解 (allocation) workbook: each unit's share of the city target.

``plan allocate --out`` writes one row per additive indicator reported by several units,
one column per unit, the city target and a live sum check; ``--read`` reads it back and
stores ``allocation.csv`` when there is no error.
"""

from __future__ import annotations

import csv
from pathlib import Path

from plantrack.catalog import Catalog, Indicator
from plantrack.issues import make_issue
from plantrack.plan_workbooks.workbook import (
    CHECK_FILL,
    FIRST_ROW,
    FIXED,
    WorkbookResult,
    add_identity,
    input_cell,
    new_sheet,
    read_rows,
    read_value,
)

ALLOCATION_SHEET = "目标分解"


def allocated_indicators(cat: Catalog) -> list[Indicator]:
    """Indicators whose city target is split between units (additive, several reporters)."""
    return [i for i in cat.indicators if i.additive and len(i.units) > 1]


def _column_units(cat: Catalog, indicators: list[Indicator]) -> list[str]:
    used = {u for i in indicators for u in i.units}
    return [code for code in cat.units if code in used]


def write_allocation_workbook(cat: Catalog, path: Path) -> Path:
    """The 目标分解 workbook, pre-filled with the allocation stored so far."""
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    indicators = allocated_indicators(cat)
    units = _column_units(cat, indicators)
    wb = Workbook()
    headers = [*FIXED, f"{cat.whole}目标", *(cat.units[u].name for u in units), "各单位合计", "核对"]
    ws = new_sheet(
        wb,
        ALLOCATION_SHEET,
        f"《{cat.title}》目标分解表",
        f"请在黄色单元格填写各单位承担的目标（不承担的填 0）；“核对”列显示合计是否达到{cat.whole}目标。",
        headers,
    )
    first, last = get_column_letter(5), get_column_letter(4 + len(units))
    for n, ind in enumerate(indicators):
        row = FIRST_ROW + n
        for col, value in enumerate((ind.id, ind.name, ind.unit, ind.target), start=1):
            ws.cell(row, col, value)
        for k, unit in enumerate(units):
            cell = ws.cell(row, 5 + k)
            if unit in ind.units:
                target, _stretch = cat.unit_target(ind, unit) if cat.allocations else (None, None)
                input_cell(cell, target)
            else:
                cell.value = "—"
        total = ws.cell(row, 5 + len(units), f"=SUM({first}{row}:{last}{row})")
        total.fill = PatternFill("solid", fgColor=CHECK_FILL)
        t, d = total.coordinate, f"D{row}"
        ws.cell(
            row,
            6 + len(units),
            f'=IF(COUNT({first}{row}:{last}{row})=0,"未填写",'
            f'IF({t}>={d},"已平衡","少"&TEXT({d}-{t},"0.##")))',
        )
    ws.protection.sheet = True
    add_identity(wb, "allocation", cat.year)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def read_allocation_workbook(cat: Catalog, path: Path) -> WorkbookResult:
    """The allocation rows (indicator_id, unit, target) and every problem found."""
    result = WorkbookResult()
    rows, result.issues = read_rows(path, ALLOCATION_SHEET, "allocation", cat.year)
    if result.issues:
        return result
    header = rows.get(FIRST_ROW - 1, {})
    by_name = {u.name: code for code, u in cat.units.items()}
    columns = {col: by_name[text] for col, text in header.items() if text in by_name}
    wanted = {i.id: i for i in allocated_indicators(cat)}
    for row, cells in sorted(rows.items()):
        if row < FIRST_ROW:
            continue
        ind_id = (cells.get(0) or "").strip()
        fields = {"file": path.name, "sheet": ALLOCATION_SHEET}
        ind = wanted.get(ind_id)
        if ind is None:
            if ind_id:
                result.issues.append(
                    make_issue("plan_unknown_row", details={"row": row}, found=ind_id, **fields)
                )
            continue
        total = 0.0
        for col, unit in columns.items():
            if unit not in ind.units:
                continue
            value = read_value(
                cells,
                col,
                ind,
                cat.units[unit].name,
                {"row": row, "fields": fields},
                result.issues,
                required=True,
            )
            if value is not None:
                total += value
                result.rows.append({"indicator_id": ind.id, "unit": unit, "target": value})
        if total + 1e-9 < ind.target and not any(i.indicator_id == ind.id for i in result.errors):
            result.issues.append(
                make_issue(
                    "allocation_below_target",
                    name=ind.name,
                    details={"whole": cat.whole},
                    indicator_id=ind.id,
                    found=f"{total:g}",
                    expected=f"{ind.target:g}",
                    **fields,
                )
            )
    return result


def store_allocation(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["indicator_id", "unit", "target", "stretch", "note"])
        w.writeheader()
        for r in rows:
            w.writerow(
                {
                    "indicator_id": r["indicator_id"],
                    "unit": r["unit"],
                    "target": f"{r['target']:g}",
                    "stretch": "",
                    "note": r.get("note", ""),
                }
            )
    return path
