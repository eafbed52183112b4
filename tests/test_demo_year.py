"""The demo year: one seeded trajectory per unit and indicator, so that each quarter's run
quarantines only the planted mistakes; and `plantrack demo --year` end to end."""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from plantrack.demo import FORGETFUL, demo_path, demo_units, make_demo_submissions
from plantrack.periods import Quarter
from plantrack.validate import with_history
from plantrack.validate.check import check_file
from tests.conftest import REPO, SUITES_2021

RATIOS = ("%", "个百分点")


def test_a_flow_never_falls_and_a_stock_moves_on_from_its_start(catalog):
    units, missing = demo_units(catalog)
    for n, unit in enumerate(units):
        for ind in catalog.indicators_for(unit.code):
            path = demo_path(catalog, ind, unit.code, n)
            assert len(path) == 4
            if ind.unit not in RATIOS and not ind.is_relative:
                assert list(path) == sorted(path), (unit.code, ind.id, path)
            if ind.cumulative and (b := catalog.baseline(ind.id, unit.code)):
                assert path[0] >= b.value * 0.9, (unit.code, ind.id)


def test_units_differ_some_behind_some_catching_up(catalog):
    """At Q2 some units are well behind their expected-to-date and ahead at Q4."""
    from plantrack.pacing import expected_to_date

    units, _ = demo_units(catalog)
    caught_up = behind_all_year = 0
    for n, unit in enumerate(units):
        for ind in catalog.indicators_for(unit.code):
            if ind.qualifier == "max" or ind.unit in RATIOS:
                continue
            path = demo_path(catalog, ind, unit.code, n)
            q2 = expected_to_date(catalog, ind, unit.code, 2)
            q4 = expected_to_date(catalog, ind, unit.code, 4)
            if q2 is None or q4 is None or q2 <= 0:
                continue
            if path[1] < q2 and path[3] >= q4:
                caught_up += 1
            if path[1] < q2 and path[3] < q4:
                behind_all_year += 1
    assert caught_up >= 5 and behind_all_year >= 5


def test_the_same_quarter_written_again_gives_the_same_bytes(catalog, tmp_path):
    """openpyxl stamps each save with the time; a demo run again must receive the same files
    (one receipt a unit, outcomes from the cache, briefs kept), not new ones."""
    quarter = Quarter(2021, 2)
    first, _ = make_demo_submissions(catalog, quarter, tmp_path / "first", resubmission=True)
    again, _ = make_demo_submissions(catalog, quarter, tmp_path / "again", resubmission=True)
    assert [p.name for p in first] == [p.name for p in again]
    for a, b in zip(first, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
        assert a.stat().st_mtime == b.stat().st_mtime  # the receipt times the demo plays
    other, _ = make_demo_submissions(catalog, Quarter(2021, 3), tmp_path / "q3")
    assert first[0].read_bytes() != other[0].read_bytes()


@pytest.mark.flow
def test_each_quarter_quarantines_only_the_planted_mistakes(catalog, tmp_path):
    previous: dict[str, dict[str, float]] = {}
    units, _ = demo_units(catalog)
    forgetful = units[FORGETFUL].code
    for n in range(1, 5):
        quarter = Quarter(2021, n)
        files, mistakes = make_demo_submissions(
            catalog, quarter, tmp_path / quarter.code, resubmission=n == 2
        )
        assert len(files) == (11 if n == 2 else 10)
        codes: collections.Counter = collections.Counter()
        current: dict[str, dict[str, float]] = {}
        for f in sorted(files, key=lambda p: p.stat().st_mtime):
            v = check_file(f, catalog, quarter, SUITES_2021).validation
            if v.unit in previous:
                v = with_history(v, catalog, previous[v.unit])
            codes.update(i.code for i in v.issues if i.is_error)
            warned = {i.unit for i in v.issues if i.code == "behind_without_note"}
            assert warned <= {forgetful}, (quarter.code, warned)
            current[v.unit] = {r["indicator_id"]: r["actual"] for r in v.accepted.iter_rows(named=True)}
        previous = current
        # the planted errors: an empty value, a negative figure, a status typed by hand
        # (and at Q2 the file corrected from its fix-it workbook has none of them)
        assert dict(codes) == {"value_empty": 1, "negative_value": 1, "invalid_status": 1}, quarter.code
        assert any(m.description == "按问题标注工作簿修改后重新报送" for m in mistakes) == (n == 2)


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return re.sub(r"\s+", "", out.stdout)


@pytest.mark.flow
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")
def test_demo_year_runs_four_quarters_and_the_annual_assessment(tmp_path):
    env = {
        **os.environ,
        "PLANTRACK_HOME": str(tmp_path / "home"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
    }
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "plantrack"), "demo", "--year", "2021"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "home" / "out"
    quarantined = re.findall(r"隔离数据行 (\d+) 行", proc.stdout)
    assert quarantined == ["2", "2", "2", "2"]  # the empty value and the negative figure
    for n in range(1, 5):
        city = out / f"2021Q{n}" / f"2021Q{n}_全市科技工作要点落实情况简报.pdf"
        assert str(city) in proc.stdout
    assessment = out / "2021Q4" / "2021_全市科技工作要点年度完成情况考核.pdf"
    assert str(assessment) in proc.stdout
    text = _text(assessment)
    for needle in (
        "科技工作要点年度考核",
        "2021年度·全市",
        "未完成指标",
        "各单位完成情况及排名",
        "排名规则",
        "海高园",
    ):
        assert needle in text, needle
    q3 = _text(out / "2021Q3" / "2021Q3_全市科技工作要点落实情况简报.pdf")
    assert "与上季度相比" in q3 and "较上季度" in q3 and "说明：" in q3
    q4 = _text(out / "2021Q4" / "2021Q4_全市科技工作要点落实情况简报.pdf")
    assert "未完成指标" in q4 and "序时应完成" not in q4
