"""``plantrack progress``: computed progress per indicator, read from the warehouse."""

from __future__ import annotations

import unicodedata

from plantrack.cli import EXIT_OK, CliError, parse_quarter_arg, print_json

ORDER = 40
LEVELS = {
    "stretch_met": "达力争",
    "floor_met": "达确保",
    "below_floor": "",
    "within_ceiling": "未超限",
    "over_ceiling": "超上限",
}


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def _row(entry: dict, city: bool) -> list[str]:
    from plantrack.report import display_unit, format_number, format_percent

    uom = display_unit({"qualifier": entry["qualifier"], "unit_of_measure": entry["unit"]})
    last = (
        "、".join(f"{u['name']}{format_percent(u['share'], 0)}" for u in entry["shortfall_by_unit"][:3])
        if city
        else format_percent(entry["shortfall_share"], 0)
    )
    return [
        entry["id"],
        entry["name"],
        uom or "—",
        format_number(entry["target"], uom),
        format_number(entry["stretch"], uom),
        format_number(entry["actual"], uom),
        format_number(entry["expected_to_date"], uom),
        format_percent(entry["pct_of_target"]),
        entry["status"] + (f"（{LEVELS[entry['level']]}）" if LEVELS.get(entry["level"] or "") else ""),
        format_number(entry["projection"], uom),
        format_number(entry["needed_per_quarter"], uom),
        last or "—",
    ]


def format_table(doc: dict) -> str:
    """The progress document as a Chinese table for the terminal."""
    city = doc["scope"] == "city"
    header = [
        "编号",
        "指标",
        "单位",
        "目标",
        "力争",
        "累计完成",
        "序时应完成",
        "完成率",
        "状态",
        "年末预计",
        "每季度还需",
        "缺口主要在" if city else f"占{doc['whole']}缺口",
    ]
    rows = [_row(e, city) for e in doc["indicators"]]
    widths = [max(display_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = set(range(3, 8)) | {9, 10}
    lines = [
        "  ".join(pad(c, widths[i], i in numeric) for i, c in enumerate(r)).rstrip() for r in [header, *rows]
    ]
    counts = "，".join(f"{s}{n}项" for s, n in doc["status_counts"].items())
    title = f"{doc['quarter_label']} {doc['scope_name']}量化指标进度（{len(rows)}项）：{counts}"
    return "\n".join([title, "", *lines])


def cmd_progress(args) -> int:
    from plantrack import progress
    from plantrack.settings import load_settings

    quarter = parse_quarter_arg(args.quarter)
    settings = load_settings()
    try:
        con = progress.open_warehouse(settings.warehouse_path)
        try:
            progress.require_quarter(con, quarter)
            unit = progress.resolve_unit(con, args.unit, quarter.year) if args.unit else None
            doc = progress.progress_document(con, quarter, unit)
        finally:
            con.close()
    except progress.NoProgressData as exc:
        raise CliError(str(exc)) from exc
    if not doc["indicators"]:
        raise CliError(f"{doc['scope_name']}没有需要报送的量化指标。")
    if args.json:
        print_json(doc)
    else:
        print(format_table(doc))
    return EXIT_OK


def register(sub) -> None:
    p = sub.add_parser(
        "progress",
        help="查看各量化指标的进度：完成率、序时进度、状态、年末预计",
        description="从数据仓库（只读）读取一个季度各量化指标的进度：目标、累计完成、"
        "序时应完成、完成率、状态、年末预计、每季度还需完成量及各单位占全市缺口的比例。",
    )
    p.add_argument("--quarter", required=True, help="报告期，格式 YYYYQn，按该年度的计划核对")
    p.add_argument("--unit", help="只看一个填报单位（代码或名称，见计划的 units.toml）；默认看全市")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（一个文档）")
    p.set_defaults(func=cmd_progress)
