"""The brief's view model: every figure of a brief computed and formatted from the marts.

Leadership reads the first two pages, so a brief opens with the status counts
and every behind-target indicator, worst first, before any detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from plantrack import progress
from plantrack.catalog import Catalog
from plantrack.periods import BUREAU_TIMEZONE, Quarter, local_time, submission_deadline
from plantrack.report.charts import behind_chart, sparkline, status_chart, trend_points, work_done
from plantrack.report.formatting import (
    display_unit,
    format_date,
    format_deadline,
    format_percent,
    format_time,
    report_date,
    shorten,
    target_note,
)

CITY_TEMPLATE, UNIT_TEMPLATE = "city_brief.html", "unit_brief.html"
DEFAULT_TZ = BUREAU_TIMEZONE  # the warehouse keeps receipt times as naive UTC
COMPACT_FROM = 30  # behind-target items from which the summary switches to its compact list

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


@dataclass
class Brief:
    """What a brief template receives: everything is already computed and formatted."""

    kind: str  # city | unit
    title: str
    scope: str  # 全市 or the unit's name
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
    has_last_year: bool = False  # some indicator continues last year's: show 上年同期
    year_end: bool = False  # Q4: the words of an assessment (完成/未完成), not of pacing

    @property
    def template(self) -> str:
        return CITY_TEMPLATE if self.kind == "city" else UNIT_TEMPLATE


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


def _decorated_rows(
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


def _behind(rows: list[dict], notes: dict[tuple[str, str], str] | None = None) -> list[dict]:
    """Behind-target items, worst first, with the units owing most of the gap and the reasons
    (说明) they gave; ``notes``: (indicator, unit) → note, for the city's brief."""
    items = sorted((r for r in rows if r["status"] in progress.BEHIND), key=_behind_sort_key)
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


def _counts(rows: list[dict]) -> list[dict]:
    return [
        {"status": s, "n": n, "css": STATUS_CLASS.get(s, "nodata")}
        for s, n in progress.status_counts(rows).items()
    ]


def _indicator_sentence(counts: list[dict]) -> str:
    parts = [f"{c['status']}{c['n']}项" for c in counts if c["status"] not in ("年末考核", "无目标")]
    extra = {c["status"]: c["n"] for c in counts if c["status"] in ("年末考核", "无目标")}
    tail = f"，另有{extra['年末考核']}项为年末考核指标" if "年末考核" in extra else ""
    total = sum(c["n"] for c in counts)
    return f"纳入调度的{total}项量化指标中，{'、'.join(parts)}{tail}。"


def _milestone_sentence(items: list[dict]) -> str:
    if not items:
        return ""
    counts = {s: sum(1 for m in items if m["status"] == s) for s in progress.MILESTONE_STATUSES}
    parts = "、".join(f"{s}{n}项" for s, n in counts.items() if n)
    return f"{len(items)}项重点任务中，{parts}。"


def _submission_sentence(subs: list[dict]) -> str:
    used = [s for s in subs if s["state"] == "已采用"]
    text = f"应报送单位{len(subs)}个，已采用{len(used)}个单位的报送数据"
    missing = [s["unit_name"] for s in subs if s["state"] == "未报送"]
    refused = [s["unit_name"] for s in subs if s["state"] == "整份退回"]
    if missing:
        text += f"；未报送：{'、'.join(missing)}"
    if refused:
        text += f"；报送文件未通过校验：{'、'.join(refused)}"
    return text + "。"


def _sections(catalog: Catalog, rows: list[dict], milestones: list[dict]) -> list[dict]:
    by_section = {
        n: {"number": n, "title": t, "indicators": [], "milestones": []}
        for n, t in sorted(catalog.sections.items())
    }
    for r in rows:
        by_section.setdefault(
            r["section"], {"number": r["section"], "title": "", "indicators": [], "milestones": []}
        )["indicators"].append(r)
    for m in milestones:
        m["css"] = MILESTONE_CLASS.get(m["status"], "nodata")
        by_section.setdefault(
            m["section"], {"number": m["section"], "title": "", "indicators": [], "milestones": []}
        )["milestones"].append(m)
    return [s for s in by_section.values() if s["indicators"] or s["milestones"]]


def _milestone_detail(m: dict) -> str:
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


def _with_lateness(subs: list[dict], deadline: datetime, tz: str) -> list[dict]:
    """A unit is late when its first file for the quarter came after the deadline."""
    for s in subs:
        first = local_time(s["first_received_at"], tz)
        s["late"] = first is not None and first > deadline
        s["received_text"] = format_time(local_time(s["received_at"], tz))
    return subs


def _refused(rows: list[dict], tz: str) -> list[dict]:
    for r in rows:
        r["received_text"] = format_time(local_time(r["received_at"], tz))
    return rows


def _attention(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["status"] in progress.NEEDS_DATA]


def _unit_comparison(unit_rows: list[dict]) -> dict:
    """Units side by side on every indicator that more than one unit reports."""
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
    return {"units": [{"code": c, "name": units[c]} for c in codes], "rows": rows}


def _cell_text(r: dict) -> str:
    if r["status"] in ("无数据", "数据待核", "无目标", "缺少基数"):
        return {"数据待核": "待核", "无目标": "—", "缺少基数": "缺基数"}.get(r["status"], "无")
    return format_percent(r["pct_of_target"], 0)


def _cell_css(r: dict) -> str:
    if r["target"] is not None and r["target"] <= 0:  # nothing allocated to this unit
        return "nodata"
    return STATUS_CLASS.get(r["status"], "nodata")


def _unit_table(unit_rows: list[dict]) -> dict:
    """Status counts per unit, with a column for every status that occurs."""
    units: dict[str, dict] = {}
    for r in unit_rows:
        u = units.setdefault(r["unit"], {"name": r["unit_name"], "counts": {}})
        u["counts"][r["status"]] = u["counts"].get(r["status"], 0) + 1
    seen = {s for u in units.values() for s in u["counts"]}
    return {"statuses": [s for s in progress.STATUS_ORDER if s in seen], "rows": list(units.values())}


YEAR_END_LABEL = {"已完成": "完成", "正常推进": "完成", "滞后": "未完成", "严重滞后": "未完成"}
JUDGED = ("严重滞后", "滞后", "正常推进", "已完成")  # worse to better


def _year_end_words(rows: list[dict]) -> None:
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


def change_sentence(rows: list[dict], before: list[dict]) -> str:
    """What improved and what slipped since the previous quarter (status moved up or down)."""
    was = {r["indicator_id"]: r["status"] for r in before}
    up, down = [], []
    for r in rows:
        old, new = was.get(r["indicator_id"]), r["status"]
        if old in JUDGED and new in JUDGED and old != new:
            (up if JUDGED.index(new) > JUDGED.index(old) else down).append(r["name"])
    if not up and not down:
        return "与上季度相比，各指标状态没有变化。" if was else ""

    def names(items: list[str]) -> str:
        return "、".join(items[:3]) + ("等" if len(items) > 3 else "")

    parts = []
    if up:
        parts.append(f"{len(up)}项好转（{names(up)}）")
    if down:
        parts.append(f"{len(down)}项转差（{names(down)}）")
    return "与上季度相比，" + "，".join(parts) + "。"


def _year_end_sentence(rows: list[dict]) -> str:
    judged = [r for r in rows if r["status"] in JUDGED]
    met = sum(1 for r in judged if r["label"] in ("完成", "超额完成"))
    over = sum(1 for r in judged if r["label"] == "超额完成")
    others = len(rows) - len(judged)
    tail = f"，另有{others}项无数据、待核或缺少基数" if others else ""
    return (
        f"纳入调度的{len(rows)}项量化指标中，完成年度目标{met}项（其中超额完成{over}项），"
        f"未完成{len(judged) - met}项{tail}。"
    )


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
    counts = _counts(rows)
    if quarter.number == 4:
        _year_end_words(rows)
    behind = _behind(rows, notes)
    for m in milestones:
        m["detail"] = _milestone_detail(m)
        m["note"] = clipped(m.get("note"))
    return {
        "quarter_label": quarter.label,
        "issuer": issuer,
        "document_number": catalog.document_number,
        "plan_title": catalog.title,
        "masthead": catalog.brief_name,
        "has_last_year": any(r.get("last_year") is not None for r in rows),
        "date": format_date(report_date(quarter)),
        "deadline": format_deadline(deadline),
        "status_chart": status_chart(counts),
        "behind": behind,
        "behind_chart": behind_chart(behind),
        "compact": len(behind) >= COMPACT_FROM,
        "attention": _attention(rows),
        "sections": _sections(catalog, rows, milestones),
        "submissions": _with_lateness(subs, deadline, tz),
        "lead": [
            _year_end_sentence(rows) if quarter.number == 4 else _indicator_sentence(counts),
            _milestone_sentence(milestones),
            _submission_sentence(subs),
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
    rows = _decorated_rows(con, progress.city_progress(con, quarter.code), quarter, "city")
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
    return Brief(
        kind="city",
        title=f"{catalog.short_title}落实情况简报",
        scope="全市",
        recipient="局领导",
        units=_unit_table(unit_rows),
        comparison=_unit_comparison(unit_rows),
        quarantined=progress.quarantined_values(con, quarter.code),
        refused=_refused(progress.refused_files(con, quarter.code), tz),
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
    rows = _decorated_rows(con, rows, quarter, info["unit"])
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
    common["lead"][2] = _unit_submission_sentence(common["submissions"])
    return Brief(
        kind="unit",
        title=f"{info['name']}{catalog.brief_name}",
        scope=info["name"],
        recipient=info["office"],
        quarantined=progress.quarantined_values(con, quarter.code, info["unit"]),
        refused=_refused(progress.refused_files(con, quarter.code, info["unit"]), tz),
        issues=progress.submission_issues(con, quarter.code, info["unit"]),
        **common,
    )


def _unit_submission_sentence(subs: list[dict]) -> str:
    if not subs or subs[0]["state"] == "未报送":
        return "本季度未收到本单位的报送文件，上表指标均按无数据统计。"
    s = subs[0]
    if s["state"] == "整份退回":
        return "本单位报送的文件未通过校验，未能采用，请按附表所列原因修改后重新报送。"
    late = "，首次报送晚于截止时间" if s["late"] else ""
    return (
        f"本单位共报送{s['receipts']}次，采用{s['received_text']}收到的文件{late}；"
        f"采用数据{s['rows_accepted']}行，退回待核{s['rows_quarantined']}行。"
    )
