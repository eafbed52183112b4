"""Workbooks written by LibreOffice itself read exactly as typed, in every format it saves.

The files in tests/fixtures/libreoffice were made by make_fixtures.py there:
every unit's template, values typed through Calc's own number recognition,
saved as .xlsx, .xls and .ods. The last test runs LibreOffice live: the fix-it
workbook of each is corrected in Calc and sent back.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plantrack.fixit import write_fixit
from plantrack.reader import UnreadableFile, read_submission
from plantrack.validate import check_file
from tests.conftest import SUITES_2021
from tests.fixtures.libreoffice.make_fixtures import HERE, Q2, Typed, corrections, run_typist, typed_plan

FORMATS = ("xlsx", "xls", "ods")


@pytest.fixture(scope="module")
def plan(catalog) -> dict[str, list[Typed]]:
    return typed_plan(catalog)


@pytest.fixture(scope="module")
def indicator_units(catalog) -> dict[str, str]:
    return {i.id: i.unit for i in catalog.indicators}


def as_read(sub) -> dict:
    """Everything a format could get wrong: each value cell, note, task and issue."""
    return {
        "values": {
            r["actual_cell"]: (r["indicator_id"], r["actual_kind"], r["actual_value"], r["actual_code"])
            for r in sub.rows.iter_rows(named=True)
        },
        "notes": {r["indicator_id"]: r["note"] for r in sub.rows.iter_rows(named=True)},
        "tasks": [
            (m["milestone_id"], m["status"], m["note"], m["evidence"])
            for m in sub.milestones.iter_rows(named=True)
        ],
        "issues": sorted((i.code, i.severity, i.sheet, i.cell, i.found) for i in sub.issues),
        "identity": (sub.identity.unit, sub.identity.quarter),
    }


@pytest.mark.parametrize(
    "unit",
    [
        "huancui",
        "wendeng",
        "rongcheng",
        "rushan",
        "gaoqu",
        "jingqu",
        "lingang",
        "zongbao",
        "nanhai",
        "haigaoyuan",
        "bureau",
    ],
)
def test_every_format_libreoffice_saves_reads_the_typed_numbers(catalog, plan, indicator_units, unit):
    read = {
        ext: as_read(read_submission(HERE / f"{unit}.{ext}", catalog.units, indicator_units=indicator_units))
        for ext in FORMATS
    }
    assert read["xls"] == read["xlsx"]
    assert read["ods"] == read["xlsx"]
    values = read["ods"]["values"]
    typed = [t for t in plan[unit] if t.sheet == "填报" and t.cell.startswith("E")]
    assert {t.cell: values[t.cell][2] for t in typed} == {t.cell: t.meant for t in typed}
    assert read["ods"]["identity"] == (unit, Q2)  # the hidden identity sheet survived Calc


def test_what_each_typed_text_became(catalog, indicator_units):
    """LibreOffice's recognition, then the reader's: kind, number and issue of each."""
    for ext in FORMATS:
        sub = read_submission(HERE / f"bureau.{ext}", catalog.units, indicator_units=indicator_units)
        rows = {
            r["actual_cell"]: (r["actual_raw"], r["actual_kind"], r["actual_value"], r["actual_code"])
            for r in sub.rows.iter_rows(named=True)
        }
        assert rows["E5"] == ("12个", "text", 12.0, "number_as_text")
        assert rows["E6"] == ("1200", "number", 1200.0, None)  # “1,200”: Calc made it a number
        assert rows["E7"] == ("１２", "text", 12.0, "number_as_text")
        assert rows["E8"] == ("55", "number", 55.0, None)  # “=27+28”: its cached result
        assert rows["E9"] == ("#DIV/0!", "error", None, "excel_error")  # “=1/0”: never empty
        assert rows["E10"] == (None, "empty", None, "empty")
        percent = {
            r["indicator_id"]: (r["actual_kind"], r["actual_value"])
            for r in sub.rows.iter_rows(named=True)
            if r["expected_unit"] in ("%", "个百分点")
        }
        assert percent == {
            "I05-1-4": ("percent", 6.0),
            "I10-1-3": ("percent", 2.3),
            "I10-3-1": ("number", 0.5),
        }, ext
        note = sub.rows.filter(sub.rows["note"].str.starts_with("2021")).row(0, named=True)
        assert note["note"] == "2021-06-30 00:00:00", ext  # a date note, the same in every format


@pytest.mark.parametrize("name", ["huancui_password.xls", "huancui_password.ods"])
def test_a_password_set_in_libreoffice_is_called_encrypted(catalog, name):
    with pytest.raises(UnreadableFile) as caught:
        read_submission(HERE / name, catalog.units)
    assert caught.value.code == "encrypted" and "打开密码" in caught.value.reason
    assert "LibreOffice" in caught.value.hint


def test_csv_saved_by_libreoffice_in_utf8_and_gbk_read_the_same_numbers(catalog, indicator_units):
    workbook = read_submission(HERE / "huancui.xlsx", catalog.units, indicator_units=indicator_units).rows
    expected = dict(zip(workbook["indicator_id"], workbook["actual_value"], strict=True))
    for name, encoding in (("huancui_utf8.csv", "utf-8"), ("huancui_gbk.csv", "gb18030")):
        sub = read_submission(HERE / name, catalog.units, indicator_units=indicator_units)
        assert sub.encoding == encoding
        assert dict(zip(sub.rows["indicator_id"], sub.rows["actual_value"], strict=True)) == expected


def test_a_csv_saved_in_a_western_encoding_says_the_chinese_was_lost(catalog):
    with pytest.raises(UnreadableFile) as caught:
        read_submission(HERE / "huancui_western.csv", catalog.units)
    exc = caught.value
    assert exc.code == "chinese_lost"
    assert "中文已丢失，请另存为 UTF-8 或 GBK 编码" in exc.reason
    assert "????" in exc.found


# -- live: the fix-it workbook corrected in LibreOffice and sent back ---------------------


def test_fixit_workbooks_corrected_in_libreoffice_load_exactly(catalog, plan, tmp_path):
    suites = SUITES_2021
    jobs, cases = [], []
    for unit, ext in (("huancui", "xlsx"), ("huancui", "xls"), ("huancui", "ods"), ("bureau", "ods")):
        source = tmp_path / f"{unit}.{ext}"
        shutil.copyfile(HERE / f"{unit}.{ext}", source)
        first = check_file(source, catalog, Q2, suites)
        fixit = write_fixit(
            source,
            first.issues,
            tmp_path / f"{unit}_{ext}_fixit.xlsx",
            catalog=catalog,
            quarter=Q2,
            unit=unit,
        )
        edits, fixed = corrections(first, plan[unit])
        assert edits  # there is something to correct
        resent = tmp_path / f"2021Q2_{unit}_{ext}_修改后.xlsx"
        jobs.append(
            {"source": str(fixit), "edits": edits, "outputs": [[str(resent), "Calc MS Excel 2007 XML", {}]]}
        )
        meant = {r["indicator_id"]: r["actual_value"] for r in first.submission.rows.iter_rows(named=True)}
        cases.append((unit, ext, resent, meant | fixed))
    run_typist(jobs, tmp_path)
    for unit, ext, resent, expected in cases:
        again = check_file(resent, catalog, Q2, suites)
        got = {r["indicator_id"]: r["actual_value"] for r in again.submission.rows.iter_rows(named=True)}
        assert got == expected, (unit, ext)
        assert not [i for i in again.issues if i.is_error], (unit, ext)
        assert not [i for i in again.issues if i.code == "number_as_text"], (unit, ext)
        assert again.submission.identity.unit == unit
        accepted = again.validation.accepted
        assert accepted.height == len(catalog.indicators_for(unit)), (unit, ext)


def test_the_fixtures_are_the_ones_the_script_makes():
    names = sorted(p.name for p in Path(HERE).iterdir() if p.suffix in (".xlsx", ".xls", ".ods", ".csv"))
    units = [
        "bureau",
        "gaoqu",
        "haigaoyuan",
        "huancui",
        "jingqu",
        "lingang",
        "nanhai",
        "rongcheng",
        "rushan",
        "wendeng",
        "zongbao",
    ]
    expected = sorted(
        [f"{u}.{ext}" for u in units for ext in FORMATS]
        + [
            "huancui_password.xls",
            "huancui_password.ods",
            "huancui_utf8.csv",
            "huancui_gbk.csv",
            "huancui_western.csv",
        ]
    )
    assert names == expected
