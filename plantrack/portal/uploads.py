"""Receiving a file: the upload form streamed with a size limit, names, and the inbox.

The multipart body is parsed as it arrives (python-multipart's push parser):
the CSRF field must come before the file, and is checked before a byte of the
file is written; the file part is written to a private temporary file and the
upload is refused as soon as it passes the size limit, the partial file
removed. The steward's file name is only ever shown; on disk every file gets a
name the server chose.

Submitting puts the file into the quarter's inbox exactly as a mailed file
arrives there: written under a hidden ``.part`` name the run ignores, its
modification time set to the receipt time (the run's ``received_at``), then
renamed into place in one step.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

from python_multipart.multipart import MultipartParser, parse_options_header

from plantrack.catalog import Unit
from plantrack.periods import Quarter

ALLOWED_SUFFIXES = (".xlsx", ".xls", ".ods", ".csv")
MAX_UPLOAD_BYTES = 20 * 2**20
MAX_FIELD_BYTES = 4096
MAX_FIELDS = 8
DRAIN_BYTES = 128 * 2**20  # a refused body is read (and dropped) up to this, so the browser sees the answer
_UNSAFE = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]+')


class UploadRefused(Exception):
    """The upload cannot be accepted; ``message`` is for the steward (Chinese)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def too_large_message(limit: int) -> str:
    return (
        f"文件超过 {limit // 2**20} MB 的上限，未被接收。季度填报表通常只有几十 KB，"
        "请确认选择的是填报表本身（不要把附件、图片放进表格），必要时另存为 .xlsx 后重新上传。"
    )


def shown_name(raw: str | None) -> str:
    """The steward's file name as it may be shown: no folders, no control characters."""
    text = unicodedata.normalize("NFC", raw or "")
    text = PureWindowsPath(PurePosixPath(text).name).name  # C:\\Users\\…\\表.xlsx → 表.xlsx
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    return text[:120] or "未命名文件"


def suffix_of(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadRefused(
            f"不支持的文件类型“{suffix or '无扩展名'}”。请上传 Excel 工作簿（.xlsx/.xls）、"
            "LibreOffice 表格（.ods）或 CSV 文件。",
            415,
        )
    return suffix


def safe_part(text: str) -> str:
    return _UNSAFE.sub("_", unicodedata.normalize("NFC", text)).strip(" ._") or "_"


def inbox_name(quarter: Quarter, unit: Unit, upload_id: str, suffix: str) -> str:
    """The name a portal submission has in the inbox: quarter, unit code and name, an id.

    The reader recognises the unit and quarter from such a name, as from a mailed file's.
    """
    return f"{quarter.code}_{unit.code}_{safe_part(unit.name)}_网上报送_{upload_id}{suffix}"


def new_upload_id() -> str:
    return secrets.token_hex(8)


# -- the streamed form ---------------------------------------------------------------


@dataclass
class ReceivedForm:
    fields: dict[str, str] = field(default_factory=dict)
    file_name: str | None = None  # as sent by the browser, unsanitised: show with shown_name
    file_path: Path | None = None  # the temporary file, or None when no file was sent
    size: int = 0
    sha256: str = ""

    def discard(self) -> None:
        if self.file_path is not None:
            self.file_path.unlink(missing_ok=True)
            self.file_path = None


class _Part:
    def __init__(self):
        self.headers: dict[bytes, bytes] = {}
        self.header_field = b""
        self.header_value = b""
        self.name = ""
        self.file_name: str | None = None
        self.value = bytearray()


async def receive_form(
    headers,
    chunks: AsyncIterator[bytes],
    scratch: Path,
    max_bytes: int,
    before_file: Callable[[dict[str, str], str], None],
) -> ReceivedForm:
    """Parse a multipart form with at most one file; ``before_file(fields, name)`` may refuse it.

    Raises UploadRefused (413 when too large); nothing of a refused upload is left on disk.
    """
    content_type, params = parse_options_header(headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise UploadRefused("上传请求格式不正确，请在页面上选择文件后点击“上传并校验”。")
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + 64 * 1024:
        raise UploadRefused(too_large_message(max_bytes), 413)

    form = ReceivedForm()
    events: list[tuple[str, bytes]] = []
    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": lambda: events.append(("begin", b"")),
            "on_header_field": lambda d, s, e: events.append(("hfield", d[s:e])),
            "on_header_value": lambda d, s, e: events.append(("hvalue", d[s:e])),
            "on_header_end": lambda: events.append(("hend", b"")),
            "on_headers_finished": lambda: events.append(("headers", b"")),
            "on_part_data": lambda d, s, e: events.append(("data", bytes(d[s:e]))),
            "on_part_end": lambda: events.append(("end", b"")),
        },
    )
    part = _Part()
    out = None
    hasher = hashlib.sha256()
    total = 0
    try:
        async for chunk in chunks:
            total += len(chunk)
            if total > max_bytes + 64 * 1024:
                raise UploadRefused(too_large_message(max_bytes), 413)
            parser.write(chunk)
            for kind, data in events:
                if kind == "begin":
                    part = _Part()
                elif kind == "hfield":
                    part.header_field += data
                elif kind == "hvalue":
                    part.header_value += data
                elif kind == "hend":
                    part.headers[part.header_field.lower()] = part.header_value
                    part.header_field, part.header_value = b"", b""
                elif kind == "headers":
                    _, disposition = parse_options_header(part.headers.get(b"content-disposition", b""))
                    part.name = disposition.get(b"name", b"").decode("utf-8", "replace")
                    if b"filename" in disposition:
                        if form.file_name is not None:
                            raise UploadRefused("一次只能上传一个文件。")
                        part.file_name = disposition[b"filename"].decode("utf-8", "replace")
                        form.file_name = part.file_name
                        before_file(form.fields, part.file_name)  # CSRF, type: before any byte
                        out, form.file_path = _scratch_file(scratch)
                    elif len(form.fields) >= MAX_FIELDS:
                        raise UploadRefused("上传请求字段过多。")
                elif kind == "data":
                    if part.file_name is not None:
                        form.size += len(data)
                        if form.size > max_bytes:
                            raise UploadRefused(too_large_message(max_bytes), 413)
                        hasher.update(data)
                        out.write(data)
                    else:
                        part.value += data
                        if len(part.value) > MAX_FIELD_BYTES:
                            raise UploadRefused("上传请求字段过长。")
                elif kind == "end" and part.file_name is None:
                    form.fields[part.name] = part.value.decode("utf-8", "replace")
            events.clear()
        parser.finalize()
    except BaseException:
        if out is not None:
            out.close()
        form.discard()
        raise
    if out is not None:
        out.close()
    form.sha256 = hasher.hexdigest()
    return form


def _scratch_file(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".upload-{secrets.token_hex(8)}.part"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb"), path


async def drain(chunks: AsyncIterator[bytes], limit: int = DRAIN_BYTES) -> None:
    """Read what is left of a refused request body and drop it."""
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > limit:
            return


# -- into the inbox -------------------------------------------------------------------


def deliver_to_inbox(source: Path, inbox: Path, name: str, received_at: datetime) -> Path:
    """Copy ``source`` into ``inbox`` as ``name``; the run sees the whole file or nothing.

    ``received_at`` (aware) becomes the file's modification time: the receipt time the
    run records and judges on-time or late by, as for a file saved from the mail.
    """
    if "/" in name or name.startswith(".") or name != safe_part(name):
        raise ValueError(f"unsafe inbox name {name!r}")
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / name
    partial = inbox / f".{name}.part"
    with source.open("rb") as src, partial.open("wb") as dst:
        while block := src.read(1 << 20):
            dst.write(block)
        dst.flush()
        os.fsync(dst.fileno())
    moment = received_at.timestamp()
    os.utime(partial, (moment, moment))
    os.replace(partial, target)
    return target
