"""Render the quarterly briefs: a view model from the marts, Jinja2 HTML, WeasyPrint PDF.

Templates receive a prepared view model and never query anything. Every value
is auto-escaped, and the renderer fetches only bundled files (the templates
folder and the prepared fonts): no network, no other file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from plantrack import progress
from plantrack.catalog import Catalog
from plantrack.fonts import FALLBACK_FAMILY, FAMILY, FontFile, font_face_css, prepared_fonts
from plantrack.periods import Quarter

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "report_templates"
STATUS_CLASS = {
    "已完成": "done", "正常推进": "ok", "滞后": "behind", "严重滞后": "severe",
    "无数据": "nodata", "数据待核": "rejected", "年末考核": "yearend", "无目标": "nodata",
}
MILESTONE_CLASS = {"已完成": "done", "推进中": "ok", "未启动": "behind", None: "nodata"}


MIME_TYPES = {".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf", ".svg": "image/svg+xml",
              ".png": "image/png"}


class RenderError(RuntimeError):
    """The renderer logged a problem (missing glyph, refused fetch …): the PDF is not trusted."""


def format_number(value: float | None, uom: str = "") -> str:
    """Numbers as Chinese readers expect: 亿元 to two decimals, thousands separators, %."""
    if value is None:
        return "—"
    if uom in ("亿元", "万元"):
        return f"{value:,.2f}"
    if uom in ("%", "个百分点"):
        return f"{value:,.1f}"
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def format_percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def report_date(quarter: Quarter) -> date:
    """Briefs are dated the 10th day after the quarter ends, the scheduled run day."""
    return quarter.end_date + timedelta(days=10)


@dataclass
class Brief:
    """What a brief template receives: everything is already computed."""

    title: str
    quarter_label: str
    issuer: str
    document_number: str
    plan_title: str
    date: str
    scope: str  # 全市 or a unit name
    status_counts: list[tuple[str, int, str]]
    behind: list[dict]
    sections: list[dict]
    units: list[dict] = field(default_factory=list)
    submissions: list[dict] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)


def _status_counts(rows: list[dict]) -> list[tuple[str, int, str]]:
    counts = {s: 0 for s in progress.STATUS_ORDER}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return [(s, n, STATUS_CLASS.get(s, "nodata")) for s, n in counts.items() if n]


def _behind(rows: list[dict], contributors: dict[str, list[dict]]) -> list[dict]:
    items = [r for r in rows if r["status"] in progress.BEHIND]
    for r in items:
        r["ratio_to_expected"] = (r["actual"] or 0) / r["expected_to_date"] if r["expected_to_date"] else 0
        r["contributors"] = contributors.get(r["indicator_id"], [])[:3]
    return sorted(items, key=lambda r: (r["ratio_to_expected"], r["indicator_id"]))


def _milestones(con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: str) -> dict[str, dict]:
    rows = con.execute("""
        select m.milestone_id, list(m.status order by u.ordinal) as statuses
        from milestone_reports m
        join int_latest_submissions s on s.submission_id = m.submission_id
        join dim_unit u on u.unit = m.unit
        where m.quarter = ? group by m.milestone_id
    """, [quarter]).fetchall()
    reported = {mid: statuses for mid, statuses in rows}
    out = {}
    for ms in catalog.milestones:
        statuses = [s for s in reported.get(ms.id, []) if s]
        if not statuses:
            status = None
        elif all(s == "已完成" for s in statuses):
            status = "已完成"
        elif any(s in ("推进中", "已完成") for s in statuses):
            status = "推进中"
        else:
            status = "未启动"
        out[ms.id] = {"id": ms.id, "name": ms.name, "text": ms.text, "status": status or "未报送",
                      "css": MILESTONE_CLASS.get(status, "nodata")}
    return out


def _sections(catalog: Catalog, rows: list[dict], milestones: dict[str, dict]) -> list[dict]:
    by_section: dict[int, dict] = {
        n: {"number": n, "title": t, "indicators": [], "milestones": []}
        for n, t in sorted(catalog.sections.items())
    }
    for r in rows:
        by_section[r["section"]]["indicators"].append(r)
    for ms in catalog.milestones:
        by_section[ms.section]["milestones"].append(milestones[ms.id])
    return [s for s in by_section.values() if s["indicators"] or s["milestones"]]


def city_brief(con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter,
               issuer: str) -> Brief:
    rows = progress.city_progress(con, quarter.code)
    for r in rows:
        r["css"] = STATUS_CLASS.get(r["status"], "nodata")
    unit_rows = progress.unit_progress(con, quarter.code)
    units: dict[str, dict] = {}
    for r in unit_rows:
        u = units.setdefault(r["unit"], {"name": r["unit_name"], "counts": {}})
        u["counts"][r["status"]] = u["counts"].get(r["status"], 0) + 1
    return Brief(
        title="全市科技工作要点落实情况季度简报",
        quarter_label=quarter.label, issuer=issuer, document_number=catalog.document_number,
        plan_title=catalog.title, date=report_date(quarter).strftime("%Y年%m月%d日"), scope="全市",
        status_counts=_status_counts(rows),
        behind=_behind(rows, progress.gap_contributors(con, quarter.code)),
        sections=_sections(catalog, rows, _milestones(con, catalog, quarter.code)),
        units=list(units.values()),
        submissions=progress.submissions_overview(con, quarter.code),
        quarantined=progress.quarantined_values(con, quarter.code),
        unreadable=progress.unreadable_files(con, quarter.code),
    )


def template_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["pct"] = format_percent
    return env


def render_html(brief: Brief, fonts: list[FontFile], created: date,
                template: str = "city_brief.html") -> str:
    return template_environment().get_template(template).render(
        brief=brief, font_faces=font_face_css(fonts), created=created.isoformat(),
        font_stack=f"'{FAMILY}', '{FALLBACK_FAMILY}', sans-serif",
        statuses=STATUS_CLASS, status_legend=progress.STATUS_ORDER,
    )


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
            return URLFetcherResponse(url, body=path.read_bytes(),
                                      headers={"Content-Type": mime})

    return BundledOnly()


def write_pdf(html: str, target: Path, fonts: list[FontFile], created: date) -> list[str]:
    """Render ``html`` to ``target``; return what WeasyPrint logged (empty when all is well)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    collector = _LogCollector()
    wlog = logging.getLogger("weasyprint")
    wlog.addHandler(collector)
    try:
        font_config = FontConfiguration()
        fetcher = _bundled_only_fetcher([TEMPLATES_DIR] + [f.path.parent for f in fonts])
        doc = HTML(string=html, base_url=str(TEMPLATES_DIR) + "/", url_fetcher=fetcher)
        target.parent.mkdir(parents=True, exist_ok=True)
        doc.write_pdf(target, font_config=font_config, pdf_identifier=created.isoformat().encode())
    finally:
        wlog.removeHandler(collector)
    return collector.messages


def render_brief(brief: Brief, target: Path, font_cache: Path, created: date,
                 template: str = "city_brief.html", strict: bool = True) -> Path:
    """HTML next to the PDF (the reviewable form), then the PDF."""
    fonts = prepared_fonts(font_cache)
    html = render_html(brief, fonts, created, template)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_suffix(".html").write_text(html, encoding="utf-8")
    messages = write_pdf(html, target, fonts, created)
    if messages and strict:
        raise RenderError("PDF rendering reported problems:\n" + "\n".join(messages))
    return target
