"""Several files: the units' sum against a city-wide total reported beside them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from plantrack.periods import Quarter
from plantrack.validate import Validation, check_file, cross_file_issues, with_cross_file_checks
from tests.conftest import SUITES_2021

BUREAU = Path(__file__).resolve().parent / "fixtures" / "validation" / "city_total_mismatch_bureau.xlsx"
DISTRICTS = (
    "huancui",
    "wendeng",
    "rongcheng",
    "rushan",
    "gaoqu",
    "jingqu",
    "lingang",
    "zongbao",
    "nanhai",
    "haigaoyuan",
)


@pytest.fixture(scope="module")
def bureau(catalog) -> Validation:
    """The bureau's file with a 全市合计 of 1000 for I09-1-1 in E37."""
    return check_file(BUREAU, catalog, Quarter(2021, 2), SUITES_2021).validation


def district(unit: str, value: float | None) -> Validation:
    rows = {
        "indicator_id": ["I09-1-1"] if value is not None else [],
        "actual": [value] if value is not None else [],
    }
    return Validation(
        unit=unit, accepted=pl.DataFrame(rows, schema={"indicator_id": pl.String, "actual": pl.Float64})
    )


def flat(issues) -> list[tuple]:
    return [(i.code, str(i.severity), i.unit, i.file, i.cell, i.found, i.expected) for i in issues]


def test_units_summing_to_the_city_total_raise_nothing(bureau, catalog):
    units = [district(u, 100.0) for u in DISTRICTS]
    assert cross_file_issues([*units, bureau], catalog) == []


def test_a_city_total_that_differs_from_the_units_sum_is_a_warning_at_its_cell(bureau, catalog):
    units = [district(u, 110.0) for u in DISTRICTS]
    assert flat(cross_file_issues([bureau, *units], catalog)) == [
        (
            "city_total_mismatch",
            "warning",
            "bureau",
            "city_total_mismatch_bureau.xlsx",
            "E37",
            "1000",
            "1100（10个单位之和）",
        )
    ]


def test_rounding_of_figures_typed_with_two_decimals_is_tolerated(bureau, catalog):
    units = [district(u, 100.004) for u in DISTRICTS]
    assert cross_file_issues([bureau, *units], catalog) == []


def test_with_some_units_missing_only_a_sum_already_above_the_total_is_flagged(bureau, catalog):
    assert cross_file_issues([bureau, *(district(u, 100.0) for u in DISTRICTS[:6])], catalog) == []
    [issue] = cross_file_issues([bureau, *(district(u, 250.0) for u in DISTRICTS[:5])], catalog)
    assert issue.expected == "不小于已报送的5/10个单位之和 1250"


def test_the_latest_verdict_of_a_unit_counts_and_refused_files_do_not(bureau, catalog):
    units = [district(u, 100.0) for u in DISTRICTS]
    earlier = district("huancui", 500.0)
    refused = Validation(unit="wendeng", accepted=None)
    assert cross_file_issues([earlier, *units, refused, bureau], catalog) == []


def test_cross_file_warnings_join_the_bureaus_verdict_without_rejecting_rows(bureau, catalog):
    units = [district(u, 110.0) for u in DISTRICTS]
    checked = with_cross_file_checks([*units, bureau], catalog)
    assert checked[:-1] == units  # the districts' verdicts are untouched
    merged = checked[-1]
    assert [(i.code, i.cell) for i in merged.issues] == [("city_total_mismatch", "E37")]
    assert merged.issues[0].message.startswith("全市合计 1000 与各单位填报之和")
    assert merged.accepted.height == bureau.accepted.height and merged.city_totals.height == 1
    cross_file = [r for r in merged.expectation_results if r["code"] == "city_total_mismatch"]
    [result] = cross_file  # one cross-file result beside the file's own Python checks
    assert (result["code"], result["success"], result["unexpected_count"]) == (
        "city_total_mismatch",
        False,
        1,
    )


def test_checking_again_replaces_the_earlier_cross_file_verdict(bureau, catalog):
    once = with_cross_file_checks([bureau, *(district(u, 110.0) for u in DISTRICTS)], catalog)[0]
    again = with_cross_file_checks([once, *(district(u, 100.0) for u in DISTRICTS)], catalog)[0]
    assert again.issues == []
    assert [r["success"] for r in again.expectation_results if r["code"] == "city_total_mismatch"] == [True]


def test_a_county_plans_total_is_called_the_countys(bureau, catalog):
    import dataclasses

    county = dataclasses.replace(catalog, title="2021年全县科技工作要点")
    [issue] = with_cross_file_checks([*(district(u, 110.0) for u in DISTRICTS), bureau], county)[-1].issues
    assert issue.message.startswith("全县合计 1000 与各单位填报之和") and "全县合计数" in issue.hint
