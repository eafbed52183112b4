"""Hostile combinations of mistakes in one file: each check still runs and says its piece.

GX miscounted the unit-of-measure pair rule when the same file also had a row of an
indicator the rule does not know (``missing_count`` below zero), could not run it
(``TypeError: Object of type int32 is not JSON serializable`` while formatting its
error) and so a wrong unit of measure passed.
"""

from __future__ import annotations

import json
import logging

from plantrack.periods import Quarter
from plantrack.validate import check_file
from tests.conftest import SUITES_2021
from tests.fixtures.validation.make_fixtures import filled, wrong_unit_of_measure

Q2 = Quarter(2021, 2)


def _issues(verdict) -> list[tuple]:
    return sorted((i.code, str(i.severity), i.cell, i.indicator_id) for i in verdict.validation.issues)


def test_uom_mismatch_is_found_beside_an_unknown_indicator_row(catalog, settings, tmp_path, caplog):
    path = tmp_path / "uom_and_unknown.xlsx"
    sheet = filled(catalog, "huancui", Q2, path)
    wrong_unit_of_measure(sheet)  # I05-3-1 in 万元, the plan counts 亿元
    row = sheet.last_row() + 1
    for col, value in enumerate(("I99-9-9", "不存在的指标", "家", None, 3), start=1):
        sheet.data.cell(row=row, column=col, value=value)
    sheet.wb.save(path)

    with caplog.at_level(logging.WARNING, logger="plantrack.validate"):
        verdict = check_file(path, catalog, Q2, SUITES_2021)

    assert not [r for r in caplog.records if "could not run" in r.getMessage()]
    assert _issues(verdict) == [
        ("unknown_indicator", "error", f"A{row}", "I99-9-9"),
        ("uom_mismatch", "error", "C9", "I05-3-1"),
    ]
    uom = next(i for i in verdict.validation.issues if i.code == "uom_mismatch")
    assert "万元" in uom.message and "亿元" in uom.message


def test_unknown_indicator_in_the_right_unit_adds_no_uom_issue(catalog, settings, tmp_path):
    path = tmp_path / "unknown_only.xlsx"
    sheet = filled(catalog, "huancui", Q2, path)
    row = sheet.last_row() + 1
    for col, value in enumerate(("I99-9-9", "不存在的指标", "万元", None, 3), start=1):
        sheet.data.cell(row=row, column=col, value=value)
    sheet.wb.save(path)

    assert _issues(check_file(path, catalog, Q2, SUITES_2021)) == [
        ("unknown_indicator", "error", f"A{row}", "I99-9-9")
    ]


def test_a_suite_written_with_unit_pairs_in_a_set_still_finds_the_same_units(catalog, settings, tmp_path):
    """Plans adopted before the rule compared looked-up units keep their suites: pairs in
    a set with a row condition, which GX must still run beside an unknown indicator."""
    suites = tmp_path / "suites"
    suites.mkdir()
    for source in SUITES_2021.glob("*.json"):
        suite = json.loads(source.read_text(encoding="utf-8"))
        for exp in suite["expectations"]:
            if exp["meta"]["code"] == "uom_mismatch":
                units = exp["meta"].pop("lookup")["values"]
                exp["type"] = "expect_column_pair_values_to_be_in_set"
                exp["kwargs"] = {
                    "column_A": "indicator_id",
                    "column_B": "uom",
                    "value_pairs_set": [[i, u] for i, u in units.items()],
                    "ignore_row_if": "either_value_is_missing",
                    "row_condition": {
                        "type": "comparison",
                        "column": {"name": "indicator_id"},
                        "operator": "IN",
                        "parameter": list(units),
                    },
                }
        (suites / source.name).write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")
    path = tmp_path / "uom_and_unknown.xlsx"
    sheet = filled(catalog, "huancui", Q2, path)
    wrong_unit_of_measure(sheet)
    row = sheet.last_row() + 1
    for col, value in enumerate(("I99-9-9", "不存在的指标", "家", None, 3), start=1):
        sheet.data.cell(row=row, column=col, value=value)
    sheet.wb.save(path)

    assert _issues(check_file(path, catalog, Q2, suites)) == _issues(
        check_file(path, catalog, Q2, SUITES_2021)
    )
    assert ("uom_mismatch", "error", "C9", "I05-3-1") in _issues(check_file(path, catalog, Q2, suites))
