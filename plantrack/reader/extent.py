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

An .xlsx sheet is first offered a proof that it is inside the limits
(``check_xlsx_sheet``): when expat finds it well formed and every cell names its
own plain reference, those references bound every cell calamine can place, and
the scan is not needed. Anything the proof does not understand goes to the scan.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from plantrack.reader.errors import UnreadableFile
from transforms.cleaning import column_index, column_letter


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
_VALUE_TAGS = frozenset({"v", "is", "f"})


def _ref_position(ref: str) -> tuple[int, int] | None:
    """'E12' → (12, 5), both 1-based; None for anything else."""
    m = _REF.match(ref)
    if not m:
        return None
    return int(m.group(2)), column_index(m.group(1)) + 1


def xlsx_extent(stream, limits, make_parser) -> Extent:
    """Scan one sheet part (a file object) for its occupied cells, in bounded memory.

    ``make_parser(start)`` gives an expat parser that refuses any DTD. A cell is
    occupied when it has a value, an inline string or a formula; a cell or row
    without an ``r`` follows the one before, as in Excel.

    This runs once per element of every sheet read (most of what reading a submission
    costs in Python), so the handler keeps its state in plain locals and records the
    farthest cell as a position, made a name only when the scan ends.
    """
    max_rows, max_columns, max_cells = limits.max_rows, limits.max_columns, limits.max_cells
    rows = columns = cells = 0
    far = (0, 0)
    row = col = 0
    pending: tuple[int, int] | None = None  # the last cell started, until a value counts it
    local_names: dict[str, str] = {}  # expat's "namespace local" names → local name

    def extent() -> Extent:
        return Extent(rows, columns, cells, f"{column_letter(far[1] - 1)}{far[0]}" if cells else "")

    def start(name, attrs):
        nonlocal rows, columns, cells, far, row, col, pending
        local = local_names.get(name)
        if local is None:
            local = name.rsplit(" ", 1)[-1]
            if len(local_names) < 64:  # a hostile sheet may use any number of names
                local_names[name] = local
        if local == "c":
            position = _ref_position(attrs.get("r", ""))
            if position is not None:
                row, col = position
            else:
                col += 1
            pending = (row, col)
        elif local in _VALUE_TAGS:
            if pending is not None:
                at_row, at_col = pending
                pending = None
                cells += 1
                if at_row > rows or at_col > columns:
                    rows, columns, far = max(rows, at_row), max(columns, at_col), (at_row, at_col)
                if at_row > max_rows:
                    raise TooLarge(extent(), "rows")
                if at_col > max_columns:
                    raise TooLarge(extent(), "columns")
                if cells > max_cells:
                    raise TooLarge(extent(), "cells")
        elif local == "row":
            r = attrs.get("r", "")
            row = int(r) if r.isdigit() else row + 1
            col = 0

    parser = make_parser(start)
    while chunk := stream.read(1 << 16):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return extent()


# Proof that an .xlsx sheet is inside the limits, without a Python call per element.
# Sound only for XML that expat accepts and in which every "<" starts a tag: no comment,
# CDATA, DTD or processing instruction past the declaration, no character reference (one
# can spell a reference), nothing but an ASCII-compatible encoding (no NUL byte). Then
# "<c" and a space, "/" or ">" starts a cell, and '<c r="E12"' one whose first attribute
# is a plain reference: when every cell starts so, those references are every place a
# cell can take. Excel, WPS, LibreOffice and openpyxl all write cells this way.
PROOF_BYTES = 4 << 20  # larger sheet parts are scanned as a stream
_ANY_CELL = re.compile(rb"<c[\s/>]")
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,2}[1-9][0-9]{0,6})"(?=[\s/>])')  # no row 0, no leading 0
_PREFIXED_CELL = re.compile(rb"<[^\s/>:!?]+:c[\s/>]")
_ROW_NUMBER = re.compile(rb"[0-9]+")
_LETTERS = re.compile(rb"[A-Z]+")
_TWO_LETTERS = re.compile(rb"(?<![A-Z])[A-Z]{2}(?=[0-9])")  # columns AA…ZZ
_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


def check_xlsx_sheet(stream, limits, make_parser) -> None:
    """Raise TooLarge if a sheet part's cells reach past ``limits`` (``xlsx_extent``), after
    trying the proof that they do not; errors of the XML itself are expat's, as in the scan."""
    head = stream.read(PROOF_BYTES + 1)
    if len(head) <= PROOF_BYTES and _plainly_within(head, limits, make_parser):
        return
    xlsx_extent(_Chained(head, stream), limits, make_parser)


def _plainly_within(data: bytes, limits, make_parser) -> bool:
    """True when every cell of the sheet (with a value or not) is inside ``limits``."""
    if b"\x00" in data or b"&#" in data or b"<!" in data or data.count(b"<?") > 1:
        return False
    if b"<?" in data and not data.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml"):
        return False
    declared = _ENCODING.match(data)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return False
    if b":c" in data and _PREFIXED_CELL.search(data):
        return False  # cells with a namespace prefix: the scan reads them
    make_parser(None).Parse(data, True)  # well formed, no DTD: else the scan's own error
    refs = _PLAIN_CELL.findall(data)
    if len(refs) != len(_ANY_CELL.findall(data)) or len(refs) > limits.max_cells:
        return False  # a cell whose place depends on the cells before it, or many cells
    if not refs:
        return True
    joined = b" ".join(refs)
    rows = max(map(int, _ROW_NUMBER.findall(joined)))
    # columns of the same width sort as their letters: the widest ones hold the farthest
    farthest = max(_TWO_LETTERS.findall(joined) or _LETTERS.findall(joined))
    columns = column_index(farthest.decode()) + 1
    return rows <= limits.max_rows and columns <= limits.max_columns


class _Chained:
    """The bytes read already, then the rest of the stream."""

    def __init__(self, head: bytes, stream):
        self.head, self.stream = head, stream

    def read(self, size: int) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.stream.read(size)


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
