"""The year-end assessment (年度考核) view model: each target met or missed, the ranking.

At the end of the year a target is simply met (完成, at its floor 确保 or its stretch
力争) or missed (未完成, by its shortfall): the assessment speaks those words, never
the pacing words of the quarterly briefs. Everything is read from the marts
(``mart_annual_assessment``, ``mart_unit_ranking``, ``mart_milestone_progress``) and
formatted here; the template only lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from plantrack import progress
from plantrack.catalog import Catalog
from plantrack.catalog.model import leaders_of
from plantrack.periods import Quarter
from plantrack.report.charts import COLORS, bar_segments, year_path
from plantrack.report.formatting import (
    display_unit,
    format_date,
    format_number,
    format_percent,
    report_date,
    shorten,
    target_note,
)
from plantrack.report.rows import group_by_section

ASSESSMENT_TEMPLATE = "annual_brief.html"
MAX_REASONS = 3  # units named beside a missed city target (largest shortfall first); the rest counted
NOTE_CHARS = 60  # a unit's 说明 beside a missed target is shortened beyond this, with …
RESULT_CLASS = {"力争": "stretch", "确保": "done", "未完成": "severe", "不考核": "nodata"}
RANKING_RULE = (
    "排名规则：先比较完成的指标占本单位考核指标的比例，比例相同时比较平均完成度"
    "（各指标本年完成量占年度任务量的比例，单项最高按120%计，未报送按0计）。"
)


@dataclass
class Assessment:
    """What the annual assessment template receives: everything computed and formatted."""

    kind: str  # city | unit
    title: str
    scope: str
    recipient: str
    quarter_label: str  # the year, as the page margins show it: 2021年度
    issuer: str
    document_number: str
    plan_title: str
    date: str
    lead: list[str]
    result_chart: dict
    missed: list[dict]
    sections: list[dict]
    ranking: list[dict] = field(default_factory=list)
    ranking_rule: str = RANKING_RULE
    own_rank: dict | None = None
    masthead: str = "工作要点年度考核"  # the plan's name for it (Catalog.assessment_masthead)

    template = ASSESSMENT_TEMPLATE


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def result_label(r: dict) -> str:
    if r["result"] == "完成":
        return "超额完成" if r["excess"] else "完成"
    return r["result"]


def _decorate(r: dict, history: list[dict]) -> dict:
    r = dict(r)
    r["uom"] = display_unit(r)
    r["target_note"] = target_note(r, r["tolerance"])
    r["label"] = result_label(r)
    r["grade_text"] = {"力争": "达到力争目标", "确保": "达到确保目标"}.get(r["grade"] or "", "")
    key = r["grade"] if r["result"] == "完成" else r["result"]
    r["css"] = RESULT_CLASS.get(key, "nodata")
    if r["result"] == "未完成":
        r["gap_text"] = (
            "未报送或数据待核" if r["actual"] is None else f"差{format_number(r['shortfall'], r['uom'])}"
        )
        if r["qualifier"] == "max" and r["actual"] is not None:
            r["gap_text"] = f"超出上限{format_number(r['shortfall'], r['uom'])}"
    elif r["excess"]:
        r["gap_text"] = f"超额{format_number(r['excess'], r['uom'])}"
    else:
        r["gap_text"] = ""
    path = year_path(history, {"完成": True, "未完成": False}.get(r["result"]))
    if path["last"] is not None:
        path["last"]["text"] = format_number(path["last"]["value"], r["uom"])
    r["path"] = path
    r["reasons"] = [
        {
            "unit": m["unit_name"],
            "note": shorten(m["note"]),
            "gap": (
                "未报送或数据待核" if m["actual"] is None else f"差{format_number(m['shortfall'], r['uom'])}"
            ),
        }
        for m in (r.get("missed_by") or [])[:MAX_REASONS]
    ]
    r["more_units"] = max(len(r.get("missed_by") or []) - MAX_REASONS, 0)
    r["own_note"] = shorten(r.get("note"))
    return r


def _results(con: duckdb.DuckDBPyConnection, year: int, scope: str) -> list[dict]:
    rows = _rows(
        con,
        """
        select * from mart_annual_assessment where year = ? and scope = ?
        order by section, item, subtask, indicator_id
    """,
        [year, scope],
    )
    history = progress.trends(con, Quarter(year, 4), scope)
    return [_decorate(r, history.get(r["indicator_id"], [])) for r in rows]


def _milestones(con: duckdb.DuckDBPyConnection, quarter: Quarter, scope: str) -> list[dict]:
    items = progress.milestones(con, quarter.code, scope)
    for m in items:
        m["done"] = m["status"] == "已完成"
        m["label"] = "已完成" if m["done"] else "未完成"
        m["css"] = "done" if m["done"] else "severe"
        m["state_text"] = "" if m["done"] else f"（年末{m['status']}）"
        if m["units_responsible"] > 1:
            m["detail"] = f"{m['units_responsible']}个单位中{m['units_done']}个已完成"
        else:
            m["detail"] = ""
        m["note_text"] = shorten(m["note"], 90)
    return items


def _ranking(con: duckdb.DuckDBPyConnection, year: int) -> list[dict]:
    rows = _rows(con, "select * from mart_unit_ranking where year = ? order by rank, unit_ordinal", [year])
    for r in rows:
        r["share_text"] = format_percent(r["share_met"], 0)
        r["attainment_text"] = format_percent(r["mean_attainment"], 0)
    return rows


def _result_chart(rows: list[dict], width: float = 500) -> dict:
    """One stacked bar: 达到力争 / 达到确保 / 未完成 / 不考核."""
    parts = [
        ("达到力争目标", sum(1 for r in rows if r["grade"] == "力争"), COLORS["done"]),
        ("达到确保目标", sum(1 for r in rows if r["grade"] == "确保"), COLORS["ok"]),
        ("未完成", sum(1 for r in rows if r["result"] == "未完成"), COLORS["severe"]),
        ("不考核", sum(1 for r in rows if r["result"] == "不考核"), COLORS["nodata"]),
    ]
    parts = [p for p in parts if p[1]]
    legend = [
        {"x": i * 110, "y": 34, "color": color, "text": f"{text} {n}项"}
        for i, (text, n, color) in enumerate(parts)
    ]
    segments = bar_segments([(n, color) for _, n, color in parts], width)
    return {"width": width, "height": 40, "segments": segments, "legend": legend}


def _missed(rows: list[dict]) -> list[dict]:
    """Missed targets, the largest shortfall relative to the target first."""

    def key(r: dict) -> tuple:
        rel = (r["shortfall"] or 0) / r["target"] if r["target"] else 0
        return (-(1.0 if r["actual"] is None else min(rel, 1.0)), r["indicator_id"])

    return sorted((r for r in rows if r["result"] == "未完成"), key=key)


def _lead(year: int, who: str, rows: list[dict], milestones: list[dict]) -> list[str]:
    assessed = [r for r in rows if r["result"] != "不考核"]
    met = [r for r in assessed if r["result"] == "完成"]
    stretch = sum(1 for r in met if r["grade"] == "力争")
    exceeded = sum(1 for r in met if r["excess"])
    text = (
        f"{year}年度，{who}纳入考核的{len(assessed)}项量化指标中，完成{len(met)}项"
        f"（其中达到力争目标{stretch}项、超额完成{exceeded}项），"
        f"未完成{len(assessed) - len(met)}项。"
    )
    skipped = len(rows) - len(assessed)
    if skipped:
        text += f"另有{skipped}项缺少年度目标或基数，不纳入考核。"
    sentences = [text]
    if milestones:
        done = sum(1 for m in milestones if m["done"])
        sentences.append(f"{len(milestones)}项重点任务中，已完成{done}项，未完成{len(milestones) - done}项。")
    return sentences


def _ranking_sentence(ranking: list[dict]) -> str:
    if not ranking:
        return ""
    top = [r["unit_name"] for r in ranking if r["rank"] == 1]
    last = ranking[-1]
    return (
        f"各单位中，{'、'.join(top)}完成情况最好（完成{ranking[0]['share_text']}的考核指标）；"
        f"{last['unit_name']}排名末位（完成{last['share_text']}）。"
    )


def _common(catalog: Catalog, quarter: Quarter, issuer: str) -> dict:
    return {
        "quarter_label": f"{quarter.year}年度",
        "issuer": issuer,
        "document_number": catalog.document_number,
        "plan_title": catalog.title,
        "date": format_date(report_date(quarter)),
        "masthead": catalog.assessment_masthead,
    }


def city_assessment(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter, issuer: str
) -> Assessment:
    """The city's annual assessment: every indicator met or missed, who missed, the ranking."""
    progress.require_quarter(con, quarter)
    rows = _results(con, quarter.year, "city")
    milestones = _milestones(con, quarter, "city")
    ranking = _ranking(con, quarter.year)
    lead = _lead(quarter.year, catalog.whole, rows, milestones) + [_ranking_sentence(ranking)]
    return Assessment(
        kind="city",
        title=catalog.assessment_title,
        scope=catalog.whole,
        recipient=leaders_of(issuer),
        lead=lead,
        result_chart=_result_chart(rows),
        missed=_missed(rows),
        sections=group_by_section(catalog, rows, milestones),
        ranking=ranking,
        **_common(catalog, quarter, issuer),
    )


def unit_assessment(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter, unit: str, issuer: str
) -> Assessment:
    """One unit's annual assessment: its own targets, its notes, its place among the units."""
    progress.require_quarter(con, quarter)
    info = progress.resolve_unit(con, unit)
    rows = _results(con, quarter.year, info["unit"])
    milestones = _milestones(con, quarter, info["unit"])
    ranking = _ranking(con, quarter.year)
    own = next((r for r in ranking if r["unit"] == info["unit"]), None)
    lead = _lead(quarter.year, info["name"], rows, milestones)
    if own is not None:
        lead.append(f"按完成比例和平均完成度，在{len(ranking)}个考核单位中排第{own['rank']}位。")
    return Assessment(
        kind="unit",
        title=f"{info['name']}{catalog.assessment_name}",
        scope=info["name"],
        recipient=info["office"],
        lead=lead,
        result_chart=_result_chart(rows),
        missed=_missed(rows),
        sections=group_by_section(catalog, rows, milestones),
        ranking=ranking,
        own_rank=own,
        **_common(catalog, quarter, issuer),
    )
