"""Pure cleaning functions: numbers as people type them, header titles, table ends."""

from __future__ import annotations

import pytest

from transforms.cleaning import (
    DATA_HEADER_SYNONYMS,
    DATA_LOOSE_RULES,
    MILESTONE_HEADER_SYNONYMS,
    MILESTONE_LOOSE_RULES,
    column_index,
    column_letter,
    header_unit,
    is_percent_format,
    is_trailing_row,
    match_header,
    match_header_loosely,
    normalize_text,
    number_text,
    parse_number,
)


@pytest.mark.parametrize(
    ("raw", "unit", "value", "code"),
    [
        (12, "家", 12.0, None),
        (0.023, "%", 0.023, None),
        ("12", "家", 12.0, None),
        (" 12 ", "家", 12.0, None),
        ("-3", "家", -3.0, None),
        ("12家", "家", 12.0, "number_as_text"),
        ("12 家", "家", 12.0, "number_as_text"),
        ("1,200", "家", 1200.0, "number_as_text"),
        ("1,200.5", "万元", 1200.5, "number_as_text"),
        ("１２", "项", 12.0, "number_as_text"),
        ("３，５００件", "件", 3500.0, "number_as_text"),
        ("1.5亿元", "亿元", 1.5, "number_as_text"),
        ("15000万元", "亿元", 1.5, "unit_converted"),
        ("1.5万", "亿元", 0.00015, "unit_converted"),
        ("3000元", "万元", 0.3, "unit_converted"),
        ("1.2万人次", "人次", 12000.0, "unit_converted"),
        ("十二", "家", 12.0, "number_as_text"),
        ("一百二十", "项", 120.0, "number_as_text"),
        ("两千", "人次", 2000.0, "number_as_text"),
        ("十二家", "家", 12.0, "number_as_text"),
        ("十二万元", "亿元", 0.0012, "unit_converted"),
        ("2.3%", "%", 2.3, "number_as_text"),
        ("2.3％", "%", 2.3, "number_as_text"),
        ("百分之二点三", "%", 2.3, "number_as_text"),
        ("12人", "人(项)", 12.0, "number_as_text"),
        ("4场", "场(次)", 4.0, "number_as_text"),
    ],
)
def test_numbers_are_read_as_a_person_reads_them(raw, unit, value, code):
    parsed = parse_number(raw, unit)
    assert parsed.value == pytest.approx(value)
    assert parsed.code == code


@pytest.mark.parametrize(
    ("raw", "unit", "code"),
    [
        (None, "家", "empty"),
        ("", "家", "empty"),
        ("   ", "家", "empty"),
        ("#DIV/0!", "家", "excel_error"),
        ("#ref!", "家", "excel_error"),
        ("12项", "家", "wrong_unit"),
        ("2.3%", "个百分点", "wrong_unit"),
        ("12家左右", "家", "not_a_number"),
        ("约12", "家", "not_a_number"),
        ("—", "家", "not_a_number"),
        ("万元", "亿元", "not_a_number"),
        ("1,5", "家", "not_a_number"),
        (True, "家", "not_a_number"),
        (float("nan"), "家", "not_a_number"),
    ],
)
def test_what_is_not_a_number_says_why(raw, unit, code):
    parsed = parse_number(raw, unit)
    assert parsed.value is None
    assert parsed.code == code


def test_a_text_figure_says_how_it_was_read():
    assert parse_number("十二", "家").detail == "中文数字"
    assert parse_number("１２", "家").detail == "全角数字"
    assert parse_number("15000万元", "亿元").detail == "万元→亿元"
    assert parse_number("12项", "家").detail == "项≠家"


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("指标编号", "indicator_id"),
        ("指标代码", "indicator_id"),
        ("指标名称", "name"),
        ("计量单位", "uom"),
        ("年度目标", "target"),
        ("全年目标", "target"),
        ("2021年目标", "target"),
        ("累计完成", "actual"),
        ("本年累计", "actual"),
        ("累计完成值", "actual"),
        ("截至本季度末累计", "actual"),
        ("累计完成（家）", "actual"),
        ("累计完成(亿元)", "actual"),
        ("累 计 完 成", "actual"),
        ("累计\n完成", "actual"),
        ("2021年累计完成", "actual"),
        ("说明", "note"),
        ("备注", "note"),
        ("力争目标", "stretch"),
    ],
)
def test_header_synonyms_name_their_column(title, key):
    assert match_header(title, DATA_HEADER_SYNONYMS) == key


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("截至6月底累计完成数", "actual"),
        ("本年度累计完成情况", "actual"),
        ("完成率", None),
        ("完成进度", None),
        ("力争完成目标", "stretch"),
        ("年度目标任务数", "target"),
        ("本季度工作说明", "note"),
        # an instruction line is a sentence, not a title
        ("累计完成：新增类填1月1日至本季度末累计数；期末总量类填季度末总数。", None),
    ],
)
def test_loose_titles_only_where_no_exact_title_fits(title, key):
    assert match_header(title, DATA_HEADER_SYNONYMS) is None
    assert match_header_loosely(title, DATA_LOOSE_RULES) == key


def test_milestone_titles():
    assert match_header("任务编号", MILESTONE_HEADER_SYNONYMS) == "milestone_id"
    assert match_header("进展状态", MILESTONE_HEADER_SYNONYMS) == "status"
    assert match_header_loosely("目前进展状态", MILESTONE_LOOSE_RULES) == "status"
    assert match_header("编号", MILESTONE_HEADER_SYNONYMS) == "milestone_id"
    assert match_header("编号", DATA_HEADER_SYNONYMS) == "indicator_id"


def test_the_unit_in_a_title_is_kept_apart():
    assert header_unit("累计完成（亿元）") == "亿元"
    assert header_unit("累计完成") == ""


@pytest.mark.parametrize(
    "first_cell",
    [
        "合计",
        "总计",
        "小 计",
        "备注：数据截至6月30日",
        "注：",
        "填表人：张三",
        "审核人",
        "联系电话：0631",
        "以下空白",
    ],
)
def test_total_note_and_signature_rows_end_the_table(first_cell):
    assert is_trailing_row([None, "", first_cell, "12"])


def test_a_data_row_does_not_end_the_table():
    assert not is_trailing_row(["I04-2-2", "新增省级创新平台", "家", "2"])
    assert not is_trailing_row([])


@pytest.mark.parametrize(
    ("fmt", "percent"),
    [
        ("0%", True),
        ("0.00%", True),
        ("#,##0.0%", True),
        ('0.00"%"', False),
        ("[Red]0.00", False),
        ("General", False),
        ("0.00", False),
        (None, False),
    ],
)
def test_percent_formats(fmt, percent):
    assert is_percent_format(fmt) is percent


def test_addresses_and_number_text():
    assert [column_letter(i) for i in (0, 4, 25, 26, 27, 701, 702)] == [
        "A",
        "E",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]
    assert [column_index(column_letter(i)) for i in range(0, 20000, 7)] == list(range(0, 20000, 7))
    assert column_index("ab") == column_index("AB") == 27
    assert number_text(1200.0) == "1200"
    assert number_text(0.1 + 0.2) == "0.30000000000000004"
    assert float(number_text(123456789.123)) == 123456789.123
    assert normalize_text("　１２３ＡＢ ") == "123AB"
