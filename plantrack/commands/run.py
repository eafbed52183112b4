"""``plantrack run`` and ``plantrack demo``: the quarterly flow."""

from __future__ import annotations

import os
import time
from pathlib import Path

from plantrack.cli import EXIT_ERRORS, EXIT_OK, CliError, load_catalog, parse_quarter_arg, progress
from plantrack.local_api import SERVER, LocalApiError
from plantrack.processes import contain_children
from plantrack.settings import configure_prefect, load_settings

ORDER = 10


_prepared: list[bool] = []


def prepare_run(settings) -> None:
    """Once per command, before its first flow: Prefect's local API server starts in its
    own process (``plantrack.local_api``) while this one goes on with what it has to do
    anyway: import Great Expectations (about 5 s), write the demo's files."""
    if _prepared:
        return
    _prepared.append(True)
    configure_prefect(settings)
    contain_children()  # Prefect's server and the render pool end with this command
    SERVER.log_path = settings.logs / "prefect-server.log"  # its output: never the terminal's
    SERVER.start()


def run_flow(settings, quarter, inbox: Path | None, out: Path | None, demo: bool = False):
    """Run the quarterly flow in Prefect's local mode; return (message, run summary dict)."""
    prepare_run(settings)
    from flows.quarterly import quarterly_run  # Prefect reads PREFECT_API_URL as it is imported

    if _validates_here(settings, quarter, inbox):
        from plantrack.validate.gx import preload

        preload()  # Great Expectations imported while the API server starts on the other core

    try:  # the same wait Prefect allows its own server (set by configure_prefect)
        SERVER.wait(float(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
    except LocalApiError as exc:
        raise CliError(str(exc), code=1) from exc
    from plantrack import live

    with live.showing(live.wanted()):  # a bar on a terminal only: never in logs or pipes
        state = quarterly_run(
            quarter=quarter.code,
            inbox=str(inbox) if inbox else None,
            out=str(out) if out else None,
            trust_mtimes=demo,
            return_state=True,
        )
    if not state.is_completed():
        summary = state.result(raise_on_failure=False) if state.is_failed() else None
        if isinstance(summary, dict) and summary.get("briefs_failed"):
            return state.message, summary  # finished, but a brief is missing: exit_code says so
        raise CliError(f"季度流程未能完成（{state.name}）：{state.message}", code=1)
    return state.message, state.result()


def _validates_here(settings, quarter, inbox: Path | None) -> bool:
    """Whether the flow will validate any file (one not in the ingest cache).

    Only then is Great Expectations worth importing ahead, while the API server starts
    (about 6 s of this core): a run again of the same files takes every verdict from the
    cache and needs no GX. When in doubt (no ready plan: the flow says why), import it.
    """
    from plantrack.catalog import CatalogError
    from plantrack.ingest_cache import files_to_validate
    from plantrack.plans import PlanError, ready_plan

    try:
        catalog = ready_plan(settings, quarter.year).catalog
        return files_to_validate(settings, quarter, settings.run_inbox(quarter.code, inbox), catalog) > 0
    except (PlanError, CatalogError, OSError):
        return True


def print_run_summary(message: str, d: dict, started: float) -> None:
    print(f"\n{message}")
    print(
        f"收到文件 {d['files_received']} 个，采用 {d['files_accepted']} 个，"
        f"隔离数据行 {d['rows_quarantined']} 行，错误 {d['issues']['errors']} 条，"
        f"警告 {d['issues']['warnings']} 条；滞后指标 {len(d['indicators_behind'])} 项。"
    )
    for r in d["files_rejected"]:
        print(f"  未采用：{r['file']}（{r['unit'] or '未识别单位'}）— {r['reason']}")
    for r in d.get("files_ignored", []):
        print(f"  {'已拒绝' if r['refused'] else '未读取'}：{r['file']} — {r['reason']}")
    for scope, why in d.get("briefs_failed", {}).items():
        print(f"  简报未能生成：{scope} — {why}")
    mail = d.get("mail") or {}
    if mail.get("mail_enabled"):
        print(f"邮件：发送 {len(mail['sent'])} 封，失败 {len(mail['failed'])} 封")
        for f in mail["failed"]:
            print(f"  发送失败：{f['recipient']}（{f['subject']}）— {f['error']}")
        for note in mail["not_mailed"]:
            print(f"  未发送：{note}")
    print("输出：")
    for kind, paths in d["outputs"].items():
        for p in paths:
            print(f"  {kind}: {p}")
    print(f"用时 {time.monotonic() - started:.1f} 秒")


def cmd_run(args) -> int:
    started = time.monotonic()
    settings = load_settings()
    quarter = parse_quarter_arg(args.quarter)
    load_catalog(settings, quarter)  # no ready plan for the quarter's year: say why, run nothing
    inbox = Path(args.inbox) if args.inbox else settings.quarter_inbox(quarter.code)
    if not inbox.is_dir():
        raise CliError(f"收件箱不存在：{inbox}（请用 --inbox 指定报送文件所在的文件夹）")
    progress(f"运行 {quarter.label} 季度流程：收件箱 {inbox}")
    message, summary = run_flow(settings, quarter, inbox, Path(args.out) if args.out else None)
    print_run_summary(message, summary, started)
    return exit_code(summary)


def exit_code(summary: dict) -> int:
    """1 when a brief could not be made, or when mail was to go out and every message
    failed (the operator must act), else 0."""
    if summary.get("briefs_failed"):
        progress("plantrack: 有简报未能生成（原因见上），其余简报和问题标注工作簿已生成并放入发件箱")
        return EXIT_ERRORS
    mail = summary.get("mail") or {}
    if mail.get("failed") and not mail.get("sent"):
        progress("plantrack: 所有邮件均发送失败，原因见上（简报和问题标注工作簿已放入发件箱）")
        return EXIT_ERRORS
    return EXIT_OK


def demo_quarter() -> str:
    """Q2 of the built-in example plan the demo runs on (the oldest plan shipped)."""
    from plantrack.plans import builtin_plans

    return f"{min(builtin_plans())}Q2"


def _demo_quarter(settings, catalog, quarter, resubmission: bool = False) -> dict:
    """Write the demo's submissions for ``quarter`` into a clean inbox and run the flow."""
    from plantrack.demo import make_demo_submissions

    started = time.monotonic()
    prepare_run(settings)  # the API server comes up while the files are written
    inbox = settings.home / "demo" / "inbox" / quarter.code
    if inbox.exists():
        for old in inbox.iterdir():
            if old.is_file():
                old.unlink()
    progress(f"[1/2] 生成 {quarter.label} 示例填报表 → {inbox}")
    files, mistakes = make_demo_submissions(catalog, quarter, inbox, resubmission=resubmission)
    progress(f"      {len(files)} 个填报文件，含常见错误：")
    for m in mistakes:
        progress(f"      - {catalog.units[m.unit].name}：{m.description}")
    progress("[2/2] 运行季度流程（Prefect 本地模式；首次运行需准备字体，约需一分钟）…")
    message, summary = run_flow(settings, quarter, inbox, None, demo=True)  # its files' times
    print_run_summary(message, summary, started)
    return summary


def cmd_demo(args) -> int:
    from plantrack.demo import RESUBMIT_QUARTER
    from plantrack.periods import Quarter

    settings = load_settings()
    if args.year is None:
        quarter = parse_quarter_arg(args.quarter or demo_quarter())
        _demo_quarter(settings, load_catalog(settings, quarter), quarter)
        return EXIT_OK
    if args.quarter:
        raise CliError("--year 与 --quarter 只能选一个。")
    try:
        year = int(args.year) if args.year != "" else parse_quarter_arg(demo_quarter()).year
    except ValueError as exc:
        raise CliError(f"无法识别的年份：{args.year}（应为四位数字）") from exc
    outputs: dict[str, list[str]] = {}
    for n in range(1, 5):
        quarter = Quarter(year, n)
        catalog = load_catalog(settings, quarter)  # no ready plan for the year: say why, run nothing
        progress(f"\n== 示例年度：{quarter.label}（{n}/4）==")
        summary = _demo_quarter(settings, catalog, quarter, resubmission=n == RESUBMIT_QUARTER)
        for p in summary["outputs"].get("briefs", []):
            kind = "assessment" if Path(p).name.endswith(f"{catalog.assessment_title}.pdf") else "briefs"
            outputs.setdefault(kind, []).append(p)
    print(f"\n{year}年示例运行完成：四个季度的{catalog.whole}简报和{catalog.whole}年度考核：")
    for kind in ("briefs", "assessment"):
        for p in outputs.get(kind, []):
            print(f"  {kind}: {p}")
    return EXIT_OK


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="生成示例填报表并在本地运行一次完整的季度流程",
        description="为每个填报单位生成示例填报表（含几处常见错误），"
        "在内置默认配置上运行季度流程，并列出生成的简报等文件；"
        "--year 依次运行全年四个季度，第四季度另出年度考核情况。",
    )
    p.add_argument("--quarter", help="报告期，格式 YYYYQn（默认：内置示例计划年度的第二季度）")
    p.add_argument("--year", nargs="?", const="", help="依次运行一年的四个季度（默认：内置示例计划的年度）")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "run",
        help="运行季度流程：收取、校验、入库、计算进度、生成简报",
        description="对一个季度的报送文件运行完整流程：收取、校验、入库、计算进度、生成简报。",
    )
    p.add_argument("--quarter", required=True, help="报告期，格式 YYYYQn，按该年度的计划核对")
    p.add_argument("--inbox", help="报送文件所在文件夹（默认 $PLANTRACK_HOME/inbox/季度）")
    p.add_argument("--out", help="输出文件夹（默认 $PLANTRACK_HOME/out/季度）")
    p.set_defaults(func=cmd_run)
