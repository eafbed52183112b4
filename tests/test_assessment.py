"""The year-end assessment and the whole-unit rule, on the hand-worked year
(tests/fixtures/progress_year/README.md), and the rules the per-file check shares
with the warehouse."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from plantrack import report
from plantrack.catalog_tables import refresh_catalog_tables
from plantrack.pacing import expected_to_date, is_count_unit
from plantrack.periods import Quarter
from plantrack.report.assessment import city_assessment, unit_assessment
from plantrack.report.briefs import change_sentence, relative_gap
from plantrack.report.formatting import shorten
from plantrack.report.rows import behind_items, status_tallies, year_end_words
from plantrack.settings import load_settings
from tests.fixtures.progress_year.warehouse_builder import build_warehouse, fixture_catalog
from transforms.models import run_models
from warehouse.db import connect

Q2, Q4 = Quarter(2021, 2), Quarter(2021, 4)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = build_warehouse(tmp_path_factory.mktemp("year") / "w.duckdb")
    connection = duckdb.connect(str(path), read_only=True)
    yield connection
    connection.close()


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


# -- whole units at Q2 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "indicator", "expected", "status"),
    [
        ("bureau", "I02-2-1", 0.0, "正常推进"),  # 1 支 × 0.5 expects nothing yet
        ("bureau", "I02-2-2", 3.0, "正常推进"),
        ("b", "I01-1-1", 17.0, "正常推进"),  # floor(17.5): 17 is on track
        ("c", "I01-1-1", 12.0, "正常推进"),
        ("a", "I01-1-2", 110.0, "正常推进"),
        ("city", "I01-1-1", 49.0, "正常推进"),  # no more than its units: 20 + 17 + 12
        ("city", "I03-1-2", 58.5, "正常推进"),  # 个百分点 is not a count: not rounded
    ],
)
def test_counts_are_expected_in_whole_units(con, scope, indicator, expected, status):
    got = rows(
        con,
        "select expected_to_date, status from int_progress where quarter = '2021Q2' "
        "and scope = ? and indicator_id = ?",
        [scope, indicator],
    )
    assert got == [(pytest.approx(expected), status)]


def test_count_units_are_the_same_in_sql_and_python():
    with duckdb.connect() as mem:
        mem.execute((Path(__file__).parents[1] / "transforms/sql/int_pacing_rules.sql").read_text())
        for uom in ("家", "项", "支", "人(项)", "场(次)", "人次", "个", "个百分点", "%", "亿元", "万元", ""):
            sql = mem.execute("select is_count_unit(?)", [uom]).fetchone()[0]
            assert sql == is_count_unit(uom), uom
    assert not is_count_unit("个百分点") and is_count_unit("家")


def test_the_check_expects_what_the_warehouse_expects_on_the_2021_plan(catalog, tmp_path):
    con = connect(tmp_path / "w.duckdb")
    try:
        refresh_catalog_tables(con, catalog, 1.0, 0.5)
        run_models(con)
        sql = dict(
            ((u, i, q), e)
            for u, i, q, e in con.execute(
                "select scope, indicator_id, quarter_number, expected_to_date from int_indicator_targets "
                "where scope <> 'city'"
            ).fetchall()
        )
    finally:
        con.close()
    checked = 0
    for ind in catalog.indicators:
        for unit in ind.units:
            for q in (1, 2, 3, 4):
                want = sql[(unit, ind.id, q)]
                got = expected_to_date(catalog, ind, unit, q)
                assert (got is None) == (want is None), (unit, ind.id, q)
                if got is not None:
                    assert got == pytest.approx(want), (unit, ind.id, q)
                    checked += 1
    assert checked > 200


# -- met or missed at Q4 ------------------------------------------------------------


def test_each_target_is_met_or_missed_with_its_shortfall(con):
    got = {
        (s, i): (r, g, sf, ex)
        for s, i, r, g, sf, ex in rows(
            con,
            """
        select scope, indicator_id, result, grade, round(shortfall, 4), round(excess, 4)
        from mart_annual_assessment where year = 2021""",
        )
    }
    assert got[("a", "I01-1-1")] == ("完成", "力争", None, 10.0)
    assert got[("a", "I01-1-2")] == ("未完成", None, 2.0, None)
    assert got[("b", "I01-1-1")] == ("完成", "确保", None, None)  # floor, not the stretch 42
    assert got[("c", "I01-1-2")] == ("未完成", None, 80.0, None)  # rejected: the whole floor
    assert got[("bureau", "I02-1-1")] == ("完成", "确保", None, None)  # 左右: 2.2 ≥ 2.185
    assert got[("bureau", "I02-1-2")] == ("未完成", None, 0.5, None)  # 18.5 < 19
    assert got[("bureau", "I02-2-1")] == ("完成", "力争", None, 1.0)  # range 1–2 支
    assert got[("bureau", "I03-1-1")] == ("完成", "确保", None, None)  # ceiling kept
    assert got[("city", "I01-1-1")] == ("完成", "确保", None, 5.0)
    assert got[("city", "I01-1-2")] == ("未完成", None, 81.0, None)
    city = [v[0] for k, v in got.items() if k[0] == "city"]
    assert city.count("完成") == 8 and city.count("未完成") == 3


def test_the_city_names_the_units_that_missed_with_their_notes(con):
    (missed_by,) = rows(
        con,
        "select missed_by from mart_annual_assessment where year = 2021 "
        "and scope = 'city' and indicator_id = 'I01-1-2'",
    )[0]
    assert [(m["unit"], m["shortfall"]) for m in missed_by] == [("c", 80.0), ("a", 2.0)]
    assert missed_by[1]["note"].startswith("两家孵化器年底合并")


def test_units_are_ranked_by_share_met_then_mean_attainment(con):
    got = rows(
        con,
        "select unit, met, assessed, round(share_met, 4), round(mean_attainment, 4), rank "
        "from mart_unit_ranking where year = 2021 order by rank",
    )
    assert got == [
        ("a", 3, 4, 0.75, 1.0375, 1),
        ("b", 3, 4, 0.75, 0.9958, 2),
        ("bureau", 5, 7, 0.7143, 1.0259, 3),
        ("c", 2, 4, 0.5, 0.7, 4),
    ]


# -- the view models -------------------------------------------------------------------


def test_the_city_assessment_speaks_of_met_and_missed(con):
    a = city_assessment(con, fixture_catalog(), Q4, "测试市科学技术局")
    assert a.lead[0] == (
        "2021年度，全市纳入考核的11项量化指标中，完成8项（其中达到力争目标1项、超额完成3项），未完成3项。"
    )
    assert [r["indicator_id"] for r in a.missed] == ["I01-1-2", "I03-1-3", "I02-1-2"]
    reasons = a.missed[0]["reasons"]
    assert reasons[0] == {"unit": "丙区", "note": "", "gap": "未报送或数据待核"}
    assert reasons[1]["gap"] == "差2"
    milestones = {m["milestone_id"]: m["label"] for s in a.sections for m in s["milestones"]}
    assert milestones == {"M01-1": "已完成", "M03-1": "未完成"}
    text = " ".join(a.lead)
    assert "滞后" not in text and "序时" not in text


def test_a_unit_assessment_shows_its_own_note_shortened_and_its_place(con):
    a = unit_assessment(con, fixture_catalog(), Q4, "c", "测试市科学技术局")
    assert a.own_rank["rank"] == 4 and "排第4位" in a.lead[-1]
    note = next(r for r in a.missed if r["indicator_id"] == "I01-1-1")["own_note"]
    assert note.endswith("…") and len(note) == 60 and note.startswith("受疫情影响")


def test_quarterly_helpers_order_and_compare():
    assert shorten("短") == "短" and shorten("长" * 70).endswith("…")
    small = {"expected_to_date": 0.0, "actual": 0.0, "target": 1.0, "start_level": 0.0}
    large = {"expected_to_date": 50.0, "actual": 17.0, "target": 100.0, "start_level": 0.0}
    assert relative_gap(large) == pytest.approx(0.33) and relative_gap(small) == 0.0
    before = [{"indicator_id": "x", "status": "滞后"}, {"indicator_id": "y", "status": "正常推进"}]
    now = [
        {"indicator_id": "x", "name": "甲", "status": "正常推进"},
        {"indicator_id": "y", "name": "乙", "status": "严重滞后"},
    ]
    assert change_sentence(now, before) == "与上季度相比，1项好转（甲），1项转差（乙）。"


def test_at_year_end_missed_targets_are_ordered_by_gap_and_counted_as_met_or_missed():
    def row(i, status, actual, target=100.0):
        return {
            "indicator_id": i,
            "status": status,
            "actual": actual,
            "target": target,
            "expected_to_date": target,
            "start_level": 0.0,
            "qualifier": "min",
        }

    rows = [
        row("a", "严重滞后", 40.0),
        row("b", "滞后", 10.0),
        row("c", "已完成", 120.0),
        row("d", "已完成", 100.0),
        row("e", "数据待核", None),
    ]
    assert [r["indicator_id"] for r in behind_items([dict(r) for r in rows])] == ["a", "b"]
    year_end_words(rows)
    assert [r["indicator_id"] for r in behind_items(rows, year_end=True)] == ["b", "a"]
    assert [(t["status"], t["n"]) for t in status_tallies(rows)] == [
        ("未完成", 2),
        ("完成", 1),
        ("超额完成", 1),
        ("数据待核", 1),
    ]


# -- the PDFs ----------------------------------------------------------------------------


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")
def test_the_q4_run_renders_the_assessment_pdfs(con, tmp_path):
    paths = report.render_quarter_briefs(
        con, fixture_catalog(), Q4, tmp_path, "测试市科学技术局", load_settings({}).font_cache, workers=1
    )
    city = paths["assessment:city"]
    assert city.name == "2021_测试工作要点年度完成情况考核.pdf"  # the fixture plan's title
    assert {s for s in paths if s.startswith("assessment:")} == {
        "assessment:city",
        "assessment:a",
        "assessment:b",
        "assessment:c",
        "assessment:bureau",
    }
    text = re.sub(
        r"\s+",
        "",
        subprocess.run(["pdftotext", str(city), "-"], capture_output=True, text=True, check=True).stdout,
    )
    for needle in (
        "测试工作要点年度考核",  # the fixture plan's name, not 科技
        "未完成指标",
        "各单位完成情况及排名",
        "超额完成",
        "两家孵化器年底合并",
        "排名规则",
    ):
        assert needle in text, needle
    brief = re.sub(
        r"\s+",
        "",
        subprocess.run(
            ["pdftotext", str(paths["city"]), "-"], capture_output=True, text=True, check=True
        ).stdout,
    )
    assert "未完成指标" in brief and "序时应完成" not in brief
    assert "滞后" not in brief and "正常推进" not in brief  # the status bar, unit table and matrix too
    assert re.search(r"未完成\d+项", brief) and re.search(r"超额完成\d+项", brief)


def test_the_assessment_is_named_after_the_plan_not_the_first_customers(con, tmp_path):
    """Another bureau's plan: its assessment's title and file names are that plan's."""
    import dataclasses

    from plantrack.report.jobs import assessment_jobs

    catalog = dataclasses.replace(fixture_catalog(), title="2021年全市工业和信息化工作要点")
    jobs = {j.scope: j for j in assessment_jobs(con, catalog, Q4, tmp_path, "测试市工业和信息化局")}
    city, unit = jobs["assessment:city"], jobs["assessment:a"]
    assert city.brief.title == "全市工业和信息化工作要点年度完成情况考核"
    assert city.target.name == "2021_全市工业和信息化工作要点年度完成情况考核.pdf"
    assert unit.brief.title == "甲区工业和信息化工作要点年度完成情况考核"
    assert unit.target.name == "2021_a_甲区_工业和信息化工作要点年度完成情况考核.pdf"
    assert not any("科技工作要点" in j.brief.title + j.target.name for j in jobs.values())


def test_a_county_plans_assessment_speaks_of_the_county(con):
    import dataclasses

    county = dataclasses.replace(fixture_catalog(), title="2021年全县科技工作要点", issuer="荣阳县科学技术局")
    city = city_assessment(con, county, Q4, county.issuer)
    assert city.title == "全县科技工作要点年度完成情况考核" and city.scope == "全县"
    assert city.masthead == "科技工作要点年度考核"
    zone = dataclasses.replace(
        county, title="安澜高新区2025年工作计划", issuer="安澜高新技术产业开发区管理委员会"
    )
    assert city_assessment(con, zone, Q4, zone.issuer).masthead == "安澜高新区工作计划年度考核"
    assert city.lead[0].startswith("2021年度，全县纳入考核的")
