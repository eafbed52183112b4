"""Sample submissions for every unit: realistic figures and a few typical mistakes.

Each unit's figure for each indicator follows one seeded trajectory through the
year (``demo_path``): year-to-date figures of a flow never fall from one quarter
to the next, a stock moves on from its start-of-year level, and every unit has a
character — on track, behind, catching up, ahead — so a demo year shows the mix a
real year does, and each quarter's history check finds nothing but the planted
mistakes. The mistakes are the ones stewards make: a number typed with its unit,
a value left empty, a negative figure, a status typed instead of chosen, a renamed
file, a late file, and one unit that never reports; in a demo year, one unit also
sends its file again after correcting it from the fix-it workbook. Figures behind
their expected-to-date come with a reason in 说明 (one unit forgets to give any).

The same quarter written again gives the same bytes (``save_reproducibly``): a demo run
again on the same home receives the files it received before, so it counts each unit's
file once, takes the validated outcomes from the ingest cache and keeps the briefs.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from plantrack.catalog import Catalog, Indicator
from plantrack.pacing import expected_to_date, start_and_target
from plantrack.periods import BUREAU_TIMEZONE, Quarter, submission_deadline
from plantrack.template import (
    DATA_HEADER_ROW,
    DATA_SHEET,
    MILESTONE_HEADER_ROW,
    MILESTONE_SHEET,
    save_reproducibly,
    template_filename,
    write_template,
)

SEED = 2021
RESUBMIT_QUARTER = 2  # in a demo year, the quarter a unit sends a corrected file again

# The share of the expected-to-date a figure reaches at the end of Q1..Q4.
# Most units end the year a little above their share (as a real year's do), so the city
# meets most targets although one unit never reports; the behind and slipping ones do not.
TRAJECTORIES = {
    "steady": (1.0, 1.02, 1.04, 1.07),
    "ahead": (1.3, 1.25, 1.2, 1.18),
    "behind": (0.55, 0.6, 0.7, 0.9),
    "catching_up": (0.45, 0.55, 0.85, 1.06),
    "slipping": (1.1, 0.9, 0.75, 0.95),
}
# Each unit's character: most of its indicators follow it, the others are drawn at random.
CHARACTERS = (
    "steady",
    "steady",
    "catching_up",
    "behind",
    "ahead",
    "steady",
    "behind",
    "catching_up",
    "slipping",
    "steady",
    "ahead",
)
FORGETFUL = 6  # the unit (by position) that leaves 说明 empty however far behind it is

REASONS = (
    "受疫情影响部分项目推迟实施，已制定赶超计划，力争下季度补齐进度。",
    "企业申报材料尚在评审中，预计下季度完成认定。",
    "部分企业统计数据尚未报送，待核实后更新。",
    "受原材料价格上涨和订单减少影响，部分重点企业研发投入放缓；已组织专班逐户走访，"
    "落实研发费用加计扣除等政策，并协调金融机构提供科技贷款支持，预计下季度将明显回升。",
    "项目审批流程较长，目前已完成前期论证，计划集中推进。",
)
YEAR_END_REASONS = (
    "受疫情和市场需求下降影响，部分项目未能如期落地，未完成部分已列入下一年度重点工作。",
    "申报企业数量少于预期，部分企业未通过评审，差距部分将在下一年度补足。",
)


@dataclass(frozen=True)
class DemoMistake:
    unit: str
    description: str


def _rounded(ind: Indicator, value: float) -> float:
    if ind.unit in ("亿元", "万元", "%", "个百分点"):
        return round(value, 2)
    return float(round(value))


def demo_path(catalog: Catalog, ind: Indicator, unit: str, position: int) -> tuple[float, ...]:
    """The unit's year-to-date figure at the end of each quarter: one seeded trajectory.

    A flow's figures never fall; a stock starts from its 2020 level (or 70% of the target
    when none is known) and moves toward the target.
    """
    rng = random.Random(f"{SEED}-{catalog.year}-{unit}-{ind.id}")
    character = CHARACTERS[position % len(CHARACTERS)]
    kind = character if rng.random() < 0.6 else rng.choice(sorted(TRAJECTORIES))
    start, target = start_and_target(catalog, ind, unit)
    if target is None:  # a relative target without a baseline: a plausible step
        start, target = (0.0, ind.target) if start is None else (start, ind.target)
    if start is None:
        start = 0.7 * target if ind.cumulative else 0.0
    work = target - start
    if ind.cumulative and work <= 0:  # the level already exceeds the target: it still grows
        work = 0.04 * start
    values, last = [], None
    for q, factor in enumerate(TRAJECTORIES[kind], start=1):
        share = catalog.expected_share(ind, q)
        share = 1.0 if share is None else share
        value = _rounded(ind, start + work * share * factor * rng.uniform(0.97, 1.03))
        if last is not None and not ind.is_relative and ind.unit not in ("%", "个百分点"):
            value = max(value, last)  # a year-to-date figure or a stock of this kind never falls
        values.append(value)
        last = value
    return tuple(values)


def _reason(ind: Indicator, unit: str, quarter: Quarter) -> str:
    rng = random.Random(f"{SEED}-reason-{quarter.code}-{unit}-{ind.id}")
    return rng.choice(YEAR_END_REASONS if quarter.number == 4 else REASONS)


def _fill_data_sheet(ws, catalog: Catalog, unit: str, position: int, quarter: Quarter) -> dict[str, int]:
    rows = {}
    row = DATA_HEADER_ROW + 1
    while ws.cell(row=row, column=1).value:
        ind_id = ws.cell(row=row, column=1).value
        ind = catalog.indicator(ind_id)
        value = demo_path(catalog, ind, unit, position)[quarter.number - 1]
        ws.cell(row=row, column=5, value=value)
        expected = expected_to_date(catalog, ind, unit, quarter.number)
        behind = expected is not None and ind.qualifier != "max" and value < expected - 1e-9
        if behind and position != FORGETFUL:
            ws.cell(row=row, column=6, value=_reason(ind, unit, quarter))
        rows[ind_id] = row
        row += 1
    return rows


def milestone_quarters(unit: str, milestone_id: str, year: int) -> tuple[int, int]:
    """(quarter work starts, quarter it is finished; 5: not within the year), seeded."""
    rng = random.Random(f"{SEED}-{year}-{unit}-{milestone_id}")
    started = rng.choice((1, 1, 1, 2, 2, 3))
    return started, rng.choice((2, 3, 3, 4, 4, 4, 5)) if started < 4 else 5


def _fill_milestones(ws, unit: str, quarter: Quarter) -> list[int]:
    rows = []
    row = MILESTONE_HEADER_ROW + 1
    while ws.cell(row=row, column=1).value:
        started, done = milestone_quarters(unit, ws.cell(row=row, column=1).value, quarter.year)
        done = max(done, started)
        if quarter.number >= done:
            status, note = "已完成", "已按计划完成，详见佐证材料。"
        elif quarter.number >= started:
            status, note = "推进中", "按计划推进，详见佐证材料。"
        else:
            status, note = "未启动", "前期准备中，待相关政策出台后启动。" if quarter.number == 4 else ""
        ws.cell(row=row, column=3, value=status)
        ws.cell(row=row, column=4, value=note)
        if status == "已完成":
            ws.cell(row=row, column=5, value="工作总结及相关文件")
        rows.append(row)
        row += 1
    return rows


def demo_units(catalog: Catalog) -> tuple[list, str]:
    """The units the demo writes for (in configured order) and the one that never reports."""
    units = [u for u in catalog.reporting_units() if catalog.indicators_for(u.code)]
    districts = [u for u in units if u.kind != "bureau"]
    return units, (districts or units)[-1].code  # one small unit never submits


def make_demo_submissions(
    catalog: Catalog, quarter: Quarter, inbox: Path, *, resubmission: bool = False
) -> tuple[list[Path], list[DemoMistake]]:
    """Write one filled workbook per reporting unit (but one) into ``inbox``.

    ``resubmission``: one unit's file has a mistake and a corrected copy arrives two
    days later, as after a fix-it workbook (a demo year does this in one quarter).
    """
    inbox.mkdir(parents=True, exist_ok=True)
    units, missing_unit = demo_units(catalog)
    mistakes = [DemoMistake(missing_unit, "未报送")]
    written: list[Path] = []
    senders: list[str] = []
    corrected: Path | None = None
    issued_at = datetime.combine(quarter.end_date - timedelta(days=14), time(1, 0), tzinfo=UTC)
    saved_at = datetime.combine(quarter.end_date, time(9, 0))  # UTC: the stewards' last afternoon
    for n, unit in enumerate(units):
        if unit.code == missing_unit:
            continue
        path = inbox / template_filename(unit, quarter)
        write_template(catalog, unit, quarter, path, generated_at=issued_at)
        wb = load_workbook(path)
        data_rows = _fill_data_sheet(wb[DATA_SHEET], catalog, unit.code, n, quarter)
        milestone_rows = _fill_milestones(wb[MILESTONE_SHEET], unit.code, quarter)
        if resubmission and n == 3:  # the corrected file: what the fix-it workbook asked for
            corrected = path.with_name(path.stem + "(修改后).xlsx")
            save_reproducibly(wb, corrected, saved_at + timedelta(days=8))
        mistakes += _typical_mistake(n, unit.code, wb, data_rows, milestone_rows)
        save_reproducibly(wb, path, saved_at)
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
    if corrected is not None:
        deadline = submission_deadline(quarter).replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        when = (deadline - timedelta(days=1)).timestamp()
        os.utime(corrected, (when, when))
        written.append(corrected)
        mistakes.append(DemoMistake(units[3].code, "按问题标注工作簿修改后重新报送"))
    return written, mistakes


def _set_receipt_times(paths: list[Path], quarter: Quarter, late: Path | None) -> None:
    """Files arrive a few days after the quarter ends (Beijing time); one arrives after the deadline."""
    deadline = submission_deadline(quarter).replace(tzinfo=ZoneInfo(BUREAU_TIMEZONE))
    for n, path in enumerate(paths):
        when = deadline - timedelta(days=4, hours=n) if path != late else deadline + timedelta(days=2)
        os.utime(path, (when.timestamp(), when.timestamp()))


def _typical_mistake(
    n: int, unit: str, wb, data_rows: dict[str, int], milestone_rows: list[int]
) -> list[DemoMistake]:
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
