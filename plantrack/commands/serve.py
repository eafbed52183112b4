"""``plantrack serve``: register the scheduled deployments and serve them.

Scheduled runs need a Prefect server (the embedded mode that ``plantrack run``
uses has no scheduler). With ``PREFECT_API_URL`` set, serve registers the
deployments there; without it, serve starts a local server on 127.0.0.1 with
its state under ``$PLANTRACK_HOME/prefect`` and stops it on exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from plantrack.cli import EXIT_OK, CliError, print_json, progress
from plantrack.local_api import healthy
from plantrack.processes import end_process
from plantrack.settings import Settings, configure_prefect, load_settings

ORDER = 40
SERVER_START_SECONDS = 120


def parse_after(text: str | None, timezone: str) -> datetime:
    """``--after``: an ISO date or date-time; without an offset, in the schedule's timezone."""
    if not text:
        return datetime.now(UTC).astimezone(ZoneInfo(timezone))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CliError(f"无法识别的时间“{text}”，应写作 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def schedule_plan(settings: Settings, after: datetime, count: int) -> list[dict]:
    """Each deployment with its schedule and next runs, and the quarter each run covers."""
    from flows.deployments import deployment_specs
    from plantrack.periods import next_runs, resolve_quarter
    from plantrack.plans import check_plan, known_plans

    plans = known_plans(settings)
    states = {y: check_plan(p).state for y, p in plans.items()}
    plan = []
    for spec in deployment_specs(settings.schedule):
        runs = next_runs(spec.cron, spec.timezone, after, count)
        quarters = [resolve_quarter(spec.parameters["quarter"], r, spec.timezone) for r in runs]
        plan.append(
            {
                "name": spec.full_name,
                "cron": spec.cron,
                "timezone": spec.timezone,
                "parameters": spec.parameters,
                "description": spec.description,
                "next_runs": [
                    {"at": r.isoformat(), "quarter": q.code, "plan": states.get(q.year, "missing")}
                    for r, q in zip(runs, quarters, strict=True)
                ],
            }
        )
    return plan


PLAN_STATE = {
    "ready": "",
    "draft": "（该年度计划尚未就绪：plantrack plan check）",
    "missing": "（该年度尚无计划：plantrack plan init）",
}


def print_plan(plan: list[dict]) -> None:
    for d in plan:
        print(f"{d['name']}  cron “{d['cron']}”（{d['timezone']}）")
        print(f"  {d['description']}")
        for run in d["next_runs"]:
            at = datetime.fromisoformat(run["at"])
            state = PLAN_STATE.get(run.get("plan", ""), "")
            print(f"  下次运行：{at:%Y-%m-%d %H:%M %z}  报告期 {run['quarter']}{state}")


def cmd_serve(args) -> int:
    settings = load_settings()
    if args.json and not args.dry_run:
        raise CliError("--json 只能与 --dry-run 一起使用（serve 会一直运行）")
    if args.runs < 1:
        raise CliError("--runs 至少为 1")
    configure_prefect(settings)
    after = parse_after(args.after, settings.schedule.timezone)
    if args.dry_run:
        plan = schedule_plan(settings, after, args.runs)
        if args.json:
            print_json({"deployments": plan})
        else:
            print_plan(plan)
        return EXIT_OK
    # Prefect reads its settings when first imported: the API address must be known before.
    with prefect_api(settings, args.port) as url:
        from prefect import serve

        from flows.deployments import build_deployments

        print_plan(schedule_plan(settings, after, args.runs))
        progress(f"向 Prefect 服务 {url} 注册计划任务并开始值守（Ctrl+C 停止）…")
        serve(*build_deployments(settings.schedule), print_starting_message=False)
    return EXIT_OK


@contextmanager
def prefect_api(settings: Settings, port: int) -> Iterator[str]:
    """The configured PREFECT_API_URL, or a local server started (and stopped) here."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    url = f"http://127.0.0.1:{port}/api"
    settings.logs.mkdir(parents=True, exist_ok=True)
    log_path = settings.logs / "prefect-server.log"
    progress(f"未设置 PREFECT_API_URL：在 127.0.0.1:{port} 启动本机 Prefect 服务（日志 {log_path}）…")
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(url, server, log_path)
        os.environ["PREFECT_API_URL"] = url  # before prefect is imported by serve
        yield url
    finally:
        end_process(server, grace=30)


def wait_until_healthy(
    url: str, server: subprocess.Popen, log_path: Path, seconds: float = SERVER_START_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CliError(
                f"Prefect 服务启动失败（退出码 {server.returncode}），详见 {log_path}"
                "；端口被占用时请用 --port 换一个端口"
            )
        if healthy(url):
            return
        time.sleep(0.5)
    raise CliError(f"Prefect 服务在 {seconds:.0f} 秒内未就绪，详见 {log_path}")


def register(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="注册并值守定时任务：季度流程与报送提醒",
        description="注册两个定时任务并持续值守：季度流程（默认每季度结束后第10天"
        " 06:00，Asia/Shanghai）和报送提醒（默认提前5天）。计划时间在"
        " plantrack.toml 的 [schedule] 中设置。",
    )
    p.add_argument("--dry-run", action="store_true", help="只列出计划任务和下次运行时间，不值守")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（须与 --dry-run 一起使用）")
    p.add_argument("--after", help="从该时间起计算下次运行（默认现在），格式 YYYY-MM-DD")
    p.add_argument("--runs", type=int, default=2, help="每个任务列出几次运行（默认 2）")
    p.add_argument(
        "--port",
        type=int,
        default=4200,
        help="未设置 PREFECT_API_URL 时，本机 Prefect 服务的端口（默认 4200）",
    )
    p.set_defaults(func=cmd_serve)
