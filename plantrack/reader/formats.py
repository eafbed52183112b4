"""What calamine does not expose, read from the file itself: formulas and number formats.

Calamine gives a cell's cached value, not its formula or number format. For
the few cells where these matter (a value cell left empty, a % row's number)
they are looked up in the .xlsx package XML, with every DTD refused, or in an
.xls through xlrd. Both are refinements: when a file's parts cannot be read,
its values still are.
"""

from __future__ import annotations

import contextlib
import re
import struct
import zipfile
from pathlib import PurePosixPath
from xml.parsers import expat
from xml.sax.saxutils import unescape as xml_unescape

from transforms.cleaning import is_percent_format

# -- .xlsx: the package XML -----------------------------------------------------


class UnsafeXml(ValueError):
    """A DTD or entity declaration: refused, never expanded."""


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


def _parse_xml(data: bytes, start, end=None, text=None) -> None:
    """Parse with expat, refusing any DTD: no entity can expand or fetch anything."""
    safe_parser(start, end, text).Parse(data, True)


def safe_parser(start, end=None, text=None) -> expat.XMLParserType:
    """An expat parser (namespaces as 'uri local') that refuses any DTD or entity."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*args):
        raise UnsafeXml("DOCTYPE")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    if start is not None:  # None: only check that the XML is well formed and declares nothing
        parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    return parser


class XlsxParts:
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
            raise UnsafeXml("DOCTYPE")
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
    return re.compile(rf'<(?:\w+:)?c\b(?=[^>]*\sr="{ref}")([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)', re.DOTALL)


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


# -- .xls: through xlrd -------------------------------------------------------


def xls_percent_cells(data: bytes, sheet: str, cells: set[str]) -> set[str]:
    """Percent-formatted cells of an .xls (xlrd reads BIFF formats; calamine does not)."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
        ws = book.sheet_by_name(sheet)
    except Exception:  # formats are a refinement; the values were read already
        return set()
    found = set()
    for ref in cells:
        row, col = split_ref(ref)
        try:
            xf = book.xf_list[ws.cell_xf_index(row - 1, col)]
            fmt = book.format_map[xf.format_key].format_str
        except (IndexError, KeyError):
            continue
        if is_percent_format(fmt):
            found.add(ref)
    return found


def xls_encrypted(data: bytes) -> bool:
    """An .xls saved with a password: a FILEPASS record among the workbook globals.

    Calamine and xlrd both call such a file broken, or read garbage; the record
    comes right after the first BOF, so a few records are read at most.
    """
    import io

    from xlrd import compdoc

    try:
        doc = compdoc.CompDoc(data, logfile=io.StringIO())
        for stream in ("Workbook", "Book"):
            mem, base, size = doc.locate_named_stream(stream)
            if mem is not None:
                break
        else:
            return False
    except Exception:  # not an OLE file calamine could read either: it will say so
        return False
    pos, end = base, base + size
    for _ in range(200):  # FILEPASS follows BOF within the first records
        if pos + 4 > end:
            return False
        kind, length = struct.unpack_from("<HH", mem, pos)
        if kind == 0x002F:  # FILEPASS
            return True
        if kind == 0x000A:  # EOF of the globals
            return False
        pos += 4 + length
    return False


def split_ref(ref: str) -> tuple[int, int]:
    """'E12' → (12, 4): 1-based row, 0-based column."""
    m = re.match(r"^([A-Z]+)(\d+)$", ref)
    if not m:
        raise ValueError(ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col - 1
