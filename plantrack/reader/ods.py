"""What calamine does not say about an .ods, read from its content.xml in one streaming pass.

LibreOffice stores “6%” as 0.06 of value type percentage (or with a percentage
data style), “=1/0” as a formula cell whose cached result is an error (text
#DIV/0!, no number: calamine gives an empty string), and a date as its ISO
value. One expat pass over content.xml, every DTD refused, gives per sheet:
how far its cells reach (rows and columns with their repeat counts, for the
limits checked before calamine reads anything) and the few cells whose value
is not what calamine's text says (percent, error, formula, date). A password
is seen in META-INF/manifest.xml, before anything else is read.
"""

from __future__ import annotations

import contextlib
import zipfile
from dataclasses import dataclass, field

from plantrack.reader.extent import Extent, TooLarge, grow
from plantrack.reader.formats import safe_parser

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_NUMBER = "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_TEXT_P = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 p"
_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"


@dataclass(frozen=True)
class OdsCell:
    """One cell whose value calamine's text view does not tell."""

    formula: str | None  # without its "of:" namespace, e.g. "=1/0"
    value_type: str | None  # float, percentage, date, string … (None: no cached value)
    error: str | None  # "#DIV/0!" when the cached result is an error
    percent: bool
    date_value: str | None


@dataclass
class OdsSheet:
    extent: Extent = field(default_factory=Extent)
    cells: dict[tuple[int, int], OdsCell] = field(default_factory=dict)  # (row, col), 1-based
    too_large: TooLarge | None = None


def is_encrypted(archive: zipfile.ZipFile) -> bool:
    """An .ods saved with a password lists encryption-data for its parts in the manifest."""
    found = []

    def start(name, attrs):
        if name == f"{_MANIFEST} encryption-data":
            found.append(True)

    with contextlib.suppress(KeyError):
        safe_parser(start).Parse(archive.read("META-INF/manifest.xml"), True)
    return bool(found)


def _percent_styles(archive: zipfile.ZipFile, parts: tuple[str, ...]) -> tuple[set, dict]:
    """(percentage data styles, cell style → data style) from styles.xml (content.xml's come inline)."""
    percent: set[str] = set()
    data_style: dict[str, str] = {}
    for part in parts:
        with contextlib.suppress(KeyError):
            safe_parser(_style_handler(percent, data_style)).Parse(archive.read(part), True)
    return percent, data_style


def _style_handler(percent: set, data_style: dict):
    def start(name, attrs):
        if name == f"{_NUMBER} percentage-style":
            percent.add(attrs.get(f"{_STYLE} name", ""))
        elif name == f"{_STYLE} style" and attrs.get(f"{_STYLE} family") == "table-cell":
            linked = attrs.get(f"{_STYLE} data-style-name")
            if linked:
                data_style[attrs.get(f"{_STYLE} name", "")] = linked

    return start


def _repeat(attrs: dict, name: str) -> int:
    value = attrs.get(f"{_TABLE} {name}", "1")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def read_content(archive: zipfile.ZipFile, limits) -> dict[str, OdsSheet]:
    """Every sheet's extent and notable cells, in one pass over content.xml.

    A sheet past the limits keeps its TooLarge and its further cells are skipped;
    the pass goes on so that the other sheets are still known.
    """
    percent, data_style = _percent_styles(archive, ("styles.xml",))
    style_start = _style_handler(percent, data_style)
    sheets: dict[str, OdsSheet] = {}
    st = {"sheet": None, "depth": 0, "row": 0, "rows": 1, "col": 0, "cell": None, "text": None}

    def start(name, attrs):
        sheet: OdsSheet | None = st["sheet"]
        if name == f"{_TABLE} table":
            st["depth"] += 1
            if st["depth"] == 1:
                st["sheet"] = sheets.setdefault(attrs.get(f"{_TABLE} name", ""), OdsSheet())
                st["row"] = 0
            return
        if sheet is None or st["depth"] != 1:
            if sheet is None:
                style_start(name, attrs)
            return
        if name == f"{_TABLE} table-row":
            st["rows"], st["col"] = _repeat(attrs, "number-rows-repeated"), 0
        elif name in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell"):
            cols = _repeat(attrs, "number-columns-repeated")
            first_col, st["col"] = st["col"] + 1, st["col"] + cols
            st["cell"] = None
            value_type = attrs.get(f"{_OFFICE} value-type")
            formula = attrs.get(f"{_TABLE} formula")
            if (value_type is None and formula is None) or sheet.too_large is not None:
                return
            first_row, rows = st["row"] + 1, st["rows"]
            try:
                grow(sheet.extent, first_row + rows - 1, st["col"], rows * cols, limits)
            except TooLarge as exc:
                sheet.too_large = exc
                return
            style = attrs.get(f"{_TABLE} style-name", "")
            is_percent = value_type == "percentage" or data_style.get(style) in percent
            error = attrs.get(f"{_CALCEXT} value-type") == "error"
            if formula is None and not is_percent and value_type != "date" and not error:
                return
            if formula is not None:
                formula = (
                    "=" + formula.split(":", 1)[1].lstrip("=")
                    if formula.startswith(("of:", "oooc:", "msoxl:"))
                    else formula
                )
            facts = OdsCell(
                formula, value_type, "" if error else None, is_percent, attrs.get(f"{_OFFICE} date-value")
            )
            st["cell"] = [(first_row, first_col, rows, cols), facts]
            if error:
                st["text"] = []
            else:
                _store(sheet, st["cell"])
        elif name == _TEXT_P and st["text"] is not None and st["text"]:
            st["text"].append("\n")

    def end(name):
        if name == f"{_TABLE} table":
            st["depth"] -= 1
            if st["depth"] == 0:
                st["sheet"] = None
        elif st["depth"] != 1:
            return
        elif name == f"{_TABLE} table-row":
            st["row"] += st["rows"]
        elif name == f"{_TABLE} table-cell" and st["text"] is not None:
            span, facts = st["cell"]
            text = "".join(st["text"]).strip() or "#VALUE!"
            st["cell"] = [
                span,
                OdsCell(facts.formula, facts.value_type, text, facts.percent, facts.date_value),
            ]
            _store(st["sheet"], st["cell"])
            st["text"] = None

    def chars(data):
        if st["text"] is not None:
            st["text"].append(data)

    parser = safe_parser(start, end, chars)
    with archive.open("content.xml") as stream:
        while chunk := stream.read(1 << 16):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return sheets


def _store(sheet: OdsSheet, cell: list) -> None:
    (row, col, rows, cols), facts = cell
    for r in range(row, row + rows):
        for c in range(col, col + cols):
            sheet.cells[(r, c)] = facts


def date_text(value: str) -> str:
    """An ODS date value as calamine writes an .xlsx date: 2021-06-30 → 2021-06-30 00:00:00."""
    day, _, clock = value.partition("T")
    clock = clock.split(".", 1)[0] or "00:00:00"
    return f"{day} {clock}"
