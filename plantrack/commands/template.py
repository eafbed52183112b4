"""``plantrack template``: blank submission workbooks."""

from __future__ import annotations

from pathlib import Path

from plantrack.cli import EXIT_OK, CliError, load_catalog, parse_quarter_arg, progress
from plantrack.settings import load_settings

ORDER = 30


def cmd_template(args) -> int:
    from plantrack.reader import match_unit
    from plantrack.template import template_filename, write_template

    settings = load_settings()
    quarter = parse_quarter_arg(args.quarter)
    catalog = load_catalog(settings, quarter)
    if args.all:
        units = [
            u
            for u in catalog.reporting_units()
            if catalog.indicators_for(u.code) or catalog.milestones_for(u.code)
        ]
    else:
        code = match_unit(args.unit, catalog.units)
        if code is None:
            names = "、".join(f"{u.code}（{u.name}）" for u in catalog.units.values())
            raise CliError(f"未知的填报单位“{args.unit}”，可选：{names}")
        units = [catalog.units[code]]
    out = Path(args.out)
    for unit in units:
        print(write_template(catalog, unit, quarter, out / template_filename(unit, quarter)))
    progress(f"已生成 {len(units)} 个{quarter.label}填报模板，位于 {out}")
    return EXIT_OK


def register(sub) -> None:
    p = sub.add_parser(
        "template",
        help="生成空白填报模板",
        description="生成某季度的空白填报工作簿，已预填本单位的指标、目标和重点任务。",
    )
    p.add_argument("--quarter", required=True, help="报告期，格式 YYYYQn，按该年度的计划生成")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--unit", help="填报单位代码或名称（见计划的 units.toml）")
    who.add_argument("--all", action="store_true", help="为全部填报单位生成")
    p.add_argument("--out", required=True, help="输出文件夹")
    p.set_defaults(func=cmd_template)
