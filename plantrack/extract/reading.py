"""Reading a plan text file: its encoding, and refusing what is not text."""

from __future__ import annotations

from pathlib import Path


class PlanTextError(Exception):
    """Raised with a Chinese, user-facing message when a plan text is unusable."""


_MAGIC = (
    (b"%PDF", "PDF 文件"),
    (b"PK\x03\x04", "Word/Excel（.docx/.xlsx）或压缩包"),
    (b"\xd0\xcf\x11\xe0", "旧版 Word/Excel（.doc/.xls）文件"),
    (b"{\\rtf", "RTF 文件"),
)
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_SAVE_AS_TEXT = "请把正文另存为纯文本（.txt，UTF-8 或 GBK 编码）后再试。"


def _decode(data: bytes, path: Path) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding.replace("-sig", ""))
            except UnicodeDecodeError as exc:
                message = f"{path} 不是有效的文本文件：编码损坏。{_SAVE_AS_TEXT}"
                raise PlanTextError(message) from exc
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise PlanTextError(f"{path} 不是文本文件（看起来是{what}）。{_SAVE_AS_TEXT}")
    if b"\x00" in data:
        raise PlanTextError(f"{path} 不是文本文件（含有二进制内容）。{_SAVE_AS_TEXT}")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlanTextError(f"{path} 不是文本文件：无法按 UTF-8 或 GBK 解码。{_SAVE_AS_TEXT}")


def _is_control(char: str) -> bool:
    code = ord(char)
    return (
        (code < 32 and char not in "\t\n\r\f\v")
        or 0x7F <= code < 0xA0
        or 0xE000 <= code <= 0xF8FF
        or char == "\ufffd"
    )


def _is_common(char: str) -> bool:
    """ASCII, CJK ideographs and the punctuation and symbols of Chinese prose."""
    code = ord(char)
    return (
        32 <= code < 127
        or char in "\t\n\r\f\v·×÷°±"
        or 0x4E00 <= code <= 0x9FFF
        or 0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
        or 0x2000 <= code <= 0x2BFF
        or 0x3400 <= code <= 0x4DBF
    )


def _looks_like_text(text: str) -> bool:
    """Mostly readable characters (binary data decoded by luck is not)."""
    sample = text[:20000]
    control = sum(1 for c in sample if _is_control(c))
    uncommon = sum(1 for c in sample if not _is_common(c))
    return control <= len(sample) // 200 and uncommon <= max(1, len(sample) // 10)


def read_plan_text(path: Path) -> str:
    """Read a plan text file: UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030.

    Raises PlanTextError (Chinese message) for missing files, directories,
    empty files and binary files.
    """
    path = Path(path)
    if not path.exists():
        raise PlanTextError(f"找不到文件：{path}")
    if path.is_dir():
        raise PlanTextError(f"{path} 是一个文件夹，不是文本文件。请指定计划正文的 .txt 文件。")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanTextError(f"无法读取文件 {path}：{exc.strerror or exc}") from exc
    if not data.strip():
        raise PlanTextError(f"文件为空：{path}")
    text = _decode(data, path).replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise PlanTextError(f"文件为空：{path}")
    if not _looks_like_text(text):
        raise PlanTextError(f"{path} 不是文本文件（大部分内容不是文字）。{_SAVE_AS_TEXT}")
    return text
