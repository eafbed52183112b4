"""The codes of the plan workbooks 目标分解 and 年初基数 (plantrack/plan_workbooks, read by
``plantrack plan allocate --read`` and ``plantrack plan baselines --read``)."""

from __future__ import annotations

from plantrack.issues.registry import ERROR, WARNING, IssueType

# A plan workbook read back.
PLAN_WORKBOOK_CHECKS = (
    IssueType(
        "plan_workbook_mismatch",
        ERROR,
        "不是本年度计划的工作簿",
        "该工作簿是{found}，本次读取的是{expected}",
        "请用 plantrack plan allocate（或 baselines）--year 年份 --out 重新生成工作簿后填写。",
    ),
    IssueType(
        "plan_value_missing",
        ERROR,
        "目标未填写",
        "指标 {id}（{name}）{unit_name}的目标未填写",
        "每个单位都要填写；没有分解任务的单位请填 0。",
    ),
    IssueType(
        "plan_value_not_number",
        ERROR,
        "填写的不是数字",
        "指标 {id}（{name}）{unit_name}填写的“{found}”不是数字",
        "请只填写数字，不要带计量单位或文字。",
    ),
    IssueType(
        "plan_value_negative",
        ERROR,
        "数值为负",
        "指标 {id}（{name}）{unit_name}的数值 {found} 为负数",
        "目标和基数都不能为负数，请改正。",
    ),
    IssueType(
        "allocation_below_target",
        ERROR,
        "各单位目标之和小于总目标",
        "指标 {id}（{name}）各单位目标之和 {found} 小于{whole}目标 {expected}",  # Catalog.whole
        "请调整各单位的目标，使合计不小于{whole}目标（表中“核对”列显示是否平衡）。",
    ),
    IssueType(
        "plan_unknown_row",
        WARNING,
        "计划中没有的指标",
        "第{row}行的指标编号“{found}”不在计划中，已忽略",
        "请不要增删行或改动编号；计划有变时请重新生成工作簿。",
    ),
)
