"""``plantrack serve``: the schedules, their next runs, and the quarter each run covers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from flows.deployments import build_deployments, deployment_specs
from plantrack.cli import main
from plantrack.periods import Quarter, next_runs, quarter_just_ended, resolve_quarter
from plantrack.settings import Schedule

SHANGHAI = "Asia/Shanghai"


@pytest.fixture
def prefect_env(home, monkeypatch):
    """What configure_prefect would set, set here so that it is undone after the test."""
    for key, value in {
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "GX_ANALYTICS_ENABLED": "false",
    }.items():
        monkeypatch.setenv(key, value)
    return home


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["serve", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_json_gives_the_next_runs_in_shanghai_time(prefect_env, capsys):
    code, out, err = run_cli(capsys, "--dry-run", "--json", "--after", "2021-06-30")

    assert code == 0
    plan = {d["name"]: d for d in json.loads(out)["deployments"]}
    quarterly = plan["plantrack-quarterly/quarterly"]
    assert (quarterly["cron"], quarterly["timezone"], quarterly["parameters"]) == (
        "0 6 10 1,4,7,10 *",
        SHANGHAI,
        {"quarter": ""},
    )
    assert quarterly["next_runs"] == [
        {"at": "2021-07-10T06:00:00+08:00", "quarter": "2021Q2", "plan": "ready"},
        {"at": "2021-10-10T06:00:00+08:00", "quarter": "2021Q3", "plan": "ready"},
    ]
    assert plan["plantrack-reminder/reminder"]["next_runs"][0] == {
        "at": "2021-07-05T09:00:00+08:00",
        "quarter": "2021Q2",
        "plan": "ready",
    }


def test_dry_run_text(prefect_env, capsys):
    code, out, _ = run_cli(capsys, "--dry-run", "--after", "2021-11-01T00:00", "--runs", "1")

    assert code == 0
    assert out.splitlines() == [
        "plantrack-quarterly/quarterly  cron “0 6 10 1,4,7,10 *”（Asia/Shanghai）",
        "  季度流程：收取、校验、入库、计算进度、生成并发布简报（报告期为刚结束的季度）",
        "  下次运行：2022-01-10 06:00 +0800  报告期 2021Q4",
        "plantrack-reminder/reminder  cron “0 9 5 1,4,7,10 *”（Asia/Shanghai）",
        "  报送提醒：列出尚未报送或数据有误的单位，写入文件并按配置发邮件",
        "  下次运行：2022-01-05 09:00 +0800  报告期 2021Q4",
    ]


def test_schedules_come_from_the_settings_file(prefect_env, capsys):
    (prefect_env / "plantrack.toml").write_text(
        '[schedule]\nquarterly_cron = "30 7 12 1,4,7,10 *"\ntimezone = "Asia/Shanghai"\n', encoding="utf-8"
    )

    code, out, _ = run_cli(capsys, "--dry-run", "--json", "--after", "2021-06-30", "--runs", "1")

    quarterly = json.loads(out)["deployments"][0]
    assert quarterly["next_runs"] == [
        {"at": "2021-07-12T07:30:00+08:00", "quarter": "2021Q2", "plan": "ready"}
    ]


@pytest.mark.parametrize(
    "argv, message",
    [
        (("--json",), "--json 只能与 --dry-run 一起使用"),
        (("--dry-run", "--after", "六月底"), "无法识别的时间“六月底”"),
        (("--dry-run", "--runs", "0"), "--runs 至少为 1"),
    ],
)
def test_bad_arguments_get_a_clear_message_and_no_output(prefect_env, capsys, argv, message):
    code, out, err = run_cli(capsys, *argv)

    assert (code, out) == (2, "")
    assert message in err


def test_the_quarter_just_ended_follows_the_schedule_timezone():
    new_year_in_shanghai = datetime(2021, 12, 31, 22, 0, tzinfo=UTC)  # 2022-01-01 06:00 +08:00
    assert quarter_just_ended(new_year_in_shanghai, SHANGHAI) == Quarter(2021, 4)
    assert quarter_just_ended(new_year_in_shanghai, "UTC") == Quarter(2021, 3)
    run = datetime(2021, 7, 10, 6, 0, tzinfo=ZoneInfo(SHANGHAI))
    assert resolve_quarter("", run, SHANGHAI) == Quarter(2021, 2)
    assert resolve_quarter("  ", run, SHANGHAI) == Quarter(2021, 2)
    assert resolve_quarter(None, run, SHANGHAI) == Quarter(2021, 2)
    assert resolve_quarter("2021年第三季度", run, SHANGHAI) == Quarter(2021, 3)
    with pytest.raises(ValueError, match="无法识别的报告期"):
        resolve_quarter("下季度", run, SHANGHAI)


def test_next_runs_across_the_year():
    after = datetime(2021, 10, 10, 6, 0, 1, tzinfo=ZoneInfo(SHANGHAI))
    runs = next_runs("0 6 10 1,4,7,10 *", SHANGHAI, after, 2)
    assert [r.isoformat() for r in runs] == ["2022-01-10T06:00:00+08:00", "2022-04-10T06:00:00+08:00"]


def test_built_deployments_match_their_specs():
    schedule = Schedule()
    specs = deployment_specs(schedule)

    deployments = build_deployments(schedule)

    assert [(d.flow_name, d.name) for d in deployments] == [(s.flow_name, s.name) for s in specs]
    for d, spec in zip(deployments, specs, strict=True):
        assert [(s.schedule.cron, s.schedule.timezone) for s in d.schedules] == [(spec.cron, SHANGHAI)]
        assert d.parameters == {"quarter": ""}
        assert d.entrypoint == spec.entrypoint.replace(":", ".")
    assert deployments[0].concurrency_limit == 1
