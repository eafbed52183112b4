"""The codes the submission reader produces (plantrack/reader): the reasons it refuses a
file for (``UnreadableFile``), and what it notices in a file it can read."""

from __future__ import annotations

from plantrack.issues.registry import ERROR, WARNING, IssueType

# The message of a file that cannot be read is the reader's own reason.
_UNREADABLE = "无法读取：{reason}"
_RESAVE = "请用 Excel 打开该文件确认内容完整，另存为 .xlsx（Excel 工作簿）后重新报送。"
_USE_TEMPLATE = "请使用系统下发的模板填报，不要删除或改写表头行。"

# A file that cannot be read at all.
UNREADABLE = (
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
)

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

# What the reader notices in a file it can read.
READER_NOTICES = (
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
)
