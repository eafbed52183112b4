"""How far an .xlsx sheet's cells reach, as the guard measures it before calamine reads it.

The scan must count what calamine would place (cells holding a value, an inline
string or a formula, at their ``r`` or after the cell before) and stop at the
first cell past a limit; these cases pin each part of that, written as the XML a
hostile or unusual writer could produce.
"""

from __future__ import annotations

import io
from xml.parsers import expat

import pytest

from plantrack.reader import extent as extent_module
from plantrack.reader.extent import TooLarge, check_xlsx_sheet, xlsx_extent
from plantrack.reader.formats import UnsafeXml, safe_parser
from plantrack.reader.guards import DEFAULT_LIMITS, ReadLimits

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def scan(rows: str, ns: str = MAIN, prefix: str = "", limits: ReadLimits = DEFAULT_LIMITS):
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{ns}"' if prefix else f'xmlns="{ns}"'
    xml = f'<?xml version="1.0"?><{p}worksheet {xmlns}><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>'
    return xlsx_extent(io.BytesIO(xml.encode()), limits, safe_parser)


def facts(extent) -> tuple[int, int, int, str]:
    return extent.rows, extent.columns, extent.cells, extent.far_cell


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # explicit references: the farthest row and column, each cell counted once
        (
            '<row r="1"><c r="A1"><v>1</v></c><c r="C1" t="s"><v>0</v></c></row>'
            '<row r="7"><c r="B7"><f>A1</f></c></row>',
            (7, 3, 3, "B7"),
        ),
        # a cell without r follows the one before it; a row without r follows the row before
        (
            '<row r="4"><c r="B4"><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row><row><c><v>4</v></c></row>',
            (5, 4, 4, "A5"),
        ),
        # styled empty cells hold nothing: calamine places no value there
        ('<row r="1"><c r="A1"><v>1</v></c><c r="GZ9000" s="3"/></row>', (1, 1, 1, "A1")),
        # an inline string counts, once, however many runs it has
        (
            '<row r="2"><c r="E2" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c></row>',
            (2, 5, 1, "E2"),
        ),
        # $-anchored and lower-case references read as Excel reads them
        ('<row r="3"><c r="$d$3"><v>1</v></c></row>', (3, 4, 1, "D3")),
        # a reference that is not one follows the cell before
        ('<row r="2"><c r="B2"><v>1</v></c><c r="ZZZZZ2"><v>1</v></c></row>', (2, 3, 2, "C2")),
        # a row reference that is not a number follows the row before
        ('<row r="5"><c r="A5"><v>1</v></c></row><row r="x"><c><v>1</v></c></row>', (6, 1, 2, "A6")),
        # the position is the cell's own, taken where the cell starts
        ('<row r="1"><c r="A1"><row r="9000"/><v>1</v></c></row>', (1, 1, 1, "A1")),
        # a value after its cell was counted is not a second cell
        ('<row r="1"><c r="A1"><f>1</f><v>1</v></c></row>', (1, 1, 1, "A1")),
    ],
)
def test_the_scan_places_cells_as_calamine_does(rows, expected):
    assert facts(scan(rows)) == expected


@pytest.mark.parametrize(("ns", "prefix"), [(MAIN, ""), (MAIN, "x"), (STRICT, ""), (STRICT, "s")])
def test_any_namespace_and_prefix_is_the_same_sheet(ns, prefix):
    p = f"{prefix}:" if prefix else ""
    rows = f'<{p}row r="3"><{p}c r="F3"><{p}v>1</{p}v></{p}c><{p}c><{p}v>2</{p}v></{p}c></{p}row>'
    assert facts(scan(rows, ns, prefix)) == (3, 7, 2, "G3")


def test_a_cell_past_each_limit_stops_the_scan_there():
    limits = ReadLimits(max_rows=10, max_columns=5, max_cells=3)
    with pytest.raises(TooLarge) as caught:
        scan('<row r="11"><c r="A11"><v>1</v></c><c r="B11"><v>1</v></c></row>', limits=limits)
    assert (caught.value.what, facts(caught.value.extent)) == ("rows", (11, 1, 1, "A11"))
    with pytest.raises(TooLarge) as caught:
        scan('<row r="1"><c r="E1"><v>1</v></c><c><v>1</v></c><c><v>1</v></c></row>', limits=limits)
    assert (caught.value.what, facts(caught.value.extent)) == ("columns", (1, 6, 2, "F1"))
    with pytest.raises(TooLarge) as caught:
        scan("".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(1, 6)), limits=limits)
    assert (caught.value.what, facts(caught.value.extent)) == ("cells", (4, 1, 4, "A4"))


def test_the_far_cell_is_the_one_that_reached_farthest_last():
    # E2 is farther right than anything after it, A9 farther down: the last to grow either wins
    extent = scan('<row r="2"><c r="E2"><v>1</v></c></row><row r="9"><c r="A9"><v>1</v></c></row>')
    assert facts(extent) == (9, 5, 2, "A9")


def test_a_declared_entity_is_refused():
    xml = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e "x">]><worksheet/>'
    with pytest.raises(UnsafeXml):
        xlsx_extent(io.BytesIO(xml), DEFAULT_LIMITS, safe_parser)


# -- the proof that a sheet is inside the limits, and its way back to the scan ------------

TINY = ReadLimits(max_rows=10, max_columns=5, max_cells=20)


def check(xml: bytes, limits: ReadLimits = TINY) -> None:
    check_xlsx_sheet(io.BytesIO(xml), limits, safe_parser)


def sheet(rows: str, declaration: str = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>') -> bytes:
    return f'{declaration}<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'.encode()


def test_a_plain_sheet_is_proven_without_the_scan(monkeypatch):
    def no_scan(*args):
        raise AssertionError("the scan ran")

    monkeypatch.setattr(extent_module, "xlsx_extent", no_scan)
    check(
        sheet(
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="E1" s="2"/></row><row r="10"><c r="B10"><v>3</v></c></row>'
        )
    )
    check(sheet(""))  # no cell at all
    check(sheet('<row r="1" spans="1:2"><c r="B1" s="1" t="n"><v>1</v></c></row>', declaration=""))


@pytest.mark.parametrize(
    ("rows", "what"),
    [
        ('<row r="11"><c r="A11"><v>1</v></c></row>', "rows"),
        ('<row r="1"><c r="F1"><v>1</v></c></row>', "columns"),
        ('<row r="1"><c r="AA1"><v>1</v></c></row>', "columns"),
        ('<row r="1"><c r="XFD1048576"><v>1</v></c></row>', "rows"),
        (
            "".join(
                f'<row r="{n}"><c r="A{n}"><v>1</v></c><c r="B{n}"><v>1</v></c><c r="C{n}"><v>1</v></c></row>'
                for n in range(1, 9)
            ),
            "cells",
        ),
        # spellings the proof does not read: each goes to the scan, which finds the far cell
        ('<row r="1"><c r="E1"><v>1</v></c><c><v>1</v></c></row>', "columns"),
        ('<row r="11"><!-- <row r="1"> --><c><v>1</v></c></row>', "rows"),
        ('<row r="1"><c r="&#70;1"><v>1</v></c></row>', "columns"),
        ('<row r="1"><c t=">" r="F1"><v>1</v></c></row>', "columns"),
        ("<row r='1'><c r = 'F1' ><v>1</v></c></row>", "columns"),
        ('<row r="1"><c r="f1"><v>1</v></c></row>', "columns"),
        ('<row r="1"><c r="$F$1"><v>1</v></c></row>', "columns"),
        ('<row r="1"><c s="1" r="F1"><v>1</v></c></row>', "columns"),
        ('<row r="1"><c  r="F1"><v>1</v></c></row>', "columns"),
        ('<row r="1"><?pi <c r="A1"/> ?><c r="F1"><v>1</v></c></row>', "columns"),
        ('<row r="1"><c r="E1"><is><t><![CDATA[<c r="A1"/>]]></t></is></c><c><v>1</v></c></row>', "columns"),
    ],
)
def test_a_cell_past_the_limits_is_found_however_it_is_written(rows, what):
    with pytest.raises(TooLarge) as caught:
        check(sheet(rows))
    assert caught.value.what == what


def test_a_sheet_in_another_encoding_is_scanned():
    xml = sheet('<row r="1"><c r="F1"><v>1</v></c></row>', '<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(TooLarge):
        check(xml.decode().encode("utf-16"))
    latin = sheet('<row r="1"><c r="F1"><v>é</v></c></row>', '<?xml version="1.0" encoding="ISO-8859-1"?>')
    with pytest.raises(TooLarge):
        check(latin.decode().encode("latin-1"))


def test_a_far_cell_that_holds_nothing_is_not_refused():
    # the proof cannot place the styled empty cell inside the limits; the scan knows it is empty
    check(sheet('<row r="1"><c r="A1"><v>1</v></c><c r="A20000" s="1"/></row>'))


def test_a_sheet_part_larger_than_the_proof_reads_is_scanned(monkeypatch):
    monkeypatch.setattr(extent_module, "PROOF_BYTES", 64)
    check(sheet('<row r="1"><c r="A1"><v>1</v></c></row>'))
    with pytest.raises(TooLarge):
        check(sheet('<row r="11"><c r="A11"><v>1</v></c></row>'))


def test_xml_expat_refuses_is_refused_by_the_proof_too():
    with pytest.raises(expat.ExpatError):
        check(sheet('<row r="1"><c r="A1"><v>1</v></row>'))
    with pytest.raises(UnsafeXml):
        check(b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e "x">]><worksheet/>')


@pytest.mark.parametrize("ref", ["A0", "A01", "a1", "$A$1", "AAA1"])
def test_a_reference_excel_never_writes_goes_to_the_scan(monkeypatch, ref):
    scanned = []
    monkeypatch.setattr(extent_module, "xlsx_extent", lambda *args: scanned.append(ref))
    check(sheet(f'<row r="1"><c r="{ref}"><v>1</v></c></row>'))
    assert scanned == [ref]


def test_the_proof_finds_the_farthest_column_among_one_and_two_letters(monkeypatch):
    wide = ReadLimits(max_rows=10, max_columns=27, max_cells=20)  # AA is column 27
    scanned = []
    monkeypatch.setattr(extent_module, "xlsx_extent", lambda *args: scanned.append(args))
    check(sheet('<row r="1"><c r="Z1"><v>1</v></c><c r="AA1"><v>1</v></c><c r="B1"><v>1</v></c></row>'), wide)
    assert scanned == []  # proven: Z (26) and AA (27) are inside
    check(sheet('<row r="1"><c r="Z1"><v>1</v></c><c r="AB1"><v>1</v></c></row>'), wide)
    assert len(scanned) == 1  # AB (28) is past the limit: the scan decides
