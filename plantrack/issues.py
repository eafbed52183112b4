"""One model for every problem found in a submission.

An ``Issue`` is data: a stable code, a severity, where it is (file, sheet,
cell), what was found, what was expected, and a Chinese message and fix hint
for the steward. Checks yield issues; renderers (console, JSON, fix-it
workbook, PDF appendix) turn the same list into what each reader needs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the row (or file) is rejected and quarantined
    WARNING = "warning"  # the value loads and the problem is shown


SEVERITY_LABEL = {Severity.ERROR: "错误", Severity.WARNING: "警告"}


@dataclass(frozen=True)
class Issue:
    code: str
    severity: Severity
    message: str  # Chinese, for the steward
    hint: str = ""  # how to fix it, Chinese
    file: str = ""
    sheet: str = ""
    cell: str = ""
    unit: str = ""
    indicator_id: str = ""
    found: str = ""
    expected: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    def location(self) -> str:
        parts = [p for p in (self.file, self.sheet, self.cell) if p]
        return " / ".join(parts)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = str(self.severity)
        return d

    def as_text(self) -> str:
        """One line a steward can act on: where, what, why, how to fix."""
        where = self.location()
        text = f"[{SEVERITY_LABEL[self.severity]}] {where}：{self.message}"
        if self.found or self.expected:
            text += f"（填写内容：{self.found or '空'}；应为：{self.expected}）"
        if self.hint:
            text += f" 修改方法：{self.hint}"
        return text


def has_errors(issues: list[Issue]) -> bool:
    return any(i.is_error for i in issues)
