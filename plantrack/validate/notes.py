"""A figure behind its expected-to-date needs a reason: the 说明 the briefs show beside it.

A warning, never a rejection: the figure loads, and the steward is asked for the
reason. Expected-to-date is the unit's own (``plantrack.pacing``, the rule the
warehouse applies); ceilings and targets without quarterly meaning are not asked.
"""

from __future__ import annotations

from plantrack.catalog import Catalog
from plantrack.issues import Issue, make_issue
from plantrack.pacing import expected_to_date
from plantrack.periods import Quarter
from plantrack.validate.checks import shown_number
from plantrack.validate.verdict import Validation, error_rows


def behind_without_note(
    validation: Validation, issues: list[Issue], catalog: Catalog, quarter: Quarter
) -> list[Issue]:
    """Rows whose figure is below the unit's expected-to-date and whose 说明 is empty, in a
    file not refused, its rows not split yet: ``issues`` are all the file's issues so far
    (a row with an error is not asked for a reason)."""
    bad_rows = error_rows(issues, validation.sheet)
    base = {"file": validation.file, "sheet": validation.sheet, "unit": validation.unit}
    found = []
    for row in validation.staged.iter_rows(named=True):
        ind = catalog.indicators_by_id.get(row["indicator_id"] or "")
        if ind is None or ind.qualifier == "max" or row["actual"] is None:
            continue
        if row["row_number"] in bad_rows or (row.get("note") or "").strip():
            continue
        expected = expected_to_date(catalog, ind, validation.unit, quarter.number)
        if expected is None or row["actual"] >= expected - 1e-9:
            continue
        found.append(
            make_issue(
                "behind_without_note",
                name=ind.name,
                indicator_id=ind.id,
                cell=row.get("actual_cell") or "",
                found=shown_number(row["actual"]),
                expected=shown_number(expected),
                **base,
            )
        )
    return found
