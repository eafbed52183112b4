"""Fix-it workbooks: the steward's own file, problems marked and explained, nothing executable."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from plantrack.fixit import LIST_SHEET, write_fixit
from plantrack.issues import Issue, Severity
from plantrack.periods import Quarter
from plantrack.validate import check_file, make_issue
from tests.conftest import SUITES_2021
from tests.fixtures.validation.make_fixtures import MALICIOUS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "validation"
SUBMISSIONS = FIXTURES.parent / "submissions"
Q2 = Quarter(2021, 2)
RED, ORANGE, INPUT_YELLOW = "FF8080", "F4B084", "FFF2CC"


def fixit_for(catalog, source: Path, target_dir: Path):
    verdict = check_file(source, catalog, Q2, SUITES_2021)
    path = write_fixit(source, verdict.issues, target_dir / f"{source.stem}.xlsx")
    return verdict, path, load_workbook(path)


def values(ws) -> dict[str, object]:
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def fill(cell) -> str:
    return (cell.fill.fgColor.rgb or "")[-6:]


def list_rows(wb) -> list[tuple]:
    return [r for r in wb[LIST_SHEET].iter_rows(min_row=6, values_only=True) if r[0]]


def sheet_xml(path: Path, sheet: str) -> str:
    wb = load_workbook(path)
    index = wb.sheetnames.index(sheet) + 1
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")


@pytest.fixture(scope="module")
def malicious(catalog, tmp_path_factory):
    """The fix-it workbook of a file whose value cell holds formula-like text."""
    return fixit_for(catalog, FIXTURES / "formula_text_in_value.xlsx", tmp_path_factory.mktemp("fx"))


def test_the_fixit_workbook_keeps_every_original_value(malicious):
    _, path, wb = malicious
    original = load_workbook(FIXTURES / "formula_text_in_value.xlsx")
    assert wb.sheetnames == [LIST_SHEET, *original.sheetnames]
    for ws in original.worksheets:
        assert values(wb[ws.title]) == values(ws), ws.title
    assert wb["_plantrack"].sheet_state == "veryHidden"  # still recognised when sent back
    assert path.suffix == ".xlsx"


def test_the_problem_cell_is_red_and_its_comment_explains_it(malicious):
    verdict, _, wb = malicious
    [issue] = verdict.issues
    cell = wb["填报"]["E13"]
    assert fill(cell) == RED
    assert cell.comment.author == "plantrack"
    for part in (issue.message, f"填写内容：{MALICIOUS}", "应为：数字", f"修改方法：{issue.hint}"):
        assert part in cell.comment.text
    assert fill(wb["填报"]["E12"]) != RED and wb["填报"]["E12"].comment is None


def test_the_list_links_each_problem_to_its_cell(malicious):
    _, _, wb = malicious
    ws = wb[LIST_SHEET]
    assert wb.active.title == LIST_SHEET
    assert ws["A1"].value == "问题清单：formula_text_in_value.xlsx"
    assert [c.value for c in ws[5]] == [
        "序号",
        "级别",
        "工作表",
        "位置",
        "指标/任务",
        "问题",
        "填写内容",
        "应为",
        "修改方法",
    ]
    assert list_rows(wb)[0][:5] == ("1", "错误", "填报", "E13", "I07-1-1")
    assert ws["D6"].hyperlink.location == "'填报'!E13"


def test_formula_like_text_is_written_as_text_that_stays_text(malicious):
    _, path, wb = malicious
    found = wb[LIST_SHEET]["G6"]
    assert found.value == MALICIOUS
    assert found.data_type == "s" and found.quotePrefix
    assert "<f>" not in sheet_xml(path, LIST_SHEET)
    assert "<f>" not in sheet_xml(path, "填报")
    assert wb["填报"]["E13"].value == MALICIOUS  # the steward's own text, still only text


def test_a_warning_cell_is_orange(catalog, tmp_path):
    _, _, wb = fixit_for(catalog, FIXTURES / "number_as_text.xlsx", tmp_path)
    assert fill(wb["填报"]["E19"]) == ORANGE
    assert list_rows(wb)[0][1] == "警告"


def test_problems_of_one_cause_are_grouped_errors_first_whole_file_first(tmp_path):
    base = {"file": "clean.xlsx", "sheet": "填报", "unit": "huancui"}
    issues = [
        make_issue(
            "number_as_text",
            Severity.WARNING,
            cell=f"E{n}",
            indicator_id=i,
            found=f"{n}家",
            expected=str(n),
            **base,
        )
        for n, i in ((5, "I04-2-2"), (6, "I04-2-3"), (7, "I05-1-2"))
    ]
    issues += [
        make_issue("value_not_number", Severity.ERROR, cell="E8", found="约10项", **base),
        make_issue("missing_indicator", Severity.ERROR, indicator_id="I05-1-3", name="获技术成果", **base),
    ]
    wb = load_workbook(write_fixit(FIXTURES / "clean.xlsx", issues, tmp_path / "f.xlsx"))
    rows = list_rows(wb)
    assert [(r[0], r[1], r[3], r[5]) for r in rows] == [
        ("1", "错误", "整个文件", "缺少指标 I05-1-3（获技术成果）"),
        ("2", "错误", "E8", "“累计完成”应为数字，但填写的是“约10项”"),
        ("3", "警告", "E列（3处）", "E列3个单元格为文本型数字"),
        ("3.1", "警告", "E5", "数字以文本形式填写（“5家”），已按 5 读取"),
        ("3.2", "警告", "E6", "数字以文本形式填写（“6家”），已按 6 读取"),
        ("3.3", "警告", "E7", "数字以文本形式填写（“7家”），已按 7 读取"),
    ]
    ws = wb[LIST_SHEET]
    assert ws["D8"].hyperlink.location == "'填报'!E5"  # the group links to its first cell
    assert ws["D6"].hyperlink is None  # a missing row has no cell to go to
    assert [fill(wb["填报"][c]) for c in ("E5", "E6", "E7", "E8")] == [ORANGE] * 3 + [RED]


def test_a_cell_with_several_problems_is_red_when_any_is_an_error(tmp_path):
    base = {"file": "clean.xlsx", "sheet": "填报", "cell": "E9", "indicator_id": "I05-3-1"}
    issues = [
        Issue("stock_jump", Severity.WARNING, "变化过大", **base),
        Issue("ytd_decreased", Severity.ERROR, "低于上季度", **base),
    ]
    wb = load_workbook(write_fixit(FIXTURES / "clean.xlsx", issues, tmp_path / "f.xlsx"))
    assert fill(wb["填报"]["E9"]) == RED
    assert "变化过大" in wb["填报"]["E9"].comment.text and "低于上季度" in wb["填报"]["E9"].comment.text


def test_a_formula_in_the_original_comes_back_as_the_value_that_was_checked(tmp_path):
    source = tmp_path / "with_formula.xlsx"
    with zipfile.ZipFile(FIXTURES / "clean.xlsx") as src, zipfile.ZipFile(source, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(
                    rb'(<c r="E5"[^>]*>)<v>', rb'\1<f>WEBSERVICE("http://x.invalid")</f><v>', data
                )
                assert n == 1
            dst.writestr(item, data)
    assert load_workbook(source)["填报"]["E5"].data_type == "f"
    path = write_fixit(source, [], tmp_path / "f.xlsx")
    cell = load_workbook(path)["填报"]["E5"]
    assert (cell.value, cell.data_type) == (1, "n")
    assert "WEBSERVICE" not in sheet_xml(path, "填报")


@pytest.mark.parametrize("name", ["value_not_number.xls", "value_not_number_gbk.csv"])
def test_xls_and_csv_files_come_back_as_xlsx_with_the_same_values(catalog, tmp_path, name):
    verdict, path, wb = fixit_for(catalog, FIXTURES / name, tmp_path)
    original = load_workbook(FIXTURES / "value_not_number.xlsx")["填报"]
    ws = wb["填报"]
    assert path.suffix == ".xlsx" and zipfile.is_zipfile(path)
    assert ws["E14"].value == "待统计" and fill(ws["E14"]) == RED
    assert ws["E5"].value == original["E5"].value == 1
    assert ws["A5"].value == "I04-2-2" and ws["B2"].value == "环翠区"
    assert any(r[3] == "E14" for r in list_rows(wb))


def test_after_the_steward_fixes_the_fixit_workbook_the_next_verdict_accepts_it(catalog, tmp_path):
    verdict, path, wb = fixit_for(catalog, FIXTURES / "value_not_number.xlsx", tmp_path)
    assert [i.code for i in verdict.issues] == ["value_not_number"]
    wb["填报"]["E14"] = 3  # the steward follows the comment
    resubmitted = tmp_path / "2021Q2_环翠区_修改后.xlsx"
    wb.save(resubmitted)
    again = check_file(resubmitted, catalog, Q2, SUITES_2021)
    assert again.issues == []
    accepted = again.validation.accepted
    assert accepted.filter(accepted["indicator_id"] == "I07-3-1")["actual"].to_list() == [3.0]
    assert accepted.height == len(catalog.indicators_for("huancui"))


def test_writing_never_leaves_a_half_written_workbook(tmp_path):
    target = tmp_path / "out" / "huancui.xlsx"
    write_fixit(FIXTURES / "clean.xlsx", [], target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["huancui.xlsx"]
    shutil.rmtree(target.parent)


def test_formula_like_text_from_a_csv_is_copied_as_text(catalog, tmp_path):
    text = (FIXTURES / "value_not_number_gbk.csv").read_bytes().decode("gbk")
    source = tmp_path / "2021Q2_环翠区.csv"
    source.write_bytes(text.replace("待统计", "@SUM(1+1)*cmd|' /C calc'!A0").encode("gbk"))
    verdict, path, wb = fixit_for(catalog, source, tmp_path)
    cell = wb["填报"]["E14"]
    assert cell.value == "@SUM(1+1)*cmd|' /C calc'!A0" and cell.data_type == "s" and cell.quotePrefix
    assert isinstance(wb["填报"]["E5"].value, int)  # plain numbers are numbers again
    assert "<f>" not in sheet_xml(path, "填报") and "<f>" not in sheet_xml(path, LIST_SHEET)


# -- built from the unit's template, whatever format she sent ---------------------------


def template_fixit(catalog, source: Path, target_dir: Path):
    verdict = check_file(source, catalog, Q2, SUITES_2021)
    path = write_fixit(
        source,
        verdict.issues,
        target_dir / f"{source.stem}_fixit.xlsx",
        catalog=catalog,
        quarter=Q2,
        unit="huancui",
    )
    return verdict, path, load_workbook(path)


def test_the_warning_orange_is_not_the_input_yellow():
    from plantrack.fixit import ERROR_COLOR, WARNING_COLOR
    from plantrack.template import INPUT_COLOR

    assert len({ERROR_COLOR, WARNING_COLOR, INPUT_COLOR}) == 3
    red, orange, yellow = (
        tuple(int(c[i : i + 2], 16) for i in (0, 2, 4)) for c in (ERROR_COLOR, WARNING_COLOR, INPUT_COLOR)
    )
    assert sum(abs(a - b) for a, b in zip(orange, yellow, strict=True)) > 100  # clearly distinct


@pytest.mark.parametrize(
    "name", ["value_not_number.xls", "value_not_number_gbk.csv", "value_not_number.xlsx"]
)
def test_a_fixit_from_any_format_is_the_template_with_her_values(catalog, tmp_path, name):
    from plantrack.template import write_template

    _, path, wb = template_fixit(catalog, FIXTURES / name, tmp_path)
    template = load_workbook(
        write_template(catalog, catalog.units["huancui"], Q2, tmp_path / "template.xlsx")
    )
    assert wb.sheetnames == [LIST_SHEET, *template.sheetnames]
    ws, blank = wb["填报"], template["填报"]
    assert ws.protection.sheet and wb["重点任务"].protection.sheet
    assert wb["_plantrack"].sheet_state == "veryHidden"
    assert len(ws.data_validations.dataValidation) == len(blank.data_validations.dataValidation)
    assert len(wb["重点任务"].data_validations.dataValidation) == 1  # the status drop-down
    assert ws.column_dimensions["B"].width == blank.column_dimensions["B"].width
    assert fill(ws["E5"]) == INPUT_YELLOW and not ws["E5"].protection.locked
    assert ws["E14"].value == "待统计" and fill(ws["E14"]) == RED
    assert ws["E5"].value == 1 and isinstance(ws["E5"].value, int)  # a number, not text
    for column in "ABCDGH":  # the template's own columns are the template's
        assert [c.value for c in ws[column]] == [c.value for c in blank[column]]


def test_a_percent_read_from_an_ods_keeps_its_percent_format(catalog, tmp_path):
    from tests.fixtures.libreoffice.make_fixtures import HERE as LIBREOFFICE

    source = LIBREOFFICE / "bureau.ods"
    verdict = check_file(source, catalog, Q2, SUITES_2021)
    path = write_fixit(
        source, verdict.issues, tmp_path / "bureau.xlsx", catalog=catalog, quarter=Q2, unit="bureau"
    )
    ws = load_workbook(path)["填报"]
    percent = {
        ws.cell(row=r, column=1).value: (
            ws.cell(row=r, column=5).value,
            ws.cell(row=r, column=5).number_format,
        )
        for r in range(5, ws.max_row + 1)
        if "%" in ws.cell(row=r, column=5).number_format
    }
    assert percent == {"I05-1-4": (0.06, "0%"), "I10-1-3": (0.023, "0.0%")}
    again = check_file(path, catalog, Q2, SUITES_2021)
    read = {r["indicator_id"]: r["actual_value"] for r in again.submission.rows.iter_rows(named=True)}
    assert (read["I05-1-4"], read["I10-1-3"]) == (6.0, 2.3)


def test_her_extra_sheet_and_column_are_kept_and_issues_follow_moved_cells(catalog, tmp_path):
    from tests.fixtures.libreoffice.make_fixtures import HERE as LIBREOFFICE

    verdict, path, wb = template_fixit(catalog, LIBREOFFICE / "huancui.ods", tmp_path)
    assert wb.sheetnames[-1] == "我的统计"
    mine = wb["我的统计"]
    assert (mine["A1"].value, mine["B2"].value, mine["B3"].value) == ("自用统计", 42, 0.035)
    ws = wb["填报"]
    assert [ws[f"I{r}"].value for r in (4, 5, 6)] == ["自填备注", "已核对", 17]
    assert not ws["I5"].protection.locked  # her own column stays editable
    listed = {r[3] for r in list_rows(wb)}
    for issue in verdict.issues:
        if issue.cell:
            assert issue.cell in listed or any(issue.cell in (w or "") for w in listed)


def test_shifted_table_issues_point_at_the_template_cells(catalog, tmp_path):
    source = SUBMISSIONS / "extra_title_and_blank_rows.xlsx"
    issues = [
        make_issue(
            "number_as_text",
            Severity.WARNING,
            file=source.name,
            sheet="填报",
            cell="E14",
            indicator_id="I05-3-1",
            found="x",
            expected="1",
        )
    ]
    path = write_fixit(source, issues, tmp_path / "f.xlsx", catalog=catalog, quarter=Q2, unit="huancui")
    wb = load_workbook(path)
    # her E14 (two rows were inserted above the fourth indicator) is the template's E9
    assert fill(wb["填报"]["E9"]) == ORANGE and wb["填报"]["E9"].comment is not None
    assert wb[LIST_SHEET]["D6"].hyperlink.location == "'填报'!E9"


def test_the_help_texts_name_every_format_and_client(tmp_path):
    from plantrack.fixit import GUIDE
    from plantrack.reader.errors import DEFAULT_HINT, ENCRYPTED_HINT
    from plantrack.template import HELP_TEXT

    for text in ("".join(HELP_TEXT), GUIDE, DEFAULT_HINT):
        for word in ("Excel", "WPS", "LibreOffice", ".xlsx", ".xls", ".ods"):
            assert word in text, (word, text[:40])
    assert ".csv" in "".join(HELP_TEXT) and ".csv" in DEFAULT_HINT
    assert all(word in ENCRYPTED_HINT for word in ("Excel", "WPS", "LibreOffice"))


@pytest.mark.parametrize("name", ["huancui_password.xls", "huancui_password.ods"])
def test_a_file_that_cannot_be_read_gets_the_blank_template_back_with_the_reason(catalog, tmp_path, name):
    from plantrack.template import write_template
    from tests.fixtures.libreoffice.make_fixtures import HERE as LIBREOFFICE

    source = tmp_path / name
    shutil.copyfile(LIBREOFFICE / name, source)
    verdict = check_file(source, catalog, Q2, SUITES_2021)
    assert verdict.unreadable is not None and verdict.unreadable.code == "encrypted"
    out = write_fixit(source, verdict.issues, tmp_path / "fixit.xlsx", catalog=catalog, quarter=Q2)
    wb = load_workbook(out)
    template = load_workbook(
        write_template(catalog, catalog.units["huancui"], Q2, tmp_path / "template.xlsx")
    )
    assert wb.sheetnames == [LIST_SHEET, *template.sheetnames]
    assert wb["_plantrack"].sheet_state == "veryHidden" and wb["填报"].protection.sheet
    assert [c.value for c in wb["填报"]["E"]] == [c.value for c in template["填报"]["E"]]
    listed = " ".join(str(c.value) for row in wb[LIST_SHEET].iter_rows() for c in row if c.value)
    assert "密码" in listed and name in listed


def test_a_damaged_file_of_no_known_unit_gets_the_list_of_problems_alone(tmp_path):
    source = tmp_path / "未命名.xlsx"
    source.write_bytes(b"PK\x03\x04 truncated")
    issue = make_issue("unreadable", file=source.name)
    wb = load_workbook(write_fixit(source, [issue], tmp_path / "fixit.xlsx"))
    assert wb.sheetnames == [LIST_SHEET]


@pytest.mark.parametrize("with_catalog", [True, False], ids=["template", "copy of her file"])
def test_the_same_file_and_problems_give_the_same_bytes_in_every_run(catalog, tmp_path, with_catalog):
    """A run again mails a steward only what changed (by the attachment's bytes): a fix-it
    workbook written again for the same file must not differ by its time of saving."""
    from datetime import UTC, datetime

    source = FIXTURES / "value_not_number.xlsx"
    verdict = check_file(source, catalog, Q2, SUITES_2021)
    received = datetime(2021, 7, 8, 1, 30)
    options = {"catalog": catalog, "quarter": Q2, "unit": "huancui"} if with_catalog else {}

    def written(name: str, issues, saved_at=received) -> bytes:
        return write_fixit(source, issues, tmp_path / name, saved_at=saved_at, **options).read_bytes()

    first = written("first.xlsx", verdict.issues)
    assert written("again.xlsx", verdict.issues) == first
    assert written("aware.xlsx", verdict.issues, received.replace(tzinfo=UTC)) == first
    assert written("fewer.xlsx", verdict.issues[1:]) != first  # other problems: other bytes
    assert written("later.xlsx", verdict.issues, datetime(2021, 7, 9)) != first
    assert load_workbook(tmp_path / "first.xlsx").properties.modified == received
