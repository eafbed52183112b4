"""One model for every problem found in a submission.

An ``Issue`` is data: a stable code, a severity, where it is (file, sheet,
cell), what was found, what was expected, and a Chinese message and fix hint
for the steward. Checks yield issues; renderers (console, JSON, fix-it
workbook, PDF appendix) turn the same list into what each reader needs.
Its code must be registered (``plantrack.issues.registry``); ``make_issue``
writes the message and hint from the registered templates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from plantrack.issues.registry import SEVERITY_LABEL, Severity, issue_type


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

    def __post_init__(self) -> None:
        issue_type(self.code, self.severity)  # raises for a code nobody registered

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


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return ""


def make_issue(
    code: str, severity: Severity | None = None, name: str = "", details: dict | None = None, **fields
) -> Issue:
    """An issue with the Chinese message and hint registered for ``code``, filled from its
    fields (``{id}`` is the indicator id, ``{name}`` its name) and ``details``.

    ``severity`` None: the registered one.
    """
    t = issue_type(code, severity)
    values = _Values(
        name=name,
        id=fields.get("indicator_id", ""),
        found=fields.get("found", ""),
        expected=fields.get("expected", ""),
        **(details or {}),
    )
    return Issue(
        code=code,
        severity=severity or t.severity,
        message=t.message.format_map(values),
        hint=t.hint.format_map(values),
        **fields,
    )


def has_errors(issues: list[Issue]) -> bool:
    return any(i.is_error for i in issues)
