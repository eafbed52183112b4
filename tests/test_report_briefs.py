"""The PDF briefs, checked the way a reader meets them: extracted text and embedded fonts.

Rendering is strict: anything WeasyPrint logs (a missing glyph, a refused or
failed fetch) raises RenderError, so every brief rendered here logged nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from plantrack import progress, report
from plantrack.catalog import catalog_from_settings
from plantrack.periods import Quarter
from plantrack.report import render
from plantrack.settings import load_settings
from tests.fixtures.progress.warehouse_builder import build_warehouse, fixture_catalog, synthetic_warehouse
from warehouse.db import connect

Q2 = Quarter(2021, 2)
ISSUER = "测试市科学技术局"
pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")


def font_cache() -> Path:
    return load_settings({}).font_cache


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_fonts(pdf: Path) -> list[dict]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    fonts = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        fonts.append({"name": parts[0], "emb": parts[-5], "uni": parts[-3]})
    return fonts


@pytest.fixture(scope="module")
def fixture_briefs(tmp_path_factory) -> dict[str, Path]:
    """City and unit briefs of the hand-built fixture, rendered in parallel."""
    root = tmp_path_factory.mktemp("briefs")
    con = duckdb.connect(str(build_warehouse(root / "w.duckdb")), read_only=True)
    try:
        return report.render_quarter_briefs(
            con, fixture_catalog(), Q2, root / "out", ISSUER, font_cache(), workers=2
        )
    finally:
        con.close()


# -- what leadership reads ---------------------------------------------------------


def test_a_brief_for_the_city_and_for_every_unit_with_targets(fixture_briefs):
    assert set(fixture_briefs) == {"city", "a", "b", "c", "bureau"}
    for scope, name in (("a", "甲区"), ("b", "乙区"), ("c", "丙区"), ("bureau", "市科技局")):
        first = squeeze(page_texts(fixture_briefs[scope])[0])
        assert f"2021年第二季度·{name}" in first
        assert fixture_briefs[scope].name == f"2021Q2_{scope}_{name}_测试工作要点落实情况简报.pdf"


def test_every_behind_indicator_is_on_the_first_two_pages(fixture_briefs):
    text = squeeze("".join(page_texts(fixture_briefs["city"])[:2]))
    for ind_id, name in (
        ("I01-1-1", "新增科技企业"),
        ("I01-1-2", "在孵企业总数"),
        ("I02-2-2", "省级重点项目"),
        ("I03-1-1", "专项经费支出"),
        ("I03-1-2", "高新技术产业产值占比"),
    ):
        assert f"{ind_id}{name}" in text
    assert "丙区63%、乙区37%" in text  # who owes the shortfall: 12 and 7 of 19 (whole 家 expected)
    assert "数据缺失或待核" not in text  # the city has no indicator without data


def test_a_unit_brief_shows_its_own_targets_and_share_of_the_shortfall(fixture_briefs):
    text = squeeze("".join(page_texts(fixture_briefs["b"])[:2]))
    assert "I01-1-1新增科技企业（家）3510" in text  # target 35, actual 10
    assert "351017" in text and "37%" in text  # expected floor(17.5) = 17 and its share of the gap


def test_page_margins_carry_issuer_date_and_page_numbers(fixture_briefs):
    pages = page_texts(fixture_briefs["city"])
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert ISSUER in page and "2021年7月10日" in page
        assert f"第{n}页/共{len(pages)}页" in squeeze(page)


def test_fonts_are_embedded_cjk_fonts(fixture_briefs):
    for pdf in fixture_briefs.values():
        fonts = pdf_fonts(pdf)
        assert fonts, pdf.name
        for f in fonts:
            assert "CJK" in f["name"] and f["emb"] == "yes" and f["uni"] == "yes", (pdf.name, f)


def test_milestones_and_data_quality_are_in_the_city_brief(fixture_briefs):
    text = squeeze("".join(page_texts(fixture_briefs["city"])))
    assert "M03-1科技服务进企业推进中" in text
    assert "乙区_2021Q2_最终版.xlsx" in text and "文件已损坏" in text  # a refused file, and why
    assert "累计完成不能为负数" in text  # a value left out, and why
    assert "逾期" in text  # 丙区 sent after the deadline


def test_target_notes_word_each_target_as_the_plan_does(tmp_path):
    """An increase is noted as the plan's step on the 2020 level (mart_plan_targets), not the
    level it leads to; 左右 with the tolerance from the settings."""
    con = duckdb.connect(str(build_warehouse(tmp_path / "w.duckdb")), read_only=True)
    try:
        plan = dict(con.execute("select indicator_id, plan_target from mart_plan_targets").fetchall())
        briefs = [
            report.city_brief(con, fixture_catalog(), Q2, ISSUER),
            report.unit_brief(con, fixture_catalog(), Q2, "bureau", ISSUER),
        ]
    finally:
        con.close()
    assert (plan["I03-1-2"], plan["I03-1-3"]) == (1, 20)
    for brief in briefs:
        notes = {r["indicator_id"]: r["target_note"] for s in brief.sections for r in s["indicators"]}
        assert notes["I03-1-2"] == "以2020年58.00为基数提高1个百分点", brief.scope
        assert notes["I03-1-3"] == "以2020年50.00为基数增长20%", brief.scope
        assert notes["I02-1-2"] == "左右（±5%以内视为达到）", brief.scope
        assert notes["I03-1-1"] == "控制在此以内", brief.scope


def test_the_same_inputs_give_a_byte_identical_pdf(fixture_briefs, tmp_path):
    con = duckdb.connect(str(build_warehouse(tmp_path / "w.duckdb")), read_only=True)
    brief = report.city_brief(con, fixture_catalog(), Q2, ISSUER)
    con.close()
    again = report.render_brief(brief, tmp_path / "again.pdf", font_cache(), report.report_date(Q2))
    assert again.read_bytes() == fixture_briefs["city"].read_bytes()


# -- many behind-target items still fit the first two pages ------------------------


def _all_behind_warehouse(path: Path, quarter: Quarter):
    """The real 2021 catalog; every unit a third of the way to its expected-to-date."""
    catalog = catalog_from_settings(load_settings({}))
    return catalog, connect(synthetic_warehouse(path, catalog, quarter, (0.35,)))


def test_every_indicator_behind_still_fits_the_first_two_pages(tmp_path):
    """The worst case: at Q4 every one of the 66 indicators of the 2021 plan is behind."""
    q4 = Quarter(2021, 4)
    catalog, con = _all_behind_warehouse(tmp_path / "w.duckdb", q4)
    try:
        behind = [
            (r["indicator_id"], r["name"])
            for r in progress.city_progress(con, q4.code)
            if r["status"] in progress.BEHIND
        ]
        brief = report.city_brief(con, catalog, q4, ISSUER)
    finally:
        con.close()
    assert len(behind) == len(catalog.indicators) and brief.compact
    pdf = report.render_brief(brief, tmp_path / "city.pdf", font_cache(), report.report_date(q4))
    first_two = squeeze("".join(page_texts(pdf)[:2]))
    assert [i for i, name in behind if f"{i}{name}" not in first_two] == []


# -- lockdown: submitted text is text, and nothing is fetched -----------------------

HOSTILE_NOTE = '<b>粗体</b><img src="file:///etc/passwd"><link href="http://127.0.0.1:9/x.css">'
HOSTILE_MILESTONE = '<script>alert(1)</script><iframe src="http://127.0.0.1:9/"></iframe>'
HOSTILE_FILE = "<img src=x onerror=alert(1)>.xlsx"


def test_submitted_markup_and_urls_are_shown_escaped_and_never_fetched(tmp_path, monkeypatch):
    fetched: list[str] = []
    original = render._bundled_only_fetcher

    def spying(roots):
        fetcher = original(roots)
        inner = fetcher.fetch

        def fetch(url, headers=None):
            fetched.append(url)
            return inner(url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(render, "_bundled_only_fetcher", spying)
    path = build_warehouse(
        tmp_path / "w.duckdb",
        notes={"I02-1-2": HOSTILE_NOTE},
        milestone_notes={"M01-1": HOSTILE_MILESTONE},
        file_names={"s-bu-q2": HOSTILE_FILE},
    )
    con = duckdb.connect(str(path), read_only=True)
    briefs = [
        report.city_brief(con, fixture_catalog(), Q2, ISSUER),
        report.unit_brief(con, fixture_catalog(), Q2, "bureau", ISSUER),
    ]
    con.close()
    for n, brief in enumerate(briefs):  # strict: RenderError if anything was logged
        pdf = report.render_brief(brief, tmp_path / f"{n}.pdf", font_cache(), report.report_date(Q2))
        html = pdf.with_suffix(".html").read_text(encoding="utf-8")
        assert "<img" not in html and "<script" not in html and "<iframe" not in html
        text = squeeze("".join(page_texts(pdf)))
        assert squeeze(HOSTILE_MILESTONE) in text
        if brief.kind == "city":
            assert squeeze(HOSTILE_FILE) in text
        else:
            assert squeeze(HOSTILE_NOTE) in text
    allowed = (report.TEMPLATES_DIR.resolve().as_uri(), font_cache().resolve().as_uri())
    assert fetched and all(url.startswith(allowed) for url in fetched)


def test_the_renderer_refuses_every_url_but_bundled_files(tmp_path):
    fetcher = render._bundled_only_fetcher([report.TEMPLATES_DIR])
    for url in (
        "http://127.0.0.1:9/x.css",
        "https://example.com/a.png",
        "file:///etc/passwd",
        (report.TEMPLATES_DIR / ".." / "pyproject.toml").as_uri(),
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert fetcher.fetch((report.TEMPLATES_DIR / "style.css").as_uri()).read().startswith(b"/*")


def test_markup_that_did_reach_the_renderer_is_refused_and_reported(tmp_path):
    html = (
        '<html><body><p>测试</p><img src="http://127.0.0.1:9/x.png">'
        '<link rel="stylesheet" href="file:///etc/passwd"></body></html>'
    )
    messages = report.write_pdf(html, tmp_path / "x.pdf", [], date(2021, 7, 10))
    assert any("127.0.0.1" in m for m in messages) and any("/etc/passwd" in m for m in messages)


def test_a_character_no_font_has_is_replaced_not_left_as_a_box(tmp_path):
    path = build_warehouse(tmp_path / "w.duckdb", notes={"I02-1-2": "备注\U000f0000完"})
    con = duckdb.connect(str(path), read_only=True)
    brief = report.unit_brief(con, fixture_catalog(), Q2, "bureau", ISSUER)
    con.close()
    pdf = report.render_brief(brief, tmp_path / "u.pdf", font_cache(), report.report_date(Q2))
    assert "备注〓完" in squeeze("".join(page_texts(pdf)))


# -- a run again redraws only the briefs whose content changed -----------------------


def _render_all(warehouse: Path, out: Path) -> dict[str, Path]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return report.render_quarter_briefs(con, fixture_catalog(), Q2, out, ISSUER, font_cache(), workers=2)
    finally:
        con.close()


def _written(paths: dict[str, Path]) -> dict[str, int]:
    return {scope: p.stat().st_mtime_ns for scope, p in paths.items()}


def test_briefs_whose_figures_did_not_change_are_not_rendered_again(tmp_path):
    out = tmp_path / "out"
    first = _render_all(build_warehouse(tmp_path / "w1.duckdb"), out)
    before = _written(first)

    again = _render_all(build_warehouse(tmp_path / "w2.duckdb"), out)  # the same figures
    assert again == first and _written(again) == before

    # the bureau's note changes: its brief is drawn again and says so; the districts' are kept
    changed = _render_all(
        build_warehouse(tmp_path / "w3.duckdb", notes={"I02-1-2": "第三次修改后的说明"}), out
    )
    after = _written(changed)
    assert after["bureau"] != before["bureau"]
    assert "第三次修改后的说明" in squeeze("".join(page_texts(changed["bureau"])))
    assert {s: after[s] for s in ("a", "b", "c")} == {s: before[s] for s in ("a", "b", "c")}


def test_a_brief_whose_render_did_not_finish_or_whose_pdf_is_gone_is_rendered_again(tmp_path):
    out = tmp_path / "out"
    warehouse = build_warehouse(tmp_path / "w.duckdb")
    first = _render_all(warehouse, out)
    before = _written(first)
    first["a"].unlink()  # someone deleted the PDF
    first["b"].write_bytes(b"%PDF-1.7 half written")  # a render killed half way: stamp gone
    next(out.glob(f".{first['b'].name}.rendered")).unlink()

    again = _render_all(warehouse, out)
    after = _written(again)
    assert after["b"] != before["b"] and page_texts(again["b"])  # a whole PDF again
    assert page_texts(again["a"])
    assert after["c"] == before["c"] and after["city"] == before["city"]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_brief_that_cannot_be_written_does_not_stop_the_others(tmp_path, workers):
    out = tmp_path / "out"
    names = _render_all(build_warehouse(tmp_path / "w1.duckdb"), out)
    for pdf in names.values():
        pdf.unlink()
    names["b"].mkdir()  # something in the way of 乙区's brief: it cannot be written there
    con = duckdb.connect(str(build_warehouse(tmp_path / "w2.duckdb")), read_only=True)
    try:
        with pytest.raises(report.BriefsFailed) as failure:
            report.render_quarter_briefs(
                con, fixture_catalog(), Q2, out, ISSUER, font_cache(), workers=workers
            )
    finally:
        con.close()
    assert set(failure.value.failed) == {"b"} and "Error" in failure.value.failed["b"]
    assert set(failure.value.rendered) == {"city", "a", "c", "bureau"}
    assert all(p.is_file() and p.stat().st_size > 0 for p in failure.value.rendered.values())


def test_a_county_plans_briefs_speak_of_the_county_not_a_city(tmp_path):
    """A plan of 全县 (or a district's, a zone's) is read by its own leadership: the city
    brief's scope and the shortfall column say 全县, never 全市."""
    import dataclasses

    county = dataclasses.replace(fixture_catalog(), title="2021年全县科技工作要点", issuer="荣阳县科学技术局")
    con = duckdb.connect(str(build_warehouse(tmp_path / "w.duckdb")), read_only=True)
    try:
        city = report.city_brief(con, county, Q2, county.issuer)
        unit = report.unit_brief(con, county, Q2, "b", county.issuer)
        zone = report.city_brief(con, county, Q2, "安澜高新技术产业开发区管理委员会")
    finally:
        con.close()
    assert city.scope == "全县" and unit.whole == "全县"
    assert city.recipient == "局领导" and zone.recipient == "委领导"  # the issuer's own leaders
    html = render.render_html(unit, [], date(2021, 7, 15))
    assert "占全县缺口" in html and "占全市缺口" not in html
    city_html = render.render_html(city, [], date(2021, 7, 15))
    assert "占全县缺口" in city_html and "全市" not in city_html
