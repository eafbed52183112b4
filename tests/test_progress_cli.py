"""`plantrack progress` on the hand-built fixture: exactly the answers worked out by hand.

The arithmetic is in tests/fixtures/progress/README.md; expected_2021Q2.json
holds the same answers as data.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from plantrack.cli import main
from tests.fixtures.progress.warehouse_builder import HERE, build_warehouse
from warehouse.db import connect

EXPECTED = json.loads((HERE / "expected_2021Q2.json").read_text(encoding="utf-8"))


@pytest.fixture
def warehouse(settings) -> Path:
    return build_warehouse(settings.warehouse_path)


def progress_json(capsys, *args: str) -> dict:
    assert main(["progress", "--quarter", "2021Q2", "--json", *args]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out)  # the whole of stdout is one JSON document


def test_city_progress_gives_the_hand_worked_answers(warehouse, capsys):
    doc = progress_json(capsys)
    want = EXPECTED["city"]
    assert doc["status_counts"] == want["status_counts"]
    got = {e["id"]: e for e in doc["indicators"]}
    assert list(got) == list(want["indicators"])  # every indicator, in plan order
    for ind_id, expected in want["indicators"].items():
        entry = got[ind_id]
        answer = {k: entry[k] for k in expected if k != "shortfall_by_unit"}
        answer["shortfall_by_unit"] = {u["unit"]: u["share"] for u in entry["shortfall_by_unit"]}
        assert answer == expected, ind_id


def test_city_shortfall_lists_the_largest_gap_first(warehouse, capsys):
    entry = next(e for e in progress_json(capsys)["indicators"] if e["id"] == "I01-1-1")
    assert [(u["name"], u["gap"]) for u in entry["shortfall_by_unit"]] == [("丙区", 12.0), ("乙区", 7.0)]
    assert (entry["units_reported"], entry["units_expected"]) == (2, 3)


@pytest.mark.parametrize("unit", ["a", "b", "c"])
def test_unit_progress_gives_the_hand_worked_answers(warehouse, capsys, unit):
    doc = progress_json(capsys, "--unit", unit)
    assert doc["scope"] == unit
    got = {e["id"]: e for e in doc["indicators"]}
    assert set(got) == set(EXPECTED["units"][unit])
    for ind_id, expected in EXPECTED["units"][unit].items():
        assert {k: got[ind_id][k] for k in expected} == expected, (unit, ind_id)


def test_every_entry_has_the_documented_fields(warehouse, capsys):
    required = {
        "id",
        "name",
        "unit",
        "target",
        "stretch",
        "actual",
        "expected_to_date",
        "pct_of_target",
        "status",
        "projection",
        "needed_per_quarter",
        "shortfall_share",
        "level",
    }
    for entry in progress_json(capsys)["indicators"]:
        assert required <= set(entry)


def test_a_unit_can_be_named_in_chinese(warehouse, capsys):
    assert progress_json(capsys, "--unit", "乙区") == progress_json(capsys, "--unit", "b")


def test_human_output_is_a_chinese_table(warehouse, capsys):
    assert main(["progress", "--quarter", "2021Q2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2021年第二季度 全市量化指标进度（11项）：严重滞后2项，滞后3项")
    assert lines[2].split()[:4] == ["编号", "指标", "单位", "目标"]
    row = next(line for line in lines if line.startswith("I01-1-1"))
    assert row.split() == [
        "I01-1-1",
        "新增科技企业",
        "家",
        "100",
        "120",
        "40",
        "49",
        "40.0%",
        "滞后",
        "80",
        "30",
        "丙区63%、乙区37%",
    ]


def test_reading_progress_leaves_the_warehouse_untouched(warehouse, capsys):
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    progress_json(capsys)
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before


def test_no_warehouse_says_how_to_get_one(home, capsys):
    assert main(["progress", "--quarter", "2021Q2"]) == 2
    err = capsys.readouterr().err
    assert "找不到数据仓库文件" in err and "plantrack run" in err


def test_a_warehouse_never_loaded_says_so(settings, capsys):
    connect(settings.warehouse_path).close()  # schema only: no run has built the models
    assert main(["progress", "--quarter", "2021Q2", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "还没有进度数据" in captured.err


def test_a_quarter_without_data_names_the_quarters_that_have_some(warehouse, capsys):
    assert main(["progress", "--quarter", "2021Q3"]) == 2
    err = capsys.readouterr().err
    assert "没有2021年第三季度的数据" in err
    assert "2021年第一季度、2021年第二季度" in err


def test_an_unknown_unit_lists_the_choices(warehouse, capsys):
    assert main(["progress", "--quarter", "2021Q2", "--unit", "火星"]) == 2
    err = capsys.readouterr().err
    assert "未知的填报单位“火星”。可选：甲区（a）、乙区（b）、丙区（c）、市科技局（bureau）" in err


def test_a_county_plans_progress_speaks_of_the_county(warehouse, capsys):
    con = connect(warehouse)
    con.execute("update dim_plan set title = '2021年全县科技工作要点', issuer = '荣阳县科学技术局'")
    con.close()
    assert progress_json(capsys)["scope_name"] == "全县"
    assert main(["progress", "--quarter", "2021Q2", "--unit", "b"]) == 0
    out = capsys.readouterr().out
    assert "占全县缺口" in out and "全市" not in out
    assert main(["progress", "--quarter", "2021Q2"]) == 0
    assert capsys.readouterr().out.startswith("2021年第二季度 全县量化指标进度")
