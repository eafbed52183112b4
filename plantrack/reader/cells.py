"""Every non-empty cell with its provenance: sheet, address, header, record, kind, number.

Any figure can be traced back to the cell it came from. The cells of a sheet
stay in its grid's flat columns until a frame is needed; then the cells of many
files are made into one frame at once, the per-cell work done by polars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import polars as pl

from plantrack.reader.books import Book
from plantrack.reader.grid import PLAIN_DECIMAL, PLAIN_DECIMAL_RE, Grid
from plantrack.reader.tables import Header, TableRow
from transforms.cleaning import column_letter, parse_number

NUMERIC_KEYS = ("actual", "target", "stretch")  # columns where a typed figure belongs
CELL_SCHEMA = {
    "sheet": pl.String,
    "row_number": pl.Int32,
    "column_letter": pl.String,
    "column_number": pl.Int32,
    "cell": pl.String,
    "header": pl.String,
    "record_key": pl.String,
    "raw_text": pl.String,
    "value_kind": pl.String,
    "parsed_value": pl.Float64,
    "parse_code": pl.String,
}


@dataclass
class SheetCells:
    """Every non-empty cell of one sheet, and how its table maps onto them.

    The cells stay in the grid's flat columns; the table adds, by row, the
    record (indicator or task id) and, by column, the canonical header, and a
    few cells are re-read (``overrides``: a percent, a number typed as text).
    Frames are made from many of these at once (``cells_frame``).
    """

    grid: Grid
    records: dict[int, str | None] = field(default_factory=dict)  # table row → record key
    headers: dict[int, str] = field(default_factory=dict)  # column → canonical key
    overrides: dict[tuple[int, int], tuple[str, float | None, str | None]] = field(
        default_factory=dict
    )  # (row, column) → (kind, number, parse code)


def sheet_cells(grid: Grid, header: Header, table: list[TableRow], units: dict[int, str]) -> SheetCells:
    """A sheet's cells with its table mapped onto them (``units``: table row → unit of measure)."""
    cells = SheetCells(
        grid, {r.row_number: r.key or None for r in table}, {c: k for k, c in header.columns.items()}
    )
    for key in NUMERIC_KEYS:  # text typed where a number belongs: read it as a person would
        col = header.columns.get(key)
        if col is None:
            continue
        for r in table:
            text = r.values.get(key)
            if (
                text is None
                or (r.row_number, col) in grid.special
                or (grid.numeric_text and PLAIN_DECIMAL_RE.match(text))
            ):
                continue
            parsed = parse_number(text, units.get(r.row_number, ""))
            cells.overrides[(r.row_number, col)] = ("text", parsed.value, parsed.code)
    return cells


def plain_cells(book: Book, sheet: str) -> list[SheetCells]:
    """A sheet outside any table (the identity sheet), kept for provenance."""
    return [SheetCells(book.grid(sheet))] if sheet in book.sheet_names else []


def cells_frame(files: list[tuple[str | None, list[SheetCells]]]) -> pl.DataFrame:
    """One frame of every cell of many files (``file_hash`` first when hashes are given).

    The per-cell work is done by polars on whole columns: kinds and numbers are
    read from the text, a table's records and headers and the re-read cells are
    joined on, addresses are built from numbers.
    """
    names: list[str] = []
    columns: dict[str, list] = {"f": [], "s": [], "r": [], "c": [], "raw_text": [], "numeric": []}
    records, headers, overrides = [], [], []
    for f, (_, parts) in enumerate(files):
        for part in parts:
            g = part.grid
            s = len(names)
            names.append(g.sheet)
            n = len(g.at_row)
            columns["f"] += [f] * n
            columns["s"] += [s] * n
            columns["r"] += g.at_row
            columns["c"] += g.at_col
            columns["raw_text"] += g.texts
            columns["numeric"] += [g.numeric_text] * n
            records += [(f, s, row, key) for row, key in part.records.items()]
            headers += [(f, s, col, key) for col, key in part.headers.items()]
            special = {k: (kind, value, None) for k, (kind, value) in g.special.items()}
            overrides += [(f, s, r, c, *o) for (r, c), o in (special | part.overrides).items()]
    if not columns["r"]:
        return pl.DataFrame(schema={"file_hash": pl.String, **CELL_SCHEMA})
    types = {
        "f": pl.Int32,
        "s": pl.Int32,
        "r": pl.Int32,
        "c": pl.Int32,
        "raw_text": pl.String,
        "numeric": pl.Boolean,
    }
    frame = pl.DataFrame([pl.Series(k, v, dtype=types[k]) for k, v in columns.items()])
    key = ["f", "s", "r"]
    frame = (
        frame.join(_small(records, [*key, "record_key"], types), on=key, how="left")
        .join(_small(headers, ["f", "s", "c", "header"], types), on=["f", "s", "c"], how="left")
        .join(
            _small(overrides, [*key, "c", "o_kind", "o_value", "o_code"], types), on=[*key, "c"], how="left"
        )
    )
    number = pl.col("numeric") & pl.col("raw_text").str.contains(PLAIN_DECIMAL)
    letters = pl.col("c").replace_strict(
        {c: column_letter(c) for c in set(columns["c"])}, return_dtype=pl.String
    )
    frame = (
        frame.sort("f", "s", "r", "c")
        .with_columns(
            sheet=pl.col("s").replace_strict(dict(enumerate(names)), return_dtype=pl.String),
            row_number=pl.col("r"),
            column_letter=letters,
            column_number=pl.col("c") + 1,
            header=pl.when(pl.col("in_table")).then(pl.col("header")),
            value_kind=pl.coalesce(
                "o_kind", pl.when(number).then(pl.lit("number")).otherwise(pl.lit("text"))
            ),
            parsed_value=pl.when(pl.col("o_kind").is_not_null())
            .then(pl.col("o_value"))
            .when(number)
            .then(pl.col("raw_text").cast(pl.Float64, strict=False)),
            parse_code=pl.col("o_code"),
        )
        .with_columns(cell=pl.concat_str("column_letter", pl.col("row_number").cast(pl.String)))
    )
    hashes = dict(enumerate(h for h, _ in files))
    if all(h is None for h in hashes.values()):
        return frame.select(list(CELL_SCHEMA))
    file_hash = pl.col("f").replace_strict(hashes, return_dtype=pl.String).alias("file_hash")
    return frame.select(file_hash, *CELL_SCHEMA)


class CellRow(NamedTuple):
    """One cell of a sheet as the checks read it: a row of ``cells_frame``'s columns."""

    row_number: int
    column_letter: str
    cell: str
    header: str | None
    raw_text: str | None


def cell_rows(cells: list[SheetCells] | pl.DataFrame) -> dict[str, list[CellRow]]:
    """Sheet → its cells as ``CellRow``s, in the order and with the values ``cells_frame``
    gives them (by row, then column; a header only on a row of the table), from the cells
    as read or from a frame built already."""
    by_sheet: dict[str, list[CellRow]] = {}
    if isinstance(cells, pl.DataFrame):
        for sheet, *rest in cells.select("sheet", *CellRow._fields).iter_rows():
            by_sheet.setdefault(sheet, []).append(CellRow(*rest))
        return by_sheet
    letters: dict[int, str] = {}
    for part in cells:
        g = part.grid
        rows = by_sheet.setdefault(g.sheet, [])
        for r, c, text in sorted(zip(g.at_row, g.at_col, g.texts, strict=True), key=lambda t: (t[0], t[1])):
            if c not in letters:
                letters[c] = column_letter(c)
            letter = letters[c]
            header = part.headers.get(c) if r in part.records else None
            rows.append(CellRow(r, letter, f"{letter}{r}", header, text))
    return by_sheet


def _small(rows: list[tuple], names: list[str], types: dict) -> pl.DataFrame:
    """A small lookup frame (records, headers, re-read cells) with join-compatible types."""
    dtypes = {
        **types,
        "record_key": pl.String,
        "header": pl.String,
        "o_kind": pl.String,
        "o_value": pl.Float64,
        "o_code": pl.String,
        "in_table": pl.Boolean,
    }
    frame = pl.DataFrame(rows, schema={n: dtypes[n] for n in names}, orient="row")
    if "record_key" in names:
        frame = frame.with_columns(in_table=pl.lit(True))
    return frame


def frame_from_rows(rows: list[tuple], schema: dict) -> pl.DataFrame:
    """Row tuples to a frame, one typed Series per column (several times faster than
    handing polars a dict with a schema to check)."""
    if not rows:
        return pl.DataFrame(schema=schema)
    columns = zip(*rows, strict=True)
    return pl.DataFrame(
        [
            pl.Series(name, values, dtype=dtype)
            for (name, dtype), values in zip(schema.items(), columns, strict=True)
        ]
    )
