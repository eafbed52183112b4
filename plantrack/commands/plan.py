"""``plantrack plan``: the plan catalog."""

from __future__ import annotations

from plantrack.cli import EXIT_OK, load_catalog, print_json
from plantrack.settings import load_settings

ORDER = 20


def _target_text(e: dict) -> str:
    if e["range_max"] is not None:
        return f"{e['target']:g}-{e['range_max']:g}{e['unit']}"
    text = f"{e['target']:g}{e['unit']}"
    if e["stretch"] is not None:
        text += f"（力争{e['stretch']:g}{e['unit']}）"
    return text


def cmd_show(args) -> int:
    catalog = load_catalog(load_settings())
    entries = catalog.entries()
    if args.json:
        print_json(entries)
        return EXIT_OK
    print(f"{catalog.title}（{catalog.document_number}）目录版本 {catalog.version}")
    print(f"量化指标 {len(catalog.indicators)} 项，重点任务 {len(catalog.milestones)} 项\n")
    for e in entries:
        if e["kind"] == "indicator":
            print(f"{e['id']:<9} {e['name']}：{_target_text(e)} [{e['qualifier']}]")
        else:
            print(f"{e['id']:<9} {e['name']}（重点任务）")
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
