"""The one error a submission that cannot be read at all raises, and its codes."""

from __future__ import annotations

from plantrack.issues import UNREADABLE_CODES as REGISTERED_UNREADABLE
from plantrack.issues import Issue, Severity

DEFAULT_HINT = (
    "请用 Excel、WPS 或 LibreOffice 打开该文件确认内容完整，"
    "另存为 .xlsx（Excel 工作簿）后重新报送（.xls、.ods、.csv 也可以）。"
)
EXPECTED_FILE = "电子表格文件（.xlsx/.xls/.ods）或 CSV 文件（.csv）"
NOT_A_SPREADSHEET_HINT = (
    "请确认报送的是填好的报表本身：用 Excel、WPS 或 LibreOffice 打开它，"
    "另存为 .xlsx（或 .xls、.ods、.csv）后重新报送；不要只改文件扩展名。"
)
ENCRYPTED_HINT = (
    "请去掉打开密码后保存，再重新报送：Excel 中“文件 → 信息 → 保护工作簿 → 用密码进行加密”里清空密码；"
    "WPS 中“文件 → 文档加密 → 密码加密”里清空打开密码；"
    "LibreOffice 中“文件 → 另存为”时取消勾选“使用密码保存”。"
)

# Every code an UnreadableFile carries (registered in plantrack.issues with its title and
# hint); it becomes the code of the file's one issue.
UNREADABLE_CODES = frozenset(REGISTERED_UNREADABLE)


class UnreadableFile(Exception):
    """The file cannot be read as a submission at all; the message is for the steward.

    ``str(exc)`` names the file (and the sheet or cell where one applies) and the
    reason, in Chinese. ``as_issue`` turns it into the one issue model, keeping
    ``code`` (encrypted, zip_bomb …) so that each cause can be told apart.
    """

    def __init__(
        self,
        reason: str,
        *,
        code: str = "unreadable",
        file: str = "",
        sheet: str = "",
        cell: str = "",
        found: str = "",
        expected: str = EXPECTED_FILE,
        hint: str = DEFAULT_HINT,
    ):
        self.reason, self.code, self.hint = reason, code, hint
        self.file, self.sheet, self.cell = file, sheet, cell
        self.found, self.expected = found, expected
        super().__init__(self.text())

    def location(self) -> str:
        return " / ".join(p for p in (self.file, self.sheet, self.cell) if p)

    def text(self) -> str:
        where = self.location()
        return f"{where}：{self.reason}" if where else self.reason

    def __str__(self) -> str:
        return self.text()

    def as_issue(self, unit: str = "") -> Issue:
        return Issue(
            self.code,
            Severity.ERROR,
            f"无法读取：{self.reason}",
            self.hint,
            file=self.file,
            sheet=self.sheet,
            cell=self.cell,
            unit=unit,
            found=self.found,
            expected=self.expected,
        )

    def __reduce__(self):  # keep every field across processes (a flow's task result)
        fields = {k: getattr(self, k) for k in ("code", "file", "sheet", "cell", "found", "expected", "hint")}
        return _unreadable, (self.reason, fields)


def _unreadable(reason: str, fields: dict) -> UnreadableFile:
    return UnreadableFile(reason, **fields)
