"""The warehouse models on the hand-built fixture (tests/fixtures/progress/README.md)."""

from __future__ import annotations

import re

import duckdb
import pytest

from plantrack import progress
from plantrack.catalog import load_catalog
from plantrack.catalog_tables import refresh_catalog_tables
from plantrack.settings import PLANS_DIR
from tests.fixtures.progress.warehouse_builder import build_warehouse, fixture_catalog
from transforms.models import SQL_DIR, model_files, model_names, run_models, snapshot_marts
from warehouse.db import connect


@pytest.fixture
def con(tmp_path):
    path = build_warehouse(tmp_path / "w.duckdb")
    connection = duckdb.connect(str(path))
    yield connection
    connection.close()


def scalar(con, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()[0]


def status(con, scope: str, indicator: str, quarter: str = "2021Q2") -> str:
    return scalar(
        con,
        "select status from int_progress where quarter = ? and scope = ? and indicator_id = ?",
        [quarter, scope, indicator],
    )


# -- how the models are written and run -------------------------------------------


def test_every_model_states_its_grain_and_ends_with_final():
    for path in SQL_DIR.glob("*.sql"):
        sql = path.read_text(encoding="utf-8")
        assert sql.startswith(f"-- {path.stem}:"), path.name
        if "create or replace view" in sql:
            assert "Grain: one row per" in sql, path.name
            assert sql.rstrip().endswith("select * from final;"), path.name


def test_a_model_runs_after_the_file_defining_the_macros_it_calls():
    order = [p.stem for p in model_files()]
    assert order.index("int_progress_status") < order.index("int_progress")
    assert order.index("int_progress") < order.index("mart_city_progress")
    assert order.index("mart_unit_progress") < order.index("mart_city_progress")


def test_models_referring_to_each_other_in_a_cycle_are_refused(tmp_path):
    (tmp_path / "int_a.sql").write_text("create or replace view int_a as select * from int_b;")
    (tmp_path / "int_b.sql").write_text("create or replace view int_b as select * from int_a;")
    with pytest.raises(ValueError, match="cycle"):
        model_files(tmp_path)


# -- which facts count ----------------------------------------------------------


def test_the_latest_valid_submission_wins(con):
    used = dict(
        con.execute(
            "select unit, submission_id from int_latest_submissions where quarter = '2021Q2'"
        ).fetchall()
    )
    assert used == {"a": "s-a-q2-fixed", "b": "s-b-q2", "c": "s-c-q2", "bureau": "s-bu-q2"}
    assert (
        scalar(
            con,
            "select actual from int_unit_values where unit = 'a' and quarter = '2021Q2' "
            "and indicator_id = 'I01-1-1'",
        )
        == 30
    )


def test_a_refused_file_does_not_supersede_but_is_counted(con):
    row = con.execute(
        "select receipts, invalid_receipts from int_latest_submissions "
        "where unit = 'b' and quarter = '2021Q2'"
    ).fetchone()
    assert row == (2, 1)


def test_two_different_figures_for_one_indicator_need_checking(con):
    con.execute(
        "insert into accepted_values (run_id, submission_id, unit, quarter, indicator_id, "
        "value, cell) values ('run-q2', 's-b-q2', 'b', '2021Q2', 'I01-1-2', 97, 'E12')"
    )
    actual, reasons = con.execute(
        "select actual, rejected_reasons from int_unit_values "
        "where unit = 'b' and quarter = '2021Q2' and indicator_id = 'I01-1-2'"
    ).fetchone()
    assert actual is None and "E12、E6" in reasons
    assert status(con, "b", "I01-1-2") == "数据待核"


def test_a_quarantined_row_is_data_to_check_and_a_missing_row_no_data(con):
    assert status(con, "c", "I01-1-1") == "数据待核"
    assert status(con, "c", "I03-2-2") == "无数据"


# -- roll-up, pacing, status -------------------------------------------------------


def test_the_city_sums_additive_figures_and_takes_the_bureau_figure_otherwise(con):
    rows = dict(
        con.execute("select indicator_id, actual from int_city_values where quarter = '2021Q2'").fetchall()
    )
    assert rows["I01-1-2"] == 104 + 95 + 66
    assert rows["I02-1-2"] == 9.6


def test_relative_targets_are_made_absolute_from_their_baselines(con):
    targets = dict(
        con.execute(
            "select indicator_id, target from int_indicator_targets "
            "where scope = 'city' and quarter_number = 2 "
            "and qualifier = 'increase_by'"
        ).fetchall()
    )
    assert targets == {"I03-1-2": 59.0, "I03-1-3": pytest.approx(60.0)}


def test_a_stock_is_paced_from_its_2020_level_and_a_flow_from_zero(con):
    rows = con.execute(
        "select scope, quarter_number, expected_to_date from int_indicator_targets "
        "where indicator_id = 'I01-1-2' and scope in ('city', 'a') "
        "order by scope, quarter_number"
    ).fetchall()
    assert rows == [
        ("a", 1, 105.0),
        ("a", 2, 110.0),
        ("a", 3, 115.0),
        ("a", 4, 120.0),
        ("city", 1, 255.0),
        ("city", 2, 270.0),
        ("city", 3, 285.0),
        ("city", 4, 300.0),
    ]


def test_a_year_end_target_is_judged_at_q4_only(con):
    rows = con.execute(
        "select quarter_number, year_end_only, expected_share from int_indicator_targets "
        "where scope = 'city' and indicator_id = 'I02-1-1' order by 1"
    ).fetchall()
    assert rows == [(1, True, None), (2, True, None), (3, True, None), (4, False, 1.0)]


def test_earlier_quarters_are_computed_too(con):
    assert status(con, "a", "I01-1-1", "2021Q1") == "正常推进"  # 12 against 0.25 × 40 = 10
    assert status(con, "b", "I01-1-1", "2021Q1") == "无数据"


def test_thresholds_come_from_the_settings_tables(con):
    assert status(con, "a", "I01-1-2") == "严重滞后"  # progress 4 < 0.5 × 10
    refresh_catalog_tables(con, fixture_catalog(), behind=1.0, severely_behind=0.3)
    assert status(con, "a", "I01-1-2") == "滞后"  # 4 ≥ 0.3 × 10
    refresh_catalog_tables(con, fixture_catalog(), behind=1.0, severely_behind=0.5, approx_tolerance=0.0)
    assert status(con, "city", "I02-1-2") == "滞后"  # 9.6 < 10 once 左右 has no band


def test_unit_shortfall_shares_add_up_to_one(con):
    sums = con.execute(
        "select indicator_id, sum(shortfall_share) from mart_unit_progress "
        "where quarter = '2021Q2' group by 1 having sum(shortfall_share) is not null"
    ).fetchall()
    assert sums and all(s == pytest.approx(1.0) for _, s in sums)


# -- milestones and submissions ---------------------------------------------------


def test_milestone_status_per_unit_and_for_the_city(con):
    rows = dict(
        con.execute(
            "select scope, status from mart_milestone_progress "
            "where quarter = '2021Q2' and milestone_id = 'M03-1'"
        ).fetchall()
    )
    assert rows == {"a": "已完成", "b": "推进中", "c": "数据待核", "city": "推进中"}
    assert (
        scalar(
            con,
            "select status from mart_milestone_progress where quarter = '2021Q2' "
            "and milestone_id = 'M01-1' and scope = 'city'",
        )
        == "已完成"
    )


def test_submission_status_per_unit(con):
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "select unit, state, receipts, rows_accepted, rows_quarantined, errors, original_name "
            "from mart_submission_status where quarter = '2021Q2'"
        ).fetchall()
    }
    assert rows["a"] == ("已采用", 2, 4, 0, 0, "甲区_2021Q2_修改版.xlsx")
    assert rows["c"] == ("已采用", 1, 2, 1, 1, "丙区_2021Q2.xlsx")
    assert rows["b"][:2] == ("已采用", 2)


# -- the real 2021 catalog --------------------------------------------------------


def test_every_stock_of_the_2021_plan_has_a_start_level_for_every_scope():
    """Stocks are paced from their 2020 year-end level (demo values in plans/2021/baselines.csv)."""
    cat = load_catalog(
        PLANS_DIR / "2021" / "catalog.toml",
        PLANS_DIR / "2021" / "units.toml",
        PLANS_DIR / "2021" / "allocation.csv",
        PLANS_DIR / "2021" / "baselines.csv",
    )
    con = connect(":memory:")
    refresh_catalog_tables(con, cat, 1.0, 0.5)
    run_models(con)
    missing = con.execute("""
        select distinct scope || ' ' || indicator_id from int_indicator_targets
        where cumulative and pacing <> 'year_end' and start_level is null
    """).fetchall()
    assert missing == []
    demo = [b for b in cat.baselines if cat.indicator(b.indicator_id).cumulative]
    assert demo and all(re.search("演示数据", b.note) for b in demo)


def test_last_quarters_file_sent_again_is_listed_as_refused_and_changes_nothing(con):
    con.execute(
        "insert into raw_files (file_hash, original_name, archived_path, size_bytes, "
        "first_seen_at) values ('h-old', '甲区_一季度.xlsx', '-', 1, '2021-07-08')"
    )
    con.execute(
        "insert into raw_submissions (submission_id, file_hash, unit, quarter, received_at, "
        "source_path, readable) values ('s-old', 'h-old', 'a', '2021Q1', '2021-07-08', '-', true)"
    )
    con.execute(
        "insert into submission_issues (run_id, submission_id, unit, code, severity, message) "
        "values ('run-q2', 's-old', 'a', 'wrong_quarter', 'error', ?)",
        ["报告期为2021年第一季度，应为第二季度"],
    )
    assert (
        scalar(
            con, "select submission_id from int_latest_submissions where unit = 'a' and quarter = '2021Q1'"
        )
        == "s-a-q1"
    )
    refused = {r["original_name"]: r["reasons"] for r in progress.refused_files(con, "2021Q2")}
    assert refused == {
        "乙区_2021Q2_最终版.xlsx": "无法读取：文件已损坏，无法打开",
        "甲区_一季度.xlsx": "报告期为2021年第一季度，应为第二季度",
    }


# -- a reader's snapshot of the marts ----------------------------------------------


def _rounded(value):
    """A double to 9 places: a snapshot adds in another order than its view (last digits)."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, list | tuple):
        return tuple(_rounded(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _rounded(v)) for k, v in value.items()))
    return value


def _everything(con, name: str) -> list[tuple]:
    return sorted((_rounded(r) for r in con.execute(f'select * from "{name}"').fetchall()), key=repr)


def test_a_snapshot_answers_every_mart_as_its_view_does_and_stays_as_it_was(tmp_path):
    path = build_warehouse(tmp_path / "w.duckdb")
    with (
        duckdb.connect(str(path), read_only=True) as viewer,
        duckdb.connect(str(path), read_only=True) as reader,
    ):
        names = snapshot_marts(reader)
        assert names and all(n.startswith("mart_") for n in names)
        for name in names:
            assert _everything(reader, name) == _everything(viewer, name), name
        shadowed = {
            r[0] for r in reader.execute("select table_name from duckdb_tables() where temporary").fetchall()
        }
        assert set(names) <= shadowed  # each mart, and each intermediate model under them
        assert {n for n in model_names() if n.startswith(("int_", "mart_"))} == shadowed
        assert _everything(reader, "int_progress") == _everything(viewer, "int_progress")
        assert not reader.execute(
            "select count(*) from duckdb_tables() where table_name like '\\_snapshot%' escape '\\'"
        ).fetchone()[0]


def test_a_snapshot_replaces_the_temporary_models_of_an_older_warehouse(tmp_path):
    path = build_warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(path), read_only=True) as reader:
        run_models(reader, temporary=True)  # what ensure_models does for older stored models
        before = _everything(reader, "mart_unit_progress")
        snapshot_marts(reader)
        assert _everything(reader, "mart_unit_progress") == before
        kinds = reader.execute(
            "select (select count(*) from duckdb_views() where temporary and view_name = 'mart_unit_progress'),"
            " (select count(*) from duckdb_tables() where temporary and table_name = 'mart_unit_progress')"
        ).fetchone()
        assert kinds == (0, 1)
