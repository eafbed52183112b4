"""``plantrack plan``: the plans, one per year — draft, check, approve, allocate, baselines.

The library side is ``plantrack.plans`` (finding and checking plans) and
``plantrack.plan_workbooks`` (the 目标分解 and 年初基数 workbooks); docs/plans.md walks
through the commands in the order a bureau uses them.
"""

from __future__ import annotations

from pathlib import Path

from plantrack.cli import EXIT_ERRORS, EXIT_OK, CliError, print_json, progress
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


def _plan(settings, year: int | None):
    """The year's plan (ready or not); no year: the newest plan."""
    from plantrack.plans import PlanError, known_plans, plan_for_year

    try:
        if year is None:
            plans = known_plans(settings)
            if not plans:
                raise PlanError("还没有任何计划：请先运行 plantrack plan init 计划文本.txt --year 年份")
            return plans[max(plans)]
        return plan_for_year(settings, year)
    except PlanError as exc:
        raise CliError(str(exc)) from exc


def _catalog(plan, targets_only: bool = False):
    from plantrack.catalog import CatalogError

    try:
        return plan.load_targets() if targets_only else plan.load()
    except CatalogError as exc:
        raise CliError(
            f"{plan.year}年的计划目录有误（plantrack plan check --year {plan.year} "
            "列出全部问题）：\n" + "\n".join(f"- {p}" for p in exc.problems)
        ) from exc


def cmd_show(args) -> int:
    catalog = _catalog(_plan(load_settings(), args.year), targets_only=True)
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


def cmd_init(args) -> int:
    from plantrack.extract import PlanTextError
    from plantrack.plans import PlanError, check_plan, init_plan

    settings = load_settings()
    try:
        plan = init_plan(settings, Path(args.plan), args.year, Path(args.units) if args.units else None)
    except PlanTextError as exc:
        message = str(exc)
        raise CliError(message if args.plan in message else f"{args.plan}：{message}") from exc
    except PlanError as exc:
        raise CliError(str(exc)) from exc
    result = check_plan(plan)
    print(plan.folder)
    progress(
        f"已起草{plan.year}年的计划：{len(result.drafts)} 个条目待审核"
        '（catalog.toml 中 review = "draft"）。\n'
        f"下一步：plantrack plan check --year {plan.year}，对照 plan.txt 审核后 "
        f"plantrack plan approve --year {plan.year} --all。"
    )
    return EXIT_OK


SEVERITY_TEXT = {"error": "错误", "warning": "警告"}


def cmd_check(args) -> int:
    from plantrack.plans import check_plan, ensure_suites

    plan = _plan(load_settings(), args.year)
    result = check_plan(plan)
    if not result.errors and result.catalog is not None:
        ensure_suites(plan, result.catalog)  # a plan that becomes ready gets its suites
    if args.json:
        print_json(result.to_dict())
    else:
        state = "已就绪，可以运行" if not result.errors else "尚未就绪，不能运行"
        print(
            f"{plan.year}年计划（{plan.folder}）：{state}；错误 {len(result.errors)} 个，"
            f"警告 {len(result.warnings)} 个"
        )
        for p in result.problems:
            print(f"  [{SEVERITY_TEXT[p.severity]}] {p.message}")
    return EXIT_ERRORS if result.errors else EXIT_OK


def cmd_approve(args) -> int:
    from plantrack.plans import PlanError, approve, check_plan, ensure_suites

    plan = _plan(load_settings(), args.year)
    try:
        approved = approve(plan, None if args.all else list(args.ids))
    except PlanError as exc:
        raise CliError(str(exc)) from exc
    result = check_plan(plan)
    if not result.errors and result.catalog is not None:
        ensure_suites(plan, result.catalog)
    print(f"已审核通过 {len(approved)} 个条目：{'、'.join(approved) or '（无待审核条目）'}")
    left = (
        "已就绪"
        if not result.errors
        else f"尚有 {len(result.errors)} 个错误（plantrack plan check --year {plan.year}）"
    )
    progress(f"{plan.year}年计划{left}")
    return EXIT_OK


def _print_issues(issues) -> None:
    for issue in issues:
        print(f"  {issue.as_text()}")


def cmd_allocate(args) -> int:
    from plantrack import plan_workbooks as pw
    from plantrack.plans import check_plan, ensure_suites
    from plantrack.reader import UnreadableFile

    plan = _plan(load_settings(), args.year)
    cat = _catalog(plan, targets_only=True)
    if args.out:
        if not pw.allocated_indicators(cat):
            progress(f"{plan.year}年的计划中没有需要分解到各单位的可加指标。")
        print(pw.write_allocation_workbook(cat, Path(args.out)))
        return EXIT_OK
    try:
        result = pw.read_allocation_workbook(cat, Path(args.read))
    except UnreadableFile as exc:
        raise CliError(str(exc)) from exc
    if result.errors:
        print(f"{args.read}：{len(result.errors)} 个错误，未保存：")
        _print_issues(result.issues)
        return EXIT_ERRORS
    _print_issues(result.issues)
    print(pw.store_allocation(plan.allocation_path, result.rows))
    check = check_plan(plan)
    if not check.errors and check.catalog is not None:
        ensure_suites(plan, check.catalog)
    progress(
        f"已保存 {len(result.rows)} 条目标分解；{plan.year}年计划"
        + ("已就绪" if not check.errors else f"尚有 {len(check.errors)} 个错误")
    )
    return EXIT_OK


def cmd_baselines(args) -> int:
    from plantrack import plan_workbooks as pw
    from plantrack.plans import previous_catalog
    from plantrack.reader import UnreadableFile

    settings = load_settings()
    plan = _plan(settings, args.year)
    cat = _catalog(plan, targets_only=True)
    if args.read:
        try:
            result = pw.read_baselines_workbook(cat, Path(args.read))
        except UnreadableFile as exc:
            raise CliError(str(exc)) from exc
        if result.errors:
            print(f"{args.read}：{len(result.errors)} 个错误，未保存：")
            _print_issues(result.issues)
            return EXIT_ERRORS
        _print_issues(result.issues)
        print(pw.store_baselines(plan.baselines_path, result.rows))
        progress(f"已保存 {len(result.rows)} 个年初基数")
        return EXIT_OK
    doc = pw.baselines_from_warehouse(cat, previous_catalog(settings, plan.year), settings.warehouse_path)
    if args.out:
        known = {(b.indicator_id, b.unit): b.value for b in cat.baselines}
        known.update({(r["indicator_id"], r["unit"]): r["value"] for r in doc["found"]})
        print(pw.write_baselines_workbook(cat, known, Path(args.out)))
        return EXIT_OK
    if doc["found"] and not plan.builtin:
        doc["stored"] = str(pw.store_baselines(plan.baselines_path, doc["found"]))
    if args.json:
        print_json(doc)
        return EXIT_OK
    print(f"{plan.year}年计划的年初基数（来源：{doc['source_quarter']} 已采用数据）")
    for r in doc["found"]:
        print(f"  {r['indicator_id']:<9} {r['name']} {r['unit_name']}：{r['value']:g}  ← {r['source']}")
    if doc["missing"]:
        print(f"缺少 {len(doc['missing'])} 个（状态将显示“缺少基数”；可用 --out 生成基数表填写后 --read）：")
        for r in doc["missing"]:
            print(f"  {r['indicator_id']:<9} {r['name']} {r['unit_name']}：{r['reason']}")
    if "stored" in doc:
        progress(f"已写入 {doc['stored']}")
    return EXIT_OK


def cmd_list(args) -> int:
    from plantrack.plans import check_plan, known_plans

    rows = []
    for year, plan in known_plans(load_settings()).items():
        result = check_plan(plan)
        cat = result.catalog
        rows.append(
            {
                "year": year,
                "state": result.state,
                "builtin": plan.builtin,
                "folder": str(plan.folder),
                "title": cat.title if cat else result.title,
                "quarters": plan.quarters,
                "errors": len(result.errors),
                "warnings": len(result.warnings),
            }
        )
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print("还没有任何计划：plantrack plan init 计划文本.txt --year 年份")
    for r in rows:
        state = "已就绪" if r["state"] == "ready" else f"草稿（{r['errors']} 个错误）"
        where = "内置示例" if r["builtin"] else r["folder"]
        print(f"{r['year']}  {state:<12} {r['quarters'][0]}–{r['quarters'][-1]}  {r['title']}  [{where}]")
    return EXIT_OK


def register(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="年度计划：起草、检查、审核、目标分解、年初基数、查看",
        description="管理每个年度的计划（工作要点）：从计划文本起草目录，检查、审核，"
        "填写目标分解和年初基数。每个季度按其所在年度的计划核对。",
    )
    plan_sub = p.add_subparsers(dest="plan_command", metavar="SUBCOMMAND")
    plan_sub.required = True
    ps = plan_sub.add_parser(
        "show",
        help="列出计划目录中的全部指标和重点任务",
        description="列出某年度计划目录中的全部指标和重点任务。",
    )
    ps.add_argument("--year", type=int, help="计划年度（默认：最新的计划）")
    ps.add_argument("--json", action="store_true", help="以 JSON 输出")
    ps.set_defaults(func=cmd_show)

    pi = plan_sub.add_parser(
        "init",
        help="从计划文本起草某年度的计划",
        description="从工作要点等计划文本提取量化指标和重点任务，在计划目录中起草该年度的"
        "计划（每个条目标为待审核），并保存原文 plan.txt。",
    )
    pi.add_argument("plan", metavar="PLAN.txt", help="计划文本文件（UTF-8 或 GBK 编码）")
    pi.add_argument("--year", type=int, required=True, help="计划年度")
    pi.add_argument("--units", help="填报单位文件 units.toml（默认沿用上一年度计划的填报单位）")
    pi.set_defaults(func=cmd_init)

    pc = plan_sub.add_parser(
        "check",
        help="检查某年度的计划能否运行",
        description="列出计划的全部问题：错误（待审核条目、缺少计量单位或目标、编号重复、"
        "未知填报单位、目标分解之和不足）会阻止运行；警告（缺少年初基数）不会。"
        "退出码：0 已就绪（可有警告），1 有错误。",
    )
    pc.add_argument("--year", type=int, help="计划年度（默认：最新的计划）")
    pc.add_argument("--json", action="store_true", help="以 JSON 输出")
    pc.set_defaults(func=cmd_check)

    pa = plan_sub.add_parser(
        "approve",
        help="把待审核的条目标为已审核",
        description="对照原文核对后，把计划中待审核（草稿）的条目标为已审核。",
    )
    pa.add_argument("--year", type=int, required=True, help="计划年度")
    which = pa.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="全部待审核条目")
    which.add_argument("ids", nargs="*", default=[], metavar="ID", help="条目编号")
    pa.set_defaults(func=cmd_approve)

    pl = plan_sub.add_parser(
        "allocate",
        help="目标分解：生成或读取目标分解表",
        description="--out 生成目标分解工作簿（每个可加指标一行、每个单位一列、"
        "合计与核对公式，只有填写单元格可编辑）；"
        "--read 按填报表的同样规则读取、校验并保存为 allocation.csv。",
    )
    pl.add_argument("--year", type=int, required=True, help="计划年度")
    io = pl.add_mutually_exclusive_group(required=True)
    io.add_argument("--out", metavar="FILE.xlsx", help="生成目标分解工作簿")
    io.add_argument("--read", metavar="FILE.xlsx", help="读取填好的目标分解工作簿")
    pl.set_defaults(func=cmd_allocate)

    pb = plan_sub.add_parser(
        "baselines",
        help="年初基数：从上年第四季度数据取得或人工填写",
        description="为存量指标和相对目标取得年初基数：取自数据仓库中上一年度第四季度的"
        "已采用数据（全市及各单位），列出来源和缺少的基数，"
        "并保存为 baselines.csv；"
        "--out 生成预填的基数工作簿，--read 读取填好的工作簿。",
    )
    pb.add_argument("--year", type=int, required=True, help="计划年度")
    bio = pb.add_mutually_exclusive_group()
    bio.add_argument("--json", action="store_true", help="以 JSON 输出")
    bio.add_argument("--out", metavar="FILE.xlsx", help="生成年初基数工作簿")
    bio.add_argument("--read", metavar="FILE.xlsx", help="读取填好的年初基数工作簿")
    pb.set_defaults(func=cmd_baselines)

    pls = plan_sub.add_parser(
        "list", help="列出已有的计划", description="列出已有的年度计划、状态（草稿/已就绪）及其覆盖的季度。"
    )
    pls.add_argument("--json", action="store_true", help="以 JSON 输出")
    pls.set_defaults(func=cmd_list)
    pe = plan_sub.add_parser(
        "extract",
        help="从计划文本中提取草稿目录",
        description="从工作要点、工作计划等计划文本中提取量化指标和重点任务，"
        "生成草稿目录（UTF-8 或 GBK 编码的文本文件）。",
    )
    pe.add_argument("plan", metavar="PLAN.txt", help="计划文本文件")
    pe.add_argument("--json", action="store_true", help="以 JSON 输出")
    pe.set_defaults(func=cmd_extract)
