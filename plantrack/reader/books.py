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

from plantrack.reader import ods
from plantrack.reader.errors import ENCRYPTED_HINT, EXPECTED_FILE, NOT_A_SPREADSHEET_HINT, UnreadableFile
from plantrack.reader.extent import TooLarge, check_xlsx_sheet, too_large, xls_extent
from plantrack.reader.formats import (
    UnsafeXml,
    XlsxParts,
    safe_parser,
    split_ref,
    xls_encrypted,
    xls_percent_cells,
)
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
from plantrack.workbook_contract import DATA_SHEET
from transforms.cleaning import is_percent_format


def open_book(
    path: Path, name: str | None = None, limits: ReadLimits = DEFAULT_LIMITS, data: bytes | None = None
) -> Book:
    """Sniff the bytes, apply the guards and open the file with the right reader."""
    name = name or path.name
    data = read_bytes(path, name, limits) if data is None else check_size(data, name, limits)
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        facts = check_zip(data, name, limits)
        return _CalamineBook(data, name, zip_kind(facts, data, name), facts, limits)
    if data.startswith(OLE_MAGIC):
        return _CalamineBook(data, name, ole_kind(data, name), None, limits)
    what = describe_bytes(data)
    if suffix in (".csv", ".txt") and "XML" not in what and "HTML" not in what:
        return _CsvBook(data, name, limits)
    shown = suffix or "（无扩展名）"
    raise UnreadableFile(
        f"文件扩展名是 {shown}，但内容是{what}，不是电子表格",
        code="not_a_spreadsheet",
        file=name,
        found=what,
        expected=EXPECTED_FILE,
        hint=NOT_A_SPREADSHEET_HINT,
    )


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

    def __init__(self, data: bytes, name: str, limits: ReadLimits):
        super().__init__(name)
        self.text, self.encoding = decode_csv(data, name)
        self.sheet_names = [DATA_SHEET]
        self.limits = limits

    def _load(self, sheet: str, exact: bool) -> Grid:
        try:
            return csv_grid(self.text, sheet, self.limits)
        except TooLarge as exc:
            raise too_large(exc, self.name, sheet, self.limits) from None
        except csv.Error as exc:  # e.g. a field of megabytes: not a table a person filled in
            raise UnreadableFile(
                f"CSV 文件格式错误（{exc}），无法按表格读取",
                code="corrupt",
                file=self.name,
                sheet=sheet,
                found="格式错误的 CSV",
            ) from exc


class _CalamineBook(Book):
    def __init__(
        self,
        data: bytes,
        name: str,
        file_format: str,
        facts: ZipFacts | None,
        limits: ReadLimits = DEFAULT_LIMITS,
    ):
        super().__init__(name)
        self.data, self.file_format, self.limits = data, file_format, limits
        self.external_links = bool(facts and facts.external_links)
        self._ods: dict[str, ods.OdsSheet] | None = None
        # calamine reads every sheet of an .ods or .xls when it opens one: all are checked first
        if file_format == "ods":
            self._ods = self._read_ods()
            for sheet in self._ods:
                self._check_extent(sheet)
        elif file_format == "xls":
            if xls_encrypted(data):
                raise _encrypted(name)
            self._xls_extents()
        try:
            self.reader = fastexcel.read_excel(data)
            self.sheet_names = list(self.reader.sheet_names)
        except Exception as exc:  # calamine reports every broken file as one error type
            raise _calamine_error(exc, name, "") from exc

    def _load(self, sheet: str, exact: bool) -> Grid:
        self._check_extent(sheet)  # before calamine allocates a slot per position
        try:
            grid = calamine_grid(self.reader, sheet, exact)
        except Exception as exc:
            raise _calamine_error(exc, self.name, sheet) from exc
        if self._ods is not None and sheet in self._ods:
            _ods_values(grid, self._ods[sheet])
        return grid

    def _read_ods(self) -> dict[str, ods.OdsSheet]:
        try:
            archive = zipfile.ZipFile(io.BytesIO(self.data))
            if ods.is_encrypted(archive):
                raise _encrypted(self.name)
            return ods.read_content(archive, self.limits)
        except UnsafeXml as exc:
            raise _unsafe_xml(exc, self.name, "") from exc
        except (KeyError, ValueError, expat.ExpatError, zipfile.BadZipFile) as exc:
            raise _calamine_error(exc, self.name, "") from exc

    def _check_extent(self, sheet: str) -> None:
        try:
            if self._ods is not None:
                found = self._ods.get(sheet)
                if found is not None and found.too_large is not None:
                    raise found.too_large
            elif self.file_format == "xlsx":
                self._xlsx_extent(sheet)
        except TooLarge as exc:
            raise too_large(exc, self.name, sheet, self.limits) from None
        except UnsafeXml as exc:
            raise _unsafe_xml(exc, self.name, sheet) from exc
        except expat.ExpatError as exc:
            raise _calamine_error(exc, self.name, sheet) from exc

    def _xlsx_extent(self, sheet: str) -> None:
        parts = self._xlsx
        path = parts.sheet_paths.get(sheet) if parts is not None else None
        if path is None:  # the package parts cannot be read: calamine will say why
            return
        with parts.archive.open(path) as stream:
            check_xlsx_sheet(stream, self.limits, safe_parser)

    def _xls_extents(self) -> None:
        import xlrd

        try:
            book = xlrd.open_workbook(file_contents=self.data, on_demand=True, logfile=io.StringIO())
            sheets = list(zip(book._sheet_names, book._sh_abs_posn, strict=True))
        except Exception:  # calamine reads what xlrd cannot: then calamine decides
            return
        for sheet, start in sheets:
            try:
                xls_extent(book.mem, start, self.limits)
            except TooLarge as exc:
                raise too_large(exc, self.name, sheet, self.limits) from None

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
        if self._ods is not None:
            found = self._ods.get(sheet)
            facts = {ref: _ods_cell(found, ref) for ref in cells} if found else {}
            return {
                ref: f.formula.lstrip("=")
                for ref, f in facts.items()
                if f is not None and f.formula is not None and f.value_type is None
            }
        facts = self._cell_facts(sheet, cells)
        return {ref: f for ref, (f, has_value, _) in facts.items() if f is not None and not has_value}

    def percent_cells(self, sheet: str, cells: set[str]) -> set[str]:
        if not cells:
            return set()
        if self.file_format == "xls":
            return xls_percent_cells(self.data, sheet, cells)
        if self._ods is not None:
            found = self._ods.get(sheet)
            return {ref for ref in cells if found and _ods_cell(found, ref) and _ods_cell(found, ref).percent}
        parts = self._xlsx
        if parts is None:
            return set()
        facts = self._cell_facts(sheet, cells)
        return {ref for ref, (_, _, style) in facts.items() if is_percent_format(parts.number_format(style))}

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


def _ods_cell(sheet: ods.OdsSheet, ref: str) -> ods.OdsCell | None:
    row, col = split_ref(ref)
    return sheet.cells.get((row, col + 1))


def _ods_values(grid: Grid, sheet: ods.OdsSheet) -> None:
    """Error cells (calamine gives an empty text) and dates, as an .xlsx gives them."""
    for (row, col), cell in sheet.cells.items():
        if cell.error is not None:
            grid.put(row, col - 1, cell.error, "error", None)
        elif cell.date_value and grid.text(row, col - 1) is not None:
            grid.put(row, col - 1, ods.date_text(cell.date_value), None, None)


def _encrypted(name: str, sheet: str = "") -> UnreadableFile:
    return UnreadableFile(
        "文件设置了打开密码（已加密），无法读取",
        code="encrypted",
        file=name,
        sheet=sheet,
        found="加密的工作簿",
        expected="未设置打开密码的工作簿（.xlsx/.xls/.ods）",
        hint=ENCRYPTED_HINT,
    )


def _calamine_error(exc: Exception, name: str, sheet: str) -> UnreadableFile:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:  # an .xls with a password (FILEPASS)
        return _encrypted(name, sheet)
    return UnreadableFile(
        "文件已损坏或格式不正确，Excel 数据无法解析",
        code="corrupt",
        file=name,
        sheet=sheet,
        found="无法解析的工作表" if sheet else "无法解析的工作簿",
    )


def _unsafe_xml(exc: UnsafeXml, name: str, sheet: str) -> UnreadableFile:
    return UnreadableFile(
        "文件内部的 XML 含有 DOCTYPE/ENTITY 声明，已拒绝读取：Excel、WPS 和 LibreOffice 保存的工作簿"
        "从不含有这种声明，它可被用来读取服务器上的文件或耗尽内存",
        code="unsafe_xml",
        file=name,
        sheet=sheet,
        found=f"{exc} 声明",
        expected="Excel、WPS 或 LibreOffice 直接保存的工作簿",
        hint="请确认文件来源；用 Excel、WPS 或 LibreOffice 打开后另存为新的 .xlsx（或 .ods），再重新报送。",
    )
