"""Checks across the files of one run: a city-wide total reported beside the units'
figures against their sum."""

from __future__ import annotations

import polars as pl

from plantrack.catalog import Catalog
from plantrack.issues import Issue, make_issue
from plantrack.validate.checks import shown_number
from plantrack.validate.verdict import Validation, python_result, with_issues

CROSS_FILE_CODES = ("city_total_mismatch",)


def _sum_tolerance(reporters: int) -> float:
    # figures are typed with up to two decimals: each may be off by half a hundredth
    return 0.005 * (reporters + 1)


def _latest_by_unit(validations: list[Validation]) -> dict[str, Validation]:
    return {v.unit: v for v in validations if v.unit and not v.rejected}


def _city_total_issues(city: Validation, latest: dict[str, Validation], catalog: Catalog) -> list[Issue]:
    if city.city_totals is None:
        return []
    found = (_city_total_issue(row, city, latest, catalog) for row in city.city_totals.iter_rows(named=True))
    return [i for i in found if i is not None]


def cross_file_issues(validations: list[Validation], catalog: Catalog) -> list[Issue]:
    """The units' sum against a city-wide total reported beside them, where both exist.

    ``validations``: the run's verdicts; for a unit with several, the last one counts
    (pass them in order of receipt).
    """
    latest = _latest_by_unit(validations)
    return [i for v in latest.values() for i in _city_total_issues(v, latest, catalog)]


def with_cross_file_checks(validations: list[Validation], catalog: Catalog) -> list[Validation]:
    """``validations`` with the cross-file issues added to the verdicts they concern
    (same order; running it again replaces the earlier cross-file issues)."""
    latest = _latest_by_unit(validations)
    out = []
    for v in validations:
        if v.city_totals is not None and latest.get(v.unit) is v:
            found = _city_total_issues(v, latest, catalog)
            result = python_result("city_total_mismatch", found, v.city_totals.height)
            v = with_issues(v, found, [result], replacing=CROSS_FILE_CODES)
        out.append(v)
    return out


def _city_total_issue(
    row: dict, city: Validation, latest: dict[str, Validation], catalog: Catalog
) -> Issue | None:
    ind = catalog.indicator(row["indicator_id"])
    values = [_accepted_value(latest[u], ind.id) for u in ind.units if u in latest]
    values = [x for x in values if x is not None]
    if not values:
        return None
    total, summed, tol = row["actual"], sum(values), _sum_tolerance(len(ind.units))
    complete = len(values) == len(ind.units)
    if (complete and abs(summed - total) <= tol) or (not complete and summed <= total + tol):
        return None
    expected = (
        f"{shown_number(summed)}（{len(values)}个单位之和）"
        if complete
        else f"不小于已报送的{len(values)}/{len(ind.units)}个单位之和 {shown_number(summed)}"
    )
    return make_issue(
        "city_total_mismatch",
        name=ind.name,
        details={"whole": catalog.whole},
        indicator_id=ind.id,
        file=city.file,
        sheet=city.sheet,
        unit=city.unit or "",
        cell=row["actual_cell"] or "",
        found=shown_number(total),
        expected=expected,
    )


def _accepted_value(v: Validation, indicator_id: str) -> float | None:
    hit = v.accepted.filter(pl.col("indicator_id") == indicator_id)
    return float(hit["actual"][0]) if hit.height else None
