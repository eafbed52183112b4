"""`plantrack report`: briefs rendered again from the warehouse, paths printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from plantrack.cli import main
from plantrack.settings import load_settings
from tests.fixtures.progress.warehouse_builder import build_warehouse, install_plan


@pytest.fixture
def fixture_home(home) -> Path:
    install_plan(home)
    build_warehouse(load_settings().warehouse_path)
    return home


def test_report_renders_the_city_and_every_unit_and_prints_the_paths(fixture_home, tmp_path, capsys):
    assert main(["report", "--quarter", "2021Q2", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    paths = [Path(p) for p in captured.out.split()]
    assert [p.name for p in paths] == [
        "2021Q2_测试工作要点落实情况简报.pdf",
        "2021Q2_a_甲区_测试工作要点落实情况简报.pdf",
        "2021Q2_b_乙区_测试工作要点落实情况简报.pdf",
        "2021Q2_c_丙区_测试工作要点落实情况简报.pdf",
        "2021Q2_bureau_市科技局_测试工作要点落实情况简报.pdf",
    ]
    assert all(p.parent == tmp_path and p.read_bytes().startswith(b"%PDF") for p in paths)
    assert all(p.with_suffix(".html").exists() for p in paths)  # the reviewable form beside each
    assert "全市及4个单位" in captured.err


def test_report_for_one_unit_named_in_chinese(fixture_home, capsys):
    assert main(["report", "--quarter", "2021Q2", "--unit", "乙区"]) == 0
    out = capsys.readouterr().out.split()
    assert len(out) == 1
    path = Path(out[0])
    assert path.parent == load_settings().quarter_out("2021Q2")
    assert path.name == "2021Q2_b_乙区_测试工作要点落实情况简报.pdf" and path.exists()


def test_report_for_a_quarter_without_data_says_so(fixture_home, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", "--quarter", "2021Q4", "--out", str(out)]) == 2
    assert "没有2021年第四季度的数据" in capsys.readouterr().err
    assert not out.exists()


def test_report_makes_every_brief_it_can_and_says_which_it_could_not(fixture_home, tmp_path, capsys):
    (tmp_path / "2021Q2_b_乙区_测试工作要点落实情况简报.pdf").mkdir()  # in the way of 乙区's brief
    assert main(["report", "--quarter", "2021Q2", "--out", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.split()) == 4 and "乙区" not in captured.out
    assert "以下简报未能生成" in captured.err and "b: IsADirectoryError" in captured.err
