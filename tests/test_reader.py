"""The tolerant reader on real messy submissions (tests/fixtures/submissions).

Each tolerated drift has a fixture named after it and a test that every figure
is read with the cell it came from; each rejected file a test that the message
names the file (and sheet) and the reason, in Chinese, without a traceback.
"""

from __future__ import annotations

import pickle
import re
import socket
from pathlib import Path

import polars as pl
import pytest

import plantrack.reader
from plantrack.periods import Quarter
from plantrack.reader import UNREADABLE_CODES, ReadLimits, UnreadableFile, read_submission
from tests.conftest import FIXTURES

SUBMISSIONS = FIXTURES / "submissions"
READER_PACKAGE = Path(plantrack.reader.__file__).parent
Q2 = Quarter(2021, 2)


@pytest.fixture(scope="module")
def indicator_units(catalog) -> dict[str, str]:
    return {i.id: i.unit for i in catalog.indicators}


@pytest.fixture(scope="module")
def read(catalog, indicator_units):
    def read(name: str, **kwargs):
        return read_submission(SUBMISSIONS / name, catalog.units, indicator_units=indicator_units, **kwargs)

    return read


def values(sub) -> dict[str, tuple[str, float | None]]:
    """indicator id → (value cell, number read)."""
    return {r["indicator_id"]: (r["actual_cell"], r["actual_value"]) for r in sub.rows.iter_rows(named=True)}


def base_values(catalog, unit: str, first_row: int, column: str = "E") -> dict:
    """What make_fixtures.base_value wrote: row i of the table holds i + 1 (money: 0.1i + 0.15)."""
    out = {}
    for i, ind in enumerate(catalog.indicators_for(unit)):
        value = round(0.1 * (i + 1) + 0.05, 2) if ind.unit in ("亿元", "%", "个百分点") else i + 1.0
        out[ind.id] = (f"{column}{first_row + i}", value)
    return out


def cell(sub, sheet: str, address: str) -> dict:
    rows = sub.cells.filter((pl.col("sheet") == sheet) & (pl.col("cell") == address))
    assert rows.height == 1, f"{sheet}!{address} read {rows.height} times"
    return rows.row(0, named=True)


# -- tolerated drift ------------------------------------------------------------


def test_extra_title_and_blank_rows_move_the_table_down(read, catalog):
    sub = read("extra_title_and_blank_rows.xlsx")
    expected = base_values(catalog, "huancui", first_row=8)
    # two rows (a blank line and a section title) were inserted after the third indicator
    for ind, (address, value) in list(expected.items())[3:]:
        expected[ind] = (f"E{int(address[1:]) + 2}", value)
    assert values(sub) == expected
    assert cell(sub, "填报", "B12")["raw_text"] == "二、平台与项目"
    assert cell(sub, "填报", "B12")["header"] is None  # the section title is not a record


def test_a_two_row_header_with_merged_cells(read, catalog):
    sub = read("merged_two_row_header.xlsx")
    assert values(sub) == base_values(catalog, "huancui", first_row=6)
    first = sub.rows.row(0, named=True)
    assert first["note"] == "两项平台合并说明"  # the merged note belongs to its first row
    assert sub.rows.row(1, named=True)["note"] is None
    assert cell(sub, "填报", "E5")["raw_text"] == "累计完成"  # the sub-header is not a record


def test_reordered_columns_are_found_by_their_titles(read, catalog):
    sub = read("reordered_columns.xlsx")
    assert values(sub) == base_values(catalog, "huancui", first_row=5, column="A")
    assert sub.rows["indicator_id_cell"].to_list()[:2] == ["D5", "D6"]
    assert cell(sub, "填报", "A5")["header"] == "actual"


def test_header_synonyms_and_units_in_brackets(read, catalog):
    sub = read("header_synonyms_with_units.xlsx")
    assert values(sub) == base_values(catalog, "huancui", first_row=5)
    assert sub.rows["note"].null_count() == sub.rows.height
    assert cell(sub, "填报", "D5")["header"] == "target"


def test_trailing_total_note_and_signature_rows_are_not_records(read, catalog):
    sub = read("trailing_total_and_notes.xlsx")
    assert values(sub) == base_values(catalog, "huancui", first_row=5)
    total = cell(sub, "填报", "A40")
    assert (total["raw_text"], total["record_key"], total["header"]) == ("合计", None, None)
    # nothing below the table is lost: the stray figure is landed, as an unassigned cell
    stray = cell(sub, "填报", "E44")
    assert (stray["raw_text"], stray["record_key"]) == ("12345", None)


@pytest.mark.parametrize(
    ("indicator", "raw", "value", "code"),
    [
        ("I04-2-2", "2家", 2.0, "number_as_text"),
        ("I04-2-3", "1,200", 1200.0, "number_as_text"),
        ("I05-1-2", "１２", 12.0, "number_as_text"),
        ("I05-1-3", "十二", 12.0, "number_as_text"),
        ("I05-3-1", "1.5亿元", 1.5, "number_as_text"),
        ("I06-1-1", "一百二十", 120.0, "number_as_text"),
        ("I06-1-2", "40 家", 40.0, "number_as_text"),
        ("I07-3-2", "1.2万人次", 12000.0, "unit_converted"),
        ("I08-2-2", "３，５００件", 3500.0, "number_as_text"),
        ("I10-1-2", "15000万元", 1.5, "unit_converted"),
        ("I07-1-1", "12项", None, "wrong_unit"),
    ],
)
def test_numbers_typed_as_text(read, indicator, raw, value, code):
    sub = read("numbers_typed_as_text.xlsx")
    row = sub.rows.filter(pl.col("indicator_id") == indicator).row(0, named=True)
    assert (row["actual_raw"], row["actual_value"], row["actual_code"]) == (raw, value, code)
    landed = cell(sub, "填报", row["actual_cell"])
    assert (landed["raw_text"], landed["parsed_value"], landed["parse_code"]) == (raw, value, code)


def test_percentages_shown_with_a_percent_format_or_typed_with_a_sign(read):
    sub = read("percent_cells.xlsx")
    rd = sub.rows.filter(pl.col("indicator_id") == "I10-3-1").row(0, named=True)
    assert (rd["actual_raw"], rd["actual_kind"], rd["actual_value"]) == ("0.023", "percent", 2.3)
    growth = sub.rows.filter(pl.col("indicator_id") == "I10-1-3").row(0, named=True)
    assert (growth["actual_raw"], growth["actual_value"]) == ("20%", 20.0)
    stored = cell(sub, "填报", rd["actual_cell"])
    assert (stored["raw_text"], stored["value_kind"], stored["parsed_value"]) == ("0.023", "percent", 2.3)
    # a plain number in a % row without a percent format is not guessed at
    other = sub.rows.filter(pl.col("expected_unit") != "%")
    assert other["actual_kind"].unique().to_list() == ["number"]


def test_formulas_give_their_cached_values(read):
    sub = read("formulas_with_cached_values.xlsx")
    by_cell = {r["actual_cell"]: r for r in sub.rows.iter_rows(named=True)}
    assert by_cell["E5"]["actual_value"] == 2.0
    assert by_cell["E6"]["actual_value"] == 3.0
    assert by_cell["E8"]["actual_value"] == 15.0  # a formula whose result is the text "15"
    # 0.16 / 3 is shown to 9 decimals in calamine's text view: it is read again, exactly
    assert by_cell["E9"]["actual_value"] == 0.16 / 3
    assert by_cell["E9"]["actual_raw"] == cell(sub, "填报", "E9")["raw_text"] == repr(0.16 / 3)


def test_a_formula_without_a_cached_value_is_empty_with_a_message(read):
    sub = read("formulas_with_cached_values.xlsx")
    row = sub.rows.filter(pl.col("actual_cell") == "E7").row(0, named=True)
    assert (row["actual_raw"], row["actual_kind"], row["actual_value"], row["actual_code"]) == (
        None,
        "formula_no_value",
        None,
        "empty",
    )
    [issue] = [i for i in sub.issues if i.code == "formula_without_value"]
    assert (issue.file, issue.sheet, issue.cell) == ("formulas_with_cached_values.xlsx", "填报", "E7")
    assert "=SUM(X1:X2)" in issue.message and "没有保存计算结果" in issue.message
    assert not issue.is_error  # the empty value itself is judged by validation
    assert cell(sub, "填报", "E7")["raw_text"] == "=SUM(X1:X2)"


def test_excel_error_cells_are_errors_for_that_cell_not_a_crash(read):
    sub = read("excel_error_cells.xlsx")
    by_cell = {r["actual_cell"]: r for r in sub.rows.iter_rows(named=True)}
    for address, error in (("E5", "#DIV/0!"), ("E6", "#REF!"), ("E7", "#REF!")):
        row = by_cell[address]
        assert (row["actual_raw"], row["actual_kind"], row["actual_value"], row["actual_code"]) == (
            error,
            "error",
            None,
            "excel_error",
        )
        assert cell(sub, "填报", address)["value_kind"] == "error"
    assert by_cell["E8"]["actual_value"] == 4.0  # the rest of the sheet reads on


def test_external_links_are_never_followed(read, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the reader tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    sub = read("external_link_cached_value.xlsx")
    assert values(sub)["I04-2-2"] == ("E5", 7.0)  # the value cached in the workbook
    [issue] = [i for i in sub.issues if i.code == "external_links"]
    assert issue.file == "external_link_cached_value.xlsx" and "外部链接" in issue.message


def test_an_xls_resaved_from_excel(read, catalog):
    sub = read("resaved_as_xls.xls")
    assert sub.file_format == "xls"
    assert values(sub) == base_values(catalog, "huancui", first_row=5)
    assert (sub.identity.unit, sub.identity.quarter, sub.identity.source) == ("huancui", Q2, "header")
    assert sub.milestones["status"].unique().to_list() == ["推进中"]


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("csv_utf16_without_bom.csv", "utf-16-le"),  # Excel's “Unicode text” minus its BOM
        ("csv_utf8.csv", "utf-8"),
        ("csv_utf8_bom.csv", "utf-8-sig"),
        ("csv_gbk.csv", "gb18030"),
        ("unicode_text_utf16_tabs.txt", "utf-16"),
    ],
)
def test_csv_in_every_encoding_is_sheet_填报_with_a1_addresses(read, catalog, name, encoding):
    sub = read(name)
    assert (sub.file_format, sub.encoding) == ("csv", encoding)
    assert values(sub) == base_values(catalog, "huancui", first_row=4)
    assert (sub.identity.unit, sub.identity.quarter) == ("huancui", Q2)
    assert cell(sub, "填报", "B2")["raw_text"] == "环翠区"
    assert sub.rows.row(0, named=True)["note"] == "含“引号”和,逗号"
    assert [i.code for i in sub.issues] == ["missing_milestone_sheet"]


# -- identity ---------------------------------------------------------------------


def test_a_renamed_file_is_recognised_by_its_workbook_identity(read):
    sub = read("科技工作要点季度报表(最终版).xlsx")
    ident = sub.identity
    assert (ident.unit, ident.quarter, ident.source) == ("huancui", Q2, "workbook")
    assert (ident.template_version, ident.catalog_version) == ("1", "2021.1")
    assert sub.issues == []


def test_identity_from_the_header_cells(read):
    ident = read("identity_from_header_only.xlsx").identity
    assert (ident.unit, ident.quarter, ident.source) == ("wendeng", Q2, "header")


def test_identity_from_the_file_name(read):
    ident = read("2021Q2_乳山市_填报.xlsx").identity
    assert (ident.unit, ident.quarter, ident.source) == ("rushan", Q2, "filename")


def test_disagreeing_identities_are_each_reported(read):
    sub = read("identity_mismatch_2021Q3_荣成市.xlsx")
    assert (sub.identity.unit, sub.identity.quarter) == ("huancui", Q2)
    found = sorted((i.sheet, i.found, i.expected) for i in sub.issues)
    assert found == [
        ("", "2021年第三季度", "2021年第二季度"),
        ("", "荣成市", "环翠区"),
        ("填报", "2021年第一季度", "2021年第二季度"),
        ("填报", "文登区", "环翠区"),
    ]
    assert all(i.code == "identity_mismatch" and not i.is_error for i in sub.issues)
    assert {i.message[:3] for i in sub.issues} == {"表头中", "文件名"}


def test_the_display_name_identifies_an_archived_copy(catalog, tmp_path):
    copy = tmp_path / "3f9a0c.xlsx"
    copy.write_bytes((SUBMISSIONS / "2021Q2_乳山市_填报.xlsx").read_bytes())
    sub = read_submission(copy, catalog.units, display_name="2021Q2_乳山市_填报.xlsx")
    assert sub.identity.unit == "rushan"


# -- every cell with its provenance ----------------------------------------------


def test_every_non_empty_cell_is_kept_with_its_address(read):
    sub = read("trailing_total_and_notes.xlsx")
    cells = sub.cells
    assert cells.columns == [
        "sheet",
        "row_number",
        "column_letter",
        "column_number",
        "cell",
        "header",
        "record_key",
        "raw_text",
        "value_kind",
        "parsed_value",
        "parse_code",
    ]
    assert set(cells["sheet"].unique()) == {"填报", "重点任务", "_plantrack"}
    assert cells.filter(pl.col("raw_text").is_null() | (pl.col("raw_text") == "")).height == 0
    rebuilt = cells.select(pl.concat_str("column_letter", pl.col("row_number").cast(pl.String)))
    assert rebuilt.to_series().to_list() == cells["cell"].to_list()
    assert cells.select(["sheet", "cell"]).is_duplicated().sum() == 0
    title = cell(sub, "填报", "A1")
    assert title["raw_text"].startswith("2021年全市科技工作要点") and title["header"] is None
    status = cell(sub, "重点任务", "C4")
    assert (status["header"], status["record_key"], status["raw_text"]) == ("status", "M07-3", "推进中")


# -- rejected ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "words", "sheet"),
    [
        ("empty_0_bytes.xlsx", "empty", "文件为空", ""),
        ("truncated_download.xlsx", "corrupt", "文件已损坏", ""),
        ("broken_sheet_xml.xlsx", "corrupt", "无法解析", "填报"),
        ("password_protected.xlsx", "encrypted", "打开密码", ""),
        ("pdf_renamed.xlsx", "not_a_spreadsheet", "PDF 文档", ""),
        ("text_renamed.xlsx", "not_a_spreadsheet", "纯文本", ""),
        ("html_saved_as.xls", "not_a_spreadsheet", "网页（HTML）", ""),
        ("word_document_renamed.xlsx", "not_a_spreadsheet", "Word 文档", ""),
        ("zip_bomb.xlsx", "zip_bomb", "压缩炸弹", ""),
        ("zip_bomb_lying_sizes.xlsx", "corrupt", "与声明的大小或校验值不符", ""),
        ("no_header_row.xlsx", "no_header", "找不到表头行", "填报"),
        ("csv_nul_bytes.csv", "not_a_spreadsheet", "8 个空字节（NUL，第一个在第 201 字节处）", ""),
        ("csv_chinese_lost.csv", "chinese_lost", "中文已丢失，请另存为 UTF-8 或 GBK 编码", ""),
        ("doctype_entities.xlsx", "unsafe_xml", "DOCTYPE/ENTITY 声明", "填报"),
        ("xml_spreadsheet_2003.xls", "not_a_spreadsheet", "Excel 2003 XML 表格", ""),
    ],
)
def test_unreadable_files_get_one_clear_message(read, name, code, words, sheet):
    with pytest.raises(UnreadableFile) as caught:
        read(name)
    exc = caught.value
    assert (exc.code, exc.file, exc.sheet) == (code, name, sheet)
    assert words in exc.reason
    assert str(exc).startswith(f"{name} / {sheet}：" if sheet else f"{name}：")
    issue = exc.as_issue("huancui")
    assert issue.is_error and (issue.file, issue.sheet, issue.unit) == (name, sheet, "huancui")
    assert issue.code == code  # each cause stays its own code, not one generic "unreadable"
    assert issue.hint  # how to fix it


def test_every_code_the_reader_raises_is_one_of_its_unreadable_codes():
    source = "".join(p.read_text(encoding="utf-8") for p in READER_PACKAGE.glob("*.py"))
    raised = set(re.findall(r'\bcode="(\w+)"', source))
    assert raised | {"unreadable"} == UNREADABLE_CODES  # "unreadable": the default code


def test_the_zip_bomb_limit_is_stated(read):
    with pytest.raises(UnreadableFile) as caught:
        read("zip_bomb.xlsx")
    assert "256 MB" in caught.value.reason and "100 MB 的上限" in caught.value.reason


def test_limits_are_configurable(read):
    with pytest.raises(UnreadableFile) as caught:
        read("csv_utf8.csv", limits=ReadLimits(max_file_bytes=100))
    assert caught.value.code == "too_large"
    with pytest.raises(UnreadableFile) as caught:
        read("merged_two_row_header.xlsx", limits=ReadLimits(max_uncompressed_bytes=10_000))
    assert caught.value.code == "zip_bomb"


def test_a_missing_file_is_unreadable_too(catalog, tmp_path):
    with pytest.raises(UnreadableFile) as caught:
        read_submission(tmp_path / "gone.xlsx", catalog.units)
    assert caught.value.code == "missing"


def test_a_csv_that_is_not_a_table_is_unreadable(catalog, tmp_path):
    path = tmp_path / "2021Q2_环翠区.csv"
    path.write_text('指标编号,累计完成\nI04-2-2,"' + "1" * 200_000 + '"\n', encoding="utf-8")
    with pytest.raises(UnreadableFile) as caught:
        read_submission(path, catalog.units)
    assert (caught.value.code, caught.value.sheet) == ("corrupt", "填报")


def test_an_unforeseen_failure_is_unreadable_not_a_traceback(catalog, monkeypatch):
    import plantrack.reader.submission as submission

    def broken(*args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(submission, "find_header", broken)
    with pytest.raises(UnreadableFile) as caught:
        read_submission(SUBMISSIONS / "merged_two_row_header.xlsx", catalog.units)
    assert caught.value.code == "unexpected"
    assert "IndexError" in str(caught.value) and "merged_two_row_header.xlsx" in str(caught.value)


def test_bytes_already_read_are_the_bytes_parsed(catalog, tmp_path):
    path = tmp_path / "2021Q2_环翠区.xlsx"
    path.write_bytes(b"overwritten in the inbox after it was read")
    data = (SUBMISSIONS / "reordered_columns.xlsx").read_bytes()
    sub = read_submission(path, catalog.units, data=data)
    assert sub.rows.height == 35


def test_an_unreadable_file_error_survives_pickling(read):
    import pickle

    with pytest.raises(UnreadableFile) as caught:
        read("password_protected.xlsx")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.code, copy.file, copy.reason, str(copy)) == (
        "encrypted",
        "password_protected.xlsx",
        caught.value.reason,
        str(caught.value),
    )


def _readable_fixtures() -> list[Path]:
    folders = [SUBMISSIONS, FIXTURES / "validation", FIXTURES / "libreoffice"]
    return sorted(
        p for folder in folders for p in folder.iterdir() if p.suffix in (".xlsx", ".xls", ".ods", ".csv")
    )


def test_the_cells_the_checks_read_are_the_cells_of_the_frame(catalog, indicator_units):
    """``Submission.cells_of`` reads the cells as read, never building the frame: the same
    cells, order, headers and addresses as the frame landing stores."""
    compared, with_headers = 0, 0
    for path in _readable_fixtures():
        try:
            sub = read_submission(path, catalog.units, indicator_units=indicator_units)
        except UnreadableFile:
            continue
        from_frame = plantrack.reader.cells.cell_rows(sub.cells)
        fresh = read_submission(path, catalog.units, indicator_units=indicator_units)
        for sheet in set(sub.cells["sheet"]):
            assert fresh.cells_of(sheet) == from_frame[sheet], (path.name, sheet)
        assert isinstance(fresh.cell_parts(), list), "cells_of built the frame"
        clone = pickle.loads(pickle.dumps(fresh))  # as a worker sends it back: without the reading
        assert "_cells_by_sheet" not in clone.__dict__
        assert clone.cells_of(sub.cells["sheet"][0]) == from_frame[sub.cells["sheet"][0]]
        compared += 1
        with_headers += any(c.header for rows in from_frame.values() for c in rows)
    assert compared >= 40 and with_headers >= 40
