"""The command line: every command listed works, is documented, and fails cleanly."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from plantrack.cli import build_parser, main
from tests.conftest import REPO


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return list(action.choices)


def test_help_lists_exactly_the_registered_commands():
    out = subprocess.run(
        [sys.executable, "-m", "plantrack.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    listed = re.findall(r"^    (\w+)\s", out, flags=re.M)
    assert listed == _subcommands()
    assert {"demo", "run", "plan", "template"} <= set(listed)


@pytest.mark.parametrize("command", _subcommands())
def test_every_command_has_help_and_is_documented_in_the_readme(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("usage: plantrack " + command)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"plantrack {command}" in readme


def test_plan_show_json_is_one_document(capsys):
    assert main(["plan", "show", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert {e["kind"] for e in entries} == {"indicator", "milestone"}
    assert any(e["id"] == "I09-1-1" and e["stretch"] == 1500 for e in entries)


def test_template_for_one_unit_by_name_writes_a_workbook(tmp_path, home, capsys):
    assert main(["template", "--quarter", "2021Q2", "--unit", "环翠区", "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().out.split()
    assert len(written) == 1 and written[0].endswith(".xlsx")


def test_unknown_unit_and_bad_quarter_fail_without_a_traceback(tmp_path, home, capsys):
    assert main(["template", "--quarter", "2021Q2", "--unit", "火星", "--out", str(tmp_path)]) == 2
    assert "未知的填报单位“火星”" in capsys.readouterr().err
    assert main(["template", "--quarter", "2021Q9", "--all", "--out", str(tmp_path)]) == 2
    assert "无法识别的报告期" in capsys.readouterr().err


def test_run_with_a_missing_inbox_says_so(tmp_path, home, capsys):
    assert main(["run", "--quarter", "2021Q2", "--inbox", str(tmp_path / "nowhere")]) == 2
    assert "收件箱不存在" in capsys.readouterr().err


def test_plan_extract_reads_a_gbk_plan(tmp_path, capsys):
    from tests.conftest import SEED_PLAN

    gbk = tmp_path / "plan_gbk.txt"
    gbk.write_bytes(SEED_PLAN.read_text(encoding="utf-8").encode("gb18030"))
    assert main(["plan", "extract", str(gbk), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert any(e["kind"] == "indicator" and e["target"] == 1200 and e["stretch"] == 1500 for e in entries)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件为空"),
        (b"\x00\x01\x02binary\xff\xfe" * 50, "不是文本文件"),
        ("今年要继续做好各项工作，持续提升服务水平。".encode(), "未在文本中找到任何量化目标"),
    ],
)
def test_plan_extract_bad_input_gets_a_message_and_a_nonzero_exit(tmp_path, capsys, content, message):
    path = tmp_path / "plan.txt"
    path.write_bytes(content)
    assert main(["plan", "extract", str(path)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


@pytest.mark.parametrize(
    "command", [["template", "--all", "--out", "{tmp}"], ["run", "--inbox", "{tmp}"], ["report"], ["demo"]]
)
def test_a_quarter_of_a_year_without_a_plan_is_refused_before_anything_happens(
    command, tmp_path, home, capsys
):
    target = tmp_path / "given"
    target.mkdir()
    args = [a.replace("{tmp}", str(target)) for a in command]
    assert main([args[0], "--quarter", "2022Q1", *args[1:]]) == 2
    err = capsys.readouterr().err
    assert "没有2022年的计划" in err
    assert "plantrack plan init" in err and "--year 2022" in err  # and what to do instead
    assert list(target.iterdir()) == [] and not (home / "warehouse").exists()
    assert not (home / "demo").exists() and not (home / "out").exists()


class ClosedPipe:
    """stdout of ``plantrack … --json | head -1`` once head has stopped reading."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        pass


def test_json_piped_into_a_reader_that_stops_early_ends_quietly(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["plan", "show", "--json"]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_a_run_with_a_brief_missing_exits_non_zero_and_says_which(capsys):
    from plantrack.commands.run import exit_code, print_run_summary
    from plantrack.run_record import RunSummary

    failed = {"rongcheng": "IsADirectoryError: [Errno 21] Is a directory"}
    summary = RunSummary("run", "2021Q2", briefs_failed=failed).to_dict()
    print_run_summary("2021Q2: 0 of 0 files accepted; briefs not rendered: 荣成市", summary, 0.0)
    assert exit_code(summary) == 1
    captured = capsys.readouterr()
    assert "简报未能生成：rongcheng — IsADirectoryError" in captured.out and "有简报未能生成" in captured.err
    assert exit_code({**summary, "briefs_failed": {}}) == 0
