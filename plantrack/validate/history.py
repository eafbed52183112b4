"""Checks against last quarter: a year-to-date figure may not fall below the one accepted
then (a count may not; a ratio may), and a stock should not jump.

They need the warehouse, so they run outside the per-file check (``plantrack check``
skips them) and can be run again: ``with_history`` replaces its earlier issues.
"""

from __future__ import annotations

import duckdb

from plantrack.catalog import Catalog, Indicator
from plantrack.issues import Issue, make_issue
from plantrack.periods import Quarter, parse_quarter
from plantrack.validate.checks import RATIO_UNITS, shown_number
from plantrack.validate.verdict import Validation, error_rows, python_result, with_issues

STOCK_JUMP = 0.5  # a stock changing by more than half of last quarter's level is worth a look
HISTORY_CODES = ("ytd_decreased", "stock_jump")


def previous_values(con: duckdb.DuckDBPyConnection, unit: str, quarter: Quarter | str) -> dict[str, float]:
    """indicator_id → value accepted from ``unit``'s latest submission of the quarter before.

    Empty in Q1 (year-to-date figures start again each year) and when nothing was accepted.
    """
    q = parse_quarter(quarter) if isinstance(quarter, str) else quarter
    prev = q.previous()
    if prev is None:
        return {}
    rows = con.execute(
        "select indicator_id, actual from mart_latest_receipt_values where unit = ? and quarter = ?",
        [unit, prev.code],
    ).fetchall()
    return {ind: float(value) for ind, value in rows}


def _history_issue(ind: Indicator, value: float, before: float, row: dict, base: dict) -> Issue | None:
    where = {"indicator_id": ind.id, "cell": row["actual_cell"] or "", **base}
    # a ratio's year-to-date value (a share, a growth rate) may well fall; a count may not
    if not ind.cumulative and ind.unit not in RATIO_UNITS and value < before - 1e-9:
        return make_issue(
            "ytd_decreased",
            name=ind.name,
            found=shown_number(value),
            expected=f"不小于 {shown_number(before)}",
            **where,
        )
    if ind.cumulative and before > 0 and abs(value - before) > STOCK_JUMP * before:
        change = f"{(value - before) / before:+.0%}"
        return make_issue(
            "stock_jump",
            name=ind.name,
            details={"previous": shown_number(before), "change": change},
            found=shown_number(value),
            expected=f"与上季度 {shown_number(before)} 相差不超过{STOCK_JUMP:.0%}",
            **where,
        )
    return None


def history_issues(validation: Validation, catalog: Catalog, previous: dict[str, float]) -> list[Issue]:
    """Year-to-date flows must not fall below last quarter's; stocks should not jump."""
    if validation.staged is None or validation.rejected or not previous:
        return []
    bad_rows = error_rows(validation.issues, validation.sheet)
    base = {"file": validation.file, "sheet": validation.sheet, "unit": validation.unit or ""}
    issues = []
    for row in validation.staged.iter_rows(named=True):
        ind = catalog.indicators_by_id.get(row["indicator_id"] or "")
        if ind is None or row["actual"] is None or row["row_number"] in bad_rows:
            continue
        if ind.id in previous:
            issue = _history_issue(ind, row["actual"], previous[ind.id], row, base)
            if issue is not None:
                issues.append(issue)
    return issues


def with_history(validation: Validation, catalog: Catalog, previous: dict[str, float] | None) -> Validation:
    """The verdict with the history checks (see ``previous_values``); running it again
    replaces the earlier history issues instead of adding to them."""
    base = with_issues(validation, [], replacing=HISTORY_CODES)
    extra = history_issues(base, catalog, previous or {})
    results = (
        [
            python_result(code, extra, base.staged.height if base.staged is not None else 0)
            for code in HISTORY_CODES
        ]
        if previous
        else []
    )
    return with_issues(base, extra, results, replacing=HISTORY_CODES)
