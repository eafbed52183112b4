"""Hostile or unlucky workbooks are refused in bounded memory and time, with their own message.

Each case is read in a child process: if a guard ever stops working, calamine
aborts that child (a cell at XFD1048576 asks for 512 GB), not the test run,
and the child's peak memory is measured by the kernel (VmHWM).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from plantrack.reader import DEFAULT_LIMITS, ReadLimits, UnreadableFile, read_submission
from tests.conftest import FIXTURES, REPO

SUBMISSIONS = FIXTURES / "submissions"
MAX_RSS_MB = 400  # the interpreter with polars and calamine loaded is about 150 MB
MAX_SECONDS = 20

CHILD = r"""
import json, sys, time
from pathlib import Path
from plantrack.catalog import catalog_from_settings
from plantrack.settings import load_settings
from plantrack.reader import UnreadableFile, read_submission

catalog = catalog_from_settings(load_settings({}))
path = Path(sys.argv[1])
started = time.monotonic()
try:
    sub = read_submission(path, catalog.units)
    result = {"read": True, "rows": sub.rows.height}
except UnreadableFile as exc:
    result = {"read": False, "code": exc.code, "sheet": exc.sheet, "cell": exc.cell,
              "reason": exc.reason, "found": exc.found, "expected": exc.expected,
              "hint": exc.hint}
result["seconds"] = time.monotonic() - started
# VmHWM: this process image's peak (ru_maxrss would carry the parent's over exec)
status = Path("/proc/self/status").read_text()
result["max_rss_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps(result, ensure_ascii=False))
"""


def read_in_child(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert done.returncode == 0, f"the reader died (exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_bounded(result: dict) -> None:
    assert result["max_rss_mb"] < MAX_RSS_MB, result
    assert result["seconds"] < MAX_SECONDS, result


@pytest.mark.parametrize(
    ("name", "cell", "row"),
    [
        ("stray_cell_XFD1048576.xlsx", "XFD1048576", "1,048,576"),
        ("stray_cell_IV65536.xls", "IV65536", "65,536"),
        ("stray_cells_repeated.ods", "XFD1048572", "1,048,572"),
    ],
)
def test_a_stray_far_cell_is_refused_before_calamine_allocates_it(name, cell, row):
    result = read_in_child(SUBMISSIONS / name)
    assert (result["read"], result["code"], result["sheet"], result["cell"]) == (
        False,
        "sheet_too_large",
        "填报",
        cell,
    )
    assert f"在第 {row} 行（{cell}）还有内容" in result["reason"]
    assert "超过 10,000 行的上限" in result["reason"]
    assert result["expected"] == "每个工作表不超过 10,000 行、200 列、200,000 个非空单元格"
    assert f"包括 {cell} 单元格" in result["hint"] and "删除表格下方多余的行" in result["hint"]
    assert_bounded(result)


def test_a_declared_dimension_alone_is_harmless_and_read(catalog):
    # <dimension ref="A1:XFD1048576"/> with ordinary cells: calamine allocates by the cells
    sub = read_submission(SUBMISSIONS / "declared_dimension_XFD1048576.xlsx", catalog.units)
    assert sub.rows.height == len(catalog.indicators_for("huancui"))
    assert sub.issues == []


def _million_rows_xlsx(path: Path, rows: int = 1_000_000) -> Path:
    """A legal workbook of a million rows, written directly (openpyxl would take minutes)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    body = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, rows + 1))
    sheet = (
        f'<worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
        f"<t>指标编号</t></is></c></row>{body}</sheetData></worksheet>"
    )
    members = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="填报" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, text in members.items():
            zf.writestr(name, text.encode("utf-8"))
    return path


def test_a_million_legal_rows_are_refused_in_bounded_memory(tmp_path):
    path = _million_rows_xlsx(tmp_path / "2021Q2_环翠区_百万行.xlsx")
    result = read_in_child(path)
    assert (result["code"], result["sheet"], result["cell"]) == ("sheet_too_large", "填报", "A10001")
    assert "在第 10,001 行（A10001）还有内容" in result["reason"]
    assert_bounded(result)


def test_a_million_row_csv_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "2021Q2_环翠区.csv"
    path.write_text("指标编号,累计完成\n" + "I04-2-2,1\n" * 1_000_000, encoding="utf-8")
    result = read_in_child(path)
    assert (result["code"], result["cell"]) == ("sheet_too_large", "B10001")
    assert_bounded(result)


def test_too_many_columns_and_cells_have_their_own_message(catalog, tmp_path):
    path = tmp_path / "2021Q2_环翠区.csv"
    path.write_text("指标编号,累计完成\n" + ",".join(["1"] * 300) + "\n", encoding="utf-8")
    with pytest.raises(UnreadableFile) as caught:
        read_submission(path, catalog.units)
    exc = caught.value
    assert (exc.code, exc.cell) == ("sheet_too_large", "KN2")
    assert "在第 300 列（KN2）还有内容，超过 200 列的上限" in exc.reason
    assert "删除表格右侧多余的列" in exc.hint
    with pytest.raises(UnreadableFile) as caught:
        read_submission(SUBMISSIONS / "csv_utf8.csv", catalog.units, limits=ReadLimits(max_cells=50))
    assert caught.value.code == "sheet_too_large" and "非空单元格超过 50 个" in caught.value.reason


def test_the_limits_are_read_limits_fields():
    assert (DEFAULT_LIMITS.max_rows, DEFAULT_LIMITS.max_columns, DEFAULT_LIMITS.max_cells) == (
        10_000,
        200,
        200_000,
    )
