"""The 年初基数 (baselines) workbook: each stock's and each relative target's start level.

``plan baselines`` takes the start levels from the previous year's accepted Q4 figures in
the warehouse; ``--out`` writes them into a workbook to complete by hand and ``--read``
reads it back into ``baselines.csv``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from plantrack.catalog import Catalog, Indicator
from plantrack.issues import make_issue
from plantrack.periods import Quarter
from plantrack.plan_workbooks.workbook import (
    FIRST_ROW,
    FIXED,
    WorkbookResult,
    add_identity,
    input_cell,
    new_sheet,
    read_rows,
    read_value,
)

BASELINE_SHEET = "年初基数"


def baseline_indicators(cat: Catalog) -> list[Indicator]:
    """Indicators paced from a start level: stocks and relative targets."""
    return [i for i in cat.indicators if i.cumulative or i.is_relative]


def scope_label(cat: Catalog, scope: str) -> str:
    """How a baseline row names its scope: the plan's whole (全县) or the unit's name."""
    return cat.whole if scope == "city" else cat.units[scope].name


def baseline_scopes(cat: Catalog, ind: Indicator) -> list[str]:
    """Where a start level is asked for: the city, and each unit of an additive stock."""
    return ["city", *(ind.units if ind.additive and len(ind.units) > 1 else ())]


def write_baselines_workbook(cat: Catalog, found: dict[tuple[str, str], float], path: Path) -> Path:
    """The 年初基数 workbook: one row per (indicator, scope), pre-filled where a value is known."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = new_sheet(
        wb,
        BASELINE_SHEET,
        f"《{cat.title}》年初基数表",
        f"请在黄色单元格填写{cat.year - 1}年末的水平（存量指标）或{cat.year - 1}年的数值"
        "（相对目标）；已按数据仓库中上年第四季度的采用数据预填。",
        [*FIXED, "范围", "年初基数"],
    )
    row = FIRST_ROW
    for ind in baseline_indicators(cat):
        for scope in baseline_scopes(cat, ind):
            name = scope_label(cat, scope)
            for col, value in enumerate((ind.id, ind.name, ind.unit, name), start=1):
                ws.cell(row, col, value)
            input_cell(ws.cell(row, 5), found.get((ind.id, scope)))
            row += 1
    ws.protection.sheet = True
    add_identity(wb, "baselines", cat.year)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def read_baselines_workbook(cat: Catalog, path: Path) -> WorkbookResult:
    """The start levels given (blank cells are left out: those stay 缺少基数)."""
    result = WorkbookResult()
    rows, result.issues = read_rows(path, BASELINE_SHEET, "baselines", cat.year)
    if result.issues:
        return result
    # the plan's whole (全县) as written, or 全市 in a workbook written before it was named so
    by_name = {"全市": "city", cat.whole: "city", **{u.name: code for code, u in cat.units.items()}}
    wanted = {i.id: i for i in baseline_indicators(cat)}
    for row, cells in sorted(rows.items()):
        if row < FIRST_ROW:
            continue
        ind_id, scope = (cells.get(0) or "").strip(), by_name.get((cells.get(3) or "").strip())
        fields = {"file": path.name, "sheet": BASELINE_SHEET}
        ind = wanted.get(ind_id)
        if ind is None or scope is None:
            if ind_id:
                result.issues.append(
                    make_issue("plan_unknown_row", details={"row": row}, found=ind_id, **fields)
                )
            continue
        value = read_value(
            cells, 4, ind, cells.get(3, ""), {"row": row, "fields": fields}, result.issues, required=False
        )
        if value is not None:
            result.rows.append(
                {
                    "indicator_id": ind.id,
                    "unit": scope,
                    "value": value,
                    "year": cat.year - 1,
                    "note": f"{path.name}（人工填写）",
                }
            )
    return result


def store_baselines(path: Path, rows: list[dict]) -> Path:
    """Write baselines.csv: the rows given replace the stored ones of the same (indicator, unit)."""
    kept: dict[tuple[str, str], dict] = {}
    if path.exists():
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                kept[(r["indicator_id"], r.get("unit") or "city")] = r
    for r in rows:
        kept[(r["indicator_id"], r["unit"])] = {**r, "value": f"{r['value']:g}"}
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(
            fh, fieldnames=["indicator_id", "unit", "value", "year", "note"], extrasaction="ignore"
        )
        w.writeheader()
        for r in kept.values():
            w.writerow(r)
    return path


# -- start levels from the warehouse ------------------------------------------------------


def baselines_from_warehouse(cat: Catalog, previous: Catalog | None, warehouse: Path) -> dict:
    """Each stock's and relative target's start level from last year's accepted Q4 figures.

    Returns ``{"source_quarter", "found": [...], "missing": [...]}``; a found row has
    indicator_id, unit (a unit code or 'city'), value, year, note and source.
    """
    from plantrack import progress
    from plantrack.catalog_tables import continued_indicators

    q4 = Quarter(cat.year - 1, 4)
    links = continued_indicators(cat, previous)
    if previous is not None:  # an indicator kept under its id with another name still links
        links = {**{i.id: i.id for i in cat.indicators if i.id in previous.indicators_by_id}, **links}
    city: dict[str, float] = {}
    units: dict[tuple[str, str], float] = {}
    reason = ""
    try:
        con = progress.open_warehouse(warehouse)
    except progress.NoProgressData as exc:
        con, reason = None, str(exc)
    if con is not None:
        try:
            if q4.code in progress.quarters_with_data(con):
                city = {
                    r["indicator_id"]: r["actual"]
                    for r in progress.city_progress(con, q4.code)
                    if r["actual"] is not None
                }
                units = {
                    (r["indicator_id"], r["unit"]): r["actual"]
                    for r in progress.unit_progress(con, q4.code)
                    if r["actual"] is not None
                }
            else:
                reason = f"数据仓库中没有{q4.label}的数据"
        finally:
            con.close()
    found, missing = [], []
    for ind in baseline_indicators(cat):
        last = links.get(ind.id)
        for scope in baseline_scopes(cat, ind):
            name = scope_label(cat, scope)
            value = None
            if last is not None:
                value = city.get(last) if scope == "city" else units.get((last, scope))
            if value is None:
                why = reason or (
                    f"{cat.year - 1}年计划中没有对应的指标"
                    if last is None
                    else f"{q4.label}没有已采用的{name}数据"
                )
                missing.append(
                    {
                        "indicator_id": ind.id,
                        "name": ind.name,
                        "unit": scope,
                        "unit_name": name,
                        "reason": why,
                    }
                )
                continue
            source = f"{q4.label}已采用数据（{cat.year - 1}年指标 {last}）"
            found.append(
                {
                    "indicator_id": ind.id,
                    "name": ind.name,
                    "unit": scope,
                    "unit_name": name,
                    "value": value,
                    "year": cat.year - 1,
                    "note": source,
                    "source": source,
                }
            )
    return {"year": cat.year, "source_quarter": q4.code, "found": found, "missing": missing}
