"""The prepared CJK font: built once, covering every character a brief prints."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from plantrack import fonts, report
from plantrack.periods import Quarter
from plantrack.settings import REPORT_TEMPLATES_DIR, load_settings
from tests.fixtures.progress.warehouse_builder import build_warehouse, fixture_catalog


@pytest.fixture(scope="module")
def prepared() -> list[fonts.FontFile]:
    return fonts.prepared_fonts(load_settings({}).font_cache)


class _Text(HTMLParser):
    """The text a reader sees: element text, not markup, comments or the style element."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "title")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "title")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def test_regular_and_bold_are_built_once_and_reused(prepared):
    assert [f.weight for f in prepared] == [400, 700]
    stamps = [f.path.stat().st_mtime_ns for f in prepared]
    again = fonts.prepared_fonts(prepared[0].path.parent)
    assert [f.path for f in again] == [f.path for f in prepared]
    assert [f.path.stat().st_mtime_ns for f in again] == stamps


def test_the_subset_covers_the_whole_2021_catalog(prepared, catalog):
    text = "".join(
        [
            catalog.title,
            catalog.issuer,
            catalog.document_number,
            *catalog.sections.values(),
            *(i.text + i.name + i.unit for i in catalog.indicators),
            *(m.text + m.name for m in catalog.milestones),
            *(u.name + u.office for u in catalog.units.values()),
        ]
    )
    assert set(text) - fonts.font_characters(prepared[0].path) == set()
    assert set(text) - fonts.font_characters(prepared[1].path) == set()


def test_every_character_a_brief_prints_is_in_the_subset(prepared, tmp_path):
    con = duckdb.connect(str(build_warehouse(tmp_path / "w.duckdb")), read_only=True)
    briefs = [
        report.city_brief(con, fixture_catalog(), Quarter(2021, 2), "威海市科学技术局"),
        report.unit_brief(con, fixture_catalog(), Quarter(2021, 2), "c", "威海市科学技术局"),
    ]
    con.close()
    covered = fonts.font_characters(prepared[0].path)
    for brief in briefs:
        html = report.render_html(brief, prepared, report.report_date(Quarter(2021, 2)))
        assert set(visible_text(html)) - covered - {"\n"} == set(), brief.kind


def test_template_and_stylesheet_text_is_in_the_subset(prepared):
    static = "".join(
        visible_text(p.read_text(encoding="utf-8")) for p in Path(REPORT_TEMPLATES_DIR).rglob("*.html")
    )
    static += "第页共"  # the page-number margin box in style.css
    assert set(static) - fonts.font_characters(prepared[0].path) - {"\n"} == set()


def test_no_cjk_font_stops_with_how_to_install_one(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "_fc_list", lambda weight: [])
    with pytest.raises(fonts.FontMissing) as exc:
        fonts.prepared_fonts(tmp_path)
    assert "fonts-noto-cjk" in str(exc.value) and "未找到中文字体" in str(exc.value)
    assert list(tmp_path.iterdir()) == []


def test_font_faces_name_the_family_and_point_at_the_cached_files(prepared):
    css = fonts.font_face_css(prepared)
    assert css.count(f"font-family: '{fonts.FAMILY}'") == 2
    assert prepared[0].path.as_uri() in css and "font-weight: 700" in css
