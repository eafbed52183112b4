"""Every issue code any part of plantrack produces, one module per producer.

Each entry is an ``IssueType``; ``plantrack.issues.registry`` registers ``ALL_TYPES``
once and refuses a code registered twice. A new code goes into the module of the part
that produces it; tests/test_issue_registry.py checks that every code written into
``Issue(…)``, ``make_issue(…)`` or ``UnreadableFile(…)`` anywhere is registered.
"""

from plantrack.issues.codes.plan_workbooks import PLAN_WORKBOOK_CHECKS
from plantrack.issues.codes.reader import READER_NOTICES, UNREADABLE, UNREADABLE_CODES
from plantrack.issues.codes.validate import (
    CROSS_FILE_CHECKS,
    FILE_CHECKS,
    HISTORY_CHECKS,
    INDICATOR_ROWS,
    MILESTONE_ROWS,
)

ALL_TYPES = (
    *UNREADABLE,
    *READER_NOTICES,
    *FILE_CHECKS,
    *INDICATOR_ROWS,
    *HISTORY_CHECKS,
    *MILESTONE_ROWS,
    *CROSS_FILE_CHECKS,
    *PLAN_WORKBOOK_CHECKS,
)  # the registry's order

__all__ = ["ALL_TYPES", "UNREADABLE_CODES"]
