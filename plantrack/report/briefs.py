"""The brief's view model: every figure of a brief computed and formatted from the marts.

Leadership reads the first two pages, so a brief opens with the status counts
and every behind-target indicator, worst first, before any detail. The rows are made
ready in ``rows``; the sentences that open a brief are written in ``lead_sentences``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from plantrack import progress
from plantrack.catalog import Catalog
from plantrack.catalog.model import leaders_of
from plantrack.periods import BUREAU_TIMEZONE, Quarter, submission_deadline
from plantrack.report.charts import behind_chart, status_chart
from plantrack.report.formatting import format_date, format_deadline, report_date
from plantrack.report.lead_sentences import (
    change_sentence,
    indicator_sentence,
    milestone_sentence,
    submission_sentence,
    unit_submission_sentence,
    year_end_sentence,
)
from plantrack.report.rows import (
    BRIEF_TEXT_LIMIT,
    CUT_MARK,
    STATUS_CLASS,
    attention_items,
    behind_items,
    clipped,
    decorated_rows,
    labelled,
    milestone_detail,
    refused_rows,
    relative_gap,
    section_groups,
    status_tallies,
    unit_comparison,
    unit_table,
    with_lateness,
    year_end_words,
)

# names other modules import from here, whose home is now rows or lead_sentences
__all__ = [
    "BRIEF_TEXT_LIMIT",
    "CUT_MARK",
    "DEFAULT_TZ",
    "STATUS_CLASS",
    "Brief",
    "change_sentence",
    "city_brief",
    "relative_gap",
    "unit_brief",
]

CITY_TEMPLATE, UNIT_TEMPLATE = "city_brief.html", "unit_brief.html"
DEFAULT_TZ = BUREAU_TIMEZONE  # the warehouse keeps receipt times as naive UTC
COMPACT_FROM = 30  # behind-target items from which the summary switches to its compact list


@dataclass
class Brief:
    """What a brief template receives: everything is already computed and formatted."""

    kind: str  # city | unit
    title: str
    scope: str  # the plan's whole (全市, 全县: Catalog.whole) or the unit's name
    recipient: str
    quarter_label: str
    issuer: str
    document_number: str
    plan_title: str
    date: str
    deadline: str
    lead: list[str]
    status_chart: dict
    behind: list[dict]
    behind_chart: dict
    compact: bool
    attention: list[dict]
    sections: list[dict]
    units: dict = field(default_factory=dict)
    comparison: dict = field(default_factory=dict)
    submissions: list[dict] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    masthead: str = ""  # the plan's brief name (Catalog.brief_name)
    whole: str = "全市"  # all of the plan's territory (Catalog.whole): 占全市缺口, 占全县缺口
    has_last_year: bool = False  # some indicator continues last year's: show 上年同期
    year_end: bool = False  # Q4: the words of an assessment (完成/未完成), not of pacing

    @property
    def template(self) -> str:
        return CITY_TEMPLATE if self.kind == "city" else UNIT_TEMPLATE


def _common(
    catalog: Catalog,
    quarter: Quarter,
    issuer: str,
    rows: list[dict],
    milestones: list[dict],
    subs: list[dict],
    deadline: datetime,
    tz: str,
    notes: dict[tuple[str, str], str] | None = None,
    before: list[dict] | None = None,
) -> dict:
    year_end = quarter.number == 4
    if year_end:
        year_end_words(rows)
    counts = status_tallies(rows)
    behind = behind_items(rows, notes, year_end)
    for m in milestones:
        m["detail"] = milestone_detail(m)
        m["note"] = clipped(m.get("note"))
    return {
        "quarter_label": quarter.label,
        "issuer": issuer,
        "document_number": catalog.document_number,
        "plan_title": catalog.title,
        "masthead": catalog.brief_name,
        "whole": catalog.whole,
        "has_last_year": any(r.get("last_year") is not None for r in rows),
        "date": format_date(report_date(quarter)),
        "deadline": format_deadline(deadline),
        "status_chart": status_chart(counts),
        "behind": behind,
        "behind_chart": behind_chart(behind),
        "compact": len(behind) >= COMPACT_FROM,
        "attention": attention_items(rows),
        "sections": section_groups(catalog, rows, milestones),
        "submissions": with_lateness(subs, deadline, tz),
        "lead": [
            year_end_sentence(rows) if quarter.number == 4 else indicator_sentence(counts),
            milestone_sentence(milestones),
            submission_sentence(subs),
            change_sentence(rows, before or []),
        ],
        "year_end": quarter.number == 4,
    }


def _previous_rows(con: duckdb.DuckDBPyConnection, quarter: Quarter, unit: str | None) -> list[dict]:
    """The previous quarter's progress rows of the city (or of ``unit``), when it has data."""
    prev = quarter.previous()
    if prev is None or prev.code not in progress.quarters_with_data(con):
        return []
    if unit is None:
        return progress.city_progress(con, prev.code)
    return progress.unit_progress(con, prev.code, unit)


def city_brief(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    quarter: Quarter,
    issuer: str,
    deadline: datetime | None = None,
    tz: str = DEFAULT_TZ,
    unit_rows: list[dict] | None = None,
) -> Brief:
    """The city's brief: the city's figures, every unit's status, and the data quality."""
    progress.require_quarter(con, quarter)
    rows = decorated_rows(con, progress.city_progress(con, quarter.code), quarter, "city")
    if unit_rows is None:
        unit_rows = progress.unit_progress(con, quarter.code)
    notes = {(r["indicator_id"], r["unit"]): r["note"] for r in unit_rows if r.get("note")}
    common = _common(
        catalog,
        quarter,
        issuer,
        rows,
        progress.milestones(con, quarter.code, "city"),
        progress.submission_status(con, quarter.code),
        deadline or submission_deadline(quarter),
        tz,
        notes=notes,
        before=_previous_rows(con, quarter, None),
    )
    common["lead"][0] = f"截至{quarter.label}末，" + common["lead"][0]
    labelled_units = labelled(unit_rows, quarter.number == 4)
    return Brief(
        kind="city",
        title=f"{catalog.short_title}落实情况简报",
        scope=catalog.whole,
        recipient=leaders_of(issuer),
        units=unit_table(labelled_units),
        comparison=unit_comparison(labelled_units, quarter.number == 4),
        quarantined=progress.quarantined_values(con, quarter.code),
        refused=refused_rows(progress.refused_files(con, quarter.code), tz),
        **common,
    )


def unit_brief(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    quarter: Quarter,
    unit: str,
    issuer: str,
    deadline: datetime | None = None,
    tz: str = DEFAULT_TZ,
    rows: list[dict] | None = None,
) -> Brief:
    """One unit's brief: its own targets, status, share of the city's shortfall, its data.
    ``rows``: the unit's progress rows, when the caller has fetched them already."""
    progress.require_quarter(con, quarter)
    info = progress.resolve_unit(con, unit, quarter.year)
    if rows is None:
        rows = progress.unit_progress(con, quarter.code, info["unit"])
    rows = decorated_rows(con, rows, quarter, info["unit"])
    common = _common(
        catalog,
        quarter,
        issuer,
        rows,
        progress.milestones(con, quarter.code, info["unit"]),
        progress.submission_status(con, quarter.code, info["unit"]),
        deadline or submission_deadline(quarter),
        tz,
        before=_previous_rows(con, quarter, info["unit"]),
    )
    common["lead"][0] = f"截至{quarter.label}末，{info['name']}" + common["lead"][0]
    common["lead"][2] = unit_submission_sentence(common["submissions"])
    return Brief(
        kind="unit",
        title=f"{info['name']}{catalog.brief_name}",
        scope=info["name"],
        recipient=info["office"],
        quarantined=progress.quarantined_values(con, quarter.code, info["unit"]),
        refused=refused_rows(progress.refused_files(con, quarter.code, info["unit"]), tz),
        issues=progress.submission_issues(con, quarter.code, info["unit"]),
        **common,
    )
