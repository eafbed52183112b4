"""Storing verdicts: a submission's issues, accepted values, quarantined rows and
milestones, and the number read from each value cell beside its raw text."""

from __future__ import annotations

import duckdb
import polars as pl

from plantrack.issues import Issue
from plantrack.landing.archive import Received
from plantrack.landing.inserts import insert_rows
from plantrack.validate import Validation


def load_validation(
    con: duckdb.DuckDBPyConnection, run_id: str, received: Received, quarter: str, validation: Validation
) -> None:
    """Store one submission's verdict (see ``load_verdicts``)."""
    load_verdicts(con, run_id, quarter, [(received, validation)])


def load_verdicts(
    con: duckdb.DuckDBPyConnection, run_id: str, quarter: str, verdicts: list[tuple[Received, Validation]]
) -> None:
    """Store many submissions' verdicts with one statement per table.

    Issues are kept per run (check results too, in ``quality.store_validation_details``);
    accepted, quarantined and milestone rows are the submission's latest verdict
    (replaced). Callers own the transaction.
    """
    if not verdicts:
        return
    rows: dict[str, list[tuple]] = {
        t: [] for t in ("submission_issues", "accepted_values", "quarantine_rows", "milestone_reports")
    }
    parsed: list[tuple] = []
    for received, v in verdicts:
        sid = received.submission_id
        rows["submission_issues"] += _issue_rows(run_id, sid, v.unit, v.issues)
        if v.accepted is not None:
            rows["accepted_values"] += [
                (run_id, sid, v.unit, quarter, r["indicator_id"], r["actual"], r["actual_cell"], r["note"])
                for r in v.accepted.iter_rows(named=True)
            ]
        if v.quarantined is not None:
            rows["quarantine_rows"] += [
                (
                    run_id,
                    sid,
                    v.unit,
                    quarter,
                    r["indicator_id"],
                    r["row_number"],
                    r["actual_raw"],
                    r["reasons"],
                    r["reason_codes"],
                )
                for r in v.quarantined.iter_rows(named=True)
            ]
        if v.milestones is not None:
            rows["milestone_reports"] += [
                (run_id, sid, v.unit, quarter, r["milestone_id"], r["status"], r["note"], r["status_cell"])
                for r in v.milestones.iter_rows(named=True)
                if r["milestone_id"]
            ]
        parsed += _parsed_rows(received.file_hash, v)
    sids = [received.submission_id for received, _ in verdicts]
    for table in ("accepted_values", "quarantine_rows", "milestone_reports"):
        con.execute(f"delete from {table} where submission_id in (select unnest(?))", [sids])
    for table, table_rows in rows.items():
        insert_rows(con, table, table_rows)
    _store_parsed_values(con, parsed)


def _parsed_rows(file_hash: str, validation: Validation) -> list[tuple]:
    out = []
    for frame in (validation.accepted, validation.quarantined):
        if frame is None or not frame.height:
            continue
        out += [
            (file_hash, sheet, cell, value)
            for sheet, cell, value in frame.select("sheet", "actual_cell", "actual").iter_rows()
            if value is not None
        ]
    return out


def _store_parsed_values(con, parsed: list[tuple]) -> None:
    """Keep the number read from each value cell beside its raw text."""
    if not parsed:
        return
    frame = pl.DataFrame(parsed, schema=["file_hash", "sheet", "cell", "actual"], orient="row")
    con.register("parsed_frame", frame.to_arrow())
    try:
        con.execute(
            "update raw_cells set parsed_value = p.actual from parsed_frame as p "
            "where raw_cells.file_hash = p.file_hash and raw_cells.sheet = p.sheet "
            "and raw_cells.cell = p.cell"
        )
    finally:
        con.unregister("parsed_frame")


def _issue_rows(run_id: str, sid: str, unit: str | None, issues: list[Issue]) -> list[tuple]:
    return [
        (
            run_id,
            sid,
            unit or i.unit,
            i.code,
            str(i.severity),
            i.file,
            i.sheet,
            i.cell,
            i.indicator_id,
            i.found,
            i.expected,
            i.message,
            i.hint,
        )
        for i in issues
    ]


def _insert_issues(con, run_id: str, sid: str, unit: str | None, issues: list[Issue]) -> None:
    insert_rows(con, "submission_issues", _issue_rows(run_id, sid, unit, issues))


def record_unreadable(con, run_id: str, received: Received, issue: Issue) -> None:
    _insert_issues(con, run_id, received.submission_id, None, [issue])
