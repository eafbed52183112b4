"""A setting plantrack cannot use is a message naming the file, the key, what was found and
what is expected, never a traceback; so is a damaged warehouse; relative paths work."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from plantrack import cli
from plantrack.settings import SettingsError, load_settings


def _settings_with(home: Path, toml: str, **env):
    config = home / "plantrack.toml"
    config.write_text(toml, encoding="utf-8")
    return load_settings({"PLANTRACK_HOME": str(home), **env}), config


@pytest.mark.parametrize(
    ("toml", "key", "found", "expected"),
    [
        ('[schedule]\ntimezone = "Asia/Beijing"\n', "[schedule] timezone", "Asia/Beijing", "Asia/Shanghai"),
        (
            '[schedule]\nquarterly_cron = "0 6 10 1,4,7,10"\n',
            "[schedule] quarterly_cron",
            "0 6 10 1,4,7,10",
            "5 个",
        ),
        (
            '[schedule]\nreminder_cron = "0 25 5 1,4,7,10 *"\n',
            "[schedule] reminder_cron",
            "0 25 5 1,4,7,10 *",
            "0–23",
        ),
        ('[smtp]\nhost = "mail.example"\nport = "二十五"\n', "[smtp] port", "二十五", "整数端口号"),
        ("[smtp]\nport = 70000\n", "[smtp] port", "70000", "1–65535"),
        ('[status]\nbehind = "九成"\n', "[status] behind", "九成", "数字"),
        ('[smtp\nhost = "mail.example"\n', "（整个文件）", "无法解析", "TOML"),
    ],
)
def test_a_bad_setting_names_file_key_found_and_expected(tmp_path, toml, key, found, expected):
    with pytest.raises(SettingsError) as caught:
        _settings_with(tmp_path, toml)
    message = str(caught.value)
    assert str(tmp_path / "plantrack.toml") in message
    assert key in message and found in message and expected in message


def test_a_bad_port_in_the_environment_names_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="PLANTRACK_SMTP_PORT.*abc"):
        _settings_with(tmp_path, "", PLANTRACK_SMTP_PORT="abc")


def test_good_schedules_still_load(tmp_path):
    settings, _ = _settings_with(
        tmp_path,
        '[schedule]\nquarterly_cron = "30 6 10 jan,apr,jul,oct *"\n'
        'reminder_cron = "*/15 9-17 * * mon-fri"\n'
        'timezone = "Asia/Urumqi"\n',
    )
    assert settings.schedule.timezone == "Asia/Urumqi"


def test_the_cli_prints_a_settings_message_not_a_traceback(home, capsys):
    (home / "plantrack.toml").write_text('[schedule]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    assert cli.main(["progress", "--quarter", "2021Q2"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "[schedule] timezone" in err and "Mars/Olympus" in err and "IANA 时区" in err


def test_a_damaged_warehouse_is_a_message(home, capsys, monkeypatch):
    from plantrack import progress

    def truncated(*args, **kwargs):
        raise duckdb.IOException('Could not read enough bytes from file "plantrack.duckdb"')

    monkeypatch.setattr(progress, "open_warehouse", truncated)
    assert cli.main(["progress", "--quarter", "2021Q2"]) == 2
    err = capsys.readouterr().err
    assert "Could not read enough bytes" in err and "损坏或被截断" in err and "Traceback" not in err


def test_a_bug_keeps_its_traceback():
    assert cli.known_failure(KeyError("x")) is None


def test_relative_paths_are_resolved_against_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = cli.resolve_path_arguments(
        cli.build_parser().parse_args(["run", "--quarter", "2021Q2", "--inbox", "收件箱", "--out", "../out"])
    )
    assert args.inbox == str(tmp_path / "收件箱")
    assert args.out == str(tmp_path.parent / "out")
    checked = cli.resolve_path_arguments(cli.build_parser().parse_args(["check", "表.xlsx"]))
    assert checked.file == str(tmp_path / "表.xlsx")
