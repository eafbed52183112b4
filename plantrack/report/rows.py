"""The marts' rows made ready for a brief's templates: decorated, sorted, grouped.

Each indicator row gains what the templates show (unit, target wording, badge class,
trend); behind-target items are sorted worst first; indicators and 重点任务 are grouped
by the plan's sections; submissions gain their lateness; the city's brief gets its
unit-by-unit tables. A steward's text is clipped to what a brief may show.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import duckdb

from plantrack import progress
from plantrack.catalog import Catalog
from plantrack.periods import Quarter, local_time
from plantrack.report.charts import sparkline, trend_points, work_done
from plantrack.report.formatting import display_unit, format_percent, format_time, shorten, target_note

STATUS_CLASS = {
    "已完成": "done",
    "正常推进": "ok",
    "滞后": "behind",
    "严重滞后": "severe",
    "无数据": "nodata",
    "数据待核": "rejected",
    "年末考核": "yearend",
    "缺少基数": "nodata",
    "无目标": "nodata",
}
MILESTONE_CLASS = {
    "已完成": "done",
    "推进中": "ok",
    "未启动": "behind",
    "数据待核": "rejected",
    "未报送": "nodata",
}
LEVEL_TEXT = {
    "stretch_met": "已达力争目标",
    "floor_met": "已达确保目标",
    "below_floor": "",
    "within_ceiling": "未超上限",
    "over_ceiling": "已超上限",
}


# A steward's 说明 or 进展说明 is shown in a brief only up to this many characters (the
# tables show less still): a brief's size must not grow with what a steward pastes in.
# The whole text stays in the warehouse and on the data-quality page.
BRIEF_TEXT_LIMIT = 300
CUT_MARK = "…（已截断，全文见数据质量页）"


def clipped(text: str | None, limit: int = BRIEF_TEXT_LIMIT) -> str | None:
    """``text`` cut to ``limit`` characters with the mark saying where the rest is."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + CUT_MARK


def _decorate(row: dict, history: list[dict]) -> dict:
    """A mart row plus what the templates show: unit, target kind, badge, ratios, trend.
    (A row's ``tolerance`` is the one its 左右 target allows, 0 for other targets.)"""
    r = dict(row)
    if "note" in r:
        r["note"] = clipped(r["note"])
    r["uom"] = display_unit(r)
    r["target_note"] = target_note(r, r["tolerance"])
    r["css"] = STATUS_CLASS.get(r["status"], "nodata")
    r["level_text"] = LEVEL_TEXT.get(r["level"] or "", "")
    r["work_done"] = work_done(r["actual"], r["start_level"], r["target"])
    # the share of the year's work expected by now, in whole units for counts (the pacing
    # share of a target of 1 park is 50% at mid-year; the whole-unit expectation is 0)
    r["work_expected"] = work_done(r.get("expected_to_date"), r["start_level"], r["target"])
    r["trend"] = sparkline(trend_points(history), r["css"])
    r["change"] = change_since_last_quarter(history, r["quarter_number"], r["actual"])
    r["label"] = r["status"]
    return r


def change_since_last_quarter(history: list[dict], quarter_number: int, actual: float | None) -> float | None:
    """This quarter's figure less the previous quarter's (None when either is missing).
    ``history``: the indicator's year (``progress.trends``)."""
    before = [h["actual"] for h in history if h["quarter_number"] == quarter_number - 1]
    if actual is None or not before or before[0] is None:
        return None
    return actual - before[0]


def _plan_targets(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, float | None]:
    """Each indicator's target as the year's plan writes it (for increase_by: the step)."""
    return dict(
        con.execute(
            "select indicator_id, plan_target from mart_plan_targets where plan_year = ?", [year]
        ).fetchall()
    )


def decorated_rows(
    con: duckdb.DuckDBPyConnection, rows: list[dict], quarter: Quarter, scope: str
) -> list[dict]:
    history = progress.trends(con, quarter, scope)
    plan = _plan_targets(con, quarter.year)
    last_year = progress.last_year_values(con, quarter.code, scope)
    out = []
    for row in rows:
        # the target note words every scope's target as the plan (the city) does
        row = {
            **row,
            "nominal_target": plan.get(row["indicator_id"]),
            "last_year": last_year.get(row["indicator_id"]),
        }
        out.append(_decorate(row, history.get(row["indicator_id"], [])))
    return out


def relative_gap(r: dict) -> float:
    """How far the figure is below its expected-to-date, over the year's work (target − start)."""
    expected = r["expected_to_date"]
    if expected is None or r["target"] is None:
        return 0.0
    start = r["start_level"] or 0.0
    work = abs(r["target"] - start) or abs(r["target"]) or 1.0
    return max(expected - (r["actual"] or 0.0), 0.0) / work


def _behind_sort_key(r: dict) -> tuple:
    """Severe first; among equally severe items, the largest gap relative to the target first."""
    return (progress.BEHIND.index(r["status"]), -round(relative_gap(r), 9), r["indicator_id"])


def _missed_sort_key(r: dict) -> tuple:
    """At year end a target is met or missed, no more or less severely: largest gap first."""
    return (-round(relative_gap(r), 9), r["indicator_id"])


def behind_items(
    rows: list[dict], notes: dict[tuple[str, str], str] | None = None, year_end: bool = False
) -> list[dict]:
    """Behind-target items, worst first, with the units owing most of the gap and the reasons
    (说明) they gave; ``notes``: (indicator, unit) → note, for the city's brief.
    ``year_end``: the missed targets of Q4, ordered by their gap relative to the target."""
    key = _missed_sort_key if year_end else _behind_sort_key
    items = sorted((r for r in rows if r["status"] in progress.BEHIND), key=key)
    for r in items:
        contributors = r.get("contributors") or []
        r["top_units"] = [{"name": c["unit_name"], "share": c["share"]} for c in contributors[:3]]
        if notes is None:
            r["reasons"] = [shorten(r.get("note"))] if r.get("note") else []
        else:
            r["reasons"] = [
                f"{c['unit_name']}：{shorten(notes[(r['indicator_id'], c['unit'])], 40)}"
                for c in contributors
                if notes.get((r["indicator_id"], c["unit"]))
            ][:2]
    return items


YEAR_END_CSS = {"未完成": "behind", "完成": "ok", "超额完成": "done"}
# The order labels are counted in: the year-end words first, then the statuses of pacing.
LABEL_ORDER = (*YEAR_END_CSS, *progress.STATUS_ORDER)


def label_css(label: str) -> str:
    return YEAR_END_CSS.get(label) or STATUS_CLASS.get(label, "nodata")


def _in_label_order(labels) -> list[str]:
    return list(dict.fromkeys([*(s for s in LABEL_ORDER if s in labels), *labels]))


def status_tallies(rows: list[dict]) -> list[dict]:
    """How many indicators carry each label (``label``: the status, or at year end after
    ``year_end_words`` the words of an assessment: 未完成, 完成, 超额完成)."""
    counts = Counter(r["label"] for r in rows)
    return [{"status": s, "n": counts[s], "css": label_css(s)} for s in _in_label_order(counts)]


def group_by_section(catalog: Catalog, rows: list[dict], milestones: list[dict]) -> list[dict]:
    """Indicator rows and milestones under the plan's sections, in order; empty ones left out
    (a section the catalog does not name gets an empty title)."""
    by_section = {
        n: {"number": n, "title": t, "indicators": [], "milestones": []}
        for n, t in sorted(catalog.sections.items())
    }

    def section(number: int) -> dict:
        return by_section.setdefault(
            number, {"number": number, "title": "", "indicators": [], "milestones": []}
        )

    for r in rows:
        section(r["section"])["indicators"].append(r)
    for m in milestones:
        section(m["section"])["milestones"].append(m)
    return [s for s in by_section.values() if s["indicators"] or s["milestones"]]


def section_groups(catalog: Catalog, rows: list[dict], milestones: list[dict]) -> list[dict]:
    for m in milestones:
        m["css"] = MILESTONE_CLASS.get(m["status"], "nodata")
    return group_by_section(catalog, rows, milestones)


def milestone_detail(m: dict) -> str:
    if m["units_responsible"] <= 1:
        return clipped(m["note"]) or ""
    parts = [
        ("已完成", m["units_done"]),
        ("推进中", m["units_in_progress"]),
        ("未启动", m["units_not_started"]),
        ("待核", m["units_unclear"]),
        ("未报送", m["units_not_reported"]),
    ]
    return f"{m['units_responsible']}个单位：" + "、".join(f"{s}{n}" for s, n in parts if n)


def with_lateness(subs: list[dict], deadline: datetime, tz: str) -> list[dict]:
    """A unit is late when its first file for the quarter came after the deadline."""
    for s in subs:
        first = local_time(s["first_received_at"], tz)
        s["late"] = first is not None and first > deadline
        s["received_text"] = format_time(local_time(s["received_at"], tz))
    return subs


def refused_rows(rows: list[dict], tz: str) -> list[dict]:
    for r in rows:
        r["received_text"] = format_time(local_time(r["received_at"], tz))
    return rows


def attention_items(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["status"] in progress.NEEDS_DATA]


PACING_LEGEND = ("已完成", "正常推进", "滞后", "严重滞后", "无数据", "数据待核")
YEAR_END_LEGEND = ("超额完成", "完成", "未完成", "无数据", "数据待核")


def labelled(unit_rows: list[dict], year_end: bool) -> list[dict]:
    """Copies of the units' rows with the label the brief shows: the status, or at year end
    the words of an assessment (``year_end_words``)."""
    rows = [{**r, "label": r["status"]} for r in unit_rows]
    if year_end:
        year_end_words(rows)
    return rows


def unit_comparison(unit_rows: list[dict], year_end: bool = False) -> dict:
    """Units side by side on every indicator that more than one unit reports, coloured by
    label (``labelled``: met or missed at year end); ``year_end`` picks the legend."""
    units: dict[str, str] = {}
    by_indicator: dict[str, dict] = {}
    for r in unit_rows:
        units.setdefault(r["unit"], r["unit_name"])
        entry = by_indicator.setdefault(
            r["indicator_id"], {"id": r["indicator_id"], "name": r["name"], "cells": {}}
        )
        entry["cells"][r["unit"]] = {"text": _cell_text(r), "css": _cell_css(r)}
    rows = [e for e in by_indicator.values() if len(e["cells"]) > 1]
    codes = [c for c in units if any(c in e["cells"] for e in rows)]
    legend = [{"label": s, "css": label_css(s)} for s in (YEAR_END_LEGEND if year_end else PACING_LEGEND)]
    return {"units": [{"code": c, "name": units[c]} for c in codes], "rows": rows, "legend": legend}


def _cell_text(r: dict) -> str:
    if r["status"] in ("无数据", "数据待核", "无目标", "缺少基数"):
        return {"数据待核": "待核", "无目标": "—", "缺少基数": "缺基数"}.get(r["status"], "无")
    return format_percent(r["pct_of_target"], 0)


def _cell_css(r: dict) -> str:
    if r["target"] is not None and r["target"] <= 0:  # nothing allocated to this unit
        return "nodata"
    return label_css(r["label"])


def unit_table(unit_rows: list[dict]) -> dict:
    """Label counts per unit (``labelled``), with a column for every label that occurs."""
    units: dict[str, dict] = {}
    for r in unit_rows:
        counts = units.setdefault(r["unit"], {"name": r["unit_name"], "counts": {}})["counts"]
        counts[r["label"]] = counts.get(r["label"], 0) + 1
    seen = {s for u in units.values() for s in u["counts"]}
    return {"statuses": _in_label_order(seen), "rows": list(units.values())}


YEAR_END_LABEL = {"已完成": "完成", "正常推进": "完成", "滞后": "未完成", "严重滞后": "未完成"}


def year_end_words(rows: list[dict]) -> None:
    """At Q4 a target is met or missed: the badges say 完成/未完成, and 超额完成 above it."""
    for r in rows:
        label = YEAR_END_LABEL.get(r["status"], r["status"])
        if (
            label == "完成"
            and r["qualifier"] != "max"
            and r["actual"] is not None
            and r["target"] is not None
            and r["actual"] > r["target"] + 1e-9
        ):
            label = "超额完成"
        r["label"] = label
