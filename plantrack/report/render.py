"""The locked-down renderer: a Brief to HTML (Jinja2), HTML to PDF (WeasyPrint).

Every value is auto-escaped, and the renderer fetches only bundled files (the
templates folder and the prepared fonts): no network, no other file. A brief
whose rendering logged anything (a refused fetch, a missing glyph …) is not
trusted: RenderError. A clean render leaves a stamp of its HTML beside the PDF,
so that a run again can keep a PDF whose HTML did not change.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import date
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from urllib.parse import unquote, urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from plantrack.atomic import replacing, write_text_atomically
from plantrack.fonts import FALLBACK_FAMILY, FAMILY, FontFile, font_face_css, prepared_fonts
from plantrack.report.briefs import STATUS_CLASS, Brief
from plantrack.report.charts import COLORS
from plantrack.report.formatting import css_string, format_number, format_percent

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "report_templates"
MISSING_GLYPH = "〓"  # the typesetter's mark for a character no font can show
MIME_TYPES = {
    ".css": "text/css",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

log = logging.getLogger("plantrack")


class RenderError(RuntimeError):
    """The renderer logged a problem (missing glyph, refused fetch …): the PDF is not trusted."""


# -- HTML ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def template_environment() -> Environment:
    """One environment per process: templates are compiled once, not for every brief."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"], default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["pct"] = format_percent
    env.filters["css_string"] = css_string
    return env


# Bidirectional controls (LRE … RLO, PDF, LRI … PDI, the marks): a steward's U+202E would
# turn the rest of a line of the brief around. Briefs are left-to-right Chinese.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)


def render_html(brief: Brief, fonts: list[FontFile], created: date) -> str:
    return without_bidi_controls(
        template_environment()
        .get_template(brief.template)
        .render(
            brief=brief,
            font_faces=font_face_css(fonts),
            created=created.isoformat(),
            font_stack=f"'{FAMILY}', '{FALLBACK_FAMILY}', sans-serif",
            colors=COLORS,
            status_class=STATUS_CLASS,
        )
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
        # Fixed identifier and metadata dates (in the HTML head): same inputs, same bytes.
        with replacing(target) as tmp:  # the last good PDF stays until this one is whole
            doc.write_pdf(tmp, font_config=FontConfiguration(), pdf_identifier=created.isoformat().encode())
    finally:
        wlog.removeHandler(collector)
    return collector.messages


_NOTDEF = re.compile(r"\.notdef glyph rendered .*\(U\+([0-9A-F]{4,6})\)")


def _without_unprintable(html: str, messages: list[str]) -> tuple[str, list[str]]:
    """Replace characters no font can show (an emoji in a steward's note) with 〓.

    WeasyPrint logs one message per glyph drawn, so the same emoji typed twice gives two
    messages for one character: what matters is that every message is a missing glyph.
    """
    found = [_NOTDEF.search(msg) for msg in messages]
    if not found or not all(found):
        return html, []
    missing = {chr(int(m.group(1), 16)) for m in found}
    for ch in missing:
        html = html.replace(ch, MISSING_GLYPH)
    return html, sorted(missing)


def render_brief(
    brief: Brief, target: Path, font_cache: Path, created: date, fonts: list[FontFile] | None = None
) -> Path:
    """HTML next to the PDF (the reviewable form), then the PDF.

    A clean render also leaves a stamp of its HTML (``rendered_from``); the stamp goes
    first and comes back last, so a render that dies half way is never taken as done.
    """
    fonts = fonts if fonts is not None else prepared_fonts(font_cache)
    source = render_html(brief, fonts, created)
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = _stamp_path(target)
    stamp.unlink(missing_ok=True)
    messages = write_pdf(source, target, fonts, created)
    html, replaced = source, []
    for _ in range(3):  # a replacement can show a glyph shaped together with its neighbour
        html, more = _without_unprintable(html, messages)
        if not more:
            break
        replaced += more
        messages = write_pdf(html, target, fonts, created)
    if replaced:
        log.warning("%s: 无法显示的字符已替换为%s：%s", target.name, MISSING_GLYPH, "".join(replaced))
    write_text_atomically(target.with_suffix(".html"), html)
    if messages:
        raise RenderError(f"{target.name}: PDF rendering reported problems:\n" + "\n".join(messages))
    write_text_atomically(stamp, _html_digest(source), encoding="ascii")
    return target


# -- stamps: which PDFs a run again can keep -----------------------------------


def _stamp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.rendered")


def _html_digest(html: str) -> str:
    """What a PDF is made of: its HTML (data, template, font faces) and the renderer."""
    digest = hashlib.sha256(f"weasyprint {version('weasyprint')}\n".encode())
    digest.update(html.encode("utf-8"))
    return digest.hexdigest()


def rendered_from(target: Path, html: str) -> bool:
    """True when ``target`` was rendered cleanly (``render_brief``) from exactly ``html``."""
    stamp = _stamp_path(target)
    if not (target.is_file() and stamp.is_file()):
        return False
    return stamp.read_bytes() == _html_digest(html).encode()


# -- worker start-up -------------------------------------------------------------


def warm_up(fonts: list[FontFile]) -> None:
    """Start a worker's renderer (Pango, fontconfig, the fonts) before the real work arrives."""
    html = f"<style>{font_face_css(fonts)} html {{ font-family: '{FAMILY}' }}</style><p>简报</p>"
    from weasyprint import HTML

    HTML(string=html, url_fetcher=_bundled_only_fetcher([f.path.parent for f in fonts])).render()
