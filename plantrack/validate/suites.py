"""Expectation suites generated from the catalog, one per reporting unit.

The suites are committed under ``expectations/plans/2021/suites`` so that a reviewer
sees exactly what each unit's data is checked against; a test fails when
regenerating them from the catalog would change anything. Run
``python -m plantrack.validate.suites`` (``make suites``) after editing the catalog.

Each expectation carries ``meta.code``: the issue code a failing row becomes
(registered, with its Chinese message, in plantrack/issues/registry.py). Its
severity is the registered one unless given: ``critical`` rejects the row (or, for
a missing column, the file); ``warning`` loads it and shows the problem.

Per-indicator limits (the plausibility bound of each indicator) are one
lookup table inside the expectation's ``meta.lookup``: validation adds the
looked-up value as a column and Great Expectations compares the two columns.
One expectation with a table is ~7× faster than one row-conditioned
expectation per indicator, and the table is just as reviewable.

Checks that need history or several files (a year-to-date figure below last
quarter's, a jump in a stock, the units' sum against a city total) and the
identity checks are Python, in plantrack/validate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from plantrack.catalog import Catalog, Indicator
from plantrack.issues import Severity, issue_type
from plantrack.settings import load_settings
from plantrack.validate.checks import RATIO_UNITS
from plantrack.workbook_contract import MILESTONE_STATUSES

GENERATED_BY = "plantrack/validate/suites.py"
PLAUSIBLE_MULTIPLE = 5  # above 5× the unit's annual target is implausible (a warning)
GX_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "warning"}
CITY_LEVEL_KIND = "bureau"  # units of this kind may add a city-wide total for additive indicators
# (column key, severity): the staged columns a submission must have. The reader already
# refuses a sheet without 指标编号 and 累计完成; without 单位 no figure's unit can be
# confirmed (the file is rejected); without 说明 the figures still load.
REQUIRED_COLUMNS = (
    ("indicator_id", "critical"),
    ("actual", "critical"),
    ("uom", "critical"),
    ("note", "warning"),
)


def _expectation(
    kind: str, code: str, severity: str | None = None, meta: dict | None = None, **kwargs
) -> dict:
    """One expectation raising ``code``, at its registered severity unless ``severity`` says
    otherwise (the registry must allow it)."""
    registered = issue_type(code)
    if severity is not None:
        issue_type(code, Severity.WARNING if severity == "warning" else Severity.ERROR)
    return {
        "type": kind,
        "kwargs": kwargs,
        "meta": {"code": code, **(meta or {})},
        "severity": severity or GX_SEVERITY[registered.severity],
    }


def _condition(column: str, operator: str, parameter) -> dict:
    """A GX row condition as GX serialises it (``Column(column).is_in(...)`` and the like).

    Condition objects, not pandas query strings: GX 1.9+ warns on every validation that
    string conditions will go, and no process-wide warning filter survives threads that
    save and restore the filters around it (pandas does, while casting dtypes).
    """
    return {"type": "comparison", "column": {"name": column}, "operator": operator, "parameter": parameter}


def _in(ids: list[str]) -> dict:
    return _condition("indicator_id", "IN", ids)


def city_total_ids(catalog: Catalog, unit: str) -> list[str]:
    """Additive indicators the districts report, for which a city-level unit may add the total."""
    if catalog.units[unit].kind != CITY_LEVEL_KIND:
        return []
    return [i.id for i in catalog.indicators if i.additive and unit not in i.units]


def ratio_bounds(ind: Indicator) -> tuple[float | None, float | None] | None:
    """Allowed range of a share or percentage; None for counts and amounts.

    A share (研发投入占比 2.3%) lies in 0–100. A change in percentage points lies in
    -100–100, and a growth rate (同比增长 20%) can be negative but not below -100%.
    """
    if ind.unit not in RATIO_UNITS:
        return None
    if not ind.is_relative:
        return (0.0, 100.0)
    return (-100.0, 100.0) if ind.unit == "个百分点" else (-100.0, None)


def _column_rules() -> list[dict]:
    return [
        _expectation("expect_column_to_exist", "missing_column", severity, column=column)
        for column, severity in REQUIRED_COLUMNS
    ]


def _identity_rules(ids: list[str], known: list[str]) -> list[dict]:
    return [
        _expectation("expect_column_values_to_not_be_null", "missing_indicator_id", column="indicator_id"),
        _expectation(
            "expect_column_values_to_be_in_set", "unknown_indicator", column="indicator_id", value_set=known
        ),
        _expectation("expect_column_values_to_be_unique", "duplicate_indicator", column="indicator_id"),
        _expectation(
            "expect_column_distinct_values_to_contain_set",
            "missing_indicator",
            column="indicator_id",
            value_set=ids,
        ),
    ]


def _unit_of_measure_rule(indicators: list[Indicator]) -> dict:
    """The unit of measure written beside each figure is its indicator's.

    Compared as two columns (the unit looked up by indicator, the unit written), not as
    pairs in a set: GX checks pairs one row at a time in Python (``iterrows``, ~7 ms a
    file), a comparison of columns at once. Rows of unknown indicators look up nothing
    and are skipped: they are reported as unknown, not as a wrong unit too.
    """
    return _expectation(
        "expect_column_pair_values_to_be_equal",
        "uom_mismatch",
        meta={
            "lookup": {
                "column": "expected_uom",
                "key": "indicator_id",
                "values": {i.id: i.unit for i in indicators},
            }
        },
        column_A="expected_uom",
        column_B="uom",
        ignore_row_if="either_value_is_missing",
    )


def _value_rules(indicators: list[Indicator]) -> list[dict]:
    relative = [i.id for i in indicators if i.is_relative]
    not_negative = {"row_condition": _condition("indicator_id", "NOT_IN", relative)} if relative else {}
    rules = [
        _expectation("expect_column_values_to_not_be_null", "value_not_number", column="actual"),
        _expectation(
            "expect_column_values_to_be_between",
            "negative_value",
            column="actual",
            min_value=0,
            **not_negative,
        ),
    ]
    groups: dict[tuple, list[str]] = {}
    for ind in indicators:
        bounds = ratio_bounds(ind)
        if bounds is not None:
            groups.setdefault(bounds, []).append(ind.id)
    for (low, high), ids in sorted(groups.items(), key=lambda kv: kv[1]):
        limits = {k: v for k, v in (("min_value", low), ("max_value", high)) if v is not None}
        rules.append(
            _expectation(
                "expect_column_values_to_be_between",
                "percent_out_of_range",
                column="actual",
                row_condition=_in(ids),
                **limits,
            )
        )
    return rules


def plausible_maxima(catalog: Catalog, unit: str, indicators: list[Indicator]) -> dict[str, float]:
    """Indicator → the largest plausible figure: PLAUSIBLE_MULTIPLE × the unit's annual target."""
    city_totals = set(city_total_ids(catalog, unit))
    maxima = {}
    for ind in indicators:
        target = ind.target if ind.id in city_totals else catalog.unit_target(ind, unit)[0]
        if target and ratio_bounds(ind) is None:
            maxima[ind.id] = round(target * PLAUSIBLE_MULTIPLE, 6)
    return maxima


def _plausibility_rule(maxima: dict[str, float]) -> dict:
    return _expectation(
        "expect_column_pair_values_a_to_be_greater_than_b",
        "implausible_value",
        meta={
            "lookup": {"column": "plausible_max", "key": "indicator_id", "values": maxima},
            "multiple_of_target": PLAUSIBLE_MULTIPLE,
        },
        column_A="plausible_max",
        column_B="actual",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )


def build_suite(catalog: Catalog, unit: str) -> dict:
    """The submission suite for ``unit``'s staged indicator rows."""
    own = catalog.indicators_for(unit)
    totals = [catalog.indicator(i) for i in city_total_ids(catalog, unit)]
    checked = own + totals
    ids = [i.id for i in own]
    exps = _column_rules() + _identity_rules(ids, ids + [i.id for i in totals])
    exps.append(_unit_of_measure_rule(checked))
    exps += _value_rules(checked)
    maxima = plausible_maxima(catalog, unit, checked)
    if maxima:
        exps.append(_plausibility_rule(maxima))
    return {
        "name": f"submission_{unit}",
        "meta": {
            "catalog_version": catalog.version,
            "unit": unit,
            "city_total_indicators": [i.id for i in totals],
            "generated_by": GENERATED_BY,
        },
        "expectations": exps,
    }


def build_milestone_suite(catalog: Catalog, statuses: tuple[str, ...], done: str) -> dict:
    """Rules for the 重点任务 rows; ``support`` is the progress note or, failing that, the evidence."""
    return {
        "name": "milestones",
        "meta": {"catalog_version": catalog.version, "generated_by": GENERATED_BY},
        "expectations": [
            _expectation(
                "expect_column_values_to_not_be_null", "missing_milestone_id", column="milestone_id"
            ),
            _expectation(
                "expect_column_values_to_be_in_set",
                "unknown_milestone",
                column="milestone_id",
                value_set=[m.id for m in catalog.milestones],
            ),
            _expectation("expect_column_values_to_be_unique", "duplicate_milestone", column="milestone_id"),
            _expectation(
                "expect_column_values_to_be_in_set",
                "invalid_status",
                column="status",
                value_set=list(statuses),
            ),
            _expectation(
                "expect_column_values_to_not_be_null",
                "completed_without_evidence",
                column="support",
                row_condition=_condition("status", "==", done),
            ),
        ],
    }


def render(suite: dict) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def generate_suites(catalog: Catalog) -> dict[str, str]:
    """File name → content for every suite the catalog implies."""
    files = {
        f"submission_{u.code}.json": render(build_suite(catalog, u.code))
        for u in catalog.reporting_units()
        if catalog.indicators_for(u.code)
    }
    files["milestones.json"] = render(
        build_milestone_suite(catalog, MILESTONE_STATUSES, MILESTONE_STATUSES[-1])
    )
    return files


def write_suites(catalog: Catalog, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files = generate_suites(catalog)
    for stale in directory.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    written = []
    for name, content in files.items():
        path = directory / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    """Regenerate the suites of every ready plan (the built-in ones are committed)."""
    from plantrack.plans import check_plan, known_plans

    for plan in known_plans(load_settings()).values():
        if not check_plan(plan).errors:
            paths = write_suites(plan.load(), plan.suites_dir)
            print(f"wrote {len(paths)} suites to {plan.suites_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
