"""The two workbooks a bureau fills for a plan: 目标分解 (allocation) and 年初基数 (baselines).

``plan allocate --out`` writes one row per additive indicator reported by several units,
one column per unit, the city target and a live sum check; the sheet is protected except
the cells to fill, and a hidden sheet names the plan and the workbook's kind.
``--read`` reads it back with the submission reader (``plantrack.reader``), reports
problems as ``plantrack.issues`` issues, and stores ``allocation.csv`` when there is no
error. ``plan baselines`` takes each stock's and each relative target's start level from
the previous year's accepted Q4 figures in the warehouse; its workbook works the same way.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from plantrack.catalog import Catalog, Indicator
from plantrack.issues import Issue, make_issue
from plantrack.periods import Quarter

IDENTITY_SHEET = "_plantrack"
ALLOCATION_SHEET, BASELINE_SHEET = "目标分解", "年初基数"
KIND_TEXT = {"allocation": "目标分解表", "baselines": "年初基数表"}
FIRST_ROW = 4  # rows 1-2: title and note; row 3: headers
FIXED = ("指标编号", "指标名称", "计量单位")
INPUT_FILL, CHECK_FILL = "FFF2CC", "E2EFDA"


def allocated_indicators(cat: Catalog) -> list[Indicator]:
    """Indicators whose city target is split between units (additive, several reporters)."""
    return [i for i in cat.indicators if i.additive and len(i.units) > 1]


def baseline_indicators(cat: Catalog) -> list[Indicator]:
    """Indicators paced from a start level: stocks and relative targets."""
    return [i for i in cat.indicators if i.cumulative or i.is_relative]


def baseline_scopes(cat: Catalog, ind: Indicator) -> list[str]:
    """Where a start level is asked for: the city, and each unit of an additive stock."""
    return ["city", *(ind.units if ind.additive and len(ind.units) > 1 else ())]


# -- writing --------------------------------------------------------------------------


def _column_units(cat: Catalog, indicators: list[Indicator]) -> list[str]:
    used = {u for i in indicators for u in i.units}
    return [code for code in cat.units if code in used]


def _identity(wb, kind: str, year: int) -> None:
    ws = wb.create_sheet(IDENTITY_SHEET)
    ws.append(["kind", kind])
    ws.append(["year", year])
    ws.sheet_state = "veryHidden"


def _sheet(wb, title: str, heading: str, note: str, headers: list[str]):
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


def _unlock(cell, value=None) -> None:
    from openpyxl.styles import PatternFill, Protection

    if value is not None:
        cell.value = value
    cell.protection = Protection(locked=False)
    cell.fill = PatternFill("solid", fgColor=INPUT_FILL)


def write_allocation_workbook(cat: Catalog, path: Path) -> Path:
    """The 目标分解 workbook, pre-filled with the allocation stored so far."""
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    indicators = allocated_indicators(cat)
    units = _column_units(cat, indicators)
    wb = Workbook()
    headers = [*FIXED, "全市目标", *(cat.units[u].name for u in units), "各单位合计", "核对"]
    ws = _sheet(
        wb,
        ALLOCATION_SHEET,
        f"《{cat.title}》目标分解表",
        "请在黄色单元格填写各单位承担的目标（不承担的填 0）；“核对”列显示合计是否达到全市目标。",
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
                _unlock(cell, target)
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
    _identity(wb, "allocation", cat.year)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_baselines_workbook(cat: Catalog, found: dict[tuple[str, str], float], path: Path) -> Path:
    """The 年初基数 workbook: one row per (indicator, scope), pre-filled where a value is known."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = _sheet(
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
            name = "全市" if scope == "city" else cat.units[scope].name
            for col, value in enumerate((ind.id, ind.name, ind.unit, name), start=1):
                ws.cell(row, col, value)
            _unlock(ws.cell(row, 5), found.get((ind.id, scope)))
            row += 1
    ws.protection.sheet = True
    _identity(wb, "baselines", cat.year)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# -- reading --------------------------------------------------------------------------


@dataclass
class WorkbookResult:
    issues: list[Issue] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]


def _grid_rows(path: Path, sheet: str, kind: str, year: int) -> tuple[dict, list[Issue]]:
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


def _value(
    cells: dict, col: int, ind: Indicator, unit_name: str, where: dict, issues: list[Issue], required: bool
) -> float | None:
    from openpyxl.utils import get_column_letter

    text = (cells.get(col) or "").strip()
    cell = f"{get_column_letter(col + 1)}{where['row']}"
    details = {"unit_name": unit_name}
    if not text:
        if required:
            issues.append(
                make_issue(
                    "plan_value_missing",
                    name=ind.name,
                    details=details,
                    cell=cell,
                    indicator_id=ind.id,
                    **where["fields"],
                )
            )
        return None
    value = _number(text)
    if value is None:
        issues.append(
            make_issue(
                "plan_value_not_number",
                name=ind.name,
                details=details,
                cell=cell,
                indicator_id=ind.id,
                found=text,
                **where["fields"],
            )
        )
    elif value < 0:
        issues.append(
            make_issue(
                "plan_value_negative",
                name=ind.name,
                details=details,
                cell=cell,
                indicator_id=ind.id,
                found=f"{value:g}",
                **where["fields"],
            )
        )
        return None
    return value


def read_allocation_workbook(cat: Catalog, path: Path) -> WorkbookResult:
    """The allocation rows (indicator_id, unit, target) and every problem found."""
    result = WorkbookResult()
    rows, result.issues = _grid_rows(path, ALLOCATION_SHEET, "allocation", cat.year)
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
            value = _value(
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
                    indicator_id=ind.id,
                    found=f"{total:g}",
                    expected=f"{ind.target:g}",
                    **fields,
                )
            )
    return result


def read_baselines_workbook(cat: Catalog, path: Path) -> WorkbookResult:
    """The start levels given (blank cells are left out: those stay 缺少基数)."""
    result = WorkbookResult()
    rows, result.issues = _grid_rows(path, BASELINE_SHEET, "baselines", cat.year)
    if result.issues:
        return result
    by_name = {"全市": "city", **{u.name: code for code, u in cat.units.items()}}
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
        value = _value(
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


# -- storing --------------------------------------------------------------------------


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
            name = "全市" if scope == "city" else cat.units[scope].name
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
