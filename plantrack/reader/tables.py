"""A table inside a sheet: its header row (or pair of rows) and the rows under it.

Headers are found by their titles, not their position: exact synonyms first,
then loose rules, in the first rows of the sheet; a two-row header (a title
merged over sub-titles) is read as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plantrack.reader.grid import PLAIN_DECIMAL_RE, Grid
from transforms.cleaning import (
    LooseRules,
    column_letter,
    is_trailing_row,
    match_header,
    match_header_loosely,
    normalize_text,
)

HEADER_SCAN_ROWS = 30  # a header (or a 填报单位： label) is in the first rows of a sheet
ID_PATTERN = re.compile(r"^[IM]\d{2}-\d")


@dataclass(frozen=True)
class Header:
    first_row: int
    last_row: int  # a two-row header (merged cells) ends one row lower
    columns: dict[str, int]  # canonical key → 0-based column
    titles: dict[str, str]  # canonical key → the title as written


def _column_titles(top: dict[int, str], below: dict[int, str] | None) -> dict[int, list[str]]:
    """Candidate titles per column, most specific first.

    With a two-row header, a sub-title sits under a parent merged across several
    columns; calamine gives the parent text only in its first column, so the
    nearest parent to the left is carried over (and used only with the child).
    """
    if below is None:
        return {c: [t] for c, t in top.items()}
    titles: dict[int, list[str]] = {}
    for col in sorted(set(top) | set(below)):
        own, child = top.get(col), below.get(col)
        parent = own or next((top[c] for c in sorted(top, reverse=True) if c < col), None)
        options = [child] if child else []
        if child and parent:
            options.append(f"{parent}{child}")
        if own:
            options.append(own)
        titles[col] = options
    return titles


def _assign(titles: dict[int, list[str]], synonyms, rules: LooseRules) -> dict[str, tuple[int, str]]:
    """Key → (column, title): exact titles first, then loose ones for what is left."""
    mapping: dict[str, tuple[int, str]] = {}
    for col in sorted(titles):
        for title in titles[col]:
            key = match_header(title, synonyms)
            if key and key not in mapping:
                mapping[key] = (col, title)
                break
    taken = {c for c, _ in mapping.values()}
    for col in sorted(titles):
        if col in taken:
            continue
        for title in titles[col]:
            key = match_header_loosely(title, rules)
            if key and key not in mapping:
                mapping[key] = (col, title)
                break
    return mapping


def _continues_header(cells: dict[int, str], synonyms, rules: LooseRules) -> bool:
    """A second header row: titles only, at least one known, no ids or figures."""
    texts = [normalize_text(t) for t in cells.values()]
    if any(ID_PATTERN.match(t) or PLAIN_DECIMAL_RE.match(t) for t in texts):
        return False
    return any(match_header(t, synonyms) or match_header_loosely(t, rules) for t in texts)


def find_header(grid: Grid, synonyms, rules: LooseRules, required: tuple[str, ...]) -> Header | None:
    """The first row (or pair of rows) whose titles name the required columns."""
    by_number = dict(grid.rows)
    for n, cells in grid.rows[:HEADER_SCAN_ROWS]:
        single = _assign(_column_titles(cells, None), synonyms, rules)
        if len(single) < 2:
            continue  # a title, a label or an instruction line, not a row of column titles
        below = by_number.get(n + 1)
        options = [(n, single)]
        if below is not None and _continues_header(below, synonyms, rules):
            options.insert(0, (n + 1, _assign(_column_titles(cells, below), synonyms, rules)))
        for last, mapping in options:
            if all(k in mapping for k in required):
                return Header(
                    n, last, {k: c for k, (c, _) in mapping.items()}, {k: t for k, (_, t) in mapping.items()}
                )
    return None


@dataclass
class TableRow:
    row_number: int
    key: str  # the record's id, normalised ('' when the row has none)
    values: dict[str, str | None]  # column key → text
    letters: dict[str, str]  # column key → column letter

    def cell(self, key: str) -> str:
        return f"{self.letters[key]}{self.row_number}"


def table_rows(grid: Grid, header: Header, id_key: str, input_keys: tuple[str, ...]) -> list[TableRow]:
    """Rows under the header, up to a total, note or signature row."""
    found: list[TableRow] = []
    letters = {k: column_letter(c) for k, c in header.columns.items()}
    id_col = header.columns[id_key]
    for n, cells in grid.rows:
        if n <= header.last_row:
            continue
        record_id = normalize_text(cells.get(id_col))
        if not ID_PATTERN.match(record_id) and is_trailing_row([cells[c] for c in sorted(cells)]):
            return found
        values = {k: cells.get(c) for k, c in header.columns.items()}
        if not record_id and not any(values.get(k) for k in input_keys):
            continue  # a section title or an empty line inside the table
        found.append(TableRow(n, record_id, values, letters))
    return found
