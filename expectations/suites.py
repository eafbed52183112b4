"""Expectation suites generated from the catalog, one per reporting unit.

The suites are committed under ``expectations/suites`` so that a reviewer sees
exactly what each unit's data is checked against; a test fails when
regenerating them from the catalog would change anything. Run
``python -m expectations.suites`` after editing the catalog.

Each expectation carries ``meta.code``: the issue code a failing row becomes
(see plantrack/validate.py). Severity ``critical`` rejects the row;
``warning`` loads it and shows the problem.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from plantrack.catalog import Catalog, Indicator

SUITES_DIR = Path(__file__).resolve().parent / "suites"
PLAUSIBLE_MULTIPLE = 5  # above 5× the unit's annual target is implausible (a warning)


def _expectation(kind: str, code: str, severity: str = "critical", **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"code": code}, "severity": severity}


def _in(ids: list[str]) -> str:
    return "indicator_id in [" + ", ".join(f'"{i}"' for i in ids) + "]"


def _percent_ids(indicators: list[Indicator]) -> list[str]:
    return [i.id for i in indicators if i.unit in ("%", "个百分点")]


def build_suite(catalog: Catalog, unit: str) -> dict:
    """The submission suite for ``unit``'s staged indicator rows."""
    indicators = catalog.indicators_for(unit)
    ids = [i.id for i in indicators]
    exps = [
        _expectation("expect_column_values_to_not_be_null", "missing_indicator_id",
                     column="indicator_id"),
        _expectation("expect_column_values_to_be_in_set", "unknown_indicator",
                     column="indicator_id", value_set=ids),
        _expectation("expect_column_values_to_be_unique", "duplicate_indicator",
                     column="indicator_id"),
        _expectation("expect_column_distinct_values_to_contain_set", "missing_indicator",
                     column="indicator_id", value_set=ids),
        _expectation("expect_column_values_to_not_be_null", "value_not_number", column="actual"),
        _expectation("expect_column_values_to_be_between", "negative_value",
                     column="actual", min_value=0),
    ]
    percent = _percent_ids(indicators)
    if percent:
        exps.append(_expectation(
            "expect_column_values_to_be_between", "percent_out_of_range", column="actual",
            min_value=0, max_value=100, row_condition=_in(percent), condition_parser="pandas",
        ))
    for ind in indicators:
        target, _ = catalog.unit_target(ind, unit)
        if not target or ind.unit in ("%", "个百分点"):
            continue
        exps.append(_expectation(
            "expect_column_values_to_be_between", "implausible_value", severity="warning",
            column="actual", max_value=round(target * PLAUSIBLE_MULTIPLE, 6),
            row_condition=f'indicator_id == "{ind.id}"', condition_parser="pandas",
        ))
    return {
        "name": f"submission_{unit}",
        "meta": {"catalog_version": catalog.version, "unit": unit,
                 "generated_by": "expectations/suites.py"},
        "expectations": exps,
    }


def build_milestone_suite(catalog: Catalog, statuses: tuple[str, ...]) -> dict:
    return {
        "name": "milestones",
        "meta": {"catalog_version": catalog.version, "generated_by": "expectations/suites.py"},
        "expectations": [
            _expectation("expect_column_values_to_be_in_set", "unknown_milestone",
                         column="milestone_id", value_set=[m.id for m in catalog.milestones]),
            _expectation("expect_column_values_to_be_in_set", "invalid_status",
                         column="status", value_set=list(statuses)),
        ],
    }


def render(suite: dict) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def generate_suites(catalog: Catalog) -> dict[str, str]:
    """File name → content for every suite the catalog implies."""
    from plantrack.template import MILESTONE_STATUSES

    files = {f"submission_{u.code}.json": render(build_suite(catalog, u.code))
             for u in catalog.reporting_units() if catalog.indicators_for(u.code)}
    files["milestones.json"] = render(build_milestone_suite(catalog, MILESTONE_STATUSES))
    return files


def write_suites(catalog: Catalog, directory: Path = SUITES_DIR) -> list[Path]:
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
    from plantrack.catalog import catalog_from_settings
    from plantrack.settings import load_settings

    paths = write_suites(catalog_from_settings(load_settings()))
    print(f"wrote {len(paths)} suites to {SUITES_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
