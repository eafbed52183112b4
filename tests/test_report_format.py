"""Numbers, dates and chart geometry for the briefs: pure functions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from plantrack.periods import Quarter, local_time, submission_deadline
from plantrack.report import (
    behind_chart,
    css_string,
    display_unit,
    format_date,
    format_deadline,
    format_number,
    format_percent,
    format_time,
    report_date,
    sparkline,
    status_chart,
    work_done,
)


@pytest.mark.parametrize(
    ("value", "uom", "text"),
    [
        (23.889, "亿元", "23.89"),
        (12345.6, "亿元", "12,345.60"),
        (1200.0, "家", "1,200"),
        (1020.5, "家", "1,020.5"),
        (0.5, "支", "0.5"),
        (2.3, "%", "2.30"),
        (58.2, "个百分点", "58.20"),
        (None, "家", "—"),
    ],
)
def test_numbers_read_as_chinese_readers_expect(value, uom, text):
    assert format_number(value, uom) == text


def test_percentages_and_dates():
    assert format_percent(0.46667) == "46.7%"
    assert format_percent(0.625, 0) == "62%"  # round half to even, as Python does
    assert format_percent(None) == "—"
    assert format_date(date(2021, 7, 10)) == "2021年7月10日"
    assert format_time(datetime(2021, 7, 6, 15, 0)) == "2021-07-06 15:00"


def test_briefs_are_dated_the_run_day_and_submissions_due_before_it():
    q2 = Quarter(2021, 2)
    assert report_date(q2) == date(2021, 7, 10)
    assert submission_deadline(q2) == datetime(2021, 7, 10, 0, 0)
    assert format_deadline(submission_deadline(q2)) == "2021年7月9日24时"


def test_receipt_times_are_shown_in_beijing_time():
    assert local_time(datetime(2021, 7, 9, 17, 30)) == datetime(2021, 7, 10, 1, 30)


def test_an_increase_target_is_shown_in_the_unit_of_the_level_it_raises():
    assert display_unit({"qualifier": "increase_by", "unit_of_measure": "个百分点"}) == "%"
    assert display_unit({"qualifier": "increase_by", "unit_of_measure": "%"}) == ""
    assert display_unit({"qualifier": "min", "unit_of_measure": "家"}) == "家"


def test_css_strings_cannot_be_broken_out_of():
    text = str(css_string('威海"; } body { background: url(http://x) } </style>\\'))
    assert text.startswith("威海")
    assert not set('"\\<>{};()/:') & set(text.replace("\\00", ""))


def test_work_done_counts_a_stock_from_its_start_level():
    assert work_done(40, 0, 100) == 0.4
    assert work_done(265, 240, 300) == pytest.approx(25 / 60)
    assert work_done(75, None, 90) == pytest.approx(75 / 90)  # no start level: share of target
    assert work_done(None, 0, 100) is None


def test_status_chart_segments_fill_the_width_in_status_colours():
    chart = status_chart(
        [{"status": "滞后", "n": 3, "css": "behind"}, {"status": "已完成", "n": 1, "css": "done"}], width=400
    )
    assert [s["w"] for s in chart["segments"]] == [300.0, 100.0]
    assert [s["color"] for s in chart["segments"]] == ["#c77700", "#1a7f37"]
    assert [entry["text"] for entry in chart["legend"]] == ["滞后 3项", "已完成 1项"]


def test_sparkline_draws_the_reported_quarters_against_the_whole_expected_path():
    points = [
        {"quarter_number": q, "done": d, "expected": e}
        for q, d, e in [(1, 0.2, 0.25), (2, 0.4, 0.5), (3, None, 0.75), (4, None, 1.0)]
    ]
    line = sparkline(points, "behind")
    assert len(line["expected"].split()) == 4
    assert len(line["done"].split()) == len(line["dots"]) == 2
    assert line["color"] == "#c77700"


def test_the_behind_bar_expects_whole_units_of_a_count_not_the_pacing_share():
    three_parks = {  # 3 parks, half the year gone: one park expected (floor of 1.5), none done
        "name": "新增省级大学科技园",
        "css": "severe",
        "actual": 0.0,
        "start_level": 0.0,
        "target": 3.0,
        "expected_share": 0.5,
        "expected_to_date": 1.0,
    }
    three_parks["work_done"] = work_done(0.0, 0.0, 3.0)
    three_parks["work_expected"] = work_done(1.0, 0.0, 3.0)
    (row,) = behind_chart([three_parks])["rows"]
    assert row["note"] == "完成0% / 应完成33%"
    assert row["expected_w"] == round(240 / 3, 1) and row["done_w"] == 0
