"""Validate a read submission: parse values, run its expectation suites, sort rows.

Every check raises issues whose codes, Chinese messages and fix hints are registered
in ``plantrack.issues.registry`` (``CHECKS`` here). Cleaning problems (text that
needed interpreting) come from the pure parsers in ``transforms.cleaning``; row and
column rules from the unit's Great Expectations suite (``gx``), generated from the
catalog (``suites``: ``python -m plantrack.validate.suites``); identity, history and
cross-file rules are plain Python. All of them become ``Issue``s. An error rejects
its row, which is quarantined with its reasons (an error about the file as a whole
rejects every row); a warning loads and is shown (``verdict``).

The modules, in the order a file meets them: ``check`` (one file, end to end),
``identity``, ``indicators`` (staging and the indicator table), ``milestones``,
``verdict``, then, once the warehouse and the other files are known, ``history`` and
``cross_file``.
"""

from plantrack.issues import make_issue
from plantrack.validate.check import (
    FileVerdict,
    check_file,
    check_files,
    unreadable_issue,
    validate_submission,
    validate_submissions,
)
from plantrack.validate.checks import CHECKS, FILE_LEVEL, RATIO_UNITS, cell_position, shown_number
from plantrack.validate.cross_file import cross_file_issues, with_cross_file_checks
from plantrack.validate.gx import add_lookup_columns, ephemeral_context, load_suite, run_suite
from plantrack.validate.history import STOCK_JUMP, history_issues, previous_values, with_history
from plantrack.validate.indicators import stage_values, table_layout
from plantrack.validate.verdict import PYTHON_SUITE, Validation, with_issues

__all__ = [
    "CHECKS",
    "FILE_LEVEL",
    "PYTHON_SUITE",
    "RATIO_UNITS",
    "STOCK_JUMP",
    "FileVerdict",
    "Validation",
    "add_lookup_columns",
    "cell_position",
    "check_file",
    "check_files",
    "cross_file_issues",
    "ephemeral_context",
    "history_issues",
    "load_suite",
    "make_issue",
    "previous_values",
    "run_suite",
    "shown_number",
    "stage_values",
    "table_layout",
    "unreadable_issue",
    "validate_submission",
    "validate_submissions",
    "with_cross_file_checks",
    "with_history",
    "with_issues",
]
