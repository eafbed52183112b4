"""Checks against last quarter: year-to-date flows cannot fall; stocks should not jump."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from plantrack.periods import Quarter
from plantrack.validate import check_file, previous_values, with_history
from tests.conftest import SUITES_2021
from transforms.models import run_models
from warehouse.db import connect

CLEAN = Path(__file__).resolve().parent / "fixtures" / "validation" / "clean.xlsx"
Q1, Q2 = Quarter(2021, 1), Quarter(2021, 2)


@pytest.fixture(scope="module")
def clean(catalog):
    """环翠区's clean Q2 file, judged without history: I07-3-1 (a flow) is 2 in E14,
    I09-1-1 (a stock) is 173 in E22."""
    v = check_file(CLEAN, catalog, Q2, SUITES_2021).validation
    values = dict(zip(v.accepted["indicator_id"], v.accepted["actual"], strict=True))
    assert (values["I07-3-1"], values["I09-1-1"]) == (2, 173)
    return v


def flat(v) -> list[tuple]:
    return [(i.code, str(i.severity), i.cell, i.indicator_id, i.found, i.expected) for i in v.issues]


def test_a_year_to_date_flow_below_last_quarter_is_an_error_and_its_row_is_held(clean, catalog):
    v = with_history(clean, catalog, {"I07-3-1": 5})
    assert flat(v) == [("ytd_decreased", "error", "E14", "I07-3-1", "2", "不小于 5")]
    assert v.quarantined["indicator_id"].to_list() == ["I07-3-1"]
    assert "I07-3-1" not in v.accepted["indicator_id"].to_list()
    assert v.accepted.height == clean.accepted.height - 1
    [result] = [r for r in v.expectation_results if r["code"] == "ytd_decreased"]
    assert (result["success"], result["unexpected_count"]) == (False, 1)


def test_a_flow_that_stays_or_grows_passes(clean, catalog):
    assert with_history(clean, catalog, {"I07-3-1": 2, "I07-1-1": 1}).issues == []


def test_a_stock_that_jumps_is_a_warning_and_still_loads(clean, catalog):
    v = with_history(clean, catalog, {"I09-1-1": 100})
    assert flat(v) == [("stock_jump", "warning", "E22", "I09-1-1", "173", "与上季度 100 相差不超过50%")]
    assert "+73%" in v.issues[0].message
    assert v.accepted.height == clean.accepted.height


def test_a_stock_may_fall_a_little_and_a_flow_may_not_fall_at_all(clean, catalog):
    assert with_history(clean, catalog, {"I09-1-1": 180}).issues == []  # -4%: normal churn
    assert flat(with_history(clean, catalog, {"I07-3-1": 2.5}))[0][0] == "ytd_decreased"


def test_checking_history_again_replaces_the_earlier_history_verdict(clean, catalog):
    held = with_history(clean, catalog, {"I07-3-1": 5})
    again = with_history(held, catalog, {"I07-3-1": 1})
    assert again.issues == [] and again.quarantined.height == 0
    assert again.accepted.height == clean.accepted.height
    assert [r["code"] for r in again.expectation_results if r["suite"] == "plantrack"] == [
        "ytd_decreased",
        "stock_jump",
    ]


def test_history_is_checked_through_validate_submission_too(catalog):
    v = check_file(CLEAN, catalog, Q2, SUITES_2021, previous={"I07-3-1": 5}).validation
    assert [(i.code, i.cell) for i in v.issues] == [("ytd_decreased", "E14")]


def _land(con, sid: str, unit: str, quarter: str, received: datetime, values: dict) -> None:
    con.execute(
        "insert into raw_submissions (submission_id, file_hash, unit, quarter, received_at, "
        "source_path, readable) values (?, ?, ?, ?, ?, 'x.xlsx', true)",
        [sid, sid, unit, quarter, received],
    )
    for ind, value in values.items():
        con.execute(
            "insert into accepted_values (run_id, submission_id, unit, quarter, indicator_id, "
            "value) values ('r', ?, ?, ?, ?, ?)",
            [sid, unit, quarter, ind, value],
        )


def test_previous_values_are_the_latest_accepted_receipt_of_the_quarter_before():
    con = connect(":memory:")
    _land(con, "a", "huancui", "2021Q1", datetime(2021, 4, 8), {"I07-3-1": 1, "I09-1-1": 150})
    _land(con, "b", "huancui", "2021Q1", datetime(2021, 4, 9), {"I07-3-1": 3})  # resubmitted
    _land(con, "c", "wendeng", "2021Q1", datetime(2021, 4, 9), {"I07-3-1": 9})
    _land(con, "d", "huancui", "2021Q2", datetime(2021, 7, 9), {"I07-3-1": 7})
    run_models(con)
    assert previous_values(con, "huancui", Q2) == {"I07-3-1": 3.0}
    assert previous_values(con, "huancui", "2021Q3") == {"I07-3-1": 7.0}
    assert previous_values(con, "huancui", Q1) == {}  # a new year starts from nothing
    assert previous_values(con, "rushan", Q2) == {}


FIXTURES = CLEAN.parent


def _frames(v) -> list:
    return [
        None if f is None else f.to_dicts()
        for f in (v.accepted, v.quarantined, v.city_totals, v.milestones, v.milestones_quarantined)
    ]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xlsx")))
def test_history_without_a_new_error_leaves_the_rows_as_a_full_split_would(name, catalog):
    """``with_issues`` re-splits the rows only when an error comes or goes; every verdict
    must be exactly what splitting its issues afresh gives."""
    from plantrack.validate.verdict import split_rows

    verdict = check_file(FIXTURES / name, catalog, Q2, SUITES_2021)
    if verdict.validation is None or verdict.validation.staged is None:
        return  # nothing was read into rows: no history to check
    # none, a stock jump (a warning), the same figure, a flow that fell (an error)
    for previous in ({}, {"I09-1-1": 1.0}, {"I09-1-1": 173.0}, {"I07-3-1": 1e9}):
        v = with_history(verdict.validation, catalog, previous)
        again = split_rows(v)
        assert flat(v) == flat(again), (name, previous)
        assert _frames(v) == _frames(again), (name, previous)
