"""The ``plantrack`` command: parse arguments, call the library, print results.

Known failures (bad input, a broken catalog, a missing font) become a clear
message and an exit code, never a traceback. With ``--json`` a command prints
one JSON document on standard output and nothing else there; progress goes to
standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from plantrack.settings import configure_prefect, load_settings

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


class CliError(Exception):
    """A user-facing failure: printed without a traceback."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _print_json(data) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _catalog(settings):
    from plantrack.catalog import CatalogError, catalog_from_settings

    try:
        return catalog_from_settings(settings)
    except CatalogError as exc:
        raise CliError(str(exc)) from exc


def _quarter(text: str):
    from plantrack.periods import parse_quarter

    try:
        return parse_quarter(text)
    except ValueError as exc:
        raise CliError(str(exc)) from exc


# -- run and demo -------------------------------------------------------------

def _run_flow(settings, quarter, inbox: Path | None, out: Path | None):
    configure_prefect(settings)
    from flows.quarterly import quarterly_run

    state = quarterly_run(quarter=quarter.code, inbox=str(inbox) if inbox else None,
                          out=str(out) if out else None, return_state=True)
    if not state.is_completed():
        raise CliError(f"季度流程未能完成（{state.name}）：{state.message}", code=1)
    return state.message, state.result()


def _print_run_summary(message: str, summary, started: float) -> None:
    d = summary.to_dict()
    print(f"\n{message}")
    print(f"收到文件 {d['files_received']} 个，采用 {d['files_accepted']} 个，"
          f"隔离数据行 {d['rows_quarantined']} 行，错误 {d['issues']['errors']} 条，"
          f"警告 {d['issues']['warnings']} 条；滞后指标 {len(d['indicators_behind'])} 项。")
    for r in d["files_rejected"]:
        print(f"  未采用：{r['file']}（{r['unit'] or '未识别单位'}）— {r['reason']}")
    print("输出：")
    for kind, paths in d["outputs"].items():
        for p in paths:
            print(f"  {kind}: {p}")
    print(f"用时 {time.monotonic() - started:.1f} 秒")


def cmd_run(args) -> int:
    started = time.monotonic()
    settings = load_settings()
    quarter = _quarter(args.quarter)
    inbox = Path(args.inbox) if args.inbox else settings.quarter_inbox(quarter.code)
    if not inbox.is_dir():
        raise CliError(f"收件箱不存在：{inbox}（请用 --inbox 指定报送文件所在的文件夹）")
    _progress(f"运行 {quarter.label} 季度流程：收件箱 {inbox}")
    message, summary = _run_flow(settings, quarter, inbox, Path(args.out) if args.out else None)
    _print_run_summary(message, summary, started)
    return EXIT_OK


def cmd_demo(args) -> int:
    from plantrack.demo import make_demo_submissions

    started = time.monotonic()
    settings = load_settings()
    quarter = _quarter(args.quarter)
    catalog = _catalog(settings)
    inbox = settings.home / "demo" / "inbox" / quarter.code
    for old in inbox.glob("*"):
        old.unlink()
    _progress(f"[1/2] 生成 {quarter.label} 示例填报表 → {inbox}")
    files, mistakes = make_demo_submissions(catalog, quarter, inbox)
    _progress(f"      {len(files)} 个单位的填报表，含常见错误：")
    for m in mistakes:
        _progress(f"      - {catalog.units[m.unit].name}：{m.description}")
    _progress("[2/2] 运行季度流程（Prefect 本地模式，首次运行需准备字体，约需一分钟）…")
    message, summary = _run_flow(settings, quarter, inbox, None)
    _print_run_summary(message, summary, started)
    return EXIT_OK


# -- plan ---------------------------------------------------------------------

def cmd_plan_show(args) -> int:
    catalog = _catalog(load_settings())
    entries = catalog.entries()
    if args.json:
        _print_json(entries)
        return EXIT_OK
    print(f"{catalog.title}（{catalog.document_number}）目录版本 {catalog.version}")
    print(f"量化指标 {len(catalog.indicators)} 项，重点任务 {len(catalog.milestones)} 项\n")
    for e in entries:
        if e["kind"] == "indicator":
            target = f"{e['target']:g}" + (f"（力争{e['stretch']:g}）" if e["stretch"] else "")
            if e["range_max"]:
                target = f"{e['target']:g}-{e['range_max']:g}"
            print(f"{e['id']:<9} {e['name']}：{target}{e['unit']} [{e['qualifier']}]")
        else:
            print(f"{e['id']:<9} {e['name']}（重点任务）")
    return EXIT_OK


# -- templates ------------------------------------------------------------------

def cmd_template(args) -> int:
    from plantrack.template import template_filename, write_template

    settings = load_settings()
    catalog = _catalog(settings)
    quarter = _quarter(args.quarter)
    if args.all:
        units = [u for u in catalog.reporting_units()
                 if catalog.indicators_for(u.code) or catalog.milestones_for(u.code)]
    else:
        from plantrack.reader import match_unit

        code = match_unit(args.unit, catalog.units)
        if code is None:
            names = "、".join(f"{u.code}（{u.name}）" for u in catalog.units.values())
            raise CliError(f"未知的填报单位“{args.unit}”，可选：{names}")
        units = [catalog.units[code]]
    out = Path(args.out)
    for unit in units:
        path = write_template(catalog, unit, quarter, out / template_filename(unit, quarter))
        print(path)
    _progress(f"已生成 {len(units)} 个{quarter.label}填报模板，位于 {out}")
    return EXIT_OK


# -- parser -------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plantrack",
        description="按季度跟踪《2021年全市科技工作要点》落实情况：收集各单位填报表、校验、入库、生成简报。",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("demo", help="生成示例填报表并在本地运行一次完整的季度流程",
                       description="为每个填报单位生成示例填报表（含几处常见错误），"
                                   "在内置默认配置上运行季度流程，并列出生成的简报等文件。")
    p.add_argument("--quarter", default="2021Q2", help="报告期，如 2021Q2（默认 2021Q2）")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("run", help="运行季度流程：收取、校验、入库、计算进度、生成简报",
                       description="对一个季度的报送文件运行完整流程。")
    p.add_argument("--quarter", required=True, help="报告期，如 2021Q2")
    p.add_argument("--inbox", help="报送文件所在文件夹（默认 $PLANTRACK_HOME/inbox/季度）")
    p.add_argument("--out", help="输出文件夹（默认 $PLANTRACK_HOME/out/季度）")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("plan", help="计划目录：查看指标与重点任务",
                       description="查看计划目录中的量化指标和重点任务。")
    plan_sub = p.add_subparsers(dest="plan_command", metavar="SUBCOMMAND")
    plan_sub.required = True
    ps = plan_sub.add_parser("show", help="列出目录中的全部指标和重点任务",
                             description="列出目录中的全部指标和重点任务。")
    ps.add_argument("--json", action="store_true", help="以 JSON 输出")
    ps.set_defaults(func=cmd_plan_show)

    p = sub.add_parser("template", help="生成空白填报模板",
                       description="生成某季度的空白填报工作簿，已预填本单位的指标、目标和重点任务。")
    p.add_argument("--quarter", required=True, help="报告期，如 2021Q2")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--unit", help="填报单位代码或名称，如 huancui 或 环翠区")
    who.add_argument("--all", action="store_true", help="为全部填报单位生成")
    p.add_argument("--out", required=True, help="输出文件夹")
    p.set_defaults(func=cmd_template)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"plantrack: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("plantrack: 已中断", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
