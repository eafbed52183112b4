"""Every issue code any part of plantrack produces, registered once.

An entry says what one code means to a steward: its severity, a Chinese title
(``cause``), and the message and fix hint templates ``make_issue`` fills from the
issue's fields (``{found}``, ``{expected}``, ``{id}``, ``{name}``) and its details.
Constructing an ``Issue`` with a code that is not here raises, so a producer that
invents a code fails in its tests; tests/test_issue_registry.py also reads the source
tree for codes written into ``Issue(…)``, ``make_issue(…)`` and ``UnreadableFile(…)``.

Renderers (console, JSON, fix-it workbook, quality page, PDF appendix, reminders)
look the title up here by code, so a problem is called the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Severity(StrEnum):
    ERROR = "error"  # the row (or file) is rejected and quarantined
    WARNING = "warning"  # the value loads and the problem is shown


SEVERITY_LABEL = {Severity.ERROR: "错误", Severity.WARNING: "警告"}
ERROR, WARNING = Severity.ERROR, Severity.WARNING


class UnknownIssueCode(ValueError):
    """An issue was made with a code the registry does not know, or at a severity it does
    not allow: a programming error, never a steward's."""


@dataclass(frozen=True)
class IssueType:
    """What one issue code means to a steward. Templates see the issue's fields and details."""

    code: str
    severity: Severity
    cause: str  # the title; completes “E列37个单元格…”, so problems of one cause group
    message: str
    hint: str
    may_warn: bool = False  # its check may raise it as a warning (an optional column missing)

    def allows(self, severity: Severity) -> bool:
        return severity == self.severity or (self.may_warn and severity == Severity.WARNING)


# The reader's reasons for refusing a file; the message is the reader's own reason.
_UNREADABLE = "无法读取：{reason}"
_RESAVE = "请用 Excel 打开该文件确认内容完整，另存为 .xlsx（Excel 工作簿）后重新报送。"
_USE_TEMPLATE = "请使用系统下发的模板填报，不要删除或改写表头行。"

_TYPES = (
    # -- a file that cannot be read (plantrack/reader.py, UnreadableFile) --------------
    IssueType(
        "unreadable",
        ERROR,
        "无法读取",
        _UNREADABLE,
        "请用 Excel 打开该文件确认内容完整，另存为 .xlsx 后重新报送。",
    ),
    IssueType("missing", ERROR, "找不到文件", _UNREADABLE, _RESAVE),
    IssueType(
        "empty", ERROR, "文件为空", _UNREADABLE, "请重新导出或另存该工作簿，确认文件大小不为 0 后再报送。"
    ),
    IssueType(
        "too_large", ERROR, "文件过大", _UNREADABLE, "请删除与填报无关的工作表、图片后另存为 .xlsx 重新报送。"
    ),
    IssueType("corrupt", ERROR, "文件已损坏", _UNREADABLE, _RESAVE),
    IssueType(
        "zip_bomb",
        ERROR,
        "疑似压缩炸弹",
        _UNREADABLE,
        "请确认文件来源；用 Excel 打开原始报表，只保留填报内容后另存为 .xlsx 重新报送。",
    ),
    IssueType("not_a_spreadsheet", ERROR, "不是 Excel 工作簿", _UNREADABLE, _RESAVE),
    IssueType(
        "encrypted",
        ERROR,
        "文件设置了打开密码",
        _UNREADABLE,
        "请在 Excel 中“文件 → 信息 → 保护工作簿 → 用密码进行加密”里清空密码，保存后重新报送。",
    ),
    IssueType(
        "encoding", ERROR, "无法识别 CSV 文件的编码", _UNREADABLE, "请用 Excel 打开后另存为 .xlsx 重新报送。"
    ),
    IssueType(
        "chinese_lost",
        ERROR,
        "CSV 文件中的中文已丢失",
        _UNREADABLE,
        "请用 Excel、WPS 或 LibreOffice 打开原始报表，另存为 .xlsx，"
        "或另存为 UTF-8 或 GBK 编码的 CSV 后重新报送。",
    ),
    IssueType(
        "sheet_too_large",
        ERROR,
        "工作表的行列超出上限",
        _UNREADABLE,
        "请删除表格下方和右侧多余的行列（包括远处误填的单元格）后保存，再重新报送。",
    ),
    IssueType("unsafe_xml", ERROR, "含有不允许的 XML 声明", _UNREADABLE, _RESAVE),
    IssueType("unexpected", ERROR, "读取时出现意外错误", _UNREADABLE, _RESAVE),
    IssueType("no_header", ERROR, "找不到表头行", _UNREADABLE, _USE_TEMPLATE),
    IssueType(
        "no_data_sheet",
        ERROR,
        "找不到填报工作表",
        _UNREADABLE,
        "请使用系统下发的模板填报，不要删除或改名“填报”工作表。",
    ),
    # -- what the reader notices in a file it can read ---------------------------------
    IssueType(
        "identity_mismatch",
        WARNING,
        "填报单位或报告期前后不一致",
        "{source}中的{what}（{found}）与识别结果（{expected}）不一致",
        "请确认{subject}，改正表头“{what}”或文件名后重新报送。",
    ),
    IssueType(
        "external_links",
        WARNING,
        "含有外部链接",
        "工作簿含有外部链接（引用了其他文件的数据）；已按文件中保存的数值读取，没有打开或更新被引用的文件",
        "请把引用外部文件的公式改为数值（复制后“选择性粘贴 → 数值”）后重新报送，以免数据随外部文件变化。",
    ),
    IssueType(
        "formula_without_value",
        WARNING,
        "为没有保存计算结果的公式",
        "单元格是公式（{found}），但文件中没有保存计算结果，按空值处理",
        "请在 Excel 中打开该文件、确认公式算出结果后保存，或直接填写数值，再重新报送。",
    ),
    IssueType(
        "missing_milestone_sheet",
        WARNING,
        "缺少重点任务工作表",
        "文件中没有“{sheet_name}”工作表（或其中找不到“任务编号”“进展状态”表头），本次未读取重点任务进展",
        "如需报送重点任务进展，请使用系统下发的模板，在“{sheet_name}”工作表中填写。",
    ),
    # -- the file as a whole (plantrack/validate) ---------------------------------------
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
    # -- indicator rows ------------------------------------------------------------------
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
    # -- history (last quarter's accepted figures) ----------------------------------------
    IssueType(
        "ytd_decreased",
        ERROR,
        "累计数低于上季度",
        "累计完成 {found} 低于上季度已采用的累计数 {expected}（年内累计数不会减少）",
        "请填写1月1日至本季度末的累计数（含以前季度），不是本季度的当季数；"
        "如上季度数有误，请在“说明”中写明并联系市科技局更正。",
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
    # -- milestone rows -----------------------------------------------------------------
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
    # -- several files --------------------------------------------------------------------
    IssueType(
        "city_total_mismatch",
        WARNING,
        "全市合计与各单位之和不一致",
        "全市合计 {found} 与各单位填报之和 {expected} 不一致",
        "请核对全市合计数和各单位的填报数，改正有误的一方后重新报送。",
    ),
    # -- plan workbooks: 目标分解 and 年初基数 (plantrack plan allocate / baselines --read) ------
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
        "各单位目标之和小于全市目标",
        "指标 {id}（{name}）各单位目标之和 {found} 小于全市目标 {expected}",
        "请调整各单位的目标，使合计不小于全市目标（表中“核对”列显示是否平衡）。",
    ),
    IssueType(
        "plan_unknown_row",
        WARNING,
        "计划中没有的指标",
        "第{row}行的指标编号“{found}”不在计划中，已忽略",
        "请不要增删行或改动编号；计划有变时请重新生成工作簿。",
    ),
)


def _register(types: tuple[IssueType, ...]) -> MappingProxyType:
    registry: dict[str, IssueType] = {}
    for t in types:
        if t.code in registry:
            raise UnknownIssueCode(f"issue code {t.code!r} is registered twice")
        registry[t.code] = t
    return MappingProxyType(registry)


REGISTRY: MappingProxyType = _register(_TYPES)  # code → IssueType, in the order above
# the codes of a file that cannot be read at all (``UnreadableFile.code``)
UNREADABLE_CODES = (
    "unreadable",
    "missing",
    "empty",
    "too_large",
    "corrupt",
    "zip_bomb",
    "not_a_spreadsheet",
    "encrypted",
    "encoding",
    "unsafe_xml",
    "unexpected",
    "no_header",
    "no_data_sheet",
    "chinese_lost",
    "sheet_too_large",
)


def issue_type(code: str, severity: Severity | None = None) -> IssueType:
    """The registered meaning of ``code``; raises for an unknown code or a severity it
    does not allow."""
    try:
        t = REGISTRY[code]
    except KeyError:
        raise UnknownIssueCode(
            f"issue code {code!r} is not registered in plantrack/issues/registry.py"
        ) from None
    if severity is not None and not t.allows(severity):
        raise UnknownIssueCode(f"issue code {code!r} is registered as {t.severity}, not {severity}")
    return t
