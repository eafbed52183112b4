"""The two workbooks a bureau fills for a plan: 目标分解 (allocation) and 年初基数 (baselines).

``plan allocate --out`` writes one row per additive indicator reported by several units,
one column per unit, the city target and a live sum check; the sheet is protected except
the cells to fill, and a hidden sheet names the plan and the workbook's kind.
``--read`` reads it back with the submission reader (``plantrack.reader``), reports
problems as ``plantrack.issues`` issues, and stores ``allocation.csv`` when there is no
error. ``plan baselines`` takes each stock's and each relative target's start level from
the previous year's accepted Q4 figures in the warehouse; its workbook works the same way.

``allocation`` and ``baselines`` hold one workbook each; ``workbook`` holds what they share.
"""

from plantrack.plan_workbooks.allocation import (
    ALLOCATION_SHEET,
    allocated_indicators,
    read_allocation_workbook,
    store_allocation,
    write_allocation_workbook,
)
from plantrack.plan_workbooks.baselines import (
    BASELINE_SHEET,
    baseline_indicators,
    baseline_scopes,
    baselines_from_warehouse,
    read_baselines_workbook,
    store_baselines,
    write_baselines_workbook,
)
from plantrack.plan_workbooks.workbook import (
    CHECK_FILL,
    FIRST_ROW,
    FIXED,
    IDENTITY_SHEET,
    INPUT_FILL,
    KIND_TEXT,
    WorkbookResult,
)

__all__ = [
    "ALLOCATION_SHEET",
    "BASELINE_SHEET",
    "CHECK_FILL",
    "FIRST_ROW",
    "FIXED",
    "IDENTITY_SHEET",
    "INPUT_FILL",
    "KIND_TEXT",
    "WorkbookResult",
    "allocated_indicators",
    "baseline_indicators",
    "baseline_scopes",
    "baselines_from_warehouse",
    "read_allocation_workbook",
    "read_baselines_workbook",
    "store_allocation",
    "store_baselines",
    "write_allocation_workbook",
    "write_baselines_workbook",
]
