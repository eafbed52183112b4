"""The 重点任务 rows: which are there, and the issues of the milestone suite."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from plantrack.issues import Issue, Severity, make_issue
from plantrack.reader import Submission
from plantrack.validate.gx import expectation_severity, failed_hits, result_row, suite_data
from plantrack.validate.indicators import table_layout
from plantrack.workbook_contract import MILESTONE_SHEET
from transforms.cleaning import MILESTONE_HEADER_SYNONYMS, MILESTONE_LOOSE_RULES


def milestone_frame(milestones: pl.DataFrame) -> pl.DataFrame:
    support = pl.coalesce(
        pl.col("note").str.strip_chars().replace("", None),
        pl.col("evidence").str.strip_chars().replace("", None),
    )
    return (  # one query: each polars query on a frame this small is mostly its planning
        milestones.lazy()
        .filter(pl.col("milestone_id").is_not_null() | pl.col("status").is_not_null())
        .with_columns(support.alias("support"))
        .collect()
    )


def _milestone_issue(code: str, severity: Severity, row: dict, letters: dict[str, str], base: dict) -> Issue:
    n, ms_id = row["row_number"], row["milestone_id"] or ""
    id_cell = row.get("milestone_id_cell") or f"{letters.get('milestone_id', 'A')}{n}"
    if code == "invalid_status":
        return make_issue(
            code,
            severity,
            indicator_id=ms_id,
            cell=row["status_cell"] or "",
            found=row["status"] or "",
            expected="未启动/推进中/已完成",
            **base,
        )
    if code == "completed_without_evidence":
        letter = letters.get("note") or letters.get("evidence") or letters.get("status", "")
        return make_issue(
            code,
            severity,
            indicator_id=ms_id,
            cell=f"{letter}{n}",
            found="",
            expected="进展说明或佐证材料",
            **base,
        )
    return make_issue(
        code,
        severity,
        indicator_id=ms_id,
        cell=id_cell,
        found=ms_id,
        expected="模板中的任务编号（每项任务一行）",
        **base,
    )


MILESTONE_COLUMNS = ("row_number", "milestone_id", "status", "support")


def milestone_job(frame: pl.DataFrame, suites_dir: Path) -> tuple[pl.DataFrame, dict] | None:
    """(the frame the milestone suite checks, the suite), or None when there are no task rows."""
    if not frame.height:
        return None
    return pl.DataFrame([frame[c] for c in MILESTONE_COLUMNS]), suite_data(suites_dir / "milestones.json")


def milestone_outcome(
    sub: Submission, frame: pl.DataFrame, base: dict, suite: dict, result
) -> tuple[list[Issue], list[dict]]:
    """(issues, result rows) from the milestone suite's result."""
    failed = [(res, hits) for res in result.results if (hits := failed_hits(res))]
    issues = []
    if failed:  # where the task table's columns are: only to place an issue
        _, letters = table_layout(
            sub.cells_of(MILESTONE_SHEET), MILESTONE_HEADER_SYNONYMS, MILESTONE_LOOSE_RULES, "milestone_id"
        )
        rows = {r["row_number"]: r for r in frame.iter_rows(named=True)}
        m_base = {**base, "sheet": MILESTONE_SHEET}
        for res, hits in failed:
            cfg = res.expectation_config
            issues += [
                _milestone_issue(cfg.meta["code"], expectation_severity(cfg), rows[n], letters, m_base)
                for n in hits
            ]
    return issues, [result_row(suite["name"], r) for r in result.results]
