"""How far a sheet's cells reach, measured before calamine is asked for the sheet.

Calamine allocates one slot for every position between a sheet's first and
last cell: one value at XFD1048576 in a 15 KB workbook asks for 512 GB and
aborts the process. So a sheet's cells are scanned first, streaming and
without building anything: the .xlsx sheet XML with expat (a cell counts when
it holds a value or a formula, as calamine counts it; a ``<dimension>`` that
only declares a large range costs calamine nothing and is not refused), the
.xls sheet's BIFF cell records, the .ods table's row and column repeats. The
scan stops at the first cell past a limit, so a million rows cost no more
than the ten thousand allowed.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from plantrack.reader.errors import UnreadableFile
from transforms.cleaning import column_letter


@dataclass
class Extent:
    """The occupied part of one sheet: last row and column (1-based) and how many cells."""

    rows: int = 0
    columns: int = 0
    cells: int = 0
    far_cell: str = ""  # the cell that reached farthest, for the message


class TooLarge(Exception):
    """Raised inside a scan at the first cell past a limit."""

    def __init__(self, extent: Extent, what: str):
        self.extent, self.what = extent, what
        super().__init__(what)


def grow(extent: Extent, row: int, col: int, count: int, limits) -> None:
    """Add ``count`` occupied cells ending at (row, col), 1-based; raise TooLarge past a limit."""
    extent.cells += count
    if row > extent.rows or col > extent.columns:
        extent.rows, extent.columns = max(extent.rows, row), max(extent.columns, col)
        extent.far_cell = f"{column_letter(col - 1)}{row}"
    if row > limits.max_rows:
        raise TooLarge(extent, "rows")
    if col > limits.max_columns:
        raise TooLarge(extent, "columns")
    if extent.cells > limits.max_cells:
        raise TooLarge(extent, "cells")


def too_large(exc: TooLarge, name: str, sheet: str, limits) -> UnreadableFile:
    """The steward's message for a sheet past the limits: where, what, how to fix it."""
    e = exc.extent
    where = e.far_cell
    expected = (
        f"每个工作表不超过 {limits.max_rows:,} 行、{limits.max_columns} 列、{limits.max_cells:,} 个非空单元格"
    )
    if exc.what == "cells":
        reason = f"工作表“{sheet}”的非空单元格超过 {limits.max_cells:,} 个，远多于一份季度报表"
        found = f"超过 {limits.max_cells:,} 个非空单元格"
        hint = "请只保留填报表格，删除其他大量数据（或移到另一个文件）后保存，重新报送。"
    elif exc.what == "rows":
        reason = f"工作表“{sheet}”在第 {e.rows:,} 行（{where}）还有内容，超过 {limits.max_rows:,} 行的上限"
        found = f"{where}（第 {e.rows:,} 行）"
        hint = (
            f"请删除表格下方多余的行（第 {limits.max_rows:,} 行以下，包括 {where} 单元格），保存后重新报送。"
        )
    else:
        reason = (
            f"工作表“{sheet}”在第 {e.columns:,} 列（{where}）还有内容，超过 {limits.max_columns} 列的上限"
        )
        found = f"{where}（第 {e.columns:,} 列）"
        hint = f"请删除表格右侧多余的列（包括 {where} 单元格），保存后重新报送。"
    return UnreadableFile(
        reason,
        code="sheet_too_large",
        file=name,
        sheet=sheet,
        cell=where,
        found=found,
        expected=expected,
        hint=hint,
    )


# -- .xlsx: the sheet XML, streamed ---------------------------------------------------

_REF = re.compile(r"^\$?([A-Za-z]{1,4})\$?(\d{1,8})$")


def _ref_position(ref: str) -> tuple[int, int] | None:
    """'E12' → (12, 5), both 1-based; None for anything else."""
    m = _REF.match(ref)
    if not m:
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def xlsx_extent(stream, limits, make_parser) -> Extent:
    """Scan one sheet part (a file object) for its occupied cells, in bounded memory.

    ``make_parser(start)`` gives an expat parser that refuses any DTD. A cell is
    occupied when it has a value, an inline string or a formula; a cell or row
    without an ``r`` follows the one before, as in Excel.
    """
    extent = Extent()
    state = {"row": 0, "col": 0, "pending": None}

    def start(name, attrs):
        local = name.rsplit(" ", 1)[-1]
        if local == "c":
            position = _ref_position(attrs.get("r", ""))
            if position is not None:
                state["row"], state["col"] = position
            else:
                state["col"] += 1
            state["pending"] = (state["row"], state["col"])
        elif local in ("v", "is", "f"):
            if state["pending"] is not None:
                grow(extent, *state["pending"], 1, limits)
                state["pending"] = None
        elif local == "row":
            r = attrs.get("r", "")
            state["row"] = int(r) if r.isdigit() else state["row"] + 1
            state["col"] = 0

    parser = make_parser(start)
    while chunk := stream.read(1 << 16):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return extent


# -- .xls: the BIFF cell records of one sheet -------------------------------------------

_RECORD = struct.Struct("<HH")
_CELL_RECORDS = {
    0x0006,  # FORMULA
    0x00FD,  # LABELSST
    0x0203,  # NUMBER
    0x0204,  # LABEL
    0x0205,  # BOOLERR
    0x027E,  # RK
    0x00D6,  # RSTRING
}
_MULRK, _EOF = 0x00BD, 0x000A


def xls_extent(stream: bytes, start: int, limits) -> Extent:
    """Scan a sheet's substream, from its BOF at ``start``, for cells holding a value.

    Blank cells (BLANK, MULBLANK) are formatting only, as for calamine.
    """
    extent = Extent()
    pos, end = start, len(stream)
    depth = 0
    while pos + 4 <= end:
        kind, size = _RECORD.unpack_from(stream, pos)
        body = pos + 4
        if kind == 0x0809:  # BOF: the sheet's, or an embedded chart's
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                break
        elif depth == 1 and size >= 4 and kind in _CELL_RECORDS:
            row, col = struct.unpack_from("<HH", stream, body)
            grow(extent, row + 1, col + 1, 1, limits)
        elif depth == 1 and kind == _MULRK and size >= 6:
            row, first = struct.unpack_from("<HH", stream, body)
            (last,) = struct.unpack_from("<H", stream, body + size - 2)
            if last >= first:
                grow(extent, row + 1, last + 1, last - first + 1, limits)
        pos = body + size
    return extent
