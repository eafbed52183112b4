"""What a file must pass before any parser sees it.

Its bytes are sniffed (a PDF or a text file renamed .xlsx, an encrypted
workbook, a Word document) and its size checked; a zip's declared sizes are
checked against clear limits, so that a zip bomb is refused before anything is
inflated. A CSV's text is decoded from the encodings a steward's Excel writes
(UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16).
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from plantrack.reader.errors import ENCRYPTED_HINT, UnreadableFile


@dataclass(frozen=True)
class ReadLimits:
    """What a submission may cost to open. A quarterly workbook is tens of KB."""

    max_file_bytes: int = 50 * 2**20
    max_uncompressed_bytes: int = 100 * 2**20  # all members of an .xlsx together
    max_ratio: int = 200  # per member, for members above ratio_from_bytes
    ratio_from_bytes: int = 2**20
    max_members: int = 10_000
    # a sheet's occupied cells, checked before calamine allocates a slot per position
    max_rows: int = 10_000
    max_columns: int = 200
    max_cells: int = 200_000


DEFAULT_LIMITS = ReadLimits()
# Deflate cannot expand data by more than about 1032:1. When the compressed
# bytes times this bound fit in the limit, even lying size headers are harmless;
# otherwise every member is inflated once, with a cap, before calamine runs.
DEFLATE_MAX_RATIO = 1032


# -- sizes ----------------------------------------------------------------------


def read_bytes(path: Path, name: str, limits: ReadLimits) -> bytes:
    if not path.is_file():
        raise UnreadableFile("找不到文件或不是普通文件", code="missing", file=name)
    if path.stat().st_size > limits.max_file_bytes:
        check_size(b"", name, limits, path.stat().st_size)
    return check_size(path.read_bytes(), name, limits)


def check_size(data: bytes, name: str, limits: ReadLimits, size: int | None = None) -> bytes:
    size = len(data) if size is None else size
    if size == 0:
        raise UnreadableFile(
            "文件为空（0字节），没有任何内容",
            code="empty",
            file=name,
            found="0 字节",
            hint="请重新导出或另存该工作簿，确认文件大小不为 0 后再报送。",
        )
    if size > limits.max_file_bytes:
        raise UnreadableFile(
            f"文件过大（{size / 2**20:.1f} MB），超过 {limits.max_file_bytes // 2**20} MB 的上限",
            code="too_large",
            file=name,
            found=f"{size / 2**20:.1f} MB",
            expected=f"不超过 {limits.max_file_bytes // 2**20} MB",
            hint="请删除与填报无关的工作表、图片后另存为 .xlsx 重新报送。",
        )
    return data


# -- zip ------------------------------------------------------------------------


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
        raise _bomb(
            name, f"解压后共 {total / 2**20:.0f} MB，超过 {limits.max_uncompressed_bytes // 2**20} MB 的上限"
        )
    for member, packed, size in entries:
        ratio = size / max(packed, 1)
        if size > limits.ratio_from_bytes and ratio > limits.max_ratio:
            raise _bomb(name, f"内部文件 {member} 的压缩比为 {ratio:.0f}:1，超过 {limits.max_ratio}:1 的上限")
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
        if data[pos : pos + 4] != b"PK\x01\x02" or pos + _CENTRAL.size > at:
            raise _corrupt(name)
        fields = _CENTRAL.unpack_from(data, pos)
        packed, size, name_len, extra_len, comment_len = fields[8:13]
        if 0xFFFFFFFF in (packed, size):
            return _zip_entries_slow(data, name)
        member = data[pos + 46 : pos + 46 + name_len].decode("utf-8", "replace")
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
    return UnreadableFile(
        "文件已损坏：压缩结构不完整（可能是下载或拷贝时被截断）",
        code="corrupt",
        file=name,
        found="损坏的 .xlsx 压缩结构",
    )


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
                code="corrupt",
                file=name,
                found="压缩数据与声明不符",
            ) from exc


def _bomb(name: str, detail: str) -> UnreadableFile:
    return UnreadableFile(
        f"文件解压后体积异常（{detail}），疑似压缩炸弹，已拒绝读取",
        code="zip_bomb",
        file=name,
        found=detail,
        expected="正常的 Excel 工作簿（解压后通常不超过几 MB）",
        hint="请确认文件来源；用 Excel 打开原始报表，只保留填报内容后另存为 .xlsx 重新报送。",
    )


def zip_kind(facts: ZipFacts, data: bytes, name: str) -> str:
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
    raise UnreadableFile(
        f"文件内容是{what}，不是 Excel 工作簿", code="not_a_spreadsheet", file=name, found=what
    )


# -- what the bytes are --------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def describe_bytes(data: bytes) -> str:
    """What a non-spreadsheet file looks like, in words a steward understands."""
    head = data[:2048]
    signatures = (
        (b"%PDF", "PDF 文档"),
        (b"\x89PNG", "PNG 图片"),
        (b"\xff\xd8\xff", "JPEG 图片"),
        (b"GIF8", "GIF 图片"),
        (b"Rar!", "RAR 压缩包"),
        (b"7z\xbc\xaf", "7z 压缩包"),
        (b"{\\rtf", "RTF 文档"),
    )
    for magic, what in signatures:
        if head.startswith(magic):
            return what
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<table")) or b"<html" in lowered:
        return "网页（HTML）"
    if b"urn:schemas-microsoft-com:office:spreadsheet" in lowered or b"excel.sheet" in lowered:
        return "Excel 2003 XML 表格（XML Spreadsheet）"
    if lowered.startswith((b"<?xml", b"<!doctype")):
        return "含 DOCTYPE 声明的 XML 文本" if b"<!doctype" in lowered else "XML 文本"
    if b"\x00" in head:
        return "无法识别的二进制数据"
    return "纯文本"


def ole_kind(data: bytes, name: str) -> str:
    if _utf16("EncryptedPackage") in data or _utf16("EncryptionInfo") in data:
        raise UnreadableFile(
            "文件设置了打开密码（已加密），无法读取",
            code="encrypted",
            file=name,
            found="加密的工作簿",
            expected="未设置打开密码的工作簿（.xlsx/.xls/.ods）",
            hint=ENCRYPTED_HINT,
        )
    if _utf16("Workbook") in data:
        return "xls"
    if _utf16("WordDocument") in data:
        raise UnreadableFile(
            "文件内容是Word 文档（.doc），不是 Excel 工作簿",
            code="not_a_spreadsheet",
            file=name,
            found="Word 文档（.doc）",
        )
    if _utf16("Book") in data:  # Excel 5/95 names its stream Book
        return "xls"
    what = "其他 Office 文件"
    raise UnreadableFile(
        f"文件内容是{what}，不是 Excel 工作簿", code="not_a_spreadsheet", file=name, found=what
    )


def decode_csv(data: bytes, name: str) -> tuple[str, str]:
    """The text of a CSV and the encoding it was written in.

    UTF-8 (with or without BOM), GBK/GB18030 and UTF-16 (with a BOM, or without
    one when the NUL bytes of its ASCII characters say which byte order) are
    read; a CSV whose Chinese became "?" is refused with its own reason.
    """
    boms = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    for bom, encoding in boms:
        if data.startswith(bom):
            return _checked(data.decode(encoding), encoding, name)
    if b"\x00" in data[:4096]:
        found = _utf16_without_bom(data)
        if found is not None:
            return _checked(*found, name)
        raise _nul_bytes(data, name)
    for encoding in ("utf-8", "gb18030"):
        try:
            return _checked(data.decode(encoding), encoding, name)
        except UnicodeDecodeError:
            continue
    _checked(data.decode("cp1252", errors="replace"), "cp1252", name)  # Western: Chinese lost?
    raise UnreadableFile(
        "无法识别 CSV 文件的编码（不是 UTF-8 或 GBK）",
        code="encoding",
        file=name,
        found="未知编码",
        expected="UTF-8 或 GBK 编码的 CSV",
        hint=CSV_ENCODING_HINT,
    )


CSV_ENCODING_HINT = (
    "请用 Excel、WPS 或 LibreOffice 打开原始表格，另存为 .xlsx 重新报送；如需 CSV，"
    "请另存为“CSV UTF-8（逗号分隔）”，LibreOffice 中在“字符集”里选择 Unicode (UTF-8) 或 简体中文 (GBK)。"
)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_LOST_FIELD = re.compile(r"^[\s\d.,:;()\[\]（）\-_/]*\?{2,}[?\s\d.,:;()\[\]（）\-_/]*$")


def _checked(text: str, encoding: str, name: str) -> tuple[str, str]:
    """Refuse a CSV whose Chinese was written as "?" (saved in an encoding without Chinese)."""
    if _CJK.search(text[:65536]) is None:
        lines = text[:65536].splitlines()[:50]
        fields = [f.strip().strip('"') for line in lines for f in re.split(r"[,\t;]", line)]
        lost = [f for f in fields if _LOST_FIELD.match(f)]
        if len(lost) >= 2:
            shown = "，".join(dict.fromkeys(lost[:4]))
            raise UnreadableFile(
                "CSV 文件中的中文已丢失，请另存为 UTF-8 或 GBK 编码（文件是用不含中文的编码保存的，"
                "每个汉字都变成了“?”）",
                code="chinese_lost",
                file=name,
                found=f"{len(lost)} 处只有问号的内容，如：{shown}",
                expected="UTF-8 或 GBK 编码、中文完整的 CSV",
                hint=CSV_ENCODING_HINT,
            )
    return text, encoding


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 text without a BOM: the NUL high bytes of its commas and digits give the order."""
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    for encoding, zeros, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros and zeros.count(0) >= 0.3 * len(zeros) and others.count(0) <= 0.02 * len(others):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            return (text, encoding) if "\x00" not in text else None
    return None


def _nul_bytes(data: bytes, name: str) -> UnreadableFile:
    what = describe_bytes(data)
    if what not in ("无法识别的二进制数据", "纯文本"):
        return UnreadableFile(
            f"文件扩展名是 .csv，但内容是{what}", code="not_a_spreadsheet", file=name, found=what
        )
    count, first = data.count(b"\x00"), data.find(b"\x00")
    return UnreadableFile(
        f"文件扩展名是 .csv，但内容含有 {count} 个空字节（NUL，第一个在第 {first + 1} 字节处），"
        "不是纯文本表格：可能是工作簿或其他二进制文件被改成了 .csv",
        code="not_a_spreadsheet",
        file=name,
        found=f"{count} 个 NUL 空字节",
        expected="纯文本 CSV（UTF-8 或 GBK 编码）",
        hint="如果这是 Excel/WPS/LibreOffice 工作簿，请把扩展名改回 .xlsx、.xls 或 .ods；"
        "否则请在表格软件中另存为 .xlsx 或 UTF-8 编码的 .csv 后重新报送。",
    )
