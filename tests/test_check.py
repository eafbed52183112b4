"""``plantrack check FILE``: the run's verdict on one file, as a table or JSON, with exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from plantrack.cli import main
from plantrack.commands.check import clip, pad, width

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "validation"
REQUIRED = {
    "code",
    "severity",
    "sheet",
    "cell",
    "indicator_id",
    "found",
    "expected",
    "message",
    "hint",
    "file",
    "unit",
}


def check(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_clean_file_passes_with_exit_0(home, capsys):
    code, out, _ = check(capsys, str(FIXTURES / "clean.xlsx"))
    assert code == 0
    assert "填报单位：环翠区    报告期：2021年第二季度" in out
    assert "结论：通过，没有发现问题。" in out


def test_json_is_one_list_of_issues_and_errors_exit_1(home, capsys):
    code, out, _ = check(capsys, str(FIXTURES / "value_not_number.xlsx"), "--json")
    assert code == 1
    [issue] = json.loads(out)
    assert set(issue) >= REQUIRED
    assert {
        k: issue[k]
        for k in ("code", "severity", "sheet", "cell", "indicator_id", "found", "expected", "unit", "file")
    } == {
        "code": "value_not_number",
        "severity": "error",
        "sheet": "填报",
        "cell": "E14",
        "indicator_id": "I07-3-1",
        "found": "待统计",
        "expected": "数字",
        "unit": "huancui",
        "file": "value_not_number.xlsx",
    }


def test_warnings_alone_still_pass(home, capsys):
    code, out, _ = check(capsys, str(FIXTURES / "number_as_text.xlsx"), "--json")
    assert code == 0
    assert [i["severity"] for i in json.loads(out)] == ["warning"]


def test_the_table_groups_problems_by_sheet_in_chinese(home, capsys):
    code, out, _ = check(capsys, str(FIXTURES / "filename_mismatch_文登区.xlsx"))
    assert code == 0 and "结论：通过（有警告 1 处" in out
    code, out, _ = check(capsys, str(FIXTURES / "duplicate_milestone.xlsx"))
    assert code == 1
    assert "结论：未通过 —— 错误 2 处，警告 0 处。" in out
    section = out.split("工作表“重点任务”（2 处）")[1]
    assert section.count("问题：任务 M14-2 填报了不止一行") == 2
    assert "修改：每项任务只保留一行" in section
    lines = [line for line in section.splitlines() if line.strip().startswith(("A7", "A9"))]
    assert [line.split()[:3] for line in lines] == [["A7", "错误", "M14-2"], ["A9", "错误", "M14-2"]]


def test_an_unreadable_file_exits_2_with_the_reason(home, capsys, tmp_path):
    path = tmp_path / "报表.xlsx"
    path.write_bytes(b"%PDF-1.4 not a workbook")
    code, out, _ = check(capsys, str(path), "--json")
    assert code == 2
    [issue] = json.loads(out)
    assert issue["code"] == "not_a_spreadsheet" and "PDF" in issue["message"]
    code, out, _ = check(capsys, str(path))
    assert code == 2 and "结论：无法读取" in out and "PDF" in out


def test_a_missing_file_is_unreadable_not_a_traceback(home, capsys, tmp_path):
    code, out, err = check(capsys, str(tmp_path / "nope.xlsx"))
    assert code == 2 and "Traceback" not in err


def test_the_quarter_comes_from_the_file_unless_given(home, capsys):
    code, _, _ = check(capsys, str(FIXTURES / "wrong_quarter.xlsx"))
    assert code == 0  # a Q1 file is a valid Q1 file
    code, out, _ = check(capsys, str(FIXTURES / "wrong_quarter.xlsx"), "--quarter", "2021Q2", "--json")
    assert code == 1 and [i["code"] for i in json.loads(out)] == ["wrong_quarter"]


def test_a_bad_quarter_argument_fails_cleanly(home, capsys):
    code, _, err = check(capsys, str(FIXTURES / "clean.xlsx"), "--quarter", "第五季度")
    assert code == 2 and "无法识别的报告期" in err


def test_check_writes_nothing_to_plantrack_home(home, capsys):
    check(capsys, str(FIXTURES / "value_not_number.xlsx"))
    assert list(home.iterdir()) == []


def test_table_cells_are_padded_and_cut_by_display_width():
    assert (width("错误"), width("E14")) == (4, 3)
    assert pad("错误", 5) == "错误 " and pad("E14", 7) == "E14    "
    assert clip("本单位模板中的指标编号", 10) == "本单位模…"
    assert clip("E14", 7) == "E14"
