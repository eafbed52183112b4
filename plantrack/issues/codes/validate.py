"""The codes the checks of a submission produce (plantrack/validate, its expectation
suites and the cleaning of values)."""

from __future__ import annotations

from plantrack.issues.registry import ERROR, WARNING, IssueType

# The file as a whole: its unit, period and columns.
FILE_CHECKS = (
    IssueType(
        "unknown_unit",
        ERROR,
        "无法识别填报单位",
        "无法识别填报单位",
        "请在表头“填报单位”中填写单位全称（可选的单位见“应为”），或使用系统下发的本单位模板。",
    ),
    IssueType(
        "unit_mismatch",
        ERROR,
        "填报单位与模板不一致",
        "表头填写的填报单位“{found}”与模板标识的单位“{expected}”不一致",
        "请确认本表是哪个单位的报表：如是{expected}的报表，请把表头“填报单位”改为“{expected}”；"
        "如用了其他单位的模板，请改用本单位的模板重新填报。",
    ),
    IssueType(
        "period_mismatch",
        ERROR,
        "报告期与模板不一致",
        "表头填写的报告期“{found}”与模板标识的报告期“{expected}”不一致",
        "请确认报告期：如填报的是{expected}的数据，请把表头“报告期”改为“{expected}”；"
        "否则请使用对应季度的模板重新填报。",
    ),
    IssueType(
        "filename_mismatch",
        WARNING,
        "文件名与表内信息不一致",
        "文件名中的{what}“{found}”与表内的{what}“{expected}”不一致",
        "请确认文件内容属于哪个单位、哪个季度，并改正文件名（如“YYYYQ2_单位名称_季度填报表.xlsx”）。",
    ),
    IssueType(
        "period_missing",
        WARNING,
        "未写明报告期",
        "表中没有写明报告期，已按{expected}处理",
        "请在表头“报告期”中填写，如“YYYY年第二季度”。",
    ),
    IssueType(
        "wrong_quarter",
        ERROR,
        "报告期不是本次汇总的季度",
        "报告期为{found}，与本次汇总的{expected}不一致",
        "请确认报告期；如报错季度，请用本季度模板重新填报。",
    ),
    IssueType(
        "missing_column",
        ERROR,
        "缺少必需的列",
        "表中缺少“{expected}”列",
        "请按模板恢复“{expected}”列（表头行写“{expected}”），不要删除或改名模板中的列。",
        may_warn=True,
    ),
)

# Indicator rows: ids, units of measure and values.
INDICATOR_ROWS = (
    IssueType(
        "missing_indicator_id",
        ERROR,
        "缺少指标编号",
        "该行没有填写指标编号",
        "请按模板补全“指标编号”，不要删除或修改编号列。",
    ),
    IssueType(
        "unknown_indicator",
        ERROR,
        "指标编号不属于本单位",
        "指标编号“{found}”不属于本单位的填报指标",
        "请核对指标编号，使用本单位模板中的编号；多余的行请删除。",
    ),
    IssueType(
        "duplicate_indicator",
        ERROR,
        "指标重复填报",
        "指标 {id} 填报了不止一行",
        "每个指标只保留一行，删除重复的行后重新报送。",
    ),
    IssueType(
        "missing_indicator",
        ERROR,
        "缺少应报指标",
        "缺少指标 {id}（{name}）",
        "请在表中补上该指标的一行；没有进展请填写 0 并在“说明”中写明原因。",
    ),
    IssueType(
        "uom_mismatch",
        ERROR,
        "计量单位与计划不一致",
        "“单位”列填写的是“{found}”，该指标的计量单位应为“{expected}”",
        "请把“单位”改回“{expected}”，并按“{expected}”换算“累计完成”的数值。",
    ),
    IssueType(
        "value_not_number",
        ERROR,
        "不是数字",
        "“累计完成”应为数字，但填写的是“{found}”",
        "请只填写数字（如 12），不要带单位或文字；单位以“单位”列为准。",
    ),
    IssueType(
        "value_empty",
        ERROR,
        "未填写",
        "指标 {id}（{name}）的“累计完成”为空",
        "请填写截至本季度末的累计数；没有进展请填写 0。",
    ),
    IssueType(
        "excel_error",
        ERROR,
        "为 Excel 错误值",
        "单元格是 Excel 错误值 {found}，不是数字",
        "请检查该单元格的公式，改为直接填写数值后重新报送。",
    ),
    IssueType(
        "wrong_unit",
        ERROR,
        "所带单位与指标单位不一致",
        "数值“{found}”带的单位与指标单位“{expected}”不一致",
        "请按“单位”列的单位换算后只填写数字。",
    ),
    IssueType(
        "negative_value", ERROR, "为负数", "累计完成不能为负数（填写的是 {found}）", "请填写不小于 0 的数字。"
    ),
    IssueType(
        "percent_out_of_range",
        ERROR,
        "超出百分比的合理范围",
        "百分比超出合理范围：应为{expected}，填写的是 {found}",
        "请直接填写百分数的数值，如 2.3% 填写 2.3。",
    ),
    IssueType(
        "implausible_value",
        WARNING,
        "超过年度目标5倍",
        "数值 {found} 超过本单位年度目标（{target}）的{multiple}倍，请核实",
        "如数值无误请在“说明”中注明依据；如有误请改正。",
    ),
    IssueType(
        "number_as_text",
        WARNING,
        "为文本型数字",
        "数字以文本形式填写（“{found}”），已按 {expected} 读取",
        "请只填写数字，不要带单位、逗号或全角字符。",
    ),
    IssueType(
        "unit_converted",
        WARNING,
        "数值单位已换算",
        "数值单位与指标单位不同（“{found}”），已换算为 {expected}",
        "请按“单位”列的单位填写数字。",
    ),
    IssueType(
        "value_interpreted",
        WARNING,
        "为文字形式的数值",
        "“{found}”已按 {expected} 读取，请核实",
        "请只填写阿拉伯数字。",
    ),
)

# Against last quarter's accepted figures (plantrack/validate/history.py).
HISTORY_CHECKS = (
    IssueType(
        "ytd_decreased",
        ERROR,
        "累计数低于上季度",
        "累计完成 {found} 低于上季度已采用的累计数 {expected}（年内累计数不会减少）",
        "请填写1月1日至本季度末的累计数（含以前季度），不是本季度的当季数；"
        "如上季度数有误，请在“说明”中写明并联系主管部门更正。",
    ),
    IssueType(
        "stock_jump",
        WARNING,
        "较上季度变化过大",
        "期末总量由上季度的 {previous} 变为 {found}，变化 {change}，请核实",
        "如数值无误，请在“说明”中写明原因（如统计口径调整）；如有误请改正。",
    ),
    IssueType(
        "behind_without_note",
        WARNING,
        "低于序时进度但未说明原因",
        "累计完成 {found} 低于本季度末应完成的 {expected}（序时进度），“说明”为空",
        "请在“说明”中写明进度滞后的原因和下一步措施。",
    ),
)

# Milestone rows (plantrack/validate/milestones.py).
MILESTONE_ROWS = (
    IssueType(
        "missing_milestone_id",
        ERROR,
        "缺少任务编号",
        "该行没有填写任务编号",
        "请按模板补全“任务编号”，不要删除或修改编号列。",
    ),
    IssueType(
        "unknown_milestone",
        ERROR,
        "任务编号不在计划中",
        "任务编号“{found}”不在本年度计划中",
        "请使用模板中的任务编号。",
    ),
    IssueType(
        "duplicate_milestone",
        ERROR,
        "任务重复填报",
        "任务 {id} 填报了不止一行",
        "每项任务只保留一行，删除重复的行后重新报送。",
    ),
    IssueType(
        "invalid_status",
        ERROR,
        "进展状态不是可选值",
        "进展状态“{found}”不是可选值",
        "请从下拉列表中选择：未启动、推进中、已完成。",
    ),
    IssueType(
        "completed_without_evidence",
        WARNING,
        "已完成但没有说明或佐证",
        "任务 {id} 标记为“已完成”，但没有填写进展说明或佐证材料",
        "请在“进展说明”中写明完成情况，并在“佐证材料”中列出佐证文件的名称。",
    ),
)

# Several files together (plantrack/validate/cross_file.py).
CROSS_FILE_CHECKS = (
    IssueType(
        "city_total_mismatch",
        WARNING,
        "合计数与各单位之和不一致",
        "{whole}合计 {found} 与各单位填报之和 {expected} 不一致",  # whole: 全市, 全县 (Catalog.whole)
        "请核对{whole}合计数和各单位的填报数，改正有误的一方后重新报送。",
    ),
)
