"""``plantrack check FILE``: the verdict the quarterly run would give, without loading anything.

Exit 0 when the file is valid (warnings allowed), 1 when it has errors, 2 when it
cannot be read at all. The warehouse is not opened, so the checks that need last
quarter's accepted figures are not run here.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from plantrack.cli import EXIT_ERRORS, EXIT_OK, EXIT_UNREADABLE, load_plan, parse_quarter_arg, print_json
from plantrack.issues import SEVERITY_LABEL, Issue
from plantrack.settings import load_settings

ORDER = 30
COLUMNS = (("单元格", 7), ("级别", 5), ("指标/任务", 10), ("填写内容", 16), ("应为", 18))


def width(text: str) -> int:
    """Columns a terminal gives ``text``: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def clip(text: str, columns: int) -> str:
    """``text`` cut to fit ``columns`` (with …), for the table; the full text is in --json."""
    if width(text) <= columns:
        return text
    out = ""
    for ch in text:
        if width(out + ch) > columns - 1:
            break
        out += ch
    return out + "…"


def exit_code(verdict) -> int:
    if verdict.unreadable is not None:
        return EXIT_UNREADABLE
    return EXIT_ERRORS if any(i.is_error for i in verdict.issues) else EXIT_OK


def _sheet_title(sheet: str) -> str:
    return f"工作表“{sheet}”" if sheet else "整个文件"


def _issue_lines(issue: Issue) -> list[str]:
    cells = (
        issue.cell or "—",
        SEVERITY_LABEL[issue.severity],
        issue.indicator_id or "—",
        issue.found or "—",
        issue.expected or "—",
    )
    row = "  ".join(pad(clip(v, w), w) for v, (_, w) in zip(cells, COLUMNS, strict=True))
    lines = ["  " + row.rstrip(), f"  {'':7}  问题：{issue.message}"]
    if issue.hint:
        lines.append(f"  {'':7}  修改：{issue.hint}")
    return lines


def render_text(verdict, catalog, path: Path) -> str:
    """A readable report in Chinese: the verdict, then the problems grouped by sheet."""
    issues = verdict.issues
    errors = sum(i.is_error for i in issues)
    lines = [f"文件：{path.name}"]
    sub = verdict.submission
    if sub is not None:
        unit = catalog.units[sub.identity.unit].name if sub.identity.unit else "未能识别"
        period = sub.identity.quarter.label if sub.identity.quarter else "未能识别"
        lines.append(f"填报单位：{unit}    报告期：{period}")
    if verdict.unreadable is not None:
        lines.append("结论：无法读取，请按下面的提示处理后重新报送。")
    elif errors:
        lines.append(
            f"结论：未通过 —— 错误 {errors} 处，警告 {len(issues) - errors} 处。"
            "有错误的行不会入库，请按下表修改后重新报送。"
        )
    elif issues:
        lines.append(f"结论：通过（有警告 {len(issues)} 处，数据可以入库，请核实）。")
    else:
        lines.append("结论：通过，没有发现问题。")
    sheets: dict[str, list[Issue]] = {}
    for issue in issues:
        sheets.setdefault(issue.sheet if issue.cell else "", []).append(issue)
    header = "  " + "  ".join(pad(t, w) for t, w in COLUMNS).rstrip()
    for sheet, found in sorted(sheets.items(), key=lambda kv: kv[0] != ""):
        lines += ["", f"{_sheet_title(sheet)}（{len(found)} 处）", header]
        for issue in found:
            lines += _issue_lines(issue)
    return "\n".join(lines)


def cmd_check(args) -> int:
    from plantrack.validate import check_file  # reading and GX: only when a file is checked

    settings = load_settings()
    quarter = parse_quarter_arg(args.quarter) if args.quarter else None
    path = Path(args.file)
    plan = load_plan(settings, quarter)
    verdict = check_file(path, plan.catalog, quarter, plan.suites_dir, data_docs=False)
    named = verdict.submission.identity.quarter if verdict.submission else None
    if quarter is None and named is not None and named.year != plan.year:
        plan = load_plan(settings, named)  # the file names a quarter of another year's plan
        verdict = check_file(path, plan.catalog, quarter, plan.suites_dir, data_docs=False)
    catalog = plan.catalog
    if args.json:
        print_json([i.to_dict() for i in verdict.issues])
    else:
        print(render_text(verdict, catalog, path))
    return exit_code(verdict)


def register(sub) -> None:
    p = sub.add_parser(
        "check",
        help="校验一份填报表（不入库）：列出每个问题单元格及修改方法",
        description="按季度流程的同样规则校验一份填报表，但不写入数据库。"
        "退出码：0 通过（可有警告），1 有错误，2 文件无法读取。"
        "需要上季度数据的核对（累计数不减少等）只在季度流程中进行。",
    )
    p.add_argument("file", metavar="FILE", help="填报表文件（.xlsx/.xls/.csv）")
    p.add_argument("--quarter", help="按此报告期核对，格式 YYYYQn（默认：文件自己写明的报告期）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出问题列表")
    p.set_defaults(func=cmd_check)
