"""The committed expectation suites: generated from the catalog, never edited by hand."""

from __future__ import annotations

import json
import re

import pytest

from plantrack.validate import CHECKS, FILE_LEVEL
from plantrack.validate.suites import PLAUSIBLE_MULTIPLE, city_total_ids, generate_suites, write_suites
from tests.conftest import SUITES_2021

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _suite(name: str) -> dict:
    return json.loads((SUITES_2021 / name).read_text(encoding="utf-8"))


def _by_code(suite: dict, code: str) -> list[dict]:
    return [e for e in suite["expectations"] if e["meta"]["code"] == code]


def test_regenerating_the_suites_from_the_catalog_changes_nothing(catalog):
    generated = generate_suites(catalog)
    committed = {p.name: p.read_text(encoding="utf-8") for p in SUITES_2021.glob("*.json")}
    assert sorted(committed) == sorted(generated), "run `make suites` and commit the result"
    stale = [name for name, text in generated.items() if committed[name] != text]
    assert stale == [], f"stale suites {stale}: run `make suites` and commit the result"


def test_write_suites_removes_suites_the_catalog_no_longer_implies(catalog, tmp_path):
    (tmp_path / "submission_gone.json").write_text("{}", encoding="utf-8")
    written = write_suites(catalog, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(p.name for p in written)
    assert not (tmp_path / "submission_gone.json").exists()


def test_every_code_a_suite_can_raise_has_a_chinese_message_and_hint(catalog):
    codes = {
        e["meta"]["code"]
        for text in generate_suites(catalog).values()
        for e in json.loads(text)["expectations"]
    }
    assert codes <= set(CHECKS)
    for code, check in CHECKS.items():
        assert CHINESE.search(check.message) and CHINESE.search(check.hint), code
        assert CHINESE.search(check.cause), code
    assert set(CHECKS) >= FILE_LEVEL


def test_a_district_suite_checks_exactly_its_own_indicators(catalog):
    suite = _suite("submission_huancui.json")
    own = [i.id for i in catalog.indicators_for("huancui")]
    [known] = _by_code(suite, "unknown_indicator")
    [required] = _by_code(suite, "missing_indicator")
    assert known["kwargs"]["value_set"] == own == required["kwargs"]["value_set"]
    [units] = _by_code(suite, "uom_mismatch")
    assert units["meta"]["lookup"]["values"] == {i.id: i.unit for i in catalog.indicators_for("huancui")}
    assert units["meta"]["lookup"]["values"]["I05-3-1"] == "亿元"
    assert (units["kwargs"]["column_A"], units["kwargs"]["column_B"]) == ("expected_uom", "uom")
    assert {c["kwargs"]["column"]: c["severity"] for c in _by_code(suite, "missing_column")} == {
        "indicator_id": "critical",
        "actual": "critical",
        "uom": "critical",
        "note": "warning",
    }


def test_plausibility_bounds_are_five_times_each_units_own_target(catalog):
    [rule] = _by_code(_suite("submission_huancui.json"), "implausible_value")
    assert rule["severity"] == "warning"
    bounds = rule["meta"]["lookup"]["values"]
    for ind in catalog.indicators_for("huancui"):
        target, _ = catalog.unit_target(ind, "huancui")
        assert bounds[ind.id] == pytest.approx(target * PLAUSIBLE_MULTIPLE)


def test_shares_growth_rates_and_point_changes_have_their_own_ranges():
    ranges = {
        tuple(sorted(e["kwargs"]["row_condition"]["parameter"])): (
            e["kwargs"].get("min_value"),
            e["kwargs"].get("max_value"),
        )
        for e in _by_code(_suite("submission_bureau.json"), "percent_out_of_range")
    }
    assert ranges[("I10-3-1",)] == (0, 100)  # 研发投入占GDP比重: a share
    assert ranges[("I05-1-4",)] == (-100, 100)  # 提高1个百分点: a change in points
    assert ranges[("I10-1-3",)] == (-100, None)  # 同比增长20%: a growth rate
    [negative] = _by_code(_suite("submission_bureau.json"), "negative_value")
    condition = negative["kwargs"]["row_condition"]
    assert condition["operator"] == "NOT_IN" and "I10-1-3" in condition["parameter"]  # may be negative


def test_only_the_bureau_may_add_city_totals_and_it_need_not(catalog):
    assert city_total_ids(catalog, "huancui") == []
    totals = city_total_ids(catalog, "bureau")
    assert "I09-1-1" in totals and "I18-2-1" not in totals  # the bureau reports its own share
    suite = _suite("submission_bureau.json")
    [known] = _by_code(suite, "unknown_indicator")
    [required] = _by_code(suite, "missing_indicator")
    assert set(totals) <= set(known["kwargs"]["value_set"])
    assert not set(totals) & set(required["kwargs"]["value_set"])
    assert suite["meta"]["city_total_indicators"] == totals


def test_the_milestone_suite_wants_evidence_for_completed_tasks():
    suite = _suite("milestones.json")
    [rule] = _by_code(suite, "completed_without_evidence")
    assert rule["severity"] == "warning"
    assert rule["kwargs"]["row_condition"] == {
        "type": "comparison",
        "column": {"name": "status"},
        "operator": "==",
        "parameter": "已完成",
    }
    [status] = _by_code(suite, "invalid_status")
    assert status["kwargs"]["value_set"] == ["未启动", "推进中", "已完成"]


def test_row_conditions_select_their_rows_without_any_deprecation_warning():
    """The conditions are GX Condition objects: they restrict rows as meant, and GX has no
    reason to warn, even where something (pandas, while casting) lets every warning through."""
    import warnings

    import polars as pl

    from plantrack.validate import add_lookup_columns, run_suite

    suite = _suite("submission_bureau.json")
    frame = add_lookup_columns(
        pl.DataFrame(
            {
                "row_number": [5, 6, 7, 8],
                "indicator_id": ["I10-1-3", "I10-3-1", "I10-3-1", "I09-1-1"],
                "actual": [-5.0, 120.0, 2.3, -1.0],  # a fall in growth; a share over 100; fine; negative
                "uom": ["%", "%", "%", "家"],
                "note": [None, None, None, None],
            }
        ),
        suite,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_suite(frame, suite)
    assert not [
        w for w in caught if issubclass(w.category, DeprecationWarning) and "condition" in str(w.message)
    ]
    failed = {
        (
            r.expectation_config.meta["code"],
            tuple(
                r.result.get("unexpected_index_list")
                and sorted(i["row_number"] for i in r.result["unexpected_index_list"])
                or ()
            ),
        )
        for r in result.results
        if not r.success
    }
    assert ("negative_value", (8,)) in failed  # the growth rate's -5 is allowed, the count's -1 not
    assert ("percent_out_of_range", (6,)) in failed  # only the share's row is held to 0–100
