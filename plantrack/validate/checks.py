"""What the checks share: the groups of codes that steer the verdict, the units of
measure that are ratios, and how figures and cells are written in messages.

What each code means (severity, title, message, hint) is registered once, in
``plantrack.issues.registry``; ``CHECKS`` is that registry.
"""

from __future__ import annotations

import re

from plantrack.issues import REGISTRY

CHECKS = REGISTRY  # code → IssueType, for every code any part of plantrack produces

# units of measure of a share, a percentage or a change in percentage points: they have
# their own ranges, and their year-to-date figure may fall
RATIO_UNITS = ("%", "个百分点")

# the cleaning codes of a value that could not be read (transforms.cleaning) → issue code
PARSE_ERRORS = {
    "not_a_number": "value_not_number",
    "empty": "value_empty",
    "excel_error": "excel_error",
    "wrong_unit": "wrong_unit",
}
# the cleaning codes of a value that was read but needed interpreting, raised as themselves
# (warnings); any other code beside a number read is raised as value_interpreted
PARSE_WARNINGS = ("number_as_text", "unit_converted")
# Codes that reject every row of the file: without them nobody knows whose or which data it is.
FILE_LEVEL = {
    "unreadable",
    "unknown_unit",
    "unit_mismatch",
    "period_mismatch",
    "wrong_quarter",
    "missing_column",
}
ROWLESS = {"missing_indicator"}  # an error without a cell that still leaves the other rows valid
# the reader's unlocated identity warnings; superseded by the located, graded checks here
SUPERSEDED_READER_CODES = {"identity_mismatch"}

_CELL_RE = re.compile(r"^([A-Z]+)(\d+)$")


def shown_number(value: float | None) -> str:
    """A number as a steward would write it: 1200, 23.89, never 1.2e+03."""
    if value is None:
        return ""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def cell_position(cell: str) -> tuple[int, str]:
    """(row, column letters) of an address such as E12; (0, "") when there is none."""
    m = _CELL_RE.match(cell or "")
    return (int(m.group(2)), m.group(1)) if m else (0, "")
