"""Sample submissions for every unit: realistic figures and a few typical mistakes.

The figures are made from each unit's allocated target and the indicator's
pacing, with a seeded random spread, so a demo run always shows the same mix
of on-track and behind-target items. The mistakes are the ones stewards make:
a number typed with its unit, a value left empty, a negative figure, a status
typed instead of chosen, a renamed file, a late file, and one unit that has not submitted.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from plantrack.catalog import Catalog, Indicator
from plantrack.periods import BUREAU_TIMEZONE, Quarter, submission_deadline
from plantrack.template import (
    DATA_HEADER_ROW,
    DATA_SHEET,
    MILESTONE_HEADER_ROW,
    MILESTONE_SHEET,
    MILESTONE_STATUSES,
    template_filename,
    write_template,
)

SEED = 2021


@dataclass(frozen=True)
class DemoMistake:
    unit: str
    description: str


def demo_value(ind: Indicator, start: float, target: float, share: float | None,
               rng: random.Random) -> float:
    """A plausible year-to-date figure: from the start-of-year level toward the target,
    around the expected-to-date progress, with a seeded spread."""
    share = 1.0 if share is None else share
    spread = rng.choice((0.35, 0.6, 0.85, 0.95, 1.0, 1.05, 1.15, 1.3))
    value = start + (target - start) * share * spread
    if ind.unit in ("亿元", "万元", "%", "个百分点"):
        return round(value, 2)
    return float(round(value))


def _start_and_target(catalog: Catalog, ind: Indicator, unit: str) -> tuple[float, float]:
    """The start-of-year level (0 for a flow) and the absolute target for ``unit``."""
    target, _ = catalog.unit_target(ind, unit)
    target = ind.target if target is None else target
    base = catalog.baseline(ind.id, unit) or catalog.baseline(ind.id)
    if ind.qualifier == "increase_by":
        start = base.value if base else 0.0
        target = start + target if ind.unit == "个百分点" else start * (1 + target / 100)
        return (0.0, target) if not ind.cumulative else (start, target)
    if ind.cumulative:
        return (base.value if base else 0.7 * target), target
    return 0.0, target


def _fill_data_sheet(ws, catalog: Catalog, unit: str, quarter: Quarter, rng) -> dict[str, int]:
    rows = {}
    row = DATA_HEADER_ROW + 1
    while ws.cell(row=row, column=1).value:
        ind_id = ws.cell(row=row, column=1).value
        ind = catalog.indicator(ind_id)
        start, target = _start_and_target(catalog, ind, unit)
        share = catalog.expected_share(ind, quarter.number)
        ws.cell(row=row, column=5, value=demo_value(ind, start, target, share, rng))
        rows[ind_id] = row
        row += 1
    return rows


def _fill_milestones(ws, rng) -> list[int]:
    rows = []
    row = MILESTONE_HEADER_ROW + 1
    while ws.cell(row=row, column=1).value:
        status = rng.choice(MILESTONE_STATUSES[1:] * 3 + MILESTONE_STATUSES[:1])
        ws.cell(row=row, column=3, value=status)
        ws.cell(row=row, column=4, value="按计划推进，详见佐证材料。" if status != "未启动" else "")
        if status == "已完成":
            ws.cell(row=row, column=5, value="工作总结及相关文件")
        rows.append(row)
        row += 1
    return rows


def make_demo_submissions(
    catalog: Catalog, quarter: Quarter, inbox: Path,
) -> tuple[list[Path], list[DemoMistake]]:
    """Write one filled workbook per reporting unit (but one) into ``inbox``."""
    inbox.mkdir(parents=True, exist_ok=True)
    units = [u for u in catalog.reporting_units() if catalog.indicators_for(u.code)]
    districts = [u for u in units if u.kind != "bureau"]
    missing_unit = (districts or units)[-1].code  # one small unit has not submitted yet
    mistakes = [DemoMistake(missing_unit, "未报送")]
    written: list[Path] = []
    senders: list[str] = []
    for n, unit in enumerate(units):
        if unit.code == missing_unit:
            continue
        rng = random.Random(f"{SEED}-{quarter.code}-{unit.code}")
        path = inbox / template_filename(unit, quarter)
        write_template(catalog, unit, quarter, path)
        wb = load_workbook(path)
        data_rows = _fill_data_sheet(wb[DATA_SHEET], catalog, unit.code, quarter, rng)
        milestone_rows = _fill_milestones(wb[MILESTONE_SHEET], rng)
        mistakes += _typical_mistake(n, unit.code, wb, data_rows, milestone_rows)
        wb.save(path)
        if n == 2:  # a steward renamed the file: the workbook identity still tells who sent it
            renamed = path.with_name("科技工作要点季度报表(最终版).xlsx")
            path.rename(renamed)
            path = renamed
            mistakes.append(DemoMistake(unit.code, "文件被改名"))
        written.append(path)
        senders.append(unit.code)
    late = 5 if len(written) > 5 else None
    _set_receipt_times(written, quarter, late=written[late] if late is not None else None)
    if late is not None:
        mistakes.append(DemoMistake(senders[late], "逾期报送"))
    return written, mistakes


def _set_receipt_times(paths: list[Path], quarter: Quarter, late: Path | None) -> None:
    """Files arrive a few days after the quarter ends (Beijing time); one arrives after the deadline."""
    deadline = submission_deadline(quarter).replace(tzinfo=ZoneInfo(BUREAU_TIMEZONE))
    for n, path in enumerate(paths):
        when = deadline - timedelta(days=4, hours=n) if path != late else deadline + timedelta(days=2)
        os.utime(path, (when.timestamp(), when.timestamp()))


def _typical_mistake(n: int, unit: str, wb, data_rows: dict[str, int],
                     milestone_rows: list[int]) -> list[DemoMistake]:
    ws = wb[DATA_SHEET]
    first = next(iter(data_rows.values()), None)
    if first is None:
        return []
    cell = ws.cell(row=first, column=5)
    if n == 0:
        cell.value = f"{int(cell.value or 0)}家"
        return [DemoMistake(unit, f"数字带单位：{cell.coordinate}")]
    if n == 1:
        cell.value = None
        return [DemoMistake(unit, f"漏填：{cell.coordinate}")]
    if n == 3:
        cell.value = -abs(cell.value or 1)
        return [DemoMistake(unit, f"负数：{cell.coordinate}")]
    if n == 4 and milestone_rows:
        status = wb[MILESTONE_SHEET].cell(row=milestone_rows[0], column=3)
        status.value = "完成"
        return [DemoMistake(unit, f"进展状态不在下拉列表中：{status.coordinate}")]
    return []
