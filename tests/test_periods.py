from datetime import date

import pytest

from plantrack.periods import Quarter, find_quarter, parse_quarter


@pytest.mark.parametrize("text", ["2021Q2", "2021q2", " 2021 Q2 ", "2021年第二季度", "2021年2季度"])
def test_parse_quarter_forms(text):
    assert parse_quarter(text) == Quarter(2021, 2)


def test_parse_quarter_refuses_with_a_chinese_message():
    with pytest.raises(ValueError, match="无法识别的报告期"):
        parse_quarter("2021Q5")


def test_labels_and_dates():
    q = Quarter(2021, 3)
    assert (q.code, q.label, q.end_date) == ("2021Q3", "2021年第三季度", date(2021, 9, 30))
    assert Quarter(2021, 1).previous() is None
    assert q.previous() == Quarter(2021, 2)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2021Q2_huancui_环翠区_季度填报表", Quarter(2021, 2)),
        ("环翠区2021年第三季度报表", Quarter(2021, 3)),
        ("报表(最终版)", None),
    ],
)
def test_find_quarter_in_file_names(name, expected):
    assert find_quarter(name) == expected


def test_quarters_before_and_after_cross_the_year_end():
    assert Quarter(2021, 1).preceding() == Quarter(2020, 4)
    assert Quarter(2021, 3).preceding() == Quarter(2021, 2)
    assert Quarter(2021, 4).following() == Quarter(2022, 1)
    assert Quarter(2021, 2).following() == Quarter(2021, 3)
    assert [Quarter.containing(date(2021, m, 1)).code for m in (1, 3, 4, 9, 10, 12)] == [
        "2021Q1",
        "2021Q1",
        "2021Q2",
        "2021Q3",
        "2021Q4",
        "2021Q4",
    ]
