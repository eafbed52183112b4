"""The sheets of one file behind one interface, whatever reads them.

``open_book`` sniffs the bytes, applies the guards and picks the reader:
calamine for workbooks (.xlsx, .xls, .xlsb, .ods), the csv module for a CSV,
read as the single sheet 填报. Sheets are loaded on demand; what calamine does
not expose (formulas without a cached value, percent formats) is looked up in
the file itself (``formats``).
"""

from __future__ import annotations

import csv
import io
import zipfile
from functools import cached_property
from pathlib import Path
from xml.parsers import expat

import fastexcel

from plantrack.reader.errors import UnreadableFile
from plantrack.reader.formats import UnsafeXml, XlsxParts, xls_percent_cells
from plantrack.reader.grid import Grid, calamine_grid, csv_grid
from plantrack.reader.guards import (
    DEFAULT_LIMITS,
    OLE_MAGIC,
    ReadLimits,
    ZipFacts,
    check_size,
    check_zip,
    decode_csv,
    describe_bytes,
    ole_kind,
    read_bytes,
    zip_kind,
)
from plantrack.template import DATA_SHEET
from transforms.cleaning import is_percent_format


def open_book(path: Path, name: str | None = None, limits: ReadLimits = DEFAULT_LIMITS,
              data: bytes | None = None) -> Book:
    """Sniff the bytes, apply the guards and open the file with the right reader."""
    name = name or path.name
    data = read_bytes(path, name, limits) if data is None else check_size(data, name, limits)
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        facts = check_zip(data, name, limits)
        return _CalamineBook(data, name, zip_kind(facts, data, name), facts)
    if data.startswith(OLE_MAGIC):
        return _CalamineBook(data, name, ole_kind(data, name), None)
    if suffix in (".csv", ".txt"):
        return _CsvBook(data, name)
    what = describe_bytes(data)
    shown = suffix or "（无扩展名）"
    raise UnreadableFile(f"文件扩展名是 {shown}，但内容是{what}，不是 Excel 工作簿",
                         code="not_a_spreadsheet", file=name, found=what)


class Book:
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


class _CsvBook(Book):
    file_format = "csv"

    def __init__(self, data: bytes, name: str):
        super().__init__(name)
        self.text, self.encoding = decode_csv(data, name)
        self.sheet_names = [DATA_SHEET]

    def _load(self, sheet: str, exact: bool) -> Grid:
        try:
            return csv_grid(self.text, sheet)
        except csv.Error as exc:  # e.g. a field of megabytes: not a table a person filled in
            raise UnreadableFile(f"CSV 文件格式错误（{exc}），无法按表格读取", code="corrupt",
                                 file=self.name, sheet=sheet, found="格式错误的 CSV") from exc


class _CalamineBook(Book):
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
            return calamine_grid(self.reader, sheet, exact)
        except Exception as exc:
            raise _calamine_error(exc, self.name, sheet) from exc

    @cached_property
    def _xlsx(self) -> XlsxParts | None:
        if self.file_format != "xlsx":
            return None
        try:
            return XlsxParts(zipfile.ZipFile(io.BytesIO(self.data)))
        except UnsafeXml as exc:
            raise _unsafe_xml(exc, self.name, "") from exc
        except (KeyError, ValueError, expat.ExpatError):
            return None  # facts are a refinement: without them the values still read

    def formulas_without_value(self, sheet: str, cells: set[str]) -> dict[str, str]:
        facts = self._cell_facts(sheet, cells)
        return {ref: f for ref, (f, has_value, _) in facts.items() if f is not None and not has_value}

    def percent_cells(self, sheet: str, cells: set[str]) -> set[str]:
        if not cells:
            return set()
        if self.file_format == "xls":
            return xls_percent_cells(self.data, sheet, cells)
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
        except UnsafeXml as exc:
            raise _unsafe_xml(exc, self.name, sheet) from exc
        except (KeyError, ValueError, expat.ExpatError):
            return {}


def _calamine_error(exc: Exception, name: str, sheet: str) -> UnreadableFile:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:  # an .xls with a password (FILEPASS)
        return UnreadableFile("文件设置了打开密码（已加密），无法读取", code="encrypted", file=name,
                              sheet=sheet, found="加密的工作簿", expected="未设置密码的 Excel 工作簿")
    return UnreadableFile("文件已损坏或格式不正确，Excel 数据无法解析", code="corrupt", file=name,
                          sheet=sheet, found="无法解析的工作表" if sheet else "无法解析的工作簿")


def _unsafe_xml(exc: UnsafeXml, name: str, sheet: str) -> UnreadableFile:
    return UnreadableFile("文件含有不允许的 XML 声明（DOCTYPE/ENTITY），已拒绝读取",
                          code="unsafe_xml", file=name, sheet=sheet, found=str(exc))
