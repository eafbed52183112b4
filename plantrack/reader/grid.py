"""One sheet as read: calamine's text view of a workbook's sheet, or a CSV's records.

Calamine (through fastexcel, as polars uses it) reads the cached values of
formulas, never evaluates them, never runs macros and never follows external
links. Every non-empty cell is kept with its address and text; the few cells
that are not what their text says (an error, a number made exact) are flagged.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import fastexcel

from plantrack.reader.extent import Extent, grow
from transforms.cleaning import number_text

# a plain decimal in a spreadsheet cell is a number; anything else is text read by rules
PLAIN_DECIMAL = r"^-?(0|[1-9]\d*)(\.\d+)?$"
PLAIN_DECIMAL_RE = re.compile(PLAIN_DECIMAL)


@dataclass
class Grid:
    """One sheet as read.

    ``rows``: non-empty rows as (1-based row number, {0-based column: text}), for
    finding headers and tables. ``at_row``/``at_col``/``texts``: the same cells as
    flat columns, for landing. ``special``: cells that are not what their text
    says (an error, a number made exact, a formula without result) → (kind, number).
    A cell's kind is otherwise read from its text: a plain decimal is a number.
    """

    sheet: str
    rows: list[tuple[int, dict[int, str]]] = field(default_factory=list)
    at_row: list[int] = field(default_factory=list)
    at_col: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    special: dict[tuple[int, int], tuple[str, float | None]] = field(default_factory=dict)
    numeric_text: bool = True  # False for CSV: every field is text, numbers are read from it
    _index: dict[int, dict[int, str]] | None = field(default=None, repr=False)

    def text(self, row: int, col: int) -> str | None:
        if self._index is None:
            self._index = dict(self.rows)
        return self._index.get(row, {}).get(col)

    def kind(self, row: int, col: int) -> str:
        if (row, col) in self.special:
            return self.special[(row, col)][0]
        text = self.text(row, col)
        return "number" if self.numeric_text and text and PLAIN_DECIMAL_RE.match(text) else "text"

    def put(self, row: int, col: int, text: str, kind: str | None, value: float | None) -> None:
        """Set a cell's text (adding the cell if the text view had none); ``kind`` None: by its text."""
        if self.text(row, col) is None:
            self.at_row.append(row)
            self.at_col.append(col)
            self.texts.append(text)
            cells = self._index.setdefault(row, {})
            if not cells:
                self.rows = sorted([*self.rows, (row, cells)])
            cells[col] = text
        else:
            self._index[row][col] = text
            for k, (r, c) in enumerate(zip(self.at_row, self.at_col, strict=True)):
                if (r, c) == (row, col):
                    self.texts[k] = text
                    break
        if kind is not None:
            self.special[(row, col)] = (kind, value)

    def add(self, row: int, col: int, text: str, kind: str, value: float | None) -> None:
        """A cell that is not in the sheet's text view (an error, a formula without result)."""
        self.at_row.append(row)
        self.at_col.append(col)
        self.texts.append(text)
        self.special[(row, col)] = (kind, value)


_CALAMINE_ERRORS = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Ref": "#REF!",
    "Value": "#VALUE!",
    "GettingData": "#GETTING_DATA",
}
_ERROR_DETAIL = re.compile(r"Error\((\w+)\)")
# a number with 15 digits or 7 decimals may have been rounded by the text view: see calamine_grid
_MAYBE_ROUNDED = re.compile(r"^-?(\d{15,}|(0|[1-9]\d*)\.\d{7,})$", re.MULTILINE)


def _error_text(detail: str) -> str | None:
    m = _ERROR_DETAIL.search(detail)
    if not m:
        return None
    return _CALAMINE_ERRORS.get(m.group(1), f"#{m.group(1).upper()}")


def calamine_grid(reader: fastexcel.ExcelReader, sheet: str, exact: bool) -> Grid:
    """A sheet from calamine's text view, error cells flagged.

    The text view rounds numbers to 9 decimals: figures typed by people are
    exact in it, results of formulas may not be. With ``exact``, a sheet holding
    a number with 7 or more decimals (a rounded one almost surely has) or of 15
    digits and more is read a second time as floats, and those numbers replaced.
    """
    as_text = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
    columns = [c.absolute_index for c in as_text.available_columns()]
    batch, errors = as_text.to_arrow_with_errors()
    grid = Grid(sheet)
    cells: dict[int, dict[int, str]] = {}
    at_row, at_col, texts = grid.at_row, grid.at_col, grid.texts
    for j, col in enumerate(columns):
        column = batch.column(j).to_pylist()
        found = [i for i, text in enumerate(column) if text is not None and text.strip()]
        values = [column[i] for i in found]
        rows = [i + 1 for i in found]
        at_row += rows
        at_col += [col] * len(rows)
        texts += values
        for i, text in zip(rows, values, strict=True):
            row = cells.get(i)
            if row is None:
                row = cells[i] = {}
            row[col] = text
    for err in errors.errors if errors else []:
        row, j = err.position
        error = _error_text(err.detail)
        if error is not None:
            cells.setdefault(row + 1, {})[columns[j]] = error
            grid.add(row + 1, columns[j], error, "error", None)
    if exact and _MAYBE_ROUNDED.search("\n".join(texts)):
        _exact_numbers(reader, sheet, columns, cells, grid)
    grid.rows = sorted(cells.items())
    return grid


def _exact_numbers(reader, sheet: str, columns: list[int], cells: dict, grid: Grid) -> None:
    """Replace the rounded text of number cells with the exact float and its shortest text."""
    batch, _ = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="float").to_arrow_with_errors()
    position = {(r, c): k for k, (r, c) in enumerate(zip(grid.at_row, grid.at_col, strict=True))}
    for j, col in enumerate(columns):
        for i, number in enumerate(batch.column(j).to_pylist(), start=1):
            text = cells.get(i, {}).get(col)
            if number is not None and text is not None and PLAIN_DECIMAL_RE.match(text):
                exact = number_text(number)
                grid.texts[position[(i, col)]] = cells[i][col] = exact
                grid.special[(i, col)] = ("number", number)


def csv_grid(text: str, sheet: str, limits=None) -> Grid:
    """A CSV as one sheet: record n is row n, field k is column k (A1-style addresses).

    Every field of a CSV is text; a number in it is read by the same rules as text
    typed into a spreadsheet cell. Reading stops at the first field past the
    ``limits`` (rows, columns, cells): TooLarge.
    """
    extent = Extent()
    sample = text[:8192]
    delimiter = ","
    first_lines = [line for line in sample.splitlines()[:20] if line.strip()]
    counts = {d: sum(line.count(d) for line in first_lines) for d in (",", "\t", ";")}
    if counts and max(counts.values()) > 0:
        delimiter = max(counts, key=counts.get)
    grid = Grid(sheet, numeric_text=False)
    for n, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
        cells = {k: v for k, v in enumerate(record) if v.strip()}
        if cells:
            if limits is not None:
                grow(extent, n, max(cells) + 1, len(cells), limits)
            grid.rows.append((n, cells))
            for k, v in cells.items():
                grid.at_row.append(n)
                grid.at_col.append(k)
                grid.texts.append(v)
    return grid
