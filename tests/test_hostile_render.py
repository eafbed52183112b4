"""Steward text the fonts or the layout cannot take never fails or falsifies a brief.

An emoji typed twice (any count, any mix) is replaced, not a RenderError; a U+202E
(right-to-left override) in a note must not turn the rest of the line around.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from plantrack import report
from plantrack.periods import Quarter
from plantrack.report import render
from plantrack.settings import load_settings
from tests.fixtures.progress.warehouse_builder import build_warehouse, fixture_catalog

Q2 = Quarter(2021, 2)
ISSUER = "测试市科学技术局"
pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")


def _text(pdf: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return "".join(out.split())


def _unit_brief(tmp_path: Path, note: str, milestone_note: str = "按计划推进"):
    path = build_warehouse(
        tmp_path / "w.duckdb", notes={"I02-1-2": note}, milestone_notes={"M01-1": milestone_note}
    )
    con = duckdb.connect(str(path), read_only=True)
    try:
        return (
            report.unit_brief(con, fixture_catalog(), Q2, "bureau", ISSUER),
            report.city_brief(con, fixture_catalog(), Q2, ISSUER),
        )
    finally:
        con.close()


@pytest.mark.parametrize("note", ["进展顺利👍👍", "完成🎉🎉🎉，超额👍，🧪🧪", "👍" * 40])
def test_emoji_repeated_any_number_of_times_is_replaced_not_a_render_error(tmp_path, note):
    unit, _ = _unit_brief(tmp_path, note)
    pdf = report.render_brief(
        unit, tmp_path / "unit.pdf", load_settings({}).font_cache, report.report_date(Q2)
    )
    text = _text(pdf)
    assert "进展顺利" in text or "完成" in text or render.MISSING_GLYPH in text
    assert render.MISSING_GLYPH in text
    html = pdf.with_suffix(".html").read_text(encoding="utf-8")
    assert "👍" not in html and "🎉" not in html


def test_a_notdef_message_per_glyph_is_still_one_character_to_replace():
    messages = [
        f'Warning: .notdef glyph rendered for Unicode string unsupported by fonts: "{ch}" (U+{ord(ch):X})'
        for ch in "👍👍🎉👍"
    ]
    html, replaced = render._without_unprintable("<p>a👍b👍c🎉d👍</p>", messages)
    assert html == "<p>a〓b〓c〓d〓</p>" and replaced == ["🎉", "👍"]
    # anything else logged keeps the brief untrusted
    assert render._without_unprintable("<p>👍</p>", [*messages, "refused URL"]) == ("<p>👍</p>", [])


def test_bidi_controls_in_steward_text_do_not_reverse_the_brief(tmp_path):
    note = "已完成\u202e计划的三分之二\u202c，其余\u2067待验收\u2069"
    unit, city = _unit_brief(tmp_path, note, milestone_note="\u202e推进中的任务")
    font_cache = load_settings({}).font_cache
    unit_pdf = report.render_brief(unit, tmp_path / "u.pdf", font_cache, report.report_date(Q2))
    city_pdf = report.render_brief(city, tmp_path / "c.pdf", font_cache, report.report_date(Q2))
    assert "已完成计划的三分之二，其余待验收" in _text(unit_pdf)
    assert "推进中的任务" in _text(city_pdf)
    for pdf in (unit_pdf, city_pdf):
        html = pdf.with_suffix(".html").read_text(encoding="utf-8")
        assert not render.BIDI_CONTROLS.search(html)
