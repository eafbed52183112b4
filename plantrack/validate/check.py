"""One file judged: read it, validate what was read, and say what the steward must fix.

``check_file`` is the verdict ``plantrack check`` prints and the quarterly run loads;
``validate_submission`` judges a submission already read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from plantrack.catalog import Catalog, Unit
from plantrack.issues import Issue
from plantrack.periods import Quarter
from plantrack.reader import Submission, UnreadableFile, match_unit, read_submission
from plantrack.validate.checks import SUPERSEDED_READER_CODES
from plantrack.validate.history import with_history
from plantrack.validate.identity import identity_issues
from plantrack.validate.indicators import (
    TableContext,
    indicator_job,
    indicator_outcome,
    stage_values,
    table_layout,
)
from plantrack.validate.milestones import milestone_frame, milestone_job, milestone_outcome
from plantrack.validate.notes import behind_without_note
from plantrack.validate.stacked import run_many
from plantrack.validate.verdict import Validation, pack_gx_results, refuses, split_rows
from plantrack.workbook_contract import DATA_SHEET
from transforms.cleaning import DATA_HEADER_SYNONYMS, DATA_LOOSE_RULES


def unreadable_issue(name: str, exc: UnreadableFile, units: dict[str, Unit]) -> Issue:
    """The verdict on a file that cannot be read at all: the reader's reason, with the unit
    its name suggests (so the steward who sent it can be told)."""
    issue = exc.as_issue(match_unit(Path(name).stem, units) or "")
    return dataclasses.replace(issue, file=issue.file or name)


def validate_submission(
    sub: Submission,
    catalog: Catalog,
    quarter: Quarter | None,
    suites_dir: Path,
    previous: dict[str, float] | None = None,
    *,
    file_name: str | None = None,
) -> Validation:
    """The verdict on one read submission for ``quarter`` (None: the file's own period).

    ``previous``: indicator_id → the unit's accepted value of the quarter before
    (``previous_values``); without it the history checks are skipped. ``file_name``:
    the name the steward sent, when ``sub.path`` is another copy (the archive).
    """
    [v] = validate_submissions([(sub, file_name, previous)], catalog, quarter, suites_dir)
    return v


@dataclass
class _Pending:
    """One file between its Python checks and its suites' results."""

    sub: Submission
    v: Validation
    base: dict
    issues: list[Issue]
    previous: dict[str, float] | None
    quarter: Quarter | None = None
    ctx: TableContext | None = None
    indicator_job: tuple | None = None
    milestone_job: tuple | None = None


def _prepare(
    sub: Submission,
    catalog: Catalog,
    quarter: Quarter | None,
    suites_dir: Path,
    file_name: str | None,
    previous: dict[str, float] | None,
) -> _Pending:
    sheet = sub.rows["sheet"][0] if sub.rows.height else DATA_SHEET
    unit = sub.identity.unit
    name = file_name or sub.path.name
    base = {"file": name, "sheet": sheet, "unit": unit or ""}
    issues = [
        i if i.unit else dataclasses.replace(i, unit=unit or "")
        for i in sub.issues
        if i.code not in SUPERSEDED_READER_CODES
    ]
    issues += identity_issues(sub, quarter, catalog.units, base)
    v = Validation(
        unit=unit,
        file=name,
        sheet=sheet,
        staged=stage_values(sub.rows, catalog),
        staged_milestones=milestone_frame(sub.milestones),
    )
    p = _Pending(sub, v, base, issues, previous, quarter)
    if unit is not None and catalog.indicators_for(unit):
        # a missing suite file raises: stale suites are a deployment error (`make suites`),
        # never a reason to load figures unchecked
        suite_path = suites_dir / f"submission_{unit}.json"
        header_row, letters = table_layout(
            sub.cells_of(sheet), DATA_HEADER_SYNONYMS, DATA_LOOSE_RULES, "indicator_id"
        )
        p.ctx = TableContext(catalog, base, letters, header_row)
        p.indicator_job = indicator_job(v.staged, p.ctx, suite_path)
    if unit is not None:
        p.milestone_job = milestone_job(v.staged_milestones, suites_dir)
    return p


def _finish(p: _Pending, catalog: Catalog, indicator_result, milestone_result, data_docs: bool) -> Validation:
    v, issues, results = p.v, p.issues, []
    if p.indicator_job is not None:
        found, results, totals = indicator_outcome(v.staged, p.ctx, p.indicator_job, indicator_result)
        issues += found
        v = dataclasses.replace(v, city_total_ids=totals)
    if p.milestone_job is not None:
        found, ms_results = milestone_outcome(
            p.sub, v.staged_milestones, p.base, p.milestone_job[1], milestone_result
        )
        issues += found
        results = results + ms_results
    # GX's results as JSON are for Data Docs only (about 25 ms a suite): a check makes none
    ran = [r for r in (indicator_result, milestone_result) if r is not None]
    gx_packed = pack_gx_results([r.to_json_dict() for r in ran]) if data_docs else b""
    if p.quarter is not None and v.unit and not refuses(issues):  # a run, or check --quarter
        issues = issues + behind_without_note(v, issues, catalog, p.quarter)  # before the one split
    v = split_rows(dataclasses.replace(v, issues=issues, expectation_results=results, gx_packed=gx_packed))
    return with_history(v, catalog, p.previous) if p.previous else v


def validate_submissions(
    items: list[tuple[Submission, str | None, dict[str, float] | None]],
    catalog: Catalog,
    quarter: Quarter | None,
    suites_dir: Path,
    *,
    data_docs: bool = True,
) -> list[Validation]:
    """``validate_submission`` for many files at once: (submission, file name, previous) each.

    The verdicts are the same as one by one; the suites run once per suite and set of
    columns over the stacked rows of all the files (``stacked.run_many``). ``data_docs``
    False: without GX's results as JSON (``Validation.gx_results``), which only Data Docs
    read — ``plantrack check`` and the portal make none (about 25 ms a suite).
    """
    pending = [_prepare(sub, catalog, quarter, suites_dir, name, previous) for sub, name, previous in items]
    jobs = [job for p in pending for job in (p.indicator_job, p.milestone_job) if job is not None]
    results = iter(run_many(jobs))
    return [
        _finish(
            p,
            catalog,
            next(results) if p.indicator_job is not None else None,
            next(results) if p.milestone_job is not None else None,
            data_docs,
        )
        for p in pending
    ]


@dataclass
class FileVerdict:
    """One file read and judged: what ``plantrack check`` prints and the quarterly run loads."""

    submission: Submission | None
    validation: Validation | None
    unreadable: Issue | None = None

    @property
    def issues(self) -> list[Issue]:
        if self.unreadable is not None:
            return [self.unreadable]
        return self.validation.issues if self.validation else []


def check_file(
    path: Path,
    catalog: Catalog,
    quarter: Quarter | None,
    suites_dir: Path,
    *,
    display_name: str | None = None,
    previous: dict[str, float] | None = None,
    data_docs: bool = True,
) -> FileVerdict:
    """Read and validate one file; never raises for bad input.

    ``quarter`` None: judge the file for the period it names itself (``plantrack check``).
    ``data_docs`` False: the same verdict, without the JSON only Data Docs read.
    """
    name = display_name or path.name
    try:
        sub = read_submission(
            path, catalog.units, display_name=name, indicator_units={i.id: i.unit for i in catalog.indicators}
        )
    except UnreadableFile as exc:
        return FileVerdict(None, None, unreadable_issue(name, exc, catalog.units))
    [v] = validate_submissions([(sub, name, previous)], catalog, quarter, suites_dir, data_docs=data_docs)
    return FileVerdict(sub, v)


def check_files(
    files: list[tuple[Path, str]], catalog: Catalog, quarter: Quarter, suites_dir: Path
) -> list[FileVerdict]:
    """``check_file`` for many (path, display name) at once: read each, validate them together."""
    read: list[Submission | Issue] = []
    for path, name in files:
        try:
            read.append(
                read_submission(
                    path,
                    catalog.units,
                    display_name=name,
                    indicator_units={i.id: i.unit for i in catalog.indicators},
                )
            )
        except UnreadableFile as exc:
            read.append(unreadable_issue(name, exc, catalog.units))
    subs = [(r, name, None) for r, (_, name) in zip(read, files, strict=True) if isinstance(r, Submission)]
    validations = iter(validate_submissions(subs, catalog, quarter, suites_dir))
    return [
        FileVerdict(r, next(validations)) if isinstance(r, Submission) else FileVerdict(None, None, r)
        for r in read
    ]
