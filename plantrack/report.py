"""Render the quarterly briefs: a view model from the marts, Jinja2 HTML, WeasyPrint PDF.

Templates receive a prepared view model and never query anything; charts
arrive as geometry and are drawn as inline SVG. Every value is auto-escaped,
and the renderer fetches only bundled files (the templates folder and the
prepared fonts): no network, no other file. A brief whose rendering logged
anything (a refused fetch, a missing glyph …) is not trusted: RenderError.

Leadership reads the first two pages, so the city brief opens with the status
counts and every behind-target indicator, worst first, before any detail.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import lru_cache
from importlib.metadata import version
from itertools import repeat
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from plantrack import progress
from plantrack.catalog import Catalog
from plantrack.fonts import FALLBACK_FAMILY, FAMILY, FontFile, font_face_css, prepared_fonts
from plantrack.periods import Quarter, local_time, submission_deadline

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "report_templates"
CITY_TEMPLATE, UNIT_TEMPLATE = "city_brief.html", "unit_brief.html"
DEFAULT_TZ = "Asia/Shanghai"  # the warehouse keeps receipt times as naive UTC
COMPACT_FROM = 30  # behind-target items from which the summary switches to its compact list
CHART_ROWS = 8  # behind-target items drawn as bars (all of them are listed in the table)
MISSING_GLYPH = "〓"  # the typesetter's mark for a character no font can show

STATUS_CLASS = {
    "已完成": "done", "正常推进": "ok", "滞后": "behind", "严重滞后": "severe",
    "无数据": "nodata", "数据待核": "rejected", "年末考核": "yearend", "缺少基数": "nodata",
    "无目标": "nodata",
}
MILESTONE_CLASS = {"已完成": "done", "推进中": "ok", "未启动": "behind", "数据待核": "rejected",
                   "未报送": "nodata"}
# SVG ignores the outer stylesheet's fill in WeasyPrint: charts take colours as attributes.
COLORS = {"done": "#1a7f37", "ok": "#2f6fb3", "behind": "#c77700", "severe": "#c62828",
          "nodata": "#8a8f98", "rejected": "#7b3fa0", "yearend": "#6b7785", "track": "#dfe3e8",
          "ink": "#1f2328", "muted": "#5b6470"}
LEVEL_TEXT = {"stretch_met": "已达力争目标", "floor_met": "已达确保目标", "below_floor": "",
              "within_ceiling": "未超上限", "over_ceiling": "已超上限"}
MIME_TYPES = {".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf", ".svg": "image/svg+xml",
              ".png": "image/png"}

log = logging.getLogger("plantrack")


class RenderError(RuntimeError):
    """The renderer logged a problem (missing glyph, refused fetch …): the PDF is not trusted."""


# -- numbers and dates, as Chinese readers expect them ------------------------

def _decimals(uom: str) -> int | None:
    """Fixed decimals for money and ratios; None: as few as the value needs (counts)."""
    return 2 if uom in ("亿元", "万元", "%", "个百分点", "") else None


def format_number(value: float | None, uom: str = "家") -> str:
    """亿元 and ratios to two decimals, thousands separators, counts without decimals."""
    if value is None:
        return "—"
    digits = _decimals(uom)
    if digits is not None:
        return f"{value:,.{digits}f}"
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def format_percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def format_date(day: date | datetime | None) -> str:
    return "—" if day is None else f"{day.year}年{day.month}月{day.day}日"


def format_time(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def css_string(text: object) -> Markup:
    """Text for a CSS string literal: every ASCII character but letters, digits and space
    is written as a six-digit escape, so nothing can end the string or the style element."""
    def safe(c: str) -> bool:
        return (c.isascii() and (c.isalnum() or c == " ")) or (ord(c) > 0x7F and c.isprintable())

    return Markup("".join(c if safe(c) else f"\\{ord(c):06x}" for c in str(text)))


def report_date(quarter: Quarter) -> date:
    """Briefs are dated the 10th day after the quarter ends, the scheduled run day."""
    return quarter.end_date + timedelta(days=10)


def format_deadline(deadline: datetime) -> str:
    if deadline.time() == clock(0, 0):  # midnight reads as the end of the day before
        return f"{format_date(deadline - timedelta(days=1))}24时"
    return f"{format_date(deadline)}{deadline:%H:%M}"


def display_unit(row: dict) -> str:
    """The unit the figures are in: an increase target is judged on the level it raises."""
    if row["qualifier"] == "increase_by":
        return "%" if row["unit_of_measure"] == "个百分点" else ""
    return row["unit_of_measure"]


def target_note(row: dict, tolerance: float) -> str:
    """What kind of target this is, in words, where the number alone would mislead."""
    q, uom = row["qualifier"], row["unit_of_measure"]
    if q == "increase_by" and row.get("baseline") is not None:
        step = f"提高{row.get('nominal_target', 0):g}个百分点" if uom == "个百分点" \
            else f"增长{row.get('nominal_target', 0):g}%"
        return f"以2020年{format_number(row['baseline'], '')}为基数{step}"
    if q == "increase_by":
        return "缺少2020年基数"
    return {
        "approx": f"左右（±{tolerance * 100:g}%以内视为达到）",
        "max": "控制在此以内",
        "range": "区间目标",
        "exact": "",
        "share": "比例目标",
    }.get(q, "")


# -- chart geometry (templates draw it) ---------------------------------------

def status_chart(counts: list[dict], width: float = 500) -> dict:
    """One stacked bar of the status counts with a legend under it."""
    total = sum(c["n"] for c in counts) or 1
    x, segments, legend = 0.0, [], []
    for i, c in enumerate(counts):
        w = width * c["n"] / total
        segments.append({"x": round(x, 1), "w": round(w, 1), "n": c["n"], "color": COLORS[c["css"]],
                         "label_x": round(x + w / 2, 1), "show_n": w >= 14})
        legend.append({"x": (i % 5) * 100, "y": 34 + (i // 5) * 13, "color": COLORS[c["css"]],
                       "text": f"{c['status']} {c['n']}项"})
        x += w
    return {"width": width, "height": 34 + 13 * ((len(counts) + 4) // 5), "segments": segments,
            "legend": legend}


def work_done(actual: float | None, start: float | None, target: float | None) -> float | None:
    """Share of this year's work done: progress since the start of the year over the target's."""
    if actual is None or target is None:
        return None
    if start is None or target - start <= 0:
        return actual / target if target > 0 else None
    return (actual - start) / (target - start)


def behind_chart(items: list[dict], width: float = 500) -> dict:
    """Bars of this year's work done against the share expected by now (序时进度)."""
    label_w, bar_w, row_h = 150, 240, 15
    rows = []
    for n, r in enumerate(items[:CHART_ROWS]):
        done = max(0.0, min(r["work_done"] or 0.0, 1.0))
        expected = max(0.0, min(r["expected_share"] or 0.0, 1.0))
        y = n * row_h + 2
        rows.append({
            "y": y, "text_y": y + 9, "label": r["name"], "expected_w": round(bar_w * expected, 1),
            "done_w": round(bar_w * done, 1), "color": COLORS[r["css"]],
            "note": f"完成{format_percent(r['work_done'], 0)} / 序时{format_percent(r['expected_share'], 0)}",
            "note_x": label_w + bar_w + 6,
        })
    return {"width": width, "height": len(rows) * row_h + 4, "rows": rows, "bar_x": label_w}


def sparkline(points: list[dict], css: str, width: float = 56, height: float = 16) -> dict:
    """A small trend across the year's quarters: work done (solid) against 序时 (dashed)."""
    done = {p["quarter_number"]: p["done"] for p in points if p["done"] is not None}
    expected = {p["quarter_number"]: p["expected"] for p in points if p["expected"] is not None}
    top = max([1.0, *done.values(), *expected.values()])
    top = min(top, 1.5)

    def xy(q: int, f: float) -> tuple[float, float]:
        f = max(0.0, min(f, top))
        return round(4 + (q - 1) * (width - 8) / 3, 1), round(height - 2 - f / top * (height - 4), 1)

    return {
        "width": width, "height": height, "color": COLORS[css], "track": COLORS["track"],
        "target_y": xy(1, 1.0)[1],
        "expected": " ".join(f"{x},{y}" for x, y in (xy(q, f) for q, f in sorted(expected.items()))),
        "done": " ".join(f"{x},{y}" for x, y in (xy(q, f) for q, f in sorted(done.items()))),
        "dots": [{"x": x, "y": y} for x, y in (xy(q, f) for q, f in sorted(done.items()))],
    }


def _trend_points(history: list[dict]) -> list[dict]:
    points = []
    for h in history:
        start = h["start_level"] if h["qualifier"] != "max" else 0.0
        points.append({
            "quarter_number": h["quarter_number"],
            "done": work_done(h["actual"], start, h["target"]),
            "expected": work_done(h["expected_to_date"], start, h["target"]),
        })
    return points


# -- the view model ----------------------------------------------------------

@dataclass
class Brief:
    """What a brief template receives: everything is already computed and formatted."""

    kind: str  # city | unit
    title: str
    scope: str  # 全市 or the unit's name
    recipient: str
    quarter_code: str
    quarter_label: str
    issuer: str
    document_number: str
    plan_title: str
    date: str
    deadline: str
    lead: list[str]
    status_counts: list[dict]
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

    @property
    def template(self) -> str:
        return CITY_TEMPLATE if self.kind == "city" else UNIT_TEMPLATE


def _decorate(row: dict, history: list[dict], tolerance: float) -> dict:
    """A mart row plus what the templates show: unit, target kind, badge, ratios, trend."""
    r = dict(row)
    r["uom"] = display_unit(r)
    r["target_note"] = target_note(r, tolerance)
    r["css"] = STATUS_CLASS.get(r["status"], "nodata")
    r["level_text"] = LEVEL_TEXT.get(r["level"] or "", "")
    r["work_done"] = work_done(r["actual"], r["start_level"], r["target"])
    r["trend"] = sparkline(_trend_points(history), r["css"])
    return r


def _nominal_targets(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    return dict(con.execute("select indicator_id, target from dim_indicator").fetchall())


def _decorated_rows(con, rows: list[dict], quarter: Quarter, scope: str) -> list[dict]:
    history = progress.trends(con, quarter, scope)
    tolerance = con.execute("select approx_tolerance from param_status").fetchone()[0]
    nominal = _nominal_targets(con)
    out = []
    for row in rows:
        row = {**row, "nominal_target": nominal.get(row["indicator_id"])}
        out.append(_decorate(row, history.get(row["indicator_id"], []), tolerance))
    return out


def _behind_sort_key(r: dict) -> tuple:
    """Severe first, then by the share of the expected work done (work done when none is expected)."""
    done = r["work_done"] or 0.0
    ratio = done / r["expected_share"] if r["expected_share"] else done
    return (progress.BEHIND.index(r["status"]), ratio, r["indicator_id"])


def _behind(rows: list[dict]) -> list[dict]:
    items = sorted((r for r in rows if r["status"] in progress.BEHIND), key=_behind_sort_key)
    for r in items:
        contributors = r.get("contributors") or []
        r["top_units"] = [{"name": c["unit_name"], "share": c["share"]} for c in contributors[:3]]
    return items


def _counts(rows: list[dict]) -> list[dict]:
    return [{"status": s, "n": n, "css": STATUS_CLASS.get(s, "nodata")}
            for s, n in progress.status_counts(rows).items()]


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
    by_section = {n: {"number": n, "title": t, "indicators": [], "milestones": []}
                  for n, t in sorted(catalog.sections.items())}
    for r in rows:
        by_section.setdefault(r["section"], {"number": r["section"], "title": "", "indicators": [],
                                             "milestones": []})["indicators"].append(r)
    for m in milestones:
        m["css"] = MILESTONE_CLASS.get(m["status"], "nodata")
        by_section.setdefault(m["section"], {"number": m["section"], "title": "", "indicators": [],
                                             "milestones": []})["milestones"].append(m)
    return [s for s in by_section.values() if s["indicators"] or s["milestones"]]


def _milestone_detail(m: dict) -> str:
    if m["units_responsible"] <= 1:
        return m["note"] or ""
    parts = [("已完成", m["units_done"]), ("推进中", m["units_in_progress"]),
             ("未启动", m["units_not_started"]), ("待核", m["units_unclear"]),
             ("未报送", m["units_not_reported"])]
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
        entry = by_indicator.setdefault(r["indicator_id"], {"id": r["indicator_id"], "name": r["name"],
                                                            "cells": {}})
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


def _common(con, catalog: Catalog, quarter: Quarter, issuer: str, rows: list[dict],
            milestones: list[dict], subs: list[dict], deadline: datetime, tz: str) -> dict:
    counts = _counts(rows)
    behind = _behind(rows)
    for m in milestones:
        m["detail"] = _milestone_detail(m)
    return {
        "quarter_code": quarter.code, "quarter_label": quarter.label, "issuer": issuer,
        "document_number": catalog.document_number, "plan_title": catalog.title,
        "date": format_date(report_date(quarter)), "deadline": format_deadline(deadline),
        "status_counts": counts, "status_chart": status_chart(counts),
        "behind": behind, "behind_chart": behind_chart(behind), "compact": len(behind) >= COMPACT_FROM,
        "attention": _attention(rows), "sections": _sections(catalog, rows, milestones),
        "submissions": _with_lateness(subs, deadline, tz),
        "lead": [_indicator_sentence(counts), _milestone_sentence(milestones),
                 _submission_sentence(subs)],
    }


def city_brief(con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter,
               issuer: str, deadline: datetime | None = None, tz: str = DEFAULT_TZ,
               unit_rows: list[dict] | None = None) -> Brief:
    """The city's brief: the city's figures, every unit's status, and the data quality."""
    progress.require_quarter(con, quarter)
    rows = _decorated_rows(con, progress.city_progress(con, quarter.code), quarter, "city")
    if unit_rows is None:
        unit_rows = progress.unit_progress(con, quarter.code)
    common = _common(con, catalog, quarter, issuer, rows,
                     progress.milestones(con, quarter.code, "city"),
                     progress.submission_status(con, quarter.code),
                     deadline or submission_deadline(quarter), tz)
    common["lead"][0] = f"截至{quarter.label}末，" + common["lead"][0]
    return Brief(
        kind="city", title="全市科技工作要点落实情况简报", scope="全市", recipient="局领导",
        units=_unit_table(unit_rows), comparison=_unit_comparison(unit_rows),
        quarantined=progress.quarantined_values(con, quarter.code),
        refused=_refused(progress.refused_files(con, quarter.code), tz), **common,
    )


def unit_brief(con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter, unit: str,
               issuer: str, deadline: datetime | None = None, tz: str = DEFAULT_TZ,
               rows: list[dict] | None = None) -> Brief:
    """One unit's brief: its own targets, status, share of the city's shortfall, its data.
    ``rows``: the unit's progress rows, when the caller has fetched them already."""
    progress.require_quarter(con, quarter)
    info = progress.resolve_unit(con, unit)
    if rows is None:
        rows = progress.unit_progress(con, quarter.code, info["unit"])
    rows = _decorated_rows(con, rows, quarter, info["unit"])
    common = _common(con, catalog, quarter, issuer, rows,
                     progress.milestones(con, quarter.code, info["unit"]),
                     progress.submission_status(con, quarter.code, info["unit"]),
                     deadline or submission_deadline(quarter), tz)
    common["lead"][0] = f"截至{quarter.label}末，{info['name']}" + common["lead"][0]
    common["lead"][2] = _unit_submission_sentence(common["submissions"])
    return Brief(
        kind="unit", title=f"{info['name']}科技工作要点落实情况简报", scope=info["name"],
        recipient=info["office"],
        quarantined=progress.quarantined_values(con, quarter.code, info["unit"]),
        refused=_refused(progress.refused_files(con, quarter.code, info["unit"]), tz),
        issues=progress.submission_issues(con, quarter.code, info["unit"]), **common,
    )


def _unit_submission_sentence(subs: list[dict]) -> str:
    if not subs or subs[0]["state"] == "未报送":
        return "本季度未收到本单位的报送文件，上表指标均按无数据统计。"
    s = subs[0]
    if s["state"] == "整份退回":
        return "本单位报送的文件未通过校验，未能采用，请按附表所列原因修改后重新报送。"
    late = "，首次报送晚于截止时间" if s["late"] else ""
    return (f"本单位共报送{s['receipts']}次，采用{s['received_text']}收到的文件{late}；"
            f"采用数据{s['rows_accepted']}行，退回待核{s['rows_quarantined']}行。")


# -- HTML ----------------------------------------------------------------------

@lru_cache(maxsize=1)
def template_environment() -> Environment:
    """One environment per process: templates are compiled once, not for every brief."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"], default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["pct"] = format_percent
    env.filters["css_string"] = css_string
    return env


def render_html(brief: Brief, fonts: list[FontFile], created: date,
                template: str | None = None) -> str:
    return template_environment().get_template(template or brief.template).render(
        brief=brief, font_faces=font_face_css(fonts), created=created.isoformat(),
        font_stack=f"'{FAMILY}', '{FALLBACK_FAMILY}', sans-serif", colors=COLORS,
        status_legend=[s for s in progress.STATUS_ORDER if s != "无目标"],
        status_class=STATUS_CLASS,
    )


# -- PDF -----------------------------------------------------------------------

class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _bundled_only_fetcher(allowed_roots: list[Path]):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = [r.resolve() for r in allowed_roots]

    class BundledOnly(URLFetcher):
        """Serve files from the allowed folders; refuse every other URL."""

        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme != "file":
                raise ValueError(f"refused non-local URL: {url}")
            path = Path(unquote(parsed.path)).resolve()
            if not any(path.is_relative_to(root) for root in roots) or not path.is_file():
                raise ValueError(f"refused file outside bundled assets: {url}")
            mime = MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})

    return BundledOnly()


def write_pdf(html: str, target: Path, fonts: list[FontFile], created: date) -> list[str]:
    """Render ``html`` to ``target``; return what WeasyPrint logged (empty when all is well)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    collector = _LogCollector()
    wlog = logging.getLogger("weasyprint")
    wlog.addHandler(collector)
    try:
        fetcher = _bundled_only_fetcher([TEMPLATES_DIR] + [f.path.parent for f in fonts])
        doc = HTML(string=html, base_url=str(TEMPLATES_DIR) + "/", url_fetcher=fetcher)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Fixed identifier and metadata dates (in the HTML head): same inputs, same bytes.
        doc.write_pdf(target, font_config=FontConfiguration(),
                      pdf_identifier=created.isoformat().encode())
    finally:
        wlog.removeHandler(collector)
    return collector.messages


_NOTDEF = re.compile(r"\.notdef glyph rendered .*\(U\+([0-9A-F]{4,6})\)")


def _without_unprintable(html: str, messages: list[str]) -> tuple[str, list[str]]:
    """Replace characters no font can show (an emoji in a steward's note) with 〓."""
    missing = {chr(int(m.group(1), 16)) for msg in messages if (m := _NOTDEF.search(msg))}
    if not missing or len(missing) != len(messages):
        return html, []
    for ch in missing:
        html = html.replace(ch, MISSING_GLYPH)
    return html, sorted(missing)


def render_brief(brief: Brief, target: Path, font_cache: Path, created: date,
                 template: str | None = None, strict: bool = True,
                 fonts: list[FontFile] | None = None) -> Path:
    """HTML next to the PDF (the reviewable form), then the PDF.

    A clean render also leaves a stamp of its HTML (``is_current``); the stamp goes
    first and comes back last, so a render that dies half way is never taken as done.
    """
    fonts = fonts if fonts is not None else prepared_fonts(font_cache)
    source = render_html(brief, fonts, created, template)
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = _stamp_path(target)
    stamp.unlink(missing_ok=True)
    messages = write_pdf(source, target, fonts, created)
    html, replaced = _without_unprintable(source, messages)
    if replaced:
        log.warning("%s: 无法显示的字符已替换为%s：%s", target.name, MISSING_GLYPH, "".join(replaced))
        messages = write_pdf(html, target, fonts, created)
    target.with_suffix(".html").write_text(html, encoding="utf-8")
    if messages and strict:
        raise RenderError(f"{target.name}: PDF rendering reported problems:\n" + "\n".join(messages))
    if not messages:
        stamp.write_text(_html_digest(source), encoding="ascii")
    return target


def _stamp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.rendered")


def _html_digest(html: str) -> str:
    """What a PDF is made of: its HTML (data, template, font faces) and the renderer."""
    digest = hashlib.sha256(f"weasyprint {version('weasyprint')}\n".encode())
    digest.update(html.encode("utf-8"))
    return digest.hexdigest()


def is_current(job: RenderJob, fonts: list[FontFile]) -> bool:
    """True when ``job.target`` was rendered cleanly from exactly the HTML this job makes now.

    Lets a run again skip the briefs whose figures did not change: the HTML holds every
    figure, the template and the font faces, and a brief's bytes depend on nothing else.
    """
    stamp = _stamp_path(job.target)
    if not (job.target.is_file() and stamp.is_file()):
        return False
    return stamp.read_bytes() == _html_digest(render_html(job.brief, fonts, job.created)).encode()


# -- many briefs, on every core --------------------------------------------------

@dataclass(frozen=True)
class RenderJob:
    scope: str  # city or a unit code
    brief: Brief
    target: Path
    created: date


@dataclass(frozen=True)
class Rendered:
    scope: str
    path: Path
    seconds: float  # wall time in the worker
    cpu_seconds: float  # CPU time the worker spent on it


def _render_job(job: RenderJob, fonts: list[FontFile]) -> Rendered:
    wall, cpu = time.perf_counter(), time.process_time()
    path = render_brief(job.brief, job.target, fonts[0].path.parent, job.created, fonts=fonts)
    return Rendered(job.scope, path, time.perf_counter() - wall, time.process_time() - cpu)


def _warm_up(fonts: list[FontFile]) -> None:
    """Start a worker's renderer (Pango, fontconfig, the fonts) before the real work arrives."""
    html = f"<style>{font_face_css(fonts)} html {{ font-family: '{FAMILY}' }}</style><p>简报</p>"
    from weasyprint import HTML

    HTML(string=html, url_fetcher=_bundled_only_fetcher([f.path.parent for f in fonts])).render()


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _pool_context():
    # A fork server starts clean (no Prefect or DuckDB threads to inherit) and forks
    # workers with WeasyPrint already imported.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["weasyprint", "plantrack.report"])
    return ctx


@contextmanager
def _render_pool(workers: int, fonts: list[FontFile]) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes, each warming up (fonts, Pango) as soon as it starts; None when
    there is only one core, or only one brief, to render."""
    if workers <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        for _ in range(workers):
            pool.submit(_warm_up, fonts)
        yield pool


def _run(jobs: list[RenderJob], fonts: list[FontFile], pool: ProcessPoolExecutor | None) -> list[Rendered]:
    if pool is None or len(jobs) <= 1:
        return [_render_job(job, fonts) for job in jobs]
    return list(pool.map(_render_job, jobs, repeat(fonts)))


def render_jobs(jobs: Iterable[RenderJob], font_cache: Path, workers: int | None = None) -> list[Rendered]:
    """Render briefs, in parallel processes when there are several (WeasyPrint is CPU-bound)."""
    jobs = list(jobs)
    fonts = prepared_fonts(font_cache)  # built once here, before any worker needs it
    with _render_pool(min(workers or available_cores(), len(jobs)), fonts) as pool:
        return _run(jobs, fonts, pool)


def render_changed(jobs: list[RenderJob], fonts: list[FontFile],
                   workers: int | None = None) -> dict[str, Path]:
    """Render the jobs whose PDF is not current (``is_current``); scope → PDF path for all."""
    stale = [job for job in jobs if not is_current(job, fonts)]
    if len(stale) < len(jobs):
        log.info("briefs: %d of %d unchanged since they were last rendered, kept",
                 len(jobs) - len(stale), len(jobs))
    with _render_pool(min(workers or available_cores(), len(stale)), fonts) as pool:
        _run(stale, fonts, pool)
    return {job.scope: job.target for job in jobs}


def brief_filename(quarter: Quarter, unit: dict | None = None) -> str:
    if unit is None:
        return f"{quarter.code}_全市科技工作要点落实情况简报.pdf"
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", unit["name"])
    return f"{quarter.code}_{unit['unit']}_{name}_科技工作要点落实情况简报.pdf"


def unit_jobs(con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter, out_dir: Path,
              issuer: str, units: list[str] | None = None,
              unit_rows: list[dict] | None = None) -> list[RenderJob]:
    """A job per unit that has targets (or per unit named); ``unit_rows``: every unit's
    progress rows when the caller has them already (one query instead of one per unit)."""
    chosen = [progress.resolve_unit(con, u) for u in units] if units else progress.units_with_targets(con)
    by_unit: dict[str, list[dict]] = {}
    for r in unit_rows if unit_rows is not None else progress.unit_progress(con, quarter.code):
        by_unit.setdefault(r["unit"], []).append(r)
    return [RenderJob(u["unit"], unit_brief(con, catalog, quarter, u["unit"], issuer,
                                            rows=by_unit.get(u["unit"], [])),
                      out_dir / brief_filename(quarter, u), report_date(quarter)) for u in chosen]


def render_unit_briefs(con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter,
                       out_dir: Path, issuer: str, font_cache: Path, units: list[str] | None = None,
                       workers: int | None = None) -> dict[str, Path]:
    """One brief per unit that has targets (or per unit named); unit code → PDF path."""
    progress.require_quarter(con, quarter)
    fonts = prepared_fonts(font_cache)
    return render_changed(unit_jobs(con, catalog, quarter, out_dir, issuer, units), fonts, workers)


def render_quarter_briefs(con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter,
                          out_dir: Path, issuer: str, font_cache: Path,
                          workers: int | None = None) -> dict[str, Path]:
    """The city brief and every unit's brief in one pool; 'city' and unit codes → PDF paths."""
    progress.require_quarter(con, quarter)
    fonts = prepared_fonts(font_cache)
    unit_rows = progress.unit_progress(con, quarter.code)
    city = RenderJob("city", city_brief(con, catalog, quarter, issuer, unit_rows=unit_rows),
                     out_dir / brief_filename(quarter), report_date(quarter))
    jobs = [city, *unit_jobs(con, catalog, quarter, out_dir, issuer, unit_rows=unit_rows)]
    return render_changed(jobs, fonts, workers)
