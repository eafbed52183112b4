"""What the quarter's inbox holds, as plantrack may read it.

The inbox is a folder other people write into (a Windows share, an unpacked zip,
the portal), so nothing in it is trusted:

- a symbolic link is never followed (``/etc/shadow`` behind a link must not reach
  the archive): it is refused with a message, dangling or not;
- anything that is not a regular file (a FIFO, a socket, a device) is never opened;
- hidden files (``.x``), Excel/WPS lock files (``~$x.xlsx``) and partial uploads
  (``x.part``) are not submissions;

and every one of those is listed (``Ignored``) with its reason, for the run summary and
the quality page, never skipped without a word. A file name that is not valid UTF-8
(a GBK name from a Windows share) is shown decoded as GB18030 when that is what it
is, with the raw bytes kept in hex (``name_bytes_hex``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

LOCK_PREFIX, HIDDEN_PREFIX = "~$", "."


@dataclass(frozen=True)
class Ignored:
    """An inbox entry that was not read, and why (Chinese, for the steward and operator)."""

    name: str  # relative to the inbox, displayable
    reason: str
    refused: bool = False  # a link or a special file: refused, not merely not a submission

    def to_dict(self) -> dict:
        return {"file": self.name, "reason": self.reason, "refused": self.refused}


@dataclass(frozen=True)
class InboxScan:
    files: list[Path]  # regular files to read, in a stable order
    ignored: list[Ignored]


def display_name(name: str) -> str:
    """``name`` as text that can be stored and shown: unchanged when it is valid UTF-8;
    otherwise its raw bytes decoded as GB18030 (Chinese Windows) or, failing that, as
    UTF-8 with the undecodable bytes replaced (�)."""
    raw = os.fsencode(name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def name_bytes_hex(name: str) -> str | None:
    """The raw bytes of a name that is not valid UTF-8, in hex; None for a valid name."""
    raw = os.fsencode(name)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex()
    return None


def _relative(path: Path, inbox: Path) -> str:
    return display_name(str(path.relative_to(inbox)))


def _not_a_submission(name: str) -> str | None:
    if name.startswith(LOCK_PREFIX):
        return "Excel/WPS 打开文件时生成的临时锁定文件，不是报送文件，已忽略"
    if name.startswith(HIDDEN_PREFIX):
        return "隐藏文件（名称以“.”开头），不作为报送文件读取；如确为报送文件，请去掉名称开头的“.”后重新报送"
    if ".part" in Path(name).suffixes:
        return "尚未传送完成的文件（.part），不作为报送文件读取"
    return None


def _link_reason(path: Path) -> str:
    target = "（指向的文件不存在）" if not path.exists() else ""
    return f"符号链接{target}：为安全起见不读取链接指向的文件，请直接报送文件本身"


def scan_inbox(inbox: Path) -> InboxScan:
    """The regular files below ``inbox`` and every entry left out, with why; links never
    followed (not even to a folder)."""
    files: list[Path] = []
    ignored: list[Ignored] = []
    if not inbox.is_dir():
        return InboxScan(files, ignored)
    for folder, dirs, names in os.walk(inbox, followlinks=False):
        here = Path(folder)
        for name in sorted(dirs):
            if (here / name).is_symlink():
                ignored.append(
                    Ignored(_relative(here / name, inbox), _link_reason(here / name), refused=True)
                )
            elif reason := _not_a_submission(name):
                ignored.append(Ignored(_relative(here / name, inbox) + "/", reason))
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink() and _not_a_submission(d) is None)
        for name in names:
            path = here / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                ignored.append(Ignored(_relative(path, inbox), _link_reason(path), refused=True))
            elif not stat.S_ISREG(mode):
                ignored.append(
                    Ignored(
                        _relative(path, inbox), "不是普通文件（管道、设备或套接字），未读取", refused=True
                    )
                )
            elif reason := _not_a_submission(name):
                ignored.append(Ignored(_relative(path, inbox), reason))
            else:
                files.append(path)
    return InboxScan(sorted(files), sorted(ignored, key=lambda i: i.name))


def read_regular_file(path: Path) -> bytes:
    """The bytes of ``path``, refusing a link or special file put there after the scan
    (``O_NOFOLLOW``; a FIFO is opened non-blocking and refused before any read)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"not a regular file: {display_name(str(path))}")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)
