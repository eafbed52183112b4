"""A steward's long text does not make a brief grow: the brief's view model cuts it, with a
mark, while the warehouse keeps it whole."""

from __future__ import annotations

import duckdb

from plantrack import report
from plantrack.periods import Quarter
from plantrack.report.briefs import BRIEF_TEXT_LIMIT, CUT_MARK
from tests.fixtures.progress.warehouse_builder import build_warehouse, fixture_catalog

Q2 = Quarter(2021, 2)
LONG = "很长的说明" * 20_000  # 100,000 characters


def test_a_100000_character_note_is_cut_for_the_brief_and_whole_in_the_warehouse(tmp_path):
    path = build_warehouse(tmp_path / "w.duckdb", notes={"I03-1-2": LONG}, milestone_notes={"M01-1": LONG})
    con = duckdb.connect(str(path), read_only=True)
    try:
        briefs = [
            report.city_brief(con, fixture_catalog(), Q2, "测试局"),
            report.unit_brief(con, fixture_catalog(), Q2, "bureau", "测试局"),
        ]
        stored = {
            n
            for (n,) in con.execute(
                "select note from accepted_values union all select note from milestone_reports"
            ).fetchall()
        }
    finally:
        con.close()
    assert LONG in stored
    unit = briefs[1]
    [note] = [r["note"] for s in unit.sections for r in s["indicators"] if r["indicator_id"] == "I03-1-2"]
    assert note == LONG[:BRIEF_TEXT_LIMIT] + CUT_MARK
    for brief in briefs:
        texts = [str(v) for s in brief.sections for m in s["milestones"] for v in m.values()]
        texts += [str(v) for s in brief.sections for r in s["indicators"] for v in r.values()]
        assert max(len(t) for t in texts) < BRIEF_TEXT_LIMIT + 200, brief.scope
    [detail] = [m["detail"] for s in unit.sections for m in s["milestones"] if m["milestone_id"] == "M01-1"]
    assert detail == LONG[:BRIEF_TEXT_LIMIT] + CUT_MARK
