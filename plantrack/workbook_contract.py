"""The submission workbook contract (PRODUCT.md): its sheets, headers and statuses.

Both sides of the contract read these names: ``plantrack.template`` writes the blank
workbooks with them, the reader and the checks find what stewards filled in by them.
They live apart from the writer so that reading a submission (``plantrack check``, the
quarterly run) does not import openpyxl, which only the writers use.
"""

from __future__ import annotations

TEMPLATE_VERSION = "1"
DATA_SHEET = "填报"
MILESTONE_SHEET = "重点任务"
HELP_SHEET = "填写说明"
IDENTITY_SHEET = "_plantrack"
DATA_HEADERS = ("指标编号", "指标名称", "单位", "年度目标", "累计完成", "说明", "力争目标", "统计口径")
MILESTONE_HEADERS = ("任务编号", "任务内容", "进展状态", "进展说明", "佐证材料")
MILESTONE_STATUSES = ("未启动", "推进中", "已完成")
DATA_HEADER_ROW = 4
MILESTONE_HEADER_ROW = 3
