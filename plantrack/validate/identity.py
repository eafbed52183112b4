"""Whose and which quarter's figures: the unit and period in the workbook, its header and
its file name, known and consistent with each other and with the quarter being run."""

from __future__ import annotations

from pathlib import Path

from plantrack.catalog import Unit
from plantrack.issues import Issue, make_issue
from plantrack.periods import Quarter, find_quarter
from plantrack.reader import Submission, match_unit
from plantrack.reader.cells import CellRow
from transforms.cleaning import column_index, column_letter, normalize_text


def _labelled(cells: list[CellRow], label: str) -> tuple[str, str]:
    """(cell, text) of the value written beside a label such as 填报单位：among a sheet's
    ``cells`` (``Submission.cells_of``).

    The value is in the label's own cell (填报单位：环翠区) or the next cell of the row;
    when it is empty, the cell is where it should have been written.
    """
    listed = sorted(
        (c for c in cells if c.header is None),
        key=lambda c: (c.row_number, len(c.column_letter), c.column_letter),
    )
    for i, c in enumerate(listed):
        t = normalize_text(c.raw_text)
        if not t.startswith(label):
            continue
        rest = t[len(label) :].lstrip(":：").strip()
        if rest:
            return c.cell, rest
        beside = column_letter(column_index(c.column_letter) + 1)
        if (
            i + 1 < len(listed)
            and listed[i + 1].row_number == c.row_number
            and listed[i + 1].column_letter == beside
        ):
            return listed[i + 1].cell, normalize_text(listed[i + 1].raw_text)
        return f"{beside}{c.row_number}", ""
    return "", ""


def identity_issues(
    sub: Submission, quarter: Quarter | None, units: dict[str, Unit], base: dict
) -> list[Issue]:
    """Unit and period: known, consistent between the workbook, its header and its name."""
    ident, cells = sub.identity, sub.cells_of(base["sheet"])
    unit_label, period_label = _labelled(cells, "填报单位"), _labelled(cells, "报告期")
    unit_cell, period_cell = unit_label[0], period_label[0]
    if ident.unit is None:
        return [
            make_issue(
                "unknown_unit", cell=unit_cell, expected="、".join(u.name for u in units.values()), **base
            )
        ]
    issues = _header_identity(sub, unit_label, period_label, units, base)
    issues += _filename_identity(sub, units, base)
    if ident.quarter is None:
        issues.append(
            make_issue(
                "period_missing",
                cell=period_cell,
                expected=quarter.label if quarter else "本次汇总的季度",
                **base,
            )
        )
    elif quarter is not None and ident.quarter != quarter:
        issues.append(
            make_issue(
                "wrong_quarter", cell=period_cell, found=ident.quarter.label, expected=quarter.label, **base
            )
        )
    return issues


def _header_identity(
    sub: Submission,
    unit_label: tuple[str, str],
    period_label: tuple[str, str],
    units: dict[str, Unit],
    base: dict,
) -> list[Issue]:
    """The visible header (the labelled cells: (cell, text) each) against the workbook's own
    identity, when the header says anything."""
    ident, issues = sub.identity, []
    cell, text = unit_label
    if text and match_unit(text, units) != ident.unit:
        issues.append(
            make_issue("unit_mismatch", cell=cell, found=text, expected=units[ident.unit].name, **base)
        )
    cell, text = period_label
    if text and ident.quarter and find_quarter(text) != ident.quarter:
        issues.append(
            make_issue("period_mismatch", cell=cell, found=text, expected=ident.quarter.label, **base)
        )
    return issues


def _filename_identity(sub: Submission, units: dict[str, Unit], base: dict) -> list[Issue]:
    ident, stem, issues = sub.identity, Path(base["file"]).stem, []
    unit = match_unit(stem, units)
    if unit and unit != ident.unit:
        issues.append(
            make_issue(
                "filename_mismatch",
                details={"what": "填报单位"},
                found=units[unit].name,
                expected=units[ident.unit].name,
                **base,
            )
        )
    period = find_quarter(stem)
    if period and ident.quarter and period != ident.quarter:
        issues.append(
            make_issue(
                "filename_mismatch",
                details={"what": "报告期"},
                found=period.label,
                expected=ident.quarter.label,
                **base,
            )
        )
    return issues
