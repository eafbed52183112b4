"""Data quality per run: check results in the warehouse, the HTML page, GX Data Docs.

- ``store_validation_detail``: every check run on a submission (one row each) and the
  rejected 重点任务 rows, in the tables of 005_validation_detail.sql.
- ``quality_report`` + ``write_quality_page``: for the bureau and the stewards, which units
  submitted, on time or late, valid or not, resubmitted, how many problems, and a link
  to each unit's fix-it workbook. Read from the warehouse; every text is escaped.
- ``build_data_docs`` (``plantrack.data_docs``): Great Expectations' own Data Docs of the run's
  results, for engineers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import duckdb
from jinja2 import Environment, FileSystemLoader

from plantrack import periods
from plantrack.catalog import Catalog
from plantrack.data_docs import build_data_docs  # noqa: F401  (part of this module's interface)
from plantrack.landing import insert_rows
from plantrack.periods import Quarter
from plantrack.settings import REPORT_TEMPLATES_DIR
from plantrack.validate import CHECKS, Validation

PAGE_TEMPLATE = "quality_page.html"
DEFAULT_TZ = periods.BUREAU_TIMEZONE


# -- check results and rejected task rows (005_validation_detail.sql) -------------------


def store_validation_detail(
    con: duckdb.DuckDBPyConnection, run_id: str, submission_id: str, quarter: str, validation: Validation
) -> None:
    """What load_validation does not keep: every check run, and the rejected 重点任务 rows."""
    store_validation_details(con, run_id, quarter, [(submission_id, validation)])


def store_validation_details(
    con: duckdb.DuckDBPyConnection, run_id: str, quarter: str, items: list[tuple[str, Validation]]
) -> None:
    """The same for many submissions at once, one statement per table.

    Check results are kept per run (this run's earlier record of a submission is replaced);
    rejected task rows are the submission's latest verdict.
    """
    if not items:
        return
    sids = [sid for sid, _ in items]
    con.execute(
        "delete from check_results where run_id = ? and submission_id in (select unnest(?))", [run_id, sids]
    )
    con.execute("delete from quarantined_milestones where submission_id in (select unnest(?))", [sids])
    checks, held_rows = [], []
    for sid, v in items:
        checks += [
            (
                run_id,
                sid,
                v.unit,
                quarter,
                r["suite"],
                r["expectation"],
                r["code"],
                r["severity"],
                r["column_name"],
                r["success"],
                r["element_count"],
                r["unexpected_count"],
            )
            for r in v.expectation_results
        ]
        held = v.milestones_quarantined
        if held is not None and held.height:
            held_rows += [
                (
                    run_id,
                    sid,
                    v.unit,
                    quarter,
                    r["milestone_id"],
                    r["row_number"],
                    r["status"],
                    r["reasons"],
                    r["reason_codes"],
                )
                for r in held.iter_rows(named=True)
            ]
    insert_rows(con, "check_results", checks)
    insert_rows(con, "quarantined_milestones", held_rows)


# -- the page's rows, from the warehouse ----------------------------------------------


def submission_deadline(quarter: Quarter, tz: str = DEFAULT_TZ) -> datetime:
    """The deadline (``periods.submission_deadline``) as an aware time in the bureau's zone."""
    return periods.submission_deadline(quarter).replace(tzinfo=ZoneInfo(tz))


def _as_utc_naive(moment: datetime, tz: str) -> datetime:
    """The warehouse keeps receipt times as naive UTC; a naive deadline is the bureau's local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC).replace(tzinfo=None)


def local_time(moment: datetime | None, tz: str = DEFAULT_TZ) -> str:
    """A receipt time (naive UTC) as the bureau reads it: 2021-07-05 10:00."""
    local = periods.local_time(moment, tz)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


@dataclass(frozen=True)
class UnitQuality:
    """One reporting unit in one run: its latest submission of the quarter and its verdict."""

    unit: str
    unit_name: str
    receipts: int = 0
    file_name: str = ""
    first_received: str = ""  # local time, as shown
    last_received: str = ""
    on_time: bool | None = None  # None: nothing received
    readable: bool = True
    errors: int = 0
    warnings: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    read_error: str = ""
    fixit_href: str = ""

    @property
    def submitted(self) -> bool:
        return self.receipts > 0

    @property
    def resubmitted(self) -> bool:
        return self.receipts > 1

    @property
    def valid(self) -> bool:
        return self.submitted and self.readable and self.errors == 0

    @property
    def status(self) -> str:
        if not self.submitted:
            return "未报送"
        if not self.readable:
            return "无法读取"
        if self.errors == 0:
            return "通过（有警告）" if self.warnings else "通过"
        return "部分采用" if self.rows_accepted else "未采用"

    @property
    def status_class(self) -> str:
        return {
            "通过": "ok",
            "通过（有警告）": "warn",
            "部分采用": "bad",
            "未采用": "bad",
            "无法读取": "bad",
        }.get(self.status, "missing")


@dataclass(frozen=True)
class ProblemCount:
    code: str
    cause: str
    severity: str
    count: int
    units: int


@dataclass
class QualityReport:
    quarter: str  # 2021年第二季度
    run_id: str
    deadline: str
    generated_at: str
    units: list[UnitQuality] = field(default_factory=list)
    unidentified: list[dict] = field(default_factory=list)  # files no unit could be found for
    problems: list[ProblemCount] = field(default_factory=list)
    data_docs_href: str = ""
    ignored: list[dict] = field(default_factory=list)  # inbox entries not read (inbox.Ignored)

    @property
    def counts(self) -> dict[str, int]:
        u = self.units
        return {
            "expected": len(u),
            "submitted": sum(x.submitted for x in u),
            "on_time": sum(bool(x.on_time) for x in u),
            "valid": sum(x.valid for x in u),
            "to_fix": sum(x.submitted and not x.valid for x in u),
            "resubmitted": sum(x.resubmitted for x in u),
        }


def _latest_run(con: duckdb.DuckDBPyConnection, quarter: str) -> str:
    row = con.execute(
        "select run_id from stg_runs where quarter = ? order by started_at desc, run_id desc limit 1",
        [quarter],
    ).fetchone()
    return row[0] if row else ""


def _by_submission(con, sql: str, params: list) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(sql, params).fetchall()}


def quality_report(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    quarter: Quarter,
    deadline: datetime,
    run_id: str | None = None,
    fixit_links: Mapping[str, str] | None = None,
    data_docs_href: str = "",
    tz: str = DEFAULT_TZ,
) -> QualityReport:
    """The page's content for ``quarter`` as of ``run_id`` (default: the quarter's latest run).

    ``deadline``: when submissions were due (naive: the bureau's local time).
    ``fixit_links``: unit → link to its fix-it workbook, relative to the page.
    """
    run = run_id or _latest_run(con, quarter.code)
    # each unit's latest file of the quarter, whatever its verdict (int_latest_receipts)
    latest = {
        r[0]: r
        for r in con.execute(
            "select unit, submission_id, original_name, receipts, first_received_at, received_at, "
            "readable, read_error from int_latest_receipts where quarter = ?",
            [quarter.code],
        ).fetchall()
    }
    # each file's verdict as of this run: its own, or an earlier run's for a file it did not see
    issues = _by_submission(
        con, "select submission_id, errors, warnings from int_run_verdicts where page_run_id = ?", [run]
    )
    rows = _by_submission(
        con,
        "select submission_id, rows_accepted, rows_quarantined from int_submission_rows where quarter = ?",
        [quarter.code],
    )
    due = _as_utc_naive(deadline, tz)
    units = [
        _unit_row(
            u.code, u.name, latest.get(u.code), issues, rows, due, (fixit_links or {}).get(u.code, ""), tz
        )
        for u in catalog.reporting_units()
    ]
    return QualityReport(
        quarter=quarter.label,
        run_id=run,
        deadline=local_time(due, tz),
        generated_at=local_time(datetime.now(UTC).replace(tzinfo=None), tz),
        units=units,
        unidentified=_unidentified(con, quarter.code, run, tz),
        problems=_problems(con, run, quarter.code),
        data_docs_href=data_docs_href,
    )


def _unit_row(
    code: str, name: str, latest: tuple | None, issues, rows, due: datetime, fixit_href: str, tz: str
) -> UnitQuality:
    if latest is None:
        return UnitQuality(code, name)
    _, sid, file_name, receipts, first, last, readable, read_error = latest
    errors, warnings = issues.get(sid, (0, 0))
    accepted, quarantined = rows.get(sid, (0, 0))
    return UnitQuality(
        unit=code,
        unit_name=name,
        receipts=receipts,
        file_name=file_name,
        first_received=local_time(first, tz),
        last_received=local_time(last, tz),
        on_time=first <= due,
        readable=bool(readable),
        errors=errors,
        warnings=warnings,
        rows_accepted=accepted,
        rows_quarantined=quarantined,
        read_error=read_error or "",
        fixit_href=fixit_href,
    )


def _unidentified(con, quarter: str, run: str, tz: str) -> list[dict]:
    """Files naming no unit, received for the quarter or naming none, with why (as of ``run``)."""
    messages = {
        sid: text
        for sid, text in con.execute(
            "select submission_id, messages from int_run_error_messages where run_id = ?", [run]
        ).fetchall()
    }
    rows = con.execute(
        "select submission_id, original_name, received_at, read_error from mart_unidentified_files "
        "where quarter = ? or quarter is null order by received_at",
        [quarter],
    ).fetchall()
    return [
        {"file": name, "received": local_time(at, tz), "reason": error or messages.get(sid, "")}
        for sid, name, at, error in rows
    ]


def _problems(con, run: str, quarter: str) -> list[ProblemCount]:
    """The problems ``run`` found in each unit's latest file of the quarter, most frequent first."""
    rows = con.execute(
        "select code, severity, issues, units from mart_run_problems "
        "where run_id = ? and quarter = ? order by severity, issues desc, code",
        [run, quarter],
    ).fetchall()
    return [
        ProblemCount(
            code,
            CHECKS[code].cause if code in CHECKS else code,
            "错误" if sev == "error" else "警告",
            n,
            units,
        )
        for code, sev, n, units in rows
    ]


# -- the page -------------------------------------------------------------------------


def _environment() -> Environment:
    # autoescape on for every template: a file name or a steward's text is never markup
    return Environment(
        loader=FileSystemLoader(REPORT_TEMPLATES_DIR), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )


def render_quality_page(report: QualityReport) -> str:
    return _environment().get_template(PAGE_TEMPLATE).render(report=report, counts=report.counts)


def write_quality_page(report: QualityReport, target: Path) -> Path:
    """Write the run's data-quality page (self-contained HTML) to ``target``: under a
    temporary name first, so a failed write (disk full) keeps the last good page."""
    from plantrack.atomic import write_text_atomically
    from plantrack.report.render import without_bidi_controls

    return write_text_atomically(target, without_bidi_controls(render_quality_page(report)))


def fixit_href(unit: str, folder: str = "fixit") -> str:
    """The link from the page to ``<folder>/<unit>.xlsx`` beside it."""
    return f"{quote(folder)}/{quote(unit)}.xlsx"
