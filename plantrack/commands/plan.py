"""``plantrack plan``: the plan catalog."""

from __future__ import annotations

from pathlib import Path

from plantrack.cli import EXIT_OK, CliError, load_catalog, print_json
from plantrack.settings import load_settings

ORDER = 20


def _target_text(e: dict) -> str:
    if e["range_max"] is not None:
        return f"{e['target']:g}-{e['range_max']:g}{e['unit']}"
    text = f"{e['target']:g}{e['unit']}"
    if e["stretch"] is not None:
        text += f"（力争{e['stretch']:g}{e['unit']}）"
    return text


def _print_entries(entries: list[dict], heading: str) -> None:
    """A heading with the counts, then one line per indicator or milestone."""
    indicators = sum(e["kind"] == "indicator" for e in entries)
    print(f"{heading}\n量化指标 {indicators} 项，重点任务 {len(entries) - indicators} 项\n")
    for e in entries:
        if e["kind"] == "indicator":
            print(f"{e['id']:<9} {e['name']}：{_target_text(e)} [{e['qualifier']}]  {e['text']}")
        else:
            print(f"{e['id']:<9} （重点任务）{e['name']}")


def cmd_show(args) -> int:
    catalog = load_catalog(load_settings())
    entries = catalog.entries()
    if args.json:
        print_json(entries)
    else:
        _print_entries(entries, f"{catalog.title}（{catalog.document_number}）目录版本 {catalog.version}")
    return EXIT_OK


def cmd_extract(args) -> int:
    from plantrack.extract import PlanTextError, extract_catalog, read_plan_text

    try:
        entries = extract_catalog(read_plan_text(Path(args.plan)))
    except PlanTextError as exc:
        message = str(exc)
        raise CliError(message if args.plan in message else f"{args.plan}：{message}") from exc
    if args.json:
        print_json(entries)
    else:
        _print_entries(entries, f"草稿目录（{args.plan}）：须对照原文人工审核")
    return EXIT_OK


def register(sub) -> None:
    p = sub.add_parser("plan", help="计划目录：查看指标与重点任务",
                       description="查看计划目录中的量化指标和重点任务。")
    plan_sub = p.add_subparsers(dest="plan_command", metavar="SUBCOMMAND")
    plan_sub.required = True
    ps = plan_sub.add_parser("show", help="列出目录中的全部指标和重点任务",
                             description="列出目录中的全部指标和重点任务。")
    ps.add_argument("--json", action="store_true", help="以 JSON 输出")
    ps.set_defaults(func=cmd_show)
    pe = plan_sub.add_parser("extract", help="从计划文本中提取草稿目录",
                             description="从工作要点、工作计划等计划文本中提取量化指标和重点任务，"
                                         "生成草稿目录（UTF-8 或 GBK 编码的文本文件）。")
    pe.add_argument("plan", metavar="PLAN.txt", help="计划文本文件")
    pe.add_argument("--json", action="store_true", help="以 JSON 输出")
    pe.set_defaults(func=cmd_extract)
