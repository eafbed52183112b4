"""Read a submission workbook into cells and staged rows, never executing anything.

The fast path is calamine (through fastexcel, as polars uses it): it reads the
cached values of formulas, never evaluates them, never runs macros and never
follows external links. Before calamine sees a file, its bytes are sniffed
(a PDF or a text file renamed .xlsx, an encrypted workbook) and a zip's
declared sizes are checked against clear limits, so that a zip bomb is refused
before anything is inflated. CSV files (UTF-8, UTF-8 with BOM, GBK/GB18030,
UTF-16) are read as the single sheet 填报.

Every non-empty cell is kept with its address, its kind (number, text, error
…), its raw text and the number read from it, so that any figure can be traced
back to the cell it came from.

Percentages: calamine does not expose number formats, so for rows whose unit
is % and whose value cell holds a number, the cell's format is looked up in the
file itself (.xlsx styles, .xls via xlrd). A number shown with a percent format
(0.023 shown as 2.30%) is read as the percentage a person sees (2.3). A bare
0.023 in a General cell, or in a CSV, is kept as 0.023: the reader does not
guess from magnitudes.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import logging
import re
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from xml.parsers import expat
from xml.sax.saxutils import unescape as xml_unescape

import fastexcel
import polars as pl

from plantrack.catalog import Unit
from plantrack.issues import Issue, Severity
from plantrack.periods import Quarter, find_quarter, parse_quarter
from plantrack.template import DATA_SHEET, HELP_SHEET, IDENTITY_SHEET, MILESTONE_SHEET
from transforms.cleaning import (
    DATA_HEADER_SYNONYMS,
    DATA_LOOSE_RULES,
    MILESTONE_HEADER_SYNONYMS,
    MILESTONE_LOOSE_RULES,
    LooseRules,
    column_letter,
    header_unit,
    is_percent_format,
    is_trailing_row,
    match_header,
    match_header_loosely,
    normalize_text,
    number_text,
    parse_number,
)

log = logging.getLogger(__name__)
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
HEADER_SCAN_ROWS = 30
ID_PATTERN = re.compile(r"^[IM]\d{2}-\d")
DEFAULT_HINT = "请用 Excel 打开该文件确认内容完整，另存为 .xlsx（Excel 工作簿）后重新报送。"
EXPECTED_FILE = "Excel 工作簿（.xlsx/.xls）或 CSV 文件"
NUMERIC_KEYS = ("actual", "target", "stretch")


@dataclass(frozen=True)
class ReadLimits:
    """What a submission may cost to open. A quarterly workbook is tens of KB."""

    max_file_bytes: int = 50 * 2**20
    max_uncompressed_bytes: int = 100 * 2**20  # all members of an .xlsx together
    max_ratio: int = 200  # per member, for members above ratio_from_bytes
    ratio_from_bytes: int = 2**20
    max_members: int = 10_000


DEFAULT_LIMITS = ReadLimits()
# Deflate cannot expand data by more than about 1032:1. When the compressed
# bytes times this bound fit in the limit, even lying size headers are harmless;
# otherwise every member is inflated once, with a cap, before calamine runs.
DEFLATE_MAX_RATIO = 1032

CELL_SCHEMA = {
    "sheet": pl.String, "row_number": pl.Int32, "column_letter": pl.String,
    "column_number": pl.Int32, "cell": pl.String, "header": pl.String,
    "record_key": pl.String, "raw_text": pl.String, "value_kind": pl.String,
    "parsed_value": pl.Float64, "parse_code": pl.String,
}
STAGED_SCHEMA = {
    "sheet": pl.String, "row_number": pl.Int32, "indicator_id": pl.String,
    "indicator_id_cell": pl.String, "name": pl.String, "uom": pl.String,
    "actual_raw": pl.String, "actual_cell": pl.String, "note": pl.String,
    # added by the reader: the kind of the value cell and the number read from it
    "actual_kind": pl.String, "actual_value": pl.Float64, "actual_code": pl.String,
    "actual_detail": pl.String, "expected_unit": pl.String,
}
MILESTONE_SCHEMA = {
    "row_number": pl.Int32, "milestone_id": pl.String, "status": pl.String,
    "status_cell": pl.String, "note": pl.String, "evidence": pl.String,
    "sheet": pl.String, "milestone_id_cell": pl.String, "task": pl.String,
}


class UnreadableFile(Exception):
    """The file cannot be read as a submission at all; the message is for the steward.

    ``str(exc)`` names the file (and the sheet or cell where one applies) and the
    reason, in Chinese. ``as_issue`` turns it into the one issue model.
    """

    def __init__(self, reason: str, *, code: str = "unreadable", file: str = "",
                 sheet: str = "", cell: str = "", found: str = "",
                 expected: str = EXPECTED_FILE, hint: str = DEFAULT_HINT):
        self.reason, self.code, self.hint = reason, code, hint
        self.file, self.sheet, self.cell = file, sheet, cell
        self.found, self.expected = found, expected
        super().__init__(self.text())

    def location(self) -> str:
        return " / ".join(p for p in (self.file, self.sheet, self.cell) if p)

    def text(self) -> str:
        where = self.location()
        return f"{where}：{self.reason}" if where else self.reason

    def __str__(self) -> str:
        return self.text()

    def as_issue(self, unit: str = "") -> Issue:
        return Issue("unreadable", Severity.ERROR, f"无法读取：{self.reason}", self.hint,
                     file=self.file, sheet=self.sheet, cell=self.cell, unit=unit,
                     found=self.found, expected=self.expected)

    def __reduce__(self):  # keep every field across processes (a flow's task result)
        fields = {k: getattr(self, k)
                  for k in ("code", "file", "sheet", "cell", "found", "expected", "hint")}
        return _unreadable, (self.reason, fields)


def _unreadable(reason: str, fields: dict) -> UnreadableFile:
    return UnreadableFile(reason, **fields)


@dataclass
class Identity:
    unit: str | None = None
    quarter: Quarter | None = None
    source: str | None = None  # workbook | header | filename
    template_version: str | None = None
    catalog_version: str | None = None


class RowTuples(list):
    """Rows of a frame not built yet: tuples in the order of the frame's schema."""


class CellParts(list):
    """The SheetCells of one submission, before a frame is made of them."""


class _Frame:
    """A frame attribute built from ``RowTuples`` on first use.

    Landing builds one frame for a whole batch of files (``cells_frame``), so a
    submission that is landed and never validated never pays for its own frames.
    """

    def __init__(self, schema: dict):
        self.schema = schema

    def __set_name__(self, owner, name: str) -> None:
        self.name = f"_{name}"

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name]
        if isinstance(value, RowTuples):
            value = obj.__dict__[self.name] = frame_from_rows(value, self.schema)
        elif isinstance(value, CellParts):
            value = obj.__dict__[self.name] = cells_frame([(None, value)])
        return value

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.name] = value


class Submission:
    """What was read from one file: its identity, every cell, the staged rows and tasks."""

    cells = _Frame(CELL_SCHEMA)  # every non-empty cell of the sheets read, with provenance
    rows = _Frame(STAGED_SCHEMA)  # one staged row per indicator row of 填报
    milestones = _Frame(MILESTONE_SCHEMA)  # one row per task row of 重点任务

    def __init__(self, path: Path, identity: Identity, cells, rows, milestones,
                 issues: list[Issue] | None = None, file_format: str = "",
                 encoding: str | None = None):
        self.path, self.identity = path, identity
        self.cells, self.rows, self.milestones = cells, rows, milestones
        self.issues = issues if issues is not None else []
        self.file_format = file_format  # xlsx | xls | xlsb | ods | csv
        self.encoding = encoding  # for CSV: the encoding it was decoded with

    def cell_parts(self) -> CellParts | pl.DataFrame:
        """The cells as read (SheetCells), or the frame if one was given or built already."""
        return self.__dict__["_cells"]

    def __repr__(self) -> str:
        return (f"Submission(path={self.path!r}, identity={self.identity!r}, "
                f"file_format={self.file_format!r}, issues={len(self.issues)})")


# -- a sheet as read ----------------------------------------------------------

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
        return "number" if self.numeric_text and text and _PLAIN_DECIMAL.match(text) else "text"

    def number(self, row: int, col: int) -> float | None:
        if (row, col) in self.special:
            return self.special[(row, col)][1]
        return float(self.text(row, col)) if self.kind(row, col) == "number" else None

    def add(self, row: int, col: int, text: str, kind: str, value: float | None) -> None:
        """A cell that is not in the sheet's text view (an error, a formula without result)."""
        self.at_row.append(row)
        self.at_col.append(col)
        self.texts.append(text)
        self.special[(row, col)] = (kind, value)


_CALAMINE_ERRORS = {
    "Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!",
    "Ref": "#REF!", "Value": "#VALUE!", "GettingData": "#GETTING_DATA",
}
_ERROR_DETAIL = re.compile(r"Error\((\w+)\)")
PLAIN_DECIMAL = r"^-?(0|[1-9]\d*)(\.\d+)?$"
_PLAIN_DECIMAL = re.compile(PLAIN_DECIMAL)
# a number with 15 digits or 7 decimals may have been rounded by the text view: see _calamine_grid
_MAYBE_ROUNDED = re.compile(r"^-?(\d{15,}|(0|[1-9]\d*)\.\d{7,})$", re.MULTILINE)


def _error_text(detail: str) -> str | None:
    m = _ERROR_DETAIL.search(detail)
    if not m:
        return None
    return _CALAMINE_ERRORS.get(m.group(1), f"#{m.group(1).upper()}")


def _calamine_grid(reader: fastexcel.ExcelReader, sheet: str, exact: bool) -> Grid:
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
    for err in (errors.errors if errors else []):
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
    batch, _ = reader.load_sheet(sheet, header_row=None, skip_rows=0,
                                 dtypes="float").to_arrow_with_errors()
    position = {(r, c): k for k, (r, c) in enumerate(zip(grid.at_row, grid.at_col, strict=True))}
    for j, col in enumerate(columns):
        for i, number in enumerate(batch.column(j).to_pylist(), start=1):
            text = cells.get(i, {}).get(col)
            if number is not None and text is not None and _PLAIN_DECIMAL.match(text):
                exact = number_text(number)
                grid.texts[position[(i, col)]] = cells[i][col] = exact
                grid.special[(i, col)] = ("number", number)


def _csv_grid(text: str, sheet: str) -> Grid:
    """A CSV as one sheet: record n is row n, field k is column k (A1-style addresses).

    Every field of a CSV is text; a number in it is read by the same rules as text
    typed into a spreadsheet cell.
    """
    sample = text[:8192]
    delimiter = ","
    first_lines = [line for line in sample.splitlines()[:20] if line.strip()]
    counts = {d: sum(line.count(d) for line in first_lines) for d in (",", "\t", ";")}
    if counts and max(counts.values()) > 0:
        delimiter = max(counts, key=counts.get)
    grid = Grid(sheet, numeric_text=False)
    for n, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                               start=1):
        cells = {k: v for k, v in enumerate(record) if v.strip()}
        if cells:
            grid.rows.append((n, cells))
            for k, v in cells.items():
                grid.at_row.append(n)
                grid.at_col.append(k)
                grid.texts.append(v)
    return grid


# -- sniffing and guards ------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _describe_bytes(data: bytes) -> str:
    """What a non-spreadsheet file looks like, in words a steward understands."""
    head = data[:2048]
    signatures = (
        (b"%PDF", "PDF 文档"), (b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"),
        (b"GIF8", "GIF 图片"), (b"Rar!", "RAR 压缩包"), (b"7z\xbc\xaf", "7z 压缩包"),
        (b"{\\rtf", "RTF 文档"),
    )
    for magic, what in signatures:
        if head.startswith(magic):
            return what
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<table")) or b"<html" in lowered:
        return "网页（HTML）"
    if lowered.startswith(b"<?xml"):
        return "XML 文本"
    if b"\x00" in head:
        return "无法识别的二进制数据"
    return "纯文本"


def _read_bytes(path: Path, name: str, limits: ReadLimits) -> bytes:
    if not path.is_file():
        raise UnreadableFile("找不到文件或不是普通文件", code="missing", file=name)
    if path.stat().st_size > limits.max_file_bytes:
        _check_size(b"", name, limits, path.stat().st_size)
    return _check_size(path.read_bytes(), name, limits)


def _check_size(data: bytes, name: str, limits: ReadLimits, size: int | None = None) -> bytes:
    size = len(data) if size is None else size
    if size == 0:
        raise UnreadableFile("文件为空（0字节），没有任何内容", code="empty", file=name,
                             found="0 字节", hint="请重新导出或另存该工作簿，确认文件大小不为 0 后再报送。")
    if size > limits.max_file_bytes:
        raise UnreadableFile(
            f"文件过大（{size / 2**20:.1f} MB），超过 {limits.max_file_bytes // 2**20} MB 的上限",
            code="too_large", file=name, found=f"{size / 2**20:.1f} MB",
            expected=f"不超过 {limits.max_file_bytes // 2**20} MB",
            hint="请删除与填报无关的工作表、图片后另存为 .xlsx 重新报送。")
    return data


@dataclass(frozen=True)
class ZipFacts:
    members: tuple[str, ...]
    external_links: bool


def check_zip(data: bytes, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> ZipFacts:
    """Refuse a zip that is broken or would inflate beyond the limits, before calamine opens it."""
    entries = _zip_entries(data, name)
    if len(entries) > limits.max_members:
        raise _bomb(name, f"含有 {len(entries)} 个内部文件，超过 {limits.max_members} 个的上限")
    total = sum(size for _, _, size in entries)
    if total > limits.max_uncompressed_bytes:
        raise _bomb(name, f"解压后共 {total / 2**20:.0f} MB，超过 "
                          f"{limits.max_uncompressed_bytes // 2**20} MB 的上限")
    for member, packed, size in entries:
        ratio = size / max(packed, 1)
        if size > limits.ratio_from_bytes and ratio > limits.max_ratio:
            raise _bomb(name, f"内部文件 {member} 的压缩比为 {ratio:.0f}:1，"
                              f"超过 {limits.max_ratio}:1 的上限")
    if sum(packed for _, packed, _ in entries) * DEFLATE_MAX_RATIO > limits.max_uncompressed_bytes:
        _verify_inflated_sizes(data, name)
    names = tuple(member for member, _, _ in entries)
    return ZipFacts(names, any(n.startswith("xl/externalLinks/") for n in names))


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory file header


def _zip_entries(data: bytes, name: str) -> list[tuple[str, int, int]]:
    """(member, compressed size, declared size) from the central directory, without inflating.

    Read with struct (a zipfile.ZipFile costs more than calamine's whole open);
    zip64 and anything unusual go through zipfile.
    """
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + _EOCD.size > len(data):
        raise _corrupt(name)
    _, disk, _, _, count, cd_size, cd_offset, _ = _EOCD.unpack_from(data, at)
    if disk or count == 0xFFFF or cd_offset == 0xFFFFFFFF or cd_offset + cd_size > at:
        return _zip_entries_slow(data, name)
    entries, pos = [], cd_offset
    for _ in range(count):
        if data[pos:pos + 4] != b"PK\x01\x02" or pos + _CENTRAL.size > at:
            raise _corrupt(name)
        fields = _CENTRAL.unpack_from(data, pos)
        packed, size, name_len, extra_len, comment_len = fields[8:13]
        if 0xFFFFFFFF in (packed, size):
            return _zip_entries_slow(data, name)
        member = data[pos + 46:pos + 46 + name_len].decode("utf-8", "replace")
        entries.append((member, packed, size))
        pos += 46 + name_len + extra_len + comment_len
    return entries


def _zip_entries_slow(data: bytes, name: str) -> list[tuple[str, int, int]]:
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _corrupt(name) from exc
    return [(i.filename, i.compress_size, i.file_size) for i in infos]


def _corrupt(name: str) -> UnreadableFile:
    return UnreadableFile("文件已损坏：压缩结构不完整（可能是下载或拷贝时被截断）",
                          code="corrupt", file=name, found="损坏的 .xlsx 压缩结构")


def _verify_inflated_sizes(data: bytes, name: str) -> None:
    """Inflate every member once, never past its declared size: a lying header fails here."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _corrupt(name) from exc
    for info in archive.infolist():
        try:
            with archive.open(info) as member:
                while member.read(1 << 20):
                    pass
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
            raise UnreadableFile(
                f"内部文件 {info.filename} 的实际内容与声明的大小或校验值不符（文件损坏，或是压缩炸弹）",
                code="corrupt", file=name, found="压缩数据与声明不符") from exc


def _bomb(name: str, detail: str) -> UnreadableFile:
    return UnreadableFile(
        f"文件解压后体积异常（{detail}），疑似压缩炸弹，已拒绝读取", code="zip_bomb", file=name,
        found=detail, expected="正常的 Excel 工作簿（解压后通常不超过几 MB）",
        hint="请确认文件来源；用 Excel 打开原始报表，只保留填报内容后另存为 .xlsx 重新报送。")


def _zip_kind(facts: ZipFacts, data: bytes, name: str) -> str:
    members = set(facts.members)
    if "xl/workbook.xml" in members or any(m.endswith("workbook.xml") for m in members):
        return "xlsx"
    if "xl/workbook.bin" in members:
        return "xlsb"
    if "mimetype" in members:
        mimetype = zipfile.ZipFile(io.BytesIO(data)).read("mimetype")[:100]
        if b"opendocument.spreadsheet" in mimetype:
            return "ods"
    what = "压缩包"
    if "word/document.xml" in members:
        what = "Word 文档（.docx）"
    elif any(m.startswith("ppt/") for m in members):
        what = "PowerPoint 演示文稿"
    raise UnreadableFile(f"文件内容是{what}，不是 Excel 工作簿", code="not_a_spreadsheet",
                         file=name, found=what)


def _ole_kind(data: bytes, name: str) -> str:
    if _utf16("EncryptedPackage") in data or _utf16("EncryptionInfo") in data:
        raise UnreadableFile(
            "文件设置了打开密码（已加密），无法读取", code="encrypted", file=name,
            found="加密的工作簿", expected="未设置密码的 Excel 工作簿",
            hint="请在 Excel 中“文件 → 信息 → 保护工作簿 → 用密码进行加密”里清空密码，保存后重新报送。")
    if _utf16("Workbook") in data:
        return "xls"
    if _utf16("WordDocument") in data:
        raise UnreadableFile("文件内容是Word 文档（.doc），不是 Excel 工作簿",
                             code="not_a_spreadsheet", file=name, found="Word 文档（.doc）")
    if _utf16("Book") in data:  # Excel 5/95 names its stream Book
        return "xls"
    what = "其他 Office 文件"
    raise UnreadableFile(f"文件内容是{what}，不是 Excel 工作簿", code="not_a_spreadsheet",
                         file=name, found=what)


def _decode_csv(data: bytes, name: str) -> tuple[str, str]:
    """The text of a CSV and the encoding it was written in."""
    boms = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
            (codecs.BOM_UTF16_BE, "utf-16"))
    for bom, encoding in boms:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    if b"\x00" in data[:4096]:
        what = _describe_bytes(data)
        raise UnreadableFile(f"文件扩展名是 .csv，但内容是{what}", code="not_a_spreadsheet",
                             file=name, found=what)
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("无法识别 CSV 文件的编码（不是 UTF-8 或 GBK）", code="encoding", file=name,
                         found="未知编码", expected="UTF-8 或 GBK 编码的 CSV",
                         hint="请用 Excel 打开后另存为 .xlsx 重新报送。")


# -- workbooks ----------------------------------------------------------------

class _Book:
    """The sheets of one file, loaded on demand."""

    file_format = ""
    encoding: str | None = None
    external_links = False

    def __init__(self, name: str):
        self.name = name
        self.sheet_names: list[str] = []
        self._grids: dict[str, Grid] = {}

    def grid(self, sheet: str, exact: bool = False) -> Grid:
        """A sheet's cells; ``exact`` when its numbers are figures that must not be rounded."""
        if sheet not in self._grids:
            self._grids[sheet] = self._load(sheet, exact)
        return self._grids[sheet]

    def _load(self, sheet: str, exact: bool) -> Grid:
        raise NotImplementedError

    def formulas_without_value(self, sheet: str, cells: set[str]) -> dict[str, str]:
        return {}

    def percent_cells(self, sheet: str, cells: set[str]) -> set[str]:
        return set()


class _CsvBook(_Book):
    file_format = "csv"

    def __init__(self, data: bytes, name: str):
        super().__init__(name)
        self.text, self.encoding = _decode_csv(data, name)
        self.sheet_names = [DATA_SHEET]

    def _load(self, sheet: str, exact: bool) -> Grid:
        try:
            return _csv_grid(self.text, sheet)
        except csv.Error as exc:  # e.g. a field of megabytes: not a table a person filled in
            raise UnreadableFile(f"CSV 文件格式错误（{exc}），无法按表格读取", code="corrupt",
                                 file=self.name, sheet=sheet, found="格式错误的 CSV") from exc


class _CalamineBook(_Book):
    def __init__(self, data: bytes, name: str, file_format: str, facts: ZipFacts | None):
        super().__init__(name)
        self.data, self.file_format = data, file_format
        self.external_links = bool(facts and facts.external_links)
        try:
            self.reader = fastexcel.read_excel(data)
            self.sheet_names = list(self.reader.sheet_names)
        except Exception as exc:  # calamine reports every broken file as one error type
            raise _calamine_error(exc, name, "") from exc

    def _load(self, sheet: str, exact: bool) -> Grid:
        try:
            return _calamine_grid(self.reader, sheet, exact)
        except Exception as exc:
            raise _calamine_error(exc, self.name, sheet) from exc

    @cached_property
    def _xlsx(self) -> _XlsxParts | None:
        if self.file_format != "xlsx":
            return None
        try:
            return _XlsxParts(zipfile.ZipFile(io.BytesIO(self.data)))
        except _UnsafeXml as exc:
            raise UnreadableFile("文件含有不允许的 XML 声明（DOCTYPE/ENTITY），已拒绝读取",
                                 code="unsafe_xml", file=self.name, found=str(exc)) from exc
        except (KeyError, ValueError, expat.ExpatError):
            return None  # facts are a refinement: without them the values still read

    def formulas_without_value(self, sheet: str, cells: set[str]) -> dict[str, str]:
        facts = self._cell_facts(sheet, cells)
        return {ref: f for ref, (f, has_value, _) in facts.items() if f is not None and not has_value}

    def percent_cells(self, sheet: str, cells: set[str]) -> set[str]:
        if not cells:
            return set()
        if self.file_format == "xls":
            return _xls_percent_cells(self.data, sheet, cells)
        parts = self._xlsx
        if parts is None:
            return set()
        facts = self._cell_facts(sheet, cells)
        return {ref for ref, (_, _, style) in facts.items()
                if is_percent_format(parts.number_format(style))}

    def _cell_facts(self, sheet: str, cells: set[str]) -> dict[str, tuple[str | None, bool, int]]:
        parts = self._xlsx
        if parts is None or not cells:
            return {}
        try:
            return parts.cell_facts(sheet, cells)
        except _UnsafeXml as exc:
            raise UnreadableFile("文件含有不允许的 XML 声明（DOCTYPE/ENTITY），已拒绝读取",
                                 code="unsafe_xml", file=self.name, sheet=sheet,
                                 found=str(exc)) from exc
        except (KeyError, ValueError, expat.ExpatError):
            return {}


def _calamine_error(exc: Exception, name: str, sheet: str) -> UnreadableFile:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:  # an .xls with a password (FILEPASS)
        return UnreadableFile("文件设置了打开密码（已加密），无法读取", code="encrypted", file=name,
                              sheet=sheet, found="加密的工作簿", expected="未设置密码的 Excel 工作簿")
    return UnreadableFile("文件已损坏或格式不正确，Excel 数据无法解析", code="corrupt", file=name,
                          sheet=sheet, found="无法解析的工作表" if sheet else "无法解析的工作簿")


def open_book(path: Path, name: str | None = None, limits: ReadLimits = DEFAULT_LIMITS,
              data: bytes | None = None) -> _Book:
    """Sniff the bytes, apply the guards and open the file with the right reader."""
    name = name or path.name
    data = _read_bytes(path, name, limits) if data is None else _check_size(data, name, limits)
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        facts = check_zip(data, name, limits)
        return _CalamineBook(data, name, _zip_kind(facts, data, name), facts)
    if data.startswith(OLE_MAGIC):
        return _CalamineBook(data, name, _ole_kind(data, name), None)
    if suffix in (".csv", ".txt"):
        return _CsvBook(data, name)
    what = _describe_bytes(data)
    shown = suffix or "（无扩展名）"
    raise UnreadableFile(f"文件扩展名是 {shown}，但内容是{what}，不是 Excel 工作簿",
                         code="not_a_spreadsheet", file=name, found=what)


# -- looking inside an .xlsx for what calamine does not expose -------------

class _UnsafeXml(ValueError):
    pass


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


def _parse_xml(data: bytes, start, end=None, text=None) -> None:
    """Parse with expat, refusing any DTD: no entity can expand or fetch anything."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*args):
        raise _UnsafeXml("DOCTYPE")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    parser.Parse(data, True)


class _XlsxParts:
    """Sheet paths, styles and per-cell facts read straight from the package XML."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.sheet_paths = self._sheet_paths()
        self._formats: list[int] | None = None
        self._format_codes: dict[int, str] = {}

    def _sheet_paths(self) -> dict[str, str]:
        workbook = self._office_document()
        rels: dict[str, str] = {}

        def rel(name, attrs):
            if _local(name) == "Relationship":
                rels[attrs.get("Id", "")] = attrs.get("Target", "")

        base = PurePosixPath(workbook).parent
        rels_path = f"{base}/_rels/{PurePosixPath(workbook).name}.rels"
        _parse_xml(self.archive.read(rels_path), rel)
        sheets: dict[str, str] = {}

        def sheet(name, attrs):
            if _local(name) == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id" and " " in k), "")
                sheets[attrs.get("name", "")] = _resolve(base, rels.get(rid, ""))

        _parse_xml(self.archive.read(workbook), sheet)
        return sheets

    def _office_document(self) -> str:
        found: list[str] = []

        def rel(name, attrs):
            if _local(name) == "Relationship" and attrs.get("Type", "").endswith("/officeDocument"):
                found.append(attrs.get("Target", "").lstrip("/"))

        _parse_xml(self.archive.read("_rels/.rels"), rel)
        return found[0] if found else "xl/workbook.xml"

    def cell_facts(self, sheet: str, wanted: set[str]) -> dict[str, tuple[str | None, bool, int]]:
        """{address: (formula or None, has a cached value, style index)} for the wanted cells.

        One regular-expression pass over the sheet part: no DTD is ever processed
        and no callback runs per element (expat callbacks cost milliseconds here).
        """
        xml = self.archive.read(self.sheet_paths[sheet]).decode("utf-8", "replace")
        if _DTD.search(xml[:4096]):
            raise _UnsafeXml("DOCTYPE")
        if len(wanted) <= 8:  # a few % cells: find each one, C-speed, no pass over every cell
            found = (_cell_element(ref).search(xml) for ref in sorted(wanted))
            matches = [m for m in found if m is not None]
        else:
            matches = list(_CELL_ELEMENT.finditer(xml))
        facts: dict[str, tuple[str | None, bool, int]] = {}
        for m in matches:
            attrs, body = m.group(1), m.group(3) or ""
            ref = _ATTR_R.search(attrs)
            if ref is not None and ref.group(1) in wanted:
                facts[ref.group(1)] = _facts(attrs, body)
        return facts

    def number_format(self, style: int) -> str | None:
        if self._formats is None:
            self._load_styles()
        if not self._formats or style >= len(self._formats):
            return None
        fmt_id = self._formats[style]
        return self._format_codes.get(fmt_id) or _BUILTIN_FORMATS.get(fmt_id)

    def _load_styles(self) -> None:
        formats: list[int] = []
        stack: list[str] = []

        def start(name, attrs):
            local = _local(name)
            if local == "numFmt":
                self._format_codes[int(attrs.get("numFmtId", -1))] = attrs.get("formatCode", "")
            elif local == "xf" and stack and stack[-1] == "cellXfs":
                formats.append(int(attrs.get("numFmtId", 0) or 0))
            stack.append(local)

        def end(name):
            stack.pop()

        with contextlib.suppress(KeyError):  # a workbook without styles has no formats
            _parse_xml(self.archive.read("xl/styles.xml"), start, end)
        self._formats = formats


_BUILTIN_FORMATS = {9: "0%", 10: "0.00%"}
_DTD = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_CELL_ELEMENT = re.compile(r"<(?:\w+:)?c\b([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_ATTR_R = re.compile(r'\sr="([A-Z]+\d+)"')
_ATTR_S = re.compile(r'\ss="(\d+)"')
_FORMULA = re.compile(r"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_VALUE = re.compile(r"<(?:\w+:)?(?:v|t)\b[^>]*>([^<]*)</(?:\w+:)?(?:v|t)>")


def _cell_element(ref: str) -> re.Pattern:
    return re.compile(rf'<(?:\w+:)?c\b(?=[^>]*\sr="{ref}")([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)',
                      re.DOTALL)


def _facts(attrs: str, body: str) -> tuple[str | None, bool, int]:
    """(formula or None, has a cached value, style index) of one <c> element."""
    style = _ATTR_S.search(attrs)
    formula = _FORMULA.search(body)
    value = _VALUE.search(body)
    return (
        xml_unescape(formula.group(1) or "", {"&quot;": '"', "&apos;": "'"}) if formula else None,
        bool(value and value.group(1).strip()),  # an empty <v/> is no result
        int(style.group(1)) if style else 0,
    )


def _resolve(base: PurePosixPath, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for part in (*base.parts, *PurePosixPath(target).parts):
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _xls_percent_cells(data: bytes, sheet: str, cells: set[str]) -> set[str]:
    """Percent-formatted cells of an .xls (xlrd reads BIFF formats; calamine does not)."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
        ws = book.sheet_by_name(sheet)
    except Exception:  # formats are a refinement; the values were read already
        return set()
    found = set()
    for ref in cells:
        row, col = _split_ref(ref)
        try:
            xf = book.xf_list[ws.cell_xf_index(row - 1, col)]
            fmt = book.format_map[xf.format_key].format_str
        except (IndexError, KeyError):
            continue
        if is_percent_format(fmt):
            found.add(ref)
    return found


def _split_ref(ref: str) -> tuple[int, int]:
    """'E12' → (12, 4): 1-based row, 0-based column."""
    m = re.match(r"^([A-Z]+)(\d+)$", ref)
    if not m:
        raise ValueError(ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col - 1


# -- header and table ----------------------------------------------------------

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
    if any(ID_PATTERN.match(t) or _PLAIN_DECIMAL.match(t) for t in texts):
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
                return Header(n, last, {k: c for k, (c, _) in mapping.items()},
                              {k: t for k, (_, t) in mapping.items()})
    return None


@dataclass
class TableRow:
    row_number: int
    key: str  # the record's id, normalised ('' when the row has none)
    values: dict[str, str | None]  # column key → text
    letters: dict[str, str]  # column key → column letter

    def cell(self, key: str) -> str:
        return f"{self.letters[key]}{self.row_number}"


def _table_rows(grid: Grid, header: Header, id_key: str,
                input_keys: tuple[str, ...]) -> tuple[list[TableRow], int | None]:
    """Rows under the header up to a total/note row; (rows, the row it stopped at)."""
    found: list[TableRow] = []
    letters = {k: column_letter(c) for k, c in header.columns.items()}
    id_col = header.columns[id_key]
    for n, cells in grid.rows:
        if n <= header.last_row:
            continue
        record_id = normalize_text(cells.get(id_col))
        if not ID_PATTERN.match(record_id) and is_trailing_row([cells[c] for c in sorted(cells)]):
            return found, n
        values = {k: cells.get(c) for k, c in header.columns.items()}
        if not record_id and not any(values.get(k) for k in input_keys):
            continue  # a section title or an empty line inside the table
        found.append(TableRow(n, record_id, values, letters))
    return found, None


# -- identity ---------------------------------------------------------------

def match_unit(text: str | None, units: dict[str, Unit]) -> str | None:
    """A unit code from a unit's code, name or office appearing in ``text``."""
    t = normalize_text(text)
    if not t:
        return None
    for u in units.values():
        if t in (u.code, u.name, u.office):
            return u.code
    best = [u for u in units.values() if u.name in t or u.office in t]
    if not best:
        lowered = t.lower()
        best = [u for u in units.values() if _code_pattern(u.code).search(lowered)]
    return best[0].code if len(best) == 1 else None


@lru_cache(maxsize=256)
def _code_pattern(code: str) -> re.Pattern:
    """A unit code as a word of its own in a file name (huancui, not huancuixyz)."""
    return re.compile(rf"(?<![a-z]){re.escape(code)}(?![a-z])")


def _label_value(rows: list[tuple[int, dict[int, str]]], labels: tuple[str, ...]) -> str | None:
    """The value beside a label such as 填报单位：, in the same cell or the next one."""
    for _, cells in rows[:HEADER_SCAN_ROWS]:
        items = [cells[c] for c in sorted(cells)]
        for i, text in enumerate(items):
            t = normalize_text(text)
            for label in labels:
                if t.startswith(label):
                    rest = t[len(label):].lstrip(":：").strip()
                    if rest:
                        return rest
                    if i + 1 < len(items):
                        return normalize_text(items[i + 1])
    return None


def _workbook_identity(book: _Book) -> dict[str, str]:
    if IDENTITY_SHEET not in book.sheet_names:
        return {}
    grid = book.grid(IDENTITY_SHEET)
    return {normalize_text(c.get(0)): normalize_text(c.get(1)) for _, c in grid.rows if c.get(0)}


_SOURCE_LABEL = {"workbook": "工作簿标识", "header": "表头", "filename": "文件名"}


def _label_rows(grid: Grid, header: Header, cells: SheetCells) -> list[tuple[int, dict]]:
    """The rows outside the table, where 填报单位：… and 报告期：… are written."""
    return [(n, row) for n, row in grid.rows if n < header.first_row
            or (n > header.last_row and n not in cells.records)]


def _identity(book: _Book, label_rows: list, sheet: str, name: str, units,
              issues: list[Issue]) -> Identity:
    meta = _workbook_identity(book)
    candidates: list[tuple[str, str | None, Quarter | None]] = []
    if meta:
        try:
            quarter = parse_quarter(meta.get("quarter", ""))
        except ValueError:
            quarter = None
        candidates.append(("workbook", meta.get("unit") if meta.get("unit") in units else None,
                           quarter))
    header_unit_code = match_unit(_label_value(label_rows, ("填报单位",)), units)
    period_text = _label_value(label_rows, ("报告期", "报告期间", "填报期间", "统计期间"))
    candidates.append(("header", header_unit_code, find_quarter(period_text or "")))
    stem = Path(name).stem
    candidates.append(("filename", match_unit(stem, units), find_quarter(stem)))

    ident = Identity(template_version=meta.get("template_version") or None,
                     catalog_version=meta.get("catalog_version") or None)
    for source, unit, quarter in candidates:
        if ident.unit is None and unit:
            ident.unit, ident.source = unit, ident.source or source
        if ident.quarter is None and quarter:
            ident.quarter = quarter
            ident.source = ident.source or source
    for source, unit, quarter in candidates:
        issues += _mismatches(source, unit, quarter, ident, units, name, sheet)
    return ident


def _mismatches(source, unit, quarter, ident: Identity, units, name: str, sheet: str) -> list[Issue]:
    label = _SOURCE_LABEL[source]
    where = {"file": name, "sheet": sheet if source == "header" else ""}
    issues = []
    if unit and ident.unit and unit != ident.unit:
        issues.append(Issue(
            "identity_mismatch", Severity.WARNING,
            f"{label}中的填报单位（{units[unit].name}）与识别结果（{units[ident.unit].name}）不一致",
            "请确认本文件是哪个单位的报表，改正表头“填报单位”或文件名后重新报送。",
            found=units[unit].name, expected=units[ident.unit].name, **where,
        ))
    if quarter and ident.quarter and quarter != ident.quarter:
        issues.append(Issue(
            "identity_mismatch", Severity.WARNING,
            f"{label}中的报告期（{quarter.label}）与识别结果（{ident.quarter.label}）不一致",
            "请确认报告期，改正表头“报告期”或文件名后重新报送。",
            found=quarter.label, expected=ident.quarter.label, **where,
        ))
    return issues


# -- reading a submission -----------------------------------------------------

def read_submission(path: Path, units: dict[str, Unit], *,
                    indicator_units: Mapping[str, str] | None = None,
                    display_name: str | None = None, data: bytes | None = None,
                    limits: ReadLimits = DEFAULT_LIMITS) -> Submission:
    """Read one submission; raise UnreadableFile when nothing can be read from it.

    ``indicator_units`` (indicator id → unit of measure, from the catalog) is the
    unit a typed figure is converted to; without it the row's 单位 cell is used.
    ``display_name`` is the name shown in messages and used to identify the
    unit (e.g. the received name when ``path`` is the archived copy). ``data``:
    the file's bytes when the caller has read them already (to archive them).
    """
    name = display_name or Path(path).name
    try:
        return _read(Path(path), units, indicator_units or {}, name, data, limits)
    except UnreadableFile:
        raise
    except Exception as exc:  # a file no rule foresaw must not stop the run: say so, keep going
        log.exception("unexpected error reading %s", name)
        raise UnreadableFile(
            f"读取时出现意外错误（{type(exc).__name__}），文件可能已损坏或格式特殊", code="unexpected",
            file=name, found=type(exc).__name__) from exc


def _read(path: Path, units: dict[str, Unit], indicator_units: Mapping[str, str], name: str,
          data: bytes | None, limits: ReadLimits) -> Submission:
    book = open_book(path, name, limits, data)
    issues: list[Issue] = []
    grid, header = _data_sheet(book, name)
    rows, data_cells = _data_table(book, grid, header, indicator_units, name, issues)
    identity = _identity(book, _label_rows(grid, header, data_cells), grid.sheet, name, units,
                         issues)
    milestones, milestone_cells = _milestone_table(book, name, issues)
    parts = [data_cells, *milestone_cells, *_plain_cells(book, IDENTITY_SHEET)]
    if book.external_links:
        issues.append(Issue(
            "external_links", Severity.WARNING,
            "工作簿含有外部链接（引用了其他文件的数据）；已按文件中保存的数值读取，没有打开或更新被引用的文件",
            "请把引用外部文件的公式改为数值（复制后“选择性粘贴 → 数值”）后重新报送，以免数据随外部文件变化。",
            file=name, found="外部链接", expected="不含外部链接的工作簿"))
    return Submission(
        path=path, identity=identity, cells=CellParts(parts), rows=RowTuples(rows),
        milestones=RowTuples(milestones), issues=issues, file_format=book.file_format,
        encoding=book.encoding,
    )


def _data_sheet(book: _Book, name: str) -> tuple[Grid, Header]:
    """The sheet with the indicator table: 填报 when it has one, else the first that does."""
    order = [DATA_SHEET] if DATA_SHEET in book.sheet_names else []
    order += [s for s in book.sheet_names
              if s not in (DATA_SHEET, IDENTITY_SHEET, HELP_SHEET, MILESTONE_SHEET)]
    for sheet in order:
        grid = book.grid(sheet, exact=True)
        header = find_header(grid, DATA_HEADER_SYNONYMS, DATA_LOOSE_RULES,
                             ("indicator_id", "actual"))
        if header is not None:
            return grid, header
    if DATA_SHEET in book.sheet_names or book.file_format == "csv":
        raise UnreadableFile(
            "找不到表头行：应有一行同时含有“指标编号”和“累计完成”（或“本年累计”等同义标题）",
            code="no_header", file=name, sheet=DATA_SHEET, found="没有可识别的表头",
            expected="含“指标编号”“累计完成”两列的表头行",
            hint="请使用系统下发的模板填报，不要删除或改写表头行。")
    raise UnreadableFile(
        f"找不到“{DATA_SHEET}”工作表，也没有任何工作表含有“指标编号”“累计完成”表头",
        code="no_data_sheet", file=name, found="、".join(book.sheet_names) or "没有工作表",
        expected=f"名为“{DATA_SHEET}”的工作表", hint="请使用系统下发的模板填报，不要删除或改名“填报”工作表。")


def _expected_unit(row: TableRow, indicator_units: Mapping[str, str], header: Header) -> str:
    return (indicator_units.get(row.key) or normalize_text(row.values.get("uom"))
            or header_unit(header.titles.get("actual")))


def _data_table(book: _Book, grid: Grid, header: Header, indicator_units: Mapping[str, str],
                name: str, issues: list[Issue]) -> tuple[list[tuple], SheetCells]:
    table, _ = _table_rows(grid, header, "indicator_id", ("actual",))
    units = {r.row_number: _expected_unit(r, indicator_units, header) for r in table}
    col = header.columns["actual"]
    percent = book.percent_cells(grid.sheet, {
        r.cell("actual") for r in table
        if units[r.row_number] == "%" and grid.kind(r.row_number, col) == "number"})
    empty = {r.cell("actual") for r in table if r.values.get("actual") is None}
    formulas = book.formulas_without_value(grid.sheet, empty) if empty else {}
    cells = _sheet_cells(grid, header, table, units)
    staged = []
    for r in table:
        n, ref, text = r.row_number, r.cell("actual"), r.values.get("actual")
        if ref in formulas:
            issues.append(_formula_issue(name, grid.sheet, ref, formulas[ref]))
            grid.add(n, col, f"={formulas[ref]}", "formula_no_value", None)
            read = ("formula_no_value", None, "empty", "公式没有保存计算结果")
        else:
            read = _read_value(grid, n, col, text, units[n], ref in percent)
        kind, value, code, detail = read
        if code is not None or kind not in ("number", "text"):
            cells.overrides[(n, col)] = (kind, value, code)
        staged.append((grid.sheet, n, r.key or None, r.cell("indicator_id"),
                       r.values.get("name"), r.values.get("uom"), text, ref,
                       r.values.get("note"), kind, value, code, detail, units[n] or None))
    return staged, cells


def _read_value(grid: Grid, row: int, col: int, text: str | None, unit: str,
                percent: bool) -> tuple[str, float | None, str | None, str]:
    """(kind, number, parse code, detail) of one value cell."""
    if text is None:
        return "empty", None, "empty", ""
    special = grid.special.get((row, col))
    if special is not None and special[0] != "number":
        parsed = parse_number(text, unit)  # an error cell: its text is the error
        return special[0], parsed.value, parsed.code, parsed.detail
    if special is not None or (grid.numeric_text and _PLAIN_DECIMAL.match(text)):
        number = special[1] if special is not None else float(text)
        if percent:
            return "percent", round(number * 100, 10), None, "百分比格式"
        return "number", number, None, ""
    parsed = parse_number(text, unit)
    return "text", parsed.value, parsed.code, parsed.detail


def _formula_issue(name: str, sheet: str, cell: str, formula: str) -> Issue:
    shown = f"={formula}" if formula else "公式"
    return Issue(
        "formula_without_value", Severity.WARNING,
        f"单元格是公式（{shown}），但文件中没有保存计算结果，按空值处理",
        "请在 Excel 中打开该文件、确认公式算出结果后保存，或直接填写数值，再重新报送。",
        file=name, sheet=sheet, cell=cell, found=shown, expected="数值或带计算结果的公式")


def _milestone_table(book: _Book, name: str,
                     issues: list[Issue]) -> tuple[list[tuple], list[SheetCells]]:
    for sheet in _milestone_sheets(book):
        grid = book.grid(sheet)
        header = find_header(grid, MILESTONE_HEADER_SYNONYMS, MILESTONE_LOOSE_RULES,
                             ("milestone_id", "status"))
        if header is None:
            return [], _plain_cells(book, sheet)
        table, _ = _table_rows(grid, header, "milestone_id", ("status", "note", "evidence"))
        rows = [
            (r.row_number, r.key or None,
             normalize_text(r.values.get("status")) or None, r.cell("status"),
             r.values.get("note"), r.values.get("evidence"), sheet,
             r.cell("milestone_id"), r.values.get("task"))
            for r in table
        ]
        return rows, [_sheet_cells(grid, header, table, {})]
    issues.append(Issue(
        "missing_milestone_sheet", Severity.WARNING,
        f"文件中没有“{MILESTONE_SHEET}”工作表（或其中找不到“任务编号”“进展状态”表头），本次未读取重点任务进展",
        f"如需报送重点任务进展，请使用系统下发的模板，在“{MILESTONE_SHEET}”工作表中填写。",
        file=name, found="没有重点任务表", expected=f"“{MILESTONE_SHEET}”工作表"))
    return [], []


def _milestone_sheets(book: _Book) -> list[str]:
    return [MILESTONE_SHEET] if MILESTONE_SHEET in book.sheet_names else []


def frame_from_rows(rows: list[tuple], schema: dict) -> pl.DataFrame:
    """Row tuples to a frame, one typed Series per column (several times faster than
    handing polars a dict with a schema to check)."""
    if not rows:
        return pl.DataFrame(schema=schema)
    columns = zip(*rows, strict=True)
    return pl.DataFrame([pl.Series(name, values, dtype=dtype)
                         for (name, dtype), values in zip(schema.items(), columns, strict=True)])


# -- cells with provenance ----------------------------------------------------

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
        default_factory=dict)  # (row, column) → (kind, number, parse code)


def _sheet_cells(grid: Grid, header: Header, table: list[TableRow],
                 units: dict[int, str]) -> SheetCells:
    cells = SheetCells(grid, {r.row_number: r.key or None for r in table},
                       {c: k for k, c in header.columns.items()})
    for key in NUMERIC_KEYS:  # text typed where a number belongs: read it as a person would
        col = header.columns.get(key)
        if col is None:
            continue
        for r in table:
            text = r.values.get(key)
            if (text is None or (r.row_number, col) in grid.special
                    or (grid.numeric_text and _PLAIN_DECIMAL.match(text))):
                continue
            parsed = parse_number(text, units.get(r.row_number, ""))
            cells.overrides[(r.row_number, col)] = ("text", parsed.value, parsed.code)
    return cells


def _plain_cells(book: _Book, sheet: str) -> list[SheetCells]:
    """A sheet outside any table (the identity sheet), kept for provenance."""
    return [SheetCells(book.grid(sheet))] if sheet in book.sheet_names else []


def cells_frame(files: list[tuple[str | None, list[SheetCells]]]) -> pl.DataFrame:
    """One frame of every cell of many files (``file_hash`` first when hashes are given).

    The per-cell work is done by polars on whole columns: kinds and numbers are
    read from the text, a table's records and headers and the re-read cells are
    joined on, addresses are built from numbers.
    """
    names: list[str] = []
    columns: dict[str, list] = {"f": [], "s": [], "r": [], "c": [], "raw_text": [],
                                "numeric": []}
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
    types = {"f": pl.Int32, "s": pl.Int32, "r": pl.Int32, "c": pl.Int32, "raw_text": pl.String,
             "numeric": pl.Boolean}
    frame = pl.DataFrame([pl.Series(k, v, dtype=types[k]) for k, v in columns.items()])
    key = ["f", "s", "r"]
    frame = (
        frame.join(_small(records, [*key, "record_key"], types), on=key, how="left")
        .join(_small(headers, ["f", "s", "c", "header"], types), on=["f", "s", "c"], how="left")
        .join(_small(overrides, [*key, "c", "o_kind", "o_value", "o_code"], types),
              on=[*key, "c"], how="left")
    )
    number = pl.col("numeric") & pl.col("raw_text").str.contains(PLAIN_DECIMAL)
    letters = pl.col("c").replace_strict(
        {c: column_letter(c) for c in set(columns["c"])}, return_dtype=pl.String)
    frame = frame.sort("f", "s", "r", "c").with_columns(
        sheet=pl.col("s").replace_strict(dict(enumerate(names)), return_dtype=pl.String),
        row_number=pl.col("r"),
        column_letter=letters,
        column_number=pl.col("c") + 1,
        header=pl.when(pl.col("in_table")).then(pl.col("header")),
        value_kind=pl.coalesce("o_kind", pl.when(number).then(pl.lit("number"))
                               .otherwise(pl.lit("text"))),
        parsed_value=pl.when(pl.col("o_kind").is_not_null()).then(pl.col("o_value"))
        .when(number).then(pl.col("raw_text").cast(pl.Float64, strict=False)),
        parse_code=pl.col("o_code"),
    ).with_columns(cell=pl.concat_str("column_letter", pl.col("row_number").cast(pl.String)))
    hashes = dict(enumerate(h for h, _ in files))
    if all(h is None for h in hashes.values()):
        return frame.select(list(CELL_SCHEMA))
    file_hash = pl.col("f").replace_strict(hashes, return_dtype=pl.String).alias("file_hash")
    return frame.select(file_hash, *CELL_SCHEMA)


def _small(rows: list[tuple], names: list[str], types: dict) -> pl.DataFrame:
    """A small lookup frame (records, headers, re-read cells) with join-compatible types."""
    dtypes = {**types, "record_key": pl.String, "header": pl.String, "o_kind": pl.String,
              "o_value": pl.Float64, "o_code": pl.String, "in_table": pl.Boolean}
    frame = pl.DataFrame(rows, schema={n: dtypes[n] for n in names}, orient="row")
    if "record_key" in names:
        frame = frame.with_columns(in_table=pl.lit(True))
    return frame
