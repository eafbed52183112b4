"""The one error a submission that cannot be read at all raises, and its codes."""

from __future__ import annotations

from plantrack.issues import Issue, Severity

DEFAULT_HINT = "请用 Excel 打开该文件确认内容完整，另存为 .xlsx（Excel 工作簿）后重新报送。"
EXPECTED_FILE = "Excel 工作簿（.xlsx/.xls）或 CSV 文件"

# Every code an UnreadableFile carries; it becomes the code of the file's one issue.
UNREADABLE_CODES = frozenset({
    "unreadable",  # the default, when no reason below applies
    "missing",  # no such file, or not a regular file
    "empty", "too_large",  # the size guards
    "zip_bomb", "corrupt",  # the zip guards, a broken workbook or CSV
    "encrypted",  # a password to open
    "not_a_spreadsheet",  # a PDF, a picture, a Word file … under a spreadsheet's name
    "encoding",  # a CSV in none of the encodings a steward's Excel writes
    "unsafe_xml",  # a DTD or entity declaration inside the .xlsx
    "no_header", "no_data_sheet",  # no indicator table to read
    "unexpected",  # a failure no rule foresaw
})


class UnreadableFile(Exception):
    """The file cannot be read as a submission at all; the message is for the steward.

    ``str(exc)`` names the file (and the sheet or cell where one applies) and the
    reason, in Chinese. ``as_issue`` turns it into the one issue model, keeping
    ``code`` (encrypted, zip_bomb …) so that each cause can be told apart.
    """

    def __init__(self, reason: str, *, code: str = "unreadable", file: str = "",
                 sheet: str = "", cell: str = "", found: str = "",
                 expected: str = EXPECTED_FILE, hint: str = DEFAULT_HINT):
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
        return Issue(self.code, Severity.ERROR, f"无法读取：{self.reason}", self.hint,
                     file=self.file, sheet=self.sheet, cell=self.cell, unit=unit,
                     found=self.found, expected=self.expected)

    def __reduce__(self):  # keep every field across processes (a flow's task result)
        fields = {k: getattr(self, k)
                  for k in ("code", "file", "sheet", "cell", "found", "expected", "hint")}
        return _unreadable, (self.reason, fields)


def _unreadable(reason: str, fields: dict) -> UnreadableFile:
    return UnreadableFile(reason, **fields)
