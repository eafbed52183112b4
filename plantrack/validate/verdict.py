"""The verdict on one submission: its issues in reading order, and its rows split by them.

An error rejects its row, which is quarantined with its reasons (their messages and
their codes); an error about the file as a whole rejects every row; a warning loads
and is shown.
"""

from __future__ import annotations

import dataclasses
import pickle
import zlib
from dataclasses import dataclass, field

import polars as pl

from plantrack.issues import Issue, issue_type
from plantrack.validate.checks import FILE_LEVEL, ROWLESS, cell_position
from plantrack.validate.frames import rows_where, without
from plantrack.workbook_contract import MILESTONE_SHEET

PYTHON_SUITE = "plantrack"  # check results of the rules written in Python


@dataclass
class Validation:
    unit: str | None
    issues: list[Issue] = field(default_factory=list)
    accepted: pl.DataFrame | None = None  # indicator_id, actual, actual_cell, note, row_number …
    quarantined: pl.DataFrame | None = None  # … plus reasons, reason_codes
    milestones: pl.DataFrame | None = None  # accepted milestone rows
    milestones_quarantined: pl.DataFrame | None = None  # … plus reasons, reason_codes
    city_totals: pl.DataFrame | None = None  # a city-level unit's city-wide totals (not loaded)
    expectation_results: list[dict] = field(default_factory=list)  # one row per check run
    # GX's suite results as JSON for Data Docs, packed (``pack_gx_results``): read them
    # through ``gx_results``. A quarter keeps every file's verdict until its quality page:
    # unpacked they are ~55 KB of small objects a file, packed ~2 KB.
    gx_packed: bytes = b""
    staged: pl.DataFrame | None = None  # every staged indicator row, for later checks
    staged_milestones: pl.DataFrame | None = None
    file: str = ""
    sheet: str = ""
    city_total_ids: tuple[str, ...] = ()

    @property
    def gx_results(self) -> list[dict]:
        """GX's suite results as JSON (what Data Docs read); [] when none were kept."""
        return pickle.loads(zlib.decompress(self.gx_packed)) if self.gx_packed else []

    @property
    def rejected(self) -> bool:
        """The whole file was refused (nothing of it can be used)."""
        return self.accepted is None

    def after_load(self) -> Validation:
        """This verdict as the run reads it once the load has stored it: the issues, check
        and GX results and quarantined rows the fix-its, the quality page and the summary
        show. The rows the load consumed are let go: ``accepted`` keeps its columns and no
        rows (so ``rejected`` still answers), the other staged frames become None. A
        quarter holds every file's verdict until its quality page, and these frames were
        most of a verdict's memory (about 200 MB at 1,000 files) during the briefs."""
        return dataclasses.replace(
            self,
            accepted=None if self.accepted is None else self.accepted.clear(),
            milestones=None,
            city_totals=None,
            staged=None,
            staged_milestones=None,
        )

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]


def pack_gx_results(results: list[dict]) -> bytes:
    """``Validation.gx_packed`` for these results (our own data, never a file's bytes)."""
    return zlib.compress(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL), 1) if results else b""


def error_rows(issues: list[Issue], sheet: str) -> dict[int, list[Issue]]:
    """Row number → the errors located on that row of ``sheet``."""
    reasons: dict[int, list[Issue]] = {}
    for issue in issues:
        row, _ = cell_position(issue.cell)
        if issue.is_error and issue.sheet == sheet and row and issue.code not in FILE_LEVEL:
            reasons.setdefault(row, []).append(issue)
    return reasons


def _file_errors(issues: list[Issue]) -> list[Issue]:
    return [
        i for i in issues if i.is_error and (i.code in FILE_LEVEL or (not i.cell and i.code not in ROWLESS))
    ]


def refuses(issues: list[Issue]) -> bool:
    """Whether these issues refuse the whole file (``split_rows`` keeps none of its rows)."""
    return bool(_file_errors(issues))


def _quarantine(
    frame: pl.DataFrame, reasons: dict[int, list[Issue]], everyone: list[Issue]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept, quarantined with every reason): rows with an error, or all rows of a refused file.

    A quarantined row keeps its reasons twice: ``reasons``, the messages as the steward
    reads them, and ``reason_codes``, the same errors' codes in the same order.
    """
    numbers = frame["row_number"].to_list()
    if everyone:
        reasons = {n: everyone + reasons.get(n, []) for n in numbers}
    bad = [n in reasons for n in numbers]
    quarantined = rows_where(frame, bad)
    why = [reasons[n] for n in numbers if n in reasons]
    quarantined = quarantined.hstack(
        [
            pl.Series("reasons", ["；".join(i.message for i in w) for w in why], dtype=pl.String),
            pl.Series("reason_codes", [[i.code for i in w] for w in why], dtype=pl.List(pl.String)),
        ]
    )
    return rows_where(frame, [not b for b in bad]), quarantined


def _issue_order(data_sheet: str):
    sheets = {data_sheet: 1, MILESTONE_SHEET: 2}

    def key(issue: Issue):
        row, letters = cell_position(issue.cell)
        return (sheets.get(issue.sheet, 0) if issue.cell else 0, row, len(letters), letters)

    return key


def split_rows(v: Validation) -> Validation:
    """Sort the issues and split the rows by them."""
    issues = sorted(v.issues, key=_issue_order(v.sheet))
    refused = _file_errors(issues)
    kept, quarantined = _quarantine(v.staged, error_rows(issues, v.sheet), refused)
    ms_kept, ms_quarantined = _quarantine(v.staged_milestones, error_rows(issues, MILESTONE_SHEET), refused)
    totals = set(v.city_total_ids)
    # an indicator id that is null is neither (polars: null is_in gives null, which no filter keeps)
    kinds = [
        None if i is None or a is None else i in totals
        for i, a in zip(kept["indicator_id"].to_list(), kept["actual"].to_list(), strict=True)
    ]
    return dataclasses.replace(
        v,
        issues=issues,
        quarantined=quarantined,
        accepted=None if refused else rows_where(kept, [k is False for k in kinds]),
        city_totals=None if refused else rows_where(kept, [k is True for k in kinds]),
        milestones=None if refused else without(ms_kept, "support"),
        milestones_quarantined=without(ms_quarantined, "support"),
    )


def with_issues(
    validation: Validation,
    extra: list[Issue],
    results: list[dict] | None = None,
    replacing: tuple[str, ...] = (),
) -> Validation:
    """The verdict with more issues (history, cross-file): rows re-split by every error.

    ``replacing``: codes of a check being run again; its earlier issues and results go.
    Only errors move rows: when none comes or goes, the rows stay as ``validation`` split
    them (``split_rows`` made it) and only the issues are sorted again. A quarter's history
    check runs this twice a file, and a split is ~3 ms: 1,000 files spent 3 s re-splitting.
    """
    issues = [i for i in validation.issues if i.code not in replacing]
    removed = any(i.is_error for i in validation.issues if i.code in replacing)
    issues += extra
    results = [
        r
        for r in validation.expectation_results
        if not (r["suite"] == PYTHON_SUITE and r["code"] in replacing)
    ] + (results or [])
    merged = dataclasses.replace(validation, issues=issues, expectation_results=results)
    if merged.staged is None:
        return merged
    if not removed and not any(i.is_error for i in extra):
        return dataclasses.replace(merged, issues=sorted(issues, key=_issue_order(merged.sheet)))
    return split_rows(merged)


def python_result(code: str, issues: list[Issue], checked: int) -> dict:
    """A Python check as one row of check results, so quality over time sees it too."""
    hits = sum(1 for i in issues if i.code == code)
    return {
        "suite": PYTHON_SUITE,
        "expectation": f"plantrack.{code}",
        "code": code,
        "severity": str(issue_type(code).severity),
        "column_name": "actual",
        "success": hits == 0,
        "element_count": checked,
        "unexpected_count": hits,
    }
