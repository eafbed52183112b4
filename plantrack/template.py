"""Blank submission workbooks, pre-filled with a unit's indicators and milestones.

The layout is the submission workbook contract in PRODUCT.md: sheet ``填报``
(title, unit and period cells, then the indicator table), sheet ``重点任务``,
an instructions sheet, and a very hidden ``_plantrack`` sheet carrying the
machine-readable identity so that a renamed file is still recognised.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from plantrack.catalog import Catalog, Unit
from plantrack.periods import Quarter
from plantrack.workbook_contract import (
    DATA_HEADER_ROW,
    DATA_HEADERS,
    DATA_SHEET,
    HELP_SHEET,
    IDENTITY_SHEET,
    MILESTONE_HEADER_ROW,
    MILESTONE_HEADERS,
    MILESTONE_SHEET,
    MILESTONE_STATUSES,
    TEMPLATE_VERSION,
)

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_COLOR = "FFF2CC"  # the pale yellow of cells to fill in; the fix-it's marks differ from it
_INPUT_FILL = PatternFill("solid", fgColor=INPUT_COLOR)
_UNLOCKED = Protection(locked=False)

HELP_TEXT = (
    "填写说明",
    "1. 本表由 plantrack 生成，请勿修改表格结构、指标编号和隐藏内容；只在黄色单元格中填写。",
    "2. “累计完成”填写截至本季度末的累计数：新增类指标填写1月1日至本季度末的累计新增数，"
    "总量类指标（统计口径为“期末总量”）填写本季度末的总数。",
    "3. 请填写纯数字，不要带单位或文字，例如填写 12，而不是“12家”；金额按“单位”列的单位填写。",
    "4. 没有进展的指标请填写 0，并在“说明”中写明原因；请不要留空。累计完成低于序时进度"
    "（按年度目标和进度安排，截至本季度末应完成的数）的，请在“说明”中写明原因和下一步措施。",
    "5. “重点任务”表中的“进展状态”请从下拉列表中选择：未启动、推进中、已完成；"
    "标记为“已完成”的任务请在“进展说明”和“佐证材料”中写明完成情况和佐证材料名称。",
    "6. 可用 Excel、WPS 或 LibreOffice 填写。填好后按原文件名保存，报送至{issuer}；"
    "建议保存为 .xlsx，也可保存为 .xls、.ods 或 CSV（.csv，UTF-8 或 GBK 编码；CSV 只保存“填报”表）。"
    "保存时不要设置打开密码。",
    "7. 如校验未通过，系统会返回一份“问题工作簿”（.xlsx）：红色单元格为错误，必须修改；"
    "橙色单元格为警告，请核实；鼠标移到单元格上可查看批注。按批注修改后保存并重新报送即可。",
)


def template_filename(unit: Unit, quarter: Quarter) -> str:
    return f"{quarter.code}_{unit.code}_{unit.name}_季度填报表.xlsx"


def write_template(
    catalog: Catalog, unit: Unit, quarter: Quarter, path: Path, generated_at: datetime | None = None
) -> Path:
    """Write the unit's blank workbook for ``quarter`` to ``path``.

    ``generated_at`` (UTC) pins the identity timestamp, for reproducible fixtures.
    """
    wb = build_template(catalog, unit, quarter, generated_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def build_template(
    catalog: Catalog, unit: Unit, quarter: Quarter, generated_at: datetime | None = None
) -> Workbook:
    """The unit's blank workbook for ``quarter``, not saved (the fix-it workbook starts from it)."""
    generated_at = generated_at or datetime.now(UTC)
    wb = Workbook()
    _data_sheet(wb.active, catalog, unit, quarter)
    _milestone_sheet(wb.create_sheet(MILESTONE_SHEET), catalog, unit, quarter)
    _help_sheet(wb.create_sheet(HELP_SHEET), catalog.issuer)
    _identity_sheet(wb.create_sheet(IDENTITY_SHEET), catalog, unit, quarter, generated_at)
    wb.properties.title = f"{catalog.title} {quarter.label} {unit.name}"
    wb.properties.creator = "plantrack"
    wb.properties.created = generated_at.replace(tzinfo=None)
    return wb


def data_rows(catalog: Catalog, unit: Unit) -> dict[str, int]:
    """Indicator id → its row on 填报 in the unit's template."""
    return {
        ind.id: row for row, ind in enumerate(catalog.indicators_for(unit.code), start=DATA_HEADER_ROW + 1)
    }


def milestone_rows(catalog: Catalog, unit: Unit) -> dict[str, int]:
    """Task id → its row on 重点任务 in the unit's template."""
    return {
        ms.id: row for row, ms in enumerate(catalog.milestones_for(unit.code), start=MILESTONE_HEADER_ROW + 1)
    }


def _title(ws, text: str, width: int) -> None:
    ws.cell(row=1, column=1, value=text).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")


def _header_row(ws, row: int, headers: tuple[str, ...]) -> None:
    for col, title in enumerate(headers, start=1):
        c = ws.cell(row=row, column=col, value=title)
        c.font = Font(bold=True)
        c.fill = _HEADER_FILL
        c.border = _BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _identity_cells(ws, unit: Unit, quarter: Quarter) -> None:
    ws["A2"], ws["B2"] = "填报单位：", unit.name
    ws["D2"], ws["E2"] = "报告期：", quarter.label


def _input(cell) -> None:
    cell.fill = _INPUT_FILL
    cell.protection = _UNLOCKED
    cell.border = _BORDER


def _value_validations(ws) -> tuple[DataValidation, DataValidation]:
    """(non-negative, signed): a count cannot fall below 0, an increase can be a decrease."""
    numbers = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="请填写数字",
        error="“累计完成”只能填写不小于0的数字，不要带单位或文字。",
    )
    signed = DataValidation(
        type="decimal",
        operator="between",
        formula1="-1E+15",
        formula2="1E+15",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="请填写数字",
        error="“累计完成”只能填写数字（下降填负数），不要带单位或文字。",
    )
    ws.add_data_validation(numbers)
    ws.add_data_validation(signed)
    return numbers, signed


def _data_sheet(ws, catalog: Catalog, unit: Unit, quarter: Quarter) -> None:
    ws.title = DATA_SHEET
    _title(ws, f"{catalog.title}量化指标完成情况（{quarter.label}）", len(DATA_HEADERS))
    _identity_cells(ws, unit, quarter)
    ws["A3"] = "累计完成：新增类填1月1日至本季度末累计数；期末总量类填季度末总数。只填黄色单元格。"
    _header_row(ws, DATA_HEADER_ROW, DATA_HEADERS)
    numbers, signed = _value_validations(ws)
    for row, ind in enumerate(catalog.indicators_for(unit.code), start=DATA_HEADER_ROW + 1):
        target, stretch = catalog.unit_target(ind, unit.code)
        values = (
            ind.id,
            ind.name,
            ind.unit,
            target,
            None,
            None,
            stretch,
            "期末总量" if ind.cumulative else "年内累计新增",
        )
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=value).border = _BORDER
        ws.cell(row=row, column=2).comment = Comment(f"计划原文：{ind.text}", "plantrack")
        _input(ws.cell(row=row, column=5))
        _input(ws.cell(row=row, column=6))
        (signed if ind.is_relative else numbers).add(ws.cell(row=row, column=5))
    for col, width in zip("ABCDEFGH", (10, 30, 8, 10, 12, 30, 10, 12), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = ws.cell(row=DATA_HEADER_ROW + 1, column=1)
    ws.protection.sheet = True


def _milestone_sheet(ws, catalog: Catalog, unit: Unit, quarter: Quarter) -> None:
    _title(ws, f"{catalog.title}重点任务进展情况（{quarter.label}）", len(MILESTONE_HEADERS))
    _identity_cells(ws, unit, quarter)
    _header_row(ws, MILESTONE_HEADER_ROW, MILESTONE_HEADERS)
    statuses = DataValidation(
        type="list",
        formula1='"' + ",".join(MILESTONE_STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="请从下拉列表选择",
        error="进展状态只能是：未启动、推进中、已完成。",
    )
    ws.add_data_validation(statuses)
    row = MILESTONE_HEADER_ROW
    for ms in catalog.milestones_for(unit.code):
        row += 1
        ws.cell(row=row, column=1, value=ms.id).border = _BORDER
        c = ws.cell(row=row, column=2, value=ms.name)
        c.border = _BORDER
        c.comment = Comment(f"计划原文：{ms.text}", "plantrack")
        for col in (3, 4, 5):
            _input(ws.cell(row=row, column=col))
        statuses.add(ws.cell(row=row, column=3))
    for col, width in zip("ABCDE", (10, 36, 10, 40, 24), strict=True):
        ws.column_dimensions[col].width = width
    ws.protection.sheet = True


def _help_sheet(ws, issuer: str) -> None:
    ws.title = HELP_SHEET
    for row, line in enumerate(HELP_TEXT, start=1):
        line = line.replace("{issuer}", issuer or "计划的发文单位")
        ws.cell(row=row, column=1, value=line).alignment = Alignment(wrap_text=True)
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 110


def _identity_sheet(ws, catalog: Catalog, unit: Unit, quarter: Quarter, generated_at: datetime) -> None:
    identity = {
        "format": "plantrack-submission",
        "unit": unit.code,
        "unit_name": unit.name,
        "quarter": quarter.code,
        "template_version": TEMPLATE_VERSION,
        "catalog_version": catalog.version,
        "generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for row, (key, value) in enumerate(identity.items(), start=1):
        ws.cell(row=row, column=1, value=key)
        ws.cell(row=row, column=2, value=value)
    ws.sheet_state = "veryHidden"


CORE_PROPERTIES = "docProps/core.xml"  # the document's properties, with its times


def save_reproducibly(wb, path: Path, saved_at: datetime) -> None:
    """Save ``wb`` so that the same content always gives the same bytes.

    openpyxl stamps the time of saving twice: as the document's modified time and on
    every member of the zip. Both are ``saved_at`` here (UTC; an aware time is converted).
    A file mailed again only when its bytes changed (``plantrack.publish``) is then mailed
    again only when its content did.
    """
    if saved_at.tzinfo is not None:
        saved_at = saved_at.astimezone(UTC).replace(tzinfo=None)
    from openpyxl.xml.functions import tostring

    buffer = io.BytesIO()
    wb.save(buffer)  # sets wb.properties.modified to now
    wb.properties.created = wb.properties.modified = saved_at
    buffer.seek(0)
    stamp = saved_at.timetuple()[:6]
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for member in src.infolist():
            fixed = zipfile.ZipInfo(member.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = member.external_attr
            data = src.read(member)
            if member.filename == CORE_PROPERTIES:
                data = tostring(wb.properties.to_tree())
            dst.writestr(fixed, data)
